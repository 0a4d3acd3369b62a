"""Graded checks for notebook 13, the debugging clinic.

Each exercise hands the learner a broken function taken from a real tutorial mistake; the learner
writes the repaired one. A check judges behaviour, never text: it builds its own seeded fixtures,
runs the repair, and compares what it returns (outputs, losses, trained weights) with what correct
code gives. When the answer is wrong, the check recognises the typical half-fixes (the same bug
in another form, a fix of the symptom) and names each in its own message.

Visible calls (no keyword arguments) try several sizes and both layouts where the task has them,
prove that the learner's inputs come back unchanged, and check the types the task states. A check
that runs several cases takes them as `configs`, one dict of named sizes per case.

Before each repair the learner diagnoses the case (`diagnosis_N()` returns a dict: a letter among plausible
causes and one fact read from the symptom, e.g. a line, an axis, a step). A wrong letter gets the
reason that cause is not it; a wrong fact gets what to look at again; neither gets the answer.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..messages import paragraph
from ..shapes import check_shape
from .common import (
    CheckFailed,
    calling,
    close,
    generator,
    passed,
    require,
    require_tensor,
    seeded,
    seeded_lstm,
    seeded_randn,
)

LENGTHS = ([3, 7, 1, 5], [2, 6, 6, 4, 1])  # unsorted; a length of 1; one at full length


def _require_unchanged(fn: str, name: str, before: torch.Tensor, after: torch.Tensor, fix: str) -> None:
    """The caller's tensor `after` must still equal its copy `before`: an answer works on its own copy."""
    __tracebackhide__ = True
    if tuple(after.shape) == tuple(before.shape) and torch.equal(after, before):
        return
    what = (f"its shape from {tuple(before.shape)} to {tuple(after.shape)}"
            if tuple(after.shape) != tuple(before.shape) else "its values")
    raise CheckFailed(
        f"{fn}() changed its argument {name} in place ({what}):\n"
        "  the caller's tensor is not yours to change; the caller still needs it as it was.\n"
        "  Methods ending in _ (transpose_, masked_fill_, sub_) and assignments such as\n"
        "  x[...] = or x -= change a tensor in place.\n"
        f"  Fix:  {fix}")


def _packed_run(lstm, x, lengths):
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
    return out, h_n


# --- 1. the last valid output after unpacking ----------------------------------------------------


LAST_CONFIGS = (dict(lengths=LENGTHS[0], seq=7, feature=3, hidden=5),
                dict(lengths=LENGTHS[1], seq=6, feature=2, hidden=4))


def _last_case(*, lengths, seq: int, feature: int, hidden: int):
    """(batch, seq, feature, hidden, lengths) of one case, its keys checked: batch = len(lengths)."""
    return len(lengths), seq, feature, hidden, list(lengths)


def check_last_outputs(last_outputs, *, configs=LAST_CONFIGS) -> None:
    """last_outputs(out, lengths) -> (batch, hidden): each sequence's output at its last real step.

    configs: one dict(lengths=..., seq=..., feature=..., hidden=...) per batch.
    """
    __tracebackhide__ = True
    for config in configs:
        batch, seq, feature, hidden, lens = _last_case(**config)
        lstm = seeded_lstm(feature, hidden, seed=130 + batch, batch_first=True)
        x = seeded_randn(batch, seq, feature, seed=131 + batch)
        with torch.no_grad():
            out, h_n = _packed_run(lstm, x, lens)
        lens_t = torch.tensor(lens)
        out_in, lens_in = out.clone(), lens_t.clone()
        try:
            with calling("last_outputs"):
                got = last_outputs(out_in, lens_in)
        except IndexError as err:
            if "out of bounds" not in str(err):
                raise
            raise CheckFailed(
                f"last_outputs() indexed past the end of out ({err}).\n"
                f"  Steps are counted from 0: a sequence of length {max(lens)} ends at step {max(lens) - 1},\n"
                "  so step lengths[b] is one past its last real step.\n"
                "  Fix:  out[torch.arange(out.size(0)), lengths - 1]") from None
        fix = "steps = lengths - 1    (a new tensor; not lengths -= 1)"
        _require_unchanged("last_outputs", "lengths", lens_t, lens_in, fix)
        _require_unchanged("last_outputs", "out", out, out_in,
                           "out[torch.arange(out.size(0)), lengths - 1]    (reads out, writes nothing)")
        require_tensor(got, "last_outputs(out, lengths)")

        check_shape(got, "batch hidden", batch=batch, hidden=hidden, name="last_outputs(out, lengths)")
        want = h_n[-1]
        if close(got, want):
            continue
        short = [b for b, n in enumerate(lens) if n < seq]
        if close(got, out[:, -1]):
            raise CheckFailed(
                f"last_outputs() returned out[:, -1], the last PADDED step: for sequences {short}\n"
                "  (shorter than seq) that step is padding, exactly zeros after pad_packed_sequence.\n"
                "  Fix:  out[torch.arange(out.size(0)), lengths - 1]")
        raise CheckFailed(
            f"last_outputs() differs from each sequence's output at step lengths - 1 (lengths {lens}).\n"
            "  For a one-directional LSTM that output equals h_n[-1] of the packed run.\n"
            "  Fix:  out[torch.arange(out.size(0)), lengths - 1]")
    passed(f"last_outputs: equals h_n[-1] for lengths {' and '.join(str(list(c['lengths'])) for c in configs)}")


# --- 2. (batch, seq, feature) -> (seq, batch, feature) ---------------------------------------------


def _coded(batch, seq, feature):
    """x[b, t, f] = 100 b + 10 t + f: every number says where it came from."""
    b = torch.arange(batch)[:, None, None] * 100
    t = torch.arange(seq)[None, :, None] * 10
    f = torch.arange(feature)[None, None, :]
    return (b + t + f).float()


