"""Graded checks for notebook 04, outputs and state.

Each check builds its own nn.LSTM and input, calls the learner's function, and compares with what
PyTorch's own nn.LSTM returns for one full run (out, h_n, c_n). Failures name the suspect (which
axis, which layer, h_n or c_n, which chunk) and end with a `Fix:` line. Keyword arguments let
hidden tests vary sizes, layers, directions, dtype and chunk length.
"""

from __future__ import annotations

import copy
import re

import torch

from ..shapes import check_shape
from .common import (
    ATOL,
    CheckFailed,
    calling,
    close,
    keep,
    passed,
    require,
    require_tensor,
    require_unchanged,
    seeded_lstm,
    seeded_randn,
)


def _layout(batch_first: bool) -> str:
    return "batch_first=True, out is (batch, seq, hidden)" if batch_first else \
        "batch_first=False, out is (seq, batch, hidden)"


# --- exercise 1: last_output ---------------------------------------------------------------------


def check_last_output(last_output, *, batch: int = 4, seq: int = 7, feature: int = 3,
                      hidden: int = 5, layouts=(False, True)) -> None:
    """last_output(out, batch_first) -> (batch, hidden): every sequence's output at its last step."""
    __tracebackhide__ = True
    for batch_first in layouts:
        lstm = seeded_lstm(feature, hidden, batch_first=batch_first)
        x = seeded_randn(*((batch, seq) if batch_first else (seq, batch)), feature)
        with torch.no_grad():
            out, (h_n, c_n) = lstm(x)
        given = out.clone()
        kept = keep(out=given)
        with calling("last_output"):
            last = last_output(given, batch_first)
        require_unchanged(f"last_output(out, batch_first={batch_first})", kept, out=given)
        require_tensor(last, "last")
        wrong_axis = out[-1] if batch_first else out[:, -1]
        right = out[:, -1] if batch_first else out[-1]
        if not close(last, right) and close(last, wrong_axis):
            if batch_first:
                raise CheckFailed(
                    f"with {_layout(True)}: out[-1] is the last *sequence* of the batch with all its "
                    f"{seq} steps, shape (seq={seq}, hidden={hidden}), not the last step of every sequence.\n"
                    "  The step axis is axis 1 when batch_first=True.\n"
                    "  Fix:  out[:, -1]    (or look at batch_first: out[:, -1] if batch_first else out[-1])"
                )
            raise CheckFailed(
                f"with {_layout(False)}: out[:, -1] is the last *sequence* of the batch with all its "
                f"{seq} steps, shape (seq={seq}, hidden={hidden}), not the last step of every sequence.\n"
                "  The step axis is axis 0 when batch_first=False (the default).\n"
                "  Fix:  out[-1]    (or look at batch_first: out[:, -1] if batch_first else out[-1])"
            )
        if not close(last, right) and (close(last, out[..., -1]) or close(last, out[..., -1].T)):
            raise CheckFailed(
                f"last_output() returned out[..., -1]: the last number of the hidden axis at every step, "
                f"shape {tuple(out[..., -1].shape)}, not the last step.\n"
                f"  The last axis of out is hidden (the {hidden} numbers of each step); the steps are axis "
                f"{1 if batch_first else 0} here ({_layout(batch_first)}).\n"
                f"  Fix:  {'out[:, -1]' if batch_first else 'out[-1]'}"
            )
        check_shape(last, "batch hidden", batch=batch, hidden=hidden, name="last")
        first = out[:, 0] if batch_first else out[0]
        if not close(last, right) and close(last, first):
            raise CheckFailed(
                "last_output() returned the output at the FIRST step (index 0), not the last.\n"
                f"  Fix:  {'out[:, -1]' if batch_first else 'out[-1]'}"
            )
        require(
            close(last, right),
            f"with {_layout(batch_first)}, last_output() should return the output at the last step, "
            f"which equals h_n[-1] of this one-layer LSTM, but it returned other numbers.\n"
            f"  Fix:  {'out[:, -1]' if batch_first else 'out[-1]'}",
        )
        # The property the notebook teaches, checked on PyTorch's own result:
        assert torch.equal(right, h_n[-1])
    passed(f"last_output: (batch={batch}, hidden={hidden}) from out in "
           f"{' and '.join('batch-first' if b else 'seq-first' for b in layouts)} layout, equal to h_n[-1]")


