"""Graded checks for notebook 07, variable-length sequences and packing.

Each check builds its own fixtures (seeded nn.LSTM, padded batches with unsorted lengths that
include a length of 1 and one at full length), calls the learner's function, and compares with
PyTorch itself (pack_padded_sequence, a packed nn.LSTM) or with a property: padding invariance,
what each sequence gives when it is run alone, without any padding. Failures name the suspect and
end with a `Fix:` line. Keyword arguments let hidden tests vary lengths, sizes and seeds; a
check that runs several batches takes them as `configs`, one dict of named sizes per batch.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..shapes import _fmt, check_shape
from .common import (
    ATOL,
    CUDA_LENGTHS_ERROR,
    CheckFailed,
    calling,
    close,
    keep,
    max_difference,
    on_gpu,
    passed,
    quote_error,
    require,
    require_tensor,
    require_unchanged,
    seeded_lstm,
    seeded_randn,
)

LENGTHS_A = (3, 7, 1, 5)  # batch 4, seq 7: unsorted, a length of 1, one at full length
LENGTHS_B = (4, 1, 8, 6, 2, 6)  # batch 6: a tie (6, 6); the longest (8) is shorter than seq 9


def _layout(batch_first: bool) -> str:
    return "batch_first=True" if batch_first else "batch_first=False"


def _spec(batch_first: bool, last: str) -> str:
    return f"batch seq {last}" if batch_first else f"seq batch {last}"


def _padded(lengths, seq: int, feature: int, *, seed: int, fill: str = "zeros") -> torch.Tensor:
    """(batch, seq, feature) random steps; after each length: zeros, or random 'garbage'."""
    x = seeded_randn(len(lengths), seq, feature, seed=seed)
    junk = seeded_randn(len(lengths), seq, feature, seed=seed + 100).abs() + 1.0
    for b, n in enumerate(lengths):
        x[b, n:] = 0.0 if fill == "zeros" else junk[b, n:]
    return x


def _to_layout(x_bf: torch.Tensor, batch_first: bool) -> torch.Tensor:
    return x_bf if batch_first else x_bf.transpose(0, 1).contiguous()


def _is_device_mismatch(err: Exception) -> bool:
    msg = str(err)
    return "expected device" in msg or "same device" in msg


# --- exercise 1: length_mask --------------------------------------------------------------------------


def check_length_mask(length_mask, *, lengths=LENGTHS_A, seqs=(7, 9)) -> None:
    """length_mask(lengths, seq, batch_first) -> bool (batch, seq) or (seq, batch): True = a real step."""
    __tracebackhide__ = True
    lengths_t = torch.tensor(lengths)
    for seq in seqs:
        for batch_first in (False, True):
            given = lengths_t.clone()
            kept = keep(lengths=given)
            with calling("length_mask"):
                got = length_mask(given, seq, batch_first)
            require_unchanged(f"length_mask(lengths, {seq}, batch_first={batch_first})", kept, lengths=given)
            _compare_mask(got, lengths, seq, batch_first)
    _check_mask_device(length_mask, lengths_t, max(seqs))
    passed(f"length_mask: lengths {list(lengths)}, seq {' and '.join(map(str, seqs))}, both layouts, "
           "on lengths' device")


def _want_mask(lengths, seq: int) -> torch.Tensor:
    """(batch, seq): mask[b, t] is True while t < lengths[b]."""
    return torch.tensor([[t < n for t in range(seq)] for n in lengths])


def _compare_mask(got, lengths, seq, batch_first):
    __tracebackhide__ = True
    got = require_tensor(got, "mask").detach().cpu()
    batch = len(lengths)
    want_bf = _want_mask(lengths, seq)
    want = want_bf if batch_first else want_bf.T
    call = f"length_mask(lengths, {seq}, batch_first={batch_first})"
    fix = ("torch.arange(seq, device=lengths.device)[None, :] < lengths[:, None]" if batch_first
           else "torch.arange(seq, device=lengths.device)[:, None] < lengths[None, :]")
    if tuple(got.shape) == tuple(want.T.shape) and batch != seq:
        right, other = ("(batch, seq)", "(seq, batch)") if batch_first else ("(seq, batch)", "(batch, seq)")
        raise CheckFailed(
            f"{call} is {_fmt(got.shape)} = {other}: the other layout.\n"
            f"  With {_layout(batch_first)} out is ({_spec(batch_first, 'hidden').replace(' ', ', ')}), "
            f"so the mask is {right}:\n"
            f"  mask[{'b, t' if batch_first else 't, b'}] is True while t < lengths[b]. The other "
            "order breaks out * mask[..., None]\n"
            "  (or, when batch == seq, silently masks the wrong steps).\n"
            f"  Fix:  {fix}"
        )
    longest = max(lengths)
    if longest < seq and got.dim() == 2 and longest in tuple(got.shape) and seq not in tuple(got.shape):
        raise CheckFailed(
            f"{call} has {longest} steps, the longest length, not seq={seq}.\n"
            "  A batch can hold more padding than its longest sequence needs (total_length, or a\n"
            f"  collate that pads to a fixed size): the mask must cover all seq={seq} steps.\n"
            f"  Fix:  {fix}"
        )
    check_shape(got, "batch seq" if batch_first else "seq batch", batch=batch, seq=seq, name="mask")
    values = got.to(torch.bool) if got.dtype != torch.bool else got
    if not torch.equal(values, want):
        plus_one = _want_mask([n + 1 for n in lengths], seq)
        plus_one = plus_one if batch_first else plus_one.T
        if torch.equal(values, plus_one):
            raise CheckFailed(
                f"{call} is True at step t = lengths[b] too:\n"
                "  one step too many per sequence. Steps count from 0, so a sequence of length 3\n"
                "  has steps 0, 1, 2: t < lengths[b], not <=.\n"
                f"  Fix:  {fix}"
            )
        if torch.equal(values, ~want):
            raise CheckFailed(
                f"{call} is True at the padding, False at real steps.\n"
                "  Here a mask says True = a real step (keep it), as masked_fill(~mask, ...) expects.\n"
                f"  Fix:  {fix}"
            )
        bad = [b for b in range(batch) if not torch.equal(values[b] if batch_first else values[:, b],
                                                          want_bf[b])]
        b = bad[0]
        row = values[b] if batch_first else values[:, b]
        raise CheckFailed(
            f"{call} is wrong for sequence {b} (length {lengths[b]}):\n"
            f"  it marks steps {[t for t in range(seq) if row[t]]}, expected 0 .. {lengths[b] - 1}.\n"
            f"  Fix:  {fix}"
        )
    require(
        got.dtype == torch.bool,
        f"{call} has the right pattern but dtype {str(got.dtype).replace('torch.', '')}.\n"
        "  A mask is bool: masked_fill() needs it, and ~ on an int mask flips bits (~1 is -2).\n"
        f"  Fix:  {fix}",
    )


def _check_mask_device(length_mask, lengths_t, seq):
    """The mask must be made where lengths live. PyTorch's 'meta' device (shapes, no data) stands in
    for a GPU: mixing it with CPU tensors fails as mixing CUDA and CPU does."""
    __tracebackhide__ = True
    on_meta = lengths_t.to("meta")
    try:
        with calling("length_mask"):
            got = length_mask(on_meta, seq, True)
    except (RuntimeError, NotImplementedError) as err:
        if not _is_device_mismatch(err):
            return  # the answer reads values (e.g. int(lengths[b])), which meta cannot: no verdict
        raise CheckFailed(
            "length_mask() makes part of its mask on the CPU, whatever device lengths is on.\n"
            "  The check gave lengths on PyTorch's 'meta' device (a stand-in for a GPU) and got:\n"
            f"{quote_error(err)}\n"
            "  Fix:  torch.arange(seq, device=lengths.device)"
        ) from None
    require(
        isinstance(got, torch.Tensor) and got.device == on_meta.device,
        f"length_mask() returned a mask on {getattr(got, 'device', None)}, but lengths was on "
        f"{on_meta.device} (a stand-in for a GPU): out * mask would fail there.\n"
        "  Fix:  torch.arange(seq, device=lengths.device)",
    )


# --- exercise 2: pack_by_hand ---------------------------------------------------------------------------


PACK_CONFIGS = (dict(lengths=LENGTHS_A, seq=7), dict(lengths=LENGTHS_B, seq=9))


def check_pack_by_hand(pack_by_hand, *, configs=PACK_CONFIGS, feature: int = 3, seed: int = 70) -> None:
    """pack_by_hand(padded, lengths, batch_first) -> (data, batch_sizes), as pack_padded_sequence.

    configs: one dict(lengths=..., seq=...) per batch; batch k is drawn with seed + k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        for batch_first in (False, True):
            _check_pack_once(pack_by_hand, **config, batch_first=batch_first, feature=feature,
                             seed=seed + k)
    passed(f"pack_by_hand: data and batch_sizes equal PyTorch's for {len(configs)} batches, "
           "both layouts")