SEQ_FIRST_CONFIGS = (dict(batch=4, seq=7, feature=3), dict(batch=6, seq=2, feature=5))


def _seq_first_case(*, batch: int, seq: int, feature: int) -> tuple[int, int, int]:
    return batch, seq, feature


def check_to_seq_first(to_seq_first, *, configs=SEQ_FIRST_CONFIGS) -> None:
    """to_seq_first(x) -> (seq, batch, feature) holding the same numbers as x (batch, seq, feature).

    configs: one dict(batch=..., seq=..., feature=...) per x.
    """
    __tracebackhide__ = True
    sizes = [_seq_first_case(**config) for config in configs]
    for batch, seq, feature in sizes:
        x = _coded(batch, seq, feature)
        x_in = x.clone()
        with calling("to_seq_first"):
            got = to_seq_first(x_in)
        _require_unchanged("to_seq_first", "x", x, x_in, "x.transpose(0, 1)    (a new view; not x.transpose_(0, 1))")
        require_tensor(got, "to_seq_first(x)")
        want = x.transpose(0, 1)
        if close(got, want):
            continue
        if tuple(got.shape) == (feature, seq, batch):
            raise CheckFailed(
                "to_seq_first() reversed all three axes, (feature, seq, batch) (that is what .T or\n"
                "  .permute(2, 1, 0) does): only batch and seq change places.\n"
                "  Fix:  x.transpose(0, 1)")
        check_shape(got, "seq batch feature", seq=seq, batch=batch, feature=feature, name="to_seq_first(x)")
        if close(got, x.reshape(seq, batch, feature)):
            raise CheckFailed(
                "to_seq_first() has the right shape but regroups the numbers: view/reshape keep the\n"
                f"  memory order, so got[0, 1] = {got[0, 1, 0]:g}... comes from x[0, 1], not x[1, 0].\n"
                "  reshape is the same bug as view. Moving an axis is transpose's job.\n"
                "  Fix:  x.transpose(0, 1)")
        raise CheckFailed("to_seq_first(x)[t, b] should be x[b, t] for every b and t.\n"
                          "  Fix:  x.transpose(0, 1)")
    passed(f"to_seq_first: x[b, t] lands at [t, b], sizes {' and '.join(map(str, sizes))}")


# --- 3. a bidirectional sentence vector ----------------------------------------------------------


VECTOR_CONFIGS = (dict(num_layers=1, batch=4, hidden=5, feature=3),
                  dict(num_layers=2, batch=6, hidden=3, feature=4))


def _vector_case(*, num_layers: int, batch: int, hidden: int, feature: int) -> tuple[int, int, int, int]:
    return num_layers, batch, hidden, feature


def check_sentence_vector(sentence_vector, *, configs=VECTOR_CONFIGS) -> None:
    """sentence_vector(h_n) -> (batch, 2 x hidden): the top layer's forward and backward final states.

    configs: one dict(num_layers=..., batch=..., hidden=..., feature=...) per bidirectional LSTM.
    """
    __tracebackhide__ = True
    for config in configs:
        num_layers, batch, hidden, feature = _vector_case(**config)
        lstm = seeded_lstm(feature, hidden, seed=133 + num_layers, num_layers=num_layers, bidirectional=True)
        x = seeded_randn(7, batch, feature, seed=134 + num_layers)
        with torch.no_grad():
            _, (h_n, _) = lstm(x)
        h_in = h_n.clone()
        with calling("sentence_vector"):
            got = sentence_vector(h_in)
        _require_unchanged("sentence_vector", "h_n", h_n, h_in, "torch.cat of rows of h_n, a new tensor")
        require_tensor(got, "sentence_vector(h_n)")
        if tuple(got.shape) == (batch, hidden):
            raise CheckFailed(
                f"sentence_vector() returned (batch={batch}, hidden={hidden}): one direction only.\n"
                "  h_n[-1] is the top layer's BACKWARD direction alone; the forward one is h_n[-2].\n"
                "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)")
        check_shape(got, "batch hidden", batch=batch, hidden=2 * hidden, name="sentence_vector(h_n)")
        want = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        if close(got, want):
            continue
        if close(got, h_n[-2:].reshape(batch, 2 * hidden)):
            raise CheckFailed(
                "sentence_vector() reshaped h_n[-2:] with view/reshape: (2, batch, hidden) read as\n"
                "  (batch, 2 x hidden) puts two sentences' numbers in one row.\n"
                "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)")
        if num_layers > 1 and close(got, torch.cat([h_n[0], h_n[1]], dim=-1)):
            raise CheckFailed(
                f"sentence_vector() took rows 0 and 1 of h_n: layer 0 of this {num_layers}-layer stack.\n"
                "  The rows are ordered (layer 0 forward, layer 0 backward, layer 1 forward, ...).\n"
                "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)")
        if close(got, torch.cat([h_n[-1], h_n[-2]], dim=-1)):
            raise CheckFailed("sentence_vector() put the backward state first.\n"
                              "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)")
        raise CheckFailed("sentence_vector() differs from [forward | backward] final states of the top layer.\n"
                          "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)")
    passed(f"sentence_vector: [h_n[-2] | h_n[-1]] for {' and '.join(str(c['num_layers']) for c in configs)} layers")


# --- 4. truncated backpropagation through time -------------------------------------------------


def _chunk_fixture(seed, seq=12, batch=3, feature=2, hidden=4):
    """An LSTM, a head and a series, fixed by `seed`; the learner's global random state is untouched."""
    lstm = seeded_lstm(feature, hidden, seed=seed)
    with seeded(seed + 1):
        head = nn.Linear(hidden, 1)
    x = seeded_randn(seq, batch, feature, seed=seed + 2)
    y = seeded_randn(seq, batch, 1, seed=seed + 3)
    return lstm, head, x, y


