"""The visible check of a test cell, run on a wrong answer: what a self-paced learner sees.

A self-paced learner runs only the visible part of a test cell (the lines above
`### BEGIN HIDDEN TESTS`). `visible_failure(assignment, wrong)` types one WrongAnswer of
lessons/NN-slug/mistakes.py into its answer cell (the same text edit nbgrader grades), runs the
notebook's setup cell and that answer cell, then the visible part of every test cell the wrong
answer is meant to fail, and returns the message each raised. test_checks_NN.py uses it to show
that every wrong answer the grading catches, the visible check catches too, and
course_utils.grading.catalogue prints the messages in docs/mistakes.md.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from functools import cache

import nbformat

from .lessons import REPO
from .lessons import cells as _cells


@cache
def _prefix(assignment: str, answer_cell: str) -> tuple[str, ...]:
    """The code cells above an answer cell, test cells left out: what a learner has run by then."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    sources = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == answer_cell:
            return tuple(sources)
        if cell.cell_type == "code" and not meta.get("grade") and meta.get("grade_id") != "setup":
            sources.append(cell.source)
    raise KeyError(answer_cell)


def visible_part(assignment: str, test_id: str) -> str:
    return _cells(assignment)[test_id].split("### BEGIN HIDDEN TESTS")[0]


def run_visible(assignment: str, answer_cell: str, source: str, test_id: str, *, prefix: bool = False) -> str | None:
    """Run setup, `source` as the answer cell, then the visible check; its error message or None.

    An answer whose own code reads the notebook's data (a NameError in it without them) is run again
    after every code cell above it (prefix=True), as in the learner's notebook.
    """
    cells = _cells(assignment)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(cells["setup"], "setup", "exec"), ns)
        for number, above in enumerate(_prefix(assignment, answer_cell) if prefix else ()):
            exec(compile(above, f"cell {number}", "exec"), ns)
        try:
            # an answer cell can fail by itself (one that asks for the closed test split raises
            # course_utils.heldout's error): that is the first thing its learner reads
            exec(compile(source, answer_cell, "exec"), ns)
            exec(compile(visible_part(assignment, test_id), test_id, "exec"), ns)
        except NameError as err:
            in_answer = any(f.filename == answer_cell for f in traceback.extract_tb(err.__traceback__))
            if in_answer and not prefix:     # the answer reads the notebook's data: run what is above it
                return run_visible(assignment, answer_cell, source, test_id, prefix=True)
            return f"{type(err).__name__}: {err}"     # e.g. a held-out check, which needs the trained model
        except Exception as err:  # a learner sees any error as a failed check
            return f"{type(err).__name__}: {err}"
    return None


def visible_failure(assignment: str, wrong) -> dict[str, str | None]:
    """{test grade_id: message of its visible check, or None if it passed} for one WrongAnswer."""
    source = _cells(assignment)[wrong.cell]
    assert wrong.old in source, f"{wrong.old!r} is not in the solution of {wrong.cell}"
    edited = source.replace(wrong.old, wrong.new)
    return {t: run_visible(assignment, wrong.cell, edited, t) for t in sorted(wrong.caught_by)}
