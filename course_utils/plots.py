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


# --- why LSTMs exist (notebook 03): the gradient that reaches each step, and the cell itself -------


def gradient_reach(norms: dict, title: str = "the gradient of the last output, reaching back to step t"):
    """One line per model: the norm of d(loss)/d(x_t) against the step t, on a log scale.

    norms: {label: (seq,) tensor or list of gradient norms, one per input step}, e.g. from
        x.requires_grad_(); out[-1].sum().backward(); x.grad.norm(dim=(1, 2)).
    Steps whose gradient is exactly 0 (underflow) are left out of the log plot.
    Returns the Figure (one axis).
    """
    if not isinstance(norms, dict) or not norms:
        raise TypeError("norms must be a dict {label: one gradient norm per step}, e.g. {'nn.RNN': g}.")
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    for label, values in norms.items():
        if isinstance(values, torch.Tensor):
            values = values.detach().cpu().numpy()
        values = np.asarray(values, dtype=float).reshape(-1)
        steps = np.arange(len(values))
        keep = values > 0
        ax.semilogy(steps[keep], values[keep], label=str(label), linewidth=1.8)
    ax.set_xlabel("step t of the input (the loss reads the output at the last step)", fontsize=FONT)
    ax.set_ylabel("gradient norm at step t\n|d loss / d x_t| (log scale)", fontsize=FONT)
    ax.set_title(title, fontsize=FONT + 1)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=FONT, loc="lower right")
    ax.tick_params(labelsize=FONT - 1)
    return fig


def _box(ax, x, y, text, color, w=0.9, h=0.55, size=FONT):
    ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def _circle(ax, x, y, text, r=0.22):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor="black", lw=1, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT + 2, zorder=4)


def _line(ax, points, color="black", lw=1.2, arrow=True, zorder=1):
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1] if arrow else xs, ys[:-1] if arrow else ys, color=color, lw=lw, zorder=zorder)
    if arrow:
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=10,
                                     color=color, lw=lw, zorder=zorder))


def lstm_cell():
    """A picture of one LSTM step with the names the code uses.

    Inputs x_t, h_prev, c_prev; the four gates i, f, g, o (sigmoid, sigmoid, tanh, sigmoid), each a
    block of rows of W_ih, W_hh, b_ih, b_hh; the additive path c_t = f * c_prev + i * g along the top
    (drawn thick: the gradient runs along it, scaled only by f); and h_t = o * tanh(c_t).
    Returns the Figure (one axis, no ticks).
    """
    fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    ax.set_xlim(-0.4, 10.4)
    ax.set_ylim(-0.9, 5.0)
    ax.axis("off")
    path = "#c0392b"
    top = 4.0
    # the cell state: the additive path
    _line(ax, [(-0.2, top), (2.0 - 0.22, top)], color=path, lw=3)
    _circle(ax, 2.0, top, "×")
    _line(ax, [(2.0 + 0.22, top), (5.0 - 0.22, top)], color=path, lw=3)
    _circle(ax, 5.0, top, "+")
    _line(ax, [(5.0 + 0.22, top), (10.2, top)], color=path, lw=3)
    ax.text(-0.2, top + 0.3, "c_prev", fontsize=FONT + 1, color=path, ha="left")
    ax.text(10.2, top + 0.3, "c_t", fontsize=FONT + 1, color=path, ha="right")
    ax.text(5.0, top + 0.55, "c_t = f * c_prev + i * g   (the additive path: no weight matrix, no squashing)",
            fontsize=FONT, color=path, ha="center")
    # the gates, from [x_t, h_prev]
    gates = [("f", "sigmoid", 2.0, "forget gate"), ("i", "sigmoid", 3.5, "input gate"),
             ("g", "tanh", 5.0, "cell candidate"), ("o", "sigmoid", 7.0, "output gate")]
    colors = {"sigmoid": "#d6e9f8", "tanh": "#fde2c8"}
    gy = 1.6
    _line(ax, [(1.0, 0.2), (7.0, 0.2)], arrow=False)
    _line(ax, [(-0.2, 0.55), (0.6, 0.55), (1.0, 0.2)], arrow=False)
    _line(ax, [(-0.2, -0.15), (0.6, -0.15), (1.0, 0.2)], arrow=False)
    ax.text(-0.2, 0.65, "h_prev", fontsize=FONT + 1, ha="left", va="bottom")
    ax.text(-0.2, -0.25, "x_t", fontsize=FONT + 1, ha="left", va="top")
    h = 0.8
    for name, act, x, job in gates:
        _line(ax, [(x, 0.2), (x, gy - h / 2)])
        _box(ax, x, gy, f"{name} = {act}\n{job}", colors[act], w=1.3, h=h)
    # f scales c_prev
    _line(ax, [(2.0, gy + h / 2), (2.0, top - 0.22)])
    # i * g written into c
    _circle(ax, 4.25, 2.9, "×")
    _line(ax, [(3.5, gy + h / 2), (3.5, 2.9), (4.25 - 0.22, 2.9)])
    _line(ax, [(5.0, gy + h / 2), (5.0, 2.9), (4.25 + 0.22, 2.9)])
    _line(ax, [(4.25, 2.9 + 0.22), (5.0 - 0.16, top - 0.16)])
    ax.text(4.25, 2.5, "i * g", fontsize=FONT, ha="center", va="top")
    # h_t = o * tanh(c_t)
    _box(ax, 8.4, 3.1, "tanh", colors["tanh"], w=0.8, h=0.45)
    _line(ax, [(8.4, top), (8.4, 3.1 + 0.23)])
    _circle(ax, 8.4, 2.0, "×")
    _line(ax, [(8.4, 3.1 - 0.23), (8.4, 2.0 + 0.22)])
    _line(ax, [(7.0, gy + h / 2), (7.0, 2.0), (8.4 - 0.22, 2.0)])
    _line(ax, [(8.4 + 0.22, 2.0), (10.2, 2.0)])
    ax.text(10.2, 2.2, "h_t  (= out[t])", fontsize=FONT + 1, ha="right")
    ax.text(9.3, 1.55, "h_t = o * tanh(c_t)", fontsize=FONT, ha="center")
    ax.text(5.0, -0.75, "each gate: its rows of  x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh"
            "   (rows in the order i, f, g, o)", fontsize=FONT - 1, ha="center")
    return fig


