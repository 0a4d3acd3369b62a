"""Pieces shared by the graded checks of every notebook."""

from __future__ import annotations

import contextlib

import torch


class CheckFailed(AssertionError):
    """An answer is wrong; the message says what and how to fix it."""


class NotDoneYet(AssertionError):
    """The exercise still raises NotImplementedError."""


@contextlib.contextmanager
def calling(fn_name: str):
    """Run a learner's function; turn its NotImplementedError into a message that says what to do.

    Any other error from inside the learner's code is left alone: its traceback points at their line.
    """
    __tracebackhide__ = True
    try:
        yield
    except NotImplementedError:
        raise NotDoneYet(
            f"{fn_name}() is not written yet: replace `raise NotImplementedError()` in its cell "
            "with your code, run that cell, then run this check again."
        ) from None


def passed(what: str) -> None:
    """One line that tells the learner the visible check passed (hidden tests run when graded)."""
    print(f"PASSED {what}")


def require(condition: bool, message: str) -> None:
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(message)


def require_tensor(value, name: str) -> torch.Tensor:
    __tracebackhide__ = True
    from ..shapes import _type_problem

    problem = _type_problem(value, name)
    if problem is not None:
        raise problem
    return value
