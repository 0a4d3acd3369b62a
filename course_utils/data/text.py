"""Real sentences, a tokenizer, a vocabulary and a collate function that pads.

Movie-review sentences: 10,605 one-sentence snippets of Rotten Tomatoes reviews (Pang & Lee),
each rated by at least 20 people from -4 to +4 (VADER ground truth, Hutto & Gilbert, ICWSM 2014).
Label 1 = positive mean rating, 0 = negative; the 37 sentences rated exactly 0 and 2 repeated sentences are dropped.
"""

from __future__ import annotations

import io
import random
import re
import tarfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch

from .. import heldout
from .fetch import archive_path

PAD, UNK = "<pad>", "<unk>"

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-case words, numbers and punctuation marks: "It's great!" -> ["it's", "great", "!"]."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Review:
    text: str
    score: float  # mean human rating, -4 .. +4
    label: int  # 1 positive, 0 negative


@lru_cache(maxsize=1)
def _all_reviews() -> tuple[Review, ...]:
    with tarfile.open(archive_path("vader")) as outer:
        inner = outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        with tarfile.open(fileobj=io.BytesIO(inner.read())) as tf:
            raw = tf.extractfile("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt").read()
    reviews, seen = [], set()
    for line in raw.decode("utf-8").splitlines():
        if not line.strip():
            continue
        _id, score, text = line.split("\t", 2)
        score, text = float(score), text.strip()
        if score != 0 and text not in seen:  # a few sentences occur twice: keep one, so no split shares one
            seen.add(text)
            reviews.append(Review(text, score, int(score > 0)))
    return tuple(reviews)


SPLITS = {"train": (0.0, 0.8), "valid": (0.8, 0.9), "test": (0.9, 1.0)}


def movie_reviews(split: str = "train") -> list[Review]:
    """Labelled movie-review sentences; the same deterministic 80/10/10 split on every machine.

    split: "train" (8,453), "valid" (1,056), "test" (1,057), or "all" (10,566). In notebooks 09-12
    the test split (and "all") stays closed until the model is trained: see course_utils.heldout.
    """
    heldout.guard(split, "movie_reviews")
    reviews = list(_all_reviews())
    if split == "all":
        return reviews
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or 'all', not {split!r}")
    random.Random(0).shuffle(reviews)
    lo, hi = SPLITS[split]
    return reviews[round(lo * len(reviews)) : round(hi * len(reviews))]


class Vocab:
    """Token <-> id. Id 0 is <pad>, id 1 is <unk>; then tokens by falling count, ties A-Z.

        vocab = Vocab.build(token_lists, min_count=2)
        vocab.encode(["a", "fine", "film"])  -> [5, 812, 19]
    """

    def __init__(self, tokens: Sequence[str]):
        self.itos = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_count: int = 1, max_size=None):
        counts = Counter(t for tokens in token_lists for t in tokens)
        kept = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        return cls(kept[:max_size] if max_size else kept)

    pad_id = 0
    unk_id = 1

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {', '.join(self.itos[:6])}, ...)"


def pad_collate(batch, pad_id: int = 0):
    """Collate (ids, label) pairs of different lengths into padded tensors.

    batch: list of (ids: list[int] or LongTensor (seq_i,), label: int)
    returns ids (batch, seq) LongTensor padded with pad_id, lengths (batch,), labels (batch,)
    """
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_id)
    labels = torch.tensor([label for _, label in batch])
    return ids, lengths, labels
