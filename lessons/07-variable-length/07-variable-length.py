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
# # 07 · Variable-length sequences: padding, masks and packing
#
# **Batch sentences of different lengths, and make the LSTM and everything after it ignore the
# padding: proved by running every sentence alone and getting the same numbers.**
#
# After this notebook you can:
#
# - pad a list of sequences with `pad_sequence` and keep their lengths;
# - build a mask from the lengths, in either layout, and use it for mean and max pooling and for a loss;
# - pack a padded batch with `pack_padded_sequence` (`enforce_sorted`, lengths on the CPU) and say what
#   a `PackedSequence` holds: `data`, `batch_sizes`, `sorted_indices`, `unsorted_indices`;
# - unpack with `pad_packed_sequence` (`batch_first`, `total_length`) and use the lengths it *returns*;
# - take the last *valid* output of every sequence, one direction or two;
# - prove **padding invariance**: a packed batch gives every sequence what it gives alone; and measure
#   the work that packing saves.
#
# **Prerequisites:** [notebook 01](../01-tokens-embeddings/01-tokens-embeddings.ipynb) (padding, the `<pad>` id, `padding_idx`), [notebook 04](../04-outputs-and-state/04-outputs-and-state.ipynb)
# (`out` vs `h_n`; *padding without packing*), [notebook 05](../05-stacked-lstms/05-stacked-lstms.ipynb) (rows of `h_n`), and
# [notebook 06](../06-bidirectional/06-bidirectional.ipynb) (the two halves of a bidirectional `out`).
# **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# `python -m course_utils check notebooks/07-variable-length/07-variable-length.ipynb` grades your
# saved notebook from a terminal.
#
# Axis names: **batch**, **seq** (steps), **feature** (numbers per step into the LSTM), **hidden**,
# **layers** (for `h_n`, `c_n`: layers x directions), and **steps**: the rows of a packed batch, one
# per real step of any sequence.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. Real sentences have different lengths
#
# Movie-review sentences (notebook 01), tokenized, with a vocabulary of the tokens seen at least twice.
# Five short ones make a batch we can print:

# %% tags=["nbval-check-output"]
torch.set_grad_enabled(False)           # nothing is trained in this notebook: no gradients needed
reviews = cu.data.movie_reviews("train")
vocab = cu.data.Vocab.build((cu.data.tokenize(r.text) for r in reviews), min_count=2)
print(len(reviews), "sentences;", vocab)
picks = [124, 26, 152, 300, 265]
tokens = [cu.data.tokenize(reviews[i].text) for i in picks]
for i, t in zip(picks, tokens):
    print(f"{len(t):>2} tokens, label {reviews[i].label}:  {' '.join(t)}")

# %% [markdown]
# A tensor must be a rectangle, so the shorter sentences are **padded** with the `<pad>` id (0) up to
# the longest, and their true **lengths** are kept beside them. `pad_sequence` does this for a list of
# 1-D tensors. **Predict first:** without `batch_first=True`, which axis of its result is the batch?

# %% tags=["nbval-check-output"]
seqs = [torch.tensor(vocab.encode(t)) for t in tokens]      # 5 tensors of 4, 6, 10, 9, 5 ids
lengths = torch.tensor([len(s) for s in seqs])
ids_seq_first = pad_sequence(seqs, padding_value=vocab.pad_id)
ids = pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id)
print("lengths:", lengths.tolist())
cu.show_shapes(ids_seq_first=(ids_seq_first, "seq batch"), ids=(ids, "batch seq"))
print(ids)

# %% [markdown]
# Like `nn.LSTM`, `pad_sequence` puts the steps first unless told `batch_first=True`. In a
# `DataLoader` the same job is the `collate_fn`: `cu.data.pad_collate` pads a list of
# `(ids, label)` pairs and returns the ids, the lengths and the labels
# ([notebook 09](../09-sentiment/09-sentiment.ipynb) trains on batches made this way):

# %% tags=["nbval-check-output"]
batch = [(vocab.encode(t), reviews[i].label) for i, t in zip(picks, tokens)]
ids_c, lengths_c, labels = cu.data.pad_collate(batch, pad_id=vocab.pad_id)
print("same ids and lengths as above:", torch.equal(ids_c, ids), torch.equal(lengths_c, lengths))
print("labels:", labels.tolist())

# %% [markdown]
# ## 2. Masks: which steps are real
#
# A **mask** says, for every position of the padded batch, whether it holds a real step (`True`) or
# padding (`False`). For token ids there is a shortcut: a position is padding where the id is the
# `<pad>` id.

# %% tags=["nbval-check-output"]
seq = ids.size(1)
mask = ids != vocab.pad_id                                  # (batch, seq): True at real tokens
cu.show_shapes(mask=(mask, "batch seq"))
print(mask.int())
print("real steps per sentence == lengths:", torch.equal(mask.sum(dim=1), lengths))

# %% [markdown]
# The shortcut stops working one step later: after the embedding and the LSTM, a padded position holds
# numbers like any other (section 3 shows an LSTM's output there). In general the mask has to come
# from the **lengths**: step `t` of sequence `b` is real while `t < lengths[b]`.
#
# That is a comparison of every step number with every sequence's length: a job for **broadcasting**.
# Compare a column of shape (n, 1) with a row of shape (1, m) and PyTorch compares every pair, giving
# (n, m). Here it builds another mask you will meet with attention, the *causal* mask, where position
# `i` may look at positions `j <= i`:

# %% tags=["nbval-check-output"]
positions = torch.arange(4)
causal = positions[:, None] >= positions[None, :]           # (4, 1) >= (1, 4) -> (4, 4): row i, column j
print(causal.int())

# %% [markdown]
# Row `i` holds `True` for the columns `j` up to `i`. **Predict first:** to build a mask of shape
# (batch, seq) from `lengths` (batch,) and the step numbers `0, 1, ..., seq - 1`, which of the two goes
# down the rows and which along the columns? And for a (seq, batch) mask? Exercise 1 builds both.
#
# **The wrong-axis mistake.** The mask must have the layout of the tensor it masks: a seq-first `out`
# is (seq, batch, hidden), so its mask must be (seq, batch). **Predict first:** what happens when the
# (batch, seq) mask meets a (seq, batch, hidden) tensor?

