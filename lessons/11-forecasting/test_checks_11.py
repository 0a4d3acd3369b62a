"""The checks of notebook 11 (forecasting): right answers pass, realistic wrong answers fail with a
message that names the mistake and ends with a fix; the graded forecast check fails a model that
predicts the average and one that copies the temperature now (persistence). No nbgrader."""

import pytest
import torch
from torch import nn

from course_utils import heldout
from course_utils.checks import nb11
from course_utils.checks.common import CheckFailed, NotDoneYet
from course_utils.grading.lessons import mistakes, solution
from course_utils.shapes import ShapeError

_solution = solution("11")
split_by_time, fit_scaler, apply_scaler = _solution["split_by_time"], _solution["fit_scaler"], _solution["apply_scaler"]
forecast_windows, persistence = _solution["forecast_windows"], _solution["persistence"]
rmse_in_degrees, Forecaster = _solution["rmse_in_degrees"], _solution["Forecaster"]


def _fails(check, fn, *words, **kwargs):
    """The check raises a course error whose message holds every word and ends with a Fix line."""
    with pytest.raises((CheckFailed, ShapeError)) as info:
        check(fn, **kwargs)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "\n  Fix:  " in message, message
    shown = f"{type(info.value).__name__}: {message}"           # what the notebook prints
    assert all(len(line) <= 88 for line in shown.splitlines()), shown
    return message


def not_done(*args, **kwargs):
    raise NotImplementedError()


# --- exercise 1: split_by_time ------------------------------------------------------------------


def split_shuffled(series, n_train):
    series = series[torch.randperm(len(series), generator=torch.Generator().manual_seed(0))]
    return split_by_time(series, n_train)


def split_overlap(series, n_train):
    return series[:n_train], series[n_train - 1:]


def split_valid_first(series, n_train):
    n_valid = len(series) - n_train
    return series[n_valid:], series[:n_valid]


def split_features(series, n_train):
    return series[:, :1], series[:, 1:]


def split_short_valid(series, n_train):
    return series[:n_train], series[n_train:-1]


def split_none(series, n_train):
    series[:n_train]


def split_three(series, n_train):
    return series[:n_train], series[n_train:-5], series[-5:]


def split_sorted_in_place(series, n_train):
    series[:, 0] = series[:, 0].flip(0)              # a learner "tidying" the caller's tensor
    return series[:n_train].clone(), series[n_train:].clone()


@pytest.mark.parametrize("kwargs", [{}, dict(hours=50, feature=4, n_train=30),
                                    dict(hours=9, feature=1, n_train=5),
                                    dict(hours=12, feature=6, n_train=6)])
def test_split_right(kwargs, capsys):
    nb11.check_split_by_time(split_by_time, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED split_by_time")


@pytest.mark.parametrize("fn, words", [
    (split_shuffled, ["the hours were shuffled", "train holds hour 23", "measures memory"]),
    (split_overlap, ["the periods overlap", "Hour 16 is in both train and valid"]),
    (split_valid_first, ["the periods come in the wrong order", "Time runs train -> valid"]),
    (split_features, ["cut along the feature axis"]),
    (split_short_valid, ["valid has 12 hours, not 13", "hours 17..29"]),
    (split_none, ["should return two tensors", "returned None"]),
    (split_three, ["should return two tensors", "a tuple of 3 items"]),
    (split_sorted_in_place, ["changed its input series in place", "no longer the ones passed in"]),
])
def test_split_wrong(fn, words):
    _fails(nb11.check_split_by_time, fn, *words)


def test_split_fix_line_fixes_the_shuffle():
    message = _fails(nb11.check_split_by_time, split_shuffled)
    fix = message.split("Fix:  ")[1]

    namespace = {"torch": torch}
    exec("def fixed(series, n_train):\n    " + fix, namespace)
    nb11.check_split_by_time(namespace["fixed"])


def test_split_not_done():
    with pytest.raises(NotDoneYet, match="split_by_time"):
        nb11.check_split_by_time(not_done)


# --- exercise 2: fit_scaler and apply_scaler ---------------------------------------------------------


def fit_whole(series, n_train):
    return series.mean(dim=0), series.std(dim=0)


def fit_std_features(series, n_train):
    return series[:n_train].mean(dim=0), series[:n_train].std(dim=1)


def fit_later(series, n_train):
    return series[n_train:].mean(dim=0), series[n_train:].std(dim=0)


def fit_in_place(series, n_train):
    """A scaler that also scales the caller's series, in place."""
    mean, std = series[:n_train].mean(dim=0), series[:n_train].std(dim=0)
    series.sub_(mean).div_(std)
    return mean, std


def fit_keepdim(series, n_train):
    return series[:n_train].mean(dim=0, keepdim=True), series[:n_train].std(dim=0, keepdim=True)


def fit_scalar(series, n_train):
    return series[:n_train].mean(), series[:n_train].std()


def fit_variance(series, n_train):
    return series[:n_train].mean(dim=0), series[:n_train].var(dim=0)


def fit_swapped(series, n_train):
    return series[:n_train].std(dim=0), series[:n_train].mean(dim=0)


def fit_biased(series, n_train):
    return series[:n_train].mean(dim=0), series[:n_train].std(dim=0, correction=0)


def apply_times(series, mean, std):
    return (series - mean) * std


def apply_in_place(series, mean, std):
    series -= mean
    series /= std
    return series


def apply_no_mean(series, mean, std):
    return series / std


def _scaler(fit=fit_scaler, apply=apply_scaler, **kwargs):
    nb11.check_scaler(fit, apply, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(hours=60, feature=5, n_train=45, seed=2),
                                    dict(hours=8, feature=1, n_train=4, seed=3),
                                    dict(hours=25, feature=8, n_train=12, seed=4)])
