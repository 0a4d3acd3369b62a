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
# # 12 · Tagging: one output per step
#
# **Tag every word of ten thousand real sentences with its part of speech: a bidirectional LSTM gives
# one output per step, and the padding stays out of the loss and out of the accuracy.**
#
# After this notebook you can:
#
# - batch tagged sentences so that the padding carries a label the loss skips (`-100`), never a real tag;
# - build a many-to-many tagger: embeddings, a packed BiLSTM, `pad_packed_sequence(total_length=...)`,
#   and a linear head at every step, scores of shape (batch, seq, classes);
# - write a loss and an accuracy over the real tokens only, and say what counting the padding does;
# - measure a tagger against baselines that read what it reads (case included): each token's most
#   frequent tag, and a two-rule tagger that adds "an unknown capitalised word is a proper noun";
#   say how many of their errors the LSTM removes, over several seeds;
# - read a tagger's mistakes (which tag it confuses with which), and say what "silver" tags can and cannot
#   tell you.
#
# **Prerequisites:** [notebook 01](../01-tokens-embeddings/01-tokens-embeddings.ipynb) (vocabulary,
# `<pad>` and `<unk>`), [notebook 06](../06-bidirectional/06-bidirectional.ipynb) (the two halves of a
# bidirectional `out`), [notebook 07](../07-variable-length/07-variable-length.ipynb) (packing,
# `total_length`, masks, `ignore_index`). **Run time:** under a minute on a laptop CPU, training included.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes. The
# last graded cell grades **the tagger you train** in this notebook, on sentences it never saw.
# `python -m course_utils check notebooks/12-tagging/12-tagging.ipynb` grades your saved notebook from
# a terminal.
#
# Axis names: **batch** (sentences in a batch), **seq** (tokens per sentence, padded), **feature**
# (numbers per token going into the LSTM), **hidden**, **classes** (one score per tag: 45).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from collections import Counter, defaultdict

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader

import course_utils as cu
import course_utils.data.tags

cu.display.install()  # a failed check shows its message, not course_utils' own frames
cu.set_seed(0)
device = cu.pick_device()
cu.heldout.hold_out("the test sentences")   # closed until the training cell seals the trained tagger

# %% [markdown]
# ## 1. Sentences with a tag on every word
#
# The movie-review sentences of notebooks 01, 07 and 09, split into tokens the way the Penn Treebank
# does it ("doesn't" is `does` + `n't`, "Jackson's" is `Jackson` + `'s`), and a **part-of-speech tag on
# every token**: `NN` a singular noun, `VBZ` a verb like *is*, `JJ` an adjective, 45 tags in all. The
# task is many-to-many: one output per input step, as long as the sentence.
#
# **Where the tags come from, honestly.** We found no package on PyPI that ships a hand-tagged
# English corpus under a licence that a course can publish. So the tags were made by a program: TextBlob's `PatternTagger`,
# a rule-based tagger (a list of words with their usual tag, rules that look at the neighbours, and
# rules for unknown words that read endings and capitals). They are *silver* tags, not gold: the
# tagger makes mistakes, and **the LSTM learns to imitate a rule-based tagger**, mistakes included. On
# the Wall Street Journal sentences that linguists tagged by hand, Pattern's tagger agrees with them on
# about 94% of the tokens. Everything "accuracy" means below is agreement with the tagger.
#
# The same 80/10/10 split as notebook 09: the model trains on `train`, every choice (the baseline's
# rules, the epochs) is made on `valid`, and `test` is read once, at the end. **The test sentences
# stay closed until the model is trained**: the setup cell called `cu.heldout.hold_out`, so
# `cu.data.tags.tagged_reviews("test")` raises an error until the locked training cell ends with
# `cu.heldout.seal(model)`. A test score says how a tagger does on sentences nobody looked at only if
# nothing (the weights, an epoch, a rule) was chosen on them. The seal records the trained weights:
# the graded check refuses a model trained further, or replaced, after it, and a notebook that asked
# for the test split before it.

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-check-output"]
train = cu.data.tags.tagged_reviews("train")
valid = cu.data.tags.tagged_reviews("valid")
TAGS = cu.data.tags.TAGS
for name, part in (("train", train), ("valid", valid)):
    print(f"{name}: {len(part)} sentences, {sum(len(s) for s in part)} tokens")
print(len(TAGS), "tags:", " ".join(TAGS))


def show(tokens, tags, predicted=None):
    # token/TAG for every token; token/PREDICTED(silver:TAG) where a prediction differs
    shown = []
    for i, (token, tag) in enumerate(zip(tokens, tags)):
        guess = tag if predicted is None else predicted[i]
        shown.append(f"{token}/{guess}" if guess == tag else f"{token}/{guess}(silver:{tag})")
    print(" ".join(shown))


for s in (train[11], train[26], train[40]):
    show(s.tokens, s.tags)

# %% [markdown]
# **Predict first:** which tag is the most frequent, and what share of the tokens does it cover? And
# is a word's tag always the same?

# %% tags=["nbval-check-output"]
counts = Counter(tag for s in train for tag in s.tags)
total = sum(counts.values())
for tag, n in counts.most_common(8):
    print(f"{tag:>4}  {n / total:5.1%}  {cu.data.tags.TAG_MEANING[tag]}")
by_word = defaultdict(Counter)
for s in train:
    for word, tag in zip(s.words, s.tags):
        by_word[word][tag] += 1
