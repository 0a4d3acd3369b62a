"""Graded checks for notebook 11, forecasting hourly weather.

Each piece check builds its own fixtures: coded series whose every number says which hour and
feature it is (so a window or a target off by one hour is named, not just "wrong"), a series whose
later hours have another mean and spread (so statistics taken over the whole series are caught),
seeded nn.LSTM / nn.Linear weights copied into the learner's Forecaster. Every piece check proves
the tensors it passed come back unchanged (no in-place edit of the caller's series) and checks the
types the task states (rmse_in_degrees returns a Python float). The last check grades the
learner's trained and sealed model (course_utils.heldout) on the test period of the real data,
which the notebook cannot reach before the seal: it must be the recipe's LSTM forecaster and beat
persistence, measured with the check's own split, scaler and windows (never the learner's).
Failures name the mistake and end with a Fix line. Keyword arguments let hidden tests vary sizes
and columns.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import heldout
from ..data.weather import TRAIN_END, VALID_END
from ..messages import fmt, plural
from ..shapes import check_shape
from .common import (
    CheckFailed,
    calling,
    close,
    passed,
    require,
    require_tensor,
    seeded_lstm,
    seeded_randn,
    untouched,
)
from .kernel import coded, coded_series, first_mismatch, hours_of, windows

HORIZON = 6  # hours ahead: the task of the notebook
THRESHOLD = 0.85  # the trained model's RMSE must be at most this share of persistence's
SPLIT_FIX = "return torch.split(series, [n_train, len(series) - n_train])"


def _hours(hours: list[int]) -> str:
    """'hours 3..9' for consecutive hours, else 'hours 4, 0, 7, ...'."""
    if len(hours) > 1 and hours == list(range(hours[0], hours[0] + len(hours))):
        return f"hours {hours[0]}..{hours[-1]}"
    if len(hours) == 1:
        return f"hour {hours[0]}"
    return "hours " + ", ".join(map(str, hours[:8])) + (", ..." if len(hours) > 8 else "")


def _returned(result) -> str:
    if result is None:
        return "None"
    if isinstance(result, (tuple, list)):
        return f"a {type(result).__name__} of {plural(len(result), 'item')}"
    return f"a {type(result).__name__}"


# --- inputs come back unchanged ---------------------------------------------------------------------


def _unchanged(call: str, name: str, given: torch.Tensor, original: torch.Tensor, fix: str) -> None:
    """Fail when the learner's function changed the tensor it was given (in place: -=, fill_, sort_...)."""
    __tracebackhide__ = True
    if given.shape == original.shape and torch.equal(given.detach().cpu(), original.detach().cpu()):
        return
    how = (f"its shape is now {fmt(given.shape)}, not {fmt(original.shape)}"
           if given.shape != original.shape else "its numbers are no longer the ones passed in")
    raise CheckFailed(
        f"{call} changed its input {name} in place:\n"
        f"  {how}.\n"
        f"  The caller still needs {name} as it was (the notebook uses it again). An in-place\n"
        f"  operation (-=, /=, fill_, a method ending in _) or an assignment into {name}[...]\n"
        "  changes the caller's tensor too. Compute a new tensor instead.\n"
        f"  Fix:  {fix}"
    )


# --- exercise 1: split_by_time --------------------------------------------------------------------


def check_split_by_time(split_by_time, *, hours: int = 30, feature: int = 3, n_train: int = 17) -> None:
    """split_by_time(series (hours, feature), n_train) -> train, valid: two consecutive blocks of hours.

    The visible call (no keywords) also tries a second series of other sizes and one feature.
    """
    __tracebackhide__ = True
    configs = [(hours, feature, n_train)]
    if (hours, feature, n_train) == (30, 3, 17):
        configs += [(20, 2, 11), (7, 1, 6)]
    for config in configs:
        _split_once(split_by_time, *config)
    h, f, nt = configs[0]
    more = f" (and {len(configs) - 1} more series)" if len(configs) > 1 else ""
    passed(f"split_by_time: train = hours 0..{nt - 1}, valid = {nt}..{h - 1}, in order{more}")


def _split_once(split_by_time, hours, feature, n_train):
    __tracebackhide__ = True
    series = coded_series(hours, feature)
    call = "split_by_time()"
    given = series.clone()
    with calling("split_by_time"):
        result = split_by_time(given, n_train)
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{call} should return two tensors, (train, valid),\n"
        f"  but it returned {_returned(result)}.\n"
        "  Fix:  return train, valid",
    )
    _unchanged(call, "series", given, series, SPLIT_FIX)
    names = ("train", "valid")
    parts = dict(zip(names, result, strict=True))
    for name, part in parts.items():
        require_tensor(part, name)
        if part.dim() == 2 and part.shape[0] == hours and part.shape[1] < feature:
            raise CheckFailed(
                f"{call}: the series was cut along the feature axis.\n"
                f"  {name} has all {hours} hours but {part.shape[1]} of the {feature} features.\n"
                "  Rows are hours (axis 0); a period is a block of rows, all features kept.\n"
                f"  Fix:  {SPLIT_FIX}"
            )
        if part.dim() != 2 or part.shape[1] != feature:
            check_shape(part, "seq feature", feature=feature, name=name)
    hours_in = {name: hours_of(part[:, 0].detach().cpu()) for name, part in parts.items()}
    _check_split_order(call, hours_in, hours, n_train)
    _check_split_sizes(call, parts, series, hours_in, hours, n_train)


def _check_split_order(call, hours_in, hours, n_train) -> None:
    """Every hour once: shuffled hours, or the periods in the wrong order, are named."""
    __tracebackhide__ = True
    names = ("train", "valid")
    every = sorted(h for hs in hours_in.values() for h in hs)
    if every == list(range(hours)):
        for name in names:
            hs = hours_in[name]
            if hs and hs != list(range(hs[0], hs[0] + len(hs))):
                later = [h for h in hs if h >= n_train] if name == "train" else []
                detail = (f"train holds hour {later[0]}, after hours 0..{n_train - 1}."
                          if later else f"{name} holds {_hours(hs)}.")
                raise CheckFailed(
                    f"{call}: the hours were shuffled.\n"
                    f"  With n_train={n_train}: {detail}\n"
                    "  The periods should be consecutive blocks of time. Neighbouring hours are\n"
                    "  nearly equal: with the hours around every validation hour in training, the\n"
                    "  validation period measures memory, not forecasting.\n"
                    f"  Fix:  {SPLIT_FIX}"
                )
        first = {name: hours_in[name][0] for name in names if hours_in[name]}
        if sorted(first, key=first.get) != [n for n in names if n in first]:
            raise CheckFailed(
                f"{call}: the periods come in the wrong order.\n"
                + "".join(f"  {n:<5} = {_hours(hours_in[n])}\n" for n in names) +
                "  Time runs train -> valid (-> test, later): the model is measured on hours after\n"
                "  every hour it trained on, as a forecast is made for the future.\n"
                f"  Fix:  {SPLIT_FIX}"
            )


