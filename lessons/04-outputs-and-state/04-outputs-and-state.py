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
# # 04 · Outputs and state
#
# **Know what each of `out, (h_n, c_n) = lstm(x)` holds, which one to use, and how to carry the state
# through a sequence too long to train on in one piece.**
#
# After this notebook you can:
#
# - say what `out`, `h_n` and `c_n` hold, and give their shapes in both layouts;
# - tell when `out[-1]` equals `h_n[-1]` and when it does not (`batch_first`, bidirectional,
#   padding), and which row of `h_n` is the last layer of a stack;
# - give an `nn.LSTM` its initial state `(h0, c0)` in the shape it wants;
# - run a year of hourly weather through an LSTM in chunks, carrying `(h, c)` with `.detach()`
#   (truncated backpropagation through time), and show that this gives the same numbers as one full
#   run while no gradient crosses a chunk boundary.
#
# **Prerequisites:** notebooks 01 to 03 (layouts, the LSTM cell). **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# Run All stops at the first exercise you have not written yet, with a one-line message that
# names it: write it, then run on from there.
#
# Axis names: **batch**, **seq** (steps), **feature** (numbers per step into the LSTM), **hidden**,
# **layers** (for `h_n` and `c_n`: layers x directions).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. Three things come back
#
# `nn.LSTM` returns `out, (h_n, c_n)`: one tensor, then a pair. Take a small LSTM in the default
# layout, which reads **(seq, batch, feature)**: 4 sequences of 7 steps, 3 numbers per step, hidden size 5.

# %% tags=["nbval-check-output"]
lstm = nn.LSTM(input_size=3, hidden_size=5)     # batch_first=False: (seq, batch, feature)
x = torch.randn(7, 4, 3)                        # (seq=7, batch=4, feature=3)
out, (h_n, c_n) = lstm(x)
cu.show_shapes(
    x=(x, "seq batch feature"),
    out=(out, "seq batch hidden"),
    h_n=(h_n, "layers batch hidden"),
    c_n=(c_n, "layers batch hidden"),
)

# %% [markdown]
# | name | shape | holds |
# |---|---|---|
# | `out` | **(seq, batch, hidden)** | the hidden state `h_t` of the **last layer** at **every step** t |
# | `h_n` | **(layers, batch, hidden)** | the hidden state after the **last step**, for **every layer** |
# | `c_n` | **(layers, batch, hidden)** | the **cell state** `c` after the last step, for every layer |
#
# `c` is the LSTM's memory; `h = o * tanh(c)` is what the cell shows of it (notebook 03). `out` holds
# `h` at every step and never `c`: the only place to get the final `c` is `c_n`. You need it to
# continue a sequence later (section 5).
#
# `course_utils.lstm.expected_shapes` says all of this before you run anything:

# %% tags=["nbval-check-output"]
from course_utils.lstm import expected_shapes

print(expected_shapes(lstm, x))

# %% [markdown]
# **Predict first:** `out[-1]` is the last step of `out`. Is it equal to `h_n[-1]`? To `c_n[-1]`?

# %% tags=["nbval-check-output"]
print("out[-1] == h_n[-1]:", torch.equal(out[-1], h_n[-1]))
print("out[-1] == c_n[-1]:", torch.equal(out[-1], c_n[-1]))

# %% [markdown]
# Equal to `h_n[-1]`, exactly: the last step's `h` is returned twice, once as the last row of `out`
# and once as `h_n`. And `h_n` really is `o * tanh(c_n)` at the last step, with the output gate `o`
# computed from the weights as in notebook 03 (PyTorch stacks the gates in the order i, f, g, o, so `o`
# is the last quarter of the rows; the gate at the last step reads `x[-1]` and the `h` of the step
# before, `out[-2]`):

# %% tags=["nbval-check-output"]
H = lstm.hidden_size
W_ih, W_hh = lstm.weight_ih_l0[3 * H:], lstm.weight_hh_l0[3 * H:]     # rows of the o gate
b = lstm.bias_ih_l0[3 * H:] + lstm.bias_hh_l0[3 * H:]
o = torch.sigmoid(x[-1] @ W_ih.T + out[-2] @ W_hh.T + b)               # out[-2]: h of step 5; o is (batch=4, hidden=5)
print("h_n[-1] == o * tanh(c_n[-1]):", torch.allclose(h_n[-1], o * torch.tanh(c_n[-1]), atol=1e-6))

