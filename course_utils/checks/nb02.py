"""Graded checks for notebook 02, tensor layout.

Each check calls the learner's function on fixtures it builds itself and compares with properties
(coded tensors whose every number says which sequence, step and feature it is) or with PyTorch's own
nn.LSTM. A failure names the mistake (view instead of transpose, permute in the wrong order, out[-1]
on batch-first output, a window off by one, a missing feature axis) and ends with a Fix line.
Keyword arguments let hidden tests use other sizes.
"""

from __future__ import annotations

import torch
from torch import nn

from ..messages import axes_text, fmt, named
from ..shapes import check_shape
from .common import (
    CheckFailed,
    also_other_sizes,
    calling,
    close,
    generator,
    keep,
    passed,
    require,
    require_tensor,
    require_unchanged,
    seeded,
)
from .kernel import coded, coded_series, first_mismatch, hours_of, windows  # noqa: F401  (nb02.coded, as before)

NAMES = ("batch", "seq", "feature")


# --- exercise 1: to_layout ---------------------------------------------------------------------


def _decode(value: float) -> str:
    v = int(value)
    return f"step {(v // 10) % 10} of sequence {v // 100} (feature {v % 10})"


def _layout(spec: str, what: str) -> list[str]:
    axes = spec.split() if isinstance(spec, str) else []
    if sorted(axes) != sorted(NAMES):
        raise ValueError(f"{what} must name the axes batch, seq and feature once each, e.g. "
                         f"'seq batch feature', not {spec!r}.")
    return axes


# the layouts a learner meets (default LSTM, batch_first/Keras, nn.Conv1d), in both directions: a
# hard-coded transpose(0, 1) or the inverse permutation passes the first pair but not the others
LAYOUT_PAIRS = (
    ("seq batch feature", "batch seq feature"),
    ("seq batch feature", "batch feature seq"),
    ("batch feature seq", "seq batch feature"),
)


@also_other_sizes(dict(batch=3, seq=5, feature=2))
def check_to_layout(to_layout, *, src: str | None = None, dst: str | None = None,
                    batch: int = 4, seq: int = 7, feature: int = 3) -> None:
    """to_layout(x, src, dst): x with axes named by src -> the same numbers with axes in dst order.

    Without src and dst, the three pairs of LAYOUT_PAIRS are checked one after the other.
    """
    __tracebackhide__ = True
    if src is None and dst is None:
        pairs = LAYOUT_PAIRS
    else:
        pairs = ((src or "seq batch feature", dst or "batch seq feature"),)
    done = []
    for s, d in pairs:
        done.append(_check_one_layout(to_layout, s, d, batch, seq, feature))
    passed(f"to_layout: {', '.join(done)}: every number with its own sequence and step")


def _check_one_layout(to_layout, src: str, dst: str, batch: int, seq: int, feature: int) -> str:
    __tracebackhide__ = True
    src_axes, dst_axes = _layout(src, "src"), _layout(dst, "dst")
    sizes = {"batch": batch, "seq": seq, "feature": feature}
    if len(set(sizes.values())) != 3 or seq > 9 or feature > 9:
        raise ValueError("use three different sizes (seq and feature below 10) so no swap can hide")
    base = coded(batch, seq, feature)
    x = base.permute(*[NAMES.index(a) for a in src_axes]).contiguous()
    original = x.clone()
    try:
        with calling("to_layout"):
            got = to_layout(x, src, dst)
    except IndexError as err:
        if "Dimension out of range" not in str(err):
            raise
        raise CheckFailed(
            f"to_layout(x, {src!r}, {dst!r}) failed: IndexError: {str(err).splitlines()[0]}\n"
            "  permute takes axis numbers 0, 1, 2. src.index('batch') on the string counts letters\n"
            f"  ({src!r}.index('batch') is {src.index('batch')}); on the list of names it gives the axis.\n"
            f"  Fix:  src_axes = src.split()    then    src_axes.index('batch') is {src_axes.index('batch')}"
        ) from None
    require_tensor(got, "result")
    require(
        torch.equal(x, original),
        "to_layout() changed the x it was given (an in-place operation such as transpose_ or t_).\n"
        "  Fix:  return x.permute(...)    (a new view; x stays as it was)",
    )
    dims = tuple(src_axes.index(a) for a in dst_axes)
    fix = f"x.permute{dims}    (dims[i] = where the i-th axis of dst sits in src)"
    if dims == (1, 0, 2):
        fix = "x.transpose(0, 1)    or    " + fix
    if dims == (0, 1, 2):
        fix = "return x    (src and dst name the same order: nothing moves)"
    call = f"to_layout(x, {src!r}, {dst!r})"
    want_shape = tuple(sizes[a] for a in dst_axes)
    if tuple(got.shape) != want_shape:
        _explain_axis_order(got, call, src_axes, dst_axes, sizes, fix)
    _check_layout_values(got, base, x, call, dst_axes, want_shape, fix)
    return f"{axes_text(src_axes)} -> {axes_text(dst_axes)}"


