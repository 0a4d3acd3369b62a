# GENERATED from solutions/11-forecasting/11-forecasting.ipynb by `make views`: edit the notebook, not this file.
# A plain-text view for review (jupytext percent format); outputs are not shown.
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Forecasting the weather, six hours ahead
#
# **Train a stacked LSTM on eight months of hourly weather at JFK airport, forecast the temperature six
# hours ahead on two later months it never saw, and compare it honestly with the forecasts anyone can
# make without a model.**
#
# After this notebook you can:
#
# - split a time series **by time**, train, then validation, then test, and say why a shuffled split leaks;
# - fit a scaler on the training period only, apply it to every period, and undo it to report errors in degrees;
# - cut windows whose target lies `horizon` hours after the window's last hour, and catch both off-by-ones;
# - build a forecaster: a stacked LSTM, the top layer's last hidden state, and a linear head that predicts
#   the *change* of the temperature;
# - train it, let a validation period choose the number of epochs, and measure it against persistence
#   and a linear model on the same windows, in degrees Fahrenheit.
#
# **Prerequisites:** [notebook 02](../02-tensor-layout/02-tensor-layout.ipynb) (windows of a time series,
# `make_windows`), [notebook 04](../04-outputs-and-state/04-outputs-and-state.ipynb) (`out` vs `h_n`) and
# [notebook 05](../05-stacked-lstms/05-stacked-lstms.ipynb) (stacked LSTMs: `h_n[-1]` is the top layer).
# **Run time:** under a minute on a laptop CPU, training included.
#
# **How exercises work.** Each exercise has a cell to fill in (replace `raise NotImplementedError()`),
# a *try it* cell, and a locked check cell. Run the check: it prints `PASSED ...` or tells you what is
# wrong and how to fix it. When your notebook is graded, hidden tests run too, with other sizes. The
# last graded cell grades **the model you train** in this notebook, on hours it never saw.
# `python -m course_utils check notebooks/11-forecasting/11-forecasting.ipynb` grades your saved
# notebook from a terminal.
#
# Axis names: **batch** (windows in a batch), **seq** (hours per window; also the hours of a whole
# series), **feature** (numbers per hour going into the LSTM), **hidden**, **layers**.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math
from datetime import datetime

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import course_utils as cu

cu.set_seed(0)
device = cu.pick_device()

# %% [markdown]
# ## 1. A year of hourly weather, and the hour of the day
#
# The data of notebooks 02, 04 and 05: 8,730 consecutive hours of 2013 at New York's JFK airport, six
# measurements per hour (gaps filled by interpolation). We forecast the temperature (°F) six hours
# ahead. Temperature follows the sun, so two more features say what time it is: the sine and cosine of
# the hour of the day. On that circle 23:00 and 00:00 are neighbours, as they are in the sky; the raw
# number 23 and 0 would be far apart.

# %% tags=["nbval-check-output"]
times, values = cu.data.hourly_weather("JFK")
TEMP = cu.data.WEATHER_COLUMNS.index("temp")            # the column we forecast
angle = 2 * math.pi * torch.tensor([t.hour for t in times], dtype=torch.float32) / 24
features = torch.cat([values, torch.sin(angle)[:, None], torch.cos(angle)[:, None]], dim=1)
FEATURE_NAMES = [*cu.data.WEATHER_COLUMNS, "hour_sin", "hour_cos"]
print(len(times), "hours, from", times[0], "to", times[-1])
print("features:", FEATURE_NAMES, "  TEMP =", TEMP)
yearly = features.mean(dim=0).tolist()
print("means over the year:", ", ".join(f"{n} {m:.4g}" for n, m in zip(FEATURE_NAMES, yearly, strict=True)))
cu.show_shapes(values=(values, "seq feature"), features=(features, "seq feature"))

# %% [markdown]
# ## 2. Train, then validate, then test: split by time
#
# A forecast is made for the future, so the model is measured on hours that come **after** every hour
# it learned from:
#
# | period | hours | used for |
# |---|---|---|
# | train | 1 January to 31 August | fitting the weights (and the scaler, section 3) |
# | valid | September and October | choosing the number of epochs, comparing settings |
# | test | 1 November to 30 December | one final measurement, at the end |
#
# Why not draw the test hours at random from the whole year, as `train_test_split` does by default?
# Because neighbouring hours are nearly equal. **Predict first:** how far does the temperature move, on
# average, in one hour? In six?

# %% tags=["nbval-check-output"]
N_TRAIN = times.index(datetime(2013, 9, 1))                 # the hours before 1 September
N_VALID = times.index(datetime(2013, 11, 1)) - N_TRAIN      # September and October
N_TEST = len(times) - N_TRAIN - N_VALID
print(f"train {N_TRAIN} hours, valid {N_VALID} hours, test {N_TEST} hours")
temp = values[:, TEMP]
for lag in (1, 6):
    moved = (temp[lag:] - temp[:-lag]).pow(2).mean().sqrt()
    print(f"the temperature moves {moved:.2f} F in {lag} hour{'s' if lag > 1 else ''} (root mean square)")