for word in ("new", "that", "more", "is"):
    print(f"{word!r:>7}: " + ", ".join(f"{tag} {n}" for tag, n in by_word[word].most_common(4)))

# %% [markdown]
# `NN` covers 15.5% of the tokens: a tagger that says `NN` everywhere is right about one time in
# six. And a word's tag is nearly always the same. That is what a tagger built on a word list does:
# *is* is always `VBZ`, *that* is `IN` (in the Penn tag set: a preposition or a subordinating
# conjunction) 2,087 times and a determiner only 38 times, where a person would often say determiner
# ("that film"). Where this tagger does change a word's tag, it is mostly because of a **capital**:
# *new* is `NNP` (a proper noun) in titles such as "The New World". So the model must learn, above
# all, the tagger's word list, what it does with words it does not know, and what it does with capitals.
#
# ## 2. What the model reads: the word, and how it is spelled
#
# Each token becomes two ids. The **word id** comes from a vocabulary of the lower-cased training
# words seen at least twice, as in notebook 01: id 0 is `<pad>`, id 1 is `<unk>`. A word of the test
# sentences that training never had twice is `<unk>`, and the word id then says nothing about it. So a
# second id carries the token's **spelling**: its last three letters, with `^` in front when it starts
# with a capital (`Segal` -> `^gal`, `tepid` -> `pid`). Endings and capitals are what the tagger's own
# rules read for unknown words (-*ly* adverbs, -*ing* verbs, capitalised names), and what taggers have
# used since the 1990s.

# %% nbgrader={"grade": false, "grade_id": "vocab", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-check-output"]
words_vocab, spellings_vocab = cu.data.tags.vocabularies(train)
print("words:    ", words_vocab)
print("spellings:", spellings_vocab)
s = train[26]
word_ids, spelling_ids, tag_ids = cu.data.tags.encode(s, words_vocab, spellings_vocab)
print("tokens:   ", s.tokens)
print("spellings:", s.spellings)
print("word ids: ", word_ids)
print("spell ids:", spelling_ids)
print("tag ids:  ", tag_ids, "=", [TAGS[t] for t in tag_ids])
unknown = sum(w not in words_vocab for s in valid for w in s.words) / sum(len(s) for s in valid)
print(f"validation tokens whose word is <unk>: {unknown:.1%}")


# %% [markdown]
# About 7% of the validation tokens are `<unk>` words; their spelling ids still tell the model
# something. Every sentence becomes three lists of the same length: word ids, spelling ids, tag ids.
#
# ## 3. Batches: the padding gets a label the loss skips
#
# A batch is a rectangle, so shorter sentences are padded (notebook 07). The word and spelling ids are
# padded with the `<pad>` id, 0. The **tags** are padded too, since the targets of a many-to-many model
# are a (batch, seq) tensor like its inputs, but not with 0: **tag 0 is a real tag** (`CC`, the
# first of `TAGS`). They are padded with `-100`, a label no tag has. `nn.CrossEntropyLoss` skips every
# position whose target is its `ignore_index` (which is `-100` unless you choose another), and the
# accuracy will skip it too.
#
# ### Exercise 1: `tag_batch` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `examples` | list of `(word_ids, spelling_ids, tag_ids)` | each of length `n_i` | lists of ints or 1-D int64 tensors, as `encode` gives them |
# | `pad_label` | int | | the label of padded positions in `tags` (default `-100`) |
# | returns `words` | int64 tensor | **(batch, seq)** | word ids, padded with 0; seq = the longest `n_i` |
# | returns `spellings` | int64 tensor | **(batch, seq)** | spelling ids, padded with 0 |
# | returns `lengths` | int64 tensor | **(batch,)** | `n_i`, in the order of `examples` |
# | returns `tags` | int64 tensor | **(batch, seq)** | tag ids, padded with `pad_label` |
#
# This is the `collate_fn` of the `DataLoader`s below: it receives a list of dataset items and returns
# the batch. `cu.fit` reads a batch as (inputs..., target): the model gets `words, spellings, lengths`,
# the loss gets the tags.

# %% nbgrader={"grade": false, "grade_id": "tag_batch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tag_batch(examples, pad_label=-100):
    """(word_ids, spelling_ids, tag_ids) triples -> words, spellings (batch, seq), lengths (batch,), tags (batch, seq)."""
    # Hint: torch.nn.utils.rnn.pad_sequence turns a list of 1-D tensors into one; read its batch_first
    #       and padding_value. Which value suits the ids, and which the tags?
    ### BEGIN SOLUTION
    words = [torch.as_tensor(w, dtype=torch.long) for w, _, _ in examples]
    spellings = [torch.as_tensor(s, dtype=torch.long) for _, s, _ in examples]
    tags = [torch.as_tensor(t, dtype=torch.long) for _, _, t in examples]
    lengths = torch.tensor([len(w) for w in words])
    return (pad_sequence(words, batch_first=True, padding_value=0),
            pad_sequence(spellings, batch_first=True, padding_value=0),
            lengths,
            pad_sequence(tags, batch_first=True, padding_value=pad_label))
    ### END SOLUTION


# %%
# try it: three sentences of different lengths
picks = [train[11], train[26], train[40]]
words, spellings, lengths, tags = tag_batch([cu.data.tags.encode(s, words_vocab, spellings_vocab) for s in picks])
cu.show_shapes(words=(words, "batch seq"), spellings=(spellings, "batch seq"), lengths=(lengths, "batch"),
               tags=(tags, "batch seq"))
