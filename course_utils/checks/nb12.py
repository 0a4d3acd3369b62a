"""Graded checks for notebook 12, tagging: one output per step.

Each piece check builds its own fixtures: sentences of unsorted lengths (one of length 1, one at full
length) whose ids say what they are, seeded logits, seeded weights copied into the learner's Tagger
(then every sentence is compared with the same sentence run alone: padding invariance, step by
step). Pad labels other than -100 are tried, so an `ignore_index` left at its default is caught, and
one fixture has as many steps as tags, so a (batch, seq, classes) tensor read with the classes on
the wrong axis cannot pass by accident. The last check grades the learner's trained tagger on the
held-out test sentences with its own batches and its own accuracy (never the learner's).
Failures name the mistake and end with a Fix line. Keyword arguments let hidden tests vary sizes;
a check that runs several cases takes them as `configs`, one dict of named sizes per case.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import heldout
from ..messages import fmt
from ..shapes import check_shape
from .common import (
    ATOL,
    CheckFailed,
    calling,
    close,
    generator,
    passed,
    quote_error,
    require,
    require_tensor,
    seeded_randn,
    untouched,
)

PAD_LABEL = -100
LENGTHS_A = (3, 7, 1, 5)  # batch 4: unsorted, a length of 1, one at full length
LENGTHS_B = (4, 1, 6, 6, 2)  # batch 5: a tie; with seq 8, the longest is shorter than seq
THRESHOLD = 0.975  # above the two-rule tagger (0.9715 test, 0.9732 valid); the BiLSTM gets 0.978-0.979 (5 seeds)


def _ints(n: int, low: int, high: int, seed: int) -> list[int]:
    return torch.randint(low, high, (n,), generator=generator(seed)).tolist()


# --- exercise 1: tag_batch ----------------------------------------------------------------------------

BATCH_FIX = "tags = pad_sequence(tag_seqs, batch_first=True, padding_value=pad_label)"


def _examples(lengths, n_tags: int, seed: int, as_tensors: bool):
    """(word ids, spelling ids, tag ids) triples: words 100.., spellings 2..49, tags 0..n_tags-1
    (tag 0, a real tag, occurs in every sentence, so padding with 0 cannot pass)."""
    out = []
    for b, n in enumerate(lengths):
        words = _ints(n, 100, 999, seed + b)
        spellings = _ints(n, 2, 50, seed + 50 + b)
        tags = _ints(n, 0, n_tags, seed + 100 + b)
        tags[b % n] = 0
        triple = (words, spellings, tags)
        out.append(tuple(torch.tensor(t) for t in triple) if as_tensors else triple)
    return out


BATCH_CONFIGS = (dict(lengths=LENGTHS_A, pad_label=PAD_LABEL, as_tensors=False),
                 dict(lengths=LENGTHS_B, pad_label=-1, as_tensors=True))


def check_tag_batch(tag_batch, *, configs=BATCH_CONFIGS, n_tags: int = 6, seed: int = 120) -> None:
    """tag_batch(examples, pad_label) -> words, spellings, lengths, tags, batch first, padded.

    configs: one dict(lengths=..., pad_label=..., as_tensors=...) per batch (as_tensors: the examples
    as tensors, not lists); batch k is drawn with seed + 10 k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        _tag_batch_once(tag_batch, **config, n_tags=n_tags, seed=seed + 10 * k)
    passed("tag_batch: words and spellings padded with 0, tags with pad_label, (batch, seq),\n"
           "  lengths as int64; lists or tensors in, pad labels -100 and -1")


def _tag_batch_once(tag_batch, *, lengths, pad_label: int, as_tensors: bool, n_tags: int, seed: int):
    __tracebackhide__ = True
    examples = _examples(lengths, n_tags, seed, as_tensors)
    given = [tuple(list(t) if not as_tensors else t.clone() for t in e) for e in examples]
    with calling("tag_batch"):
        result = tag_batch(given, pad_label=pad_label)
    _require_examples_unchanged(given, examples, as_tensors)
    _compare_batch(result, examples, lengths, pad_label)


def _require_examples_unchanged(given, examples, as_tensors):
    __tracebackhide__ = True
    kind = "tensors" if as_tensors else "lists"
    for b, (got, want) in enumerate(zip(given, examples)):
        for name, g, w in zip(("word ids", "spelling ids", "tag ids"), got, want):
            same = torch.equal(g, w) if as_tensors else list(g) == list(w)
            if not same:
                raise CheckFailed(
                    f"tag_batch() changed the examples it was given: example {b}'s {name} ({kind}) had\n"
                    f"  {len(w)} items before the call and {len(g)} after, or other values. The caller's\n"
                    "  data must come back as it was (the DataLoader hands the same lists every epoch).\n"
                    "  Fix:  pad new tensors (pad_sequence of torch.as_tensor(ids)); never extend or append")


def _compare_batch(result, examples, lengths, pad_label):
    __tracebackhide__ = True
    require(isinstance(result, (tuple, list)) and len(result) == 4,
            "tag_batch() should return four things: words, spellings, lengths, tags;\n  it returned "
            f"{'None' if result is None else 'a ' + type(result).__name__}"
            f"{f' of {len(result)}' if isinstance(result, (tuple, list)) else ''}.\n"
            "  Fix:  return words, spellings, lengths, tags")
    words, spellings, lens, tags = result
    batch, seq = len(lengths), max(lengths)
    _check_batch_shapes(words, spellings, lens, tags, lengths)
    want = [torch.full((batch, seq), fill, dtype=torch.long) for fill in (0, 0, pad_label)]
    for b, triple in enumerate(examples):
        for w, part in zip(want, triple):
            w[b, :lengths[b]] = torch.as_tensor(part)
    want_words, want_spellings, want_tags = want
    got = [t.detach().cpu().long() for t in (words, spellings, tags)]
    if torch.equal(got[0], want_spellings) and torch.equal(got[1], want_words):
        raise CheckFailed("tag_batch() returned the spellings first and the words second.\n"
                          "  Fix:  return words, spellings, lengths, tags")
    real = torch.arange(seq)[None, :] < torch.tensor(lengths)[:, None]
    for name, g, w in (("words", got[0], want_words), ("spellings", got[1], want_spellings)):
        if torch.equal(g[real], w[real]) and not torch.equal(g, w):
            pad = g[~real][0].item()
            raise CheckFailed(
                f"{name} are padded with {pad}; ids are padded with the <pad> id, 0 (the embeddings'\n"
                "  padding_idx). Only the tags get pad_label.\n"
                f"  Fix:  pad_sequence(..., batch_first=True, padding_value=0)")
        require(torch.equal(g, w), f"{name} hold other ids than the examples' {name}, at real steps.\n"
                f"  Fix:  pad_sequence([torch.as_tensor(e[{0 if name == 'words' else 1}]) for e in examples], "
                "batch_first=True)")
    _check_batch_tags(got[2], want_tags, real, pad_label)