def test_scaler_right(kwargs, capsys):
    _scaler(**kwargs)
    assert capsys.readouterr().out.startswith("PASSED fit_scaler")


def test_scaler_accepts_the_biased_std():
    _scaler(fit=fit_biased)


@pytest.mark.parametrize("fit, apply, words", [
    (fit_whole, apply_scaler, ["mean comes from all 40 hours, not the first 25", "leaked in"]),
    (fit_std_features, apply_scaler, ["std has shape (25,), one number per hour", "across the features (dim=1)"]),
    (fit_later, apply_scaler, ["comes from the hours after n_train=25"]),
    (fit_keepdim, apply_scaler, ["keepdim=True kept an axis"]),
    (fit_in_place, apply_scaler, ["fit_scaler() changed its input series in place"]),
    (fit_scalar, apply_scaler, ["one number for the whole table"]),
    (fit_variance, apply_scaler, ["is the variance"]),
    (fit_swapped, apply_scaler, ["come back swapped"]),
    (fit_scaler, apply_times, ["(series - mean) * std: multiplied by std"]),
    (fit_scaler, apply_in_place, ["changed its input series", "in-place"]),
    (fit_scaler, apply_no_mean, ["series / std: the mean not subtracted"]),
])
def test_scaler_wrong(fit, apply, words):
    with pytest.raises((CheckFailed, ShapeError)) as info:
        _scaler(fit=fit, apply=apply)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "\n  Fix:  " in message, message
    shown = f"{type(info.value).__name__}: {message}"
    assert all(len(line) <= 88 for line in shown.splitlines()), shown


def test_scaler_fix_line_fixes_the_whole_year():
    with pytest.raises(CheckFailed) as info:
        _scaler(fit=fit_whole)
    fix = str(info.value).split("Fix:  ")[1]

    def fixed(series, n_train):
        namespace = {"series": series, "n_train": n_train}
        exec(fix, namespace)
        return namespace["mean"], namespace["std"]
    _scaler(fit=fixed)


def test_scaler_not_done():
    with pytest.raises(NotDoneYet, match="fit_scaler"):
        _scaler(fit=not_done)
    with pytest.raises(NotDoneYet, match="apply_scaler"):
        _scaler(apply=not_done)


# --- exercise 3: forecast_windows ---------------------------------------------------------------------


def windows_with(window_start=lambda i, seq, h: i, target_hour=lambda i, seq, h: i + seq + h - 1,
                 count=lambda n_hours, seq, h: n_hours - seq - h + 1, column=lambda col: col,
                 target_shape=lambda t: t):
    """A family of wrong answers, one per argument; right with the defaults."""
    def f(series, seq, horizon, target_col):
        n = count(len(series), seq, horizon)
        inputs = torch.stack([series[window_start(i, seq, horizon):window_start(i, seq, horizon) + seq]
                              for i in range(n)])
        targets = torch.stack([series[target_hour(i, seq, horizon), column(target_col)] for i in range(n)])
        return inputs, target_shape(targets)
    return f


