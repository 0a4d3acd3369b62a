# GENERATED from solutions/13-debugging-clinic/13-debugging-clinic.ipynb by `make views`: edit the notebook, not this file.
# A plain-text view for review (jupytext percent format); outputs are not shown.
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13 · Debugging clinic
#
# **Eight broken LSTM programs, each a mistake real tutorials make. Find what is wrong, repair it, and
# prove the repair.**
#
# After this notebook you can:
#
# - recognise, from its symptom, each of the mistakes that notebooks 01-12 warned about, when it
#   turns up in someone else's code;
# - tell a mistake that raises from one that runs and silently learns less, and check which it is;
# - read PyTorch's own error next to the course's explanation of it, and fix the cause, not the symptom.
#
# **Prerequisites:** notebooks 04 (state, chunks), 06 (bidirectional), 07 (packing, masks) and 08
# (decoding). **Run time:** under a minute on a laptop CPU.
#
# **How the clinic works.** Each case shows the broken code from a tutorial and runs it, so you see
# its symptom. Some raise an error (you will see PyTorch's message, and what the course adds to it);
# most run and quietly compute the wrong thing. Write the repaired function in the cell below the
# case, run the *try it* cell, then the locked check. The check judges what your function does (its
# outputs, its losses, the weights it trains), never how it is written; when the repair is only half
# done, it says which half. Run All stops at the first case you have not repaired yet.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import course_utils as cu
from course_utils.explain import explain_exception

cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# `explain_exception(err)` is what the course prints under an error PyTorch raises in a notebook
# (also `python -m course_utils explain "<error text>"` in a terminal). The cases that raise catch
# the error and print both, so that Run All goes on.
#
# ## Case 1: "the last valid output" after unpacking (2 points)
#
# A popular article on variable-length batches packs the sequences, runs the LSTM, unpacks, and takes
# `out[:, -1, :]` as "the last valid output" of every sequence. Here are four real review snippets of
# different lengths.

# %% tags=["nbval-check-output"]
reviews = [cu.data.tokenize(r.text) for r in cu.data.movie_reviews("train")[1:5]]
lengths = torch.tensor([len(t) for t in reviews])
vocab = {tok: i + 1 for i, tok in enumerate(sorted({t for r in reviews for t in r}))}
ids = nn.utils.rnn.pad_sequence([torch.tensor([vocab[t] for t in r]) for r in reviews], batch_first=True)
embedding = nn.Embedding(len(vocab) + 1, 3, padding_idx=0)
lstm = nn.LSTM(3, 5, batch_first=True)
packed = pack_padded_sequence(embedding(ids), lengths, batch_first=True, enforce_sorted=False)
out, (h_n, c_n) = lstm(packed)
out, out_lengths = pad_packed_sequence(out, batch_first=True)
print("lengths:", lengths.tolist())
cu.show_shapes(out=(out, "batch seq hidden"), h_n=(h_n, "layers batch hidden"))


# %% tags=["nbval-check-output"]
def broken_last_outputs(out, lengths):
    return out[:, -1, :]          # the article's line

last = broken_last_outputs(out, lengths)
print("rows that are all zeros:", [b for b in range(4) if last[b].abs().sum() == 0])
print("equal to h_n[-1]:       ", [bool(torch.allclose(last[b], h_n[-1, b])) for b in range(4)])


# %% [markdown]
# Every sequence shorter than the longest gets a row of zeros: after `pad_packed_sequence`, the
# steps past a sequence's length are padding. Only the longest sequence is right. The last *valid*
# output of sequence `b` is at step `lengths[b] - 1`, and for a one-directional LSTM it equals
# `h_n[-1][b]` (notebook 07).
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(batch, seq, hidden)** | unpacked with `batch_first=True`; zeros past each length |
# | `lengths` | long tensor | **(batch,)** | real steps per sequence, unsorted |
# | returns | float tensor | **(batch, hidden)** | each sequence's output at its last real step |

# %% nbgrader={"grade": false, "grade_id": "last_outputs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def last_outputs(out, lengths):
    """Each sequence's output at its last real step: (batch, seq, hidden) -> (batch, hidden)."""
    # Hint: one index per row: out[rows, steps] with rows = torch.arange(batch), steps = lengths - 1.
    ### BEGIN SOLUTION
    rows = torch.arange(out.size(0), device=out.device)
    return out[rows, lengths.to(out.device) - 1]
    ### END SOLUTION


