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
# **Eight broken LSTM programs, each a mistake real tutorials make. Say what is wrong, then repair it
# and prove the repair.**
#
# After this notebook you can:
#
# - diagnose, from its symptom, each of the mistakes that notebooks 01-12 warned about, when it turns
#   up in someone else's code: which line, which axis, which step;
# - tell a mistake that raises from one that runs and silently learns less, and check which it is;
# - read PyTorch's own error, find where the mistake was *made* (not where it was noticed), and fix
#   the cause, not the symptom.
#
# **Prerequisites:** notebooks 02 (layout), 04 (state, chunks), 06 (bidirectional), 07 (packing,
# masks) and 08 (decoding). **Run time:** under a minute on a laptop CPU.
#
# **How the clinic works.** Each case shows the broken code from a tutorial and runs it, so you see
# its symptom: PyTorch's error, or numbers that are quietly wrong. Then two exercises:
#
# 1. **Diagnosis** (1 point): make `diagnosis_N()` return a dict with the letter of the cause among a
#    few plausible ones, and one fact you read from the symptom (a line, an axis, a step). Its check says
#    whether you are right; when you are not, it says why the cause you chose is not it, or what to
#    look at again, never the answer.
# 2. **Repair**: write the repaired function, run the *try it* cell, then the locked check. The check
#    judges what your function does (its outputs, its losses, the weights it trains), never how it is
#    written; when the repair is only half done, it says which half.
#
# Run All stops at the first exercise you have not done yet. The mistakes themselves are taught in
# earlier notebooks; each case says where, so this notebook is about finding them.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import course_utils as cu
from course_utils.explain import explain_exception

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# `explain_exception(err)` is what the course prints under an error PyTorch raises in a notebook
# (also `python -m course_utils explain "<error text>"` in a terminal). Here, where the cases raise on
# purpose, the clinic shows PyTorch's message alone first; after your diagnosis it shows the course's
# explanation of the cause, `explain_exception(err, fix=False)`, without its `Fix:` line.
#
# ## Case 1: "the last valid output" after unpacking (1 + 2 points)
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
# ### Diagnosis 1 (1 point)
#
# Why are those rows zeros? Choose the cause:
#
# - **a.** `pack_padded_sequence` was given unsorted lengths, so the rows of `out` come back in another
#   order than the reviews.
# - **b.** `pad_packed_sequence` returned `out` as (seq, batch, hidden), so `out[:, -1]` took the last
#   review at every step.
# - **c.** `out[:, -1]` reads the same step, the last of the padded seq axis, for every review; for a
#   review shorter than the longest, that step is padding.
# - **d.** The embedding's `padding_idx=0` gives the padded tokens zero vectors, and an LSTM that reads
#   zero vectors outputs zeros.
#
# And where *is* each review's last real output?
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"steps"` | list of 4 int | for each review in order, the step of `out` (an index on its seq axis) holding its last real output |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_1():
    """Your diagnosis of case 1: return {"cause": "<a letter>", "steps": [<4 int>]}."""
    # Hint: compare lengths with the length of out's seq axis; an index on an axis counts from 0.
    ### BEGIN SOLUTION
    return {"cause": "c", "steps": [14, 7, 16, 22]}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_1: why out[:, -1] gives zeros, and where each review's last real output is"""
from course_utils.checks import nb13

nb13.check_diagnosis_1(diagnosis_1)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(1, diagnosis_1)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 1: `last_outputs` (2 points)
#
# Notebook 07 §5 teaches this mistake and the two ways to get the last valid output. Repair the
# article's function:
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `out` | float tensor | **(batch, seq, hidden)** | unpacked with `batch_first=True`; zeros past each length |
# | `lengths` | long tensor | **(batch,)** | real steps per sequence, unsorted; leave it unchanged |
# | returns | float tensor | **(batch, hidden)** | each sequence's output at its last real step |

# %% nbgrader={"grade": false, "grade_id": "last_outputs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def last_outputs(out, lengths):
    """Each sequence's output at its last real step: (batch, seq, hidden) -> (batch, hidden)."""
    # Hint: one row per sequence, each at its own step: index out with two index tensors at once
    # (read "advanced indexing" in PyTorch's docs, and torch.arange).
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
nb13.check_last_outputs(last_outputs, configs=(
    dict(lengths=[9, 1, 4], seq=9, feature=2, hidden=6),
))
nb13.check_last_outputs(last_outputs, configs=(
    dict(lengths=[4], seq=4, feature=3, hidden=2),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 2: a seq-first LSTM fed with `view` (1 + 1 points)
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
# ### Diagnosis 2 (1 point)
#
# - **a.** `view` cuts the numbers, read in row-major order, into the new shape; it moves no axis, so
#   steps of one sequence land in the slots of another.
# - **b.** `x` is not contiguous, so `view` read its numbers in a scrambled order; `reshape` (or
#   `x.contiguous().view(...)`) would be right.
# - **c.** `view` also reversed the feature axis: the numbers inside each step are in the wrong order.
# - **d.** `x` was already (seq, batch, feature): the tutorial needed no change at all.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"source"` | pair of int | `(b, t)`: the sequence and step of `x` whose numbers `broken_to_seq_first(x)[2, 0]` holds; work it out before you print it |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_2():
    """Your diagnosis of case 2: return {"cause": "<a letter>", "source": (<b>, <t>)}."""
    # Hint: view reads x's 12 numbers in the order they are stored, row by row, and refills the
    # new shape (3, 2, 2) in that same order.
    ### BEGIN SOLUTION
    return {"cause": "a", "source": (1, 1)}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_2: what view did to the sequences"""
from course_utils.checks import nb13

nb13.check_diagnosis_2(diagnosis_2)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(2, diagnosis_2)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 2: `to_seq_first` (1 point)
#
# `view` and `reshape` both regroup the numbers in row-major order; only `transpose` or `permute` move
# an axis (notebook 02 §2).
#
# | argument / result | shape |
# |---|---|
# | `x` | **(batch, seq, feature)**; leave it unchanged |
# | returns | **(seq, batch, feature)**, with `result[t, b] == x[b, t]` |

# %% nbgrader={"grade": false, "grade_id": "to_seq_first", "locked": false, "schema_version": 3, "solution": true, "task": false}
def to_seq_first(x):
    """(batch, seq, feature) -> (seq, batch, feature), every number kept with its sequence and step."""
    # Hint: move an axis, do not regroup numbers; read Tensor.transpose and Tensor.permute (and
    # mind the difference between transpose and transpose_).
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
nb13.check_to_seq_first(to_seq_first, configs=(
    dict(batch=1, seq=5, feature=2),
    dict(batch=3, seq=1, feature=4),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 3: a bidirectional sentence vector (1 + 1 points)
#
# A classifier built on `nn.LSTM(..., num_layers=2, bidirectional=True)` feeds its head `h_n[-1]`,
# "the final hidden state", and a head of size `hidden`. It trains without an error. Here is what
# `h_n[-1]` is, next to the two halves of `out` at the first and the last step:

# %% tags=["nbval-check-output"]
bi = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
out_bi, (h_bi, _) = bi(torch.randn(7, 6, 3))          # (seq=7, batch=6, feature=3)
cu.show_shapes(out=(out_bi, "seq batch hidden"), h_n=(h_bi, "layers batch hidden"),
               last_row=(h_bi[-1], "batch hidden"))
for name, half in [("out[-1, :, :5]", out_bi[-1, :, :5]), ("out[-1, :, 5:]", out_bi[-1, :, 5:]),
                   ("out[0, :, :5] ", out_bi[0, :, :5]), ("out[0, :, 5:] ", out_bi[0, :, 5:])]:
    print(f"h_n[-1] == {name}:", torch.allclose(h_bi[-1], half))


# %% [markdown]
# ### Diagnosis 3 (1 point)
#
# - **a.** `h_n[-1]` is the bottom layer; the top layer is `h_n[0]`.
# - **b.** `h_n[-1]` holds the two directions averaged into `hidden` numbers.
# - **c.** `h_n[-1]` holds both directions side by side, and a head of size `hidden` reads only its
#   first half.
# - **d.** `h_n[-1]` is the top layer's backward direction alone; the forward direction's final state
#   is another row of `h_n`.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"rows"` | list of 2 int | the rows of `h_bi` above the sentence vector needs, the forward direction first |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_3():
    """Your diagnosis of case 3: return {"cause": "<a letter>", "rows": [<int>, <int>]}."""
    # Hint: which half of out equals h_n[-1], and what does that half hold (notebook 06 §3-4)?
    ### BEGIN SOLUTION
    return {"cause": "d", "rows": [2, 3]}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_3: what h_n[-1] of a bidirectional stack is"""