# %% [markdown]
# ## 2. `batch_first` changes `x` and `out`, never `h_n` and `c_n`
#
# Build the same LSTM (same weights) with `batch_first=True` and feed it the same numbers as
# **(batch, seq, feature)**. Now the step axis of `out` is axis 1. **Predict first:** is `out_bf[-1]`
# still the last step?

# %% tags=["nbval-check-output"]
lstm_bf = nn.LSTM(input_size=3, hidden_size=5, batch_first=True)
lstm_bf.load_state_dict(lstm.state_dict())          # the same weights
x_bf = x.transpose(0, 1)                             # (batch=4, seq=7, feature=3), the same numbers
out_bf, (h_n_bf, c_n_bf) = lstm_bf(x_bf)
cu.show_shapes(
    x_bf=(x_bf, "batch seq feature"),
    out_bf=(out_bf, "batch seq hidden"),
    h_n_bf=(h_n_bf, "layers batch hidden"),
)
print("h_n_bf == h_n of the seq-first LSTM:", torch.allclose(h_n_bf, h_n))
print("out_bf[-1] has shape", tuple(out_bf[-1].shape), "= (seq, hidden): sequence 3, all 7 steps")

# %% [markdown]
# `h_n` is **(layers, batch, hidden)** in both layouts: `batch_first` does not apply to it.
# `out_bf[-1]` raises no error, but it is the wrong thing: the last *sequence* with all its steps.
#
# **A published mistake.** A widely read explanation of LSTM shapes runs this code and comments it
# "sequence length 5, batch size 3", printing `torch.Size([1, 3, 20])` for `hn`.
# **Predict first:** with `batch_first=True`, what are the batch and the shape of `hn`?

# %% tags=["nbval-check-output"]
lstm_article = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)
input_seq = torch.randn(5, 3, 10)          # the article says: "sequence length 5, batch size 3"
output, (hn, cn) = lstm_article(input_seq)
print(expected_shapes(lstm_article, input_seq))
print("hn.shape:", tuple(hn.shape))


# %% [markdown]
# With `batch_first=True`, axis 0 is the batch: PyTorch ran **5 sequences of 3 steps**, and `hn` is
# (1, 5, 20), not (1, 3, 20). The printed `output` shape (5, 3, 20) looks the same under either reading;
# `h_n`, whose axis 1 is always the batch, gives the layout away. When in doubt, print `h_n.shape`.
#
# ### Exercise 1: `last_output` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(seq, batch, hidden)** if not `batch_first`, else **(batch, seq, hidden)** | the first thing a one-layer `nn.LSTM` returns |
# | `batch_first` | bool | | how that LSTM was built |
# | returns | float tensor | **(batch, hidden)** | every sequence's output at its **last step** (equal to `h_n[-1]`) |

# %% nbgrader={"grade": false, "grade_id": "last_output", "locked": false, "schema_version": 3, "solution": true, "task": false}
def last_output(out, batch_first):
    """Every sequence's output at the last step, (batch, hidden), from out in either layout."""
    # Hint: the step axis is axis 1 when batch_first, else axis 0.
    ### BEGIN SOLUTION
    if batch_first:
        return out[:, -1]
    return out[-1]
    ### END SOLUTION


# %%
# try it: both layouts give h_n[-1]
last = last_output(out_bf, batch_first=True)
cu.show_shapes(last=(last, "batch hidden"))
print("batch-first: equal to h_n[-1]:", torch.equal(last, h_n_bf[-1]))
print("seq-first:   equal to h_n[-1]:", torch.equal(last_output(out, batch_first=False), h_n[-1]))

# %% nbgrader={"grade": true, "grade_id": "test_last_output", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""last_output: the last step of out, (batch, hidden), in both layouts"""
from course_utils.checks import nb04

nb04.check_last_output(last_output)
### BEGIN HIDDEN TESTS
nb04.check_last_output(last_output, batch=3, seq=2, feature=6, hidden=4)
nb04.check_last_output(last_output, batch=1, seq=5, feature=2, hidden=3)
nb04.check_last_output(last_output, batch=6, seq=1, feature=4, hidden=2)
nb04.check_last_output(last_output, batch=1, seq=1, feature=1, hidden=1)
### END HIDDEN TESTS

# %% [markdown]
# In words: the last step is index -1 of the **step** axis, `out[-1]` seq-first and `out[:, -1]`
# batch-first; for a one-layer, one-direction LSTM both equal `h_n[-1]`.

