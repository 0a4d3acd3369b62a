"""Batches of sequences of similar length ("bucketing"): one sampler for notebooks 09, 10 and 12.

Introduced in notebook 09, reused in 10 and 12: sorting by length before cutting batches removes
almost all the padding, so an epoch runs fewer LSTM steps.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import torch


class LengthBatches:
    """Batches of sentences of similar length ("bucketing"), for DataLoader(batch_sampler=...).

    The sentences are sorted by length and cut into batches of batch_size; with shuffle, the order
    of the batches changes every epoch, drawn from a generator seeded once (the same every run).
    Less padding per batch: fewer LSTM steps, a faster epoch.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = False, seed: int = 0):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, not {batch_size!r}")
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
        self.batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        self.shuffle = shuffle
        self._rng = random.Random(seed)

    def __iter__(self):
        batches = list(self.batches)
        if self.shuffle:
            self._rng.shuffle(batches)
        return iter(batches)

    def __len__(self) -> int:
        return len(self.batches)


def padding_share(lengths: Sequence[int], batches: Iterable[Sequence[int]]) -> float:
    """Share of the padded positions (batch x seq, summed over the batches) that are padding."""
    lengths = torch.as_tensor(list(lengths))
    total = sum(len(b) * int(lengths[list(b)].max()) for b in batches)
    return 1 - int(lengths.sum()) / total if total else 0.0