# %% [markdown]
# About 1.8 °F in an hour, 6.2 °F in six. With a random split, nearly every test hour has the hour
# before and the hour after it in the training set, each a degree or two away: a model could score
# well by remembering them, and the score would say nothing about next week. Split by time.
#
# ### Exercise 1: `split_by_time` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `series` | float tensor | **(seq, feature)** | one row per hour, in time order |
# | `n_train` | int | | hours in the training period, the first ones |
# | `n_valid` | int | | hours in the validation period, right after training |
# | returns `train` | float tensor | **(n_train, feature)** | hours `0 .. n_train - 1` |
# | returns `valid` | float tensor | **(n_valid, feature)** | the next `n_valid` hours |
# | returns `test` | float tensor | **(seq - n_train - n_valid, feature)** | the rest, up to the last hour |
#
# No shuffling, no overlap: every hour lands in exactly one period, and the periods stay in order.

# %% nbgrader={"grade": false, "grade_id": "split_by_time", "locked": false, "schema_version": 3, "solution": true, "task": false}
def split_by_time(series, n_train, n_valid):
    """Cut (seq, feature) into consecutive periods train, valid, test, in time order."""
    # Hint: slices of the hours axis: the first n_train rows, the next n_valid rows, the rest.
    ### BEGIN SOLUTION
    train = series[:n_train]
    valid = series[n_train:n_train + n_valid]
    test = series[n_train + n_valid:]
    return train, valid, test
    ### END SOLUTION


# %%
# try it: the three periods of the year, and how warm each one is
train_raw, valid_raw, test_raw = split_by_time(features, N_TRAIN, N_VALID)
cu.show_shapes(train=(train_raw, "seq feature"), valid=(valid_raw, "seq feature"),
               test=(test_raw, "seq feature"))
for name, part in (("train", train_raw), ("valid", valid_raw), ("test", test_raw)):
    print(f"{name}: mean temperature {part[:, TEMP].mean():.1f} F")

# %% nbgrader={"grade": true, "grade_id": "test_split_by_time", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""split_by_time: consecutive periods in time order, no hour shuffled, none in two periods"""
from course_utils.checks import nb11

nb11.check_split_by_time(split_by_time)
### BEGIN HIDDEN TESTS
nb11.check_split_by_time(split_by_time, hours=50, feature=4, n_train=30, n_valid=10)
nb11.check_split_by_time(split_by_time, hours=9, feature=1, n_train=5, n_valid=1)
nb11.check_split_by_time(split_by_time, hours=12, feature=6, n_train=6, n_valid=5)
### END HIDDEN TESTS

# %% [markdown]
# The whole year, with the three periods:

# %%
fig, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
ax.plot(times, values[:, TEMP], lw=0.4, color="0.3")
for (start, stop), name, color in (((0, N_TRAIN), "train", "tab:blue"),
                                   ((N_TRAIN, N_TRAIN + N_VALID), "valid", "tab:orange"),
                                   ((N_TRAIN + N_VALID, len(times) - 1), "test", "tab:green")):
    ax.axvspan(times[start], times[stop], color=color, alpha=0.15, label=name)
