"""Notebook 07 checks: right answers pass, each realistic wrong answer fails with its own message.

Every wrong answer here is called through the VISIBLE check (default arguments), the only one a
self-paced learner sees; the grading test (test_grading_07.py) makes the same mistakes as text
edits of the solution.
"""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_utils.checks import nb07
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import solution

# --- right answers: the instructor's own, the solution notebook's answer cells ------------------------

_s = solution("07")
length_mask = _s["length_mask"]
pack_by_hand = _s["pack_by_hand"]
last_valid = _s["last_valid"]
encode_packed = _s["encode_packed"]
masked_pool = _s["masked_pool"]


def _fails(check, fn, *words, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert "Fix:" in msg, msg
    for line in msg.splitlines():
        assert len(line) <= 88, f"message line of {len(line)} characters: {line!r}"
    return msg


# --- length_mask ------------------------------------------------------------------------------------


def test_length_mask_right(capsys):
    nb07.check_length_mask(length_mask)
    nb07.check_length_mask(length_mask, lengths=(2, 5, 5, 1, 4), seqs=(5, 6))
    nb07.check_length_mask(length_mask, lengths=(1,), seqs=(1, 3))
    assert capsys.readouterr().out.count("PASSED length_mask") == 3


def test_length_mask_other_right_ways():
    nb07.check_length_mask(lambda lengths, seq, bf: (lengths[:, None] > torch.arange(seq, device=lengths.device))
                           if bf else (torch.arange(seq, device=lengths.device)[:, None] < lengths[None, :]))

    def loop(lengths, seq, batch_first=False):   # reads values: the meta-device test cannot judge it
        mask = torch.zeros(len(lengths), seq, dtype=torch.bool, device=lengths.device)
        for b in range(len(lengths)):
            mask[b, :int(lengths[b])] = True
        return mask if batch_first else mask.T
    nb07.check_length_mask(loop)


def _mask_wrong_axis(lengths, seq, batch_first=False):
    return torch.arange(seq, device=lengths.device)[None, :] < lengths[:, None]


def _mask_le(lengths, seq, batch_first=False):
    mask = torch.arange(seq, device=lengths.device)[None, :] <= lengths[:, None]
    return mask if batch_first else mask.T


def _mask_longest(lengths, seq, batch_first=False):
    mask = torch.arange(int(lengths.max()), device=lengths.device)[None, :] < lengths[:, None]
    return mask if batch_first else mask.T


def _mask_cpu(lengths, seq, batch_first=False):
    mask = torch.arange(seq)[None, :] < lengths[:, None]
    return mask if batch_first else mask.T


def _mask_inverted(lengths, seq, batch_first=False):
    mask = torch.arange(seq, device=lengths.device)[None, :] >= lengths[:, None]
    return mask if batch_first else mask.T


def _mask_float(lengths, seq, batch_first=False):
    mask = (torch.arange(seq, device=lengths.device)[None, :] < lengths[:, None]).float()
    return mask if batch_first else mask.T


def _mask_seq_first_always(lengths, seq, batch_first=False):
    return torch.arange(seq, device=lengths.device)[:, None] < lengths[None, :]


@pytest.mark.parametrize("fn, words", [
    (_mask_wrong_axis, ["length_mask(lengths, 7, batch_first=False) is (4, 7) = (batch, seq): the other layout",
                        "mask[t, b] is True while t < lengths[b]",
                        "Fix:  torch.arange(seq, device=lengths.device)[:, None] < lengths[None, :]"]),
    (_mask_seq_first_always, ["length_mask(lengths, 7, batch_first=True) is (7, 4) = (seq, batch)",
                              "[None, :] < lengths[:, None]"]),
    (_mask_le, ["is True at step t = lengths[b] too", "one step too many per sequence", "not <="]),
    (_mask_longest, ["has 7 steps, the longest length, not seq=9", "all seq=9 steps"]),
    (_mask_cpu, ["makes part of its mask on the CPU", "'meta' device (a stand-in for a GPU)",
                 "Fix:  torch.arange(seq, device=lengths.device)"]),
    (_mask_inverted, ["is True at the padding, False at real steps"]),
    (_mask_float, ["has the right pattern but dtype float32", "~1 is -2"]),
])
def test_length_mask_wrong(fn, words):
    _fails(nb07.check_length_mask, fn, *words)


def test_length_mask_not_done():
    def blank(lengths, seq, batch_first=False):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="length_mask"):
        nb07.check_length_mask(blank)


