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
# # 05 · Stacked LSTMs
#
# **Put LSTM layers on top of each other, and know exactly what `num_layers` and `dropout` do.**
#
# After this notebook you can:
#
# - say what `num_layers=k` changes: which weights exist, what `out` holds, what `h_n` and `c_n` hold;
# - rebuild `nn.LSTM(num_layers=k)` from k one-layer LSTMs with copied weights, and get the same numbers;
# - name the layer behind each row of `h_n`: `h_n[0]` is the bottom layer, `h_n[-1]` the top one, and `h_n[-1]` equals `out[-1]`;
# - say where `dropout=` acts: between layers, in train mode only, never on what leaves the top layer;
# - translate a Keras stack (`return_sequences=True`) into PyTorch.
#
# **Prerequisites:** notebook 03 (the LSTM cell: `weight_ih`, `weight_hh`, the four gates) and notebook 04
# (`out` vs `h_n` vs `c_n`). **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# Run All stops at the first exercise you have not written yet, with a one-line message that
# names it: write it, then run on from there.
# `python -m course_utils check notebooks/05-stacked-lstms/05-stacked-lstms.ipynb` grades your
# saved notebook from a terminal.
#
# Axis names used everywhere in this course: **batch** (sequences in a batch), **seq** (steps per
# sequence), **feature** (numbers per step going into the LSTM), **hidden** (hidden size),
# **layers** (the first axis of `h_n` and `c_n`).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. A real sequence: days of weather at JFK
#
# 8,730 consecutive hours of 2013 (1 January to 30 December) at New York's JFK airport, six
# measurements per hour. We standardize each column
# (mean 0, standard deviation 1: pressure in mbar and precipitation in inches then live on the same
# scale) and cut out four days, from midnight to midnight, one in each season. The statistics come from
# the whole year, not from training hours only as notebook 02 asks: acceptable here, because this
# notebook trains nothing and measures no error on held-out hours.

# %% tags=["nbval-check-output"]
from datetime import datetime

times, values = cu.data.hourly_weather("JFK")
print(len(times), "hours;", cu.data.WEATHER_COLUMNS)
cu.show_shapes(values=(values, "seq feature"))

# %% tags=["nbval-check-output"]
z = (values - values.mean(dim=0)) / values.std(dim=0)      # every column: mean 0, std 1
starts = [times.index(datetime(2013, month, 15)) for month in (1, 4, 7, 10)]
x = torch.stack([z[s:s + 24] for s in starts], dim=1)      # (seq=24, batch=4, feature=6)
print([str(times[s].date()) for s in starts])
cu.show_shapes(x=(x, "seq batch feature"))

# %% [markdown]
# `x` is laid out **(seq, batch, feature)**, the default layout of `nn.LSTM`: `x[t]` holds hour `t` of
# all four days.
#
# ## 2. What `num_layers` changes
#
# A stacked LSTM is LSTMs on top of each other. Layer 0 reads `x`; every layer above reads the
# **output sequence** of the layer below, one step at a time. Only the top layer's outputs leave the
# module as `out`; every layer leaves its final state in a row of `h_n` and `c_n`.
#
# ```
#              t=0        t=1               t=23
# layer 2     [ ] ──▶    [ ] ──▶  ...  ──▶ [ ] ──▶ h_n[2], c_n[2]     out[t] = layer 2 at step t
#              ▲          ▲                 ▲
# layer 1     [ ] ──▶    [ ] ──▶  ...  ──▶ [ ] ──▶ h_n[1], c_n[1]
#              ▲          ▲                 ▲
# layer 0     [ ] ──▶    [ ] ──▶  ...  ──▶ [ ] ──▶ h_n[0], c_n[0]
#              ▲          ▲                 ▲
#             x[0]       x[1]              x[23]
# ```
#
# **Predict first:** `nn.LSTM(input_size=6, hidden_size=5, num_layers=3)` has one set of weights per
# layer. What is the shape of `weight_ih_l0`? Of `weight_ih_l1`? (Notebook 03: the four gates are stacked,
# so a weight has 4 x hidden rows.)

# %% tags=["nbval-check-output"]
lstm = nn.LSTM(input_size=6, hidden_size=5, num_layers=3)
for name, param in lstm.named_parameters():
    print(f"{name:<13} {tuple(param.shape)}")

