"""The pieces every message a learner reads is made of: its width, how it wraps, how it names shapes.

    wrap(text)           each line wrapped at word boundaries within WIDTH columns
    fmt(shape)           '(4, 7, 5)', and '(3,)' for one axis, as Python prints a tuple
    named(axes, sizes)   '(batch=4, seq=7, hidden=5)'
    plural(n, word)      '1 hour', '3 hours'
    quote_error(err)     PyTorch's own error, quoted under a message: '  RuntimeError: ...'
    not_written_yet(fn)  what a learner reads while an exercise still raises NotImplementedError

Nothing here imports torch or the rest of course_utils: every module may use it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

__all__ = ["WIDTH", "fmt", "named", "not_written_yet", "plural", "quote_error", "wrap"]

WIDTH = 88  # JupyterLab wraps longer output lines anywhere, even mid-word


def wrap(text: str, width: int = WIDTH) -> str:
    """Wrap each line of a message at word boundaries; continuation lines keep the indent."""
    lines = []
    for line in str(text).splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(textwrap.wrap(line, width, subsequent_indent=indent + "  ",
                                   break_long_words=False, break_on_hyphens=False) or [line])
    return "\n".join(lines)


def fmt(shape) -> str:
    """A shape as Python prints a tuple: '(4, 7, 5)', '(3,)', '()'."""
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def named(axes: Sequence[str], sizes: Sequence) -> str:
    """'(batch=4, seq=7, hidden=5)': each size under its axis name."""
    return "(" + ", ".join(f"{a}={s}" for a, s in zip(axes, sizes, strict=True)) + ")"


def plural(n: int, word: str) -> str:
    """'1 hour', '3 hours'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def quote_error(err: Exception, first_sentence: bool = False) -> str:
    """PyTorch's error as message lines: '  RuntimeError: ...', wrapped to fit 88 characters.

    The quote is indented by two spaces and its continuation lines by four, within WIDTH - 2
    columns (the room a message leaves after its own indent); a word too long for a line is split.
    """
    said = str(err).split(". ")[0].rstrip(".") + "." if first_sentence else str(err)
    text = f"{type(err).__name__}: {said}".strip()
    return "\n".join(textwrap.wrap(text, width=WIDTH - 2, initial_indent="  ", subsequent_indent="    ",
                                   break_on_hyphens=False))


def not_written_yet(fn_name: str, next_step: str = "then run this check again") -> str:
    """What a learner reads wherever an exercise still raises NotImplementedError."""
    return (f"{fn_name}() is not written yet: replace `raise NotImplementedError()` in its cell "
            f"with your code, run that cell, {next_step}.")
