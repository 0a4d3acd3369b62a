"""Notebook 10 checks: right answers pass, each realistic wrong answer fails with its own message.

Every wrong answer here is called through the VISIBLE check (default arguments), the only one a
self-paced learner sees; the grading test (test_grading_10.py) makes the same mistakes as text
edits of the solution. The trained-model check is shown to fail a model that predicts the majority
class and one that reads the padding, and to pass a trained packed model.
"""

from collections import Counter

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from course_utils import heldout
from course_utils.checks import nb10
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import solution

# --- right answers: the instructor's own, the solution notebook's answer cells ------------------------

_s = solution("10")
encode_names = _s["encode_names"]
ngram_features = _s["ngram_features"]
CharLSTM = _s["CharLSTM"]          # the notebook's __init__; the wrong variants below swap its forward
class_weights = _s["class_weights"]
confusion_counts = _s["confusion_counts"]
per_class_recall = _s["per_class_recall"]


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


def _passes(check, fn, capsys, **kwargs):
    check(fn, **kwargs)
    out = capsys.readouterr().out
    assert out.startswith("PASSED"), out
    for line in out.splitlines():
        assert len(line) <= 88, f"PASSED line of {len(line)} characters: {line!r}"


# --- encode_names -------------------------------------------------------------------------------------


def test_encode_names_right(capsys):
    _passes(nb10.check_encode_names, encode_names, capsys)
    _passes(nb10.check_encode_names, encode_names, capsys,
            configs=(dict(chars="ab", pad_id=2, unk_id=0, names=("a", "bab", "ç")),
                     dict(chars="xyz", pad_id=1, unk_id=3, names=("zz", "y"))))


def test_encode_names_other_right_ways(capsys):
    def with_full(names, vocab):
        lengths = torch.tensor([len(n) for n in names])
        ids = torch.full((len(names), int(lengths.max())), vocab.pad_id, dtype=torch.long)
        for b, name in enumerate(names):
            ids[b, :len(name)] = torch.tensor(vocab.encode(list(name)))
        return ids, lengths
    _passes(nb10.check_encode_names, with_full, capsys)

    def with_stoi_get(names, vocab):
        seqs = [torch.tensor([vocab.stoi.get(c, vocab.unk_id) for c in n]) for n in names]
        return pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id), torch.tensor([len(n) for n in names])
    _passes(nb10.check_encode_names, with_stoi_get, capsys)


def _enc_pad0(names, vocab):
    seqs = [torch.tensor(vocab.encode(list(name))) for name in names]
    return pad_sequence(seqs, batch_first=True, padding_value=0), torch.tensor([len(n) for n in names])


def _enc_keyerror(names, vocab):
    seqs = [torch.tensor([vocab.stoi[c] for c in name]) for name in names]
    return pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id), torch.tensor([len(n) for n in names])


def _enc_dropped(names, vocab):
    seqs = [torch.tensor([vocab.stoi[c] for c in name if c in vocab.stoi], dtype=torch.long) for name in names]
    return pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id), torch.tensor([len(s) for s in seqs])


def _enc_nonzero_lengths(names, vocab):
    ids, _ = encode_names(names, vocab)
    return ids, (ids != 0).sum(dim=1)


def _enc_padded_lengths(names, vocab):
    ids, _ = encode_names(names, vocab)
    return ids, torch.full((len(names),), ids.size(1))


def _enc_own_vocab(names, vocab):
    stoi = {c: i for i, c in enumerate(sorted(set("".join(names))))}
    seqs = [torch.tensor([stoi[c] for c in name]) for name in names]
    return pad_sequence(seqs, batch_first=True, padding_value=0), torch.tensor([len(n) for n in names])


def _enc_seq_first(names, vocab):
    seqs = [torch.tensor(vocab.encode(list(name))) for name in names]
    return pad_sequence(seqs, padding_value=vocab.pad_id), torch.tensor([len(n) for n in names])


