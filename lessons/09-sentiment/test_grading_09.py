"""Notebook 09 (sentiment) graded through real nbgrader: full marks, zero, and realistic wrong
answers, each written as a text edit of the solution. The test split is closed (cu.heldout) until the
locked training cell has trained and sealed the model: an answer that trains on it, or chooses the
epoch on it, loses the trained-model points. The notebook trains the learner's model
while it is graded, so a wrong model also loses the trained-model points when the model it trains
is broken (errors, answers that depend on padding, probabilities instead of logits); a wrong answer
that still trains a good, padding-invariant model (no padding_idx, no deepcopy) loses only its
exercise's points."""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("09")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)


def test_locked_training_cells_run_as_written(course):
    """The data and training cells are locked: a submission that edits them to choose the epoch on
    the test split (or to train less) is graded with the cells as released, and keeps full marks."""
    import nbformat

    def edit(nb):
        course.answers()(nb)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "train":
                cell.source = cell.source.replace("train_loader, valid_loader,", "train_loader, test_loader,")
                cell.source = cell.source.replace("EPOCHS, LR = 32, 32, 6, 8e-3", "EPOCHS, LR = 32, 32, 1, 8e-3")
                assert "test_loader" in cell.source and "EPOCHS, LR = 32, 32, 1, 8e-3" in cell.source

    grades = course.submit("edits_locked_cells", edit)
    assert all(score == max_score for score, max_score in grades.values()), grades
    graded = course.tmp / "autograded" / "edits_locked_cells" / A / f"{course.notebook}.ipynb"
    train = next(c for c in nbformat.read(graded, as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "train")
    assert "valid_loader, nn.CrossEntropyLoss()" in train.source and "EPOCHS, LR = 32, 32, 6, 8e-3" in train.source
