"""Notebook 09 checks: right answers pass, each realistic wrong answer fails with its own message.

Every wrong answer here is called through the VISIBLE check (default arguments), the only one a
self-paced learner sees; the grading test (test_grading_09.py) makes the same mistakes as text
edits of the solution, and the end of this file runs those edits through the visible checks too.
The trained-model check is proven on models built here: one that answers the majority class, one
that is accurate but pools over padding (both fail), and a padding-invariant bag of words (passes).
"""

import copy

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import course_utils as cu
from course_utils import heldout
from course_utils.checks import nb09
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import solution

# --- right answers: the instructor's own, the solution notebook's answer cells ------------------------

_s = solution("09")
bag_of_words = _s["bag_of_words"]
fit_best = _s["fit_best"]
SentimentLSTM = _s["SentimentLSTM"]
predict = _s["predict"]
most_wrong = _s["most_wrong"]


class _SentimentParts(nn.Module):
    """SentimentLSTM split into parts that the variants below override, one mistake at a time."""

    def __init__(self, vocab_size, emb_dim, hidden, pad_id, bidirectional=True, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(emb_dim, hidden, batch_first=True, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.head = nn.Linear(3 * directions * hidden, 2)

    def run_lstm(self, ids, lengths, enforce_sorted=False):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=enforce_sorted)
        packed_out, (h_n, _) = self.lstm(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=ids.size(1))
        mask = (torch.arange(ids.size(1), device=ids.device)[None, :] < lengths.to(ids.device)[:, None])[..., None]
        return out, h_n, mask

    def last(self, out, h_n, lengths):
        return torch.cat([h_n[-2], h_n[-1]], dim=-1) if self.lstm.bidirectional else h_n[-1]

    def mean(self, out, mask):
        return (out * mask).sum(dim=1) / mask.sum(dim=1)

    def max(self, out, mask):
        return out.masked_fill(~mask, float("-inf")).amax(dim=1)

    def forward(self, ids, lengths):
        out, h_n, mask = self.run_lstm(ids, lengths)
        features = torch.cat([self.last(out, h_n, lengths), self.mean(out, mask), self.max(out, mask)], dim=-1)
        return self.head(self.dropout(features))


def _fails(check, fn, *words, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert "Fix:" in msg, msg
    for line in msg.splitlines():
        assert len(line) <= 88, f"message line of {len(line)} characters: {line!r}"
    return msg


# --- bag_of_words -------------------------------------------------------------------------------------


def test_bag_of_words_right(capsys):
    nb09.check_bag_of_words(bag_of_words)
    nb09.check_bag_of_words(bag_of_words, configs=(
        dict(sentences=((4, 4, 4, 4), (1,)), seq=6, vocab_size=7, pad_id=6),))
    assert capsys.readouterr().out.count("PASSED bag_of_words") == 2


def test_bag_of_words_other_right_ways():
    def one_hot(ids, vocab_size, pad_id):
        counts = nn.functional.one_hot(ids, vocab_size).sum(dim=1).float()
        counts[:, pad_id] = 0
        return counts

    def masked(ids, vocab_size, pad_id):
        counts = torch.zeros(ids.size(0), vocab_size, device=ids.device)
        return counts.scatter_add_(1, ids, (ids != pad_id).float())

    def loop(ids, vocab_size, pad_id):  # reads values: the meta-device test cannot judge it
        counts = torch.zeros(ids.size(0), vocab_size, device=ids.device)
        for b, row in enumerate(ids.tolist()):
            for i in row:
                if i != pad_id:
                    counts[b, i] += 1
        return counts

    for fn in (one_hot, masked, loop):
        nb09.check_bag_of_words(fn)


def _bow_pad_counted(ids, vocab_size, pad_id):
    counts = torch.zeros(ids.size(0), vocab_size, device=ids.device)
    return counts.scatter_add_(1, ids, torch.ones(ids.shape, device=ids.device))


def _bow_zero_col0(ids, vocab_size, pad_id):
    counts = _bow_pad_counted(ids, vocab_size, pad_id)
    counts[:, 0] = 0
    return counts


def _bow_presence(ids, vocab_size, pad_id):
    counts = torch.zeros(ids.size(0), vocab_size, device=ids.device)
    counts.scatter_(1, ids, 1.0)
    counts[:, pad_id] = 0
    return counts


def _bow_from_ids(ids, vocab_size, pad_id):
    return bag_of_words(ids, int(ids.max()) + 1, pad_id)


def _bow_per_token(ids, vocab_size, pad_id):
    return nn.functional.one_hot(ids, vocab_size).float() * (ids != pad_id)[..., None]


def _bow_long(ids, vocab_size, pad_id):
    counts = nn.functional.one_hot(ids, vocab_size).sum(dim=1)
    counts[:, pad_id] = 0
    return counts


def _bow_cpu(ids, vocab_size, pad_id):
    counts = torch.zeros(ids.size(0), vocab_size)
    counts.scatter_add_(1, ids, torch.ones(ids.shape, device=ids.device))
    counts[:, pad_id] = 0
    return counts


@pytest.mark.parametrize("fn, words", [
    (_bow_pad_counted, ["counts the padding: column pad_id=3 holds [5, 8, 2, 6]", "Fix:  counts[:, pad_id] = 0"]),
    (_bow_zero_col0, ["zeroes column 0, but pad_id is 3 here", "id 0, a real word"]),
    (_bow_presence, ["that is presence, not counts"]),
    (_bow_from_ids, ["has 11 columns, the largest id in the batch + 1, not vocab_size=13"]),
    (_bow_per_token, ["returned (4, 9, 13) = (batch, seq, vocab): one row per token"]),
    (_bow_long, ["returned dtype int64; nn.Linear multiplies floats"]),
    (_bow_cpu, ["returned counts on cpu, but ids were on meta"]),
])
def test_bag_of_words_wrong(fn, words):
    _fails(nb09.check_bag_of_words, fn, *words)


def test_bag_of_words_not_done():
    def blank(ids, vocab_size, pad_id):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="bag_of_words"):
        nb09.check_bag_of_words(blank)


def test_bag_of_words_fix_line_works():
    def fixed(ids, vocab_size, pad_id):
        counts = _bow_pad_counted(ids, vocab_size, pad_id)
        counts[:, pad_id] = 0           # the Fix line
        return counts
    nb09.check_bag_of_words(fixed)


# --- fit_best ------------------------------------------------------------------------------------------

# a loader among this module's globals, as the notebook has one: fit_best must never read it
test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(3, 1), torch.zeros(3).long()))