def _explain_axis_order(got, call, src_axes, dst_axes, sizes, fix) -> None:
    """The result has another shape: the axes in the order of src, the inverse permutation, ..."""
    __tracebackhide__ = True
    want_shape = tuple(sizes[a] for a in dst_axes)
    got_shape = tuple(got.shape)
    if got.dim() == 3 and sorted(got_shape) == sorted(want_shape):
        by_size = {v: k for k, v in sizes.items()}
        got_axes = [by_size[s] for s in got_shape]
        inverse = [src_axes[dst_axes.index(a)] for a in src_axes]
        if got_axes == src_axes:
            cause = "The axes are still in the order of src: nothing moved."
        elif got_axes == inverse:
            wrong = tuple(dst_axes.index(a) for a in src_axes)
            cause = (
                f"permute{wrong} is the inverse. permute(*dims) builds the result axis by axis: result axis i\n"
                "  is x's axis dims[i]. So dims lists, for each axis of dst, its position in src,\n"
                "  not, for each axis of src, its position in dst."
            )
        elif got_axes == [src_axes[1], src_axes[0], src_axes[2]]:
            cause = (f"That is x.transpose(0, 1), order {axes_text(got_axes)}: right only when dst swaps the first\n"
                     "  two axes of src. Build the order from the names: src.split() and dst.split().")
        else:
            cause = f"The axes came out in the order {axes_text(got_axes)}, but dst is {axes_text(dst_axes)}."
        raise CheckFailed(
            f"{call} returned the axes in the wrong order:\n"
            f"  expected {named(dst_axes, want_shape)}, got {fmt(got_shape)} = {named(got_axes, got_shape)}.\n"
            f"  {cause}\n"
            f"  Fix:  {fix}"
        )
    check_shape(got, " ".join(dst_axes), name="result", **sizes)


def _check_layout_values(got, base, x, call, dst_axes, want_shape, fix) -> None:
    """Every number with its own sequence, step and feature; a view/reshape scrambles them."""
    __tracebackhide__ = True
    want = base.permute(*[NAMES.index(a) for a in dst_axes])
    got = got.detach().to(want.dtype)
    if not torch.equal(got, want):
        idx = tuple(int(i) for i in (got != want).nonzero()[0])
        if torch.equal(got.reshape(-1), x.reshape(-1)):
            cause = (
                "view/reshape keeps the numbers in memory order and only re-reads them with the new shape,\n"
                "  so steps of different sequences get mixed. PyTorch raises no error: the sizes fit.\n"
                "  transpose/permute move every number along with its axis."
            )
        else:
            cause = "The result should hold the same numbers as x, each with its own sequence, step and feature."
        raise CheckFailed(
            f"{call} has the right shape, {fmt(want_shape)}, but the values are scrambled:\n"
            f"  result{list(idx)} should be {_decode(want[idx])}, but it holds {_decode(got[idx])}.\n"
            f"  {cause}\n"
            f"  Fix:  {fix}"
        )


