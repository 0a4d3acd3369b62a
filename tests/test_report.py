"""`make report` (course_utils.grading.report): item analysis of a class graded through real nbgrader."""

from pathlib import Path

import pytest

from course_utils.grading.harness import Course, WrongAnswer

REPO = Path(__file__).resolve().parents[1]
from course_utils.grading import report  # noqa: E402

A = "01-tokens-embeddings"
PAD = WrongAnswer("pad_batch", "int(lengths.max())), pad_id", "int(lengths.max())), 0", "test_pad_batch",
                  "pads with 0 whatever pad_id is")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    course = Course(tmp, A)
    course.submit("ada", course.answers())
    course.submit("ben", course.answers([PAD]))
    course.submit("cy", course.answers([PAD]))
    course.submit("dee", lambda nb: None)
    return tmp


def test_each_test_cell_gets_its_pass_share_and_the_messages_of_those_who_failed(graded, tmp_path):
    items, flagged = report.collect([graded])
    by_cell = {i.cell: i for i in items}
    assert flagged == []
    assert set(by_cell) == {"test_build_vocab", "test_encode", "test_pad_batch", "test_make_embedding",
                            "test_to_lstm_input"}
    pad = by_cell["test_pad_batch"]
    assert (pad.passed, len(pad.scores)) == (1, 4)
    (message, count), (blank, one) = pad.messages.most_common(2)
    assert count == 2 and message.startswith("CheckFailed: ") and "pad_id" in message
    assert one == 1 and blank.startswith("NotDoneYet: pad_batch() is not written yet")
    vocab = by_cell["test_build_vocab"]
    assert (vocab.passed, len(vocab.scores)) == (3, 4)

    out = report.write_report(items, flagged, tmp_path)
    table = (out / "report.md").read_text()
    assert f"| {A} | test_pad_batch | 2 | 1/4 | 25% | 2 × CheckFailed:" in table
    assert (out / "report.png").stat().st_size > 5000
    assert (out / "report.csv").read_text().splitlines()[0].startswith("assignment,test_cell,points,passed")


def test_no_grades_yet_says_what_to_do(tmp_path, capsys):
    assert report.main([str(tmp_path)]) == 1
    assert "Fix:  grade first" in capsys.readouterr().out
