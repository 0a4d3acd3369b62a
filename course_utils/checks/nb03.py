"""Graded checks for notebook 03, the LSTM cell.

The reference is always PyTorch: nn.LSTMCell and nn.LSTM with the same weights, in float64, to 1e-6,
values and gradients. The gates themselves are read out of nn.LSTMCell: pin three gates fully open
or shut with a bias of +-50 on their rows, and c_t (or h_t) *is* the fourth gate.

When an answer differs, the checks look for the mistake that explains it (gate blocks in another
order, a wrong activation, a missing bias or term, a state not carried ...) and name it; those
candidate mistakes are only used to word the message, never to decide pass or fail. If none
explains it, the gates are tested one at a time (the other three pinned) to name the suspect.
Keyword arguments let hidden tests use other sizes and seeds.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import math
import re

import torch
from torch import nn

from ..shapes import check_shape
from .common import (
    ATOL_EXACT,
    CheckFailed,
    NotDoneYet,
    also_other_sizes,
    calling,
    close,
    passed,
    require,
    require_tensor,
    seeded,
    seeded_lstm,
    seeded_randn,
)

GATES = ("i", "f", "g", "o")
ROLE = {"i": "input gate i", "f": "forget gate f", "g": "cell candidate g", "o": "output gate o"}
ACTIVATION = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"}
_ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "no activation": lambda t: t}
ATOL = RTOL = ATOL_EXACT  # float64 fixtures and PyTorch's own cell: agreement to rounding
BIG = 50.0  # sigmoid(50) and tanh(50) are exactly 1.0 in float64

GATES_FIX = "gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh;  i, f, g, o = gates.chunk(4, dim=1)"

# what a missing term leaves out of the pre-activations, and how to say so
_TERMS = {
    "b_hh": "the bias b_hh is missing: PyTorch adds two biases, b_ih and b_hh, each (4*hidden,)",
    "b_ih": "the bias b_ih is missing: PyTorch adds two biases, b_ih and b_hh, each (4*hidden,)",
    "biases": "both biases, b_ih and b_hh, are missing",
    "h_prev": "the h_prev @ W_hh.T term is missing: without it the gates cannot see the previous step",
    "x_t": "the x_t @ W_ih.T term is missing: without it the gates cannot see the input",
}


@contextlib.contextmanager
def _calling(fn_name: str):
    """common.calling, but an unfinished helper that the answer calls is named as the one to write."""
    __tracebackhide__ = True
    with calling(fn_name):
        try:
            yield
        except NotImplementedError as err:
            frames, tb = [], err.__traceback__
            while tb is not None:
                frames.append(tb.tb_frame)
                tb = tb.tb_next
            ours = [k for k, f in enumerate(frames) if f.f_globals.get("__name__") == __name__]
            theirs = frames[ours[-1] + 1:] if ours else frames
            where = theirs[-1].f_code.co_name if len(theirs) > 1 else None
            if where and where.isidentifier():
                raise NotDoneYet(
                    f"{fn_name}() calls {where}(), which is not written yet: write {where}() first (or compute "
                    f"its part inside {fn_name}()), run its cell, then run this check again."
                ) from None
            raise


# --- fixtures: PyTorch modules with seeded weights, inputs in float64 ---------------------------


def _random(seed, *shape):
    return seeded_randn(*shape, seed=seed, dtype=torch.float64)


def make_cell(feature: int = 3, hidden: int = 5, seed: int = 0) -> nn.LSTMCell:
    """An nn.LSTMCell in float64 with weights drawn from `seed` (PyTorch's own init, scaled to +-1)."""
    with seeded(seed):
        cell = nn.LSTMCell(feature, hidden).double()
    with torch.no_grad():
        for p in cell.parameters():  # wider than the default +-1/sqrt(hidden): gates far apart
            p.mul_(math.sqrt(hidden))
    return cell


def cell_inputs(batch: int = 4, feature: int = 3, hidden: int = 5, seed: int = 0):
    """x_t (batch, feature), h_prev (batch, hidden) in -1..1, c_prev (batch, hidden)."""
    x = _random(seed + 100, batch, feature)
    h = torch.tanh(_random(seed + 200, batch, hidden))
    c = _random(seed + 300, batch, hidden)
    return x, h, c


def weights(module):
    """(W_ih, W_hh, b_ih, b_hh) of an nn.LSTMCell or a one-layer nn.LSTM, as plain tensors."""
    if isinstance(module, nn.LSTM):
        names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    else:
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return tuple(getattr(module, n).detach().clone() for n in names)


def _pinned(cell: nn.LSTMCell, pins: dict) -> nn.LSTMCell:
    """A copy of `cell` whose gate blocks in `pins` ({block: +BIG or -BIG}) are fixed open or shut."""
    pinned = copy.deepcopy(cell)
    hidden = cell.hidden_size
    with torch.no_grad():
        for k, value in pins.items():
            rows = slice(k * hidden, (k + 1) * hidden)
            pinned.weight_ih[rows] = 0
            pinned.weight_hh[rows] = 0
            pinned.bias_ih[rows] = value
            pinned.bias_hh[rows] = 0
    return pinned


# i open, f shut, g = 1, o open; the gate under test keeps its own weights.
_PINS = {0: BIG, 1: -BIG, 2: BIG, 3: BIG}


def _isolating(cell, k):
    return _pinned(cell, {j: v for j, v in _PINS.items() if j != k})


def torch_gates(cell: nn.LSTMCell, x, h):
    """i, f, g, o of nn.LSTMCell itself, each (batch, hidden): pin the other three, read c_t or h_t.

    i: f shut, g = 1, c_prev = 0 -> c_t = i.      f: i open, g = 1, c_prev = 1 -> c_t = f + 1.
    g: i open, f shut              -> c_t = g.    o: i open, g = 1, c_prev = 0 -> h_t = o * tanh(1).
    """
    zeros, ones = torch.zeros_like(h), torch.ones_like(h)
    with torch.no_grad():
        i = _isolating(cell, 0)(x, (h, zeros))[1]
        f = _isolating(cell, 1)(x, (h, ones))[1] - 1
        g = _isolating(cell, 2)(x, (h, zeros))[1]
        o = _isolating(cell, 3)(x, (h, zeros))[0] / math.tanh(1.0)
    return i, f, g, o


# --- comparing --------------------------------------------------------------------------------


_close = functools.partial(close, atol=ATOL, rtol=RTOL)


def _diff(a, b) -> str:
    return f"{(a.detach().to(b.dtype) - b.detach()).abs().max().item():.3g}"


def _rows(k, hidden) -> str:
    return f"{k * hidden}:{(k + 1) * hidden}"


def _layout(hidden) -> str:
    return (f"PyTorch stacks the gate rows as i, f, g, o: with hidden={hidden}, rows "
            f"{_rows(0, hidden)} are i, {_rows(1, hidden)} f, {_rows(2, hidden)} g, {_rows(3, hidden)} o.")


def _pre_activations(x, h, W_ih, W_hh, b_ih, b_hh) -> dict:
    """The gates' inputs before their activations, right (key None) and with one term left out.

    Used only to name a mistake; the right answer is always PyTorch's module.
    """
    with torch.no_grad():
        xw, hw = x @ W_ih.T, h @ W_hh.T
        return {None: xw + b_ih + hw + b_hh, "b_hh": xw + b_ih + hw, "b_ih": xw + hw + b_hh,
                "biases": xw + hw, "h_prev": xw + b_ih + b_hh, "x_t": hw + b_ih + b_hh}


def _blocks(pre, hidden):
    return [pre[:, k * hidden:(k + 1) * hidden] for k in range(4)]


def _end(text: str) -> str:
    """`text` as a sentence: one full stop at the end."""
    return text if text.endswith(".") else text + "."


def _dtype_rule(name, value, dtype):
    require(
        value.dtype == dtype,
        f"{name} is {value.dtype}, but the inputs are {dtype}: your function changed the precision.\n"
        "  The check runs in float64 so that a right answer matches PyTorch to 1e-15, and any difference is a bug.\n"
        "  Fix:  do not call .float() (or torch.tensor(...)) inside the function; compute with the tensors you get",
    )


def _matmul_problem(err, fn_name, batch, feature, hidden) -> str | None:
    """A message for `x_t @ W_ih` / `h_prev @ W_hh` without .T, or None if `err` is something else."""
    m = re.search(r"cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)", str(err))
    if not m:
        return None
    _, inner, rows, cols = map(int, m.groups())
    if rows != 4 * hidden or cols != inner or inner not in (feature, hidden):
        return None
    if inner == feature:
        which = (f"x_t (batch={batch}, feature={feature}) @ W_ih (gates={4 * hidden}, feature={feature})", "W_ih")
    else:
        which = (f"h_prev (batch={batch}, hidden={hidden}) @ W_hh (gates={4 * hidden}, hidden={hidden})", "W_hh")
    return (
        f"{fn_name}() failed on a matrix product; PyTorch says: {str(err).splitlines()[0]}\n"
        f"  That is {which[0]}: PyTorch stores one ROW per gate output,\n"
        f"  so the product needs {which[1]}.T, which turns the result into (batch, gates).\n"
        f"  Fix:  {GATES_FIX.split(';')[0]}"
    )


def _view_problem(got, pre, hidden) -> str | None:
    """A message if the four gates were cut out of `pre` (batch, 4*hidden) with view/reshape, else None."""
    batch = pre.shape[0]
    acts = [_ACTS[ACTIVATION[g]] for g in GATES]
    ways = (
        ("gates.view(4, batch, hidden)", pre.reshape(4, batch, hidden).unbind(0),
         "each of your gates holds numbers of other examples and of other gates"),
        ("gates.view(batch, hidden, 4)", pre.reshape(batch, hidden, 4).unbind(-1),
         "your i takes every 4th column (0, 4, 8, ...): the four gates interleaved"),
    )
    for how, blocks, what in ways:
        if all(_close(got[k], acts[k](blocks[k])) for k in range(4)):
            return (
                f"the gates were cut with view/reshape: {how} re-reads the (batch, 4*hidden)\n"
                f"  numbers in memory order, so {what}.\n"
                "  No error: the sizes fit (the silent scramble of notebook 02). Each gate is a block of\n"
                f"  {hidden} columns of every row: {_layout(hidden).split(': ', 1)[1].replace('rows', 'columns')}\n"
                "  Fix:  i, f, g, o = gates.chunk(4, dim=1)"
            )
    return None


# --- exercise 1: the gates --------------------------------------------------------------------


def _explain_gate(value, k, pres, hidden):
    """(block, activation, missing term) whose value equals `value`, fewest mistakes first; or None."""
    best = None
    for term, pre in pres.items():
        for j, block in enumerate(_blocks(pre, hidden)):
            for act_name, act in _ACTS.items():
                if _close(value, act(block)):
                    cost = (term is not None) + (j != k) + (act_name != ACTIVATION[GATES[k]])
                    if best is None or cost < best[0]:
                        best = (cost, j, act_name, term)
    return None if best is None else best[1:]


def _activation_message(gate, act_name) -> str:
    right = ACTIVATION[gate]
    if gate == "g":
        why = ("g is the new content written into the cell, from -1 to 1; with a sigmoid (0 to 1) "
               "g is never negative, so a cell that starts at zero could never hold a negative value"
               ) if act_name == "sigmoid" else "g is squashed to -1..1 by tanh"
    else:
        why = f"{gate} is a gate: a fraction from 0 (shut) to 1 (open) that multiplies something, so it needs a sigmoid"
    used = "no activation" if act_name == "no activation" else act_name
    return (f"the {ROLE[gate]} must use {right}, not {used}: {why}.\n"
            f"  Fix:  {gate} = torch.{right}({gate})")


def _gate_problem(got, ref, pres, hidden, who="your") -> str | None:
    """A message naming what is wrong with the four gates `got`, or None if they equal `ref`."""
    wrong = [k for k in range(4) if not _close(got[k], ref[k])]
    if not wrong:
        return None
    explained = {k: _explain_gate(got[k], k, pres, hidden) for k in wrong}
    moved = {k: e for k, e in explained.items() if e is not None and e[0] != k}
    if moved:
        parts = [f"{who} {GATES[k]} is built from rows {_rows(j, hidden)}, which PyTorch uses for {GATES[j]}"
                 for k, (j, _, _) in moved.items()]
        return ("gates in the wrong order: " + "; ".join(parts) + ".\n"
                f"  {_layout(hidden)}\n"
                f"  Fix:  {GATES_FIX}")
    for k, e in explained.items():
        if e is not None and e[1] != ACTIVATION[GATES[k]]:
            return _activation_message(GATES[k], e[1])
    for e in explained.values():
        if e is not None and e[2] is not None:
            return f"{_end(_TERMS[e[2]])}\n  Fix:  {GATES_FIX}"
    right = [GATES[k] for k in range(4) if k not in wrong]
    names = ", ".join(GATES[k] for k in wrong)
    first = wrong[0]
    return (f"{who} {names} differ{'s' if len(wrong) == 1 else ''} from PyTorch's "
            f"({ROLE[GATES[first]]}: largest difference {_diff(got[first], ref[first])})"
            + (f"; {', '.join(right)} {'is' if len(right) == 1 else 'are'} right" if right else "") + ".\n"
            f"  {GATES[first]} = {ACTIVATION[GATES[first]]} of rows {_rows(first, hidden)} of "
            "(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).\n"
            f"  Fix:  {GATES_FIX}")


@also_other_sizes(dict(batch=3, feature=6, hidden=2, seed=1))
def check_lstm_gates(lstm_gates, *, batch: int = 4, feature: int = 3, hidden: int = 5, seed: int = 0) -> None:
    """lstm_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> (i, f, g, o), each (batch, hidden)."""
    __tracebackhide__ = True
    cell = make_cell(feature, hidden, seed)
    x, h, _ = cell_inputs(batch, feature, hidden, seed)
    W = weights(cell)
    try:
        with _calling("lstm_gates"):
            result = lstm_gates(x.clone(), h.clone(), *(w.clone() for w in W))
    except RuntimeError as err:
        problem = _matmul_problem(err, "lstm_gates", batch, feature, hidden)
        if problem is None:
            raise
        raise CheckFailed(problem) from None
    if isinstance(result, torch.Tensor):
        raise CheckFailed(
            f"lstm_gates() returned one tensor of shape {tuple(result.shape)}; it should return the four gates "
            "i, f, g, o, each (batch, hidden), after their activations.\n"
            "  Fix:  i, f, g, o = gates.chunk(4, dim=1)   ...   return i, f, g, o"
        )
    require(
        isinstance(result, (tuple, list)) and len(result) == 4,
        f"lstm_gates() should return four tensors (i, f, g, o), but it returned "
        f"{len(result) if isinstance(result, (tuple, list)) else 'a ' + type(result).__name__}"
        f"{' items' if isinstance(result, (tuple, list)) else ''}.\n"
        f"  gates = x_t @ W_ih.T + ... is (batch, 4*hidden) = ({batch}, {4 * hidden}); .chunk(4, dim=1) cuts "
        "its columns into four (batch, hidden) pieces.\n"
        "  Fix:  i, f, g, o = gates.chunk(4, dim=1)",
    )
    for name, gate in zip(GATES, result, strict=True):
        require_tensor(gate, name)
        if tuple(gate.shape) == (max(batch // 4, 1), 4 * hidden) and batch != 4 * hidden:
            raise CheckFailed(
                f"{name} has shape {tuple(gate.shape)}: the gates were cut along the batch axis (dim 0) instead of "
                f"the 4*hidden={4 * hidden} gate columns (dim 1).\n"
                "  Fix:  i, f, g, o = gates.chunk(4, dim=1)"
            )
        check_shape(gate, "batch hidden", batch=batch, hidden=hidden, name=name)
        _dtype_rule(name, gate, x.dtype)
    ref = torch_gates(cell, x, h)
    pres = _pre_activations(x, h, *W)
    problem = _gate_problem(list(result), ref, pres, hidden)
    if problem and "differ" in problem.split("\n")[0]:
        problem = _view_problem(list(result), pres[None], hidden) or problem
    if problem:
        raise CheckFailed(problem)
    passed(f"lstm_gates: i, f, g, o (batch={batch}, hidden={hidden}) equal nn.LSTMCell's gates")


# --- exercise 2: one step ---------------------------------------------------------------------


def _c_candidates(cell, x, h, c, W, hidden):
    """(what went wrong, fix, c_t that mistake gives): likely mistakes first."""
    with torch.no_grad():
        yield ("state is (h_prev, c_prev) in this order, but you read it as (c_prev, h_prev)",
               "h_prev, c_prev = state", cell(x, (c, h))[1])
        pres = _pre_activations(x, h, *W)
        P = _blocks(pres[None], hidden)
        i, f, g = torch.sigmoid(P[0]), torch.sigmoid(P[1]), torch.tanh(P[2])
        fix = "c_t = f * c_prev + i * g"
        yield "c_t uses i * g, you used g alone: the input gate i is missing", fix, f * c + g
        yield "c_t uses i * g, you used i alone: the candidate g is missing", fix, f * c + i
        yield "the old memory is kept by f * c_prev, you used c_prev alone: the forget gate f is missing", fix, c + i * g
        yield "i and f are swapped in c_t: f multiplies the old memory c_prev, i the candidate g", fix, i * c + f * g
        yield "c_t updates the cell state c_prev, but you used h_prev", fix, f * h + i * g
        yield ("c_t has no tanh: tanh squashes only the copy that goes out, h_t = o * tanh(c_t)",
               fix, torch.tanh(f * c + i * g))
        yield "c_t is a sum, f * c_prev + i * g, not a product", fix, f * c * i * g
        Pc = _blocks(_pre_activations(x, c, *W)[None], hidden)
        yield ("the gates read c_prev where they read h_prev: they see the previous step through the hidden "
               "state, h_prev @ W_hh.T; c_prev only enters c_t = f * c_prev + i * g",
               GATES_FIX, torch.sigmoid(Pc[1]) * c + torch.sigmoid(Pc[0]) * torch.tanh(Pc[2]))
        # gate-level mistakes: blocks read in another order, sigmoid for g, a term left out
        for term, pre in pres.items():
            B = _blocks(pre, hidden)
            for perm in itertools.permutations(range(4)):
                for g_act in ("tanh", "sigmoid"):
                    if term is None and perm == (0, 1, 2, 3) and g_act == "tanh":
                        continue
                    cand = (torch.sigmoid(B[perm[1]]) * c
                            + torch.sigmoid(B[perm[0]]) * _ACTS[g_act](B[perm[2]]))
                    if perm[:3] != (0, 1, 2):
                        moved = [f"your {GATES[r]} reads rows {_rows(perm[r], hidden)} (PyTorch's {GATES[perm[r]]})"
                                 for r in range(3) if perm[r] != r]
                        yield ("gates in the wrong order: " + "; ".join(moved) + f".\n  {_layout(hidden)}",
                               GATES_FIX, cand)
                    elif g_act == "sigmoid":
                        yield _activation_message("g", "sigmoid").split("\n")[0], "g = torch.tanh(g)", cand
                    else:
                        yield _TERMS[term], GATES_FIX, cand


def _h_candidates(x, h, c, c_t, W, hidden):
    """(what went wrong, fix, h_t) given the right c_t."""
    with torch.no_grad():
        P = _blocks(_pre_activations(x, h, *W)[None], hidden)
        i, f, g, o = torch.sigmoid(P[0]), torch.sigmoid(P[1]), torch.tanh(P[2]), torch.sigmoid(P[3])
        fix = "h_t = o * torch.tanh(c_t)"
        yield "h_t uses tanh(c_t), you used c_t itself: the tanh on c_t is missing", fix, o * c_t
        yield "h_t uses tanh(c_t), not sigmoid(c_t)", fix, o * torch.sigmoid(c_t)
        yield "h_t is o * tanh(c_t): the output gate o is missing", fix, torch.tanh(c_t)
        yield "h_t uses the new cell state c_t, you used c_prev", fix, o * torch.tanh(c)
        yield "h_t is gated by the output gate o, you used i", fix, i * torch.tanh(c_t)
        yield "h_t is gated by the output gate o, you used f", fix, f * torch.tanh(c_t)
        yield "h_t is o * tanh(c_t), you used o * g", fix, o * g
        for act in ("tanh", "no activation"):
            yield _activation_message("o", act).split("\n")[0], "o = torch.sigmoid(o)", _ACTS[act](P[3]) * torch.tanh(c_t)


def _isolate_cell(lstm_cell, cell, x, h, c):
    """Gates whose one-at-a-time test fails: the other three pinned open/shut in both cells."""
    suspects = []
    for k in range(4):
        pinned = _isolating(cell, k)
        with torch.no_grad():
            want = pinned(x, (h, c))
            try:
                got = lstm_cell(x.clone(), (h.clone(), c.clone()), *weights(pinned))
            except Exception:  # noqa: BLE001 - only used to word a message
                return []
        if not (isinstance(got, (tuple, list)) and len(got) == 2
                and _close(got[0], want[0]) and _close(got[1], want[1])):
            suspects.append(GATES[k])
    return suspects


_GRAD_CUT = ("something in your code cuts {name} off the graph: .detach(), .data, .item(), .numpy(), "
             "torch.tensor(...) or torch.no_grad()")


def _compare_grads(fn_name, names, got_out, want_out, got_leaves, want_leaves, seed, out_names=("h_t", "c_t")):
    """Backpropagate the same random weighting of the outputs through both; name the first that differs."""
    __tracebackhide__ = True
    probes = [_random(seed + 400 + n, *w.shape) for n, w in enumerate(want_out)]
    want = torch.autograd.grad(sum((w * p).sum() for w, p in zip(want_out, probes, strict=True)), want_leaves)
    cut = [n for n, t in zip(out_names, got_out, strict=True) if not t.requires_grad]
    if cut:
        which = ("its outputs carry" if len(cut) == len(got_out)
                 else f"{' and '.join(cut)} carr{'ies' if len(cut) == 1 else 'y'}")
        raise CheckFailed(
            f"the values of {fn_name}() are right, but {which} no gradient, so nothing could learn: "
            f"{_GRAD_CUT.format(name='them')}.\n"
            + ("  Fix:  carry h and c on as they are: no .detach() or .data inside the loop (detaching between "
             "batches is notebook 04's business)" if fn_name == "lstm_forward" else
             "  Fix:  compute with the tensors you are given, using torch operations only")
        )
    try:
        got = torch.autograd.grad(sum((t * p).sum() for t, p in zip(got_out, probes, strict=True)), got_leaves,
                                  allow_unused=True)
    except RuntimeError as err:
        if "inplace" in str(err):
            raise CheckFailed(
                f"the values of {fn_name}() are right, but backpropagating through it fails: an in-place "
                "operation (+=, *=, .add_(), x[...] = ...) changed a tensor autograd still needs.\n"
                f"  PyTorch says: {str(err).splitlines()[0][:160]}\n"
                "  Fix:  write c = f * c + i * g (a new tensor), not c *= f; c += i * g"
            ) from None
        raise
    for name, g_got, g_want in zip(names, got, want, strict=True):
        if g_got is None or (not g_got.abs().sum() and g_want.abs().sum()):
            raise CheckFailed(
                f"the values of {fn_name}() are right, but no gradient reaches {name}: "
                f"{_GRAD_CUT.format(name=name)}.\n"
                f"  Training needs the gradient with respect to {name} (nn.LSTM{'Cell' if fn_name == 'lstm_cell' else ''} has it).\n"
                f"  Fix:  use {name} as it is: no .detach() or .data on it"
            )
        if not _close(g_got, g_want):
            raise CheckFailed(
                f"the values of {fn_name}() are right, but the gradient with respect to {name} differs from "
                f"PyTorch's (largest difference {_diff(g_got, g_want)}): {_GRAD_CUT.format(name=name)} "
                "may hide part of it.\n"
                f"  Fix:  use {name} as it is, with torch operations only"
            )


@also_other_sizes(dict(batch=3, feature=6, hidden=2, seed=1))
def check_lstm_cell(lstm_cell, *, batch: int = 4, feature: int = 3, hidden: int = 5, seed: int = 0) -> None:
    """lstm_cell(x_t, (h_prev, c_prev), W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t) equal to nn.LSTMCell.

    Values and gradients (x_t, h_prev, c_prev and all four weights), float64, to 1e-6.
    """
    __tracebackhide__ = True
    cell = make_cell(feature, hidden, seed)
    x, h, c = cell_inputs(batch, feature, hidden, seed)
    W = weights(cell)
    leaves = [t.clone().requires_grad_() for t in (x, h, c, *W)]
    try:
        with _calling("lstm_cell"):
            result = lstm_cell(leaves[0], (leaves[1], leaves[2]), *leaves[3:])
    except RuntimeError as err:
        _explain_cell_error(err, batch, feature, hidden)
    h_t, c_t = _cell_result(result, batch, hidden, x.dtype)
    ref_in = [t.clone().requires_grad_() for t in (x, h, c)]
    h_ref, c_ref = cell(ref_in[0], (ref_in[1], ref_in[2]))
    if not (_close(h_t, h_ref) and _close(c_t, c_ref)):
        _explain_cell_values(lstm_cell, cell, (x, h, c, W), (h_t, c_t), (h_ref, c_ref), hidden)
    _compare_grads("lstm_cell", ("x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
                   (h_t, c_t), (h_ref, c_ref), leaves, [*ref_in, *(p for p in (
                       cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))], seed)
    passed(f"lstm_cell: h_t and c_t (batch={batch}, hidden={hidden}) equal nn.LSTMCell, values and gradients")


def _explain_cell_error(err: RuntimeError, batch, feature, hidden) -> None:
    """A matmul of the wrong shapes, or an in-place change of an input; any other error goes up."""
    __tracebackhide__ = True
    problem = _matmul_problem(err, "lstm_cell", batch, feature, hidden)
    if problem is not None:
        raise CheckFailed(problem) from None
    if "in-place" not in str(err) and "inplace" not in str(err):
        raise err
    raise CheckFailed(
        "lstm_cell() changed one of the tensors it was given in place (*=, +=, .mul_(), .add_(), x[...] = ...).\n"
        f"  PyTorch says: {str(err).splitlines()[0][:160]}\n"
        "  The caller still needs h_prev and c_prev as they were, and autograd needs them to compute gradients.\n"
        "  Fix:  c_t = f * c_prev + i * g    (a new tensor; leave c_prev alone)"
    ) from None


def _cell_result(result, batch, hidden, dtype):
    """(h_t, c_t), two tensors (batch, hidden) of x's dtype."""
    __tracebackhide__ = True
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "lstm_cell() should return two tensors, (h_t, c_t), like nn.LSTMCell, but it returned "
        f"{len(result) if isinstance(result, (tuple, list)) else 'a ' + type(result).__name__}"
        f"{' items' if isinstance(result, (tuple, list)) else ''}.\n  Fix:  return h_t, c_t",
    )
    h_t, c_t = result
    require(
        not isinstance(c_t, (tuple, list)),
        "lstm_cell() returned h_t, (h_t, c_t): that is nn.LSTM's shape of answer, out, (h_n, c_n).\n"
        "  nn.LSTMCell, one step, returns the pair (h_t, c_t) and nothing else.\n"
        "  Fix:  return h_t, c_t",
    )
    require_tensor(h_t, "h_t")
    require_tensor(c_t, "c_t")
    check_shape(h_t, "batch hidden", batch=batch, hidden=hidden, name="h_t")
    check_shape(c_t, "batch hidden", batch=batch, hidden=hidden, name="c_t")
    _dtype_rule("h_t", h_t, dtype)
    _dtype_rule("c_t", c_t, dtype)
    return h_t, c_t


def _explain_cell_values(lstm_cell, cell, inputs, got, ref, hidden) -> None:
    """h_t or c_t differ from nn.LSTMCell's: a known mistake, else the gates found wrong one at a time."""
    __tracebackhide__ = True
    (x, h, c, W), (h_t, c_t), (h_ref, c_ref) = inputs, got, ref
    if _close(h_t, c_ref) and _close(c_t, h_ref):
        raise CheckFailed(
            "h_t and c_t are right but swapped: nn.LSTMCell returns (h_t, c_t), the hidden state first.\n"
            "  Fix:  return h_t, c_t"
        )
    if not _close(c_t, c_ref):
        for what, fix, cand in _c_candidates(cell, x, h, c, W, hidden):
            if _close(c_t, cand):
                raise CheckFailed(f"c_t differs from nn.LSTMCell's: {_end(what)}\n  Fix:  {fix}")
    else:
        for what, fix, cand in _h_candidates(x, h, c, c_ref, W, hidden):
            if _close(h_t, cand):
                raise CheckFailed(f"c_t is right, but h_t is not: {_end(what)}\n  Fix:  {fix}")
    wrong = [n for n, a, b in (("h_t", h_t, h_ref), ("c_t", c_t, c_ref)) if not _close(a, b)]
    suspects = _isolate_cell(lstm_cell, cell, x, h, c)
    where = ""
    if suspects and len(suspects) < 4:
        where = (f"\n  Testing one gate at a time (the other three pinned fully open or shut), "
                 f"{' and '.join(ROLE[s] for s in suspects)} {'is' if len(suspects) == 1 else 'are'} wrong.")
    raise CheckFailed(
        f"{' and '.join(wrong)} differ{'s' if len(wrong) == 1 else ''} from nn.LSTMCell's "
        f"(largest difference {_diff(*(c_t, c_ref) if 'c_t' in wrong else (h_t, h_ref))}).{where}\n"
        "  One step: i, f, o = sigmoid, g = tanh of their rows (order i, f, g, o); "
        "c_t = f * c_prev + i * g; h_t = o * tanh(c_t).\n"
        f"  Fix:  {GATES_FIX};  c_t = f * c_prev + i * g;  h_t = o * torch.tanh(c_t)"
    )


# --- exercise 3: the loop over time -----------------------------------------------------------


def make_lstm(feature: int = 3, hidden: int = 5, seed: int = 0) -> nn.LSTM:
    """A one-layer nn.LSTM in float64 with the weights of make_cell(feature, hidden, seed)."""
    cell = make_cell(feature, hidden, seed)
    lstm = seeded_lstm(feature, hidden).double()  # its weights are replaced by the cell's below
    with torch.no_grad():
        for name, p in (("weight_ih", cell.weight_ih), ("weight_hh", cell.weight_hh),
                        ("bias_ih", cell.bias_ih), ("bias_hh", cell.bias_hh)):
            getattr(lstm, f"{name}_l0").copy_(p)
    return lstm


def _unroll(cell, x, h0, c0, carry_h=True, carry_c=True, reverse=False):
    """Run nn.LSTMCell over x step by step (reverse: last step first, outputs in the order run).

    carry_h / carry_c = False restart that state from h0 / c0 at every step.
    """
    h, c = h0, c0
    outs, cells = [], []
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    with torch.no_grad():
        for t in steps:
            h_t, c_t = cell(x[t], (h if carry_h else h0, c if carry_c else c0))
            h, c = h_t, c_t
            outs.append(h_t)
            cells.append(c_t)
    return torch.stack(outs), torch.stack(cells), h, c


def _forward_candidates(cell, x, h0, c0):
    """(what went wrong, fix, out) for likely mistakes in the loop."""
    zeros = torch.zeros_like(h0)
    fix_carry = "h, c = lstm_cell(x_t, (h, c), ...)   (the same names in and out, so the next step gets them)"
    yield ("h and c are not carried from step to step: every step starts again from h0 and c0",
           fix_carry, _unroll(cell, x, h0, c0, False, False)[0])
    yield ("h is not carried from step to step: every step starts again from h0 (h_prev reset each step), "
           "only c moves on", fix_carry, _unroll(cell, x, h0, c0, False, True)[0])
    yield ("c is not carried from step to step: every step starts again from c0, only h moves on",
           fix_carry, _unroll(cell, x, h0, c0, True, False)[0])
    yield ("h0 and c0 were ignored: the loop started from zeros",
           "h, c = h0[0], c0[0]   (h0 and c0 are (1, batch, hidden); the cell wants (batch, hidden))",
           _unroll(cell, x, zeros, zeros)[0])
    yield ("h0 was ignored: h started from zeros", "h = h0[0]", _unroll(cell, x, zeros, c0)[0])
    yield ("c0 was ignored: c started from zeros", "c = c0[0]", _unroll(cell, x, h0, zeros)[0])
    yield ("out holds the cell state c_t at every step; nn.LSTM's out holds the hidden state h_t",
           "outputs.append(h)", _unroll(cell, x, h0, c0)[1])
    yield ("the steps ran backwards, from the last to the first", "for x_t in x:   (x[0] first)",
           _unroll(cell, x, h0, c0, reverse=True)[0])
    yield ("out[t] holds the h that step t started from (out[0] is h0), not the h it produced: h was "
           "appended before the step instead of after it",
           "h, c = lstm_cell(x_t, (h, c), ...);  outputs.append(h)    (append after the step)",
           torch.cat([h0.unsqueeze(0), _unroll(cell, x, h0, c0)[0][:-1]]))


@also_other_sizes(dict(seq=4, batch=3, feature=6, hidden=2, seed=4))
def check_lstm_forward(lstm_forward, *, seq: int = 7, batch: int = 4, feature: int = 3, hidden: int = 5,
                       initial_state: bool | None = None, seed: int = 0) -> None:
    """lstm_forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0) -> out, (h_n, c_n) equal to a one-layer nn.LSTM.

    x (seq, batch, feature); h0, c0 (1, batch, hidden), or left out (None: zeros, as in nn.LSTM).
    out (seq, batch, hidden); h_n, c_n (1, batch, hidden). Values and gradients, float64, 1e-6.
    initial_state: True passes h0 and c0, False leaves them out, None (the default) checks both.
    """
    __tracebackhide__ = True
    given = (True, False) if initial_state is None else (bool(initial_state),)
    for state in given:
        _check_forward_once(lstm_forward, seq, batch, feature, hidden, state, seed)
    how = {(True, False): "h0, c0 given and left out", (True,): "h0, c0 given", (False,): "h0, c0 left out: zeros"}
    passed(f"lstm_forward: out (seq={seq}, batch={batch}, hidden={hidden}), h_n and c_n equal a one-layer "
           f"nn.LSTM ({how[given]}), values and gradients")


def _check_forward_once(lstm_forward, seq, batch, feature, hidden, initial_state, seed) -> None:
    __tracebackhide__ = True
    lstm = make_lstm(feature, hidden, seed)
    cell = make_cell(feature, hidden, seed)
    x = _random(seed + 500, seq, batch, feature)
    if initial_state:
        h0 = torch.tanh(_random(seed + 600, 1, batch, hidden))
        c0 = _random(seed + 700, 1, batch, hidden)
    else:
        h0 = c0 = torch.zeros(1, batch, hidden, dtype=torch.float64)
    W = weights(lstm)
    leaves = [t.clone().requires_grad_() for t in (x, h0, c0, *W)]
    args = (leaves[0], *leaves[3:])
    try:
        with _calling("lstm_forward"):
            result = lstm_forward(*args, leaves[1], leaves[2]) if initial_state else lstm_forward(*args)
    except RuntimeError as err:
        _explain_forward_runtime_error(err, initial_state, seq, batch, feature, hidden)
    except TypeError as err:
        _explain_forward_type_error(err, initial_state)
    out, h_n, c_n = _forward_result(result, seq, batch, hidden, x.dtype)

    ref_in = [t.clone().requires_grad_() for t in (x, h0, c0)]
    out_ref, (h_ref, c_ref) = lstm(ref_in[0], (ref_in[1], ref_in[2]))
    if not _close(out, out_ref):
        _explain_forward_out(out, out_ref, cell, x, h0, c0, seq)
    _check_forward_state(h_n, c_n, h_ref, c_ref, out_ref, h0, c0, seq)
    params = [lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0]
    names = ["x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"]
    got_leaves, want_leaves = leaves, [*ref_in, *params]
    if not initial_state:
        names, got_leaves, want_leaves = names[:1] + names[3:], leaves[:1] + leaves[3:], want_leaves[:1] + params
    _compare_grads("lstm_forward", names, (out, h_n, c_n), (out_ref, h_ref, c_ref), got_leaves, want_leaves, seed,
                   out_names=("out", "h_n", "c_n"))


def _explain_forward_runtime_error(err: RuntimeError, initial_state, seq, batch, feature, hidden) -> None:
    """lstm_forward raised a RuntimeError: a shape or dtype mistake gets its own message; others go up."""
    __tracebackhide__ = True
    said = str(err).splitlines()[0][:200]
    problem = _matmul_problem(err, "lstm_forward", batch, feature, hidden)
    if problem is not None:
        raise CheckFailed(problem) from None
    if not initial_state and "dtype" in said:
        raise CheckFailed(
            f"lstm_forward() was called without h0 and c0, and it failed; PyTorch says: {said}\n"
            "  x is torch.float64 here, but torch.zeros(batch, hidden) makes float32 zeros, and a product of\n"
            "  the two fails. Zeros made from x take its dtype (and device).\n"
            "  Fix:  h = x.new_zeros(batch, hidden)    or    torch.zeros(batch, hidden, dtype=x.dtype)"
        ) from None
    if "size" not in said and "shape" not in said:
        raise err
    if not initial_state:
        raise CheckFailed(
            f"lstm_forward() was called without h0 and c0, and it failed on a shape; PyTorch says: {said}\n"
            f"  x is (seq={seq}, batch={batch}, feature={feature}) and W_hh (gates={4 * hidden}, hidden={hidden}), "
            f"so the zeros to start from are (batch={batch}, hidden={hidden}).\n"
            "  Fix:  batch, hidden = x.shape[1], W_hh.shape[1];   h = x.new_zeros(batch, hidden)"
        ) from None
    raise CheckFailed(
        "lstm_forward() failed on a shape; PyTorch says: " + said + "\n"
        f"  The shapes you are given: x is (seq={seq}, batch={batch}, feature={feature}); h0 and c0 are "
        f"(1, batch={batch}, hidden={hidden}), with nn.LSTM's layers axis first.\n"
        "  One step needs x_t = x[t] (batch, feature) and h, c of shape (batch, hidden).\n"
        "  Fix:  h, c = h0[0], c0[0]   before the loop;   for x_t in x: ..."
    ) from None


def _explain_forward_type_error(err: TypeError, initial_state) -> None:
    """lstm_forward raised a TypeError: without h0 and c0, a None it computed with."""
    __tracebackhide__ = True
    if initial_state or "NoneType" not in str(err):
        raise err
    raise CheckFailed(
        f"lstm_forward() was called without h0 and c0, and it failed: TypeError: {err}.\n"
        "  Without them, nn.LSTM starts from zeros; your function should too.\n"
        "  Fix:  h = x.new_zeros(batch, hidden) if h0 is None else h0[0]   (the same for c)"
    ) from None


def _forward_result(result, seq, batch, hidden, dtype):
    """out, h_n, c_n from what lstm_forward returned, each of nn.LSTM's shape and x's dtype."""
    __tracebackhide__ = True
    require(
        isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], (tuple, list))
        and len(result[1]) == 2,
        "lstm_forward() should return out, (h_n, c_n), like nn.LSTM: two things, the second a pair.\n"
        "  Fix:  return out, (h_n, c_n)",
    )
    out, (h_n, c_n) = result
    for name, t in (("out", out), ("h_n", h_n), ("c_n", c_n)):
        require_tensor(t, name)
    if out.dim() == 4 and out.shape[1] == 1:
        raise CheckFailed(
            f"out has shape {tuple(out.shape)}: an extra axis of size 1. h0 and c0 are (1, batch, hidden), "
            "with the layers axis first; the cell wants (batch, hidden).\n"
            "  Fix:  h, c = h0[0], c0[0]   before the loop"
        )
    if tuple(out.shape) == (batch, seq, hidden) and batch != seq:
        raise CheckFailed(
            f"out should be (seq={seq}, batch={batch}, hidden={hidden}), like the output of nn.LSTM, but its "
            f"shape is {tuple(out.shape)}: (batch, seq, hidden).\n"
            "  nn.LSTM (batch_first=False) puts time first; torch.stack(outputs) stacks the steps along a new dim 0.\n"
            "  Fix:  out = torch.stack(outputs)     (not dim=1)"
        )
    if tuple(out.shape) == (seq * batch, hidden) and seq > 1:
        raise CheckFailed(
            f"out should be (seq={seq}, batch={batch}, hidden={hidden}), but its shape is {tuple(out.shape)}: "
            f"{seq} steps x {batch} sequences in one axis.\n"
            "  torch.cat joins the (batch, hidden) steps along their existing batch axis; torch.stack adds a new\n"
            "  first axis, seq.\n"
            "  Fix:  out = torch.stack(outputs)"
        )
    if out.dim() == 3 and tuple(out.shape[1:]) == (batch, hidden) and out.shape[0] in (seq - 1, seq + 1):
        why = ("out also holds the initial state h0; nn.LSTM's out holds only the h that each step produces"
               if out.shape[0] == seq + 1 else "a step was skipped (range(len(x) - 1) or x[1:]?)")
        raise CheckFailed(
            f"out has {out.shape[0]} steps, but x has {seq}: {why}.\n"
            "  Fix:  for x_t in x:  h, c = lstm_cell(x_t, (h, c), ...);  outputs.append(h)"
        )
    check_shape(out, "seq batch hidden", seq=seq, batch=batch, hidden=hidden, name="out")
    check_shape(h_n, "layers batch hidden", layers=1, batch=batch, hidden=hidden, name="h_n")
    check_shape(c_n, "layers batch hidden", layers=1, batch=batch, hidden=hidden, name="c_n")
    for name, t in (("out", out), ("h_n", h_n), ("c_n", c_n)):
        _dtype_rule(name, t, dtype)
    return out, h_n, c_n


def _explain_forward_out(out, out_ref, cell, x, h0, c0, seq) -> None:
    """out differs from nn.LSTM's: the known mistake that gives it, else the first step that differs."""
    __tracebackhide__ = True
    first = next(t for t in range(seq) if not _close(out[t], out_ref[t]))
    for what, fix, cand in _forward_candidates(cell, x, h0[0], c0[0]):
        if _close(out, cand):
            raise CheckFailed(f"out differs from nn.LSTM's from step {first} on: {_end(what)}\n  Fix:  {fix}")
    if first == 0:
        raise CheckFailed(
            "out[0], the very first step, already differs from nn.LSTM's: the cell itself is wrong "
            f"(largest difference {_diff(out[0], out_ref[0])}).\n"
            "  Each step is one lstm_cell: run the check of exercise 2 first.\n"
            "  Fix:  h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh) at every step"
        )
    raise CheckFailed(
        f"out[0] is right, but out differs from nn.LSTM's from step {first} on "
        f"(largest difference {_diff(out[first], out_ref[first])}): the state that step {first} "
        f"starts from is not the (h, c) that step {first - 1} produced.\n"
        "  Fix:  h, c = lstm_cell(x_t, (h, c), ...)   at every step, and out[t] = that step's h"
    )


def _check_forward_state(h_n, c_n, h_ref, c_ref, out_ref, h0, c0, seq) -> None:
    """h_n and c_n equal nn.LSTM's; else name the mistake (swapped, never updated, the first step)."""
    __tracebackhide__ = True
    for name, got, want, other in (("h_n", h_n, h_ref, c_ref), ("c_n", c_n, c_ref, h_ref)):
        if _close(got, want):
            continue
        state = name[0]
        start = h0 if state == "h" else c0
        if _close(got, other):
            why = "h_n and c_n are swapped: nn.LSTM returns out, (h_n, c_n)"
            fix = "return out, (h_n, c_n)"
        elif _close(got, start) and seq > 1:
            why = f"{name} is still the initial state {state}0: {state} was never updated in the loop"
            fix = f"{state} = ... the new {state} at every step"
        elif name == "h_n" and _close(got, out_ref[:1]) and seq > 1:
            why = "h_n is the h of the first step; it should be the h of the last step"
            fix = "h_n = out[-1:]   or   h.unsqueeze(0) after the loop"
        else:
            why = f"{name} should be the {'hidden' if state == 'h' else 'cell'} state after the last step"
            fix = "return out, (h.unsqueeze(0), c.unsqueeze(0))   with h, c from the last step"
        raise CheckFailed(f"out is right, but {name} is not: {why}.\n  Fix:  {fix}")


# --- exercise 4: the forget-gate bias ----------------------------------------------------------


def check_set_forget_bias(set_forget_bias, *, feature: int = 3, hidden: int = 5, num_layers: int = 2,
                          value: float = 1.0, seed: int = 0) -> None:
    """set_forget_bias(lstm, value): in every layer, b_ih + b_hh = value on the forget rows, the rest unchanged.

    The parameters must stay the same objects (an optimizer built earlier holds them) and keep learning;
    the function returns the lstm it was given. Two layers by default, so layer 0 alone cannot pass.
    """
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, seed=seed, num_layers=num_layers)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    objects = {name: p for name, p in lstm.named_parameters()}
    try:
        with _calling("set_forget_bias"):
            result = set_forget_bias(lstm, value)
    except RuntimeError as err:
        _explain_bias_error(err)
    _check_same_parameters(lstm, objects, before)
    for layer in range(num_layers):
        _check_forget_rows(lstm, layer, before, value, hidden, num_layers, result)
    require(
        result is lstm,
        f"set_forget_bias() set the biases right, but it returned {'None' if result is None else type(result).__name__}, "
        "not the lstm it was given.\n"
        "  It is used as  self.lstm = set_forget_bias(nn.LSTM(emb, hidden), 1.0),  which needs the LSTM back.\n"
        "  Fix:  return lstm    (the last line of the function)",
    )
    passed(f"set_forget_bias: b_ih + b_hh = {value:g} on the forget rows {_rows(1, hidden)} of "
           f"{num_layers} layer{'s' if num_layers > 1 else ''}, the rest unchanged")


