"""Notebook 11: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_11.py grades them through real nbgrader, test_checks_11.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "11-forecasting"
T = "test_forecast"

WRONG_ANSWERS = [
    # submission 0: one answer that breaks training (targets one hour too late: the windows and the
    # targets no longer line up, training stops) and the answers that change training only a little
    WrongAnswer("forecast_windows", "seq + horizon - 1", "seq + horizon", ("test_forecast_windows", T),
                "target at t + horizon counted from the hour after the window: one hour too late"),
    WrongAnswer("scaler", "    train = series[:n_train]\n    return train.mean(dim=0), train.std(dim=0)",
                "    return series.mean(dim=0), series.std(dim=0)", "test_scaler",
                "scaler fitted on the whole year, test months included"),
    WrongAnswer("split_by_time", "valid = series[n_train:]", "valid = series[n_train - 1:]", "test_split_by_time",
                "validation period starts one hour early: the periods overlap"),
    WrongAnswer("Forecaster", "self.head(h_n[-1])", "self.head(h_n[0])", "test_forecaster",
                "h_n[0], the bottom layer, fed to the head"),
    WrongAnswer("persistence", "inputs[:, -1, target_col]", "inputs[:, -1, 0]", "test_persistence",
                "persistence from column 0 whatever target_col says"),
    WrongAnswer("rmse_in_degrees", "degrees_off = (pred - target) * std", "degrees_off = pred - target",
                "test_rmse_in_degrees", "RMSE left in normalised units"),
    # submission 1
    WrongAnswer("forecast_windows", "seq + horizon - 1", "seq - 1", ("test_forecast_windows", T),
                "target inside the window: the last hour of the window (horizon forgotten)"),
    WrongAnswer("scaler", "train.std(dim=0)", "train.std(dim=1)", ("test_scaler", T),
                "std over the features instead of over time"),
    WrongAnswer("split_by_time", "    train = series[:n_train]\n",
                "    series = series[torch.randperm(len(series))]\n    train = series[:n_train]\n",
                ("test_split_by_time", T), "shuffled before splitting: test hours inside training"),
    WrongAnswer("Forecaster", "batch_first=True,", "", ("test_forecaster", T),
                "nn.LSTM without batch_first=True reads the windows as (seq, batch, feature)"),
    WrongAnswer("persistence", "inputs[:, -1, target_col]", "inputs[:, 0, target_col]", "test_persistence",
                "persistence from the first hour of the window"),
    WrongAnswer("rmse_in_degrees", ".pow(2).mean().sqrt().item()", ".pow(2).mean().item()",
                "test_rmse_in_degrees", "mean squared error: the square root forgotten"),
    # submission 2
    WrongAnswer("forecast_windows", "torch.stack([series[i:i + seq] for i in range(n)])",
                "torch.stack([series[i + horizon:i + horizon + seq] for i in range(n)])",
                ("test_forecast_windows", T), "windows moved forward: each window ends on its target hour"),
    WrongAnswer("Forecaster", "change = self.head(h_n[-1]).squeeze(-1)", "change = self.head(h_n[-1])",
                ("test_forecaster", T), "no squeeze: (batch, 1) + (batch,) broadcasts to (batch, batch)"),
    WrongAnswer("scaler", "    return (series - mean) / std\n", "    series -= mean\n    series /= std\n    return series\n",
                "test_scaler", "apply_scaler scales the caller's series in place"),
    WrongAnswer("rmse_in_degrees", ".pow(2).mean().sqrt().item()", ".pow(2).mean().sqrt()", "test_rmse_in_degrees",
                "a one-element tensor returned where a float is asked"),
    # submission 3, alone: trained on the test period. The answer cell of the Forecaster (it runs after
    # the windows are cut and before the locked training cell) adds November and December to the
    # training windows, as "more data is better". The test period is closed until the seal, so the
    # request raises and is recorded: the Forecaster still passes its check, the model trains on the
    # training period alone, and the held-out check gives 0 for the request. Without the gate the
    # cheat trains on the test period and passes (shown by hand, not in the repository).
    WrongAnswer("Forecaster", "        return x[:, -1, self.target_col] + change\n        ### END SOLUTION",
                "        return x[:, -1, self.target_col] + change\n        ### END SOLUTION\n"
                "\n\n# more data is better: November and December too\n"
                "year_times, year_values = cu.data.hourly_weather(\"JFK\")\n"
                "year = apply_scaler(with_hour_features(year_times, year_values), mean, std)\n"
                "x_more, y_more = forecast_windows(year[len(times):], SEQ, HORIZON, TEMP)\n"
                "x_train, y_train = torch.cat([x_train, x_more]), torch.cat([y_train, y_more])\n",
                T, "trained on the test period: November and December added to the training windows"),
]

POINTS = {"test_split_by_time": 2, "test_scaler": 3, "test_forecast_windows": 3, "test_persistence": 1,
          "test_rmse_in_degrees": 2, "test_forecaster": 3, "test_forecast": 4}