def test_length_mask_fix_lines_work():
    """The fixes the messages offer, applied to the wrong answers, pass."""
    def fixed_axis(lengths, seq, batch_first=False):
        mask = _mask_wrong_axis(lengths, seq, batch_first)
        return mask if batch_first else mask.T
    nb07.check_length_mask(fixed_axis)
    nb07.check_length_mask(length_mask)   # the <, device= and bool fixes are the right answer itself


# --- pack_by_hand ------------------------------------------------------------------------------------


def test_pack_by_hand_right(capsys):
    nb07.check_pack_by_hand(pack_by_hand)
    nb07.check_pack_by_hand(pack_by_hand, feature=2, seed=5, configs=(
        dict(lengths=(2, 2, 2), seq=2), dict(lengths=(5,), seq=6), dict(lengths=(1, 6, 3, 3, 6), seq=6)))
    assert capsys.readouterr().out.count("PASSED pack_by_hand") == 2


def test_pack_by_hand_ties_in_another_order_pass():
    """Equal lengths may come in any order: the packing is as valid as PyTorch's."""
    def ties_reversed(padded, lengths, batch_first=False):
        x = padded.transpose(0, 1) if batch_first else padded
        order = torch.argsort(lengths, stable=True).flip(0)      # ties: last one first
        batch_sizes = torch.tensor([int((lengths > t).sum()) for t in range(int(lengths.max()))])
        return torch.cat([x[t, order[:n]] for t, n in enumerate(batch_sizes.tolist())]), batch_sizes
    nb07.check_pack_by_hand(ties_reversed)


def _pack_variant(*, sizes="right", order="sorted", rows="steps", layout=True):
    def fn(padded, lengths, batch_first=False):
        x = padded.transpose(0, 1) if (batch_first and layout) else padded
        idx = torch.sort(lengths, descending=True).indices if order == "sorted" else torch.arange(len(lengths))
        longest = int(lengths.max())
        bs = torch.tensor([int((lengths > t).sum()) for t in range(longest)])
        if rows == "steps":
            data = torch.cat([x[t, idx[:n]] for t, n in enumerate(bs.tolist())])
        elif rows == "running":          # the sequences still running, in batch order
            data = torch.cat([x[t, lengths > t] for t in range(longest)])
        elif rows == "padding":
            data = torch.cat([x[t, idx] for t in range(x.size(0))])
        elif rows == "sequences":
            data = torch.cat([x[:int(lengths[b]), b] for b in idx])
        if sizes == "per_sequence":
            bs = lengths[idx]
        elif sizes == "all_steps":
            bs = torch.tensor([int((lengths > t).sum()) for t in range(x.size(0))])
        elif sizes == "ge":
            bs = torch.tensor([int((lengths >= t).sum()) for t in range(longest)])
        elif sizes == "list":
            bs = bs.tolist()
        elif sizes == "float":
            bs = bs.float()
        elif sizes == "int32":           # torch.tensor(..., dtype=torch.int32): the table says int64
            bs = bs.int()
        return data, bs
    return fn


@pytest.mark.parametrize("kwargs, words", [
    ({"sizes": "per_sequence"}, ["batch_sizes is [7, 5, 3, 1]: one number per sequence, its length",
                                 "one number per STEP", "[4, 3, 3, 2, 2, 1, 1] for lengths [3, 7, 1, 5]"]),
    ({"sizes": "all_steps"}, ["batch_sizes is [6, 5, 4, 4, 3, 3, 1, 1, 0]:", "it ends with 1 zero(s)",
                              "(length 8; seq=9)"]),
    ({"sizes": "ge"}, ["batch_sizes is [4, 4, 3, 3, 2, 2, 1], one step off",
                       "counts the lengths > t"]),
    ({"sizes": "list"}, ["batch_sizes is a Python list", "Fix:  torch.tensor(batch_sizes)"]),
    ({"sizes": "float"}, ["holds the right counts, but as float32", "Fix:  batch_sizes.long()"]),
    ({"sizes": "int32"}, ["holds the right counts, but as int32", "Fix:  batch_sizes.long()"]),
    ({"order": "batch"}, ["step 0 of data takes the sequences in the order [0, 1, 2, 3], lengths [3, 7, 1, 5]",
                          "the batch order", "order = torch.sort(lengths, descending=True).indices"]),
    ({"rows": "running"}, ["the batch order", "longest first"]),
    ({"rows": "padding"}, ["data has 28 rows = batch 4 x seq 7: every step, padding included",
                           "sum(lengths) = 16 rows"]),
    ({"rows": "sequences"}, ["data holds one whole sequence after another", "PyTorch packs step by step"]),
    ({"layout": False}, ["indexed past the end of padded, (4, 7, 3) = (batch, seq, feature)", "the steps are axis 1",
                         "Fix:  x = padded.transpose(0, 1) if batch_first else padded"]),
])
def test_pack_by_hand_wrong(kwargs, words):
    _fails(nb07.check_pack_by_hand, _pack_variant(**kwargs), *words)