# %% [markdown]
# ## 3. When `out[-1]` is not `h_n[-1]`
#
# `out[-1] == h_n[-1]` holds for a **unidirectional LSTM on unpadded input** in the seq-first layout
# (`out[:, -1]` for batch-first), with any number of layers. A stack changes which row of `h_n` you
# want; a second direction and padding break the equality itself.
#
# ### Several layers: the first axis of `h_n` counts layers, not steps
#
# `out` holds the **last layer** only. `h_n` holds the final state of **every** layer, from the input
# up: `h_n[0]` is the first layer, `h_n[-1]` the last. So `out[-1]` still equals `h_n[-1]`, but not
# `h_n[0]`:

# %% tags=["nbval-check-output"]
lstm2 = nn.LSTM(input_size=3, hidden_size=5, num_layers=2)
out2, (h_n2, c_n2) = lstm2(x)
cu.show_shapes(out2=(out2, "seq batch hidden"), h_n2=(h_n2, "layers batch hidden"))
print("out2[-1] == h_n2[-1] (last layer): ", torch.equal(out2[-1], h_n2[-1]))
print("out2[-1] == h_n2[0]  (first layer):", torch.equal(out2[-1], h_n2[0]))

# %% [markdown]
# ### Bidirectional: the backward half of `out[-1]` has seen one step
#
# A bidirectional LSTM runs a second LSTM from the last step to the first, and puts both side by side
# in `out`: `out[..., :hidden]` forward, `out[..., hidden:]` backward. `h_n` gets one row per direction.
# The backward direction *ends* at step 0, so its final state is in `out[0]`, and the backward half of
# `out[-1]` is its state after reading **one** step. (Tutorials often take `out[:, -1]` as "the last
# hidden state": right for a unidirectional LSTM, wrong for the backward half of a bidirectional one.)

# %% tags=["nbval-check-output"]
lstm_bi = nn.LSTM(input_size=3, hidden_size=5, bidirectional=True)
out_bi, (h_n_bi, c_n_bi) = lstm_bi(x)
print("out_bi.shape:", tuple(out_bi.shape), "= (seq=7, batch=4, directions x hidden = 2 x 5)")
print("h_n_bi.shape:", tuple(h_n_bi.shape), " = (layers x directions = 1 x 2, batch=4, hidden=5)")
forward, backward = out_bi[..., :5], out_bi[..., 5:]
print("forward  half of out[-1] == h_n[-2] (forward, final): ", torch.equal(forward[-1], h_n_bi[-2]))
print("backward half of out[0]  == h_n[-1] (backward, final):", torch.equal(backward[0], h_n_bi[-1]))
print("backward half of out[-1] == h_n[-1]:                  ", torch.equal(backward[-1], h_n_bi[-1]))

# %% [markdown]
# Each step of `out_bi` has 10 numbers, the forward direction's 5 then the backward direction's 5;
# `h_n_bi` has 2 rows, forward then backward, for the one layer. For one summary vector per sequence use
# `torch.cat([h_n[-2], h_n[-1]], dim=-1)`, shape (batch, 2 x hidden). Notebook 06 is about this.
#
# ### Padding without packing: `h_n` has read the padding
#
# Sequences of different lengths are padded to one length (notebook 01). The LSTM does not know which
# steps are padding: it keeps updating its state over them. Zeros in do not mean "no change": the
# recurrent weights still act on `h_prev`, and the forget gate still scales `c` at every step, even in an
# LSTM without any bias (the next cell builds one with `bias=False`).
# The output you want is the one at each sequence's **last valid step**, `lengths - 1`:

# %% tags=["nbval-check-output"]
no_bias = nn.LSTM(input_size=3, hidden_size=5, bias=False)     # every bias 0: only weights are left
_, (h_real, c_real) = no_bias(x[:3])                              # 3 real steps
_, (h_more, c_more) = no_bias(torch.cat([x[:3], torch.zeros(4, 4, 3)]))   # then 4 steps of zeros
print("bias=False, 4 zero steps after the data: h_n changed:", not torch.allclose(h_more, h_real),
      "  c_n changed:", not torch.allclose(c_more, c_real))

# %% tags=["nbval-check-output"]
lengths = torch.tensor([7, 5, 3, 6])
x_pad = x.clone()
for i, n in enumerate(lengths):
    x_pad[n:, i] = 0.0                                   # padding after the real steps
out_p, (h_n_p, c_n_p) = lstm(x_pad)
last_valid = out_p[lengths - 1, torch.arange(4)]         # (batch=4, hidden=5)
print("unpacked: h_n[-1] == last valid output, per sequence:",
      [torch.equal(h, v) for h, v in zip(h_n_p[-1], last_valid, strict=True)])