# --- exercise 2: keras_lstm --------------------------------------------------------------------


@also_other_sizes(dict(batch=3, seq=5, feature=2, hidden=6))
def check_keras_lstm(keras_lstm, *, batch: int = 4, seq: int = 7, feature: int = 3, hidden: int = 5,
                     num_layers: int = 2) -> None:
    """keras_lstm(lstm, x (batch, seq, feature), return_sequences) -> what Keras' LSTM returns.

    Two layers by default, so that h_n[0] (the first layer) cannot pass for h_n[-1].
    """
    __tracebackhide__ = True
    g = generator(100 * batch + 10 * seq + feature)
    for batch_first in (True, False):
        for return_sequences in (True, False):
            with seeded(2 + num_layers):
                lstm = nn.LSTM(feature, hidden, num_layers=num_layers, batch_first=batch_first)
                ref = nn.LSTM(feature, hidden, num_layers=num_layers, batch_first=True)
            x = torch.randn(batch, seq, feature, generator=g)
            ref.load_state_dict(lstm.state_dict())
            with torch.no_grad():
                out, (h_n, _) = ref(x)
            call = (f"keras_lstm(lstm, x, return_sequences={return_sequences}) with an "
                    f"nn.LSTM(batch_first={batch_first})")
            given = x.clone()
            kept = keep(x=given)
            with calling("keras_lstm"):
                got = keras_lstm(lstm, given, return_sequences)
            require_unchanged(f"keras_lstm(lstm, x, return_sequences={return_sequences})", kept, x=given)
            require(
                lstm.batch_first == batch_first,
                f"keras_lstm() set lstm.batch_first = {lstm.batch_first} on the nn.LSTM it was given (built with "
                f"batch_first={batch_first}).\n"
                f"  The result may be right this once, but the caller's LSTM now reads every later input as "
                f"{'(batch, seq, feature)' if lstm.batch_first else '(seq, batch, feature)'},\n"
                "  and code that feeds it the layout it was built for runs on, scrambled, without an error.\n"
                "  Fix:  leave lstm as it is:  out, _ = lstm(x.transpose(0, 1));  out = out.transpose(0, 1)"
                "    (when not lstm.batch_first)",
            )
            require_tensor(got, "the result")
            want = out if return_sequences else out[:, -1]
            if close(got, want):
                continue
            for candidate, message in _keras_mistakes(lstm, x, out, h_n, batch_first, return_sequences):
                if close(got, candidate):
                    raise CheckFailed(f"{call} returned {fmt(got.shape)}.\n{message}")
            if return_sequences:
                check_shape(got, "batch seq hidden", batch=batch, seq=seq, hidden=hidden, name="result")
            else:
                check_shape(got, "batch hidden", batch=batch, hidden=hidden, name="result")
            steps = [t for t in range(seq) if close(got, out[:, t])] if not return_sequences else []
            if steps:
                raise CheckFailed(
                    f"{call} returned out[:, {steps[0]}], step {steps[0]} of every sequence; the last step is "
                    f"{seq - 1}.\n  A step number written into the code is right for one length only.\n"
                    "  Fix:  out[:, -1]    on out in (batch, seq, hidden)"
                )
            raise CheckFailed(
                f"{call} has the right shape, {fmt(got.shape)}, but other values than the LSTM\n"
                f"  run on x in the layout it reads (off by up to {(got.detach().float() - want).abs().max():.3g})."
            )
    passed(f"keras_lstm: (batch={batch}, seq={seq}, feature={feature}) -> out or its last step, "
           f"for both batch_first settings ({num_layers} layer{'s' if num_layers > 1 else ''})")