def windows_unfold(series, seq, horizon, target_col):
    n = len(series) - seq - horizon + 1
    return series.unfold(0, seq, 1)[:n], series[seq + horizon - 1:seq + horizon - 1 + n, target_col]


def windows_row_targets(series, seq, horizon, target_col):
    n = len(series) - seq - horizon + 1
    return torch.stack([series[i:i + seq] for i in range(n)]), series[seq + horizon - 1:seq + horizon - 1 + n]


def windows_hide_target_in_place(series, seq, horizon, target_col):
    """Targets first, then the target column zeroed in the caller's series "so the model cannot see it"."""
    n = len(series) - seq - horizon + 1
    targets = series[seq + horizon - 1:seq + horizon - 1 + n, target_col].clone()
    series[:, target_col].fill_(0)
    return torch.stack([series[i:i + seq] for i in range(n)]), targets


def windows_one_too_many(series, seq, horizon, target_col):
    n = len(series) - seq - horizon + 1
    return (torch.stack([series[i:i + seq + 1] for i in range(n)]),
            series[seq + horizon - 1:seq + horizon - 1 + n, target_col])


@pytest.mark.parametrize("kwargs", [{}, dict(hours=40, seq=5, feature=4, horizon=6, target_col=3),
                                    dict(hours=12, seq=1, feature=2, horizon=2, target_col=1),
                                    dict(hours=9, seq=8, feature=1, horizon=1, target_col=0),
                                    dict(hours=50, seq=24, feature=3, horizon=6, target_col=0)])
def test_windows_right(kwargs, capsys):
    nb11.check_forecast_windows(forecast_windows, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED forecast_windows")


def test_windows_with_the_defaults_is_right(capsys):
    nb11.check_forecast_windows(windows_with())
    assert capsys.readouterr().out.startswith("PASSED forecast_windows")


@pytest.mark.parametrize("fn, words", [
    (windows_with(target_hour=lambda i, seq, h: i + seq + h, count=lambda n, s, h: n - s - h),
     ["inputs has 20 rows, not 21"]),
    (windows_with(target_hour=lambda i, seq, h: i + seq + h - 2), ["one hour too early"]),
    (windows_hide_target_in_place, ["forecast_windows() changed its input series in place"]),
    (windows_with(target_hour=lambda i, seq, h: i + seq - 1), ["is inside the window", "persistence"]),
    (windows_with(target_hour=lambda i, seq, h: i + seq), ["horizon=3 was ignored"]),
    (windows_with(window_start=lambda i, seq, h: i + h), ["is the target hour of window 0", "the answer is in the input"]),
    (windows_with(column=lambda col: 0), ["targets[0] is column 0", "target_col=1"]),
    (windows_with(target_shape=lambda t: t[:, None]), ["one axis too many", "broadcasts"]),
    (windows_row_targets, ["every feature of each hour"]),
    (windows_unfold, ["seq and feature are swapped"]),
    (windows_one_too_many, ["one too many"]),
])
def test_windows_wrong(fn, words):
    _fails(nb11.check_forecast_windows, fn, *words)


def test_windows_one_hour_late_with_the_same_count():
    """t + horizon counted from the hour after the window: one hour too late (the last window kept by
    clamping at the series end, so only the values can tell)."""
    def late(series, seq, horizon, target_col):
        n = len(series) - seq - horizon + 1
        hours = [min(i + seq + horizon, len(series) - 1) for i in range(n)]
        return torch.stack([series[i:i + seq] for i in range(n)]), series[hours, target_col]
    _fails(nb11.check_forecast_windows, late, "one hour too late", "(i + seq - 1)")


def test_windows_not_done():
    with pytest.raises(NotDoneYet, match="forecast_windows"):
        nb11.check_forecast_windows(not_done)


# --- exercise 4: persistence ----------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, dict(batch=2, seq=3, feature=5, target_col=4),
                                    dict(batch=6, seq=1, feature=2, target_col=1),
                                    dict(batch=3, seq=4, feature=3, target_col=0)])