packed = nn.utils.rnn.pack_padded_sequence(x_pad, lengths, enforce_sorted=False)
_, (h_n_packed, _) = lstm(packed)
print("packed:   h_n[-1] == last valid output, per sequence:",
      [torch.allclose(h, v, atol=1e-6) for h, v in zip(h_n_packed[-1], last_valid, strict=True)])


# %% [markdown]
# Only the full-length sequence agrees when the batch is not packed. Packed, the LSTM stops each
# sequence at its length, and `h_n[-1]` is the last valid output of every one. Notebook 07 goes into packing.
#
# ### Exercise 2: `final_hidden` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lstm` | `nn.LSTM` | | unidirectional, any `num_layers`, either `batch_first` |
# | `x` | float tensor | **(batch, seq, feature)** if `lstm.batch_first`, else **(seq, batch, feature)** | a batch of unpadded sequences |
# | returns | float tensor | **(batch, hidden)** | the hidden state of the **last layer** after the **last step** |
#
# Run the LSTM on `x` as it is: `x` is already in the layout `lstm` reads.

# %% nbgrader={"grade": false, "grade_id": "final_hidden", "locked": false, "schema_version": 3, "solution": true, "task": false}
def final_hidden(lstm, x):
    """The last layer's hidden state after the last step, (batch, hidden)."""
    # Hint: one row of h_n per layer, from the input up.
    ### BEGIN SOLUTION
    _, (h_n, _) = lstm(x)
    return h_n[-1]
    ### END SOLUTION


# %%
# try it on the two-layer LSTM of this section
h_last = final_hidden(lstm2, x)
cu.show_shapes(h_last=(h_last, "batch hidden"))
print(torch.equal(h_last, out2[-1]))

# %% nbgrader={"grade": true, "grade_id": "test_final_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""final_hidden: h_n[-1], the last layer, not the first layer or the cell state"""
from course_utils.checks import nb04