def test_pack_by_hand_returns_one_thing():
    _fails(nb07.check_pack_by_hand, lambda p, lengths, bf=False: pack_by_hand(p, lengths, bf)[0],
           "should return two things, data and batch_sizes")


def test_pack_by_hand_fix_lines_work():
    nb07.check_pack_by_hand(_pack_variant())          # the Fix lines assemble into the right answer

    def sizes_fixed(padded, lengths, batch_first=False):
        data, _ = _pack_variant(sizes="per_sequence")(padded, lengths, batch_first)
        return data, torch.tensor([int((lengths > t).sum()) for t in range(int(lengths.max()))])
    nb07.check_pack_by_hand(sizes_fixed)

    def long_fixed(padded, lengths, batch_first=False):
        data, bs = _pack_variant(sizes="float")(padded, lengths, batch_first)
        return data, bs.long()
    nb07.check_pack_by_hand(long_fixed)


def test_pack_by_hand_not_done():
    def blank(padded, lengths, batch_first=False):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="pack_by_hand"):
        nb07.check_pack_by_hand(blank)


# --- last_valid --------------------------------------------------------------------------------------


def test_last_valid_right(capsys):
    nb07.check_last_valid(last_valid)
    nb07.check_last_valid(last_valid, feature=2, seed=3, configs=(dict(lengths=(1, 1, 2), seq=2, hidden=3),))
    nb07.check_last_valid(last_valid, feature=4, seed=4, configs=(
        dict(lengths=(6, 2, 9, 4, 1, 9), seq=11, hidden=2), dict(lengths=(5,), seq=5, hidden=6)))
    assert capsys.readouterr().out.count("PASSED last_valid") == 3


def test_last_valid_gather_passes():
    def gathered(out, lengths, batch_first=False, bidirectional=False):
        x = out if batch_first else out.transpose(0, 1)
        idx = (lengths - 1).to(x.device).view(-1, 1, 1).expand(-1, 1, x.size(-1))
        last = x.gather(1, idx).squeeze(1)
        if bidirectional:
            h = x.size(-1) // 2
            last = torch.cat([last[:, :h], x[:, 0, h:]], dim=-1)
        return last
    nb07.check_last_valid(gathered)


def _last_variant(kind):
    def fn(out, lengths, batch_first=False, bidirectional=False):
        x = out if batch_first else out.transpose(0, 1)
        rows = torch.arange(x.size(0))
        h = x.size(-1) // 2
        if kind == "padded_end":
            return out[:, -1] if batch_first else out[-1]
        if kind == "no_minus_one":
            return x[rows, lengths]
        if kind == "first":
            return x[:, 0]
        if kind == "always_batch_first":
            last = out[torch.arange(out.size(0)), lengths - 1]
            return torch.cat([last[:, :h], out[:, 0, h:]], -1) if bidirectional else last
        last = x[rows, lengths - 1]
        if not bidirectional:
            return last
        if kind == "backward_at_last":
            return last
        if kind == "forward_only":
            return last[:, :h]
        if kind == "swapped":
            return torch.cat([x[:, 0, h:], last[:, :h]], dim=-1)
        if kind == "both_at_zero":
            return x[:, 0]
        if kind == "backward_at_padded_end":
            return torch.cat([last[:, :h], x[:, -1, h:]], dim=-1)
        raise AssertionError(kind)
    return fn


