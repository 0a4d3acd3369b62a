"""The visible check of a test cell, run on a wrong answer: what a self-paced learner sees.

A self-paced learner runs only the visible part of a test cell (the lines above
`### BEGIN HIDDEN TESTS`). `visible_failure(assignment, wrong)` types one WrongAnswer of
tests/test_grading_NN.py into its answer cell (the same text edit nbgrader grades), runs the
notebook's setup cell and that answer cell, then the visible part of every test cell the wrong
answer is meant to fail, and returns the message each raised. test_checks_NN.py uses it to show
that every wrong answer the grading catches, the visible check catches too.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


@cache
def _cells(assignment: str) -> dict[str, str]:
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def visible_part(assignment: str, test_id: str) -> str:
    return _cells(assignment)[test_id].split("### BEGIN HIDDEN TESTS")[0]


def run_visible(assignment: str, answer_cell: str, source: str, test_id: str) -> str | None:
    """Run setup, `source` as the answer cell, then the visible check; its error message or None."""
    cells = _cells(assignment)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(cells["setup"], "setup", "exec"), ns)
        exec(compile(source, answer_cell, "exec"), ns)
        try:
            exec(compile(visible_part(assignment, test_id), test_id, "exec"), ns)
        except Exception as err:  # a learner sees any error as a failed check
            return f"{type(err).__name__}: {err}"
    return None


def visible_failure(assignment: str, wrong) -> dict[str, str | None]:
    """{test grade_id: message of its visible check, or None if it passed} for one WrongAnswer."""
    source = _cells(assignment)[wrong.cell]
    assert wrong.old in source, f"{wrong.old!r} is not in the solution of {wrong.cell}"
    edited = source.replace(wrong.old, wrong.new)
    return {t: run_visible(assignment, wrong.cell, edited, t) for t in sorted(wrong.caught_by)}