def _enc_float(names, vocab):
    ids, lengths = encode_names(names, vocab)
    return ids.float(), lengths


def _enc_int32(names, vocab):
    ids, lengths = encode_names(names, vocab)
    return ids.int(), lengths


def _enc_int32_lengths(names, vocab):
    ids, lengths = encode_names(names, vocab)
    return ids, lengths.int()


def _enc_sorts_names(names, vocab):
    names.sort(key=len, reverse=True)          # sorts the caller's list, longest first
    return encode_names(names, vocab)


@pytest.mark.parametrize("fn, words", [
    (_enc_pad0, ["is padded with 0: the id of 'a' here",
                 "Pad with vocab.pad_id = 3", "padding_value=vocab.pad_id"]),
    (_enc_keyerror, ["looked up a character the vocabulary does not have: KeyError 'ø'",
                     "vocab.encode() turns each of them into <unk>"]),
    (_enc_dropped, ["were dropped. Keep them as <unk> (id 6)"]),
    (_enc_nonzero_lengths, ["the ids that are not 0, counted", "0 is the character 'a'"]),
    (_enc_padded_lengths, ["the padded length for every name"]),
    (_enc_own_vocab, ["ids from a numbering of your own", "has neither"]),
    (_enc_seq_first, ["= (seq, batch): the steps first", "batch_first=True"]),
    (_enc_float, ["ids has dtype float32"]),
    (_enc_int32, ["ids has dtype int32; the task asks for int64"]),
    (_enc_int32_lengths, ["lengths has dtype int32; the task asks for int64"]),
    (_enc_sorts_names, ["encode_names() changed `names`, which it was given, in place"]),
])
def test_encode_names_wrong(fn, words):
    _fails(nb10.check_encode_names, fn, *words)


def test_encode_names_not_done():
    def blank(names, vocab):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="encode_names"):
        nb10.check_encode_names(blank)


# --- ngram_features -------------------------------------------------------------------------------------


def test_ngram_features_right(capsys):
    _passes(nb10.check_ngram_features, ngram_features, capsys)
    _passes(nb10.check_ngram_features, lambda name, n: sorted(ngram_features(name, n)), capsys)


def _ng_bare(name, n):
    return [name[i:i + n] for i in range(len(name) - n + 1)]


def _ng_short(name, n):
    s = "^" + name + "$"
    return [s[i:i + n] for i in range(len(s) - n)]


def _ng_set(name, n):
    return set(ngram_features(name, n))


def _ng_unique(name, n):
    return list(dict.fromkeys(ngram_features(name, n)))


def _ng_lower(name, n):
    return ngram_features(name.lower(), n)


@pytest.mark.parametrize("fn, words", [
    (_ng_bare, ["no start and end marks"]),
    (_ng_short, ["one n-gram short, 'ć$' is missing", "L - n + 1"]),
    (_ng_set, ["returned a set", "holds 'ar' twice"]),
    (_ng_unique, ["each n-gram once"]),
    (_ng_lower, ["lower-cased"]),
])
def test_ngram_features_wrong(fn, words):
    _fails(nb10.check_ngram_features, fn, *words)


def test_ngram_fix_line_works(capsys):
    msg = _fails(nb10.check_ngram_features, _ng_bare)
    assert 's = "^" + name + "$";  [s[i:i + n] for i in range(len(s) - n + 1)]' in msg
    _passes(nb10.check_ngram_features, ngram_features, capsys)


# --- CharLSTM.forward ------------------------------------------------------------------------------------