def _check_batch_shapes(words, spellings, lens, tags, lengths) -> None:
    """words, spellings, tags: int64 (batch, seq); lengths: int64 (batch,), the examples' lengths."""
    __tracebackhide__ = True
    batch, seq = len(lengths), max(lengths)
    for name, t in (("words", words), ("spellings", spellings), ("lengths", lens), ("tags", tags)):
        require_tensor(t, name)
    for name, t in (("words", words), ("spellings", spellings), ("tags", tags)):
        if tuple(t.shape) == (seq, batch) and seq != batch:
            raise CheckFailed(
                f"{name} is {fmt(t.shape)}, (seq, batch): pad_sequence puts the steps first unless\n"
                "  told batch_first=True. The tagger and the loss read (batch, seq).\n"
                f"  Fix:  pad_sequence(..., batch_first=True, padding_value=...)")
        check_shape(t, "batch seq", batch=batch, seq=seq, name=name)
        require(t.dtype == torch.int64, f"{name} holds {t.dtype} numbers; ids and tags are int64, as\n"
                "  nn.Embedding and nn.CrossEntropyLoss want them.\n  Fix:  torch.as_tensor(ids, dtype=torch.long)")
    check_shape(lens, "batch", batch=batch, name="lengths")
    require(lens.dtype == torch.int64, f"lengths are {lens.dtype}; pack_padded_sequence wants int64 (a float\n"
            "  length is truncated silently, notebook 07).\n"
            "  Fix:  lengths = torch.tensor([len(t) for t in tag_seqs])")
    require(lens.tolist() == list(lengths),
            f"lengths should be {list(lengths)}, each sentence's number of tokens, in the batch's order;\n"
            f"  got {lens.tolist()}.\n  Fix:  lengths = torch.tensor([len(t) for t in tag_seqs])")


def _check_batch_tags(g, want_tags, real, pad_label) -> None:
    """The tags at real steps, pad_label (the argument, not 0 or a number of one's own) after them."""
    __tracebackhide__ = True
    if torch.equal(g[real], want_tags[real]) and not torch.equal(g, want_tags):
        pad = g[~real][0].item()
        if pad == 0:
            raise CheckFailed(
                "tags are padded with 0, and 0 is a real tag (the first of TAGS). The loss would\n"
                "  train the model to predict it after every sentence, and the accuracy would count\n"
                f"  padding. Pad the tags with pad_label ({pad_label}), the label the loss ignores.\n"
                f"  Fix:  {BATCH_FIX}")
        raise CheckFailed(
            f"tags are padded with {pad}, but pad_label is {pad_label}: use the argument, not a\n"
            "  number of your own (the check tries another pad label).\n"
            f"  Fix:  {BATCH_FIX}")
    require(torch.equal(g, want_tags), "tags hold other tag ids than the examples' tags, at real steps.\n"
            f"  Fix:  {BATCH_FIX}")


# --- exercise 2: Tagger ---------------------------------------------------------------------------------

TAGGER_CONFIGS = (  # seq: the padded width
    dict(lengths=LENGTHS_A, seq=7, n_words=30, n_spellings=12, n_tags=6, word_dim=5, spelling_dim=3,
         hidden=4),
    dict(lengths=LENGTHS_B, seq=8, n_words=25, n_spellings=9, n_tags=7, word_dim=4, spelling_dim=2,
         hidden=3),
)
TAGGER_FIX = ("x = torch.cat([self.words(words), self.spellings(spellings)], dim=-1);  "
              "then pack, self.lstm, unpack")
UNPACK_FIX = "pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))"


