"""Notebook 08 (sequence to sequence) graded through real nbgrader: full marks, zero, and realistic
wrong answers. A wrong answer that spoils training also loses the points of the trained model
(test_trained_model); the others must leave a trained model that still passes. The test dates are
closed (cu.heldout) until the locked training cell has trained and sealed the model: an answer that
adds them to the training data loses the trained-model points."""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("08")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)


def test_locked_training_cells_run_as_written(course):
    """The data and training cells are locked: a submission that edits them to train on the test
    dates (or to train less) is graded with the cells as released, and keeps full marks."""
    import nbformat

    def edit(nb):
        course.answers()(nb)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid == "data":
                cell.source = cell.source.replace('date_split("train")', 'date_split("all")')
                assert 'date_split("all")' in cell.source
            if gid == "train":
                cell.source = cell.source.replace("epochs=4", "epochs=1")
                assert "epochs=1" in cell.source

    grades = course.submit("edits_locked_cells", edit)
    assert all(score == max_score for score, max_score in grades.values()), grades
    graded = course.tmp / "autograded" / "edits_locked_cells" / A / f"{course.notebook}.ipynb"
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
             for c in nbformat.read(graded, as_version=4).cells}
    assert 'date_split("train")' in cells["data"] and "epochs=4" in cells["train"]