def test_fit_best_right(capsys):
    nb09.check_fit_best(fit_best)
    nb09.check_fit_best(fit_best, scenarios=(
        dict(epochs=6, best_epoch=5, valid=(dict(x=0.5, label=0, copies=2), dict(x=4.5, label=0, copies=3),
                                            dict(x=5.5, label=1, copies=4))),
        dict(epochs=3, best_epoch=2, valid=(dict(x=0.5, label=0, copies=1), dict(x=1.5, label=0, copies=2),
                                            dict(x=2.5, label=1, copies=2)))))
    assert capsys.readouterr().out.count("PASSED fit_best") == 2
    assert isinstance(test_loader, torch.utils.data.DataLoader)   # put back after the check


def test_fit_best_other_right_way():
    def by_history(model, train_loader, valid_loader, loss_fn, optimizer, epochs, progress=True):
        history, states = cu.History(), []
        for _ in range(epochs):
            history.append(cu.fit(model, train_loader, loss_fn, optimizer, 1, valid_loader=valid_loader,
                                  metrics={"accuracy": cu.accuracy}, progress=progress).last())
            states.append({k: v.clone() for k, v in model.state_dict().items()})
        accuracies = history["valid_accuracy"]
        best = accuracies.index(max(accuracies))
        model.load_state_dict(states[best])
        return history, best + 1
    nb09.check_fit_best(by_history)


