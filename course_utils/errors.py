"""The course's own errors, in one place; each is shown to a learner as its message alone (display).

Every one but DataMissingError is an AssertionError, so nbgrader and pytest count it as a failed
check; DataMissingError is a FileNotFoundError, since a data set is missing, not an answer wrong.
The old import paths still work: course_utils.shapes (ShapeError, PaddingError),
course_utils.checks.common (CheckFailed, NotDoneYet), course_utils.data (DataMissingError).
"""

from __future__ import annotations

__all__ = ["CheckFailed", "DataMissingError", "NotDoneYet", "PaddingError", "ShapeError"]


class ShapeError(AssertionError):
    """A tensor has the wrong shape. The message says which axis, the likely cause and a fix."""


class PaddingError(AssertionError):
    """The shape is right, but rows that should hold data hold padding."""


class CheckFailed(AssertionError):
    """An answer is wrong; the message says what and how to fix it."""


class NotDoneYet(AssertionError):
    """The exercise still raises NotImplementedError."""


class DataMissingError(FileNotFoundError):
    """A data set is not on this machine (or is damaged). The message gives the command to run."""
