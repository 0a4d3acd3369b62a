"""Graded checks for notebook 08, sequence to sequence (human dates -> ISO dates).

Each check builds its own fixtures (seeded tensors, a seeded encoder and decoder of nn.LSTM),
calls the learner's function and compares with PyTorch's own functions (F.cross_entropy,
F.scaled_dot_product_attention) or with a reference loop over the fixtures. The fixture decoder
records what it is fed at every step, so a wrong decoding loop is named by what it fed: <sos>
again, the target, the scores instead of the ids. Failures end with a `Fix:` line. Keyword
arguments let hidden tests vary sizes, ids and seeds.
"""

from __future__ import annotations

import math
import re
import textwrap

import torch
from torch import nn
from torch.nn import functional as F

from .. import heldout
from ..shapes import _fmt
from .common import CheckFailed, calling, close, max_difference, passed, require, require_tensor

PAD = 0  # the course's Vocab: id 0 is <pad>, id 1 is <unk>


def _quote(err, first: str = "  ") -> str:
    """PyTorch's first line, wrapped at word boundaries to fit 88 columns (two lines at most)."""
    lines = textwrap.wrap(str(err).splitlines()[0], width=86, initial_indent=first,
                          subsequent_indent="  ", max_lines=2, placeholder=" ...")
    return "\n".join(lines)


def _cuda() -> bool:
    return torch.cuda.is_available()


def _ids(batch, seq, low, high, *, seed):
    return torch.randint(low, high, (batch, seq), generator=torch.Generator().manual_seed(seed))


def _padded_targets(lengths, seq, vocab, eos_id, pad_id, *, seed, avoid=()):
    """(batch, seq) target ids: tokens, then <eos>, then pad_id; no special id among the tokens."""
    g = torch.Generator().manual_seed(seed)
    specials = {pad_id, eos_id, *avoid}
    choices = torch.tensor([i for i in range(vocab) if i not in specials])
    rows = []
    for n in lengths:
        row = torch.full((seq,), pad_id, dtype=torch.long)
        row[: n - 1] = choices[torch.randint(len(choices), (n - 1,), generator=g)]
        row[n - 1] = eos_id
        rows.append(row)
    return torch.stack(rows)


def _on_meta(fn_name: str, call):
    """Run call() on 'meta' tensors (a stand-in for a GPU); say so if the result left the device."""
    __tracebackhide__ = True
    try:
        result = call()
    except RuntimeError as err:
        if "device" not in str(err) and "meta" not in str(err):
            raise
        raise CheckFailed(
            f"{fn_name} makes a tensor on the CPU whatever device its input is on: the check\n"
            "  moved the input to PyTorch's 'meta' device (a stand-in for a GPU) and got\n"
            f"{_quote(err)}\n"
            "  Fix:  torch.full_like(targets[:, :1], sos_id)    # the dtype and device of targets"
        ) from None
    return result


# --- exercise 1: decoder_inputs ------------------------------------------------------------------


INPUTS_CONFIGS = (dict(batch=4, seq=6, sos_id=5), dict(batch=3, seq=4, sos_id=7),
                  dict(batch=2, seq=1, sos_id=9))
_INPUTS_FIX = "torch.cat([torch.full_like(targets[:, :1], sos_id), targets[:, :-1]], dim=1)"


def check_decoder_inputs(decoder_inputs, *, configs=INPUTS_CONFIGS, pad_id: int = PAD,
                         seed: int = 0) -> None:
    """decoder_inputs(targets, sos_id) -> (batch, seq): [<sos>, y_0, ..., y_{seq-2}] in every row.

    configs: one dict(batch=..., seq=..., sos_id=...) per case, drawn with seed + k; targets are
    padded rows of different lengths, each ending in <eos> (id 3 unless that is sos_id) and pad_id.
    """
    __tracebackhide__ = True
    fix = _INPUTS_FIX
    for k, config in enumerate(configs):
        _check_decoder_inputs_once(decoder_inputs, **config, pad_id=pad_id, seed=seed + k)
    # on a GPU the <sos> column must be made where the targets are
    targets = _padded_targets([5, 3, 1], 5, 12, 3, pad_id, seed=seed + 9).to("meta")
    got = _on_meta("decoder_inputs()", lambda: decoder_inputs(targets, 2))
    require(
        isinstance(got, torch.Tensor) and got.device.type == "meta",
        f"decoder_inputs() returned a tensor on {getattr(got, 'device', None)} for targets on "
        "the 'meta' device\n  (a stand-in for a GPU): make the result where the targets are.\n"
        f"  Fix:  {fix}",
    )
    sizes = ", ".join(f"({c['batch']}, {c['seq']})" for c in configs)
    passed(f"decoder_inputs: <sos> then targets[:, :-1], for targets {sizes} with sos ids "
           f"{sorted({c['sos_id'] for c in configs})}, padding kept, targets untouched")


def _check_decoder_inputs_once(decoder_inputs, *, batch: int, seq: int, sos_id: int, pad_id: int,
                               seed: int):
    __tracebackhide__ = True
    fix = _INPUTS_FIX
    eos_id = 3 if sos_id != 3 else 4
    lengths = [seq - (i % seq) for i in range(batch)]  # full length first, then shorter
    targets = _padded_targets(lengths, seq, 12, eos_id, pad_id, seed=seed, avoid=(sos_id,))
    given = targets.clone()
    with calling("decoder_inputs"):
        got = decoder_inputs(given, sos_id)
    require_tensor(got, "inputs")
    require(
        torch.equal(given, targets),
        "decoder_inputs() changed `targets` in place: the loss needs them as they were.\n"
        "  Build a new tensor instead of writing into targets.\n"
        f"  Fix:  {fix}",
    )
    want = torch.cat([torch.full((batch, 1), sos_id), targets[:, :-1]], dim=1)
    label = f"targets (batch={batch}, seq={seq}), sos_id={sos_id}"
    _require_inputs_shape(got, batch, seq, label)
    _compare_inputs(got.detach().cpu().long(), want, targets, sos_id, label)


def _require_inputs_shape(got, batch: int, seq: int, label: str):
    __tracebackhide__ = True
    fix = _INPUTS_FIX
    shape = (batch, seq)
    if tuple(got.shape) != shape:
        if tuple(got.shape) == (batch, seq + 1):
            raise CheckFailed(
                f"inputs has seq={seq + 1} columns, one more than targets (batch={batch}, "
                f"seq={seq}).\n"
                "  <sos> goes in front, so the last target token drops out: nothing is\n"
                "  predicted after it.\n"
                f"  Fix:  {fix}"
            )
        if tuple(got.shape) == (batch, seq - 1):
            raise CheckFailed(
                f"inputs has seq={seq - 1} columns, one fewer than targets (batch={batch}, "
                f"seq={seq}).\n"
                "  The decoder reads one input per target token: <sos>, then all targets but "
                "the last.\n"
                f"  Fix:  {fix}"
            )
        if tuple(got.shape) in ((batch + 1, seq), (batch - 1, seq)):
            raise CheckFailed(
                f"inputs is {_fmt(got.shape)}: the shift ran along the batch axis (axis 0), "
                f"for\n  {label}.\n"
                "  Shift each row along the steps: axis 1 of (batch, seq).\n"
                f"  Fix:  {fix}"
            )
        raise CheckFailed(
            f"inputs should be (batch={batch}, seq={seq}), like targets, but its shape is "
            f"{_fmt(got.shape)}.\n  Fix:  {fix}"
        )
    require(
        not got.is_floating_point(),
        f"inputs holds {got.dtype} numbers; nn.Embedding needs integer token ids.\n"
        "  torch.full((batch, 1), 2.0) makes floats; full_like(targets, ...) keeps their "
        "dtype.\n"
        f"  Fix:  {fix}",
    )


