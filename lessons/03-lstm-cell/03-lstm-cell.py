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
# # 03 · The LSTM cell
#
# **Open the box: build the four gates of an LSTM yourself and prove that they equal PyTorch's, number for number.**
#
# After this notebook you can:
#
# - name the four gates i, f, g, o, their activations, and what each one does to the cell state `c` and the hidden state `h`;
# - find each gate's rows in `W_ih`, `W_hh`, `b_ih`, `b_hh` (PyTorch stacks them in the order **i, f, g, o**);
# - write one LSTM step and show that it equals `nn.LSTMCell` in values *and* gradients;
# - unroll it over time and match a one-layer `nn.LSTM`, including `h_n` and `c_n`;
# - set the forget-gate bias of a real `nn.LSTM`, and read a picture of the gates over a real sentence.
#
# **Prerequisites:** notebooks 01 and 02 (the layout `(seq, batch, feature)`), matrix multiplication with `@`,
# the functions sigmoid and tanh. **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# Run All stops at the first exercise you have not written yet, with a one-line message that
# names it: write it, then run on from there.
# `python -m course_utils check notebooks/03-lstm-cell/03-lstm-cell.ipynb` grades your saved notebook
# from a terminal.
#
# Axis names used everywhere in this course: **batch** (sequences in a batch), **seq** (steps per sequence),
# **feature** (numbers per step going into the LSTM), **hidden** (size of `h` and `c`), **gates** (the four
# gates stacked, 4 × hidden), **layers**.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## Why LSTMs exist
#
# A plain recurrent network, `nn.RNN`, computes `h_t = tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)`:
# every step multiplies the state by `W_hh` and squashes it. Training needs the gradient of the loss with
# respect to *early* steps, and on its way back that gradient is multiplied, step after step, by `W_hh` and by
# tanh's slope (at most 1). Unless those products stay near 1, it shrinks geometrically: the network cannot
# learn that something at step 0 matters for the output at step 59.
#
# Measure it. Feed one sequence of 60 steps to an `nn.RNN` and to an `nn.LSTM`, take the output of the last
# step only, and ask how large the gradient is at each input step `x_t`. The third model is the same
# `nn.LSTM` with its forget-gate bias set to 3 (so f ≈ sigmoid(3) ≈ 0.95): what a trained LSTM learns when
# it has to remember, and what you will set yourself in exercise 4.

# %% tags=["nbval-check-output"]
import math

import matplotlib.pyplot as plt

from course_utils import plots

steps, n_in, n_hid = 60, 4, 16          # a long sequence; small sizes
x_long = torch.randn(steps, 1, n_in, generator=torch.Generator().manual_seed(0))   # (seq, batch=1, feature)


def gradient_reach(model):
    """|d out[-1].sum() / d x_t| for every step t: how much of the gradient reaches step t."""
    x = x_long.clone().requires_grad_(True)
    out, _ = model(x)
    out[-1].sum().backward()
    return x.grad.norm(dim=(1, 2))                                       # (seq,)


torch.manual_seed(0)
rnn = nn.RNN(n_in, n_hid)
torch.manual_seed(0)
lstm_demo = nn.LSTM(n_in, n_hid)
torch.manual_seed(0)
lstm_open = nn.LSTM(n_in, n_hid)
with torch.no_grad():                                                    # forget rows: hidden:2*hidden
    lstm_open.bias_ih_l0[n_hid:2 * n_hid] = 3.0
    lstm_open.bias_hh_l0[n_hid:2 * n_hid] = 0.0
reach = {"nn.RNN": gradient_reach(rnn), "nn.LSTM as built (f about 0.5)": gradient_reach(lstm_demo),
         "nn.LSTM, forget bias 3 (f about 0.95)": gradient_reach(lstm_open)}
for name, g in reach.items():
    print(f"{name:38} gradient at step 0 / at step {steps - 1}: 1e{math.floor(math.log10(g[0] / g[-1]))}")
first = {name: g[0] / g[-1] for name, g in reach.items()}
assert first["nn.RNN"] < 1e-15 and first["nn.LSTM as built (f about 0.5)"] < 1e-12   # the numbers the text quotes
assert first["nn.LSTM, forget bias 3 (f about 0.95)"] > 0.1

# %%
fig = plots.gradient_reach(reach)
plt.show()

