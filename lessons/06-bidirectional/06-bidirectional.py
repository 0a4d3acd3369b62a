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
# # 06 · Bidirectional LSTMs
#
# **Read a sentence from both ends, and know where each direction's summary sits in `out` and `h_n`.**
#
# After this notebook you can:
#
# - say what `bidirectional=True` adds: a second LSTM with its own `*_reverse` weights, reading the
#   sequence from the last step to the first;
# - split `out` into its forward half `out[..., :hidden]` and backward half `out[..., hidden:]`, and say
#   which steps each half has read;
# - name the layer and direction of every row of `h_n` (`h_n[-2]` is the top layer's forward direction,
#   `h_n[-1]` its backward direction), and split its rows by layer and direction;
# - avoid the `out[-1]` trap (its backward half has read one step), build the sentence vector
#   `torch.cat([h_n[-2], h_n[-1]], dim=-1)` and give it a head of size `2 * hidden`;
# - rebuild `nn.LSTM(bidirectional=True, num_layers=k)` from one-layer, one-direction LSTMs and get the
#   same numbers.
#
# **Prerequisites:** notebook 01 (tokens, `nn.Embedding`),
# [04](../04-outputs-and-state/04-outputs-and-state.ipynb) (`out` vs `h_n`, the initial state) and
# [05](../05-stacked-lstms/05-stacked-lstms.ipynb) (stacked layers, copying a layer's weights).
# **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# `python -m course_utils check notebooks/06-bidirectional/06-bidirectional.ipynb` grades your
# saved notebook from a terminal.
#
# Axis names used everywhere in this course: **batch** (sequences in a batch), **seq** (steps per
# sequence), **feature** (numbers per step going into the LSTM), **hidden** (hidden size; `out` of a
# bidirectional LSTM has 2 x hidden), **layers** (the first axis of `h_n` and `c_n`: layers x directions),
# **directions** (2 here: forward, backward).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. Four movie reviews
#
# The sentences of notebook 01: movie reviews, each labelled 1 (positive) or 0 (negative). We take four
# that are exactly 9 tokens long, so that they make a batch **without padding**. (A bidirectional LSTM
# and padding need care: its backward direction would read the padding *first*. Notebook 07 packs.)

# %% tags=["nbval-check-output"]
reviews = cu.data.movie_reviews("train")
vocab = cu.data.Vocab.build([cu.data.tokenize(r.text) for r in reviews])
chosen = ["A fast, funny, highly enjoyable movie.", "A mess, but it's a sincere mess.",
          "One of the greatest films I've ever seen.", "This is a truly, truly bad movie."]
picked = [next(r for r in reviews if r.text == text) for text in chosen]
tokens = [cu.data.tokenize(r.text) for r in picked]
for r, t in zip(picked, tokens):
    print(r.label, " ".join(t))
ids = torch.tensor([vocab.encode(t) for t in tokens])         # (batch=4, seq=9)
embedding = nn.Embedding(len(vocab), 6, padding_idx=vocab.pad_id)
x = embedding(ids).transpose(0, 1)                             # (seq=9, batch=4, feature=6): nn.LSTM's default layout
cu.show_shapes(ids=(ids, "batch seq"), x=(x, "seq batch feature"))

# %% [markdown]
# ## 2. Two LSTMs in one module
#
# `nn.LSTM(..., bidirectional=True)` holds two LSTMs that read the same sequence. The **forward**
# direction reads it from step 0 to the last step, as every LSTM so far. The **backward** direction
# starts at the last step and reads back to step 0. At every step `out` puts their two outputs side by
# side:
#
# ```
#                     step 0      step 1             step 8
# forward  (_l0)      [ ] ──────▶ [ ] ──▶  ...  ──▶ [ ] ──▶ h_n[0]   (has read steps 0 .. 8)
# backward (_l0_reverse)
#          h_n[1] ◀── [ ] ◀────── [ ] ◀──  ...  ◀── [ ]             (has read steps 8 .. 0)
#                      ▲           ▲                 ▲
#                     x[0]        x[1]              x[8]
#
# out[t] = [ forward output at step t  |  backward output at step t ]     2 x hidden numbers
# ```
#
# **Predict first:** the weights of a one-layer LSTM are `weight_ih_l0, weight_hh_l0, bias_ih_l0,
# bias_hh_l0` (notebook 05). What does a bidirectional one hold?

# %% tags=["nbval-check-output"]
bi = nn.LSTM(input_size=6, hidden_size=5, bidirectional=True)
for name, param in bi.named_parameters():
    print(f"{name:<21} {tuple(param.shape)}")

# %% [markdown]
# Eight tensors: the four of a one-layer LSTM, twice. Those ending in `_reverse` belong to the backward
# direction. They have the same shapes but their own numbers: the two directions learn different things.
#
# **Predict first:** for our `x` (seq=9, batch=4, feature=6), what are the shapes of `out`, `h_n`, `c_n`?