def _check_pack_once(pack_by_hand, *, lengths, seq: int, batch_first: bool, feature: int, seed: int):
    __tracebackhide__ = True
    x_bf = _padded(lengths, seq, feature, seed=seed)
    padded = _to_layout(x_bf, batch_first)
    given_padded, given_lengths = padded.clone(), torch.tensor(lengths)
    kept = keep(padded=given_padded, lengths=given_lengths)
    try:
        with calling("pack_by_hand"):
            result = pack_by_hand(given_padded, given_lengths, batch_first)
    except IndexError as err:
        raise CheckFailed(
            f"pack_by_hand() indexed past the end of padded, {_fmt(padded.shape)} = "
            f"({_spec(batch_first, 'feature').replace(' ', ', ')}):\n"
            f"{quote_error(err)}\n"
            f"  With {_layout(batch_first)} the steps are axis {1 if batch_first else 0}; "
            "reading seq-first keeps it simple.\n"
            "  Fix:  x = padded.transpose(0, 1) if batch_first else padded"
        ) from None
    require_unchanged(f"pack_by_hand(padded, lengths, batch_first={batch_first})", kept,
                      padded=given_padded, lengths=given_lengths)
    _compare_pack(result, x_bf, padded, lengths, batch_first)


STEP_FIX = "  Fix:  torch.cat([x[t, order[:n]] for t, n in enumerate(batch_sizes)])  # x seq-first"