# %% tags=["nbval-check-output"]
out_sf = torch.randn(seq, 5, 6)              # stands in for a seq-first out: (seq=10, batch=5, hidden=6)
try:
    out_sf * mask[..., None]                 # mask is (batch=5, seq=10, 1)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Here PyTorch refuses, because batch (5) and seq (10) differ. When they happen to be equal there is
# no error at all, and the mask silently hides the wrong positions:

# %% tags=["nbval-check-output"]
square = torch.tensor([[1, 1, 1, 0],                               # 4 sequences of lengths 3, 1, 4, 2,
                       [1, 0, 0, 0],                               # padded to 4 steps: (batch=4, seq=4)
                       [1, 1, 1, 1],
                       [1, 1, 0, 0]], dtype=torch.bool)
print("the transposed mask is the same shape, (4, 4), and differs in",
      int((square != square.T).sum()), "of 16 places")


# %% [markdown]
# ### Exercise 1: `length_mask` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lengths` | int64 tensor | **(batch,)** | true lengths, in any order; on any device |
# | `seq` | int | | steps of the padded tensor; may be **more** than `lengths.max()` (extra padding) |
# | `batch_first` | bool | | the layout of the tensor the mask is for |
# | returns | bool tensor | **(batch, seq)** if `batch_first`, else **(seq, batch)** | `True` at real steps (`t < lengths[b]`), `False` at padding; on the device of `lengths` |
#
# A mask made on the CPU cannot meet a tensor on the GPU, so make `torch.arange` on `lengths.device`.
# The check hands `lengths` over on PyTorch's `meta` device too (tensors with a shape and no data), which
# stands in for a GPU: mixing it with CPU tensors fails the same way.

# %% nbgrader={"grade": false, "grade_id": "length_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def length_mask(lengths, seq, batch_first=False):
    """Bool mask, True at real steps: (batch, seq) if batch_first else (seq, batch)."""
    # Hint: broadcast a comparison of the step numbers (torch.arange, on lengths.device) with the
    # Hint: lengths, as the causal mask of section 2 does; which of the two goes down the rows?
    ### BEGIN SOLUTION
    steps = torch.arange(seq, device=lengths.device)
    mask = steps[None, :] < lengths[:, None]          # (batch, seq)
    return mask if batch_first else mask.T
    ### END SOLUTION


# %%
# try it: the seq-first mask for our batch, padded to 12 steps
print(length_mask(lengths, 12, batch_first=False).int())
print("batch-first, 10 steps, equals mask:", torch.equal(length_mask(lengths, seq, batch_first=True), mask))

# %% nbgrader={"grade": true, "grade_id": "test_length_mask", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""length_mask: True at real steps, in either layout, as long as seq, on the device of lengths"""
from course_utils.checks import nb07

nb07.check_length_mask(length_mask)
### BEGIN HIDDEN TESTS
nb07.check_length_mask(length_mask, lengths=(2, 5, 5, 1, 4), seqs=(5, 8))
nb07.check_length_mask(length_mask, lengths=(1,), seqs=(1, 3))
nb07.check_length_mask(length_mask, lengths=(9, 3, 6, 2, 7, 1), seqs=(9, 10))
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Packing: the LSTM stops where each sequence stops
#
# Run the padded batch through an LSTM as it is, and the LSTM does not know which steps are padding:
# it keeps updating its state over them ([notebook 04](../04-outputs-and-state/04-outputs-and-state.ipynb)
# showed it). Compare each sentence's final state with the state it gets when it runs **alone**,
# without any padding. **Predict first:** which of the five sentences agree?

# %% tags=["nbval-check-output"]
emb = nn.Embedding(len(vocab), 8, padding_idx=vocab.pad_id)
lstm = nn.LSTM(8, 6, batch_first=True)
x = emb(ids)                                       # (batch=5, seq=10, feature=8)
out_pad, (h_pad, c_pad) = lstm(x)                  # padded, not packed
alone = [lstm(x[b:b + 1, :n])[1][0][-1, 0]          # h_n[-1] of sentence b run alone, unpadded
         for b, n in enumerate(lengths.tolist())]
print("lengths:                            ", lengths.tolist())
print("final h equal to the sentence alone:", [torch.allclose(h_pad[-1, b], alone[b], atol=1e-6) for b in range(5)])
print("any exact 0 in out at the 6 padded steps of sentence 0:", bool((out_pad[0, 4:] == 0).any()))

# %% [markdown]
# Only sentence 2, the one with no padding, agrees: every other final state has read zeros after the
# sentence ended. Zeros in do not mean "no change": the recurrent weights keep acting on `h_prev` and
# the forget gate keeps scaling `c` at every step, with or without biases (notebook 04 showed it with
# `bias=False`), so the output at a padded position is not zero either. The fix is to tell the LSTM the lengths: **pack** the batch.
#
# `pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)` returns a
# `PackedSequence`, and `nn.LSTM` accepts one in place of a tensor:

# %% tags=["nbval-check-output"]
packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
cu.show_shapes(data=(packed.data, "steps feature"))
print("batch_sizes:     ", packed.batch_sizes.tolist())
print("sorted_indices:  ", packed.sorted_indices.tolist())
print("unsorted_indices:", packed.unsorted_indices.tolist())
print("sum(lengths) =", int(lengths.sum()), "real steps;  batch x seq =", ids.numel(), "positions")

# %% [markdown]
# A `PackedSequence` holds four things:
#
# | field | here | what it is |
# |---|---|---|
# | `data` | (34, 8): (steps, feature) | every **real** step of every sequence and no padding, ordered **step by step**: step 0 of all sequences, then step 1 of those still running, ... |
# | `batch_sizes` | 10 numbers | `batch_sizes[t]` = how many sequences are still running at step t; it has one entry per step of the longest sequence, and sums to `sum(lengths)` |
# | `sorted_indices` | `[2, 3, 1, 4, 0]` | the batch order by length, longest first: within each step, `data` holds the sequences in this order |
# | `unsorted_indices` | `[4, 2, 0, 1, 3]` | the way back: where each sequence of the batch went; `sorted_indices[unsorted_indices]` is `0, 1, 2, ...` |
#
# The LSTM reads `data` one step at a time: `batch_sizes[t]` rows for step t. Since the sequences are
# sorted longest first, the ones still running at step t are always the **first** `batch_sizes[t]`
# rows of the step before, and a sequence that has ended simply drops out. The picture, packed by
# PyTorch itself:

# %%
fig = cu.plots.packed_sequence(lengths)

# %% tags=["nbval-check-output"]
order = packed.sorted_indices
print("lengths, longest first:", lengths[order].tolist())
print("data[:5] is step 0 of each sentence in that order:", torch.equal(packed.data[:5], x[order, 0]))
print("sorted_indices[unsorted_indices]:", order[packed.unsorted_indices].tolist())

# %% [markdown]
# **Predict first:** for lengths `[3, 1, 4]`, what are `batch_sizes` and `sorted_indices`? (You will
# compute `batch_sizes` and `data` by hand in exercise 2.)
#
# ### `enforce_sorted`
#
# `enforce_sorted=True` is the **default**. It means "my batch is already sorted, longest first", and
# PyTorch refuses a batch that is not:

# %% tags=["nbval-check-output"]
try:
    pack_padded_sequence(x, lengths, batch_first=True)        # enforce_sorted=True by default
except RuntimeError as err:
    print("RuntimeError:", err)
by_length = torch.sort(lengths, descending=True).indices
packed_sorted = pack_padded_sequence(x[by_length], lengths[by_length], batch_first=True)
print("a sorted batch packs:", packed_sorted.batch_sizes.tolist(), "  sorted_indices:", packed_sorted.sorted_indices)
print("same data as packing with enforce_sorted=False:", torch.equal(packed_sorted.data, packed.data))

# %% [markdown]
# With `enforce_sorted=False`, PyTorch sorts the batch itself, records the order in `sorted_indices`,
# and undoes it on the way out: `h_n` and the unpacked output come back in **your** batch order, row b
# for sequence b. As the message says, `True` is needed only for ONNX export. Old tutorials sort the
# batch by hand and then must unsort every result; you do not need to.
#
# ### Lengths live on the CPU
#
# `pack_padded_sequence` reads the lengths with the CPU, whatever device the batch is on. Move a whole
# batch to a GPU, lengths included, and packing fails. This machine may have no GPU, so here is the
# error PyTorch raises there, **quoted, not run**:
#
# ```
# RuntimeError: 'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long tensor
# ```
#
# The fix is `lengths.cpu()` (a no-op when they already are on the CPU). PyTorch is less strict about
# the type: a Python list works, and so does a float tensor, which it converts to int64 by
# **truncating**, silently:

# %% tags=["nbval-check-output"]
as_list = pack_padded_sequence(x, lengths.tolist(), batch_first=True, enforce_sorted=False)
print("a list of lengths:        ", as_list.batch_sizes.tolist())
halves = lengths.float() - 0.5                                # 3.5, 5.5, 9.5, 8.5, 4.5
as_floats = pack_padded_sequence(x, halves, batch_first=True, enforce_sorted=False)
print("float lengths, truncated: ", as_floats.batch_sizes.tolist(), "-> every sentence lost its last token")

# %% [markdown]
# So keep lengths as what `pad_collate` returns, an int64 tensor, and give them to packing on the CPU
# while the batch itself goes to `device`:

# %% tags=["nbval-check-output"]
x_dev = x.to(device)                                           # the batch on the GPU, if there is one
packed_dev = pack_padded_sequence(x_dev, lengths.cpu(), batch_first=True, enforce_sorted=False)
print("data on the device:", packed_dev.data.device.type == device.type,
      "| batch_sizes on:", packed_dev.batch_sizes.device)


# %% [markdown]
# `batch_sizes` always stays on the CPU: the LSTM reads it to know how many rows each step has.
#
# ### Exercise 2: `pack_by_hand` (3 points)
#
# Compute what `pack_padded_sequence(padded, lengths, batch_first, enforce_sorted=False)` computes,
# without calling it.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `padded` | float tensor | **(seq, batch, feature)**, or **(batch, seq, feature)** if `batch_first` | a padded batch; `seq` may be more than the longest length |
# | `lengths` | int64 tensor on the CPU | **(batch,)** | true lengths, unsorted, each at least 1 |
# | `batch_first` | bool | | the layout of `padded` |
# | returns `data` | float tensor | **(steps, feature)**, steps = `sum(lengths)` | the real steps, step by step; within a step, the sequences longest first |
# | returns `batch_sizes` | int64 tensor on the CPU | **(longest,)** | `batch_sizes[t]` = how many sequences are longer than `t` |
#
# Sort once (`torch.sort(lengths, descending=True)`) and keep that order at every step. Sequences of
# equal length may come in either order: the check accepts any, since the LSTM's results are the same.

# %% nbgrader={"grade": false, "grade_id": "pack_by_hand", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pack_by_hand(padded, lengths, batch_first=False):
    """(data, batch_sizes) of pack_padded_sequence(padded, lengths, batch_first, enforce_sorted=False)."""
    # Hint: at step t, the sequences still running are the first batch_sizes[t] of the sorted order.
    ### BEGIN SOLUTION
    x = padded.transpose(0, 1) if batch_first else padded      # (seq, batch, feature)
    order = torch.sort(lengths, descending=True).indices         # longest first
    batch_sizes = torch.tensor([int((lengths > t).sum()) for t in range(int(lengths.max()))])
    rows = [x[t, order[:n]] for t, n in enumerate(batch_sizes.tolist())]
    return torch.cat(rows), batch_sizes
    ### END SOLUTION


# %%
# try it: our batch of five sentences, batch-first
data, batch_sizes = pack_by_hand(x, lengths, batch_first=True)
cu.show_shapes(data=(data, "steps feature"))
print("batch_sizes:", batch_sizes.tolist())
print("equal to PyTorch's:", torch.equal(data, packed.data), torch.equal(batch_sizes, packed.batch_sizes))

# %% nbgrader={"grade": true, "grade_id": "test_pack_by_hand", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""pack_by_hand: data and batch_sizes equal pack_padded_sequence's, both layouts"""
from course_utils.checks import nb07