def _lstm_variant(kind):
    class Wrong(CharLSTM):
        def forward(self, ids, lengths):
            if kind == "fills_ids":
                ids.masked_fill_(ids == self.embed.padding_idx, 0)     # the caller's ids
            x = self.embed(ids)
            bi = self.lstm.bidirectional
            if kind == "unpacked":
                _, (h_n, _) = self.lstm(x)
                feats = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[-1]
            elif kind == "last_step":
                packed_out, _ = self.lstm(pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                               enforce_sorted=False))
                out, _ = pad_packed_sequence(packed_out, batch_first=True)
                feats = out[:, -1]
            elif kind == "sorted":
                packed_out, (h_n, _) = self.lstm(pack_padded_sequence(x, lengths.cpu(), batch_first=True))
                feats = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[-1]
            elif kind == "always_two":
                _, (h_n, _) = self.lstm(pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                             enforce_sorted=False))
                feats = torch.cat([h_n[-2], h_n[-1]], dim=-1)
            elif kind == "gpu_lengths":
                _, (h_n, _) = self.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
                feats = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[-1]
            else:
                _, (h_n, c_n) = self.lstm(pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                               enforce_sorted=False))
                feats = {
                    "one_direction": h_n[-1],
                    "layer0": torch.cat([h_n[0], h_n[1]], dim=-1) if bi else h_n[0],
                    "layer0_one_direction": torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[0],
                    "fills_ids": torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[-1],
                    "cell": torch.cat([c_n[-2], c_n[-1]], dim=-1) if bi else c_n[-1],
                    "swapped": torch.cat([h_n[-1], h_n[-2]], dim=-1) if bi else h_n[-1],
                    "softmax": torch.cat([h_n[-2], h_n[-1]], dim=-1) if bi else h_n[-1],
                }[kind]
            logits = self.head(self.dropout(feats))
            return logits.softmax(-1) if kind == "softmax" else logits
    return Wrong


def test_char_lstm_right(capsys):
    _passes(nb10.check_char_lstm, CharLSTM, capsys)
    small = dict(vocab_size=9, n_classes=3, emb=2, hidden=4, pad_id=1, lengths=(2, 5, 1), seq=6)
    _passes(nb10.check_char_lstm, CharLSTM, capsys, seed=3,
            configs=(dict(small, bidirectional=True, num_layers=1),))
    _passes(nb10.check_char_lstm, CharLSTM, capsys, seed=4,
            configs=(dict(small, bidirectional=False, num_layers=3),))


def test_char_lstm_with_unpacking_and_gather(capsys):
    """Another right way: unpack and gather the forward half at lengths - 1, backward at step 0."""
    class Gather(CharLSTM):
        def forward(self, ids, lengths):
            packed = pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)
            H = self.lstm.hidden_size
            last = out[torch.arange(out.size(0)), lengths.cpu() - 1]
            feats = torch.cat([last[:, :H], out[:, 0, H:]], dim=-1) if self.lstm.bidirectional else last
            return self.head(self.dropout(feats))
    _passes(nb10.check_char_lstm, Gather, capsys)


@pytest.mark.parametrize("kind, words", [
    ("unpacked", ["the final state of the PADDED", "the LSTM read the padding", "enforce_sorted=False"]),
    ("last_step", ["fed the head out[:, -1] after unpacking", "zeros for every shorter name", "h_n"]),
    ("sorted", ["packed with enforce_sorted=True (the default)", "not sorted, longest first"]),
    ("gpu_lengths", ["lengths on the GPU", "lengths.cpu()"]),
    ("one_direction", ["fed the head h_n[-1] alone", "BACKWARD direction only"]),
    ("layer0", ["LAYER 0 of 2"]),
    ("layer0_one_direction", ["fed the head h_n[0]: LAYER 0 of 2", "one direction, 2 layers",
                              "Fix:  features = h_n[-1]"]),
    ("fills_ids", ["CharLSTM.forward() changed `ids`, which it was given, in place"]),
    ("cell", ["fed the head c_n, the cell state"]),
    ("swapped", ["the two directions swapped"]),
    ("softmax", ["returns probabilities (a softmax)"]),
    ("always_two", ["indexed a row of h_n that this LSTM does not have", "one direction, 1 layer",
                    "Fix:  features = h_n[-1]"]),
])
def test_char_lstm_wrong(kind, words):
    _fails(nb10.check_char_lstm, _lstm_variant(kind), *words)