# %% [markdown]
# Read the plot from right to left, as the gradient travels. For the RNN it falls steadily: at step 0 it is
# about 10⁻¹⁶ of its size at step 59, far too small to teach anything. The LSTM as built is hardly better
# (about 10⁻¹³): its cell state is scaled by f at every step, and a fresh LSTM has f ≈ 0.5, so an LSTM is
# not immune by construction. But f is a *gate*, computed from the input, not a fixed matrix: once f is near 1
# (here through its bias), the gradient along the cell state is kept, and step 0 gets about as much as step 59.
# That path, `c_t = f * c_prev + i * g`, is an element-wise product and an addition, not a matrix product
# followed by a squashing function. The picture shows it along the top:

# %%
fig = plots.lstm_cell()
plt.show()

# %% [markdown]
# ## 1. Two states, four gates
#
# An LSTM reads a sequence one step at a time and carries two vectors from step to step, both of size hidden:
#
# - the **cell state** `c`: the memory. It changes only by being scaled down and added to, which lets it keep
#   information (and let gradients through) for many steps;
# - the **hidden state** `h`: what the cell shows the outside world at each step: `out[t]` of `nn.LSTM` is `h_t`.
#
# At every step, four vectors are computed from the input `x_t` and the previous hidden state `h_prev`.
# These are PyTorch's documented equations for `nn.LSTM` and `nn.LSTMCell`, in PyTorch's order:
#
# | | name | computed as | range | its job |
# |---|---|---|---|---|
# | `i` | input gate | sigmoid(rows of i) | 0 … 1 | how much of the candidate to write |
# | `f` | forget gate | sigmoid(rows of f) | 0 … 1 | how much of the old memory to keep |
# | `g` | cell candidate | **tanh**(rows of g) | −1 … 1 | what to write: new content, positive or negative |
# | `o` | output gate | sigmoid(rows of o) | 0 … 1 | how much of the memory to show as `h` |
#
# where "rows of i" is that gate's share of `x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh`. Then:
#
# ```
# c_t = f * c_prev + i * g        # keep some old memory, write some new content
# h_t = o * tanh(c_t)             # show a squashed, gated copy of the memory
# ```
#
# `*` is element-wise. Articles often say "an LSTM has three gates: forget, input and output". The gates are
# three, but the weights hold **four** blocks: the cell candidate `g` is the fourth, and it uses **tanh**, not
# sigmoid. PyTorch's documentation calls it the "cell gate". With a sigmoid there, the cell could never write a
# negative value: `i * g` would be ≥ 0 at every step, so a cell that starts at 0 stays ≥ 0 (it still shrinks,
# through f < 1, but it can never turn negative). The cell below runs 200 random steps both ways. Leaving `g`
# out, or giving it a sigmoid, is a classic bug in hand-written LSTMs.
#
# ## 2. Where the gates live in the weights
#
# `nn.LSTMCell(input_size, hidden_size)` does one step. Its four weight tensors hold all four gates, stacked:

# %% tags=["nbval-check-output"]
gen = torch.Generator().manual_seed(0)
pre = torch.randn(200, 4, 3, generator=gen) * 3      # (steps, gates i f g, hidden=3): random pre-activations
for name, candidate in [("tanh", torch.tanh), ("sigmoid", torch.sigmoid)]:
    c, lowest = torch.zeros(3), torch.zeros(3)
    for step in pre:
        c = torch.sigmoid(step[1]) * c + torch.sigmoid(step[0]) * candidate(step[2])
        lowest = torch.minimum(lowest, c)
    print(f"candidate g = {name:7}: lowest value of c over 200 steps {lowest.min().item():+.2f}")
    assert (lowest.min() < 0) == (name == "tanh")

# %% tags=["nbval-check-output"]
feature, hidden = 3, 5
cell = nn.LSTMCell(input_size=feature, hidden_size=hidden)
cu.show_shapes(
    weight_ih=(cell.weight_ih, "gates feature"),
    weight_hh=(cell.weight_hh, "gates hidden"),
    bias_ih=(cell.bias_ih, "gates"),
    bias_hh=(cell.bias_hh, "gates"),
)

# %% [markdown]
# The first axis has 4 × hidden = 20 rows: five rows per gate, in the order **i, f, g, o**:
#
# | rows | gate |
# |---|---|
# | `0:hidden` (0:5) | i, input gate |
# | `hidden:2*hidden` (5:10) | f, forget gate |
# | `2*hidden:3*hidden` (10:15) | g, cell candidate |
# | `3*hidden:4*hidden` (15:20) | o, output gate |
#
# So one matrix multiply per weight computes all four gates at once, and `.chunk(4, dim=1)` cuts the result
# into i, f, g, o, four blocks of columns, each (batch, hidden):