nb07.check_pack_by_hand(pack_by_hand)
### BEGIN HIDDEN TESTS
nb07.check_pack_by_hand(pack_by_hand, feature=2, seed=5, configs=(
    dict(lengths=(2, 2, 2), seq=2),
    dict(lengths=(5,), seq=6),
))
nb07.check_pack_by_hand(pack_by_hand, feature=4, seed=6, configs=(
    dict(lengths=(1, 6, 3, 3, 6, 2, 1), seq=8),
))
nb07.check_pack_by_hand(pack_by_hand, feature=1, seed=7, configs=(
    dict(lengths=(4, 9, 1, 7, 2), seq=9),
    dict(lengths=(1, 1), seq=3),
))
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Through the LSTM and back: `pad_packed_sequence`
#
# A `PackedSequence` in, a `PackedSequence` out: `packed_out.data` has one row of hidden numbers per
# real step. `h_n` and `c_n` come back as usual, in the batch's own order. `pad_packed_sequence` turns
# the output back into a padded tensor. It takes **no lengths**: it *returns* them (the lengths are in
# `batch_sizes` already). A popular article says the lengths "must be passed as parameter ... for
# unpacking"; they are not.

# %% tags=["nbval-check-output"]
packed_out, (h_n, c_n) = lstm(packed)
out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
cu.show_shapes(packed_out_data=(packed_out.data, "steps hidden"), out=(out, "batch seq hidden"),
               h_n=(h_n, "layers batch hidden"))
print("lengths it returns:", out_lengths.tolist(), "on", out_lengths.device)
print("out is 0 at every padded position:", bool((out[~mask] == 0).all()))
print("final h equal to the sentence alone:", [torch.allclose(h_n[-1, b], alone[b], atol=1e-6) for b in range(5)])

# %% [markdown]
# Packed, every sentence's final state is the one it gets alone. `out` is zero at every padded
# position (`padding_value=0.0` by default).
#
# **`total_length`.** `pad_packed_sequence` pads to the longest sequence *in the batch*. If the batch
# came with more padding than that (a collate that pads to a fixed length, or a batch whose longest
# sentence was cut), the output is shorter than the input, and a mask or target laid out for the input
# no longer fits. **Predict first:** the same five sentences with two more steps of padding; how many
# steps does `out` have?

# %% tags=["nbval-check-output"]
x12 = torch.cat([x, torch.zeros(5, 2, 8)], dim=1)           # (batch=5, seq=12, feature=8)
packed12 = pack_padded_sequence(x12, lengths, batch_first=True, enforce_sorted=False)
out12, _ = pad_packed_sequence(lstm(packed12)[0], batch_first=True)
out12_full, _ = pad_packed_sequence(lstm(packed12)[0], batch_first=True, total_length=12)
cu.show_shapes(x12=(x12, "batch seq feature"), out12=(out12, "batch seq hidden"),
               out12_full=(out12_full, "batch seq hidden"))

# %% [markdown]
# And what the article's advice does: the second argument of `pad_packed_sequence` is `batch_first`,
# so the lengths land there.

# %% tags=["nbval-check-output"]
try:
    pad_packed_sequence(packed_out, lengths)
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# ## 5. The last *valid* output
#
# A classifier reads one vector per sentence: the LSTM's output at the sentence's **last real step**.
# The same article takes `out[:, -1, :]` after `pad_packed_sequence` and calls it "the last valid
# output for each sequence". **Predict first:** what is `out[:, -1]` for sentence 0, which has 4 tokens
# in a batch padded to 10?

# %% tags=["nbval-check-output"]
last_wrong = out[:, -1]                                      # step 9 for every sentence
print("lengths:          ", lengths.tolist())
print("row is all zeros: ", [bool((last_wrong[b] == 0).all()) for b in range(5)])
try:
    cu.check_shape(last_wrong, "batch hidden", batch=5, hidden=6, lengths=lengths, name="last")
except cu.PaddingError as err:
    print("\n".join(line for line in str(err).splitlines() if "Fix:" not in line))   # its Fix: exercise 3

# %% [markdown]
# For every sentence shorter than the batch, `out[:, -1]` is a position of padding, and after
# `pad_packed_sequence` padding is exactly zero: a classifier on it sees nothing but zeros for four of
# our five sentences. The last valid output of sequence b is at step `lengths[b] - 1`: a different
# step for every sequence. Picking one element per row is what indexing with **two index tensors**
# does: `t[rows, cols]` takes `t[rows[k], cols[k]]` for every k. On a small table:

# %% tags=["nbval-check-output"]
table = torch.arange(12).reshape(3, 4)                   # 3 rows of 4 columns
print(table)
print("table[tensor([0, 1, 2]), tensor([3, 0, 2])] =",
      table[torch.tensor([0, 1, 2]), torch.tensor([3, 0, 2])].tolist(), "  <- one element per row")

# %% [markdown]
# On a three-axis tensor the same indexing leaves the last axis whole: one vector per pair.
# **Predict first:** on the batch-first `out` (batch, seq, hidden), which two index tensors pick
# every sequence's output at its last real step? Exercise 3 writes it, for both layouts.
#
# With packing, `h_n[-1]` already *is* the last valid output of every sequence (and the only way to
# get `c` at that step is `c_n`). You need the gather when you have only `out`, or when `out` has been
# processed further.
#
# **Bidirectional.** The backward direction of a packed bidirectional LSTM starts at each sequence's
# own last real step, not at the padded end, and runs back to step 0
# ([notebook 06](../06-bidirectional/06-bidirectional.ipynb)). So its summary of the whole sequence
# is at **step 0**. The forward half ends at `lengths - 1`, as before. Sentence 0, 4 tokens padded to
# 10 steps, packed:
#
# ```
# step         0       1       2       3       4 ... 9
# token        w0      w1      w2      w3      <pad> ... <pad>
# forward      [ ] ──▶ [ ] ──▶ [ ] ──▶ [ ]     out is 0 from step 4 on
# backward     [ ] ◀── [ ] ◀── [ ] ◀── [ ]     starts at step lengths[0] - 1 = 3
# ```
#
# **Predict first:** at step 3, how many tokens has the backward half read? At step 0? The cell after
# exercise 3 checks your answer against `h_n`.

# %% tags=["nbval-check-output"]
bi = nn.LSTM(8, 6, batch_first=True, bidirectional=True)
packed_bi, (h_bi, c_bi) = bi(packed)
out_bi, _ = pad_packed_sequence(packed_bi, batch_first=True)
cu.show_shapes(out_bi=(out_bi, "batch seq hidden"), h_n=(h_bi, "layers batch hidden"))


