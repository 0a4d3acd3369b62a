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
# # 01 · Tokens and embeddings
#
# **Turn real sentences into the tensor an `nn.LSTM` reads.**
#
# After this notebook you can:
#
# - split a sentence into tokens and build a vocabulary with `<pad>` and `<unk>`;
# - turn tokens into ids, and pad a batch of different lengths while keeping the true lengths;
# - look ids up in an `nn.Embedding` whose padding row stays zero (`padding_idx`);
# - follow the shapes `(batch, seq)` → `(batch, seq, emb)` → what `nn.LSTM` reads, in both layouts.
#
# **Prerequisites:** Python lists and dicts, creating a tensor in PyTorch. **Run time:** under a minute on a laptop CPU.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes.
# Run All stops at the first exercise you have not written yet, with a one-line message that
# names it: write it, then run on from there.
# `python -m course_utils check notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb` grades your
# saved notebook from a terminal.
#
# Axis names used everywhere in this course: **batch** (sequences in a batch), **seq** (steps per
# sequence), **emb** (embedding size), **feature** (numbers per step going into the LSTM), **hidden**.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import course_utils as cu

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. Real sentences
#
# The data: 10,566 one-sentence movie reviews from Rotten Tomatoes, each rated by at least 20 people
# (VADER ground truth, Hutto & Gilbert 2014). Label 1 means the raters found it positive. The split
# into train / valid / test is the same on every machine.

# %% tags=["nbval-check-output"]
reviews = cu.data.movie_reviews("train")
print(len(reviews), "training sentences")
for r in reviews[1:4]:
    print(r.label, f"{r.score:+.1f}", r.text)

# %% [markdown]
# ## 2. Tokens
#
# A model cannot read letters; it reads numbers. The first step cuts a sentence into **tokens**: here
# lower-case words, with punctuation as tokens of its own and `n't`-style endings kept on the word.
#
# **Predict first:** how many tokens does `"It's not a bad film, it's a great one!"` have? Then run the cell.

# %% tags=["nbval-check-output"]
tokens = cu.data.tokenize("It's not a bad film, it's a great one!")
print(len(tokens), tokens)

# %% tags=["nbval-check-output"]
token_lists = [cu.data.tokenize(r.text) for r in reviews]
lengths = [len(t) for t in token_lists]
print("shortest", min(lengths), "longest", max(lengths), "mean", round(sum(lengths) / len(lengths), 1))
assert (min(lengths), max(lengths)) == (2, 61)   # the numbers the text below quotes

# %% [markdown]
# Sentences have different lengths: from 2 to 61 tokens here. A batch, though, is one rectangular tensor.
# Keep that in mind for section 4.
#
# ## 3. A vocabulary
#
# A **vocabulary** gives every token an id. Two ids are special and come first:
#
# | id | token | why |
# |---|---|---|
# | 0 | `<pad>` | fills up short sentences in a batch; the model should ignore it |
# | 1 | `<unk>` | stands for every word not in the vocabulary (a word never seen in training, or too rare) |
#
# ### Exercise 1: `build_vocab` (2 points)
#
# | argument / result | type | meaning |
# |---|---|---|
# | `token_lists` | list of lists of str | the tokenized sentences |
# | `min_count` | int | keep a token only if it occurs at least this many times in all sentences together |
# | returns | dict str → int | `"<pad>"` → 0, `"<unk>"` → 1, then the kept tokens by **falling count, ties in alphabetical order** → 2, 3, ... |
#
# Hint: `collections.Counter` counts; `sorted` takes a `key` function, and a tuple key sorts by its first
# item, then breaks ties with the next.

# %% nbgrader={"grade": false, "grade_id": "build_vocab", "locked": false, "schema_version": 3, "solution": true, "task": false}
from collections import Counter


def build_vocab(token_lists, min_count=1):
    """Map tokens to ids: <pad> 0, <unk> 1, then tokens seen >= min_count times, by falling count."""
    # Hint: count with collections.Counter; sort with a tuple key (how does a larger count come first?).
    # Hint: ids 0 and 1 are taken, so the kept tokens are numbered from 2.
    ### BEGIN SOLUTION
    counts = Counter(token for tokens in token_lists for token in tokens)
    kept = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
    vocab = {"<pad>": 0, "<unk>": 1}
    for token in kept:
        vocab[token] = len(vocab)
    return vocab
    ### END SOLUTION