def _fit_variant(select="valid_accuracy", deepcopy=True, load=True, one_based=True, loader=None,
                 history_of_last_call=False):
    def fit_wrong(model, train_loader, valid_loader, loss_fn, optimizer, epochs, progress=True):
        history = cu.History()
        best_value, best_epoch, best_state = None, 0, None
        for epoch in range(1, epochs + 1):
            measured_on = globals()[loader] if loader else valid_loader
            h = cu.fit(model, train_loader, loss_fn, optimizer, epochs=1, valid_loader=measured_on,
                       metrics={"accuracy": cu.accuracy}, progress=progress)
            record = h.last()
            if history_of_last_call:
                history = h
            else:
                history.append(record)
            value = -record[select] if select.endswith("loss") else record[select]
            if best_value is None or value > best_value:
                best_value, best_epoch = value, epoch if one_based else epoch - 1
                best_state = copy.deepcopy(model.state_dict()) if deepcopy else model.state_dict()
        if load:
            model.load_state_dict(best_state)
        return history, best_epoch
    return fit_wrong


def _fit_once(model, train_loader, valid_loader, loss_fn, optimizer, epochs, progress=True):
    history = cu.fit(model, train_loader, loss_fn, optimizer, epochs, valid_loader=valid_loader,
                     metrics={"accuracy": cu.accuracy}, progress=progress)
    accuracies = history["valid_accuracy"]
    return history, accuracies.index(max(accuracies)) + 1


@pytest.mark.parametrize("fn, words", [
    (_fit_variant(loader="test_loader"), ["read the notebook's test_loader: the epoch was chosen on the test split"]),
    (_fit_variant(deepcopy=False), ["the model holds epoch 5's weights, not epoch 3's", "a copy must be a copy"]),
    (_fit_variant(load=False), ["the model holds epoch 5's weights, not epoch 3's", "never loaded back"]),
    (_fit_once, ["the model holds epoch 5's weights, not epoch 3's", "never loaded back"]),
    (_fit_variant(select="train_accuracy"), ["best_epoch is 5", "You chose the last epoch"]),
    (_fit_variant(select="valid_loss"), ["best_epoch is 5", "record['valid_accuracy']"]),
    (_fit_variant(one_based=False), ["best_epoch is 2, but the best validation accuracy 1.0000 came after epoch 3",
                                     "count epochs from 1"]),
    (_fit_variant(history_of_last_call=True), ["history has 1 record(s) for 5 epochs"]),
])
def test_fit_best_wrong(fn, words):
    _fails(nb09.check_fit_best, fn, *words)
    assert isinstance(test_loader, torch.utils.data.DataLoader)   # the tripwire is always removed


def test_fit_best_global_train_loader():
    def uses_globals(model, tl, vl, loss_fn, optimizer, epochs, progress=True):
        return fit_best(model, test_loader, vl, loss_fn, optimizer, epochs, progress)
    _fails(nb09.check_fit_best, uses_globals, "test_loader")


def test_fit_best_not_done():
    def blank(model, train_loader, valid_loader, loss_fn, optimizer, epochs, progress=True):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="fit_best"):
        nb09.check_fit_best(blank)


# --- SentimentLSTM -------------------------------------------------------------------------------------


def test_sentiment_lstm_right(capsys):
    nb09.check_sentiment_lstm(SentimentLSTM)
    nb09.check_sentiment_lstm(SentimentLSTM, seed=41, configs=(
        dict(vocab_size=7, emb_dim=3, hidden=4, pad_id=6, bidirectional=True, lengths=(5, 1, 5), seq=7),
        dict(vocab_size=10, emb_dim=6, hidden=2, pad_id=2, bidirectional=False, lengths=(1, 3), seq=3)))
    assert capsys.readouterr().out.count("PASSED SentimentLSTM") == 2


class _OtherOrder(_SentimentParts):          # [max, mean, last], log-probabilities: also right
    def forward(self, ids, lengths):
        out, h_n, mask = self.run_lstm(ids, lengths)
        features = torch.cat([self.max(out, mask), self.mean(out, mask), self.last(out, h_n, lengths)], dim=-1)
        return self.head(self.dropout(features)).log_softmax(dim=-1)


class _GatherLast(_SentimentParts):          # the last valid output gathered from out, as in notebook 07
    def last(self, out, h_n, lengths):
        H = self.lstm.hidden_size
        rows = torch.arange(out.size(0))
        at_end = out[rows, lengths - 1]
        return torch.cat([at_end[:, :H], out[:, 0, H:]], dim=-1) if self.lstm.bidirectional else at_end


def test_sentiment_lstm_other_right_ways():
    nb09.check_sentiment_lstm(_SentimentParts)
    nb09.check_sentiment_lstm(_OtherOrder)
    nb09.check_sentiment_lstm(_GatherLast)


