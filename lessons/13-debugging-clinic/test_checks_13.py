"""The checks of notebook 13 (debugging clinic): the diagnoses and repairs pass, each wrong diagnosis
and half-fix of mistakes.py is caught by the visible check with its own message, a
wrong diagnosis is never told the answer, and no check changes the learner's random state. No nbgrader."""

import contextlib
import io

import pytest
import torch

from course_utils.grading.lessons import cells, mistakes, solution
from course_utils.grading.visible import run_visible, visible_failure

graded = mistakes("13")
diagnosis_1 = solution("13")["diagnosis_1"]

# the first words of the message each half-fix gets (pins the wording the learner reads)
MESSAGES = {
    "d1: unsorted lengths blamed": 'CheckFailed: diagnosis_1["cause"] = "a" is not what went wrong here:\n'
                                   "  with enforce_sorted=False, packing sorts the reviews for",
    "d1: the lengths given as steps (off by one)":
        'CheckFailed: diagnosis_1["steps"] = [15, 8, 17, 23]: the cause is right, this is not.',
    "d1: steps as a tensor": 'CheckFailed: diagnosis_1["steps"] is a tensor; the task asks for\n  a list of 4 int',
    "d2: a non-contiguous x blamed (reshape would do)":
        'CheckFailed: diagnosis_2["cause"] = "b" is not what went wrong here:\n  x is contiguous',
    "d2: the source counted seq-major": 'CheckFailed: diagnosis_2["source"] = (0, 2): the cause is right',
    "d3: h_n[-1] taken for both directions side by side":
        'CheckFailed: diagnosis_3["cause"] = "c" is not what went wrong here:\n  h_n[-1] has hidden = 5',
    "d3: the backward row first": 'CheckFailed: diagnosis_3["rows"] = [3, 2]: the cause is right',
    "d4: retain_graph=True, as the error suggests":
        'CheckFailed: diagnosis_4["cause"] = "a" is not what went wrong here:\n  retain_graph=True keeps',
    "d4: the line that raises, not the one that makes the mistake":
        'CheckFailed: diagnosis_4["line"] = 7: the cause is right, this is not.',
    "d5: only the smaller batch blamed":
        'CheckFailed: diagnosis_5["cause"] = "a" is not what went wrong here:\n  a state of the right size',
    "d5: only the batch that raises counted wrong": 'CheckFailed: diagnosis_5["wrong_batches"] = [2]: the cause',
    "d6: pad with -1, nothing else":
        'CheckFailed: diagnosis_6["cause"] = "d" is not what went wrong here:\n  cross_entropy would raise',
    "d6: the real steps counted instead": 'CheckFailed: diagnosis_6["padded_steps"] = 16: the cause is right',
    "d7: one-hot targets blamed":
        'CheckFailed: diagnosis_7["cause"] = "a" is not what went wrong here:\n  class targets are ids',
    "d7: the axis that holds the classes": 'CheckFailed: diagnosis_7["axis"] = 2: the cause is right',
    "d8: dropout blamed": 'CheckFailed: diagnosis_8["cause"] = "c" is not what went wrong here:\n  the Decoder has no dropout',
    "d8: the argmax line blamed": 'CheckFailed: diagnosis_8["line"] = 5: the cause is right',
    "the number of steps read from the targets: fails without them":
        "CheckFailed: generate() fails when no targets are given (targets=None)",
    "lengths decremented in place: the caller's tensor changed":
        "CheckFailed: last_outputs() changed its argument lengths in place (its values)",
    "transpose_ in place: the caller's x changed":
        "CheckFailed: to_seq_first() changed its argument x in place (its shape from (4, 7, 3) to (7, 4, 3))",
    "the loss tensors returned where floats are asked":
        "CheckFailed: train_in_chunks() returns tensors where floats are asked (losses [0, 1, 2])",
    "h_n[0]: right for one layer only": "CheckFailed: encode_batches(...)[0] is the BOTTOM layer's final state",
    "padding marked -100 in the caller's targets, in place":
        "CheckFailed: masked_loss() changed its argument targets in place (its values)",
    "transpose_ in place: the caller's logits changed":
        "CheckFailed: step_loss() changed its argument logits in place (its shape from (4, 7, 5) to (4, 5, 7))",
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
    sources = cells(graded.A)
    for test_id in graded.POINTS:
        answer = test_id.removeprefix("test_")
        assert run_visible(graded.A, answer, sources[answer], test_id) is None, test_id


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=[w.why for w in graded.WRONG_ANSWERS])
def test_the_visible_check_names_each_half_fix(wrong):
    (message,) = visible_failure(graded.A, wrong).values()
    assert message is not None, f"the visible check passed {wrong.why!r}"
    assert message.startswith(MESSAGES[wrong.why]), message
    lines = message.splitlines()
    assert len(lines) <= 8, message
    if wrong.cell.startswith("diagnosis_"):  # a wrong diagnosis learns why, never the answer
        assert "Fix:" not in message and all(len(line) <= 88 for line in lines[1:]), message
    else:
        assert lines[-1].lstrip().startswith("Fix:"), message