# %% [markdown]
# Four tensors per layer, and the suffix `_l0`, `_l1`, `_l2` says which layer. All have 4 x hidden = 20 rows.
# Only `weight_ih_l0` has 6 columns, one per feature of `x`: `weight_ih_l1` and `weight_ih_l2` have
# 5, because those layers read the 5 numbers the layer below puts out at each step.
#
# **Predict first:** what are the shapes of `out`, `h_n` and `c_n` for our `x`? The shape oracle
# `expected_shapes` answers before anything runs; then we run it.

# %% tags=["nbval-check-output"]
from course_utils.lstm import expected_shapes

print(expected_shapes(lstm, x))
out, (h_n, c_n) = lstm(x)
cu.show_shapes(out=(out, "seq batch hidden"), h_n=(h_n, "layers batch hidden"),
               c_n=(c_n, "layers batch hidden"))

# %% [markdown]
# `out` is still (seq, batch, hidden): it is the output of the **top layer only**. The output sequences
# of layers 0 and 1 are used inside the module and then dropped; what is left of them is their final
# state, rows 0 and 1 of `h_n` and `c_n`.
#
# ### A shape in a popular article is wrong
#
# An article on LSTM output shapes builds `nn.LSTM(10, 20, num_layers=2, batch_first=True)`, feeds it
# `torch.randn(5, 3, 10)`, calls that "sequence length 5, batch size 3", and prints the final hidden
# state shape as `torch.Size([2, 3, 20])`.
#
# **Predict first:** with `batch_first=True`, which axis of `(5, 3, 10)` is the batch? What shape is `h_n`?

# %% tags=["nbval-check-output"]
article = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
out_a, (h_a, c_a) = article(torch.randn(5, 3, 10))
cu.show_shapes(out=(out_a, "batch seq hidden"), h_n=(h_a, "layers batch hidden"))


# %% [markdown]
# With `batch_first=True` the input is (batch=5, seq=3, feature=10): 5 sequences of 3 steps. The
# article's `out` shape (5, 3, 20) is printed right but read wrong, and its `h_n` shape is simply wrong:
# `h_n` is **(layers=2, batch=5, hidden=20)**, because `batch_first` never applies to `h_n` and `c_n`.
#
# ## 3. A stack is one-layer LSTMs, wired output to input
#
# Layer `l` of `nn.LSTM(num_layers=k)` computes exactly what a one-layer `nn.LSTM` computes, given
# the same four tensors. In a one-layer LSTM they are all called `_l0`:
#
# | in `nn.LSTM(num_layers=k)` | in the l-th one-layer `nn.LSTM` | shape |
# |---|---|---|
# | `weight_ih_l{l}` | `weight_ih_l0` | (4 x hidden, feature) for l = 0, (4 x hidden, hidden) above |
# | `weight_hh_l{l}` | `weight_hh_l0` | (4 x hidden, hidden) |
# | `bias_ih_l{l}` | `bias_ih_l0` | (4 x hidden,) |
# | `bias_hh_l{l}` | `bias_hh_l0` | (4 x hidden,) |
#
# So the one-layer LSTM for layer 0 is `nn.LSTM(feature, hidden)`, and for every layer above it
# `nn.LSTM(hidden, hidden)`. The next two exercises prove the equivalence with numbers.
#
# ### Exercise 1: `copy_layer` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `stacked` | `nn.LSTM` | `num_layers=k` | the source; leave it unchanged |
# | `layer` | int | | which layer to copy, 0 (reads `x`) to k - 1 (the top) |
# | `single` | `nn.LSTM` | one layer, input size feature if `layer == 0` else hidden | the destination |
# | returns | `nn.LSTM` | | `single` itself, now holding copies of `weight_ih_l{layer}`, `weight_hh_l{layer}`, `bias_ih_l{layer}`, `bias_hh_l{layer}` as its `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` |
#
# Copy the numbers (`.copy_`): do not make `single` share the very same tensors with `stacked`, or
# training one would change the other. Parameters track gradients, so write into them inside
# `with torch.no_grad():`.