nb04.check_final_hidden(final_hidden)
### BEGIN HIDDEN TESTS
nb04.check_final_hidden(final_hidden, num_layers=1, batch_first=False)
nb04.check_final_hidden(final_hidden, batch=3, seq=2, feature=6, hidden=4, num_layers=3, batch_first=False)
nb04.check_final_hidden(final_hidden, batch=1, seq=5, feature=2, hidden=3, num_layers=2, batch_first=True)
nb04.check_final_hidden(final_hidden, batch=6, seq=1, feature=4, hidden=2, num_layers=1, batch_first=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The initial state `(h0, c0)`
#
# `lstm(x)` starts every sequence from `h = 0` and `c = 0`. You can pass a start state yourself,
# `lstm(x, (h0, c0))`: an encoder's final state for a decoder (notebook 08), or the state a previous
# chunk of the same sequence ended with (section 5). Its shape is the shape of `(h_n, c_n)`:
# **(layers x directions, batch, hidden)**, also when the LSTM was built with `batch_first=True`.

# %% tags=["nbval-check-output"]
h0 = torch.zeros(1, 4, 5)                       # (layers=1, batch=4, hidden=5), not (batch, layers, hidden)
c0 = torch.zeros(1, 4, 5)
out_z, (h_n_z, c_n_z) = lstm_bf(x_bf, (h0, c0))
cu.show_shapes(x_bf=(x_bf, "batch seq feature"), h0=(h0, "layers batch hidden"), c0=(c0, "layers batch hidden"))
print("zeros passed == nothing passed:", torch.equal(out_z, out_bf))

# %% [markdown]
# Give the state in the LSTM's layout and PyTorch says exactly what it wanted:

# %% tags=["nbval-check-output"]
try:
    lstm_bf(x_bf, (torch.zeros(4, 1, 5), torch.zeros(4, 1, 5)))      # batch first: wrong for h0
except RuntimeError as err:
    print("RuntimeError:", err)


# %% [markdown]
# ### Exercise 3: `init_state` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lstm` | `nn.LSTM` | | any `num_layers`, `bidirectional`, `batch_first`, dtype |
# | `batch` | int | | sequences in the batch |
# | returns | pair `(h0, c0)` | each **(layers x directions, batch, hidden)** | zeros, on the same dtype and device as `lstm`'s weights |
#
# `lstm.num_layers`, `lstm.bidirectional`, `lstm.hidden_size` and `lstm.weight_ih_l0` (for `.dtype`
# and `.device`) have what you need. `lstm(x, init_state(lstm, batch))` must give what `lstm(x)` gives.
# The check also moves the LSTM to another device, so a state always made on the CPU fails.

# %% nbgrader={"grade": false, "grade_id": "init_state", "locked": false, "schema_version": 3, "solution": true, "task": false}
def init_state(lstm, batch):
    """Zero (h0, c0) for lstm, each (layers x directions, batch, hidden), on lstm's dtype and device."""
    # Hint: batch_first never changes the shape of the state.
    ### BEGIN SOLUTION
    directions = 2 if lstm.bidirectional else 1
    weight = lstm.weight_ih_l0
    shape = (lstm.num_layers * directions, batch, lstm.hidden_size)
    h0 = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
    c0 = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
    return h0, c0
    ### END SOLUTION


# %%
# try it: a two-layer bidirectional batch-first LSTM
lstm_try = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
h0, c0 = init_state(lstm_try, batch=4)
cu.show_shapes(h0=(h0, "layers batch hidden"), c0=(c0, "layers batch hidden"))
print(torch.equal(lstm_try(x_bf, (h0, c0))[0], lstm_try(x_bf)[0]))

# %% nbgrader={"grade": true, "grade_id": "test_init_state", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""init_state: zeros (layers x directions, batch, hidden), whatever batch_first says"""
import torch

from course_utils.checks import nb04

nb04.check_init_state(init_state)
### BEGIN HIDDEN TESTS
nb04.check_init_state(init_state, num_layers=2, bidirectional=True)
nb04.check_init_state(init_state, batch=3, feature=6, hidden=4, num_layers=3, batch_first=False)
nb04.check_init_state(init_state, batch=1, feature=2, hidden=7, bidirectional=True, batch_first=False)
nb04.check_init_state(init_state, batch=6, hidden=2, dtype=torch.float64)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A long sequence, in chunks
#
# Real data: 8,730 consecutive hours of 2013 (1 January to 30 December) at New York's JFK airport,
# 6 measurements per hour. Each column gets
# mean 0 and standard deviation 1, so no measurement dominates because of its unit. Notebook 02 said to
# take the mean and standard deviation from the training hours only; here we use the whole year, which is
# acceptable because nothing in this notebook is measured on held-out hours: the training below only shows
# how the state is carried, and its error is on the hours it trains on. Notebook 11, which tests a
# forecaster, fits them on the training hours.

# %% tags=["nbval-check-output"]
times, values = cu.data.hourly_weather("JFK")
print(len(times), "hours, from", times[0], "to", times[-1])
print("columns:", cu.data.WEATHER_COLUMNS)
series = (values - values.mean(dim=0)) / values.std(dim=0)      # normalize each column
cu.show_shapes(series=(series, "seq feature"))
print("means ~ 0:", bool(series.mean(dim=0).abs().max() < 1e-3), "  stds ~ 1:", bool((series.std(dim=0) - 1).abs().max() < 1e-3))

# %% [markdown]
# One sequence of 8,730 steps. To use a batch, cut the year into 5 consecutive pieces ("streams"), one
# per row: row 0 is hours 0 to 1745, row 1 hours 1746 to 3491, and so on. (A `reshape` is right here:
# it cuts the time axis into pieces that stay in order. Compare notebook 02, where `view` mixed up
# sequences.)

# %% tags=["nbval-check-output"]
batch = 5
steps = len(series) // batch                                        # 1746 hours per stream
streams = series[: batch * steps].reshape(batch, steps, 6)          # (batch=5, seq=1746, feature=6)
cu.show_shapes(streams=(streams, "batch seq feature"))
print("row 1 starts where row 0 ends:", torch.equal(streams[1, 0], series[steps]))

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 2.5))
for i in range(batch):
    hours = range(i * steps, (i + 1) * steps)
    ax.plot(hours, streams[i, :, 0], lw=0.6, label=f"row {i}")
ax.set_xlabel("hour of 2013")
ax.set_ylabel("temperature (normalized)")
ax.legend(ncol=5, fontsize=8, loc="lower center")
plt.show()

# %% [markdown]
# ### Why chunks?
#
# You could backpropagate through all 1,746 steps at once, but:
#
# - autograd keeps every step's activations until `backward()`, so memory grows with the length;
# - the gradient passes through 1,746 steps of multiplications, where it fades or explodes;
# - the weights change once per pass over the year, instead of once per week.
#
# **Truncated backpropagation through time** (truncated BPTT) cuts the sequence into chunks, say one
# week (168 hours). The *forward* pass still runs through the whole sequence: each chunk starts from the
# `(h, c)` the previous chunk ended with. The *backward* pass stays inside a chunk: before a chunk
# uses the state, `.detach()` cuts it off from the graph of the chunks before.
#
# First the forward pass. **Predict first:** do 11 chunks, each started from the last chunk's state,
# give exactly the numbers of one full run?

