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
        "  seq and batch are swapped. nn.LSTM reads and returns (seq, batch, feature) unless it\n"
        "  was built with batch_first=True.\n"
        "  Fix:  nn.LSTM(..., batch_first=True)    or    out = out.transpose(0, 1)"
    ),
    "token ids with seq and batch swapped": (
        Z(7, 4), "batch seq", dict(batch=4, seq=7), {},
        "out should be (batch=4, seq=7), but its shape is (7, 4).\n"
        "  out.shape = (7, 4)     read as (batch=7, seq=4)\n"
        "  seq and batch are swapped. pad_sequence returns (seq, batch) unless it is given\n"
        "  batch_first=True.\n"
        "  Fix:  pad_sequence(..., batch_first=True)    or    out = out.transpose(0, 1)"
    ),
    "2 x hidden from a bidirectional LSTM": (
        Z(4, 40), "batch hidden", dict(batch=4, hidden=20), {},
        "out should be (batch=4, hidden=20), but its shape is (4, 40).\n"
        "  out.shape = (4, 40)     read as (batch=4, hidden=40)\n"
        "  40 = 2 x 20: likely from a bidirectional LSTM, whose output puts the forward and\n"
        "  backward directions side by side.\n"
        "  Fix:  nn.Linear(2 * hidden_size, ...)    or    torch.cat([h_n[-2], h_n[-1]], dim=-1)"
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
        "  The feature axis is missing. An LSTM wants a feature axis even when each step holds\n"
        "  one number (a univariate series has feature=1).\n"
        "  Fix:  out = out.unsqueeze(-1)"
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
        "  layers and batch are swapped. h_n and c_n are always (layers x directions, batch,\n"
        "  hidden): batch_first does not apply to them.\n"
        "  Fix:  use h_n as it comes: h_n[-1] is the last layer, (batch, hidden)"
    ),
    "h_n[:, -1] or out[-1] taken as the last step": (
        Z(2, 5), "batch hidden", dict(batch=4, hidden=5), {},
        "out should be (batch=4, hidden=5), but its shape is (2, 5).\n"
        "  out.shape = (2, 5)     read as (batch=2, hidden=5)\n"
        "  The batch axis has 2 rows, but there are 4 sequences. Possible causes: out[-1] on\n"
        "  batch-first output (the last sequence, not the last step); h_n[:, -1] (h_n is (layers\n"
        "  x directions, batch, hidden) whatever batch_first says); or an input whose layout does\n"
        "  not match how the LSTM was built (lstm.batch_first)."
    ),
    "all of h_n where one layer belongs": (
        Z(2, 4, 5), "batch hidden", dict(batch=4, hidden=5), {},
        "out should be (batch=4, hidden=5), but its shape is (2, 4, 5).\n"
        "  out.shape = (2, 4, 5)\n"
        "  There is an extra first axis of size 2. If this is h_n, it has one row per layer (x\n"
        "  direction): take the last layer.\n"
        "  Fix:  out = out[-1]"
    ),
    "LSTM read the wrong axis as batch": (
        Z(1, 26, 5), "layers batch hidden", dict(batch=4, hidden=5), {},
        "out should be (layers=?, batch=4, hidden=5), but its shape is (1, 26, 5).\n"
        "  out.shape = (1, 26, 5)     read as (layers=1, batch=26, hidden=5)\n"
        "  The LSTM saw 26 sequences, but the batch has 4: it read another axis of the input as\n"
        "  the batch. nn.LSTM reads (seq, batch, feature) unless it was built with\n"
        "  batch_first=True.\n"
        "  Fix:  nn.LSTM(..., batch_first=True)    or    lstm(x.transpose(0, 1))"
    ),
    "h_n of a bidirectional LSTM": (
        Z(4, 4, 5), "layers batch hidden", dict(layers=2, batch=4, hidden=5), {},
        "out should be (layers=2, batch=4, hidden=5), but its shape is (4, 4, 5).\n"
        "  out.shape = (4, 4, 5)     read as (layers=4, batch=4, hidden=5)\n"
        "  4 = 2 x 2: likely h_n of a bidirectional LSTM, which has one row per layer and\n"
        "  direction.\n"
        "  Fix:  h_n.view(num_layers, 2, batch, hidden)"
    ),
    "wrong rank": (
        Z(4), "batch seq feature", dict(batch=4, seq=7, feature=3), {},
        "out should be (batch=4, seq=7, feature=3), but its shape is (4,).\n"
        "  out.shape = (4,)\n"
        "  out has 1 axis, but 3 were expected: (batch=4, seq=7, feature=3)."
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
        "  The sequences have 6 steps, but 7 were expected: a step was dropped or added (a slice\n"
        "  such as [:, :-1], or a window of 6 steps?)."
    ),
    "vocab and emb swapped (nn.Embedding sizes)": (
        Z(3, 11), "vocab emb", dict(vocab=11, emb=3), {},
        "out should be (vocab=11, emb=3), but its shape is (3, 11).\n"
        "  out.shape = (3, 11)     read as (vocab=3, emb=11)\n"
        "  vocab and emb are swapped: nn.Embedding takes the number of ids first\n"
        "  (num_embeddings), then the size of each vector (embedding_dim).\n"
        "  Fix:  nn.Embedding(vocab_size, emb_dim)    (the constructor's two sizes swapped)",
    ),
    "padded to another length": (
        Z(4, 3), "batch seq", dict(batch=4, seq=6), {},
        "out should be (batch=4, seq=6), but its shape is (4, 3).\n"
        "  out.shape = (4, 3)     read as (batch=4, seq=3)\n"
        "  The batch has 3 steps per row, but its longest sequence has 6: a padded batch is as\n"
        "  long as its longest sequence.\n"
        "  Fix:  seq = max(len(x) for x in id_lists)",
    ),
    "several axes differ": (
        Z(1, 4, 15), "layers batch hidden", dict(layers=3, batch=4, hidden=5), {},
        "out should be (layers=3, batch=4, hidden=5), but its shape is (1, 4, 15).\n"
        "  out.shape = (1, 4, 15)     read as (layers=1, batch=4, hidden=15)\n"
        "  Several axes differ: layers is 1, expected 3, hidden is 15, expected 5.",
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
    assert all(len(line) <= 88 for line in message.splitlines()), "JupyterLab wraps longer lines"
    if case in NO_DIAGNOSIS:
        assert "Fix:" not in message, "where no known mistake fits, no fix is offered as a fact"
    else:
        assert "Fix:  " in message.splitlines()[-1], "the last line is the fix"


# no known mistake explains these: the message says what differs and where, and offers no Fix
NO_DIAGNOSIS = {"h_n[:, -1] or out[-1] taken as the last step", "wrong rank", "a step dropped",
                "several axes differ"}


def test_embedding_fix_line_runs_and_passes():
    """The Fix for an nn.Embedding built with its sizes swapped is the constructor, not a transpose."""
    vocab_size, emb_dim = 11, 3
    wrong = torch.nn.Embedding(emb_dim, vocab_size)
    with pytest.raises(cu.ShapeError) as info:
        cu.check_shape(wrong.weight, "vocab emb", vocab=vocab_size, emb=emb_dim, name="embedding.weight")
    assert info.value.args[0].endswith("Fix:  nn.Embedding(vocab_size, emb_dim)    (the constructor's two sizes swapped)")
    fixed = torch.nn.Embedding(vocab_size, emb_dim)
    cu.check_shape(fixed.weight, "vocab emb", vocab=vocab_size, emb=emb_dim, name="embedding.weight")


def test_padding_length_fix_line_runs_and_passes():
    id_lists = [[5, 6], [7, 8, 9, 10], [11]]
    first = torch.zeros(3, len(id_lists[0]), dtype=torch.long)      # padded to the first sentence
    with pytest.raises(cu.ShapeError) as info:
        cu.check_shape(first, "batch seq", batch=3, seq=4, name="ids")
    assert info.value.args[0].endswith("Fix:  seq = max(len(x) for x in id_lists)")
    seq = max(len(x) for x in id_lists)
    cu.check_shape(torch.zeros(3, seq, dtype=torch.long), "batch seq", batch=3, seq=4, name="ids")


def test_padding_rows_raise_padding_error_not_shape_error():
    with pytest.raises(cu.PaddingError):
        cu.check_shape(torch.tensor([[1.0], [0.0]]), "batch hidden", lengths=[3, 2], name="last")


# --- notebook 13 (debugging clinic) and course_utils.explain ---------------------------------------


def _failure(check, *args) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args)
    return str(info.value)