def test_char_lstm_not_done():
    class Blank(CharLSTM):
        def forward(self, ids, lengths):
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="CharLSTM.forward"):
        nb10.check_char_lstm(Blank)


def test_char_lstm_changed_init():
    class Renamed(CharLSTM):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fc = self.head
            del self.head
    _fails(nb10.check_char_lstm, Renamed, "is not the one the task gives")


# --- class_weights --------------------------------------------------------------------------------------


def test_class_weights_right(capsys):
    _passes(nb10.check_class_weights, class_weights, capsys)
    _passes(nb10.check_class_weights, class_weights, capsys, class_counts=((2, 2, 5), (1, 8)), seed=11)

    def with_counter(labels, n_classes):
        counts = Counter(labels.tolist())
        return torch.tensor([len(labels) / (n_classes * counts[c]) for c in range(n_classes)])
    _passes(nb10.check_class_weights, with_counter, capsys)


def _w_frequency(labels, n_classes):
    counts = torch.bincount(labels, minlength=n_classes).float()
    return counts / len(labels)


def _w_seen_order(labels, n_classes):
    counts = Counter(labels.tolist())
    return torch.tensor([len(labels) / (n_classes * c) for c in counts.values()])


def _w_most_common(labels, n_classes):
    counts = Counter(labels.tolist())
    return torch.tensor([len(labels) / (n_classes * c) for _, c in counts.most_common()])


def _w_unscaled(labels, n_classes):
    return 1.0 / torch.bincount(labels, minlength=n_classes).float()


def _w_sum_one(labels, n_classes):
    w = 1.0 / torch.bincount(labels, minlength=n_classes).float()
    return w / w.sum()


def _w_int(labels, n_classes):
    return len(labels) // (n_classes * torch.bincount(labels, minlength=n_classes))


def _w_sorts_labels(labels, n_classes):
    labels.copy_(labels.sort().values)          # sorts the caller's labels in place
    return class_weights(labels, n_classes)


@pytest.mark.parametrize("fn, words", [
    (_w_frequency, ["follows the class FREQUENCY", "INVERSE frequency"]),
    (_w_seen_order, ["in the wrong class order", "the order the classes first appear in labels"]),
    (_w_most_common, ["in the order of frequency, commonest first", "weight[target]"]),
    (_w_unscaled, ["the right ratios, another scale", "Their mean over the labels is"]),
    (_w_sum_one, ["the right ratios, another scale"]),
    (_w_int, ["integer division rounds them"]),
    (_w_sorts_labels, ["class_weights() changed `labels`, which it was given, in place"]),
])
def test_class_weights_wrong(fn, words):
    _fails(nb10.check_class_weights, fn, *words)


def test_class_weights_fix_line_works(capsys):
    msg = _fails(nb10.check_class_weights, _w_frequency)
    fix = msg.split("Fix:  ")[1]
    assert fix == "len(labels) / (n_classes * torch.bincount(labels, minlength=n_classes))"

    def fixed(labels, n_classes):
        return len(labels) / (n_classes * torch.bincount(labels, minlength=n_classes))
    _passes(nb10.check_class_weights, fixed, capsys)


def test_class_weights_not_done():
    def blank(labels, n_classes):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="class_weights"):
        nb10.check_class_weights(blank)


# --- confusion_counts -------------------------------------------------------------------------------------


def test_confusion_counts_right(capsys):
    _passes(nb10.check_confusion_counts, confusion_counts, capsys)
    _passes(nb10.check_confusion_counts, confusion_counts, capsys, seed=2,
            cases=(dict(n_classes=3, examples=30), dict(n_classes=6, examples=5)))

    def loop(preds, targets, n_classes):
        counts = torch.zeros(n_classes, n_classes, dtype=torch.long)
        for t, p in zip(targets.tolist(), preds.tolist()):
            counts[t, p] += 1
        return counts
    _passes(nb10.check_confusion_counts, loop, capsys)