def _keras_mistakes(lstm, x, out, h_n, batch_first, return_sequences):
    """(wrong result, message) pairs for the mistakes people make; message lines start indented."""
    batch, seq, feature = x.shape
    last_sequence = (
        f"  That is all {seq} steps of the last sequence, not the last step of every sequence:\n"
        "  in (batch, seq, hidden) out[-1] indexes the batch axis. The last step is out[:, -1]\n"
        "  (in (seq, batch, hidden) it is out[-1]), and for this LSTM it equals h_n[-1].\n"
        "  Fix:  out[:, -1]    on out in (batch, seq, hidden)    or    h_n[-1]"
    )
    if return_sequences:
        yield out[:, -1], (
            "  That is the last step only. return_sequences=True returns every step, (batch, seq, hidden).\n"
            "  Fix:  return out    (in (batch, seq, hidden))"
        )
    else:
        yield out[-1], last_sequence
        yield out, (
            "  That is every step. return_sequences=False returns only the last step, (batch, hidden).\n"
            "  Fix:  out[:, -1]    on out in (batch, seq, hidden)    or    h_n[-1]"
        )
        yield h_n, (
            "  That is h_n, which has a (layers x directions) axis first: one row per layer.\n"
            "  Fix:  h_n[-1]    (the last layer, (batch, hidden))"
        )
        if h_n.shape[0] > 1:
            yield h_n[0], (
                f"  That is h_n[0], the final state of the FIRST of {h_n.shape[0]} layers. Keras' output is the last\n"
                "  layer's: h_n is (layers, batch, hidden), so the last layer is h_n[-1].\n"
                "  Fix:  h_n[-1]    or    out[:, -1]    on out in (batch, seq, hidden)"
            )
    if batch_first:
        yield from _keras_batch_first_mistakes(lstm, x, return_sequences)
    else:
        yield from _keras_seq_first_mistakes(lstm, x, out, return_sequences)


def _keras_batch_first_mistakes(lstm, x, return_sequences):
    """A batch_first=True LSTM given x transposed: it read seq sequences of batch steps."""
    batch, seq, feature = x.shape
    with torch.no_grad():
        read_wrong, _ = lstm(x.transpose(0, 1))  # a batch_first LSTM given (seq, batch, feature)
    transposed = (
        f"  lstm was built with batch_first=True: it already reads (batch, seq, feature). Transposing x made it\n"
        f"  read {seq} sequences of {batch} steps. Transpose only when lstm.batch_first is False.\n"
        "  Fix:  if lstm.batch_first:  out, _ = lstm(x)"
    )
    if return_sequences:
        yield read_wrong.transpose(0, 1), transposed
        yield read_wrong, transposed
    else:
        yield read_wrong[-1], transposed      # out.transpose(0, 1)[:, -1]
        yield read_wrong[:, -1], transposed


def _keras_seq_first_mistakes(lstm, x, out, return_sequences):
    """A batch_first=False LSTM given x as it is, or rearranged with view/reshape, or its out reshaped."""
    batch, seq, feature = x.shape
    with torch.no_grad():
        raw, _ = lstm(x)  # the (batch, seq, feature) tensor read as (seq, batch, feature)
        viewed, _ = lstm(x.reshape(seq, batch, feature))
    not_moved = (
        f"  lstm was built with batch_first=False, so it read x (batch={batch}, seq={seq}, feature={feature}) as\n"
        f"  {batch} time steps of {seq} sequences. PyTorch raises no error because the sizes fit.\n"
        "  Fix:  out, _ = lstm(x.transpose(0, 1));  out = out.transpose(0, 1)    when not lstm.batch_first"
    )
    scrambled = (
        "  x was rearranged with view/reshape: the shape fits (seq, batch, feature), but each 'sequence' the\n"
        "  LSTM read mixes steps of different sequences. view keeps memory order; transpose moves the numbers.\n"
        "  Fix:  out, _ = lstm(x.transpose(0, 1));  out = out.transpose(0, 1)"
    )
    with torch.no_grad():
        out_sf, _ = lstm(x.transpose(0, 1))  # right input, (seq, batch, hidden) output
    reshaped_out = (
        f"  x went in right, but out ({seq}, {batch}, hidden) was brought back with view/reshape to ({batch}, {seq}, hidden):\n"
        "  the shape fits, but each row mixes steps of different sequences. view keeps memory order;\n"
        "  transpose moves the numbers.\n"
        "  Fix:  out = out.transpose(0, 1)    (not out.view(batch, seq, -1))"
    )
    if return_sequences:
        yield out_sf.reshape(batch, seq, -1), reshaped_out
        yield raw, not_moved
        yield raw.transpose(0, 1), not_moved
        yield out.transpose(0, 1), (
            "  That is (seq, batch, hidden), the layout of a batch_first=False LSTM. Keras returns (batch, seq, hidden).\n"
            "  Fix:  out = out.transpose(0, 1)    before returning it"
        )
        yield viewed.transpose(0, 1), scrambled
        yield viewed.reshape(batch, seq, -1), scrambled
    else:
        yield out_sf.reshape(batch, seq, -1)[:, -1], reshaped_out
        yield raw[-1], not_moved
        yield raw[:, -1], not_moved
        yield viewed[-1], scrambled
        yield viewed.transpose(0, 1)[:, -1], scrambled
        yield viewed.reshape(batch, seq, -1)[:, -1], scrambled


