"""Notebook 02: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_02.py grades them through real nbgrader, test_checks_02.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "02-tensor-layout"

WRONG_ANSWERS = [
    # to_layout
    WrongAnswer("to_layout", "return x.permute(*dims)", "return x.reshape(*[x.shape[d] for d in dims])",
                "test_to_layout", "view/reshape where permute belongs: right shape, scrambled values"),
    WrongAnswer("to_layout", "dims = [src_axes.index(name) for name in dst_axes]",
                "dims = [dst_axes.index(name) for name in src_axes]",
                "test_to_layout", "permute with the wrong (inverse) order"),
    WrongAnswer("to_layout", "return x.permute(*dims)", "return x.transpose(0, 1)",
                "test_to_layout", "always swaps seq and batch"),
    # keras_lstm
    WrongAnswer("keras_lstm", "return out[:, -1]", "return out[-1]",
                "test_keras_lstm", "out[-1] on batch-first output: the last sequence, not the last step"),
    WrongAnswer("keras_lstm", "out, _ = lstm(x.transpose(0, 1))", "out, _ = lstm(x)",
                "test_keras_lstm", "seq and batch swapped: no transpose for a batch_first=False LSTM"),
    WrongAnswer("keras_lstm", "out, _ = lstm(x.transpose(0, 1))",
                "out, _ = lstm(x.view(x.shape[1], x.shape[0], x.shape[2]))",
                "test_keras_lstm", "view where transpose belongs"),
    WrongAnswer("keras_lstm", "        out = out.transpose(0, 1)\n", "",
                "test_keras_lstm", "out left in (seq, batch, hidden)"),
    WrongAnswer("keras_lstm", "        out, _ = lstm(x.transpose(0, 1))\n        out = out.transpose(0, 1)\n",
                "        lstm.batch_first = True\n        out, _ = lstm(x)\n", "test_keras_lstm",
                "sets lstm.batch_first on the caller's module (was false credit: right values, module changed)"),
    WrongAnswer("keras_lstm", "    return out[:, -1]", "    return lstm(x if lstm.batch_first else x.transpose(0, 1))[1][0][0]",
                "test_keras_lstm", "h_n[0]: the first layer's final state, not the last layer's"),
    # caught by the visible check (it tries a second size, seq=5)
    WrongAnswer("keras_lstm", "    return out[:, -1]", "    return out[:, 6]", "test_keras_lstm",
                "the last step hard-coded as 6 (the notebook's seq - 1)"),
    # make_windows
    WrongAnswer("make_windows", "targets = series[seq + horizon - 1 : seq + horizon - 1 + n]",
                "targets = series[seq + horizon - 2 : seq + horizon - 2 + n]",
                "test_make_windows", "target inside the window (the window's last hour)"),
    WrongAnswer("make_windows", "n = len(series) - seq - horizon + 1", "n = len(series) - seq - horizon",
                "test_make_windows", "window count off by one"),
    WrongAnswer("make_windows", "targets = series[seq + horizon - 1 : seq + horizon - 1 + n]",
                "targets = series[seq : seq + n]", "test_make_windows", "horizon ignored (hidden test)"),
    WrongAnswer("make_windows", "inputs = torch.stack([series[i : i + seq] for i in range(n)])",
                "inputs = series.unfold(0, seq, 1)[:n]", "test_make_windows",
                "unfold without transpose: (batch, feature, seq)"),
    WrongAnswer("make_windows", "for i in range(n)])", "for i in range(n)], dim=1)",
                "test_make_windows", "seq and batch swapped"),
    # univariate_windows
    WrongAnswer("univariate_windows", "for i in range(n)]).unsqueeze(-1)", "for i in range(n)])",
                "test_univariate_windows", "forgotten unsqueeze(-1): no feature axis"),
    WrongAnswer("univariate_windows", "for i in range(n)]).unsqueeze(-1)", "for i in range(n)]).unsqueeze(1)",
                "test_univariate_windows", "feature axis in the middle"),
    WrongAnswer("univariate_windows", "targets = series[seq:].unsqueeze(-1)", "targets = series[seq:]",
                "test_univariate_windows", "targets (batch,) without a feature axis"),
    WrongAnswer("univariate_windows", "targets = series[seq:].unsqueeze(-1)",
                "targets = series[seq - 1 : -1].unsqueeze(-1)", "test_univariate_windows",
                "target inside the window"),
    WrongAnswer("univariate_windows", "for i in range(n)]).unsqueeze(-1)", "for i in range(n)], dim=1).unsqueeze(-1)",
                "test_univariate_windows", "seq and batch swapped"),
]

POINTS = {"test_to_layout": 2, "test_keras_lstm": 2, "test_make_windows": 3, "test_univariate_windows": 2}