def _compare_pack(result, x_bf, padded, lengths, batch_first):
    __tracebackhide__ = True
    ref = pack_padded_sequence(padded, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "pack_by_hand() should return two things, data and batch_sizes, but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}.\n"
        "  Fix:  return data, batch_sizes",
    )
    data, batch_sizes = result
    _compare_batch_sizes(batch_sizes, ref.batch_sizes, lengths, padded.shape[1 if batch_first else 0])
    data = require_tensor(data, "data").detach().cpu()
    batch, seq, feature = x_bf.shape
    total = sum(lengths)
    if tuple(data.shape) == (batch * seq, feature) and batch * seq != total:
        raise CheckFailed(
            f"data has {batch * seq} rows = batch {batch} x seq {seq}: every step, padding included.\n"
            f"  A PackedSequence keeps the real steps only: sum(lengths) = {total} rows.\n"
            "  At step t take only the sequences still running, the first batch_sizes[t].\n"
            + STEP_FIX
        )
    check_shape(data, "steps feature", steps=total, feature=feature, name="data")
    if close(data, ref.data):
        return
    by_length = sorted(range(batch), key=lambda b: -lengths[b])
    for order in (by_length, list(range(batch))):
        if close(data, torch.cat([x_bf[b, :lengths[b]] for b in order])):
            raise CheckFailed(
                "data holds one whole sequence after another: all steps of one, then the next.\n"
                "  PyTorch packs step by step: step 0 of every sequence (longest first), then\n"
                "  step 1 of those still running, and so on: batch_sizes[t] rows for step t.\n"
                + STEP_FIX
            )
    where = _locate_rows(data, x_bf, lengths)
    first = where[:batch]
    if None not in first and {t for _, t in first} == {0} and len({b for b, _ in first}) == batch:
        order = [b for b, _ in first]
        if any(lengths[order[i]] < lengths[order[i + 1]] for i in range(batch - 1)):
            kept = "the batch order" if order == list(range(batch)) else "not longest first"
            raise CheckFailed(
                f"step 0 of data takes the sequences in the order {order}, lengths "
                f"{[lengths[b] for b in order]}:\n"
                f"  {kept}. PyTorch sorts them by length, longest first, and keeps that order at\n"
                "  every step, so those still running at step t are the first batch_sizes[t].\n"
                "  Fix:  order = torch.sort(lengths, descending=True).indices"
            )
        mine = pack_padded_sequence(padded.index_select(0 if batch_first else 1, torch.tensor(order)),
                                    torch.tensor([lengths[b] for b in order]), batch_first=batch_first)
        if close(data, mine.data):
            return  # equal lengths in another order than PyTorch's: a valid packing, accepted
        k = next(k for k in range(total) if not close(data[k], mine.data[k]))
        step = next(s for s in range(len(mine.batch_sizes)) if int(mine.batch_sizes[:s + 1].sum()) > k)
        b, t = where[k] if where[k] is not None else (None, None)
        said = "padding (all zeros)" if not data[k].any() else (
            "no real step" if b is None else f"step {t} of sequence {b}")
        raise CheckFailed(
            f"data starts right (step 0, longest first), but data[{k}], a row of step {step}, is "
            f"{said}.\n"
            f"  Step t takes the first batch_sizes[t] sequences in the order of step 0, {order}.\n"
            + STEP_FIX
        )
    k = next(k for k, w in enumerate(where) if w is None or (k < batch and w[1] != 0))
    if where[k] is None:
        said = "padding (all zeros)" if not data[k].any() else "not a real step of any sequence"
        raise CheckFailed(
            f"data[{k}] is {said}, reading padded as ({_spec(batch_first, 'feature').replace(' ', ', ')})"
            f".\n"
            "  Every row of data is one real step of one sequence: no padding, nothing computed.\n"
            f"  With {_layout(batch_first)}, step t of sequence b is "
            f"{'padded[b, t]' if batch_first else 'padded[t, b]'}.\n"
            + STEP_FIX
        )
    b, t = where[k]
    raise CheckFailed(
        f"the first {batch} rows of data should be step 0 of each sequence, but data[{k}] is step {t}"
        f" of sequence {b}.\n"
        "  PyTorch packs step by step: step 0 of every sequence (longest first), then step 1 of\n"
        "  those still running, and so on.\n"
        + STEP_FIX
    )


def _locate_rows(data, x_bf, lengths):
    """For each row of data: (sequence, step) of the real step it equals, or None."""
    where = []
    cells = [(b, t) for b, n in enumerate(lengths) for t in range(n)]
    table = torch.stack([x_bf[b, t] for b, t in cells])
    for row in data:
        hit = ((table - row).abs().amax(dim=1) < 1e-6).nonzero()
        where.append(cells[int(hit[0])] if len(hit) else None)
    return where