class _LastStep(_SentimentParts):
    def last(self, out, h_n, lengths):
        return out[:, -1]


class _AtLengthsBoth(_SentimentParts):
    def last(self, out, h_n, lengths):
        return out[torch.arange(out.size(0)), lengths - 1]


class _MeanOverPadding(_SentimentParts):
    def mean(self, out, mask):
        return out.mean(dim=1)


class _MaxOverZeros(_SentimentParts):
    def max(self, out, mask):
        return out.amax(dim=1)


class _Sorted(_SentimentParts):
    def forward(self, ids, lengths):
        out, h_n, mask = self.run_lstm(ids, lengths, enforce_sorted=True)
        return self.head(torch.cat([self.last(out, h_n, lengths), self.mean(out, mask), self.max(out, mask)], -1))


class _BackwardOnly(_SentimentParts):
    def last(self, out, h_n, lengths):
        return h_n[-1]


class _Swapped(_SentimentParts):
    def last(self, out, h_n, lengths):
        return torch.cat([h_n[-1], h_n[-2]], dim=-1) if self.lstm.bidirectional else h_n[-1]


class _NotPacked(_SentimentParts):
    def run_lstm(self, ids, lengths, enforce_sorted=False):
        out, (h_n, _) = self.lstm(self.dropout(self.embedding(ids)))
        mask = (torch.arange(ids.size(1))[None, :] < lengths[:, None])[..., None]
        return out, h_n, mask


class _Softmax(_SentimentParts):
    def forward(self, ids, lengths):
        return super().forward(ids, lengths).softmax(dim=-1)


def _with_init(**changes):
    """SentimentLSTM with one part of __init__ built otherwise."""
    class Variant(_SentimentParts):
        def __init__(self, vocab_size, emb_dim, hidden, pad_id, bidirectional=True, dropout=0.3):
            super().__init__(vocab_size, emb_dim, hidden, pad_id, bidirectional, dropout)
            D = 2 if bidirectional else 1
            built = {
                "no_padding_idx": lambda: setattr(self, "embedding", nn.Embedding(vocab_size, emb_dim)),
                "padding_idx_0": lambda: setattr(self, "embedding", nn.Embedding(vocab_size, emb_dim, padding_idx=0)),
                "head_one_direction": lambda: setattr(self, "head", nn.Linear(3 * hidden, 2)),
                "head_one_output": lambda: setattr(self, "head", nn.Linear(3 * D * hidden, 1)),
                "not_batch_first": lambda: setattr(self, "lstm", nn.LSTM(emb_dim, hidden, bidirectional=bidirectional)),
                "always_bidirectional": lambda: setattr(self, "lstm", nn.LSTM(emb_dim, hidden, batch_first=True,
                                                                              bidirectional=True)),
                "two_blocks": lambda: setattr(self, "head", nn.Linear(2 * D * hidden, 2)),
            }
            for name in changes:
                built[name]()
    return Variant


class _TwoBlocks(_with_init(two_blocks=True)):
    def forward(self, ids, lengths):
        out, h_n, mask = self.run_lstm(ids, lengths)
        return self.head(torch.cat([self.mean(out, mask), self.max(out, mask)], dim=-1))


class _NoDropoutArgument(_SentimentParts):
    def __init__(self, vocab_size, emb_dim, hidden, pad_id, bidirectional=True):
        super().__init__(vocab_size, emb_dim, hidden, pad_id, bidirectional)