def _check_split_sizes(call, parts, series, hours_in, hours, n_train) -> None:
    """No hour in both periods; train the first n_train hours, valid the rest, their rows unchanged."""
    __tracebackhide__ = True
    names = ("train", "valid")
    n_valid = hours - n_train
    want = {"train": (0, n_train), "valid": (n_train, hours)}
    seen = {}
    for name in names:
        for h in hours_in[name]:
            if h in seen:
                raise CheckFailed(
                    f"{call}: the periods overlap.\n"
                    f"  Hour {h} is in both {seen[h]} and {name}. The end of a slice is not included:\n"
                    f"  series[:n_train] already ends at hour n_train - 1 = {n_train - 1}.\n"
                    f"  Fix:  {SPLIT_FIX}"
                )
            seen[h] = name
    sizes = {"train": n_train, "valid": n_valid}
    for name in names:
        got = parts[name].shape[0]
        if got != sizes[name]:
            start, stop = want[name]
            raise CheckFailed(
                f"{call}: {name} has {plural(got, 'hour')}, not {sizes[name]}.\n"
                f"  It should be hours {start}..{stop - 1}: train = the first n_train={n_train},\n"
                f"  valid = the remaining {n_valid}, up to the last hour.\n"
                f"  Fix:  {SPLIT_FIX}"
            )
    for name in names:
        start, stop = want[name]
        if not torch.equal(parts[name].detach().cpu(), series[start:stop]):
            raise CheckFailed(
                f"{call}: {name} has other numbers than hours {start}..{stop - 1}.\n"
                "  Each period keeps its hours' rows as they are, all features in column order.\n"
                f"  Fix:  {SPLIT_FIX}"
            )


# --- exercise 2: fit_scaler and apply_scaler ---------------------------------------------------------


def shifted_series(hours: int, feature: int, n_train: int, seed: int = 0) -> torch.Tensor:
    """(hours, feature) numbers whose hours after n_train have another mean and spread (x 3, + 5)."""
    scale = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5, 0.8, 2.5, 1.2])[:feature]
    offset = torch.tensor([10.0, -3.0, 100.0, 7.0, 0.0, 55.0, -20.0, 3.0])[:feature]
    series = seeded_randn(hours, feature, seed=seed) * scale + offset
    series[n_train:] = series[n_train:] * 3 + 5
    return series


def _vector(values) -> str:
    values = values.reshape(-1).tolist()
    return "[" + ", ".join(f"{v:.3g}" for v in values[:4]) + (", ...]" if len(values) > 4 else "]")


def check_scaler(fit_scaler, apply_scaler, *, hours: int = 40, feature: int = 3, n_train: int = 25,
                 seed: int = 0) -> None:
    """fit_scaler(series, n_train) -> mean, std (feature,) of the first n_train hours;
    apply_scaler(series, mean, std) -> (series - mean) / std.

    The series' later hours have another mean and spread, so statistics of the whole series fail.
    The visible call (no keywords) also tries a second series of other sizes.
    """
    __tracebackhide__ = True
    configs = [(hours, feature, n_train, seed)]
    if (hours, feature, n_train, seed) == (40, 3, 25, 0):
        configs.append((33, 4, 20, 5))
    for config in configs:
        _fit_once(fit_scaler, *config)
        _apply_once(apply_scaler, *config)
    more = f" (and {len(configs) - 1} more series)" if len(configs) > 1 else ""
    passed(f"fit_scaler: each feature's mean and std over the first {n_train} hours only; "
           f"apply_scaler: (series - mean) / std{more}")


STAT_FIX = "train = series[:n_train];  mean, std = train.mean(dim=0), train.std(dim=0)"


def _stat_shape(call, name, value, hours, feature, n_train):
    __tracebackhide__ = True
    require_tensor(value, name)
    shape = tuple(value.shape)
    if shape == (feature,):
        return
    if shape in ((n_train,), (hours,)):
        raise CheckFailed(
            f"{call}: {name} has shape {fmt(shape)}, one number per hour.\n"
            "  It was taken across the features (dim=1). Each feature needs its own\n"
            f"  {name} over time, down the hours axis: shape (feature={feature},).\n"
            f"  Fix:  {STAT_FIX}"
        )
    if shape == (1, feature):
        raise CheckFailed(
            f"{call}: {name} has shape {fmt(shape)}: keepdim=True kept an axis.\n"
            f"  The task asks for one number per feature, (feature={feature},); later cells read\n"
            f"  {name}[TEMP], which would then be a whole row.\n"
            f"  Fix:  {STAT_FIX}"
        )
    if shape == ():
        raise CheckFailed(
            f"{call}: {name} is one number for the whole table.\n"
            "  It was taken over every feature at once; pressure (about 1018) and precipitation\n"
            f"  (about 0.004) each need their own: shape (feature={feature},).\n"
            f"  Fix:  {STAT_FIX}"
        )
    check_shape(value, "feature", feature=feature, name=name)


def _fit_once(fit_scaler, hours, feature, n_train, seed):
    __tracebackhide__ = True
    series = shifted_series(hours, feature, n_train, seed)
    call = "fit_scaler()"
    given = series.clone()
    with calling("fit_scaler"):
        result = fit_scaler(given, n_train)
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{call} should return two tensors, (mean, std),\n"
        f"  but it returned {_returned(result)}.\n"
        "  Fix:  return mean, std",
    )
    _unchanged(call, "series", given, series, STAT_FIX)
    mean, std = result
    _stat_shape(call, "mean", mean, hours, feature, n_train)
    _stat_shape(call, "std", std, hours, feature, n_train)
    mean, std = mean.detach().cpu().float(), std.detach().cpu().float()
    train = series[:n_train]
    want_mean, want_std = train.mean(dim=0), train.std(dim=0)
    std_biased = train.std(dim=0, correction=0)
    if close(mean, want_std, 1e-4) and close(std, want_mean, 1e-4):
        raise CheckFailed(
            f"{call}: mean and std come back swapped.\n"
            f"  mean = {_vector(mean)} is the spread, std = {_vector(std)} the mean.\n"
            "  Fix:  return mean, std"
        )
    _explain_leaked_stats(call, series, mean, std, want_mean, want_std, hours, n_train)
    if not close(mean, want_mean, 1e-4):
        raise CheckFailed(
            f"{call}: mean = {_vector(mean)},\n"
            f"  but the first {n_train} hours have mean {_vector(want_mean)}.\n"
            f"  Fix:  {STAT_FIX}"
        )
    if close(std, want_std ** 2, 1e-4) or close(std, std_biased ** 2, 1e-4):
        raise CheckFailed(
            f"{call}: std = {_vector(std)} is the variance.\n"
            f"  The standard deviation is its square root: {_vector(want_std)}.\n"
            f"  Fix:  {STAT_FIX}"
        )
    if not (close(std, want_std, 1e-4) or close(std, std_biased, 1e-4)):
        raise CheckFailed(
            f"{call}: std = {_vector(std)},\n"
            f"  but the first {n_train} hours have standard deviation {_vector(want_std)}.\n"
            f"  Fix:  {STAT_FIX}"
        )


