"""Reproducibility, device choice and training helpers.

    cu.set_seed(0)
    device = cu.pick_device()      # CUDA when present, else CPU
    history = cu.fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, epochs=4,
                     valid_loader=valid_loader, metrics={"accuracy": cu.accuracy})
    cu.report_metrics(task="sentiment", **cu.evaluate(model, test_loader, metrics={"accuracy": cu.accuracy}))
"""

from __future__ import annotations

import json
import os
import random
import time

import numpy as np
import torch


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so a notebook runs the same every time."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def pick_device(verbose: bool = False) -> torch.device:
    """torch.device("cuda") when a GPU is usable, else torch.device("cpu")."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if verbose:
        print(f"device: {device}")
    return device


# ---------------------------------------------------------------------------------------------
# Training and evaluation.
#
# Batch convention: a loader yields tuples; the model takes every item but the last, and the
# last is the target.  (ids, lengths, labels) -> model(ids, lengths) is compared with labels.
# 1-D integer inputs (lengths) stay on the CPU, where pack_padded_sequence needs them; every
# other tensor moves to the device.
# ---------------------------------------------------------------------------------------------


def grading() -> bool:
    """True while nbgrader runs the notebook (autograde or validate sets NBGRADER_EXECUTION)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def epochs_for_grading(n: int, when_grading: int = 1) -> int:
    """n epochs normally; `when_grading` (small) while nbgrader runs the notebook.

        EPOCHS = cu.epochs_for_grading(8)      # 8 for you, 1 in the autograder
    """
    for name, value in (("n", n), ("when_grading", when_grading)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of epochs >= 1, not {value!r}.")
    return min(n, when_grading) if grading() else n


class History:
    """Per-epoch results of fit(): history["train_loss"] -> [0.69, 0.52, ...] (one per epoch).

    Keys: "train_loss", "valid_loss" (with a valid_loader), "train_<metric>", "valid_<metric>",
    "seconds". history.as_dict() gives {key: list}; history.last() the latest epoch's values.
    """

    def __init__(self):
        self.records: list[dict[str, float]] = []

    def append(self, record: dict[str, float]) -> None:
        self.records.append(dict(record))

    def keys(self) -> list[str]:
        seen = {}
        for record in self.records:
            seen.update(dict.fromkeys(record))
        return list(seen)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.keys():
            raise KeyError(f"no {key!r} in this history; it has {', '.join(self.keys()) or 'nothing yet'}")
        return [record.get(key, float("nan")) for record in self.records]

    def __contains__(self, key) -> bool:
        return key in self.keys()

    def __len__(self) -> int:
        return len(self.records)

    def as_dict(self) -> dict[str, list[float]]:
        return {key: self[key] for key in self.keys()}

    def last(self) -> dict[str, float]:
        if not self.records:
            raise ValueError("the history is empty: fit() has not finished an epoch yet.")
        return dict(self.records[-1])

    def __repr__(self) -> str:
        if not self.records:
            return "History(no epochs)"
        return "History(" + f"{len(self)} epochs; last: " + _format_record(self.records[-1]) + ")"


def _format_record(record: dict) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in record.items() if k != "seconds")


def accuracy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> float:
    """Fraction of predictions equal to the targets, a float in [0, 1].

    logits (batch, classes) with targets (batch,): argmax over classes;
    logits (batch, seq, classes) with targets (batch, seq): per token, targets == ignore_index skipped
    (the padding label of nn.CrossEntropyLoss);
    logits (batch,) or (batch, 1) with 0/1 targets (batch,): binary, a logit > 0 means class 1.
    """
    for name, value in (("logits", logits), ("targets", targets)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(value).__name__}.")
    targets = targets.to(logits.device)
    if logits.dim() == targets.dim() + 1 and logits.shape[:-1] == targets.shape:
        if logits.shape[-1] == 1:
            predictions = (logits.squeeze(-1) > 0).long()
        else:
            predictions = logits.argmax(dim=-1)
    elif logits.shape == targets.shape:
        predictions = (logits > 0).long()
    else:
        raise ValueError(
            f"logits {tuple(logits.shape)} do not match targets {tuple(targets.shape)}: pass logits "
            "(batch, classes) with targets (batch,), (batch, seq, classes) with (batch, seq), "
            "or binary logits (batch,) with targets (batch,)."
        )
    keep = targets != ignore_index
    total = int(keep.sum())
    if total == 0:
        return float("nan")
    return float(((predictions == targets) & keep).sum()) / total