def check_tagger(Tagger, *, configs=TAGGER_CONFIGS, seed: int = 130) -> None:  # noqa: N803
    """Tagger(n_words, n_spellings, n_tags, word_dim, spelling_dim, hidden, dropout): one score per
    tag at every step; every sentence scored as if it were alone (packed), whatever the padding.

    configs: one dict per model: the sizes Tagger is built with (n_words, n_spellings, n_tags,
    word_dim, spelling_dim, hidden) and its batch (lengths, padded to seq steps); model k is built
    with seed + 10 k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        _tagger_once(Tagger, **config, seed=seed + 10 * k)
    passed("Tagger: (batch, seq, classes) scores, each sentence as if alone (packed, unpacked to\n"
           "  seq steps, forward and backward halves into the head), two sizes, extra padding")


def _build_tagger(Tagger, n_words, n_spellings, n_tags, word_dim, spelling_dim, hidden):  # noqa: N803
    __tracebackhide__ = True
    call = (f"Tagger({n_words}, {n_spellings}, {n_tags}, word_dim={word_dim}, "
            f"spelling_dim={spelling_dim}, hidden={hidden}, dropout=0.1)")
    with calling("Tagger.__init__"), untouched():
        model = Tagger(n_words, n_spellings, n_tags, word_dim=word_dim, spelling_dim=spelling_dim,
                       hidden=hidden, dropout=0.1)
    require(isinstance(model, nn.Module), f"{call} is not an nn.Module.\n  Fix:  class Tagger(nn.Module)")
    for name, kind in (("words", nn.Embedding), ("spellings", nn.Embedding), ("lstm", nn.LSTM),
                       ("head", nn.Linear)):
        require(isinstance(getattr(model, name, None), kind),
                f"{call} has no self.{name} ({kind.__name__}); the check copies weights into it.\n"
                f"  Fix:  self.{name} = nn.{kind.__name__}(...)")
    lstm, head = model.lstm, model.head
    for name, emb, n, dim in (("words", model.words, n_words, word_dim),
                              ("spellings", model.spellings, n_spellings, spelling_dim)):
        require(emb.num_embeddings == n and emb.embedding_dim == dim,
                f"self.{name} is nn.Embedding({emb.num_embeddings}, {emb.embedding_dim}); with {call}\n"
                f"  it should be nn.Embedding({n}, {dim}, padding_idx=0).\n"
                f"  Fix:  self.{name} = nn.Embedding(n_{name}, {'word' if name == 'words' else 'spelling'}_dim, "
                "padding_idx=0)")
    require(lstm.bidirectional,
            "self.lstm reads in one direction only; a tagger needs both: the forward half knows the\n"
            "  words before a step, the backward half the words after it (notebook 06).\n"
            "  Fix:  nn.LSTM(word_dim + spelling_dim, hidden, batch_first=True, bidirectional=True)")
    require(lstm.batch_first,
            "self.lstm has batch_first=False, but words and spellings come as (batch, seq).\n"
            "  Fix:  nn.LSTM(word_dim + spelling_dim, hidden, batch_first=True, bidirectional=True)")
    require(lstm.input_size == word_dim + spelling_dim and lstm.hidden_size == hidden and lstm.num_layers == 1,
            f"self.lstm is nn.LSTM({lstm.input_size}, {lstm.hidden_size}, num_layers={lstm.num_layers}); "
            f"with {call}\n  it reads the two embeddings side by side: input_size = "
            f"{word_dim} + {spelling_dim} = {word_dim + spelling_dim}, hidden_size = {hidden}.\n"
            "  Fix:  nn.LSTM(word_dim + spelling_dim, hidden, batch_first=True, bidirectional=True)")
    if head.in_features == hidden:
        raise CheckFailed(
            f"self.head reads {hidden} features (hidden), but a bidirectional LSTM's out has\n"
            f"  2 x hidden = {2 * hidden} per step: the forward half and the backward half side by side.\n"
            "  Keeping one half (or adding them) drops what the other direction read.\n"
            "  Fix:  self.head = nn.Linear(2 * hidden, n_tags)   and give it all of out")
    require(head.in_features == 2 * hidden and head.out_features == n_tags,
            f"self.head is nn.Linear({head.in_features}, {head.out_features}); with {call} it should\n"
            f"  be nn.Linear(2 * hidden, n_tags) = nn.Linear({2 * hidden}, {n_tags}).\n"
            "  Fix:  self.head = nn.Linear(2 * hidden, n_tags)")
    return model, call


def _seed_weights(model, seed):
    with torch.no_grad():
        for i, (_, p) in enumerate(sorted(model.named_parameters())):
            p.copy_(seeded_randn(*p.shape, seed=seed + i) * 0.5)


def _tagger_once(Tagger, *, lengths, seq: int, n_words: int, n_spellings: int, n_tags: int,  # noqa: N803
                 word_dim: int, spelling_dim: int, hidden: int, seed: int):
    __tracebackhide__ = True
    model, call = _build_tagger(Tagger, n_words, n_spellings, n_tags, word_dim, spelling_dim, hidden)
    _seed_weights(model, seed)
    model.eval()
    batch = len(lengths)
    words = torch.zeros(batch, seq, dtype=torch.long)
    spellings = torch.zeros(batch, seq, dtype=torch.long)
    for b, n in enumerate(lengths):
        words[b, :n] = torch.tensor(_ints(n, 2, n_words, seed + b))
        spellings[b, :n] = torch.tensor(_ints(n, 2, n_spellings, seed + 50 + b))
    lens = torch.tensor(lengths)
    given = (words.clone(), spellings.clone(), lens.clone())
    try:
        with calling("Tagger.forward"), torch.no_grad(), untouched():
            got = model(*given)
    except RuntimeError as err:
        if "must be sorted in decreasing order" in str(err):
            raise CheckFailed(
                "Tagger.forward packed with enforce_sorted=True (the default), but the lengths\n"
                f"  {list(lengths)} are not sorted, longest first. PyTorch says:\n{quote_error(err, True)}\n"
                "  Fix:  pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)"
            ) from None
        raise
    got = _tagger_scores(got, given, (words, spellings, lens), lengths, seq, n_tags)
    want, alternatives = _tagger_reference(model, words, spellings, lengths)
    real = torch.arange(seq)[None, :] < lens[:, None]
    if close(got[real], want[real], ATOL):
        return
    for value, message in alternatives:
        if close(got[real], value[real], ATOL):
            raise CheckFailed(message)
    diff = (got[real] - want[real]).abs().max().item()
    raise CheckFailed(
        f"{call}: the scores at real steps differ from each sentence run alone, by up to {diff:.3g},\n"
        "  with the weights the check copied into self.words, self.spellings, self.lstm, self.head.\n"
        f"  Fix:  {TAGGER_FIX}")


def _tagger_scores(got, given, inputs, lengths, seq, n_tags) -> torch.Tensor:
    """What Tagger.forward returned: one float tensor (batch, seq, classes), its inputs left unchanged."""
    __tracebackhide__ = True
    batch = len(lengths)
    if hasattr(got, "batch_sizes"):
        raise CheckFailed("Tagger.forward returned a PackedSequence; unpack the LSTM's output first.\n"
                          f"  Fix:  {UNPACK_FIX}")
    if isinstance(got, tuple):
        raise CheckFailed(f"Tagger.forward returned a tuple of {len(got)}; it should return the scores\n"
                          "  alone, one tensor (batch, seq, classes).\n  Fix:  return self.head(out)")
    require_tensor(got, "Tagger.forward(...)")
    for name, g, w in zip(("words", "spellings", "lengths"), given, inputs):
        if g.shape != w.shape or not torch.equal(g, w):
            raise CheckFailed(
                f"Tagger.forward changed its input {name} in place: the caller's tensor was\n"
                f"  {fmt(w.shape)} with other values before the call. The batch belongs to the\n"
                "  caller (the loss and the accuracy read it next); an in-place op (fill_, masked_fill_,\n"
                "  x[...] = ..., transpose_) writes into it.\n"
                f"  Fix:  use the out-of-place form, e.g. {name}.masked_fill(...), or work on {name}.clone()")
    require(got.is_floating_point(), f"Tagger.forward returned {got.dtype} numbers; it should return float\n"
            "  scores, one per tag (the argmax comes later, in the accuracy).\n  Fix:  return self.head(out)")
    got = got.detach().cpu()
    longest = max(lengths)
    if tuple(got.shape) == (batch, n_tags):
        raise CheckFailed(
            f"Tagger.forward returned {fmt(got.shape)}: one score vector per sentence (batch, classes).\n"
            "  A tagger needs one per step: the head reads out (every step), not h_n (the end).\n"
            "  Fix:  out, _ = pad_packed_sequence(packed_out, ...);  return self.head(out)")
    if tuple(got.shape) == (batch, longest, n_tags) and longest < seq:
        raise CheckFailed(
            f"Tagger.forward returned {longest} steps, the longest length, but the batch has seq={seq}.\n"
            "  pad_packed_sequence pads to the longest sentence unless told total_length; the tags\n"
            "  of a batch padded wider would then not line up with the scores.\n"
            f"  Fix:  {UNPACK_FIX}")
    if tuple(got.shape) == (seq, batch, n_tags) and seq != batch:
        raise CheckFailed(
            f"Tagger.forward returned {fmt(got.shape)}, (seq, batch, classes): pad_packed_sequence\n"
            "  returns the steps first unless told batch_first=True.\n"
            f"  Fix:  {UNPACK_FIX}")
    check_shape(got, "batch seq classes", batch=batch, seq=seq, classes=n_tags, name="Tagger.forward(...)")
    require(bool(torch.isfinite(got).all()), "Tagger.forward gave NaN or inf scores.")
    return got


def _tagger_reference(model, words, spellings, lengths):
    """Each sentence alone through the learner's modules (weights seeded by the check), and the
    scores that known mistakes give instead."""
    lstm, head = model.lstm, model.head
    emb_w, emb_s = model.words.weight.detach(), model.spellings.weight.detach()
    batch, seq = words.shape
    hidden = lstm.hidden_size
    zeros = torch.zeros(batch, seq, head.out_features)
    want, backward_zero = zeros.clone(), zeros.clone()
    with torch.no_grad():
        x = torch.cat([emb_w[words], emb_s[spellings]], dim=-1)
        x_swapped = torch.cat([emb_s[spellings], emb_w[words]], dim=-1) if lstm.input_size == x.shape[-1] else None
        for b, n in enumerate(lengths):
            out, _ = lstm(x[b:b + 1, :n])
            want[b, :n] = head(out[0])
            half = out[0].clone()
            half[:, hidden:] = 0
            backward_zero[b, :n] = head(half)
        padded = head(lstm(x)[0])
        alternatives = [(padded,
                         "Tagger.forward ran the padded batch through the LSTM without packing it. The\n"
                         "  backward half then starts in the padding: a shorter sentence gets other\n"
                         "  scores in the batch than alone (padding invariance, notebook 07).\n"
                         "  Fix:  pack_padded_sequence(x, lengths.cpu(), batch_first=True, "
                         "enforce_sorted=False)")]
        if x_swapped is not None:
            swapped = torch.zeros_like(want)
            for b, n in enumerate(lengths):
                swapped[b, :n] = head(lstm(x_swapped[b:b + 1, :n])[0][0])
            alternatives.append((swapped,
                                 "Tagger.forward put the spelling embedding before the word embedding;\n"
                                 "  the task has the word first (the check copies weights in that order).\n"
                                 "  Fix:  x = torch.cat([self.words(words), self.spellings(spellings)], dim=-1)"))
        alternatives.append((backward_zero,
                             "Tagger.forward gave the head only the forward half of out (the backward half\n"
                             "  zeroed): the backward direction's half must reach the head.\n"
                             "  Fix:  return self.head(out)     with out of size 2 x hidden"))
    return want, alternatives


# --- exercise 3: masked_loss ----------------------------------------------------------------------------

LOSS_CONFIGS = (  # the second has seq == n_tags (a silent wrong axis)
    dict(lengths=LENGTHS_A, seq=7, n_tags=5, pad_label=PAD_LABEL),
    dict(lengths=LENGTHS_B, seq=6, n_tags=6, pad_label=-1),
)
LOSS_FIX = "nn.CrossEntropyLoss(ignore_index=pad_label)(logits.transpose(1, 2), tags)"


def _logits_and_tags(*, lengths, seq: int, n_tags: int, pad_label: int, seed: int):
    """(logits, tags) of one case: seeded logits (batch, seq, n_tags), tags padded with pad_label."""
    batch = len(lengths)
    logits = seeded_randn(batch, seq, n_tags, seed=seed) * 2
    tags = torch.randint(0, n_tags, (batch, seq), generator=generator(seed + 1))
    for b, n in enumerate(lengths):
        tags[b, n:] = pad_label
    return logits, tags


def check_masked_loss(masked_loss, *, configs=LOSS_CONFIGS, seed: int = 140) -> None:
    """masked_loss(logits (batch, seq, classes), tags (batch, seq), pad_label) -> the mean
    cross-entropy over the real tokens only.

    configs: one dict(lengths=..., seq=..., n_tags=..., pad_label=...) per batch; batch k is drawn
    with seed + k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        logits, tags = _logits_and_tags(**config, seed=seed + k)
        _loss_once(masked_loss, logits, tags, config["lengths"], config["pad_label"])
    passed("masked_loss: the mean cross-entropy over real tokens, padding left out; pad labels\n"
           "  -100 and -1, and a batch with as many steps as tags")