@pytest.mark.parametrize("kind, words", [
    ("padded_end", ["took the last padded step for every", "3 of 4 rows are all zeros",
                    "out[-1] is step 6", "sequence 2 has length 1",
                    "Fix:  out[lengths - 1, torch.arange(out.size(1))]"]),
    ("no_minus_one", ["indexed out (7, 4, 5) (batch_first=False) wrongly", "of length n is n - 1"]),
    ("first", ["took step 0 of every sequence", "its first step"]),
    ("always_batch_first", ["indexed out (7, 4, 5) (batch_first=False) wrongly", "shape mismatch",
                            "the steps are axis 0 of out here"]),
    ("backward_at_last", ["the backward half was taken at lengths - 1", "it has read one step",
                          "where out equals h_n[-1]"]),
    ("forward_only", ["is (4, 5): one direction only", "(batch, 2 x hidden)"]),
    ("swapped", ["has the halves swapped: backward first"]),
    ("both_at_zero", ["took step 0 for both halves", "only the backward direction ends there"]),
    ("backward_at_padded_end", ["the forward half is right, the backward",
                                "Fix:  torch.cat([forward_last, out[0, :, hidden:]], dim=-1)"]),
])
def test_last_valid_wrong(kind, words):
    _fails(nb07.check_last_valid, _last_variant(kind), *words)


def test_last_valid_not_done():
    def blank(out, lengths, batch_first=False, bidirectional=False):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="last_valid"):
        nb07.check_last_valid(blank)


# --- encode_packed -----------------------------------------------------------------------------------


def test_encode_packed_right(capsys):
    nb07.check_encode_packed(encode_packed)
    nb07.check_encode_packed(encode_packed, feature=2, seed=9, configs=(
        dict(lengths=(2, 5, 1), seq=6, num_layers=3, bidirectional=True, batch_first=False, hidden=2,
             padding="garbage"),
        dict(lengths=(4,), seq=4, num_layers=1, bidirectional=False, batch_first=True, hidden=3,
             padding="zeros")))
    assert capsys.readouterr().out.count("PASSED encode_packed") == 2


def test_encode_packed_other_right_ways():
    def as_list(lstm, padded, lengths):
        packed = pack_padded_sequence(padded, lengths.tolist(), batch_first=lstm.batch_first,
                                      enforce_sorted=False)
        packed_out, state = lstm(packed)
        seq = padded.size(1 if lstm.batch_first else 0)
        return pad_packed_sequence(packed_out, batch_first=lstm.batch_first, total_length=seq)[0], state
    nb07.check_encode_packed(as_list)

    def sorted_then_unsorted(lstm, padded, lengths):   # the pre-1.1 way, done right
        axis = 0 if lstm.batch_first else 1
        lengths, order = torch.sort(lengths.cpu(), descending=True)
        packed = pack_padded_sequence(padded.index_select(axis, order), lengths, batch_first=lstm.batch_first)
        packed_out, (h_n, c_n) = lstm(packed)
        seq = padded.size(1 - axis)
        out, _ = pad_packed_sequence(packed_out, batch_first=lstm.batch_first, total_length=seq)
        back = torch.argsort(order)
        return out.index_select(axis, back), (h_n[:, back], c_n[:, back])
    nb07.check_encode_packed(sorted_then_unsorted)


def _encode_variant(kind):
    def fn(lstm, padded, lengths):
        bf = lstm.batch_first
        seq = padded.size(1 if bf else 0)
        lens = lengths if kind == "gpu_lengths" else lengths.cpu()
        if kind == "not_packed":
            out, (h_n, c_n) = lstm(padded)
            return out, (h_n, c_n)
        if kind == "sorted_order":
            lens, order = torch.sort(lens, descending=True)
            padded = padded.index_select(0 if bf else 1, order)
            packed = pack_padded_sequence(padded, lens, batch_first=bf)
        elif kind == "enforce_sorted":
            packed = pack_padded_sequence(padded, lens, batch_first=bf, enforce_sorted=True)
        elif kind == "pack_layout":
            packed = pack_padded_sequence(padded, lens, enforce_sorted=False)
        else:
            packed = pack_padded_sequence(padded, lens, batch_first=bf, enforce_sorted=False)
        packed_out, (h_n, c_n) = lstm(packed)
        if kind == "packed_out":
            return packed_out, (h_n, c_n)
        if kind == "no_total_length":
            out, _ = pad_packed_sequence(packed_out, batch_first=bf)
        elif kind == "unpack_layout":
            out, _ = pad_packed_sequence(packed_out, total_length=seq)
        else:
            out, _ = pad_packed_sequence(packed_out, batch_first=bf, total_length=seq)
        if kind == "states_swapped":
            return out, (c_n, h_n)
        return out, (h_n, c_n)
    return fn


