"""check_shape passes silently on right shapes, and refuses bad arguments with a clear ValueError."""

import pytest
import torch
from torch import nn

import course_utils as cu


def test_right_shapes_pass_silently(capsys):
    lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    out, (h_n, c_n) = lstm(torch.randn(4, 7, 3))
    cu.check_shape(out, "batch seq hidden", batch=4, seq=7, hidden=5)
    cu.check_shape(h_n, "layers batch hidden", layers=2, batch=4, hidden=5)
    cu.check_shape(c_n, "layers batch hidden")  # sizes are optional
    assert capsys.readouterr().out == ""


def test_shape_error_is_an_assertion_error():
    assert issubclass(cu.ShapeError, AssertionError) and issubclass(cu.PaddingError, AssertionError)


def test_repeated_axis_must_have_one_size():
    cu.check_shape(torch.zeros(5, 5), "hidden hidden")
    with pytest.raises(cu.ShapeError):
        cu.check_shape(torch.zeros(5, 6), "hidden hidden")


def test_unsized_axes_match_anything_but_rank_still_counts():
    cu.check_shape(torch.zeros(2, 9), "batch seq")
    with pytest.raises(cu.ShapeError, match="has 3 axes, but 2 were expected"):
        cu.check_shape(torch.zeros(2, 9, 1), "batch seq", batch=3)


def test_lengths_padding_check_passes_for_real_last_outputs():
    last = torch.tensor([[1.0, 2.0], [0.5, 0.1]])
    cu.check_shape(last, "batch hidden", lengths=torch.tensor([3, 2]), name="last")
    # a longest sequence may be all zeros: only shorter ones are suspicious
    cu.check_shape(torch.tensor([[0.0], [1.0]]), "batch hidden", lengths=[3, 2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(spec="bacth seq"), "unknown axis name 'bacth' in the spec 'bacth seq'. Did you mean 'batch'?"),
        (dict(spec="batch", batch=-1), "the size of 'batch' must be a whole number >= 0, not -1."),
        (dict(spec="batch", batch=2.5), "the size of 'batch' must be a whole number >= 0, not 2.5."),
        (dict(spec="batch", seq=3), "a size was given for 'seq', but the spec 'batch' has no such axis"),
        (dict(spec=""), "a shape spec is a string of axis names such as 'batch seq feature'"),
        (dict(spec=None), "a shape spec is a string of axis names"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    spec = kwargs.pop("spec")
    with pytest.raises(ValueError) as info:
        cu.check_shape(torch.zeros(2), spec, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "lengths, message",
    [
        ([[3, 2]], "lengths must be one number per sequence"),
        ([3, 2, 1], "lengths has 3 entries, but out has batch=2"),
    ],
)
def test_contradicting_lengths_raise_value_error(lengths, message):
    with pytest.raises(ValueError, match=message):
        cu.check_shape(torch.ones(2, 4), "batch hidden", lengths=lengths, name="out")


def test_lengths_longer_than_seq():
    with pytest.raises(ValueError, match="the longest length is 9, but out has seq=4"):
        cu.check_shape(torch.ones(2, 4, 1), "batch seq feature", lengths=[9, 2], name="out")


def test_show_shapes_prints_named_axes(capsys):
    out, (h_n, c_n) = nn.LSTM(3, 5)(torch.randn(7, 4, 3))
    cu.show_shapes(out=(out, "seq batch hidden"), state=(h_n, c_n))
    assert capsys.readouterr().out.splitlines() == [
        "out       (7, 4, 5)  (seq=7, batch=4, hidden=5)",
        "state[0]  (1, 4, 5)",
        "state[1]  (1, 4, 5)",
    ]


def test_show_shapes_packed_sequence(capsys):
    packed = nn.utils.rnn.pack_sequence([torch.zeros(3, 2), torch.zeros(1, 2)])
    cu.show_shapes(packed=packed)
    assert capsys.readouterr().out.splitlines() == ["packed.data         (4, 2)", "packed.batch_sizes  (3,)"]


def test_describe():
    assert cu.describe(torch.zeros(4, 7, 5), "batch seq hidden") == "(batch=4, seq=7, hidden=5)"