# %% [markdown]
# ### Exercise 3: `last_valid` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(seq, batch, D x hidden)**, or **(batch, seq, D x hidden)** if `batch_first` | what `pad_packed_sequence` returns for a one-layer or stacked LSTM; D = 2 if `bidirectional`, else 1 |
# | `lengths` | int64 tensor on the CPU | **(batch,)** | true lengths, unsorted |
# | `batch_first` | bool | | the layout of `out` |
# | `bidirectional` | bool | | whether `out` has a forward half `out[..., :hidden]` and a backward half `out[..., hidden:]` |
# | returns | float tensor | **(batch, D x hidden)** | one direction: `out` at step `lengths[b] - 1`; two: the forward half there, the backward half at step 0 |
#
# `out` may be on the GPU while `lengths` stays on the CPU: index with tensors on `out.device`.

# %% nbgrader={"grade": false, "grade_id": "last_valid", "locked": false, "schema_version": 3, "solution": true, "task": false}
def last_valid(out, lengths, batch_first=False, bidirectional=False):
    """Each sequence's summary from out: (batch, hidden), or (batch, 2 x hidden) if bidirectional."""
    # Hint: two index tensors pick one step per sequence (section 5's table); keep them on out.device;
    # Hint: the backward half ends at step 0.
    ### BEGIN SOLUTION
    x = out if batch_first else out.transpose(0, 1)    # (batch, seq, directions x hidden)
    rows = torch.arange(x.size(0), device=x.device)
    last = x[rows, lengths.to(x.device) - 1]            # each sequence at its last valid step
    if not bidirectional:
        return last
    hidden = x.size(-1) // 2
    return torch.cat([last[:, :hidden], x[:, 0, hidden:]], dim=-1)
    ### END SOLUTION


# %%
# try it: one direction (out) and two (out_bi), against h_n
print("one direction == h_n[-1]:        ", torch.equal(last_valid(out, lengths, batch_first=True), h_n[-1]))
both = last_valid(out_bi, lengths, batch_first=True, bidirectional=True)
print("two directions == [h_n[-2], h_n[-1]]:", torch.equal(both, torch.cat([h_bi[-2], h_bi[-1]], dim=-1)))

# %% nbgrader={"grade": true, "grade_id": "test_last_valid", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""last_valid: the last real step of each sequence (backward half: step 0), both layouts"""
from course_utils.checks import nb07

nb07.check_last_valid(last_valid)
### BEGIN HIDDEN TESTS
nb07.check_last_valid(last_valid, feature=2, seed=3, configs=(
    dict(lengths=(1, 1, 2), seq=2, hidden=3),
))
nb07.check_last_valid(last_valid, feature=4, seed=4, configs=(
    dict(lengths=(6, 2, 9, 4, 1, 9), seq=11, hidden=2),
))
nb07.check_last_valid(last_valid, feature=1, seed=5, configs=(
    dict(lengths=(5,), seq=5, hidden=6),
    dict(lengths=(2, 8), seq=8, hidden=1),
))
### END HIDDEN TESTS

# %% [markdown]
# Back to the prediction before exercise 3. The one-direction gather equals `h_n[-1]`, and of the
# backward half only step 0 holds the final state:

# %% tags=["nbval-check-output"]
print("out[arange(5), lengths - 1]  == h_n[-1]:", torch.equal(out[torch.arange(5), lengths - 1], h_n[-1]))
print("backward half at step 0       == h_n[-1]:", torch.equal(out_bi[:, 0, 6:], h_bi[-1]))
print("backward half at lengths - 1  == h_n[-1]:", torch.equal(out_bi[torch.arange(5), lengths - 1, 6:], h_bi[-1]))

# %% [markdown]
# At `lengths - 1` the backward direction has read a single token. The summary of a bidirectional
# sequence is the forward half at `lengths - 1` next to the backward half at step 0, which is also
# `torch.cat([h_n[-2], h_n[-1]], dim=-1)`.

# %% [markdown]
# ## 6. Padding invariance: the proof
#
# Here is the property that says packing is right, as a test (the TUM I2DL course grades its LSTM
# exercise this way): **a model run on a padded, packed batch gives every sequence exactly what that
# sequence gives when it runs alone**, with no padding at all. The sequence cannot tell that it was
# batched, nor how much padding its neighbours needed.
#
# Take a 2-layer bidirectional LSTM, the hardest case: the backward direction starts at the end, and a
# padded batch puts padding at the end of every shorter sentence. Compare `out` at the real steps and
# all of `h_n`, packed and unpacked, with each sentence run alone:

# %% tags=["nbval-check-output"]
enc = nn.LSTM(8, 6, num_layers=2, bidirectional=True, batch_first=True)
packed_enc, (h_enc, c_enc) = enc(packed)
out_enc, _ = pad_packed_sequence(packed_enc, batch_first=True)
out_unpacked, (h_unpacked, _) = enc(x)                       # the padded batch, not packed
for b, n in enumerate(lengths.tolist()):
    o, (h, c) = enc(x[b:b + 1, :n])                          # the sentence alone
    same_packed = torch.allclose(out_enc[b, :n], o[0], atol=1e-6) and torch.allclose(h_enc[:, b], h[:, 0], atol=1e-6)
    same_padded = torch.allclose(out_unpacked[b, :n], o[0], atol=1e-6) and torch.allclose(h_unpacked[:, b], h[:, 0], atol=1e-6)
    print(f"sentence {b} ({n:>2} tokens): packed as alone {same_packed},  padded as alone {same_padded}")


# %% [markdown]
# Packed, all five agree; padded, only the sentence without padding does. Exercise 4 is graded by
# exactly this test, on other LSTMs and batches. (On a GPU, compare with a looser tolerance, such as
# `atol=1e-4`: cuDNN picks other kernels for other batch sizes and computes in TensorFloat-32 by
# default (`torch.backends.cudnn.allow_tf32`), so a sequence alone and the same sequence in a batch
# can differ in the fifth decimal.)
#
# ### Exercise 4: `encode_packed` (3 points)
#
# Run a padded batch through an LSTM the right way, and return what `nn.LSTM` returns.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lstm` | `nn.LSTM` | | any `num_layers`, `bidirectional`, `batch_first` |
# | `padded` | float tensor | **(batch, seq, feature)** if `lstm.batch_first`, else **(seq, batch, feature)** | on the LSTM's device; `seq` may be more than the longest length; the padding may hold anything |
# | `lengths` | int64 tensor | **(batch,)** | unsorted; on the **GPU** if the batch is (a training loop moves everything) |
# | returns `out` | float tensor | the layout of `padded`, **seq** steps, D x hidden numbers each | 0 after each sequence's end |
# | returns `(h_n, c_n)` | pair of float tensors | each **(layers x D, batch, hidden)** | row b = sequence b, in the batch's order |
#
# Every sequence must come out as if it ran alone. The check hands `lengths` over as if they were on a
# GPU: without one, a stand-in tensor that refuses to be packed until moved with `.cpu()`, exactly as
# CUDA lengths do.