def _reference_chunks(lstm, head, x, y, chunk, lr, *, detach=True, carry=True, retain=False):
    params = list(lstm.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=lr)
    state, losses = None, []
    for start in range(0, x.size(0), chunk):
        if state is not None and detach:
            state = tuple(s.detach() for s in state)
        out, new_state = lstm(x[start:start + chunk], state if carry else None)
        loss = nn.functional.mse_loss(head(out), y[start:start + chunk])
        optimizer.zero_grad()
        loss.backward(retain_graph=retain)
        optimizer.step()
        state = new_state
        losses.append(loss.item())
    return losses


def _weights(*modules):
    return torch.cat([p.detach().flatten() for m in modules for p in m.parameters()])


def check_train_in_chunks(train_in_chunks, *, chunks=(4, 5), lr=0.07) -> None:
    """train_in_chunks(lstm, head, x, y, chunk, optimizer) trains with the state carried, detached.

    chunk 5 of 12 steps leaves a shorter last chunk; the losses must be Python floats.
    """
    __tracebackhide__ = True
    for chunk in chunks:
        lstm, head, x, y = _chunk_fixture(140 + chunk)
        ref_l, ref_h = copy.deepcopy(lstm), copy.deepcopy(head)
        optimizer = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=lr)
        x_in, y_in = x.clone(), y.clone()
        try:
            with calling("train_in_chunks"):
                losses = train_in_chunks(lstm, head, x_in, y_in, chunk, optimizer)
        except RuntimeError as err:
            _explain_chunk_training_error(err)
        for name, before, after in (("x", x, x_in), ("y", y, y_in)):
            _require_unchanged("train_in_chunks", name, before, after, f"read slices of {name}; write nothing into it")
        want_losses = _reference_chunks(ref_l, ref_h, x, y, chunk, lr)
        got = _weights(lstm, head)
        if not close(got, _weights(ref_l, ref_h), atol=1e-5):
            _explain_chunk_weights(got, x, y, chunk, lr)
        _check_chunk_losses(losses, want_losses, chunk)
    passed(f"train_in_chunks: the same weights as truncated BPTT, chunks of {' and '.join(map(str, chunks))}")


def _explain_chunk_training_error(err: RuntimeError) -> None:
    """backward() into a chunk already stepped or freed: the state still holds the graph."""
    __tracebackhide__ = True
    if "modified by an inplace operation" in str(err):
        raise CheckFailed(
            "train_in_chunks() keeps the graph of earlier chunks (retain_graph=True?): backward()\n"
            "  runs into a chunk whose weights optimizer.step() has changed since. Retaining the\n"
            "  graph is not the fix; cutting it is.\n"
            "  Fix:  state = tuple(s.detach() for s in state)    and a plain loss.backward()") from None
    if "backward through the graph a second time" in str(err):
        raise CheckFailed(
            "train_in_chunks() still backpropagates into the previous chunk: the carried state\n"
            "  (h, c) holds that chunk's graph, which backward() already freed. Detach BOTH h and c.\n"
            "  Fix:  state = tuple(s.detach() for s in state)    before each chunk") from None
    raise err


def _check_chunk_losses(losses, want_losses, chunk) -> None:
    """The weights are right: the losses are a list of Python floats, each chunk's before its step."""
    __tracebackhide__ = True
    require(isinstance(losses, list) and len(losses) == len(want_losses),
            f"train_in_chunks() trains right, but should return a list of the {len(want_losses)} "
            f"chunk losses (12 steps in chunks of {chunk}),\n  got "
            f"{type(losses).__name__}{f' of {len(losses)}' if hasattr(losses, '__len__') else ''}.\n"
            "  Fix:  losses.append(loss.item())    once per chunk, and    return losses")
    tensors = [i for i, a in enumerate(losses) if isinstance(a, torch.Tensor)]
    require(not tensors,
            f"train_in_chunks() returns tensors where floats are asked (losses {tensors}): a loss\n"
            "  tensor keeps its graph (or at least a tensor) alive in the list, and the task asks for\n"
            "  numbers to print and plot.\n"
            "  Fix:  losses.append(loss.item())")
    require(all(isinstance(a, float) for a in losses),
            "train_in_chunks() should return the chunk losses as Python floats, got "
            f"{sorted({type(a).__name__ for a in losses})}.\n  Fix:  losses.append(loss.item())")
    require(all(abs(a - b) < 1e-4 for a, b in zip(losses, want_losses)),
            f"train_in_chunks() trains right, but its losses {[round(a, 4) for a in losses]} are not "
            f"those of\n  each chunk before its step, {[round(b, 4) for b in want_losses]}.\n"
            "  Fix:  losses.append(loss.item())    right after loss.backward()")


def _explain_chunk_weights(got, x, y, chunk, lr) -> None:
    """The weights differ from truncated BPTT: the state dropped, or retain_graph instead of detach."""
    __tracebackhide__ = True
    for kwargs, message in (
        (dict(carry=False),
         "train_in_chunks() starts every chunk from zeros: the state is never carried, so the LSTM\n"
         "  never sees more than one chunk of the past. Detach it, do not drop it.\n"
         "  Fix:  out, state = lstm(x_chunk, state)    with state detached before each chunk"),
        (dict(detach=False, retain=True),
         "train_in_chunks() passes retain_graph=True instead of detaching: every backward() runs\n"
         "  through ALL earlier chunks again (slower each chunk, memory grows, other gradients).\n"
         "  Fix:  state = tuple(s.detach() for s in state)    and a plain loss.backward()"),
    ):
        l2, h2, *_ = _chunk_fixture(140 + chunk)
        try:
            _reference_chunks(l2, h2, x, y, chunk, lr, **kwargs)
        except RuntimeError:
            continue
        if close(got, _weights(l2, h2), atol=1e-5):
            raise CheckFailed(message)
    raise CheckFailed(
        f"after train_in_chunks(chunk={chunk}) the weights differ from truncated backpropagation:\n"
        "  for each chunk: detach the state, run the chunk from it, zero_grad, backward, step.\n"
        "  Fix:  see the loop in notebook 04 (run_in_chunks), with optimizer.step() per chunk")