# %% tags=["nbval-check-output"]
batch = 4
x_t = torch.randn(batch, feature)
h_prev, c_prev = torch.randn(batch, hidden).tanh(), torch.randn(batch, hidden)
from_x = x_t @ cell.weight_ih.T              # (batch, feature) @ (feature, gates): one product, four gates
i_x, f_x, g_x, o_x = from_x.chunk(4, dim=1)  # column blocks 0:5, 5:10, 10:15, 15:20
cu.show_shapes(x_t=(x_t, "batch feature"), h_prev=(h_prev, "batch hidden"), c_prev=(c_prev, "batch hidden"),
               from_x=(from_x, "batch gates"), i_x=(i_x, "batch hidden"), f_x=(f_x, "batch hidden"),
               g_x=(g_x, "batch hidden"), o_x=(o_x, "batch hidden"))

# %% [markdown]
# Keras uses the same order (it calls g "c") but stores the weights transposed, one *column* per output, with a
# single bias, and by default (`unit_forget_bias=True`) that bias starts at 1 on the forget rows. TensorFlow 1's
# `LSTMCell` used the order i, j, f, o (j is the candidate) and adds `forget_bias=1.0` to the forget gate inside
# the forward pass: a constant stored in no weight. So weights copied between libraries must be reordered and
# transposed; a single Keras bias goes into `b_ih` with `b_hh` zero; and from TF1 add the 1.0 to the forget
# rows yourself, or the copy forgets faster than the original.
#
# `nn.LSTM` holds the same four tensors for each layer, with the suffix `_l0`, `_l1`, ...
#
# **Predict first:** how many numbers does `nn.LSTM(input_size=3, hidden_size=5)` learn? Count the four tensors above.

# %% tags=["nbval-check-output"]
lstm = nn.LSTM(input_size=feature, hidden_size=hidden)
for name, p in lstm.named_parameters():
    print(f"{name:13} {tuple(p.shape)}")
print("parameters:", sum(p.numel() for p in lstm.parameters()), "= 4 * hidden * (feature + hidden) + 2 * 4 * hidden")

# %% [markdown]
# Why two biases, `b_ih` and `b_hh`, when they are simply added? For compatibility with cuDNN, NVIDIA's library,
# which has both. Only their sum matters, as you will see in exercise 4.
#
# ## 3. Pin a gate open or shut
#
# The order i, f, g, o is a fact you can check on PyTorch itself. Take one gate's rows, set its weights to 0 and
# its bias to +50 or −50: since sigmoid(50) is 1 and sigmoid(−50) is about 2·10⁻²², that gate is then fully
# open or fully shut, whatever the input.

# %%
import copy

GATE_ROWS = {"i": 0, "f": 1, "g": 2, "o": 3}     # block k holds rows k*hidden:(k+1)*hidden


def pinned(cell, gate, bias):
    """A copy of an nn.LSTMCell whose gate ('i', 'f', 'g' or 'o') has weights 0 and the given bias."""
    new = copy.deepcopy(cell)
    k, n = GATE_ROWS[gate], cell.hidden_size
    rows = slice(k * n, (k + 1) * n)
    with torch.no_grad():
        new.weight_ih[rows] = 0
        new.weight_hh[rows] = 0
        new.bias_ih[rows] = bias
        new.bias_hh[rows] = 0
    return new


# %% [markdown]
# **Predict first:** with the forget gate fully open (f = 1) and the input gate shut (i = 0), what is `c_t`?

# %% tags=["nbval-check-output"]
keeper = pinned(pinned(cell, "f", +50.0), "i", -50.0)
h_t, c_t = keeper(x_t, (h_prev, c_prev))
print("c_t equals c_prev:", torch.allclose(c_t, c_prev))

# %% [markdown]
# `c_t = 1 * c_prev + 0 * g = c_prev`: the memory passes through the step unchanged, whatever `x_t` says. An
# LSTM that learns f ≈ 1 and i ≈ 0 can carry a number across hundreds of steps, and the gradient flows back along
# `c` just as unchanged; that is what the cell state is for.
#
# The other way round, forget gate shut and input gate open: `c_t = g`, so the old memory no longer matters.

# %% tags=["nbval-check-output"]
eraser = pinned(pinned(cell, "f", -50.0), "i", +50.0)
_, c_a = eraser(x_t, (h_prev, c_prev))
_, c_b = eraser(x_t, (h_prev, 100 * c_prev))
print("c_t is the same for c_prev and 100 * c_prev:", torch.allclose(c_a, c_b))


