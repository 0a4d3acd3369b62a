"""The pieces every message a learner reads is made of: its width, how it wraps, how it names shapes.

    wrap(text)           each line wrapped at word boundaries within WIDTH columns (display, feedback)
    fit_lines(text)      only the lines longer than WIDTH wrapped; a Fix line (code) kept whole (nb06)
    paragraph(text)      one paragraph, its spaces collapsed, under a two-space indent (nb13)
    fmt(shape)           '(4, 7, 5)', and '(3,)' for one axis, as Python prints a tuple
    named(axes, sizes)   '(batch=4, seq=7, hidden=5)'
    axes_text(axes)      '(batch, seq, hidden)'
    plural(n, word)      '1 hour', '3 hours'
    quote_error(err)     PyTorch's own error, quoted under a message: '  RuntimeError: ...'
    not_written_yet(fn)  what a learner reads while an exercise still raises NotImplementedError

Nothing here imports torch or the rest of course_utils: every module may use it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

__all__ = ["WIDTH", "axes_text", "fit_lines", "fmt", "named", "not_written_yet", "paragraph", "plural", "quote_error", "wrap"]

WIDTH = 88  # JupyterLab wraps longer output lines anywhere, even mid-word


def wrap(text: str, width: int = WIDTH) -> str:
    """Wrap each line of a message at word boundaries; continuation lines keep the indent."""
    lines = []
    for line in str(text).splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(textwrap.wrap(line, width, subsequent_indent=indent + "  ",
                                   break_long_words=False, break_on_hyphens=False) or [line])
    return "\n".join(lines)


def fit_lines(message: str, width: int = WIDTH) -> str:
    """Wrap any line longer than `width` at spaces (JupyterLab would wrap it mid-word); a Fix line is code
    and is kept whole. Continuation lines are indented by two spaces, whatever the line's own indent."""
    lines = []
    for line in message.splitlines():
        if len(line) <= width or line.lstrip().startswith("Fix:"):
            lines.append(line)
        else:
            lines += textwrap.wrap(line, width, subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False)
    return "\n".join(lines)


def paragraph(text: str, first: str = "  ", width: int = WIDTH) -> str:
    """One paragraph of a message: its whitespace collapsed, wrapped under a two-space indent, the
    first line opening with `first`."""
    return textwrap.fill(" ".join(text.split()), width, initial_indent=first, subsequent_indent="  ",
                         break_on_hyphens=False, break_long_words=False)


def fmt(shape) -> str:
    """A shape as Python prints a tuple: '(4, 7, 5)', '(3,)', '()'."""
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def named(axes: Sequence[str], sizes: Sequence) -> str:
    """'(batch=4, seq=7, hidden=5)': each size under its axis name."""
    return "(" + ", ".join(f"{a}={s}" for a, s in zip(axes, sizes, strict=True)) + ")"


def axes_text(axes: Sequence[str]) -> str:
    """'(batch, seq, hidden)': axis names as a shape is written in prose."""
    return "(" + ", ".join(axes) + ")"


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