# %% tags=["nbval-check-output"]
print(cu.expected_shapes(bi, x))
out, (h_n, c_n) = bi(x)
cu.show_shapes(out=(out, "seq batch hidden"), h_n=(h_n, "layers batch hidden"), c_n=(c_n, "layers batch hidden"))

# %% [markdown]
# `out` has 2 x hidden = 10 numbers per step, one direction's 5 after the other's. `h_n` and `c_n` have
# one row per layer **and direction**: 1 x 2 = 2 rows.
#
# ## 3. The two halves of `out`
#
# With `H = hidden_size`, `out[..., :H]` is the forward direction and `out[..., H:]` the backward one.
# They have read different parts of the sentence:
#
# | half | at step t it has read | its final state (all steps read) is at |
# |---|---|---|
# | forward, `out[t, :, :H]` | steps 0, 1, ..., t | the **last** step |
# | backward, `out[t, :, H:]` | steps t, t + 1, ..., seq - 1 | step **0** |
#
# **The forward half is an ordinary LSTM.** Copy the four `_l0` tensors into a one-layer `nn.LSTM`, as
# in notebook 05, and it computes the forward half exactly:

# %% tags=["nbval-check-output"]
H = bi.hidden_size
forward_only = nn.LSTM(6, 5)
with torch.no_grad():
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(forward_only, f"{name}_l0").copy_(getattr(bi, f"{name}_l0"))
out_fw, _ = forward_only(x)
print("out[..., :5] == a one-layer LSTM holding the _l0 weights:", torch.allclose(out[..., :H], out_fw, atol=1e-6))

# %% [markdown]
# The backward half is the same with the `_l0_reverse` tensors, run on the sentence read from its last
# word to its first. Exercise 5 builds it.
#
# **Predict first:** replace the **first** word of every sentence by `<unk>` and run again. At which
# steps does the forward half of `out` change? The backward half?

# %% tags=["nbval-check-output"]
ids_changed = ids.clone()
ids_changed[:, 0] = vocab.encode(["<unk>"])[0]                 # word 0 of every sentence
out_changed, _ = bi(embedding(ids_changed).transpose(0, 1))
seq = out.shape[0]
print("step:            ", "".join(str(t) for t in range(seq)))
print("forward changed: ", "".join("x" if not torch.equal(out[t, :, :H], out_changed[t, :, :H]) else "." for t in range(seq)))
print("backward changed:", "".join("x" if not torch.equal(out[t, :, H:], out_changed[t, :, H:]) else "." for t in range(seq)))

# %% [markdown]
# The forward half changes at every step: each has read word 0. The backward half changes at step 0
# only: the backward direction reads word 0 **last**. So the backward half of the last step,
# `out[-1, :, H:]`, knows nothing of words 0 to 7. Section 6 comes back to this.
#
# ## 4. Which row of `h_n` is which
#
# In a stack (notebook 05) layer `l + 1` reads the output of layer `l`. Bidirectional, that output has
# both directions side by side, so every layer above 0 reads **2 x hidden** numbers per step.
# `h_n` and `c_n` get one row per layer and direction, the two directions of a layer next to each other:
#
# | row of `h_n` | 0 | 1 | 2 | 3 | ... | `2 * l + d` |
# |---|---|---|---|---|---|---|
# | layer | 0 | 0 | 1 | 1 | ... | `l` |
# | direction | forward | backward | forward | backward | ... | `d` (0 forward, 1 backward) |
#
# The top layer is always the last two rows: `h_n[-2]` forward, `h_n[-1]` backward.
#
# **Predict first:** for two layers, what is the shape of `weight_ih_l1`? `out` holds the top layer's
# outputs only: which rows of `h_n` can be found somewhere in `out`, at some step, in some half?

# %% tags=["nbval-check-output"]
bi2 = nn.LSTM(input_size=6, hidden_size=5, num_layers=2, bidirectional=True)
print("weight_ih_l1:", tuple(bi2.weight_ih_l1.shape), "  <- layer 1 reads 2 x hidden = 10 numbers per step")
out2, (h_n2, c_n2) = bi2(x)
cu.show_shapes(out2=(out2, "seq batch hidden"), h_n2=(h_n2, "layers batch hidden"))
halves = {"forward": out2[..., :5], "backward": out2[..., 5:]}      # each (seq=9, batch=4, hidden=5)
for row in range(4):
    found = [f"{name} half at step {t}" for name, half in halves.items()
             for t in range(9) if torch.equal(h_n2[row], half[t])]
    print(f"h_n2[{row}] found in out2:", found or "nowhere")