@pytest.mark.parametrize("cls, words", [
    (_LastStep, ["block 0 of the features", "is out[:, -1] after unpacking"]),
    (_AtLengthsBoth, ["out at lengths - 1 for both directions"]),
    (_MeanOverPadding, ["block 1 of the features", "the mean over all steps, padding included"]),
    (_MaxOverZeros, ["block 2 of the features", "0 wins"]),
    (_Sorted, ["packs with enforce_sorted=True (the default)", "[3, 7, 1, 5] are not sorted",
               "must be sorted in decreasing order"]),
    (_BackwardOnly, ["the head received 25 numbers per sentence, but it takes 30", "h_n[-1] alone is the"]),
    (_Swapped, ["torch.cat([h_n[-1], h_n[-2]]): backward"]),
    (_NotPacked, ["not packed"]),
    (_Softmax, ["returns probabilities (a softmax)", "0.31"]),
    (_with_init(no_padding_idx=True), ["self.embedding has no padding_idx"]),
    (_with_init(padding_idx_0=True), ["has padding_idx=0, but pad_id is 3"]),
    (_with_init(head_one_direction=True), ["self.head is nn.Linear(15, 2), expected nn.Linear(30, 2)",
                                           "sized for one direction"]),
    (_with_init(head_one_output=True), ["self.head is nn.Linear(30, 1)", "this task has 2 classes"]),
    (_with_init(not_batch_first=True), ["batch_first=False"]),
    (_with_init(always_bidirectional=True), ["has bidirectional=True, but the model was built with "
                                             "bidirectional=False"]),
    (_TwoBlocks, ["self.head is nn.Linear(20, 2), expected nn.Linear(30, 2)"]),
    (_NoDropoutArgument, ["failed:", "unexpected keyword argument"]),
])
def test_sentiment_lstm_wrong(cls, words):
    _fails(nb09.check_sentiment_lstm, cls, *words)


def test_sentiment_lstm_not_done():
    class Blank(nn.Module):
        def __init__(self, vocab_size, emb_dim, hidden, pad_id, bidirectional=True, dropout=0.3):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="SentimentLSTM"):
        nb09.check_sentiment_lstm(Blank)

    class BlankForward(SentimentLSTM):
        def forward(self, ids, lengths):
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="SentimentLSTM.forward"):
        nb09.check_sentiment_lstm(BlankForward)


def test_sentiment_lstm_fix_lines_work():
    """The fixes offered for enforce_sorted and the softmax, applied, pass."""
    class SortedFixed(_Sorted):
        def forward(self, ids, lengths):
            out, h_n, mask = self.run_lstm(ids, lengths, enforce_sorted=False)
            return self.head(torch.cat([self.last(out, h_n, lengths), self.mean(out, mask), self.max(out, mask)], -1))
    nb09.check_sentiment_lstm(SortedFixed)
    nb09.check_sentiment_lstm(_with_init())   # padding_idx=pad_id, the head of 3 x D x hidden


# --- predict -------------------------------------------------------------------------------------------


def test_predict_right(capsys):
    nb09.check_predict(predict)
    nb09.check_predict(predict, batch_size=3, seed=11)
    assert capsys.readouterr().out.count("PASSED predict") == 2


def _predict_variant(eval_mode=True, no_grad=True, transform=lambda z: z.softmax(dim=-1)[:, 1], join=True):
    def predict_wrong(model, loader):
        if eval_mode:
            model.eval()
        probs, labels = [], []
        with torch.set_grad_enabled(not no_grad):
            for ids, lengths, y in loader:
                probs.append(transform(model(ids, lengths)))
                labels.append(y)
        return (torch.cat(probs) if join else probs), torch.cat(labels)
    return predict_wrong


@pytest.mark.parametrize("fn, words", [
    (_predict_variant(eval_mode=False), ["left the model in train mode", "model.eval()"]),
    (_predict_variant(transform=lambda z: z.softmax(dim=0)[:, 1]), ["normalised over the batch (softmax(dim=0))"]),
    (_predict_variant(transform=lambda z: z.softmax(dim=-1)[:, 0]), ["probs is P(negative), column 0"]),
    (_predict_variant(transform=lambda z: z[:, 1]), ["probs holds logits"]),
    (_predict_variant(transform=lambda z: z.argmax(dim=-1).float()), ["probs holds 0/1 predictions"]),
    (_predict_variant(transform=lambda z: z.softmax(dim=-1)), ["both probabilities"]),
    (_predict_variant(no_grad=False), ["carries gradients", "torch.no_grad()"]),
    (_predict_variant(join=False), ["one per batch: join them", "torch.cat(probs)"]),
])
def test_predict_wrong(fn, words):
    _fails(nb09.check_predict, fn, *words)


def test_predict_not_done():
    def blank(model, loader):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="predict"):
        nb09.check_predict(blank)


# --- most_wrong ----------------------------------------------------------------------------------------