# %%
# try it
vocab = build_vocab(token_lists, min_count=2)
print(len(vocab), "tokens;", list(vocab.items())[:8])

# %% nbgrader={"grade": true, "grade_id": "test_build_vocab", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""build_vocab: <pad> is 0, <unk> is 1, then tokens by falling count"""
from course_utils.checks import nb01

nb01.check_build_vocab(build_vocab)
### BEGIN HIDDEN TESTS
nb01.check_build_vocab(build_vocab, min_count=2)
nb01.check_build_vocab(build_vocab, token_lists=nb01.corpus("other"), min_count=2)
nb01.check_build_vocab(build_vocab, token_lists=[["b", "a"], ["a", "c", "b"]], min_count=1)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: `encode` (2 points)
#
# | argument / result | type | meaning |
# |---|---|---|
# | `tokens` | list of str | one tokenized sentence, length seq |
# | `vocab` | dict str → int | from `build_vocab` |
# | returns | list of int, length seq | the id of each token; a token not in `vocab` gets the id of `"<unk>"` |
#
# Careful: `vocab[token]` raises `KeyError` for a word the vocabulary has never seen.

# %% nbgrader={"grade": false, "grade_id": "encode", "locked": false, "schema_version": 3, "solution": true, "task": false}
def encode(tokens, vocab):
    """One id per token; unknown tokens get the id of <unk>."""
    # Hint: a dict's get method takes a default for a key it does not hold (read dict.get).
    ### BEGIN SOLUTION
    unk = vocab["<unk>"]
    return [vocab.get(token, unk) for token in tokens]
    ### END SOLUTION


# %% tags=["nbval-check-output"]
# try it: "loopy" occurs once in the training sentences, too rare for min_count=2
counts = Counter(t for tokens in token_lists for t in tokens)
print("loopy occurs", counts["loopy"], "time(s); in vocab:", "loopy" in vocab)
ids_try = encode(cu.data.tokenize("A witty, loopy delight."), vocab)
print(ids_try)
assert counts["loopy"] == 1 and ids_try[3] == vocab["<unk>"]

# %% nbgrader={"grade": true, "grade_id": "test_encode", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""encode: known tokens get their id, unknown tokens get <unk>"""
from course_utils.checks import nb01

nb01.check_encode(encode)
### BEGIN HIDDEN TESTS
nb01.check_encode(encode, tokens=["zzz", "film", "qqq", "."])
nb01.check_encode(encode, tokens=[])
nb01.check_encode(encode, tokens="a witty film .".split(), min_count=2)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Padding: from ragged lists to one tensor
#
# A batch must be rectangular, shape **(batch, seq)**, with seq the length of the longest sentence.
# Shorter sentences are filled up with the `<pad>` id, and we keep each sentence's true length, because
# later notebooks need to know where the real tokens end (packing, masks, the last *valid* output).
#
# The pad id must be an id that no word has. A common tutorial draws fake word ids with
# `torch.randint(0, vocab_size, ...)` and then pads with 0: id 0 is then a word *and* the padding,
# and nothing (no `padding_idx`, no mask) can tell them apart. Reserving `<pad>` in the vocabulary
# avoids that.
#
# ```
# sentence 0:  [12, 7, 3]           -> [12, 7, 3, 0, 0]     length 3
# sentence 1:  [5, 9, 14, 2, 8]     -> [5, 9, 14, 2, 8]     length 5
# sentence 2:  [6]                  -> [6, 0, 0, 0, 0]      length 1
# ```
#
# ### Exercise 3: `pad_batch` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `id_lists` | list of lists of int | batch lists, each of its own length | encoded sentences |
# | `pad_id` | int | | the id to pad with (`vocab["<pad>"]`; do not assume 0) |
# | returns `ids` | `torch.long` tensor | **(batch, seq)** | row b = sentence b, then `pad_id` up to seq = the longest length |
# | returns `lengths` | `torch.long` tensor | **(batch,)** | the true length of each sentence |
#
# Keep the sentences in the order they came. `torch.nn.utils.rnn.pad_sequence` can do the padding
# (mind its `batch_first` and `padding_value`), or fill a `torch.full(...)` tensor row by row.