def _loss_once(masked_loss, logits, tags, lengths, pad_label):
    __tracebackhide__ = True
    batch, seq, n_tags = logits.shape
    leaf = logits.clone().requires_grad_(True)
    x = leaf * 1.0                      # not a leaf, like a model's output: in-place ops would go through
    given_tags = tags.clone()
    try:
        with calling("masked_loss"):
            got = masked_loss(x, given_tags, pad_label=pad_label)
    except (RuntimeError, ValueError, IndexError) as err:
        _explain_loss_error(err, logits, pad_label)
    _require_unchanged("masked_loss", (("logits", x, logits), ("tags", given_tags, tags)))
    _require_loss_tensor(got)
    real = tags != pad_label
    logp = torch.log_softmax(logits, dim=-1)
    per_token = -logp.gather(-1, torch.where(real, tags, 0)[..., None])[..., 0]        # (batch, seq)
    want = per_token[real].mean()
    got_v = got.detach().cpu().float()
    if torch.allclose(got_v, want, atol=ATOL):
        return
    _explain_loss_value(got_v, want, logits, tags, lengths, real, logp, per_token)


def _explain_loss_error(err, logits, pad_label) -> None:
    """The logits not (N, classes) for nn.CrossEntropyLoss, or the padding label read as a class."""
    __tracebackhide__ = True
    seq = logits.shape[1]
    msg = str(err)
    if "Expected target size" in msg or "Expected input batch_size" in msg:
        raise CheckFailed(
            f"masked_loss() gave nn.CrossEntropyLoss the logits as (batch, seq, classes) =\n"
            f"  {fmt(logits.shape)}; it reads the classes on axis 1, so it took seq={seq} for the\n"
            f"  classes. PyTorch says:\n{quote_error(err)}\n"
            f"  Fix:  {LOSS_FIX}") from None
    if "out of bounds" in msg or "Assertion" in msg:
        raise CheckFailed(
            f"masked_loss() let the padding label {pad_label} reach the loss as a class. PyTorch says:\n"
            f"{quote_error(err)}\n"
            f"  nn.CrossEntropyLoss skips only ignore_index, which is -100 unless you pass pad_label.\n"
            f"  Fix:  {LOSS_FIX}") from None
    raise err


