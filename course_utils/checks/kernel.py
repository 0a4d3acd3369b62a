"""Fixtures and check pieces that more than one lesson's checks share (common.py holds the harness).

Coded tensors: every number names where it sits, so a message can say which sequence, step, hour or
feature a learner's answer moved where. The window pieces serve make_windows (notebook 02) and
forecast_windows (notebook 11): the reference windows, the first window that differs, its hours.
The LSTM pieces serve the hand-made stacks of notebooks 05 (layers) and 06 (directions): the
check's own copy of one layer's weights, and what a function that mimics nn.LSTM returned.
"""

from __future__ import annotations

import torch

__all__ = ["PARAMS", "coded", "coded_series", "copy_layer_weights", "first_mismatch", "hours_of",
           "lstm_result_parts", "tensor_list", "windows"]

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # the four tensors of one layer of nn.LSTM


def coded(batch: int, seq: int, feature: int) -> torch.Tensor:
    """(batch, seq, feature) floats whose value 100*b + 10*t + f names sequence b, step t, feature f."""
    b = torch.arange(batch).view(-1, 1, 1)
    t = torch.arange(seq).view(1, -1, 1)
    f = torch.arange(feature).view(1, 1, -1)
    return (100 * b + 10 * t + f).float()


def coded_series(hours: int, feature: int) -> torch.Tensor:
    """(hours, feature) floats whose value 10*t + f names hour t, feature f."""
    return (10 * torch.arange(hours).view(-1, 1) + torch.arange(feature).view(1, -1)).float()


def windows(series: torch.Tensor, n: int, seq: int) -> torch.Tensor:
    """(n, seq, feature): window i is series[i : i + seq], the reference the window checks compare with."""
    return torch.stack([series[i:i + seq] for i in range(n)])


def first_mismatch(got: torch.Tensor, want: torch.Tensor) -> int | None:
    """The first row of got that differs from want's (same shapes), or None when all are equal."""
    if torch.equal(got, want):
        return None
    return next(i for i in range(len(want)) if not torch.equal(got[i], want[i]))


def hours_of(column) -> list[int]:
    """The hours a column of a coded series holds (value 10*t + f is hour t)."""
    return [int(v) // 10 for v in column]


def copy_layer_weights(single: torch.nn.LSTM, source: torch.nn.LSTM, layer: int, suffix: str = "") -> None:
    """The check's own copy (never the learner's): source's layer `layer` (suffix '_reverse' for the
    backward direction) -> single's _l0."""
    with torch.no_grad():
        for name in PARAMS:
            getattr(single, f"{name}_l0").copy_(getattr(source, f"{name}_l{layer}{suffix}"))


def lstm_result_parts(result) -> tuple | None:
    """(out, h_n, c_n) when result has nn.LSTM's form, out, (h_n, c_n); None when it has not."""
    if (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], (tuple, list))
            and len(result[1]) == 2):
        out, (h_n, c_n) = result
        return out, h_n, c_n
    return None


def tensor_list(t) -> bool:
    """t is a Python list or tuple of tensors: per-layer (or per-direction) states not joined yet."""
    return isinstance(t, (list, tuple)) and bool(t) and all(isinstance(r, torch.Tensor) for r in t)