# %% nbgrader={"grade": false, "grade_id": "pad_batch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pad_batch(id_lists, pad_id):
    """Pad encoded sentences to one (batch, seq) long tensor; also return their true lengths."""
    # Hint: start from a (batch, seq) long tensor that holds only the pad id (read torch.full),
    # Hint: then copy each sentence into the start of its row.
    ### BEGIN SOLUTION
    lengths = torch.tensor([len(ids) for ids in id_lists], dtype=torch.long)
    ids = torch.full((len(id_lists), int(lengths.max())), pad_id, dtype=torch.long)
    for b, row in enumerate(id_lists):
        ids[b, : len(row)] = torch.tensor(row, dtype=torch.long)
    return ids, lengths
    ### END SOLUTION


# %%
# try it on four real sentences
batch_tokens = token_lists[1:5]
ids, lengths = pad_batch([encode(t, vocab) for t in batch_tokens], vocab["<pad>"])
cu.show_shapes(ids=(ids, "batch seq"), lengths=(lengths, "batch"))
print(lengths)
print(ids[:, :12])

# %% nbgrader={"grade": true, "grade_id": "test_pad_batch", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""pad_batch: ids (batch, seq) padded with pad_id, lengths (batch,)"""
from course_utils.checks import nb01

nb01.check_pad_batch(pad_batch)
### BEGIN HIDDEN TESTS
nb01.check_pad_batch(pad_batch, lengths=(2, 6, 4), pad_id=3)
nb01.check_pad_batch(pad_batch, lengths=(5,), pad_id=0)
nb01.check_pad_batch(pad_batch, lengths=(1, 1, 2, 9, 3), pad_id=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Embeddings: from ids to vectors
#
# An id is a name, not a quantity: id 40 is not "twice" id 20. `nn.Embedding(vocab_size, emb_dim)`
# holds one learned vector per id in a weight of shape **(vocab, emb)** and looks rows up:
# ids of shape (batch, seq) become vectors of shape **(batch, seq, emb)**.
#
# `padding_idx=pad_id` does two things for the `<pad>` row when you build the table with
# `nn.Embedding(...)`: the row starts at zero, and it gets no gradient, so it stays zero while the
# other rows learn. With `nn.Embedding.from_pretrained(w, padding_idx=0)` the row keeps the values
# `w` gives it (only the gradient is switched off): zero it yourself if you want zeros.

# %%
small = nn.Embedding(num_embeddings=6, embedding_dim=3, padding_idx=0)
print(small.weight)
print(small(torch.tensor([[2, 5, 0]])).shape, "<- (batch=1, seq=3, emb=3)")

# %% tags=["nbval-check-output"]
pretrained = nn.Embedding.from_pretrained(torch.ones(6, 3), padding_idx=0)
print("from_pretrained, row 0:", pretrained.weight[0])   # not zeroed: it keeps what w gave it
assert bool((pretrained.weight[0] == 1).all())


# %% [markdown]
# ### Exercise 4: `make_embedding` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `vocab_size` | int | | number of ids, `len(vocab)` |
# | `emb_dim` | int | | size of each vector |
# | `pad_id` | int | | the `<pad>` id |
# | returns | `nn.Embedding` | weight **(vocab, emb)** | its `<pad>` row is zero and never learns |

# %% nbgrader={"grade": false, "grade_id": "make_embedding", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_embedding(vocab_size, emb_dim, pad_id):
    """An embedding table of shape (vocab, emb) whose <pad> row stays zero."""
    # Hint: one line; nn.Embedding takes padding_idx.
    ### BEGIN SOLUTION
    return nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
    ### END SOLUTION


# %%
# try it: embed the padded batch
embedding = make_embedding(len(vocab), 8, vocab["<pad>"])
embedded = embedding(ids)
cu.show_shapes(ids=(ids, "batch seq"), weight=(embedding.weight, "vocab emb"), embedded=(embedded, "batch seq emb"))
print("a padding position:", embedded[2, -1])

# %% nbgrader={"grade": true, "grade_id": "test_make_embedding", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""make_embedding: weight (vocab, emb) with padding_idx = pad_id"""
from course_utils.checks import nb01

nb01.check_make_embedding(make_embedding)
### BEGIN HIDDEN TESTS
nb01.check_make_embedding(make_embedding, vocab_size=7, emb_dim=5, pad_id=3)
nb01.check_make_embedding(make_embedding, vocab_size=2, emb_dim=1, pad_id=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. What `nn.LSTM` reads
#
# `nn.LSTM` reads a 3-D tensor. Which axis is which depends on one argument:
#
# | built with | input shape | output shape |
# |---|---|---|
# | `nn.LSTM(emb, hidden)` (the default, `batch_first=False`) | **(seq, batch, feature)** | (seq, batch, hidden) |
# | `nn.LSTM(emb, hidden, batch_first=True)` | **(batch, seq, feature)** | (batch, seq, hidden) |
#
# Here *feature* is the embedding size: each word is one **time step**, and its emb numbers are
# the features of that step (you will read "each word is a feature": it is not). Our embedded batch is (batch, seq, emb), so it is ready for
# `batch_first=True`; for the default layout, swap the first two axes with `.transpose(0, 1)`.
# (You will read "the LSTM expects (seq, batch, emb)": that holds only for the default.)
#
# The trap: `.view(seq, batch, emb)` or `.reshape(...)` gives the right *shape* but keeps the numbers in
# memory order, so each "time step" then mixes pieces of different sentences. PyTorch raises no error.
# Watch it happen on a tiny batch of 2 sentences of 3 steps, where each number says
# *sentence.step*:

# %% tags=["nbval-check-output"]
x = torch.tensor([[[0.0], [0.1], [0.2]],
                  [[1.0], [1.1], [1.2]]])          # (batch=2, seq=3, feature=1)
print("transpose(0, 1), step 0 of each sentence:", x.transpose(0, 1)[0].flatten())
print("view(3, 2, 1),   'step 0' of each sentence:", x.view(3, 2, 1)[0].flatten())


# %% [markdown]
# `transpose` gives steps 0.0 and 1.0, the first token of each sentence. `view` gives 0.0 and 0.1: two
# steps of sentence 0, presented as two different sentences.
#
# ### Exercise 5: `to_lstm_input` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `embedded` | float tensor | **(batch, seq, emb)** | output of the embedding |
# | `batch_first` | bool | | how the LSTM that will read it was built |
# | returns | float tensor | **(batch, seq, emb)** if `batch_first` else **(seq, batch, emb)** | the same numbers, in the layout that LSTM reads |

# %% nbgrader={"grade": false, "grade_id": "to_lstm_input", "locked": false, "schema_version": 3, "solution": true, "task": false}
def to_lstm_input(embedded, batch_first):
    """Lay out (batch, seq, emb) vectors the way nn.LSTM(batch_first=batch_first) reads them."""
    # Hint: the default layout is (seq, batch, emb): which two axes trade places? Read Tensor.transpose (not view).
    ### BEGIN SOLUTION
    if batch_first:
        return embedded
    return embedded.transpose(0, 1)
    ### END SOLUTION


# %%
# try it: feed both kinds of LSTM
hidden_size = 5
lstm_seq_first = nn.LSTM(8, hidden_size)
lstm_batch_first = nn.LSTM(8, hidden_size, batch_first=True)
out_sf, _ = lstm_seq_first(to_lstm_input(embedded, batch_first=False))
out_bf, _ = lstm_batch_first(to_lstm_input(embedded, batch_first=True))
cu.show_shapes(out_seq_first=(out_sf, "seq batch hidden"), out_batch_first=(out_bf, "batch seq hidden"))

# %% nbgrader={"grade": true, "grade_id": "test_to_lstm_input", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""to_lstm_input: the layout nn.LSTM reads, with batch_first=True and False"""
from course_utils.checks import nb01

nb01.check_to_lstm_input(to_lstm_input)
### BEGIN HIDDEN TESTS
nb01.check_to_lstm_input(to_lstm_input, batch=3, seq=2, emb=6)
nb01.check_to_lstm_input(to_lstm_input, batch=1, seq=5, emb=2)
nb01.check_to_lstm_input(to_lstm_input, batch=6, seq=1, emb=4)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. The whole journey
#
# From text to what the LSTM returns, with every shape named. This is the pipeline the sentiment
# classifier of notebook 09 is built on.

# %% tags=["nbval-check-output"]
texts = [r.text for r in reviews[1:5]]
ids, lengths = pad_batch([encode(cu.data.tokenize(t), vocab) for t in texts], vocab["<pad>"])
embedding = nn.Embedding(len(vocab), 8, padding_idx=vocab["<pad>"])
lstm = nn.LSTM(input_size=8, hidden_size=5, batch_first=True)
embedded = embedding(ids)
out, (h_n, c_n) = lstm(embedded)
cu.show_shapes(
    ids=(ids, "batch seq"),
    lengths=(lengths, "batch"),
    embedded=(embedded, "batch seq emb"),
    out=(out, "batch seq hidden"),
    h_n=(h_n, "layers batch hidden"),
    c_n=(c_n, "layers batch hidden"),
)

# %% [markdown]
# `h_n` is **(layers, batch, hidden)** even though the LSTM was built with `batch_first=True`:
# `batch_first` changes the input and `out`, never `h_n` and `c_n`. Notebook 04 is about this.
#
# One more thing to notice: the LSTM above ran over the padding of the shorter sentences too, so its
# final state for them has read `<pad>` vectors after the real words. Notebook 07 fixes that with packing.
#
# ## Common mistakes, and what PyTorch says
#
# **Float ids.** `nn.Embedding` looks rows up by integer id:

# %% tags=["nbval-check-output"]
try:
    embedding(ids.float())
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])