def _compare_inputs(got, want, targets, sos_id: int, label: str):
    """inputs against [<sos>, y_0, ..., y_{seq-2}]; the known mistakes of the shift by name."""
    __tracebackhide__ = True
    fix = _INPUTS_FIX
    batch, seq = targets.shape
    if torch.equal(got, want):
        return
    if torch.equal(got, targets):
        raise CheckFailed(
            "decoder_inputs() returned the targets unshifted: at step t the decoder would read "
            "y_t,\n  the very token it must predict, and learn to copy its input; at "
            "inference there is\n  no y_t to read. Input t is the token BEFORE it: <sos>, "
            "y_0, ..., y_{seq-2}.\n"
            f"  Fix:  {fix}"
        )
    left = torch.cat([targets[:, 1:], targets[:, :1]], dim=1)
    if seq > 1 and torch.equal(got[:, :-1], left[:, :-1]):
        raise CheckFailed(
            "decoder_inputs() shifted the targets to the LEFT: step t reads y_{t+1}, a "
            "token\n  from the future. Teacher forcing feeds the PREVIOUS true token: <sos> "
            "first,\n  then y_0, ..., y_{seq-2}.\n"
            f"  Fix:  {fix}"
        )
    if seq > 1 and torch.equal(got[:, 1:], want[:, 1:]):
        first = sorted({int(v) for v in got[:, 0]})
        raise CheckFailed(
            f"column 0 of inputs holds {first}, but every row must start with <sos>, "
            f"id sos_id={sos_id}\n  (this check uses other ids than the notebook's, so a fixed "
            "number is caught).\n"
            f"  Fix:  {fix}"
        )
    if torch.equal(got, torch.cat([targets[:, 1:], torch.full((batch, 1), sos_id)], dim=1)) or (
            torch.equal(got[:, -1], torch.full((batch,), sos_id)) and seq > 1):
        raise CheckFailed(
            "<sos> went to the END of each row; it is the decoder's first input, column 0.\n"
            f"  Fix:  {fix}"
        )
    rolled = torch.cat([torch.full((1, seq), sos_id), targets[:-1]], dim=0)
    if torch.equal(got, rolled):
        raise CheckFailed(
            "decoder_inputs() shifted the rows (the batch axis, axis 0): row b holds sequence "
            "b - 1.\n  Shift each row along its steps, axis 1.\n"
            f"  Fix:  {fix}"
        )
    bad = (got != want).nonzero()[0].tolist()
    raise CheckFailed(
        f"inputs differs from [<sos>, y_0, ..., y_{{seq-2}}] for {label}: first at row "
        f"{bad[0]}, step {bad[1]},\n  where it holds {int(got[bad[0], bad[1]])} and should hold "
        f"{int(want[bad[0], bad[1]])}.\n"
        f"  Fix:  {fix}"
    )


# --- exercise 2: attention -----------------------------------------------------------------------