# %% nbgrader={"grade": false, "grade_id": "encode_packed", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode_packed(lstm, padded, lengths):
    """Run a padded batch through lstm, packed: out (as padded, seq steps), (h_n, c_n)."""
    # Hint: pack (lengths on the CPU, unsorted), run, unpack to padded's own number of steps.
    ### BEGIN SOLUTION
    seq = padded.size(1 if lstm.batch_first else 0)
    packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=lstm.batch_first, enforce_sorted=False)
    packed_out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(packed_out, batch_first=lstm.batch_first, total_length=seq)
    return out, (h_n, c_n)
    ### END SOLUTION


# %%
# try it: the 2-layer bidirectional enc on the batch with 12 steps
out_e, (h_e, c_e) = encode_packed(enc, x12, lengths)
cu.show_shapes(out=(out_e, "batch seq hidden"), h_n=(h_e, "layers batch hidden"))
print("h_n as in section 6:", torch.allclose(h_e, h_enc, atol=1e-6))

# %% nbgrader={"grade": true, "grade_id": "test_encode_packed", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""encode_packed: every sequence gives what it gives alone, in the batch's order (padding invariance)"""
from course_utils.checks import nb07

nb07.check_encode_packed(encode_packed)
### BEGIN HIDDEN TESTS
nb07.check_encode_packed(encode_packed, feature=2, seed=9, configs=(
    dict(lengths=(2, 5, 1), seq=6, num_layers=3, bidirectional=True, batch_first=False, hidden=2,
         padding="garbage"),
    dict(lengths=(4,), seq=4, num_layers=1, bidirectional=False, batch_first=True, hidden=3,
         padding="zeros"),
))
nb07.check_encode_packed(encode_packed, feature=4, seed=11, configs=(
    dict(lengths=(3, 3, 8, 1, 6), seq=10, num_layers=2, bidirectional=False, batch_first=True, hidden=5,
         padding="garbage"),
))
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Pooling and loss: what comes after the LSTM must ignore padding too
#
# Packing protects the LSTM. Whatever reads `out` afterwards sees the padded positions again, and must
# skip them itself.
#
# **Pooling.** Instead of the last step, a classifier can read the mean or the max over all steps.
# Taken naively over the padded output, both count the padding. An LSTM with 16 hidden units, packed
# and unpacked as it should be (so the padding is exactly 0); compare with each sentence alone:

# %% tags=["nbval-check-output"]
wide = nn.LSTM(8, 16, batch_first=True)
out_w, _ = pad_packed_sequence(wide(packed)[0], batch_first=True)     # (batch=5, seq=10, hidden=16)
naive_mean, naive_max = out_w.mean(dim=1), out_w.amax(dim=1)           # over all 10 steps
alone_mean = torch.stack([out_w[b, :n].mean(dim=0) for b, n in enumerate(lengths.tolist())])
alone_max = torch.stack([out_w[b, :n].amax(dim=0) for b, n in enumerate(lengths.tolist())])
print("mean as alone:", [torch.allclose(naive_mean[b], alone_mean[b]) for b in range(5)])
print("max as alone: ", [torch.allclose(naive_max[b], alone_max[b]) for b in range(5)])
print("(sentence, hidden unit) pairs whose real values are all negative, but whose max came out 0:",
      int(((naive_max == 0) & (alone_max < 0)).sum()), "of", alone_max.numel())


# %% [markdown]
# The naive mean divides by 10 steps for every sentence, so a short sentence's mean is shrunk toward
# zero. The naive max is wrong wherever a hidden unit is negative at every real step of a shorter
# sentence: the padding's 0 wins. Multiplying by the mask first does not help the max (padding is 0
# again); fill the padding with `-inf` instead, so it can never win.
#
# ### Exercise 5: `masked_pool` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(seq, batch, hidden)**, or **(batch, seq, hidden)** if `batch_first` | an LSTM's outputs; at padded positions anything (zeros after unpacking, other numbers without packing) |
# | `mask` | bool tensor | **(seq, batch)**, or **(batch, seq)** if `batch_first` | `True` at real steps; every sequence has at least one |
# | `batch_first` | bool | | the layout of `out` and `mask` |
# | returns `(mean, max_)` | two float tensors | each **(batch, hidden)** | the mean and the max over each sequence's real steps only |
#
# The mask needs a hidden axis of size 1 to meet `out`: `mask[..., None]`.

# %% nbgrader={"grade": false, "grade_id": "masked_pool", "locked": false, "schema_version": 3, "solution": true, "task": false}
def masked_pool(out, mask, batch_first=False):
    """Mean and max over the real steps only: two (batch, hidden) tensors."""
    # Hint: divide by each sequence's number of real steps; for the max, the padding must never win
    # Hint: (read torch.Tensor.masked_fill).
    ### BEGIN SOLUTION
    dim = 1 if batch_first else 0
    m = mask[..., None]                                  # a hidden axis of 1, to broadcast
    mean = (out * m).sum(dim) / m.sum(dim)
    max_ = out.masked_fill(~m, float("-inf")).amax(dim)
    return mean, max_
    ### END SOLUTION


# %%
# try it: the batch-first out_w, against each sentence alone
mean, max_ = masked_pool(out_w, mask, batch_first=True)
cu.show_shapes(mean=(mean, "batch hidden"), max_=(max_, "batch hidden"))
print("as alone:", torch.allclose(mean, alone_mean, atol=1e-6), torch.allclose(max_, alone_max))

# %% nbgrader={"grade": true, "grade_id": "test_masked_pool", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""masked_pool: mean and max over the real steps only, both layouts, whatever the padding holds"""
from course_utils.checks import nb07

