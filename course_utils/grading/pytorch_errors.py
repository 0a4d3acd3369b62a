"""Real PyTorch errors around LSTMs, embeddings, packing and losses, each provoked by running code.

tests/test_explain.py proves course_utils.explain explains each one (a new PyTorch wording fails a
test), and docs/mistakes.md (`make mistakes`) lists them with the explanation a learner reads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

X = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(0))  # (batch=4, seq=7, feature=3)
PACKED = pack_padded_sequence(X, torch.tensor([7, 5, 3, 1]), batch_first=True)


def backward_twice():
    lstm, x = nn.LSTM(3, 5), torch.randn(7, 4, 3)
    out, state = lstm(x)
    out.sum().backward()
    out, state = lstm(x, state)
    out.sum().backward()


# name of the explainer, code that makes PyTorch raise, words the explanation must contain
CASES = [
    ("rnn-input-size", lambda: nn.LSTM(10, 20)(X),
     ["input_size=10", "last axis of your x has 3", "Fix:  nn.LSTM(input_size=3"]),
    ("rnn-input-size", lambda: nn.GRU(10, 20)(X), ["input_size=10"]),
    ("rnn-state-shape", lambda: nn.LSTM(3, 20)(torch.randn(5, 4, 3), (torch.zeros(1, 7, 20),) * 2),
     ["h0 must be (layers x directions=1, batch=4, hidden=20)", "made for batch=7", "x.size(1)"]),
    ("rnn-state-shape", lambda: nn.LSTM(3, 20)(torch.randn(5, 4, 3), (torch.zeros(1, 4, 20), torch.zeros(1, 7, 20))),
     ["c0 must be", "batch=7"]),
    ("rnn-state-shape", lambda: nn.LSTM(3, 20, num_layers=2)(torch.randn(5, 4, 3), (torch.zeros(1, 4, 20),) * 2),
     ["yours has 1 rows", "num_layers * num_directions", "(2, 4, 20)"]),
    ("rnn-state-shape", lambda: nn.GRU(3, 20)(torch.randn(5, 4, 3), torch.zeros(1, 7, 20)), ["made for batch=7"]),
    ("rnn-state-shape", lambda: nn.LSTM(3, 20, proj_size=5)(torch.randn(7, 4, 3), (torch.zeros(1, 4, 20),) * 2),
     ["its last axis has 20", "proj_size", "torch.zeros(1, 4, 5)"]),
    ("rnn-input-dims", lambda: nn.LSTM(10, 20)(torch.randn(2, 4, 7, 10)), ["yours has 4", "squeeze(2)"]),
    ("rnn-input-dims", lambda: nn.LSTM(1, 20)(torch.randn(10)), ["1-D", "x.view(-1, 1, 1)"]),
    ("rnn-unbatched-state", lambda: nn.LSTM(3, 20)(torch.randn(7, 3), (torch.zeros(1, 4, 20),) * 2),
     ["ONE sequence without a batch axis", "x.unsqueeze(1)"]),
    ("rnn-dtype", lambda: nn.LSTM(3, 20)(torch.randint(0, 5, (7, 4, 3))), ["token ids", "embedding(ids)"]),
    ("rnn-dtype", lambda: nn.LSTM(3, 20)(torch.randn(7, 4, 3, dtype=torch.float64)),
     ["float64", "x.to(torch.float32)"]),
    ("lstm-state-not-a-pair", lambda: nn.LSTM(3, 20)(torch.randn(7, 4, 3), torch.zeros(1, 4, 20)),
     ["PAIR (h0, c0)", "lstm(x, (h0, c0))"]),
    ("gru-state-is-a-pair", lambda: nn.GRU(3, 20)(torch.randn(7, 4, 3), (torch.zeros(1, 4, 20),) * 2),
     ["take h0 alone", "gru(x, h0)"]),
    ("embedding-index", lambda: nn.Embedding(11, 3)(torch.tensor([[1, 11]])),
     ["id is >= num_embeddings", "padding_idx=pad_id"]),
    ("embedding-dtype", lambda: nn.Embedding(11, 3)(torch.tensor([[1.0, 2.0]])),
     ["integer id", "torch.FloatTensor", "ids.long()"]),
    ("pack-unsorted", lambda: pack_padded_sequence(X, torch.tensor([3, 7, 1, 5]), batch_first=True),
     ["longest sequence first", "enforce_sorted=False"]),
    ("pack-zero-length", lambda: pack_padded_sequence(X, torch.tensor([7, 5, 3, 0]), batch_first=True),
     ["length 0 cannot be packed"]),
    ("pack-lengths-tensor", lambda: pack_padded_sequence(X, torch.tensor([[7, 5, 3, 1]]), batch_first=True),
     ["yours is 2-D", "lengths.view(-1)"]),
    ("pack-lengths-count", lambda: pack_padded_sequence(X, torch.tensor([7, 5, 3]), batch_first=True),
     ["3 lengths, but packing read batch=4"]),
    ("unpack-total-length", lambda: pad_packed_sequence(PACKED, batch_first=True, total_length=5),
     ["5 < the longest sequence, 7", "total_length=x.size(1)"]),
    ("packed-into-module", lambda: nn.Linear(3, 2)(PACKED), ["pad_packed_sequence(out, batch_first=True)"]),
    ("linear-in-features", lambda: nn.Linear(20, 2)(torch.randn(4, 40)),
     ["40 = 2 x 20", "bidirectional", "nn.Linear(2 * hidden_size, 2)"]),
    ("linear-in-features", lambda: nn.Linear(20, 2)(torch.randn(4, 7)), ["in_features=20", "nn.Linear(7, 2)"]),
    ("linear-dtype", lambda: nn.Linear(3, 2)(torch.tensor([[1, 2, 3]])), ["Integers (Long)", "nn.Embedding"]),
    ("loss-batch", lambda: nn.CrossEntropyLoss()(torch.randn(28, 5), torch.randint(0, 5, (4,))),
     ["28 = 4 x 7", "one row per STEP", "h_n[-1]"]),
    ("loss-batch", lambda: nn.CrossEntropyLoss()(torch.randn(6, 5), torch.randint(0, 5, (4,))),
     ["6 rows and the targets 4"]),
    ("loss-class-axis", lambda: nn.CrossEntropyLoss()(torch.randn(4, 7, 5), torch.randint(0, 5, (4, 7))),
     ["CLASS axis as axis 1", "(batch=4, seq=7, classes=5)", "logits.transpose(1, 2)"]),
    ("loss-target-dtype", lambda: nn.CrossEntropyLoss()(torch.randn(4, 5), torch.tensor([1.0, 2, 3, 4])),
     ["integer ids", "targets.long()"]),
    ("loss-target-dtype", lambda: F.nll_loss(torch.randn(4, 5), torch.tensor([1.0, 2, 3, 4])), ["Float"]),
    ("loss-target-range", lambda: nn.CrossEntropyLoss()(torch.randn(4, 5), torch.tensor([1, 2, 3, 5])),
     ["Target 5 is not a class", "labels counted from 1"]),
    ("loss-target-range", lambda: nn.CrossEntropyLoss()(torch.randn(4, 5), torch.tensor([1, 2, 3, -1])),
     ["ignore_index"]),
    ("loss-multi-target", lambda: nn.CrossEntropyLoss()(torch.randn(4, 5), torch.randint(0, 5, (4, 1))),
     ["(batch, 1)", "targets.squeeze(1)"]),
    ("bce-shape", lambda: nn.BCEWithLogitsLoss()(torch.randn(4, 1), torch.rand(4)),
     ["logits (4, 1) and targets (4)", "logits.squeeze(-1)"]),
    ("view-non-contiguous", lambda: torch.randn(7, 4, 5).transpose(0, 1).view(4, 35),
     ["transpose or permute", "x.reshape(...)"]),
    ("backward-twice", backward_twice, ["s.detach() for s in state", "retain_graph=True is not the fix"]),
]


def provoke(code) -> BaseException:
    """Run code that must raise; return the error it raised."""
    try:
        code()
    except Exception as error:  # every error PyTorch raises is what we want
        return error
    raise AssertionError(f"{code} raised nothing")