def test_most_wrong_right(capsys):
    nb09.check_most_wrong(most_wrong)
    nb09.check_most_wrong(most_wrong, probs=(0.2, 0.9, 0.4, 0.7, 0.05), labels=(1, 0, 0, 1, 1), ks=(1, 2, 5))
    nb09.check_most_wrong(most_wrong, probs=(0.3, 0.8), labels=(0, 1), ks=(2,))
    assert capsys.readouterr().out.count("PASSED most_wrong") == 3


def test_most_wrong_other_right_way():
    def by_loss(probs, labels, k):
        p_true = torch.where(labels == 1, probs, 1 - probs)
        order = [i for i in p_true.argsort().tolist() if p_true[i] < 0.5]
        return torch.tensor(order[:k], dtype=torch.long)
    nb09.check_most_wrong(by_loss)


def _wrong_list(probs, labels, k):
    return most_wrong(probs, labels, k).tolist()                  # a list where the table says a tensor


def _wrong_int32(probs, labels, k):
    return most_wrong(probs, labels, k).int()


def _wrong_sorts_in_place(probs, labels, k):
    wrong = most_wrong(probs, labels, k)
    probs[labels == 1] = 1 - probs[labels == 1]                     # changes the caller's tensor
    return wrong


def _wrong_ascending(probs, labels, k):
    wrong = ((probs > 0.5).long() != labels).nonzero().squeeze(1)
    confidence = torch.where(labels[wrong] == 1, 1 - probs[wrong], probs[wrong])
    return wrong[confidence.argsort()[:k]]


def _wrong_confident_any(probs, labels, k):
    return (probs - 0.5).abs().argsort(descending=True)[:k]


def _wrong_most_positive(probs, labels, k):
    return probs.argsort(descending=True)[:k]


def _wrong_values(probs, labels, k):
    wrong = ((probs > 0.5).long() != labels).nonzero().squeeze(1)
    confidence = torch.where(labels[wrong] == 1, 1 - probs[wrong], probs[wrong])
    return confidence.sort(descending=True).values[:k]


def _wrong_top_loss_all(probs, labels, k):
    p_true = torch.where(labels == 1, probs, 1 - probs)
    return p_true.argsort()[:k]


@pytest.mark.parametrize("fn, words", [
    (_wrong_ascending, ["the least confident mistakes first"]),
    (_wrong_confident_any, ["includes sentence 8, which the model gets right"]),
    (_wrong_most_positive, ["includes sentence 8, which the model gets right"]),
    (_wrong_values, ["returned floats"]),
    (_wrong_top_loss_all, ["which the model gets right", "Only 6 are wrong here, fewer than k=8: return those 6"]),
    (_wrong_list, ["should return the indices as an int64 tensor, not a list"]),
    (_wrong_int32, ["returned a int32 tensor; the task wants int64"]),
    (_wrong_sorts_in_place, ["most_wrong() changed its input probs in place"]),
])
def test_most_wrong_wrong(fn, words):
    _fails(nb09.check_most_wrong, fn, *words)


def test_most_wrong_not_done():
    def blank(probs, labels, k):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="most_wrong"):
        nb09.check_most_wrong(blank)


# --- the trained model: sealed, a packed LSTM, padding invariant, accurate ------------------------------


def _vocab_and_loader():
    reviews = cu.data.movie_reviews("train")
    vocab = cu.data.Vocab.build((cu.data.tokenize(r.text) for r in reviews), min_count=2)
    data = [(vocab.encode(cu.data.tokenize(r.text)), r.label) for r in reviews]
    sampler = cu.data.LengthBatches([len(ids) for ids, _ in data], 128, shuffle=True)
    loader = torch.utils.data.DataLoader(data, batch_sampler=sampler, collate_fn=cu.data.pad_collate)
    return vocab, loader


@pytest.fixture(scope="module")
def trained_bag():
    """A bag of words trained for 2 epochs (a few seconds): accurate, and padding invariant."""
    with torch.random.fork_rng():
        cu.set_seed(0)
        vocab, loader = _vocab_and_loader()
        model = _Bag(len(vocab))
        cu.fit(model, loader, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), 2,
               progress=False)
    return model, vocab