# --- 5. state carried across unrelated batches ---------------------------------------------------


ENCODE_CONFIGS = (dict(batch_sizes=(4, 4, 3), feature=3, hidden=5, num_layers=1),
                  dict(batch_sizes=(3, 2), feature=4, hidden=2, num_layers=2))


def _encode_case(*, batch_sizes, feature: int, hidden: int, num_layers: int):
    return batch_sizes, feature, hidden, num_layers


def check_encode_batches(encode_batches, *, configs=ENCODE_CONFIGS) -> None:
    """encode_batches(lstm, batches) -> [h_n[-1] per batch], each batch on its own (from zeros).

    configs: one dict(batch_sizes=..., feature=..., hidden=..., num_layers=...) per LSTM and its
    batches; a stack of 2 layers tells the top layer's h_n[-1] from the bottom one's.
    """
    __tracebackhide__ = True
    for config in configs:
        batch_sizes, feature, hidden, num_layers = _encode_case(**config)
        lstm = seeded_lstm(feature, hidden, seed=150 + num_layers, num_layers=num_layers)
        batches = [seeded_randn(6, b, feature, seed=151 + i) for i, b in enumerate(batch_sizes)]
        given = [b.clone() for b in batches]
        given_list = list(given)
        with calling("encode_batches"):
            got = encode_batches(lstm, given_list)
        require(len(given_list) == len(given) and all(a is b for a, b in zip(given_list, given)),
                "encode_batches() changed the list of batches it was given (an item removed, added or\n"
                "  replaced): the caller's list is not yours to change.\n"
                "  Fix:  for batch in batches:    (read it; append to a list of your own)")
        for i, (before, after) in enumerate(zip(batches, given)):
            _require_unchanged("encode_batches", f"batches[{i}]", before, after, "lstm(batch)    (reads it)")
        require(isinstance(got, (list, tuple)) and len(got) == len(batches),
                f"encode_batches() should return a list of one tensor per batch ({len(batches)}), got "
                f"{type(got).__name__}{f' of {len(got)}' if hasattr(got, '__len__') else ''}.\n"
                "  Fix:  results.append(h_n[-1])    once per batch, and    return results")
        with torch.no_grad():
            want = [lstm(b)[1][0] for b in batches]
        for i, (g, w) in enumerate(zip(got, want)):
            name = f"encode_batches(...)[{i}]"
            require_tensor(g, name)
            check_shape(g, "batch hidden", batch=batch_sizes[i], hidden=hidden, name=name)
            if close(g, w[-1]):
                continue
            if num_layers > 1 and close(g, w[0]):
                raise CheckFailed(
                    f"{name} is the BOTTOM layer's final state, h_n[0], of this {num_layers}-layer LSTM:\n"
                    "  h_n has one row per layer, bottom first; the sentence vector is the top layer's.\n"
                    "  Fix:  h_n[-1]")
            raise CheckFailed(
                f"batch {i} depends on the batches before it: its sentences start from the state the\n"
                "  previous batch ended in. Unrelated batches each start from zeros; .detach() alone\n"
                "  keeps the numbers (it only cuts the gradient).\n"
                "  Fix:  out, (h_n, c_n) = lstm(batch)    (no state passed in)")
    passed("encode_batches: each batch equals the batch run alone, "
           f"{' and '.join(str(c['num_layers']) for c in configs)} layers")


# --- 7. a loss that ignores padding -------------------------------------------------------------


LOSS_CONFIGS = (dict(lengths=LENGTHS[0], seq=7, classes=5), dict(lengths=LENGTHS[1], seq=6, classes=3))


def _loss_case(*, lengths, seq: int, classes: int):
    """(batch, seq, classes, lengths) of one case, its keys checked: batch = len(lengths)."""
    return len(lengths), seq, classes, list(lengths)