ax.set_ylabel("temperature (F)")
ax.legend(ncol=3, fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# One reading is plainly wrong, the spike down in early May:

# %% tags=["nbval-check-output"]
temp = values[:, TEMP]
odd = 1 + int((temp[1:-1] - (temp[:-2] + temp[2:]) / 2).abs().argmax())   # the hour least like its neighbours
print(f"{times[odd]}: {temp[odd]:.1f} F, between {temp[odd - 1]:.1f} F and {temp[odd + 1]:.1f} F")


# %% [markdown]
# A thermometer does not fall 44 degrees for one hour in May; the source data has a bad value there. We
# leave it in (one hour among 5,831 training hours), and a going-further exercise removes it.
#
# The test months are the coldest of the three periods and have weather the training months rarely had:
# that is what the future does. The model must cope with it, and the scaling of the next section must
# not quietly tell it what November is like.
#
# ## 3. Scale with the training period only
#
# The features live on very different scales (section 1): pressure about 1018 mbar, precipitation
# about 0.004 inches. Each is scaled to mean 0 and standard deviation 1, with **the mean and standard
# deviation of the training period**, and the same numbers are then applied to every period.
#
# Notebooks 04 and 05 took the statistics of the whole year, which was acceptable there because nothing
# was measured on held-out hours. Here it is not: the whole year's mean contains November and December,
# so every scaled input would carry a little of the test period's temperature. You do not know next
# month's mean when you forecast it.
#
# **Predict first:** after scaling with the training statistics, is the test period's mean temperature 0?

# %% [markdown]
# ### Exercise 2: `fit_scaler` and `apply_scaler` (3 points)
#
# | function | argument / result | type | shape | meaning |
# |---|---|---|---|---|
# | `fit_scaler` | `series` | float tensor | **(seq, feature)** | the whole series, in time order |
# | | `n_train` | int | | the first `n_train` hours are the training period |
# | | returns `mean` | float tensor | **(feature,)** | each feature's mean over the training hours |
# | | returns `std` | float tensor | **(feature,)** | each feature's standard deviation over the training hours (`torch.std`'s default) |
# | `apply_scaler` | `series` | float tensor | **(seq, feature)** | any hours: train, valid, test or all |
# | | `mean`, `std` | float tensors | **(feature,)** | from `fit_scaler` |
# | | returns | float tensor | **(seq, feature)** | `(series - mean) / std`, a new tensor; `series` stays as it was |
#
# "Over the training hours" means down the hours axis, `dim=0`: one number per feature. The check builds
# a series whose later hours have another mean and spread, so statistics of the whole series fail.

# %% nbgrader={"grade": false, "grade_id": "scaler", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit_scaler(series, n_train):
    """Mean and std (feature,) of each feature over the first n_train hours (the training period)."""
    # Hint: reduce over the hours axis (dim=0) of series[:n_train], never of the whole series.
    ### BEGIN SOLUTION
    train = series[:n_train]
    return train.mean(dim=0), train.std(dim=0)
    ### END SOLUTION


def apply_scaler(series, mean, std):
    """(series - mean) / std for every hour of series (seq, feature); series itself is left unchanged."""
    ### BEGIN SOLUTION
    return (series - mean) / std
    ### END SOLUTION


# %%
# try it: the training statistics, applied to the whole year
mean, std = fit_scaler(features, N_TRAIN)
scaled = apply_scaler(features, mean, std)
cu.show_shapes(mean=(mean, "feature"), std=(std, "feature"), scaled=(scaled, "seq feature"))
print(f"temperature over the training period: mean {mean[TEMP]:.2f} F, std {std[TEMP]:.2f} F")

# %% nbgrader={"grade": true, "grade_id": "test_scaler", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""fit_scaler / apply_scaler: each feature's statistics of the training hours only; (x - mean) / std"""
from course_utils.checks import nb11

nb11.check_scaler(fit_scaler, apply_scaler)
### BEGIN HIDDEN TESTS
nb11.check_scaler(fit_scaler, apply_scaler, hours=60, feature=5, n_train=45, seed=2)
nb11.check_scaler(fit_scaler, apply_scaler, hours=8, feature=1, n_train=4, seed=3)
nb11.check_scaler(fit_scaler, apply_scaler, hours=25, feature=8, n_train=12, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# The answer to the question before the exercise, period by period:

# %% tags=["nbval-check-output"]
for name, (start, stop) in (("train", (0, N_TRAIN)), ("valid", (N_TRAIN, N_TRAIN + N_VALID)),
                            ("test", (N_TRAIN + N_VALID, len(times)))):
    print(f"{name}: the scaled temperature has mean {scaled[start:stop, TEMP].mean():+.2f}")
print(f"mean temperature: training period {mean[TEMP]:.2f} F, whole year {features[:, TEMP].mean():.2f} F")

# %% [markdown]
# Only the training period has mean 0. The test period's scaled temperature has mean −0.74: the inputs
# tell the model that November and December are colder than what it trained on, which is true, and which
# is all it may know. Here the whole year's mean is only 0.9 °F below the training period's, so this leak
# would be small; on a series with a trend (prices, a growing city's power demand) it is not.
#
# ## 4. Windows, and a target six hours ahead
#
# As in notebook 02, every hour starts a window of `seq` hours. What changes: the target is **one
# column** (the temperature) of **one hour**, `horizon` hours after the window's **last** hour, the hour
# we call *now*:
#
# ```
# hour:      0   1   2   3   4   5   6   7   8   9
# window 0: [0   1   2   3]                          now = hour 3, target = hour 3 + horizon = 6
# window 1:     [1   2   3   4]                      now = hour 4, target = hour 7
#                                                   (seq=4, horizon=3)
# ```
#
# Window `i` covers hours `i .. i + seq - 1`; its target is hour `i + seq + horizon - 1`. Every window
# needs its target inside the series, so a period of `hours` hours gives `hours - seq - horizon + 1`
# windows. The windows are cut **inside each period**, after the split, so no window reaches across
# into the next period.
#
# **Predict first:** with `seq = 24` and `horizon = 6`, how many windows does each period give?

# %% tags=["nbval-check-output"]
SEQ, HORIZON = 24, 6
for name, hours in (("train", N_TRAIN), ("valid", N_VALID), ("test", N_TEST)):
    print(f"{name}: {hours} hours -> {hours - SEQ - HORIZON + 1} windows")


# %% [markdown]
# ### Exercise 3: `forecast_windows` (3 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `series` | float tensor | **(seq_total, feature)** | one period, one row per hour (name it as you like) |
# | `seq` | int | | hours per window |
# | `horizon` | int | | how many hours after the window's last hour the target is |
# | `target_col` | int | | the column to forecast |
# | returns `inputs` | float tensor | **(batch, seq, feature)** | window `i` = hours `i .. i + seq - 1`, all features; batch = len(series) − seq − horizon + 1 |
# | returns `targets` | float tensor | **(batch,)** | `targets[i]` = column `target_col` of hour `i + seq + horizon - 1` |
#
# Two off-by-ones are easy here. Counting the horizon from the hour *after* the window (`i + seq`)
# puts the target one hour too late; forgetting the `+ horizon` puts it inside the window, where the
# model can read it. The check tries horizons 1, 3 and 6 and target columns other than 0.

# %% nbgrader={"grade": false, "grade_id": "forecast_windows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forecast_windows(series, seq, horizon, target_col):
    """Windows (batch, seq, feature) and targets (batch,): target_col, horizon hours after each window."""
    # Hint: window i is series[i : i + seq]; its target is series[i + seq + horizon - 1, target_col].
    ### BEGIN SOLUTION
    n = len(series) - seq - horizon + 1
    inputs = torch.stack([series[i:i + seq] for i in range(n)])
    targets = series[seq + horizon - 1:seq + horizon - 1 + n, target_col]
    return inputs, targets
    ### END SOLUTION


# %%
# try it: the windows of each period, cut after scaling and splitting
train, valid, test = split_by_time(scaled, N_TRAIN, N_VALID)
x_train, y_train = forecast_windows(train, SEQ, HORIZON, TEMP)
x_valid, y_valid = forecast_windows(valid, SEQ, HORIZON, TEMP)
x_test, y_test = forecast_windows(test, SEQ, HORIZON, TEMP)
cu.show_shapes(x_train=(x_train, "batch seq feature"), y_train=(y_train, "batch"),
               x_test=(x_test, "batch seq feature"), y_test=(y_test, "batch"))
print("window 0 covers", times[0], "to", times[SEQ - 1], "-> target at", times[SEQ + HORIZON - 1])

# %% nbgrader={"grade": true, "grade_id": "test_forecast_windows", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""forecast_windows: window i = hours i .. i+seq-1; target = target_col of hour i+seq+horizon-1"""
from course_utils.checks import nb11

nb11.check_forecast_windows(forecast_windows)
### BEGIN HIDDEN TESTS
nb11.check_forecast_windows(forecast_windows, hours=40, seq=5, feature=4, horizon=6, target_col=3)
nb11.check_forecast_windows(forecast_windows, hours=12, seq=1, feature=2, horizon=2, target_col=1)
nb11.check_forecast_windows(forecast_windows, hours=9, seq=8, feature=1, horizon=1, target_col=0)
nb11.check_forecast_windows(forecast_windows, hours=50, seq=24, feature=3, horizon=6, target_col=0)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Baselines: persistence, and errors in degrees
#
# Before any model, the forecast anyone can make: **persistence**, "in six hours it will be as warm as
# now". Its forecast for a window is the target column at the window's last hour. A model that does not
# beat it has learned nothing worth its weights.
#
# ### Exercise 4: `persistence` (1 point)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `inputs` | float tensor | **(batch, seq, feature)** | windows, batch-first |
# | `target_col` | int | | the column being forecast |
# | returns | float tensor | **(batch,)** | each window's `target_col` at its last hour |
#
# The check uses target columns other than 0 (here the temperature happens to be column 0).

# %% nbgrader={"grade": false, "grade_id": "persistence", "locked": false, "schema_version": 3, "solution": true, "task": false}
def persistence(inputs, target_col):
    """The persistence forecast (batch,): each window's target column at its last hour."""
    # Hint: windows are (batch, seq, feature); the last hour is index -1 of the seq axis.
    ### BEGIN SOLUTION
    return inputs[:, -1, target_col]
    ### END SOLUTION


# %%
# try it: persistence on the first three test windows, next to the truth (both scaled)
print("persistence:", persistence(x_test[:3], TEMP))
print("truth:      ", y_test[:3])

# %% nbgrader={"grade": true, "grade_id": "test_persistence", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""persistence: the target column at the last hour of each window"""
from course_utils.checks import nb11

nb11.check_persistence(persistence)
### BEGIN HIDDEN TESTS
nb11.check_persistence(persistence, batch=2, seq=3, feature=5, target_col=4)
nb11.check_persistence(persistence, batch=6, seq=1, feature=2, target_col=1)
nb11.check_persistence(persistence, batch=3, seq=4, feature=3, target_col=0)
### END HIDDEN TESTS

# %% [markdown]
# Forecasts and targets are scaled. An error of 0.3 in scaled units means 0.3 standard deviations of
# the training temperature: to report it in degrees, undo the scaling, `x * std + mean`, for both. The
# mean cancels in the difference, so the RMSE in degrees is the scaled RMSE times `std`.
#
# ### Exercise 5: `rmse_in_degrees` (2 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `pred` | float tensor | **(batch,)** | forecasts, scaled (on any device) |
# | `target` | float tensor | **(batch,)** | true values, scaled, same device |
# | `mean`, `std` | float or 0-d tensor | | the target column's training mean and std, e.g. `mean[TEMP]`, `std[TEMP]` |
# | returns | float | | `sqrt(mean((pred_degrees - target_degrees)**2))`: the root mean squared error in degrees |
#
# Return a Python number (`.item()` turns a one-element tensor into one).

# %% nbgrader={"grade": false, "grade_id": "rmse_in_degrees", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmse_in_degrees(pred, target, mean, std):
    """Root mean squared error of scaled forecasts, in the target's own units (degrees): a float."""
    # Hint: pred * std + mean is pred in degrees; in a difference of two such numbers the mean cancels.
    ### BEGIN SOLUTION
    degrees_off = (pred - target) * std
    return degrees_off.pow(2).mean().sqrt().item()
    ### END SOLUTION


# %%
# try it: the persistence forecast's error, in scaled units and in degrees
T_MEAN, T_STD = mean[TEMP].item(), std[TEMP].item()
scaled_rmse = (persistence(x_test, TEMP) - y_test).pow(2).mean().sqrt().item()
print(f"persistence on the test period: {scaled_rmse:.3f} scaled units = "
      f"{rmse_in_degrees(persistence(x_test, TEMP), y_test, T_MEAN, T_STD):.2f} F")

# %% nbgrader={"grade": true, "grade_id": "test_rmse_in_degrees", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""rmse_in_degrees: the RMSE of scaled forecasts, back in degrees, as a number"""
from course_utils.checks import nb11

nb11.check_rmse_in_degrees(rmse_in_degrees)
### BEGIN HIDDEN TESTS
nb11.check_rmse_in_degrees(rmse_in_degrees, batch=1, mean=-3.0, std=2.5, seed=5)
nb11.check_rmse_in_degrees(rmse_in_degrees, batch=200, mean=1018.0, std=7.3, seed=6)
### END HIDDEN TESTS

# %% [markdown]
# **Predict first:** is persistence worse in September and October, or in November and December?

# %% tags=["nbval-check-output"]
persistence_valid = rmse_in_degrees(persistence(x_valid, TEMP), y_valid, T_MEAN, T_STD)
persistence_rmse = rmse_in_degrees(persistence(x_test, TEMP), y_test, T_MEAN, T_STD)
print(f"persistence RMSE: valid {persistence_valid:.2f} F, test {persistence_rmse:.2f} F")
for name, start, stop in (("valid", N_TRAIN, N_TRAIN + N_VALID), ("test", N_TRAIN + N_VALID, len(times))):
    days = {}
    for t, v in zip(times[start:stop], values[start:stop, TEMP].tolist(), strict=True):
        days.setdefault(t.date(), []).append(v)
    daily_range = sum(max(d) - min(d) for d in days.values()) / len(days)
    print(f"{name}: a day's warmest hour is on average {daily_range:.1f} F above its coldest")
print(f"to pass the graded cell, a model needs at most 0.85 x {persistence_rmse:.2f} = "
      f"{0.85 * persistence_rmse:.2f} F on the test period")

# %% [markdown]
# Persistence is worse in September and October. The autumn days swing more between afternoon and night
# (printed above), and six hours is a quarter of the daily cycle, so "as warm as now" is often far off.
# The two periods are hard in different ways: settings are chosen on one, the result is measured on the
# other and reported as it comes.
#
# ### A linear model on the same windows
#
# A stronger baseline: flatten each window into `seq x feature` = 192 numbers and fit one weight per
# number, `nn.Linear(192, 1)`. Like the LSTM below, it predicts the **change** from now and adds the
# temperature now. It is trained exactly as the LSTM will be, by the helper `train_model`: same windows,
# mean squared error, Adam, seeds. Shuffling the *training windows* between epochs is fine; they all lie
# inside the training period.
#
# The number of epochs is chosen on the validation period, never on the test period: train for
# `MAX_EPOCHS`, note the epoch with the lowest validation loss, then train a fresh model (same seed)
# for exactly that many epochs.

# %%
MAX_EPOCHS, BATCH, LR, WEIGHT_DECAY = 12, 128, 1e-3, 1e-4
valid_loader = DataLoader(TensorDataset(x_valid, y_valid), batch_size=len(x_valid))   # one batch
rmse_metric = {"rmse_F": lambda pred, target: rmse_in_degrees(pred, target, T_MEAN, T_STD)}


def train_model(make_model, epochs, progress=False):
    """A fresh model from make_model(), trained `epochs` epochs from seed 0: (model, History)."""
    cu.set_seed(0)
    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH, shuffle=True,
                              generator=torch.Generator().manual_seed(0))      # the same order every run
    history = cu.fit(model, train_loader, nn.MSELoss(), optimizer, epochs=epochs,
                     valid_loader=valid_loader, metrics=rmse_metric, progress=progress)
    return model, history


def best_epoch(history):
    """The epoch (1, 2, ...) with the lowest validation loss."""
    return 1 + min(range(len(history)), key=lambda e: history["valid_loss"][e])


def forecast(model, x):
    """The model's forecasts for windows x (batch, seq, feature), on the CPU."""
    model.eval()
    with torch.no_grad():
        return model(x.to(device)).cpu()


class LinearForecaster(nn.Module):
    """The temperature now, plus a linear function of the whole window (seq x feature numbers)."""

    def __init__(self, seq, n_features, target_col):
        super().__init__()
        self.linear = nn.Linear(seq * n_features, 1)
        self.target_col = target_col

    def forward(self, x):                                   # x (batch, seq, feature)
        return x[:, -1, self.target_col] + self.linear(x.flatten(1)).squeeze(-1)


def make_linear():
    return LinearForecaster(SEQ, features.shape[1], TEMP)


_, linear_trial = train_model(make_linear, MAX_EPOCHS)      # watch the validation period ...
assert SEQ * features.shape[1] == 192                     # inputs of nn.Linear: seq x feature
linear_epochs = best_epoch(linear_trial)
linear, _ = train_model(make_linear, linear_epochs)         # ... then train that long
linear_rmse = rmse_in_degrees(forecast(linear, x_test), y_test, T_MEAN, T_STD)
print(f"linear model: lowest validation RMSE {linear_trial['valid_rmse_F'][linear_epochs - 1]:.2f} F "
      f"after epoch {linear_epochs} of {MAX_EPOCHS}; trained {linear_epochs} epochs: "
      f"test {linear_rmse:.2f} F")


# %% [markdown]
# ## 6. The forecaster: a stacked LSTM and a head that predicts the change
#
# The model reads a window hour by hour with a two-layer LSTM (notebook 05), takes the **top layer's
# final hidden state** `h_n[-1]` (equal to `out[:, -1]`: notebook 04), and a linear head turns it into one
# number: how much the temperature will change between now and the target hour. The forecast is the
# temperature now plus that change.
#
# ```
# x (batch, seq=24, feature=8) -> nn.LSTM(8, 32, num_layers=2, batch_first=True) -> h_n (layers=2, batch, hidden=32)
# h_n[-1] (batch, 32) -> nn.Linear(32, 1) -> change (batch, 1) -> squeeze -> (batch,)
# forecast = x[:, -1, TEMP] + change                                                  (batch,)
# ```
#
# Why the change? "As warm as now" is already a good forecast; the network only has to learn the
# correction, a smaller and better-behaved number. `h_n[0]` would be the wrong row: the bottom layer,
# the one that reads `x`.
#
# ### Exercise 6: `Forecaster` (3 points)
#
# | argument / result | type | shape | meaning |
# |---|---|---|---|
# | `n_features`, `hidden_size`, `num_layers` | int | | as for `nn.LSTM` |
# | `target_col` | int | | the column forecast; keep it as `self.target_col` |
# | `dropout` | float | | `nn.LSTM`'s `dropout=` (between layers, train mode only: notebook 05) |
# | `self.lstm` | `nn.LSTM` | | `batch_first=True`, unidirectional; the check copies weights into it |
# | `self.head` | `nn.Linear(hidden_size, 1)` | | the change, from the top layer's last hidden state |
# | `forward(x)`: `x` | float tensor | **(batch, seq, feature)** | scaled windows |
# | returns | float tensor | **(batch,)** | `x[:, -1, target_col] + head(h_n[-1])`, the size-1 axis dropped |
#
# The check builds Forecasters of 1, 2 and 3 layers with other sizes and target columns, copies seeded
# weights into `self.lstm` and `self.head`, and compares the forecasts number for number.

# %% nbgrader={"grade": false, "grade_id": "Forecaster", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Forecaster(nn.Module):
    """Stacked LSTM -> the top layer's last hidden state -> the change; forecast = the value now + change."""

    def __init__(self, n_features, hidden_size, num_layers, target_col, dropout=0.0):
        super().__init__()
        # Hint: nn.LSTM(..., batch_first=True, dropout=dropout) and nn.Linear(hidden_size, 1).
        ### BEGIN SOLUTION
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout)
        self.head = nn.Linear(hidden_size, 1)
        self.target_col = target_col
        ### END SOLUTION

    def forward(self, x):
        """x (batch, seq, feature) -> forecasts (batch,): the target column now plus the predicted change."""
        ### BEGIN SOLUTION
        out, (h_n, c_n) = self.lstm(x)                 # h_n (layers, batch, hidden)
        change = self.head(h_n[-1]).squeeze(-1)        # the top layer -> (batch,)
        return x[:, -1, self.target_col] + change
        ### END SOLUTION