# %% [markdown]
# **An id that is too large** (a vocabulary built after the embedding, or an id from another vocabulary):

# %% tags=["nbval-check-output"]
try:
    embedding(torch.tensor([[len(vocab)]]))
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# **A wrong feature size.** The LSTM's `input_size` must equal the embedding size:

# %% tags=["nbval-check-output"]
try:
    nn.LSTM(input_size=10, hidden_size=5, batch_first=True)(embedded)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **seq and batch swapped** never raises inside `nn.LSTM`, whatever the sizes: a default LSTM fed
# (batch=4, seq=23, emb=8) reads it as 4 time steps of 23 "sentences", and `out` even has the
# shape you expect. It fails only when the feature axis moves, or later, at something that has the
# true batch size of 4: an initial state `h0`, or the targets of the loss. `h_n` gives it away, and
# `cu.check_shape` says why:

# %% tags=["nbval-check-output"]
out_wrong, (h_wrong, c_wrong) = nn.LSTM(8, 5)(embedded)   # default layout, batch-first data
print("out", tuple(out_wrong.shape), "looks fine, but h_n is", tuple(h_wrong.shape))
assert tuple(embedded.shape) == (4, 23, 8) and tuple(h_wrong.shape) == (1, 23, 5)
try:
    cu.check_shape(h_wrong, "layers batch hidden", batch=4, hidden=5, name="h_n")
