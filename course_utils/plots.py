"""Pictures for the course: tensor layout, packed sequences, gates over time, training, confusion.

    fig = cu.plots.tensor_layout(batch=3, seq=4, feature=2, compare=True)
    fig = cu.plots.training_curves(history)

Every function returns the matplotlib Figure and does not call plt.show(). In a notebook the
figure appears below the cell; assign it (`fig = ...`) so it is not shown twice. Sizes are meant
for a notebook column, about 8 x 3.5 inches.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import to_rgb
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

__all__ = ["confusion_matrix", "gate_activations", "packed_sequence", "tensor_layout", "training_curves"]

PAD_COLOR = "#d9d9d9"
FONT = 9


def _sequence_color(b: int):
    """A light colour per sequence (index into the batch), dark text stays readable on it."""
    base = np.array(to_rgb(plt.get_cmap("tab10")(b % 10)))
    return tuple(0.55 * base + 0.45)


def _whole(value, name, low=1, high=40):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    return int(value)


def _cell(ax, x, y, color, text="", size=FONT, hatch=None):
    ax.add_patch(Rectangle((x, y), 1, 1, facecolor=color, edgecolor="black", linewidth=0.8, hatch=hatch))
    if text:
        ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=size)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="0.3", lw=1))


def _layout_width(n0, feature, gap=0.7):
    return n0 * feature + (n0 - 1) * gap


def _draw_layout(ax, batch, seq, feature, batch_first, rows_shown):
    """x drawn as its dim-0 slices x[0], x[1], ... side by side; each slice is (dim 1, feature)."""
    names = ("batch", "seq") if batch_first else ("seq", "batch")
    n0, n1 = (batch, seq) if batch_first else (seq, batch)
    gap = 0.7
    width = _layout_width(n0, feature, gap)
    top = rows_shown  # slices hang from the same top line in both panels
    for k in range(n0):
        left = k * (feature + gap)
        for r in range(n1):
            b, t = (k, r) if batch_first else (r, k)
            for c in range(feature):
                _cell(ax, left + c, top - 1 - r, _sequence_color(b), f"t{t}")
        ax.text(left + feature / 2, top + 0.25, f"x[{k}]", ha="center", va="bottom", fontsize=FONT)
    bottom = top - n1
    for c in range(feature):
        ax.text(c + 0.5, bottom - 0.3, f"f{c}", ha="center", va="top", fontsize=FONT - 1, color="0.3")
    ax.text(width / 2, top + 1.05, f"dim 0: {names[0]}  ({n0} slices)", ha="center", va="bottom",
            fontsize=FONT, weight="bold")
    _arrow(ax, (-0.45, top), (-0.45, bottom))
    ax.text(-0.7, (top + bottom) / 2, f"dim 1: {names[1]}", ha="right", va="center", rotation=90,
            fontsize=FONT, weight="bold")
    ax.text(feature / 2, bottom - 0.95, "dim 2: feature", ha="center", va="top", fontsize=FONT,
            weight="bold")
    shape = f"({names[0]}={n0}, {names[1]}={n1}, feature={feature})"
    meaning = "step 0 of every sequence" if not batch_first else "all steps of sequence 0"
    ax.set_title(f"batch_first={batch_first}\nx is {shape}\nx[0] = {meaning}", fontsize=FONT + 1)
    ax.set_xlim(-1.6, width + 0.2)
    ax.set_ylim(-1.7, rows_shown + 1.7)
    ax.set_aspect("equal", anchor="N")
    ax.axis("off")


def tensor_layout(batch: int = 3, seq: int = 4, feature: int = 2, batch_first: bool = False,
                  compare: bool = False):
    """A 3-D input tensor drawn as blocks: what x[0] holds with and without batch_first.

    batch_first=False: x is (seq, batch, feature), x[0] is step 0 of every sequence.
    batch_first=True:  x is (batch, seq, feature), x[0] is the whole sequence 0.
    Colour = which sequence (index into batch), text = time step t, columns = features f0, f1, ...
    compare=True draws both layouts side by side (batch_first is then ignored).
    Returns the Figure (1 axes, or 2 with compare=True).
    """
    batch, seq = _whole(batch, "batch", high=8), _whole(seq, "seq", high=8)
    feature = _whole(feature, "feature", high=4)
    if not isinstance(batch_first, bool) or not isinstance(compare, bool):
        raise TypeError("batch_first and compare must be True or False.")
    layouts = [False, True] if compare else [batch_first]
    widths = [_layout_width(batch if first else seq, feature) + 1.8 for first in layouts]
    rows_shown = max(batch, seq) if compare else (seq if batch_first else batch)
    fig, axes = plt.subplots(1, len(layouts), figsize=(8, 3.5) if compare else (5, 3.5),
                             layout="constrained", squeeze=False, width_ratios=widths)
    for ax, first in zip(axes[0], layouts, strict=True):
        _draw_layout(ax, batch, seq, feature, first, rows_shown)
    handles = [Patch(facecolor=_sequence_color(b), edgecolor="black", label=f"sequence {b}")
               for b in range(batch)]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(batch, 8), fontsize=FONT,
               frameon=False)
    return fig


def _lengths_list(lengths) -> list[int]:
    if isinstance(lengths, torch.Tensor):
        if lengths.dim() != 1 or lengths.is_floating_point():
            raise ValueError(f"lengths must be a 1-D integer tensor (batch,), not {lengths.dtype} {tuple(lengths.shape)}.")
        lengths = lengths.tolist()
    if not isinstance(lengths, (list, tuple)) or not lengths:
        raise TypeError(f"lengths must be a list or 1-D tensor of sequence lengths, e.g. [5, 3, 2], not {lengths!r}.")
    for n in lengths:
        _whole(n, "each length", high=40)
    if len(lengths) > 10:
        raise ValueError(f"draw at most 10 sequences (got {len(lengths)}); the picture is for small examples.")
    return [int(n) for n in lengths]


def packed_sequence(lengths):
    """The padded batch as a grid (batch, seq), then the PackedSequence that packing makes of it.

    lengths: (batch,) true lengths, e.g. [5, 3, 4, 1]; any order (enforce_sorted=False sorts).
    Top: the padded batch, batch_first, padding in grey.
    Bottom: packed.data, step by step: at step t it holds batch_sizes[t] rows, one per sequence
    still running, longest sequences first. The packing is done by PyTorch itself.
    Returns the Figure (2 axes).
    """
    lengths = _lengths_list(lengths)
    batch, longest = len(lengths), max(lengths)
    code = torch.zeros(batch, longest, 1)
    for b, n in enumerate(lengths):
        code[b, :n, 0] = torch.arange(n) + 1000 * b
    packed = torch.nn.utils.rnn.pack_padded_sequence(code, torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    order = [(int(v) // 1000, int(v) % 1000) for v in packed.data[:, 0]]
    batch_sizes = packed.batch_sizes.tolist()
    total = len(order)

    span = max(total, 12)  # a short strip keeps cells about as wide as the grid's
    margin = span / 6.5  # room on the left for the row names, about an inch
    top_in = 0.4 * batch + 0.8  # cells of about 0.4 inch, plus the title
    bottom_in = 2.4 * 7.0 / (span + margin) + 0.7
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, top_in + bottom_in + 0.2), layout="constrained",
                                      height_ratios=[top_in, bottom_in])
    for b, n in enumerate(lengths):
        for t in range(longest):
            if t < n:
                _cell(top, t, batch - 1 - b, _sequence_color(b), f"t{t}")
            else:
                _cell(top, t, batch - 1 - b, PAD_COLOR, "pad", size=FONT - 1)
        top.text(-0.15, batch - 0.5 - b, f"sequence {b}  (length {n})", ha="right", va="center", fontsize=FONT)
    top.set_title(f"padded batch: (batch={batch}, seq={longest}), grey = padding", fontsize=FONT + 1)
    top.set_xlim(-3.6, longest + 0.1)
    top.set_ylim(-0.1, batch + 0.1)
    top.set_aspect("equal")
    top.axis("off")

    text_size = FONT if total <= 24 else FONT - 2
    start = 0
    for size in batch_sizes:
        for i in range(size):
            b, step = order[start + i]
            _cell(bottom, start + i, 1.2, _sequence_color(b), f"t{step}" if total <= 40 else "",
                  size=text_size)
        bottom.plot([start + 0.1, start + size - 0.1], [1.0, 1.0], color="0.3", lw=1.5)
        bottom.text(start + size / 2, 0.8, f"{size}", ha="center", va="top", fontsize=text_size)
        start += size
    bottom.text(-0.3, 1.7, "packed.data", ha="right", va="center", fontsize=FONT)
    bottom.text(-0.3, 0.55, "batch_sizes", ha="right", va="center", fontsize=FONT)
    bottom.set_title(
        f"packed.data: (sum(lengths)={total}, feature), one row per valid step, step by step\n"
        f"batch_sizes = {batch_sizes}    sorted_indices = {packed.sorted_indices.tolist()}",
        fontsize=FONT + 1,
    )
    bottom.set_xlim(-margin, span + 0.1)
    bottom.set_ylim(0, 2.4)
    bottom.set_aspect("equal", anchor="W")
    bottom.axis("off")
    return fig


GATES = {
    "i": ("i: input gate", "sigmoid"),
    "f": ("f: forget gate", "sigmoid"),
    "g": ("g: cell candidate", "tanh"),
    "o": ("o: output gate", "sigmoid"),
}


def _as_array(value, name):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().float().numpy()
    if not isinstance(value, np.ndarray):
        raise TypeError(f"gates[{name!r}] must be a tensor (seq, hidden), got {type(value).__name__}.")
    if value.ndim == 3 and 1 in value.shape[:2]:
        axis = value.shape.index(1)
        raise ValueError(
            f"gates[{name!r}] has shape {value.shape}: drop the batch axis of 1 first, "
            f"e.g. gates[{name!r}].squeeze({axis}), to get (seq, hidden)."
        )
    if value.ndim != 2:
        raise ValueError(f"gates[{name!r}] must be 2-D (seq, hidden), but its shape is {value.shape}.")
    return value


def gate_activations(gates: dict, tokens=None):
    """Heatmaps of the four LSTM gates over time, one panel per gate.

    gates:  {"i": (seq, hidden), "f": (seq, hidden), "g": (seq, hidden), "o": (seq, hidden)},
            the gate values after their sigmoid (i, f, o: 0..1) or tanh (g: -1..1).
    tokens: optional list of seq strings shown down the time axis instead of step numbers.
    Rows are time steps (top = first), columns are hidden units.
    Returns the Figure (4 heatmaps, each with its colour bar: 8 axes).
    """
    if not isinstance(gates, dict):
        raise TypeError("gates must be a dict {'i': ..., 'f': ..., 'g': ..., 'o': ...} of (seq, hidden) tensors.")
    if set(gates) != set(GATES):
        missing, extra = set(GATES) - set(gates), set(gates) - set(GATES)
        raise ValueError(
            "gates needs exactly the keys 'i', 'f', 'g', 'o'"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unexpected {sorted(extra)}" if extra else "")
            + "."
        )
    arrays = {k: _as_array(gates[k], k) for k in GATES}
    shapes = {k: a.shape for k, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"all four gates must have the same shape (seq, hidden); got {shapes}.")
    seq, hidden = arrays["i"].shape
    if tokens is not None:
        tokens = [str(t) for t in tokens]
        if len(tokens) != seq:
            raise ValueError(f"tokens has {len(tokens)} entries but the gates have seq={seq} steps.")
    height = min(6.5, max(3.5, 1.5 + 0.22 * seq))
    fig, axes = plt.subplots(1, 4, figsize=(8, height), sharey=True, layout="constrained")
    every = max(1, int(np.ceil(seq / int((height - 1.6) / 0.17))))  # labels 0.17 inch apart
    for ax, (key, (title, kind)) in zip(axes, GATES.items(), strict=True):
        low, cmap = (0, "viridis") if kind == "sigmoid" else (-1, "RdBu_r")
        image = ax.imshow(arrays[key], aspect="auto", cmap=cmap, vmin=low, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=FONT + 1)
        ax.set_xlabel("hidden unit", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 1)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4, integer=True))
        bar = fig.colorbar(image, ax=ax, orientation="horizontal", location="bottom", shrink=0.9, aspect=15)
        bar.set_label(f"{kind}: {low} .. 1", fontsize=FONT - 1)
        bar.ax.tick_params(labelsize=FONT - 1)
    steps = list(range(0, seq, every))
    axes[0].set_yticks(steps)
    axes[0].set_yticklabels([tokens[t] for t in steps] if tokens else [str(t) for t in steps])
    axes[0].set_ylabel("token" if tokens else "time step", fontsize=FONT)
    return fig


_SKIP = {"seconds", "epoch", "epochs"}


def _split_key(key: str) -> tuple[str, str]:
    """"valid_accuracy" -> ("accuracy", "valid"); "val_loss" -> ("loss", "valid"); "loss" -> ("loss", "train")."""
    for prefix, split in (("train_", "train"), ("valid_", "valid"), ("val_", "valid")):
        if key.startswith(prefix):
            return key[len(prefix):], split
    return key, "train"


def _series(history) -> dict[str, dict[str, list[float]]]:
    """{metric: {"train": [...], "valid": [...]}} from a History or a dict of lists."""
    if hasattr(history, "as_dict"):
        history = history.as_dict()
    if not isinstance(history, dict):
        raise TypeError(
            "history must be the History that cu.fit() returns, or a dict of lists such as "
            f"{{'train_loss': [...], 'valid_loss': [...]}}; got {type(history).__name__}."
        )
    out: dict[str, dict[str, list[float]]] = {}
    for key, values in history.items():
        if key in _SKIP:
            continue
        if isinstance(values, torch.Tensor):
            values = values.tolist()
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"history[{key!r}] must be a non-empty list of numbers, one per epoch.")
        name, split = _split_key(key)
        out.setdefault(name, {})[split] = [float(v) for v in values]
    if not out:
        raise ValueError("history has no values to plot (it needs e.g. 'train_loss').")
    return dict(sorted(out.items(), key=lambda item: item[0] != "loss"))


def training_curves(history):
    """Loss and metrics per epoch, train (solid) and valid (dashed), one panel per quantity.

    history: the History from cu.fit(), or a dict of lists with keys "train_<name>" / "valid_<name>"
             (also "loss" / "val_loss" as Keras names them). "seconds" is not drawn.
    Returns the Figure (one axes per quantity, loss first).
    """
    series = _series(history)
    n = len(series)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(8, 3.2 * rows), layout="constrained", squeeze=False)
    for ax, (name, splits) in zip(axes.flat, series.items(), strict=False):  # spare axes removed below
        for split, style in (("train", "-o"), ("valid", "--s")):
            if split in splits:
                values = splits[split]
                ax.plot(range(1, len(values) + 1), values, style, label=split, markersize=4)
        ax.set_title(name, fontsize=FONT + 1)
        ax.set_xlabel("epoch", fontsize=FONT)
        ax.set_ylabel(name, fontsize=FONT)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.tick_params(labelsize=FONT - 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=FONT - 1)
    for ax in list(axes.flat)[n:]:
        fig.delaxes(ax)
    return fig


def _int_vector(value, name):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_floating_point():
            raise TypeError(f"{name} must hold class indices (integers); for logits pass logits.argmax(-1).")
        return value.reshape(-1).long()
    if isinstance(value, (list, tuple, np.ndarray)):
        tensor = torch.as_tensor(np.asarray(value))
        if tensor.is_floating_point():
            raise TypeError(f"{name} must hold class indices (integers), not floats.")
        return tensor.reshape(-1).long()
    raise TypeError(f"{name} must be a tensor or list of class indices (batch,), got {type(value).__name__}.")


def confusion_matrix(targets, predictions, class_names):
    """Counts of (true class, predicted class), coloured by the share of each true class.

    targets, predictions: (batch,) class indices (tensors or lists) in 0 .. len(class_names) - 1.
    class_names: one name per class, in index order.
    Rows are true classes, columns predicted ones; the diagonal is right. The title gives accuracy.
    Returns the Figure (the matrix and its colour bar: 2 axes).
    """
    targets, predictions = _int_vector(targets, "targets"), _int_vector(predictions, "predictions")
    if targets.numel() != predictions.numel() or targets.numel() == 0:
        raise ValueError(
            f"targets ({targets.numel()}) and predictions ({predictions.numel()}) must be the same "
            "non-zero number of class indices."
        )
    if not isinstance(class_names, (list, tuple)) or not class_names:
        raise TypeError("class_names must be a list of names, one per class, e.g. data.NATIONALITIES.")
    k = len(class_names)
    both = torch.cat([targets, predictions])
    if int(both.min()) < 0 or int(both.max()) >= k:
        raise ValueError(f"class indices must be 0 .. {k - 1} for {k} class names; found {int(both.min())} .. {int(both.max())}.")
    counts = torch.bincount(targets * k + predictions, minlength=k * k).reshape(k, k).numpy()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = min(7.5, 2.6 + 0.42 * k)
    fig, ax = plt.subplots(figsize=(min(8, side + 1.6), side), layout="constrained")
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    size = FONT if k <= 10 else FONT - 2
    if k <= 20:
        for r in range(k):
            for c in range(k):
                if counts[r, c]:
                    ax.text(c, r, str(counts[r, c]), ha="center", va="center", fontsize=size,
                            color="white" if share[r, c] > 0.6 else "black")
    turn = {"rotation": 45, "ha": "right"} if k > 4 else {}
    ax.set_xticks(range(k), [str(n) for n in class_names], fontsize=size, **turn)
    ax.set_yticks(range(k), [str(n) for n in class_names], fontsize=size)
    ax.set_xlabel("predicted class", fontsize=FONT)
    ax.set_ylabel("true class", fontsize=FONT)
    acc = float(np.trace(counts)) / counts.sum()
    ax.set_title(f"confusion matrix: accuracy {acc:.3f} (n={counts.sum()})", fontsize=FONT + 1)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("share of the true class", fontsize=FONT - 1)
    bar.ax.tick_params(labelsize=FONT - 1)
    return fig