nb07.check_masked_pool(masked_pool)
### BEGIN HIDDEN TESTS
nb07.check_masked_pool(masked_pool, seed=8, configs=(
    dict(lengths=(2, 1, 2), seq=3, hidden=2, padding="garbage"),
    dict(lengths=(5,), seq=6, hidden=3, padding="zeros"),
))
nb07.check_masked_pool(masked_pool, seed=9, configs=(
    dict(lengths=(6, 2, 9, 4, 1, 9), seq=11, hidden=3, padding="garbage"),
))
### END HIDDEN TESTS

# %% [markdown]
# **A loss that ignores padding.** When there is a target at every step (tagging in [notebook 12](../12-tagging/12-tagging.ipynb), the
# decoder of [notebook 08](../08-seq2seq/08-seq2seq.ipynb), or here: predicting the next token), the
# padded steps must not count in the loss. `nn.CrossEntropyLoss(ignore_index=...)` skips every
# position whose target is that index; the same number comes from a per-token loss averaged over the
# mask. `CrossEntropyLoss` wants the classes on axis 1, so the (batch, seq, vocab) logits are
# transposed to (batch, vocab, seq):

# %% tags=["nbval-check-output"]
head = nn.Linear(6, len(vocab))                              # a score for every token of the vocabulary
logits = head(out)                                           # (batch, seq, vocab)
targets = torch.cat([ids[:, 1:], torch.full((5, 1), vocab.pad_id)], dim=1)   # the next token; pad after the end
loss = nn.CrossEntropyLoss(ignore_index=vocab.pad_id)(logits.transpose(1, 2), targets)
per_token = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")   # (batch, seq)
real = targets != vocab.pad_id                                # 29 real targets: lengths - 1 per sentence
cu.show_shapes(logits=(logits, "batch seq vocab"), per_token=(per_token, "batch seq"))
print(f"ignore_index: {loss:.4f}   masked mean: {per_token[real].mean():.4f}   padding counted: {per_token.mean():.4f}")
print("real targets:", int(real.sum()), "of", real.numel())

# %% [markdown]
# `ignore_index` and the masked mean agree; counting the padding gives another number, and in training
# it would teach the model to predict `<pad>` after every sentence. (Use an ignore index that is no
# real class: `<pad>` is never a token to predict; for labels, PyTorch's default `-100` is common.)
#
# ## 8. Packed vs padded: the same answers, and the work saved
#
# For a **one-direction** LSTM, the padding comes *after* the real steps, so a padded run computes the
# real steps exactly as a packed one: the outputs at real steps are the same, and so is the last valid
# output, gathered at `lengths - 1`. Only `h_n` differs (it has read the padding), and for a
# bidirectional LSTM the backward half differs everywhere (section 6). A batch of 64 random training
# sentences:

# %% tags=["nbval-check-output"]
rows = torch.randperm(len(reviews), generator=torch.Generator().manual_seed(0))[:64].tolist()
ids64, lengths64, _ = cu.data.pad_collate([(vocab.encode(cu.data.tokenize(reviews[i].text)), reviews[i].label)
                                           for i in rows])
cu.show_shapes(ids64=(ids64, "batch seq"))
print("shortest and longest:", int(lengths64.min()), int(lengths64.max()))
emb64, lstm64 = nn.Embedding(len(vocab), 32, padding_idx=vocab.pad_id), nn.LSTM(32, 64, batch_first=True)
x64 = emb64(ids64)
out_padded, (h_padded, _) = lstm64(x64)
packed_out64, (h_packed, _) = lstm64(pack_padded_sequence(x64, lengths64, batch_first=True, enforce_sorted=False))
out_packed, _ = pad_packed_sequence(packed_out64, batch_first=True)
mask64 = torch.arange(ids64.size(1))[None, :] < lengths64[:, None]
print("outputs at the real steps equal:          ", torch.allclose(out_padded[mask64], out_packed[mask64], atol=1e-6))
print("padded out at lengths - 1 == packed h_n[-1]:", torch.allclose(out_padded[torch.arange(64), lengths64 - 1], h_packed[-1], atol=1e-6))
print("padded h_n == packed h_n:                  ", torch.allclose(h_padded, h_packed, atol=1e-6))
print(f"LSTM steps computed: padded {ids64.numel()} (batch x seq), packed {int(lengths64.sum())} "
      f"(sum of lengths), {int(lengths64.sum()) / ids64.numel():.0%} of the work")


# %% [markdown]
# Packing computes each step of each sentence once and no padding. Whether that saves *time* depends
# on the hardware, the size of the LSTM and whether you only run the model or also train it: a packed
# batch shrinks step by step, which adds bookkeeping, and the backward pass goes through it again.
# Measure both **inference** (a forward pass, no gradients, as everywhere in this notebook) and one
# **training step** of the small LSTM (forward, a loss on `h_n`, backward), the best of five runs each:

# %%
def best_ms(fn, repeat=5):
    fn()                                                     # one warm-up run, not timed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def pack64():
    return pack_padded_sequence(x64, lengths64, batch_first=True, enforce_sorted=False)


def train_step(model, inputs):
    with torch.enable_grad():                                # gradients on for this step only
        model.zero_grad()
        _, (h_n, _) = model(inputs)
        h_n.sum().backward()                                 # stands in for a loss on the final state


for hidden in (64, 512):
    model = nn.LSTM(32, hidden, batch_first=True)
    padded_ms, packed_ms = best_ms(lambda m=model: m(x64)), best_ms(lambda m=model: m(pack64()))
    print(f"inference,     hidden {hidden:>3}: padded {padded_ms:6.1f} ms, packed {packed_ms:6.1f} ms, "
          f"packed/padded = {packed_ms / padded_ms:.2f}")
    if hidden == 64:
        padded_ms = best_ms(lambda m=model: train_step(m, x64))
        packed_ms = best_ms(lambda m=model: train_step(m, pack64()))
        print(f"training step, hidden {hidden:>3}: padded {padded_ms:6.1f} ms, packed {packed_ms:6.1f} ms, "
              f"packed/padded = {packed_ms / padded_ms:.2f}")

