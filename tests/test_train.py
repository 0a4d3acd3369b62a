"""course_utils.train: fit, evaluate, accuracy, report_metrics, epochs_for_grading."""

import json

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import course_utils as cu
from course_utils.train import History, _split_batch


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


class SumSign(nn.Module):
    """Tiny LSTM classifier: is the sum of the sequence positive?"""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):  # (batch, seq, feature) -> (batch, classes)
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def toy_loaders(n=96, batch_size=16):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 5, 3, generator=g)
    y = (x.sum(dim=(1, 2)) > 0).long()
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    return train, DataLoader(TensorDataset(x[:40], y[:40]), batch_size=batch_size)


def test_fit_learns_and_records_every_epoch(capsys):
    torch.manual_seed(0)
    model = SumSign()
    train, valid = toy_loaders()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    history = cu.fit(model, train, nn.CrossEntropyLoss(), opt, epochs=8, valid_loader=valid,
                     metrics={"accuracy": cu.accuracy}, progress=True)
    assert isinstance(history, History) and len(history) == 8
    assert history.keys() == ["train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "seconds"]
    assert history["train_loss"][-1] < 0.8 * history["train_loss"][0]
    assert history["valid_accuracy"][-1] > 0.75
    assert not model.training  # left in eval mode
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 8 and lines[0].startswith("epoch 1/8  train_loss ")
    assert "valid_accuracy" in lines[-1]
    # The recorded valid numbers are what evaluate() gives on the same model.
    final = cu.evaluate(model, valid, nn.CrossEntropyLoss(), metrics={"accuracy": cu.accuracy})
    assert final["loss"] == pytest.approx(history["valid_loss"][-1])
    assert final["accuracy"] == pytest.approx(history["valid_accuracy"][-1])


def test_progress_false_prints_nothing(capsys):
    model = SumSign()
    train, _ = toy_loaders(32)
    cu.fit(model, train, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 2,
           progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_bar_is_off_while_grading_but_epoch_lines_stay(capsys, monkeypatch):
    model = SumSign()
    train, _ = toy_loaders(32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    cu.fit(model, train, nn.CrossEntropyLoss(), opt, 1)
    assert "epoch 1/1" in capsys.readouterr().err  # the tqdm bar writes to stderr
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    cu.fit(model, train, nn.CrossEntropyLoss(), opt, 1)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("epoch 1/1  train_loss")


def test_clip_bounds_the_step_size():
    def step(clip):
        torch.manual_seed(0)
        model = nn.Linear(4, 1)
        before = torch.cat([p.detach().clone().flatten() for p in model.parameters()])
        loader = [(torch.ones(2, 4), torch.zeros(2, 1))]
        huge = lambda out, target: 1e6 * (out - target).sum()  # noqa: E731
        cu.fit(model, loader, huge, torch.optim.SGD(model.parameters(), lr=1.0), 1,
               progress=False, clip=clip)
        after = torch.cat([p.detach().flatten() for p in model.parameters()])
        return float((after - before).norm())

    assert step(1.0) == pytest.approx(1.0, rel=1e-4)  # lr x clip
    assert step(None) > 1e5


def test_batches_are_inputs_then_target_and_lengths_stay_on_cpu():
    ids, lengths, labels = torch.zeros(4, 7, dtype=torch.long), torch.tensor([7, 5, 3, 2]), torch.ones(4)
    inputs, target = _split_batch((ids, lengths, labels), torch.device("meta"))
    assert [t.device.type for t in inputs] == ["meta", "cpu"]  # lengths stay for pack_padded_sequence
    assert target.device.type == "meta"

    seen = {}

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.EmbeddingBag(10, 2)

        def forward(self, ids, lengths):
            seen["shapes"] = (tuple(ids.shape), tuple(lengths.shape))
            return self.emb(ids)

    data = TensorDataset(torch.randint(0, 10, (8, 7)), torch.full((8,), 7), torch.randint(0, 2, (8,)))
    model = TwoInputs()
    cu.fit(model, DataLoader(data, batch_size=4), nn.CrossEntropyLoss(),
           torch.optim.SGD(model.parameters(), lr=0.1), 1, progress=False)
    assert seen["shapes"] == ((4, 7), (4,))


def test_evaluate_weights_batches_by_size_and_restores_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Dropout(0.5))
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
    model.train()
    result = cu.evaluate(model, loader, nn.MSELoss())
    model.eval()
    with torch.no_grad():
        expected = float(nn.MSELoss()(model(x), y))
    assert result["loss"] == pytest.approx(expected, rel=1e-5)
    assert set(result) == {"loss"}
    model.train()
    cu.evaluate(model, loader, nn.MSELoss())
    assert model.training
    assert cu.evaluate(model, loader, metrics=[cu.accuracy]).keys() == {"accuracy"}


def test_accuracy_cases():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert cu.accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)
    assert cu.accuracy(torch.tensor([0.5, -1.0]), torch.tensor([1, 1])) == 0.5  # binary logits
    assert cu.accuracy(torch.tensor([[0.5], [-1.0]]), torch.tensor([1, 0])) == 1.0
    tagged = torch.zeros(2, 3, 4)
    tagged[..., 2] = 1.0  # predicts tag 2 everywhere
    targets = torch.tensor([[2, 2, -100], [2, 0, -100]])  # -100 = padding, skipped
    assert cu.accuracy(tagged, targets) == 0.75
    with pytest.raises(ValueError, match=r"logits \(3, 2\) do not match targets \(4,\)"):
        cu.accuracy(logits, torch.tensor([0, 1, 1, 0]))
    with pytest.raises(TypeError, match="targets must be a tensor"):
        cu.accuracy(logits, [0, 1, 1])


def test_fit_rejects_bad_arguments_with_what_to_pass():
    model = SumSign()
    train, _ = toy_loaders(32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match="nn.Module"):
        cu.fit(lambda x: x, train, loss, opt, 1)
    with pytest.raises(TypeError, match=r"torch.optim.Adam\(model.parameters\(\)"):
        cu.fit(model, train, loss, "adam", 1)
    with pytest.raises(ValueError, match="epochs must be a whole number >= 1"):
        cu.fit(model, train, loss, opt, 0)
    with pytest.raises(TypeError, match="train_loader must be an iterable"):
        cu.fit(model, None, loss, opt, 1)
    with pytest.raises(TypeError, match=r"tuple \(inputs..., target\)"):
        cu.fit(model, [torch.randn(4, 5, 3)], loss, opt, 1, progress=False)
    with pytest.raises(TypeError, match="metrics must be a dict"):
        cu.fit(model, train, loss, opt, 1, metrics="accuracy")
    with pytest.raises(ValueError, match="clip must be a positive number"):
        cu.fit(model, train, loss, opt, 1, clip=-1)
    with pytest.raises(ValueError, match="no batches"):
        cu.fit(model, [], loss, opt, 1, progress=False)


def test_history_access():
    history = History()
    assert repr(history) == "History(no epochs)"
    with pytest.raises(ValueError, match="empty"):
        history.last()
    history.append({"train_loss": 1.0, "valid_loss": 2.0})
    history.append({"train_loss": 0.5, "valid_loss": 1.5})
    assert history["train_loss"] == [1.0, 0.5]
    assert history.as_dict() == {"train_loss": [1.0, 0.5], "valid_loss": [2.0, 1.5]}
    assert history.last() == {"train_loss": 0.5, "valid_loss": 1.5}
    assert "valid_loss" in history and "accuracy" not in history
    with pytest.raises(KeyError, match="it has train_loss, valid_loss"):
        history["accuracy"]
    assert repr(history) == "History(2 epochs; last: train_loss 0.5000  valid_loss 1.5000)"


def test_report_metrics_prints_one_sorted_rounded_line(capsys):
    result = cu.report_metrics(task="sentiment", test_accuracy=0.751234, epochs=4,
                               loss=torch.tensor(0.123456), model="BiLSTM")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("METRICS ")
    payload = out[len("METRICS "):].strip()
    assert payload == ('{"epochs": 4, "loss": 0.1235, "model": "BiLSTM", "task": "sentiment", '
                       '"test_accuracy": 0.7512}')
    assert json.loads(payload) == result
    assert list(result) == sorted(result)


def test_report_metrics_rejects_bad_values():
    with pytest.raises(TypeError, match="task="):
        cu.report_metrics(task="", accuracy=0.5)
    with pytest.raises(TypeError):
        cu.report_metrics(accuracy=0.5)  # task is required
    with pytest.raises(ValueError, match="tensor of 3 values"):
        cu.report_metrics(task="t", accuracy=torch.ones(3))
    with pytest.raises(TypeError, match="must be a number or a string"):
        cu.report_metrics(task="t", accuracy=[0.5])


def test_epochs_for_grading(monkeypatch):
    assert cu.epochs_for_grading(8) == 8
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert cu.epochs_for_grading(8) == 1
    assert cu.epochs_for_grading(8, when_grading=2) == 2
    assert cu.epochs_for_grading(1, when_grading=3) == 1  # never more than asked for
    with pytest.raises(ValueError, match="whole number of epochs"):
        cu.epochs_for_grading(0)
    with pytest.raises(ValueError, match="when_grading"):
        cu.epochs_for_grading(5, when_grading=2.5)


def test_bar_redraws_a_few_times_a_second_not_once_per_batch(capsys):
    # A redraw per batch is one output message per batch: thousands in a notebook's training cell,
    # more than the kernel's output channel holds, and nbval then waits for a message it dropped.
    model = SumSign()
    batches = [(torch.randn(2, 5, 3), torch.tensor([0, 1])) for _ in range(600)]
    cu.fit(model, batches, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 1)
    redraws = capsys.readouterr().err.count("\r")
    assert 0 < redraws < 60, f"{redraws} redraws for 600 batches"