print(tags)

# %% nbgrader={"grade": true, "grade_id": "test_tag_batch", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tag_batch: ids padded with 0, tags with pad_label, (batch, seq), lengths as int64"""
from course_utils.checks import nb12

nb12.check_tag_batch(tag_batch)
### BEGIN HIDDEN TESTS
nb12.check_tag_batch(tag_batch, n_tags=4, seed=7, configs=(
    dict(lengths=(2, 5, 1, 5), pad_label=-1, as_tensors=True),
    dict(lengths=(1,), pad_label=-100, as_tensors=False),
))
nb12.check_tag_batch(tag_batch, n_tags=9, seed=8, configs=(
    dict(lengths=(6, 3, 9, 2, 1, 4, 7), pad_label=99, as_tensors=False),
))
### END HIDDEN TESTS

# %% [markdown]
# **Batches of similar length.** With random batches of 128 sentences, each batch is as long as its
# longest sentence, and more than half of the positions are padding. The loaders below use
# `cu.data.LengthBatches`, the bucketing sampler of notebook 09 (sentences sorted by length, cut into
# batches, the order of the batches shuffled every epoch), as a `batch_sampler`. The test sentences
# get their loader after training.

# %% nbgrader={"grade": false, "grade_id": "loaders", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-check-output"]
PAD_LABEL = -100
BATCH = 128


def encoded(sentences):
    return [cu.data.tags.encode(s, words_vocab, spellings_vocab) for s in sentences]


train_data, valid_data = encoded(train), encoded(valid)
train_lengths = [len(w) for w, _, _ in train_data]
shuffled = torch.randperm(len(train_data), generator=torch.Generator().manual_seed(0))
random_batches = [b.tolist() for b in shuffled.split(BATCH)]
by_length = cu.data.LengthBatches(train_lengths, BATCH, shuffle=True, seed=0)
print(f"padding in random batches: {cu.data.padding_share(train_lengths, random_batches):.0%} of the positions")
print(f"padding in batches by length: {cu.data.padding_share(train_lengths, by_length.batches):.1%}")

train_loader = DataLoader(train_data, batch_sampler=by_length, collate_fn=tag_batch)
valid_loader = DataLoader(valid_data, batch_sampler=cu.data.LengthBatches([len(w) for w, _, _ in valid_data], 256),
                          collate_fn=tag_batch)
words, spellings, lengths, tags = next(iter(valid_loader))
print(len(train_loader), "training batches; a validation batch:")
cu.show_shapes(words=(words, "batch seq"), lengths=(lengths, "batch"), tags=(tags, "batch seq"))


# %% [markdown]
# ## 4. The tagger: one score vector per step
#
# ```
# words, spellings (batch, seq)  -> two nn.Embedding, side by side -> x (batch, seq, word_dim + spelling_dim)
# x, lengths -> pack_padded_sequence -> nn.LSTM(bidirectional=True) -> pad_packed_sequence(total_length=seq)
# out (batch, seq, 2 x hidden) -> nn.Linear(2 x hidden, 45) -> scores (batch, seq, classes)
# ```
#
# This is the classifier of notebook 09 with the pooling taken out: the head reads `out`, every
# step, instead of one vector per sentence. The forward half of `out` at step t has read the words up
# to t, the backward half the words from t to the end (notebook 06): together, the whole sentence
# around the word. Three details from notebook 07 matter here:
#
# - **pack** the batch, whatever the order of its lengths: without packing the backward direction
#   starts in the padding, and a short sentence gets other scores in a batch than alone;
# - **unpack to the batch's full width**: `pad_packed_sequence` pads to the longest sentence it sees
#   unless told otherwise, and the scores must line up with the tags, which the batch padded to `seq`;
# - **both halves** of `out` go to the head.
#
# Dropout on the embeddings and on `out` (train mode only; `cu.fit` leaves the model in eval mode).
#
# **Predict first:** for the validation batch above, what shape will the scores have?
#
# ### Exercise 2: `Tagger` (4 points)
#
# | argument / attribute / result | type | shape | meaning |
# |---|---|---|---|
# | `n_words`, `n_spellings`, `n_tags` | int | | sizes of the two vocabularies and of `TAGS` |
# | `word_dim`, `spelling_dim`, `hidden` | int | | embedding sizes, LSTM hidden size |
# | `dropout` | float | | for `self.dropout = nn.Dropout(dropout)` |
# | `self.words`, `self.spellings` | `nn.Embedding` | | `(n_words, word_dim)` and `(n_spellings, spelling_dim)`, `padding_idx=0` |
# | `self.lstm` | `nn.LSTM` | | `word_dim + spelling_dim` -> `hidden`, `batch_first=True`, `bidirectional=True` |
# | `self.head` | `nn.Linear` | | `2 * hidden` -> `n_tags` |
# | `forward`: `words`, `spellings` | int64 tensors | **(batch, seq)** | padded with 0 |
# | `forward`: `lengths` | int64 tensor | **(batch,)** | real lengths, any order, on the CPU |
# | returns | float tensor | **(batch, seq, classes)** | a score for every tag at every step; padded steps: anything |
#
# The LSTM reads the two embeddings side by side on the feature axis, **the word embedding first**,
# then the spelling embedding. The check copies seeded weights into your modules and compares every sentence's scores, step by
# step, with the same sentence run alone, in batches with extra padding.