def _attention_case(batch, steps, src, hidden, *, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(batch, steps, hidden, generator=g) * 0.8
    keys = torch.randn(batch, src, hidden, generator=g) * 0.8
    lengths = torch.tensor([src - (3 * i) % src for i in range(batch)])  # full length first
    if batch > 1:
        lengths[-1] = 1
    lengths = lengths[torch.randperm(batch, generator=g)]  # unsorted
    mask = torch.arange(src)[None, :] < lengths[:, None]
    return query.to(device), keys.to(device), mask.to(device), lengths


def _reference_attention(query, keys, mask):
    context = F.scaled_dot_product_attention(query, keys, keys, attn_mask=mask[:, None, :], scale=1.0)
    scores = (query @ keys.transpose(1, 2)).masked_fill(~mask[:, None, :], float("-inf"))
    return context, scores.softmax(dim=-1)


def _attention_mistakes(query, keys, mask):
    """(weights, message) under each known mistake, first match wins."""
    scores = query @ keys.transpose(1, 2)
    pad = ~mask[:, None, :]
    fix = _WEIGHTS_FIX
    after = scores.softmax(dim=-1).masked_fill(pad, 0.0)
    out = [
        (scores.softmax(dim=-1),
         "the weights give padding a share: the mask was not applied.\n"
         "  Row b may only look at its first lengths[b] source positions; the rest is "
         "padding.\n"
         "  Set their scores to -inf BEFORE the softmax, so their weight is exactly 0.\n"
         f"  Fix:  {fix}"),
        (after,
         "the weights are 0 at padding but no longer sum to 1: the mask came AFTER the "
         "softmax.\n"
         "  The softmax already gave padding a share; zeroing it leaves the rest too small.\n"
         f"  Fix:  {fix}"),
        (scores.masked_fill(pad, 0.0).softmax(dim=-1),
         "padding got a share of the weights: its scores were set to 0, not -inf, before "
         "the\n  softmax, and exp(0) = 1 is not nothing. Only -inf (or a huge negative "
         "number)\n  gives a weight of 0.\n"
         f"  Fix:  {fix}"),
        (scores.masked_fill(mask[:, None, :], float("-inf")).softmax(dim=-1),
         "the mask is inverted: it is True at REAL tokens (position < length), and "
         "masked_fill\n  fills where it is True, so the real tokens were removed and padding "
         "kept.\n"
         f"  Fix:  {fix}"),
        (scores.masked_fill(~mask[:, :, None], float("-inf")).softmax(dim=-1)
         if scores.shape[1] == scores.shape[2] else None,
         "the mask was applied along the wrong axis: mask[:, :, None] masks target steps "
         "(axis 1);\n  the padding is in the SOURCE positions, the last axis of the scores\n"
         "  (batch, target seq, source seq).\n"
         f"  Fix:  {fix}"),
        (scores.masked_fill(pad, -1e9).softmax(dim=1),
         "the softmax ran over the target steps (dim=1): each step's weights must sum to 1 "
         "over\n  the SOURCE positions, the last axis of (batch, target seq, source seq).\n"
         f"  Fix:  {fix}"),
        ((scores / math.sqrt(query.shape[-1])).masked_fill(pad, float("-inf")).softmax(dim=-1),
         f"the scores were divided by sqrt(hidden) = {math.sqrt(query.shape[-1]):.3g}: that "
         "is scaled dot-product\n  attention (Transformers). This exercise asks for the plain "
         "dot product (Luong).\n"
         f"  Fix:  {fix}"),
    ]
    return [(w, m) for w, m in out if w is not None]


_WEIGHTS_FIX = "weights = scores.masked_fill(~mask[:, None, :], float('-inf')).softmax(dim=-1)"
_ATTENTION_FIX = "  with  scores = query @ keys.transpose(1, 2):\n  Fix:  " + _WEIGHTS_FIX


def _explain_nan(weights, mask, lengths, label):
    """NaN comes from a softmax over nothing but -inf: which positions are NaN tells why."""
    __tracebackhide__ = True
    nan = torch.isnan(weights).cpu()
    pad = ~mask.cpu()[:, None, :].expand_as(nan)
    steps = torch.arange(nan.shape[1])[None, :, None]
    if torch.equal(nan, pad):
        raise CheckFailed(
            "weights holds NaN in every padding column: the softmax ran over the target steps\n"
            "  (dim=1), where a padding position is -inf at every step. Each step's weights sum "
            "to 1\n  over the SOURCE positions, the last axis of (batch, target seq, source seq).\n"
            f"  {label}\n" + _ATTENTION_FIX
        )
    if torch.equal(nan, (steps >= lengths[:, None, None]).expand_as(nan)):
        raise CheckFailed(
            "weights holds NaN in the rows of target steps >= the source length: the mask was "
            "applied\n  along the target steps (mask[:, :, None]). The padding is in the SOURCE "
            "positions, the\n  last axis of the scores (batch, target seq, source seq): "
            "mask[:, None, :].\n"
            f"  {label}\n" + _ATTENTION_FIX
        )
    row = int(nan.any(dim=-1).any(dim=-1).nonzero()[0])
    full = [b for b in range(nan.shape[0]) if int(lengths[b]) == mask.shape[1]]
    if full and bool(nan[full].all()):
        raise CheckFailed(
            f"weights holds NaN for the full-length rows {full}: all their positions were "
            "masked,\n  so the mask is inverted. It is True at real tokens, and masked_fill "
            "fills where its\n  mask is True: pass ~mask.\n"
            f"  {label}\n" + _ATTENTION_FIX
        )
    raise CheckFailed(
        f"weights holds NaN (first in row {row}, length {int(lengths[row])}): a softmax over "
        "nothing but -inf\n  gives NaN, so every position of a row was masked.\n"
        f"  {label}\n" + _ATTENTION_FIX
    )


def _call_attention(attention, query, keys, mask):
    __tracebackhide__ = True
    batch, steps, hidden = query.shape
    src = keys.shape[1]
    try:
        with calling("attention"):
            result = attention(query, keys, mask)
    except RuntimeError as err:
        msg = str(err)
        if "must match the size of tensor" in msg or ("shape" in msg and "broadcast" in msg):
            raise CheckFailed(
                "attention() lined the mask up with the wrong axis; PyTorch says\n"
                f"{_quote(err)}\n"
                f"  scores are (batch={batch}, target seq={steps}, source seq={src}), the mask "
                f"(batch={batch},\n  source seq={src}): give the mask a target-seq axis of 1 in "
                "the middle, mask[:, None, :].\n"
                f"  Fix:  {_WEIGHTS_FIX}"
            ) from None
        raise
    ok = isinstance(result, tuple) and len(result) == 2
    require(
        ok,
        "attention() should return two tensors, (context, weights), but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}"
        f"{' of ' + str(len(result)) + ' items' if isinstance(result, (tuple, list)) else ''}.\n"
        "  Fix:  return weights @ keys, weights",
    )
    context, weights = result
    require_tensor(context, "context")
    require_tensor(weights, "weights")
    want_c, want_w = (batch, steps, hidden), (batch, steps, src)
    if tuple(context.shape) == want_w and tuple(weights.shape) == want_c and want_w != want_c:
        raise CheckFailed(
            "attention() returned (weights, context); the order is (context, weights).\n"
            "  Fix:  return weights @ keys, weights"
        )
    require(
        tuple(weights.shape) == want_w,
        f"weights should be (batch={batch}, target seq={steps}, source seq={src}): one "
        "weight per\n  source position for every query step, but its shape is "
        f"{_fmt(weights.shape)}.\n" + _ATTENTION_FIX,
    )
    require(
        tuple(context.shape) == want_c,
        f"context should be (batch={batch}, target seq={steps}, hidden={hidden}): for every "
        f"query\n  step, the weighted sum of the keys; but its shape is {_fmt(context.shape)}.\n"
        "  Fix:  context = weights @ keys      # (batch, steps, src) @ (batch, src, hidden)",
    )
    return context, weights


ATTENTION_CONFIGS = (dict(batch=3, steps=4, src=6, hidden=5), dict(batch=4, steps=1, src=5, hidden=3),
                     dict(batch=2, steps=6, src=6, hidden=4))


def check_attention(attention, *, configs=ATTENTION_CONFIGS, seed: int = 0,
                    device: str | None = None) -> None:
    """attention(query, keys, mask) -> context (batch, steps, hidden), weights (batch, steps, src).

    configs: one dict(batch=..., steps=..., src=..., hidden=...) per case (steps: the target
    steps, src: the source seq), drawn with seed + k; the lengths behind `mask` are unsorted,
    with a 1 and a full length. Compared with F.scaled_dot_product_attention(scale=1) and with
    the masked softmax; weights must be exactly 0 at padding and sum to 1 over real positions.
    """
    __tracebackhide__ = True
    devices = [device] if device else ["cpu"] + (["cuda"] if _cuda() else [])
    for dev in devices:
        for k, config in enumerate(configs):
            _check_attention_once(attention, **config, seed=seed + k, device=dev)
    sizes = "; ".join(f"({c['batch']}, {c['steps']}, {c['src']}, {c['hidden']})" for c in configs)
    passed(f"attention: equals F.scaled_dot_product_attention(scale=1) with the mask, weights 0 at "
           f"padding and summing to 1, for (batch, steps, src, hidden) = {sizes}"
           + (" on cpu and cuda" if len(devices) > 1 else ""))


def _check_attention_once(attention, *, batch: int, steps: int, src: int, hidden: int, seed: int,
                          device: str):
    __tracebackhide__ = True
    query, keys, mask, lengths = _attention_case(batch, steps, src, hidden, seed=seed, device=device)
    q0, k0, m0 = query.clone(), keys.clone(), mask.clone()
    context, weights = _call_attention(attention, query, keys, mask)
    require(
        torch.equal(query, q0) and torch.equal(keys, k0) and torch.equal(mask, m0),
        "attention() changed its inputs in place (query, keys or mask): build new "
        "tensors.\n"
        "  Fix:  masked_fill (no underscore) returns a new tensor",
    )
    want_c, want_w = _reference_attention(query, keys, mask)
    label = (f"(batch={batch}, target seq={steps}, source seq={src}, hidden={hidden}, "
             f"lengths {lengths.tolist()})")
    weights = weights.detach()
    if bool(torch.isnan(weights).any()):
        _explain_nan(weights, mask, lengths, label)
    if not close(weights, want_w):
        for value, message in _attention_mistakes(query, keys, mask):
            if close(weights, value):
                raise CheckFailed(message.replace("\n  Fix:", f"\n  {label}\n  Fix:", 1))
        at_pad = weights.masked_select(~mask[:, None, :].expand_as(weights))
        if at_pad.numel() and bool((at_pad != 0).any()):
            raise CheckFailed(
                f"weights at padding positions are not 0 (up to {at_pad.abs().max():.3g}), "
                f"for\n  {label}.\n"
                + _ATTENTION_FIX
            )
        sums = weights.sum(dim=-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-5):
            raise CheckFailed(
                "the weights of a query step must sum to 1 over the source positions, "
                f"but they sum to\n  {sums.min():.4g} .. {sums.max():.4g}, for {label}.\n"
                + _ATTENTION_FIX
            )
        raise CheckFailed(
            "weights are 0 at padding and sum to 1, but differ from softmax(query . key) "
            f"by up to\n  {max_difference(weights, want_w)}, for {label}.\n"
            "  The score of a source position is the dot product of the query step and "
            "its key.\n"
            + _ATTENTION_FIX
        )
    pad_weights = weights.masked_select(~mask[:, None, :].expand_as(weights))
    if bool((pad_weights != 0).any()):
        raise CheckFailed(
            "weights at padding must be exactly 0, but some are "
            f"{pad_weights.abs().max():.3g}, for\n  {label}.\n"
            "  A large negative number such as -1e4 leaves a tiny share; -inf leaves none.\n"
            + _ATTENTION_FIX
        )
    if not close(context, want_c):
        if steps == src and close(context, weights @ query):
            raise CheckFailed(
                "context is the weighted sum of the QUERY steps; it is the weighted sum "
                "of the keys\n  (the encoder's outputs), one row of weights per query "
                "step.\n  Fix:  context = weights @ keys"
            )
        raise CheckFailed(
            "weights are right, but context is not weights @ keys: off by up to "
            f"{max_difference(context, want_c)},\n  for {label}.\n"
            "  Fix:  context = weights @ keys      # (batch, steps, src) @ (batch, src, hidden)"
        )


# --- exercise 3: sequence_loss -------------------------------------------------------------------

_LOSS_FIX = "nn.CrossEntropyLoss(ignore_index=pad_id)(logits.transpose(1, 2), targets)"


def _loss_case(batch, seq, vocab, pad_id, *, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, seq, vocab, generator=g) * 1.5
    lengths = [seq - (2 * i) % seq for i in range(batch)]
    targets = _padded_targets(lengths, seq, vocab, eos_id=(pad_id + 1) % vocab, pad_id=pad_id,
                              seed=seed + 100)
    return logits, targets


def _loss_mistakes(logits, targets, pad_id):
    batch, seq, vocab = logits.shape
    flat, flat_t = logits.reshape(-1, vocab), targets.reshape(-1)
    per_token = F.cross_entropy(flat, flat_t, reduction="none")
    real = (flat_t != pad_id).float()
    fix = _LOSS_FIX
    out = [
        (F.cross_entropy(flat, flat_t),
         "the loss includes the padding positions: every pad token was scored as a target.\n"
         "  The model would learn to predict <pad> after <eos>, and the mean is taken over\n"
         "  too many tokens.\n"
         f"  Fix:  {fix}"),
        (F.cross_entropy(flat, flat_t, ignore_index=0) if pad_id != 0 else None,
         f"the loss skips id 0, but this check's pad_id is {pad_id}: ignore_index=0 is written "
         "in.\n  Use the argument, so any vocabulary's padding id works.\n"
         f"  Fix:  {fix}"),
        (F.cross_entropy(flat, flat_t, ignore_index=pad_id, reduction="sum"),
         "the loss is a SUM over the real tokens; take the mean (the default), so its size "
         "does\n  not grow with the batch and the learning rate means the same for every "
         "batch.\n"
         f"  Fix:  {fix}"),
        ((per_token * real).sum() / flat_t.numel(),
         "padding was zeroed out but still counted: the sum over real tokens was divided by "
         "all\n  batch x seq positions, padding included. Divide by the number of real tokens.\n"
         f"  Fix:  {fix}"),
        (F.cross_entropy(flat.softmax(-1), flat_t, ignore_index=pad_id),
         "a softmax ran before the loss: nn.CrossEntropyLoss takes raw scores (logits) and "
         "applies\n  log_softmax itself; a second softmax squashes the scores and slows "
         "learning.\n"
         f"  Fix:  {fix}"),
        (F.cross_entropy(logits, targets, ignore_index=pad_id) if seq == vocab else None,
         "nn.CrossEntropyLoss got logits (batch, seq, vocab): it reads axis 1 as the\n"
         f"  classes, so with seq = vocab = {vocab} it silently scored each step's {seq} numbers "
         "as classes.\n  Put vocab on axis 1 (transpose(1, 2)), or flatten to (batch x seq, "
         "vocab).\n"
         f"  Fix:  {fix}"),
    ]
    return [(v, m) for v, m in out if v is not None]


LOSS_CONFIGS = (dict(batch=3, seq=5, vocab=7, pad_id=0), dict(batch=4, seq=6, vocab=6, pad_id=3),
                dict(batch=2, seq=4, vocab=9, pad_id=5))


def check_sequence_loss(sequence_loss, *, configs=LOSS_CONFIGS, seed: int = 0) -> None:
    """sequence_loss(logits, targets, pad_id) -> scalar tensor: the mean cross entropy over the
    tokens that are not padding. configs: one dict(batch=..., seq=..., vocab=..., pad_id=...) per
    case, drawn with seed + k; one has seq == vocab, where nn.CrossEntropyLoss accepts (batch, seq,
    vocab) silently; one has pad_id != 0."""
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        _check_loss_once(sequence_loss, **config, seed=seed + k)
    sizes = ", ".join(f"({c['batch']}, {c['seq']}, {c['vocab']}, {c['pad_id']})" for c in configs)
    passed("sequence_loss: mean cross entropy over the real tokens, as nn.CrossEntropyLoss("
           f"ignore_index=pad_id), for (batch, seq, vocab, pad_id) = {sizes}")


def _check_loss_once(sequence_loss, *, batch: int, seq: int, vocab: int, pad_id: int, seed: int):
    __tracebackhide__ = True
    fix = _LOSS_FIX
    logits, targets = _loss_case(batch, seq, vocab, pad_id, seed=seed)
    logits.requires_grad_(True)
    t0 = targets.clone()
    label = f"logits (batch={batch}, seq={seq}, vocab={vocab}), pad_id={pad_id}"
    try:
        with calling("sequence_loss"):
            loss = sequence_loss(logits, targets, pad_id)
    except (RuntimeError, ValueError) as err:
        msg = str(err)
        if "Expected target size" in msg or "Expected input batch_size" in msg:
            raise CheckFailed(
                "nn.CrossEntropyLoss got logits (batch, seq, vocab) and targets (batch, "
                "seq);\n"
                f"{_quote(err, first='  PyTorch says: ')}\n"
                "  It reads axis 1 as the classes: (N, vocab) with (N,), or (batch, vocab, "
                "seq) with\n  (batch, seq): flatten, or loss_fn(logits.transpose(1, 2), "
                "targets).\n"
                f"  Fix:  {fix}"
            ) from None
        if "view size is not compatible" in msg:
            raise CheckFailed(
                "sequence_loss() called .view() on a tensor that is not contiguous:\n"
                f"  {msg[:84]}\n  Fix:  logits.reshape(-1, vocab), targets.reshape(-1)"
            ) from None
        raise
    require(
        torch.equal(targets, t0),
        "sequence_loss() changed `targets` in place.\n  Fix:  " + fix,
    )
    if isinstance(loss, float):
        raise CheckFailed(
            "sequence_loss() returned a Python float (.item()): a number has no gradient, "
            "so\n  loss.backward() cannot train the model. Return the tensor.\n"
            f"  Fix:  return {fix}"
        )
    require_tensor(loss, "loss")
    require(
        loss.dim() == 0,
        f"loss should be one number (a 0-dim tensor), but its shape is {_fmt(loss.shape)}:"
        "\n  one loss per token or per sequence. Take the mean over the real tokens.\n"
        f"  Fix:  {fix}",
    )
    require(
        loss.requires_grad and loss.grad_fn is not None,
        "loss is a tensor without a gradient (detached, or rebuilt with torch.tensor):\n"
        "  loss.backward() would not reach the model's weights.\n"
        f"  Fix:  return {fix}",
    )
    with torch.no_grad():
        want = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), ignore_index=pad_id)
        got = loss.detach().float()
        if close(got, want):
            return
        for value, message in _loss_mistakes(logits.detach(), targets, pad_id):
            if close(got, value):
                raise CheckFailed(message.replace("\n  Fix:", f"\n  ({label})\n  Fix:", 1))
    raise CheckFailed(
        f"loss is {float(got):.5g}, but the mean cross entropy over the real (non-pad) "
        f"tokens is {float(want):.5g},\n  for {label}.\n"
        f"  Fix:  {fix}"
    )