def test_persistence_right(kwargs, capsys):
    nb11.check_persistence(persistence, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED persistence")


@pytest.mark.parametrize("fn, words", [
    (lambda x, col: x[:, -1, 0], ["took column 0, not target_col=2"]),
    (lambda x, col: x[:, 0, col], ["took the FIRST hour of each window"]),
    (lambda x, col: x[:, -1], ["all features of the last hour"]),
    (lambda x, col: x[-1, :, col], ["the 7 hours of ONE window"]),
    (lambda x, col: x[:, -1, col:col + 1], ["one axis too many"]),
    (lambda x, col: x[:, :, col].mean(dim=1), ["averaged the window"]),
    (lambda x, col: x.transpose_(0, 1)[-1, :, col], ["persistence() changed its input inputs in place",
                                                     "its shape is now (7, 5, 3), not (5, 7, 3)"]),
])
def test_persistence_wrong(fn, words):
    _fails(nb11.check_persistence, fn, *words)


def test_persistence_not_done():
    with pytest.raises(NotDoneYet, match="persistence"):
        nb11.check_persistence(not_done)


# --- exercise 5: rmse_in_degrees -------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    rmse_in_degrees,
    lambda p, t, m, s: float(torch.sqrt(torch.mean(((p * s + m) - (t * s + m)) ** 2))),
])
def test_rmse_right(fn, capsys):
    nb11.check_rmse_in_degrees(fn)
    nb11.check_rmse_in_degrees(fn, batch=1, mean=-3.0, std=2.5, seed=5)
    assert capsys.readouterr().out.startswith("PASSED rmse_in_degrees")


@pytest.mark.parametrize("fn, words", [
    (lambda p, t, m, s: (p - t).pow(2).mean().sqrt().item(), ["is in scaled units, not degrees"]),
    (lambda p, t, m, s: ((p - t) * s).pow(2).mean().item(), ["the square root is missing"]),
    (lambda p, t, m, s: (p - t).pow(2).mean().item(), ["the mean squared error, scaled"]),
    (lambda p, t, m, s: ((p - t) * s).abs().mean().item(), ["mean absolute error (MAE)"]),
    (lambda p, t, m, s: ((p * s + m) - t).pow(2).mean().sqrt().item(), ["only pred is in degrees"]),
    (lambda p, t, m, s: ((p - t) * s).pow(2).mean().sqrt().item() + m, ["plus the mean"]),
    (lambda p, t, m, s: ((p - t) * s).pow(2).sum().sqrt().item(), ["uses the sum of the squared errors"]),
    (lambda p, t, m, s: ((p - t) * s).pow(2).sqrt(), ["returned a tensor (50,)", "one number"]),
    (lambda p, t, m, s: str(rmse_in_degrees(p, t, m, s)), ["returned a str", "a Python float"]),
    (lambda p, t, m, s: ((p - t) * s).pow(2).mean().sqrt(), ["a one-element tensor", "not a Python float"]),
    (lambda p, t, m, s: p.sub_(t).mul_(s).pow(2).mean().sqrt().item(),
     ["rmse_in_degrees() changed its input pred in place"]),
])
def test_rmse_wrong(fn, words):
    _fails(nb11.check_rmse_in_degrees, fn, *words)


def test_rmse_fix_line_fixes_the_scaled_units():
    message = _fails(nb11.check_rmse_in_degrees, lambda p, t, m, s: (p - t).pow(2).mean().sqrt().item())
    fix = message.split("Fix:  ")[1]
    source = "def fixed(pred, target, mean, std):\n    " + fix
    namespace = {}
    exec(source, namespace)
    nb11.check_rmse_in_degrees(namespace["fixed"])


def test_rmse_not_done():
    with pytest.raises(NotDoneYet, match="rmse_in_degrees"):
        nb11.check_rmse_in_degrees(not_done)


# --- exercise 6: Forecaster ----------------------------------------------------------------------------------


def forecaster(head_input="h_n[-1]", now="x[:, -1, self.target_col]", combine="now + change", squeeze=True,
               batch_first=True, dropout="dropout"):
    """A family of wrong answers, one per argument; right with the defaults."""
    class Forecaster(nn.Module):
        def __init__(self, n_features, hidden_size, num_layers, target_col, dropout=0.0):
            super().__init__()
            p = {"dropout": dropout, "zero": 0.0}[dropout_kind]
            self.lstm = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=batch_first,
                                dropout=p)
            self.head = nn.Linear(hidden_size, 1)
            self.target_col = target_col

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            state = eval(head_input)
            change = self.head(state)
            if squeeze:
                change = change.squeeze(-1)
            return eval(combine, {"now": eval(now), "change": change})

    dropout_kind = dropout
    return Forecaster


