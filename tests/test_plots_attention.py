"""course_utils.plots.attention_map: one row per output token, one column per real source token."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def weights_for(target_len, source_len, padded_source=None, padded_target=None, seed=0):
    """(target seq, source seq) softmax weights with zero columns for padding."""
    g = torch.Generator().manual_seed(seed)
    cols, rows = padded_source or source_len, padded_target or target_len
    scores = torch.randn(rows, cols, generator=g)
    scores[:, source_len:] = float("-inf")
    return scores.softmax(dim=-1)


def test_map_has_a_row_per_output_and_a_column_per_source_token(tmp_path):
    source, target = list("5 aug 51"), list("1951-08-05") + ["<eos>"]
    fig = plots.attention_map(weights_for(11, 8, padded_source=12), source, target)
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 5000
    ax, bar = fig.axes
    assert ax.images[0].get_array().shape == (11, 8)  # the 4 padding columns are left out
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "␣", "a", "u", "g", "␣", "5", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == target
    assert ax.get_title() == "attention: '5 aug 51' -> '1951-08-05'"
    assert ax.get_xlabel().startswith("source token") and ax.get_ylabel() == "output token"
    assert bar.get_ylabel() == "weight"


def test_rows_after_eos_are_left_out():
    fig = plots.attention_map(weights_for(4, 3, padded_target=6), list("abc"), list("xy") + ["<eos>", "z"])
    assert fig.axes[0].images[0].get_array().shape == (4, 3)


def test_padding_with_weight_is_refused():
    unmasked = torch.full((3, 5), 0.2)      # padding columns 3 and 4 got a share
    with pytest.raises(ValueError, match="give padding a share .* mask applied before the softmax"):
        plots.attention_map(unmasked, list("abc"), list("xyz"))


@pytest.mark.parametrize("weights, source, target, error, match", [
    (torch.ones(1, 3, 4) / 4, list("abcd"), list("xyz"), ValueError, r"weights\[0\]"),
    (torch.ones(3) / 3, list("abc"), list("x"), ValueError, "must be 2-D"),
    ([[1.0]], list("a"), list("x"), TypeError, "must be a tensor"),
    (torch.ones(3, 4) / 4, "abcd", list("xyz"), TypeError, "lists of tokens"),
    (torch.ones(3, 4) / 4, list("abcd"), list("wxyz"), ValueError, "too many tokens"),
    (torch.ones(3, 4) / 4, [], list("x"), ValueError, "at least one token"),
])
def test_bad_arguments_say_what_to_pass(weights, source, target, error, match):
    with pytest.raises(error, match=match):
        plots.attention_map(weights, source, target)


def test_in_the_public_names():
    assert "attention_map" in plots.__all__