def _cm_transposed(preds, targets, n_classes):
    return confusion_counts(preds, targets, n_classes).T


def _cm_no_minlength(preds, targets, n_classes):
    k = int(max(preds.max(), targets.max())) + 1
    return torch.bincount(targets * k + preds, minlength=k * k).reshape(k, k)


def _cm_float(preds, targets, n_classes):
    return confusion_counts(preds, targets, n_classes).float()


def _cm_int32(preds, targets, n_classes):
    return confusion_counts(preds, targets, n_classes).int()


def _cm_in_place(preds, targets, n_classes):
    targets.mul_(n_classes).add_(preds)        # the pair's number, written into the caller's targets
    return torch.bincount(targets, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _cm_diag_only(preds, targets, n_classes):
    counts = torch.zeros(n_classes, n_classes, dtype=torch.long)
    for t, p in zip(targets.tolist(), preds.tolist()):
        if t == p:
            counts[t, p] += 1
    return counts


@pytest.mark.parametrize("fn, words", [
    (_cm_transposed, ["is transposed: rows are the PREDICTED classes", "counts[0, 1] = 1,"]),
    (_cm_no_minlength, ["but there are 4 classes", "n_classes rows and columns"]),
    (_cm_float, ["has the right counts as float32"]),
    (_cm_int32, ["has the right counts as int32", "whole numbers (int64)"]),
    (_cm_in_place, ["confusion_counts() changed `targets`, which it was given, in place"]),
    (_cm_diag_only, ["they add up to"]),
])
def test_confusion_counts_wrong(fn, words):
    _fails(nb10.check_confusion_counts, fn, *words)


def test_confusion_counts_not_done():
    def blank(preds, targets, n_classes):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="confusion_counts"):
        nb10.check_confusion_counts(blank)


# --- per_class_recall -------------------------------------------------------------------------------------


def test_per_class_recall_right(capsys):
    _passes(nb10.check_per_class_recall, per_class_recall, capsys)
    _passes(nb10.check_per_class_recall, lambda c: c.diag().float() / c.sum(1).float(), capsys)


def _r_precision(confusion):
    return confusion.diag() / confusion.sum(dim=0)


def _r_total(confusion):
    return confusion.diag() / confusion.sum()


def _r_int(confusion):
    return confusion.diag() // confusion.sum(dim=1)


def _r_macro(confusion):
    return (confusion.diag() / confusion.sum(dim=1)).mean()


def _r_fills_diagonal(confusion):
    recall = confusion.diag() / confusion.sum(dim=1)
    confusion.fill_diagonal_(0)                 # "done with the diagonal": the caller's matrix
    return recall


@pytest.mark.parametrize("fn, words", [
    (_r_precision, ["these are the PRECISIONS", "column sums"]),
    (_r_total, ["the diagonal divided by all 38 examples"]),
    (_r_int, ["integer division"]),
    (_r_macro, ["is one number", "macro recall"]),
    (_r_fills_diagonal, ["per_class_recall() changed `confusion`, which it was given, in place"]),
])
def test_per_class_recall_wrong(fn, words):
    _fails(nb10.check_per_class_recall, fn, *words)


def test_per_class_recall_not_done():
    def blank(confusion):
        raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="per_class_recall"):
        nb10.check_per_class_recall(blank)


# --- the trained model ------------------------------------------------------------------------------------

from course_utils.data import NATIONALITIES, char_vocab, surnames  # noqa: E402

VOCAB = char_vocab(name for name, _ in surnames("train"))
TEST_PAIRS = surnames("test")


def _sealed_check(model, vocab, **kwargs):
    heldout.seal(model)
    nb10.check_trained_model(model, vocab, **kwargs)


class Constant(nn.Module):
    """Always the same class: the majority model, or any model that ignores its input."""

    def __init__(self, cls):
        super().__init__()
        self.logits = nn.Parameter(torch.nn.functional.one_hot(torch.tensor(cls), len(NATIONALITIES)).float())

    def forward(self, ids, lengths):
        return self.logits.expand(ids.size(0), -1)