# --- exercise 2: final_hidden --------------------------------------------------------------------


def check_final_hidden(final_hidden, *, batch: int = 4, seq: int = 7, feature: int = 3,
                       hidden: int = 5, num_layers: int = 2, batch_first: bool = True) -> None:
    """final_hidden(lstm, x) -> (batch, hidden): the LAST layer's hidden state after the last step.
    Also run on an LSTM with one layer more, so that a row number fixed in the code shows up."""
    __tracebackhide__ = True
    for layers in (num_layers, num_layers + 1):
        _check_final_hidden_once(final_hidden, batch=batch, seq=seq, feature=feature, hidden=hidden,
                                 num_layers=layers, batch_first=batch_first)
    passed(f"final_hidden: h_n[-1], the last of {num_layers} layer{'s' if num_layers > 1 else ''} "
           f"(and of {num_layers + 1}), (batch={batch}, hidden={hidden}), "
           f"{'batch-first' if batch_first else 'seq-first'} input")


def _check_final_hidden_once(final_hidden, *, batch, seq, feature, hidden, num_layers, batch_first):
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, num_layers=num_layers, batch_first=batch_first, seed=2)
    x = seeded_randn(*((batch, seq) if batch_first else (seq, batch)), feature, seed=3)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x)
    given = x.clone()
    kept = keep(x=given)
    with calling("final_hidden"):
        got = final_hidden(lstm, given)
    require_unchanged("final_hidden(lstm, x)", kept, x=given)
    if isinstance(got, tuple) and len(got) == 2 and all(isinstance(t, torch.Tensor) for t in got):
        raise CheckFailed(
            "final_hidden() returned a pair of tensors, probably (h_n, c_n); it should return one "
            "tensor, the hidden state of the last layer.\n"
            "  Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]"
        )
    require_tensor(got, "h_last")
    got = got.detach()
    _explain_final_hidden_shape(got, out, h_n, c_n, batch=batch, seq=seq, hidden=hidden, num_layers=num_layers,
                                batch_first=batch_first)
    check_shape(got, "batch hidden", batch=batch, hidden=hidden, name="h_last")
    if close(got, h_n[-1]):
        assert close(h_n[-1], out[:, -1] if batch_first else out[-1])
        return
    _explain_final_hidden_values(got, h_n, c_n, batch=batch, hidden=hidden, num_layers=num_layers)


def _explain_final_hidden_shape(got, out, h_n, c_n, *, batch, seq, hidden, num_layers, batch_first) -> None:
    """The known mistakes that change the shape: all of h_n, the last sequence, layers reshaped."""
    __tracebackhide__ = True
    if got.dim() == 3 and got.shape == h_n.shape:
        which = "c_n" if close(got, c_n) else "h_n"
        raise CheckFailed(
            f"final_hidden() returned all of {which}, shape (layers={num_layers}, batch={batch}, "
            f"hidden={hidden}): one row per layer. The task asks for the last layer only.\n"
            "  Fix:  return h_n[-1]"
        )
    want = h_n[-1]
    wrong_step, wrong_code = (out[-1], "out[-1]") if batch_first else (out[:, -1], "out[:, -1]")
    if not close(got, want) and close(got, wrong_step):
        raise CheckFailed(
            f"final_hidden() returned {wrong_code}: with {_layout(batch_first)}, that is the last "
            f"*sequence* of the batch with all its {seq} steps, shape (seq={seq}, hidden={hidden}), "
            "not the last step of every sequence.\n"
            "  h_n[-1] needs no layout at all: h_n is (layers, batch, hidden) whatever batch_first says.\n"
            "  Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]"
        )
    if (num_layers > 1 and got.shape != want.shape and got.numel() == h_n.numel()
            and any(torch.allclose(got.flatten().sort().values, t.flatten().sort().values, atol=ATOL)
                    for t in (h_n, c_n))):
        raise CheckFailed(
            f"final_hidden() returned all {num_layers} layers' states, reshaped to {tuple(got.shape)} "
            f"(for example by h_n.view(batch, -1)): h_n holds one row per layer, and a reshape mixes "
            "them, it does not pick one.\n"
            "  The task asks for the last layer only, (batch, hidden).\n"
            "  Fix:  return h_n[-1]"
        )
    if not close(got, want) and close(got, h_n[:, -1]):
        raise CheckFailed(
            f"final_hidden() returned h_n[:, -1]: the last sequence of the batch, one row per layer,\n"
            f"  shape (layers={num_layers}, hidden={hidden}). batch_first does not apply to h_n: it is\n"
            "  (layers, batch, hidden) either way, so the last layer is h_n[-1].\n"
            "  Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]"
        )