def check_masked_loss(masked_loss, *, configs=LOSS_CONFIGS) -> None:
    """masked_loss(logits, targets, lengths) -> mean cross-entropy over the real steps only.

    configs: one dict(lengths=..., seq=..., classes=...) per batch.
    """
    __tracebackhide__ = True
    for config in configs:
        batch, seq, classes, lens = _loss_case(**config)
        logits = seeded_randn(batch, seq, classes, seed=170 + batch)
        targets = torch.randint(0, classes, (batch, seq), generator=generator(171))
        lens_t = torch.tensor(lens)
        mask = torch.arange(seq)[None, :] < lens_t[:, None]
        targets = targets.masked_fill(~mask, 0)  # padded with 0, a real class
        given = (logits.clone(), targets.clone(), lens_t.clone())
        with calling("masked_loss"):
            got = masked_loss(*given)
        for name, before, after in zip(("logits", "targets", "lengths"), (logits, targets, lens_t), given):
            _require_unchanged("masked_loss", name, before, after,
                               "mask = torch.arange(seq)[None, :] < lengths[:, None]    (a new tensor)")
        require_tensor(got, "masked_loss(...)")
        require(got.dim() == 0 and got.is_floating_point(),
                f"masked_loss() should return one number, a 0-d float tensor, got shape "
                f"{tuple(got.shape)} ({got.dtype}).\n"
                "  Fix:  return the mean over the real steps: loss.sum() / mask.sum()")
        per_step = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        want = per_step[mask].mean()
        if close(got, want):
            continue
        if close(got, per_step.mean()):
            raise CheckFailed(
                f"masked_loss() averages over all {batch} x {seq} steps, padding included: the model is\n"
                "  also trained to predict class 0 at every padded step.\n"
                "  Fix:  per_step[mask].mean()    or    cross_entropy(..., ignore_index=-100) on targets "
                "padded with -100")
        if close(got, (per_step * mask).sum() / per_step.numel()):
            raise CheckFailed(
                "masked_loss() zeroes the padded steps but divides by ALL steps: the loss shrinks as\n"
                "  padding grows, and a batch of short sentences counts for less.\n"
                "  Fix:  (per_step * mask).sum() / mask.sum()")
        mask_le = torch.arange(seq)[None, :] <= lens_t[:, None]
        if close(got, per_step[mask_le].mean()):
            raise CheckFailed("masked_loss() counts one padded step per sequence (<= instead of <).\n"
                              "  Fix:  mask = torch.arange(seq)[None, :] < lengths[:, None]")
        raise CheckFailed("masked_loss() differs from the mean cross-entropy over the real steps.\n"
                          "  Fix:  per_step = cross_entropy(logits.transpose(1, 2), targets, "
                          "reduction='none'); per_step[mask].mean()")
    passed(f"masked_loss: the mean over real steps only, lengths "
           f"{' and '.join(str(list(c['lengths'])) for c in configs)}")


# --- 8. CrossEntropyLoss over steps ------------------------------------------------------------


STEP_CONFIGS = (dict(batch=4, seq=7, classes=5), dict(batch=3, seq=5, classes=6))


def _step_case(*, batch: int, seq: int, classes: int) -> tuple[int, int, int]:
    return batch, seq, classes


def check_step_loss(step_loss, *, configs=STEP_CONFIGS) -> None:
    """step_loss(logits, targets) -> CrossEntropyLoss over every step; logits (batch, seq, classes).

    configs: one dict(batch=..., seq=..., classes=...) per batch.
    """
    __tracebackhide__ = True
    sizes = [_step_case(**config) for config in configs]
    for batch, seq, classes in sizes:
        logits = seeded_randn(batch, seq, classes, seed=180 + batch)
        targets = torch.randint(0, classes, (batch, seq), generator=generator(181))
        given = (logits.clone(), targets.clone())
        with calling("step_loss"):
            got = step_loss(*given)
        for name, before, after in zip(("logits", "targets"), (logits, targets), given):
            _require_unchanged("step_loss", name, before, after,
                               "loss_fn(logits.transpose(1, 2), targets)    (transpose, not transpose_)")
        require_tensor(got, "step_loss(...)")
        require(got.dim() == 0 and got.is_floating_point(),
                f"step_loss() should return the loss as a 0-d float tensor (backward() needs it), got "
                f"shape {tuple(got.shape)} ({got.dtype}).\n"
                "  Fix:  return loss_fn(...)    (not loss.item(), not the per-step losses)")
        want = nn.functional.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1))
        if close(got, want):
            continue
        scrambled = nn.functional.cross_entropy(logits.reshape(batch, classes, seq), targets)
        if close(got, scrambled):
            raise CheckFailed(
                "step_loss() gave CrossEntropyLoss logits.view(batch, classes, seq): view regroups the\n"
                "  numbers, so each 'class score' mixes steps and classes. Move the axis instead.\n"
                "  Fix:  loss_fn(logits.transpose(1, 2), targets)    or    "
                "loss_fn(logits.reshape(-1, classes), targets.reshape(-1))")
        raise CheckFailed("step_loss() differs from CrossEntropyLoss over every (sequence, step).\n"
                          "  Fix:  loss_fn(logits.reshape(-1, classes), targets.reshape(-1))")
    passed(f"step_loss: CrossEntropyLoss over every step, (batch, seq, classes) {' and '.join(map(str, sizes))}")


# --- 9. greedy decoding without teacher forcing ---------------------------------------------------


class Decoder(nn.Module):
    """A small fixture decoder: embed the previous token, one LSTMCell step, scores over the vocab."""

    def __init__(self, vocab: int = 9, emb: int = 4, hidden: int = 6, seed: int = 190):
        super().__init__()
        with seeded(seed):
            self.embedding = nn.Embedding(vocab, emb)
            self.cell = nn.LSTMCell(emb, hidden)
            self.out = nn.Linear(hidden, vocab)
        with torch.no_grad():  # larger embeddings: the next token depends clearly on the input one
            self.embedding.weight.mul_(3)

    def forward(self, token, state):
        h, c = self.cell(self.embedding(token), state)
        return self.out(h), (h, c)


def _greedy(decoder, state, bos, steps):
    token = torch.full((state[0].size(0),), bos, dtype=torch.long)
    tokens = []
    for _ in range(steps):
        scores, state = decoder(token, state)
        token = scores.argmax(dim=-1)
        tokens.append(token)
    return torch.stack(tokens, dim=1)


GENERATE_CONFIGS = (dict(batch=5, steps=6, bos=1), dict(batch=2, steps=4, bos=3))


def check_generate(generate, *, configs=GENERATE_CONFIGS) -> None:
    """generate(decoder, state, bos, steps, targets) -> (batch, steps) ids, each step fed the last prediction.

    configs: one dict(batch=..., steps=..., bos=...) per run; each run twice, with two different targets.
    """
    __tracebackhide__ = True
    decoder = Decoder()
    hidden = decoder.cell.hidden_size
    for config in configs:
        _check_generate_once(generate, decoder, hidden, **config)
    sizes = " and ".join(str((c["batch"], c["steps"], c["bos"])) for c in configs)
    passed(f"generate: greedy decoding, the same whatever the targets, (batch, steps, bos) {sizes}")