def test_a_wrong_cause_in_the_clinic_is_told_why_not_and_not_the_answer():
    from course_utils.checks import nb13

    assert _failure(nb13.check_diagnosis_4, {"cause": "a", "line": 4}) == (
        'diagnosis_4["cause"] = "a" is not what went wrong here:\n'
        "  retain_graph=True keeps every earlier chunk's graph, so each backward() runs through\n"
        '  the whole past; with optimizer.step() in between it fails anyway ("modified by an\n'
        "  inplace operation\"). The error's suggestion treats the symptom, not the cause.\n"
        "  Look at the symptom again, then choose another letter.")


def test_a_wrong_line_in_the_clinic_points_from_where_it_raised_to_where_it_is_made():
    from course_utils.checks import nb13

    assert _failure(nb13.check_diagnosis_4, {"cause": "b", "line": 7}) == (
        'diagnosis_4["line"] = 7: the cause is right, this is not.\n'
        "  It asks for an int: the line of broken_train_in_chunks (line 1 is the def line) where\n"
        "  the mistake is made.\n"
        "  Hint: the traceback shows where PyTorch NOTICES the mistake, the backward() of the\n"
        "  next chunk; find the line that hands the previous chunk's graph on to it.")


def test_an_answer_that_changes_its_input_in_place_is_told_so():
    from course_utils.checks import nb13

    assert _failure(nb13.check_to_seq_first, lambda x: x.transpose_(0, 1)) == (
        "to_seq_first() changed its argument x in place (its shape from (4, 7, 3) to (7, 4, 3)):\n"
        "  the caller's tensor is not yours to change; the caller still needs it as it was.\n"
        "  Methods ending in _ (transpose_, masked_fill_, sub_) and assignments such as\n"
        "  x[...] = or x -= change a tensor in place.\n"
        "  Fix:  x.transpose(0, 1)    (a new view; not x.transpose_(0, 1))")


def test_the_explainers_cause_alone_as_the_clinic_shows_it():
    from course_utils.explain import explain

    assert explain("RuntimeError: Expected target size [4, 5], got [4, 7]", fix=False) == (
        "CrossEntropyLoss reads the CLASS axis as axis 1: logits (batch, classes, seq) with\n"
        "  targets (batch, seq). You gave it (batch=4, seq=7, classes=5) logits.")