# %%
# try it: the repaired function equals h_n[-1] for every sequence
print(torch.allclose(last_outputs(out, lengths), h_n[-1]))

# %% nbgrader={"grade": true, "grade_id": "test_last_outputs", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""last_outputs: each sequence's output at its last real step, not the last padded one"""
from course_utils.checks import nb13

nb13.check_last_outputs(last_outputs)
### BEGIN HIDDEN TESTS
nb13.check_last_outputs(last_outputs, sizes=((3, 9, 2, 6),), lengths=([9, 1, 4],))
nb13.check_last_outputs(last_outputs, sizes=((1, 4, 3, 2),), lengths=([4],))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 2: `view` where `transpose` belongs (1 point)
#
# A tutorial builds its batch as (batch, seq, feature) and feeds a default, seq-first `nn.LSTM`, so
# it "fixes the shape" with `view`. The shape is right; no error is ever raised. Numbered data shows
# what happened: `x[b, t, f] = 100 b + 10 t + f`.

# %% tags=["nbval-check-output"]
x = (torch.arange(2)[:, None, None] * 100 + torch.arange(3)[None, :, None] * 10
     + torch.arange(2)[None, None, :]).float()        # (batch=2, seq=3, feature=2)

def broken_to_seq_first(x):
    return x.view(x.size(1), x.size(0), x.size(2))

print("x[1, 0]            =", x[1, 0].tolist(), "  (sequence 1, step 0)")
print("broken(x)[0, 1]    =", broken_to_seq_first(x)[0, 1].tolist(), " (should be sequence 1, step 0)")


# %% [markdown]
# `view` (and `reshape`, the same thing for a contiguous tensor) reads the numbers in memory order
# and cuts them into the new shape: step 0 of "sequence 1" is really step 1 of sequence 0. Moving an
# axis is `transpose`'s job (notebook 02).
#
# | argument / result | shape |
# |---|---|
# | `x` | **(batch, seq, feature)** |
# | returns | **(seq, batch, feature)**, with `result[t, b] == x[b, t]` |

# %% nbgrader={"grade": false, "grade_id": "to_seq_first", "locked": false, "schema_version": 3, "solution": true, "task": false}
def to_seq_first(x):
    """(batch, seq, feature) -> (seq, batch, feature), every number kept with its sequence and step."""
    # Hint: swap two axes, do not regroup the numbers.
    ### BEGIN SOLUTION
    return x.transpose(0, 1)
    ### END SOLUTION


# %%
# try it
print(to_seq_first(x)[0, 1].tolist())

# %% nbgrader={"grade": true, "grade_id": "test_to_seq_first", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""to_seq_first: axes moved, numbers kept with their sequence and step"""
from course_utils.checks import nb13

nb13.check_to_seq_first(to_seq_first)
### BEGIN HIDDEN TESTS
nb13.check_to_seq_first(to_seq_first, sizes=((1, 5, 2), (3, 1, 4)))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 3: a bidirectional sentence vector (1 point)
#
# A classifier built on `nn.LSTM(..., bidirectional=True)` feeds its head `h_n[-1]`, "the final
# hidden state", and a head of size `hidden`. It trains; it just never hears the forward direction.

# %% tags=["nbval-check-output"]
bi = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
_, (h_bi, _) = bi(torch.randn(7, 4, 3))
cu.show_shapes(h_n=(h_bi, "layers batch hidden"), last_row=(h_bi[-1], "batch hidden"))
print("rows of h_n: layer 0 fw, layer 0 bw, layer 1 fw, layer 1 bw -> h_n[-1] is layer 1 BACKWARD")


# %% nbgrader={"grade": false, "grade_id": "sentence_vector", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sentence_vector(h_n):
    """(layers x 2, batch, hidden) of a bidirectional LSTM -> (batch, 2 x hidden): top layer, both directions."""
    # Hint: the top layer's forward state is h_n[-2], its backward state h_n[-1].
    ### BEGIN SOLUTION
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)
    ### END SOLUTION


# %%
# try it: a head over it needs 2 x hidden inputs
cu.show_shapes(sentence=(sentence_vector(h_bi), "batch hidden"))

# %% nbgrader={"grade": true, "grade_id": "test_sentence_vector", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""sentence_vector: [forward | backward] final states of the top layer"""
from course_utils.checks import nb13

