"""Notebook 10 (surnames) graded through real nbgrader: full marks, zero, and realistic wrong
answers, each written as a text edit of the solution.

The last graded cell scores the model the notebook trains, so a wrong answer that breaks the
training (a model that reads its padding, encoded names that crash on an unknown character) loses
those points too; one that leaves the training unchanged (a scale of the class weights, which a
mean-reduced weighted loss ignores) keeps them. Each `catches` says which.
"""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("10")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)