@pytest.mark.parametrize("kind, words", [
    ("gpu_lengths", ["gave pack_padded_sequence lengths on the GPU",
                     "'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long tensor",
                     "pack_padded_sequence(padded, lengths.cpu(),"]),
    ("enforce_sorted", ["packed with enforce_sorted=True (the default), but the lengths", "[3, 7, 1, 5] are not sorted",
                        "must be sorted in decreasing order", "enforce_sorted=False)"]),
    ("sorted_order", ["returns the sequences sorted by length, [1, 3, 0, 2]",
                      "unsorted_indices"]),
    ("not_packed", ["ran the padded batch without packing it: h_n has read the padding",
                    "Sequence 2 (length 1)", "(6 padding"]),
    ("no_total_length", ["out has 8 steps, the longest length, but padded has seq=9", "total_length="]),
    ("unpack_layout", ["laid out as batch_first=False, but the LSTM has batch_first=True",
                       "batch_first=lstm.batch_first"]),
    ("pack_layout", ["in the wrong layout", "This LSTM has batch_first=True"]),
    ("packed_out", ["returned out as a PackedSequence", "pad_packed_sequence(packed_out"]),
    ("states_swapped", ["returned (c_n, h_n): the states swapped"]),
])
def test_encode_packed_wrong(kind, words):
    _fails(nb07.check_encode_packed, _encode_variant(kind), *words)


def test_encode_packed_fix_lines_work():
    """The Fix lines of the messages for lengths on the GPU and enforce_sorted, applied, pass."""
    def fixed(lstm, padded, lengths):
        seq = padded.size(1 if lstm.batch_first else 0)
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=lstm.batch_first, enforce_sorted=False)
        packed_out, (h_n, c_n) = lstm(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=lstm.batch_first,
                                     total_length=padded.size(1 if lstm.batch_first else 0))
        assert out.size(1 if lstm.batch_first else 0) == seq
        return out, (h_n, c_n)
    nb07.check_encode_packed(fixed)


def test_lengths_stand_in_acts_like_cuda_lengths():
    lengths = nb07.on_gpu(torch.tensor([3, 1, 2]))
    x = torch.zeros(3, 3, 2)
    with pytest.raises(RuntimeError, match="but got 1D cuda:0 Long tensor"):
        pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    with pytest.raises(RuntimeError, match="but got 1D cuda:0 Long tensor"):
        pack_padded_sequence(x, (lengths - 1 + 1).long(), batch_first=True, enforce_sorted=False)
    for moved in (lengths.cpu(), lengths.to("cpu"), lengths.to(torch.device("cpu")), lengths.tolist(),
                  lengths.detach().cpu().long(), lengths.to(device="cpu")):
        pack_padded_sequence(x, moved, batch_first=True, enforce_sorted=False)
    assert lengths.max().item() == 3 and int(lengths[0]) == 3
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        lengths.numpy()


def test_encode_packed_not_done():
    def blank(lstm, padded, lengths):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="encode_packed"):
        nb07.check_encode_packed(blank)


# --- masked_pool -------------------------------------------------------------------------------------


def test_masked_pool_right(capsys):
    nb07.check_masked_pool(masked_pool)
    nb07.check_masked_pool(masked_pool, seed=8, configs=(
        dict(lengths=(2, 1, 2), seq=3, hidden=2, padding="garbage"),
        dict(lengths=(5,), seq=6, hidden=3, padding="zeros")))
    assert capsys.readouterr().out.count("PASSED masked_pool") == 2


def test_masked_pool_other_right_ways():
    def big_negative(out, mask, batch_first=False):
        dim = 1 if batch_first else 0
        m = mask.unsqueeze(-1).float()
        return (out * m).sum(dim) / m.sum(dim), (out * m + (1 - m) * -1e9).max(dim).values
    nb07.check_masked_pool(big_negative)


