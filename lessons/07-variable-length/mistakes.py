"""Notebook 07: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_07.py grades them through real nbgrader, test_checks_07.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "07-variable-length"

PACK = ("packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=lstm.batch_first, "
        "enforce_sorted=False)")

WRONG_ANSWERS = [
    # length_mask
    WrongAnswer("length_mask", "return mask if batch_first else mask.T", "return mask", "test_length_mask",
                "mask built on the wrong axis: (batch, seq) for a seq-first tensor"),
    WrongAnswer("length_mask", "steps[None, :] < lengths[:, None]", "steps[None, :] <= lengths[:, None]",
                "test_length_mask", "<= instead of <: one step too many"),
    WrongAnswer("length_mask", "torch.arange(seq, device=lengths.device)",
                "torch.arange(int(lengths.max()), device=lengths.device)", "test_length_mask",
                "as long as the longest sequence instead of seq"),
    WrongAnswer("length_mask", "torch.arange(seq, device=lengths.device)", "torch.arange(seq)",
                "test_length_mask", "mask made on the CPU whatever device lengths is on"),
    # pack_by_hand
    WrongAnswer("pack_by_hand", "return torch.cat(rows), batch_sizes", "return torch.cat(rows), lengths[order]",
                "test_pack_by_hand", "batch_sizes computed per sequence (its length) instead of per step"),
    WrongAnswer("pack_by_hand", "order = torch.sort(lengths, descending=True).indices",
                "order = torch.arange(len(lengths))", "test_pack_by_hand",
                "not sorted: the batch order at every step"),
    WrongAnswer("pack_by_hand", "for t in range(int(lengths.max()))", "for t in range(x.size(0))",
                "test_pack_by_hand", "batch_sizes for every padded step, trailing zeros"),
    WrongAnswer("pack_by_hand", "(lengths > t)", "(lengths >= t)", "test_pack_by_hand",
                "batch_sizes off by one step (>=)"),
    WrongAnswer("pack_by_hand", "x = padded.transpose(0, 1) if batch_first else padded", "x = padded",
                "test_pack_by_hand", "batch_first ignored"),
    # last_valid
    WrongAnswer("last_valid", "last = x[rows, lengths.to(x.device) - 1]", "last = x[:, -1]", "test_last_valid",
                "out[:, -1] after unpacking: padding (zeros) for every shorter sequence"),
    WrongAnswer("last_valid", "return torch.cat([last[:, :hidden], x[:, 0, hidden:]], dim=-1)", "return last",
                "test_last_valid", "bidirectional: the backward half taken at lengths - 1"),
    WrongAnswer("last_valid", "x[:, 0, hidden:]", "x[:, -1, hidden:]", "test_last_valid",
                "bidirectional: the backward half at the last padded step"),
    WrongAnswer("last_valid", "lengths.to(x.device) - 1]", "lengths.to(x.device)]", "test_last_valid",
                "indexed at lengths, one past the last valid step"),
    WrongAnswer("last_valid", "    last = x[rows, lengths.to(x.device) - 1]",
                "    lengths -= 1\n    last = x[rows, lengths.to(x.device)]", "test_last_valid",
                "lengths -= 1: the caller's lengths changed in place"),
    # encode_packed
    WrongAnswer("encode_packed", "enforce_sorted=False)", "enforce_sorted=True)", "test_encode_packed",
                "unsorted lengths with enforce_sorted=True"),
    WrongAnswer("encode_packed", "lengths.cpu()", "lengths", "test_encode_packed",
                "lengths left on the GPU (the check's stand-in, or real CUDA lengths)"),
    WrongAnswer("encode_packed", PACK,
                "lengths, order = torch.sort(lengths.cpu(), descending=True)\n"
                "    padded = padded.index_select(0 if lstm.batch_first else 1, order.to(padded.device))\n"
                "    packed = pack_padded_sequence(padded, lengths, batch_first=lstm.batch_first)",
                "test_encode_packed", "sorted by hand and never unsorted: results in sorted order"),
    WrongAnswer("encode_packed", ", total_length=seq)", ")", "test_encode_packed",
                "total_length forgotten: out shorter than padded"),
    WrongAnswer("encode_packed", "pad_packed_sequence(packed_out, batch_first=lstm.batch_first, total_length=seq)",
                "pad_packed_sequence(packed_out, total_length=seq)", "test_encode_packed",
                "batch_first forgotten when unpacking"),
    WrongAnswer("encode_packed",
                "packed_out, (h_n, c_n) = lstm(packed)\n"
                "    out, _ = pad_packed_sequence(packed_out, batch_first=lstm.batch_first, total_length=seq)",
                "out, (h_n, c_n) = lstm(padded)", "test_encode_packed",
                "not packed at all: h_n reads the padding"),
    # masked_pool
    WrongAnswer("masked_pool", "/ m.sum(dim)", "/ out.size(dim)", "test_masked_pool",
                "mean divided by the padded length instead of each sequence's length"),
    WrongAnswer("masked_pool", 'max_ = out.masked_fill(~m, float("-inf")).amax(dim)', "max_ = (out * m).amax(dim)",
                "test_masked_pool", "max over padding zeros (all-negative sequences get 0)"),
    WrongAnswer("masked_pool", 'max_ = out.masked_fill(~m, float("-inf")).amax(dim)', "max_ = out.amax(dim)",
                "test_masked_pool", "max over every step, padding included"),
    WrongAnswer("masked_pool", "dim = 1 if batch_first else 0", "dim = 1", "test_masked_pool",
                "pooled over axis 1 whatever the layout"),
    WrongAnswer("masked_pool", 'out.masked_fill(~m, float("-inf"))', 'out.masked_fill_(~m, float("-inf"))',
                "test_masked_pool", "masked_fill_: -inf written into the caller's out"),
]

POINTS = {"test_length_mask": 2, "test_pack_by_hand": 3, "test_last_valid": 2, "test_encode_packed": 3,
          "test_masked_pool": 2}