# --- exercise 3: make_windows ------------------------------------------------------------------


def _hour_list(row) -> str:
    hours = hours_of(row)
    if len(hours) > 1 and hours == list(range(hours[0], hours[0] + len(hours))):
        return f"hours {hours[0]}..{hours[-1]}"
    return "hours " + str(hours[:10])[1:-1] + (" ..." if len(hours) > 10 else "")


def _count_message(call, got_n, n, hours, seq, horizon, name="inputs", univariate=False):
    if univariate:
        formula = f"hours - seq = {hours} - {seq} = {n} for a series of {hours} hours"
        fix = "n = len(series) - seq;  window i is series[i : i + seq]"
    else:
        formula = f"hours - seq - horizon + 1 = {hours} - {seq} - {horizon} + 1 = {n} for a series of {hours} hours"
        fix = "n = len(series) - seq - horizon + 1;  window i is series[i : i + seq]"
    if got_n > n:
        why = (f"The last window that still has a target starts at hour {n - 1}: its target is hour "
               f"{n - 1 + seq + horizon - 1}, the last of the series. Windows after it have no target.")
    elif got_n == hours // seq:
        why = ("These look like non-overlapping blocks. Windows overlap: one starts at every hour "
               "(series.view(-1, seq, feature) cuts blocks, not windows).")
    else:
        why = (f"Windows are missing: one starts at every hour 0, 1, ..., {n - 1} "
               f"(the last one ends at hour {n - 1 + seq - 1}, its target is hour {hours - 1}).")
    return (
        f"{call}: {name} has {got_n} rows, one per window, but there should be {n} windows:\n"
        f"  {formula}.\n"
        f"  {why}\n"
        f"  Fix:  {fix}"
    )


def _check_window_values(call, inputs, series, n, seq):
    __tracebackhide__ = True
    want = windows(series, n, seq)
    bad = first_mismatch(inputs, want)
    if bad is None:
        return
    got_hours = hours_of(inputs[bad, :, 0])
    if got_hours == list(range(bad, bad + seq)):
        cause = ("Its hours are right but the features are not: each step should hold all features of "
                 "that hour, in column order.")
    elif got_hours == list(range(got_hours[0], got_hours[0] + seq)):
        cause = (f"Window {bad} starts at hour {got_hours[0]}: windows start one hour apart, "
                 f"window i at hour i.")
    else:
        cause = "The steps of a window should be consecutive hours."
    raise CheckFailed(
        f"{call}: inputs[{bad}] should be {_hour_list(want[bad, :, 0])} of the series, but it holds "
        f"{_hour_list(inputs[bad, :, 0])}.\n"
        f"  {cause}\n"
        "  Fix:  window i is series[i : i + seq]"
    )


