"""Notebook 06 (bidirectional LSTMs) graded through real nbgrader: full marks, zero, and realistic wrong answers.

Each wrong answer is also run against the visible check alone in test_checks_06.py, which pins
the message a self-paced learner reads for it.
"""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("06")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)