def _split_batch(batch, device):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            "each batch must be a tuple (inputs..., target), e.g. (x, y) or (ids, lengths, labels); "
            f"the loader gave a {type(batch).__name__}. Wrap a dataset so it yields pairs, or "
            "give the DataLoader a collate_fn such as course_utils.data.pad_collate."
        )
    *inputs, target = batch
    return [_to(x, device) for x in inputs], _to(target, device, keep_lengths=False)


def _to(value, device, keep_lengths=True):
    if not isinstance(value, torch.Tensor):
        return value
    if keep_lengths and value.dim() == 1 and not value.is_floating_point():
        return value.cpu()  # lengths: pack_padded_sequence wants them on the CPU
    return value.to(device)


def _metric_fns(metrics) -> dict:
    if metrics is None:
        return {}
    if callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, dict):
        items = list(metrics.items())
    elif isinstance(metrics, (list, tuple)):
        items = [(getattr(f, "__name__", f"metric{i}"), f) for i, f in enumerate(metrics)]
    else:
        raise TypeError(
            "metrics must be a dict {name: fn(logits, targets) -> float}, a list of such functions, "
            f"or None; got {type(metrics).__name__}. Example: metrics={{'accuracy': cu.accuracy}}"
        )
    for name, fn in items:
        if not callable(fn):
            raise TypeError(f"metric {name!r} must be a function fn(logits, targets) -> float.")
    return dict(items)


def _model_device(model, device):
    if device is None:
        param = next(iter(model.parameters()), None)
        return param.device if param is not None else torch.device("cpu")
    return torch.device(device)


def _check_model(model):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}.")


def _check_loader(loader, name):
    if loader is None or not hasattr(loader, "__iter__") or isinstance(loader, torch.Tensor):
        raise TypeError(
            f"{name} must be an iterable of batches, e.g. a torch.utils.data.DataLoader, "
            f"not {type(loader).__name__}."
        )


def _batch_size(target) -> int:
    return int(target.shape[0]) if isinstance(target, torch.Tensor) and target.dim() else 1


def _run_epoch(model, loader, loss_fn, metrics, device, optimizer=None, clip=None, bar=None):
    """One pass; returns the example-weighted means of the loss and the metrics."""
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    seen = 0
    for batch in loader:
        inputs, target = _split_batch(batch, device)
        output = model(*inputs)
        loss = loss_fn(output, target) if loss_fn is not None else None
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
        n = _batch_size(target)
        seen += n
        if loss is not None:
            totals["loss"] += float(loss.detach()) * n
        with torch.no_grad():
            for name, fn in metrics.items():
                totals[name] += float(fn(output.detach(), target)) * n
        if bar is not None:
            bar.update(1)
            if loss is not None:
                # refresh=False: the bar redraws at most every mininterval, not once per batch (a
                # message per batch floods the kernel's output channel, which then drops messages)
                bar.set_postfix(loss=f"{float(loss.detach()):.4f}", refresh=False)
    if seen == 0:
        raise ValueError("the loader gave no batches: is the dataset empty?")
    if loss_fn is None:
        totals.pop("loss")
    return {name: total / seen for name, total in totals.items()}


