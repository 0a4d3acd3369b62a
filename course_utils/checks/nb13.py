"""Graded checks for notebook 13, the debugging clinic.

Each exercise hands the learner a broken function taken from a real tutorial mistake; the learner
writes the repaired one. A check judges behaviour, never text: it builds its own seeded fixtures,
runs the repair, and compares what it returns (outputs, losses, trained weights) with what correct
code gives. When the answer is wrong, the check recognises the typical half-fixes (the same bug
in another form, a fix of the symptom) and names each in its own message.

Visible calls (no keyword arguments) try several sizes and both layouts where the task has them.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..shapes import check_shape
from .common import (
    CheckFailed,
    calling,
    close,
    passed,
    require,
    require_tensor,
    seeded_lstm,
    seeded_randn,
)

LENGTHS = ([3, 7, 1, 5], [2, 6, 6, 4, 1])  # unsorted; a length of 1; one at full length


def _packed_run(lstm, x, lengths):
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
    return out, h_n


# --- 1. the last valid output after unpacking ----------------------------------------------------


def check_last_outputs(last_outputs, *, sizes=((4, 7, 3, 5), (5, 6, 2, 4)), lengths=LENGTHS) -> None:
    """last_outputs(out, lengths) -> (batch, hidden): each sequence's output at its last real step."""
    __tracebackhide__ = True
    for (batch, seq, feature, hidden), lens in zip(sizes, lengths):
        lstm = seeded_lstm(feature, hidden, seed=130 + batch, batch_first=True)
        x = seeded_randn(batch, seq, feature, seed=131 + batch)
        with torch.no_grad():
            out, h_n = _packed_run(lstm, x, lens)
        lens_t = torch.tensor(lens)
        try:
            with calling("last_outputs"):
                got = last_outputs(out.clone(), lens_t.clone())
        except IndexError as err:
            if "out of bounds" not in str(err):
                raise
            raise CheckFailed(
                f"last_outputs() indexed past the end of out ({err}).\n"
                f"  Steps are counted from 0: a sequence of length {max(lens)} ends at step {max(lens) - 1},\n"
                "  so step lengths[b] is one past its last real step.\n"
                "  Fix:  out[torch.arange(out.size(0)), lengths - 1]") from None
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
    passed(f"last_outputs: equals h_n[-1] for lengths {' and '.join(str(list(n)) for n in lengths)}")


# --- 2. (batch, seq, feature) -> (seq, batch, feature) ---------------------------------------------


def _coded(batch, seq, feature):
    """x[b, t, f] = 100 b + 10 t + f: every number says where it came from."""
    b = torch.arange(batch)[:, None, None] * 100
    t = torch.arange(seq)[None, :, None] * 10
    f = torch.arange(feature)[None, None, :]
    return (b + t + f).float()


def check_to_seq_first(to_seq_first, *, sizes=((4, 7, 3), (6, 2, 5))) -> None:
    """to_seq_first(x) -> (seq, batch, feature) holding the same numbers as x (batch, seq, feature)."""
    __tracebackhide__ = True
    for batch, seq, feature in sizes:
        x = _coded(batch, seq, feature)
        with calling("to_seq_first"):
            got = to_seq_first(x.clone())
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


def check_sentence_vector(sentence_vector, *, configs=((1, 4, 5, 3), (2, 6, 3, 4))) -> None:
    """sentence_vector(h_n) -> (batch, 2 x hidden): the top layer's forward and backward final states."""
    __tracebackhide__ = True
    for num_layers, batch, hidden, feature in configs:
        lstm = seeded_lstm(feature, hidden, seed=133 + num_layers, num_layers=num_layers, bidirectional=True)
        x = seeded_randn(7, batch, feature, seed=134 + num_layers)
        with torch.no_grad():
            _, (h_n, _) = lstm(x)
        with calling("sentence_vector"):
            got = sentence_vector(h_n.clone())
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
    passed(f"sentence_vector: [h_n[-2] | h_n[-1]] for {' and '.join(str(c[0]) for c in configs)} layers")


# --- 4. truncated backpropagation through time -------------------------------------------------


def _chunk_fixture(seed, seq=12, batch=3, feature=2, hidden=4):
    torch.manual_seed(seed)
    lstm = seeded_lstm(feature, hidden, seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
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


def check_train_in_chunks(train_in_chunks, *, chunks=(4, 3), lr=0.1) -> None:
    """train_in_chunks(lstm, head, x, y, chunk, optimizer) trains with the state carried, detached."""
    __tracebackhide__ = True
    for chunk in chunks:
        lstm, head, x, y = _chunk_fixture(140 + chunk)
        ref_l, ref_h = copy.deepcopy(lstm), copy.deepcopy(head)
        optimizer = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=lr)
        try:
            with calling("train_in_chunks"):
                losses = train_in_chunks(lstm, head, x, y, chunk, optimizer)
        except RuntimeError as err:
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
            raise
        want_losses = _reference_chunks(ref_l, ref_h, x, y, chunk, lr)
        want = _weights(ref_l, ref_h)
        got = _weights(lstm, head)
        if close(got, want, atol=1e-5):
            require(isinstance(losses, list) and len(losses) == len(want_losses)
                    and all(abs(float(a) - b) < 1e-4 for a, b in zip(losses, want_losses)),
                    f"train_in_chunks() trains right, but should return the list of the {len(want_losses)} "
                    "chunk losses as numbers.\n  Fix:  losses.append(loss.item())    and    return losses")
            continue
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
    passed(f"train_in_chunks: the same weights as truncated BPTT, chunks of {' and '.join(map(str, chunks))}")


# --- 5. state carried across unrelated batches ---------------------------------------------------