def _explain_leaked_stats(call, series, mean, std, want_mean, want_std, hours, n_train) -> None:
    """mean or std computed over all hours, or over the hours after n_train: later periods leaked in."""
    __tracebackhide__ = True
    stats = (("mean", mean, want_mean, series.mean(dim=0), series[n_train:].mean(dim=0)),
             ("std", std, want_std, series.std(dim=0), series[n_train:].std(dim=0)))
    for name, got, right, whole, later in stats:
        whole_biased = series.std(dim=0, correction=0) if name == "std" else whole
        if close(got, whole, 1e-4) or close(got, whole_biased, 1e-4):
            raise CheckFailed(
                f"{call}: {name} comes from all {hours} hours, not the first {n_train}.\n"
                f"  {name} = {_vector(got)}; the training period (the first n_train hours) gives\n"
                f"  {_vector(right)}. The validation and test periods leaked in. Here the later\n"
                "  hours differ, as later months of a year do; when you forecast them you do not\n"
                "  know their statistics yet, so the scaler may not know them either.\n"
                f"  Fix:  {STAT_FIX}"
            )
        if close(got, later, 1e-4):
            raise CheckFailed(
                f"{call}: {name} comes from the hours after n_train={n_train}.\n"
                "  Those are the validation and test periods; the training period is the first\n"
                "  n_train hours, series[:n_train].\n"
                f"  Fix:  {STAT_FIX}"
            )


def _apply_once(apply_scaler, hours, feature, n_train, seed):
    __tracebackhide__ = True
    series = shifted_series(hours, feature, n_train, seed)
    train = series[:n_train]
    mean, std = train.mean(dim=0), train.std(dim=0)
    call = "apply_scaler()"
    given, given_mean, given_std = series.clone(), mean.clone(), std.clone()
    with calling("apply_scaler"):
        scaled = apply_scaler(given, given_mean, given_std)
    _unchanged(call, "series", given, series, "return (series - mean) / std")
    _unchanged(call, "mean", given_mean, mean, "return (series - mean) / std")
    _unchanged(call, "std", given_std, std, "return (series - mean) / std")
    require_tensor(scaled, "scaled")
    check_shape(scaled, "seq feature", seq=hours, feature=feature, name="scaled")
    want = (series - mean) / std
    if close(scaled, want, 1e-4):
        return
    fix = "return (series - mean) / std"
    for value, what in (((series - mean) * std, "(series - mean) * std: multiplied by std"),
                        (series / std - mean, "series / std - mean: divided first"),
                        (series - mean / std, "series - mean / std: only the mean divided"),
                        ((series - mean) / std ** 2, "(series - mean) / std**2: the variance"),
                        (series - mean, "series - mean: no division by std"),
                        (series / std, "series / std: the mean not subtracted")):
        if close(scaled, value, 1e-4):
            raise CheckFailed(
                f"{call} computed {what}.\n"
                "  Scaled = how many standard deviations a number lies from its feature's mean.\n"
                f"  Fix:  {fix}"
            )
    raise CheckFailed(
        f"{call} gives other numbers than (series - mean) / std:\n"
        f"  row 0 is {_vector(scaled[0])} instead of {_vector(want[0])}.\n"
        f"  Fix:  {fix}"
    )


# --- exercise 3: forecast_windows -----------------------------------------------------------------------

WINDOW_FIX = "inputs = torch.stack([series[i:i + seq] for i in range(n)])"
TARGET_FIX = "targets = series[seq + horizon - 1:seq + horizon - 1 + n, target_col]"


def check_forecast_windows(forecast_windows, *, hours: int = 30, seq: int = 7, feature: int = 3,
                           horizon: int | None = None, target_col: int | None = None) -> None:
    """forecast_windows(series, seq, horizon, target_col) -> inputs (batch, seq, feature), targets (batch,).

    Window i is hours i .. i + seq - 1; its target is column target_col of hour i + seq + horizon - 1.
    Without horizon and target_col, three settings are tried: horizon 3 / column 1, horizon 1 /
    column 2, horizon 6 / column 0 on a shorter series; both off-by-ones are then caught.
    """
    __tracebackhide__ = True
    if feature > 9:
        raise ValueError("feature must be below 10 for the coded series")
    if horizon is None and target_col is None:
        configs = [(hours, seq, feature, 3, 1), (hours, seq, feature, 1, 2), (16, 5, 2, 6, 0)]
    else:
        configs = [(hours, seq, feature, 1 if horizon is None else horizon,
                    0 if target_col is None else target_col)]
    counts = [_windows_once(forecast_windows, *config) for config in configs]
    _, s, f, hz, col = configs[0]
    more = "".join(f"; horizon={c[3]}, column {c[4]}: {n}" for c, n in zip(configs[1:], counts[1:], strict=True))
    passed(f"forecast_windows: {plural(counts[0], 'window')} (batch={counts[0]}, seq={s}, feature={f}), "
           f"targets: column {col}, {hz} h after each window's last hour{more}")


def _count_text(call, name, got, n, hours, seq, horizon) -> str:
    if got > n:
        why = (f"The last window with a target starts at hour {n - 1}; its target is the series'\n"
               f"  last hour, {hours - 1}. Windows after it have no target.")
    elif got == hours // seq:
        why = "These look like blocks side by side; windows overlap, one starts at every hour."
    else:
        why = f"Windows are missing: one starts at every hour 0, 1, ..., {n - 1}."
    return (
        f"{call}: {name} has {got} rows, not {n}.\n"
        f"  One row per window: hours - seq - horizon + 1 = {hours} - {seq} - {horizon} + 1 = {n}.\n"
        f"  {why}\n"
        "  Fix:  n = len(series) - seq - horizon + 1"
    )