# %% nbgrader={"grade": false, "grade_id": "copy_layer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def copy_layer(stacked, layer, single):
    """Copy layer `layer` of the multi-layer LSTM `stacked` into the one-layer LSTM `single`; return single."""
    # Hint: getattr(module, name) reads a parameter whose name you build as a string (an f-string);
    # Hint: Tensor.copy_ writes into one, under torch.no_grad().
    ### BEGIN SOLUTION
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            source = getattr(stacked, f"{name}_l{layer}")
            getattr(single, f"{name}_l0").copy_(source)
    return single
    ### END SOLUTION


# %%
# try it: one one-layer LSTM per layer of `lstm`, holding that layer's weights
singles = [nn.LSTM(6, 5), nn.LSTM(5, 5), nn.LSTM(5, 5)]
for l, single in enumerate(singles):
    copy_layer(lstm, l, single)
print("singles[1].weight_ih_l0 == lstm.weight_ih_l1:", torch.equal(singles[1].weight_ih_l0, lstm.weight_ih_l1))
print("singles[2].bias_hh_l0   == lstm.bias_hh_l2:  ", torch.equal(singles[2].bias_hh_l0, lstm.bias_hh_l2))

# %% nbgrader={"grade": true, "grade_id": "test_copy_layer", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""copy_layer: the four tensors of layer l become the one-layer LSTM's *_l0"""
from course_utils.checks import nb05

nb05.check_copy_layer(copy_layer)
### BEGIN HIDDEN TESTS
nb05.check_copy_layer(copy_layer, layer=0)
nb05.check_copy_layer(copy_layer, layer=2)
nb05.check_copy_layer(copy_layer, num_layers=1, layer=0, feature=4, hidden=2)
nb05.check_copy_layer(copy_layer, num_layers=4, layer=3, feature=6, hidden=3)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: `manual_stack` (3 points)
#
# Run `x` through the one-layer LSTMs in order, each reading the output sequence of the one before,
# and return what `nn.LSTM(num_layers=k)` returns.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `layers` | list of k one-layer `nn.LSTM` | | layer 0 reads feature numbers per step, the others hidden; all built with the same `batch_first` |
# | `x` | float tensor | **(seq, batch, feature)**, or **(batch, seq, feature)** if the layers are `batch_first` | the input sequences |
# | `state` | `None` or a pair `(h0, c0)` | each **(layers, batch, hidden)** | where each layer starts; `None` means zeros |
# | returns `out` | float tensor | **(seq, batch, hidden)**, or **(batch, seq, hidden)** if `batch_first` | the top layer's output at every step |
# | returns `(h_n, c_n)` | pair of float tensors | each **(layers, batch, hidden)**, whatever `batch_first` says | row l = the final state of layer l |
#
# Each one-layer LSTM returns its `h` and `c` as (1, batch, hidden), and takes its starting state in
# that shape too: layer `l` starts from `h0[l:l + 1]` and `c0[l:l + 1]` (a slice keeps the axis).
# `torch.cat(list_of_rows, dim=0)` puts rows of shape (1, batch, hidden) one below the other.

# %% nbgrader={"grade": false, "grade_id": "manual_stack", "locked": false, "schema_version": 3, "solution": true, "task": false}
def manual_stack(layers, x, state=None):
    """Run x through one-layer LSTMs, each reading the previous one's output: out, (h_n, c_n)."""
    # Hint: each layer reads the output sequence of the layer below (layer 0 reads x); keep every
    # Hint: layer's h and c and join them along the layers axis (torch.cat).
    ### BEGIN SOLUTION
    h_list, c_list = [], []
    out = x
    for l, layer in enumerate(layers):
        if state is None:
            out, (h, c) = layer(out)
        else:
            h0, c0 = state
            out, (h, c) = layer(out, (h0[l:l + 1], c0[l:l + 1]))
        h_list.append(h)
        c_list.append(c)
    return out, (torch.cat(h_list, dim=0), torch.cat(c_list, dim=0))
    ### END SOLUTION


# %%
# try it: the three singles from exercise 1 against the 3-layer `lstm`, on the weather days
out_m, (h_m, c_m) = manual_stack(singles, x)
cu.show_shapes(out=(out_m, "seq batch hidden"), h_n=(h_m, "layers batch hidden"), c_n=(c_m, "layers batch hidden"))
print("same out, h_n, c_n as nn.LSTM(num_layers=3):",
      torch.allclose(out_m, out, atol=1e-6), torch.allclose(h_m, h_n, atol=1e-6), torch.allclose(c_m, c_n, atol=1e-6))

