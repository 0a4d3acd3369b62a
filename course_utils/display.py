"""Show the course's own errors to a learner as their message alone, without internal frames.

A failed check already says what is wrong and how to fix it; the frames of course_utils around it
are noise. In IPython (JupyterLab, nbgrader, nbval) these errors are still errors: the cell fails,
nbgrader gives it no points, and the output is `CheckFailed: <the message>`. Any other error, e.g.
one raised inside a learner's own function, keeps its full traceback.
"""

from __future__ import annotations

from .checks.common import CheckFailed, NotDoneYet
from .data.fetch import DataMissingError
from .shapes import PaddingError, ShapeError

COURSE_ERRORS = (ShapeError, PaddingError, CheckFailed, NotDoneYet, DataMissingError)


def _message_only(shell, etype, value, tb, tb_offset=None):
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)  # sends the error to the notebook, marks the cell failed
    return stb


def install() -> bool:
    """Register the handler in the running IPython, if any. Returns True when installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "_showtraceback"):
        return False
    shell.set_custom_exc(COURSE_ERRORS, _message_only)
    return True