nb13.check_sentence_vector(sentence_vector)
### BEGIN HIDDEN TESTS
nb13.check_sentence_vector(sentence_vector, configs=((3, 2, 4, 2), (1, 1, 2, 5)))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 4: carrying the state between chunks (2 points)
#
# Training on a long series in chunks (truncated backpropagation through time, notebook 04), a
# tutorial carries `(h, c)` from one chunk into the next. The second `backward()` fails:

# %% tags=["nbval-check-output"]
def broken_train_in_chunks(lstm, head, x, y, chunk, optimizer):
    state, losses = None, []
    for start in range(0, x.size(0), chunk):
        out, state = lstm(x[start:start + chunk], state)
        loss = nn.functional.mse_loss(head(out), y[start:start + chunk])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

series_lstm, series_head = nn.LSTM(2, 4), nn.Linear(4, 1)
xs, ys = torch.randn(12, 3, 2), torch.randn(12, 3, 1)
opt = torch.optim.SGD(list(series_lstm.parameters()) + list(series_head.parameters()), lr=0.1)
try:
    broken_train_in_chunks(series_lstm, series_head, xs, ys, 4, opt)
except RuntimeError as err:
    print("RuntimeError:", str(err)[:92], "...")
    print(explain_exception(err))


# %% [markdown]
# The state that leaves chunk 1 still remembers how it was computed, so the next `backward()` tries
# to go back into chunk 1, whose graph the first `backward()` already freed. The error suggests
# `retain_graph=True`; that only moves the failure (the next step finds weights that `step()` changed)
# or, without an optimizer step, makes every backward run through the whole past. Carry the numbers,
# cut the history.
#
# Repair `train_in_chunks`: same arguments as the broken one, same result type (the list of chunk
# losses as floats), the state carried from chunk to chunk but detached.

# %% nbgrader={"grade": false, "grade_id": "train_in_chunks", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_in_chunks(lstm, head, x, y, chunk, optimizer):
    """Train on x (seq, batch, feature) chunk by chunk, carrying the state detached; return the losses."""
    # Hint: before each chunk, state = tuple(s.detach() for s in state) (when there is one).
    ### BEGIN SOLUTION
    state, losses = None, []
    for start in range(0, x.size(0), chunk):
        if state is not None:
            state = tuple(s.detach() for s in state)
        out, state = lstm(x[start:start + chunk], state)
        loss = nn.functional.mse_loss(head(out), y[start:start + chunk])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


# %%
# try it: three chunks of four steps, no error
print(len(train_in_chunks(series_lstm, series_head, xs, ys, 4, opt)), "chunk losses")

# %% nbgrader={"grade": true, "grade_id": "test_train_in_chunks", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""train_in_chunks: the state carried, detached; the same weights as truncated BPTT"""
from course_utils.checks import nb13

nb13.check_train_in_chunks(train_in_chunks)
### BEGIN HIDDEN TESTS
nb13.check_train_in_chunks(train_in_chunks, chunks=(6, 5), lr=0.05)
### END HIDDEN TESTS

# %% [markdown]
# ## Case 5: state carried across unrelated batches (1 point)
#
# The opposite mistake: a sentence classifier keeps the state from the previous batch as the
# starting state of the next one, as if batch 2 continued batch 1. The sentences are unrelated, so
# each prediction depends on whatever came before it; and the last, smaller batch fails.

# %% tags=["nbval-check-output"]
def broken_encode_batches(lstm, batches):
    state, results = None, []
    for batch in batches:
        out, state = lstm(batch, state)
        results.append(state[0][-1])
    return results

enc = nn.LSTM(3, 5)
batches = [torch.randn(6, 4, 3), torch.randn(6, 4, 3), torch.randn(6, 3, 3)]
try:
    broken_encode_batches(enc, batches)
except RuntimeError as err:
    print("RuntimeError:", err)
    print(explain_exception(err))


# %% [markdown]
# Even where the sizes fit, batch 2's vectors would depend on batch 1. `.detach()` would silence the
# gradient but keep the numbers. Unrelated sequences each start from zeros: pass no state.