def _compare_batch_sizes(batch_sizes, want, lengths, seq):
    __tracebackhide__ = True
    fix = "  Fix:  torch.tensor([int((lengths > t).sum()) for t in range(int(lengths.max()))])"
    if isinstance(batch_sizes, (list, tuple)):
        raise CheckFailed(
            f"batch_sizes is a Python {type(batch_sizes).__name__}; a PackedSequence keeps it as an "
            "int64 tensor.\n"
            "  Fix:  torch.tensor(batch_sizes)"
        )
    got = require_tensor(batch_sizes, "batch_sizes").detach().cpu()
    want_list = want.tolist()
    got_list = [round(v) for v in got.flatten().tolist()] if got.dim() == 1 else None
    if got_list in (sorted(lengths, reverse=True), list(lengths)):
        raise CheckFailed(
            f"batch_sizes is {got_list}: one number per sequence, its length.\n"
            f"  PyTorch's has one number per STEP: batch_sizes[t] = how many sequences are still\n"
            f"  running at step t (length > t): {want_list} for lengths {list(lengths)}.\n"
            + fix
        )
    if got_list is not None and len(got_list) > len(want_list) and got_list[:len(want_list)] == want_list:
        raise CheckFailed(
            f"batch_sizes is {got_list}:\n"
            f"  it ends with {len(got_list) - len(want_list)} zero(s), for steps past the longest "
            f"sequence (length {max(lengths)}; seq={seq}).\n"
            "  A step that no sequence reaches has no rows in data, and no entry in batch_sizes.\n"
            + fix
        )
    if got_list != want_list and got_list in ([len(lengths)] + want_list[:-1], want_list[1:],
                                              want_list[1:] + [0]):
        raise CheckFailed(
            f"batch_sizes is {got_list}, one step off: PyTorch's is {want_list}.\n"
            "  Steps count from 0: a sequence of length n runs at steps 0 .. n - 1, so\n"
            "  batch_sizes[t] counts the lengths > t.\n"
            + fix
        )
    require(
        got_list == want_list,
        f"batch_sizes is {got_list if got_list is not None else _fmt(got.shape)}, but PyTorch's is "
        f"{want_list}\n  for lengths {list(lengths)}: batch_sizes[t] = how many sequences are still "
        "running at step t.\n" + fix,
    )
    require(
        got.dtype == torch.int64,
        f"batch_sizes holds the right counts, but as {str(got.dtype).replace('torch.', '')}; "
        "PackedSequence keeps them as int64.\n"
        "  Fix:  batch_sizes.long()",
    )


# --- exercise 3: last_valid -----------------------------------------------------------------------------


LAST_CONFIGS = (dict(lengths=LENGTHS_A, seq=7, hidden=5), dict(lengths=LENGTHS_B, seq=9, hidden=4))


