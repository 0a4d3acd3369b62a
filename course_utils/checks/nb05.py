"""Graded checks for notebook 05, stacked LSTMs.

Each check builds its own nn.LSTM fixtures, compares the learner's answer with PyTorch's own
multi-layer nn.LSTM (weights copied over by the check itself) or with properties of it, and raises
CheckFailed / ShapeError naming the suspect (which layer, which row of h_n, which tensor) and the fix.
Keyword arguments let hidden tests vary sizes, the layer, batch_first, the initial state, dropout.
"""

from __future__ import annotations

import functools
import warnings

import torch
from torch import nn

from ..messages import fmt
from ..shapes import check_shape
from .common import (
    ATOL_EXACT,
    CheckFailed,
    calling,
    close,
    keep,
    passed,
    require,
    require_tensor,
    require_unchanged,
    seeded,
    seeded_lstm,
    seeded_randn,
)
from .kernel import PARAMS, copy_layer_weights, lstm_result_parts, tensor_list

ATOL = ATOL_EXACT  # the check copies the weights itself: the numbers agree to float rounding
_close = functools.partial(close, atol=ATOL)


def _lstm(*args, **kwargs) -> nn.LSTM:
    """nn.LSTM without the num_layers=1 + dropout warning (the checks build such fixtures on purpose).

    Its weights come from torch's global generator: build it inside `seeded(...)`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return nn.LSTM(*args, **kwargs)


def _singles(stacked: nn.LSTM) -> list[nn.LSTM]:
    """One one-layer nn.LSTM per layer of `stacked`, holding that layer's weights."""
    singles = []
    for layer in range(stacked.num_layers):
        size = stacked.input_size if layer == 0 else stacked.hidden_size
        single = nn.LSTM(size, stacked.hidden_size, batch_first=stacked.batch_first)
        copy_layer_weights(single, stacked, layer)
        singles.append(single)
    return singles


def _last_step(out: torch.Tensor, batch_first: bool) -> torch.Tensor:
    return out[:, -1] if batch_first else out[-1]


# --- exercise 1 ------------------------------------------------------------------------------


def check_copy_layer(copy_layer, *, num_layers: int = 3, layer: int = 1, feature: int = 3,
                     hidden: int = 5) -> None:
    """copy_layer(stacked, layer, single) -> single, holding stacked's layer `layer` as its _l0."""
    __tracebackhide__ = True
    with seeded(50 + 7 * layer + num_layers):
        _check_copy_layer(copy_layer, num_layers, layer, feature, hidden)
    passed(f"copy_layer: layer {layer} of a {num_layers}-layer LSTM -> single (4 tensors copied)")


def _check_copy_layer(copy_layer, num_layers, layer, feature, hidden) -> None:
    """Fixture, call, compare; the fixtures and the last input come from torch's seeded generator."""
    __tracebackhide__ = True
    stacked = nn.LSTM(feature, hidden, num_layers=num_layers)
    in_size = feature if layer == 0 else hidden
    single = nn.LSTM(in_size, hidden)
    stacked_before = {k: v.clone() for k, v in stacked.state_dict().items()}
    single_before = {k: v.clone() for k, v in single.state_dict().items()}
    fix = (f"with torch.no_grad():  getattr(single, f'{{name}}_l0').copy_(getattr(stacked, "
           f"f'{{name}}_l{{layer}}'))    for name in {PARAMS}")
    try:
        with calling("copy_layer"):
            result = copy_layer(stacked, layer, single)
    except (AttributeError, RuntimeError) as err:
        _explain_copy_error(err, num_layers, layer, in_size, single, fix)
    require(
        result is single,
        "copy_layer() should return `single` itself (now holding the layer's weights), "
        f"but it returned {'None' if result is None else 'a ' + type(result).__name__}.\n"
        "  Fix:  end with `return single`",
    )
    changed = [k for k, v in stacked.state_dict().items() if not torch.equal(v, stacked_before[k])]
    require(
        not changed,
        f"copy_layer() changed stacked: {', '.join(changed)} now hold other numbers.\n"
        "  The copy goes one way only: from stacked (the source) into single (the destination).\n"
        f"  Fix:  {fix}",
    )
    for name in PARAMS:
        _check_copied(name, single, stacked, layer, num_layers, single_before[f"{name}_l0"], fix)
    # The numbers are right; the module must also compute with them.
    reference = nn.LSTM(in_size, hidden)
    reference.load_state_dict({f"{n}_l0": stacked_before[f"{n}_l{layer}"] for n in PARAMS})
    x = torch.randn(7, 4, in_size)
    with torch.no_grad():
        got_out, _ = single(x)
        want_out, _ = reference(x)
    require(
        _close(got_out, want_out),
        "single's parameters hold the right numbers, but single(x) does not compute with them.\n"
        "  nn.LSTM reads its weights through the registered parameters; replace values in place.\n"
        f"  Fix:  {fix}",
    )


