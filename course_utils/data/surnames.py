"""Surnames by nationality, from the surname lists in Faker's locale providers (MIT, offline).

13 classes, 11,801 surnames with Faker 40.54.0 (the pinned version; the lists change between
releases). A surname listed by more than one nationality is dropped, so every name has one answer.
Slovak and Czech female forms (-ova, -ová) are kept: an easy cue the model will find.

    pairs = data.surnames("train")        # [("Nowak", "Czech"), ...]  (name, nationality)
    vocab = data.char_vocab(name for name, _ in pairs)
"""

from __future__ import annotations

import importlib
import random
from functools import lru_cache

from .. import heldout

# nationality -> Faker locales whose surname lists it takes.
LOCALES = {
    "Croatian": ("hr_HR",),
    "Czech": ("cs_CZ",),
    "Dutch": ("nl_NL",),
    "English": ("en_US", "en_GB"),
    "Estonian": ("et_EE",),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR",),
    "German": ("de_DE", "de_AT"),
    "Irish": ("ga_IE",),
    "Italian": ("it_IT",),
    "Slovak": ("sk_SK",),
    "Spanish": ("es_ES",),
    "Swedish": ("sv_SE",),
}
NATIONALITIES = tuple(LOCALES)  # class index = position here (A-Z)
SPLITS = {"train": (0.0, 0.8), "valid": (0.8, 0.9), "test": (0.9, 1.0)}


def _locale_surnames(locale: str) -> set[str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names = set()
    for attr in ("last_names", "last_names_male", "last_names_female"):
        value = provider.__dict__.get(attr)  # a tuple/list, or an OrderedDict name -> weight
        if value:
            names |= {str(n).strip() for n in value if str(n).strip()}
    return names


@lru_cache(maxsize=1)
def _by_nationality() -> dict[str, tuple[str, ...]]:
    """{nationality: sorted surnames}, without names that two nationalities claim."""
    lists = {nat: set().union(*(_locale_surnames(loc) for loc in locs)) for nat, locs in LOCALES.items()}
    claims: dict[str, int] = {}
    for names in lists.values():
        for name in names:
            claims[name] = claims.get(name, 0) + 1
    return {nat: tuple(sorted(n for n in names if claims[n] == 1)) for nat, names in lists.items()}


def surnames(split: str = "train") -> list[tuple[str, str]]:
    """(surname, nationality) pairs; the same split on every machine.

    split: "train", "valid", "test" (80/10/10 within each nationality, so every split has every
    class in the same proportions), or "all". The pairs come in a fixed shuffled order.
    Nationalities are NATIONALITIES; NATIONALITIES.index(nationality) is the class id. In notebook
    10 the test split (and "all") stays closed until the model is trained: see course_utils.heldout.
    """
    heldout.guard(split, "surnames")
    if split != "all" and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or 'all', not {split!r}")
    pairs = []
    for nat, names in _by_nationality().items():
        names = list(names)
        random.Random(f"surnames-{nat}").shuffle(names)
        if split != "all":
            lo, hi = SPLITS[split]
            names = names[round(lo * len(names)) : round(hi * len(names))]
        pairs += [(name, nat) for name in names]
    random.Random(f"surnames-{split}").shuffle(pairs)
    return pairs