class Oracle(nn.Module):
    """Looks every test name up: right answers whatever the padding (a packed model's property).
    Names of the classes in `missed` are all called Irish instead."""

    def __init__(self, vocab, missed=()):
        super().__init__()
        self.vocab, self.dummy = vocab, nn.Parameter(torch.zeros(1))
        irish = NATIONALITIES.index("Irish")
        self.answers = {name: irish if nat in missed else NATIONALITIES.index(nat)
                        for name, nat in TEST_PAIRS}

    def forward(self, ids, lengths):
        names = ["".join(self.vocab.decode(row[:n])) for row, n in zip(ids.cpu(), lengths.tolist())]
        cls = torch.tensor([self.answers[name] for name in names])
        return torch.nn.functional.one_hot(cls, len(NATIONALITIES)).float().to(ids.device)


class MeanOfCharacters(nn.Module):
    """A bag of characters averaged over EVERY position, padding included: it reads its padding."""

    def __init__(self, vocab_size, n_classes):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab_size, n_classes, mode="mean")

    def forward(self, ids, lengths):
        return self.bag(ids)


def _train_mean_of_characters():
    torch.manual_seed(0)
    model = MeanOfCharacters(len(VOCAB), len(NATIONALITIES))
    pairs = surnames("train")
    ids, _ = encode_names([name for name, _ in pairs], VOCAB)
    labels = torch.tensor([NATIONALITIES.index(nat) for _, nat in pairs])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(0)
    for _ in range(4):
        for batch in torch.randperm(len(pairs), generator=g).split(128):
            longest = int((ids[batch] != VOCAB.pad_id).sum(1).max())
            loss = nn.functional.cross_entropy(model(ids[batch, :longest], None), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


class OracleLSTM(CharLSTM):
    """The notebook's packed LSTM feeds its head (as the check demands), but the answers are looked up:
    a model that is right on every test name, whatever the padding, built as exercise 6 asks."""

    def __init__(self, vocab):
        super().__init__(len(vocab), len(NATIONALITIES), emb=6, hidden=5, pad_id=vocab.pad_id)
        self.oracle = Oracle(vocab)

    def forward(self, ids, lengths):
        super().forward(ids, lengths)
        return self.oracle(ids, lengths)


def test_trained_model_passes_a_model_that_is_right(capsys):
    torch.manual_seed(0)
    model = OracleLSTM(VOCAB)
    _sealed_check(model, VOCAB)
    _sealed_check(model, VOCAB, batch_size=7)
    out = capsys.readouterr().out
    assert out.startswith("PASSED trained model: accuracy 1.000"), out


def test_an_accurate_model_without_the_lstm_fails():
    """Right on every test name but with no packed LSTM feeding its head (an n-gram model would be
    the same): the points are for the LSTM recipe."""
    with pytest.raises(AssertionError) as info:
        _sealed_check(Oracle(VOCAB), VOCAB)
    msg = str(info.value)
    assert "accuracy 1.000, macro recall 1.000, but it is not the packed" in msg, msg
    assert "it has no self.embed or self.lstm or self.head" in msg, msg

    class Unpacked(OracleLSTM):
        def forward(self, ids, lengths):                 # the LSTM reads the padding
            _, (h_n, _) = self.lstm(self.embed(ids))
            self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
            return self.oracle(ids, lengths)
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match="does not receive the final states of its own LSTM"):
        _sealed_check(Unpacked(VOCAB), VOCAB)


def test_trained_model_not_sealed_fails():
    with pytest.raises(AssertionError, match="no trained model was sealed"):
        nb10.check_trained_model(OracleLSTM(VOCAB), VOCAB)