# %% [markdown]
# Compare the ratios printed above with the share of the work printed before them: these are your
# machine's numbers, and they change from run to run. Fewer steps is not necessarily less time. For
# scale, **one run's observations** (this batch, the best of five, December 2026; a ratio above 1
# means packing was slower):
#
# | machine | inference, hidden 64 | inference, hidden 512 | training step, hidden 64 | training step, hidden 512 |
# |---|---|---|---|---|
# | 2-core CPU, 1 thread (the course's CI) | 1.42 | 0.70 | 1.94 | 1.16 |
# | 16-core CPU, 16 threads | 2.99 | 1.99 | 6.00 | 1.55 |
# | NVIDIA H100 GPU (cuDNN) | 7.98 | 1.50 | 3.35 | 1.43 |
#
# In that run packing saved time only for the large LSTM on one CPU thread, at inference, and by less
# than the step count promises; everything else ran **faster padded**. (Another run on the same
# 2-core CPU gave 1.16, 0.80 and 1.60 for the first three columns: treat one decimal as noise.) A
# padded step is one big matrix product for the whole batch; a packed batch shrinks step by step and
# adds bookkeeping. To cut the padding itself, put sentences of similar length into the same batch
# ("bucketing"). Packing is first of all about **correct** answers: `h_n`, a bidirectional `out`, and
# everything computed from them.
#
# ## Common mistakes, and what PyTorch says
#
# **Unsorted lengths with `enforce_sorted=True`** (the default) and **lengths on the GPU**: section 3
# shows both errors. **`out[:, -1]` after unpacking** (zeros for shorter sequences), **a mask on the
# wrong axis**, **pooling over padding**: no error at all (sections 2, 5, 7). And these:
#
# **An empty sequence.** A sentence that is empty after cleaning has length 0, which packing refuses:

# %% tags=["nbval-check-output"]
try:
    pack_padded_sequence(x, torch.tensor([6, 0, 10, 5, 9]), batch_first=True, enforce_sorted=False)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Packing with the wrong `batch_first`.** Our batch-first `x` (5, 10, 8) packed as if seq-first is
# read as 5 steps of 10 sequences. Packing does not notice, and builds a `PackedSequence` that
# contradicts itself: `batch_sizes` comes from the lengths (up to 10 steps, summing to 34), while
# `data` can only hold the 5 steps that axis 0 has. **Predict first:** how many rows does `data` get?

# %% tags=["nbval-check-output"]
wrong_packed = pack_padded_sequence(x, lengths, enforce_sorted=False)   # batch_first forgotten
print("packed without an error: data", tuple(wrong_packed.data.shape), "instead of", tuple(packed.data.shape))
print("batch_sizes:", wrong_packed.batch_sizes.tolist(), "sum", int(wrong_packed.batch_sizes.sum()))
try:
    lstm(wrong_packed)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# `data` has 24 rows, the first 5 `batch_sizes` (5 + 5 + 5 + 5 + 4), but `batch_sizes` goes on for
# 5 more steps. The LSTM reads `data` step by step; at step 5 it wants the next 3 rows, starting at row
# 24 of a 24-row `data`: "start (24) + length (3) exceeds dimension size (24)". The message names
# neither `batch_first` nor packing; the fix is `pack_padded_sequence(x, lengths, batch_first=True, ...)`.
#
# **Passing the lengths to the LSTM** instead of packing. The second argument of an LSTM is the initial
# state `(h0, c0)`:

# %% tags=["nbval-check-output"]
try:
    lstm(x, lengths)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **A `PackedSequence` into a layer that wants a tensor.** Only RNN modules read packed batches;
# unpack first (or apply the layer to `packed_out.data`, one row per real step):

# %% tags=["nbval-check-output"]
try:
    nn.Linear(6, 2)(packed_out)
except TypeError as err:
    print("TypeError:", err)
print("on packed_out.data instead:", tuple(nn.Linear(6, 2)(packed_out.data).shape), "= (steps, out)")

# %% [markdown]
# **`total_length` shorter than the longest sequence:**

# %% tags=["nbval-check-output"]
try:
    pad_packed_sequence(packed_out, batch_first=True, total_length=8)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Summary
#
# - Pad with `pad_sequence(seqs, batch_first=True, padding_value=pad_id)` (or `cu.data.pad_collate`)
#   and **keep the lengths**: everything below needs them.
# - A mask from lengths: `torch.arange(seq)[None, :] < lengths[:, None]` is (batch, seq); transpose it
#   for a seq-first tensor. Made on the CPU, it cannot meet a GPU tensor.
# - `pack_padded_sequence(x, lengths.cpu(), batch_first=..., enforce_sorted=False)`: lengths on the CPU,
#   as int64; `enforce_sorted=False` lets PyTorch sort and unsort. A `PackedSequence` holds `data`
#   (steps, feature), step by step, longest first; `batch_sizes[t]` = sequences still running at step
#   t; `sorted_indices` and `unsorted_indices`.
# - `pad_packed_sequence(packed_out, batch_first=..., total_length=seq)` takes no lengths and returns
#   them; padding comes back as exact zeros.
# - The last valid output is at `lengths - 1` (`out[:, -1]` is padding), and equals `h_n[-1]` when
#   packed; for a bidirectional LSTM: forward half at `lengths - 1`, backward half at step 0.
# - After the LSTM, mask the padding yourself: mean over real steps, max with `-inf` at padding, loss
#   with `ignore_index` or a mask.
# - **Padding invariance** is the test: a packed batch gives every sequence what it gives alone.
#   Packing computes `sum(lengths)` steps instead of `batch x seq`.
#
# Next: [notebook 08](../08-seq2seq/08-seq2seq.ipynb) encodes padded sentences with a packed LSTM and
# masks the padding out of its attention; [notebook 09](../09-sentiment/09-sentiment.ipynb) trains a
# packed (bi)LSTM classifier on these movie reviews.
#
# ## Going further (not graded)
#
# - `torch.nn.utils.rnn.pack_sequence(list_of_tensors, enforce_sorted=False)` packs a list without
#   padding it first; `unpad_sequence` and `unpack_sequence` go back to a list.
# - Bucketing: sort the training set by length, cut it into batches, shuffle the batches. Measure how
#   much padding that removes on the movie reviews, and what it does to the time of an epoch.
# - Write `masked_pool` for a packed output directly, from `packed_out.data` and `batch_sizes`, without
#   unpacking (hint: `torch.repeat_interleave`).
# - This notebook turns gradients off (`torch.set_grad_enabled(False)` in section 1). Turn them on and
#   check that no gradient reaches the embedding of `<pad>` through a packed LSTM.
