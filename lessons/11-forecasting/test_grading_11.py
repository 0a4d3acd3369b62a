"""Notebook 11 (forecasting) graded through real nbgrader: full marks, zero, and realistic wrong answers.

The test period is held out (course_utils.heldout): closed until the locked training cell has
trained and sealed the model, and the held-out check (test_forecast) refuses a model trained while
it was asked for; the last wrong answer below does exactly that.

The last graded cell (test_forecast) grades the model the notebook trains, so a wrong answer that
breaks training (windows whose targets sit inside the window, a shuffled split, a scaler that
crashes) costs those points too; such answers list it in `catches`. Answers that change training
only a little (statistics of the whole year, h_n[0] fed to the head, periods that overlap by an
hour) are graded in a submission together with one that breaks training, so that no grade here
hinges on how well a slightly different model happens to forecast.
"""
from course_utils.grading.harness import grading_tests
from course_utils.grading.lessons import mistakes

catalogue = mistakes("11")
A = catalogue.A
WRONG_ANSWERS = catalogue.WRONG_ANSWERS
POINTS = catalogue.POINTS

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)