# %% nbgrader={"grade": false, "grade_id": "encode_batches", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode_batches(lstm, batches):
    """[h_n[-1] of each batch, (batch, hidden)], every batch encoded on its own from zeros."""
    # Hint: lstm(batch) with no state starts from zeros.
    ### BEGIN SOLUTION
    results = []
    for batch in batches:
        _, (h_n, _) = lstm(batch)
        results.append(h_n[-1])
    return results
    ### END SOLUTION


# %%
# try it
cu.show_shapes(**{f"batch{i}": (v, "batch hidden") for i, v in enumerate(encode_batches(enc, batches))})

# %% nbgrader={"grade": true, "grade_id": "test_encode_batches", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""encode_batches: unrelated batches do not share a state"""
from course_utils.checks import nb13

nb13.check_encode_batches(encode_batches)
### BEGIN HIDDEN TESTS
nb13.check_encode_batches(encode_batches, batch_sizes=(2, 5), feature=4, hidden=3)
### END HIDDEN TESTS

# %% [markdown]
# ## Case 6: the loss computed over padding (2 points)
#
# A tagger pads its target tags with 0, which is also a real tag, and averages the loss over every
# step of the padded batch. It trains without complaint, and learns to predict tag 0 wherever
# sentences tend to be padded.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `logits` | float tensor | **(batch, seq, classes)** | one score per class at every step |
# | `targets` | long tensor | **(batch, seq)** | the right class per step; 0 at padded steps |
# | `lengths` | long tensor | **(batch,)** | real steps per sequence |
# | returns | 0-d float tensor | | mean cross-entropy over the real steps only |

# %% tags=["nbval-check-output"]
def broken_masked_loss(logits, targets, lengths):
    return nn.functional.cross_entropy(logits.transpose(1, 2), targets)   # every step, padding too

logits6 = torch.randn(4, 7, 5)
lengths6 = torch.tensor([3, 7, 1, 5])
targets6 = torch.randint(0, 5, (4, 7)).masked_fill(torch.arange(7)[None, :] >= lengths6[:, None], 0)
print(f"steps in the batch: {4 * 7}, real steps: {int(lengths6.sum())}")


# %% nbgrader={"grade": false, "grade_id": "masked_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def masked_loss(logits, targets, lengths):
    """Mean cross-entropy over the real steps: padded steps neither count nor dilute the mean."""
    # Hint: per-step losses with reduction="none", then keep those where step < length.
    ### BEGIN SOLUTION
    per_step = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = torch.arange(logits.size(1), device=logits.device)[None, :] < lengths.to(logits.device)[:, None]
    return per_step[mask].mean()
    ### END SOLUTION


# %%
# try it: the two differ whenever there is padding
print(float(broken_masked_loss(logits6, targets6, lengths6)), float(masked_loss(logits6, targets6, lengths6)))

# %% nbgrader={"grade": true, "grade_id": "test_masked_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""masked_loss: the mean over real steps only"""
from course_utils.checks import nb13

nb13.check_masked_loss(masked_loss)
### BEGIN HIDDEN TESTS
nb13.check_masked_loss(masked_loss, configs=((2, 4, 7, [4, 2]), (1, 3, 2, [3])))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 7: `CrossEntropyLoss` fed (batch, seq, classes) (1 point)
#
# The same tagger, written with `nn.CrossEntropyLoss` straight on the LSTM's batch-first scores:

# %% tags=["nbval-check-output"]
loss_fn = nn.CrossEntropyLoss()
scores7, tags7 = torch.randn(4, 7, 5), torch.randint(0, 5, (4, 7))
try:
    loss_fn(scores7, tags7)
except RuntimeError as err:
    print("RuntimeError:", err)
    print(explain_exception(err))


# %% [markdown]
# `CrossEntropyLoss` wants the classes on axis 1: (batch, classes, seq), or one row per step,
# (batch x seq, classes). A `view(batch, classes, seq)` "fixes" the error and scrambles the scores.

# %% nbgrader={"grade": false, "grade_id": "step_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_loss(logits, targets):
    """CrossEntropyLoss over every step: logits (batch, seq, classes), targets (batch, seq)."""
    # Hint: move the class axis to position 1 (transpose), or flatten both to one row per step.
    ### BEGIN SOLUTION
    return nn.functional.cross_entropy(logits.transpose(1, 2), targets)
    ### END SOLUTION


# %%
# try it
print(float(step_loss(scores7, tags7)))

# %% nbgrader={"grade": true, "grade_id": "test_step_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""step_loss: the class axis moved, not regrouped"""
from course_utils.checks import nb13