def test_trained_model_replaced_or_trained_after_the_seal_fails():
    sealed, other = OracleLSTM(VOCAB), OracleLSTM(VOCAB)
    heldout.seal(sealed)
    with pytest.raises(AssertionError, match="this is not the model the training cell trained and sealed"):
        nb10.check_trained_model(other, VOCAB)
    with torch.no_grad():
        sealed.head.bias += 1.0                           # "trained further"
    with pytest.raises(AssertionError, match="weights changed after the training cell sealed them"):
        nb10.check_trained_model(sealed, VOCAB)


def test_test_split_asked_for_before_the_seal_fails():
    heldout.hold_out("the test names")
    with pytest.raises(heldout.TestSplitClosed, match="the test names stay closed until the model is trained"):
        surnames("test")
    model = OracleLSTM(VOCAB)
    with pytest.raises(AssertionError) as info:
        _sealed_check(model, VOCAB)
    msg = str(info.value)
    assert "the test names were asked for before the model was trained and sealed" in msg, msg
    assert "surnames('test') from:" in msg, msg


def test_majority_model_fails():
    irish = NATIONALITIES.index("Irish")
    with pytest.raises(AssertionError) as info:
        _sealed_check(Constant(irish), VOCAB)
    msg = str(info.value)
    assert "accuracy 0.202" in msg and "macro recall 0.077" in msg, msg
    assert "It predicts Irish for 1180 of 1180 names: it ignores the characters" in msg, msg
    assert all(len(line) <= 88 for line in msg.splitlines()), msg


def test_model_that_reads_its_padding_fails():
    """Trained on batches padded to their longest name it does fine; padded to 48 steps, it collapses."""
    model = _train_mean_of_characters()
    pairs, ids, lengths, targets = nb10._encode_split("test", VOCAB, 0)     # no extra padding
    accuracy_unpadded = nb10.scores(nb10.predict(model, ids, lengths), targets, len(NATIONALITIES))[0]
    assert accuracy_unpadded > 0.4, accuracy_unpadded
    with pytest.raises(AssertionError) as info:
        _sealed_check(model, VOCAB)
    msg = str(info.value)
    assert "Your model's answers depend on the padding" in msg, msg
    assert "padded to\n  48 steps instead of 20" in msg, msg


def test_padding_invariance_is_required_even_when_the_scores_pass():
    """Right answers at one padding, other answers at another: the scores alone would pass it."""
    class Flaky(Oracle):
        def forward(self, ids, lengths):
            logits = super().forward(ids, lengths)
            if ids.size(1) > 40:                    # padded far beyond the longest name
                logits[::20] = logits[::20].roll(1, dims=-1)      # 1 name in 20 changes class
            return logits
    with pytest.raises(AssertionError) as info:
        _sealed_check(Flaky(VOCAB), VOCAB)
    msg = str(info.value)
    assert "Your model's answers depend on the padding: 60 names change class" in msg, msg


def test_macro_recall_threshold_bites():
    """Right on every name of the 8 big classes, never on the 5 small ones: the accuracy passes,
    the macro recall does not, and the message names the classes it misses."""
    small = ("Czech", "French", "Finnish", "Swedish", "Estonian")
    with pytest.raises(AssertionError) as info:
        _sealed_check(Oracle(VOCAB, missed=small), VOCAB)
    msg = str(info.value)
    assert "accuracy 0.853" in msg and "macro recall 0.615" in msg, msg
    assert "macro recall >= 0.70" in msg, msg
    assert "Lowest recalls: Czech 0.00, Estonian 0.00, Finnish 0.00" in msg, msg


def test_trained_model_wrong_arguments():
    heldout.seal(Constant(0))
    with pytest.raises(AssertionError, match="this is not the model the training cell trained"):
        nb10.check_trained_model("model", VOCAB)
    with pytest.raises(AssertionError, match="character vocabulary the model was trained with"):
        _sealed_check(Constant(0), None)


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.lessons import mistakes  # noqa: E402

graded = mistakes("10")
from course_utils.grading.visible import _cells, run_visible, visible_part  # noqa: E402

