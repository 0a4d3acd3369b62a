"""The lessons, as tests and tools read them: one folder per notebook.

    lessons/NN-slug/NN-slug.py        the source an author edits (jupytext percent format); `make sync`
                                      writes solutions/NN-slug/NN-slug.ipynb from it (tools/lessons.py)
    lessons/NN-slug/mistakes.py       WRONG_ANSWERS and POINTS: realistic wrong answers, each with the
                                      test cells that must catch it (holds solution lines: never shipped)
    lessons/NN-slug/test_checks_NN.py the checks called directly: right answers pass, wrong ones fail
    lessons/NN-slug/test_grading_NN.py the same mistakes graded through real nbgrader

`solution(lesson)` runs the notebook's setup cell and its answer cells, so a test calls the
instructor's own code instead of a retyped copy; `mistakes(lesson)` loads a lesson's catalogue under
a name of its own (every lesson's file is called mistakes.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import nbformat

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"


def assignments() -> list[str]:
    """Every lesson's name, in course order: ['01-tokens-embeddings', ...]."""
    return sorted(p.name for p in LESSONS.iterdir() if p.is_dir() and p.name[:2].isdigit())


def assignment(lesson: str) -> str:
    """'07', '7' or '07-variable-length' -> '07-variable-length'."""
    key = lesson.split("-")[0].zfill(2)
    found = [name for name in assignments() if name.split("-")[0] == key]
    if not found:
        raise KeyError(f"No lesson {lesson!r} in {LESSONS}: the lessons are {', '.join(assignments())}.")
    return found[0]


def mistakes(lesson: str) -> ModuleType:
    """lessons/NN-slug/mistakes.py, imported as lesson_NN_mistakes (once per process)."""
    name = assignment(lesson)
    module_name = f"lesson_{name[:2]}_mistakes"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, LESSONS / name / "mistakes.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


@cache
def cells(lesson: str) -> dict[str, str]:
    """{grade_id: source} of the solution notebook's nbgrader cells (setup, answers, tests)."""
    name = assignment(lesson)
    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


@cache
def answer_cells(lesson: str) -> tuple[str, ...]:
    """The grade ids of the answer cells, in notebook order."""
    name = assignment(lesson)
    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    return tuple(c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution"))


def solution(lesson: str) -> dict:
    """A namespace holding what the setup cell and every answer cell of the solution define.

    A fresh namespace on each call, so a test that changes it changes nothing for another test.
    Answer cells only define functions and classes; anything they print is swallowed. What the
    setup cell changes in this process is put back: the random generators it seeds (cu.set_seed)
    and the test split that 08-12 close (course_utils.heldout).
    """
    import random

    import numpy as np
    import torch

    from .. import heldout

    source = cells(lesson)
    namespace: dict = {"__name__": f"lesson_{assignment(lesson)[:2]}_solution"}
    gate = {k: (list(v) if isinstance(v, list) else v) for k, v in heldout._state.items()}
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source["setup"], "setup", "exec"), namespace)
            for grade_id in answer_cells(lesson):
                exec(compile(source[grade_id], grade_id, "exec"), namespace)
    finally:
        heldout._state.clear()
        heldout._state.update(gate)
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return namespace