# %% [markdown]
# Rows 2 and 3, the top layer, are in `out2`, each where section 3's table puts its direction's final
# state; rows 0 and 1 (layer 0) have no counterpart in it. The rows **interleave** per layer:
# `h_n2[:2]` is layer 0's two directions, not "the two forward layers".
#
# ### Exercise 1: `direction_states` (2 points)
#
# Split the rows of `h_n` (or `c_n`) by direction, keeping every layer.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `h_n` | float tensor | **(layers x 2, batch, hidden)** | as a bidirectional `nn.LSTM` returns it (or `c_n`), with or without `batch_first` |
# | `num_layers` | int | | the LSTM's `num_layers` (1, 2, 3, ...) |
# | returns `forward` | float tensor | **(layers, batch, hidden)** | `forward[l]`: the final state of layer `l`'s forward direction |
# | returns `backward` | float tensor | **(layers, batch, hidden)** | `backward[l]`: the final state of layer `l`'s backward direction |
#
# The check tries 1, 2 and 3 layers, on `h_n` and on `c_n`.

# %% nbgrader={"grade": false, "grade_id": "direction_states", "locked": false, "schema_version": 3, "solution": true, "task": false}
def direction_states(h_n, num_layers):
    """Split h_n (or c_n) of a bidirectional LSTM into (forward, backward), each (layers, batch, hidden)."""
    # Hint: the rows go layer 0 forward, layer 0 backward, layer 1 forward, ...: give the layer and the
    # Hint: direction an axis each (read torch.Tensor.view), or slice the rows with a step.
    ### BEGIN SOLUTION
    states = h_n.view(num_layers, 2, h_n.shape[1], h_n.shape[2])
    return states[:, 0], states[:, 1]
    ### END SOLUTION


# %%
# try it on the two-layer LSTM of this section
forward_states, backward_states = direction_states(h_n2, num_layers=2)
cu.show_shapes(forward=(forward_states, "layers batch hidden"), backward=(backward_states, "layers batch hidden"))
print("top layer forward == out2[-1, :, :5]:", torch.equal(forward_states[-1], out2[-1, :, :5]))
print("top layer backward == out2[0, :, 5:]:", torch.equal(backward_states[-1], out2[0, :, 5:]))

# %% nbgrader={"grade": true, "grade_id": "test_direction_states", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""direction_states: row 2 * layer + direction, forward and backward of every layer"""
from course_utils.checks import nb06