def _explain_copy_error(err, num_layers, layer, in_size, single, fix) -> None:
    """copy_layer raised: a parameter name that does not exist, a copy under autograd, a wrong shape."""
    __tracebackhide__ = True
    msg = str(err)
    if isinstance(err, AttributeError):
        if "_l" not in msg:
            raise err
        raise CheckFailed(
            f"copy_layer() asked for a parameter that does not exist: {err}.\n"
            f"  stacked (num_layers={num_layers}) names its layers _l0 ... _l{num_layers - 1}; a one-layer "
            "nn.LSTM has only _l0,\n  so single's parameters are always weight_ih_l0, weight_hh_l0, "
            "bias_ih_l0, bias_hh_l0.\n"
            f"  Fix:  {fix}"
        ) from None
    if "leaf Variable" in msg:
        raise CheckFailed(
            "copy_layer() wrote into a parameter while autograd was recording:\n"
            f"  PyTorch says: {msg}\n"
            "  Parameters require grad, so an in-place copy must run with gradient tracking off.\n"
            f"  Fix:  {fix}"
        ) from None
    if "must match the size" in msg:
        raise CheckFailed(
            f"copy_layer() copied a tensor of the wrong shape: {msg}.\n"
            f"  single reads {in_size} features (layer {layer} reads "
            f"{'x' if layer == 0 else 'the output of layer ' + str(layer - 1)}), so its weight_ih_l0 is "
            f"(4 x hidden, {in_size}) = {fmt(single.weight_ih_l0.shape)}.\n"
            f"  A weight of another shape comes from another layer: take _l{layer} from stacked.\n"
            f"  Fix:  {fix}"
        ) from None
    raise err


def _check_copied(name, single, stacked, layer, num_layers, before, fix) -> None:
    """single.{name}_l0 is a copy of stacked.{name}_l{layer}; else which tensor it holds instead."""
    __tracebackhide__ = True
    got = getattr(single, f"{name}_l0")
    want = getattr(stacked, f"{name}_l{layer}")
    require(
        got.data_ptr() != want.data_ptr(),
        f"single.{name}_l0 is the very same tensor as stacked.{name}_l{layer}, not a copy:\n"
        "  training either model (or an optimizer step) would change the other one too.\n"
        f"  Fix:  {fix}",
    )
    if torch.equal(got, want):
        return
    if got.shape == before.shape and torch.equal(got, before):
        what = "the biases" if name.startswith("bias") else f"{name}"
        raise CheckFailed(
            f"single.{name}_l0 still holds its own random starting values: {what} were not copied.\n"
            f"  A layer is FOUR tensors: {', '.join(n + '_l' + str(layer) for n in PARAMS)};\n"
            "  with the biases left out the gates get other inputs and single computes something else.\n"
            f"  Fix:  {fix}"
        )
    other = [j for j in range(num_layers) if j != layer
             and getattr(stacked, f"{name}_l{j}").shape == got.shape
             and torch.equal(getattr(stacked, f"{name}_l{j}"), got)]
    mixed = [f"{n}_l{j}" for j in range(num_layers) for n in PARAMS if n != name
             and getattr(stacked, f"{n}_l{j}").shape == got.shape
             and torch.equal(getattr(stacked, f"{n}_l{j}"), got)]
    if mixed and not other:
        raise CheckFailed(
            f"single.{name}_l0 holds stacked.{mixed[0]}: the names got mixed up.\n"
            f"  Each tensor goes to the one of the same name: stacked.{name}_l{layer} -> single.{name}_l0\n"
            "  (weight_ih multiplies the input, weight_hh the previous h; for layers above 0 both are\n"
            "  (4 x hidden, hidden), so PyTorch cannot tell you that they are swapped).\n"
            f"  Fix:  {fix}"
        )
    if other:
        raise CheckFailed(
            f"single.{name}_l0 holds stacked.{name}_l{other[0]}, the weights of layer {other[0]}, "
            f"but you were asked for layer {layer}.\n"
            f"  Layers are counted from 0 (the one that reads x): layer {layer} is "
            f"stacked.{name}_l{layer}.\n"
            f"  Fix:  {fix}"
        )
    raise CheckFailed(
        f"single.{name}_l0 should equal stacked.{name}_l{layer}, but it holds other numbers.\n"
        f"  Fix:  {fix}"
    )


# --- exercises 2 and 4: comparing a hand-made stack with nn.LSTM(num_layers=k) ----------------


def _explain_runtime_error(err: RuntimeError, fn: str, feature: int, hidden: int) -> None:
    """Turn PyTorch's complaints about a stack wired wrong into what to change; re-raise others."""
    __tracebackhide__ = True
    msg = str(err)
    if "must be equal to input_size" in msg:
        raise CheckFailed(
            f"{fn} gave one of the layers input with the wrong number of features.\n"
            f"  PyTorch says: {msg}\n"
            f"  Layer 0 reads x (feature={feature}); every layer above it reads the OUTPUT SEQUENCE of the "
            f"layer below (hidden={hidden} features), never x.\n"
            "  Fix:  out = x;  then for each layer:  out, (h, c) = layer(out)"
        ) from None
    if "Expected hidden[0] size" in msg or "hx and cx should also be 3-D" in msg:
        raise CheckFailed(
            f"{fn} gave a one-layer LSTM an initial state of the wrong shape.\n"
            f"  PyTorch says: {msg}\n"
            "  h0 and c0 are (layers, batch, hidden); each one-layer LSTM takes its own row, kept 3-D: "
            "(1, batch, hidden).\n"
            "  Fix:  layer(out, (h0[l:l + 1], c0[l:l + 1]))    for layer number l"
        ) from None
    raise err


def _unpack(result, fn: str):
    __tracebackhide__ = True
    parts = lstm_result_parts(result)
    require(
        parts is not None,
        f"{fn} should return what nn.LSTM returns: out, (h_n, c_n), but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}"
        f"{' of ' + str(len(result)) + ' items' if isinstance(result, (tuple, list)) else ''}.\n"
        "  Fix:  return out, (h_n, c_n)",
    )
    out, h_n, c_n = parts
    require_tensor(out, "out")
    for name, t in (("h_n", h_n), ("c_n", c_n)):
        if tensor_list(t):
            raise CheckFailed(
                f"{name} is a Python {type(t).__name__} of {len(t)} tensors, each {fmt(t[0].shape)}: one per "
                "layer, not joined yet.\n"
                f"  Each layer's {name[0]} is (1, batch, hidden); put them one below the other on that first axis.\n"
                f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> (layers, batch, hidden)"
            )
    require_tensor(h_n, "h_n")
    require_tensor(c_n, "c_n")
    return out, h_n, c_n