def _explain_final_hidden_values(got, h_n, c_n, *, batch, hidden, num_layers) -> None:
    """The right shape, other values: the cell state, or another layer's h."""
    __tracebackhide__ = True
    for layer in range(num_layers):
        if close(got, c_n[layer]):
            raise CheckFailed(
                f"final_hidden() returned c_n[{layer}], the CELL state, not the hidden state h.\n"
                "  c is the LSTM's internal memory; h = o * tanh(c) is what it outputs (out holds h at "
                "every step, never c).\n"
                "  Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]"
            )
    for layer in range(num_layers - 1):
        if close(got, h_n[layer]):
            raise CheckFailed(
                f"final_hidden() returned h_n[{layer}], the final state of layer {layer}; this LSTM "
                f"has {num_layers} layers, and the last one is h_n[{num_layers - 1}] = h_n[-1].\n"
                "  h_n's first axis counts layers (from the input up), not time steps; h_n[-1] is the last\n"
                "  layer of any LSTM (the check also runs one with a layer more, where a fixed row number fails).\n"
                "  Fix:  return h_n[-1]"
            )
    raise CheckFailed(
        f"final_hidden() returned a tensor of the right shape (batch={batch}, hidden={hidden}), but its "
        "values are not the last layer's hidden state after the last step.\n"
        "  Run the LSTM on x as it is (no transpose: the LSTM was built for this layout), keep h_n.\n"
        "  Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]"
    )


# --- exercise 3: init_state ----------------------------------------------------------------------


# what the visible call tries: one layer batch-first; then 2 layers, bidirectional, seq-first, float64,
# with sizes that are not the notebook's (batch 4, hidden 5)
VISIBLE_STATES = ({}, dict(batch=3, feature=6, hidden=4, num_layers=2, bidirectional=True,
                           batch_first=False, dtype=torch.float64))


def check_init_state(init_state, **config) -> None:
    """init_state(lstm, batch) -> (h0, c0): zeros, (layers x directions, batch, hidden), lstm's dtype.

    Keywords (batch, feature, hidden, num_layers, bidirectional, batch_first, dtype, seq) pick one
    LSTM; without any, each configuration of VISIBLE_STATES is tried.
    """
    __tracebackhide__ = True
    for c in (VISIBLE_STATES if not config else (config,)):
        _check_init_state_once(init_state, **c)


def _check_init_state_once(init_state, *, batch: int = 4, feature: int = 3, hidden: int = 5,
                           num_layers: int = 1, bidirectional: bool = False, batch_first: bool = True,
                           dtype: torch.dtype = torch.float32, seq: int = 7) -> None:
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, num_layers=num_layers, batch_first=batch_first,
                       bidirectional=bidirectional, seed=4).to(dtype)
    d = 2 if bidirectional else 1
    rows = num_layers * d
    with calling("init_state"):
        state = init_state(lstm, batch)
    require(
        isinstance(state, tuple) and len(state) == 2,
        f"init_state() should return a pair (h0, c0), but it returned {type(state).__name__}"
        f"{' of ' + str(len(state)) + ' items' if isinstance(state, (tuple, list)) else ''}.\n"
        "  nn.LSTM takes its initial state as one tuple: lstm(x, (h0, c0)).\n"
        "  Fix:  return h0, c0",
    )
    for name, t in zip(("h0", "c0"), state, strict=True):
        _check_state_tensor(name, t, lstm, batch=batch, hidden=hidden, num_layers=num_layers,
                            bidirectional=bidirectional)
    h0, c0 = state
    x = seeded_randn(*((batch, seq) if batch_first else (seq, batch)), feature, seed=5, dtype=dtype)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0, c0))
        want, (want_h, want_c) = lstm(x)
    require(
        close(out, want) and close(h_n, want_h) and close(c_n, want_c),
        "lstm(x, (h0, c0)) with your state gives other results than lstm(x) with no state.",
    )
    _check_state_device(init_state, lstm, batch)
    kind = f"{num_layers} layer{'s' if num_layers > 1 else ''}{', bidirectional' if bidirectional else ''}"
    passed(f"init_state: zeros (layers x directions={rows}, batch={batch}, hidden={hidden}), "
           f"{str(dtype).replace('torch.', '')}, on the LSTM's device, for {kind}, batch_first={batch_first}")


