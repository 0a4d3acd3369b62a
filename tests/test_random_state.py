"""Every graded check leaves the learner's random state as it found it.

A check builds its fixtures from seeds of its own; a learner who runs it between two cells of their
own work must get the same random numbers afterwards as without it (their training, their dropout
masks, their shuffles). Each check_* function of every course_utils.checks.nbNN module is wrapped:
the wrapper records torch's global RNG state, Python's `random` and numpy's before the call and
compares them after. Each lesson's locked test cells run whole (visible and hidden calls) against
the instructor's solution; the cells that grade the notebook's trained model call their check with
a small untrained model instead (its verdict does not matter here, only the random state). At the
end every check function must have been called at least once.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import io
import random

import numpy as np
import pytest
import torch

from course_utils import heldout
from course_utils.checks.common import CheckFailed
from course_utils.grading.lessons import assignments, cells, solution

LESSONS = [name[:2] for name in assignments()]

# The cells that grade the model the whole notebook trains: they are not run here (the training takes
# minutes); TRAINED calls their check with a small untrained model built from the solution instead.
TRAINED_CELLS = {"08": "test_trained_model", "09": "test_trained_model", "10": "test_trained_model",
                 "11": "test_forecast", "12": "test_trained_tagger"}

# check_* functions that no test cell calls and this file does not call either: none.
NOT_CALLED: dict[str, str] = {}

# Known leaks, each with its reason; a check listed here that no longer leaks fails the test, so the
# entry goes when the module is fixed.
KNOWN_LEAKS: dict[str, str] = {}  # a check allowed to move the learner's random state, with the reason: none


def _states():
    return torch.get_rng_state(), random.getstate(), np.random.get_state()


def _changed(before, after) -> list[str]:
    names = []
    if not torch.equal(before[0], after[0]):
        names.append("torch.get_rng_state()")
    if before[1] != after[1]:
        names.append("random.getstate()")
    b, a = before[2], after[2]
    if b[0] != a[0] or not np.array_equal(b[1], a[1]) or b[2:] != a[2:]:
        names.append("numpy.random.get_state()")
    return names


def _wrap(module, name, record):
    fn = getattr(module, name)

    @functools.wraps(fn)
    def counted(*args, **kwargs):
        key = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
        record["calls"][key] = record["calls"].get(key, 0) + 1
        before = _states()
        try:
            return fn(*args, **kwargs)
        finally:
            changed = _changed(before, _states())
            if changed:
                record["leaks"].setdefault(key, set()).update(changed)

    counted.__wrapped_check__ = fn
    return counted


def _check_names(module) -> list[str]:
    return [n for n, v in vars(module).items() if n.startswith("check_") and callable(v)
            and getattr(v, "__module__", None) == module.__name__]


# For each notebook whose last cell grades the trained model: the cells to run first (cheap: data,
# vocabularies, class definitions) and a small untrained model in place of the trained one.
TRAINED = {
    "08": (("data", "vocab", "encode", "encoder", "padding_mask", "decoder"),
           "model = Seq2Seq(Encoder(len(source_vocab), 4, 8), Decoder(len(target_vocab), 4, 8))"),
    "09": (("data", "vocab"), "model = SentimentLSTM(len(vocab), 4, 4, vocab.pad_id)"),
    "10": (("data", "vocab"), "model = CharLSTM(len(vocab), N_CLASSES, hidden=4, pad_id=vocab.pad_id)"),
    "11": (("data",), "SEQ = 24\nmodel = Forecaster(features.shape[1], 4, num_layers=2, target_col=TEMP)"),
    "12": (("data", "vocab"), "model = Tagger(len(words_vocab), len(spellings_vocab), len(TAGS), word_dim=4, "
                              "spelling_dim=4, hidden=4)"),
}


def _run_trained(lesson: str, ns: dict) -> None:
    """The trained-model cell, each call on its own (an untrained model fails the first one)."""
    source = cells(lesson)
    needs, build = TRAINED[lesson]
    for grade_id in needs:
        exec(compile(source[grade_id], f"{lesson}/{grade_id}", "exec"), ns)
    exec(build, ns)
    heldout.seal(ns["model"])
    for statement in ast.parse(source[TRAINED_CELLS[lesson]]).body:
        with contextlib.suppress(CheckFailed):
            exec(compile(ast.Module([statement], []), f"{lesson}/{TRAINED_CELLS[lesson]}", "exec"), ns)


def _run_lesson(lesson: str, record: dict) -> None:
    ns = solution(lesson)
    for grade_id, source in cells(lesson).items():
        if not grade_id.startswith("test") or f"nb{lesson}." not in source:
            continue
        if grade_id == TRAINED_CELLS.get(lesson):
            continue
        record["cells"].append(f"{lesson}/{grade_id}")
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"{lesson}/{grade_id}", "exec"), ns)
    if lesson in TRAINED:
        with contextlib.redirect_stdout(io.StringIO()):
            _run_trained(lesson, ns)


@pytest.fixture(scope="module")
def record():
    record = {"calls": {}, "leaks": {}, "cells": [], "names": []}
    modules = [importlib.import_module(f"course_utils.checks.nb{lesson}") for lesson in LESSONS]
    saved = dict(heldout._state)   # the notebooks' setup cells close the test split
    try:
        with pytest.MonkeyPatch.context() as mp:
            for module in modules:
                for name in _check_names(module):
                    record["names"].append(f"{module.__name__.rsplit('.', 1)[-1]}.{name}")
                    mp.setattr(module, name, _wrap(module, name, record))
            for lesson in LESSONS:
                _run_lesson(lesson, record)
    finally:
        heldout._state.clear()
        heldout._state.update(saved)
    return record


@pytest.mark.parametrize("lesson", LESSONS)
def test_checks_leave_the_random_state_alone(record, lesson):
    leaks = {k: sorted(v) for k, v in record["leaks"].items()
             if k.startswith(f"nb{lesson}.") and k not in KNOWN_LEAKS}
    assert not leaks, f"these checks changed the learner's random state: {leaks}"
    fixed = [k for k in KNOWN_LEAKS if k.startswith(f"nb{lesson}.") and k not in record["leaks"]]
    assert not fixed, f"no longer leak: remove them from KNOWN_LEAKS: {fixed}"


def test_every_check_was_called(record):
    missing = [n for n in record["names"] if n not in record["calls"] and n not in NOT_CALLED]
    assert not missing, f"never called: {missing}"