nb06.check_direction_states(direction_states)
### BEGIN HIDDEN TESTS
nb06.check_direction_states(direction_states, num_layers=4, batch=2, seq=3, feature=3, hidden=2, seed=1)
nb06.check_direction_states(direction_states, num_layers=2, batch=1, seq=1, feature=1, hidden=3, seed=2)
nb06.check_direction_states(direction_states, num_layers=1, batch=6, seq=2, feature=2, hidden=7,
                            batch_first=True, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# PyTorch's documentation gives the same split as a view: `h_n.view(num_layers, 2, batch, hidden)`,
# whose `[l, d]` is layer `l`, direction `d` (`cu.split_h_n` does it for you from now on).

# %% [markdown]
# ## 5. `batch_first`: `out` changes, `h_n` does not
#
# The same weights in an LSTM built with `batch_first=True` read `x` as (batch, seq, feature). `out`
# changes layout; `h_n` keeps its rows (layers x directions, batch, hidden), as in notebook 04:

# %% tags=["nbval-check-output"]
bi_bf = nn.LSTM(input_size=6, hidden_size=5, bidirectional=True, batch_first=True)
bi_bf.load_state_dict(bi.state_dict())
x_bf = x.transpose(0, 1)                                        # (batch=4, seq=9, feature=6)
out_bf, (h_n_bf, c_n_bf) = bi_bf(x_bf)
cu.show_shapes(out_bf=(out_bf, "batch seq hidden"), h_n_bf=(h_n_bf, "layers batch hidden"))
print("h_n the same as without batch_first:", torch.equal(h_n_bf, h_n))
print("out the same, steps now on axis 1:  ", torch.equal(out_bf, out.transpose(0, 1)))

# %% [markdown]
# ### A shape in a popular article is wrong
#
# An article on LSTM output shapes builds `nn.LSTM(10, 20, bidirectional=True, batch_first=True)`,
# feeds it `torch.randn(5, 3, 10)`, calls that "sequence length 5, batch size 3", and prints the final
# hidden state shape as `torch.Size([2, 3, 20])`.
#
# **Predict first:** with `batch_first=True`, which axis of `(5, 3, 10)` is the batch? What is `h_n`?

# %% tags=["nbval-check-output"]
article = nn.LSTM(input_size=10, hidden_size=20, num_layers=1, bidirectional=True, batch_first=True)
input_seq = torch.randn(5, 3, 10)
output, (hn, cn) = article(input_seq)
print(cu.expected_shapes(article, input_seq))
print("output:", tuple(output.shape), "  hn:", tuple(hn.shape))

# %% [markdown]
# With `batch_first=True` the input is (batch=5, seq=3, feature=10): 5 sentences of 3 steps. `output`
# (5, 3, 40) is printed right (40 = 2 directions x 20), but `hn` is **(2, 5, 20)**: 2 rows = 1 layer x 2
# directions, then the batch, 5. The article's 3 is the sequence length, and `h_n` has no sequence axis.
#
# ## 6. The `out[-1]` trap, and the sentence vector
#
# A widely read article's sentiment classifier ends with
#
# ```python
# out, _ = self.lstm(x)               # batch_first=True
# out = self.fc(out[:, -1, :])        # "Take only the last hidden state"
# ```
#
# For a one-direction LSTM that is right: the last step is where it has read everything (notebook 04).
# Build the same model with `bidirectional=True` and half of that vector has read **one word**.
#
# **Predict first:** our four sentences all end with "."; what is the backward half of `out[-1]` for each?

# %% tags=["nbval-check-output"]
print("last word of each sentence:", [vocab.decode([i])[0] for i in ids[:, -1].tolist()])
backward_last = out[-1, :, H:]                                  # (batch=4, hidden=5)
print("backward half of out[-1], the same vector for all four:",
      all(torch.equal(backward_last[0], backward_last[b]) for b in range(4)))
out_one, _ = bi(x[-1:])                                         # the same LSTM on the last step alone: seq=1
print("== the backward direction after reading the last step only:", torch.equal(backward_last, out_one[0, :, H:]))

# %% [markdown]
# The backward half of `out[-1]` is the backward direction's state after reading one step, here the
# full stop: the same 5 numbers for every sentence that ends with ".". A head reading `out[:, -1, :]` of
# a bidirectional LSTM gets a one-direction model plus 5 inputs that know only the last token.
#
# The **sentence vector** takes each direction where it has read everything: the forward direction at
# the last step, the backward direction at step 0. Both are in `h_n`:

# %% tags=["nbval-check-output"]
sentence = torch.cat([h_n[-2], h_n[-1]], dim=-1)               # (batch=4, 2 x hidden=10): forward, then backward
cu.show_shapes(sentence=(sentence, "batch hidden"))
print("== out[-1]:", torch.equal(sentence, out[-1]))


# %% [markdown]
# ### Exercise 2: `sentence_vector` (2 points)
#
# Repair the article's line without `h_n`: the model above keeps only `out` (`out, _ = self.lstm(x)`).
# Take the sentence vector from `out` alone, in both layouts.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(seq, batch, 2 x hidden)**, or **(batch, seq, 2 x hidden)** if `batch_first` | the first thing a bidirectional `nn.LSTM` returns (any `num_layers`) |
# | `batch_first` | bool | | how that LSTM was built |
# | returns | float tensor | **(batch, 2 x hidden)** | the forward direction's final state, then the backward direction's: equal to `torch.cat([h_n[-2], h_n[-1]], dim=-1)` |
#
# `hidden` is not given: `out` has it. The check compares with `h_n` of the LSTM that made `out`.

# %% nbgrader={"grade": false, "grade_id": "sentence_vector", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sentence_vector(out, batch_first):
    """(batch, 2 x hidden): the forward direction's final state, then the backward one's, from out alone."""
    # Hint: the forward direction ends at the last step, the backward direction at step 0; which axis
    # Hint: holds the steps in each layout? torch.cat joins the two halves.
    ### BEGIN SOLUTION
    hidden = out.shape[-1] // 2
    if batch_first:
        out = out.transpose(0, 1)            # (seq, batch, 2 x hidden)
    return torch.cat([out[-1, :, :hidden], out[0, :, hidden:]], dim=-1)
    ### END SOLUTION


# %%
# try it: both layouts give torch.cat([h_n[-2], h_n[-1]], dim=-1)
vec = sentence_vector(out_bf, batch_first=True)
cu.show_shapes(vec=(vec, "batch hidden"))
print("batch-first: == sentence:", torch.equal(vec, sentence))
print("seq-first:   == sentence:", torch.equal(sentence_vector(out, batch_first=False), sentence))
print("2 layers:    == cat(h_n2[-2], h_n2[-1]):",
      torch.equal(sentence_vector(out2, batch_first=False), torch.cat([h_n2[-2], h_n2[-1]], dim=-1)))

# %% nbgrader={"grade": true, "grade_id": "test_sentence_vector", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""sentence_vector: forward half at the last step, backward half at step 0, in both layouts"""
from course_utils.checks import nb06

nb06.check_sentence_vector(sentence_vector)
### BEGIN HIDDEN TESTS
nb06.check_sentence_vector(sentence_vector, num_layers=3, batch=4, seq=2, feature=2, hidden=5, seed=1)
nb06.check_sentence_vector(sentence_vector, batch=1, seq=1, feature=3, hidden=2, batch_first=True, seed=2)
nb06.check_sentence_vector(sentence_vector, batch=6, seq=4, feature=5, hidden=1, seed=3)
nb06.check_sentence_vector(sentence_vector, num_layers=2, batch=3, seq=8, feature=1, hidden=7, batch_first=True,
                           seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. A head of size 2 x hidden
#
# A classifier head reads the sentence vector, so it takes **2 x hidden** numbers:
# `nn.Linear(2 * hidden_size, num_classes)`. A head built for a one-direction LSTM, with `hidden_size`
# inputs, fails on the first batch:

# %% tags=["nbval-check-output"]
head = nn.Linear(2 * 5, 2)                                      # 2 x hidden in, 2 classes out
cu.show_shapes(sentence=(sentence, "batch hidden"), logits=(head(sentence), "batch classes"))
try:
    nn.Linear(5, 2)(sentence)                                   # hidden in: one direction's worth
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# `4x10` is the sentence vector, (batch=4, 2 x hidden=10); `5x2` is the head's weight as it multiplies,
# (in=5, out=2). `cu.check_shape` says it in words, before any head is built:

# %% tags=["nbval-check-output"]
try:
    cu.check_shape(sentence, "batch hidden", batch=4, hidden=5, name="sentence")
except cu.ShapeError as err:
    print(err)

# %% [markdown]
# With `proj_size=p` each direction's `h` is projected down to `p` numbers: a row of `h_n` has `p`,
# `out` and the sentence vector have 2 x p (so the head is `nn.Linear(2 * p, num_classes)`), and `c_n`
# keeps `hidden_size`:

# %% tags=["nbval-check-output"]
print(cu.expected_shapes(nn.LSTM(6, 5, bidirectional=True, proj_size=3), x))


# %% [markdown]
# ### Exercise 3: `BiClassifier` (2 points)
#
# The whole classifier: token ids in, one score per class out.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `vocab_size`, `emb_dim`, `hidden_size`, `num_classes` | int | | sizes |
# | `pad_id` | int | | the `<pad>` id: its embedding row stays zero (notebook 01) |
# | `num_layers` | int | | layers of the LSTM (1, 2, ...) |
# | `self.embedding` | `nn.Embedding` | weight **(vocab, emb)** | |
# | `self.lstm` | `nn.LSTM`, bidirectional | | reads the embedded ids |
# | `self.head` | `nn.Linear` | | reads the sentence vector |
# | `forward(ids)`: `ids` | long tensor | **(batch, seq)** | token ids (here without padding) |
# | returns | float tensor | **(batch, classes)** | raw scores (logits), no softmax: `nn.CrossEntropyLoss` applies it |
#
# Mind the layout: `ids` are (batch, seq), and so is what the embedding gives (with emb added).

# %% nbgrader={"grade": false, "grade_id": "BiClassifier", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BiClassifier(nn.Module):
    """ids (batch, seq) -> embedding -> bidirectional LSTM -> sentence vector -> logits (batch, classes)."""

    def __init__(self, vocab_size, emb_dim, hidden_size, num_classes, pad_id, num_layers=1):
        super().__init__()
        # Hint: the head reads the top layer's forward and backward final states, side by side.
        ### BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(emb_dim, hidden_size, num_layers=num_layers, bidirectional=True,
                            batch_first=True)
        self.head = nn.Linear(2 * hidden_size, num_classes)
        ### END SOLUTION

    def forward(self, ids):
        """ids (batch, seq) -> logits (batch, classes)."""
        ### BEGIN SOLUTION
        _, (h_n, _) = self.lstm(self.embedding(ids))      # h_n: (layers x 2, batch, hidden)
        sentence = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (batch, 2 x hidden)
        return self.head(sentence)
        ### END SOLUTION


# %%
# try it on the four reviews (untrained, so the scores mean nothing yet)
model = BiClassifier(len(vocab), 6, 5, 2, vocab.pad_id, num_layers=2)
logits = model(ids)
cu.show_shapes(ids=(ids, "batch seq"), logits=(logits, "batch classes"))

# %% nbgrader={"grade": true, "grade_id": "test_bi_classifier", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""BiClassifier: a bidirectional LSTM read through torch.cat([h_n[-2], h_n[-1]]) and a head of 2 x hidden"""
from course_utils.checks import nb06

nb06.check_bi_classifier(BiClassifier)
### BEGIN HIDDEN TESTS
nb06.check_bi_classifier(BiClassifier, num_layers=3, vocab_size=40, emb_dim=4, hidden_size=2, num_classes=3,
                         pad_id=0, seed=1)
nb06.check_bi_classifier(BiClassifier, batch=1, seq=1, seed=2)
nb06.check_bi_classifier(BiClassifier, batch=5, seq=2, hidden_size=6, num_classes=1, pad_id=7, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ## 8. A bidirectional layer is two LSTMs
#
# Section 3 showed the forward half is a one-layer `nn.LSTM` holding the `_l0` weights. The backward
# half is a one-layer `nn.LSTM` holding the `_l0_reverse` weights, run on the sequence **read from the
# end**:
#
# 1. reverse the steps of the input: `x.flip(t)`, with `t` the steps axis (0 in the default layout,
#    1 with `batch_first`);
# 2. run the backward LSTM on it: its output at position 0 is for the last step of `x`;
# 3. reverse its outputs back, so that position `t` is step `t` again, as in the forward direction;
# 4. put the two side by side: `torch.cat([out_fw, out_bw], dim=-1)`, 2 x hidden numbers per step.
#
# For a stack, layer `l + 1` does the same on that concatenated output. `flip` reverses the order along
# one axis; here it reverses the tokens of a sentence, (batch, seq) ids flipped on axis 1:

# %% tags=["nbval-check-output"]
print(" ".join(vocab.decode(ids[0].tolist())))
print(" ".join(vocab.decode(ids.flip(1)[0].tolist())), "   <- ids.flip(1)[0]")


# %% [markdown]
# ### Exercise 4: `split_bidirectional` (2 points)
#
# Take a bidirectional LSTM apart into one-layer, one-direction LSTMs holding copies of its weights.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `bi` | `nn.LSTM` | `bidirectional=True`, any `num_layers`, either `batch_first` | the source; leave it unchanged |
# | returns `layers_fw` | list of `num_layers` one-layer `nn.LSTM` | | `layers_fw[l]` holds copies of `weight_ih_l{l}`, `weight_hh_l{l}`, `bias_ih_l{l}`, `bias_hh_l{l}` as its `_l0` |
# | returns `layers_bw` | list of `num_layers` one-layer `nn.LSTM` | | `layers_bw[l]` holds copies of `weight_ih_l{l}_reverse`, ..., `bias_hh_l{l}_reverse` as its `_l0` |
#
# Build each with `bi.hidden_size` and `bi.batch_first`. Layer 0 reads `bi.input_size` features per step;
# what does a layer above it read (section 4)? Copy inside `with torch.no_grad():` (notebook 05).

# %% nbgrader={"grade": false, "grade_id": "split_bidirectional", "locked": false, "schema_version": 3, "solution": true, "task": false}
def split_bidirectional(bi):
    """Two lists of one-layer LSTMs, (layers_fw, layers_bw), holding copies of bi's weights."""
    # Hint: getattr reads a tensor by its name (section 2 lists them: the backward ones end in _reverse);
    # Hint: what does a layer above 0 read per step?
    ### BEGIN SOLUTION
    layers_fw, layers_bw = [], []
    for l in range(bi.num_layers):
        size = bi.input_size if l == 0 else 2 * bi.hidden_size     # layer l reads both directions of l - 1
        for suffix, layers in (("", layers_fw), ("_reverse", layers_bw)):
            single = nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first)
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(single, f"{name}_l0").copy_(getattr(bi, f"{name}_l{l}{suffix}"))
            layers.append(single)
    return layers_fw, layers_bw
    ### END SOLUTION


# %%
# try it on the two-layer LSTM of section 4
layers_fw, layers_bw = split_bidirectional(bi2)
print([f"LSTM({m.input_size}, {m.hidden_size})" for m in layers_fw])
print("layers_bw[1] holds weight_hh_l1_reverse:", torch.equal(layers_bw[1].weight_hh_l0, bi2.weight_hh_l1_reverse))

# %% nbgrader={"grade": true, "grade_id": "test_split_bidirectional", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""split_bidirectional: *_l{l} to the forward LSTM, *_l{l}_reverse to the backward one, 2 x hidden above layer 0"""
from course_utils.checks import nb06

nb06.check_split_bidirectional(split_bidirectional)
### BEGIN HIDDEN TESTS
nb06.check_split_bidirectional(split_bidirectional, num_layers=4, feature=1, hidden=2, seed=1)
nb06.check_split_bidirectional(split_bidirectional, num_layers=2, feature=8, hidden=4, batch_first=True, seed=2)
nb06.check_split_bidirectional(split_bidirectional, num_layers=1, feature=3, hidden=1, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5: `manual_bidirectional` (3 points)
#
# Run the one-layer LSTMs as `nn.LSTM(bidirectional=True, num_layers=k)` does, and return what it returns.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `layers_fw`, `layers_bw` | lists of k one-layer `nn.LSTM` | | as `split_bidirectional` returns them (the check builds its own) |
# | `x` | float tensor | **(seq, batch, feature)**, or **(batch, seq, feature)** if the LSTMs are `batch_first` | |
# | `state` | `None` or a pair `(h0, c0)` | each **(layers x 2, batch, hidden)**, rows as in `h_n` | where each direction of each layer starts; `None` means zeros |
# | returns `out` | float tensor | **(seq, batch, 2 x hidden)**, or **(batch, seq, 2 x hidden)** | the top layer's output, both directions |
# | returns `(h_n, c_n)` | pair of float tensors | each **(layers x 2, batch, hidden)** | row `2 * l + d` = layer `l`, direction `d` |
#
# The steps axis: `layers_fw[0].batch_first` tells. Each one-layer LSTM takes its starting state and
# returns its final one as (1, batch, hidden): keep the axis with a slice, `h0[r:r + 1]` (notebook 05).
# A one-layer LSTM's own `(h, c)` is its final state: for the backward LSTM, that is after step 0.

# %% nbgrader={"grade": false, "grade_id": "manual_bidirectional", "locked": false, "schema_version": 3, "solution": true, "task": false}
def manual_bidirectional(layers_fw, layers_bw, x, state=None):
    """Run one-layer LSTMs as nn.LSTM(bidirectional=True, num_layers=k) does: out, (h_n, c_n)."""
    # Hint: per layer, the forward LSTM reads the layer's input as it is; the backward one reads it
    # Hint: reversed along the steps axis (read torch.flip), and its output is reversed back; then join them.
    ### BEGIN SOLUTION
    t = 1 if layers_fw[0].batch_first else 0                   # the steps axis
    h_list, c_list = [], []
    out = x
    for l, (fw, bw) in enumerate(zip(layers_fw, layers_bw)):
        if state is None:
            state_fw = state_bw = None
        else:
            h0, c0 = state                                     # rows: layer 0 fw, layer 0 bw, layer 1 fw, ...
            state_fw = (h0[2 * l:2 * l + 1], c0[2 * l:2 * l + 1])
            state_bw = (h0[2 * l + 1:2 * l + 2], c0[2 * l + 1:2 * l + 2])
        out_fw, (h_fw, c_fw) = fw(out, state_fw)
        out_bw, (h_bw, c_bw) = bw(out.flip(t), state_bw)
        out = torch.cat([out_fw, out_bw.flip(t)], dim=-1)      # 2 x hidden per step: what layer l + 1 reads
        h_list += [h_fw, h_bw]
        c_list += [c_fw, c_bw]
    return out, (torch.cat(h_list, dim=0), torch.cat(c_list, dim=0))
    ### END SOLUTION


# %%
# try it: your split of bi2 against bi2 itself, on the four reviews, from a random initial state
h0, c0 = torch.randn(4, 4, 5), torch.randn(4, 4, 5)             # (layers x 2 = 4, batch=4, hidden=5)
out_m, (h_m, c_m) = manual_bidirectional(layers_fw, layers_bw, x, (h0, c0))
out_ref, (h_ref, c_ref) = bi2(x, (h0, c0))
cu.show_shapes(out=(out_m, "seq batch hidden"), h_n=(h_m, "layers batch hidden"), c_n=(c_m, "layers batch hidden"))
print("same out, h_n, c_n as nn.LSTM(num_layers=2, bidirectional=True):",
      torch.allclose(out_m, out_ref, atol=1e-6), torch.allclose(h_m, h_ref, atol=1e-6), torch.allclose(c_m, c_ref, atol=1e-6))

# %% nbgrader={"grade": true, "grade_id": "test_manual_bidirectional", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""manual_bidirectional: flipped backward LSTMs, stacked on 2 x hidden, equal nn.LSTM(bidirectional=True)"""
from course_utils.checks import nb06

nb06.check_manual_bidirectional(manual_bidirectional)
### BEGIN HIDDEN TESTS
nb06.check_manual_bidirectional(manual_bidirectional, num_layers=3, seq=3, batch=2, feature=5, hidden=2, seed=1)
nb06.check_manual_bidirectional(manual_bidirectional, num_layers=2, seq=1, batch=1, feature=2, hidden=3,
                                batch_first=True, seed=2)
nb06.check_manual_bidirectional(manual_bidirectional, num_layers=1, seq=7, batch=4, feature=3, hidden=5,
                                with_state=False, seed=3)
nb06.check_manual_bidirectional(manual_bidirectional, num_layers=4, seq=4, batch=3, feature=8, hidden=4,
                                batch_first=True, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ## Common mistakes, and what PyTorch says
#
# **An initial state with one row per layer.** A bidirectional LSTM wants layers x 2 rows:

# %% tags=["nbval-check-output"]
try:
    bi(x, (torch.zeros(1, 4, 5), torch.zeros(1, 4, 5)))       # (layers=1, batch=4, hidden=5): a row is missing
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **A layer above a bidirectional one built to read `hidden` numbers.** It gets 2 x hidden:

# %% tags=["nbval-check-output"]
try:
    nn.LSTM(5, 5)(out)                                          # out: (seq=9, batch=4, 2 x hidden=10)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Loading a bidirectional LSTM's weights into a one-direction LSTM.** The `_reverse` tensors have
# nowhere to go:

# %% tags=["nbval-check-output"]
try:
    nn.LSTM(6, 5).load_state_dict(bi.state_dict())
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **`h_n[-2]` of a one-direction, one-layer LSTM.** There is no second row:

# %% tags=["nbval-check-output"]
_, (h_uni, _) = nn.LSTM(6, 5)(x)
try:
    torch.cat([h_uni[-2], h_uni[-1]], dim=-1)
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# **Padding without packing.** No error, but both final states are off. Add three `<pad>` tokens to
# sentence 0 (their embeddings are zero vectors). The two directions go wrong for different reasons:
#
# - the **forward** direction reads the padding *after* the sentence. Zeros in do not mean "no change":
#   its recurrent weights act on `h_prev` and its forget gate scales `c` at every step, biases or not
#   (notebook 04 showed it with `bias=False`);
# - the **backward** direction reads the padding *before* the sentence, from a zero state. Zero input on
#   a zero state gives gates of exactly sigmoid(0) and a candidate of tanh(0) = 0, so the state would
#   stay exactly zero; only the **biases** move it before the first real word.
#
# **Predict first:** built with `bias=False`, which of the two final states does the padding change?

# %% tags=["nbval-check-output"]
padded = torch.cat([ids[:1], torch.full((1, 3), vocab.pad_id)], dim=1)   # (batch=1, seq=12): sentence 0 + 3 <pad>
no_bias = nn.LSTM(input_size=6, hidden_size=5, bidirectional=True, bias=False)
for label, m in (("with biases", bi), ("bias=False ", no_bias)):
    _, (h_alone, _) = m(embedding(ids[:1]).transpose(0, 1))
    _, (h_padded, _) = m(embedding(padded).transpose(0, 1))
    print(f"{label}: final state unchanged by the padding: forward",
          torch.allclose(h_padded[-2], h_alone[-2], atol=1e-6),
          " backward", torch.allclose(h_padded[-1], h_alone[-1], atol=1e-6))

# %% [markdown]
# Without biases the backward direction's state stays exactly zero over the padding, so only the forward
# final state changes; with biases both do. Packing (`pack_padded_sequence`, [notebook 07](../07-variable-length/07-variable-length.ipynb)) makes
# each direction skip the padding: the forward direction stops at each sentence's last word, the backward
# direction starts there.
#
# **Silent ones:** `out[-1]` (or `out[:, -1]`) as the sentence vector (section 6); `h_n[-1]` alone (the
# backward direction only); the rows of `h_n` read as [all forward layers, then all backward] (section 4);
# `h_n.view(batch, -1)` as the sentence vector (it mixes sequences); a backward LSTM fed the sequence
# unflipped, or its outputs left unflipped (exercise 5). Compare with `torch.cat([h_n[-2], h_n[-1]], dim=-1)`
# when in doubt.
#
# ## Summary
#
# - `bidirectional=True` adds a second LSTM per layer, with weights `*_l{l}_reverse`, that reads the
#   sequence from the last step to the first.
# - `out` is (seq, batch, 2 x hidden) (or batch-first): `out[..., :hidden]` is the forward direction,
#   `out[..., hidden:]` the backward one. The forward direction has read everything at the **last**
#   step, the backward direction at step **0**.
# - `h_n` and `c_n` are (layers x 2, batch, hidden), whatever `batch_first` says: row `2 * l + d`, or
#   `h_n.view(num_layers, 2, batch, hidden)[l, d]`; `h_n[-2]` top layer forward, `h_n[-1]` top layer backward.
# - The backward half of `out[-1]` has read one step. The sentence vector is
#   `torch.cat([h_n[-2], h_n[-1]], dim=-1)`, which for a batch **without padding** is also
#   `torch.cat([out[-1, :, :H], out[0, :, H:]], dim=-1)` (after packing, `out[-1]` is padding for every
#   shorter sequence: notebook 07); its head is `nn.Linear(2 * hidden_size, num_classes)`.
# - A bidirectional layer is two one-layer LSTMs: the backward one reads `x.flip(t)` and its outputs are
#   flipped back; layer `l + 1` reads their concatenation, 2 x hidden numbers per step.
# - From now on `cu.last_layer(h_n, bidirectional=True)` and `cu.split_h_n(h_n, num_layers, True)` do
#   sections 4 and 6 for you.
#
# Next: [notebook 07](../07-variable-length/07-variable-length.ipynb), sentences of different lengths:
# padding, masks, and packing, which keeps both directions off the padding.
#
# ## Going further (not graded)
#
# - A bidirectional LSTM reads every step of its input, later ones included. That is fine for classifying
#   or tagging a whole sentence, and for an *encoder* over a window of the past whose target lies after
#   it: notebook 11 forecasts the hour 6 hours after its 24-hour window, which no direction ever reads.
#   It leaks in a **many-to-many next-step** setup, where `out[t]` predicts `x[t + 1]`: the backward
#   half at step t has already read `x[t + 1]`, so the model can copy the answer it is asked for.
# - Other summaries of `out`: the mean or the maximum over the steps (`out.mean(dim=0)`,
#   `out.max(dim=0).values`), or the sum of the two directions instead of their concatenation. Which keep
#   2 x hidden numbers?
# - `nn.GRU(..., bidirectional=True)` has the same layout of `out` and `h_n` (and no `c_n`): check it
#   with `cu.expected_shapes`.
# - Train `BiClassifier` on the movie reviews with batches of sentences of one length (no padding
#   needed), once with the sentence vector and once with `out[:, -1]`, and compare validation accuracy.
#   Notebook 09 trains it properly, packed.