def _check_generate_once(generate, decoder, hidden, *, batch: int, steps: int, bos: int) -> None:
    __tracebackhide__ = True
    state = (seeded_randn(batch, hidden, seed=191), seeded_randn(batch, hidden, seed=192))
    gen = generator(193)
    targets_a = torch.randint(2, 9, (batch, steps), generator=gen)
    targets_b = torch.randint(2, 9, (batch, steps), generator=gen)
    with torch.no_grad():
        want = _greedy(decoder, state, bos, steps)
        given = [(state[0].clone(), state[1].clone(), targets_a.clone()),
                 (state[0].clone(), state[1].clone(), targets_b.clone())]
        with calling("generate"):
            got_a = generate(decoder, given[0][:2], bos, steps, given[0][2])
            got_b = generate(decoder, given[1][:2], bos, steps, given[1][2])
    for (h_in, c_in, t_in), targets in zip(given, (targets_a, targets_b)):
        for name, before, after in (("state[0]", state[0], h_in), ("state[1]", state[1], c_in),
                                    ("targets", targets, t_in)):
            _require_unchanged("generate", name, before, after, "scores, state = decoder(token, state)    "
                               "(a new state each step)")
    require_tensor(got_a, "generate(...)")
    check_shape(got_a, "batch seq", batch=batch, seq=steps, name="generate(...)")
    require(got_a.dtype == torch.long,
            f"generate() should return token ids, a long tensor, got {got_a.dtype}.\n"
            "  Fix:  torch.stack(tokens, dim=1)    of the argmax ids, each (batch,)")
    if not torch.equal(got_a, got_b):
        raise CheckFailed(
            "generate() gives other tokens when only the TARGETS change: it still reads them\n"
            "  (teacher forcing left on). At inference there are no targets to read; each step is\n"
            "  fed the model's own last prediction.\n"
            "  Fix:  token = scores.argmax(dim=-1)    then feed token at the next step")
    if torch.equal(got_a, want):
        try:
            with torch.no_grad(), calling("generate"):
                got_none = generate(decoder, (state[0].clone(), state[1].clone()), bos, steps)
        except (TypeError, AttributeError, IndexError) as err:
            raise CheckFailed(
                f"generate() fails when no targets are given (targets=None): {type(err).__name__}: {err}\n"
                "  At inference there are no targets: nothing may depend on them, steps included.\n"
                "  Fix:  for _ in range(steps):    (steps is an argument)") from None
        require(isinstance(got_none, torch.Tensor) and torch.equal(got_none, want),
                "generate() gives other tokens without targets (targets=None) than with them.\n"
                "  Fix:  token = scores.argmax(dim=-1)    whatever targets holds")
        return
    with torch.no_grad():
        stuck = []
        st = state
        for _ in range(steps):
            scores, st = decoder(torch.full((batch,), bos, dtype=torch.long), st)
            stuck.append(scores.argmax(-1))
    if torch.equal(got_a, torch.stack(stuck, dim=1)):
        raise CheckFailed(
            "generate() feeds <bos> at every step: the decoder never sees its own prediction.\n"
            "  Fix:  token = scores.argmax(dim=-1)    and feed that token at the next step")
    raise CheckFailed("generate() differs from greedy decoding (argmax over the vocabulary axis, fed back).\n"
                      "  Fix:  token = scores.argmax(dim=-1); tokens.append(token)")


# --- diagnoses: the learner says what is wrong before repairing it ------------------------------


@dataclass(frozen=True)
class _Fact:
    kind: str        # "int", "ints" (a list of int) or "pair" (two ints)
    asks: str        # what the value is, for a type message
    wrong: str       # what to look at again when the value is wrong (never the value)
    normalize: object = None  # a function applied to the learner's value before comparing


@dataclass(frozen=True)
class _Diagnosis:
    number: int
    right: str                  # the letter of the cause
    not_it: dict                # letter -> why that cause is not it
    facts: dict = field(default_factory=dict)  # key -> _Fact
    confirmed: str = ""         # one line printed when the whole diagnosis is right


def _review_lengths() -> list[int]:
    """Case 1's four reviews (the notebook's cu.data.movie_reviews("train")[1:5]), tokenized."""
    from .. import data

    return [len(data.tokenize(r.text)) for r in data.movie_reviews("train")[1:5]]


def _modulo(n):
    return lambda rows: [r % n for r in rows]


