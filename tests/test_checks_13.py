"""The checks of notebook 13 (debugging clinic): the repairs pass, and each half-fix of
tests/test_grading_13.py is caught by the visible check with its own message. No nbgrader."""

import pytest
import test_grading_13 as graded
from visible import _cells, run_visible, visible_failure

# the first words of the message each half-fix gets (pins the wording the learner reads)
MESSAGES = {
    "the article's out[:, -1] kept": "CheckFailed: last_outputs() returned out[:, -1], the last PADDED step",
    "indexed at lengths, one past the last real step": "CheckFailed: last_outputs() indexed past the end of out",
    "reshape instead of view: the same regrouping": "CheckFailed: to_seq_first() has the right shape but regroups the numbers",
    "all three axes reversed (what .T does)": "CheckFailed: to_seq_first() reversed all three axes",
    "h_n[-1] kept: the backward direction only": "CheckFailed: sentence_vector() returned (batch=4, hidden=5): one direction only.",
    "h_n[-2:] reshaped: two sentences in one row": "CheckFailed: sentence_vector() reshaped h_n[-2:] with view/reshape",
    "rows 0 and 1: the bottom layer of a stack": "CheckFailed: sentence_vector() took rows 0 and 1 of h_n: layer 0",
    "only h detached: c still holds the old graph": "CheckFailed: train_in_chunks() still backpropagates into the previous chunk",
    "retain_graph=True instead of detach (what the error suggests)": "CheckFailed: train_in_chunks() keeps the graph of earlier chunks",
    "state dropped instead of detached: every chunk from zeros": "CheckFailed: train_in_chunks() starts every chunk from zeros",
    "state detached but still carried into the next batch": "CheckFailed: batch 1 depends on the batches before it",
    "padding zeroed but counted in the mean": "CheckFailed: masked_loss() zeroes the padded steps but divides by ALL steps",
    "mean over every step, padding included": "CheckFailed: masked_loss() averages over all 4 x 7 steps, padding included",
    "<= in the mask: one padded step per sequence": "CheckFailed: masked_loss() counts one padded step per sequence",
    "view to (batch, classes, seq): scores regrouped": "CheckFailed: step_loss() gave CrossEntropyLoss logits.view(batch, classes, seq)",
    "teacher forcing left on: the targets fed as inputs": "CheckFailed: generate() gives other tokens when only the TARGETS change",
    "never fed its own prediction: <bos> at every step": "CheckFailed: generate() feeds <bos> at every step",
}


def test_every_half_fix_has_a_pinned_message():
    assert sorted(MESSAGES) == sorted(w.why for w in graded.WRONG_ANSWERS)


def test_the_repairs_pass_the_visible_checks():
    cells = _cells(graded.A)
    for test_id in graded.POINTS:
        answer = test_id.removeprefix("test_")
        assert run_visible(graded.A, answer, cells[answer], test_id) is None, test_id


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=[w.why for w in graded.WRONG_ANSWERS])
def test_the_visible_check_names_each_half_fix(wrong):
    (message,) = visible_failure(graded.A, wrong).values()
    assert message is not None, f"the visible check passed {wrong.why!r}"
    assert message.startswith(MESSAGES[wrong.why]), message
    lines = message.splitlines()
    assert len(lines) <= 8 and lines[-1].lstrip().startswith("Fix:"), message


def test_an_unwritten_repair_says_so():
    message = run_visible(graded.A, "masked_loss",
                          "def masked_loss(logits, targets, lengths):\n    raise NotImplementedError()",
                          "test_masked_loss")
    assert message.startswith("NotDoneYet: masked_loss() is not written yet")


def test_the_broken_code_of_each_case_fails_its_check():
    """The clinic's own broken functions, renamed to the answers, are caught: the cases are real."""
    import nbformat
    from grading import REPO

    nb = nbformat.read(REPO / "solutions" / graded.A / f"{graded.A}.ipynb", as_version=4)
    broken = {"last_outputs": "broken_last_outputs", "to_seq_first": "broken_to_seq_first",
              "train_in_chunks": "broken_train_in_chunks", "encode_batches": "broken_encode_batches",
              "masked_loss": "broken_masked_loss", "generate": "broken_generate"}
    for answer, name in broken.items():
        source = next(c.source for c in nb.cells if f"def {name}(" in c.source)
        body = source.split(f"def {name}(", 1)[1].split("\n\n")[0]
        message = run_visible(graded.A, answer, f"def {answer}(" + body, f"test_{answer}")
        assert message, (answer, "the broken code passes its check")
