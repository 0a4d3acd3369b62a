"""course_utils.data surnames and dates: sizes, determinism, disjoint splits, correct years."""

import importlib
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from course_utils import data
from course_utils.data import dates

surnames_module = importlib.import_module("course_utils.data.surnames")  # data.surnames is the function

ROOT = Path(__file__).resolve().parents[1]

# With the pinned Faker (40.54.0); datasets.md section B1 reports the same numbers.
CLASS_SIZES = {"Irish": 2377, "Slovak": 1711, "German": 1210, "Italian": 1151, "Dutch": 1022,
               "Spanish": 937, "English": 862, "Croatian": 788, "Estonian": 466, "Swedish": 431,
               "Finnish": 371, "French": 324, "Czech": 151}


def test_surname_counts_and_classes():
    pairs = data.surnames("all")
    assert len(pairs) == 11_801
    counts = {}
    for _, nationality in pairs:
        counts[nationality] = counts.get(nationality, 0) + 1
    assert counts == CLASS_SIZES
    assert data.NATIONALITIES == tuple(sorted(CLASS_SIZES))
    assert all(isinstance(n, str) and n == n.strip() and len(n) >= 2 for n, _ in pairs)


def test_surname_splits_are_disjoint_stratified_and_complete():
    splits = {s: data.surnames(s) for s in ("train", "valid", "test")}
    assert [len(v) for v in splits.values()] == [9443, 1178, 1180]
    names = {s: {n for n, _ in v} for s, v in splits.items()}
    assert not names["train"] & names["valid"]
    assert not names["train"] & names["test"]
    assert not names["valid"] & names["test"]
    assert sorted(p for v in splits.values() for p in v) == sorted(data.surnames("all"))
    for pairs in splits.values():  # every class in every split
        assert {nat for _, nat in pairs} == set(data.NATIONALITIES)


def test_no_surname_has_two_nationalities():
    seen = {}
    for name, nationality in data.surnames("all"):
        assert seen.setdefault(name, nationality) == nationality
    # Names that several locales list are dropped, not given to one of them.
    for name, nationalities in [("Martin", 6), ("Müller", 2), ("Smith", 3)]:
        claims = [nat for nat, locs in surnames_module.LOCALES.items()
                  if any(name in surnames_module._locale_surnames(loc) for loc in locs)]
        assert len(claims) == nationalities
        assert name not in seen


def test_surnames_are_deterministic_across_hash_seeds():
    """Set order depends on PYTHONHASHSEED; the data must not."""
    code = ("import hashlib; from course_utils.data import surnames; "
            "print(hashlib.md5(repr(surnames('train')).encode()).hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1"}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert data.surnames("train") == data.surnames("train")


def test_surnames_bad_split():
    with pytest.raises(ValueError, match="split must be one of train, valid, test"):
        data.surnames("validation")


ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_date_pairs_are_distinct_iso_and_inside_the_bounds():
    pairs = data.date_pairs(2000)
    assert len(pairs) == len(set(pairs)) == 2000
    for human, iso in pairs:
        assert ISO.fullmatch(iso)
        assert dates.FIRST <= date.fromisoformat(iso) <= dates.LAST
        assert 6 <= len(human) <= 27 and human == human.lower() and "," not in human
    assert pairs != sorted(pairs)  # random order, so slicing gives a fair split


def test_date_pairs_are_deterministic():
    assert data.date_pairs(300, seed=0) == data.date_pairs(300, seed=0)
    assert data.date_pairs(300, seed=0) != data.date_pairs(300, seed=1)
    assert data.date_pairs(50) == data.date_pairs(300)[:50]


def test_date_split_is_notebook_08s_split_and_guards_the_test_dates():
    """date_split: 4,500 / 500 / 1,000 disjoint pairs of date_pairs(6000); while a notebook holds
    the test split out, "test", "all" and date_pairs reaching the test dates raise, train and
    valid stay open."""
    from course_utils import heldout

    saved = dict(heldout._state)
    try:
        heldout._state.update(closed=False, attempts=[], seal=None)
        split = {name: dates.date_split(name) for name in ("train", "valid", "test", "all")}
        assert [len(split[n]) for n in ("train", "valid", "test")] == [4500, 500, 1000]
        assert split["train"] + split["valid"] + split["test"] == split["all"] == data.date_pairs(6000)
        heldout.hold_out("the test dates")
        assert dates.date_split("train") == split["train"] and dates.date_split("valid") == split["valid"]
        assert data.date_pairs(5000) == split["all"][:5000]
        for ask in (lambda: dates.date_split("test"), lambda: dates.date_split("all"),
                    lambda: data.date_pairs(5001)):
            with pytest.raises(heldout.TestSplitClosed, match="the test dates stay closed"):
                ask()
        assert len(heldout._state["attempts"]) == 3
        with pytest.raises(ValueError, match="split must be one of"):
            dates.date_split("validation")
    finally:
        heldout._state.clear()
        heldout._state.update(saved)


def test_the_human_year_is_the_calendar_year():
    """Every year written in the human date is the ISO date's year (never the week-based year)."""
    for human, iso in data.date_pairs(3000, seed=3):
        four = re.findall(r"\b\d{4}\b", human)
        if four:
            assert four == [iso[:4]], (human, iso)
        else:
            assert re.search(rf"\b{iso[2:4]}$", human), (human, iso)


@pytest.mark.parametrize("pattern", sorted(set(dates.FORMATS)))
def test_2012_12_31_renders_with_year_2012(pattern):
    human = data.human_date(date(2012, 12, 31), pattern)
    assert "2013" not in human and "13" not in human.split()
    assert "2012" in human or human.split()[-1].endswith("12")


def test_week_based_year_pattern_would_be_wrong():
    """The pattern YYY, copied in many tutorials, gives the week-based year: the bug we avoid."""
    assert data.human_date(date(2012, 12, 31), "d MMM YYY") == "31 dec 2013"
    assert data.human_date(date(2012, 12, 31), "d MMM y") == "31 dec 2012"


def test_date_arguments():
    with pytest.raises(ValueError, match="n must be a whole number from 1 to 100,000"):
        data.date_pairs(0)
    with pytest.raises(ValueError, match="n must be"):
        data.date_pairs(10.5)
    with pytest.raises(TypeError, match="datetime.date"):
        data.human_date("2012-12-31")


def test_char_vocab():
    pairs = data.date_pairs(200)
    source = data.char_vocab(h for h, _ in pairs)
    target = data.char_vocab((iso for _, iso in pairs), specials=(data.SOS, data.EOS))
    assert source.itos[:2] == [data.PAD, data.UNK]
    assert target.itos[:4] == [data.PAD, data.UNK, data.SOS, data.EOS]
    assert target.itos[4:] == ["-"] + [str(d) for d in range(10)]
    text = pairs[0][0]
    assert "".join(source.decode(source.encode(list(text)))) == text
    names = data.char_vocab(name for name, _ in data.surnames("train"))
    assert "á" in names and names.encode(["☃"]) == [names.unk_id]
    with pytest.raises(TypeError, match="not one string"):
        data.char_vocab("hello")
    with pytest.raises(TypeError, match="every item must be a string"):
        data.char_vocab([1, 2])
