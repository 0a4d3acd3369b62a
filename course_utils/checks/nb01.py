"""Graded checks for notebook 01, tokens and embeddings.

Each check calls the learner's function on fixtures it builds itself, compares with properties
or with PyTorch's own modules, and raises CheckFailed / ShapeError naming the mistake and the fix.
Keyword arguments let hidden tests use other sizes and other padding ids.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch import nn

from ..shapes import check_shape
from .common import (
    CheckFailed,
    calling,
    generator,
    keep,
    passed,
    require,
    require_tensor,
    require_unchanged,
    seeded_lstm,
    seeded_randn,
    untouched,
)

PAD, UNK = "<pad>", "<unk>"

# Real sentences (from the movie-review corpus), already tokenized, so checks need no data files.
SENTENCES = [
    "a gorgeous , witty , seductive movie .",
    "the movie is n't a bad film , it 's a great one .",
    "too slow , too long and too dull .",
    "a witty and gorgeous film , if a little long .",
    "one of the best films of the year .",
]


def corpus(name: str = "visible") -> list[list[str]]:
    """Token lists used by the checks; 'other' is a second corpus for hidden tests."""
    if name == "other":
        return [s.split() for s in reversed(SENTENCES)] + [["dull", "dull", "film", "!"]]
    return [s.split() for s in SENTENCES]


def _reference_counts(token_lists):
    return Counter(t for tokens in token_lists for t in tokens)


# --- exercise 1 ------------------------------------------------------------------------------


def check_build_vocab(build_vocab, *, token_lists=None, min_count: int | None = None) -> None:
    """build_vocab(token_lists, min_count) -> dict: <pad> 0, <unk> 1, then words by count, ties A-Z.

    By default tries min_count=1 and min_count=2 (the visible corpus has words seen only once).
    """
    __tracebackhide__ = True
    token_lists = corpus() if token_lists is None else token_lists
    for m in ((1, 2) if min_count is None else (min_count,)):
        _check_build_vocab_once(build_vocab, token_lists, m)
    counts = "min_count 1 and 2" if min_count is None else f"min_count={min_count}"
    passed(f"build_vocab: <pad>=0, <unk>=1, then tokens by count ({counts})")


def _check_build_vocab_once(build_vocab, token_lists, min_count: int) -> None:
    __tracebackhide__ = True
    copy = [list(t) for t in token_lists]
    with calling("build_vocab"):
        vocab = build_vocab(copy, min_count=min_count)
    require(copy == token_lists, "build_vocab() changed the token lists it was given: build a new dict instead.")
    require(
        isinstance(vocab, dict),
        f"build_vocab() should return a dict from token to id, but it returned a {type(vocab).__name__}.\n"
        "  Fix:  vocab = {'<pad>': 0, '<unk>': 1}  and add one entry per kept token",
    )
    require(
        vocab.get(PAD) == 0,
        f"'<pad>' should have id 0, but it has {vocab.get(PAD)!r}.\n"
        "  Padding uses id 0 everywhere later: pad_sequence(padding_value=0), nn.Embedding(padding_idx=0).\n"
        "  Fix:  start the dict with {'<pad>': 0, '<unk>': 1}",
    )
    require(
        vocab.get(UNK) == 1,
        f"'<unk>' should have id 1, but it has {vocab.get(UNK)!r}.\n"
        "  Words never seen in training need an id too: they all share <unk>.\n"
        "  Fix:  start the dict with {'<pad>': 0, '<unk>': 1}",
    )
    ids = sorted(vocab.values())
    require(
        ids == list(range(len(vocab))),
        f"the ids should be 0, 1, ..., {len(vocab) - 1} with no gaps or repeats, but they are {ids[:12]}{' ...' if len(ids) > 12 else ''}.\n"
        "  nn.Embedding(num_embeddings=len(vocab)) has one row per id, so ids must fill 0..len(vocab)-1.\n"
        "  Fix:  give each new token the id len(vocab) at the moment you add it",
    )
    _check_vocab_tokens(vocab, token_lists, min_count)


def _check_vocab_tokens(vocab: dict, token_lists, min_count: int) -> None:
    """The tokens kept are those seen at least min_count times, by falling count then alphabetically."""
    __tracebackhide__ = True
    counts = _reference_counts(token_lists)
    kept = [t for t, n in counts.items() if n >= min_count]
    dropped = [t for t, n in counts.items() if n < min_count and t in vocab]
    require(
        not dropped,
        f"with min_count={min_count}, {dropped[:3]} should not be in the vocabulary: "
        "they occur fewer times.\n"
        "  Rare words are left out and read as <unk>.\n"
        "  Fix:  keep a token only if counts[token] >= min_count",
    )
    missing = [t for t in kept if t not in vocab]
    require(
        not missing,
        f"{missing[:3]} occur at least min_count={min_count} times but are not in the vocabulary.\n"
        "  Fix:  count every token of every sentence (collections.Counter), keep counts >= min_count",
    )
    require(
        len(vocab) == len(kept) + 2,
        f"the vocabulary should hold <pad>, <unk> and {len(kept)} tokens ({len(kept) + 2} entries), "
        f"but it holds {len(vocab)}: a token is in it twice, or a token that no sentence has.",
    )
    order = sorted(kept, key=lambda t: (-counts[t], t))
    got = sorted(kept, key=lambda t: vocab[t])
    if got != order:
        first = next(i for i, (a, b) in enumerate(zip(got, order)) if a != b)
        raise CheckFailed(
            f"the tokens are in the wrong order from id {first + 2} on: id {first + 2} is "
            f"{got[first]!r} (count {counts[got[first]]}), but {order[first]!r} (count {counts[order[first]]}) belongs there.\n"
            "  Ids go by falling count, ties in alphabetical order, so the vocabulary is the same on every machine.\n"
            "  Fix:  sorted(kept, key=lambda t: (-counts[t], t))"
        )


# --- exercise 2 ------------------------------------------------------------------------------


def _vocab_for(token_lists, min_count=1):
    counts = _reference_counts(token_lists)
    kept = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
    vocab = {PAD: 0, UNK: 1}
    for t in kept:
        vocab[t] = len(vocab)
    return vocab


def check_encode(encode, *, tokens=None, min_count: int = 1) -> None:
    """encode(tokens, vocab) -> list[int]: one id per token, unknown tokens -> vocab['<unk>']."""
    __tracebackhide__ = True
    vocab = _vocab_for(corpus(), min_count=min_count)
    tokens = "the film is a witty , zany delight .".split() if tokens is None else tokens
    try:
        with calling("encode"):
            ids = encode(list(tokens), dict(vocab))
    except KeyError as err:
        raise CheckFailed(
            f"encode() raised KeyError for {err}: that word is not in the vocabulary.\n"
            "  Every word the model never saw in training must become the id of '<unk>'.\n"
            "  Fix:  vocab.get(token, vocab['<unk>'])"
        ) from None
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    require(
        isinstance(ids, list),
        f"encode() should return a list of ints, but it returned a {type(ids).__name__}.\n"
        "  Fix:  return [vocab.get(token, vocab['<unk>']) for token in tokens]",
    )
    require(
        len(ids) == len(tokens),
        f"encode() should give one id per token: {len(tokens)} tokens in, {len(ids)} ids out.\n"
        "  Perhaps unknown tokens were left out: they must stay, as the id of '<unk>'.\n"
        "  Fix:  [vocab.get(token, vocab['<unk>']) for token in tokens]",
    )
    for tok, i in zip(tokens, ids):
        if tok in vocab:
            require(
                i == vocab[tok],
                f"{tok!r} should be encoded as {vocab[tok]}, its id in the vocabulary, but got {i!r}.",
            )
        else:
            require(
                i != vocab[PAD],
                f"the unknown word {tok!r} got id {i}, which is <pad>: the model would treat it as "
                "padding and ignore it.\n  Fix:  vocab.get(token, vocab['<unk>'])",
            )
            require(
                i == vocab[UNK],
                f"the unknown word {tok!r} should get the id of '<unk>' ({vocab[UNK]}), but got {i!r}.\n"
                "  Fix:  vocab.get(token, vocab['<unk>'])",
            )
    passed("encode: known words -> their id, unknown words -> <unk>")


# --- exercise 3 ------------------------------------------------------------------------------


VISIBLE_PAD_BATCHES = (((3, 6, 1, 2, 6), 3), ((2, 9, 4), 0))  # unsorted; a length of 1; pad id not 0


def check_pad_batch(pad_batch, *, lengths=None, pad_id: int | None = None) -> None:
    """pad_batch(id_lists, pad_id) -> ids (batch, seq) long, lengths (batch,) long; seq = longest.

    By default tries two batches: lengths (3, 6, 1, 2, 6) padded with 3, lengths (2, 9, 4) with 0.
    """
    __tracebackhide__ = True
    if lengths is None and pad_id is None:
        configs = VISIBLE_PAD_BATCHES
    else:
        configs = (((3, 7, 1, 5) if lengths is None else lengths, 0 if pad_id is None else pad_id),)
    for n, p in configs:
        _check_pad_batch_once(pad_batch, tuple(n), p)
    tried = "; ".join(f"lengths {list(n)} padded with {p}" for n, p in configs)
    passed(f"pad_batch: ids (batch, seq) and lengths for {tried}")


def _check_pad_batch_once(pad_batch, lengths, pad_id: int) -> None:
    __tracebackhide__ = True
    g = generator(sum(lengths) + pad_id)
    # ids never equal pad_id, so any pad_id in the output is padding
    id_lists = [[int(v) for v in torch.randint(pad_id + 2, pad_id + 50, (n,), generator=g)] for n in lengths]
    batch, seq = len(lengths), max(lengths)
    with calling("pad_batch"):
        result = pad_batch([list(x) for x in id_lists], pad_id)
    require(
        isinstance(result, tuple) and len(result) == 2,
        "pad_batch() should return two things, (ids, lengths).\n  Fix:  return ids, lengths",
    )
    ids, got_lengths = result
    require_tensor(ids, "ids")
    require_tensor(got_lengths, "lengths")
    check_shape(ids, "batch seq", batch=batch, seq=seq, name="ids")
    check_shape(got_lengths, "batch", batch=batch, name="lengths")
    require(
        ids.dtype == torch.long,
        f"ids has dtype {ids.dtype}, but nn.Embedding looks rows up by integer id.\n"
        "  Fix:  torch.tensor(..., dtype=torch.long)   or   ids.long()",
    )
    require(
        got_lengths.dtype == torch.long,
        f"lengths has dtype {got_lengths.dtype}; lengths are whole numbers.\n  Fix:  torch.tensor(lengths, dtype=torch.long)",
    )
    want_lengths = torch.tensor(lengths)
    require(
        torch.equal(got_lengths, want_lengths),
        f"lengths should be the true lengths before padding, {want_lengths.tolist()}, but is {got_lengths.tolist()}.\n"
        "  Fix:  lengths = torch.tensor([len(x) for x in id_lists])",
    )
    for b, row in enumerate(id_lists):
        n = len(row)
        if ids[b, :n].tolist() != row:
            if sorted(ids[b, :n].tolist()) == sorted(row):
                hint = "the ids are there but in another order"
            elif any(ids[b2, : len(r2)].tolist() == row for b2, r2 in enumerate(id_lists)):
                hint = "this row holds another sequence: keep the batch in the order it came"
            else:
                hint = "the real ids should come first, then the padding"
            raise CheckFailed(
                f"row {b} of ids should start with sequence {b}, {row}, but it is {ids[b].tolist()}: {hint}.\n"
                "  Fix:  ids[b, :len(x)] = torch.tensor(x) for each sequence x"
            )
        pads = ids[b, n:].tolist()
        if any(p != pad_id for p in pads):
            raise CheckFailed(
                f"row {b} should be padded with pad_id={pad_id} after its {n} ids, but the padding is {pads}.\n"
                "  Pad with the pad_id argument, not a fixed number: the vocabulary decides it.\n"
                "  Fix:  torch.full((batch, seq), pad_id, dtype=torch.long)   "
                "or   pad_sequence(seqs, batch_first=True, padding_value=pad_id)"
            )


# --- exercise 4 ------------------------------------------------------------------------------


VISIBLE_EMBEDDINGS = ((11, 3, 0), (9, 6, 4))  # (vocab_size, emb_dim, pad_id): a pad id that is not 0


def check_make_embedding(make_embedding, *, vocab_size: int | None = None, emb_dim: int | None = None,
                         pad_id: int | None = None) -> None:
    """make_embedding(vocab_size, emb_dim, pad_id) -> nn.Embedding whose <pad> row is zero and never learns.

    By default tries (vocab 11, emb 3, pad id 0) and (vocab 9, emb 6, pad id 4).
    """
    __tracebackhide__ = True
    if vocab_size is None and emb_dim is None and pad_id is None:
        configs = VISIBLE_EMBEDDINGS
    else:
        configs = ((11 if vocab_size is None else vocab_size, 3 if emb_dim is None else emb_dim,
                    0 if pad_id is None else pad_id),)
    for v, e, p in configs:
        _check_make_embedding_once(make_embedding, v, e, p)
    tried = "; ".join(f"(vocab={v}, emb={e}, padding_idx={p})" for v, e, p in configs)
    passed(f"make_embedding: weight {tried}")


def _check_make_embedding_once(make_embedding, vocab_size: int, emb_dim: int, pad_id: int) -> None:
    __tracebackhide__ = True
    with untouched(), calling("make_embedding"):
        emb = make_embedding(vocab_size, emb_dim, pad_id)
    require(
        isinstance(emb, nn.Embedding),
        f"make_embedding() should return an nn.Embedding, but it returned a {type(emb).__name__}.\n"
        "  Fix:  return nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
    )
    require(
        vocab_size == emb_dim or tuple(emb.weight.shape) != (emb_dim, vocab_size),
        f"embedding.weight is (emb={emb_dim}, vocab={vocab_size}): the two sizes are swapped.\n"
        "  nn.Embedding takes the number of ids first, then the size of each vector.\n"
        "  Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
    )
    check_shape(emb.weight, "vocab emb", vocab=vocab_size, emb=emb_dim, name="embedding.weight")
    require(
        emb.padding_idx == pad_id,
        f"the embedding's padding_idx is {emb.padding_idx}, but the padding id is {pad_id}.\n"
        "  Without it the <pad> row is random and learns: padding looks like a word to the LSTM.\n"
        "  Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
    )
    require(
        bool((emb.weight[pad_id] == 0).all()),
        f"row {pad_id} (<pad>) of the embedding should be all zeros, but it is "
        f"{[round(v, 3) for v in emb.weight[pad_id].tolist()]}.\n"
        "  nn.Embedding(..., padding_idx=) zeroes it; from_pretrained or a copied weight does not.\n"
        "  Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
    )
    ids = torch.tensor([[pad_id, (pad_id + 1) % vocab_size], [(pad_id + 2) % vocab_size, pad_id]])
    emb(ids).sum().backward()
    grad = emb.weight.grad
    require(
        grad is not None and bool((grad[pad_id] == 0).all()),
        "the <pad> row received a gradient, so training would change it.\n"
        "  Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
    )


# --- exercise 5 ------------------------------------------------------------------------------


VISIBLE_LAYOUTS = ((3, 7, 2), (6, 2, 9))  # (batch, seq, emb): batch < seq, then batch > seq


def check_to_lstm_input(to_lstm_input, *, batch: int | None = None, seq: int | None = None,
                        emb: int | None = None) -> None:
    """to_lstm_input(embedded (batch, seq, emb), batch_first) -> what nn.LSTM(batch_first=...) reads.

    By default tries (batch=3, seq=7, emb=2) and (batch=6, seq=2, emb=9), each in both layouts.
    """
    __tracebackhide__ = True
    if batch is None and seq is None and emb is None:
        configs = VISIBLE_LAYOUTS
    else:
        configs = ((4 if batch is None else batch, 7 if seq is None else seq, 3 if emb is None else emb),)
    for b, s, e in configs:
        _check_to_lstm_input_once(to_lstm_input, b, s, e)
    tried = " and ".join(f"(batch={b}, seq={s}, emb={e})" for b, s, e in configs)
    passed(f"to_lstm_input: {tried} -> the layout nn.LSTM reads, both ways")


def _check_to_lstm_input_once(to_lstm_input, batch: int, seq: int, emb: int) -> None:
    __tracebackhide__ = True
    embedded = seeded_randn(batch, seq, emb, seed=1)
    hidden = 4
    for batch_first in (True, False):
        given = embedded.clone()
        kept = keep(embedded=given)
        with calling("to_lstm_input"):
            x = to_lstm_input(given, batch_first)
        require_unchanged(f"to_lstm_input(embedded, batch_first={batch_first})", kept, embedded=given)
        require_tensor(x, "x")
        spec = "batch seq feature" if batch_first else "seq batch feature"
        check_shape(x, spec, batch=batch, seq=seq, feature=emb, name="x")
        lstm = seeded_lstm(emb, hidden, seed=0, batch_first=batch_first)
        ref = seeded_lstm(emb, hidden, seed=0, batch_first=True)
        with torch.no_grad():
            out, _ = lstm(x)
            want, _ = ref(embedded)
        if not batch_first:
            out = out.transpose(0, 1)
        if not torch.allclose(out, want, atol=1e-6):
            same_memory = torch.equal(x.reshape(-1), embedded.reshape(-1))
            if same_memory:
                raise CheckFailed(
                    f"for batch_first={batch_first}, the shape of x is right, {tuple(x.shape)}, but the "
                    "values are scrambled:\n"
                    "  view/reshape keeps the numbers in memory order and just re-reads them, so time\n"
                    "  steps of different sentences get mixed (x[0] is not step 0 of every sentence).\n"
                    "  Fix:  embedded.transpose(0, 1)    (swaps the axes and moves the numbers with them)"
                )
            raise CheckFailed(
                f"for batch_first={batch_first}, x has the right shape {tuple(x.shape)}, but nn.LSTM gives\n"
                "  other outputs on it than on the embedded batch: x should hold the same numbers,\n"
                "  only with the axes in the order the LSTM reads."
            )