def _windows_once(forecast_windows, hours, seq, feature, horizon, target_col) -> int:
    __tracebackhide__ = True
    series = coded_series(hours, feature)
    n = hours - seq - horizon + 1
    call = "forecast_windows()"
    given = series.clone()
    with calling("forecast_windows"):
        result = forecast_windows(given, seq, horizon, target_col)
    _unchanged(call, "series", given, series, WINDOW_FIX)
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{call} should return two tensors, (inputs, targets),\n"
        f"  but it returned {_returned(result)}.\n"
        "  Fix:  return inputs, targets",
    )
    inputs, targets = result
    require_tensor(inputs, "inputs")
    require_tensor(targets, "targets")
    shape = tuple(inputs.shape)
    if inputs.dim() == 3 and shape[1:] == (feature, seq) and seq != feature:
        raise CheckFailed(
            f"{call}: inputs is {fmt(shape)}: seq and feature are swapped.\n"
            f"  It should be (batch={n}, seq={seq}, feature={feature}). Tensor.unfold(0, seq, 1) puts\n"
            "  the window's hours on the last axis.\n"
            "  Fix:  inputs = inputs.transpose(1, 2)"
        )
    if inputs.dim() == 3 and shape[1:] == (seq, feature) and shape[0] != n:
        raise CheckFailed(_count_text(call, "inputs", shape[0], n, hours, seq, horizon))
    if inputs.dim() == 3 and shape[2] == feature and shape[1] in (seq - 1, seq + 1) and shape[0] == n:
        if shape[1] == seq + 1:
            why = (f"Each window has {seq + 1} hours, one too many: series[i:i + seq + 1] runs\n"
                   "  past the window's last hour.")
        else:
            why = (f"Each window has {seq - 1} hours, one too few: the end of a slice is not\n"
                   f"  included, so series[i:i + seq] already holds {seq} hours.")
        raise CheckFailed(f"{call}: inputs is {fmt(shape)}.\n  {why}\n  Fix:  {WINDOW_FIX}")
    check_shape(inputs, "batch seq feature", batch=n, seq=seq, feature=feature, name="inputs")
    _window_values(call, inputs.detach().cpu(), series, n, seq, horizon)
    tshape = tuple(targets.shape)
    if targets.dim() == 2 and tshape == (n, feature) and feature > 1:
        raise CheckFailed(
            f"{call}: targets is {fmt(tshape)}: every feature of each hour.\n"
            f"  It should be (batch={n},): the model forecasts one column, target_col.\n"
            f"  Fix:  {TARGET_FIX}"
        )
    if targets.dim() == 2 and tshape == (n, 1):
        raise CheckFailed(
            f"{call}: targets is {fmt(tshape)}: one axis too many.\n"
            f"  It should be (batch={n},). The Forecaster returns (batch,); nn.MSELoss() of (batch,)\n"
            "  against (batch, 1) broadcasts to (batch, batch) and only warns.\n"
            f"  Fix:  {TARGET_FIX}"
        )
    if targets.dim() == 1 and tshape[0] != n:
        raise CheckFailed(_count_text(call, "targets", tshape[0], n, hours, seq, horizon))
    check_shape(targets, "batch", batch=n, name="targets")
    _target_values(call, targets.detach().cpu(), n, seq, horizon, target_col)
    return n


def _window_values(call, inputs, series, n, seq, horizon):
    __tracebackhide__ = True
    bad = first_mismatch(inputs, windows(series, n, seq))
    if bad is None:
        return
    got = hours_of(inputs[bad, :, 0])
    target = bad + seq + horizon - 1
    consecutive = got == list(range(got[0], got[0] + seq))
    if consecutive and got[-1] == target:
        cause = (f"Its last hour, {target}, is the target hour of window {bad}: the window was moved\n"
                 f"  {plural(horizon, 'hour')} forward, the answer is in the input, and a model learns\n"
                 "  to copy it.")
    elif consecutive and got[0] < target <= got[-1]:
        cause = f"It holds hour {target}, the target hour of window {bad}: the answer is in the input."
    elif got == list(range(bad, bad + seq)):
        cause = "Its hours are right, its features are not: each step holds all of its hour's features."
    elif consecutive:
        cause = f"Window {bad} starts at hour {got[0]}: windows start one hour apart, window i at hour i."
    else:
        cause = "The steps of a window should be consecutive hours."
    raise CheckFailed(
        f"{call}: inputs[{bad}] holds {_hours(got)},\n"
        f"  but window {bad} is hours {bad}..{bad + seq - 1}.\n"
        f"  {cause}\n"
        f"  Fix:  {WINDOW_FIX}"
    )


def _target_values(call, targets, n, seq, horizon, target_col):
    __tracebackhide__ = True
    first = seq + horizon - 1
    want = torch.tensor([10.0 * (i + first) + target_col for i in range(n)])
    if torch.equal(targets.float(), want):
        return
    bad = next(i for i in range(n) if float(targets[i]) != float(want[i]))
    value = int(round(float(targets[bad])))
    got_hour, got_col = value // 10, value % 10
    want_hour = bad + first
    now = bad + seq - 1
    if got_hour == want_hour and got_col != target_col:
        raise CheckFailed(
            f"{call}: targets[{bad}] is column {got_col}, not target_col={target_col}.\n"
            "  The hour is right; the target is the column the model forecasts.\n"
            f"  Fix:  {TARGET_FIX}"
        )
    covers = (f"Window {bad} is hours {bad}..{now}; 'now' is its last hour, {now}, and the target\n"
              f"  comes {plural(horizon, 'hour')} later: hour {want_hour}.")
    if got_hour == want_hour + 1:
        cause = ("That is one hour too late: the horizon was counted from the hour after the\n"
                 "  window (i + seq) instead of from its last hour (i + seq - 1).")
    elif bad <= got_hour <= now:
        cause = f"Hour {got_hour} is inside the window: the model would forecast a number it sees."
        if got_hour == now:
            cause += "\n  Copying it, persistence, would then score perfectly."
    elif got_hour == want_hour - 1:
        cause = "That is one hour too early."
    elif horizon > 1 and got_hour == now + 1:
        cause = f"That is the hour right after the window: horizon={horizon} was ignored."
    else:
        cause = f"The target of window i is hour i + seq + horizon - 1 = i + {first}."
    raise CheckFailed(
        f"{call}: targets[{bad}] is hour {got_hour}, not {want_hour}.\n"
        f"  {covers}\n"
        f"  {cause}\n"
        f"  Fix:  {TARGET_FIX}"
    )


# --- exercise 4: persistence -------------------------------------------------------------------------------

PERSISTENCE_FIX = "return inputs[:, -1, target_col]"


