"""Notebook 12 checks: right answers pass, each realistic wrong answer fails with its own message.

Every wrong answer here is called through the VISIBLE check (default arguments), the only one a
self-paced learner sees; the grading test (test_grading_12.py) makes the same mistakes as text
edits of the solution. The graded trained-model check is shown to fail a model that predicts the
most frequent tag everywhere, the most-frequent-tag baseline itself, and a model that only an
accuracy counting the padding would pass.
"""

from collections import Counter, defaultdict

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from course_utils.checks import nb12
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import cells, mistakes, solution

# --- right answers: the notebook's own ------------------------------------------------------------------

_solution = solution("12")
tag_batch, Tagger, masked_loss = _solution["tag_batch"], _solution["Tagger"], _solution["masked_loss"]
token_accuracy, most_frequent_tag_baseline = _solution["token_accuracy"], _solution["most_frequent_tag_baseline"]


class TaggerWithEmbed(Tagger):
    """The notebook's Tagger, with the first line of its forward as a method of its own: the wrong
    answers below rewrite the rest of forward."""

    def embed(self, words, spellings):
        return self.dropout(torch.cat([self.words(words), self.spellings(spellings)], dim=-1))


def _fails(check, fn, *words, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert "Fix:" in msg, msg
    for line in msg.splitlines():
        assert len(line) <= 88, f"message line of {len(line)} characters: {line!r}"
    assert len(msg.splitlines()) <= 9, msg
    return msg


def _blank(*args, **kwargs):
    raise NotImplementedError()


# --- tag_batch ------------------------------------------------------------------------------------------


def test_tag_batch_right(capsys):
    nb12.check_tag_batch(tag_batch)
    nb12.check_tag_batch(tag_batch, n_tags=4, seed=7, configs=(
        dict(lengths=(2, 5, 1, 5), pad_label=-1, as_tensors=True),
        dict(lengths=(1,), pad_label=-100, as_tensors=False),
    ))
    assert capsys.readouterr().out.count("PASSED tag_batch") == 2


def test_tag_batch_other_right_way():
    def by_hand(examples, pad_label=-100):
        seq = max(len(e[0]) for e in examples)
        out = [torch.zeros(len(examples), seq, dtype=torch.long) for _ in range(2)]
        tags = torch.full((len(examples), seq), pad_label)
        for b, (w, s, t) in enumerate(examples):
            out[0][b, :len(w)], out[1][b, :len(s)], tags[b, :len(t)] = (torch.as_tensor(v) for v in (w, s, t))
        return out[0], out[1], torch.tensor([len(e[0]) for e in examples]), tags
    nb12.check_tag_batch(by_hand)


def _batch_variant(kind):
    def wrong(examples, pad_label=-100):
        words, spellings, lengths, tags = tag_batch(examples, pad_label)
        seqs = [torch.as_tensor(t) for _, _, t in examples]
        if kind == "tags_zero":
            tags = pad_sequence(seqs, batch_first=True, padding_value=0)
        elif kind == "tags_minus100":
            tags = pad_sequence(seqs, batch_first=True, padding_value=-100)
        elif kind == "seq_first":
            tags = pad_sequence(seqs, padding_value=pad_label)
        elif kind == "words_pad_label":
            words = pad_sequence([torch.as_tensor(w) for w, _, _ in examples], batch_first=True,
                                 padding_value=pad_label)
        elif kind == "float_lengths":
            lengths = lengths.float()
        elif kind == "longest":
            lengths = torch.full_like(lengths, words.size(1))
        elif kind == "swapped":
            return spellings, words, lengths, tags
        elif kind == "three":
            return words, lengths, tags
        return words, spellings, lengths, tags
    return wrong


@pytest.mark.parametrize("kind, words", [
    ("tags_zero", ["padded with 0, and 0 is a real tag", "pad_label"]),
    ("tags_minus100", ["padded with -100, but pad_label is -1"]),
    ("seq_first", ["(seq, batch)", "batch_first=True"]),
    ("words_pad_label", ["words are padded with -100", "<pad> id, 0"]),
    ("float_lengths", ["lengths are torch.float32"]),
    ("longest", ["lengths should be [3, 7, 1, 5]"]),
    ("swapped", ["spellings first"]),
    ("three", ["four things"]),
])
def test_tag_batch_wrong(kind, words):
    _fails(nb12.check_tag_batch, _batch_variant(kind), *words)


def test_tag_batch_fix_line_works():
    msg = _fails(nb12.check_tag_batch, _batch_variant("tags_zero"))
    assert nb12.BATCH_FIX in msg

    def fixed(examples, pad_label=-100):
        words, spellings, lengths, _ = tag_batch(examples, pad_label)
        tag_seqs = [torch.as_tensor(t) for _, _, t in examples]
        tags = pad_sequence(tag_seqs, batch_first=True, padding_value=pad_label)      # the Fix line
        return words, spellings, lengths, tags
    nb12.check_tag_batch(fixed)


def test_tag_batch_not_done():
    with pytest.raises(NotDoneYet, match="tag_batch"):
        nb12.check_tag_batch(_blank)


# --- Tagger ---------------------------------------------------------------------------------------------


def test_tagger_right(capsys):
    nb12.check_tagger(Tagger)
    nb12.check_tagger(Tagger, seed=31, configs=(
        dict(lengths=(2, 6, 1), seq=9, n_words=20, n_spellings=7, n_tags=4, word_dim=3, spelling_dim=5,
             hidden=2),
        dict(lengths=(1,), seq=1, n_words=5, n_spellings=4, n_tags=3, word_dim=2, spelling_dim=2,
             hidden=3),
    ))
    assert capsys.readouterr().out.count("PASSED Tagger") == 2


def test_tagger_transposed_loss_layout_and_no_dropout_pass():
    class Plain(Tagger):
        def forward(self, words, spellings, lengths):
            x = torch.cat([self.words(words), self.spellings(spellings)], dim=-1)
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=words.shape[1])
            return self.head(out)
    nb12.check_tagger(Plain)