# %% nbgrader={"grade": false, "grade_id": "Tagger", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Tagger(nn.Module):
    """Word and spelling embeddings -> packed BiLSTM -> a linear head at every step."""

    def __init__(self, n_words, n_spellings, n_tags, word_dim=48, spelling_dim=16, hidden=48, dropout=0.3):
        super().__init__()
        # Hint: one module per row of the table. Read nn.Embedding's padding_idx and nn.LSTM's
        #       batch_first and bidirectional: how many numbers per step does a bidirectional out hold?
        ### BEGIN SOLUTION
        self.words = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.spellings = nn.Embedding(n_spellings, spelling_dim, padding_idx=0)
        self.lstm = nn.LSTM(word_dim + spelling_dim, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, n_tags)
        self.dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, words, spellings, lengths):
        """words, spellings (batch, seq), lengths (batch,) -> scores (batch, seq, n_tags)."""
        ### BEGIN SOLUTION
        x = self.dropout(torch.cat([self.words(words), self.spellings(spellings)], dim=-1))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))
        return self.head(self.dropout(out))                     # (batch, seq, n_tags)
        ### END SOLUTION


# %%
# try it: an untrained tagger on the validation batch
trial = Tagger(len(words_vocab), len(spellings_vocab), len(TAGS)).eval()
with torch.no_grad():
    scores = trial(words, spellings, lengths)
cu.show_shapes(words=(words, "batch seq"), scores=(scores, "batch seq classes"))

# %% nbgrader={"grade": true, "grade_id": "test_tagger", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""Tagger: (batch, seq, classes) scores, each sentence as if alone: packed, unpacked to seq steps, both halves"""
from course_utils.checks import nb12

nb12.check_tagger(Tagger)
### BEGIN HIDDEN TESTS
nb12.check_tagger(Tagger, seed=31, configs=(
    dict(lengths=(2, 6, 1), seq=9, n_words=20, n_spellings=7, n_tags=4, word_dim=3, spelling_dim=5,
         hidden=2),
    dict(lengths=(1,), seq=1, n_words=5, n_spellings=4, n_tags=3, word_dim=2, spelling_dim=2,
         hidden=3),
))
nb12.check_tagger(Tagger, seed=32, configs=(
    dict(lengths=(5, 3, 5, 8, 1, 2), seq=8, n_words=40, n_spellings=15, n_tags=9, word_dim=6,
         spelling_dim=4, hidden=5),
))
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A loss over the real tokens only
#
# A reminder from notebook 07 (its common mistakes): `nn.CrossEntropyLoss` reads the **classes on
# axis 1**, and the tagger's scores have them last; fed (batch, seq, classes) as they are, it fails,
# or, when seq happens to equal the number of classes, scores steps as if they were tags. The padded
# positions carry `pad_label`, and the loss must leave them out.
#
# **Predict first:** an untrained tagger spreads its bets over 45 tags. About what loss does it get?
#
# ### Exercise 3: `masked_loss` (3 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `logits` | float tensor | **(batch, seq, classes)** | the tagger's scores |
# | `tags` | int64 tensor | **(batch, seq)** | tag ids, `pad_label` at padded positions |
# | `pad_label` | int | | the label of padding (default `-100`); the check also tries `-1` |
# | returns | float tensor | **()** | the mean cross-entropy over the real tokens, with its gradient |
#
# The check tries a batch whose number of steps equals the number of tags, where scores read on the
# wrong axis give no error at all.

# %% nbgrader={"grade": false, "grade_id": "masked_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def masked_loss(logits, tags, pad_label=-100):
    """Mean cross-entropy over the real tokens: logits (batch, seq, classes), tags (batch, seq)."""
    # Hint: which shapes of input and target does nn.CrossEntropyLoss accept (its Shape section)?
    #       Bring the scores and the tags to one of them; then read its ignore_index.
    ### BEGIN SOLUTION
    return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1),
                                       ignore_index=pad_label)
    ### END SOLUTION


# %%
# try it: the untrained tagger's loss on the validation batch
print(f"loss {masked_loss(scores, tags).item():.3f}   ln(45) = {torch.log(torch.tensor(45.0)).item():.3f}")

# %% nbgrader={"grade": true, "grade_id": "test_masked_loss", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""masked_loss: the mean cross-entropy over real tokens, classes on the right axis, padding ignored"""
from course_utils.checks import nb12

nb12.check_masked_loss(masked_loss)
### BEGIN HIDDEN TESTS
nb12.check_masked_loss(masked_loss, seed=41, configs=(
    dict(lengths=(2, 4, 4, 1), seq=4, n_tags=4, pad_label=-100),
    dict(lengths=(1,), seq=3, n_tags=9, pad_label=45),
))
nb12.check_masked_loss(masked_loss, seed=42, configs=(
    dict(lengths=(6, 1, 3, 6, 2), seq=6, n_tags=3, pad_label=-5),
))
### END HIDDEN TESTS

