"""course_utils.heldout: the test split is closed until the graded model is sealed, and the
held-out check refuses a model trained (further) or chosen with the test split in reach."""

import pytest
import torch

import course_utils as cu
from course_utils import heldout
from course_utils.checks.common import CheckFailed


def _model():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return torch.nn.Linear(3, 2)


def test_open_when_no_notebook_closed_it():
    heldout._state.update(closed=False, attempts=[], seal=None)
    assert len(cu.data.movie_reviews("test")) == 1057


@pytest.mark.parametrize("ask", [lambda: cu.data.movie_reviews("test"), lambda: cu.data.movie_reviews("all"),
                                 lambda: cu.data.surnames("test"), lambda: cu.data.surnames("all")])
def test_closed_split_raises_and_is_recorded_even_when_caught(ask):
    heldout.hold_out("the test items")
    assert len(cu.data.movie_reviews("train")) == 8453        # train and valid stay open
    assert len(cu.data.movie_reviews("valid")) == 1056
    try:
        ask()
    except heldout.TestSplitClosed as err:
        assert "stay closed until the model is trained" in str(err)
    else:
        raise AssertionError("the closed test split was handed out")
    model = _model()
    heldout.seal(model)                                        # the request is not forgotten
    with pytest.raises(CheckFailed, match="asked for before the model was trained and sealed"):
        heldout.require_sealed(model)


def test_the_sealed_model_passes_and_the_split_opens():
    heldout.hold_out("the test items")
    model = _model()
    heldout.seal(model)
    assert not heldout.is_closed()
    assert len(cu.data.movie_reviews("test")) == 1057
    heldout.require_sealed(model)


def test_training_after_the_seal_is_caught():
    heldout.hold_out("the test items")
    model = _model()
    heldout.seal(model)
    with torch.no_grad():
        model.weight[0, 0] += 1e-6                             # one more (tiny) step, on any data
    with pytest.raises(CheckFailed, match="weights changed after the training cell sealed them"):
        heldout.require_sealed(model)


def test_another_model_is_caught_and_no_seal_is_caught():
    heldout.hold_out("the test items")
    with pytest.raises(CheckFailed, match="no trained model was sealed"):
        heldout.require_sealed(_model())
    heldout.seal(_model())
    with pytest.raises(CheckFailed, match="not the model the training cell trained"):
        heldout.require_sealed(_model())


def test_a_new_run_forgets_the_last():
    heldout.hold_out("the test items")
    with pytest.raises(heldout.TestSplitClosed):
        cu.data.surnames("test")
    heldout.hold_out("the test items")                         # Restart & Run All: setup runs again
    model = _model()
    heldout.seal(model)
    heldout.require_sealed(model)


def test_the_gate_is_out_of_an_answer_s_reach():
    from course_utils.grading.integrity import scan
    assert scan("cu.heldout.seal(model)")
    assert scan("from course_utils import heldout")
    assert scan("from course_utils.heldout import seal")
    assert scan("reviews = cu.data.text._all_reviews()")
    assert scan("from course_utils.data.text import _all_reviews")
    assert scan("from course_utils.data import text\ntext.heldout.seal(model)")      # through an alias
    assert scan("from course_utils.data import text\nrows = text._all_reviews()")
    assert not scan("reviews = cu.data.movie_reviews('train')")
    assert not scan("class M:\n    def f(self):\n        return self._cache")