def _tagger_variant(kind):
    class Wrong(TaggerWithEmbed):
        def __init__(self, n_words, n_spellings, n_tags, word_dim=48, spelling_dim=16, hidden=48, dropout=0.3):
            super().__init__(n_words, n_spellings, n_tags, word_dim, spelling_dim, hidden, dropout)
            if kind == "half":
                self.head = nn.Linear(hidden, n_tags)
            elif kind == "one_direction":
                self.lstm = nn.LSTM(word_dim + spelling_dim, hidden, batch_first=True)
            elif kind == "seq_first_lstm":
                self.lstm = nn.LSTM(word_dim + spelling_dim, hidden, bidirectional=True)

        def forward(self, words, spellings, lengths):
            x = self.embed(words, spellings)
            if kind == "swapped":
                x = torch.cat([self.spellings(spellings), self.words(words)], dim=-1)
            if kind == "not_packed":
                return self.head(self.lstm(x)[0])
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=(kind == "sorted"))
            packed_out, (h_n, _) = self.lstm(packed)
            if kind == "h_n":
                return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
            if kind == "packed_out":
                return packed_out
            if kind == "seq_first_out":
                out, _ = pad_packed_sequence(packed_out, total_length=words.size(1))
                return self.head(out)
            if kind == "no_total_length":
                out, _ = pad_packed_sequence(packed_out, batch_first=True)
                return self.head(out)
            out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))
            if kind == "half":
                return self.head(out[..., :self.lstm.hidden_size])
            if kind == "tuple":
                return self.head(out), h_n
            return self.head(out)
    return Wrong


@pytest.mark.parametrize("kind, words", [
    ("no_total_length", ["the longest length", "total_length"]),
    ("half", ["self.head reads 4 features (hidden)", "2 x hidden = 8"]),
    ("not_packed", ["without packing", "backward half"]),
    ("h_n", ["one score vector per sentence", "not h_n"]),
    ("sorted", ["enforce_sorted=True", "[3, 7, 1, 5]"]),
    ("one_direction", ["one direction only"]),
    ("seq_first_lstm", ["batch_first=False"]),
    ("swapped", ["spelling embedding before the word embedding"]),
    ("tuple", ["returned a tuple of 2"]),
    ("packed_out", ["PackedSequence"]),
    ("seq_first_out", ["(seq, batch, classes)"]),
])
def test_tagger_wrong(kind, words):
    _fails(nb12.check_tagger, _tagger_variant(kind), *words)