@pytest.fixture(scope="module")
def trained_lstm():
    """A small SentimentLSTM trained for 2 epochs (seconds): the right kind of model, modestly accurate."""
    with torch.random.fork_rng():
        cu.set_seed(0)
        vocab, loader = _vocab_and_loader()
        model = SentimentLSTM(len(vocab), 16, 16, vocab.pad_id)
        cu.fit(model, loader, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2), 2,
               progress=False)
    return model, vocab


LOW = 0.6    # the tests' pass mark for the 2-epoch LSTM (the notebook's is nb09.THRESHOLD)


class _Bag(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.linear = nn.Linear(vocab_size, 2)

    def forward(self, ids, lengths):
        return self.linear(bag_of_words(ids, self.linear.in_features, 0))


class _BagOverPadding(nn.Module):
    """The same trained weights, but the counts averaged over every position, padding included."""

    def __init__(self, bag):
        super().__init__()
        self.linear = bag.linear

    def forward(self, ids, lengths):   # the scores averaged over every position: argmax unchanged
        return self.linear(bag_of_words(ids, self.linear.in_features, 0)) / ids.size(1)


class _Majority(nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.tensor([1.0, 0.0]))

    def forward(self, ids, lengths):
        return self.bias.expand(ids.size(0), 2)


def _fails_trained(model, vocab, *words, seal=True, **kwargs):
    if seal:
        heldout.seal(model)
    with pytest.raises(AssertionError) as info:
        nb09.check_trained_model(model, vocab, **kwargs)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert "Fix:" in msg and all(len(line) <= 88 for line in msg.splitlines()), msg
    return msg


def _test_accuracy(model, vocab, batch_size=64):
    data = [(vocab.encode(cu.data.tokenize(r.text)), r.label) for r in cu.data.movie_reviews("test")]
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, collate_fn=cu.data.pad_collate)
    return cu.evaluate(model, loader, metrics={"accuracy": cu.accuracy})["accuracy"]


def test_trained_model_passes_for_a_sealed_packed_lstm(trained_lstm, capsys):
    model, vocab = trained_lstm
    heldout.seal(model)
    nb09.check_trained_model(model, vocab, threshold=LOW)
    nb09.check_trained_model(model, vocab, threshold=LOW, batch_size=7)
    assert capsys.readouterr().out.count("PASSED trained model: test accuracy") == 2


def test_trained_model_an_accurate_bag_of_words_fails(trained_bag):
    """The bag of words ties the BiLSTM on accuracy: the check grades the LSTM, not the number alone."""
    model, vocab = trained_bag
    assert _test_accuracy(model, vocab) >= nb09.THRESHOLD       # it would pass on accuracy alone
    _fails_trained(model, vocab, "is not the packed LSTM classifier of exercise 3",
                   "a bag of words reaches about 0.78 here too")


def test_trained_model_majority_class_fails(trained_bag):
    _, vocab = trained_bag
    _fails_trained(_Majority(), vocab, "is not the packed LSTM classifier of exercise 3")


def test_trained_model_pooling_over_padding_fails_whatever_its_accuracy(trained_bag):
    model, vocab = trained_bag
    padded = _BagOverPadding(model)
    assert _test_accuracy(padded, vocab) >= nb09.THRESHOLD      # it would pass on accuracy alone
    _fails_trained(padded, vocab, "answer depends on the padding of the batch")


class _LSTMSoftmax(nn.Module):
    """The trained LSTM's own parts, its logits turned into probabilities."""

    def __init__(self, lstm_model):
        super().__init__()
        self.embedding, self.dropout = lstm_model.embedding, lstm_model.dropout
        self.lstm, self.head = lstm_model.lstm, lstm_model.head
        self.inner = lstm_model

    def forward(self, ids, lengths):
        return self.inner(ids, lengths).softmax(dim=-1)


def test_trained_model_that_returns_probabilities_fails(trained_lstm):
    model, vocab = trained_lstm
    probabilities = _LSTMSoftmax(model)
    assert _test_accuracy(probabilities, vocab) >= LOW
    _fails_trained(probabilities, vocab, "returns probabilities (each row sums to 1), not logits",
                   threshold=LOW)


def test_trained_model_untrained_lstm_fails(trained_bag):
    _, vocab = trained_bag
    with torch.random.fork_rng():
        cu.set_seed(0)
        untrained = SentimentLSTM(len(vocab), 8, 8, vocab.pad_id)
    _fails_trained(untrained, vocab, f"at least {nb09.THRESHOLD} earns the points")