# %% tags=["nbval-check-output"]
cu.set_seed(0)
lstm_w = nn.LSTM(input_size=6, hidden_size=16, batch_first=True)
with torch.no_grad():
    out_full, (h_full, c_full) = lstm_w(streams)            # one run over all 1746 steps

chunk = 168                                                 # one week of hours
state = None                                                # None: start from zeros
outs = []
with torch.no_grad():
    for start in range(0, steps, chunk):
        out_k, state = lstm_w(streams[:, start:start + chunk], state)
        outs.append(out_k)
out_chunked = torch.cat(outs, dim=1)                        # steps are axis 1 (batch_first)
print(len(outs), "chunks; the last one has", outs[-1].shape[1], "steps")
cu.show_shapes(out_chunked=(out_chunked, "batch seq hidden"), h_n=(state[0], "layers batch hidden"))
print("chunked outputs == full run:", torch.allclose(out_chunked, out_full, atol=1e-6))
print("final h_n equal:", torch.allclose(state[0], h_full, atol=1e-6), "  final c_n equal:", torch.allclose(state[1], c_full, atol=1e-6))


# %% [markdown]
# Yes: carrying `(h, c)` makes the chunks one continuous run. Carry less, and the numbers change from
# chunk 1 on:

# %% tags=["nbval-check-output"]
def run_chunks(carry):
    state, outs = None, []
    with torch.no_grad():
        for start in range(0, steps, chunk):
            out_k, (h, c) = lstm_w(streams[:, start:start + chunk], state)
            outs.append(out_k)
            state = carry(h, c)
    return torch.cat(outs, dim=1)


def same_first_week(out):
    return torch.allclose(out[:, :chunk], out_full[:, :chunk], atol=1e-6)


for name, carry in [("(h, c) carried   ", lambda h, c: (h, c)),
                    ("state reset       ", lambda h, c: None),
                    ("only h carried    ", lambda h, c: (h, torch.zeros_like(c)))]:
    out_try = run_chunks(carry)
    print(name, "first week equal:", same_first_week(out_try), "  whole year equal:", torch.allclose(out_try, out_full, atol=1e-6))


# %% [markdown]
# ### What `.detach()` does
#
# `h.detach()` is the same numbers with no history: `requires_grad` is False and `grad_fn` is None,
# so a backward pass stops there. To see where gradients go, run 3 chunks on an input that records its
# gradient, backpropagate the **last** chunk's output only, and ask which chunks of the input got a gradient.
# **Predict first** for both cases.

# %% tags=["nbval-check-output"]
def chunks_reached(detach, n_chunks=3):
    x_watch = streams[:, : n_chunks * chunk].clone().requires_grad_(True)
    state = None
    for start in range(0, n_chunks * chunk, chunk):
        if detach and state is not None:
            state = (state[0].detach(), state[1].detach())
        out_k, state = lstm_w(x_watch[:, start:start + chunk], state)
    out_k.sum().backward()                                    # the last chunk's "loss"
    return [bool(x_watch.grad[:, s:s + chunk].abs().max() > 0) for s in range(0, n_chunks * chunk, chunk)]

print("without detach, gradient reaches chunks:", chunks_reached(detach=False))
print("with detach,    gradient reaches chunks:", chunks_reached(detach=True))
_, (h, c) = lstm_w(streams[:, :chunk])                        # a state with a graph behind it
print("h:          requires_grad", h.requires_grad, "  has grad_fn", h.grad_fn is not None)
print("h.detach(): requires_grad", h.detach().requires_grad, "  has grad_fn", h.detach().grad_fn is not None,
      "  same numbers", torch.equal(h.detach(), h))


# %% [markdown]
# Without `.detach()` the last chunk's loss sends gradient back through every earlier chunk: the graph
# keeps growing with the sequence, which is what truncation was meant to avoid (and, in a training loop,
# the second `backward()` fails: see *Common mistakes*). With it, the gradient stays in its own chunk,
# while the forward numbers are the same, as shown above.
#
# A widely read article says the returned states "should be used to initialize the LSTM for
# processing the next batch". Two conditions: **detach** them, and do it only when row `i` of the next
# batch **continues** row `i` of this one, as our streams do. With shuffled, unrelated batches, start
# from zeros.
#
# ### Exercise 4: `run_in_chunks` (3 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `lstm` | `nn.LSTM` built with `batch_first=True` | | unidirectional, any `num_layers` |
# | `x` | float tensor | **(batch, seq, feature)** | long sequences |
# | `chunk` | int | | steps per chunk; the last chunk may be shorter |
# | `state` | `None` or a pair `(h0, c0)` | each **(layers, batch, hidden)** | where the first chunk starts (`None`: zeros) |
# | returns `out` | float tensor | **(batch, seq, hidden)** | the chunks' outputs side by side: equal to `lstm(x, state)[0]` |
# | returns `(h_n, c_n)` | pair of float tensors | each **(layers, batch, hidden)** | the state after the last step: equal to `lstm(x, state)[1]` |
#
# Each chunk starts from the state the chunk before ended with, **detached**, so a loss on one chunk
# sends no gradient into earlier chunks. Keep the graph of each chunk's own outputs (no
# `torch.no_grad()`, no `out.detach()`): training needs it.