def check_persistence(persistence, *, batch: int = 5, seq: int = 7, feature: int = 3,
                      target_col: int | None = None) -> None:
    """persistence(inputs (batch, seq, feature), target_col) -> (batch,): the target column at the last hour.

    Without target_col, columns 2 and 1 are tried (the notebook's temperature is column 0).
    """
    __tracebackhide__ = True
    cols = [2, 1] if target_col is None else [target_col]
    for col in cols:
        _persistence_once(persistence, batch, seq, feature, col)
    passed(f"persistence: inputs[:, -1, target_col], the last hour of each window (batch={batch},)"
           f"{', columns ' + ' and '.join(map(str, cols)) if len(cols) > 1 else ''}")


def _persistence_once(persistence, batch, seq, feature, col):
    __tracebackhide__ = True
    inputs = coded(batch, seq, feature)  # 100*b + 10*t + f: window b, hour t, feature f
    call = "persistence()"
    given = inputs.clone()
    with calling("persistence"):
        got = persistence(given, col)
    _unchanged(call, "inputs", given, inputs, PERSISTENCE_FIX)
    require_tensor(got, "the forecast")
    shape = tuple(got.shape)
    if shape == (batch, feature) and feature != seq:
        raise CheckFailed(
            f"{call} returned {fmt(shape)}: all features of the last hour.\n"
            f"  The forecast is one number per window, the target column: (batch={batch},).\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    if shape == (batch, 1):
        raise CheckFailed(
            f"{call} returned {fmt(shape)}: one axis too many.\n"
            "  A slice col:col + 1 keeps the axis; (batch, 1) against targets (batch,)\n"
            "  broadcasts to (batch, batch) in a loss.\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    if shape == (seq,) and seq != batch:
        raise CheckFailed(
            f"{call} returned {fmt(shape)}: the {seq} hours of ONE window.\n"
            "  Windows are batch-first, (batch, seq, feature): inputs[-1] is the last window,\n"
            "  not the last hour.\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    check_shape(got, "batch", batch=batch, name="the forecast")
    got = got.detach().cpu().float()
    if torch.equal(got, inputs[:, -1, col]):
        return
    if torch.equal(got, inputs[:, 0, col]):
        raise CheckFailed(
            f"{call} took the FIRST hour of each window.\n"
            f"  inputs[:, 0] is {seq - 1} hours before 'now'; persistence forecasts the latest\n"
            "  value we know, at the window's last hour.\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    other = [c for c in range(feature) if c != col and torch.equal(got, inputs[:, -1, c])]
    if other:
        raise CheckFailed(
            f"{call} took column {other[0]}, not target_col={col}.\n"
            "  The temperature is column 0 in the notebook; here target_col is another one.\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    if torch.allclose(got, inputs[:, :, col].mean(dim=1)):
        raise CheckFailed(
            f"{call} averaged the window.\n"
            f"  That forecasts the mean of the last {seq} hours, not 'as it is now'.\n"
            f"  Fix:  {PERSISTENCE_FIX}"
        )
    raise CheckFailed(f"{call} returned other numbers than inputs[:, -1, target_col].\n"
                      f"  Fix:  {PERSISTENCE_FIX}")


# --- exercise 5: rmse_in_degrees ------------------------------------------------------------------------

RMSE_FIX = "return ((pred - target) * std).pow(2).mean().sqrt().item()"


def check_rmse_in_degrees(rmse_in_degrees, *, batch: int = 50, mean: float = 54.5, std: float = 17.0,
                          seed: int = 3) -> None:
    """rmse_in_degrees(pred, target, mean, std) -> a number: the RMSE of the forecasts in degrees.

    pred and target are scaled (batch,) tensors; mean and std the target column's. The visible call
    also tries 0-d tensors for mean and std, another size, and tensors on the GPU when there is one.
    """
    __tracebackhide__ = True
    configs = [(batch, mean, std, seed, False)]
    if (batch, mean, std, seed) == (50, 54.5, 17.0, 3):
        configs += [(9, 12.0, 4.0, 8, True)]
    for config in configs:
        _rmse_once(rmse_in_degrees, *config, device=torch.device("cpu"))
    if torch.cuda.is_available():
        _rmse_once(rmse_in_degrees, *configs[-1], device=torch.device("cuda"))
    passed("rmse_in_degrees: sqrt(mean((pred - target)**2)) x std, in degrees, as a number")


def _rmse_once(rmse_in_degrees, batch, mean, std, seed, as_tensors, device):
    __tracebackhide__ = True
    pred = seeded_randn(batch, seed=seed).to(device)
    target = (0.8 * seeded_randn(batch, seed=seed + 1)).to(device)
    m, s = (torch.tensor(mean), torch.tensor(std)) if as_tensors else (mean, std)
    call = "rmse_in_degrees()"
    given_pred, given_target = pred.clone(), target.clone()
    given_m, given_s = (m.clone(), s.clone()) if as_tensors else (m, s)
    with calling("rmse_in_degrees"):
        got = rmse_in_degrees(given_pred, given_target, given_m, given_s)
    _unchanged(call, "pred", given_pred, pred, RMSE_FIX)
    _unchanged(call, "target", given_target, target, RMSE_FIX)
    if as_tensors:
        _unchanged(call, "mean", given_m, m, RMSE_FIX)
        _unchanged(call, "std", given_s, s, RMSE_FIX)
    _require_float(got, call)
    p, t = pred.double().cpu(), target.double().cpu()
    want = (p - t).pow(2).mean().sqrt().item() * std
    if math.isclose(got, want, rel_tol=1e-4):
        return
    _explain_rmse(got, want, p, t, call, mean=mean, std=std, as_tensors=as_tensors)


def _require_float(got, call) -> None:
    """One Python float: not a tensor (of one number or more), not another type."""
    __tracebackhide__ = True
    if isinstance(got, torch.Tensor):
        require(
            got.numel() == 1,
            f"{call} returned a tensor {fmt(got.shape)}.\n"
            "  It should be one number: the RMSE over all the forecasts together.\n"
            f"  Fix:  {RMSE_FIX}",
        )
        raise CheckFailed(
            f"{call} returned a one-element tensor, {got.item():.4g}, not a Python float.\n"
            "  The task asks for a float: a tensor keeps its graph and device, prints as\n"
            "  tensor(...), and summed over many calls keeps every graph alive.\n"
            f"  Fix:  {RMSE_FIX}"
        )
    require(
        isinstance(got, float),
        f"{call} returned a {type(got).__name__}.\n"
        "  It should return a number, a Python float.\n"
        f"  Fix:  {RMSE_FIX}",
    )


def _explain_rmse(got, want, p, t, call, *, mean, std, as_tensors) -> None:
    """The number is not the RMSE in degrees: the known slip that gives it (scaled, MSE, MAE, ...)."""
    __tracebackhide__ = True
    diff = p - t
    rmse_scaled = diff.pow(2).mean().sqrt().item()
    given = f"  (The check passed mean={mean} and std={std} as {'0-d tensors' if as_tensors else 'floats'}.)"
    known = [
        (rmse_scaled, f"{got:.4g} is in scaled units, not degrees.",
         f"One scaled unit of the target is std = {std} degrees: multiply by std."),
        (diff.pow(2).mean().item() * std ** 2, f"{got:.4g} is the mean squared error.",
         "That is in degrees squared: the square root is missing."),
        (diff.pow(2).mean().item(), f"{got:.4g} is the mean squared error, scaled.",
         "The square root and the std are both missing."),
        (diff.pow(2).mean().item() * std, f"{got:.4g} is the mean squared error x std.",
         "Take the square root of the mean squared error first."),
        (rmse_scaled * std ** 2, f"{got:.4g} is the RMSE multiplied by std twice.",
         "Errors scale with std once: (pred - target) * std."),
        (rmse_scaled * std + mean, f"{got:.4g} is the RMSE in degrees plus the mean.",
         "An error has no offset: the mean cancels in (pred*std + mean) - (target*std + mean)."),
        (diff.abs().mean().item() * std, f"{got:.4g} is the mean absolute error (MAE).",
         "The RMSE squares the errors, averages them, then takes the square root."),
        ((p * std + mean - t).pow(2).mean().sqrt().item(), f"{got:.4g}: only pred is in degrees.",
         "The target is still scaled: undo the scaling of both, or of their difference."),
        (diff.pow(2).sum().sqrt().item() * std, f"{got:.4g} uses the sum of the squared errors.",
         "The RMSE takes their mean, so it does not grow with the number of forecasts."),
    ]
    for value, first, second in known:
        if math.isclose(got, value, rel_tol=1e-4):
            raise CheckFailed(f"{call}: {first}\n  {second}\n{given}\n  Fix:  {RMSE_FIX}")
    raise CheckFailed(
        f"{call} returned {got:.4g}; the RMSE in degrees is {want:.4g}.\n"
        f"{given}\n"
        f"  Fix:  {RMSE_FIX}"
    )


# --- exercise 6: Forecaster ---------------------------------------------------------------------------------


FORECASTER_FIX = "return x[:, -1, self.target_col] + self.head(h_n[-1]).squeeze(-1)"
LSTM_FIX = "nn.LSTM(n_features, hidden_size, num_layers, batch_first=True, dropout=dropout)"
BUILT = "  (The check built Forecaster({}, {}, {}, target_col={}, dropout={}).)"


def check_forecaster(Forecaster, *, feature: int = 5, hidden: int = 4, num_layers: int = 2,  # noqa: N803
                     target_col: int = 2, batch: int = 3, seq: int = 6, dropout: float = 0.3,
                     seed: int = 11) -> None:
    """Forecaster(n_features, hidden_size, num_layers, target_col, dropout): forward(x) ==
    x[:, -1, target_col] + head(h_n[-1]).squeeze(-1), with weights the check copies into it.

    The visible call (no keywords) also tries 3 layers and 1 layer, other sizes and columns.
    """
    __tracebackhide__ = True
    first = dict(feature=feature, hidden=hidden, num_layers=num_layers, target_col=target_col, batch=batch,
                 seq=seq, dropout=dropout, seed=seed)
    configs = [first]
    if first == dict(feature=5, hidden=4, num_layers=2, target_col=2, batch=3, seq=6, dropout=0.3, seed=11):
        configs += [dict(feature=3, hidden=6, num_layers=3, target_col=1, batch=4, seq=2, dropout=0.0, seed=12),
                    dict(feature=2, hidden=3, num_layers=1, target_col=0, batch=2, seq=5, dropout=0.0, seed=13)]
    with untouched():
        for config in configs:
            _forecaster_once(Forecaster, **config)
    more = f", and {len(configs) - 1} more sizes" if len(configs) > 1 else ""
    passed(f"Forecaster: x[:, -1, target_col] + head(h_n[-1]), {num_layers}-layer batch-first LSTM{more}")


def _forecaster_once(Forecaster, *, feature, hidden, num_layers, target_col, batch, seq, dropout, seed):  # noqa: N803
    __tracebackhide__ = True
    build = "Forecaster"
    built = BUILT.format(feature, hidden, num_layers, target_col, dropout)
    with calling("Forecaster"):
        model = Forecaster(feature, hidden, num_layers, target_col, dropout=dropout)
    lstm, head = _forecaster_parts(model, build, built, feature=feature, hidden=hidden, num_layers=num_layers,
                                   dropout=dropout)
    reference = seeded_lstm(feature, hidden, seed=seed, num_layers=num_layers, batch_first=True)
    ref_head = nn.Linear(hidden, 1)
    with torch.no_grad():
        ref_head.weight.copy_(seeded_randn(1, hidden, seed=seed + 1) * 0.7)
        ref_head.bias.fill_(0.3)
        lstm.load_state_dict(reference.state_dict())
        head.load_state_dict(ref_head.state_dict())
    model.eval()
    x = seeded_randn(batch, seq, feature, seed=seed + 2)
    with torch.no_grad():
        out, (h_n, c_n) = reference(x)
        change = ref_head(h_n[-1]).squeeze(-1)
        want = x[:, -1, target_col] + change
        alternatives = _forecast_alternatives(x, out, h_n, c_n, ref_head, change, target_col, num_layers)
    _compare_forecast(model, x, want, build, built, batch=batch, seq=seq, alternatives=alternatives)
    if torch.cuda.is_available():
        model.to("cuda")
        _compare_forecast(model, x.to("cuda"), want.to("cuda"), build + " on the GPU", built, batch=batch,
                          seq=seq, alternatives=(), atol=1e-4)


def _forecaster_parts(model, build, built, *, feature, hidden, num_layers, dropout):
    """model.lstm: nn.LSTM of the given sizes, batch_first, one direction; model.head: nn.Linear(hidden, 1)."""
    __tracebackhide__ = True
    require(isinstance(model, nn.Module),
            f"{build}(...) should build an nn.Module, but it is a {type(model).__name__}.\n"
            "  Fix:  class Forecaster(nn.Module):  ...  super().__init__()")
    lstm, head = getattr(model, "lstm", None), getattr(model, "head", None)
    require(
        isinstance(lstm, nn.LSTM),
        f"{build}: self.lstm should be an nn.LSTM,\n"
        f"  but it is {type(lstm).__name__ if lstm is not None else 'missing'}.\n"
        f"  Fix:  {LSTM_FIX}",
    )
    for attr, want in (("input_size", feature), ("hidden_size", hidden), ("num_layers", num_layers)):
        require(
            getattr(lstm, attr) == want,
            f"{build}: self.lstm has {attr}={getattr(lstm, attr)}, not {want}.\n{built}\n"
            f"  Fix:  {LSTM_FIX}",
        )
    require(
        lstm.batch_first,
        f"{build}: self.lstm was built without batch_first=True.\n"
        "  The windows are (batch, seq, feature); without it the LSTM reads them as\n"
        "  (seq, batch, feature), and each 'sequence' runs across the windows of a batch.\n"
        f"  Fix:  {LSTM_FIX}",
    )
    require(
        not lstm.bidirectional,
        f"{build}: self.lstm is bidirectional.\n"
        "  A forecaster reads the window forward; the backward direction's final state has\n"
        "  seen only the last hour (notebook 06).\n"
        f"  Fix:  {LSTM_FIX}",
    )
    require(
        math.isclose(lstm.dropout, dropout),
        f"{build}: self.lstm has dropout={lstm.dropout}, not {dropout}.\n"
        f"  Pass the Forecaster's dropout on to nn.LSTM.\n{built}\n"
        f"  Fix:  {LSTM_FIX}",
    )
    require(
        isinstance(head, nn.Linear) and head.in_features == hidden and head.out_features == 1,
        f"{build}: self.head should be nn.Linear({hidden}, 1),\n"
        f"  but it is {head if head is not None else 'missing'}.\n"
        "  Fix:  self.head = nn.Linear(hidden_size, 1)",
    )
    return lstm, head


def _forecast_alternatives(x, out, h_n, c_n, head, change, col, num_layers):
    now = x[:, -1, col]
    alts = []
    if num_layers > 1:
        alts.append((now + head(h_n[0]).squeeze(-1),
                     "the head reads h_n[0], the BOTTOM layer.",
                     "h_n is (layers, batch, hidden): h_n[0] is the layer that reads x; the top\n"
                     "  layer, whose output is out, is h_n[-1] (notebook 05)."))
    alts += [
        (now + head(out[:, 0]).squeeze(-1),
         "the head reads out[:, 0], the FIRST hour of the window.",
         "The last hour, out[:, -1] (== h_n[-1]), is the one that has seen the whole window."),
        (now + head(c_n[-1]).squeeze(-1),
         "the head reads c_n[-1], the top layer's CELL state.",
         "An LSTM's output is its hidden state: h_n[-1] (== out[:, -1])."),
        (change,
         "forward returns the change only: the value now is not added.",
         "The head predicts the change over `horizon` hours; the forecast is now + change."),
        (x[:, 0, col] + change,
         "'now' is taken from the FIRST hour of the window.",
         "x[:, 0, target_col] is seq - 1 hours before now, the window's last hour."),
        (now - change,
         "the change is subtracted, not added.",
         "The head predicts how much the target rises: forecast = now + change."),
    ]
    if col != 0:
        alts.append((x[:, -1, 0] + change,
                     f"'now' comes from column 0, but target_col={col}.",
                     "Use self.target_col (the temperature is column 0 in the notebook only)."))
    return alts


def _compare_forecast(model, x, want, build, built, *, batch, seq, alternatives, atol=1e-5):
    __tracebackhide__ = True
    original = x.clone()
    try:
        with calling("Forecaster.forward"), torch.no_grad():
            got = model(x)
    except RuntimeError as err:
        if "must match the size" not in str(err):
            raise
        raise CheckFailed(
            f"{build}: forward failed on windows (batch={batch}, seq={seq}, feature).\n"
            f"  RuntimeError: {str(err).split(' at non-singleton')[0][:72]}\n"
            "  Something of seq numbers met something of batch numbers: out[-1] on batch-first\n"
            "  output is the last WINDOW (seq, hidden); the last hour is out[:, -1], or h_n[-1].\n"
            f"  Fix:  {FORECASTER_FIX}"
        ) from None
    _unchanged(f"{build}.forward()", "x", x, original, FORECASTER_FIX)
    require_tensor(got, "the forecast")
    shape = tuple(got.shape)
    if shape == (batch, 1):
        raise CheckFailed(
            f"{build}: forward returned {fmt(shape)}, not (batch={batch},).\n"
            "  nn.Linear(hidden, 1) keeps an axis of size 1; against targets (batch,),\n"
            "  nn.MSELoss() broadcasts to (batch, batch) and only warns.\n"
            f"  Fix:  {FORECASTER_FIX}"
        )
    if shape in ((seq,), (seq, 1)) and seq != batch:
        raise CheckFailed(
            f"{build}: forward returned {fmt(shape)}, one number per HOUR.\n"
            "  out[-1] on batch-first output is the last window (seq, hidden); the last hour\n"
            "  of every window is out[:, -1], or h_n[-1].\n"
            f"  Fix:  {FORECASTER_FIX}"
        )
    if shape == (batch, batch) and batch > 1:
        raise CheckFailed(
            f"{build}: forward returned {fmt(shape)}, not (batch={batch},).\n"
            "  (batch,) plus the head's (batch, 1) broadcast to a square: drop the size-1 axis\n"
            "  of the head's output before adding the temperature now.\n"
            f"  Fix:  {FORECASTER_FIX}"
        )
    check_shape(got, "batch", batch=batch, name="the forecast")
    if close(got, want, atol):
        return
    for value, first, second in alternatives:
        if close(got, value, atol):
            raise CheckFailed(f"{build}: {first}\n  {second}\n{built}\n  Fix:  {FORECASTER_FIX}")
    raise CheckFailed(
        f"{build}: other forecasts than x[:, -1, target_col] + head(h_n[-1]),\n"
        f"  with the weights the check copied in: {got[0].item():.4f} instead of {want[0].item():.4f}.\n"
        f"{built}\n"
        f"  Fix:  {FORECASTER_FIX}"
    )


# --- the graded forecast: the learner's trained model on the test period ---------------------------------


def weather_features(split: str = "all") -> tuple[list, torch.Tensor]:
    """(times, features (hours, 8)): JFK's 6 measurements, then sin and cos of the local hour of the day."""
    from ..data import hourly_weather

    times, values = hourly_weather("JFK", split)
    angle = 2 * math.pi * torch.tensor([t.hour for t in times], dtype=torch.float32) / 24
    return times, torch.cat([values, torch.sin(angle)[:, None], torch.cos(angle)[:, None]], dim=1)


def _period_windows(features: torch.Tensor, times: list, seq: int, period: str):
    """The check's own pipeline: scaler of the training period, one period's windows, target = column 0."""
    n_train, n_before_test = times.index(TRAIN_END), times.index(VALID_END)
    mean, std = features[:n_train].mean(dim=0), features[:n_train].std(dim=0)
    scaled = (features - mean) / std
    part = scaled[n_train:n_before_test] if period == "valid" else scaled[n_before_test:]
    n = len(part) - seq - HORIZON + 1
    inputs = part.unfold(0, seq, 1)[:n].transpose(1, 2).contiguous()
    targets = part[seq + HORIZON - 1: seq + HORIZON - 1 + n, 0].clone()
    return inputs, targets, float(std[0])


RETRAIN = "Fix:  run the notebook again from the top (Kernel > Restart Kernel and Run All Cells)"
RECIPE_FIX = "Fix:  make Forecaster pass its check (exercise 6), then Kernel > Restart & Run All"


def _recipe_gap(model: nn.Module, x: torch.Tensor, got: torch.Tensor) -> str | None:
    """Why `model` is not the recipe's forecaster (its forecast through self.lstm, h_n[-1], self.head)."""
    lstm, head = getattr(model, "lstm", None), getattr(model, "head", None)
    if not isinstance(lstm, nn.LSTM) or not isinstance(head, nn.Linear):
        return ("it has no self.lstm (an nn.LSTM) and self.head (an nn.Linear): "
                f"self.lstm is {type(lstm).__name__}, self.head is {type(head).__name__}")
    with torch.no_grad():
        _, (h_n, _) = lstm(x)
        want = (x[:, -1, 0] + head(h_n[-1]).squeeze(-1)).float().cpu()
    off = float((got - want).abs().max())
    if off > 1e-3:
        return (f"its forecasts differ by up to {off:.3g} (scaled) from x[:, -1, TEMP] +\n"
                "  self.head(h_n[-1]) computed with its own self.lstm and self.head")
    return None


def check_forecast(model, *, seq: int, period: str = "test", threshold: float = THRESHOLD) -> None:
    """The learner's trained, sealed model on the test period (1 Nov - 30 Dec 2013) or the
    validation period: it must be the recipe's recurrent forecaster (x[:, -1, TEMP] plus a head on
    its LSTM's h_n[-1]) and its RMSE in degrees at most `threshold` x the persistence forecast's.

    First `heldout.require_sealed(model)`: the model the locked training cell trained and sealed,
    with the test period closed until then, and not trained further. The check then builds its own
    features (cu.data.hourly_weather("JFK") plus the hour of the day), scaler (training period),
    windows (seq hours, target = temperature HORIZON hours after the last) and RMSE.
    """
    __tracebackhide__ = True
    if period not in ("test", "valid"):
        raise ValueError("period must be 'test' or 'valid'")
    require(isinstance(model, nn.Module),
            f"model should be your trained Forecaster, but it is a {type(model).__name__}.\n  {RETRAIN}")
    heldout.require_sealed(model)
    require(isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq <= 24 * 14,
            f"seq should be the window length in hours, not {seq!r}.\n  {RETRAIN}")
    times, features = weather_features()
    inputs, targets, t_std = _period_windows(features, times, seq, period)
    pred = _forecasts(model, inputs)
    span = "1 Nov - 30 Dec" if period == "test" else "1 Sep - 31 Oct"
    what = f"the {period} period ({span}, {len(targets)} forecasts)"
    require(bool(torch.isfinite(pred).all()),
            f"the model's forecasts on {what} contain NaN or inf.\n  {RETRAIN}")
    rmse = float((pred - targets).pow(2).mean().sqrt()) * t_std
    persistence = float((inputs[:, -1, 0] - targets).pow(2).mean().sqrt()) * t_std
    bar = threshold * persistence
    if rmse <= bar:
        passed(f"forecast: RMSE {rmse:.2f} F on {what}; persistence {persistence:.2f} F: "
               f"{rmse / persistence:.2f} x persistence (at most {threshold} needed)")
        return
    head = (f"the model's RMSE is {rmse:.2f} F on {what};\n"
            f"  persistence ('as warm as now') scores {persistence:.2f} F. To pass, the model needs\n"
            f"  at most {threshold} x {persistence:.2f} = {bar:.2f} F.")
    _explain_forecast_rmse(head, pred, inputs, targets, t_std)


def _forecasts(model, inputs) -> torch.Tensor:
    """model's forecasts for every window, in eval mode, 512 at a time; the first batch also proves
    that the model is the recipe's recurrent forecaster."""
    __tracebackhide__ = True
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    preds = []
    try:
        with torch.no_grad():
            for start in range(0, len(inputs), 512):
                chunk = inputs[start:start + 512]
                out = model(chunk.to(device))
                require_tensor(out, "the forecast")
                check_shape(out, "batch", batch=len(chunk), name="model(x)")
                preds.append(out.detach().float().cpu())
                if start == 0:
                    gap = _recipe_gap(model, chunk.to(device), preds[0])
                    require(
                        gap is None,
                        "the graded model is not the recipe's recurrent forecaster:\n"
                        f"  {gap}.\n"
                        "  This grade is for an LSTM forecaster; a model that forecasts without its\n"
                        "  LSTM (a linear model of the window, say) is not one.\n"
                        f"  {RECIPE_FIX}",
                    )
    finally:
        model.train(was_training)
    return torch.cat(preds)


def _explain_forecast_rmse(head, pred, inputs, targets, t_std) -> None:
    """Above the bar: a model that copies the last hour, or one that predicts about the average."""
    __tracebackhide__ = True
    copy_gap = float((pred - inputs[:, -1, 0]).pow(2).mean().sqrt()) * t_std
    spread = float(pred.std()) * t_std
    if copy_gap < 0.35:
        raise CheckFailed(
            f"{head}\n  Its forecasts are within {copy_gap:.2f} F of the temperature now: it learned to\n"
            "  copy the last hour. That happens when the training targets were inside the window,\n"
            "  or the windows held their target hour: check forecast_windows, then train again.\n"
            f"  {RETRAIN}"
        )
    if spread < 0.25 * float(targets.std()) * t_std:
        raise CheckFailed(
            f"{head}\n  Its forecasts hardly change from hour to hour (spread {spread:.2f} F): it predicts\n"
            "  about the average, as a model does that trained on hours out of time order (a\n"
            "  shuffled split) or whose loss compared (batch,) with (batch, 1).\n"
            f"  {RETRAIN}"
        )
    raise CheckFailed(
        f"{head}\n  Train it as the notebook does (the same seed, epochs and learning rate), after\n"
        "  every exercise above passes.\n"
        f"  {RETRAIN}"
    )