DIAGNOSES = {
    1: _Diagnosis(
        1, "c",
        {"a": "with enforce_sorted=False, packing sorts the reviews for itself and pad_packed_sequence\n"
              "  puts them back in your order: row b of out is still review b (h_n too).",
         "b": "pad_packed_sequence(..., batch_first=True) returns (batch, seq, hidden), as the shapes\n"
              "  printed above say: out[:, -1] indexes the seq axis.",
         "d": "the packed LSTM never reads a padded step: pad_packed_sequence writes those zeros. (An\n"
              "  LSTM reading a zero vector would still output non-zero numbers: biases and state.)"},
        {"steps": _Fact("ints", "a list of 4 int: for each review, the step of out (an index on its seq\n"
                                "  axis) that holds its last real output",
                        "out's seq axis counts steps from 0, and review b has lengths[b] real steps.")},
        "out[:, -1] reads padding for every review shorter than the longest"),
    2: _Diagnosis(
        2, "a",
        {"b": "x is contiguous (x.is_contiguous() is True: it was built by arithmetic), and reshape\n"
              "  or contiguous().view() give the very same numbers: all regroup in row-major order.",
         "c": "broken_to_seq_first(x)[0, 1] is [10.0, 11.0]: f = 0, 1, in order. The features never\n"
              "  moved; sequences and steps did.",
         "d": "x[b, t, f] = 100 b + 10 t + f, and x[1, 0] is [100.0, 101.0]: sequence 1, step 0. x is\n"
              "  (batch=2, seq=3, feature=2), batch first."},
        {"source": _Fact("pair", "a pair (b, t) of int: the sequence b and step t of x whose numbers\n"
                                 "  broken_to_seq_first(x)[2, 0] holds",
                         "read x's 12 numbers row by row, (b, t) = (0, 0), (0, 1), ..., and cut them\n"
                         "  into the new shape (3, 2, 2) in that order; or print the cell and decode it.")},
        "view regroups the numbers in row-major order and moves no axis"),
    3: _Diagnosis(
        3, "d",
        {"a": "h_n's rows go layer by layer from the bottom: its last rows belong to the TOP layer\n"
              "  (notebook 05).",
         "b": "h_n[-1] equals half of out at one step exactly (printed above): nothing is averaged;\n"
              "  it is the state of one direction.",
         "c": "h_n[-1] has hidden = 5 numbers per sentence, not 2 x 5 (printed above): side by side\n"
              "  is how out holds the two directions, not how h_n does."},
        {"rows": _Fact("ints", "a list of 2 int: the rows of the printed h_n (2 layers, bidirectional)\n"
                               "  that the sentence vector needs, the forward direction first",
                       "h_n has one row per (layer, direction): layer 0 forward, layer 0 backward, ...\n"
                       "  The head needs both directions of the top layer.", _modulo(4))},
        "h_n[-1] is the top layer's backward direction alone"),
    4: _Diagnosis(
        4, "b",
        {"a": "retain_graph=True keeps every earlier chunk's graph, so each backward() runs through\n"
              "  the whole past; with optimizer.step() in between it fails anyway (\"modified by an\n"
              "  inplace operation\"). The error's suggestion treats the symptom, not the cause.",
         "c": "zero_grad() clears the parameters' .grad; it touches no graph. Without it gradients\n"
              "  would add up, but nothing would raise.",
         "d": "a module is reused by every forward pass of any training loop; what backward() frees\n"
              "  is the graph of one forward pass, not the module."},
        {"line": _Fact("int", "an int: the line of broken_train_in_chunks (line 1 is the def line)\n"
                              "  where the mistake is made",
                       "the traceback shows where PyTorch NOTICES the mistake, the backward() of the\n"
                       "  next chunk; find the line that hands the previous chunk's graph on to it.")},
        "the carried state still holds the previous chunk's graph"),
    5: _Diagnosis(
        5, "c",
        {"a": "a state of the right size would silence the error, but every batch would still start\n"
              "  where the previous one ended: its vectors would depend on other sentences.",
         "b": "enc = nn.LSTM(3, 5) reads (seq, batch, feature), and each batch is (seq=6, batch,\n"
              "  feature=3): the layout is right. What disagrees is the state's batch axis.",
         "d": ".detach() cuts the gradient and keeps the numbers: batch 1 would still start from\n"
              "  batch 0's final state."},
        {"wrong_batches": _Fact("ints", "a list of int: the batches (0, 1, 2) whose vectors would be wrong even\n"
                                        "  if all three batches held 4 sentences (no error)",
                                "which batches start from zeros, and which from another batch's final state?",
                                sorted)},
        "each batch starts from the previous batch's final state"),
    6: _Diagnosis(
        6, "a",
        {"b": "transpose moves the class axis to position 1, where cross_entropy reads it; every\n"
              "  score stays with its step (notebook 07 §7).",
         "c": "a step of zero logits is a uniform guess, whose loss is log(classes) > 0: it would\n"
              "  still be counted in the mean.",
         "d": "cross_entropy would raise \"Target -1 is out of bounds\": -1 is no class unless the\n"
              "  loss is told to skip it (ignore_index), and that is the other half of the cause."},
        {"padded_steps": _Fact("int", "an int: how many (sequence, step) pairs the broken loss counts that\n"
                                      "  it should not",
                               "the batch has 4 x 7 steps; lengths6 says how many of each row are real.")},
        "the mean runs over padded steps, whose target 0 is a real class"),
    7: _Diagnosis(
        7, "d",
        {"a": "class targets are ids, one per step, (batch, seq): tags7 is exactly that. The size the\n"
              "  loss expected, [4, 5], is not (batch, seq) = [4, 7] either.",
         "b": "class ids are integers (long) by design; float targets would mean probabilities, of\n"
              "  the scores' own shape.",
         "c": "both have batch 4 on axis 0: [4, 5] and [4, 7] agree on the 4 and differ in the\n"
              "  second number."},
        {"axis": _Fact("int", "an int: the axis of scores7 that CrossEntropyLoss read as the classes",
                       "CrossEntropyLoss takes (batch, classes) or (batch, classes, d1, ...): where\n"
                       "  does that put the classes? Its docs (Shape) say."),
         "classes": _Fact("int", "an int: how many classes CrossEntropyLoss believed there are",
                          "that is the size of the axis it read as the classes, in scores7.shape.")},
        "CrossEntropyLoss read axis 1, seq, as the classes"),
    8: _Diagnosis(
        8, "b",
        {"a": "scores is (batch, vocab): dim=-1 is the vocabulary axis, one id per sentence.",
         "c": "the Decoder has no dropout, and the same targets give the same predictions twice\n"
              "  (printed above): only other targets change them.",
         "d": "decoder() returns a new state and changes none in place; the same targets twice give\n"
              "  the same predictions (printed above)."},
        {"line": _Fact("int", "an int: the line of broken_generate (line 1 is the def line) that makes\n"
                              "  the mistake",
                       "which line decides what the decoder reads at the next step?")},
        "each step reads the target token, not the model's own prediction"),
}