def test_tagger_messages_are_distinct():
    kinds = ["no_total_length", "half", "not_packed", "h_n", "sorted", "one_direction", "seq_first_lstm",
             "swapped", "tuple", "packed_out", "seq_first_out"]
    firsts = [_fails(nb12.check_tagger, _tagger_variant(k)).splitlines()[0] for k in kinds]
    assert len(set(firsts)) == len(firsts), firsts


def test_tagger_unpack_fix_line_works():
    msg = _fails(nb12.check_tagger, _tagger_variant("no_total_length"))
    assert nb12.UNPACK_FIX in msg

    class Fixed(TaggerWithEmbed):
        def forward(self, words, spellings, lengths):
            x = self.embed(words, spellings)
            packed_out, _ = self.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
            out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))   # the Fix
            return self.head(out)
    nb12.check_tagger(Fixed)


def test_tagger_leaves_the_learners_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    nb12.check_tagger(Tagger)
    assert torch.equal(torch.rand(3), expected)


def test_tagger_not_done():
    class Blank(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="Tagger.__init__"):
        nb12.check_tagger(Blank)

    class BlankForward(Tagger):
        def forward(self, words, spellings, lengths):
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="Tagger.forward"):
        nb12.check_tagger(BlankForward)


# --- masked_loss ----------------------------------------------------------------------------------------


def test_masked_loss_right(capsys):
    nb12.check_masked_loss(masked_loss)
    nb12.check_masked_loss(masked_loss, seed=41, configs=(
        dict(lengths=(2, 4, 4, 1), seq=4, n_tags=4, pad_label=-100),
        dict(lengths=(1,), seq=3, n_tags=9, pad_label=45),
    ))
    assert capsys.readouterr().out.count("PASSED masked_loss") == 2


def test_masked_loss_other_right_ways():
    def transposed(logits, tags, pad_label=-100):
        return nn.CrossEntropyLoss(ignore_index=pad_label)(logits.transpose(1, 2), tags)

    def by_mask(logits, tags, pad_label=-100):
        real = tags != pad_label
        per_token = nn.functional.cross_entropy(logits.transpose(1, 2), tags.masked_fill(~real, 0), reduction="none")
        return per_token[real].mean()
    nb12.check_masked_loss(transposed)
    nb12.check_masked_loss(by_mask)


def _loss_variant(kind):
    def wrong(logits, tags, pad_label=-100):
        flat, flat_tags = logits.reshape(-1, logits.size(-1)), tags.reshape(-1)
        if kind == "bsc":
            return nn.functional.cross_entropy(logits, tags, ignore_index=pad_label)
        if kind == "no_ignore":
            return nn.functional.cross_entropy(flat, flat_tags)
        if kind == "ignore_minus100":
            return nn.CrossEntropyLoss(ignore_index=-100)(flat, flat_tags)
        if kind == "clamp":
            return nn.functional.cross_entropy(flat, flat_tags.clamp(min=0))
        if kind == "sum":
            return nn.functional.cross_entropy(flat, flat_tags, ignore_index=pad_label, reduction="sum")
        if kind == "per_sentence":
            per = nn.functional.cross_entropy(logits.transpose(1, 2), tags, ignore_index=pad_label, reduction="none")
            real = (tags != pad_label).float()
            return ((per * real).sum(1) / real.sum(1)).mean()
        if kind == "item":
            return masked_loss(logits, tags, pad_label).item()
        raise AssertionError(kind)
    return wrong