def _check_target_values(call, targets, series, n, seq, horizon, univariate=False):
    __tracebackhide__ = True
    first = seq + horizon - 1
    want = series[first : first + n]
    if torch.equal(targets, want):
        return
    bad = next(i for i in range(n) if not torch.equal(targets[i], want[i]))
    got_hour = int(targets[bad].reshape(-1)[0]) // 10
    want_hour = bad + first
    covers = f"window {bad} covers hours {bad}..{bad + seq - 1}"
    if got_hour == want_hour:
        cause = "The hour is right but not its features: the target holds every feature of that hour."
    elif bad <= got_hour <= bad + seq - 1:
        cause = (f"Hour {got_hour} is inside the window: the model would be asked for a number it already "
                 "sees in its input.")
    elif horizon > 1 and got_hour == bad + seq:
        cause = f"That is the next hour: horizon={horizon} was ignored."
    elif got_hour == want_hour + 1:
        cause = "That is one hour too late."
    else:
        cause = f"The target of window i is hour i + seq + horizon - 1 = i + {first}."
    if bad > 0 and got_hour == want_hour - bad:
        cause = "Every window got the target of window 0: the target moves with the window."
    raise CheckFailed(
        f"{call}: targets[{bad}] should be hour {want_hour}, but it is hour {got_hour}.\n"
        f"  {covers[0].upper() + covers[1:]}, and the target comes {horizon} hour{'s' if horizon > 1 else ''} after its last hour.\n"
        f"  {cause}\n"
        + ("  Fix:  targets[i] = series[i + seq]    (the hour right after the window)" if univariate else
           "  Fix:  targets[i] = series[i + seq + horizon - 1]    (horizon=1: the hour right after the window)")
    )


def _window_length(call, shape, n, seq, feature, univariate=False):
    """A window of seq + 1 or seq - 1 hours: the slice end taken as included or one too far."""
    __tracebackhide__ = True
    if len(shape) == 3 and shape[2] == feature and shape[1] in (seq - 1, seq + 1) and shape[1] != n:
        if shape[1] == seq + 1:
            why = (f"each window has {seq + 1} hours, one too many: series[i : i + seq + 1] runs into the hour after\n"
                   f"  the window, which is the target{'' if univariate else ' (for horizon=1)'}. "
                   "The model would see the answer in its input.")
        else:
            why = (f"each window has {seq - 1} hours, one too few: the end of a slice is not included,\n"
                   f"  so series[i : i + seq] already holds the {seq} hours i, ..., i + seq - 1.")
        raise CheckFailed(
            f"{call}: inputs should be {named(NAMES, (n, seq, feature))}, but its shape is {fmt(shape)}:\n"
            f"  {why}\n"
            "  Fix:  window i is series[i : i + seq]"
        )


def check_make_windows(make_windows, *, hours: int = 30, seq: int = 7, feature: int = 3,
                       horizon: int | None = None) -> None:
    """make_windows(series (hours, feature), seq, horizon) -> inputs (batch, seq, feature), targets (batch, feature).

    Without horizon, horizon=1 and horizon=2 are checked (where a window fits), so an answer that
    ignores horizon cannot pass.
    """
    __tracebackhide__ = True
    if feature > 9:
        raise ValueError("feature must be below 10 for the coded series")
    if horizon is None:
        horizons = [h for h in (1, 2) if hours - seq - h + 1 >= 1]
    else:
        horizons = [horizon]
    counts = []
    for h in horizons:
        counts.append(_check_windows_once(make_windows, hours, seq, feature, h))
    first = (f"make_windows: {counts[0]} window{'s' if counts[0] != 1 else ''} (batch={counts[0]}, seq={seq}, "
             f"feature={feature}), each target {horizons[0]} hour{'s' if horizons[0] > 1 else ''} after its window")
    more = "".join(f"; horizon={h}: {n} window{'s' if n != 1 else ''}, {h} hours after"
                   for h, n in zip(horizons[1:], counts[1:], strict=True))
    passed(first + more)