# %% [markdown]
# About ln(45) ≈ 3.81: the loss of a model that gives every tag the same probability, 1/45.
#
# ## 6. An accuracy over the real tokens only
#
# The predicted tag at a step is the class with the highest score: the argmax over the **last** axis,
# which turns (batch, seq, classes) into (batch, seq), one tag id per position, like `tags`. Then count
# the positions that are real and right, and divide by the number of real positions. Dividing by
# batch x seq instead counts the padding as wrong answers; comparing a padding label of 0 with a
# prediction of tag 0 counts it as right ones. Either way the number no longer measures the tagger.
#
# ### Exercise 4: `token_accuracy` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `logits` | float tensor | **(batch, seq, classes)** | scores |
# | `tags` | int64 tensor | **(batch, seq)** | tag ids, `pad_label` at padded positions |
# | `pad_label` | int | | the label of padding (default `-100`) |
# | returns | float | | the share of real tokens whose highest score is their tag, between 0 and 1 |
#
# `cu.fit` will call it on every batch, as a metric, with the logits and the tags.

# %% nbgrader={"grade": false, "grade_id": "token_accuracy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def token_accuracy(logits, tags, pad_label=-100):
    """Share of the real tokens (tags != pad_label) whose highest-scoring class is their tag."""
    # Hint: the predicted tag is the highest score: torch.argmax over which axis? Count only where
    #       the tags are real (a boolean mask), and give back a Python float (Tensor.item).
    ### BEGIN SOLUTION
    real = tags != pad_label
    right = (logits.argmax(dim=-1) == tags) & real
    return right.sum().item() / real.sum().item()
    ### END SOLUTION


# %%
# try it: the untrained tagger, and what counting the padding would say instead
padded_share = (tags == PAD_LABEL).float().mean().item()
print(f"token accuracy {token_accuracy(scores, tags):.3f}; {padded_share:.1%} of this batch's positions are padding")

# %% nbgrader={"grade": true, "grade_id": "test_token_accuracy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""token_accuracy: the share of real tokens tagged right, argmax over the classes, padding left out"""
from course_utils.checks import nb12

nb12.check_token_accuracy(token_accuracy)
### BEGIN HIDDEN TESTS
nb12.check_token_accuracy(token_accuracy, seed=51, configs=(
    dict(lengths=(2, 4, 4, 1), seq=4, n_tags=4, pad_label=-100),
    dict(lengths=(1,), seq=3, n_tags=9, pad_label=45),
))
nb12.check_token_accuracy(token_accuracy, seed=52, configs=(
    dict(lengths=(6, 1, 3, 6, 2), seq=6, n_tags=3, pad_label=-5),
))
### END HIDDEN TESTS

# %% [markdown]
# ## 7. The baseline to beat: each word's most frequent tag
#
# Before training anything, the simplest tagger there is: give every token the tag it had most often
# in the training sentences. A token that training never had needs a fallback: the most frequent tag
# over all training tokens. No context. It reads the **tokens as written**, capitals included, because
# the LSTM reads them too (through its spelling ids): a baseline that sees less than the model makes the
# model look better than it is. For a rule-based tagger built on a word list this baseline is strong.
#
# ### Exercise 5: `most_frequent_tag_baseline` (3 points)
#
# | argument / result | type | meaning |
# |---|---|---|
# | `train` | list of `(words, tags)` pairs | tuples of strings of the same length: the training sentences |
# | `test` | list of `words` | tuples of strings: the sentences to tag (no tags given) |
# | returns | list of lists of str | one tag per word of each test sentence |
#
# A word's tag is the one it had most often in `train` (`Counter.most_common`); a word not in `train`
# gets the most frequent tag over all training tokens. The check uses two training sets whose most
# frequent tags differ, so a fallback written in by hand fails one of them. (There are no ties in the
# check; on the real data, a tie goes to the tag `Counter` saw first.)

# %% nbgrader={"grade": false, "grade_id": "most_frequent_tag_baseline", "locked": false, "schema_version": 3, "solution": true, "task": false}
def most_frequent_tag_baseline(train, test):
    """Each test word's most frequent tag in train; the most frequent tag overall for unknown words."""
    # Hint: collections.Counter counts tags: one Counter per word (a dict of them), and one for all
    #       the training tags; read Counter.most_common.
    ### BEGIN SOLUTION
    per_word = defaultdict(Counter)
    overall = Counter()
    for words, tags in train:
        for word, tag in zip(words, tags):
            per_word[word][tag] += 1
            overall[tag] += 1
    best = {word: c.most_common(1)[0][0] for word, c in per_word.items()}
    fallback = overall.most_common(1)[0][0]
    return [[best.get(word, fallback) for word in words] for words in test]
    ### END SOLUTION


# %%
# try it: the baseline on two validation sentences
guess = most_frequent_tag_baseline([(s.tokens, s.tags) for s in train], [valid[3].tokens, valid[8].tokens])
for s, g in zip((valid[3], valid[8]), guess):
    show(s.tokens, s.tags, g)

# %% nbgrader={"grade": true, "grade_id": "test_baseline", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""most_frequent_tag_baseline: each word's most frequent training tag, the overall one for unknown words"""
from course_utils.checks import nb12

nb12.check_most_frequent_tag_baseline(most_frequent_tag_baseline)
### BEGIN HIDDEN TESTS
nb12.check_most_frequent_tag_baseline(most_frequent_tag_baseline, variants=(1, 0))
### END HIDDEN TESTS

# %% [markdown]
# **A second baseline: two rules.** The silver tagger calls most capitalised words it does not know
# proper nouns (section 1). So the fallback can read the capital too: a token training never had is
# `NNP` when it starts with a capital, `NN` otherwise. Rule 1 is your baseline, rule 2 is that
# fallback: still no context and no LSTM. All three taggers on the **validation** sentences (the test
# sentences are closed), split into tokens training had, as written, and tokens it did not:

