"""The shape oracle: what nn.LSTM, nn.GRU and nn.RNN return for a given input, before you run it.

    table = cu.expected_shapes(lstm, x)      # x: (batch, seq, feature) or (seq, batch, feature)
    print(table)                             # one line per tensor, every axis named
    out, (h_n, c_n) = lstm(x)
    table.check(out, (h_n, c_n))             # ShapeError (from cu.check_shape) if one differs

Rules it encodes (PyTorch's own documentation of nn.LSTM):
  * out has directions x H_out features, H_out = proj_size if proj_size > 0 else hidden_size;
  * h_n and c_n are (layers x directions, batch, ...) whatever batch_first says;
  * c_n keeps hidden_size when proj_size shrinks h; nn.GRU and nn.RNN have no c_n;
  * a 2-D input is one sequence without a batch axis: no batch axis anywhere in the result;
  * a PackedSequence input gives a PackedSequence out whose .data is (sum(lengths), directions x H_out).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .shapes import ShapeError, _fmt, _named, check_shape

__all__ = ["ShapeTable", "expected_shapes", "last_layer", "split_h_n"]

_RNN_TYPES = (nn.LSTM, nn.GRU, nn.RNN)


@dataclass(frozen=True)
class _Row:
    name: str  # "x", "out", "out.data", "h_n", ...
    axes: tuple[str, ...]  # axis names as printed ("steps" for the rows of packed data)
    sizes: tuple[int, ...]
    note: str = ""

    @property
    def spec(self) -> str:
        """The spec for check_shape ("steps", the packed rows, are checked as "seq")."""
        return " ".join("seq" if a == "steps" else a for a in self.axes)


class ShapeTable:
    """Expected shapes of an RNN's input and outputs. Print it, index it, or check real outputs.

        table["out"]   -> (4, 7, 10)          table.c_n -> None for nn.GRU / nn.RNN
        table.check(out, (h_n, c_n))           raises ShapeError when a shape differs
    """

    def __init__(self, module: str, rows: list[_Row], kind: str, batch_sizes=None):
        self.module = module
        self.rows = rows
        self.kind = kind  # "LSTM", "GRU" or "RNN"
        self.batch_sizes = batch_sizes  # (seq,) for a packed input, else None
        self._by_name = {row.name: row for row in rows}

    @property
    def packed(self) -> bool:
        return self.batch_sizes is not None

    def __getitem__(self, name: str) -> tuple[int, ...]:
        if name not in self._by_name:
            raise KeyError(f"no row {name!r}; the rows are {', '.join(self._by_name)}")
        return self._by_name[name].sizes

    def spec(self, name: str) -> str:
        """The axis names of a row as a check_shape spec, e.g. "batch seq hidden"."""
        self[name]
        return self._by_name[name].spec

    @property
    def out(self) -> tuple[int, ...]:
        """Shape of out; of out.data for a packed input."""
        return self["out.data" if self.packed else "out"]

    @property
    def h_n(self) -> tuple[int, ...]:
        return self["h_n"]

    @property
    def c_n(self) -> tuple[int, ...] | None:
        return self["c_n"] if "c_n" in self._by_name else None

    def __str__(self) -> str:
        cells = [(r.name, _fmt(r.sizes), _named(r.axes, r.sizes), r.note) for r in self.rows]
        widths = [max(len(c[k]) for c in cells) for k in range(3)]
        lines = [f"expected shapes for {self.module}"]
        for c in cells:
            lines.append(
                f"  {c[0]:<{widths[0]}}  {c[1]:<{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]}".rstrip()
            )
        return "\n".join(lines)

    __repr__ = __str__

    def show(self) -> None:
        """Print the table."""
        print(self)

    def check(self, out, state=None) -> None:
        """Compare real outputs with the table; raise ShapeError (an AssertionError) at the first difference.

        out:   what the module returned first (a PackedSequence for a packed input), or the
               whole result `lstm(x)` as one (out, state) pair.
        state: (h_n, c_n) for nn.LSTM, h_n for nn.GRU / nn.RNN; None skips the state.
        """
        __tracebackhide__ = True
        if state is None and isinstance(out, tuple) and not isinstance(out, PackedSequence):
            if len(out) == 2:
                out, state = out
        if self.packed:
            self._check_packed(out)
        else:
            self._check_row(out, "out")
        if state is None:
            return
        if self.kind == "LSTM":
            if not (isinstance(state, tuple) and len(state) == 2):
                raise ShapeError(
                    f"the state of an nn.LSTM is a pair (h_n, c_n), not {type(state).__name__}.\n"
                    "  Fix:  out, (h_n, c_n) = lstm(x)    then    table.check(out, (h_n, c_n))"
                )
            self._check_row(state[0], "h_n")
            self._check_row(state[1], "c_n")
        else:
            if isinstance(state, tuple):
                raise ShapeError(
                    f"an nn.{self.kind} returns one state tensor h_n (it has no cell state c_n), "
                    f"but a tuple of {len(state)} was given.\n"
                    f"  Fix:  out, h_n = rnn(x)    then    table.check(out, h_n)"
                )
            self._check_row(state, "h_n")

    def _check_row(self, tensor, name):
        __tracebackhide__ = True
        row = self._by_name[name]
        check_shape(tensor, row.spec, name=name, **dict(zip(row.axes, row.sizes, strict=True)))

    def _check_packed(self, out):
        __tracebackhide__ = True
        if not isinstance(out, PackedSequence):
            raise ShapeError(
                f"out should be a PackedSequence (the input was packed), but it is a "
                f"{type(out).__name__}.\n"
                "  Check what the module returned, before pad_packed_sequence.\n"
                "  Fix:  out, state = lstm(packed)    then    table.check(out, state)"
            )
        row = self._by_name["out.data"]
        check_shape(out.data, row.spec, name="out.data", seq=row.sizes[0], hidden=row.sizes[1])
        if not torch.equal(out.batch_sizes.cpu(), self.batch_sizes):
            raise ShapeError(
                f"out.batch_sizes is {out.batch_sizes.tolist()}, but the input had "
                f"{self.batch_sizes.tolist()}.\n"
                "  out comes from a different packed input than the one given to expected_shapes."
            )


def _check_rnn(rnn):
    if isinstance(rnn, (nn.LSTMCell, nn.GRUCell, nn.RNNCell)):
        raise TypeError(
            f"expected_shapes() takes a whole-sequence module (nn.LSTM, nn.GRU, nn.RNN), not the "
            f"one-step cell {type(rnn).__name__}: a cell returns (h_t, c_t) of shape (batch, hidden)."
        )
    if not isinstance(rnn, _RNN_TYPES):
        raise TypeError(
            "the first argument must be an nn.LSTM, nn.GRU or nn.RNN module, e.g. "
            f"nn.LSTM(3, 5, batch_first=True); got {type(rnn).__name__}."
        )


def _as_tensor(x):
    """x as a tensor, a PackedSequence, or (for a shape tuple) an empty tensor on the meta device."""
    if isinstance(x, (torch.Tensor, PackedSequence)):
        return x
    if isinstance(x, tuple) and all(isinstance(s, int) and not isinstance(s, bool) for s in x):
        return torch.empty(x, device="meta")
    raise TypeError(
        "x must be the input you would give the module: a tensor (seq, batch, feature) or "
        "(batch, seq, feature), a 2-D tensor (seq, feature) for one sequence, a PackedSequence, "
        f"or just its shape as a tuple such as (4, 7, 3); got {type(x).__name__}."
    )


def expected_shapes(rnn, x) -> ShapeTable:
    """The shapes `rnn(x)` returns, as a printable table with every axis named.

    rnn: nn.LSTM, nn.GRU or nn.RNN (any batch_first, num_layers, bidirectional, proj_size).
    x:   (seq, batch, feature), or (batch, seq, feature) when batch_first=True;
         (seq, feature) for one sequence without a batch axis; a PackedSequence whose .data is
         (sum(lengths), feature); or the shape alone as a tuple.

    With D = 2 if bidirectional else 1 and H_out = proj_size or hidden_size:
      out  (batch, seq, D*H_out) or (seq, batch, D*H_out); (seq, D*H_out) unbatched;
           packed: a PackedSequence with .data (sum(lengths), D*H_out), same batch_sizes
      h_n  (layers*D, batch, H_out); (layers*D, H_out) unbatched       (batch_first never applies)
      c_n  (layers*D, batch, hidden_size), nn.LSTM only (None for nn.GRU / nn.RNN)
    x must have feature = rnn.input_size; if not, ShapeError says what is wrong with x.
    """
    __tracebackhide__ = True
    _check_rnn(rnn)
    x = _as_tensor(x)
    kind = rnn.mode.split("_")[0]  # "LSTM", "GRU", "RNN" (from RNN_TANH / RNN_RELU)
    d = 2 if rnn.bidirectional else 1
    hidden = rnn.hidden_size
    h_out = rnn.proj_size if getattr(rnn, "proj_size", 0) else hidden
    layers = rnn.num_layers * d
    feature = rnn.input_size

    if isinstance(x, PackedSequence):
        data = x.data
        check_shape(data, "seq feature", feature=feature, name="x.data")
        batch_sizes = x.batch_sizes.cpu()
        batch, steps, seq = int(batch_sizes[0]), data.shape[0], batch_sizes.numel()
        rows = [
            _Row("x.data", ("steps", "feature"), (steps, feature), "steps = sum(lengths)"),
            _Row("x.batch_sizes", ("seq",), (seq,), "sequences still running at each step"),
            _Row("out.data", ("steps", "hidden"), (steps, d * h_out), _out_note(rnn, d, h_out)),
            _Row("out.batch_sizes", ("seq",), (seq,), "the same as x.batch_sizes"),
        ]
        state_axes, state_sizes = ("layers", "batch"), (layers, batch)
    else:
        _check_x(x, rnn)
        if x.dim() == 2:  # one sequence, no batch axis
            seq = x.shape[0]
            rows = [
                _Row("x", ("seq", "feature"), (seq, feature), "one sequence, no batch axis"),
                _Row("out", ("seq", "hidden"), (seq, d * h_out), _out_note(rnn, d, h_out)),
            ]
            state_axes, state_sizes = ("layers",), (layers,)
        else:
            axes = ("batch", "seq") if rnn.batch_first else ("seq", "batch")
            lead = tuple(x.shape[:2])
            batch = lead[axes.index("batch")]
            rows = [
                _Row("x", axes + ("feature",), lead + (feature,)),
                _Row("out", axes + ("hidden",), lead + (d * h_out,), _out_note(rnn, d, h_out)),
            ]
            state_axes, state_sizes = ("layers", "batch"), (layers, batch)
        batch_sizes = None

    layer_note = f"layers = num_layers {rnn.num_layers} x {d} direction{'s' if d > 1 else ''}"
    if rnn.batch_first and len(state_axes) == 2:
        layer_note += "; batch_first does not apply"
    rows.append(_Row("h_n", state_axes + ("hidden",), state_sizes + (h_out,), layer_note))
    if kind == "LSTM":
        note = f"keeps hidden_size {hidden} (proj_size shrinks h only)" if h_out != hidden else ""
        rows.append(_Row("c_n", state_axes + ("hidden",), state_sizes + (hidden,), note))
    return ShapeTable(repr(rnn), rows, kind, batch_sizes)


def _out_note(rnn, d, h_out) -> str:
    size = f"proj_size {h_out}" if getattr(rnn, "proj_size", 0) else f"hidden_size {h_out}"
    return f"hidden = 2 directions x {size}" if d == 2 else ""


def _check_x(x, rnn):
    """A 2-D x whose last axis is the feature is one sequence; anything else must be 3-D."""
    __tracebackhide__ = True
    spec = "batch seq feature" if rnn.batch_first else "seq batch feature"
    if x.dim() not in (1, 2, 3):
        raise ShapeError(
            f"x has {x.dim()} axes, shape {_fmt(x.shape)}, but an RNN takes 3: "
            f"({spec.replace(' ', ', ')}), or 2, (seq, feature), for one sequence.\n"
            "  Fix:  build x with those axes; x.reshape(...) or x.squeeze(...) drop extra ones"
        )
    if not (x.dim() == 2 and x.shape[-1] == rnn.input_size):
        check_shape(x, spec, feature=rnn.input_size, name="x")
    if x.device.type != "meta" and not x.is_floating_point():
        raise TypeError(
            f"x holds {x.dtype} values, but an RNN takes float features. Token ids go through "
            "nn.Embedding first:  x = embedding(ids)    # (batch, seq) -> (batch, seq, emb)"
        )


def _require_tensor(value, name):
    if isinstance(value, torch.Tensor):
        return
    if isinstance(value, tuple) and len(value) == 2:
        raise TypeError(
            f"{name} must be the tensor h_n, not a pair. nn.LSTM returns out, (h_n, c_n):\n"
            "  Fix:  out, (h_n, c_n) = lstm(x)    then pass h_n"
        )
    raise TypeError(
        f"{name} must be a tensor (layers x directions, batch, hidden), got {type(value).__name__}."
    )


def _directions(bidirectional) -> int:
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional must be True or False, not {bidirectional!r}.")
    return 2 if bidirectional else 1


def split_h_n(h_n: torch.Tensor, num_layers: int, bidirectional: bool) -> torch.Tensor:
    """h_n (layers*directions, batch, hidden) -> (layers, directions, batch, hidden).

    [layer, 0] is the forward direction, [layer, 1] the backward one; [-1] is the last layer.
    An unbatched h_n (layers*directions, hidden) gives (layers, directions, hidden).
    Works for c_n too. This is PyTorch's documented h_n.view(num_layers, directions, batch, hidden).
    """
    __tracebackhide__ = True
    _require_tensor(h_n, "h_n")
    d = _directions(bidirectional)
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"num_layers must be a whole number >= 1 (rnn.num_layers), not {num_layers!r}.")
    if h_n.dim() not in (2, 3):
        raise ShapeError(
            f"h_n should be (layers, batch, hidden), or (layers, hidden) unbatched, but its shape "
            f"is {_fmt(h_n.shape)}.\n  Fix:  pass the h_n that nn.LSTM returned, unchanged"
        )
    spec = "layers batch hidden" if h_n.dim() == 3 else "layers hidden"
    check_shape(h_n, spec, layers=num_layers * d, name="h_n")
    return h_n.view(num_layers, d, *h_n.shape[1:])


def last_layer(h_n: torch.Tensor, bidirectional: bool) -> torch.Tensor:
    """The last layer's final state, one row per sequence: (batch, directions*hidden).

    h_n: (layers*directions, batch, hidden) as returned by nn.LSTM / nn.GRU / nn.RNN.
    Bidirectional: torch.cat([h_n[-2], h_n[-1]], dim=-1), forward then backward, as in `out`.
    Unidirectional: h_n[-1]. An unbatched h_n (layers*directions, hidden) gives (directions*hidden,).
    """
    __tracebackhide__ = True
    _require_tensor(h_n, "h_n")
    d = _directions(bidirectional)
    if h_n.dim() not in (2, 3):
        raise ShapeError(
            f"h_n should be (layers, batch, hidden), or (layers, hidden) unbatched, but its shape "
            f"is {_fmt(h_n.shape)}.\n  Fix:  pass the h_n that nn.LSTM returned, unchanged"
        )
    if h_n.shape[0] % d:
        raise ShapeError(
            f"h_n has {h_n.shape[0]} rows on its first axis (layers x directions); a bidirectional "
            "module has an even number.\n"
            "  Fix:  last_layer(h_n, bidirectional=False)    or pass the h_n of the bidirectional LSTM"
        )
    if d == 1:
        return h_n[-1]
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)