@pytest.mark.parametrize("kwargs", [{}, dict(feature=8, hidden=7, num_layers=2, target_col=0, batch=5, seq=3, dropout=0.1),
                                    dict(feature=4, hidden=2, num_layers=4, target_col=3, batch=1, seq=1, dropout=0.0),
                                    dict(feature=6, hidden=5, num_layers=2, target_col=5, batch=7, seq=9, dropout=0.5)])
def test_forecaster_right(kwargs, capsys):
    nb11.check_forecaster(Forecaster, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED Forecaster")


def test_forecaster_with_the_defaults_is_right(capsys):
    nb11.check_forecaster(forecaster())
    assert capsys.readouterr().out.startswith("PASSED Forecaster")


@pytest.mark.parametrize("fn, words", [
    (forecaster(head_input="h_n[0]"), ["the head reads h_n[0], the BOTTOM layer"]),
    (forecaster(head_input="out[:, 0]"), ["reads out[:, 0], the FIRST hour"]),
    (forecaster(head_input="c_n[-1]"), ["c_n[-1], the top layer's CELL state"]),
    (forecaster(head_input="out[-1]"), ["forward failed", "out[-1] on batch-first"]),
    (forecaster(combine="change"), ["returns the change only: the value now is not added"]),
    (forecaster(now="x[:, 0, self.target_col]"), ["from the FIRST hour of the window"]),
    (forecaster(now="x[:, -1, 0]"), ["'now' comes from column 0, but target_col=2"]),
    (forecaster(combine="now - change"), ["subtracted, not added"]),
    (forecaster(squeeze=False, combine="change"), ["forward returned (3, 1)"]),
    (forecaster(squeeze=False), ["broadcast to a square"]),
    (forecaster(batch_first=False), ["without batch_first=True"]),
    (forecaster(dropout="zero"), ["self.lstm has dropout=0.0, not 0.3"]),
])
def test_forecaster_wrong(fn, words):
    _fails(nb11.check_forecaster, fn, *words)


def test_forecaster_that_transposes_x_in_place():
    """A forward that turns the caller's windows seq-first in place (for an LSTM without batch_first)."""
    class SeqFirst(nn.Module):
        def __init__(self, n_features, hidden_size, num_layers, target_col, dropout=0.0):
            super().__init__()
            self.lstm = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True,
                                dropout=dropout)
            self.head = nn.Linear(hidden_size, 1)
            self.target_col = target_col

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            now = x.transpose_(0, 1)[-1, :, self.target_col]
            return now + self.head(h_n[-1]).squeeze(-1)
    _fails(nb11.check_forecaster, SeqFirst, "Forecaster.forward() changed its input x in place",
           "its shape is now (6, 3, 5), not (3, 6, 5)")


def test_forecaster_h_n_0_is_caught_by_the_visible_call_only_with_several_layers():
    # one layer: h_n[0] is h_n[-1], a right answer; the visible call tries 2 and 3 layers
    nb11.check_forecaster(forecaster(head_input="h_n[0]"), num_layers=1, dropout=0.0, feature=2, hidden=3,
                          target_col=0, batch=2, seq=5)


def test_forecaster_leaves_the_random_state_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    nb11.check_forecaster(Forecaster)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_forecaster_not_done():
    class Stub(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="Forecaster"):
        nb11.check_forecaster(Stub)


# --- the graded forecast: the learner's trained model on the test period ---------------------------------


@pytest.fixture(scope="module")
def weather():
    times, features = nb11.weather_features()
    return times, features


def sealed(model):
    heldout.seal(model)
    return model


def _training_windows(times, features, seq):
    n_train = times.index(nb11.TRAIN_END)
    train = features[:n_train]
    mean, std = train.mean(dim=0), train.std(dim=0)
    part = (train - mean) / std
    n = len(part) - seq - nb11.HORIZON + 1
    x = part.unfold(0, seq, 1)[:n].transpose(1, 2).contiguous()
    return x, part[seq + nb11.HORIZON - 1:seq + nb11.HORIZON - 1 + n, 0] - x[:, -1, 0]


