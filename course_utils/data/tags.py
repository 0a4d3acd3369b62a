"""Part-of-speech tags for the movie-review sentences: one tag per word, for notebook 12.

The tags are **silver**, not gold: we found no package on PyPI that ships a hand-tagged English
treebank under a licence a course can publish, so every sentence is tagged by TextBlob's PatternTagger (a rule-based,
Brill-style tagger: a word list with each word's usual tag, context rules, suffix rules for unknown
words; MIT/BSD, needs no NLTK download). A model trained on these tags learns to imitate that tagger.
Tags are those of the Penn Treebank (45, `TAGS`); `universal()` maps them to 12 coarse ones.

    train = data.tags.tagged_reviews("train")           # 8,453 sentences, 183,149 tokens
    train[0].tokens, train[0].tags      # ('Elvira', 'fans', 'could', ...), ('NNP', 'NNS', 'MD', ...)
    words, spellings = data.tags.vocabularies(train)

Sentences are the same ones, in the same 80/10/10 split, as `movie_reviews` (notebooks 01, 07, 09).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .. import heldout
from .batches import LengthBatches, padding_share  # noqa: F401  (cu.data.tags.LengthBatches, as before)
from .fetch import DataMissingError
from .text import Vocab, _all_reviews, movie_reviews

TAGGER = "TextBlob's PatternTagger (textblob 0.20.1)"
FIX = "make setup      (or: pip install -r requirements-lock.txt)"

# The Penn Treebank tag set (Marcus et al. 1993) as the tagger writes it: 36 part-of-speech tags and
# 9 punctuation tags ("(" and ")" for brackets). A tag's id is its position here.
TAGS = (
    "CC", "CD", "DT", "EX", "FW", "IN", "JJ", "JJR", "JJS", "LS", "MD", "NN", "NNS", "NNP", "NNPS",
    "PDT", "POS", "PRP", "PRP$", "RB", "RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG",
    "VBN", "VBP", "VBZ", "WDT", "WP", "WP$", "WRB", "#", "$", "``", "''", "(", ")", ",", ".", ":",
)
TAG_ID = {tag: i for i, tag in enumerate(TAGS)}
TAG_MEANING = {
    "CC": "coordinating conjunction (and, but)", "CD": "number", "DT": "determiner (the, a, this)",
    "EX": "existential there", "FW": "foreign word", "IN": "preposition or subordinating conjunction",
    "JJ": "adjective", "JJR": "adjective, comparative", "JJS": "adjective, superlative",
    "LS": "list item marker", "MD": "modal (can, will)", "NN": "noun, singular",
    "NNS": "noun, plural", "NNP": "proper noun", "NNPS": "proper noun, plural",
    "PDT": "predeterminer (all, half)", "POS": "possessive 's", "PRP": "personal pronoun",
    "PRP$": "possessive pronoun (his, its)", "RB": "adverb", "RBR": "adverb, comparative",
    "RBS": "adverb, superlative", "RP": "particle (up, off)", "SYM": "symbol", "TO": "to",
    "UH": "interjection", "VB": "verb, base form", "VBD": "verb, past tense",
    "VBG": "verb, -ing form", "VBN": "verb, past participle", "VBP": "verb, present, not 3rd person",
    "VBZ": "verb, present, 3rd person singular", "WDT": "wh-determiner (which, that)",
    "WP": "wh-pronoun (who, what)", "WP$": "possessive wh-pronoun (whose)", "WRB": "wh-adverb (how)",
    "#": "#", "$": "$", "``": "opening quote", "''": "closing quote", "(": "opening bracket",
    ")": "closing bracket", ",": "comma", ".": "end of sentence (. ! ?)", ":": "colon, dash, ...",
}
_TAG_FIXES = {'"': "''", "-LRB-": "(", "-RRB-": ")"}  # spellings of the same tag the tagger may use

# The 12 universal tags of Petrov, Das and McDonald (2012), and their map from Penn (en-ptb.map).
UNIVERSAL_TAGS = ("ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB", ".", "X")
_PENN_TO_UNIVERSAL = {
    "CC": "CONJ", "CD": "NUM", "DT": "DET", "EX": "DET", "FW": "X", "IN": "ADP", "JJ": "ADJ",
    "JJR": "ADJ", "JJS": "ADJ", "LS": "X", "MD": "VERB", "NN": "NOUN", "NNP": "NOUN", "NNPS": "NOUN",
    "NNS": "NOUN", "PDT": "DET", "POS": "PRT", "PRP": "PRON", "PRP$": "PRON", "RB": "ADV",
    "RBR": "ADV", "RBS": "ADV", "RP": "PRT", "SYM": "X", "TO": "PRT", "UH": "X", "VB": "VERB",
    "VBD": "VERB", "VBG": "VERB", "VBN": "VERB", "VBP": "VERB", "VBZ": "VERB", "WDT": "DET",
    "WP": "PRON", "WP$": "PRON", "WRB": "ADV",
}


def universal(tag: str) -> str:
    """A Penn Treebank tag's universal tag: 'NNS' -> 'NOUN', 'MD' -> 'VERB', ',' -> '.'."""
    if tag not in TAG_ID:
        raise ValueError(f"{tag!r} is not a Penn Treebank tag of TAGS")
    return _PENN_TO_UNIVERSAL.get(tag, ".")


