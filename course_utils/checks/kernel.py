"""Fixtures and check pieces that more than one lesson's checks share (common.py holds the harness).

Coded tensors: every number names where it sits, so a message can say which sequence, step, hour or
feature a learner's answer moved where. The window pieces serve make_windows (notebook 02) and
forecast_windows (notebook 11): the reference windows, the first window that differs, its hours.
"""

from __future__ import annotations

import torch

__all__ = ["coded", "coded_series", "first_mismatch", "hours_of", "windows"]


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