__all__ += ["gradient_reach", "lstm_cell"]


def _attention_array(weights):
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().cpu().float().numpy()
    if not isinstance(weights, np.ndarray):
        raise TypeError(f"weights must be a tensor (target seq, source seq), got {type(weights).__name__}.")
    if weights.ndim == 3 and weights.shape[0] == 1:
        raise ValueError(
            f"weights has shape {weights.shape}: take one sequence of the batch first, e.g. "
            "weights[0], to get (target seq, source seq)."
        )
    if weights.ndim != 2:
        raise ValueError(f"weights must be 2-D (target seq, source seq), but its shape is {weights.shape}.")
    return weights


def attention_map(weights, source_tokens, target_tokens):
    """Where each output token looked: attention weights as a grid, one row per target token.

    weights:       (target seq, source seq) attention weights of ONE sequence, e.g. weights[b]
                   of a (batch, target seq, source seq) tensor; each row sums to 1.
    source_tokens: the source's tokens (strings), e.g. list("10 oct 1995"); columns beyond them
                   are padding and are left out, provided their weights are 0.
    target_tokens: the output's tokens, e.g. list("1995-10-10") + ["<eos>"]; rows beyond them
                   (steps after <eos>) are left out.
    Columns are source positions, rows target steps (top = first); darker = more weight.
    Returns the Figure (the map and its colour bar: 2 axes).
    """
    weights = _attention_array(weights)
    if isinstance(source_tokens, str) or isinstance(target_tokens, str):
        raise TypeError("source_tokens and target_tokens must be lists of tokens, e.g. list('10 oct 1995').")
    source, target = [str(t) for t in source_tokens], [str(t) for t in target_tokens]
    rows, cols = weights.shape
    if not source or not target:
        raise ValueError("source_tokens and target_tokens must each hold at least one token.")
    if len(source) > cols or len(target) > rows:
        raise ValueError(
            f"weights is (target seq={rows}, source seq={cols}), but there are {len(target)} target "
            f"and {len(source)} source tokens: too many tokens for these weights (axes swapped?)."
        )
    padding = weights[: len(target), len(source):]
    if padding.size and np.abs(padding).max() > 1e-6:
        raise ValueError(
            f"weights give padding a share (up to {np.abs(padding).max():.3g} at source positions "
            f">= {len(source)}): was the mask applied before the softmax?"
        )
    shown = weights[: len(target), : len(source)]
    width = min(8.0, 1.6 + 0.3 * len(source))
    height = min(6.5, 1.4 + 0.3 * len(target))
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    image = ax.imshow(shown, cmap="Greys", vmin=0, vmax=1, aspect="equal", interpolation="nearest")
    shown_source = ["␣" if t == " " else t for t in source]
    ax.set_xticks(range(len(source)), shown_source, fontsize=FONT)
    ax.set_yticks(range(len(target)), target, fontsize=FONT)
    ax.set_xlabel("source token (what the encoder read)", fontsize=FONT)
    ax.set_ylabel("output token", fontsize=FONT)
    ax.set_title(f"attention: {''.join(source)!r} -> {''.join(t for t in target if len(t) == 1)!r}",
                 fontsize=FONT + 1)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("weight", fontsize=FONT - 1)
    bar.ax.tick_params(labelsize=FONT - 1)
    return fig
__all__ += ["attention_map"]