# %% tags=["nbval-check-output"]
# try it: an untrained forecaster on four training windows
trial = Forecaster(features.shape[1], 32, num_layers=2, target_col=TEMP, dropout=0.2)
out, (h_n, c_n) = trial.lstm(x_train[:4])
cu.show_shapes(x=(x_train[:4], "batch seq feature"), h_n=(h_n, "layers batch hidden"),
               forecast=(trial(x_train[:4]), "batch"))

# %% nbgrader={"grade": true, "grade_id": "test_forecaster", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""Forecaster: a batch-first stacked LSTM, head on h_n[-1], forecast = value now + change"""
from course_utils.checks import nb11

nb11.check_forecaster(Forecaster)
### BEGIN HIDDEN TESTS
nb11.check_forecaster(Forecaster, feature=8, hidden=7, num_layers=2, target_col=0, batch=5, seq=3,
                      dropout=0.1)
nb11.check_forecaster(Forecaster, feature=4, hidden=2, num_layers=4, target_col=3, batch=1, seq=1,
                      dropout=0.0)
nb11.check_forecaster(Forecaster, feature=6, hidden=5, num_layers=2, target_col=5, batch=7, seq=9,
                      dropout=0.5)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Training, with the validation period choosing the epochs
#
# The same procedure as for the linear model, now with `cu.fit`'s progress bar: a trial of
# `MAX_EPOCHS = 12` epochs that prints the training and validation RMSE (°F) after each, then a fresh
# model trained for the number of epochs the validation period chose. Adam with a small weight decay,
# gradient clipping (on in `cu.fit`), dropout 0.2 between the two LSTM layers, hidden size 32.

