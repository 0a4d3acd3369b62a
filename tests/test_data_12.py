"""course_utils.data.tags: silver-tagged movie-review sentences for notebook 12.

Sizes, the split (the same sentences as movie_reviews), the tag set, the tokenizer and spelling
feature, vocabularies, batches by length, and the pinned tagger's output (a checksum of every
token/TAG, so an upgraded TextBlob that tags differently is noticed). Tagging needs no NLTK data
and no network: shown in a subprocess with both taken away.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from course_utils import data
from course_utils.data import tags

ROOT = Path(__file__).resolve().parents[1]

# With textblob 0.20.1 (PatternTagger) on vaderSentiment 3.3.2's movie-review sentences.
SIZES = {"train": (8453, 183149), "valid": (1056, 23072), "test": (1057, 23514)}
CHECKSUMS = {
    "train": "a4ff996c46e11caec4373bd0e0b442f30464b607e9eef58cdf3f1a1a334ea3f4",
    "valid": "41ffb3187f6d9a7576d7d40be7035e8dcbc797f37a9681525d4d33a95c2ddedb",
    "test": "642e2643e0deb95a56f872dfa0b8da91888a094ecc225c37918265ec91ddb4c6",
}


def _checksum(sentences):
    text = "\n".join(" ".join(f"{t}/{g}" for t, g in zip(s.tokens, s.tags)) for s in sentences)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_sizes_and_the_pinned_taggers_output(split):
    sentences = tags.tagged_reviews(split)
    assert (len(sentences), sum(len(s) for s in sentences)) == SIZES[split]
    assert _checksum(sentences) == CHECKSUMS[split]


def test_same_sentences_and_split_as_movie_reviews():
    for split in ("train", "valid", "test", "all"):
        reviews, sentences = data.movie_reviews(split), tags.tagged_reviews(split)
        assert len(reviews) == len(sentences)
        for r, s in zip(reviews[:200], sentences[:200]):
            assert s.tokens == tuple(tags.tag_tokenize(r.text))
    assert len(tags.tagged_reviews("all")) == sum(SIZES[s][0] for s in SIZES)


def test_every_sentence_has_one_known_tag_per_token():
    for s in tags.tagged_reviews("all"):
        assert len(s) >= 1 and len(s.tokens) == len(s.tags)
        assert set(s.tags) <= set(tags.TAGS)
        assert s.words == tuple(t.lower() for t in s.tokens)
        assert s.spellings == tuple(tags.spelling(t) for t in s.tokens)


def test_tag_set():
    assert len(tags.TAGS) == 45 == len(set(tags.TAGS))
    assert tags.TAGS[0] == "CC"                       # tag 0 is a real tag: padding needs -100
    assert set(tags.TAG_MEANING) == set(tags.TAGS)
    assert tags.TAG_ID == {t: i for i, t in enumerate(tags.TAGS)}
    assert {tags.universal(t) for t in tags.TAGS} == set(tags.UNIVERSAL_TAGS)
    assert [tags.universal(t) for t in ("NNS", "NNP", "MD", "VBZ", "PRP$", "TO", ",", "``")] == \
        ["NOUN", "NOUN", "VERB", "VERB", "PRON", "PRT", ".", "."]
    with pytest.raises(ValueError):
        tags.universal("NOUN")


def test_tokenizer_splits_like_the_penn_treebank():
    got = tags.tag_tokenize("It doesn't work: ''Conan'' is Jackson's 21st-century film, 1/2 a J.R.R. "
                            "Tolkien... -- ok?")
    assert got == ["It", "does", "n't", "work", ":", "''", "Conan", "''", "is", "Jackson", "'s",
                   "21st-century", "film", ",", "1/2", "a", "J.R.R", ".", "Tolkien", "...", "--", "ok", "?"]
    assert tags.tag_tokenize("They're here, I'm sure we'll see; he'd") == [
        "They", "'re", "here", ",", "I", "'m", "sure", "we", "'ll", "see", ";", "he", "'d"]


def test_spelling_feature():
    assert [tags.spelling(w) for w in ("Segal", "tepid", "it", "Jackson", "1995", ".")] == \
        ["^gal", "pid", "it", "^son", "995", "."]


def test_a_tagged_sentence():
    s = next(s for s in tags.tagged_reviews("all") if s.tokens[:4] == ("Effective", "but", "too", "tepid"))
    assert s.tags == ("JJ", "CC", "RB", "JJ", "NN")


def test_vocabularies_and_encode():
    train = tags.tagged_reviews("train")
    words, spellings = tags.vocabularies(train)
    assert (len(words), len(spellings)) == (8748, 2352)
    assert words.itos[:2] == [data.PAD, data.UNK] == spellings.itos[:2]
    w, s, t = tags.encode(train[0], words, spellings)
    assert len(w) == len(s) == len(t) == len(train[0])
    assert [tags.TAGS[i] for i in t] == list(train[0].tags)
    assert words.decode(w) == [x if x in words else data.UNK for x in train[0].words]


def test_length_batches_cover_every_sentence_once_sorted_and_seeded():
    lengths = [len(s) for s in tags.tagged_reviews("train")]
    batches = data.LengthBatches(lengths, 128, shuffle=True, seed=0)
    assert len(batches) == 67
    epoch1, epoch2 = list(batches), list(batches)
    assert epoch1 != epoch2                                  # a new order of batches every epoch
    assert sorted(i for b in epoch1 for i in b) == list(range(len(lengths)))
    for b in epoch1:
        assert [lengths[i] for i in b] == sorted(lengths[i] for i in b)
    again = data.LengthBatches(lengths, 128, shuffle=True, seed=0)
    assert list(again) == epoch1                             # the same order on every run
    assert list(data.LengthBatches(lengths, 128)) == data.LengthBatches(lengths, 128).batches
    assert data.padding_share(lengths, batches.batches) < 0.02
    shuffled = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(0))
    assert data.padding_share(lengths, [b.tolist() for b in shuffled.split(128)]) > 0.5
    with pytest.raises(ValueError):
        data.LengthBatches(lengths, 0)
    assert tags.LengthBatches is data.LengthBatches          # the old name of notebook 12, kept importable


def test_the_test_sentences_stay_closed_until_the_seal():
    """hold_out closes tagged_reviews' test and all splits (notebook 12's setup cell); seal opens them."""
    from course_utils import heldout
    saved = {k: (list(v) if isinstance(v, list) else v) for k, v in heldout._state.items()}
    try:
        heldout.hold_out("the test sentences")
        assert len(tags.tagged_reviews("valid")) == SIZES["valid"][0]
        for split in ("test", "all"):
            with pytest.raises(heldout.TestSplitClosed, match=f"tagged_reviews\\('{split}'\\)"):
                tags.tagged_reviews(split)
        heldout.seal(torch.nn.Linear(1, 1))
        assert len(tags.tagged_reviews("test")) == SIZES["test"][0]
    finally:
        heldout._state.clear()
        heldout._state.update(saved)


def test_a_missing_tagger_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "textblob.en.taggers", None)       # import fails
    tags._all_tagged.cache_clear()
    try:
        with pytest.raises(data.DataMissingError) as info:
            tags.tagged_reviews("train")
    finally:
        tags._all_tagged.cache_clear()
    msg = str(info.value)
    assert "PatternTagger" in msg and "make setup" in msg
    assert len(msg.splitlines()) == 2


def test_tagging_needs_no_nltk_data_and_no_network(tmp_path):
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network is off in this test')\n"
        "socket.socket.connect = refuse; socket.create_connection = refuse\n"
        "from course_utils.data import tags\n"
        "s = tags.tagged_reviews('test')\n"
        "print(len(s), sum(len(x) for x in s))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NLTK_DATA": str(tmp_path / "none"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), *(p for p in sys.path if p)])}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1057", "23514"]
    assert not (tmp_path / "nltk_data").exists()