def _check_state_tensor(name, t, lstm, *, batch, hidden, num_layers, bidirectional) -> None:
    """h0 or c0: (layers x directions, batch, hidden) zeros of the weights' dtype, on their device."""
    __tracebackhide__ = True
    rows = num_layers * (2 if bidirectional else 1)
    require_tensor(t, name)
    if t.dim() == 3 and t.shape == (batch, rows, hidden) and batch != rows:
        raise CheckFailed(
            f"{name} has shape {tuple(t.shape)}, read as (batch={batch}, layers={rows}, hidden={hidden}): "
            "the batch comes first.\n"
            "  The state is always (layers x directions, batch, hidden), also for an LSTM built with\n"
            "  batch_first=True: batch_first applies to x and out only.\n"
            "  nn.LSTM would say: RuntimeError: Expected hidden[0] size "
            f"({rows}, {batch}, {hidden}), got [{batch}, {rows}, {hidden}]\n"
            f"  Fix:  torch.zeros(lstm.num_layers * directions, batch, lstm.hidden_size)"
        )
    if bidirectional and t.dim() == 3 and t.shape[0] == num_layers and t.shape[1:] == (batch, hidden):
        raise CheckFailed(
            f"{name} has {num_layers} row(s) on its first axis, but this LSTM is bidirectional: it needs "
            f"one row per layer AND direction, {num_layers} x 2 = {rows}.\n"
            "  Fix:  directions = 2 if lstm.bidirectional else 1;  "
            "torch.zeros(lstm.num_layers * directions, batch, lstm.hidden_size)"
        )
    if (not bidirectional and t.dim() == 3 and t.shape[0] == 2 * num_layers
            and t.shape[1:] == (batch, hidden)):
        raise CheckFailed(
            f"{name} has {2 * num_layers} rows on its first axis, 2 per layer, but this LSTM is not "
            f"bidirectional: it has one direction, so {num_layers} x 1 = {rows} row(s).\n"
            "  Fix:  directions = 2 if lstm.bidirectional else 1;  "
            "torch.zeros(lstm.num_layers * directions, batch, lstm.hidden_size)"
        )
    check_shape(t, "layers batch hidden", layers=rows, batch=batch, hidden=hidden, name=name)
    require(
        not bool(t.detach().any()),
        f"{name} should be all zeros (what nn.LSTM uses when you pass no state), but it holds "
        "other values.\n"
        "  Any other start (ones, torch.randn, the leftover memory of torch.empty) changes what the "
        "LSTM computes.\n"
        "  Fix:  torch.zeros(...)    not torch.ones(...) / torch.randn(...) / torch.empty(...)",
    )
    weight = lstm.weight_ih_l0
    require(
        t.dtype == weight.dtype,
        f"{name} has dtype {t.dtype}, but the LSTM's weights are {weight.dtype}; nn.LSTM refuses "
        "a state of another dtype than its input.\n"
        "  Fix:  torch.zeros(..., dtype=lstm.weight_ih_l0.dtype, device=lstm.weight_ih_l0.device)",
    )
    require(
        t.device == weight.device,
        f"{name} is on {t.device}, but the LSTM's weights are on {weight.device}.\n"
        "  Fix:  torch.zeros(..., device=lstm.weight_ih_l0.device)",
    )


def _check_state_device(init_state, lstm, batch) -> None:
    """The state must be made on the LSTM's device. Without a GPU, PyTorch's 'meta' device (tensors
    with a shape and no numbers) stands in for one: a state made on the CPU is then caught here too."""
    __tracebackhide__ = True
    on_meta = copy.deepcopy(lstm).to("meta")
    weight = on_meta.weight_ih_l0
    with calling("init_state"):
        state = init_state(on_meta, batch)
    for name, t in zip(("h0", "c0"), state, strict=True):
        require(
            isinstance(t, torch.Tensor) and t.device == weight.device,
            f"{name} is made on the {getattr(t, 'device', None)} device, whatever device the LSTM is on: "
            "the check moved the LSTM to PyTorch's 'meta' device\n"
            "  (a stand-in for a GPU), and your state stayed behind. On a GPU, nn.LSTM then fails with\n"
            "  RuntimeError: Input and hidden tensors are not at the same device, found input tensor at "
            "cuda:0 and hidden tensor at cpu\n"
            "  Fix:  torch.zeros(..., dtype=lstm.weight_ih_l0.dtype, device=lstm.weight_ih_l0.device)",
        )