def _fact_value(value, fact: _Fact, label: str):
    """The learner's value in the stated type, or a CheckFailed that says what type is asked."""
    __tracebackhide__ = True

    def is_int(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if isinstance(value, torch.Tensor):
        raise CheckFailed(f"{label} is a tensor; the task asks for\n{paragraph(fact.asks)}.\n"
                          "  Write Python numbers (a tensor's .tolist() or int() gives them).")
    if fact.kind == "int":
        require(is_int(value), f"{label} should be\n{paragraph(fact.asks)};\n"
                f"  got {type(value).__name__} {value!r}.")
        return int(value)
    require(isinstance(value, (list, tuple)) and all(is_int(v) for v in value)
            and (fact.kind != "pair" or len(value) == 2),
            f"{label} should be\n{paragraph(fact.asks)};\n  got {type(value).__name__} {value!r}.")
    return [int(v) for v in value]


def _right_value(number: int, key: str):
    if number == 1:
        return [n - 1 for n in _review_lengths()]
    return {(2, "source"): [1, 1], (3, "rows"): [2, 3], (4, "line"): 4, (5, "wrong_batches"): [1, 2],
            (6, "padded_steps"): 12, (7, "axis"): 1, (7, "classes"): 7, (8, "line"): 6}[number, key]


def check_diagnosis(number: int, diagnosis) -> None:
    """diagnosis_N() -> {"cause": a letter, <fact>: a value}: the cause of case N, and one fact that shows it.
    (The learner's function is called; a dict is taken as what it returned.)

    A wrong letter is told why that cause is not it; a wrong fact, what to look at again. Neither
    message gives the answer.
    """
    __tracebackhide__ = True
    spec = DIAGNOSES[number]
    name = f"diagnosis_{number}"
    letters = sorted({spec.right, *spec.not_it})
    keys = ["cause", *spec.facts]
    form = "{" + ", ".join(['"cause": "<a letter>"'] + [f'"{k}": ...' for k in spec.facts]) + "}"
    if callable(diagnosis):
        with calling(name):
            diagnosis = diagnosis()
    require(isinstance(diagnosis, dict),
            f"{name}() should return a dict, {form}; got {type(diagnosis).__name__}.")
    missing = [k for k in keys if k not in diagnosis]
    extra = [k for k in diagnosis if k not in keys]
    require(not missing and not extra,
            f"{name} should have the keys {keys}; "
            + (f"missing {missing}" if missing else "") + ("; " if missing and extra else "")
            + (f"unknown {extra}" if extra else "") + f".\n  The form: {name} = {form}")
    cause = diagnosis["cause"]
    require(isinstance(cause, str) and cause.strip().lower() in letters,
            f'{name}["cause"] should be one letter among {", ".join(letters)} (a str); got {cause!r}.')
    cause = cause.strip().lower()
    if cause != spec.right:
        raise CheckFailed(f'{name}["cause"] = "{cause}" is not what went wrong here:\n'
                          + paragraph(spec.not_it[cause])
                          + "\n  Look at the symptom again, then choose another letter.")
    for key, fact in spec.facts.items():
        label = f'{name}["{key}"]'
        value = _fact_value(diagnosis[key], fact, label)
        want = _right_value(number, key)
        if fact.normalize is not None:
            value, want = fact.normalize(value), fact.normalize(want)
        if value != want:
            raise CheckFailed(f"{label} = {diagnosis[key]!r}: the cause is right, this is not.\n"
                              + paragraph(f"It asks for {fact.asks}.") + "\n" + paragraph(fact.wrong, "  Hint: "))
    passed(f"{name}: right, {spec.confirmed}")


def check_diagnosis_1(diagnosis_1) -> None:
    """Case 1, the last valid output after unpacking: the cause and each review's last real step."""
    __tracebackhide__ = True
    check_diagnosis(1, diagnosis_1)


def check_diagnosis_2(diagnosis_2) -> None:
    """Case 2, view where transpose belongs: the cause and where one regrouped number came from."""
    __tracebackhide__ = True
    check_diagnosis(2, diagnosis_2)


def check_diagnosis_3(diagnosis_3) -> None:
    """Case 3, a bidirectional sentence vector: the cause and the rows of h_n the head needs."""
    __tracebackhide__ = True
    check_diagnosis(3, diagnosis_3)


def check_diagnosis_4(diagnosis_4) -> None:
    """Case 4, state carried between chunks: the cause and the line that makes the mistake."""
    __tracebackhide__ = True
    check_diagnosis(4, diagnosis_4)


def check_diagnosis_5(diagnosis_5) -> None:
    """Case 5, state across unrelated batches: the cause and the batches it makes wrong."""
    __tracebackhide__ = True
    check_diagnosis(5, diagnosis_5)


def check_diagnosis_6(diagnosis_6) -> None:
    """Case 6, the loss over padding: the cause and how many steps it wrongly counts."""
    __tracebackhide__ = True
    check_diagnosis(6, diagnosis_6)


def check_diagnosis_7(diagnosis_7) -> None:
    """Case 7, CrossEntropyLoss on (batch, seq, classes): the cause, the axis and size read as classes."""
    __tracebackhide__ = True
    check_diagnosis(7, diagnosis_7)


def check_diagnosis_8(diagnosis_8) -> None:
    """Case 8, teacher forcing at inference: the cause and the line that makes the mistake."""
    __tracebackhide__ = True
    check_diagnosis(8, diagnosis_8)