def _least_squares(design, change):
    design = torch.cat([design, torch.ones(len(design), 1)], dim=1).double()
    eye = torch.eye(design.shape[1], dtype=torch.float64)
    return torch.linalg.solve(design.T @ design + 1e-2 * eye, design.T @ change.double())


class Recipe(nn.Module):
    """The recipe's forecaster (x[:, -1, 0] + head(h_n[-1])): a seeded, untrained LSTM whose head alone is
    fitted by least squares on the training windows (seconds, no training loop). It forecasts about
    0.79 x persistence on the test period; with a zero head it is persistence."""

    def __init__(self, times=None, features=None, seq=24, hidden=48):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(0)
            self.lstm = nn.LSTM(8, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 1)
        self.target_col = 0
        with torch.no_grad():
            if times is None:
                self.head.weight.zero_()
                self.head.bias.zero_()
                return
            x, change = _training_windows(times, features, seq)
            _, (h_n, _) = self.lstm(x)
            w = _least_squares(h_n[-1], change)
            self.head.weight.copy_(w[:-1].float()[None])
            self.head.bias.fill_(float(w[-1]))

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return x[:, -1, self.target_col] + self.head(h_n[-1]).squeeze(-1)


class Constant(nn.Module):
    """Always the same forecast: the training period's mean temperature (0 once scaled)."""

    def __init__(self, value=0.0):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value))

    def forward(self, x):
        return self.value.expand(x.shape[0])


class Linear(nn.Module):
    """The notebook's linear baseline, fitted by least squares: the temperature now + a linear change."""

    def __init__(self, times, features, seq):
        super().__init__()
        x, change = _training_windows(times, features, seq)
        w = _least_squares(x.flatten(1), change)
        self.linear = nn.Linear(x.shape[1] * x.shape[2], 1)
        with torch.no_grad():
            self.linear.weight.copy_(w[:-1].float()[None])
            self.linear.bias.fill_(float(w[-1]))

    def forward(self, x):
        return x[:, -1, 0] + self.linear(x.flatten(1)).squeeze(-1)


@pytest.fixture(scope="module")
def recipe(weather):
    return Recipe(*weather)


def test_forecast_passes_a_model_of_the_recipe(recipe, capsys):
    nb11.check_forecast(sealed(recipe), seq=24)
    out = capsys.readouterr().out
    assert out.startswith("PASSED forecast: RMSE") and "on the test period (1 Nov - 30 Dec" in out
    assert "x persistence (at most 0.85 needed)" in out


def test_forecast_fails_a_linear_model_whatever_its_rmse(weather):
    """The linear baseline ties the LSTM: it must not pass a grade meant for an LSTM forecaster."""
    with pytest.raises(CheckFailed) as info:
        nb11.check_forecast(sealed(Linear(*weather, 24)), seq=24)
    message = str(info.value)
    assert "not the recipe's recurrent forecaster" in message and "has no self.lstm" in message, message
    assert "\n  Fix:  " in message


def test_forecast_fails_a_forecaster_that_skips_its_lstm(recipe):
    class Skips(Recipe):
        def forward(self, x):                                        # the head reads the raw last hour
            return x[:, -1, 0] + 0 * self.head.bias + 0.01 * x[:, -1, 1]
    model = Skips()
    model.load_state_dict(recipe.state_dict())
    with pytest.raises(CheckFailed, match="its forecasts differ by up to"):
        nb11.check_forecast(sealed(model), seq=24)


def test_forecast_fails_persistence():
    """A zero head is persistence, 1.0 x persistence: it fails, with the 'copies' diagnosis."""
    with pytest.raises(CheckFailed) as info:
        nb11.check_forecast(sealed(Recipe()), seq=24)
    message = str(info.value)
    assert "it learned to\n  copy the last hour" in message and "at most 0.85 x 5.55 = 4.71 F" in message, message
    assert "\n  Fix:  " in message