def _check_windows_once(make_windows, hours: int, seq: int, feature: int, horizon: int) -> int:
    __tracebackhide__ = True
    series = coded_series(hours, feature)
    n = hours - seq - horizon + 1
    call = f"make_windows(series, seq={seq}, horizon={horizon})"
    given = series.clone()
    kept = keep(series=given)
    with calling("make_windows"):
        result = make_windows(given, seq, horizon=horizon)
    require_unchanged(call, kept, series=given)
    require(
        isinstance(result, tuple) and len(result) == 2,
        f"make_windows() should return two tensors, (inputs, targets), but it returned {type(result).__name__}.\n"
        "  Fix:  return inputs, targets",
    )
    inputs, targets = result
    require_tensor(inputs, "inputs")
    require_tensor(targets, "targets")
    shape = tuple(inputs.shape)
    if inputs.dim() == 3 and shape[1:] == (feature, seq) and seq != feature:
        raise CheckFailed(
            f"{call}: inputs should be {named(NAMES, (n, seq, feature))}, but its shape is {fmt(shape)}:\n"
            "  seq and feature are swapped. Tensor.unfold(0, seq, 1) puts the window axis last, (batch, feature, seq).\n"
            "  Fix:  inputs = inputs.transpose(1, 2)"
        )
    if inputs.dim() == 3 and shape[1:] == (seq, feature) and shape[0] != n:
        raise CheckFailed(_count_message(call, shape[0], n, hours, seq, horizon))
    _window_length(call, shape, n, seq, feature)
    if shape == (seq, n, feature) and seq != n:
        raise CheckFailed(
            f"{call}: inputs should be {named(NAMES, (n, seq, feature))}, but its shape is {fmt(shape)}:\n"
            "  seq and batch are swapped: the windows should be stacked along a new first axis.\n"
            "  Fix:  torch.stack([series[i : i + seq] for i in range(n)])    (dim=0, the default)"
        )
    check_shape(inputs, "batch seq feature", batch=n, seq=seq, feature=feature, name="inputs")
    _check_window_values(call, inputs.detach(), series, n, seq)
    tshape = tuple(targets.shape)
    if targets.dim() == 3 and tshape[0] == n and tshape[2] == feature and tshape[1] > 1:
        raise CheckFailed(
            f"{call}: targets should be {named(('batch', 'feature'), (n, feature))}, but its shape is {fmt(tshape)}.\n"
            "  That is a whole window per target; the target of a window is one hour.\n"
            "  Fix:  targets[i] = series[i + seq + horizon - 1]"
        )
    if targets.dim() == 2 and tshape[1] == feature and tshape[0] != n:
        raise CheckFailed(_count_message(call, tshape[0], n, hours, seq, horizon, name="targets")
                          + "\n  (inputs and targets need one row per window each)")
    if feature > 1 and tshape[:1] == (n,) and (targets.dim() == 1 or (targets.dim() == 2 and tshape[1] < feature)):
        raise CheckFailed(
            f"{call}: targets should be {named(('batch', 'feature'), (n, feature))}, but its shape is {fmt(tshape)}.\n"
            f"  The target of a window is the whole hour it predicts: all {feature} features of that hour,\n"
            "  one row of the series, not some of its columns.\n"
            "  Fix:  targets[i] = series[i + seq + horizon - 1]    (the whole row)"
        )
    check_shape(targets, "batch feature", batch=n, feature=feature, name="targets")
    _check_target_values(call, targets.detach(), series, n, seq, horizon)
    return n


# --- exercise 4: univariate_windows ------------------------------------------------------------