def test_an_unwritten_repair_says_so():
    message = run_visible(graded.A, "masked_loss",
                          "def masked_loss(logits, targets, lengths):\n    raise NotImplementedError()",
                          "test_masked_loss")
    assert message.startswith("NotDoneYet: masked_loss() is not written yet")


def test_the_broken_code_of_each_case_fails_its_check():
    """The clinic's own broken functions, renamed to the answers, are caught: the cases are real."""
    import nbformat

    from course_utils.grading.harness import REPO

    nb = nbformat.read(REPO / "solutions" / graded.A / f"{graded.A}.ipynb", as_version=4)
    broken = {"last_outputs": "broken_last_outputs", "to_seq_first": "broken_to_seq_first",
              "train_in_chunks": "broken_train_in_chunks", "encode_batches": "broken_encode_batches",
              "masked_loss": "broken_masked_loss", "generate": "broken_generate"}
    for answer, name in broken.items():
        source = next(c.source for c in nb.cells if f"def {name}(" in c.source)
        body = source.split(f"def {name}(", 1)[1].split("\n\n")[0]
        message = run_visible(graded.A, answer, f"def {answer}(" + body, f"test_{answer}")
        assert message, (answer, "the broken code passes its check")


def _run_quietly(code: str, ns: dict, name: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, name, "exec"), ns)


@pytest.mark.parametrize("test_id", list(graded.POINTS))
def test_a_check_leaves_the_learners_random_state_alone(test_id):
    """Running a check (visible and hidden part) does not move torch's global generator."""
    ns = solution(graded.A)
    before = torch.random.get_rng_state()
    _run_quietly(cells(graded.A)[test_id].replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", ""),
                 ns, test_id)
    assert torch.equal(torch.random.get_rng_state(), before), f"{test_id} changed torch's global random state"


@pytest.mark.parametrize("number", range(1, 9))
def test_no_wrong_diagnosis_is_told_the_answer(number):
    """Every wrong letter gets its own reason, and no message (wrong letter or wrong fact) names the
    right letter or the right value: the check cannot be read for the answer in one try."""
    from course_utils.checks import nb13
    from course_utils.checks.common import CheckFailed

    spec = nb13.DIAGNOSES[number]
    right = {"cause": spec.right, **{k: nb13._right_value(number, k) for k in spec.facts}}
    assert len(spec.not_it) >= 3 and spec.right not in spec.not_it
    messages = []
    for letter in spec.not_it:
        with pytest.raises(CheckFailed) as info:
            nb13.check_diagnosis(number, {**right, "cause": letter})
        messages.append(str(info.value))
    for key in spec.facts:
        value = right[key]
        wrong = [v + 1 for v in value] if isinstance(value, list) else value + 1
        with pytest.raises(CheckFailed) as info:
            nb13.check_diagnosis(number, {**right, key: wrong})
        messages.append(str(info.value))
    for message in messages:
        assert f'"{spec.right}"' not in message and f"({spec.right})" not in message, message
        for key in spec.facts:  # a list answer is never quoted (single numbers occur in any text)
            if isinstance(right[key], list):
                assert repr(right[key]) not in message and repr(tuple(right[key])) not in message, message
        assert len(message.splitlines()) <= 8 and all(len(line) <= 88 for line in message.splitlines()[1:]), message
    with contextlib.redirect_stdout(io.StringIO()):
        nb13.check_diagnosis(number, right)


def _unwritten():
    raise NotImplementedError()


@pytest.mark.parametrize("bad, start", [
    (_unwritten, "NotDoneYet: diagnosis_1() is not written yet"),      # the student copy's stub
    (diagnosis_1, None),                                                # the function is called
    (["c", [14, 7, 16, 22]], "CheckFailed: diagnosis_1() should return a dict"),
    ({"cause": "c"}, "CheckFailed: diagnosis_1 should have the keys ['cause', 'steps']; missing ['steps']"),
    ({"cause": "e", "steps": [14, 7, 16, 22]}, 'CheckFailed: diagnosis_1["cause"] should be one letter among'),
    ({"cause": "C", "steps": (14, 7, 16, 22)}, None),
    ({"cause": "c", "steps": [14.0, 7, 16, 22]}, 'CheckFailed: diagnosis_1["steps"] should be\n  a list of 4 int'),
])
def test_a_diagnosis_of_the_wrong_form_says_what_form(bad, start):
    from course_utils.checks import nb13

    if start is None:
        with contextlib.redirect_stdout(io.StringIO()):
            nb13.check_diagnosis_1(bad)
        return
    with pytest.raises(AssertionError) as info:
        nb13.check_diagnosis_1(bad)
    assert f"{type(info.value).__name__}: {info.value}".startswith(start), str(info.value)
