"""The exact words a learner reads for each shape diagnosis. A change here is a change to the course:
update the message on purpose, then this file."""

import pytest
import torch

import course_utils as cu

Z = torch.zeros

CASES = {
    "seq and batch swapped": (
        Z(7, 4, 5), "batch seq hidden", dict(batch=4, seq=7, hidden=5), {},
        "out should be (batch=4, seq=7, hidden=5), but its shape is (7, 4, 5).\n"
        "  out.shape = (7, 4, 5)     read as (batch=7, seq=4, hidden=5)\n"
        "  seq and batch are swapped. nn.LSTM reads and returns (seq, batch, feature) unless it was built with batch_first=True.\n"
        "  Fix:  nn.LSTM(..., batch_first=True)    or    out = out.transpose(0, 1)",
    ),
    "token ids with seq and batch swapped": (
        Z(7, 4), "batch seq", dict(batch=4, seq=7), {},
        "out should be (batch=4, seq=7), but its shape is (7, 4).\n"
        "  out.shape = (7, 4)     read as (batch=7, seq=4)\n"
        "  seq and batch are swapped. pad_sequence returns (seq, batch) unless it is given batch_first=True.\n"
        "  Fix:  pad_sequence(..., batch_first=True)    or    out = out.transpose(0, 1)",
    ),
    "2 x hidden from a bidirectional LSTM": (
        Z(4, 40), "batch hidden", dict(batch=4, hidden=20), {},
        "out should be (batch=4, hidden=20), but its shape is (4, 40).\n"
        "  out.shape = (4, 40)     read as (batch=4, hidden=40)\n"
        "  40 = 2 x 20: likely from a bidirectional LSTM, whose output puts the forward and backward directions side by side.\n"
        "  Fix:  nn.Linear(2 * hidden_size, ...)    or    torch.cat([h_n[-2], h_n[-1]], dim=-1)",
    ),
    "one direction of a bidirectional LSTM": (
        Z(4, 20), "batch hidden", dict(batch=4, hidden=40), {},
        "out should be (batch=4, hidden=40), but its shape is (4, 20).\n"
        "  out.shape = (4, 20)     read as (batch=4, hidden=20)\n"
        "  40 = 2 x 20: a bidirectional LSTM gives 2 x hidden, and out holds one direction only.\n"
        "  Fix:  torch.cat([h_n[-2], h_n[-1]], dim=-1)    (forward and backward)",
    ),
    "missing feature axis of 1": (
        Z(4, 7), "batch seq feature", dict(batch=4, seq=7, feature=1), {},
        "out should be (batch=4, seq=7, feature=1), but its shape is (4, 7).\n"
        "  out.shape = (4, 7)\n"
        "  The feature axis is missing. An LSTM wants a feature axis even when each step holds one number (a univariate series has feature=1).\n"
        "  Fix:  out = out.unsqueeze(-1)",
    ),
    "missing batch axis": (
        Z(7, 3), "batch seq feature", dict(batch=1, seq=7, feature=3), {},
        "out should be (batch=1, seq=7, feature=3), but its shape is (7, 3).\n"
        "  out.shape = (7, 3)\n"
        "  The batch axis is missing: a single sequence still needs a batch of 1.\n"
        "  Fix:  out = out.unsqueeze(0)",
    ),
    "h_n read as batch-first": (
        Z(4, 2, 5), "layers batch hidden", dict(layers=2, batch=4, hidden=5), {},
        "out should be (layers=2, batch=4, hidden=5), but its shape is (4, 2, 5).\n"
        "  out.shape = (4, 2, 5)     read as (layers=4, batch=2, hidden=5)\n"
        "  layers and batch are swapped. h_n and c_n are always (layers x directions, batch, hidden): batch_first does not apply to them.\n"
        "  Fix:  use h_n as it comes: h_n[-1] is the last layer, (batch, hidden)",
    ),
    "h_n[:, -1] or out[-1] taken as the last step": (
        Z(2, 5), "batch hidden", dict(batch=4, hidden=5), {},
        "out should be (batch=4, hidden=5), but its shape is (2, 5).\n"
        "  out.shape = (2, 5)     read as (batch=2, hidden=5)\n"
        "  The batch axis has 2 rows instead of 4: one row per sequence is missing. On batch-first output, out[-1] is the last sequence, not the last step; and h_n is (layers x directions, batch, hidden) whatever batch_first says, so h_n[:, -1] picks the last sequence, not the last layer.\n"
        "  Fix:  out[:, -1]    (batch_first=True)    or    h_n[-1]    (the last layer)",
    ),
    "all of h_n where one layer belongs": (
        Z(2, 4, 5), "batch hidden", dict(batch=4, hidden=5), {},
        "out should be (batch=4, hidden=5), but its shape is (2, 4, 5).\n"
        "  out.shape = (2, 4, 5)\n"
        "  There is an extra first axis of size 2. If this is h_n, it has one row per layer (x direction): take the last layer.\n"
        "  Fix:  out = out[-1]",
    ),
    "LSTM read the wrong axis as batch": (
        Z(1, 26, 5), "layers batch hidden", dict(batch=4, hidden=5), {},
        "out should be (layers=?, batch=4, hidden=5), but its shape is (1, 26, 5).\n"
        "  out.shape = (1, 26, 5)     read as (layers=1, batch=26, hidden=5)\n"
        "  The LSTM saw 26 sequences, but the batch has 4: it read another axis of the input as the batch. nn.LSTM reads (seq, batch, feature) unless it was built with batch_first=True.\n"
        "  Fix:  nn.LSTM(..., batch_first=True)    or    lstm(x.transpose(0, 1))",
    ),
    "h_n of a bidirectional LSTM": (
        Z(4, 4, 5), "layers batch hidden", dict(layers=2, batch=4, hidden=5), {},
        "out should be (layers=2, batch=4, hidden=5), but its shape is (4, 4, 5).\n"
        "  out.shape = (4, 4, 5)     read as (layers=4, batch=4, hidden=5)\n"
        "  4 = 2 x 2: likely h_n of a bidirectional LSTM, which has one row per layer and direction.\n"
        "  Fix:  h_n.view(num_layers, 2, batch, hidden)",
    ),
    "wrong rank": (
        Z(4), "batch seq feature", dict(batch=4, seq=7, feature=3), {},
        "out should be (batch=4, seq=7, feature=3), but its shape is (4,).\n"
        "  out.shape = (4,)\n"
        "  out has 1 axis, but 3 were expected: (batch=4, seq=7, feature=3).\n"
        "  Fix:  build out with the axes (batch, seq, feature)",
    ),
    "axes in another order": (
        Z(3, 4, 7), "batch seq feature", dict(batch=4, seq=7, feature=3), {},
        "out should be (batch=4, seq=7, feature=3), but its shape is (3, 4, 7).\n"
        "  out.shape = (3, 4, 7)     read as (batch=3, seq=4, feature=7)\n"
        "  The sizes are right but the axes are in another order.\n"
        "  Fix:  out = out.permute(1, 2, 0)",
    ),
    "extra axis of 1": (
        Z(4, 1, 5), "batch hidden", dict(batch=4, hidden=5), {},
        "out should be (batch=4, hidden=5), but its shape is (4, 1, 5).\n"
        "  out.shape = (4, 1, 5)\n"
        "  There is an extra axis 1 of size 1.\n"
        "  Fix:  out = out.squeeze(1)",
    ),
    "a step dropped": (
        Z(4, 6, 3), "batch seq feature", dict(batch=4, seq=7, feature=3), {},
        "out should be (batch=4, seq=7, feature=3), but its shape is (4, 6, 3).\n"
        "  out.shape = (4, 6, 3)     read as (batch=4, seq=6, feature=3)\n"
        "  The sequences have 6 steps, but 7 were expected: a step was dropped or added.\n"
        "  Fix:  keep all 7 steps: look for a slice such as [:, :-1] or a window of the wrong length",
    ),
    "padding rows read as data": (
        torch.tensor([[1.0, 2], [0, 0], [3, 4], [0, 0]]), "batch hidden", dict(batch=4, hidden=2),
        dict(lengths=[5, 3, 5, 2]),
        "2 of 4 rows of out are all zeros, though their sequences have data.\n"
        "  The shape is right, (batch=4, hidden=2), but those rows are padding:\n"
        "  out[:, -1] takes step 4 for every sequence; sequence 1 has length 3.\n"
        "  Fix:  h_n[-1]    or    out[torch.arange(out.size(0)), lengths - 1]",
    ),
    "a list instead of a tensor": (
        [1, 2], "batch", dict(batch=2), {},
        "out is a Python list of 2 items, not a tensor.\n"
        "  Fix:  torch.tensor(out)   or, for a list of tensors,   torch.stack(out)",
    ),
    "None (no return)": (
        None, "batch", dict(batch=2), {},
        "out is None, not a tensor.\n"
        "  A function that ends without `return` gives None.\n"
        "  Fix:  end the function with `return out`",
    ),
    "the whole LSTM result": (
        (Z(1), (Z(1), Z(1))), "batch", {}, {},
        "out is a tuple (output, (h_n, c_n)), not a tensor.\n"
        "  nn.LSTM returns two things: the output at every step, and the final state.\n"
        "  Fix:  out, (h_n, c_n) = lstm(x)",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_diagnosis_wording(case):
    tensor, spec, sizes, extra, message = CASES[case]
    with pytest.raises(AssertionError) as info:
        cu.check_shape(tensor, spec, name="out", **sizes, **extra)
    assert str(info.value) == message
    assert len(message.splitlines()) <= 8, "a message fits in eight lines"
    assert "Fix:  " in message.splitlines()[-1], "the last line is the fix"


def test_padding_rows_raise_padding_error_not_shape_error():
    with pytest.raises(cu.PaddingError):
        cu.check_shape(torch.tensor([[1.0], [0.0]]), "batch hidden", lengths=[3, 2], name="last")