# %%
def make_lstm():
    return Forecaster(features.shape[1], 32, num_layers=2, target_col=TEMP, dropout=0.2)


_, trial = train_model(make_lstm, MAX_EPOCHS, progress=True)
EPOCHS = best_epoch(trial)
print(f"lowest validation RMSE: {trial['valid_rmse_F'][EPOCHS - 1]:.2f} F after epoch {EPOCHS}")

# %%
fig = cu.plots.training_curves(trial)
for ax in fig.axes:
    ax.axvline(EPOCHS, color="0.5", lw=0.8, ls=":")        # the epoch the validation period chose

# %% [markdown]
# The training RMSE keeps falling; the validation RMSE falls for a few epochs and then wanders up and
# down: more epochs fit the training months more closely without forecasting September and October any
# better. In most epochs the validation RMSE is even below the training RMSE. The training RMSE is
# measured while the weights change and dropout is on; and the periods differ: for a model, with its
# view of the daily cycle, the clear autumn days of the validation period are easier than much of the
# training period.
#
# The model to keep is trained for `EPOCHS` epochs from the same seed. Every random draw (initial
# weights, order of the windows, dropout) is seeded, so on the CPU it is the trial's model after that
# epoch, number for number:

# %%
model, history = train_model(make_lstm, EPOCHS, progress=True)
print(f"validation RMSE {history['valid_rmse_F'][-1]:.2f} F; the trial had "
      f"{trial['valid_rmse_F'][EPOCHS - 1]:.2f} F after epoch {EPOCHS}")