@pytest.mark.parametrize("kind, words", [
    ("bsc", ["as (batch, seq, classes)", "Expected target size"]),
    ("no_ignore", ["padding label -1 reach the loss", "out of bounds"]),
    ("ignore_minus100", ["padding label -1 reach the loss"]),
    ("clamp", ["counts the padding", "Only the 16 real tokens"]),
    ("sum", ["the sum over the real tokens"]),
    ("per_sentence", ["averaged each sentence first"]),
    ("item", ["no gradient"]),
])
def test_masked_loss_wrong(kind, words):
    _fails(nb12.check_masked_loss, _loss_variant(kind), *words)


def test_masked_loss_silent_wrong_axis_is_caught_when_seq_equals_classes():
    def wrong(logits, tags, pad_label=-100):
        return nn.functional.cross_entropy(logits, tags, ignore_index=pad_label)
    _fails(nb12.check_masked_loss, wrong, "as (batch, seq, classes)", "there is no error",
           configs=(dict(lengths=(3, 6, 1, 6), seq=6, n_tags=6, pad_label=-100),))


def test_masked_loss_fix_line_works():
    msg = _fails(nb12.check_masked_loss, _loss_variant("no_ignore"))
    assert nb12.LOSS_FIX in msg

    def fixed(logits, tags, pad_label=-100):
        return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1),
                                           ignore_index=pad_label)     # the Fix line
    nb12.check_masked_loss(fixed)


def test_masked_loss_not_done():
    with pytest.raises(NotDoneYet, match="masked_loss"):
        nb12.check_masked_loss(_blank)


# --- token_accuracy -------------------------------------------------------------------------------------


def test_token_accuracy_right(capsys):
    nb12.check_token_accuracy(token_accuracy)
    nb12.check_token_accuracy(token_accuracy, seed=51, configs=(
        dict(lengths=(2, 4, 4, 1), seq=4, n_tags=4, pad_label=-100),
        dict(lengths=(1,), seq=3, n_tags=9, pad_label=45),
    ))
    assert capsys.readouterr().out.count("PASSED token_accuracy") == 2


def test_token_accuracy_other_right_ways():
    def library(logits, tags, pad_label=-100):
        import course_utils as cu
        return cu.accuracy(logits, tags, ignore_index=pad_label)
    nb12.check_token_accuracy(library)


def test_token_accuracy_wants_a_float_not_a_tensor():
    """The table asks for a float; a right share returned as a 0-d tensor fails with its own message."""
    def as_tensor(logits, tags, pad_label=-100):
        real = tags != pad_label
        return (logits.argmax(-1)[real] == tags[real]).float().mean()
    _fails(nb12.check_token_accuracy, as_tensor, "returned a tensor", "a Python float", "Tensor.item()")


def _accuracy_variant(kind):
    def wrong(logits, tags, pad_label=-100):
        real = tags != pad_label
        if kind == "numel":
            return ((logits.argmax(dim=-1) == tags) & real).sum().item() / real.numel()
        if kind == "pad_right":
            return ((logits.argmax(dim=-1) == tags) | ~real).float().mean().item()
        if kind == "pad_zero":
            return (logits.argmax(dim=-1) == torch.where(real, tags, 0)).float().mean().item()
        if kind == "dim1":
            pred = logits.argmax(dim=1)
            return ((pred == tags) & real).sum().item() / real.sum().item()
        if kind == "percent":
            return 100 * token_accuracy(logits, tags, pad_label)
        if kind == "library_default":
            import course_utils as cu
            return cu.accuracy(logits, tags)
        if kind == "vector":
            return ((logits.argmax(dim=-1) == tags) & real).float().mean(dim=1)
        raise AssertionError(kind)
    return wrong


@pytest.mark.parametrize("kind, words", [
    ("numel", ["divides by all 28 positions", "16 real tokens"]),
    ("pad_right", ["counts every padded position as tagged right"]),
    ("pad_zero", ["padding", "16 real tokens"]),
    ("dim1", ["different shapes", "the last axis"]),
    ("percent", ["a percentage"]),
    ("library_default", ["divides by all 30 positions"]),
    ("vector", ["a tensor of shape (4,)"]),
])
def test_token_accuracy_wrong(kind, words):
    _fails(nb12.check_token_accuracy, _accuracy_variant(kind), *words)