def check_encode_batches(encode_batches, *, batch_sizes=(4, 4, 3), feature=3, hidden=5) -> None:
    """encode_batches(lstm, batches) -> [h_n[-1] per batch], each batch on its own (from zeros)."""
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, seed=150)
    batches = [seeded_randn(6, b, feature, seed=151 + i) for i, b in enumerate(batch_sizes)]
    with calling("encode_batches"):
        got = encode_batches(lstm, [b.clone() for b in batches])
    require(isinstance(got, (list, tuple)) and len(got) == len(batches),
            f"encode_batches() should return one tensor per batch ({len(batches)}), got "
            f"{type(got).__name__}.\n  Fix:  results.append(h_n[-1])    and    return results")
    with torch.no_grad():
        want = [lstm(b)[1][0][-1] for b in batches]
    for i, (g, w) in enumerate(zip(got, want)):
        require_tensor(g, f"encode_batches(...)[{i}]")
        check_shape(g, "batch hidden", batch=batch_sizes[i], hidden=hidden, name=f"encode_batches(...)[{i}]")
        if not close(g, w):
            raise CheckFailed(
                f"batch {i} depends on the batches before it: its sentences start from the state the\n"
                "  previous batch ended in. Unrelated batches each start from zeros; .detach() alone\n"
                "  keeps the numbers (it only cuts the gradient).\n"
                "  Fix:  out, (h_n, c_n) = lstm(batch)    (no state passed in)")
    passed(f"encode_batches: each of {len(batches)} batches equals the batch run alone")


# --- 7. a loss that ignores padding -------------------------------------------------------------


def check_masked_loss(masked_loss, *, configs=((4, 7, 5, LENGTHS[0]), (5, 6, 3, LENGTHS[1]))) -> None:
    """masked_loss(logits, targets, lengths) -> mean cross-entropy over the real steps only."""
    __tracebackhide__ = True
    for batch, seq, classes, lens in configs:
        logits = seeded_randn(batch, seq, classes, seed=170 + batch)
        targets = torch.randint(0, classes, (batch, seq), generator=torch.Generator().manual_seed(171))
        lens_t = torch.tensor(lens)
        mask = torch.arange(seq)[None, :] < lens_t[:, None]
        targets = targets.masked_fill(~mask, 0)  # padded with 0, a real class
        with calling("masked_loss"):
            got = masked_loss(logits.clone(), targets.clone(), lens_t.clone())
        require_tensor(got, "masked_loss(...)")
        require(got.dim() == 0, f"masked_loss() should return one number (a 0-d tensor), got shape "
                f"{tuple(got.shape)}.\n  Fix:  return the mean over the real steps: loss.sum() / mask.sum()")
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
    passed(f"masked_loss: the mean over real steps only, lengths {' and '.join(str(list(c[3])) for c in configs)}")


# --- 8. CrossEntropyLoss over steps ------------------------------------------------------------


def check_step_loss(step_loss, *, configs=((4, 7, 5), (3, 5, 6))) -> None:
    """step_loss(logits, targets) -> CrossEntropyLoss over every step; logits (batch, seq, classes)."""
    __tracebackhide__ = True
    for batch, seq, classes in configs:
        logits = seeded_randn(batch, seq, classes, seed=180 + batch)
        targets = torch.randint(0, classes, (batch, seq), generator=torch.Generator().manual_seed(181))
        with calling("step_loss"):
            got = step_loss(logits.clone(), targets.clone())
        require_tensor(got, "step_loss(...)")
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
    passed(f"step_loss: CrossEntropyLoss over every step, (batch, seq, classes) {' and '.join(map(str, configs))}")


# --- 9. greedy decoding without teacher forcing ---------------------------------------------------


class Decoder(nn.Module):
    """A small fixture decoder: embed the previous token, one LSTMCell step, scores over the vocab."""

    def __init__(self, vocab: int = 9, emb: int = 4, hidden: int = 6, seed: int = 190):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
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


def check_generate(generate, *, batch: int = 5, steps: int = 6, bos: int = 1) -> None:
    """generate(decoder, state, bos, steps, targets) -> (batch, steps) ids, each step fed the last prediction."""
    __tracebackhide__ = True
    decoder = Decoder()
    hidden = decoder.cell.hidden_size
    state = (seeded_randn(batch, hidden, seed=191), seeded_randn(batch, hidden, seed=192))
    gen = torch.Generator().manual_seed(193)
    targets_a = torch.randint(2, 9, (batch, steps), generator=gen)
    targets_b = torch.randint(2, 9, (batch, steps), generator=gen)
    with torch.no_grad():
        want = _greedy(decoder, state, bos, steps)
        with calling("generate"):
            got_a = generate(decoder, (state[0].clone(), state[1].clone()), bos, steps, targets_a)
            got_b = generate(decoder, (state[0].clone(), state[1].clone()), bos, steps, targets_b)
    require_tensor(got_a, "generate(...)")
    check_shape(got_a, "batch seq", batch=batch, seq=steps, name="generate(...)")
    if not torch.equal(got_a, got_b):
        raise CheckFailed(
            "generate() gives other tokens when only the TARGETS change: it still reads them\n"
            "  (teacher forcing left on). At inference there are no targets to read; each step is\n"
            "  fed the model's own last prediction.\n"
            "  Fix:  token = scores.argmax(dim=-1)    then feed token at the next step")
    if torch.equal(got_a, want):
        passed(f"generate: greedy decoding, {steps} steps, the same whatever the targets")
        return
    with torch.no_grad():
        scores, _ = decoder(torch.full((batch,), bos, dtype=torch.long), state)
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