nb13.check_step_loss(step_loss)
### BEGIN HIDDEN TESTS
nb13.check_step_loss(step_loss, configs=((1, 3, 2), (6, 2, 9)))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 8: teacher forcing left on at inference (2 points)
#
# A sequence-to-sequence tutorial trains with teacher forcing (the decoder reads the right previous
# token) and reuses the same loop to "predict", still reading the targets. Its predictions look
# excellent and mean nothing: at inference there are no targets. `nb13.Decoder` is a small decoder:
# `decoder(token, (h, c))` returns the scores of the next token, (batch, vocab), and the new state.

# %%
from course_utils.checks.nb13 import Decoder


def broken_generate(decoder, state, bos, steps, targets):
    token, tokens = torch.full((state[0].size(0),), bos), []
    for t in range(steps):
        scores, state = decoder(token, state)
        tokens.append(scores.argmax(dim=-1))
        token = targets[:, t]                      # teacher forcing, still on
    return torch.stack(tokens, dim=1)

decoder = Decoder()
state8 = (torch.randn(2, 6), torch.randn(2, 6))
with torch.no_grad():
    a = broken_generate(decoder, state8, 1, 5, torch.randint(2, 9, (2, 5)))
    b = broken_generate(decoder, state8, 1, 5, torch.randint(2, 9, (2, 5)))
print("same predictions for other targets:", torch.equal(a, b))


# %% nbgrader={"grade": false, "grade_id": "generate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generate(decoder, state, bos, steps, targets=None):
    """Greedy decoding: start from <bos>, feed each step the model's own last prediction; (batch, steps)."""
    # Hint: the next input is scores.argmax(dim=-1), whatever `targets` holds.
    ### BEGIN SOLUTION
    token = torch.full((state[0].size(0),), bos, dtype=torch.long, device=state[0].device)
    tokens = []
    for _ in range(steps):
        scores, state = decoder(token, state)
        token = scores.argmax(dim=-1)
        tokens.append(token)
    return torch.stack(tokens, dim=1)
    ### END SOLUTION


# %%
# try it: the targets no longer matter
with torch.no_grad():
    print(torch.equal(generate(decoder, state8, 1, 5, torch.randint(2, 9, (2, 5))),
                      generate(decoder, state8, 1, 5, torch.randint(2, 9, (2, 5)))))

# %% nbgrader={"grade": true, "grade_id": "test_generate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""generate: greedy decoding fed its own predictions, blind to the targets"""
from course_utils.checks import nb13

nb13.check_generate(generate)
### BEGIN HIDDEN TESTS
nb13.check_generate(generate, batch=3, steps=9, bos=2)
nb13.check_generate(generate, batch=1, steps=1)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# | case | symptom | cause | repair |
# |---|---|---|---|
# | 1 | zeros for every shorter sequence, no error | `out[:, -1]` after unpacking reads padding | `out[arange(batch), lengths - 1]` (or `h_n[-1]`) |
# | 2 | no error; the model learns less | `view`/`reshape` regroup numbers across sequences | `transpose(0, 1)` |
# | 3 | no error; half the information | `h_n[-1]` is the backward direction alone | `cat([h_n[-2], h_n[-1]], -1)`, head of 2 x hidden |
# | 4 | "backward through the graph a second time" | the carried state keeps the old graph | `detach()` both h and c; not `retain_graph` |
# | 5 | predictions depend on earlier batches; a smaller batch fails | state carried across unrelated batches | start each batch from zeros |
# | 6 | no error; learns to predict padding | the loss averages over padded steps | mean over the mask (or `ignore_index`) |
# | 7 | "Expected target size" | `CrossEntropyLoss` wants classes on axis 1 | `transpose(1, 2)` or one row per step |
# | 8 | excellent predictions that mean nothing | teacher forcing at inference | feed the model's own prediction |
#
# Every one of these, and many more, is in [the catalogue of mistakes](../../docs/mistakes.md) with
# the message the course's checks show for it.
#
# ## Going further (ungraded)
#
# - `python -m course_utils explain "<an error you met>"` in a terminal.
# - Break something on purpose in notebook 09 or 12 (`out[:, -1]`, no mask in the loss) and measure
#   how much held-out accuracy it costs: most of these mistakes cost a few points, not a crash.