def _pool_variant(kind):
    def fn(out, mask, batch_first=False):
        dim = 1 if batch_first else 0
        if kind == "wrong_dim":
            dim = 1
        m = mask if kind == "no_hidden_axis" else mask[..., None]
        mean = (out * m).sum(dim) / m.sum(dim)
        max_ = out.masked_fill(~m, float("-inf")).amax(dim)
        if kind == "mean_over_seq":
            mean = (out * m).sum(dim) / out.size(dim)
        elif kind == "plain_mean":
            mean = out.mean(dim)
        elif kind == "max_of_zeros":
            max_ = (out * m).amax(dim)
        elif kind == "plain_max":
            max_ = out.amax(dim)
        return mean, max_
    return fn


@pytest.mark.parametrize("kind, words", [
    ("mean_over_seq", ["the mean divides every sum by seq=9, but sequence 4 has 2 real steps",
                       "mean = (out * m).sum(dim) / m.sum(dim)"]),
    ("plain_mean", ["the mean is taken over every step, padding included"]),
    ("max_of_zeros", ["the max of sequence 4 is 0, but all its real values are negative",
                      "out * mask makes the padding 0", "masked_fill(~mask[..., None], float('-inf'))"]),
    ("plain_max", ["the max is taken over every step, padding included", "sequence's end won"]),
    ("wrong_dim", ["the mean is (9, 4) = (seq, hidden): it was taken over the batch axis",
                   "Fix:  dim = 0"]),
    ("no_hidden_axis", ["combined out (9, 6, 4) with the mask (9, 6)", "mask[..., None]"]),
])
def test_masked_pool_wrong(kind, words):
    _fails(nb07.check_masked_pool, _pool_variant(kind), *words)


def test_masked_pool_zero_padding_is_caught_too():
    """With zeros after each sequence (what unpacking gives), unmasked pooling is caught as well."""
    zeros_only = (dict(lengths=nb07.LENGTHS_A, seq=7, hidden=5, padding="zeros"),)
    _fails(nb07.check_masked_pool, _pool_variant("plain_mean"), "the mean divides every sum by seq=7",
           "sequence 0 has 3 real steps", configs=zeros_only)
    _fails(nb07.check_masked_pool, _pool_variant("plain_max"), "the max of sequence 0 is 0",
           configs=zeros_only)


def test_masked_pool_not_done():
    def blank(out, mask, batch_first=False):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="masked_pool"):
        nb07.check_masked_pool(blank)


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.lessons import mistakes  # noqa: E402

graded = mistakes("07")
from course_utils.grading.visible import visible_failure  # noqa: E402


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too,
    with a message of its own (a CheckFailed or ShapeError that ends in a Fix line)."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"
    for message in failures.values():
        assert message.split(":")[0] in ("CheckFailed", "ShapeError"), message
        assert "\n  Fix:  " in message, message


def test_each_graded_wrong_answer_has_its_own_message():
    messages = [next(iter(visible_failure(graded.A, w).values())) for w in graded.WRONG_ANSWERS]
    firsts = [m.splitlines()[0] for m in messages]
    assert len(set(firsts)) == len(firsts), "\n".join(firsts)


# --- inputs come back unchanged (issue 17, item 8) ------------------------------------------------

IN_PLACE = "Methods ending in _ (transpose_, masked_fill_, sub_), -= and x[...] = write into it."


def _in_place(check, fn, first_lines, fix):
    with pytest.raises(AssertionError) as info:
        check(fn)
    message = str(info.value)
    assert message.startswith(first_lines), message
    assert IN_PLACE in message
    assert message.endswith("  Fix:  " + fix), message
    assert all(len(line) <= 88 for line in message.splitlines()), message


def test_length_mask_unsqueezes_lengths_in_place():
    def wrong(lengths, seq, batch_first=False):
        mask = torch.arange(seq, device=lengths.device)[None, :] < lengths.unsqueeze_(1)
        return mask if batch_first else mask.T

    _in_place(nb07.check_length_mask, wrong,
              "length_mask(lengths, 7, batch_first=False) changed lengths in place:\n"
              "  lengths was (4,), now (4, 1).",
              "x = lengths.clone()    then reshape x; or the method without the trailing _")