# --- exercise 4: run_in_chunks -------------------------------------------------------------------


def _chunked(lstm, x, chunk, state, carry):
    """Reference variants of a chunked run (no grad): how the state passes from chunk to chunk."""
    outs = []
    with torch.no_grad():
        for start in range(0, x.shape[1], chunk):
            out, (h, c) = lstm(x[:, start:start + chunk], state)
            outs.append(out)
            state = carry(h, c)
    return torch.cat(outs, dim=1)


_VARIANTS = [
    ("reset", lambda h, c: None,
     "each chunk starts again from zeros: the state the previous chunk ended with was not passed on.\n"
     "  Fix:  out_k, state = lstm(x_k, state)    (the same `state` variable, carried through the loop)"),
    ("only h", lambda h, c: (h, torch.zeros_like(c)),
     "only h is carried from chunk to chunk; c starts again from zeros. The LSTM's memory is the cell "
     "state c: to continue a sequence, carry both.\n"
     "  Fix:  state = (h_n.detach(), c_n.detach())"),
    ("only c", lambda h, c: (torch.zeros_like(h), c),
     "only c is carried from chunk to chunk; h starts again from zeros. To continue a sequence, carry both.\n"
     "  Fix:  state = (h_n.detach(), c_n.detach())"),
    ("swapped", lambda h, c: (c, h),
     "the state is carried as (c, h): h and c are swapped. nn.LSTM takes and returns (h, c) in that order.\n"
     "  Fix:  out_k, (h, c) = lstm(x_k, state);  state = (h.detach(), c.detach())"),
]


def _chunk_starts(out, x_in, seq) -> list[int]:
    """The steps where the learner's chunks start: step 0, and every step t whose output sends no
    gradient back to x[:, t - 1] (the state coming into t was detached)."""
    found = [0]
    for t in range(1, seq):
        g = torch.autograd.grad(out[:, t].sum(), x_in, retain_graph=True, allow_unused=True)[0]
        if g is None or not bool(g[:, t - 1].abs().amax() > 0):
            found.append(t)
    return found


def _grad_of_piece(lstm, x, chunk, state, carry, begin, end):
    """Reference: gradient of out[:, begin:end].sum() w.r.t. x when the state passes on as carry(h, c)."""
    x_in = x.clone().requires_grad_(True)
    outs = []
    for start in range(0, x.shape[1], chunk):
        out, (h, c) = lstm(x_in[:, start:start + chunk], state)
        outs.append(out)
        state = carry(h, c)
    return torch.autograd.grad(torch.cat(outs, dim=1)[:, begin:end].sum(), x_in)[0]


_LEAKS = [
    (lambda h, c: (h.detach(), c),
     "only h was detached: c, the cell state, still carries the graph of the chunks before."),
    (lambda h, c: (h, c.detach()),
     "only c was detached: h still carries the graph of the chunks before."),
]