EXERCISE_TESTS = [(w, t) for w in graded.WRONG_ANSWERS for t in sorted(w.caught_by) if t != "test_trained_model"]


@pytest.mark.parametrize("wrong, test_id", EXERCISE_TESTS, ids=lambda x: getattr(x, "why", x))
def test_visible_check_catches_each_graded_wrong_answer(wrong, test_id):
    """Every wrong answer the grading catches in an exercise's cell, that cell's visible check
    (default arguments) catches too, with a message of its own that ends in a Fix line."""
    source = _cells(graded.A)[wrong.cell]
    assert wrong.old in source
    message = run_visible(graded.A, wrong.cell, source.replace(wrong.old, wrong.new), test_id)
    assert message, f"the visible check passed {wrong.why!r}"
    assert message.split(":")[0] in ("CheckFailed", "ShapeError"), message
    assert "\n  Fix:  " in message, message


def test_each_graded_wrong_answer_has_its_own_message():
    firsts = []
    for wrong, test_id in EXERCISE_TESTS:
        source = _cells(graded.A)[wrong.cell]
        firsts.append(run_visible(graded.A, wrong.cell, source.replace(wrong.old, wrong.new), test_id)
                      .splitlines()[0])
    assert len(set(firsts)) == len(firsts), "\n".join(firsts)


def test_trained_model_cell_hides_nothing_the_visible_call_does_not_check():
    """The graded model cell's hidden calls differ from its visible call only in the batch size,
    and the check requires the same answers whatever the padding, so a model that the hidden calls
    fail, the visible call fails too. (Which wrong answers break the training is proven by
    test_grading_10.py, which runs the whole notebook.)"""
    cell = _cells(graded.A)["test_trained_model"]
    visible, hidden = cell.split("### BEGIN HIDDEN TESTS")
    assert "nb10.check_trained_model(model, vocab)" in visible
    calls = [line for line in hidden.splitlines() if line.startswith("nb10.")]
    assert calls and all(line.startswith("nb10.check_trained_model(model, vocab, batch_size=") for line in calls)
    assert visible_part(graded.A, "test_trained_model") == visible


def test_fix_lines_work(capsys):
    """The code that the Fix lines offer, put into the wrong answers, passes."""
    msg = _fails(nb10.check_encode_names, _enc_pad0)
    assert msg.endswith("Fix:  pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id)")

    def encode_fixed(names, vocab):
        seqs = [torch.tensor(vocab.encode(list(name))) for name in names]   # the IDS_FIX line
        return pad_sequence(seqs, batch_first=True, padding_value=vocab.pad_id), \
            torch.tensor([len(name) for name in names])                  # the lengths Fix line
    _passes(nb10.check_encode_names, encode_fixed, capsys)

    msg = _fails(nb10.check_confusion_counts, _cm_transposed)
    assert msg.endswith("Fix:  K = n_classes; torch.bincount(targets*K + preds, minlength=K*K).reshape(K, K)")

    def confusion_fixed(preds, targets, n_classes):
        K = n_classes
        return torch.bincount(targets*K + preds, minlength=K*K).reshape(K, K)
    _passes(nb10.check_confusion_counts, confusion_fixed, capsys)

    msg = _fails(nb10.check_per_class_recall, _r_precision)
    assert msg.endswith("Fix:  confusion.diag() / confusion.sum(dim=1)")
    _passes(nb10.check_per_class_recall, lambda confusion: confusion.diag() / confusion.sum(dim=1), capsys)

    msg = _fails(nb10.check_char_lstm, _lstm_variant("unpacked"))
    assert msg.endswith("Fix:  pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)")
    msg = _fails(nb10.check_char_lstm, _lstm_variant("last_step"))
    assert msg.endswith("Fix:  features = torch.cat([h_n[-2], h_n[-1]], dim=-1)")
    _passes(nb10.check_char_lstm, CharLSTM, capsys)
