"""Notebook 12 (tagging) graded through real nbgrader: full marks, zero, and realistic wrong
answers, each written as a text edit of the solution.

The notebook trains its tagger during grading too, with the learner's tag_batch, Tagger,
masked_loss and token_accuracy, so a wrong answer that breaks the training also loses the points
of the graded trained model (test_trained_tagger); one that trains as well as the solution does not.

The held-out gate (cu.heldout): a learner who adds the test sentences to the training batches, from
an answer cell above the locked training cell, loses the held-out points (and only those), even
though the model trained that way tags the test sentences better.
"""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("12")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)