except cu.ShapeError as err:
    print(err)
h0 = torch.zeros(1, 4, 5)                     # an initial state for the true batch of 4
try:
    nn.LSTM(8, 5)(embedded, (h0, h0))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## Summary
#
# - text → tokens → ids (`<unk>` for unknown words) → padded `(batch, seq)` ids + `(batch,)` lengths;
# - `nn.Embedding(vocab, emb, padding_idx=pad_id)`: `(batch, seq)` → `(batch, seq, emb)`, `<pad>` row fixed at zero;
# - `nn.LSTM` reads `(seq, batch, feature)` by default and `(batch, seq, feature)` with `batch_first=True`;
#   change layouts with `transpose(0, 1)`, never `view`/`reshape`;
# - `h_n` and `c_n` of a batch are `(layers, batch, hidden)` whatever `batch_first` says.
#
# ## Going further (not graded)
#
# - Build the vocabulary with `min_count=1` and with `min_count=5`: how many tokens does each keep,
#   and what share of the *validation* tokens (`cu.data.movie_reviews("valid")`) become `<unk>`?
# - `nn.Embedding.from_pretrained` loads vectors trained elsewhere (GloVe, word2vec); `freeze=True` keeps them fixed.
# - Try `torch.nn.utils.rnn.pad_sequence` on the same batch and compare with your `pad_batch`.