from course_utils.checks import nb13

nb13.check_diagnosis_3(diagnosis_3)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(3, diagnosis_3)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 3: `sentence_vector` (1 point)
#
# Notebook 06 §4 shows which row of `h_n` is which, and §6 the sentence vector.
#
# | argument / result | shape |
# |---|---|
# | `h_n` | **(layers x 2, batch, hidden)** of a bidirectional LSTM, any number of layers; leave it unchanged |
# | returns | **(batch, 2 x hidden)**: the top layer's forward final state, then its backward one |

# %% nbgrader={"grade": false, "grade_id": "sentence_vector", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sentence_vector(h_n):
    """(layers x 2, batch, hidden) of a bidirectional LSTM -> (batch, 2 x hidden): top layer, both directions."""
    # Hint: your diagnosis named the two rows; join them side by side on the last axis (read torch.cat).
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
nb13.check_sentence_vector(sentence_vector, configs=(
    dict(num_layers=3, batch=2, hidden=4, feature=2),
    dict(num_layers=1, batch=1, hidden=2, feature=5),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 4: carrying the state between chunks (1 + 2 points)
#
# Training on a long series in chunks (truncated backpropagation through time), a tutorial carries
# `(h, c)` from one chunk into the next. It fails:

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
    error4 = err
    print("RuntimeError:", str(err)[:92], "...")
    print("raised by: loss.backward(), on the second chunk")


# %% [markdown]
# ### Diagnosis 4 (1 point)
#
# - **a.** The first `backward()` freed buffers the second one needs: the second `backward()` needs
#   `retain_graph=True`, as the error suggests.
# - **b.** The state carried into the next chunk still holds the previous chunk's graph, so the next
#   `backward()` tries to go back into a graph that is already freed.
# - **c.** `optimizer.zero_grad()` runs after the forward pass and wipes its graph.
# - **d.** `head` is the same `nn.Linear` in every chunk, and a module can be backpropagated through
#   only once.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"line"` | int | the line of `broken_train_in_chunks` (the `def` line is line 1) where the mistake is *made*, which need not be where PyTorch notices it |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_4():
    """Your diagnosis of case 4: return {"cause": "<a letter>", "line": <int>}."""
    # Hint: PyTorch notices the problem later than it is made: which line hands something from one
    # chunk on to the next?
    ### BEGIN SOLUTION
    return {"cause": "b", "line": 4}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_4: why the second chunk's backward() fails, and the line that causes it"""
from course_utils.checks import nb13

nb13.check_diagnosis_4(diagnosis_4)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(4, diagnosis_4)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 4: `train_in_chunks` (2 points)
#
# The course's explanation of this error, its cause only:

# %% tags=["nbval-check-output"]
print(explain_exception(error4, fix=False))

# %% [markdown]
# Notebook 04 (§5 "What `.detach()` does", §6) teaches truncated backpropagation through time.
# Repair `train_in_chunks`: same arguments as the broken one, the state still carried from chunk to
# chunk but no longer linked to the previous chunk's graph.
#
# | argument / result | type | meaning |
# |---|---|---|
# | `lstm`, `head` | `nn.LSTM` (seq-first), `nn.Linear` | trained in place by `optimizer` |
# | `x`, `y` | float tensors, **(seq, batch, feature)** and **(seq, batch, 1)** | left unchanged |
# | `chunk` | int | steps per chunk; the last chunk may be shorter |
# | `optimizer` | a `torch.optim` optimizer over both modules | one `step()` per chunk |
# | returns | list of float | one loss per chunk, as Python numbers |

# %% nbgrader={"grade": false, "grade_id": "train_in_chunks", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_in_chunks(lstm, head, x, y, chunk, optimizer):
    """Train on x (seq, batch, feature) chunk by chunk, carrying the state detached; return the losses."""
    # Hint: keep the numbers of the state, drop its history, for both of its tensors: read
    # Tensor.detach. And a loss becomes a Python number through Tensor.item.
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
nb13.check_train_in_chunks(train_in_chunks, chunks=(6, 7), lr=0.2)
### END HIDDEN TESTS

# %% [markdown]
# ## Case 5: state carried across batches (1 + 1 points)
#
# A sentence classifier encodes its batches one after the other, and the last, smaller batch fails:

# %% tags=["nbval-check-output"]
def broken_encode_batches(lstm, batches):
    state, results = None, []
    for batch in batches:
        out, state = lstm(batch, state)
        results.append(state[0][-1])
    return results

enc = nn.LSTM(3, 5)
batches = [torch.randn(6, 4, 3), torch.randn(6, 4, 3), torch.randn(6, 3, 3)]   # (seq, batch, feature)
try:
    broken_encode_batches(enc, batches)
except RuntimeError as err:
    error5 = err
    print("RuntimeError:", err)


# %% [markdown]
# ### Diagnosis 5 (1 point)
#
# The three batches hold unrelated sentences.
#
# - **a.** The last batch is smaller: its starting state must be rebuilt with 3 rows whenever the
#   batch size changes.
# - **b.** The batches are (seq, batch, feature), but the LSTM needs `batch_first=True`.
# - **c.** Each batch starts from the state the previous batch ended in, although its sentences have
#   nothing to do with the previous ones.
# - **d.** The state must be detached before it is passed on, as in case 4.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"wrong_batches"` | list of int | the batches (0, 1, 2) whose vectors would be wrong even if all three held 4 sentences, so that nothing raised |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_5():
    """Your diagnosis of case 5: return {"cause": "<a letter>", "wrong_batches": [<int>, ...]}."""
    # Hint: which batch starts from zeros, whatever the sizes?
    ### BEGIN SOLUTION
    return {"cause": "c", "wrong_batches": [1, 2]}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_5: why the last batch fails, and which batches are wrong without an error"""
from course_utils.checks import nb13

nb13.check_diagnosis_5(diagnosis_5)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(5, diagnosis_5)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 5: `encode_batches` (1 point)
#
# The course's explanation of the error names two likely causes; your diagnosis says which one holds
# here:

# %% tags=["nbval-check-output"]
print(explain_exception(error5, fix=False))

# %% [markdown]
# | argument / result | type | meaning |
# |---|---|---|
# | `lstm` | `nn.LSTM`, seq-first, any number of layers | |
# | `batches` | list of float tensors **(seq, batch, feature)**, batch sizes may differ | left unchanged |
# | returns | list of float tensors **(batch, hidden)** | each batch's top-layer final state, `h_n[-1]` |

# %% nbgrader={"grade": false, "grade_id": "encode_batches", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode_batches(lstm, batches):
    """[h_n[-1] of each batch, (batch, hidden)], every batch encoded on its own from zeros."""
    # Hint: what initial state does nn.LSTM use when you pass none? Read nn.LSTM's h_0 and c_0.
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
nb13.check_encode_batches(encode_batches, configs=(
    dict(batch_sizes=(2, 5), feature=4, hidden=3, num_layers=1),
    dict(batch_sizes=(1, 6, 2), feature=2, hidden=4, num_layers=3),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 6: a tagger's loss (1 + 2 points)
#
# A tagger pads its target tags with 0, which is also a real tag, and computes its loss like this. It
# trains without complaint.

# %% tags=["nbval-check-output"]
def broken_masked_loss(logits, targets, lengths):
    return nn.functional.cross_entropy(logits.transpose(1, 2), targets)

logits6 = torch.randn(4, 7, 5)
lengths6 = torch.tensor([3, 7, 1, 5])
targets6 = torch.randint(0, 5, (4, 7)).masked_fill(torch.arange(7)[None, :] >= lengths6[:, None], 0)
cu.show_shapes(logits=(logits6, "batch seq classes"), targets=(targets6, "batch seq"))
print("lengths:", lengths6.tolist())
print("targets:", targets6.tolist())


# %% [markdown]
# ### Diagnosis 6 (1 point)
#
# - **a.** The mean runs over every step, padded ones included, and their target 0 is a real class:
#   the model is also trained to predict class 0 at padded steps.
# - **b.** `logits.transpose(1, 2)` mixes the scores of different steps.
# - **c.** The padded steps' logits should be set to zero before the loss.
# - **d.** The targets should be padded with -1 instead of 0; nothing else has to change.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"padded_steps"` | int | how many (sequence, step) pairs the broken loss counts that it should not |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_6", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_6():
    """Your diagnosis of case 6: return {"cause": "<a letter>", "padded_steps": <int>}."""
    # Hint: count the real steps from lengths6, and compare with all the steps of the batch.
    ### BEGIN SOLUTION
    return {"cause": "a", "padded_steps": 12}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_6", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_6: what the tagger's loss averages over"""
from course_utils.checks import nb13

nb13.check_diagnosis_6(diagnosis_6)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(6, diagnosis_6)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 6: `masked_loss` (2 points)
#
# Notebook 07 §7 (and 08 §6) teach the loss over the real steps only.
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `logits` | float tensor | **(batch, seq, classes)** | one score per class at every step; left unchanged |
# | `targets` | long tensor | **(batch, seq)** | the right class per step; 0 at padded steps; left unchanged |
# | `lengths` | long tensor | **(batch,)** | real steps per sequence; left unchanged |
# | returns | 0-d float tensor | | mean cross-entropy over the real steps only |

# %% nbgrader={"grade": false, "grade_id": "masked_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def masked_loss(logits, targets, lengths):
    """Mean cross-entropy over the real steps: padded steps neither count nor dilute the mean."""
    # Hint: a loss per step first (read cross_entropy's reduction argument), then the mean of the
    # real ones only, chosen by a (batch, seq) mask built from lengths (notebook 07 §2).
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
nb13.check_masked_loss(masked_loss, configs=(
    dict(lengths=[4, 2], seq=4, classes=7),
    dict(lengths=[3], seq=3, classes=2),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 7: a tagger's loss, written with `nn.CrossEntropyLoss` (1 + 1 points)
#
# The same tagger, written with `nn.CrossEntropyLoss` straight on the LSTM's batch-first scores:

# %% tags=["nbval-check-output"]
loss_fn = nn.CrossEntropyLoss()
scores7, tags7 = torch.randn(4, 7, 5), torch.randint(0, 5, (4, 7))
cu.show_shapes(scores=(scores7, "batch seq classes"), tags=(tags7, "batch seq"))
try:
    loss_fn(scores7, tags7)
except RuntimeError as err:
    error7 = err
    print("RuntimeError:", err)


# %% [markdown]
# ### Diagnosis 7 (1 point)
#
# - **a.** The targets must be one-hot, (batch, seq, classes), like the scores.
# - **b.** The targets are long integers, and `CrossEntropyLoss` wants floats.
# - **c.** The scores and the targets disagree on the batch size.
# - **d.** `CrossEntropyLoss` looks for the classes on another axis than the one that holds them.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"axis"` | int | the axis of `scores7` that `CrossEntropyLoss` read as the classes |
# | `"classes"` | int | how many classes `CrossEntropyLoss` therefore believed there are |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_7", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_7():
    """Your diagnosis of case 7: return {"cause": "<a letter>", "axis": <int>, "classes": <int>}."""
    # Hint: read the Shape section of nn.CrossEntropyLoss's documentation: where does it expect the classes?
    ### BEGIN SOLUTION
    return {"cause": "d", "axis": 1, "classes": 7}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_7", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_7: where CrossEntropyLoss looked for the classes"""
from course_utils.checks import nb13

nb13.check_diagnosis_7(diagnosis_7)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(7, diagnosis_7)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 7: `step_loss` (1 point)
#
# The course's explanation, its cause only:

# %% tags=["nbval-check-output"]
print(explain_exception(error7, fix=False))

# %% [markdown]
# Notebook 07 §7 teaches the class axis of `CrossEntropyLoss` for a loss over steps. Beware the
# repair that silences the error and scrambles the scores: a `view` to (batch, classes, seq) (case 2).
#
# | argument / result | type | shape |
# |---|---|---|
# | `logits` | float tensor | **(batch, seq, classes)**; left unchanged |
# | `targets` | long tensor | **(batch, seq)**; left unchanged |
# | returns | 0-d float tensor | the mean cross-entropy over every (sequence, step) |

# %% nbgrader={"grade": false, "grade_id": "step_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_loss(logits, targets):
    """CrossEntropyLoss over every step: logits (batch, seq, classes), targets (batch, seq)."""
    # Hint: put the classes where the loss reads them without regrouping any number, or give it one
    # row per step (read CrossEntropyLoss's Shape section, Tensor.transpose, Tensor.reshape).
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
nb13.check_step_loss(step_loss, configs=(
    dict(batch=1, seq=3, classes=2),
    dict(batch=6, seq=2, classes=9),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Case 8: a decoder's predictions (1 + 2 points)
#
# A sequence-to-sequence tutorial reports excellent predictions with this `generate` function.
# `nb13.Decoder` is a small decoder: `decoder(token, (h, c))` returns the scores of the next token,
# (batch, vocab), and the new state. The tutorial's function is called twice with the same targets,
# then with other targets:

# %% tags=["nbval-check-output"]
from course_utils.checks.nb13 import Decoder


def broken_generate(decoder, state, bos, steps, targets):
    token, tokens = torch.full((state[0].size(0),), bos), []
    for t in range(steps):
        scores, state = decoder(token, state)
        tokens.append(scores.argmax(dim=-1))
        token = targets[:, t]
    return torch.stack(tokens, dim=1)

decoder = Decoder()
state8 = (torch.randn(2, 6), torch.randn(2, 6))
targets_a, targets_b = torch.randint(2, 9, (2, 5)), torch.randint(2, 9, (2, 5))
with torch.no_grad():
    a1 = broken_generate(decoder, state8, 1, 5, targets_a)
    a2 = broken_generate(decoder, state8, 1, 5, targets_a)
    b = broken_generate(decoder, state8, 1, 5, targets_b)
print("same predictions for the same targets twice:", torch.equal(a1, a2))
print("same predictions for other targets:         ", torch.equal(a1, b))


# %% [markdown]
# ### Diagnosis 8 (1 point)
#
# - **a.** `argmax` runs over the batch axis instead of the vocabulary axis.
# - **b.** Each step's input is the target token, not the model's own last prediction, so the
#   predictions depend on targets, which do not exist at inference.
# - **c.** The decoder is in training mode, so dropout makes every run give other tokens.
# - **d.** The first call changes `state8` in place, so the next call starts from another state.
#
# | key | type | value |
# |---|---|---|
# | `"cause"` | str | one letter, `"a"` to `"d"` |
# | `"line"` | int | the line of `broken_generate` (the `def` line is line 1) that makes the mistake |

# %% nbgrader={"grade": false, "grade_id": "diagnosis_8", "locked": false, "schema_version": 3, "solution": true, "task": false}
def diagnosis_8():
    """Your diagnosis of case 8: return {"cause": "<a letter>", "line": <int>}."""
    # Hint: which line chooses what the decoder reads at the next step?
    ### BEGIN SOLUTION
    return {"cause": "b", "line": 6}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_diagnosis_8", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""diagnosis_8: why the predictions follow the targets"""
from course_utils.checks import nb13

nb13.check_diagnosis_8(diagnosis_8)
### BEGIN HIDDEN TESTS
nb13.check_diagnosis(8, diagnosis_8)
### END HIDDEN TESTS

# %% [markdown]
# ### Repair 8: `generate` (2 points)
#
# Notebook 08 §7 teaches greedy decoding.
#
# | argument / result | type | shape |
# |---|---|---|
# | `decoder` | a module like `Decoder` | `decoder(token, (h, c))` -> scores (batch, vocab), new (h, c) |
# | `state` | pair of float tensors | **(batch, hidden)** each; left unchanged |
# | `bos`, `steps` | int | the start token; how many tokens to generate |
# | `targets` | long tensor or None | **(batch, steps)**; present or not, it must not matter |
# | returns | long tensor | **(batch, steps)**: the generated token ids |

# %% nbgrader={"grade": false, "grade_id": "generate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generate(decoder, state, bos, steps, targets=None):
    """Greedy decoding: start from <bos>, feed each step the model's own last prediction; (batch, steps)."""
    # Hint: the next input is the id the model scored highest at this step (read torch.argmax's
    # dim), whatever `targets` holds.
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
    print(torch.equal(generate(decoder, state8, 1, 5, targets_a), generate(decoder, state8, 1, 5, targets_b)))

# %% nbgrader={"grade": true, "grade_id": "test_generate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""generate: greedy decoding fed its own predictions, blind to the targets"""
from course_utils.checks import nb13

nb13.check_generate(generate)
### BEGIN HIDDEN TESTS
nb13.check_generate(generate, configs=(
    dict(batch=3, steps=9, bos=2),
    dict(batch=1, steps=1, bos=1),
))
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# | case | symptom | where it is made | cause | repair | taught in |
# |---|---|---|---|---|---|
# | 1 | zeros for every shorter sequence, no error | `out[:, -1]` | the last padded step is padding | `out[arange(batch), lengths - 1]` (or `h_n[-1]`) | 07 §5 |
# | 2 | no error; the model learns less | `view` | `view`/`reshape` regroup numbers across sequences | `transpose(0, 1)` | 02 §2 |
# | 3 | no error; half the information | `h_n[-1]` | the backward direction alone | `cat([h_n[-2], h_n[-1]], -1)`, head of 2 x hidden | 06 §4, §6 |
# | 4 | "backward through the graph a second time" | the line that carries the state, not the `backward()` that raises | the carried state keeps the old graph | `detach()` both h and c; not `retain_graph` | 04 §5-6 |
# | 5 | a smaller batch fails; silently, every later batch depends on earlier ones | the state passed to the LSTM | state carried across unrelated batches | start each batch from zeros | 04 §4 |
# | 6 | no error; learns to predict padding | the loss's mean | the loss averages over padded steps | mean over the mask (or `ignore_index`) | 07 §7 |
# | 7 | "Expected target size" | the logits' layout | `CrossEntropyLoss` wants classes on axis 1 | `transpose(1, 2)` or one row per step | 07 §7 |
# | 8 | predictions that follow the targets | the next input | teacher forcing at inference | feed the model's own prediction | 08 §7 |
#
# Every one of these, and many more, is in [the catalogue of mistakes](../../docs/mistakes.md) with
# the message the course's checks show for it.
#
# ## Going further (ungraded)
#
# - `python -m course_utils explain "<an error you met>"` in a terminal; `course_utils.explain.explain(text,
#   fix=False)` gives the cause alone.
# - Break something on purpose in notebook 09 or 12 (`out[:, -1]`, no mask in the loss) and measure
#   how much held-out accuracy it costs: most of these mistakes cost a few points, not a crash.