def test_token_accuracy_silent_wrong_axis_is_caught_when_seq_equals_classes():
    _fails(nb12.check_token_accuracy, _accuracy_variant("dim1"), "axis 1 (seq)",
           configs=(dict(lengths=(3, 6, 1, 6), seq=6, n_tags=6, pad_label=-100),))


def test_token_accuracy_fix_line_works():
    msg = _fails(nb12.check_token_accuracy, _accuracy_variant("numel"))
    assert nb12.ACC_FIX in msg

    def fixed(logits, tags, pad_label=-100):
        real = tags != pad_label
        return (logits.argmax(dim=-1) == tags)[real].float().mean().item()      # the Fix line
    nb12.check_token_accuracy(fixed)


def test_token_accuracy_not_done():
    with pytest.raises(NotDoneYet, match="token_accuracy"):
        nb12.check_token_accuracy(_blank)


# --- most_frequent_tag_baseline -------------------------------------------------------------------------


def test_baseline_right(capsys):
    nb12.check_most_frequent_tag_baseline(most_frequent_tag_baseline)
    nb12.check_most_frequent_tag_baseline(most_frequent_tag_baseline, variants=(1, 0))
    assert capsys.readouterr().out.count("PASSED most_frequent_tag_baseline") == 2


def _baseline_variant(kind):
    def wrong(train, test):
        per_word, overall, first, last = defaultdict(Counter), Counter(), {}, {}
        for words, tags in train:
            for word, tag in zip(words, tags):
                per_word[word][tag] += 1
                overall[tag] += 1
                first.setdefault(word, tag)
                last[word] = tag
        best = {w: c.most_common(1)[0][0] for w, c in per_word.items()}
        fallback = overall.most_common(1)[0][0]
        if kind == "no_fallback":
            return [[best[w] for w in words] for words in test]
        if kind == "nn":
            return [[best.get(w, "NN") for w in words] for words in test]
        if kind == "first":
            return [[first.get(w, fallback) for w in words] for words in test]
        if kind == "last":
            return [[last.get(w, fallback) for w in words] for words in test]
        if kind == "same":
            return [[fallback for _ in words] for words in test]
        if kind == "flat":
            return [best.get(w, fallback) for words in test for w in words]
        if kind == "short":
            return [[best.get(w, fallback) for w in words[:1]] for words in test]
        raise AssertionError(kind)
    return wrong


@pytest.mark.parametrize("kind, words", [
    ("no_fallback", ["KeyError", "'cat'"]),
    ("nn", ["'new', a word train never had, as 'NN'", "'JJ'"]),
    ("first", ["its first tag in train", "'run'"]),
    ("last", ["its last tag in train", "'kind'"]),
    ("same", ["every word the same tag"]),
    ("flat", ["one list of tags per test sentence"]),
    ("short", ["sentence 0 of test has 4 words"]),
])
def test_baseline_wrong(kind, words):
    _fails(nb12.check_most_frequent_tag_baseline, _baseline_variant(kind), *words)


def test_baseline_not_done():
    with pytest.raises(NotDoneYet, match="most_frequent_tag_baseline"):
        nb12.check_most_frequent_tag_baseline(_blank)


# --- inputs come back unchanged, and the stated types (issue item 8) ------------------------------


def test_tag_batch_that_pads_the_callers_lists_in_place_fails():
    """Padding each example's lists with extend gives the right batch, but changes the examples the
    DataLoader hands out again next epoch."""
    def extend(examples, pad_label=-100):
        seq = max(len(w) for w, _, _ in examples)
        lengths = torch.tensor([len(w) for w, _, _ in examples])
        for w, sp, t in examples:
            n = len(w)
            w.extend([0] * (seq - n))
            sp.extend([0] * (seq - n))
            t.extend([pad_label] * (seq - n))
        return (torch.tensor([e[0] for e in examples]), torch.tensor([e[1] for e in examples]), lengths,
                torch.tensor([e[2] for e in examples]))
    _fails(nb12.check_tag_batch, extend, "tag_batch() changed the examples it was given", "never extend")