# %% nbgrader={"grade": true, "grade_id": "test_manual_stack", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""manual_stack: one-layer LSTMs wired output to input equal nn.LSTM(num_layers=k)"""
from course_utils.checks import nb05

nb05.check_manual_stack(manual_stack)
### BEGIN HIDDEN TESTS
nb05.check_manual_stack(manual_stack, with_state=True)
nb05.check_manual_stack(manual_stack, feature=5, hidden=5)
nb05.check_manual_stack(manual_stack, num_layers=2, seq=6, batch=3, feature=2, hidden=4, batch_first=True)
nb05.check_manual_stack(manual_stack, num_layers=1, seq=1, batch=1)
nb05.check_manual_stack(manual_stack, num_layers=4, seq=3, batch=2, feature=6, hidden=3, with_state=True,
                        batch_first=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Which row of `h_n` is which layer
#
# `h_n[l]` is the final hidden state of layer `l`, and `c_n[l]` its final cell state, each
# (batch, hidden). Row 0 is the **bottom** layer, the one that reads `x`; row -1 is the **top** layer.
#
# The top layer's final hidden state is also its output at the last step, and the top layer's outputs
# are `out`. So `h_n[-1]` equals `out[-1]` (or `out[:, -1]` with `batch_first=True`). The other rows have
# no counterpart in `out`.
#
# **Predict first:** which of these two lines prints `True`?

# %% tags=["nbval-check-output"]
print("h_n[-1] == out[-1]:", torch.equal(h_n[-1], out[-1]))
print("h_n[0]  == out[-1]:", torch.equal(h_n[0], out[-1]))

# %% [markdown]
# The same weights built with `batch_first=True` read the days as (batch, seq, feature). `out` changes
# layout; `h_n` does not change at all:

# %% tags=["nbval-check-output"]
lstm_bf = nn.LSTM(input_size=6, hidden_size=5, num_layers=3, batch_first=True)
lstm_bf.load_state_dict(lstm.state_dict())
out_bf, (h_bf, c_bf) = lstm_bf(x.transpose(0, 1))          # x as (batch=4, seq=24, feature=6)
cu.show_shapes(out=(out_bf, "batch seq hidden"), h_n=(h_bf, "layers batch hidden"))
print("h_n the same as without batch_first:", torch.equal(h_bf, h_n))
print("h_n[-1] == out[:, -1]:", torch.equal(h_bf[-1], out_bf[:, -1]))


# %% [markdown]
# `h_n[:, -1]` is a common slip from batch-first thinking: it takes the last **sequence** from every
# layer, shape (layers, hidden), not the last layer for every sequence. (For a bidirectional LSTM the
# rows are layers x directions; that is notebook 06.)
#
# ### Exercise 3: `layer_state` and `top_layer` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `h_n` | float tensor | **(layers, batch, hidden)** | as returned by `nn.LSTM`, with or without `batch_first` |
# | `layer` | int | | 0 is the bottom layer (reads `x`), layers - 1 the top |
# | `layer_state(h_n, layer)` returns | float tensor | **(batch, hidden)** | the final hidden state of that layer, one row per sequence |
# | `top_layer(h_n)` returns | float tensor | **(batch, hidden)** | the final hidden state of the top layer: what a classifier head usually reads |
#
# Both work for `c_n` too.

# %% nbgrader={"grade": false, "grade_id": "layer_state", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layer_state(h_n, layer):
    """The final state of layer `layer` (0 = bottom), shape (batch, hidden)."""
    # Hint: the first axis of h_n is the layer, whatever batch_first says.
    ### BEGIN SOLUTION
    return h_n[layer]
    ### END SOLUTION


def top_layer(h_n):
    """The final state of the top layer, shape (batch, hidden)."""
    ### BEGIN SOLUTION
    return h_n[-1]
    ### END SOLUTION


# %%
# try it
cu.show_shapes(layer_1=(layer_state(h_n, 1), "batch hidden"), top=(top_layer(h_n), "batch hidden"))
print("top_layer(h_n) == out[-1]:", torch.equal(top_layer(h_n), out[-1]))

# %% nbgrader={"grade": true, "grade_id": "test_layer_state", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""layer_state and top_layer: h_n[l] is layer l, h_n[-1] the top layer"""
from course_utils.checks import nb05

nb05.check_layer_state(layer_state, top_layer)
### BEGIN HIDDEN TESTS
nb05.check_layer_state(layer_state, top_layer, batch_first=True)
nb05.check_layer_state(layer_state, top_layer, num_layers=4, batch=4, seq=5, feature=2, hidden=6)
nb05.check_layer_state(layer_state, top_layer, num_layers=4, batch=4, seq=3, batch_first=True)
nb05.check_layer_state(layer_state, top_layer, num_layers=1, batch=1, seq=1)
nb05.check_layer_state(layer_state, top_layer, num_layers=2, batch=6, seq=3, feature=2, hidden=4,
                       batch_first=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Dropout acts between layers
#
# `nn.LSTM(..., num_layers=k, dropout=p)` does one thing in train mode: the output sequence of every
# layer **except the last** goes through dropout (each number set to 0 with probability p, the others
# multiplied by 1 / (1 - p)) on its way up to the next layer. Nothing else is dropped:
#
# | | dropped by `nn.LSTM(dropout=p)`? |
# |---|---|
# | `x`, going into layer 0 | no |
# | the output of layer l < k - 1, going into layer l + 1 | **yes, in train mode only** |
# | `h` from step t - 1 to step t inside a layer | no (PyTorch has no recurrent dropout) |
# | the output of the top layer, `out` | no |
# | `h_n`, `c_n` | no |
#
# **A one-layer LSTM has no "between".** PyTorch warns and drops nothing:

# %% tags=["nbval-check-output"]
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nn.LSTM(6, 5, num_layers=1, dropout=0.5)
print(f"{caught[0].category.__name__}: {caught[0].message}")

# %% [markdown]
# **Train mode and eval mode.** A module starts in train mode; `model.eval()` switches dropout off,
# `model.train()` back on. **Predict first:** in each mode, do two runs on the same `x` give the same `out`?

# %% tags=["nbval-check-output"]
drop = nn.LSTM(6, 5, num_layers=3, dropout=0.5)
drop.eval()
run_1, _ = drop(x)
run_2, _ = drop(x)
print("eval mode:  two runs equal?", torch.equal(run_1, run_2))
drop.train()
run_1, (h_train, c_train) = drop(x)
run_2, _ = drop(x)
print("train mode: two runs equal?", torch.equal(run_1, run_2))

# %% [markdown]
# So: call `model.eval()` before you evaluate or predict, or every prediction is a random draw.
#
# **The top layer's output is not dropped.** Three ways to see it.
#
# 1. Dropout leaves exact zeros behind. An LSTM output is a `tanh` times a sigmoid, practically never
#    exactly 0. Count the zeros in `out` in train mode:

# %% tags=["nbval-check-output"]
print("share of exact zeros in out (train mode):", (run_1 == 0).float().mean().item())

# %% [markdown]
# 2. Layer 0 reads `x` untouched, so its final state is the same in both modes; the top layer read
#    dropped inputs, so its state differs. And `h_n[-1] == out[-1]` still holds in train mode:
#    nothing happened to `out` after the top layer.

# %% tags=["nbval-check-output"]
drop.eval()
_, (h_eval, c_eval) = drop(x)
print("layer 0's final state, train == eval:", torch.equal(h_train[0], h_eval[0]))
print("layer 2's final state, train == eval:", torch.equal(h_train[2], h_eval[2]))
print("h_n[-1] == out[-1] in train mode:    ", torch.equal(h_train[-1], run_1[-1]))

# %% [markdown]
# 3. **Predict first:** with `dropout=1.0`, every number passed between layers becomes 0. What does
#    `out` of a two-layer LSTM look like in train mode?

# %% tags=["nbval-check-output"]
all_dropped = nn.LSTM(6, 5, num_layers=2, dropout=1.0)       # train mode
out_d, _ = all_dropped(x)
print("all four days give the same out:", all(torch.equal(out_d[:, 0], out_d[:, b]) for b in range(4)))
print("share of exact zeros in out:    ", (out_d == 0).float().mean().item())


# %% [markdown]
# Layer 1 read nothing but zeros, so it computed the same sequence for all four days: the weather
# never reached it. Yet `out` has no zeros: it is layer 1's output, and that is never dropped.
# If you want dropout on what leaves the LSTM (before a classifier head, say), add an `nn.Dropout` yourself.
#
# ### Exercise 4: `StackedLSTM` (3 points)
#
# Build the stack as a module, dropout included, so that it behaves exactly like
# `nn.LSTM(input_size, hidden_size, num_layers, dropout=dropout)` with the same weights.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `input_size`, `hidden_size`, `num_layers` | int | | as for `nn.LSTM` |
# | `dropout` | float | | p, applied between layers in train mode |
# | `self.layers` | `nn.ModuleList` of `num_layers` one-layer `nn.LSTM` | | layer 0 reads `input_size` features, the others `hidden_size`; the check copies weights into them |
# | `self.dropout` | float | | keep p here |
# | `forward(x)`: `x` | float tensor | **(seq, batch, feature)** | |
# | returns `out` | float tensor | **(seq, batch, hidden)** | the top layer's output, never dropped |
# | returns `(h_n, c_n)` | pair of float tensors | each **(layers, batch, hidden)** | row l = layer l |
#
# Drop with `nn.functional.dropout` (or an `nn.Dropout` module) on the output of each layer except the top
# one, in order from the bottom. That is what `nn.LSTM` does inside, so on the CPU, with the same random
# seed, your stack draws the very same dropout masks and the check can compare train mode number for number.
# On a CUDA GPU that is not true: `nn.LSTM` then runs cuDNN, which draws its masks its own way, so the same
# seed gives other masks. The check and the try-it cell below run on the CPU for that reason. Careful:
# `nn.functional.dropout` drops in every mode unless its `training` argument says otherwise (a module knows
# its mode from `self.training`). A plain Python list would hide the layers from PyTorch
# (`model.parameters()`, `model.eval()`, `model.to(device)`); `nn.ModuleList` registers them.

# %% nbgrader={"grade": false, "grade_id": "StackedLSTM", "locked": false, "schema_version": 3, "solution": true, "task": false}
class StackedLSTM(nn.Module):
    """num_layers one-layer LSTMs with dropout between them: nn.LSTM(..., num_layers, dropout=dropout)."""

    def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
        super().__init__()
        # Hint: layer 0 reads input_size features, every layer above reads hidden_size.
        ### BEGIN SOLUTION
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.layers = nn.ModuleList(nn.LSTM(size, hidden_size) for size in sizes)
        self.dropout = dropout
        ### END SOLUTION

    def forward(self, x):
        """x (seq, batch, feature) -> out (seq, batch, hidden), (h_n, c_n) each (layers, batch, hidden)."""
        ### BEGIN SOLUTION
        h_list, c_list = [], []
        out = x
        for l, layer in enumerate(self.layers):
            out, (h, c) = layer(out)
            h_list.append(h)
            c_list.append(c)
            if l < len(self.layers) - 1:   # between layers only, never after the top one
                out = nn.functional.dropout(out, p=self.dropout, training=self.training)
        return out, (torch.cat(h_list, dim=0), torch.cat(c_list, dim=0))
        ### END SOLUTION


# %%
# try it: the weights of `drop` (3 layers, dropout=0.5) in your stack, via your copy_layer
model = StackedLSTM(6, 5, num_layers=3, dropout=0.5)
for l in range(3):
    copy_layer(drop, l, model.layers[l])
drop.train()
model.train()
torch.manual_seed(1)
want, _ = drop(x)
torch.manual_seed(1)
got, _ = model(x)
print("train mode, same seed: same out as nn.LSTM?", torch.allclose(got, want, atol=1e-6))
model.eval()
print("eval mode: two runs equal?", torch.equal(model(x)[0], model(x)[0]))

# %% nbgrader={"grade": true, "grade_id": "test_stacked_lstm", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""StackedLSTM: equals nn.LSTM(num_layers=k, dropout=p) in eval and in train mode"""
from course_utils.checks import nb05

nb05.check_stacked_lstm(StackedLSTM)
### BEGIN HIDDEN TESTS
nb05.check_stacked_lstm(StackedLSTM, dropout=0.0)
nb05.check_stacked_lstm(StackedLSTM, input_size=5, hidden_size=5, num_layers=2, dropout=0.3)
nb05.check_stacked_lstm(StackedLSTM, input_size=2, hidden_size=6, num_layers=4, dropout=0.2, seq=3, batch=2)
nb05.check_stacked_lstm(StackedLSTM, num_layers=1, dropout=0.0, seq=1, batch=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. From Keras: `return_sequences`
#
# In Keras each LSTM layer is its own object, and `return_sequences` decides what it passes on:
# the whole output sequence (`True`) or only the last step (`False`, the default). A stack needs the
# whole sequence between layers, so `return_sequences=True` goes on every layer but the last. Here is
# the stacked forecaster of a well-known article on LSTM input shapes:
#
# ```python
# keras.Sequential([
#     keras.Input(shape=(50, 3)),                 # (timesteps, features); older code: input_shape=(50, 3)
#     keras.layers.LSTM(128, return_sequences=True),   # (samples, timesteps, features) -> all steps
#     keras.layers.LSTM(64),
#     keras.layers.Dense(1),
# ])
# ```
#
# | Keras | PyTorch |
# |---|---|
# | input (samples, timesteps, features) | `batch_first=True`, `x` (batch, seq, feature) |
# | `LSTM(n, return_sequences=True)` feeding the next LSTM | feed `out` (every step) to the next layer: what `nn.LSTM(num_layers=k)` does inside |
# | the last `LSTM(n)` (`return_sequences=False`) | `h_n[-1]`, equal to `out[:, -1]`: the top layer's last step |
# | `return_sequences=True` on the last layer too | use `out` (one output per step, e.g. tagging) |
# | `return_state=True` on `LSTM(n)` → also its final h and c, each (samples, n) | `h_n[-1]`, `c_n[-1]`, each (batch, hidden): one Keras layer is one layer, so no layers axis |
# | `LSTM(64, return_sequences=True)` then `LSTM(64)` | `nn.LSTM(feature, 64, num_layers=2, batch_first=True)`, then `h_n[-1]` |
# | `LSTM(128, ...)` then `LSTM(64)` (sizes differ) | two modules: every layer of one `nn.LSTM` has the same `hidden_size` |
# | `dropout=0.2` on an LSTM layer | **not** the same: Keras drops that layer's *inputs* (the first layer's too, with one mask for all steps); `nn.LSTM(dropout=)` drops only between its layers |
#
# The article's model in PyTorch, on our four weather days:

# %% tags=["nbval-check-output"]
class KerasStyleStack(nn.Module):
    """LSTM(128, return_sequences=True) -> LSTM(64) -> Dense(1), in PyTorch."""

    def __init__(self, feature):
        super().__init__()
        self.lstm1 = nn.LSTM(feature, 128, batch_first=True)   # return_sequences=True: pass every step up
        self.lstm2 = nn.LSTM(128, 64, batch_first=True)        # return_sequences=False: keep the last step
        self.head = nn.Linear(64, 1)

    def forward(self, x):
        seq1, _ = self.lstm1(x)              # (batch, seq, 128): the whole sequence goes up
        seq2, (h_n, c_n) = self.lstm2(seq1)  # h_n: (layers=1, batch, 64)
        return self.head(h_n[-1]), seq1, seq2, h_n   # the intermediate tensors too, to show their shapes


x_bf = x.transpose(0, 1)                    # (batch=4, seq=24, feature=6), Keras's layout
y, seq1, seq2, h_last = KerasStyleStack(feature=6)(x_bf)
cu.show_shapes(x=(x_bf, "batch seq feature"), seq1=(seq1, "batch seq hidden"),
               seq2=(seq2, "batch seq hidden"), h_n=(h_last, "layers batch hidden"), y=(y, "batch out"))
print("h_n[-1] == seq2[:, -1]:", torch.equal(h_last[-1], seq2[:, -1]))

# %% [markdown]
# **Forgetting `return_sequences=True`** makes Keras fail loudly (the next LSTM gets a 2-D input).
# Its PyTorch twin does not: feeding the last step `h_n[-1]`, shape (batch, hidden), to the next
# `nn.LSTM` runs, because a 2-D input is read as **one unbatched sequence** (seq, feature). The four
# days silently become four time steps of a single sequence:

# %% tags=["nbval-check-output"]
lower = nn.LSTM(6, 5, batch_first=True)
upper = nn.LSTM(5, 5, batch_first=True)
_, (h_lower, _) = lower(x_bf)
wrong, (h_wrong, _) = upper(h_lower[-1])    # (batch=4, hidden=5) read as (seq=4, feature=5)
print("out:", tuple(wrong.shape), " h_n:", tuple(h_wrong.shape), "<- no batch axis left")

# %% [markdown]
# ## Common mistakes, and what PyTorch says
#
# **Feeding `x` to a layer above the bottom one.** Layer 1 reads hidden = 5 numbers per step, `x` has 6:

# %% tags=["nbval-check-output"]
layer_1 = nn.LSTM(5, 5)                     # a layer above the bottom: reads hidden=5 numbers per step
try:
    layer_1(x)                               # x has feature=6
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# When feature happens to equal hidden, there is no error at all, just a different model: every
# layer then looks at the raw input instead of building on the layer below.
#
# **An initial state with one row for a 3-layer LSTM**, or laid out batch-first. `h0` and `c0` are
# (layers, batch, hidden), always:

# %% tags=["nbval-check-output"]
for shape in [(1, 4, 5), (4, 3, 5)]:
    try:
        lstm(x, (torch.zeros(shape), torch.zeros(shape)))
    except RuntimeError as err:
        print(f"h0 {shape}:  RuntimeError:", err)

# %% [markdown]
# **Asking a one-layer LSTM for `_l1`.** Its only layer is `_l0`:

# %% tags=["nbval-check-output"]
try:
    print(nn.LSTM(5, 5).weight_ih_l1)
except AttributeError as err:
    print("AttributeError:", err)

# %% [markdown]
# **Copying into a parameter without `torch.no_grad()`:**

# %% tags=["nbval-check-output"]
try:
    nn.LSTM(5, 5).weight_ih_l0.copy_(lstm.weight_ih_l1)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Joining the layers' states on the wrong axis** gives no error: `torch.cat(h_list, dim=2)` puts
# the three layers side by side in one row, (1, batch, 3 x hidden). `cu.check_shape` catches it:

# %% tags=["nbval-check-output"]
h_list = [h_n[l:l + 1] for l in range(3)]           # three rows of (1, batch=4, hidden=5)
side_by_side = torch.cat(h_list, dim=2)
try:
    cu.check_shape(side_by_side, "layers batch hidden", layers=3, batch=4, hidden=5, name="h_n")
except cu.ShapeError as err:
    print(err)
print("torch.cat(h_list, dim=0):", tuple(torch.cat(h_list, dim=0).shape))

# %% [markdown]
# **`dropout` with `num_layers=1`** warns and does nothing (section 5); **forgetting `model.eval()`**
# makes every prediction a random draw (section 5).
#
# ## Summary
#
# - `nn.LSTM(num_layers=k)` holds `weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l}` for each
#   layer l; `weight_ih_l0` reads the features of `x`, `weight_ih_l{l}` for l > 0 reads hidden numbers.
# - Layer l is exactly a one-layer `nn.LSTM` with those four tensors as `_l0`; layer l > 0 reads the
#   **output sequence** of layer l - 1. A manual stack with copied weights gives the same numbers.
# - `out` is the top layer's output; `h_n` and `c_n` are (layers, batch, hidden), `batch_first` or not:
#   `h_n[0]` is the bottom layer, `h_n[-1]` the top, and `h_n[-1] == out[-1]` (`out[:, -1]` batch-first).
# - `dropout=p` drops the outputs of layers 0 .. k - 2 on their way up, in train mode only: not `x`,
#   not the top layer's output, not `h_n`; with one layer it warns and does nothing.
# - Keras: `return_sequences=True` on all but the last layer is feeding `out` to the next layer; the
#   last layer's single output is `h_n[-1]`.
#
# ## Going further (not graded)
#
# - A hand-made stack can do what `nn.LSTM(num_layers=k)` cannot: a different hidden size per layer,
#   layer normalization between layers, or residual connections (`out = layer(out)[0] + out`, as in
#   Google's translation system GNMT, Wu et al. 2016). Try a residual `StackedLSTM`.
# - `nn.LSTM(..., proj_size=p)` projects each layer's h down to p numbers: look at `weight_ih_l1` and
#   `h_n` with `expected_shapes` and explain their shapes.
# - The same dropout mask at every time step ("variational" dropout, Gal & Ghahramani 2016) and dropout on
#   the recurrent connection are not built into `nn.LSTM`; write them into your `StackedLSTM`.
# - On a GPU with cuDNN, one `nn.LSTM(num_layers=k)` call is usually faster than k calls of one-layer
#   LSTMs: time both on the weather data with `device`.
