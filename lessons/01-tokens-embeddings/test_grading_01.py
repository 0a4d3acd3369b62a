"""Notebook 01 graded through real nbgrader: full marks, zero, and realistic wrong answers.

Also the things students do to a notebook that grading must survive (this notebook stands for all:
the mechanisms are nbgrader's, set in nbgrader_config.py): an edited test cell is restored, a deleted
test cell is put back and graded, and an infinite loop is stopped while the rest is still graded.
"""
import pytest

from course_utils.grading.harness import Course, grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("01")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)


@pytest.fixture(scope="module")
def short_timeout_course(tmp_path_factory):
    return Course(tmp_path_factory.mktemp("course-timeout"), A, timeout=10)


def test_tampering_and_infinite_loop_are_graded_right(short_timeout_course):
    """Edited test cell -> restored; deleted test cell -> re-added; endless loop -> interrupted."""
    course = short_timeout_course
    answers = course.answers()

    def mischief(nb):
        answers(nb)
        cells = nb.cells
        gid = lambda c: c.metadata.get("nbgrader", {}).get("grade_id")  # noqa: E731
        # 1. an answer that never ends
        loop = next(c for c in cells if gid(c) == "encode")
        loop.source = "def encode(tokens, vocab):\n    while True:\n        pass\n"
        # 2. a test cell replaced by one that always passes
        next(c for c in cells if gid(c) == "test_pad_batch").source = "assert True"
        # 3. a test cell deleted (with a wrong answer it would catch)
        nb.cells = [c for c in cells if gid(c) != "test_make_embedding"]
        emb = next(c for c in nb.cells if gid(c) == "make_embedding")
        emb.source = emb.source.replace(", padding_idx=pad_id)", ")")
        # and pad_batch wrong, so the restored test must fail it
        pad = next(c for c in nb.cells if gid(c) == "pad_batch")
        pad.source = pad.source.replace("return ids, lengths", "return ids.T, lengths")

    grades = course.submit("mischief", mischief)
    assert grades["test_encode"][0] == 0, grades           # interrupted, no credit
    assert grades["test_pad_batch"][0] == 0, grades        # 'assert True' was replaced by the real test
    assert grades["test_make_embedding"] == (0, 2), grades  # deleted cell put back, graded, failed
    assert grades["test_build_vocab"] == (2, 2), grades    # the rest still graded
    assert grades["test_to_lstm_input"] == (2, 2), grades


def test_feedback_hides_hidden_tests(course):
    """Feedback shows results and messages, not the hidden tests' source."""
    course.submit("feedback-student", course.answers([WRONG_ANSWERS[-1]]))
    result = course.api.generate_feedback(A, "feedback-student")
    assert result["success"], result.get("error") or result.get("log")
    html = next((course.tmp / "feedback" / "feedback-student" / A).glob("*.html")).read_text()
    assert "BEGIN HIDDEN TESTS" not in html
    assert "batch=3, seq=2, emb=6" not in html      # a hidden test's arguments
    assert "seq and batch are swapped" in html       # the learner still reads the diagnosis