def check_last_valid(last_valid, *, configs=LAST_CONFIGS, feature: int = 3, seed: int = 71) -> None:
    """last_valid(out, lengths, batch_first, bidirectional) -> (batch, directions x hidden).

    configs: one dict(lengths=..., seq=..., hidden=...) per batch (seq: the padded length, as
    total_length gives it); batch k uses seed + k for the LSTM, seed + 10 + k for the steps.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        for bidirectional in (False, True):
            for batch_first in (False, True):
                _check_last_once(last_valid, **config, batch_first=batch_first,
                                 bidirectional=bidirectional, feature=feature, seed=seed + k)
    passed(f"last_valid: equals h_n for {len(configs)} batches, both layouts, 1 and 2 directions")


def _check_last_once(last_valid, *, lengths, seq: int, hidden: int, batch_first: bool,
                     bidirectional: bool, feature: int, seed: int):
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, seed=seed, batch_first=batch_first,
                       bidirectional=bidirectional, num_layers=2 if bidirectional else 1)
    x = _to_layout(_padded(lengths, seq, feature, seed=seed + 10), batch_first)
    with torch.no_grad():
        packed_out, (h_n, _) = lstm(pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False))
        out, _ = pad_packed_sequence(packed_out, batch_first=batch_first, total_length=seq)
    want = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bidirectional else h_n[-1]
    given_out, given_lengths = out.clone(), torch.tensor(lengths)
    kept = keep(out=given_out, lengths=given_lengths)
    try:
        with calling("last_valid"):
            got = last_valid(given_out, given_lengths, batch_first, bidirectional)
    except (IndexError, RuntimeError) as err:
        if not any(w in str(err) for w in ("out of bounds", "out of range", "shape mismatch")):
            raise
        raise CheckFailed(
            f"last_valid() indexed out {_fmt(out.shape)} ({_layout(batch_first)}) wrongly:\n"
            f"{quote_error(err)}\n"
            "  Steps count from 0: the last valid step of a sequence of length n is n - 1,\n"
            f"  and the steps are axis {1 if batch_first else 0} of out here.\n"
            f"  Fix:  {_last_fix(batch_first)}"
        ) from None
    require_unchanged(f"last_valid(out, lengths, {batch_first}, {bidirectional})", kept,
                      out=given_out, lengths=given_lengths)
    _compare_last(got, want, out, lengths, hidden, batch_first, bidirectional)


def _last_fix(batch_first: bool) -> str:
    return ("out[torch.arange(out.size(0)), lengths - 1]" if batch_first
            else "out[lengths - 1, torch.arange(out.size(1))]")


def _at(out, steps, batch_first):
    """(batch, features): out at steps[b] for each sequence b."""
    batch = out.shape[0 if batch_first else 1]
    idx = torch.arange(batch)
    steps = torch.as_tensor(steps)
    return out[idx, steps] if batch_first else out[steps, idx]


def _compare_last(got, want, out, lengths, hidden, batch_first, bidirectional):
    __tracebackhide__ = True
    got = require_tensor(got, "last").detach().cpu()
    batch = len(lengths)
    directions = 2 if bidirectional else 1
    call = f"last_valid(out, lengths, {batch_first}, {bidirectional})"
    back0 = "out[:, 0, hidden:]" if batch_first else "out[0, :, hidden:]"
    bi_fix = f"  Fix:  torch.cat([forward_last, {back0}], dim=-1)"
    if bidirectional and tuple(got.shape) == (batch, hidden):
        raise CheckFailed(
            f"{call} is {_fmt(got.shape)}: one direction only.\n"
            f"  A bidirectional out has 2 x hidden = {2 * hidden} numbers per step, forward then\n"
            "  backward; the summary keeps both halves: (batch, 2 x hidden).\n" + bi_fix
        )
    check_shape(got, "batch hidden", batch=batch, hidden=directions * hidden, name="last")
    if close(got, want, ATOL):
        return
    lengths_t = torch.tensor(lengths)
    last_step = _at(out, [out.shape[1 if batch_first else 0] - 1] * batch, batch_first)
    if close(got, last_step, ATOL):
        zeros = [b for b in range(batch) if not got[b].any()]
        short = min(range(batch), key=lambda b: lengths[b])
        raise CheckFailed(
            f"{call} took the last padded step for every\n"
            f"  sequence: {len(zeros)} of {batch} rows are all zeros. "
            f"{'out[:, -1]' if batch_first else 'out[-1]'} is step {out.shape[1 if batch_first else 0] - 1}; after "
            "pad_packed_sequence\n"
            f"  a shorter sequence is 0 there (sequence {short} has length {lengths[short]}: its last "
            f"valid step is {lengths[short] - 1}).\n"
            f"  Fix:  {_last_fix(batch_first)}"
        )
    at_last = _at(out, lengths_t - 1, batch_first)
    at_zero = _at(out, [0] * batch, batch_first)
    if bidirectional:
        H = hidden
        if close(got, at_last, ATOL):
            raise CheckFailed(
                f"{call}: the backward half was taken at lengths - 1.\n"
                "  The backward direction runs from the last valid step back to step 0: at\n"
                "  lengths - 1 it has read one step. It ends at step 0, where out equals h_n[-1].\n"
                + bi_fix
            )
        if close(got, torch.cat([at_zero[:, H:], at_last[:, :H]], dim=-1), ATOL):
            raise CheckFailed(
                f"{call} has the halves swapped: backward first.\n"
                "  out[..., :hidden] is the forward direction, out[..., hidden:] the backward one;\n"
                "  keep that order (the order of h_n[-2], h_n[-1]).\n" + bi_fix
            )
        if close(got, at_zero, ATOL):
            raise CheckFailed(
                f"{call} took step 0 for both halves;\n"
                "  only the backward direction ends there. The forward direction ends at each\n"
                "  sequence's last valid step, lengths - 1.\n" + bi_fix
            )
        if close(got[:, :H], want[:, :H], ATOL):
            raise CheckFailed(
                f"{call}: the forward half is right, the backward\n"
                "  half is not. The backward direction ends at step 0: its final state is out at\n"
                "  step 0, the last hidden numbers.\n" + bi_fix
            )
    elif close(got, at_zero, ATOL):
        raise CheckFailed(
            f"{call} took step 0 of every sequence,\n"
            "  its first step, not its last valid one.\n"
            f"  Fix:  {_last_fix(batch_first)}"
        )
    bad = [b for b in range(batch) if not close(got[b], want[b], ATOL)]
    b = bad[0]
    steps = out.shape[1 if batch_first else 0]
    seq_b = out[b] if batch_first else out[:, b]
    hit = [t for t in range(steps) if close(got[b, :hidden], seq_b[t, :hidden], ATOL)]
    said = f"the output at step {hit[0]}" if hit else "no step of out"
    raise CheckFailed(
        f"{call} is wrong for sequence {b}:\n"
        f"  the forward part of its row is {said}, but its length is {lengths[b]}, so its last\n"
        f"  valid step is {lengths[b] - 1}. Rows wrong: {bad}.\n"
        f"  Fix:  {_last_fix(batch_first)}"
    )


# --- exercise 4: encode_packed --------------------------------------------------------------------------


ENCODE_CONFIGS = (
    dict(lengths=LENGTHS_A, seq=7, num_layers=1, bidirectional=False, batch_first=False, hidden=5,
         padding="zeros"),
    dict(lengths=LENGTHS_B, seq=9, num_layers=2, bidirectional=True, batch_first=True, hidden=4,
         padding="garbage"),
    dict(lengths=LENGTHS_B, seq=10, num_layers=3, bidirectional=False, batch_first=True, hidden=3,
         padding="garbage"),      # one direction, stacked, batch-first
    dict(lengths=LENGTHS_A, seq=8, num_layers=1, bidirectional=True, batch_first=False, hidden=4,
         padding="zeros"),        # two directions, seq-first, extra padding
)


def check_encode_packed(encode_packed, *, configs=ENCODE_CONFIGS, feature: int = 3, seed: int = 72) -> None:
    """encode_packed(lstm, padded, lengths) -> out, (h_n, c_n): each sequence as if run alone.

    configs: one dict per batch: lengths, seq, the LSTM's num_layers, bidirectional, batch_first
    and hidden, and padding ("zeros", or "garbage": random numbers after each sequence's end);
    batch k uses seed + k for the LSTM, seed + 10 + k for the steps.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        _check_encode_once(encode_packed, **config, feature=feature, seed=seed + k)
    passed("encode_packed: each sequence gives what it gives alone, in the batch's order;\n"
           "  1 and 2 directions, 1 to 3 layers, both layouts, extra padding, lengths on the GPU")


def _check_encode_once(encode_packed, *, lengths, seq: int, num_layers: int, bidirectional: bool,
                       batch_first: bool, hidden: int, padding: str, feature: int, seed: int):
    __tracebackhide__ = True
    lstm = seeded_lstm(feature, hidden, seed=seed, num_layers=num_layers,
                       bidirectional=bidirectional, batch_first=batch_first)
    x_bf = _padded(lengths, seq, feature, seed=seed + 10, fill=padding)
    padded = _to_layout(x_bf, batch_first)
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    given_padded, given_lengths = padded.clone(), on_gpu(torch.tensor(lengths))
    kept = keep(padded=given_padded, lengths=given_lengths)
    result = _call_encode(encode_packed, lstm, given_padded, given_lengths, lengths, batch_first)
    require_unchanged("encode_packed(lstm, padded, lengths)", kept, padded=given_padded,
                      lengths=given_lengths)
    for n, p in lstm.named_parameters():
        require(torch.equal(p.detach().cpu(), before[n]),
                f"encode_packed() changed the LSTM's {n}: it should only run it.\n"
                "  Fix:  packed_out, (h_n, c_n) = lstm(packed)")
    _compare_encode(result, lstm, x_bf, padded, lengths, seq, batch_first, padding)


PACK_FIX = "  Fix:  pack_padded_sequence(padded, lengths.cpu(), ..., enforce_sorted=False)"
LAYOUT_FIX = "  Fix:  pack_padded_sequence(padded, lengths.cpu(), batch_first=lstm.batch_first, ...)"


def _call_encode(encode_packed, lstm, given_padded, given_lengths, lengths, batch_first):
    __tracebackhide__ = True
    try:
        with calling("encode_packed"):
            with torch.no_grad():
                return encode_packed(lstm, given_padded, given_lengths)
    except RuntimeError as err:
        msg = str(err)
        if "lengths' argument should be a 1D CPU int64 tensor" in msg:
            raise CheckFailed(
                "encode_packed() gave pack_padded_sequence lengths on the GPU. PyTorch says:\n"
                f"  {CUDA_LENGTHS_ERROR}\n"
                "  The check hands lengths over where a GPU training loop has them (on a machine\n"
                "  without a GPU, a stand-in that acts as one). Packing reads lengths on the CPU.\n"
                "  Fix:  pack_padded_sequence(padded, lengths.cpu(), ...)"
            ) from None
        if "must be sorted in decreasing order" in msg:
            raise CheckFailed(
                "encode_packed() packed with enforce_sorted=True (the default), but the lengths\n"
                f"  {list(lengths)} are not sorted, longest first. PyTorch says:\n"
                f"{quote_error(err, first_sentence=True)}\n"
                "  With enforce_sorted=False PyTorch sorts the batch itself and puts it back.\n"
                + PACK_FIX
            ) from None
        if any(w in msg for w in ("len(lengths)", "must be equal to input_size", "exceeds dimension size")):
            raise CheckFailed(
                "encode_packed() packed the batch in the wrong layout:\n"
                f"{quote_error(err)}\n"
                f"  This LSTM has {_layout(batch_first)}: pack and unpack with that flag.\n"
                + LAYOUT_FIX
            ) from None
        raise
    except IndexError as err:
        if "out of range" not in str(err):
            raise
        raise CheckFailed(
            "encode_packed() packed the batch in the wrong layout (PyTorch took another axis\n"
            f"  for the batch):\n{quote_error(err)}\n"
            f"  This LSTM has {_layout(batch_first)}: pack and unpack with that flag.\n"
            + LAYOUT_FIX
        ) from None


def _alone(lstm, x_bf, lengths):
    """Each sequence run alone, without padding: out (batch, seq, D*H) with zeros after its
    length, h_n and c_n (layers*D, batch, hidden). Padding invariance says a packed batch gives this."""
    seq = x_bf.shape[1]
    outs, hs, cs = [], [], []
    with torch.no_grad():
        for b, n in enumerate(lengths):
            one = x_bf[b:b + 1, :n] if lstm.batch_first else x_bf[b:b + 1, :n].transpose(0, 1)
            o, (h, c) = lstm(one)
            o = o[0] if lstm.batch_first else o[:, 0]
            outs.append(torch.cat([o, o.new_zeros(seq - n, o.shape[-1])]))
            hs.append(h)
            cs.append(c)
    return torch.stack(outs), torch.cat(hs, dim=1), torch.cat(cs, dim=1)


def _compare_encode(result, lstm, x_bf, padded, lengths, seq, batch_first, fill):
    __tracebackhide__ = True
    ok = (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], (tuple, list))
          and len(result[1]) == 2)
    require(
        ok,
        "encode_packed() should return what nn.LSTM returns: out, (h_n, c_n), but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}.\n"
        "  Fix:  return out, (h_n, c_n)",
    )
    out, (h_n, c_n) = result
    unpack_fix = ("  Fix:  pad_packed_sequence(packed_out, batch_first=lstm.batch_first, "
                  "total_length=seq)")
    if hasattr(out, "batch_sizes"):
        raise CheckFailed(
            "encode_packed() returned out as a PackedSequence; it should be a padded tensor,\n"
            "  laid out as the LSTM's input, with as many steps as padded (seq).\n" + unpack_fix
        )
    out = require_tensor(out, "out").detach().cpu()
    h_n = require_tensor(h_n, "h_n").detach().cpu()
    c_n = require_tensor(c_n, "c_n").detach().cpu()
    want_out_bf, want_h, want_c = _alone(lstm, x_bf, lengths)
    want_out = _to_layout(want_out_bf, batch_first)
    batch = len(lengths)
    D = 2 if lstm.bidirectional else 1
    longest = max(lengths)
    seq_axis = 1 if batch_first else 0
    if seq != batch and tuple(out.shape) == tuple(_to_layout(want_out_bf, not batch_first).shape):
        raise CheckFailed(
            f"out is {_fmt(out.shape)}, laid out as {_layout(not batch_first)}, but the LSTM has "
            f"{_layout(batch_first)}.\n"
            "  pad_packed_sequence returns (seq, batch, ...) unless told batch_first=True.\n"
            + unpack_fix
        )
    if out.dim() == 3 and out.shape[seq_axis] == longest and longest < seq:
        raise CheckFailed(
            f"out has {longest} steps, the longest length, but padded has seq={seq}.\n"
            "  pad_packed_sequence pads to the longest sequence unless told total_length; the\n"
            "  caller's mask, targets and loss have all seq steps.\n" + unpack_fix
        )
    check_shape(out, _spec(batch_first, "hidden"), batch=batch, seq=seq, hidden=D * lstm.hidden_size,
                name="out")
    for name, t in (("h_n", h_n), ("c_n", c_n)):
        check_shape(t, "layers batch hidden", layers=lstm.num_layers * D, batch=batch,
                    hidden=lstm.hidden_size, name=name)
    if close(out, want_out, ATOL) and close(h_n, want_h, ATOL) and close(c_n, want_c, ATOL):
        return
    order = sorted(range(batch), key=lambda b: -lengths[b])
    idx = torch.tensor(order)
    if close(h_n, want_h[:, idx], ATOL) or close(out, want_out.index_select(seq_axis, idx), ATOL):
        raise CheckFailed(
            f"encode_packed() returns the sequences sorted by length, {order}, not in the batch's\n"
            "  order: row b of h_n must be sequence b, as the caller's labels expect. With\n"
            "  enforce_sorted=False, nn.LSTM and pad_packed_sequence undo the sort for you\n"
            "  (unsorted_indices).\n" + PACK_FIX
        )
    with torch.no_grad():
        _, (pad_h, _) = lstm(padded)
    if close(h_n, pad_h, ATOL):
        short = min(range(batch), key=lambda b: lengths[b])
        raise CheckFailed(
            "encode_packed() ran the padded batch without packing it: h_n has read the padding.\n"
            f"  Sequence {short} (length {lengths[short]}) gives another h_n in the batch than alone "
            f"({seq - lengths[short]} padding\n  steps read).\n" + PACK_FIX
        )
    if close(c_n, want_h, ATOL) and close(h_n, want_c, ATOL):
        raise CheckFailed("encode_packed() returned (c_n, h_n): the states swapped.\n"
                          "  Fix:  packed_out, (h_n, c_n) = lstm(packed)")
    for name, got, want in (("h_n", h_n, want_h), ("c_n", c_n, want_c)):
        bad = [b for b in range(batch) if not close(got[:, b], want[:, b], ATOL)]
        if bad:
            raise CheckFailed(
                f"{name} of sequence {bad[0]} (length {lengths[bad[0]]}) differs from what that "
                "sequence gives alone:\n"
                f"  off by up to {max_difference(got[:, bad[0]], want[:, bad[0]])}; sequences that "
                f"differ: {bad}.\n"
                "  Padding invariance: a packed batch gives each sequence what it gives alone.\n"
                "  Fix:  packed_out, (h_n, c_n) = lstm(packed)"
            )
    out_bf = out if batch_first else out.transpose(0, 1)
    for b, n in enumerate(lengths):
        if not close(out_bf[b, :n], want_out_bf[b, :n], ATOL):
            raise CheckFailed(
                f"h_n is right, but out of sequence {b} (length {n}) differs from that sequence "
                f"alone\n  at its real steps 0 .. {n - 1}. Return the LSTM's own output, unpacked.\n"
                + unpack_fix
            )
        if out_bf[b, n:].any():
            raise CheckFailed(
                f"out of sequence {b} (length {n}) is not 0 after its last step: steps {n} .. "
                f"{seq - 1} are\n  padding, and pad_packed_sequence puts 0 there.\n" + unpack_fix
            )