# %% tags=["nbval-check-output"]
def two_rule_tagger(train, test):
    # rule 1: a known token gets its most frequent tag; rule 2: an unknown one, NNP if capitalised, else NN
    known = {token for tokens, _ in train for token in tokens}
    guesses = most_frequent_tag_baseline(train, test)
    return [[tag if token in known else "NNP" if token[:1].isupper() else "NN" for token, tag in zip(tokens, guess)]
            for tokens, guess in zip(test, guesses)]


def accuracy_of(predicted, sentences):
    # share of tokens whose predicted tag is the silver tag: overall, and for tokens train had or not
    right = Counter()
    for guess, s in zip(predicted, sentences):
        for g, token, tag in zip(guess, s.tokens, s.tags):
            right["known" if token in seen else "unknown", g == tag] += 1
    shares = {kind: right[kind, True] / (right[kind, True] + right[kind, False]) for kind in ("known", "unknown")}
    shares["all"] = (right["known", True] + right["unknown", True]) / sum(right.values())
    return shares


seen = {token for s in train for token in s.tokens}                       # training tokens, as written
train_pairs = [(s.tokens, s.tags) for s in train]
baselines = {
    "most frequent tag, lower case": lambda ss: most_frequent_tag_baseline([(s.words, s.tags) for s in train],
                                                                           [s.words for s in ss]),
    "most frequent tag": lambda ss: most_frequent_tag_baseline(train_pairs, [s.tokens for s in ss]),
    "two rules": lambda ss: two_rule_tagger(train_pairs, [s.tokens for s in ss]),
}
for name, tagger in baselines.items():
    acc = accuracy_of(tagger(valid), valid)
    print(f"{name:>29}, valid: {acc['all']:.4f}   (known tokens {acc['known']:.4f}, unknown {acc['unknown']:.4f})")

# %% [markdown]
# The same counts on every machine: these taggers only count. Reading the capitals matters: the
# lower-cased baseline is 0.9551, the same baseline on the tokens as written 0.9644, and the two rules
# reach 0.9732: the capital rule lifts the tokens training never had from 0.26 to 0.45 right.
# We tried a few more rules on the validation sentences, with the same care as the LSTM's settings
# below; the best, looking an unknown capitalised *first* word up in lower case, added 0.0014 (0.9746).
# **The two-rule tagger is the baseline to beat**: whatever the LSTM adds to it comes from context.
# (Its lower-cased line is here only to show what a baseline that sees less would have claimed.)
#
# ## 8. Training
#
# Adam with a learning rate of 0.01, batches of 128 sentences of similar length, seven epochs,
# gradient clipping (on in `cu.fit`), dropout 0.3. Your `masked_loss` is the loss and your
# `token_accuracy` the metric; `cu.fit` prints the training and validation numbers after every
# epoch. (It averages the batches' accuracies weighted by the number of sentences, which is close to,
# not exactly, the token accuracy measured afterwards.) Why seven epochs? The validation accuracy is
# still rising at the end, by a tenth or two of a point per epoch, and more epochs would not fit this
# notebook's one-minute budget; the validation sentences also show that seven do not overfit. The
# cell is locked, and it ends by sealing the trained weights (`cu.heldout.seal`), which opens the test
# sentences.

# %% nbgrader={"grade": false, "grade_id": "train", "locked": true, "schema_version": 3, "solution": false, "task": false}
cu.set_seed(0)
EPOCHS = 7
model = Tagger(len(words_vocab), len(spellings_vocab), len(TAGS), word_dim=48, spelling_dim=16, hidden=48,
               dropout=0.3).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
history = cu.fit(model, train_loader, masked_loss, optimizer, epochs=EPOCHS, valid_loader=valid_loader,
                 metrics={"accuracy": token_accuracy})
cu.heldout.seal(model)        # the trained weights, recorded: the test sentences open now

# %%
fig = cu.plots.training_curves(history)

# %% [markdown]
# The validation loss and accuracy follow the training ones closely: with 45 tags to imitate and a
# tagger that is mostly a word list, there is little here to overfit in seven epochs. (The training
# numbers are measured while the weights change and with dropout on, which is why they trail.)
#
# Now, and only now, the test sentences:

# %% nbgrader={"grade": false, "grade_id": "test_data", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-check-output"]
test = cu.data.tags.tagged_reviews("test")
print(f"test: {len(test)} sentences, {sum(len(s) for s in test)} tokens")

# %% [markdown]
# The graded cell below takes the model you just trained and measures it on the test sentences, with
# its own batches and its own accuracy (so a slip in an exercise above cannot make the test easier).
# It first makes sure the model is the one the training cell sealed, trained while the test sentences
# were closed. **It passes at a token accuracy of 0.975.** Why there: the two-rule tagger, which
# has no LSTM, reaches 0.9715 on the test sentences (0.9730 with the third rule of section 7), so a
# lower mark, such as the 0.965 this notebook once had, would pass a submission with no LSTM at all.
# The mark is above every baseline we tried and 0.003 below the lowest test accuracy this
# notebook's BiLSTM reached over 5 seeds (0.9781 to 0.9789, seeds 0 to 4; on the validation
# sentences, which the hidden test grades too, 0.9782 to 0.9793). A model that predicts `NN`
# everywhere gets about 0.15.

# %% nbgrader={"grade": true, "grade_id": "test_trained_tagger", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""tagging: your trained tagger on the test sentences, token accuracy at least 0.975, padding left out"""
from course_utils.checks import nb12