def test_trained_model_not_sealed_fails(trained_lstm):
    model, vocab = trained_lstm
    _fails_trained(model, vocab, "no trained model was sealed", seal=False, threshold=LOW)


def test_trained_model_trained_after_the_seal_fails(trained_lstm):
    model, vocab = trained_lstm
    further = copy.deepcopy(model)
    heldout.seal(further)
    with torch.no_grad():
        further.head.bias += 0.01                       # one more step, on the test split, say
    _fails_trained(further, vocab, "weights changed after the training cell sealed them", seal=False,
                   threshold=LOW)


def _ask():
    return cu.data.movie_reviews("test")


def test_trained_model_with_the_test_split_asked_for_fails(trained_lstm):
    model, vocab = trained_lstm
    heldout.hold_out("the test sentences")
    with pytest.raises(heldout.TestSplitClosed):
        _ask()                                          # e.g. in fit_best, to train on it too
    _fails_trained(model, vocab, "asked for before the model was trained and sealed", threshold=LOW)


def test_trained_model_restores_train_mode(trained_lstm):
    model, vocab = trained_lstm
    heldout.seal(model)
    model.train()
    nb09.check_trained_model(model, vocab, threshold=LOW)
    assert model.training
    model.eval()


# --- the graded wrong answers, through the visible checks (what a self-paced learner sees) --------------

from course_utils.grading.lessons import mistakes  # noqa: E402

graded = mistakes("09")
from course_utils.grading.visible import _cells, visible_part  # noqa: E402


def _notebook_namespace():
    """setup, then small loaders under the notebook's names (fit_best's check must not read them)."""
    ns: dict = {}
    exec(compile(_cells(graded.A)["setup"], "setup", "exec"), ns)
    tiny = torch.utils.data.TensorDataset(torch.zeros(4, 1), torch.zeros(4).long())
    for name in ("train_loader", "valid_loader", "test_loader"):
        ns[name] = torch.utils.data.DataLoader(tiny)
    ns["encode"] = lambda reviews: [([2, 3], r.label) for r in reviews]       # the notebook's helpers
    ns["collate"] = ns["train_collate"] = cu.data.pad_collate
    return ns


def _visible_message(wrong, test_id):
    import contextlib
    import io

    source = _cells(graded.A)[wrong.cell]
    assert wrong.old in source, f"{wrong.old!r} is not in the solution of {wrong.cell}"
    ns = _notebook_namespace()
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source.replace(wrong.old, wrong.new), wrong.cell, "exec"), ns)
        try:
            exec(compile(visible_part(graded.A, test_id), test_id, "exec"), ns)
        except Exception as err:
            return f"{type(err).__name__}: {err}"
    return None


# the exercise's own test cell; test_trained_model needs the notebook's training, which the grading
# test runs (test_grading_09.py), so its visible call is proven there, not here
EXERCISE_CELLS = [(w, next(t for t in sorted(w.caught_by) if t != "test_trained_model"))
                  for w in graded.WRONG_ANSWERS]


@pytest.mark.parametrize("wrong, test_id", EXERCISE_CELLS, ids=[w.why for w, _ in EXERCISE_CELLS])
def test_visible_check_catches_each_graded_wrong_answer(wrong, test_id):
    message = _visible_message(wrong, test_id)
    assert message is not None, f"the visible check passed {wrong.why!r}"
    assert message.split(":")[0] in ("CheckFailed", "ShapeError"), message
    assert "\n  Fix:  " in message, message


def test_each_graded_wrong_answer_has_its_own_message():
    firsts = [_visible_message(w, t).splitlines()[0] for w, t in EXERCISE_CELLS]
    assert len(set(firsts)) == len(firsts), "\n".join(firsts)


def test_solution_passes_every_visible_check():
    ns = _notebook_namespace()
    cells = _cells(graded.A)
    for w_cell, test_id in sorted({(w.cell, t) for w, t in EXERCISE_CELLS}):
        exec(compile(cells[w_cell], w_cell, "exec"), ns)
        exec(compile(visible_part(graded.A, test_id), test_id, "exec"), ns)