# --- exercise 5: masked_pool ----------------------------------------------------------------------------


POOL_CONFIGS = (dict(lengths=LENGTHS_B, seq=9, hidden=4, padding="garbage"),  # junk first: own messages
                dict(lengths=LENGTHS_A, seq=7, hidden=5, padding="zeros"))


def check_masked_pool(masked_pool, *, configs=POOL_CONFIGS, seed: int = 73) -> None:
    """masked_pool(out, mask, batch_first) -> (mean, max), each (batch, hidden), over real steps only.

    configs: one dict(lengths=..., seq=..., hidden=..., padding=...) per batch of LSTM outputs
    (padding: "zeros", as unpacking leaves, or "garbage"); batch k is drawn with seed + k.
    """
    __tracebackhide__ = True
    for k, config in enumerate(configs):
        _check_pool_once(masked_pool, **config, seed=seed + k)
    passed("masked_pool: mean and max over real steps only; both layouts, zeros and junk padding")


def _check_pool_once(masked_pool, *, lengths, seq: int, hidden: int, padding: str, seed: int):
    __tracebackhide__ = True
    out_bf = _padded(lengths, seq, hidden, seed=seed, fill=padding)
    short = min(range(len(lengths)), key=lambda b: lengths[b] if lengths[b] > 1 else 99)
    out_bf[short, :lengths[short]] = -out_bf[short, :lengths[short]].abs() - 0.1  # all negative
    mask_bf = _want_mask(lengths, seq)
    for batch_first in (False, True):
        out = _to_layout(out_bf, batch_first)
        mask = mask_bf if batch_first else mask_bf.T.contiguous()
        given_out, given_mask = out.clone(), mask.clone()
        kept = keep(out=given_out, mask=given_mask)
        try:
            with calling("masked_pool"):
                result = masked_pool(given_out, given_mask, batch_first)
        except RuntimeError as err:
            if "must match the size of tensor" not in str(err):
                raise
            raise CheckFailed(
                f"masked_pool() combined out {_fmt(out.shape)} with the mask {_fmt(mask.shape)} "
                f"as they are:\n{quote_error(err)}\n"
                "  out has a hidden axis that the mask lacks; give the mask one of size 1, so it\n"
                "  broadcasts over the hidden numbers.\n"
                "  Fix:  m = mask[..., None]    then    out * m    or    out.masked_fill(~m, ...)"
            ) from None
        require_unchanged(f"masked_pool(out, mask, batch_first={batch_first})", kept,
                          out=given_out, mask=given_mask)
        _compare_pool(result, out_bf, mask_bf, lengths, short, batch_first, padding)