def check_univariate_windows(univariate_windows, *, hours: int = 30, seq: int = 7) -> None:
    """univariate_windows(series (hours,), seq) -> inputs (batch, seq, 1), targets (batch, 1)."""
    __tracebackhide__ = True
    series = coded_series(hours, 1)[:, 0]
    n = hours - seq
    call = f"univariate_windows(series, seq={seq})"
    given = series.clone()
    kept = keep(series=given)
    with calling("univariate_windows"):
        result = univariate_windows(given, seq)
    require_unchanged(call, kept, series=given)
    require(
        isinstance(result, tuple) and len(result) == 2,
        f"univariate_windows() should return two tensors, (inputs, targets), but it returned "
        f"{type(result).__name__}.\n  Fix:  return inputs, targets",
    )
    inputs, targets = result
    require_tensor(inputs, "inputs")
    require_tensor(targets, "targets")
    _explain_univariate_inputs(call, tuple(inputs.shape), n, seq)
    if inputs.dim() == 3 and inputs.shape[1:] == (seq, 1) and inputs.shape[0] != n:
        raise CheckFailed(_count_message(call, inputs.shape[0], n, hours, seq, 1, univariate=True))
    _window_length(call, tuple(inputs.shape), n, seq, 1, univariate=True)
    check_shape(inputs, "batch seq feature", batch=n, seq=seq, feature=1, name="inputs")
    _check_window_values(call, inputs.detach(), series.unsqueeze(-1), n, seq)
    tshape = tuple(targets.shape)
    if tshape == (n,):
        raise CheckFailed(
            f"{call}: targets should be (batch={n}, feature=1), but its shape is ({n},).\n"
            "  A head nn.Linear(hidden, 1) predicts (batch, 1); nn.MSELoss() of (batch, 1) against (batch,)\n"
            "  broadcasts to (batch, batch) and only warns, so the loss is wrong.\n"
            "  Fix:  targets = targets.unsqueeze(-1)"
        )
    if targets.dim() == 2 and tshape[1] == 1 and tshape[0] != n:
        raise CheckFailed(_count_message(call, tshape[0], n, hours, seq, 1, name="targets", univariate=True)
                          + "\n  (inputs and targets need one row per window each)")
    check_shape(targets, "batch feature", batch=n, feature=1, name="targets")
    _check_target_values(call, targets.detach(), series.unsqueeze(-1), n, seq, 1, univariate=True)
    passed(f"univariate_windows: inputs (batch={n}, seq={seq}, feature=1), targets (batch={n}, feature=1)")


def _explain_univariate_inputs(call, shape, n, seq) -> None:
    """inputs without the feature axis, with it in the wrong place, or seq and batch swapped."""
    __tracebackhide__ = True
    want = named(NAMES, (n, seq, 1))
    if shape != (n, seq, 1) and shape == (n, seq):
        raise CheckFailed(
            f"{call}: inputs should be {want}, but its shape is {fmt(shape)}.\n"
            f"  That is (batch={n}, seq={seq}): the feature axis is missing. One number per step still needs one:\n"
            "  nn.LSTM(input_size=1) given a 2-D tensor reads it as ONE sequence (seq, feature) and fails with\n"
            f"  'input.size(-1) must be equal to input_size. Expected 1, got {seq}'.\n"
            "  Fix:  inputs = inputs.unsqueeze(-1)"
        )
    if shape != (n, seq, 1) and shape == (n, 1, seq):
        raise CheckFailed(
            f"{call}: inputs should be {want}, but its shape is {fmt(shape)}.\n"
            "  The axis of size 1 sits between batch and seq (unsqueeze(1)), so the LSTM would see\n"
            f"  1 step of {seq} features per sequence. The feature axis comes last.\n"
            "  Fix:  inputs = inputs.unsqueeze(-1)    (not unsqueeze(1), on the (batch, seq) windows)"
        )
    if shape != (n, seq, 1) and shape == (1, n, seq):
        raise CheckFailed(
            f"{call}: inputs should be {want}, but its shape is {fmt(shape)}.\n"
            f"  unsqueeze(0) adds an axis in front: the LSTM would see 1 sequence of {n} steps\n"
            f"  with {seq} features each. The axis of size 1 is the feature axis: it comes last.\n"
            "  Fix:  inputs = inputs.unsqueeze(-1)    (not unsqueeze(0), on the (batch, seq) windows)"
        )
    if shape == (seq, n, 1) and seq != n:
        raise CheckFailed(
            f"{call}: inputs should be {want}, but its shape is {fmt(shape)}:\n"
            "  seq and batch are swapped: the windows should be stacked along a new first axis.\n"
            "  Fix:  torch.stack([series[i : i + seq] for i in range(n)]).unsqueeze(-1)"
        )