def _check_state_shape(t, name, num_layers, batch, hidden):
    __tracebackhide__ = True
    if t.dim() == 4 and tuple(t.shape[:2]) == (num_layers, 1):
        raise CheckFailed(
            f"{name} has 4 axes, {fmt(t.shape)}: torch.stack added a new axis, but each layer's {name} "
            "is already (1, batch, hidden).\n"
            f"  Put the layers' rows one below the other on the existing first axis.\n"
            f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> (layers={num_layers}, batch={batch}, hidden={hidden})"
        )
    if num_layers > 1 and tuple(t.shape) == (1, batch, num_layers * hidden):
        raise CheckFailed(
            f"{name} is {fmt(t.shape)}: the layers were joined along the hidden axis "
            f"({num_layers} x hidden={hidden} = {num_layers * hidden}), side by side in one row.\n"
            f"  nn.LSTM gives one ROW per layer: {name}[l] is layer l, shape (batch, hidden).\n"
            f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> (layers={num_layers}, batch={batch}, hidden={hidden})"
        )
    if num_layers > 1 and tuple(t.shape) == (1, num_layers * batch, hidden):
        raise CheckFailed(
            f"{name} is {fmt(t.shape)}: the layers were joined along the batch axis "
            f"({num_layers} x batch={batch} = {num_layers * batch}).\n"
            f"  {name} is (layers, batch, hidden) even with batch_first=True: one row per layer.\n"
            f"  Fix:  torch.cat(list_of_{name}, dim=0)     -> (layers={num_layers}, batch={batch}, hidden={hidden})"
        )
    if num_layers > 1 and tuple(t.shape) == (num_layers * batch, hidden):
        raise CheckFailed(
            f"{name} is {fmt(t.shape)}: the layers' (batch={batch}, hidden={hidden}) states were joined end "
            f"to end along the batch axis ({num_layers} x batch={batch} = {num_layers * batch} rows); "
            "the layers axis is gone.\n"
            f"  torch.cat joins along an axis that exists; torch.stack makes a new one.\n"
            f"  Fix:  torch.cat(list_of_{name}, dim=0) of the (1, batch, hidden) states as the layers return "
            f"them,    or    torch.stack of (batch, hidden) ones"
        )
    if num_layers > 1 and tuple(t.shape) == (1, batch, hidden):
        raise CheckFailed(
            f"{name} is {fmt(t.shape)}: one layer only, but the stack has {num_layers} layers.\n"
            f"  nn.LSTM(num_layers={num_layers}) returns the final state of EVERY layer, {name}[0] the "
            f"bottom one, {name}[-1] the top one.\n"
            f"  Fix:  collect each layer's {name} in a list, then torch.cat(list_of_{name}, dim=0)"
        )
    check_shape(t, "layers batch hidden", layers=num_layers, batch=batch, hidden=hidden, name=name)


def _compare_stack(result, *, fn: str, ref, num_layers, batch, seq, hidden, batch_first,
                   alternatives=(), with_state: bool = False) -> None:
    """result vs ref = (out, h_n, c_n) of nn.LSTM(num_layers=k); alternatives: (label, out) pairs
    that a likely bug would produce, with the message to give when out equals one of them."""
    __tracebackhide__ = True
    out, h_n, c_n = _unpack(result, fn)
    ref_out, ref_h, ref_c = ref
    spec = "batch seq hidden" if batch_first else "seq batch hidden"
    check_shape(out, spec, batch=batch, seq=seq, hidden=hidden, name="out")
    _check_state_shape(h_n, "h_n", num_layers, batch, hidden)
    _check_state_shape(c_n, "c_n", num_layers, batch, hidden)
    out = out.detach()
    h_n = h_n.detach()
    c_n = c_n.detach()
    if not _close(out, ref_out):
        _explain_stack_out(out, h_n, ref_h, fn=fn, num_layers=num_layers, alternatives=alternatives,
                           with_state=with_state)
    _explain_stack_states(h_n, c_n, ref_h, ref_c, num_layers)


def _explain_stack_out(out, h_n, ref_h, *, fn, num_layers, alternatives, with_state) -> None:
    """out differs from nn.LSTM's: a likely bug's out, or the first layer whose h_n differs."""
    __tracebackhide__ = True
    for alt_out, message in alternatives:
        if _close(out, alt_out):
            raise CheckFailed(message)
    bad = [layer for layer in range(num_layers) if not _close(h_n[layer], ref_h[layer])]
    if not bad:
        raise CheckFailed(
            f"h_n of {fn} is right for every layer, but out is not the output sequence of the top layer "
            "(out differs from nn.LSTM's).\n"
            "  Return the top layer's out as it comes: out[-1] then equals h_n[-1].\n"
            "  Fix:  out, (h, c) = layer(out)    for each layer, then    return out, (h_n, c_n)"
        )
    first = bad[0]
    start = f", starting from (h0[{first}:{first + 1}], c0[{first}:{first + 1}])" if with_state else ""
    reads = "x as it is" if first == 0 else f"the output sequence of layer {first - 1}"
    ok = "" if first == 0 else (f"layer{'s 0 ..' if first > 1 else ''} {first - 1} "
                                f"match{'' if first > 1 else 'es'} nn.LSTM; ")
    raise CheckFailed(
        f"out of {fn} differs from out of nn.LSTM(num_layers={num_layers}) with the same weights: "
        f"{ok}layer {first} (h_n[{first}]) is the first that does not.\n"
        f"  Layer {first} should read {reads}{start}.\n"
        + ("  Fix:  layer(out, (h0[l:l + 1], c0[l:l + 1]))    for layer number l, with out the output "
           "of the layer below" if with_state else
           "  Fix:  out = x;  then for each layer:  out, (h, c) = layer(out)")
    )