# %% nbgrader={"grade": false, "grade_id": "run_in_chunks", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_in_chunks(lstm, x, chunk, state=None):
    """Run a batch_first lstm over x (batch, seq, feature) chunk steps at a time; carry (h, c) detached."""
    # Hint: range() takes a step; slice the steps axis per chunk; detach (h, c) before passing them on;
    # Hint: torch.cat joins the chunks' outputs along the steps axis.
    ### BEGIN SOLUTION
    outs = []
    for begin in range(0, x.shape[1], chunk):
        out_k, (h, c) = lstm(x[:, begin:begin + chunk], state)
        outs.append(out_k)
        state = (h.detach(), c.detach())
    return torch.cat(outs, dim=1), (h, c)
    ### END SOLUTION


# %%
# try it on the year of weather: the same as one full run
out_c, (h_c, c_c) = run_in_chunks(lstm_w, streams, chunk=168)
cu.show_shapes(out_c=(out_c, "batch seq hidden"), h_c=(h_c, "layers batch hidden"), c_c=(c_c, "layers batch hidden"))
print(torch.allclose(out_c, out_full, atol=1e-6), torch.allclose(h_c, h_full, atol=1e-6), torch.allclose(c_c, c_full, atol=1e-6))

# %% nbgrader={"grade": true, "grade_id": "test_run_in_chunks", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""run_in_chunks: equal to one full run; the carried state is detached (no gradient across chunks)"""
from course_utils.checks import nb04