@pytest.mark.parametrize("value", [0.0, -0.74])
def test_forecast_fails_a_model_that_predicts_the_mean(value, monkeypatch):
    """The training mean (0 once scaled) or even the test period's own mean: both fail (the
    diagnosis for a forecast that hardly moves; the recipe check is set aside here)."""
    monkeypatch.setattr(nb11, "_recipe_gap", lambda *args: None)
    with pytest.raises(CheckFailed) as info:
        nb11.check_forecast(sealed(Constant(value)), seq=24)
    message = str(info.value)
    assert "hardly change from hour to hour" in message, message
    assert "\n  Fix:  " in message


def test_forecast_fails_an_untrained_forecaster():
    torch.manual_seed(0)
    model = Forecaster(8, 32, 2, 0, dropout=0.2)
    with pytest.raises(CheckFailed, match="To pass, the model needs"):
        nb11.check_forecast(sealed(model), seq=24)


def test_forecast_refuses_a_model_that_was_not_sealed(recipe):
    with pytest.raises(CheckFailed, match="no trained model was sealed"):
        nb11.check_forecast(recipe, seq=24)


def test_forecast_refuses_a_model_trained_with_the_test_period_asked_for(recipe):
    """Asking for the test period while it is closed (even caught) costs the held-out grade."""
    from course_utils import data

    heldout.hold_out("the test hours")
    with pytest.raises(heldout.TestSplitClosed):
        data.hourly_weather("JFK", "test")
    with pytest.raises(CheckFailed, match="the test hours were asked for before the model was trained"):
        nb11.check_forecast(sealed(recipe), seq=24)


def test_forecast_refuses_a_model_trained_after_the_seal(weather):
    model = sealed(Recipe(*weather))
    with torch.no_grad():
        model.head.bias += 0.01                                      # one more step, on any data
    with pytest.raises(CheckFailed, match="weights changed after the training cell sealed them"):
        nb11.check_forecast(model, seq=24)


def test_forecast_rejects_a_forecast_of_the_wrong_shape(recipe):
    class Wide(Recipe):
        def forward(self, x):
            return super().forward(x)[:, None]
    model = Wide()
    model.load_state_dict(recipe.state_dict())
    with pytest.raises(ShapeError, match="model"):
        nb11.check_forecast(sealed(model), seq=24)


def test_forecast_validation_period(recipe, capsys):
    nb11.check_forecast(sealed(recipe), seq=24, period="valid")
    assert "on the valid period (1 Sep - 31 Oct" in capsys.readouterr().out


def test_forecast_restores_the_mode(recipe):
    model = sealed(recipe.train())
    nb11.check_forecast(model, seq=24)
    assert model.training
    recipe.eval()


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.visible import visible_failure  # noqa: E402

graded = mistakes("11")

TRAINED = "test_forecast"  # needs the notebook's training; the grading tests prove it through nbgrader


EXERCISE_ANSWERS = [w for w in graded.WRONG_ANSWERS if w.caught_by - {TRAINED}]


def test_only_the_held_out_cheat_is_left_to_the_trained_model_cell():
    """The one wrong answer no exercise check can see: training on the test period. The held-out
    check catches it (test_grading_11.py), through the gate's record of the request."""
    left = [w.why for w in graded.WRONG_ANSWERS if not w.caught_by - {TRAINED}]
    assert left == ["trained on the test period: November and December added to the training windows"]


@pytest.mark.parametrize("wrong", EXERCISE_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches in an exercise cell, that cell's visible check catches
    too, with a message of its own (a CheckFailed or ShapeError that ends in a Fix line). Where it
    also breaks training, the trained-model cell's loss is proven by test_grading_11.py."""
    own = wrong.caught_by - {TRAINED}
    assert own, f"{wrong.why}: no exercise cell catches it"
    failures = visible_failure(graded.A, type(wrong)(wrong.cell, wrong.old, wrong.new, tuple(own), wrong.why))
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"
    for message in failures.values():
        assert message.split(":")[0] in ("CheckFailed", "ShapeError"), message
        assert "\n  Fix:  " in message, message


def test_each_graded_wrong_answer_has_its_own_message():
    messages = []
    for w in EXERCISE_ANSWERS:
        own = tuple(w.caught_by - {TRAINED})
        messages.append(next(iter(visible_failure(graded.A, type(w)(w.cell, w.old, w.new, own, w.why)).values())))
    firsts = [m.splitlines()[0] for m in messages]
    assert len(set(firsts)) == len(firsts), "\n".join(firsts)