def _explain_stack_states(h_n, c_n, ref_h, ref_c, num_layers) -> None:
    """out is right: h_n and c_n swapped, in reverse layer order, or one layer's row wrong."""
    __tracebackhide__ = True
    if _close(h_n, ref_c) and not _close(h_n, ref_h):
        raise CheckFailed(
            "h_n holds the cell states c_n. nn.LSTM returns out, (h_n, c_n): h first, then c.\n"
            "  Fix:  out, (h, c) = layer(out)    and collect h into h_n, c into c_n"
        )
    if _close(c_n, ref_h) and not _close(c_n, ref_c):
        raise CheckFailed(
            "c_n holds the hidden states h_n (you returned h twice, or h and c swapped).\n"
            "  Fix:  out, (h, c) = layer(out)    and collect h into h_n, c into c_n"
        )
    for name, got, want in (("h_n", h_n, ref_h), ("c_n", c_n, ref_c)):
        for layer in range(num_layers):
            if _close(got[layer], want[layer]):
                continue
            flipped = num_layers - 1 - layer
            if num_layers > 1 and _close(got, want.flip(0)):
                raise CheckFailed(
                    f"the rows of {name} are in reverse order: {name}[0] holds the top layer.\n"
                    f"  nn.LSTM puts layer 0 (the one that reads x) in {name}[0] and the top layer in "
                    f"{name}[-1].\n"
                    f"  Fix:  collect the layers in the order they run, then torch.cat(list_of_{name}, dim=0)"
                )
            hint = (f" It holds layer {flipped}'s instead." if flipped != layer
                    and _close(got[layer], want[flipped]) else "")
            raise CheckFailed(
                f"{name}[{layer}] should be the final {'hidden' if name == 'h_n' else 'cell'} state of "
                f"layer {layer}, as in nn.LSTM(num_layers={num_layers}), but it is not.{hint}\n"
                f"  Fix:  append each layer's {name[0]} in the order the layers run, then "
                f"torch.cat(list_of_{name}, dim=0)"
            )


# --- exercise 2 ------------------------------------------------------------------------------


# what the visible call tries: 3 layers from zeros, seq-first; then 2 layers from a non-zero (h0, c0),
# batch-first, with sizes that are not the notebook's
VISIBLE_STACKS = ({}, dict(num_layers=2, seq=6, batch=3, feature=2, hidden=4, with_state=True,
                           batch_first=True))


def check_manual_stack(manual_stack, **config) -> None:
    """manual_stack(layers, x, state=None) -> out, (h_n, c_n), equal to nn.LSTM(num_layers=k).

    Keywords (num_layers, seq, batch, feature, hidden, with_state, batch_first) pick one stack;
    without any, each configuration of VISIBLE_STACKS is tried.
    """
    __tracebackhide__ = True
    for c in (VISIBLE_STACKS if not config else (config,)):
        _check_manual_stack_once(manual_stack, **c)


def _check_manual_stack_once(manual_stack, *, num_layers: int = 3, seq: int = 7, batch: int = 4,
                             feature: int = 3, hidden: int = 5, with_state: bool = False,
                             batch_first: bool = False) -> None:
    __tracebackhide__ = True
    with seeded(500 + 11 * num_layers + seq + batch + feature):
        _check_manual_stack_seeded(manual_stack, num_layers, seq, batch, feature, hidden, with_state,
                                   batch_first)
    layout = "batch_first " if batch_first else ""
    passed(f"manual_stack: {num_layers} one-layer LSTMs == nn.LSTM(num_layers={num_layers}) "
           f"({layout}out, h_n, c_n{', from h0, c0' if with_state else ''})")


def _check_manual_stack_seeded(manual_stack, num_layers, seq, batch, feature, hidden, with_state,
                               batch_first) -> None:
    __tracebackhide__ = True
    stacked = nn.LSTM(feature, hidden, num_layers=num_layers, batch_first=batch_first)
    layers = _singles(stacked)
    x = torch.randn((batch, seq, feature) if batch_first else (seq, batch, feature))
    state = None
    if with_state:
        state = (torch.randn(num_layers, batch, hidden), torch.randn(num_layers, batch, hidden))
    with torch.no_grad():
        ref_out, (ref_h, ref_c) = stacked(x, state)
        plain_out, _ = stacked(x)
        alternatives = [(_run_alone(layers[0], x), (
            "out is the output of layer 0 only. out must come from the TOP layer, after every layer "
            "has run on the output of the one below.\n"
            "  Fix:  out = x;  then for each layer:  out, (h, c) = layer(out);  return out, ...")),
        ]
        if feature == hidden and num_layers > 1:
            alternatives.append((_run_alone(layers[-1], x), (
                "every layer read x: out is what the top layer gives on x itself.\n"
                "  Layer 0 reads x; each layer above reads the OUTPUT SEQUENCE of the layer below.\n"
                "  Fix:  out = x;  then for each layer:  out, (h, c) = layer(out)")))
        if with_state:
            alternatives.append((plain_out, (
                "out is what the stack gives when it starts from zeros: the state (h0, c0) was ignored.\n"
                "  Layer l starts from row l of h0 and c0.\n"
                "  Fix:  layer(out, (h0[l:l + 1], c0[l:l + 1]))")))
    given = [_clone_module(m) for m in layers]
    inputs = {"x": x.clone()} if state is None else {"x": x.clone(), "h0": state[0].clone(),
                                                     "c0": state[1].clone()}
    kept = keep(**inputs)
    try:
        with calling("manual_stack"), torch.no_grad():
            if state is None:
                result = manual_stack(given, inputs["x"])
            else:
                result = manual_stack(given, inputs["x"], (inputs["h0"], inputs["c0"]))
    except RuntimeError as err:
        _explain_runtime_error(err, "manual_stack()", feature, hidden)
    require_unchanged("manual_stack(layers, x" + (")" if state is None else ", (h0, c0))"), kept, **inputs)
    _compare_stack(result, fn="manual_stack()", ref=(ref_out, ref_h, ref_c), num_layers=num_layers,
                   batch=batch, seq=seq, hidden=hidden, batch_first=batch_first,
                   alternatives=alternatives, with_state=with_state)