def test_tag_batch_wants_int64_ids():
    def int32(examples, pad_label=-100):
        words, spellings, lengths, tags = tag_batch(examples, pad_label)
        return words.int(), spellings, lengths, tags
    _fails(nb12.check_tag_batch, int32, "words holds torch.int32 numbers", "int64")


def test_tagger_that_fills_the_callers_padding_in_place_fails():
    """Marking the padding as <unk> in the caller's words (in place): the scores at real steps are right
    (packed), the caller's batch is not."""
    class Filling(Tagger):
        def forward(self, words, spellings, lengths):
            words.masked_fill_(words == 0, 1)
            return super().forward(words, spellings, lengths)
    _fails(nb12.check_tagger, Filling, "Tagger.forward changed its input words in place", "clone()")


def test_masked_loss_that_relabels_the_callers_tags_in_place_fails():
    def relabel(logits, tags, pad_label=-100):
        tags[tags == pad_label] = -100
        return masked_loss(logits, tags)
    _fails(nb12.check_masked_loss, relabel, "masked_loss() changed the caller's tags in place",
           "values")


def test_masked_loss_that_transposes_the_callers_logits_in_place_fails():
    def transpose_(logits, tags, pad_label=-100):
        return nn.functional.cross_entropy(logits.transpose_(1, 2), tags, ignore_index=pad_label)
    _fails(nb12.check_masked_loss, transpose_, "masked_loss() changed the caller's logits in place",
           "shape (4, 7, 5) -> (4, 5, 7)")


def test_token_accuracy_that_changes_the_callers_tags_in_place_fails():
    def relabel(logits, tags, pad_label=-100):
        real = tags != pad_label
        tags[~real] = -1
        return ((logits.argmax(-1) == tags) & real).sum().item() / real.sum().item()
    _fails(nb12.check_token_accuracy, relabel, "token_accuracy() changed the caller's tags in place")


def test_baseline_that_changes_the_callers_train_fails():
    def appends(train, test):
        train.append((("extra",), ("NN",)))
        return most_frequent_tag_baseline(train, test)
    _fails(nb12.check_most_frequent_tag_baseline, appends, "changed the list train it was given")


def test_baseline_wants_tags_as_strings():
    from course_utils.data import tags as T

    def ids(train, test):
        return [[T.TAG_ID.get(t, 0) for t in sent] for sent in most_frequent_tag_baseline(train, test)]
    _fails(nb12.check_most_frequent_tag_baseline, ids, "returned tags like", "(int)")


# --- the graded trained tagger ----------------------------------------------------------------------------


class Oracle(nn.Module):
    """A stand-in for a trained tagger: looks each test sentence up (by its word and spelling ids) and
    returns its silver tags, wrong at a chosen share of the real tokens (always the same ones); at padded
    positions it predicts `pad_tag`. With `constant` it predicts that tag everywhere."""

    def __init__(self, words_vocab, spellings_vocab, split="test", wrong_share=0.0, pad_tag=0, constant=None,
                 predict=None):
        super().__init__()
        from course_utils.data import tags
        self.dummy = nn.Linear(1, 1)
        self.n_tags = len(tags.TAGS)
        self.table = {}
        sentences = tags.tagged_reviews(split)
        guesses = predict([s.words for s in sentences]) if predict else [s.tags for s in sentences]
        g = torch.Generator().manual_seed(0)
        for s, guess in zip(sentences, guesses):
            w, sp, _ = tags.encode(s, words_vocab, spellings_vocab)
            ids = torch.tensor([tags.TAG_ID[t] for t in guess])
            flip = torch.rand(len(ids), generator=g) < wrong_share
            ids[flip] = (ids[flip] + 1) % self.n_tags
            self.table[tuple(w), tuple(sp)] = ids
        self.pad_tag, self.constant = pad_tag, constant

    def forward(self, words, spellings, lengths):
        out = torch.zeros(*words.shape, self.n_tags)
        for b, n in enumerate(lengths.tolist()):
            if self.constant is not None:
                out[b, :, self.constant] = 1.0
                continue
            ids = self.table[tuple(words[b, :n].tolist()), tuple(spellings[b, :n].tolist())]
            out[b, torch.arange(n), ids] = 1.0
            out[b, n:, self.pad_tag] = 1.0
        return out