nb04.check_run_in_chunks(run_in_chunks)
### BEGIN HIDDEN TESTS
nb04.check_run_in_chunks(run_in_chunks, with_state=True)
nb04.check_run_in_chunks(run_in_chunks, batch=3, seq=12, feature=2, hidden=6, chunk=4, num_layers=2)
nb04.check_run_in_chunks(run_in_chunks, batch=1, seq=5, feature=4, hidden=3, chunk=1, with_state=True)
nb04.check_run_in_chunks(run_in_chunks, batch=2, seq=3, feature=1, hidden=2, chunk=8)
nb04.check_run_in_chunks(run_in_chunks, batch=5, seq=10, feature=2, hidden=3, chunk=3, num_layers=2,
                         with_state=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Training with truncated BPTT
#
# The same loop, now with a loss and an optimizer step per chunk. The task: from this hour's 6
# measurements (and the state, which has read all hours before), predict the temperature 6 hours
# ahead. The targets are the inputs shifted by 6 steps. One pass over the year is 11 weekly updates.

# %%
import torch.nn.functional as F


class Forecaster(nn.Module):
    def __init__(self, feature=6, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(feature, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)         # out (batch, seq, hidden)
        return self.head(out), state            # (batch, seq, 1), (h_n, c_n)


ahead = 6
inputs = streams[:, :-ahead].to(device)                 # (batch=5, seq=1740, feature=6)
targets = streams[:, ahead:, :1].to(device)             # (batch=5, seq=1740, 1): temperature 6 h later
cu.set_seed(0)
model = Forecaster().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(8):
    state, total = None, 0.0                              # each pass over the year starts from zeros
    for start in range(0, inputs.shape[1], chunk):
        if state is not None:
            state = (state[0].detach(), state[1].detach())  # truncate: no gradient into last week
        pred, state = model(inputs[:, start:start + chunk], state)
        loss = F.mse_loss(pred, targets[:, start:start + chunk])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * pred.shape[1]
    print(f"epoch {epoch}: mean squared error {total / inputs.shape[1]:.3f}")

persistence = F.mse_loss(inputs[..., :1], targets).item()   # "in 6 hours it will be as warm as now"
print(f"persistence baseline: {persistence:.3f}")

# %% [markdown]
# After a few passes the LSTM beats the persistence baseline on the year it trained on (notebook 11
# holds data out to measure this honestly). The chunks must come in order, row for row: shuffle them
# and the carried state belongs to another week.
#
# ## Common mistakes, and what PyTorch says
#
# **Forgetting `.detach()` in a training loop.** The first chunk trains; the second `backward()` tries
# to go back through the first chunk's graph, which the first `backward()` already freed:

# %% tags=["nbval-check-output"]
model_nd = Forecaster()
opt_nd = torch.optim.Adam(model_nd.parameters(), lr=1e-2)
state = None
try:
    for start in range(0, 3 * chunk, chunk):
        pred, state = model_nd(streams[:, start:start + chunk], state)        # state NOT detached
        loss = F.mse_loss(pred, streams[:, start + ahead:start + chunk + ahead, :1])
        opt_nd.zero_grad()
        loss.backward()
        opt_nd.step()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **"Fixing" it with `retain_graph=True`.** Now the second `backward()` goes through the first chunk
# again, whose weights `optimizer.step()` has changed in place since: another error (and memory that
# grows every chunk). The fix is `.detach()`, not `retain_graph`.

# %% tags=["nbval-check-output"]
model_nd = Forecaster()
opt_nd = torch.optim.Adam(model_nd.parameters(), lr=1e-2)
state = None
try:
    for start in range(0, 3 * chunk, chunk):
        pred, state = model_nd(streams[:, start:start + chunk], state)
        loss = F.mse_loss(pred, streams[:, start + ahead:start + chunk + ahead, :1])
        opt_nd.zero_grad()
        loss.backward(retain_graph=True)
        opt_nd.step()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(". Hint")[0])

# %% [markdown]
# **The state as one tensor.** An `nn.LSTM` takes its state as a *pair*; `h0` alone gives an
# unhelpful message:

# %% tags=["nbval-check-output"]
h0, c0 = torch.zeros(1, 4, 5), torch.zeros(1, 4, 5)
try:
    lstm_bf(x_bf, h0)                   # should be (h0, c0)
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# **Dropping the batch axis of the state.** A (layers, hidden) state goes with one unbatched sequence only:

# %% tags=["nbval-check-output"]
try:
    lstm_bf(x_bf, (h0[:, 0], c0[:, 0]))  # (layers=1, hidden=5): no batch axis
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Silent ones, no error at all:** `out[-1]` on a batch-first `out` (the last sequence, not the last
# step); `h_n[0]` for the last layer of a stacked LSTM (it is the first layer); `out[-1]` of a
# bidirectional LSTM as a summary (its backward half has read one step); `h_n` of a padded, unpacked
# batch (it has read the padding); `c_n` where `h_n` was meant. Print shapes with names, and compare
# with `h_n[-1]` when you are unsure.
#
# ## Summary
#
# - `out, (h_n, c_n) = lstm(x)`: `out` is the last layer's `h` at every step, (seq, batch, hidden) or
#   (batch, seq, hidden); `h_n` and `c_n` are the final `h` and `c` of every layer and direction,
#   **(layers x directions, batch, hidden)** for a batch, whatever `batch_first` says (an unbatched
#   input drops the batch axis; with `proj_size=p`, `h_n` ends in p: notebook 02 prints both).
# - `out[-1]` (seq-first) or `out[:, -1]` (batch-first) equals `h_n[-1]` for a unidirectional LSTM
#   on unpadded input, with any number of layers (`h_n[0]` of a stack is the first layer, not the last).
#   Not for: the backward half of a bidirectional `out[-1]`, padded batches without packing.
# - `(h0, c0)` default to zeros and have the shape of `(h_n, c_n)`, whatever `batch_first` says.
# - Truncated BPTT: run a long sequence in chunks, each started from the last chunk's
#   `(h.detach(), c.detach())`. The forward numbers equal one full run; gradients stay inside a chunk.
#
# ## Going further (not graded)
#
# - **A learned initial state:** `self.h0 = nn.Parameter(torch.zeros(layers, 1, hidden))`, then
#   `self.h0.expand(-1, batch, -1).contiguous()` (same for `c0`).
# - **`proj_size`:** with `nn.LSTM(..., proj_size=p)`, `h0` and `h_n` have `p` features while
#   `c0` and `c_n` keep `hidden_size`. Check it with `expected_shapes`.
# - **Keras:** `stateful=True` is this section 5: the state of batch row `i` carries over to row `i`
#   of the next batch (and Keras, too, backpropagates only within a batch).
# - Try `chunk = 24` and `chunk = 720` in section 6: how do the speed of training and the final error change?
# - `nn.GRU` has no cell state: its state is one tensor `h`, so it is `out, h_n = gru(x)` and `gru(x, h0)`.
