"""Human-readable dates -> ISO dates, the sequence-to-sequence task of notebook 08 (generated, offline).

    pairs = data.date_pairs(10_000)       # [("tuesday 10 october 1995", "1995-10-10"), ...]
    train = data.dates.date_split("train")  # notebook 08's split: 4,500 train, 500 valid, 1,000 test
    source_vocab = data.char_vocab(human for human, _ in pairs)
    target_vocab = data.char_vocab((iso for _, iso in pairs), specials=(data.SOS, data.EOS))

Dates are drawn between 1950-01-01 and 2029-12-31 (fixed bounds: the same pairs every day, and
two-digit years stay unambiguous) and rendered with Babel's CLDR patterns. Years use `y`, the
calendar year: the pattern `YYY` that circulates in course code is the *week-based* year and
turns 2012-12-31 into "31 dec 2013".

Notebook 08 holds its test split out (course_utils.heldout): while it is closed, date_split("test")
and date_split("all"), and date_pairs calls that reach the test dates (seed 0, n > 5,000), raise
TestSplitClosed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from babel.dates import format_date

from .. import heldout
from .text import Vocab

FIRST, LAST = date(1950, 1, 1), date(2029, 12, 31)
FORMATS = (
    "short", "medium", "long", "full", "full", "full",
    "d MMM y", "d MMMM y", "dd MMM y", "d MMM, y", "d MMMM, y", "dd, MMM y",
    "d MM yy", "MMMM d y", "MMMM d, y", "dd.MM.yy", "EEEE d MMMM y", "MMM d, y",
)
MAX_PAIRS = 100_000
SOS, EOS = "<sos>", "<eos>"
SPLITS = {"train": (0, 4500), "valid": (4500, 5000), "test": (5000, 6000), "all": (0, 6000)}
TEST_START, N_SPLIT = SPLITS["test"]


def human_date(day: date, pattern: str = "medium", locale: str = "en_US") -> str:
    """One date as people write it, lower case, without commas: date(2012, 12, 31) -> "dec 31 2012".

    pattern: a Babel format name ("short", "medium", "long", "full") or a CLDR pattern such as
    "d MMMM y" (use y for the year; Y is the week-based year).
    """
    if not isinstance(day, date):
        raise TypeError(f"day must be a datetime.date, e.g. date(2012, 12, 31), not {type(day).__name__}.")
    return format_date(day, format=pattern, locale=locale).lower().replace(",", "")


def date_pairs(n: int, seed: int = 0, locale: str = "en_US") -> list[tuple[str, str]]:
    """n distinct (human, iso) pairs, e.g. ("12 04 55", "1955-04-12"); the same for the same seed.

    human: 6 to 27 characters (letters, digits, spaces, "/" and "."); iso: always 10, "YYYY-MM-DD".
    The order is random but fixed by seed, so pairs[:8000] / pairs[8000:] is a fair split.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PAIRS:
        raise ValueError(f"n must be a whole number from 1 to {MAX_PAIRS:,}, not {n!r}.")
    if seed == 0 and n > TEST_START:  # pairs[5000:] of seed 0 are date_split("test")
        heldout.guard("all", "date_pairs")
    return _pairs(n, seed, locale)


def date_split(split: str) -> list[tuple[str, str]]:
    """Notebook 08's split of date_pairs(6000): "train" (4,500 pairs), "valid" (500), "test" (1,000)
    or "all" (6,000). The same pairs on every machine with the lock's Babel.

    While a notebook holds the test split out (course_utils.heldout.hold_out), "test" and "all"
    raise TestSplitClosed until the trained model is sealed.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, not {split!r}.")
    heldout.guard(split, "date_split")
    start, stop = SPLITS[split]
    return _pairs(N_SPLIT, 0, "en_US")[start:stop]


def _pairs(n: int, seed: int, locale: str) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    days = (LAST - FIRST).days + 1
    pairs: dict[tuple[str, str], None] = {}
    while len(pairs) < n:
        day = FIRST + timedelta(days=rng.randrange(days))
        pairs[(human_date(day, rng.choice(FORMATS), locale), day.isoformat())] = None
    return list(pairs)


def char_vocab(strings: Iterable[str], specials: Sequence[str] = ()) -> Vocab:
    """A Vocab of characters: id 0 <pad>, 1 <unk>, then `specials`, then characters A-Z (by code point).

    strings:  e.g. surnames, or the human side of date_pairs.
    specials: extra tokens such as (SOS, EOS) for a decoder's start and end of sequence.
    vocab.encode(list("mar 3 1999")) gives the ids; vocab.decode(ids) the characters back.
    """
    if isinstance(strings, str):
        raise TypeError("strings must be a list of strings (e.g. names), not one string.")
    chars = set()
    for text in strings:
        if not isinstance(text, str):
            raise TypeError(f"every item must be a string, got {type(text).__name__}.")
        chars.update(text)
    return Vocab(list(specials) + sorted(chars))