@pytest.fixture(scope="module")
def vocabularies():
    from course_utils.data import tags
    return tags.vocabularies(tags.tagged_reviews("train"))


def _sealed(model):
    """As the notebook does: the test split closed from the setup cell, the trained model sealed."""
    from course_utils import heldout
    heldout.hold_out("the test sentences")
    heldout.seal(model)
    return model


def test_tagging_passes_a_good_tagger(vocabularies, capsys):
    nb12.check_tagging(_sealed(Oracle(*vocabularies, wrong_share=0.02)), *vocabularies)
    assert "PASSED tagging" in capsys.readouterr().out


def test_tagging_refuses_a_model_trained_with_the_test_split_in_reach(vocabularies):
    """The held-out gate comes first: a perfect model fails when the test split was asked for before
    the seal (even if the request was caught), when it is not the model sealed, or when its weights
    changed after the seal."""
    from course_utils import heldout
    from course_utils.data import tags
    model = Oracle(*vocabularies)

    def peek():
        return tags.tagged_reviews("test")
    heldout.hold_out("the test sentences")
    with pytest.raises(heldout.TestSplitClosed):
        peek()
    heldout.seal(model)
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "the test sentences were asked for",
           "tagged_reviews('test')")
    _sealed(model)
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), Oracle(*vocabularies), "not the model")
    with torch.no_grad():
        model.dummy.weight.add_(1.0)                                  # trained further after the seal
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "weights changed after")
    heldout.hold_out("the test sentences")
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "no trained model was sealed")


def test_tagging_fails_a_model_that_predicts_the_most_frequent_tag_everywhere(vocabularies):
    from course_utils.data import tags
    model = _sealed(Oracle(*vocabularies, constant=tags.TAG_ID["NN"]))
    msg = _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "the same tag, 'NN'", "0.15")
    assert "to pass it must reach 0.975" in msg


def test_tagging_fails_the_most_frequent_tag_baseline(vocabularies):
    from course_utils.data import tags
    train = [(s.words, s.tags) for s in tags.tagged_reviews("train")]
    baseline = _sealed(Oracle(*vocabularies, predict=lambda test: most_frequent_tag_baseline(train, test)))
    accuracy, _ = nb12.evaluate_tagger(baseline, *vocabularies)
    assert 0.95 < accuracy < nb12.THRESHOLD
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), baseline, "accuracy is 0.9537",
           "The two-rule tagger (no LSTM) gets 0.9715")


def two_rule_tagger(train, test):
    known = {t for tokens, _ in train for t in tokens}
    guesses = most_frequent_tag_baseline(train, test)
    return [[g if t in known else "NNP" if t[:1].isupper() else "NN" for t, g in zip(tokens, guess)]
            for tokens, guess in zip(test, guesses)]


@pytest.mark.parametrize("split, want", [("test", 0.9715), ("valid", 0.9732)])
def test_tagging_fails_the_two_rule_tagger(vocabularies, split, want):
    """Tokens as written, each one's most frequent tag, an unknown capitalised token NNP, else NN:
    no LSTM, and below the pass mark on the test sentences and on the validation sentences (the
    hidden test), as nb12.baseline_accuracy computes it too."""
    from course_utils.data import tags
    train = [(s.tokens, s.tags) for s in tags.tagged_reviews("train")]
    sentences = tags.tagged_reviews(split)
    rules = two_rule_tagger(train, [s.tokens for s in sentences])
    lookup = {s.words: r for s, r in zip(sentences, rules)}
    model = _sealed(Oracle(*vocabularies, split=split, predict=lambda ws: [lookup[w] for w in ws]))
    accuracy, _ = nb12.evaluate_tagger(model, *vocabularies, split)
    assert round(accuracy, 4) == want == round(nb12.baseline_accuracy(split), 4)
    assert accuracy < nb12.THRESHOLD - 0.001
    _fails(lambda m: nb12.check_tagging(m, *vocabularies, split=split), model, f"accuracy is {want}")