nb12.check_tagging(model, words_vocab, spellings_vocab)
### BEGIN HIDDEN TESTS
nb12.check_tagging(model, words_vocab, spellings_vocab, split="valid")
### END HIDDEN TESTS

# %% [markdown]
# ## 9. How good is it, and where does it go wrong?
#
# Predictions for every test sentence, in the order of `test` (the batches are by length, so each
# prediction is put back at its sentence's index):

# %%
def predict(model, sentences):
    # the model's tags for each sentence: a list of tag lists, in the order of sentences
    data = encoded(sentences)
    loader = DataLoader(list(range(len(data))), batch_sampler=cu.data.LengthBatches([len(d[0]) for d in data], 256),
                        collate_fn=lambda rows: (rows, *tag_batch([data[i] for i in rows])))
    predicted = [None] * len(data)
    model.eval()
    with torch.no_grad():
        for rows, words, spellings, lengths, _ in loader:
            best = model(words.to(device), spellings.to(device), lengths).argmax(dim=-1).cpu()
            for r, i in enumerate(rows):
                predicted[i] = [TAGS[t] for t in best[r, :lengths[r]].tolist()]
    return predicted


lstm_test = predict(model, test)
results = {"BiLSTM": lstm_test, **{name: tagger(test) for name, tagger in baselines.items()}}
n_tokens = sum(len(s) for s in test)
accuracy, errors = {}, {}
for name, predicted in results.items():
    acc = accuracy_of(predicted, test)
    accuracy[name] = acc["all"]
    errors[name] = sum(g != t for p, s in zip(predicted, test) for g, t in zip(p, s.tags))
    print(f"{name:>29}, test: {acc['all']:.4f}   (known tokens {acc['known']:.4f}, unknown {acc['unknown']:.4f})"
          f"   {errors[name]} errors")
# paired, token by token: where exactly one of the BiLSTM and the two-rule tagger is right
pairs = Counter((g == t, b == t) for p, q, s in zip(lstm_test, results["two rules"], test)
                for g, b, t in zip(p, q, s.tags))
only_lstm, only_rules = pairs[True, False], pairs[False, True]
print(f"of {n_tokens} test tokens: only the BiLSTM right {only_lstm}, only the two rules right {only_rules};"
      f" McNemar chi2 = {(only_lstm - only_rules) ** 2 / (only_lstm + only_rules):.0f}")
print(f"the BiLSTM removes {1 - errors['BiLSTM'] / errors['two rules']:.0%} of the two-rule tagger's errors")
test_accuracy, two_rule_accuracy = accuracy["BiLSTM"], accuracy["two rules"]
assert test_accuracy > two_rule_accuracy and only_lstm > only_rules

# %% [markdown]
# **How much does the LSTM add?** Over 5 seeds (0 to 4: the seed of the training cell and of the
# batch order) the BiLSTM scored 0.9781 to 0.9789 on the test sentences, with 497 to 516 errors
# against the two-rule tagger's 669: it **removes 23% to 26% of the errors** of a tagger with no LSTM,
# about a quarter. (Against the lower-cased baseline's 1,089 errors it would have looked like half:
# that is what a baseline that sees less than the model does.) The comparison is paired, token by
# token: on every seed the BiLSTM alone was right on 429 to 451 test tokens and the two rules alone on
# 276 to 290, and McNemar's statistic (printed above for this run) stays far above 3.84, the 5%
# level; the gain is not luck of the test sentences. The known and unknown columns say where it comes
# from: on the tokens training had, the word list is nearly perfect (0.9993) and the BiLSTM a little
# worse; on the tokens it never had, the BiLSTM is right far more often (0.74 in our run of seed 0;
# yours is printed above) than the two rules, 0.45. A few test sentences, with every disagreement shown as `token/PREDICTED(silver:TAG)`:

# %%
shown = 0
for s, p in zip(test, lstm_test):
    if 6 <= len(s) <= 16 and p != list(s.tags):
        show(s.tokens, s.tags, p)
        shown += 1
    if shown == 4:
        break

# %% [markdown]
# **The confusions.** Which silver tag does the model mistake for which? The ten most common pairs,
# with the words where they happen most:

# %%
confusions = Counter()
examples = defaultdict(Counter)
for s, p in zip(test, lstm_test):
    for word, tag, guess in zip(s.words, s.tags, p):
        if guess != tag:
            confusions[tag, guess] += 1
            examples[tag, guess][word] += 1
print("silver -> predicted   count   words")
for (tag, guess), n in confusions.most_common(10):
    words_seen = ", ".join(w for w, _ in examples[tag, guess].most_common(3))
    print(f"{tag:>6} -> {guess:<6} {n:>8}   {words_seen}")