# Penn-style tokens, case kept: "doesn't" -> does n't, "Century's" -> Century 's, '' stays a quote.
_TOKEN = re.compile(
    r"[A-Za-z]+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*"
    r"|''|``|--|\.\.\.|[^\sA-Za-z0-9]",
    re.IGNORECASE,
)


def tag_tokenize(text: str) -> list[str]:
    """Penn-Treebank-style tokens, case kept: "It doesn't" -> ["It", "does", "n't"]."""
    return _TOKEN.findall(text)


def spelling(token: str) -> str:
    """What the tagger's rules for unknown words read: the last three letters, and a capital.

    spelling("Segal") -> "^gal";  spelling("tepid") -> "pid";  spelling("it") -> "it"
    """
    return ("^" if token[:1].isupper() else "") + token[-3:].lower()


@dataclass(frozen=True)
class TaggedSentence:
    tokens: tuple[str, ...]  # Penn-style tokens as written (case kept)
    tags: tuple[str, ...]  # one Penn Treebank tag per token (silver: from the rule-based tagger)

    @property
    def words(self) -> tuple[str, ...]:
        """The tokens in lower case: what the vocabulary holds."""
        return tuple(t.lower() for t in self.tokens)

    @property
    def spellings(self) -> tuple[str, ...]:
        """spelling() of every token: its last three letters, '^' first when it starts with a capital."""
        return tuple(spelling(t) for t in self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


def _tagger():
    try:
        from textblob.en.taggers import PatternTagger
    except ImportError:
        raise DataMissingError(
            f"the tagged sentences need {TAGGER}, which is not installed here.\n"
            f"  Run, from the course folder:  {FIX}"
        ) from None
    return PatternTagger()


def _tag(tagger, tokens: list[str]) -> tuple[str, ...]:
    tags = [_TAG_FIXES.get(tag, tag) for _, tag in tagger.tag(" ".join(tokens), tokenize=False)]
    if len(tags) != len(tokens):  # cannot happen with tokenize=False; never misalign silently
        raise RuntimeError(f"the tagger returned {len(tags)} tags for {len(tokens)} tokens: {tokens}")
    unknown = sorted(set(tags) - set(TAG_ID))
    if unknown:
        raise RuntimeError(f"the tagger used tags outside TAGS: {unknown} in {tokens}")
    return tuple(tags)


@lru_cache(maxsize=1)
def _all_tagged() -> dict[str, TaggedSentence]:
    """{review text: its tagged sentence} for every movie-review sentence."""
    tagger = _tagger()
    out = {}
    for review in _all_reviews():
        tokens = tag_tokenize(review.text)
        out[review.text] = TaggedSentence(tuple(tokens), _tag(tagger, tokens))
    return out


def tagged_reviews(split: str = "train") -> list[TaggedSentence]:
    """Tagged movie-review sentences, the split of `movie_reviews` (the same sentences, same order).

    split: "train" (8,453 sentences), "valid" (1,056), "test" (1,057) or "all" (10,566).
    """
    heldout.guard(split, "tagged_reviews")
    tagged = _all_tagged()
    return [tagged[r.text] for r in movie_reviews(split)]


def vocabularies(sentences: Iterable[TaggedSentence], min_count: int = 2) -> tuple[Vocab, Vocab]:
    """(word vocabulary, spelling vocabulary) of the training sentences: entries seen min_count times.

    Id 0 is <pad>, id 1 <unk> in both; a word or spelling seen fewer times reads as <unk>.
    """
    sentences = list(sentences)
    return (Vocab.build((s.words for s in sentences), min_count=min_count),
            Vocab.build((s.spellings for s in sentences), min_count=min_count))


def encode(sentence: TaggedSentence, words: Vocab, spellings: Vocab) -> tuple[list[int], list[int], list[int]]:
    """(word ids, spelling ids, tag ids) of one sentence: three lists of len(sentence) ints."""
    return (words.encode(sentence.words), spellings.encode(sentence.spellings),
            [TAG_ID[t] for t in sentence.tags])