def _require_loss_tensor(got) -> None:
    """One number, a 0-dim tensor that still has its gradient."""
    __tracebackhide__ = True
    if isinstance(got, (int, float)):
        raise CheckFailed("masked_loss() returned a plain number, with no gradient: training calls\n"
                          "  loss.backward() on it. Keep it a tensor (no .item(), no float(...)).\n"
                          "  Fix:  return loss            (not loss.item())")
    require_tensor(got, "masked_loss(...)")
    require(got.dim() == 0, f"masked_loss() returned {fmt(got.shape)}; it should be one number, the mean\n"
            "  over the real tokens (reduction='mean').\n"
            f"  Fix:  {LOSS_FIX}")
    require(got.requires_grad, "masked_loss() returned a tensor with no gradient: training calls\n"
            "  loss.backward() on it. Compute it from logits (no .item(), no torch.tensor(...)).\n"
            f"  Fix:  {LOSS_FIX}")


def _explain_loss_value(got_v, want, logits, tags, lengths, real, logp, per_token) -> None:
    """Another number than the mean over the real tokens: padding counted, a sum, a mean of means."""
    __tracebackhide__ = True
    seq, n_tags = logits.shape[1], logits.shape[2]
    as_zero = -logp.gather(-1, torch.where(real, tags, 0)[..., None])[..., 0]
    alternatives = [
        (as_zero.mean(), "masked_loss() counts the padding: it averaged over all batch x seq positions, with\n"
                         f"  the padding scored as tag 0. Only the {int(real.sum())} real tokens of "
                         f"{real.numel()} positions count.\n  Fix:  {LOSS_FIX}"),
        (per_token[real].sum(), "masked_loss() returned the sum over the real tokens; it should be their mean\n"
                                "  (the loss then does not grow with the batch size).\n"
                                f"  Fix:  {LOSS_FIX}"),
        (torch.stack([per_token[b, :n].mean() for b, n in enumerate(lengths)]).mean(),
         "masked_loss() averaged each sentence first, then the sentences; the task asks for the\n"
         "  mean over all real tokens (a long sentence counts as much as its tokens).\n"
         f"  Fix:  {LOSS_FIX}"),
    ]
    if seq == n_tags:
        wrong_axis = nn.functional.cross_entropy(logits, torch.where(real, tags, 0), reduction="none")
        alternatives.append((wrong_axis[real].mean(),
                             "masked_loss() gave nn.CrossEntropyLoss the logits as (batch, seq, classes); it\n"
                             f"  reads the classes on axis 1: with seq = classes = {seq} there is no error, but\n"
                             "  it scores steps as if they were tags.\n"
                             f"  Fix:  {LOSS_FIX}"))
    for value, message in alternatives:
        if torch.allclose(got_v, value.float(), atol=ATOL):
            raise CheckFailed(message)
    raise CheckFailed(
        f"masked_loss() returned {got_v.item():.4f}; the mean cross-entropy over the real tokens is "
        f"{want.item():.4f}.\n  Fix:  {LOSS_FIX}")