def _explain_bias_error(err: RuntimeError) -> None:
    """An in-place write into a parameter under autograd; any other error goes up as it is."""
    __tracebackhide__ = True
    if "in-place operation" not in str(err):
        raise err
    raise CheckFailed(
            f"set_forget_bias() failed; PyTorch says: {str(err).splitlines()[0]}\n"
            "  A parameter requires grad, so autograd refuses to have its values overwritten in place:\n"
            "  setting an initial value is not part of any computation to differentiate. Say so with no_grad.\n"
            "  Fix:  with torch.no_grad():\n"
            "            lstm.bias_ih_l0[hidden:2 * hidden] = value    (and the same for every bias)"
        ) from None


def _check_same_parameters(lstm, objects, before) -> None:
    """The parameters are the same objects, still learning; the weights are unchanged."""
    __tracebackhide__ = True
    now = dict(lstm.named_parameters())
    for name, p in objects.items():
        require(
            now.get(name) is p,
            f"lstm.{name} is a new tensor now: you replaced the parameter instead of changing its values.\n"
            "  An optimizer built before (torch.optim.Adam(lstm.parameters())) would keep updating the old one.\n"
            "  Fix:  with torch.no_grad():  lstm.bias_ih_l0[hidden:2 * hidden] = value   (in place)",
        )
        require(
            p.requires_grad,
            f"lstm.{name} no longer requires grad, so it would stop learning.\n"
            "  Fix:  change the values under `with torch.no_grad():` instead of detaching the parameter",
        )
    for name in objects:
        if name.startswith("weight"):
            require(torch.equal(now[name].detach(), before[name]),
                    f"lstm.{name} changed: only the biases should change, and only on their forget rows.\n"
                    "  Fix:  change only the parameters whose name starts with 'bias_ih' or 'bias_hh'")