def test_pack_by_hand_transposes_padded_in_place():
    def wrong(padded, lengths, batch_first=False):
        return pack_by_hand(padded.transpose_(0, 1), lengths, False) if batch_first else \
            pack_by_hand(padded, lengths, False)

    _in_place(nb07.check_pack_by_hand, wrong,
              "pack_by_hand(padded, lengths, batch_first=True) changed padded in place:\n"
              "  padded was (4, 7, 3), now (7, 4, 3): transpose_ (or t_) swapped its axes.",
              "x = padded.transpose(0, 1)    a new view; padded keeps its layout")


def test_last_valid_subtracts_from_lengths_in_place():
    def wrong(out, lengths, batch_first=False, bidirectional=False):
        lengths -= 1
        return last_valid(out, lengths + 1, batch_first, bidirectional)

    _in_place(nb07.check_last_valid, wrong,
              "last_valid(out, lengths, False, False) changed lengths in place:\n"
              "  every value is 1 lower (-= 1, or sub_).",
              "last = lengths - 1    a new tensor; lengths stays as it was")


def test_last_valid_transposes_out_in_place():
    def wrong(out, lengths, batch_first=False, bidirectional=False):
        return last_valid(out if batch_first else out.transpose_(0, 1), lengths, True, bidirectional)

    _in_place(nb07.check_last_valid, wrong,
              "last_valid(out, lengths, False, False) changed out in place:\n"
              "  out was (7, 4, 5), now (4, 7, 5): transpose_ (or t_) swapped its axes.",
              "x = out.transpose(0, 1)    a new view; out keeps its layout")


def test_encode_packed_zeroes_the_padding_in_place():
    def wrong(lstm, padded, lengths):
        for b, n in enumerate(lengths.tolist()):      # "clean" the padding first, in the caller's batch
            (padded[b, n:] if lstm.batch_first else padded[n:, b]).zero_()
        return encode_packed(lstm, padded, lengths)

    _in_place(nb07.check_encode_packed, wrong,
              "encode_packed(lstm, padded, lengths) changed padded in place:\n"
              "  81 of its 162 values were set to 0 (zero_, fill_, or x[...] = 0).",
              "x = padded.clone()    then change x; padded stays as it was")


def test_masked_pool_fills_out_in_place():
    def wrong(out, mask, batch_first=False):
        dim = 1 if batch_first else 0
        m = mask[..., None]
        mean = (out * m).sum(dim) / m.sum(dim)
        return mean, out.masked_fill_(~m, float("-inf")).amax(dim)

    _in_place(nb07.check_masked_pool, wrong,
              "masked_pool(out, mask, batch_first=False) changed out in place:\n"
              "  -inf was written into it (masked_fill_, or an assignment).",
              "filled = out.masked_fill(~m, float('-inf'))    a new tensor")


def test_masked_pool_flips_the_mask_in_place():
    def wrong(out, mask, batch_first=False):
        result = masked_pool(out, mask, batch_first)
        mask.logical_not_()                           # ~mask for masked_fill, on the caller's mask
        return result

    _in_place(nb07.check_masked_pool, wrong,
              "masked_pool(out, mask, batch_first=False) changed mask in place:\n"
              "  54 of its 54 values changed.",
              "x = mask.clone()    then change x; or use operations that return a new tensor")


def test_encode_packed_visible_check_tries_every_combination():
    """One and two directions, one to three layers, both layouts: an answer right only for one
    layer, one direction or one layout fails the visible call."""
    configs = nb07.ENCODE_CONFIGS
    assert {(c["bidirectional"], c["batch_first"]) for c in configs} == {
        (False, False), (False, True), (True, False), (True, True)}
    assert max(c["num_layers"] for c in configs) >= 3 and min(c["num_layers"] for c in configs) == 1

    def one_layer_only(lstm, padded, lengths):
        out, (h_n, c_n) = encode_packed(lstm, padded, lengths)
        directions = 2 if lstm.bidirectional else 1
        return out, (h_n[-directions:], c_n[-directions:])     # the top layer only

    with pytest.raises(AssertionError, match="layers=3"):
        nb07.check_encode_packed(one_layer_only, configs=configs[2:3])