# %% [markdown]
# The checks in this notebook use the same trick to read each gate out of `nn.LSTMCell`: pin three gates and
# `c_t` (or `h_t`) *is* the fourth. So your gates are compared with PyTorch's own, not with a copy of an answer.
#
# ## 4. Exercise 1: `lstm_gates` (3 points)
#
# Compute the four gates of one step, for a whole batch at once.
#
# | argument / result | shape | meaning |
# |---|---|---|
# | `x_t` | **(batch, feature)** | the input at this step |
# | `h_prev` | **(batch, hidden)** | the hidden state from the step before |
# | `W_ih` | **(4·hidden, feature)** | input weights, gate rows stacked i, f, g, o |
# | `W_hh` | **(4·hidden, hidden)** | hidden weights, same order |
# | `b_ih`, `b_hh` | **(4·hidden,)** | the two biases |
# | returns `i, f, g, o` | each **(batch, hidden)** | after their activations: sigmoid, sigmoid, tanh, sigmoid |
#
# `x_t @ W_ih.T` is (batch, feature) @ (feature, 4·hidden) = (batch, 4·hidden): the `.T` matters, because
# PyTorch stores one *row* per output. Use torch functions only (`torch.sigmoid`, `torch.tanh`), so that
# gradients flow.

# %% nbgrader={"grade": false, "grade_id": "lstm_gates", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """The gates i, f, g, o of one LSTM step, each (batch, hidden), in PyTorch's order."""
    # Hint: one (batch, 4*hidden) sum of both products and both biases, cut into four equal blocks
    # Hint: along the hidden axis (read torch.Tensor.chunk); PyTorch's order is i, f, g, o.
    ### BEGIN SOLUTION
    gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh    # (batch, 4*hidden)
    i, f, g, o = gates.chunk(4, dim=1)                      # PyTorch's order: i, f, g, o
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    ### END SOLUTION