assert device.type != "cpu" or abs(history["valid_loss"][-1] - trial["valid_loss"][EPOCHS - 1]) < 1e-6
assert sum(v < t for v, t in zip(trial["valid_rmse_F"], trial["train_rmse_F"], strict=True)) > MAX_EPOCHS / 2

# %% [markdown]
# The graded cell below takes the model you just trained and measures it on the test period, with its
# own scaler, windows and RMSE (so a slip in an exercise above cannot make the test easier). It passes
# at an RMSE of at most 0.85 x persistence's. A model that always predicts the average temperature
# fails it, and so does one that copies the temperature now.

# %% nbgrader={"grade": true, "grade_id": "test_forecast", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""forecast: your trained model on the test period, RMSE at most 0.85 x persistence's"""
from course_utils.checks import nb11

nb11.check_forecast(model, features, seq=SEQ)
### BEGIN HIDDEN TESTS
nb11.check_forecast(model, features, seq=SEQ, period="valid")
### END HIDDEN TESTS

# %% [markdown]
# ## 8. How good is it?
#
# All three forecasts on the test period, in degrees:

# %%
lstm_rmse = rmse_in_degrees(forecast(model, x_test), y_test, T_MEAN, T_STD)
for name, rmse in (("persistence", persistence_rmse), ("linear", linear_rmse), ("LSTM", lstm_rmse)):
    print(f"{name:<12} {rmse:5.2f} F   {rmse / persistence_rmse:.2f} x persistence")