def _check_forget_rows(lstm, layer, before, value, hidden, num_layers, result) -> None:
    """Layer `layer`: b_ih + b_hh = value on the forget rows, every other row unchanged."""
    __tracebackhide__ = True
    now = dict(lstm.named_parameters())
    f_rows = slice(hidden, 2 * hidden)
    ih, hh = f"bias_ih_l{layer}", f"bias_hh_l{layer}"
    new_ih, new_hh = now[ih].detach(), now[hh].detach()
    total = new_ih + new_hh
    changed = [k for k in (0, 2, 3) if not (torch.equal(new_ih[k * hidden:(k + 1) * hidden], before[ih][k * hidden:(k + 1) * hidden])
                                            and torch.equal(new_hh[k * hidden:(k + 1) * hidden], before[hh][k * hidden:(k + 1) * hidden]))]
    if changed:
        parts = [f"{_rows(k, hidden)} ({ROLE[GATES[k]]})" for k in changed]
        rows = "rows " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])
        raise CheckFailed(
            f"layer {layer}: you changed {rows} of the biases; "
            f"the forget gate is rows {_rows(1, hidden)}.\n"
            f"  {_layout(hidden)}\n"
            f"  Fix:  lstm.bias_ih_l{layer}[hidden:2 * hidden] = value;   lstm.bias_hh_l{layer}[hidden:2 * hidden] = 0"
        )
    if torch.allclose(total[f_rows], torch.full((hidden,), float(value)), atol=1e-6):
        return
    untouched = torch.equal(new_ih[f_rows], before[ih][f_rows]) and torch.equal(new_hh[f_rows], before[hh][f_rows])
    if untouched and layer > 0:
        raise CheckFailed(
            f"layer {layer} still has its random forget bias: you set layer 0 only. nn.LSTM(num_layers={num_layers}) "
            f"has bias_ih_l0 ... bias_ih_l{num_layers - 1}, one pair per layer.\n"
            "  Fix:  for name, p in lstm.named_parameters():   if name.startswith('bias_ih'): ...   "
            "elif name.startswith('bias_hh'): ..."
        )
    if untouched and isinstance(result, nn.Module) and result is not lstm:
        raise CheckFailed(
            "set_forget_bias() returned another nn.LSTM and left the one it was given unchanged. The caller\n"
            "  (and an optimizer built on lstm.parameters()) keeps the lstm it passed in: change that one.\n"
            "  Fix:  with torch.no_grad():  lstm.bias_ih_l0[hidden:2 * hidden] = value  ...   return lstm"
        )
    if untouched:
        raise CheckFailed(
            f"the forget rows {_rows(1, hidden)} of bias_ih_l0 and bias_hh_l0 did not change.\n"
            "  Fix:  with torch.no_grad():  lstm.bias_ih_l0[hidden:2 * hidden] = value;  "
            "lstm.bias_hh_l0[hidden:2 * hidden] = 0"
        )
    full = torch.full((hidden,), float(value))
    if torch.allclose(total[f_rows], 2 * full, atol=1e-6):
        why = f"you set both biases to {value:g}, so they add up to {2 * value:g}"
    elif torch.allclose(new_ih[f_rows], full, atol=1e-6):
        why = "only b_ih was set: b_hh keeps its random forget rows, and the gate adds the two"
    elif torch.allclose(new_hh[f_rows], full, atol=1e-6):
        why = "only b_hh was set: b_ih keeps its random forget rows, and the gate adds the two"
    else:
        why = f"b_ih + b_hh there is {[round(v, 3) for v in total[f_rows].tolist()]}"
    raise CheckFailed(
        f"layer {layer}: the forget gate should start from b_ih + b_hh = {value:g} on rows {_rows(1, hidden)}, "
        f"but {why}.\n"
        f"  Fix:  lstm.bias_ih_l{layer}[hidden:2 * hidden] = value;   lstm.bias_hh_l{layer}[hidden:2 * hidden] = 0"
    )
