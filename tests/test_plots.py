"""course_utils.plots: each picture has the panels, titles and labels a learner reads."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from course_utils import plots  # noqa: E402
from course_utils.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax):
    return [t.get_text() for t in ax.texts]


def cells(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def render(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.stat().st_size > 5000


def test_tensor_layout_compare_shows_both_layouts(tmp_path):
    fig = plots.tensor_layout(batch=3, seq=4, feature=2, compare=True)
    render(fig, tmp_path, "layout")
    assert isinstance(fig, matplotlib.figure.Figure)
    left, right = fig.axes
    assert left.get_title().splitlines() == [
        "batch_first=False", "x is (seq=4, batch=3, feature=2)", "x[0] = step 0 of every sequence"]
    assert right.get_title().splitlines() == [
        "batch_first=True", "x is (batch=3, seq=4, feature=2)", "x[0] = all steps of sequence 0"]
    assert "dim 0: seq  (4 slices)" in texts(left) and "dim 1: batch" in texts(left)
    assert "dim 0: batch  (3 slices)" in texts(right) and "dim 1: seq" in texts(right)
    assert "dim 2: feature" in texts(left) and "dim 2: feature" in texts(right)
    assert len(cells(left)) == len(cells(right)) == 3 * 4 * 2
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["sequence 0", "sequence 1", "sequence 2"]


def test_tensor_layout_first_slice_is_one_sequence_only_with_batch_first():
    def colours_of_first_slice(batch_first):
        ax = plots.tensor_layout(batch=3, seq=4, feature=2, batch_first=batch_first).axes[0]
        first = [p for p in cells(ax) if p.get_x() < 2]  # x[0] spans the first feature columns
        return {p.get_facecolor() for p in first}, len(first)

    assert colours_of_first_slice(True) == ({plots._sequence_color(0) + (1.0,)}, 4 * 2)
    colours, n = colours_of_first_slice(False)
    assert len(colours) == 3 and n == 3 * 2


def test_tensor_layout_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch must be a whole number from 1 to 8"):
        plots.tensor_layout(batch=0)
    with pytest.raises(ValueError, match="seq"):
        plots.tensor_layout(seq=2.5)
    with pytest.raises(TypeError, match="True or False"):
        plots.tensor_layout(batch_first="yes")


def test_packed_sequence_matches_pytorch(tmp_path):
    lengths = [5, 3, 4, 1]
    fig = plots.packed_sequence(lengths)
    render(fig, tmp_path, "packed")
    top, bottom = fig.axes
    assert top.get_title() == "padded batch: (batch=4, seq=5), grey = padding"
    assert texts(top).count("pad") == 4 * 5 - sum(lengths)
    assert "sequence 2  (length 4)" in texts(top)
    title = bottom.get_title()
    assert "packed.data: (sum(lengths)=13, feature)" in title
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        torch.zeros(4, 5, 1), torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    assert f"batch_sizes = {packed.batch_sizes.tolist()}" in title  # [4, 3, 3, 2, 1]
    assert f"sorted_indices = {packed.sorted_indices.tolist()}" in title
    strip = [t for t in texts(bottom) if t.startswith("t")]
    assert strip == ["t0"] * 4 + ["t1"] * 3 + ["t2"] * 3 + ["t3"] * 2 + ["t4"]
    assert len(cells(bottom)) == 13
    # Within a step, rows come longest sequence first: colours follow sorted_indices.
    first_step = [p.get_facecolor()[:3] for p in cells(bottom)[:4]]
    expected = [plots._sequence_color(b) for b in packed.sorted_indices.tolist()]
    assert np.allclose(first_step, expected)


def test_packed_sequence_rejects_bad_lengths():
    with pytest.raises(TypeError, match="lengths must be a list"):
        plots.packed_sequence([])
    with pytest.raises(ValueError, match="each length"):
        plots.packed_sequence([3, 0])
    with pytest.raises(ValueError, match="1-D integer tensor"):
        plots.packed_sequence(torch.tensor([[3, 2]]))
    with pytest.raises(ValueError, match="each length"):
        plots.packed_sequence([2.5, 1])


def gates(seq=6, hidden=5):
    torch.manual_seed(0)
    out = {k: torch.sigmoid(torch.randn(seq, hidden)) for k in "ifo"}
    out["g"] = torch.tanh(torch.randn(seq, hidden))
    return out


def test_gate_activations_panels_tokens_and_ranges(tmp_path):
    tokens = ["the", "film", "is", "not", "good", "."]
    fig = plots.gate_activations(gates(), tokens=tokens)
    render(fig, tmp_path, "gates")
    assert len(fig.axes) == 8  # 4 heatmaps + 4 colour bars
    heatmaps = fig.axes[:4]
    assert [ax.get_title() for ax in heatmaps] == [
        "i: input gate", "f: forget gate", "g: cell candidate", "o: output gate"]
    assert [t.get_text() for t in heatmaps[0].get_yticklabels()] == tokens
    assert heatmaps[0].get_ylabel() == "token"
    assert all(ax.get_xlabel() == "hidden unit" for ax in heatmaps)
    assert [ax.images[0].get_clim() for ax in heatmaps] == [(0, 1), (0, 1), (-1, 1), (0, 1)]
    assert heatmaps[2].images[0].get_array().shape == (6, 5)  # rows = time, columns = hidden


def test_gate_activations_without_tokens_numbers_the_steps():
    fig = plots.gate_activations(gates(seq=4))
    assert fig.axes[0].get_ylabel() == "time step"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0", "1", "2", "3"]


def test_gate_activations_rejects_bad_input():
    g = gates()
    with pytest.raises(ValueError, match=r"missing \['o'\]"):
        plots.gate_activations({k: g[k] for k in "ifg"})
    with pytest.raises(ValueError, match=r"squeeze\(1\)"):
        plots.gate_activations({**g, "i": g["i"].unsqueeze(1)})
    with pytest.raises(ValueError, match="same shape"):
        plots.gate_activations({**g, "f": g["f"][:3]})
    with pytest.raises(ValueError, match="tokens has 2 entries"):
        plots.gate_activations(g, tokens=["a", "b"])
    with pytest.raises(TypeError, match="dict"):
        plots.gate_activations([g["i"]] * 4)


def test_training_curves_from_history(tmp_path):
    history = History()
    for epoch in range(4):
        history.append({"train_loss": 1 / (epoch + 1), "train_accuracy": 0.5 + 0.1 * epoch,
                         "valid_loss": 1.2 / (epoch + 1), "valid_accuracy": 0.5 + 0.05 * epoch,
                         "seconds": 2.0})
    fig = plots.training_curves(history)
    render(fig, tmp_path, "curves")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]  # seconds left out
    loss = fig.axes[0]
    assert loss.get_xlabel() == "epoch" and loss.get_ylabel() == "loss"
    assert [line.get_label() for line in loss.get_lines()] == ["train", "valid"]
    assert list(loss.get_lines()[1].get_ydata()) == history["valid_loss"]
    assert list(loss.get_lines()[0].get_xdata()) == [1, 2, 3, 4]


def test_training_curves_from_a_dict_with_keras_names():
    fig = plots.training_curves({"accuracy": [0.5, 0.6], "val_accuracy": [0.4, 0.5],
                                 "loss": [1.0, 0.8], "val_loss": [1.1, 0.9], "train_rmse": [3, 2]})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "rmse"]
    assert [line.get_label() for line in fig.axes[2].get_lines()] == ["train"]
    with pytest.raises(TypeError, match="History that cu.fit"):
        plots.training_curves([1, 2])
    with pytest.raises(ValueError, match="non-empty list"):
        plots.training_curves({"train_loss": []})
    with pytest.raises(ValueError, match="no values to plot"):
        plots.training_curves({"seconds": [1.0]})


def test_confusion_matrix_counts_and_labels(tmp_path):
    names = ["negative", "neutral", "positive"]
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    predictions = torch.tensor([0, 1, 1, 2, 2, 0])
    fig = plots.confusion_matrix(targets, predictions, names)
    render(fig, tmp_path, "confusion")
    assert len(fig.axes) == 2  # the matrix and its colour bar
    ax = fig.axes[0]
    assert ax.get_title() == "confusion matrix: accuracy 0.667 (n=6)"
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    share = ax.images[0].get_array()
    assert np.allclose(share, [[0.5, 0.5, 0], [0, 1, 0], [1 / 3, 0, 2 / 3]])
    assert sorted(texts(ax)) == ["1", "1", "1", "1", "2"]
    # Lists work too.
    plots.confusion_matrix([0, 1], [1, 1], ["a", "b"])


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match=r"class indices must be 0 \.\. 1"):
        plots.confusion_matrix([0, 2], [0, 1], ["a", "b"])
    with pytest.raises(TypeError, match="argmax"):
        plots.confusion_matrix(torch.tensor([0, 1]), torch.randn(2), ["a", "b"])
    with pytest.raises(ValueError, match="same"):
        plots.confusion_matrix([0, 1, 1], [0, 1], ["a", "b"])
    with pytest.raises(TypeError, match="class_names"):
        plots.confusion_matrix([0, 1], [0, 1], None)