def test_tagging_fails_a_model_that_only_an_accuracy_counting_padding_would_pass(vocabularies):
    """A model right on 95% of the real tokens (below the baselines) that predicts tag 0 at every
    padded position: an accuracy over the whole test set in one padded batch that counts the padding
    (labelled 0, as tags padded with 0 are) rates it above the threshold; the check, which counts
    real tokens only, fails it."""
    from course_utils.data import tags
    model = _sealed(Oracle(*vocabularies, wrong_share=0.05, pad_tag=0))
    encoded = [tags.encode(s, *vocabularies) for s in tags.tagged_reviews("test")]
    words, spellings, lengths, tags_0 = tag_batch(encoded, pad_label=0)                # padding labelled 0
    with torch.no_grad():
        pred = model(words, spellings, lengths).argmax(-1)
    assert float((pred == tags_0).float().mean()) > nb12.THRESHOLD                  # inflated by padding
    accuracy, _ = nb12.evaluate_tagger(model, *vocabularies)
    assert 0.9 < accuracy < 0.95
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "accuracy is 0.9489")


def test_tagging_wants_the_notebooks_vocabularies(vocabularies):
    from course_utils.data import Vocab
    other = Vocab(vocabularies[0].itos[2:100])
    _fails(lambda m: nb12.check_tagging(m, other, vocabularies[1]), _sealed(Oracle(*vocabularies)),
           "words_vocab is not the vocabulary")


def test_tagging_fails_an_untrained_model_and_leaves_its_mode(vocabularies):
    from course_utils.data import tags
    torch.manual_seed(0)
    model = _sealed(Tagger(len(vocabularies[0]), len(vocabularies[1]), len(tags.TAGS)).train())
    _fails(lambda m: nb12.check_tagging(m, *vocabularies), model, "to pass it must reach")
    assert model.training


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.visible import run_visible, visible_failure  # noqa: E402

graded = mistakes("12")

OWN_CHECK = {"tag_batch": "test_tag_batch", "Tagger": "test_tagger", "masked_loss": "test_masked_loss",
             "token_accuracy": "test_token_accuracy", "most_frequent_tag_baseline": "test_baseline"}


# a wrong answer that its own exercise's check cannot see: the held-out gate catches it (see
# test_tagging_refuses_a_model_trained_with_the_test_split_in_reach and test_grading_12.py)
PIECES = [w for w in graded.WRONG_ANSWERS if OWN_CHECK[w.cell] in w.caught_by]
assert [w.why for w in graded.WRONG_ANSWERS if w not in PIECES] == [
    "trained on the test split: the test sentences added to the training batches"]


@pytest.mark.parametrize("wrong", PIECES, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check of its own exercise (default
    arguments) catches too, with a message of its own that ends in a Fix line. (Where a wrong answer
    also breaks the training, test_trained_tagger loses its points too: that needs the whole notebook,
    which test_grading_12.py runs.)"""
    own = OWN_CHECK[wrong.cell]
    assert own in wrong.caught_by
    failures = visible_failure(graded.A, type(wrong)(wrong.cell, wrong.old, wrong.new, own, wrong.why))
    message = failures[own]
    assert message, f"the visible check passed {wrong.why!r}"
    assert message.split(":")[0] in ("CheckFailed", "ShapeError"), message
    assert "\n  Fix:  " in message, message


def test_each_graded_wrong_answer_has_its_own_message():
    firsts = []
    for w in PIECES:
        own = OWN_CHECK[w.cell]
        firsts.append(visible_failure(graded.A, type(w)(w.cell, w.old, w.new, own, w.why))[own].splitlines()[0])
    assert len(set(firsts)) == len(firsts), "\n".join(firsts)


def test_solution_cells_pass_their_visible_checks():
    for cell, check in OWN_CHECK.items():
        source = cells(graded.A)[cell]
        assert run_visible(graded.A, cell, source, check) is None, cell