def _compare_pool(result, out_bf, mask_bf, lengths, short, batch_first, fill):
    __tracebackhide__ = True
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "masked_pool() should return two tensors, the mean and the max, but it returned "
        f"{'None' if result is None else 'a ' + type(result).__name__}.\n"
        "  Fix:  return mean, max_",
    )
    mean, max_ = result
    batch, seq, hidden = out_bf.shape
    step_axis = 1 if batch_first else 0
    m = mask_bf[..., None]
    want_mean = torch.stack([out_bf[b, :n].mean(0) for b, n in enumerate(lengths)])
    want_max = torch.stack([out_bf[b, :n].amax(0) for b, n in enumerate(lengths)])
    for name, got in (("mean", mean), ("max", max_)):
        got = require_tensor(got, name).detach().cpu()
        if tuple(got.shape) == (seq, hidden) and seq != batch:
            raise CheckFailed(
                f"the {name} is {_fmt(got.shape)} = (seq, hidden): it was taken over the batch axis.\n"
                f"  With {_layout(batch_first)} the steps are axis {step_axis} of out: pool over "
                "them, one row\n  per sequence.\n"
                f"  Fix:  dim = {step_axis}"
            )
        check_shape(got, "batch hidden", batch=batch, hidden=hidden, name=name)
    mean, max_ = mean.detach().cpu(), max_.detach().cpu()
    case = f"({_layout(batch_first)}, {'zero' if fill == 'zeros' else 'junk'} padding)"
    mean_fix = "  Fix:  m = mask[..., None];  mean = (out * m).sum(dim) / m.sum(dim)"
    max_fix = "  Fix:  out.masked_fill(~mask[..., None], float('-inf')).amax(dim)"
    if not close(mean, want_mean, ATOL):
        if close(mean, (out_bf * m).sum(1) / seq, ATOL):
            raise CheckFailed(
                f"the mean divides every sum by seq={seq}, but sequence {short} has {lengths[short]} "
                f"real steps\n  {case}. Divide by each sequence's own number of real steps.\n"
                + mean_fix
            )
        if close(mean, out_bf.mean(1), ATOL):
            raise CheckFailed(
                f"the mean is taken over every step, padding included\n  {case}.\n" + mean_fix
            )
        bad = [b for b in range(batch) if not close(mean[b], want_mean[b], ATOL)]
        raise CheckFailed(
            f"the mean of sequence {bad[0]} (length {lengths[bad[0]]}) is not the mean of its real "
            f"steps {case}:\n  off by up to {max_difference(mean[bad[0]], want_mean[bad[0]])}; "
            f"rows wrong: {bad}.\n" + mean_fix
        )
    if not close(max_, want_max, ATOL):
        zeroed = (out_bf * m).amax(1)
        if close(max_, zeroed, ATOL) or (fill == "zeros" and close(max_, out_bf.amax(1), ATOL)):
            raise CheckFailed(
                f"the max of sequence {short} is 0, but all its real values are negative: zeros at\n"
                f"  the padding won {case}. out * mask makes the padding 0\n"
                "  (so does unpacking), and 0 beats every negative number: fill it with -inf.\n"
                + max_fix
            )
        if close(max_, out_bf.amax(1), ATOL):
            raise CheckFailed(
                f"the max is taken over every step, padding included: the junk after a\n"
                f"  sequence's end won {case}.\n" + max_fix
            )
        bad = [b for b in range(batch) if not close(max_[b], want_max[b], ATOL)]
        raise CheckFailed(
            f"the max of sequence {bad[0]} (length {lengths[bad[0]]}) is not the max of its real "
            f"steps\n  {case}; rows wrong: {bad}.\n" + max_fix
        )