assert lstm_rmse <= 0.85 * persistence_rmse and linear_rmse <= 0.85 * persistence_rmse
assert abs(linear_rmse - lstm_rmse) < (persistence_rmse - max(lstm_rmse, linear_rmse)) / 2

# %% [markdown]
# Both models beat persistence clearly, and the graded threshold (0.85 x persistence) with room to
# spare. The LSTM's lead over the linear model is much smaller than either model's lead over
# persistence; it changes with the seed and the device, and in some of our runs with other settings
# (a higher learning rate, more epochs) the linear model came out ahead. With a strong baseline trained
# on the same windows, an honest comparison often looks like this. The linear model already sees the
# daily cycle (through the hour features) and the recent trend; what the LSTM can add are interactions,
# such as a change that depends on the hour *and* the humidity together.
#
# A week of the test period, 1 to 7 December, forecast six hours ahead:

# %%
from matplotlib.dates import DateFormatter

first_target = N_TRAIN + N_VALID + SEQ + HORIZON - 1            # the hour of y_test[0]
target_times = times[first_target:first_target + len(y_test)]
week = [i for i, t in enumerate(target_times) if datetime(2013, 12, 1) <= t < datetime(2013, 12, 8)]
to_degrees = lambda z: z * T_STD + T_MEAN                        # noqa: E731
fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
shown = [target_times[i] for i in week]
ax.plot(shown, to_degrees(y_test[week]), color="black", lw=1.6, label="truth")
ax.plot(shown, to_degrees(persistence(x_test[week], TEMP)), color="tab:gray", lw=1, ls=":",
        label="persistence")