def _explain_boundaries(found, starts, out, x_in, lstm, x, chunk, state0, seq):
    """The forward pass is right, but gradients cross chunk boundaries, or the chunks are cut elsewhere."""
    __tracebackhide__ = True
    fix = "  Fix:  state = (h.detach(), c.detach())    before the next chunk uses it"
    missing = [t for t in starts if t not in found]
    if missing:
        t = missing[0]
        k = t // chunk
        end = min(t + chunk, seq)
        gx = torch.autograd.grad(out[:, t:end].sum(), x_in, retain_graph=True)[0].detach()
        reach = int((gx[:, :t].abs().amax(dim=(0, 2)) > 0).nonzero()[0])
        where = (f"the loss of chunk {k} (steps {t}..{end - 1}) sends gradient back to step {reach} of x, "
                 f"in chunk {reach // chunk}.")
        for carry, what in _LEAKS:
            if torch.allclose(gx, _grad_of_piece(lstm, x, chunk, state0, carry, t, end), atol=ATOL):
                raise CheckFailed(f"the forward pass is right, but {where}\n  Cause: {what}\n{fix}")
    as_pieces = [0]
    for piece in torch.arange(seq).chunk(chunk)[:-1]:
        as_pieces.append(as_pieces[-1] + len(piece))
    if missing and len(found) == 1:
        also = ("\n  Or, if you cut x with x.chunk(n, dim=1): that makes n pieces, not pieces of n steps."
                if found == as_pieces else "")
        raise CheckFailed(
            f"the forward pass is right, but {where}\n"
            "  The state was passed on with its graph: every backward runs through all earlier chunks,\n"
            "  memory grows with every chunk, and a second backward raises 'Trying to backward through\n"
            "  the graph a second time'. (h.detach() returns a new tensor and leaves h as it is: assign it.)"
            f"{also}\n" + fix
        )
    hint = ("\n  x.chunk(n, dim=1) cuts x into n pieces, not into pieces of n steps."
            if found == as_pieces else "")
    raise CheckFailed(
        f"the forward pass is right, but your chunks start at steps {found}; with chunk={chunk} they start "
        f"at {starts}.\n  (Where the gradient stops, a chunk starts: the state passed into it was detached.)"
        f"{hint}\n"
        "  Fix:  for start in range(0, x.shape[1], chunk):  x_k = x[:, start:start + chunk]"
        "    or    x.split(chunk, dim=1)"
    )


def _explain_chunk_error(err: RuntimeError, batch: int, seq: int) -> None:
    """Two errors PyTorch raises for chunks cut or joined on the wrong axis; others are re-raised."""
    __tracebackhide__ = True
    msg = str(err)
    sizes = re.search(r"Expected hidden\[0\] size \((\d+), (\d+), \d+\), got \[(\d+), (\d+), \d+\]", msg)
    if sizes and sizes[2] != sizes[4]:
        raise CheckFailed(
            f"a chunk had another batch size than the state the chunk before ended with.\n"
            f"  PyTorch says: {msg}\n"
            f"  The chunks were cut along the batch axis: x is (batch={batch}, seq={seq}, feature), so "
            "x[start:start + chunk] takes sequences, not steps.\n"
            "  Fix:  x_k = x[:, start:start + chunk]    for start in range(0, x.shape[1], chunk)"
        ) from None
    if "Sizes of tensors must match except in dimension 0" in msg:
        raise CheckFailed(
            "torch.cat(outs) joined the chunks along dim 0, the batch axis; the chunks differ in their "
            "number of steps, so PyTorch refused.\n"
            f"  PyTorch says: {msg}\n"
            "  With batch_first=True the steps are axis 1.\n"
            "  Fix:  torch.cat(outs, dim=1)"
        ) from None
    raise err


def check_run_in_chunks(run_in_chunks, *, batch: int = 4, seq: int = 7, feature: int = 3,
                        hidden: int = 5, chunk: int = 2, num_layers: int = 1,
                        with_state: bool = False) -> None:
    """run_in_chunks(lstm, x, chunk, state=None) -> (out, (h_n, c_n)) equal to one full run;
    the state passed from chunk to chunk is detached, so no gradient reaches earlier chunks."""
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, num_layers=num_layers, batch_first=True, seed=6)
    x = seeded_randn(batch, seq, feature, seed=7)
    state0 = None
    if with_state:
        state0 = (seeded_randn(num_layers, batch, hidden, seed=8) * 0.5,
                  seeded_randn(num_layers, batch, hidden, seed=9))
    with torch.no_grad():
        want, (want_h, want_c) = lstm(x, state0)
    starts = list(range(0, seq, chunk))

    x_in = x.clone().requires_grad_(True)
    try:
        with calling("run_in_chunks"):
            if with_state:
                result = run_in_chunks(lstm, x_in, chunk, state=tuple(s.clone() for s in state0))
            else:
                result = run_in_chunks(lstm, x_in, chunk)
    except RuntimeError as err:
        _explain_chunk_error(err, batch, seq)
    out, h_n, c_n = _unpack_chunks(result)
    _check_chunk_shapes(out, h_n, c_n, want, starts, batch=batch, seq=seq, hidden=hidden, chunk=chunk,
                        num_layers=num_layers)
    # 1. The forward pass: the same numbers as one full run.
    if not close(out, want):
        _explain_chunk_values(out, want, lstm, x, chunk, state0, with_state)
    # 2. The final state.
    _check_chunk_state(h_n, c_n, want_h, want_c)
    # 3. The graph: every chunk's outputs keep their own graph, and no gradient crosses a boundary.
    _check_chunk_graph(out, h_n, c_n, x_in, lstm, x, chunk, state0, starts, seq)
    n_chunks = len(starts)
    passed(f"run_in_chunks: {n_chunks} chunk{'s' if n_chunks > 1 else ''} (chunk={chunk}) == one full run "
           f"(batch={batch}, seq={seq}, hidden={hidden}); no gradient crosses a chunk boundary")