# %%
# try it with the weights of `cell`: every gate is (batch, hidden); i, f, o lie in 0..1, g in -1..1
i, f, g, o = lstm_gates(x_t, h_prev, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
cu.show_shapes(i=(i, "batch hidden"), f=(f, "batch hidden"), g=(g, "batch hidden"), o=(o, "batch hidden"))
for name, gate in zip("ifgo", (i, f, g, o)):
    print(name, "from", round(gate.min().item(), 2), "to", round(gate.max().item(), 2))

# %% nbgrader={"grade": true, "grade_id": "test_lstm_gates", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""lstm_gates: i, f, g, o equal the gates of nn.LSTMCell (float64, 1e-6)"""
from course_utils.checks import nb03

nb03.check_lstm_gates(lstm_gates)
### BEGIN HIDDEN TESTS
nb03.check_lstm_gates(lstm_gates, batch=3, feature=6, hidden=2, seed=1)
nb03.check_lstm_gates(lstm_gates, batch=1, feature=1, hidden=1, seed=2)
nb03.check_lstm_gates(lstm_gates, batch=7, feature=4, hidden=3, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Exercise 2: one step, `lstm_cell` (3 points)
#
# Now combine the gates into the new state, exactly as `nn.LSTMCell` does:
#
# ```
# c_t = f * c_prev + i * g
# h_t = o * tanh(c_t)
# ```
#
# | argument / result | shape | meaning |
# |---|---|---|
# | `x_t` | **(batch, feature)** | the input at this step |
# | `state` | a pair `(h_prev, c_prev)`, each **(batch, hidden)** | in this order, as `nn.LSTMCell` takes it |
# | `W_ih`, `W_hh`, `b_ih`, `b_hh` | as in exercise 1 | |
# | returns `(h_t, c_t)` | each **(batch, hidden)** | in this order, as `nn.LSTMCell` returns it |
#
# You may call your `lstm_gates`. Do not change `h_prev` or `c_prev` in place (`*=`, `+=`): the caller and
# autograd still need them.
#
# **Exact, in float64.** The check compares values *and* gradients with `nn.LSTMCell` in float64 (`.double()`)
# to 1e-6. In float32, two right implementations differ by about 1e-7, just from adding numbers in another
# order; in float64 they agree to about 1e-15, so a difference above 1e-6 is a bug, not rounding.

# %% nbgrader={"grade": false, "grade_id": "lstm_cell", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_cell(x_t, state, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step: (h_t, c_t), each (batch, hidden), equal to nn.LSTMCell with the same weights."""
    # Hint: unpack the state pair; the gates as in exercise 1; then c_t first, and h_t from c_t.
    ### BEGIN SOLUTION
    h_prev, c_prev = state
    gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_t = f * c_prev + i * g
    h_t = o * torch.tanh(c_t)
    return h_t, c_t
    ### END SOLUTION


# %% tags=["nbval-check-output"]
# try it: your step against nn.LSTMCell in float64, values and gradients
cell64 = nn.LSTMCell(feature, hidden).double()
x64 = torch.randn(batch, feature, dtype=torch.float64, requires_grad=True)
state64 = (torch.zeros(batch, hidden, dtype=torch.float64), torch.zeros(batch, hidden, dtype=torch.float64))
params = (cell64.weight_ih, cell64.weight_hh, cell64.bias_ih, cell64.bias_hh)

h_mine, c_mine = lstm_cell(x64, state64, *params)
h_torch, c_torch = cell64(x64, state64)
cu.show_shapes(h_t=(h_mine, "batch hidden"), c_t=(c_mine, "batch hidden"))
print("h_t equal:", torch.allclose(h_mine, h_torch, atol=1e-6), "  c_t equal:", torch.allclose(c_mine, c_torch, atol=1e-6))

grad_mine = torch.autograd.grad(h_mine.sum() + c_mine.sum(), x64)[0]
grad_torch = torch.autograd.grad(h_torch.sum() + c_torch.sum(), x64)[0]
print("gradient with respect to x_t equal:", torch.allclose(grad_mine, grad_torch, atol=1e-6))

# %% nbgrader={"grade": true, "grade_id": "test_lstm_cell", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""lstm_cell: h_t and c_t equal nn.LSTMCell, values and gradients (float64, 1e-6)"""
from course_utils.checks import nb03

nb03.check_lstm_cell(lstm_cell)
### BEGIN HIDDEN TESTS
nb03.check_lstm_cell(lstm_cell, batch=3, feature=6, hidden=2, seed=1)
nb03.check_lstm_cell(lstm_cell, batch=1, feature=1, hidden=1, seed=2)
nb03.check_lstm_cell(lstm_cell, batch=2, feature=5, hidden=4, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Exercise 3: the loop over time, `lstm_forward` (3 points)
#
# `nn.LSTM` is `nn.LSTMCell` in a loop: the `(h, c)` that step t produces is the state step t + 1 starts from.
# Write that loop and match a one-layer `nn.LSTM` (default layout, `batch_first=False`).
#
# | argument / result | shape | meaning |
# |---|---|---|
# | `x` | **(seq, batch, feature)** | the whole sequence; `x[t]` is step t of every sequence |
# | `W_ih`, `W_hh`, `b_ih`, `b_hh` | as before | `nn.LSTM` calls them `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` |
# | `h0`, `c0` | **(1, batch, hidden)** each, or `None` | the initial state, with `nn.LSTM`'s layers axis; `None` means zeros of `x`'s dtype, as in `nn.LSTM` |
# | returns `out` | **(seq, batch, hidden)** | `h_t` of every step |
# | returns `(h_n, c_n)` | each **(1, batch, hidden)** | the state after the last step |
#
# You may call your `lstm_cell`. `torch.stack(list_of_steps)` stacks along a new first axis: seq. The check
# calls your function with `h0`, `c0` and without them; `x.new_zeros(batch, hidden)` makes zeros with the dtype
# (and device) of `x`, which `torch.zeros(batch, hidden)` does not.

# %% nbgrader={"grade": false, "grade_id": "lstm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_forward(x, W_ih, W_hh, b_ih, b_hh, h0=None, c0=None):
    """A one-layer LSTM over x (seq, batch, feature): out (seq, batch, hidden), (h_n, c_n) (1, batch, hidden)."""
    # Hint: h0 and c0 without their layers axis (or zeros); one step per step of x; carry (h, c) on;
    # Hint: torch.stack the h's, and give h_n and c_n their layers axis back (read Tensor.unsqueeze).
    ### BEGIN SOLUTION
    seq, batch, _ = x.shape
    hidden = W_hh.shape[1]
    h = x.new_zeros(batch, hidden) if h0 is None else h0[0]
    c = x.new_zeros(batch, hidden) if c0 is None else c0[0]
    outputs = []
    for x_t in x:                                            # x_t: (batch, feature)
        gates = x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    out = torch.stack(outputs)                               # (seq, batch, hidden)
    return out, (h.unsqueeze(0), c.unsqueeze(0))
    ### END SOLUTION


# %% tags=["nbval-check-output"]
# try it: your loop against nn.LSTM with the same weights
seq = 7
lstm64 = nn.LSTM(feature, hidden).double()
x = torch.randn(seq, batch, feature, dtype=torch.float64)
weights = (lstm64.weight_ih_l0, lstm64.weight_hh_l0, lstm64.bias_ih_l0, lstm64.bias_hh_l0)

out, (h_n, c_n) = lstm_forward(x, *weights)
out_torch, (h_n_torch, c_n_torch) = lstm64(x)
cu.show_shapes(x=(x, "seq batch feature"), out=(out, "seq batch hidden"),
               h_n=(h_n, "layers batch hidden"), c_n=(c_n, "layers batch hidden"))
print("out equal:", torch.allclose(out, out_torch, atol=1e-6), "  h_n equal:", torch.allclose(h_n, h_n_torch, atol=1e-6),
      "  c_n equal:", torch.allclose(c_n, c_n_torch, atol=1e-6))
print("out[-1] is h_n[0]:", torch.equal(out[-1], h_n[0]))

# %% nbgrader={"grade": true, "grade_id": "test_lstm_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""lstm_forward: out, (h_n, c_n) equal a one-layer nn.LSTM, values and gradients (float64, 1e-6)"""
from course_utils.checks import nb03

nb03.check_lstm_forward(lstm_forward)
### BEGIN HIDDEN TESTS
nb03.check_lstm_forward(lstm_forward, seq=4, batch=2, feature=5, hidden=3, initial_state=False, seed=4)
nb03.check_lstm_forward(lstm_forward, seq=1, batch=1, feature=2, hidden=3, seed=1)
nb03.check_lstm_forward(lstm_forward, seq=5, batch=2, feature=6, hidden=1, seed=2)
nb03.check_lstm_forward(lstm_forward, seq=3, batch=6, feature=1, hidden=4, initial_state=False, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# `out[-1]` and `h_n[0]` are the same numbers: for a one-layer, one-direction LSTM, `h_n` is the last step of
# `out`. `c_n` is the one thing `out` does not contain: the memory after the last step. Notebook 04 is about
# what to do with each.
#
# ## 7. Exercise 4: the forget-gate bias, `set_forget_bias` (2 points)
#
# Knowing the row order pays off at once. PyTorch starts every weight and bias uniformly in
# ±1/√hidden, so a new LSTM's forget gate is about sigmoid(0) = 0.5: it halves its memory at every step, and
# after 10 steps 0.5¹⁰ ≈ 0.001 of it is left. Starting the forget gate's bias at 1 (f ≈ 0.73) lets memory and
# gradients last longer from the first update; Jozefowicz, Zaremba and Sutskever (2015) found it helped LSTMs
# on most of their tasks.
#
# | argument / result | type | meaning |
# |---|---|---|
# | `lstm` | `nn.LSTM`, any `num_layers` | change it in place |
# | `value` | float | the forget gate's starting bias |
# | returns | the same `lstm` | `return lstm`: the training cell below uses `set_forget_bias(nn.LSTM(...), 1.0)` |
#
# In **every layer**, make `b_ih + b_hh` equal `value` on the forget rows (`hidden:2*hidden`): since the gate
# adds the two biases, set the forget rows of `bias_ih_l*` to `value` and those of `bias_hh_l*` to 0. Leave
# every other number as it is. Change the values in place under `with torch.no_grad():`; do not replace the
# parameters (an optimizer built earlier holds the old objects). `lstm.named_parameters()` lists every
# tensor with its name.

# %% nbgrader={"grade": false, "grade_id": "set_forget_bias", "locked": false, "schema_version": 3, "solution": true, "task": false}
def set_forget_bias(lstm, value):
    """Set b_ih + b_hh = value on the forget-gate rows of every layer of an nn.LSTM, in place; return lstm."""
    # Hint: loop over lstm.named_parameters() and pick the biases by name; the forget gate is the
    # Hint: second of the four blocks of rows, each hidden rows long.
    ### BEGIN SOLUTION
    hidden = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[hidden:2 * hidden] = value
            elif name.startswith("bias_hh"):
                p[hidden:2 * hidden] = 0.0
    return lstm
    ### END SOLUTION


# %% tags=["nbval-check-output"]
# try it: the forget rows of the summed bias are now 1, the other gates keep their random start
two_layers = set_forget_bias(nn.LSTM(feature, hidden, num_layers=2), 1.0)
total = two_layers.bias_ih_l1 + two_layers.bias_hh_l1
cu.show_shapes(bias_ih_l1=(two_layers.bias_ih_l1, "gates"))
print("forget rows of layer 1:", total[hidden:2 * hidden].tolist())

# %% nbgrader={"grade": true, "grade_id": "test_set_forget_bias", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""set_forget_bias: b_ih + b_hh = value on the forget rows of every layer, nothing else changed"""
from course_utils.checks import nb03

nb03.check_set_forget_bias(set_forget_bias)
### BEGIN HIDDEN TESTS
nb03.check_set_forget_bias(set_forget_bias, num_layers=2, hidden=4, value=2.0, seed=1)
nb03.check_set_forget_bias(set_forget_bias, num_layers=3, feature=1, hidden=1, value=-1.5, seed=2)
nb03.check_set_forget_bias(set_forget_bias, num_layers=1, hidden=3, value=0.5, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 8. The gates over a real sentence
#
# What do the gates do in a trained LSTM? Train a small sentiment classifier on the movie-review sentences of
# notebook 01 (embedding 16, hidden 8, label 1 = positive), starting its forget gates at 1 with your
# `set_forget_bias`. How it is trained does not matter here: `pack_padded_sequence` makes the LSTM stop at each
# review's last real word (notebook 07 explains it), and the head reads `h_n[-1]`. About 10 seconds:

# %%
train_reviews, valid_reviews = cu.data.movie_reviews("train"), cu.data.movie_reviews("valid")
vocab = cu.data.Vocab.build((cu.data.tokenize(r.text) for r in train_reviews), min_count=2)


def loader(reviews, shuffle):
    pairs = [(vocab.encode(cu.data.tokenize(r.text)), r.label) for r in reviews]
    return torch.utils.data.DataLoader(pairs, batch_size=128, shuffle=shuffle, collate_fn=cu.data.pad_collate)


class Sentiment(nn.Module):
    def __init__(self, vocab_size, emb=16, hidden=8):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=vocab.pad_id)
        self.lstm = set_forget_bias(nn.LSTM(emb, hidden), 1.0)
        self.head = nn.Linear(hidden, 2)

    def forward(self, ids, lengths):                        # ids (batch, seq), lengths (batch,)
        x = self.embedding(ids).transpose(0, 1)             # (seq, batch, emb)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])                           # (batch, 2)


model = Sentiment(len(vocab))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
history = cu.fit(model, loader(train_reviews, True), nn.CrossEntropyLoss(), optimizer,
                 epochs=cu.epochs_for_grading(3), valid_loader=loader(valid_reviews, False),
                 metrics={"accuracy": cu.accuracy}, progress=False)
print("validation accuracy:", round(history["valid_accuracy"][-1], 2))

# %% [markdown]
# About three sentences in four right (0.75 in our run) on sentences it has never seen: far from perfect
# (notebook 09 does better), but it has learned which words matter. Now run one real review from the test split through **your** functions, with the
# trained weights, and keep the gates of every step:

# %% tags=["nbval-check-output"]
text = "Some stunning visuals and some staggeringly boring cinema."
tokens = cu.data.tokenize(text)
lstm_weights = (model.lstm.weight_ih_l0, model.lstm.weight_hh_l0, model.lstm.bias_ih_l0, model.lstm.bias_hh_l0)
with torch.no_grad():
    x = model.embedding(torch.tensor(vocab.encode(tokens))).unsqueeze(1)    # (seq, batch=1, feature=16)
    out, (h_n, c_n) = lstm_forward(x, *lstm_weights)
    h = c = torch.zeros(1, model.lstm.hidden_size)                        # batch=1
    steps = {"i": [], "f": [], "g": [], "o": []}
    for word in x:                                                         # (batch=1, feature=16)
        for name, gate in zip("ifgo", lstm_gates(word, h, *lstm_weights)):
            steps[name].append(gate[0])
        h, c = lstm_cell(word, (h, c), *lstm_weights)
    gates = {name: torch.stack(values) for name, values in steps.items()}     # each (seq, hidden)
    same = torch.allclose(out, model.lstm(x)[0], atol=1e-5)
cu.show_shapes(x=(x, "seq batch feature"), out=(out, "seq batch hidden"), i=(gates["i"], "seq hidden"))
print("your lstm_forward equals the trained nn.LSTM:", same)

# %%
import matplotlib.pyplot as plt

fig = cu.plots.gate_activations(gates, tokens=tokens)
plt.show()

# %% [markdown]
# Each panel is one gate: a row per word, a column per hidden unit. How to read it:
#
# - **f** (forget gate): bright (near 1) means the unit keeps its memory through that word; dark means it
#   wipes it. The forget gates started at 1 with your `set_forget_bias`; training moved some of them.
# - **i** (input gate) and **g** (candidate) work as a pair: where `i` is bright, the colour of `g` (red
#   positive, blue negative) is written into the memory.
# - **o** (output gate): how much of each unit's memory is shown in `h`, which is what the classifier reads.
#
# Look at the rows of *stunning* and *boring*. In our run, at *boring* the forget gate goes dark on a couple
# of units (they throw away what they held) while the input gate opens on others to write something new. The
# classifier reads the last
# `h` only, so whatever matters must travel to the end of the sentence through `c`. Because `out` holds `h` at
# every step, the head can also give its verdict after each word:

# %%
with torch.no_grad():
    positive = model.head(out[:, 0]).softmax(dim=-1)[:, 1]      # (seq,) P(positive) after each word
for token, p in zip(tokens, positive.tolist()):
    print(f"{token:>14}  {p:4.2f}  {'#' * round(20 * p)}")

# %% [markdown]
# Exact numbers change with the training run, but in ours the verdict climbs after *stunning* and falls
# after *boring*: the model changes its mind in mid-sentence, and the gates above are how the memory
# made room for that.
#
# ## Common mistakes, and what PyTorch says
#
# **Forgetting the transpose.** PyTorch stores one row per output, so `x_t @ W_ih` does not fit:

# %% tags=["nbval-check-output"]
try:
    x_t @ cell.weight_ih
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **A whole sequence into `nn.LSTMCell`.** The cell does one step; the loop over time is yours (or `nn.LSTM`'s):

# %% tags=["nbval-check-output"]
try:
    cell(torch.randn(seq, batch, feature))
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# **The state as one tensor.** `nn.LSTMCell` takes the state as a pair `(h, c)`:

# %% tags=["nbval-check-output"]
try:
    cell(x_t, h_prev)
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# `nn.LSTM` is worse: given `h0` alone, it reads `h0[0]` as h and `h0[1]` as c, and fails with an index error
# that does not mention the state at all:

# %% tags=["nbval-check-output"]
x = torch.randn(seq, batch, feature)
try:
    lstm(x, torch.zeros(1, batch, hidden))
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# **`h0` without its layers axis.** `nn.LSTM` wants `h0` and `c0` of shape (layers, batch, hidden), here (1, 4, 5):

# %% tags=["nbval-check-output"]
try:
    lstm(x, (torch.zeros(batch, hidden), torch.zeros(batch, hidden)))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **float32 and float64 mixed.** `.double()` changes the module; the input must follow:

# %% tags=["nbval-check-output"]
try:
    nn.LSTMCell(feature, hidden).double()(x_t)
except RuntimeError as err:
    print("RuntimeError:", err)


# %% [markdown]
# **The silent one: gates in the wrong order.** Reading the blocks as i, f, **o, g** (a common order in
# blog posts) raises no error at all: every block has the same shape. The numbers are simply wrong, which
# is why the checks compare with PyTorch instead of only checking shapes:

# %% tags=["nbval-check-output"]
def gates_in_wrong_order(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    i, f, o, g = (x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=1)    # o and g swapped
    return i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()


wrong = gates_in_wrong_order(x_t, h_prev, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
print("shapes:", [tuple(t.shape) for t in wrong])
from course_utils.checks import nb03

try:
    nb03.check_lstm_gates(gates_in_wrong_order)
except AssertionError as err:
    print(err)

# %% [markdown]
# ## Summary
#
# - One step: `gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh` is (batch, 4·hidden), cut into
#   **i, f, g, o** (PyTorch's order); i, f, o take a sigmoid, the candidate g a **tanh**;
# - `c_t = f * c_prev + i * g` and `h_t = o * tanh(c_t)`; f ≈ 1 with i ≈ 0 carries the memory unchanged;
# - `W_ih` is (4·hidden, feature), `W_hh` (4·hidden, hidden), both biases (4·hidden,): rows `k*hidden:(k+1)*hidden`
#   are gate k; only `b_ih + b_hh` matters;
# - `nn.LSTM` is the same step in a loop: `out` (seq, batch, hidden) holds every `h_t`, and `h_n`, `c_n`
#   (1, batch, hidden) the last state; no `(h0, c0)` means zeros;
# - your versions match PyTorch's in values and gradients to 1e-6 in float64, so you know exactly what
#   `nn.LSTM` computes.
#
# ## Going further (not graded)
#
# - **Initial state.** Without `(h0, c0)`, `nn.LSTM` starts from zeros, which is the usual choice. You may read
#   that random initial states speed up training; they add noise that changes every call, so the same input
#   gets different predictions. If a non-zero start helps, *learn* it: `self.h0 = nn.Parameter(torch.zeros(1, 1, hidden))`,
#   expanded to the batch in `forward`.
# - **A GRU cell.** `nn.GRUCell` has three blocks, in the order r, z, n, and its candidate uses
#   `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`, so here the two biases are *not* interchangeable.
#   Write `gru_cell` and compare it with `nn.GRUCell` as you did above.
# - **Projections.** `nn.LSTM(..., proj_size=p)` multiplies `h_t` by one more matrix, `weight_hr_l0` (p, hidden),
#   so `h` has size p while `c` keeps size hidden. Add it to your `lstm_forward`.
# - **Gradient flow.** Feed a 100-step sequence through your `lstm_forward` with the forget bias at 0 and at 3,
#   and compare `x.grad[0].norm()`: how much of the gradient reaches the first step?