def evaluate(model, loader, loss_fn=None, device=None, metrics=None) -> dict[str, float]:
    """Mean loss and metrics over a loader, without gradients and in eval mode (dropout off).

    loader:  batches (inputs..., target), see the batch convention above fit().
    loss_fn: e.g. nn.CrossEntropyLoss(); None leaves "loss" out.
    metrics: {name: fn(output, target) -> float}, e.g. {"accuracy": cu.accuracy}.
    Returns {"loss": ..., name: ...}, means over examples (batches weighted by their size).
    The model's train/eval mode is restored afterwards.
    """
    _check_model(model)
    _check_loader(loader, "loader")
    metrics = _metric_fns(metrics)
    device = _model_device(model, device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return _run_epoch(model, loader, loss_fn, metrics, device)
    finally:
        model.train(was_training)


def fit(
    model,
    train_loader,
    loss_fn,
    optimizer,
    epochs: int,
    valid_loader=None,
    device=None,
    metrics=None,
    progress: bool = True,
    clip: float | None = 1.0,
) -> History:
    """Train for `epochs` epochs; return a History with one record per epoch.

    Each batch is a tuple whose last item is the target and whose other items are the model's
    inputs: (x, y) -> model(x) vs y;  (ids, lengths, labels) -> model(ids, lengths) vs labels.
    The output of the model and the target go to loss_fn(output, target), e.g.
    output (batch, classes) with target (batch,) for nn.CrossEntropyLoss.

    device:   where to train; None keeps the model where it is (its parameters' device).
    metrics:  {name: fn(output, target) -> float}, e.g. {"accuracy": cu.accuracy}; computed on
              the training batches and on valid_loader.
    clip:     gradient-norm clipping (LSTMs need it against exploding gradients); None turns it off.
    progress: a progress bar per epoch plus one printed line per epoch. The bar is off while
              nbgrader runs the notebook (NBGRADER_EXECUTION) so graded output stays small.
    The model is left in eval mode (dropout off), ready for predictions.
    """
    from tqdm.auto import tqdm

    _check_model(model)
    _check_loader(train_loader, "train_loader")
    if valid_loader is not None:
        _check_loader(valid_loader, "valid_loader")
    if not callable(loss_fn):
        raise TypeError("loss_fn must be a function loss_fn(output, target), e.g. nn.CrossEntropyLoss().")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            "optimizer must be a torch.optim optimizer over the model's parameters, e.g. "
            f"torch.optim.Adam(model.parameters(), lr=1e-3); got {type(optimizer).__name__}."
        )
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, not {epochs!r}.")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or clip <= 0):
        raise ValueError(f"clip must be a positive number (max gradient norm) or None, not {clip!r}.")
    metrics = _metric_fns(metrics)
    device = _model_device(model, device)
    model.to(device)
    history = History()
    show_bar = progress and not grading()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        try:
            total = len(train_loader)
        except TypeError:
            total = None
        with tqdm(total=total, desc=f"epoch {epoch}/{epochs}", leave=False, disable=not show_bar,
                  mininterval=0.5) as bar:
            train = _run_epoch(model, train_loader, loss_fn, metrics, device, optimizer, clip, bar)
        record = {f"train_{k}": v for k, v in train.items()}
        if valid_loader is not None:
            valid = evaluate(model, valid_loader, loss_fn, device, metrics)
            record.update({f"valid_{k}": v for k, v in valid.items()})
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        if progress:
            print(f"epoch {epoch}/{epochs}  " + _format_record(record))
    model.eval()
    return history


def report_metrics(task: str, **metrics) -> dict:
    """Print exactly one line `METRICS {json}` (sorted keys, floats to 4 decimals) and return the dict.

        cu.report_metrics(task="sentiment", test_accuracy=0.7512, epochs=4)
        METRICS {"epochs": 4, "task": "sentiment", "test_accuracy": 0.7512}

    Values: numbers (a 1-element tensor counts), strings, bools. The line is easy to grep from a
    notebook run, e.g. to compare results with published baselines.
    """
    if not isinstance(task, str) or not task:
        raise TypeError("task must be a non-empty string naming the task, e.g. task='sentiment'.")
    if "task" in metrics:
        raise ValueError("give the task once, as task=...")
    out = {"task": task}
    for name, value in metrics.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(f"metric {name!r} is a tensor of {value.numel()} values; pass one number.")
            value = value.item()
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float):
            value = round(value, 4)
        elif not isinstance(value, (int, str, bool)) and value is not None:
            raise TypeError(f"metric {name!r} must be a number or a string, not {type(value).__name__}.")
        out[name] = value
    print("METRICS " + json.dumps(out, sort_keys=True))
    return dict(sorted(out.items()))
