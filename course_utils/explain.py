"""PyTorch's own errors around LSTMs, explained in the course's words (named axes, cause, fix).

In a notebook (course_utils.display) an error PyTorch raises keeps its whole traceback and message;
when it is one of those below, an explanation follows it. From a terminal:

    python -m course_utils explain "input.size(-1) must be equal to input_size. Expected 10, got 3"

An error this module does not know passes through untouched: explain() returns None.

fix=False gives the cause alone (the lines before the first `Fix:` line): the debugging clinic
(notebook 13) shows that above an exercise whose answer the `Fix:` line would give away.
tests/test_explain.py provokes every error below from real PyTorch code, so a changed wording in
a new PyTorch release is caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

HEADER = "What this means (course_utils.explain):"


@dataclass(frozen=True)
class Explainer:
    name: str
    pattern: str  # a regular expression searched in "ErrorType: message"
    explain: Callable[[re.Match], str]
    raised_in: tuple = ()  # for generic messages: only when raised in one of these torch files

    def match(self, text: str, where: str | None):
        if self.raised_in and where is not None and not any(w in where for w in self.raised_in):
            return None
        return re.search(self.pattern, text)


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


EXPLAINERS: list[Explainer] = []


def explainer(name: str, pattern: str, raised_in: tuple = ()):
    def register(fn):
        EXPLAINERS.append(Explainer(name, pattern, fn, raised_in))
        return fn
    return register


# --- nn.LSTM / nn.GRU / nn.RNN -------------------------------------------------------------------


@explainer("rnn-input-size", r"input\.size\(-1\) must be equal to input_size\. Expected (\d+), got (\d+)")
def _input_size(m):
    want, got = m.groups()
    return _lines(
        f"The LSTM reads the LAST axis of x as the feature axis: it was built with input_size={want},",
        f"  and the last axis of your x has {got}.",
        "  x must be (seq, batch, feature), or (batch, seq, feature) with batch_first=True.",
        "  Likely causes: the features are not on the last axis (e.g. (batch, feature, seq)),",
        "  input_size is not the embedding size or the number of columns, or a layer above",
        "  the first reads hidden (2 x hidden if bidirectional) features.",
        f"  Fix:  nn.LSTM(input_size={got}, ...)    or    put the features last: x.transpose(1, 2)",
    )


_STATE = r"Expected hidden(\[[01]\])? size \((\d+), (\d+), (\d+)\), got \[(\d+), (\d+), (\d+)\]"


@explainer("rnn-state-shape", _STATE)
def _state_shape(m):
    which = {"[0]": "h0", "[1]": "c0", None: "h0"}[m.group(1)]
    want = [int(v) for v in m.groups()[1:4]]
    got = [int(v) for v in m.groups()[4:7]]
    shape = f"{which} must be (layers x directions={want[0]}, batch={want[1]}, hidden={want[2]})"
    if got[1] != want[1]:
        return _lines(
            f"{shape},",
            f"  but yours was made for batch={got[1]}: x holds {want[1]} sequences.",
            "  Likely causes: a state kept from an earlier batch of another size (the last batch",
            "  of an epoch is often smaller), or x read with batch and seq swapped (batch_first).",
            f"  Fix:  {which} = torch.zeros({want[0]}, x.size(1), {want[2]})   (x.size(0) if batch_first)",
        )
    if got[0] != want[0]:
        return _lines(
            f"{shape},",
            f"  but yours has {got[0]} rows: one row per layer and direction is needed.",
            f"  Fix:  {which} = torch.zeros(num_layers * num_directions, batch, hidden)   "
            f"here ({want[0]}, {want[1]}, {want[2]})",
        )
    note = ("  With proj_size, h0 ends in proj_size and c0 in hidden_size."
            if which == "h0" else "")
    return _lines(f"{shape},", f"  but its last axis has {got[2]}.", note,
                  f"  Fix:  {which} = torch.zeros({want[0]}, {want[1]}, {want[2]})")


@explainer("rnn-input-dims", r"(LSTM|GRU|RNN): Expected input to be 2D or 3D, got (\d)D instead")
def _input_dims(m):
    kind, dims = m.group(1), int(m.group(2))
    if dims > 3:
        return _lines(
            f"nn.{kind} reads x as (seq, batch, feature), 3 axes; yours has {dims}.",
            "  Likely causes: an extra axis of 1 (e.g. (batch, seq, 1, feature)), or ids one-hot",
            "  encoded AND embedded.",
            "  Fix:  x = x.squeeze(2)    or    x = x.reshape(x.size(0), x.size(1), -1)",
        )
    return _lines(
        f"nn.{kind} reads x as (seq, batch, feature); yours is 1-D, a single step of one sequence.",
        "  Fix:  x.view(seq, batch, feature)    e.g. a series of numbers: x.view(-1, 1, 1)",
    )


@explainer("rnn-unbatched-state", r"For unbatched 2-D input, hx and cx should also be 2-D but got")
def _unbatched(m):
    return _lines(
        "x is 2-D, so nn.LSTM read it as ONE sequence without a batch axis, (seq, feature);",
        "  your state has a batch axis. Likely cause: x lost its batch axis.",
        "  Fix:  lstm(x.unsqueeze(1), (h0, c0))    (x.unsqueeze(0) if batch_first)",
    )


@explainer("rnn-dtype", r"RNN input dtype \(torch\.(\w+)\) does not match weight dtype \(torch\.(\w+)\)")
def _rnn_dtype(m):
    got, want = m.groups()
    if got.startswith(("int", "uint", "bool")):
        return _lines(
            f"x holds {got} numbers: token ids, most likely. An LSTM reads vectors of floats;",
            "  ids go through an nn.Embedding first, which turns (batch, seq) into (batch, seq, emb).",
            "  Fix:  out, (h_n, c_n) = lstm(embedding(ids))",
        )
    return _lines(f"x is {got}, the LSTM's weights are {want} (NumPy's default is float64).",
                  f"  Fix:  lstm(x.to(torch.{want}))")


@explainer("lstm-state-not-a-pair", r"IndexError: index 1 is out of bounds for dimension 0 with size \d+",
           raised_in=("torch/nn/modules/rnn.py",))
def _state_not_pair(m):
    return _lines(
        "(If this came from calling an nn.LSTM:) it takes its initial state as a PAIR (h0, c0);",
        "  given one tensor it reads h0[0] as h0 and h0[1] as c0, and there is no row 1.",
        "  Fix:  lstm(x, (h0, c0))    with c0 = torch.zeros_like(h0) if you have no cell state",
    )


@explainer("gru-state-is-a-pair", r"AttributeError: 'tuple' object has no attribute 'dim'",
           raised_in=("torch/nn/modules/rnn.py",))
def _gru_pair(m):
    return _lines(
        "(If this came from calling an nn.GRU or nn.RNN:) they take h0 alone: only an LSTM has a",
        "  cell state c, so only an LSTM takes (h0, c0).",
        "  Fix:  gru(x, h0)",
    )


# --- nn.Embedding --------------------------------------------------------------------------------


@explainer("embedding-index", r"IndexError: index out of range in self",
           raised_in=("torch/nn/functional.py", "torch/nn/modules/sparse.py"))
def _embedding_index(m):
    return _lines(
        "(If this came from an nn.Embedding:) an id is >= num_embeddings, or negative.",
        "  Likely causes: the vocabulary grew after the embedding was built, <pad> or <unk> got",
        "  an id past the table, or the ids come from another vocabulary.",
        "  Fix:  nn.Embedding(len(vocab), emb_dim, padding_idx=pad_id)",
        "  and check:  ids.max() < embedding.num_embeddings",
    )


@explainer("embedding-dtype", r"Expected tensor for argument #1 'indices' to have one of the following "
                              r"scalar types: Long, Int; but got (\S+) instead")
def _embedding_dtype(m):
    return _lines(
        f"nn.Embedding looks rows up by integer id; your ids are a {m.group(1)}.",
        "  Likely cause: padding made with torch.zeros(...) or a float array, without dtype.",
        "  Fix:  embedding(ids.long())",
        "  Or:   build them as integers: torch.full((batch, seq), pad_id, dtype=torch.long)",
    )


# --- packing ------------------------------------------------------------------------------------


@explainer("pack-unsorted", r"`lengths` array must be sorted in decreasing order when `enforce_sorted` is True")
def _unsorted(m):
    return _lines(
        "pack_padded_sequence assumes the longest sequence first unless told otherwise.",
        "  With enforce_sorted=False it sorts for you, and unsorts: h_n comes back in your order.",
        "  Fix:  pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)",
    )


@explainer("pack-zero-length", r"Length of all samples has to be greater than 0")
def _zero_length(m):
    return _lines(
        "A sequence of length 0 cannot be packed: it has no step for the LSTM to read.",
        "  Likely causes: an empty text after tokenizing, or one whose tokens were all dropped.",
        "  Fix:  keep only sequences with length >= 1, or give each at least one <unk> token",
    )


@explainer("pack-lengths-tensor", r"'lengths' argument should be a 1D CPU int64 tensor, but got (\d)D (\S+) (\w+) tensor")
def _lengths_tensor(m):
    dims, device, _ = m.groups()
    if device != "cpu":
        return _lines(
            f"lengths is on {device}: packing reads it on the CPU, even when x is on the GPU.",
            "  Fix:  pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)",
        )
    return _lines(f"lengths must be 1-D, one number per sequence; yours is {dims}-D.",
                  "  Fix:  pack_padded_sequence(x, lengths.view(-1), ...)")


@explainer("pack-lengths-count", r"Expected `len\(lengths\)` to be equal to batch_size, but got (\d+) \(batch_size=(\d+)\)")
def _lengths_count(m):
    got, batch = m.groups()
    return _lines(
        f"One length per sequence: {got} lengths, but packing read batch={batch} from x.",
        "  Likely cause: batch_first. With batch_first=False (the default) x is read as",
        "  (seq, batch, ...), so packing took axis 1 as the batch.",
        "  Fix:  pack_padded_sequence(x, lengths, batch_first=True)   for x (batch, seq, feature)",
    )


@explainer("unpack-total-length", r"Expected total_length to be at least the length of the longest sequence "
                                  r"in input, but got total_length=(\d+) and max sequence length being (\d+)")
def _total_length(m):
    got, longest = m.groups()
    return _lines(
        "total_length pads the unpacked output up to a fixed seq; it cannot cut:",
        f"  {got} < the longest sequence, {longest}. Use the seq of the padded batch you packed.",
        "  Fix:  pad_packed_sequence(packed, batch_first=True, total_length=x.size(1))",
    )


@explainer("packed-into-module", r"must be Tensor, not PackedSequence")
def _packed_into_module(m):
    return _lines(
        "An LSTM given a PackedSequence returns out packed too: unpack it before other layers.",
        "  Fix:  out, lengths = pad_packed_sequence(out, batch_first=True)    or use h_n[-1]",
    )


# --- a head after the LSTM, losses ------------------------------------------------------------


LINEAR = ("torch/nn/modules/linear.py", "torch/nn/functional.py")  # not a bare x @ w of the learner's


@explainer("linear-in-features", r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)",
           raised_in=LINEAR)
def _linear(m):
    rows, features, in_features, out_features = (int(v) for v in m.groups())
    if features == 2 * in_features:
        return _lines(
            f"A layer built for {in_features} input features got rows of {features} = 2 x {in_features}:",
            "  a bidirectional LSTM puts the forward and backward halves side by side.",
            f"  Fix:  nn.Linear(2 * hidden_size, {out_features})    on torch.cat([h_n[-2], h_n[-1]], dim=-1)",
        )
    return _lines(
        f"A layer built for in_features={in_features} got rows of {features} numbers "
        f"({rows} rows).",
        "  nn.Linear reads the last axis: its in_features must be the size of that axis (hidden",
        "  for an LSTM's h_n[-1] or out; 2 x hidden if bidirectional).",
        f"  Fix:  nn.Linear({features}, {out_features})",
    )


@explainer("linear-dtype", r"mat1 and mat2 must have the same dtype, but got (\w+) and (\w+)", raised_in=LINEAR)
def _linear_dtype(m):
    got, want = m.groups()
    if got in ("Long", "Int", "Short", "Byte", "Bool"):
        return _lines(f"Integers ({got}) went into a layer of {want} weights: token ids need an",
                      "  nn.Embedding first; numeric features need .float().",
                      "  Fix:  layer(embedding(ids))    or    layer(x.float())")
    return _lines(f"The input is {got}, the weights {want}.", f"  Fix:  layer(x.to(torch.{want.lower()}))")


@explainer("loss-batch", r"Expected input batch_size \((\d+)\) to match target batch_size \((\d+)\)")
def _loss_batch(m):
    rows, targets = (int(v) for v in m.groups())
    if rows % targets == 0 and rows > targets:
        return _lines(
            f"The logits have {rows} rows and the targets {targets}: {rows} = {targets} x {rows // targets}.",
            "  You flattened (batch, seq, classes) logits into one row per STEP, but have one target",
            "  per SEQUENCE. One label per sequence: classify from h_n[-1] (or the last valid step),",
            "  not from every step of out. One label per step: flatten the targets the same way.",
            "  Fix:  loss_fn(head(h_n[-1]), targets)",
            "  Or:   loss_fn(logits.reshape(-1, n_classes), targets.reshape(-1))",
        )
    return _lines(f"The logits have {rows} rows and the targets {targets}: one target per row is needed.",
                  "  Likely cause: batch and seq swapped somewhere (batch_first), or a batch cut short.",
                  "  Fix:  check logits.shape == (batch, n_classes) and targets.shape == (batch,)")


@explainer("loss-class-axis", r"Expected target size \[(\d+), (\d+)\], got \[(\d+), (\d+)\]")
def _class_axis(m):
    batch, classes, _, seq = m.groups()
    return _lines(
        "CrossEntropyLoss reads the CLASS axis as axis 1: logits (batch, classes, seq) with",
        f"  targets (batch, seq). You gave it (batch={batch}, seq={seq}, classes={classes}) logits.",
        "  Fix:  loss_fn(logits.transpose(1, 2), targets)",
        "  Or:   loss_fn(logits.reshape(-1, n_classes), targets.reshape(-1))",
    )


@explainer("loss-target-dtype", r"expected target dtype to be Long or Byte, but got (\w+)")
def _target_dtype(m):
    return _lines(
        f"Class targets are integer ids (0 ... n_classes-1); yours are {m.group(1)}.",
        "  (Float targets would mean class probabilities, of the same shape as the logits.)",
        "  Fix:  loss_fn(logits, targets.long())",
    )


@explainer("loss-target-range", r"Target (-?\d+) is out of bounds")
def _target_range(m):
    t = int(m.group(1))
    cause = ("a padding label (-1?) without ignore_index" if t < 0 else
             f"labels counted from 1, or a head with fewer than {t + 1} outputs")
    return _lines(
        f"Target {t} is not a class of the head: classes are 0 ... n_classes-1.",
        f"  Likely cause: {cause}.",
        "  Fix:  nn.Linear(hidden, n_classes)   with n_classes = targets.max() + 1",
        "  Or:   nn.CrossEntropyLoss(ignore_index=pad_label)   for a padding label",
    )


@explainer("loss-multi-target", r"0D or 1D target tensor expected, multi-target not supported")
def _multi_target(m):
    return _lines("The targets have an extra axis, (batch, 1): one class id per row is needed, (batch,).",
                  "  Fix:  loss_fn(logits, targets.squeeze(1))")


@explainer("bce-shape", r"Target size \(torch\.Size\(\[([\d, ]*)\]\)\) must be the same as input size "
                        r"\(torch\.Size\(\[([\d, ]*)\]\)\)")
def _bce_shape(m):
    target, logits = m.groups()
    return _lines(f"Binary losses compare element by element: logits ({logits}) and targets "
                  f"({target})\n  must have one shape.",
                  "  Fix:  loss_fn(logits.squeeze(-1), targets.float())")


# --- tensors and autograd --------------------------------------------------------------------


@explainer("view-non-contiguous", r"view size is not compatible with input tensor's size and stride")
def _view(m):
    return _lines(
        "After transpose or permute the numbers are no longer in row order: view cannot",
        "  regroup them. Moving axes (seq <-> batch) is transpose's job, already done; never",
        "  view/reshape for that: it mixes numbers across sequences without an error (nb 02).",
        "  Fix:  x.reshape(...)    or    x.contiguous().view(...)    to merge or split axes",
    )


@explainer("backward-twice", r"Trying to backward through the graph a second time")
def _backward_twice(m):
    return _lines(
        "The state (h, c) carried over from the previous batch still links to that batch's graph,",
        "  which backward() has already freed. Carry the numbers, not the history (truncated",
        "  backpropagation through time, notebook 04); retain_graph=True is not the fix.",
        "  Fix:  state = tuple(s.detach() for s in state)    before the next batch",
    )


def cause_only(explanation: str | None) -> str | None:
    """An explanation without its fix: the lines before the first `Fix:` line (None stays None)."""
    if explanation is None:
        return None
    lines = explanation.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("Fix:"):
            return "\n".join(lines[:i])
    return explanation


def explain(text: str, where: str | None = None, *, fix: bool = True) -> str | None:
    """The course's explanation of an error ("ErrorType: message"), or None if it knows none.

    where: the file the error was raised in, for generic messages that only make sense there
    (an IndexError inside torch/nn/modules/rnn.py); None (the command line) accepts them all.
    fix: False gives the cause alone, without the `Fix:` (and `Or:`) lines.
    """
    for e in EXPLAINERS:
        match = e.match(text, where)
        if match:
            explanation = e.explain(match)
            return explanation if fix else cause_only(explanation)
    return None


def explain_exception(error: BaseException, *, fix: bool = True) -> str | None:
    """explain() for a raised error, using the file of the frame that raised it."""
    tb = error.__traceback__
    where = None
    while tb is not None:
        where = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    text = f"{type(error).__name__}: {error}"
    return explain(text, where.replace("\\", "/") if where else None, fix=fix)