def _unpack_chunks(result):
    __tracebackhide__ = True
    require(
        isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], tuple)
        and len(result[1]) == 2,
        f"run_in_chunks() should return what nn.LSTM returns, (out, (h_n, c_n)), but it returned "
        f"{type(result).__name__}{' of ' + str(len(result)) + ' items' if isinstance(result, tuple) else ''}.\n"
        "  Fix:  return torch.cat(outs, dim=1), state",
    )
    out, (h_n, c_n) = result
    require_tensor(out, "out")
    require_tensor(h_n, "h_n")
    require_tensor(c_n, "c_n")
    return out, h_n, c_n


def _check_chunk_shapes(out, h_n, c_n, want, starts, *, batch, seq, hidden, chunk, num_layers) -> None:
    """out (batch, seq, hidden): steps missing (the last chunk alone, a loop over the batch axis) or
    chunks stacked on the batch axis are named; h_n and c_n (layers, batch, hidden)."""
    __tracebackhide__ = True
    last_start, n_chunks = starts[-1], len(starts)
    if out.dim() == 3 and out.shape[0] == batch and out.shape[2] == hidden and out.shape[1] < seq:
        kept = out.shape[1]
        over_batch = min(seq, -(-batch // chunk) * chunk)      # steps a loop over range(0, batch, chunk) keeps
        fix = "  Fix:  for start in range(0, x.shape[1], chunk):  x_k = x[:, start:start + chunk]"
        if n_chunks > 1 and kept == seq - last_start and close(out, want[:, last_start:]):
            raise CheckFailed(
                f"out has {kept} steps, but x has seq={seq}: it holds the outputs of the last chunk only "
                f"(steps {last_start}..{seq - 1}).\n"
                "  Keep every chunk's out_k in a list and join them along the step axis at the end.\n"
                "  Fix:  outs.append(out_k)  in the loop,  then  return torch.cat(outs, dim=1), (h, c)"
            )
        if kept == last_start:
            hint = (f"the last, shorter chunk (steps {last_start}..{seq - 1}) is missing: "
                    f"{seq} steps in chunks of {chunk} end with a chunk of {seq - last_start}.")
        elif batch != seq and kept == over_batch:
            hint = (f"the loop ran over range(0, {batch}, {chunk}), the batch axis. With batch_first=True, "
                    f"len(x) and x.shape[0] are the batch ({batch}); the steps are x.shape[1] ({seq}).")
        else:
            hint = f"only {kept} of the {seq} steps came back."
        raise CheckFailed(f"out has {kept} steps, but x has seq={seq}: {hint}\n{fix}")
    if out.dim() == 3 and out.shape == (batch * n_chunks, chunk, hidden) and seq % chunk == 0:
        raise CheckFailed(
            f"out has shape {tuple(out.shape)}: the chunks were stacked along the batch axis (dim=0).\n"
            "  With batch_first=True the steps are axis 1.\n"
            "  Fix:  torch.cat(outs, dim=1)"
        )
    check_shape(out, "batch seq hidden", batch=batch, seq=seq, hidden=hidden, name="out")
    check_shape(h_n, "layers batch hidden", layers=num_layers, batch=batch, hidden=hidden, name="h_n")
    check_shape(c_n, "layers batch hidden", layers=num_layers, batch=batch, hidden=hidden, name="c_n")


def _explain_chunk_values(out, want, lstm, x, chunk, state0, with_state) -> None:
    """out differs from one full run: the step where it starts to, and the known mistake behind it."""
    __tracebackhide__ = True
    bad = (out.detach() - want).abs().amax(dim=(0, 2)) > ATOL
    step = int(bad.nonzero()[0])
    k = step // chunk
    if step == 0 and with_state:
        raise CheckFailed(
            "the outputs differ from a full run from step 0 on: the initial `state` you were given "
            "was not used by the first chunk.\n"
            "  Fix:  out_k, state = lstm(x_k, state)    starting with the `state` argument"
        )
    for _, carry, message in _VARIANTS:
        if close(out, _chunked(lstm, x, chunk, state0, carry)):
            raise CheckFailed(
                f"out equals one full run for chunk 0 but differs from step {step} on (chunk {k}): "
                + message
            )
    if k >= 1:
        raise CheckFailed(
            f"out equals one full run up to step {step - 1} but differs from step {step} on "
            f"(chunk {k}, which starts at step {k * chunk}).\n"
            "  Each chunk must start from the (h, c) the previous chunk ended with.\n"
            "  Fix:  out_k, state = lstm(x_k, state);  state = (state[0].detach(), state[1].detach())"
        )
    raise CheckFailed(
        "out differs from one full run of the LSTM already in chunk 0: run the lstm you were given "
        "on x[:, start:start + chunk] as it is (batch_first=True: no transpose).\n"
        "  Fix:  out_k, state = lstm(x[:, start:start + chunk], state)"
    )


def _check_chunk_state(h_n, c_n, want_h, want_c) -> None:
    __tracebackhide__ = True
    if not close(h_n, want_h):
        if close(h_n, want_c) and close(c_n, want_h):
            msg = "h_n and c_n are swapped: nn.LSTM returns (h_n, c_n) in that order."
        elif close(h_n, want_c):
            msg = "h_n holds the cell state c_n: the final hidden state belongs there."
        else:
            msg = "h_n is not the hidden state after the last step of the last chunk."
        raise CheckFailed(
            f"{msg}\n  Return the state the last chunk ended with.\n"
            "  Fix:  out_k, (h_n, c_n) = lstm(x_k, state)  ...  return torch.cat(outs, dim=1), (h_n, c_n)"
        )
    if not close(c_n, want_c):
        msg = ("c_n holds the hidden state h_n: the final cell state belongs there."
               if close(c_n, want_h) else "c_n is not the cell state after the last step of the last chunk.")
        raise CheckFailed(
            f"{msg}\n  Fix:  out_k, (h_n, c_n) = lstm(x_k, state)  ...  "
            "return torch.cat(outs, dim=1), (h_n, c_n)"
        )


def _check_chunk_graph(out, h_n, c_n, x_in, lstm, x, chunk, state0, starts, seq) -> None:
    """Every chunk's outputs keep their own graph, and no gradient crosses a chunk boundary
    (truncated backpropagation through time)."""
    __tracebackhide__ = True
    require(
        out.requires_grad,
        "out carries no graph (out.requires_grad is False): no gradient could reach the LSTM's "
        "weights, so training would learn nothing.\n"
        "  Detach the state you pass to the next chunk, not the outputs, and do not use torch.no_grad().\n"
        "  Fix:  outs.append(out_k)    and    state = (h.detach(), c.detach())",
    )
    params = [p for p in lstm.parameters()]
    for k, start in enumerate(starts):
        piece = out[:, start:start + chunk]
        g = torch.autograd.grad(piece.sum(), [x_in] + params, retain_graph=True, allow_unused=True)
        gx = g[0]
        require(
            gx is not None and bool(gx[:, start:start + chunk].abs().amax() > 0)
            and any(p is not None and bool(p.abs().amax() > 0) for p in g[1:]),
            f"the outputs of chunk {k} carry no gradient to their own input or to the LSTM's weights:\n"
            "  they were detached (or computed under torch.no_grad()). Only the state passed on is detached.\n"
            "  Fix:  outs.append(out_k)    and    state = (h.detach(), c.detach())",
        )
    found = _chunk_starts(out, x_in, seq)
    if found != starts:
        _explain_boundaries(found, starts, out, x_in, lstm, x, chunk, state0, seq)
    last_start = starts[-1]
    if h_n.requires_grad and last_start > 0:
        g = torch.autograd.grad((h_n.sum() + c_n.sum()), x_in, retain_graph=True, allow_unused=True)[0]
        if g is not None and bool(g[:, :last_start].abs().amax() > 0):
            raise CheckFailed(
                "the returned (h_n, c_n) still carries the graph of earlier chunks: a gradient from it "
                f"reaches steps before {last_start}, the start of the last chunk.\n"
                "  Fix:  state = (h.detach(), c.detach())    before the next chunk uses it"
            )