def _require_unchanged(function, pairs):
    """Fail when the learner's function changed a tensor it was given (in place)."""
    __tracebackhide__ = True
    for name, given, before in pairs:
        given = given.detach()
        if given.shape != before.shape or not torch.equal(given, before):
            what = (f"shape {fmt(before.shape)} -> {fmt(given.shape)}" if given.shape != before.shape
                    else f"{int((given != before).sum())} of its values")
            raise CheckFailed(
                f"{function}() changed the caller's {name} in place ({what}).\n"
                f"  The training loop reads {name} again after the call (the accuracy, the next\n"
                "  metric); an in-place op (transpose_, masked_fill_, x[...] = ...) writes into it.\n"
                f"  Fix:  use the out-of-place form ({name}.transpose(1, 2), {name}.masked_fill(...), ...)")


# --- exercise 4: token_accuracy -------------------------------------------------------------------------

ACC_FIX = "(logits.argmax(dim=-1) == tags)[tags != pad_label].float().mean().item()"


def check_token_accuracy(token_accuracy, *, configs=LOSS_CONFIGS, seed: int = 150) -> None:
    """token_accuracy(logits (batch, seq, classes), tags (batch, seq), pad_label) -> a float,
    the share of real tokens whose highest score is their tag.

    configs: as for check_masked_loss (LOSS_CONFIGS); batch k is drawn with seed + k, its right
    predictions with seed + 50 + k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        logits, tags = _logits_and_tags(**config, seed=seed + k)
        lengths, pad_label = config["lengths"], config["pad_label"]
        pred = logits.argmax(dim=-1)
        right = torch.rand(tags.shape, generator=generator(seed + 50 + k)) < 0.6   # about 60% right
        tags = torch.where(right & (tags != pad_label), pred, tags)
        _accuracy_once(token_accuracy, logits, tags, lengths, pad_label)
    passed("token_accuracy: the share of real tokens tagged right, padding left out; pad labels\n"
           "  -100 and -1, and a batch with as many steps as tags")


def _accuracy_once(token_accuracy, logits, tags, lengths, pad_label):
    __tracebackhide__ = True
    batch, seq, n_tags = logits.shape
    given = (logits.clone(), tags.clone())
    try:
        with calling("token_accuracy"):
            got = token_accuracy(*given, pad_label=pad_label)
    except RuntimeError as err:
        if "must match the size" in str(err):
            raise CheckFailed(
                "token_accuracy() compared predictions and tags of different shapes. PyTorch says:\n"
                f"{quote_error(err)}\n"
                "  The argmax must run over the classes, the last axis of (batch, seq, classes)\n"
                f"  = {fmt(logits.shape)}.\n  Fix:  {ACC_FIX}") from None
        raise
    _require_unchanged("token_accuracy", (("logits", given[0], logits), ("tags", given[1], tags)))
    if isinstance(got, torch.Tensor):
        require(got.numel() == 1, f"token_accuracy() returned a tensor of shape {fmt(got.shape)}; it should be one\n"
                f"  number, the share of real tokens tagged right.\n  Fix:  {ACC_FIX}")
        raise CheckFailed(
            f"token_accuracy() returned a tensor, {got.detach().cpu().reshape(-1)[0].item():.4f} ({got.dtype}); the task\n"
            "  asks for a Python float: a metric is a number to print and average, and a tensor\n"
            "  can keep the device and the graph alive.\n"
            "  Fix:  return (...).item()      (Tensor.item() gives the float)")
    require(isinstance(got, (int, float)) and not isinstance(got, bool),
            f"token_accuracy() returned {type(got).__name__}; it should be a float between 0 and 1.\n"
            f"  Fix:  {ACC_FIX}")
    real = tags != pad_label
    pred = logits.argmax(dim=-1)
    hits = (pred == tags) & real
    want = hits.sum().item() / real.sum().item()
    if abs(got - want) < 1e-6:
        return
    n_real, n_all = int(real.sum()), real.numel()
    alternatives = [
        (hits.sum().item() / n_all,
         f"token_accuracy() divides by all {n_all} positions (batch x seq), padding included; only the\n"
         f"  {n_real} real tokens count. Counting padding makes short sentences look worse, or\n"
         "  better when the padding is scored as right.\n"
         f"  Fix:  {ACC_FIX}"),
        ((hits.sum().item() + (~real).sum().item()) / n_all,
         "token_accuracy() counts every padded position as tagged right: the padding is left in.\n"
         f"  Only the {n_real} real tokens of {n_all} positions count.\n  Fix:  {ACC_FIX}"),
        ((((pred == torch.where(real, tags, 0)).sum().item()) / n_all),
         f"token_accuracy() counts the padding, scored as tag 0: it averages over all {n_all}\n"
         f"  positions, but only the {n_real} real tokens count.\n  Fix:  {ACC_FIX}"),
        (100 * want, f"token_accuracy() returned a percentage, {got:.4g}; it should be a share between 0 and 1.\n"
                     "  Fix:  drop the * 100"),
    ]
    if seq == n_tags:
        wrong = logits.argmax(dim=1)                       # (batch, classes) read as (batch, seq)
        alternatives.append((((wrong == tags) & real).sum().item() / n_real,
                             "token_accuracy() took the argmax over axis 1 (seq), not over the classes:\n"
                             f"  with seq = classes = {seq} there is no error, but it picks a step, not a tag.\n"
                             f"  Fix:  {ACC_FIX}"))
    for value, message in alternatives:
        if abs(got - value) < 1e-6:
            raise CheckFailed(message)
    raise CheckFailed(f"token_accuracy() returned {got:.4f}; {int(hits.sum())} of the {n_real} real tokens are "
                      f"tagged right: {want:.4f}.\n  Fix:  {ACC_FIX}")


# --- exercise 5: most_frequent_tag_baseline --------------------------------------------------------------

BASELINE_FIX = "counts[word].most_common(1)[0][0] if word in counts else overall_top"


def _baseline_fixture(variant: int):
    """(train, test, want): words with clear majorities whose first (variant 0) or last (variant 1)
    tag seen is another, and unknown words; the most frequent tag overall is 'NN', then 'JJ'."""
    if variant == 0:
        train = [
            (("the", "dog", "runs"), ("DT", "NN", "VBZ")),
            (("a", "run", "ends"), ("DT", "NN", "VBZ")),
            (("they", "run", "home"), ("PRP", "VBP", "NN")),
            (("we", "run", "fast"), ("PRP", "VBP", "RB")),
            (("dogs", "run", "."), ("NNS", "VBP", ".")),
            (("the", "home", "team", "wins"), ("DT", "NN", "NN", "VBZ")),
        ]
        test = [("a", "dog", "run", "."), ("the", "cat", "runs"), ("xylophones",)]
        want = [["DT", "NN", "VBP", "."], ["DT", "NN", "VBZ"], ["NN"]]
    else:
        train = [
            (("so", "good"), ("RB", "JJ")),
            (("good", "and", "kind"), ("JJ", "CC", "JJ")),
            (("very", "kind", "and", "good"), ("RB", "JJ", "CC", "JJ")),
            (("kind", "people"), ("JJ", "NNS")),
            (("fine", "and", "bright"), ("JJ", "CC", "JJ")),
            (("kind", "words"), ("NN", "NNS")),
        ]
        test = [("good", "words"), ("so", "bright", "and", "new"), ("purple", "kind"), ("zany",)]
        want = [["JJ", "NNS"], ["RB", "JJ", "CC", "JJ"], ["JJ", "JJ"], ["JJ"]]
    return train, test, want


def check_most_frequent_tag_baseline(most_frequent_tag_baseline, *, variants=(0, 1)) -> None:
    """most_frequent_tag_baseline(train, test) -> a tag list per test sentence: each word's most
    frequent tag in train, and the most frequent tag overall for a word train never had."""
    __tracebackhide__ = True
    for variant in variants:
        train, test, want = _baseline_fixture(variant)
        _baseline_once(most_frequent_tag_baseline, train, test, want)
    passed("most_frequent_tag_baseline: each word's most frequent training tag, the most frequent\n"
           "  tag overall for unknown words; two training sets")


def _baseline_once(most_frequent_tag_baseline, train, test, want):
    __tracebackhide__ = True
    known = {w for words, _ in train for w in words}
    unknown = next(w for sent in test for w in sent if w not in known)
    given_train, given_test = [(tuple(w), tuple(t)) for w, t in train], [tuple(s) for s in test]
    try:
        with calling("most_frequent_tag_baseline"):
            got = most_frequent_tag_baseline(given_train, given_test)
    except KeyError as err:
        raise CheckFailed(
            f"most_frequent_tag_baseline() raised KeyError: {err} for a word that train never had.\n"
            f"  Test sentences have unknown words ({unknown!r} here); give them the most frequent tag\n"
            "  over all training tokens.\n"
            f"  Fix:  best.get(word, most_common_tag)") from None
    require(isinstance(got, (list, tuple)) and len(got) == len(test)
            and all(isinstance(g, (list, tuple)) for g in got),
            f"most_frequent_tag_baseline() should return one list of tags per test sentence ({len(test)}\n"
            f"  lists); it returned {type(got).__name__}"
            f"{f' of {len(got)} items' if isinstance(got, (list, tuple)) else ''}.\n"
            "  Fix:  return [[tag_of(w) for w in words] for words in test]")
    for name, g, w in (("train", given_train, train), ("test", given_test, test)):
        require([tuple(x) if name == "test" else (tuple(x[0]), tuple(x[1])) for x in g]
                == [tuple(x) if name == "test" else (tuple(x[0]), tuple(x[1])) for x in w],
                f"most_frequent_tag_baseline() changed the list {name} it was given ({len(w)} sentences\n"
                f"  before the call, {len(g)} after, or other sentences). The caller reads it again.\n"
                f"  Fix:  build new lists and dicts; never append to, sort or extend {name}")
    got = [list(g) for g in got]
    odd = next((t for g in got for t in g if not isinstance(t, str)), None)
    require(odd is None, f"most_frequent_tag_baseline() returned tags like {odd!r} ({type(odd).__name__}); "
            "each tag is a\n  string, as in train (\"NN\", \"VBZ\").\n"
            "  Fix:  return the tags themselves, as Counter.most_common gives them")
    for i, (g, sent) in enumerate(zip(got, test)):
        require(len(g) == len(sent), f"sentence {i} of test has {len(sent)} words, but the baseline gave "
                f"{len(g)} tags: {g}.\n  Fix:  one tag per word: [tag_of(w) for w in words]")
    if got == want:
        return
    overall = max({t for _, tags in train for t in tags},
                  key=lambda t: sum(tags.count(t) for _, tags in train))
    pairs = [(w, g, t) for sent, gs, ts in zip(test, got, want) for w, g, t in zip(sent, gs, ts)]
    wrong_unknown = [(w, g) for w, g, t in pairs if w not in known and g != t]
    wrong_known = [(w, g, t) for w, g, t in pairs if w in known and g != t]
    if wrong_known:
        w, g, t = wrong_known[0]
        seen = [tg for words, tags in train for ww, tg in zip(words, tags) if ww == w]
        counts = ", ".join(f"{tag} {seen.count(tag)}x" for tag in dict.fromkeys(seen))
        if len({g for _, g, _ in pairs}) == 1:
            raise CheckFailed(
                f"most_frequent_tag_baseline() gives every word the same tag, {g!r}: it should look up\n"
                f"  each word's own most frequent tag. {w!r} has {counts} in train.\n  Fix:  {BASELINE_FIX}")
        first_or_last = "first" if g == seen[0] else "last" if g == seen[-1] else "another"
        raise CheckFailed(
            f"most_frequent_tag_baseline() tagged {w!r} as {g!r}, its {first_or_last} tag in train; train has\n"
            f"  {counts}: the most frequent is {t!r}.\n  Fix:  {BASELINE_FIX}")
    w, g = wrong_unknown[0]
    raise CheckFailed(
        f"most_frequent_tag_baseline() tagged {w!r}, a word train never had, as {g!r};\n"
        f"  the fallback is the most frequent tag over all training tokens, here {overall!r}.\n"
        "  The check tries two training sets with different fallbacks: write none in by hand.\n"
        f"  Fix:  {BASELINE_FIX}")


# --- the graded tagger: the learner's trained model on the held-out sentences --------------------------------


def _reference_vocabularies():
    from ..data import tags

    return tags.vocabularies(tags.tagged_reviews("train"))


def evaluate_tagger(model, words_vocab, spellings_vocab, split: str = "test", batch_size: int = 256):
    """(accuracy, predictions): the model's tags for every sentence of a split, with the check's own
    batches (padded to each batch's longest sentence) and the check's own accuracy (real tokens only).
    predictions: a list of tag-id lists, one per sentence, in tagged_reviews(split) order."""
    __tracebackhide__ = True
    from ..data import tags

    sentences = tags.tagged_reviews(split)
    encoded = [tags.encode(s, words_vocab, spellings_vocab) for s in sentences]
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    predictions: list = [None] * len(encoded)
    hits = total = 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), untouched():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                lengths = torch.tensor([len(encoded[i][0]) for i in rows])
                seq = int(lengths.max())
                w = torch.zeros(len(rows), seq, dtype=torch.long)
                s = torch.zeros(len(rows), seq, dtype=torch.long)
                t = torch.full((len(rows), seq), PAD_LABEL, dtype=torch.long)
                for r, i in enumerate(rows):
                    n = len(encoded[i][0])
                    w[r, :n], s[r, :n], t[r, :n] = (torch.tensor(part) for part in encoded[i])
                out = model(w.to(device), s.to(device), lengths)
                require_tensor(out, "model(words, spellings, lengths)")
                check_shape(out, "batch seq classes", batch=len(rows), seq=seq, classes=len(tags.TAGS),
                            name="model(words, spellings, lengths)")
                pred = out.detach().float().cpu().argmax(dim=-1)
                real = t != PAD_LABEL
                hits += int(((pred == t) & real).sum())
                total += int(real.sum())
                for r, i in enumerate(rows):
                    predictions[i] = pred[r, :lengths[r]].tolist()
    finally:
        model.train(was_training)
    return hits / total, predictions


def baseline_accuracy(split: str = "test", capital_rule: bool = True) -> float:
    """A baseline's token accuracy on a split, tokens as written (case kept, as the model reads them):
    each token's most frequent training tag; an unknown token gets 'NNP' when it starts with a capital
    and 'NN' otherwise (capital_rule, the two-rule tagger), or the top training tag (without it)."""
    from collections import Counter, defaultdict

    from ..data import tags

    per_word, overall = defaultdict(Counter), Counter()
    for s in tags.tagged_reviews("train"):
        for token, tag in zip(s.tokens, s.tags):
            per_word[token][tag] += 1
            overall[tag] += 1
    best = {token: c.most_common(1)[0][0] for token, c in per_word.items()}
    top = overall.most_common(1)[0][0]

    def fallback(token):
        return ("NNP" if token[:1].isupper() else "NN") if capital_rule else top

    pairs = [(best[w] if w in best else fallback(w), t)
             for s in tags.tagged_reviews(split) for w, t in zip(s.tokens, s.tags)]
    return sum(g == t for g, t in pairs) / len(pairs)


def check_tagging(model, words_vocab, spellings_vocab, *, split: str = "test",
                  threshold: float = THRESHOLD) -> None:
    """The learner's trained Tagger on the held-out sentences: its token accuracy, padding left out,
    must reach `threshold`. The check encodes, batches and scores the sentences itself.

    First, the held-out gate: the model must be the one the locked training cell sealed, trained with
    the test split closed (cu.heldout); otherwise it scores 0, whatever its accuracy."""
    __tracebackhide__ = True
    from ..data import tags

    heldout.require_sealed(model)
    if split not in ("test", "valid"):
        raise ValueError("split must be 'test' or 'valid'")
    require(isinstance(model, nn.Module), f"model should be your trained Tagger, but it is a "
            f"{type(model).__name__}.\n  Fix:  run the training cells above")
    want_words, want_spellings = _reference_vocabularies()
    for name, got, want in (("words_vocab", words_vocab, want_words), ("spellings_vocab", spellings_vocab,
                                                                       want_spellings)):
        require(getattr(got, "itos", None) == want.itos,
                f"{name} is not the vocabulary of the training sentences that the notebook builds;\n"
                "  the check encodes the test sentences with it, as your model read them.\n"
                "  Fix:  words_vocab, spellings_vocab = cu.data.tags.vocabularies(train)")
    accuracy, predictions = evaluate_tagger(model, words_vocab, spellings_vocab, split)
    sentences = tags.tagged_reviews(split)
    n_tokens = sum(len(s) for s in sentences)
    what = f"the {len(sentences)} {split} sentences ({n_tokens} tokens)"
    if accuracy >= threshold:
        passed(f"tagging: token accuracy {accuracy:.4f} on {what},\n"
               f"  padding left out (at least {threshold} needed)")
        return
    head = (f"your tagger's token accuracy is {accuracy:.4f} on {what};\n"
            f"  to pass it must reach {threshold}. The two-rule tagger (no LSTM) gets "
            f"{baseline_accuracy(split):.4f}.")
    used = {t for p in predictions for t in p}
    if len(used) == 1:
        tag = tags.TAGS[used.pop()]
        raise CheckFailed(
            f"{head}\n  It gives every token the same tag, {tag!r}: it learned nothing but the most\n"
            "  frequent tag, as a model does when its loss reads the padding as that tag, or when\n"
            "  it was not trained.\n"
            "  Fix:  pad the tags with pad_label, the loss's ignore_index;  then train again")
    raise CheckFailed(
        f"{head}\n  Train it as the notebook does (same seed, EPOCHS, learning rate) after every exercise\n"
        "  above passes: a model trained for fewer epochs, or on other batches, scores worse.\n"
        "  Fix:  run the notebook from the top: Kernel > Restart Kernel and Run All Cells")