# %% [markdown]
# When this notebook was written (your run may differ in a few tokens), most errors were between
# nouns and proper nouns (`NN` <-> `NNP`: capitals the tagger reads and the model weighs otherwise),
# nouns and adjectives (`NN` <-> `JJ`), a verb in -*s* and a plural noun (`VBZ` -> `NNS`: *hears*,
# *fascinates*, unknown words whose ending fits both), and adjectives in *un*-...-*ed* taken for past
# participles (`JJ` -> `VBN`). Those are pairs a human annotator hesitates over too.
#
# Remember what these errors are measured against: the silver tags are the rule-based tagger's
# guesses. Where the two disagree, the LSTM is sometimes the one that is right: in our run, the review
# "Long on twinkly eyed close ups and short on shame." starts with *Long*, which the tagger calls a
# proper noun because of its capital, and the LSTM calls an adjective. An accuracy against silver tags
# measures how well the model imitates its teacher; how well it tags English, only gold tags, made by
# people, can say.
#
# ## Common mistakes, and what PyTorch says
#
# **The tagger's scores straight into `nn.CrossEntropyLoss`**, classes last instead of on axis 1:
# notebook 07 (common mistakes) shows the error, and the silent case where seq equals the number of
# classes; exercise 3's check tries that case.
#
# **Unpacking without `total_length`.** Scores as long as the longest sentence of the batch, tags as
# long as the batch's padding: in this notebook's batches the two agree (`tag_batch` pads to the
# longest sentence), until a batch is padded wider, for example to a fixed length:

# %% tags=["nbval-check-output"]
x = torch.zeros(3, 10, 64)                                    # a batch padded to 10 steps
lengths3 = torch.tensor([7, 4, 2])
packed_out, _ = trial.lstm(pack_padded_sequence(x, lengths3, batch_first=True, enforce_sorted=False))
out_short, _ = pad_packed_sequence(packed_out, batch_first=True)
out_full, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=10)
cu.show_shapes(out_short=(out_short, "batch seq hidden"), out_full=(out_full, "batch seq hidden"))
tags10 = torch.full((3, 10), PAD_LABEL)
try:
    masked_loss(trial.head(out_short), tags10)
except (RuntimeError, ValueError) as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# **The padding label left at its default while padding with another.** `ignore_index` is `-100`
# unless told otherwise; tags padded with `-1` then reach the loss as a class:

# %% tags=["nbval-check-output"]
try:
    nn.CrossEntropyLoss()(scores.transpose(1, 2), tags.masked_fill(tags == PAD_LABEL, -1))
except (IndexError, RuntimeError) as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# On a GPU the same mistake stops with a device-side assertion (`Assertion 't >= 0 && t < n_classes'
# failed`), which names neither the padding nor the label.
#
# **Tags padded with 0.** No error at all: 0 is `CC`, so the loss teaches the model to say *and*
# after the end of every sentence, and an accuracy that compares the padding too counts those
# predictions as right. **The argmax over the wrong axis** (`logits.argmax(dim=1)`) gives (batch,
# classes), which fails to compare with the (batch, seq) tags, unless seq happens to equal 45.
#
# ## Summary
#
# - Many-to-many: the targets are a (batch, seq) tensor like the inputs, and the model returns
#   (batch, seq, classes), one score vector per step: the head reads `out`, not `h_n`.
# - Pad the ids with the `<pad>` id and the **tags with a label no tag has** (`-100`); tag 0 is a real tag.
# - The tagger: embeddings -> `pack_padded_sequence(x, lengths.cpu(), batch_first=True,
#   enforce_sorted=False)` -> BiLSTM -> `pad_packed_sequence(..., total_length=seq)` -> `nn.Linear(2 *
#   hidden, n_tags)`: both halves, every step.
# - Loss: `cross_entropy(logits.reshape(-1, C), tags.reshape(-1), ignore_index=pad_label)` (or the
#   classes moved to axis 1). Accuracy: argmax over the last axis, counted where `tags != pad_label`.
# - Baselines first, and fair: they read what the model reads (case included). Each token's most
#   frequent tag gets 0.9628 on the test sentences; two rules (plus "unknown and capitalised: `NNP`")
#   0.9715; the BiLSTM 0.9781 to 0.9789 over 5 seeds, a quarter of the two rules' errors removed.
# - Silver tags measure agreement with the tagger that made them, not correctness.
#
# Next: [notebook 13](../13-debugging-clinic/13-debugging-clinic.ipynb), the debugging clinic: broken
# programs from real tutorials to repair, two of them with this notebook's mistakes (a loss computed
# over the padding, `CrossEntropyLoss` fed (batch, seq, classes)).
#
# ## Going further (not graded)
#
# - Train without the spelling ids (a `Tagger` whose `spellings` embedding is never read): how much of
#   the gain over the baseline is left, and on which words is it lost?
# - Map the tags to the 12 universal tags (`cu.data.tags.universal`) and run the baseline again (tokens
#   as written). It reaches 0.980 on the test sentences: why is a coarse tag set so much easier for a word list?
# - Replace the spelling ids with a character-level LSTM over each word (notebook 10 reads surnames
#   that way), so that every ending, not only the last three letters, can count.
# - A tagger decides each tag on its own. A CRF layer on top of the BiLSTM (Huang, Xu and Yu, 2015)
#   scores whole tag sequences instead; `torch` has none built in, but the forward algorithm is a dozen
#   lines.
# - Stack two BiLSTM layers (notebook 05) and compare on the validation sentences.
# - The word list wins on known tokens, the BiLSTM on unknown ones: tag known tokens with the first and
#   the rest with the second, and measure the pair on the validation sentences.
#
# ## The numbers of this run
#
# One line for the record: the token accuracy on the test sentences of the BiLSTM, of the two-rule
# tagger and of the most-frequent-tag baseline (tokens as written).

# %%
cu.report_metrics(task="tagging", token_accuracy=test_accuracy, two_rule_accuracy=two_rule_accuracy,
                  most_frequent_tag_accuracy=accuracy["most frequent tag"], seed=0)