# --- exercise 4: greedy_decode -------------------------------------------------------------------


_DECODE_FIX = "inputs = logits[:, -1].argmax(dim=-1, keepdim=True)    # (batch, 1) ids"
_START_FIX = "memory, state = encoder(src, src_lengths);  decoder(inputs, state, memory, mask)"
_STATE_FIX = "logits, state, _ = decoder(inputs, state, memory, mask)    # keep the new state"


class _Encoder(nn.Module):
    """The notebook's encoder: embedding, one LSTM layer, packed; memory padded to src's length."""

    def __init__(self, vocab, emb, hidden, pad_id=PAD):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=pad_id)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.calls = []

    def forward(self, src, src_lengths):
        self.calls.append(src)
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(src), torch.as_tensor(src_lengths).cpu(),
                                                   batch_first=True, enforce_sorted=False)
        out, state = self.lstm(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        return memory, state


class _Decoder(nn.Module):
    """The notebook's decoder (embedding, LSTM, dot attention, Linear on [out; context]) that
    records what it is fed and stops a call that feeds it something no decoder can read."""

    def __init__(self, vocab, emb, hidden, pad_id=PAD):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=pad_id)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.out = nn.Linear(2 * hidden, vocab)
        self.records = []  # (inputs, state given, state returned, mask)
        self.recording = False
        self.free_running = True

    def forward(self, inputs, state, memory, mask):
        __tracebackhide__ = True
        if self.recording:
            self._inspect(inputs, state, memory, mask)
        emb = self.embed(inputs)
        out, new_state = self.lstm(emb, state)
        scores = (out @ memory.transpose(1, 2)).masked_fill(~mask[:, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)
        logits = self.out(torch.cat([out, weights @ memory], dim=-1))
        if self.recording:
            self.records.append((inputs.detach().clone(), state, new_state, mask))
        return logits, new_state, weights

    def _inspect(self, inputs, state, memory, mask):
        __tracebackhide__ = True
        batch, vocab = memory.shape[0], self.out.out_features
        step = len(self.records)
        where = f"at step {step}, decoder(inputs, ...)"
        fix = _DECODE_FIX
        require_tensor(inputs, "inputs")
        if inputs.is_floating_point():
            raise CheckFailed(
                f"{where} was fed {inputs.dtype} numbers of shape {_fmt(inputs.shape)}; it "
                "reads token ids (integers).\n"
                "  Feed the argmax over the vocab axis, not the scores.\n"
                f"  Fix:  {fix}"
            )
        if inputs.dim() == 3:
            raise CheckFailed(
                f"{where} was fed a 3-D tensor {_fmt(inputs.shape)}; it reads ids (batch, "
                "steps).\n  Likely the argmax ran over another axis than vocab, the last axis "
                f"of logits (vocab={vocab}).\n"
                f"  Fix:  {fix}"
            )
        if inputs.dim() == 1:
            if inputs.shape[0] == batch:
                raise CheckFailed(
                    f"{where} was fed {_fmt(inputs.shape)}, one id per sequence without a steps "
                    "axis;\n  the decoder's LSTM reads (batch, steps) ids. Keep the axis.\n"
                    "  Fix:  inputs = prediction.unsqueeze(1)"
                )
            raise CheckFailed(
                f"{where} was fed {_fmt(inputs.shape)}, but the batch has {batch} sequences:\n"
                f"  {inputs.shape[0]} ids is the size of another axis. The argmax must run over "
                f"the vocab axis\n  (vocab={vocab}), the last.\n"
                f"  Fix:  {fix}"
            )
        if inputs.shape[0] != batch:
            raise CheckFailed(
                f"{where} was fed {_fmt(inputs.shape)}, but the batch has {batch} sequences "
                f"(axis 0 of src).\n"
                "  Likely the argmax ran over the batch axis, or axes were swapped; ids are "
                "(batch, 1).\n"
                f"  Fix:  {fix}"
            )
        if self.free_running and inputs.shape[1] != 1:
            if inputs.shape[1] == vocab and not bool(inputs.any()):
                raise CheckFailed(
                    f"{where} was fed {_fmt(inputs.shape)} zeros: logits (batch, 1, vocab) "
                    "argmaxed over\n  the steps axis (dim=1) give one 0 per vocab entry "
                    f"(vocab={vocab}). Take the argmax over\n  the vocab axis.\n"
                    f"  Fix:  {fix}"
                )
            if inputs.shape[1] == batch and batch > 1:
                raise CheckFailed(
                    f"{where} was fed {_fmt(inputs.shape)} = (batch, batch) ids:\n"
                    "  a (batch, 1) tensor met a (batch,) one, e.g. logits.argmax(-1) of shape "
                    "(batch, 1)\n  with a (batch,) mask, and broadcasting made a square of them. "
                    "Keep each\n  prediction (batch,) and feed prediction.unsqueeze(1).\n"
                    "  Fix:  prediction = logits[:, -1].argmax(dim=-1)    # (batch,)"
                )
            raise CheckFailed(
                f"{where} was fed {inputs.shape[1]} steps at once without teacher forcing:\n"
                "  each step's input is the prediction of the step before, which exists only "
                "after\n  that step ran. Feed one step, (batch, 1), per call.\n"
                f"  Fix:  {fix}"
            )
        if int(inputs.min()) < 0 or int(inputs.max()) >= vocab:
            raise CheckFailed(
                f"{where} was fed ids from {int(inputs.min())} to {int(inputs.max())}, but the "
                f"vocabulary has ids 0 .. {vocab - 1}.\n"
                f"  Fix:  {fix}"
            )
        if step == 0 and state is None:
            raise CheckFailed(
                "the decoder started from zeros (state=None): it never saw the source.\n"
                "  The encoder's final (h_n, c_n) is the decoder's first state (notebook 04:\n"
                "  hand the state on).\n"
                f"  Fix:  {_START_FIX}"
            )
        if not (isinstance(state, (tuple, list)) and len(state) == 2
                and all(isinstance(s, torch.Tensor) for s in state)):
            raise CheckFailed(
                f"{where} got state = {type(state).__name__}; it takes the pair (h, c), each "
                "(1, batch, hidden).\n"
                "  Fix:  logits, state, weights = decoder(inputs, state, memory, mask)"
            )
        want_mask = self.expected_mask
        if not (isinstance(mask, torch.Tensor) and tuple(mask.shape) == tuple(want_mask.shape)
                and torch.equal(mask.cpu().bool(), want_mask.cpu())):
            raise CheckFailed(
                f"{where} got a mask that does not mark the real source tokens:\n"
                f"  it should be (batch={batch}, source seq={want_mask.shape[1]}), True where "
                "position < src_lengths[b],\n  so that attention skips the padding. Build it from "
                "the lengths:\n  the pad id need not be 0.\n"
                "  Fix:  mask = (torch.arange(src.size(1)) < src_lengths.cpu()[:, None]).to(src.device)"
            )


def _decode_fixtures(vocab, emb, hidden, sos_id, eos_id, eos_bias, *, seed, device, pad_id=PAD):
    """Seeded encoder and decoder whose predictions vary from step to step and reach <eos> at
    different steps; <pad>, <unk> and <sos> are never predicted, as in a trained model."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder = _Encoder(vocab, emb, hidden, pad_id)
        decoder = _Decoder(vocab, emb, hidden, pad_id)
        with torch.no_grad():
            decoder.out.weight.mul_(3.0)
            decoder.out.bias.zero_()
            decoder.out.bias[eos_id] = eos_bias
            decoder.out.bias[[pad_id, 1, sos_id]] = -10.0
            decoder.embed.weight.mul_(2.0)  # the fed ids matter: a wrong input shows
    return encoder.to(device).eval(), decoder.to(device).eval()


def _reference_decode(encoder, decoder, src, lengths, targets, sos_id, eos_id, teacher_forcing, pad_id=PAD):
    """tokens (batch, steps) with pad_id after each row's first <eos>; raw (no padding) too."""
    with torch.no_grad():
        memory, state = encoder(src, lengths)
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths.to(src.device)[:, None]
        batch, steps = targets.shape
        if teacher_forcing:
            inputs = torch.cat([torch.full((batch, 1), sos_id, device=src.device), targets[:, :-1]], dim=1)
            logits, _, _ = decoder(inputs, state, memory, mask)
            raw = logits.argmax(dim=-1)
        else:
            inputs = torch.full((batch, 1), sos_id, device=src.device)
            out = []
            for _ in range(steps):
                logits, state, _ = decoder(inputs, state, memory, mask)
                inputs = logits[:, -1].argmax(dim=-1, keepdim=True)
                out.append(inputs)
            raw = torch.cat(out, dim=1)
    is_eos = raw == eos_id
    after = (is_eos.long().cumsum(dim=1) - is_eos.long()) > 0
    return raw.masked_fill(after, pad_id), raw, mask


def _fed_sequence(records, batch):
    return torch.cat([r[0].to("cpu") for r in records], dim=1) if records else torch.zeros(batch, 0)


_TEACHER_FIX = "inputs = targets[:, t:t + 1]    # after step t: the true token of step t"


def _check_states(decoder):
    """The first call starts from the encoder's final state; every later call from the last one."""
    __tracebackhide__ = True
    records = decoder.records
    enc_h, enc_c = (s.cpu() for s in decoder.encoder_state)
    h0, c0 = (s.cpu() for s in records[0][1])
    if not (close(h0, enc_h) and close(c0, enc_c)):
        if close(h0, enc_c) and close(c0, enc_h):
            raise CheckFailed(
                "the decoder started from (c_n, h_n): the encoder's state, in the wrong order.\n"
                "  nn.LSTM returns out, (h_n, c_n) and takes (h0, c0) in that order.\n"
                f"  Fix:  {_START_FIX}"
            )
        raise CheckFailed(
            "the decoder's first state is not the encoder's final (h_n, c_n): it must start "
            "where the\n  encoder ended (notebook 04: hand the state on), or it never sees the "
            "source.\n"
            f"  Fix:  {_START_FIX}"
        )
    for k in range(1, len(records)):
        h_given, c_given = (s.cpu() for s in records[k][1])
        h_prev, c_prev = (s.cpu() for s in records[k - 1][2])
        if close(h_given, h_prev) and close(c_given, c_prev):
            continue
        if close(h_given, enc_h) and close(c_given, enc_c):
            raise CheckFailed(
                f"at step {k} the decoder started again from the encoder's state: the state it "
                f"returned\n  at step {k - 1} was dropped, so it forgets what it has written "
                "so far.\n"
                f"  Fix:  {_STATE_FIX}"
            )
        raise CheckFailed(
            f"at step {k} the decoder was given another state than the one it returned at "
            f"step {k - 1}.\n"
            f"  Fix:  {_STATE_FIX}"
        )


def _diagnose_feeding(decoder, tokens, targets, free_raw, sos_id, eos_id, teacher_forcing, label):
    """What the decoder was fed, step by step, against what the mode feeds: <sos>, then the
    learner's own previous prediction (greedy) or the true previous token (teacher forcing).
    Rows whose prediction already hit <eos> may be fed anything."""
    __tracebackhide__ = True
    batch, steps = targets.shape
    fed = _fed_sequence(decoder.records, batch)
    n = fed.shape[1]
    finished_by_n = (tokens[:, :n] == eos_id).any(dim=1) if n else torch.zeros(batch, dtype=torch.bool)
    if n > steps or (n < steps and not bool(finished_by_n.all())):
        raise CheckFailed(
            f"greedy_decode() ran the decoder for {n} steps, but targets has seq={steps}\n"
            f"  {label}.\n"
            "  Decode one step per target position (you may stop early once every row has "
            "its <eos>).\n"
            "  Fix:  for t in range(targets.size(1)): ..."
        )
    require(
        bool((fed[:, 0] == sos_id).all()),
        f"step 0 was fed {sorted({int(v) for v in fed[:, 0]})}, but every sequence starts "
        f"from <sos>, id sos_id={sos_id}\n  (this check uses other ids than the notebook's, so "
        f"a fixed number is caught),\n  {label}.\n"
        "  Fix:  inputs = torch.full((batch, 1), sos_id, device=src.device)",
    )
    _check_states(decoder)
    running = torch.ones(batch, dtype=torch.bool)
    for t in range(1, n):
        running &= tokens[:, t - 1] != eos_id
        got = fed[:, t][running]
        want = (targets[:, t - 1] if teacher_forcing else tokens[:, t - 1])[running]
        if torch.equal(got, want):
            continue
        if teacher_forcing:
            if torch.equal(got, targets[:, t][running]):
                raise CheckFailed(
                    f"with teacher_forcing=True, step {t} was fed targets[:, {t}], the token it "
                    "must predict:\n  the inputs are not shifted, so the decoder learns to copy. "
                    "Step t reads the token\n  before it: <sos> at step 0, then targets[:, t - 1]."
                    "\n"
                    f"  Fix:  {_TEACHER_FIX}"
                )
            if torch.equal(got, free_raw[:, t - 1][running]) or torch.equal(got, tokens[:, t - 1][running]):
                raise CheckFailed(
                    f"with teacher_forcing=True, step {t} was fed your own prediction: the flag "
                    "is ignored.\n  Teacher forcing feeds the TRUE previous token, targets[:, t - "
                    "1], whatever\n  was predicted.\n"
                    f"  Fix:  {_TEACHER_FIX}"
                )
            row = int(running.nonzero()[(got != want).nonzero()[0]])
            raise CheckFailed(
                f"with teacher_forcing=True, step {t} of sequence {row} was fed id "
                f"{int(fed[row, t])};\n  the true previous token is {int(targets[row, t - 1])}.\n"
                f"  Fix:  {_TEACHER_FIX}"
            )
        if bool((got == sos_id).all()):
            raise CheckFailed(
                f"at step {t} the decoder was fed <sos> again: it never sees its own "
                "predictions, so\n  every step starts from scratch. Greedy decoding feeds back "
                "the prediction of the\n  step before.\n"
                f"  Fix:  {_DECODE_FIX}"
            )
        for which, truth in (("t - 1", targets[:, t - 1]), ("t", targets[:, t])):
            if torch.equal(got, truth[running]):
                raise CheckFailed(
                    f"at step {t} the decoder was fed targets[:, {which}], the true answer, with\n"
                    "  teacher_forcing=False. That is teacher forcing at inference: new dates come "
                    "without\n  targets. Feed back your own prediction; the targets only say how "
                    "many steps to run.\n"
                    f"  Fix:  {_DECODE_FIX}"
                )
        if torch.equal(got, fed[:, t - 1][running]):
            raise CheckFailed(
                f"at step {t} the decoder was fed the same ids as at step {t - 1}: `inputs` is "
                "never\n  updated, so the decoder does not see its own predictions.\n"
                f"  Fix:  {_DECODE_FIX}"
            )
        row = int(running.nonzero()[(got != want).nonzero()[0]])
        raise CheckFailed(
            f"at step {t}, sequence {row} was fed id {int(fed[row, t])}, but your prediction at "
            f"step {t - 1}\n  was {int(tokens[row, t - 1])}.\n"
            "  Greedy decoding feeds each step's argmax back in as the next input.\n"
            f"  Fix:  {_DECODE_FIX}"
        )


def _decode_case(batch, src_seq, seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([src_seq - (2 * i) % src_seq for i in range(batch)])
    lengths[-1] = 1
    return lengths[torch.randperm(batch, generator=g)], g


def _decode_targets(batch, steps, vocab, sos_id, eos_id, pad_id, *, seed):
    return _padded_targets([steps - i % 3 for i in range(batch)], steps, vocab, eos_id, pad_id,
                           seed=seed + 1, avoid=(sos_id, 1))


def _explain_decode_error(err, batch, vocab):
    """A size mismatch between batch and vocab inside the loop: an argmax over the wrong axis."""
    __tracebackhide__ = True
    found = re.search(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\)", str(err))
    if found and {int(found[1]), int(found[2])} == {batch, vocab}:
        raise CheckFailed(
            "greedy_decode() combined a tensor of vocab size with one of batch size; PyTorch "
            "says\n"
            f"{_quote(err)}\n"
            f"  (batch={batch}, vocab={vocab}). Likely the argmax ran over another axis than "
            "vocab:\n  logits[:, -1] is (batch, vocab); a prediction is (batch,), one id per "
            "sequence.\n"
            "  Fix:  prediction = logits[:, -1].argmax(dim=-1)"
        ) from None


DECODE_CONFIGS = (
    # chosen so that rows reach <eos> at different steps (one never does) in both modes; the pad
    # ids are not 0, and 0 is an ordinary token that the fixtures predict
    dict(batch=5, src_seq=7, steps=6, vocab=9, emb=4, hidden=6, sos_id=4, eos_id=5, pad_id=3,
         eos_bias=0.0, seed=32),
    dict(batch=3, src_seq=5, steps=8, vocab=11, emb=3, hidden=5, sos_id=7, eos_id=2, pad_id=6,
         eos_bias=0.0, seed=70),
)


def check_greedy_decode(greedy_decode, *, configs=DECODE_CONFIGS, modes=(False, True),
                        device: str | None = None) -> None:
    """greedy_decode(encoder, decoder, src, src_lengths, targets, sos_id, eos_id, pad_id,
    teacher_forcing) -> tokens (batch, targets.size(1)), pad_id after each row's first <eos>.

    The fixtures are seeded encoder/decoder modules with the notebook's interface; lengths are
    unsorted with a 1 and a full length; sos_id, eos_id and pad_id differ from the notebook's (the
    visible configs' pad ids are not 0). Both modes: teacher_forcing=False must never read the
    targets' values.

    configs: one dict per fixture: batch, src_seq (source steps), steps (target steps), vocab,
    emb and hidden (the modules' sizes), sos_id, eos_id, pad_id, eos_bias (added to the <eos>
    score: higher ends rows sooner) and seed.
    """
    __tracebackhide__ = True
    devices = [device] if device else ["cpu"] + (["cuda"] if _cuda() else [])
    for dev in devices:
        for config in configs:
            _check_decode_once(greedy_decode, **config, modes=modes, device=dev)
    pads = sorted({c["pad_id"] for c in configs})
    passed("greedy_decode: <sos>, then each prediction fed back (targets never read), "
           f"pad_id after <eos> (pad ids {pads}); teacher forcing feeds the true previous token"
           + (" (cpu and cuda)" if len(devices) > 1 else ""))


def _check_decode_once(greedy_decode, *, batch, src_seq, steps, vocab, emb, hidden, sos_id, eos_id,
                       pad_id, eos_bias, seed, modes, device):
    """One fixture, in each mode: fixture, call, compare, explain."""
    __tracebackhide__ = True
    encoder, decoder = _decode_fixtures(vocab, emb, hidden, sos_id, eos_id, eos_bias, seed=seed,
                                        device=device, pad_id=pad_id)
    lengths, g = _decode_case(batch, src_seq, seed)
    src = torch.randint(4, vocab, (batch, src_seq), generator=g)
    src = src.masked_fill(src == pad_id, 1)             # the source is padded with pad_id too
    src = src.masked_fill(torch.arange(src_seq)[None, :] >= lengths[:, None], pad_id).to(device)
    targets = _decode_targets(batch, steps, vocab, sos_id, eos_id, pad_id, seed=seed)
    targets = targets.to(device)
    for teacher_forcing in modes:
        mode = f"teacher_forcing={teacher_forcing}"
        label = (f"({mode}, src_lengths={lengths.tolist()}, sos_id={sos_id}, "
                 f"eos_id={eos_id}, pad_id={pad_id})")
        want, raw, mask = _reference_decode(encoder, decoder, src, lengths, targets, sos_id,
                                            eos_id, teacher_forcing, pad_id)
        src0, t0 = src.clone(), targets.clone()
        tokens = _call_decode(greedy_decode, encoder, decoder, src, lengths, targets, mask, sos_id,
                              eos_id, pad_id, teacher_forcing, vocab, device)
        require(torch.equal(src, src0), "greedy_decode() changed src in place.")
        require(
            len(encoder.calls) >= 1,
            "greedy_decode() never ran the encoder: the decoder needs its memory and "
            "final state.\n"
            "  Fix:  memory, state = encoder(src, src_lengths)",
        )
        _require_tokens_shape(tokens, batch, steps, vocab, label)
        require(
            torch.equal(targets, t0),
            "greedy_decode() changed `targets` in place; build the tokens in a new tensor.",
        )
        tokens_cpu = tokens.detach().cpu().long()
        free_raw = raw if not teacher_forcing else _reference_decode(
            encoder, decoder, src, lengths, targets, sos_id, eos_id, False, pad_id)[1]
        require(
            len(decoder.records) > 0,
            "greedy_decode() never called the decoder.\n  Fix:  " + _DECODE_FIX,
        )
        _diagnose_feeding(decoder, tokens_cpu, targets.cpu(), free_raw.cpu(), sos_id, eos_id,
                          teacher_forcing, label)
        _compare_tokens(tokens_cpu, want.cpu(), raw.cpu(), eos_id, pad_id, label)


def _call_decode(greedy_decode, encoder, decoder, src, lengths, targets, mask, sos_id, eos_id,
                 pad_id, teacher_forcing, vocab, device):
    """The learner's greedy_decode on the fixtures, the decoder recording what it is fed."""
    __tracebackhide__ = True
    with torch.no_grad():
        decoder.encoder_state = encoder(src, lengths)[1]
    decoder.expected_mask = mask
    decoder.records, decoder.recording = [], True
    decoder.free_running = not teacher_forcing
    encoder.calls = []
    try:
        with torch.no_grad(), calling("greedy_decode"):
            return greedy_decode(encoder, decoder, src, lengths, targets.clone(), sos_id,
                                 eos_id, pad_id, teacher_forcing)
    except RuntimeError as err:
        _explain_decode_error(err, len(src), vocab)
        if "device" not in str(err):
            raise
        raise CheckFailed(
            f"greedy_decode() mixed devices with the model on {device}; PyTorch says\n"
            f"{_quote(err)}\n"
            "  Make new tensors where src is.\n"
            "  Fix:  torch.full((batch, 1), sos_id, device=src.device)"
        ) from None
    finally:
        decoder.recording = False


def _require_tokens_shape(tokens, batch, steps, vocab, label):
    __tracebackhide__ = True
    require_tensor(tokens, "tokens")
    shape = (batch, steps)
    if tuple(tokens.shape) != shape:
        if tuple(tokens.shape) == (batch, steps, vocab):
            msg = ("tokens is (batch, seq, vocab): the scores, not the ids. Take "
                   "the argmax over\n  the vocab axis.\n  Fix:  tokens = "
                   "logits.argmax(dim=-1)")
        elif tuple(tokens.shape) == (steps, batch):
            msg = ("tokens is (seq, batch): the steps were stacked on axis 0.\n"
                   "  Fix:  torch.stack(predictions, dim=1)    # a list of (batch,) ids"
                   " -> (batch, seq)")
        elif tuple(tokens.shape) == (batch, vocab) or tuple(tokens.shape) == (steps, vocab):
            msg = (f"tokens is {_fmt(tokens.shape)}: an argmax over the wrong axis "
                   f"(vocab={vocab} is the last axis of logits).\n"
                   "  Fix:  logits.argmax(dim=-1)")
        elif tokens.dim() == 3 and tokens.shape[-1] == 1:
            msg = ("tokens has a trailing axis of 1: ids are (batch, seq).\n"
                   "  Fix:  tokens.squeeze(-1)")
        else:
            msg = "  Fix:  one id per sequence and step, (batch, targets.size(1))"
        raise CheckFailed(
            f"tokens should be (batch={batch}, seq={steps}), one id per step, but its "
            f"shape is {_fmt(tokens.shape)}\n  {label}.\n  " + msg.lstrip()
        )
    require(
        not tokens.is_floating_point(),
        f"tokens holds {tokens.dtype} numbers; token ids are integers.\n"
        "  Fix:  logits.argmax(dim=-1)",
    )


def _compare_tokens(tokens_cpu, want, raw, eos_id, pad_id, label):
    """tokens against greedy decoding; the known mistakes around <eos> and <pad> by name."""
    __tracebackhide__ = True
    if torch.equal(tokens_cpu, want):
        return
    if torch.equal(tokens_cpu, raw):
        row = int(((raw == eos_id).long().cumsum(1) - (raw == eos_id).long() > 0)
                  .any(dim=1).nonzero()[0])
        at = int((raw[row] == eos_id).nonzero()[0])
        raise CheckFailed(
            f"sequence {row} predicted <eos> at step {at}, but tokens go on after it\n"
            f"  {label}.\n"
            "  A sequence is finished at its first <eos>: every later position is "
            f"<pad> (pad_id={pad_id}).\n"
            "  Fix:  prediction = prediction.masked_fill(finished, pad_id)  # before "
            "finished |= ..."
        )
    eos_to_pad = raw.masked_fill((raw == eos_id).long().cumsum(1) > 0, pad_id)
    if torch.equal(tokens_cpu, eos_to_pad):
        raise CheckFailed(
            f"the <eos> itself was replaced by <pad>\n  {label}.\n"
            "  Keep each row's first <eos>; pad only AFTER it: update `finished` after "
            "padding.\n"
            "  Fix:  prediction = prediction.masked_fill(finished, pad_id)  # before "
            "finished |= ..."
        )
    keep = want != pad_id
    if torch.equal(tokens_cpu[keep], want[keep]):
        vals = sorted({int(v) for v in tokens_cpu[~keep]})
        if vals == [0] and pad_id != 0:
            raise CheckFailed(
                f"after each row's first <eos>, tokens hold 0, but this check's pad_id "
                f"is {pad_id}:\n  id 0 is written in, and here 0 is an ordinary "
                "token. Use the argument, so any\n  vocabulary's padding id works.\n"
                f"  {label}.\n"
                "  Fix:  prediction.masked_fill(finished, pad_id)"
            )
        raise CheckFailed(
            f"after each row's first <eos>, tokens hold {vals}; they should be <pad>, "
            f"pad_id={pad_id}\n  {label}.\n"
            "  Fix:  prediction.masked_fill(finished, pad_id)"
        )
    bad = (tokens_cpu != want).nonzero()[0].tolist()
    raise CheckFailed(
        f"tokens differs from greedy decoding at sequence {bad[0]}, step {bad[1]}: "
        f"{int(tokens_cpu[bad[0], bad[1]])} instead of {int(want[bad[0], bad[1]])}\n"
        f"  {label}. At each step keep the argmax over the vocab axis.\n"
        f"  Fix:  {_DECODE_FIX}"
    )


# --- the trained model ---------------------------------------------------------------------------

def _encode_pairs(pairs, source_vocab, target_vocab, eos_id):
    srcs = [torch.tensor(source_vocab.encode(list(h)), dtype=torch.long) for h, _ in pairs]
    lengths = torch.tensor([len(s) for s in srcs])
    src = nn.utils.rnn.pad_sequence(srcs, batch_first=True, padding_value=source_vocab.pad_id)
    tgt = torch.tensor([target_vocab.encode(list(iso)) + [eos_id] for _, iso in pairs])
    return src, lengths, tgt


def held_out_pairs(which: str = "test") -> list[tuple[str, str]]:
    """'test': the notebook's held-out split, date_split("test"); 'fresh': other dates (seed 8),
    none of them in the training or validation split."""
    from ..data import dates

    split = dates._pairs(dates.N_SPLIT, 0, "en_US")  # the check runs after the seal: no gate here
    if which == "test":
        return split[dates.TEST_START:]
    seen = {human for human, _ in split[:dates.TEST_START]}
    return [p for p in dates._pairs(1500, 8, "en_US") if p[0] not in seen][:1000]


def check_trained_model(model, source_vocab, target_vocab, *, which: str = "test",
                        threshold: float = 0.95) -> None:
    """Greedy-decode held-out dates with the learner's model.encoder and model.decoder (the check's
    own loop), and require an exact-match accuracy of at least `threshold`.

    First the held-out gate (course_utils.heldout): the model must be the one the locked training
    cell sealed, unchanged since, and the test split must not have been asked for before the seal.
    """
    __tracebackhide__ = True
    from ..data import EOS, SOS

    require(
        isinstance(model, nn.Module),
        f"model should be your trained Seq2Seq module, not {type(model).__name__}.",
    )
    heldout.require_sealed(model)
    encoder, decoder = getattr(model, "encoder", None), getattr(model, "decoder", None)
    for name, module in (("encoder", encoder), ("decoder", decoder)):
        require(
            isinstance(module, nn.Module),
            f"model.{name} should be your trained {name.capitalize()} module, not "
            f"{type(module).__name__}.",
        )
    sos_id, eos_id = target_vocab.stoi[SOS], target_vocab.stoi[EOS]
    pairs = held_out_pairs(which)
    src, lengths, targets = _encode_pairs(pairs, source_vocab, target_vocab, eos_id)
    device = next(encoder.parameters()).device
    modes = encoder.training, decoder.training
    encoder.eval()
    decoder.eval()
    try:
        with torch.no_grad():
            tokens, _, _ = _reference_decode(encoder, decoder, src.to(device), lengths, targets.to(device),
                                             sos_id, eos_id, False, target_vocab.pad_id)
    finally:
        encoder.train(modes[0])
        decoder.train(modes[1])
    tokens = tokens.cpu()
    right = (tokens == targets).all(dim=1)
    score = float(right.float().mean())
    if score >= threshold:
        passed(f"trained model: exact match {score:.4f} >= {threshold} on {len(pairs)} held-out dates "
               f"({which})")
        return

    def text(ids):
        chars = []
        for i in ids.tolist():
            if i == eos_id:
                break
            chars.append(target_vocab.itos[i] if i != target_vocab.pad_id else "")
        return "".join(chars)

    wrong = (~right).nonzero()[:, 0].tolist()
    examples = "; ".join(f"{pairs[i][0]!r} -> {text(tokens[i])!r} (want {pairs[i][1]})" for i in wrong[:2])
    distinct = len({tuple(row.tolist()) for row in tokens})
    cause = (f"  Your model gives the same output for all {len(pairs)} dates: it ignores the source."
             if distinct == 1 else
             "  Train longer, check the exercises above (decoder_inputs, attention, sequence_loss), "
             "and\n  that the model was trained on train_pairs only, with teacher forcing.")
    raise CheckFailed(
        f"exact match on {len(pairs)} held-out dates is {score:.4f}; at least {threshold} earns "
        "the points.\n"
        f"  For example {examples[:160]}\n"
        f"{cause}\n"
        "  Fix:  run the training cells again (Kernel > Restart & Run All), then this check"
    )