ax.plot(shown, to_degrees(forecast(linear, x_test[week])), color="tab:orange", lw=1, label="linear")
ax.plot(shown, to_degrees(forecast(model, x_test[week])), color="tab:blue", lw=1.3, label="LSTM")
ax.set_ylabel("temperature (F)")
ax.xaxis.set_major_formatter(DateFormatter("%a %d %b"))
ax.set_title("forecasts made 6 hours before each hour, 1-7 December 2013", fontsize=9)
ax.legend(ncol=4, fontsize=8)
plt.show()

# %% [markdown]
# Persistence is the truth shifted six hours to the right: it is always late. Both models anticipate the
# daily rise and fall. On 5 and 6 December both forecast warm afternoons that never came; on the 6th
# the temperature fell instead of rising, as when a cold front passes, which six hours of measurements
# at one airport barely announce:

# %% tags=["nbval-check-output"]
day = [i for i, t in enumerate(times) if t.date() == datetime(2013, 12, 6).date()]
warmest, coldest = max(day, key=lambda i: values[i, TEMP]), min(day, key=lambda i: values[i, TEMP])
print(f"6 December: {values[warmest, TEMP]:.1f} F at {times[warmest]:%H:%M}, "
      f"{values[coldest, TEMP]:.1f} F at {times[coldest]:%H:%M}")

# %% [markdown]
# ## Common mistakes, and what PyTorch says
#
# **Statistics of the whole year** (`features.mean(dim=0)`). No error, just a leak: the scaler then knows
# the test months (section 3).
#
# **Targets with an extra axis.** `nn.Linear(hidden, 1)` without `squeeze(-1)` gives (batch, 1); against
# targets (batch,) the loss broadcasts to (batch, batch), and PyTorch only warns:

# %% tags=["nbval-check-output"]
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nn.MSELoss()(torch.zeros(BATCH, 1), torch.zeros(BATCH))
print(f"{caught[0].category.__name__}: {caught[0].message}")

# %% [markdown]
# **Windows without the hour features.** The model was built for 8 features per hour:

# %% tags=["nbval-check-output"]
try:
    model(torch.zeros(4, SEQ, 6, device=device))                   # only the 6 weather columns
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# **Forecasting in train mode.** `cu.fit` leaves the model in eval mode. Switch it back to train mode
# (to train more, say) and dropout acts again: the same windows get different forecasts.

# %% tags=["nbval-check-output"]
model.train()
with torch.no_grad():
    first, second = model(x_test[:8].to(device)), model(x_test[:8].to(device))
model.eval()
print("train mode, two forecasts of the same windows equal:", torch.equal(first, second))
with torch.no_grad():
    print("eval mode, two forecasts of the same windows equal: ",
          torch.equal(model(x_test[:8].to(device)), model(x_test[:8].to(device))))

# %% [markdown]
# **An RMSE in scaled units**, e.g. 0.4, looks good and means nothing to a reader; multiply by the
# target's standard deviation (exercise 5) and say "°F".
#
# **A shuffled split, or windows cut across the periods.** A window that starts in October and ends in
# November puts test hours into a validation input; splitting first and cutting windows inside each
# period (section 4) avoids it.
#
# ## Summary
#
# - Split a series **by time**: train, then validation, then test. Neighbouring hours are nearly equal,
#   so a shuffled split tests memory. Cut windows inside each period.
# - Fit the scaler on the **training period only** (`series[:n_train].mean(dim=0)`, `.std(dim=0)`:
#   one number per feature) and apply it to every period; report errors in the data's units, RMSE x std.
# - Window `i` = hours `i .. i + seq - 1`; its target is hour `i + seq + horizon - 1`, `horizon` hours
#   after the window's last hour; batch = hours − seq − horizon + 1.
# - A forecaster: `nn.LSTM(batch_first=True, num_layers=2)`, the top layer's `h_n[-1]`, a linear head
#   for the change, plus the value now. Compare with persistence and with a linear model on the same
#   windows; choose the epochs on the validation period; look at the test period once.
#
# Next: [notebook 12](../12-tagging/12-tagging.ipynb) keeps one output per step, `out` instead of
# `h_n[-1]`, to tag every word of a sentence.
#
# ## Going further (not graded)
#
# - Forecast every hour from 1 to 6 ahead at once: targets (batch, 6) and a head `nn.Linear(hidden, 6)`.
#   How does the RMSE grow with the horizon, for the LSTM and for persistence?
# - Try `SEQ = 48` and `hidden = 64`, and more epochs with a lower learning rate: does the validation
#   period agree with the test period about which is better?
# - Add the other two airports (EWR, LGA: `cu.data.hourly_weather("EWR")`) as extra features of each
#   hour. Weather mostly comes from the west; does Newark's temperature help forecast JFK's?
# - Replace the bad reading of 8 May (section 2) by the mean of its two neighbours, train again, and
#   compare the validation RMSE.
# - Train five models with different seeds and average their forecasts. Compare the ensemble with the
#   spread of the single models: how much of the LSTM's lead over the linear model is luck?
#
# ## The numbers of this run
#
# One line for the record, all in °F on the test period:

# %%
cu.report_metrics(task="forecast", rmse=lstm_rmse, persistence_rmse=persistence_rmse, linear_rmse=linear_rmse)
