"""Named-axis shape checks that say what went wrong and how to fix it.

    cu.check_shape(out, "batch seq hidden", batch=4, seq=7, hidden=5, name="out")
    cu.show_shapes(out=(out, "batch seq hidden"), h_n=(h_n, "layers batch hidden"))

A spec is a string of axis names from one vocabulary (AXES), in order. Sizes given as keywords are
checked; axes without a size match any size, but an axis named twice must have one size.
A mismatch raises ShapeError (an AssertionError, so nbgrader and pytest count it as a failed
check) whose message names every axis, suggests the likely cause and ends with code that fixes it.
Bad arguments to the checks themselves (an unknown axis name, a negative size) raise ValueError.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Mapping

import torch

from .errors import PaddingError, ShapeError
from .messages import axes_text as _named_plain
from .messages import fmt as _fmt  # noqa: F401  (the old private names, still imported elsewhere)
from .messages import named as _named

# One axis vocabulary for prose, specs, messages and tests.
AXES = {
    "batch": "sequences in the batch",
    "seq": "time steps (tokens) per sequence",
    "feature": "numbers per time step going into the LSTM",
    "emb": "embedding size",
    "hidden": "hidden size of the LSTM",
    "layers": "layers (x directions for h_n and c_n)",
    "directions": "directions (2 for a bidirectional LSTM)",
    "gates": "the four gates stacked (4 x hidden)",
    "vocab": "vocabulary size",
    "classes": "classes",
    "out": "outputs per example",
    "steps": "rows of a packed sequence's data: all valid steps of all sequences",
}

__all__ = ["AXES", "PaddingError", "ShapeError", "check_shape", "describe", "show_shapes"]


def describe(tensor: torch.Tensor, spec: str) -> str:
    """'(batch=4, seq=7, hidden=5)' for a tensor of shape (4, 7, 5) and the spec 'batch seq hidden'."""
    axes = parse_spec(spec)
    if tensor.dim() != len(axes):
        return f"{_fmt(tensor.shape)}, which does not have the {len(axes)} axes of {_named_plain(axes)}"
    return _named(axes, tuple(tensor.shape))


def parse_spec(spec: str) -> list[str]:
    """Split a spec like 'batch seq feature' into axis names; unknown names raise ValueError."""
    if not isinstance(spec, str) or not spec.split():
        raise ValueError(
            f"a shape spec is a string of axis names such as 'batch seq feature', not {spec!r}"
        )
    axes = spec.split()
    for axis in axes:
        if axis not in AXES:
            close = difflib.get_close_matches(axis, AXES, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"unknown axis name '{axis}' in the spec '{spec}'.{hint} "
                f"Known axes: {', '.join(AXES)}."
            )
    return axes


def _expected_sizes(axes: list[str], sizes: Mapping[str, int], spec: str) -> list[int | None]:
    for key, value in sizes.items():
        if key not in axes:
            raise ValueError(
                f"a size was given for '{key}', but the spec '{spec}' has no such axis; "
                f"its axes are {', '.join(axes)}."
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"the size of '{key}' must be a whole number >= 0, not {value!r}.")
    return [sizes.get(a) for a in axes]


def _type_problem(value, name: str) -> ShapeError | None:
    if isinstance(value, torch.Tensor):
        return None
    if value is None:
        return ShapeError(
            f"{name} is None, not a tensor.\n"
            "  A function that ends without `return` gives None.\n"
            f"  Fix:  end the function with `return {name}`"
        )
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], tuple):
        return ShapeError(
            f"{name} is a tuple (output, (h_n, c_n)), not a tensor.\n"
            "  nn.LSTM returns two things: the output at every step, and the final state.\n"
            "  Fix:  out, (h_n, c_n) = lstm(x)"
        )
    kind = type(value).__name__
    if isinstance(value, (list, tuple)):
        return ShapeError(
            f"{name} is a Python {kind} of {len(value)} items, not a tensor.\n"
            f"  Fix:  torch.tensor({name})   or, for a list of tensors,   torch.stack({name})"
        )
    return ShapeError(f"{name} should be a torch.Tensor, but it is a {kind}: {value!r:.60}")


def _matches(actual, expected) -> bool:
    return len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected, strict=True)
    )


def _fill_repeated(axes, expected, actual):
    """An axis named twice without a size takes the size of its first appearance."""
    out = list(expected)
    first = {}
    for i, (axis, size) in enumerate(zip(axes, expected, strict=True)):
        if size is None and axis in first and i < len(actual):
            out[i] = actual[first[axis]]
        first.setdefault(axis, i)
    return out


def _diagnose(name, axes, expected, actual) -> tuple[str, str | None]:
    """Return (cause, fix) for a shape that does not match; fix is None when no known mistake fits.

    Where no diagnosis fits, the cause says what differs and where, and no Fix line is offered.
    """
    n_exp, n_act = len(axes), len(actual)
    want = _named(axes, [e if e is not None else "?" for e in expected])

    if n_act == n_exp - 1:  # one axis missing: find which
        for k, axis in enumerate(axes):
            rest = expected[:k] + expected[k + 1 :]
            if _matches(actual, rest):
                where = "-1" if k == n_exp - 1 else str(k)
                if axis == "feature":
                    cause = (
                        "The feature axis is missing. An LSTM wants a feature axis even when each "
                        "step holds one number (a univariate series has feature=1)."
                    )
                elif axis == "batch":
                    cause = (
                        "The batch axis is missing: a single sequence still needs a batch of 1."
                    )
                else:
                    cause = f"The '{axis}' axis is missing."
                return cause, f"{name} = {name}.unsqueeze({where})"
    if n_act == n_exp + 1:  # one axis too many
        for k in range(n_act):
            rest = list(actual[:k]) + list(actual[k + 1 :])
            if _matches(rest, expected):
                if k == 0 and axes[0] == "batch" and axes[-1] == "hidden" and actual[0] != 1:
                    cause = (
                        f"There is an extra first axis of size {actual[0]}. If this is h_n, it has "
                        "one row per layer (x direction): take the last layer."
                    )
                    return cause, f"{name} = {name}[-1]"
                if actual[k] == 1:
                    return f"There is an extra axis {k} of size 1.", f"{name} = {name}.squeeze({k})"
                return (
                    f"There is an extra axis {k} of size {actual[k]}.",
                    f"select or reduce it, e.g. {name}[-1] or {name}.mean(dim={k})",
                )
    if n_act != n_exp:
        return (
            f"{name} has {n_act} {'axis' if n_act == 1 else 'axes'}, but {n_exp} were expected: {want}.",
            None,
        )

    known = [(i, e) for i, e in enumerate(expected) if e is not None]
    bad = [i for i, e in known if actual[i] != e]

    # Two axes swapped (the classic: seq and batch).
    if len(bad) == 2:
        i, j = bad
        if actual[i] == expected[j] and actual[j] == expected[i]:
            pair = {axes[i], axes[j]}
            if pair == {"seq", "batch"} and n_exp == 2:  # token ids, before any LSTM
                cause = (
                    "seq and batch are swapped. pad_sequence returns (seq, batch) unless it is "
                    "given batch_first=True."
                )
                return cause, (
                    f"pad_sequence(..., batch_first=True)    or    {name} = {name}.transpose(0, 1)"
                )
            if pair == {"seq", "batch"}:
                cause = (
                    "seq and batch are swapped. nn.LSTM reads and returns (seq, batch, feature) "
                    "unless it was built with batch_first=True."
                )
                return cause, (
                    f"nn.LSTM(..., batch_first=True)    or    {name} = {name}.transpose({i}, {j})"
                )
            if pair == {"vocab", "emb"}:
                cause = (
                    "vocab and emb are swapped: nn.Embedding takes the number of ids first "
                    "(num_embeddings), then the size of each vector (embedding_dim)."
                )
                return cause, "nn.Embedding(vocab_size, emb_dim)    (the constructor's two sizes swapped)"
            if pair == {"layers", "batch"}:
                cause = (
                    "layers and batch are swapped. h_n and c_n are always (layers x directions, "
                    "batch, hidden): batch_first does not apply to them."
                )
                return cause, "use h_n as it comes: h_n[-1] is the last layer, (batch, hidden)"
            return (
                f"The axes {axes[i]} and {axes[j]} are swapped.",
                f"{name} = {name}.transpose({i}, {j})",
            )

    # Any other reordering of the same sizes.
    if bad and sorted(actual) == sorted(e if e is not None else actual[i] for i, e in enumerate(expected)):
        perm = []
        pool = list(range(n_act))
        for i, e in enumerate(expected):
            target = e if e is not None else actual[i]
            k = next(p for p in pool if actual[p] == target)
            pool.remove(k)
            perm.append(k)
        if sorted(perm) == list(range(n_act)) and perm != list(range(n_act)):
            return (
                "The sizes are right but the axes are in another order.",
                f"{name} = {name}.permute{tuple(perm)}",
            )

    if len(bad) == 1:
        i = bad[0]
        axis, got, exp = axes[i], actual[i], expected[i]
        if axis in ("hidden", "feature", "emb") and got == 2 * exp:
            cause = (
                f"{got} = 2 x {exp}: likely from a bidirectional LSTM, whose output puts the "
                "forward and backward directions side by side."
            )
            return cause, (
                "nn.Linear(2 * hidden_size, ...)    or    torch.cat([h_n[-2], h_n[-1]], dim=-1)"
            )
        if axis in ("hidden", "feature", "emb") and 2 * got == exp:
            cause = (
                f"{exp} = 2 x {got}: a bidirectional LSTM gives 2 x hidden, and {name} holds one "
                "direction only."
            )
            return cause, "torch.cat([h_n[-2], h_n[-1]], dim=-1)    (forward and backward)"
        if axis == "layers" and got == 2 * exp:
            cause = (
                f"{got} = 2 x {exp}: likely h_n of a bidirectional LSTM, which has one row per layer "
                "and direction."
            )
            return cause, "h_n.view(num_layers, 2, batch, hidden)"
        if axis == "batch" and "layers" in axes:
            cause = (
                f"The LSTM saw {got} sequences, but the batch has {exp}: it read another axis of "
                "the input as the batch. nn.LSTM reads (seq, batch, feature) unless it was built "
                "with batch_first=True."
            )
            return cause, "nn.LSTM(..., batch_first=True)    or    lstm(x.transpose(0, 1))"
        if axis == "batch" and axes[-1] in ("hidden", "feature"):
            cause = (
                f"The batch axis has {got} rows, but there are {exp} sequences. Possible causes: "
                "out[-1] on batch-first output (the last sequence, not the last step); h_n[:, -1] "
                "(h_n is (layers x directions, batch, hidden) whatever batch_first says); or an input "
                "whose layout does not match how the LSTM was built (lstm.batch_first)."
            )
            return cause, None
        if axis == "seq" and axes == ["batch", "seq"]:
            return (
                f"The batch has {got} steps per row, but its longest sequence has {exp}: a padded "
                "batch is as long as its longest sequence.",
                "seq = max(len(x) for x in id_lists)",
            )
        if axis == "seq":
            return (
                f"The sequences have {got} steps, but {exp} were expected: a step was dropped or "
                f"added (a slice such as [:, :-1], or a window of {got} steps?).",
                None,
            )
        return f"Axis '{axis}' has size {got}, but {exp} was expected.", None

    wrong = ", ".join(f"{axes[i]} is {actual[i]}, expected {expected[i]}" for i in bad)
    return f"Several axes differ: {wrong}.", None


def check_shape(tensor, spec: str, *, name: str = "tensor", lengths=None, **sizes: int) -> None:
    """Check that `tensor` has the named axes of `spec`; raise ShapeError that diagnoses if not.

    tensor:  any torch.Tensor.
    spec:    axis names in order, e.g. "batch seq feature" (see AXES).
    name:    how the tensor is called in the message, e.g. "out" or "h_n".
    lengths: optional (batch,) true lengths; with a spec without a seq axis, rows of sequences
             shorter than the longest that are all zeros raise PaddingError (padding read as data).
    sizes:   expected sizes by axis name, e.g. batch=4, seq=7. Axes without a size match anything.

    Returns None when the shape is right; says nothing.
    """
    __tracebackhide__ = True
    axes = parse_spec(spec)
    expected = _expected_sizes(axes, sizes, spec)
    problem = _type_problem(tensor, name)
    if problem is not None:
        raise problem
    actual = tuple(tensor.shape)
    expected = _fill_repeated(axes, expected, actual)
    if not _matches(actual, expected):
        cause, fix = _diagnose(name, axes, expected, actual)
        want = _named(axes, [e if e is not None else "?" for e in expected])
        read = f"     read as {_named(axes, actual)}" if len(actual) == len(axes) else ""
        cause = textwrap.fill(cause, width=88, initial_indent="  ", subsequent_indent="  ")
        fix_line = f"\n  Fix:  {fix}" if fix else ""
        raise ShapeError(
            f"{name} should be {want}, but its shape is {_fmt(actual)}.\n"
            f"  {name}.shape = {_fmt(actual)}{read}\n"
            f"{cause}{fix_line}"
        )
    if lengths is not None:
        _check_padding(tensor, axes, name, lengths)


def _check_padding(tensor, axes, name, lengths):
    __tracebackhide__ = True
    lengths = torch.as_tensor(lengths).cpu()
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be one number per sequence, shape (batch,), not {_fmt(lengths.shape)}.")
    if "batch" not in axes:
        raise ValueError(f"lengths were given, but the spec {_named_plain(axes)} has no batch axis.")
    b = axes.index("batch")
    if lengths.numel() != tensor.shape[b]:
        raise ValueError(
            f"lengths has {lengths.numel()} entries, but {name} has batch={tensor.shape[b]}: "
            "give one length per sequence."
        )
    if "seq" in axes:
        s = tensor.shape[axes.index("seq")]
        if int(lengths.max()) > s:
            raise ValueError(f"the longest length is {int(lengths.max())}, but {name} has seq={s}.")
        return
    rows = tensor.detach().movedim(b, 0).reshape(tensor.shape[b], -1)
    longest = int(lengths.max())
    zero = [i for i in range(rows.shape[0]) if int(lengths[i]) < longest and not rows[i].any()]
    if zero:
        first = zero[0]
        raise PaddingError(
            f"{len(zero)} of {rows.shape[0]} rows of {name} are all zeros, though their sequences "
            "have data.\n"
            f"  The shape is right, {_named(axes, tuple(tensor.shape))}, but those rows are padding:\n"
            f"  out[:, -1] takes step {longest - 1} for every sequence; sequence {first} has "
            f"length {int(lengths[first])}.\n"
            "  Fix:  h_n[-1]    or    out[torch.arange(out.size(0)), lengths - 1]"
        )


def _shape_rows(prefix, value, spec=None):
    if isinstance(value, torch.Tensor):
        described = describe(value, spec) if spec else ""
        return [(prefix, _fmt(value.shape), described)]
    if isinstance(value, torch.nn.utils.rnn.PackedSequence):  # a namedtuple: test it first
        return [
            (f"{prefix}.data", _fmt(value.data.shape), ""),
            (f"{prefix}.batch_sizes", _fmt(value.batch_sizes.shape), ""),
        ]
    if isinstance(value, (tuple, list)):
        rows = []
        for i, item in enumerate(value):
            rows += _shape_rows(f"{prefix}[{i}]", item)
        return rows
    return [(prefix, type(value).__name__, "")]


def show_shapes(**named) -> None:
    """Print one line per tensor: name, shape and, given a spec, the size of each named axis.

        cu.show_shapes(x=x, out=(out, "batch seq hidden"), state=(h_n, c_n))
        x      (4, 7, 3)
        out    (4, 7, 5)    (batch=4, seq=7, hidden=5)
        ...

    A value is a tensor, a (tensor, spec) pair, or a tuple/list of tensors (shown one by one).
    """
    rows = []
    for key, value in named.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
            parse_spec(value[1])
            rows += _shape_rows(key, value[0], value[1])
        else:
            rows += _shape_rows(key, value)
    width = max((len(r[0]) for r in rows), default=0)
    shape_width = max((len(r[1]) for r in rows), default=0)
    for label, shape, described in rows:
        print(f"{label:<{width}}  {shape:<{shape_width}}  {described}".rstrip())
