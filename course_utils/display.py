"""Show the course's own errors to a learner as their message alone, without internal frames.

A failed check already says what is wrong and how to fix it; the frames of course_utils around it
are noise. In IPython (JupyterLab, nbgrader, nbval) these errors are still errors: the cell fails,
nbgrader gives it no points, and the output is `CheckFailed: <the message>`. Any other error, e.g.
one raised inside a learner's own function, keeps its full traceback.

An exercise not yet written (its stub's bare `raise NotImplementedError()`, called from a *try it*
cell) shows the same one line as its check cell does, instead of a red traceback: Run All stops
there, at the first unfinished exercise, with a message that says what to do.

An error PyTorch raises keeps its traceback and its message, whole; when course_utils.explain
knows it (a wrong input_size, an h0 of the wrong batch, unsorted lengths, logits and targets that
disagree, ...), its explanation follows in named axes, with the likely cause and a fix.
"""

from __future__ import annotations

from .errors import CheckFailed, DataMissingError, NotDoneYet, PaddingError, ShapeError
from .explain import HEADER, explain_exception
from .messages import WIDTH, not_written_yet, wrap  # noqa: F401  (display.WIDTH and display.wrap, as before)

COURSE_ERRORS = (ShapeError, PaddingError, CheckFailed, NotDoneYet, DataMissingError)
# The kinds of error PyTorch raises that course_utils.explain may know; others are not touched.
EXPLAINED = (RuntimeError, ValueError, IndexError, TypeError, AttributeError)


def _message_only(shell, etype, value, tb, tb_offset=None):
    stb = [wrap(f"{etype.__name__}: {value}")]
    shell._showtraceback(etype, value, stb)  # sends the error to the notebook, marks the cell failed
    return stb


def _stub_name(tb) -> str | None:
    """The function whose bare `raise NotImplementedError()` ended this traceback, if in a cell."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    in_cell = "ipykernel_" in code.co_filename or code.co_filename.startswith("<ipython-input")
    return code.co_name if in_cell and code.co_name != "<module>" else None


def _traceback_and_explanation(shell, etype, value, tb, tb_offset=None):
    """The usual traceback; under it, when course_utils.explain knows the error, its explanation."""
    try:
        explanation = explain_exception(value)
    except Exception:  # an explanation must never hide the error itself
        explanation = None
    if explanation is None:
        return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    stb = list(stb) + ["", wrap(f"{HEADER}\n{explanation}")]
    shell._showtraceback(etype, value, stb)
    return stb


def _stub_or_traceback(shell, etype, value, tb, tb_offset=None):
    name = _stub_name(tb) if not value.args else None
    if name is None:  # a NotImplementedError with a message (e.g. from torch): the full story
        return _traceback_and_explanation(shell, etype, value, tb, tb_offset)
    message = not_written_yet(name, "then run this cell again")
    stb = [wrap(f"NotDoneYet: {message}")]
    shell._showtraceback(etype, value, stb)
    return stb


def _handler(shell, etype, value, tb, tb_offset=None):
    if issubclass(etype, COURSE_ERRORS):
        return _message_only(shell, etype, value, tb, tb_offset)
    if issubclass(etype, NotImplementedError):
        return _stub_or_traceback(shell, etype, value, tb, tb_offset)
    return _traceback_and_explanation(shell, etype, value, tb, tb_offset)


def install() -> bool:
    """Register the handler in the running IPython, if any. Returns True when installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "_showtraceback"):
        return False
    shell.set_custom_exc(COURSE_ERRORS + (NotImplementedError,) + EXPLAINED, _handler)
    return True