def _run_alone(layer: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    out, _ = layer(x)
    return out


def _clone_module(m: nn.LSTM) -> nn.LSTM:
    twin = nn.LSTM(m.input_size, m.hidden_size, batch_first=m.batch_first)
    twin.load_state_dict(m.state_dict())
    return twin


# --- exercise 3 ------------------------------------------------------------------------------


def check_layer_state(layer_state, top_layer, *, num_layers: int = 3, batch: int = 4, seq: int = 7,
                      feature: int = 3, hidden: int = 5, batch_first: bool = False) -> None:
    """layer_state(h_n, layer) -> (batch, hidden) of that layer; top_layer(h_n) -> the top layer's."""
    __tracebackhide__ = True
    where = "out[:, -1]" if batch_first else "out[-1]"
    with seeded(900 + 13 * num_layers + batch + seq):
        stacked = nn.LSTM(feature, hidden, num_layers=num_layers, batch_first=batch_first)
        x = torch.randn((batch, seq, feature) if batch_first else (seq, batch, feature))
        with torch.no_grad():
            out, (h_n, c_n) = stacked(x)
            per_layer = _per_layer_states(stacked, x)
        _check_layer_state(layer_state, h_n, per_layer, num_layers, batch, hidden)
        _check_top_layer(top_layer, h_n, _last_step(out, batch_first), where, num_layers, batch, hidden)
    layout = ", batch_first" if batch_first else ""
    passed(f"layer_state and top_layer: h_n[l] is layer l, h_n[-1] == {where} ({num_layers} layers{layout})")


def _per_layer_states(stacked: nn.LSTM, x: torch.Tensor) -> list[torch.Tensor]:
    """The final hidden state of each layer l, computed without h_n: the last step of the output of
    a truncated copy of the stack (its first l + 1 layers), whose top layer is layer l."""
    per_layer = []
    for layer in range(stacked.num_layers):
        part = nn.LSTM(stacked.input_size, stacked.hidden_size, num_layers=layer + 1,
                       batch_first=stacked.batch_first)
        part.load_state_dict({k: v for k, v in stacked.state_dict().items()
                              if int(k.rsplit("_l", 1)[1]) <= layer})
        part_out, _ = part(x)
        per_layer.append(_last_step(part_out, stacked.batch_first))
    return per_layer


def _ask(fn, name, h_n, *args):
    """The learner's fn on a copy of h_n, which must come back unchanged; the result is a tensor."""
    __tracebackhide__ = True
    given = h_n.clone()
    kept = keep(h_n=given)
    with calling(name):
        got = fn(given, *args)
    require_unchanged(f"{name}(h_n{''.join(', ' + repr(a) for a in args)})", kept, h_n=given)
    require_tensor(got, "result")
    return got


def _check_layer_state(layer_state, h_n, per_layer, num_layers, batch, hidden) -> None:
    __tracebackhide__ = True
    for layer in range(num_layers):
        got = _ask(layer_state, "layer_state", h_n, layer)
        _state_shape(got, f"layer_state(h_n, {layer})", num_layers, batch, hidden, f"h_n[{layer}]")
        if _close(got, per_layer[layer]):
            continue
        if batch == num_layers and _close(got, h_n[:, layer]):
            raise CheckFailed(_batch_first_message(f"layer_state(h_n, {layer})", f"h_n[{layer}]"))
        flipped = num_layers - 1 - layer
        if _close(got, per_layer[flipped]):
            raise CheckFailed(
                f"layer_state(h_n, {layer}) returned layer {flipped}'s state: the layers were counted "
                "from the top.\n"
                "  h_n[0] is the bottom layer (the one that reads x), h_n[-1] the top one.\n"
                "  Fix:  return h_n[layer]"
            )
        raise CheckFailed(
            f"layer_state(h_n, {layer}) should be the final hidden state of layer {layer}, "
            f"(batch={batch}, hidden={hidden}), but it holds other numbers.\n"
            "  Fix:  return h_n[layer]"
        )


def _check_top_layer(top_layer, h_n, last_out, where, num_layers, batch, hidden) -> None:
    __tracebackhide__ = True
    top = _ask(top_layer, "top_layer", h_n)
    _state_shape(top, "top_layer(h_n)", num_layers, batch, hidden, "h_n[-1]")
    if not _close(top, last_out):
        if num_layers > 1 and _close(top, h_n[0]):
            raise CheckFailed(
                "top_layer(h_n) returned h_n[0], the BOTTOM layer (the one that reads x).\n"
                f"  The top layer is the last row, h_n[-1]; it equals the last step of out, {where}.\n"
                "  Fix:  return h_n[-1]"
            )
        row = [j for j in range(1, num_layers - 1) if _close(top, h_n[j])]
        if row:
            raise CheckFailed(
                f"top_layer(h_n) returned h_n[{row[0]}], layer {row[0]}, but this h_n has {num_layers} layers: "
                f"the top one is h_n[{num_layers - 1}].\n"
                "  A fixed row number fits one stack only; h_n[-1] is the top layer of any stack.\n"
                "  Fix:  return h_n[-1]"
            )
        if batch == num_layers and _close(top, h_n[:, -1]):
            raise CheckFailed(_batch_first_message("top_layer(h_n)", "h_n[-1]"))
        raise CheckFailed(
            f"top_layer(h_n) should equal the top layer's last output, {where}, but it does not.\n"
            "  Fix:  return h_n[-1]"
        )
    # the same function on the h_n of a taller stack: a row number fixed in the code shows up here
    taller = seeded_randn(num_layers + 1, batch, hidden, seed=num_layers)
    given = taller.clone()
    kept = keep(h_n=given)
    with calling("top_layer"):
        got = top_layer(given)
    require_unchanged("top_layer(h_n)", kept, h_n=given)
    if not _close(got, taller[-1]):
        row = [j for j in range(num_layers) if _close(got, taller[j])]
        require(
            not row,
            f"top_layer(h_n) is right for this {num_layers}-layer stack, but on the h_n of a "
            f"{num_layers + 1}-layer stack it returned h_n[{row[0] if row else ''}], not the top layer "
            f"h_n[{num_layers}].\n"
            "  A fixed row number fits one stack only; h_n[-1] is the top layer of any stack.\n"
            "  Fix:  return h_n[-1]",
        )
        raise CheckFailed(
            f"top_layer(h_n) is right for this {num_layers}-layer stack, but not on the h_n of a "
            f"{num_layers + 1}-layer stack: it should return its last row.\n"
            "  Fix:  return h_n[-1]"
        )


def _looks_dropped(got: torch.Tensor, clean: torch.Tensor, p: float) -> bool:
    """got is clean after dropout: some numbers 0, the others clean / (1 - p)."""
    zero = got == 0
    return bool(zero.any()) and bool((~zero).any()) and torch.allclose(
        got[~zero], clean[~zero] / (1 - p), atol=ATOL * 10)


def _batch_first_message(call: str, fix: str) -> str:
    return (
        f"{call} took one SEQUENCE from every layer (h_n[:, ...]), not one layer for every sequence.\n"
        "  h_n is (layers, batch, hidden) whatever batch_first says: the first index picks the layer.\n"
        f"  Fix:  return {fix}"
    )


def _state_shape(got, call, num_layers, batch, hidden, fix):
    __tracebackhide__ = True
    if got.dim() == 1 and got.shape[0] == hidden and batch > 1:
        raise CheckFailed(
            f"{call} has shape {fmt(got.shape)}: the state of ONE sequence (hidden={hidden} numbers), "
            f"but it should be (batch={batch}, hidden={hidden}), one row per sequence.\n"
            "  One index on h_n picks a layer and keeps every sequence; a second index picks a sequence.\n"
            f"  Fix:  return {fix}"
        )
    if tuple(got.shape) == (num_layers, hidden) and num_layers != batch:
        raise CheckFailed(
            f"{call} has shape {fmt(got.shape)} = (layers={num_layers}, hidden={hidden}), but it should be "
            f"(batch={batch}, hidden={hidden}).\n"
            f"  {_batch_first_message(call, fix)}"
        )
    if tuple(got.shape) == (1, batch, hidden):
        raise CheckFailed(
            f"{call} has shape {fmt(got.shape)}: a slice keeps the layers axis.\n"
            f"  One layer's state is (batch={batch}, hidden={hidden}); index with a number, not a range.\n"
            f"  Fix:  return {fix}"
        )
    check_shape(got, "batch hidden", batch=batch, hidden=hidden, name=call)


# --- exercise 4 ------------------------------------------------------------------------------


def check_stacked_lstm(StackedLSTM, *, input_size: int = 3, hidden_size: int = 5, num_layers: int = 3,  # noqa: N803
                       dropout: float = 0.4, seq: int = 7, batch: int = 4) -> None:
    """StackedLSTM(input_size, hidden_size, num_layers, dropout) behaves as nn.LSTM(..., dropout=dropout)."""
    __tracebackhide__ = True
    with seeded(1300 + 17 * num_layers + input_size):
        with calling("StackedLSTM"):
            model = StackedLSTM(input_size, hidden_size, num_layers, dropout)
        layers = _require_layers(model, input_size, hidden_size, num_layers)
        reference = _lstm(input_size, hidden_size, num_layers=num_layers, dropout=dropout)
        x = torch.randn(seq, batch, input_size)
    for i, layer in enumerate(layers):
        copy_layer_weights(layer, reference, i)
    run = functools.partial(_run_stack, model, x, input_size, hidden_size)
    first = _check_eval_mode(run, reference, x, num_layers=num_layers, batch=batch, seq=seq,
                             hidden=hidden_size)
    # train mode: nn.LSTM draws its dropout masks with torch's generator, layer by layer; the same
    # seed gives the same masks when the stack drops the same tensors with nn.functional.dropout.
    reference.train()
    with seeded(7), torch.no_grad():
        t_ref_out, (t_ref_h, t_ref_c) = reference(x)
    got = run(True, 7)
    out, h_n, c_n = _unpack(got, STACK_FORWARD)
    check_shape(out, "seq batch hidden", seq=seq, batch=batch, hidden=hidden_size, name="out")
    if _close(out, t_ref_out) and _close(h_n, t_ref_h) and _close(c_n, t_ref_c):
        model.train()
        passed(f"StackedLSTM: == nn.LSTM({input_size}, {hidden_size}, num_layers={num_layers}, "
               f"dropout={dropout}) in eval and train mode")
        return
    _, h_eval, c_eval = _unpack(first, STACK_FORWARD)
    _explain_train_mode(run, layers, out, h_n, c_n, (h_eval, c_eval), (t_ref_out, t_ref_h), dropout,
                        num_layers)
    _explain_fixed_p(out, reference, x, dropout, num_layers)
    raise CheckFailed(
        f"in train mode the stack differs from nn.LSTM({input_size}, {hidden_size}, num_layers={num_layers}, "
        f"dropout={dropout}) run with the same seed.\n"
        "  nn.LSTM applies nn.functional.dropout(out, p=dropout) to the output of each layer except the top "
        "one, in order; done the same way, your stack draws the same random masks.\n"
        "  Fix:  for l >= 1:  out = nn.functional.dropout(out, p=self.dropout, training=self.training);  "
        "out, (h, c) = self.layers[l](out)"
    )


STACK_FORWARD = "StackedLSTM.forward()"


def _require_layers(model, input_size: int, hidden_size: int, num_layers: int) -> nn.ModuleList:
    """model.layers: an nn.ModuleList of num_layers plain one-layer nn.LSTMs of the right sizes."""
    __tracebackhide__ = True
    require(
        isinstance(model, nn.Module),
        f"StackedLSTM(...) should build an nn.Module, but it is a {type(model).__name__}.",
    )
    layers = getattr(model, "layers", None)
    require(
        layers is not None,
        "StackedLSTM should keep its one-layer LSTMs in self.layers (an nn.ModuleList).\n"
        "  Fix:  self.layers = nn.ModuleList([nn.LSTM(...), ...])    in __init__",
    )
    if isinstance(layers, (list, tuple)):
        n = len(list(model.parameters()))
        raise CheckFailed(
            f"self.layers is a plain Python {type(layers).__name__}, so PyTorch does not see the LSTMs in it:\n"
            f"  model.parameters() holds {n} tensors, so an optimizer would train nothing, and "
            "model.to(device), model.state_dict() and model.eval() skip them.\n"
            "  Fix:  self.layers = nn.ModuleList([...])"
        )
    require(
        isinstance(layers, nn.ModuleList),
        f"self.layers should be an nn.ModuleList of nn.LSTM, but it is a {type(layers).__name__}.",
    )
    require(
        len(layers) == num_layers,
        f"self.layers holds {len(layers)} modules, but the stack has num_layers={num_layers}.\n"
        "  Fix:  one nn.LSTM per layer, range(num_layers)",
    )
    for i, layer in enumerate(layers):
        _require_layer(i, layer, input_size, hidden_size)
    return layers


def _require_layer(i: int, layer, input_size: int, hidden_size: int) -> None:
    __tracebackhide__ = True
    require(
        isinstance(layer, nn.LSTM) and layer.num_layers == 1,
        f"self.layers[{i}] should be a ONE-layer nn.LSTM, but it is "
        f"{layer if not isinstance(layer, nn.LSTM) else 'nn.LSTM(num_layers=' + str(layer.num_layers) + ')'}.\n"
        "  Fix:  nn.LSTM(in_size, hidden_size)    (num_layers=1 is the default)",
    )
    want_in = input_size if i == 0 else hidden_size
    require(
        layer.input_size == want_in,
        f"self.layers[{i}] reads input_size={layer.input_size}, but layer {i} reads "
        + ("x, which has input_size="
           f"{input_size} features" if i == 0 else
           f"the output of layer {i - 1}, which has hidden_size={hidden_size} features")
        + ".\n  Fix:  nn.LSTM(input_size if l == 0 else hidden_size, hidden_size)",
    )
    require(
        layer.hidden_size == hidden_size,
        f"self.layers[{i}] has hidden_size={layer.hidden_size}, but every layer of "
        f"nn.LSTM(..., hidden_size={hidden_size}) has {hidden_size}.",
    )
    require(
        not layer.batch_first and not layer.bidirectional and layer.proj_size == 0,
        f"self.layers[{i}] should be a plain nn.LSTM(in_size, hidden_size): no batch_first, "
        "bidirectional or proj_size here.",
    )


def _run_stack(model, x, input_size: int, hidden_size: int, mode_train: bool, seed: int):
    """model(x) in train or eval mode, its dropout drawn from `seed`; x must come back unchanged."""
    __tracebackhide__ = True
    model.train(mode_train)
    try:
        with seeded(seed):
            given = x.clone()
            kept = keep(x=given)
            with calling("StackedLSTM.forward"), torch.no_grad():
                result = model(given)
            require_unchanged("StackedLSTM.forward(x)", kept, x=given)
            return result
    except RuntimeError as err:
        _explain_runtime_error(err, STACK_FORWARD, input_size, hidden_size)


def _check_eval_mode(run, reference, x, *, num_layers, batch, seq, hidden):
    """In eval mode no dropout at all: the stack is exactly nn.LSTM. Returns the first run's result."""
    __tracebackhide__ = True
    reference.eval()
    with torch.no_grad():
        ref_out, (ref_h, ref_c) = reference(x)
    first, second = run(False, 1), run(False, 2)
    out1, _, _ = _unpack(first, STACK_FORWARD)
    out2, _, _ = _unpack(second, STACK_FORWARD)
    if out1.shape == out2.shape and not torch.equal(out1, out2):
        raise CheckFailed(
            "in eval mode (model.eval()) two runs on the same x give different outputs: dropout is still on.\n"
            "  Dropout acts in train mode only; nn.functional.dropout drops in EVERY mode unless told "
            "otherwise (training=True is its default).\n"
            "  Fix:  nn.functional.dropout(out, p=self.dropout, training=self.training)    or an nn.Dropout module"
        )
    _compare_stack(first, fn=STACK_FORWARD + " in eval mode", ref=(ref_out, ref_h, ref_c),
                   num_layers=num_layers, batch=batch, seq=seq, hidden=hidden, batch_first=False)
    return first


def _explain_train_mode(run, layers, out, h_n, c_n, eval_state, train_ref, dropout: float,
                        num_layers: int) -> None:
    """The train-mode output differs from nn.LSTM's: name the known mistake that explains it, if any."""
    __tracebackhide__ = True
    (h_eval, c_eval), (t_ref_out, t_ref_h) = eval_state, train_ref
    dropped = [name for name, got_s, clean in (("h_n", h_n, h_eval), ("c_n", c_n, c_eval))
               if dropout > 0 and got_s.shape == clean.shape and _looks_dropped(got_s[0], clean[0], dropout)]
    if _close(out, t_ref_out) or dropped:
        which = (dropped or ["h_n" if not _close(h_n, t_ref_h) else "c_n"])[0]
        raise CheckFailed(
            f"in train mode {which} was dropped too: some of its numbers are 0 and the others are scaled by "
            f"1 / (1 - p).\n"
            f"  nn.LSTM(dropout={dropout}) drops only the output sequence a layer passes up to the next one; "
            "h_n and c_n are never dropped.\n"
            "  Fix:  collect h and c as each layer returns them;  drop only the `out` that goes up"
        )
    if dropout > 0 and float((out == 0).float().mean()) > 0.5 * dropout:
        raise CheckFailed(
            f"in train mode {float((out == 0).float().mean()):.0%} of out is exactly 0: dropout was "
            "applied to the top layer's output too.\n"
            f"  nn.LSTM(dropout={dropout}) drops the outputs of "
            f"{'layer 0' if num_layers == 2 else f'layers 0 .. {num_layers - 2}'} on their way up, "
            "never the output of the last layer: what leaves the LSTM is not dropped.\n"
            "  Fix:  drop only between layers, e.g.  if l > 0: out = nn.functional.dropout(out, ...)"
            "  before running layer l"
        )
    other, _, _ = _unpack(run(True, 8), STACK_FORWARD)
    _explain_same_twice(other, out, layers, dropout, num_layers)
    if not _close(h_n[0], h_eval[0]):
        raise CheckFailed(
            "in train mode the final state of layer 0 (h_n[0]) changes: x itself was dropped before layer 0.\n"
            "  nn.LSTM's dropout acts BETWEEN layers only: layer 0 reads x untouched (Keras's dropout= "
            "argument drops inputs; PyTorch's does not).\n"
            "  Fix:  drop the output of layer l - 1 before layer l, for l >= 1 only"
        )
    if not _close(h_n[-1], out[-1]):
        raise CheckFailed(
            "in train mode h_n[-1] differs from out[-1]: out was changed after the top layer ran.\n"
            "  What the top layer returns is what the stack returns: out[-1] == h_n[-1] in every mode.\n"
            "  Fix:  return the top layer's out as it comes"
        )


def _explain_same_twice(other, out, layers, dropout: float, num_layers: int) -> None:
    """Two train-mode runs with other seeds: they differ without dropout, or agree with it."""
    __tracebackhide__ = True
    if dropout == 0 and not torch.equal(other, out):
        raise CheckFailed(
            "this stack was built with dropout=0.0, yet in train mode two runs give different outputs: "
            "it drops with a p of its own.\n"
            "  Use the p the stack was built with, kept in self.dropout.\n"
            "  Fix:  nn.functional.dropout(out, p=self.dropout, training=self.training)"
        )
    if dropout > 0 and num_layers > 1 and torch.equal(other, out):
        per_layer = any(getattr(layer, "dropout", 0) for layer in layers)
        extra = ("\n  nn.LSTM(in_size, hidden, dropout=p) with one layer does nothing (PyTorch warns): its "
                 "dropout acts between ITS OWN layers, and it has none." if per_layer else "")
        raise CheckFailed(
            f"in train mode two runs give the same outputs: no dropout happens between the layers "
            f"(dropout={dropout}).{extra}\n"
            "  Fix:  out = nn.functional.dropout(out, p=self.dropout, training=self.training)    "
            "between layer l - 1 and layer l"
        )


def _explain_fixed_p(out, reference: nn.LSTM, x, dropout: float, num_layers: int) -> None:
    """The stack drops with a p written in the code: nn.LSTM with that p, same seed, gives its out."""
    __tracebackhide__ = True
    for other_p in (0.5, 0.1, 0.2, 0.25, 0.3, 0.4):
        if other_p == dropout or num_layers == 1:
            continue
        twin = seeded_lstm(reference.input_size, reference.hidden_size, num_layers=num_layers, dropout=other_p)
        twin.load_state_dict(reference.state_dict())
        with seeded(7), torch.no_grad():
            twin_out, _ = twin(x)
        if _close(out, twin_out):
            raise CheckFailed(
                f"in train mode your stack drops with p={other_p}, but it was built with dropout={dropout}: "
                "the p is fixed in your code.\n"
                "  Use the p the stack was built with, kept in self.dropout.\n"
                "  Fix:  nn.functional.dropout(out, p=self.dropout, training=self.training)"
            )
