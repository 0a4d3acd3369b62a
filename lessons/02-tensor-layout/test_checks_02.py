"""The checks of notebook 02 pass right answers and name each realistic wrong answer (fast, no nbgrader).

The expected phrases pin the wording of the messages a learner reads.
"""

import pytest
import torch

from course_utils.checks import nb02
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import solution
from course_utils.shapes import ShapeError

# --- right answers: the notebook's own, and other right ways -----------------------------------

_solution = solution("02")
to_layout, keras_lstm = _solution["to_layout"], _solution["keras_lstm"]
make_windows, univariate_windows = _solution["make_windows"], _solution["univariate_windows"]


def keras_lstm_h_n(lstm, x, return_sequences):
    """Also right: h_n[-1] is the last step of the last layer (unidirectional, unpadded)."""
    out, (h_n, _) = lstm(x if lstm.batch_first else x.transpose(0, 1))
    if return_sequences:
        return out if lstm.batch_first else out.transpose(0, 1)
    return h_n[-1]


def make_windows_with_unfold(series, seq, horizon=1):
    """Also right: unfold instead of the notebook's stacked slices."""
    windows = series.unfold(0, seq, 1).transpose(1, 2)
    n = len(series) - seq - horizon + 1
    return windows[:n], series[seq + horizon - 1 :]


def univariate_windows_with_unfold(series, seq):
    """Also right: unfold instead of the notebook's stacked slices."""
    n = len(series) - seq
    return series.unfold(0, seq, 1)[:n].unsqueeze(-1), series[seq:].unsqueeze(-1)


def test_right_answers_pass(capsys):
    nb02.check_to_layout(to_layout)
    for src in ("seq batch feature", "batch feature seq", "feature seq batch"):
        for dst in ("batch seq feature", "seq batch feature", "batch feature seq"):
            nb02.check_to_layout(to_layout, src=src, dst=dst, batch=2, seq=5, feature=1)
    nb02.check_keras_lstm(keras_lstm)
    nb02.check_keras_lstm(keras_lstm_h_n, num_layers=2)
    nb02.check_keras_lstm(keras_lstm, batch=1, seq=6, feature=2, hidden=3)
    nb02.check_keras_lstm(keras_lstm, batch=3, seq=1)
    nb02.check_make_windows(make_windows)
    nb02.check_make_windows(make_windows, hours=40, seq=5, feature=2, horizon=3)
    nb02.check_make_windows(make_windows, hours=8, seq=7, feature=1)
    nb02.check_univariate_windows(univariate_windows)
    nb02.check_univariate_windows(univariate_windows, hours=9, seq=1)
    out = capsys.readouterr().out
    assert out.count("PASSED") == 21  # the visible calls of to_layout and keras_lstm try two sizes
    assert "PASSED to_layout: (seq, batch, feature) -> (batch, seq, feature)" in out
    assert "PASSED make_windows: 23 windows (batch=23, seq=7, feature=3)" in out


def test_other_right_ways_pass(capsys):
    nb02.check_make_windows(make_windows_with_unfold)
    nb02.check_make_windows(make_windows_with_unfold, hours=40, seq=5, feature=2, horizon=3)
    nb02.check_make_windows(make_windows_with_unfold, hours=8, seq=7, feature=1)
    nb02.check_univariate_windows(univariate_windows_with_unfold)
    nb02.check_univariate_windows(univariate_windows_with_unfold, hours=9, seq=1)
    assert capsys.readouterr().out.count("PASSED") == 5


def blank(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [nb02.check_to_layout, nb02.check_keras_lstm, nb02.check_make_windows,
                                   nb02.check_univariate_windows])
def test_blank_answer_says_what_to_do(check):
    with pytest.raises(NotDoneYet, match="replace `raise NotImplementedError\\(\\)`"):
        check(blank)


# --- wrong answers: (function, check kwargs, phrases the message must hold) -----------------------


def wrong(check, fn, phrases, error=AssertionError, **kwargs):
    with pytest.raises(error) as info:
        check(fn, **kwargs)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    assert "Fix:" in message
    return message


def test_to_layout_view_instead_of_permute():
    def view(x, src, dst):
        sizes = dict(zip(src.split(), x.shape, strict=True))
        return x.reshape(*[sizes[a] for a in dst.split()])

    msg = wrong(nb02.check_to_layout, view, ["the values are scrambled", "result[0, 1, 0] should be step 1 of sequence 0",
                                             "view/reshape keeps the numbers in memory order",
                                             "Fix:  x.transpose(0, 1)    or    x.permute(1, 0, 2)"])
    assert "PyTorch raises no error" in msg


def test_to_layout_permute_inverse():
    def inverse(x, src, dst):
        src, dst = src.split(), dst.split()
        return x.permute(*[dst.index(a) for a in src])

    # a swap is its own inverse, so seq <-> batch alone cannot tell; the visible check (no src, dst)
    # also moves three axes, so the inverse fails there, not only in the hidden tests
    nb02.check_to_layout(inverse, src="seq batch feature", dst="batch seq feature")
    wrong(nb02.check_to_layout, inverse, ["permute(2, 0, 1) is the inverse", "result axis i\n  is x's axis dims[i]",
                                          "Fix:  x.permute(1, 2, 0)"],
          src="seq batch feature", dst="batch feature seq")
    wrong(nb02.check_to_layout, inverse, ["to_layout(x, 'seq batch feature', 'batch feature seq')",
                                          "permute(2, 0, 1) is the inverse"])


def test_to_layout_always_transpose():
    def always(x, src, dst):
        return x.transpose(0, 1)

    wrong(nb02.check_to_layout, always, ["That is x.transpose(0, 1), order (feature, batch, seq)",
                                         "Fix:  x.permute(1, 2, 0)"],
          src="batch feature seq", dst="feature seq batch")
    wrong(nb02.check_to_layout, always, ["That is x.transpose(0, 1), order (seq, batch, feature)", "Fix:  return x"],
          src="batch seq feature", dst="batch seq feature")


def test_to_layout_unchanged():
    wrong(nb02.check_to_layout, lambda x, src, dst: x, ["still in the order of src: nothing moved",
                                                        "Fix:  x.transpose(0, 1)"])


def test_to_layout_in_place():
    wrong(nb02.check_to_layout, lambda x, src, dst: x.transpose_(0, 1), ["changed the x it was given"])


def test_keras_lstm_out_last_on_batch_first():
    def last_sequence(lstm, x, return_sequences):
        out, _ = lstm(x if lstm.batch_first else x.transpose(0, 1))
        if not lstm.batch_first:
            out = out.transpose(0, 1)
        return out if return_sequences else out[-1]

    wrong(nb02.check_keras_lstm, last_sequence, ["return_sequences=False) with an nn.LSTM(batch_first=True) returned (7, 5)",
                                                 "all 7 steps of the last sequence", "out[-1] indexes the batch axis",
                                                 "Fix:  out[:, -1]"])


def test_keras_lstm_no_transpose():
    def no_transpose(lstm, x, return_sequences):
        out, _ = lstm(x)
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, no_transpose, ["nn.LSTM(batch_first=False)", "as\n  4 time steps of 7 sequences",
                                                "PyTorch raises no error", "lstm(x.transpose(0, 1))"])


def test_keras_lstm_view():
    def view(lstm, x, return_sequences):
        if lstm.batch_first:
            out, _ = lstm(x)
        else:
            out, _ = lstm(x.view(x.shape[1], x.shape[0], x.shape[2]))
            out = out.transpose(0, 1)
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, view, ["rearranged with view/reshape", "transpose moves the numbers"])


def test_keras_lstm_output_not_transposed_back():
    def forgot(lstm, x, return_sequences):
        out, _ = lstm(x if lstm.batch_first else x.transpose(0, 1))
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, forgot, ["returned (7, 4, 5)", "the layout of a batch_first=False LSTM",
                                          "Fix:  out = out.transpose(0, 1)"])


def test_keras_lstm_whole_out_or_h_n():
    def whole(lstm, x, return_sequences):
        out, _ = lstm(x if lstm.batch_first else x.transpose(0, 1))
        return out if lstm.batch_first else out.transpose(0, 1)

    wrong(nb02.check_keras_lstm, whole, ["That is every step", "returns only the last step"])

    def h_n(lstm, x, return_sequences):
        out, (h, _) = lstm(x if lstm.batch_first else x.transpose(0, 1))
        return (out if lstm.batch_first else out.transpose(0, 1)) if return_sequences else h

    wrong(nb02.check_keras_lstm, h_n, ["That is h_n", "Fix:  h_n[-1]"])


def test_keras_lstm_returns_tuple():
    wrong(nb02.check_keras_lstm, lambda lstm, x, rs: lstm(x), ["tuple (output, (h_n, c_n))"], error=ShapeError)


def test_make_windows_target_inside_window():
    def inside(series, seq, horizon=1):
        inputs, _ = make_windows(series, seq, horizon)
        return inputs, series[seq + horizon - 2 :][: len(inputs)]

    wrong(nb02.check_make_windows, inside, ["targets[0] should be hour 7, but it is hour 6",
                                            "Window 0 covers hours 0..6, and the target comes 1 hour after its last hour",
                                            "Hour 6 is inside the window", "targets[i] = series[i + seq + horizon - 1]"])


def test_make_windows_target_one_late():
    def late(series, seq, horizon=1):
        inputs, _ = make_windows(series, seq, horizon)
        n = len(inputs) - 1
        return inputs[:n], series[seq + horizon : seq + horizon + n]

    wrong(nb02.check_make_windows, late, ["inputs has 22 rows, one per window, but there should be 23", "Windows are missing"])

    def late_same_count(series, seq, horizon=1):
        inputs, _ = make_windows(series, seq, horizon)
        return inputs, torch.cat([series[seq + horizon :], series[-1:]])

    wrong(nb02.check_make_windows, late_same_count, ["one hour too late"])


def test_make_windows_one_window_too_many():
    def too_many(series, seq, horizon=1):
        n = len(series) - seq + 1
        return torch.stack([series[i : i + seq] for i in range(n)]), series[seq:]

    wrong(nb02.check_make_windows, too_many, ["inputs has 24 rows, one per window, but there should be 23",
                                              "Windows after it have no target", "n = len(series) - seq - horizon + 1"])


def test_make_windows_horizon_ignored():
    def ignored(series, seq, horizon=1):
        n = len(series) - seq - horizon + 1
        return series.unfold(0, seq, 1).transpose(1, 2)[:n], series[seq : seq + n]

    nb02.check_make_windows(ignored, horizon=1)
    wrong(nb02.check_make_windows, ignored, ["That is the next hour: horizon=3 was ignored"], horizon=3)
    # the visible check (no horizon given) tries horizon=1 and 2, so it catches this too
    wrong(nb02.check_make_windows, ignored, ["make_windows(series, seq=7, horizon=2): targets[0] should be hour 8",
                                             "That is the next hour: horizon=2 was ignored"])


def test_make_windows_unfold_not_transposed():
    def unfold(series, seq, horizon=1):
        n = len(series) - seq - horizon + 1
        return series.unfold(0, seq, 1)[:n], series[seq + horizon - 1 :]

    wrong(nb02.check_make_windows, unfold, ["seq and feature are swapped", "unfold(0, seq, 1) puts the window axis last",
                                            "Fix:  inputs = inputs.transpose(1, 2)"])


def test_make_windows_non_overlapping():
    def blocks(series, seq, horizon=1):
        usable = len(series) // seq * seq
        return series[:usable].view(-1, seq, series.shape[1]), series[seq::seq]

    wrong(nb02.check_make_windows, blocks, ["non-overlapping blocks", "one starts at every hour"])


def test_make_windows_seq_and_batch_swapped():
    def swapped(series, seq, horizon=1):
        inputs, targets = make_windows(series, seq, horizon)
        return inputs.transpose(0, 1), targets

    wrong(nb02.check_make_windows, swapped, ["seq and batch are swapped", "stacked along a new first axis"])


def test_make_windows_whole_window_as_target():
    def window_target(series, seq, horizon=1):
        inputs, _ = make_windows(series, seq, horizon)
        return inputs, torch.stack([series[i + 1 : i + 1 + seq] for i in range(len(inputs))])

    wrong(nb02.check_make_windows, window_target, ["That is a whole window per target"])


def test_univariate_missing_feature_axis():
    def missing(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs.squeeze(-1), targets

    wrong(nb02.check_univariate_windows, missing, ["the feature axis is missing",
                                                   "Expected 1, got 7", "Fix:  inputs = inputs.unsqueeze(-1)"])


def test_univariate_unsqueeze_in_the_wrong_place():
    def middle(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs.squeeze(-1).unsqueeze(1), targets

    wrong(nb02.check_univariate_windows, middle, ["(unsqueeze(1))", "1 step of 7 features", "not unsqueeze(1)"])

    def front(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs.squeeze(-1).unsqueeze(0), targets

    wrong(nb02.check_univariate_windows, front, ["unsqueeze(0) adds an axis", "1 sequence of 23 steps"])


def test_univariate_targets_without_feature_axis():
    def flat(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs, targets.squeeze(-1)

    wrong(nb02.check_univariate_windows, flat, ["targets should be (batch=23, feature=1)", "broadcasts to (batch, batch)",
                                                "Fix:  targets = targets.unsqueeze(-1)"])


def test_univariate_seq_and_batch_swapped():
    def swapped(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs.transpose(0, 1), targets

    wrong(nb02.check_univariate_windows, swapped, ["seq and batch are swapped", "stacked along a new first axis"])


def test_univariate_target_inside_window():
    def inside(series, seq):
        inputs, _ = univariate_windows(series, seq)
        return inputs, series[seq - 1 : -1].unsqueeze(-1)

    wrong(nb02.check_univariate_windows, inside, ["Hour 6 is inside the window", "targets[i] = series[i + seq]"])


def test_univariate_window_count_off_by_one():
    def too_few(series, seq):
        inputs, targets = univariate_windows(series, seq)
        return inputs[:-1], targets[:-1]

    wrong(nb02.check_univariate_windows, too_few, ["inputs has 22 rows, one per window, but there should be 23",
                                                   "hours - seq = 30 - 7 = 23", "n = len(series) - seq;"])


# --- found by reviewing the notebook as a learner ------------------------------------------------


def test_to_layout_hard_coded_transpose_fails_the_visible_check():
    msg = wrong(nb02.check_to_layout, lambda x, src, dst: x.transpose(0, 1),
                ["to_layout(x, 'seq batch feature', 'batch feature seq') returned the axes in the wrong order",
                 "That is x.transpose(0, 1), order (batch, seq, feature): right only when dst swaps the first\n"
                 "  two axes of src.", "Fix:  x.permute(1, 2, 0)"])
    assert "(batch=4, feature=3, seq=7)" in msg


def test_right_answer_passes_every_default_layout(capsys):
    nb02.check_to_layout(to_layout)
    line = ("PASSED to_layout: (seq, batch, feature) -> (batch, seq, feature), (seq, batch, feature) -> "
            "(batch, feature, seq), (batch, feature, seq) -> (seq, batch, feature): every number with its own "
            "sequence and step\n")
    assert capsys.readouterr().out == 2 * line   # two sizes: (4, 7, 3) and (3, 5, 2)


def test_to_layout_index_on_the_string():
    def letters(x, src, dst):
        return x.permute(*[src.index(a) for a in dst.split()])

    wrong(nb02.check_to_layout, letters, ["failed: IndexError: Dimension out of range",
                                          "src.index('batch') on the string counts letters",
                                          "('seq batch feature'.index('batch') is 4)",
                                          "Fix:  src_axes = src.split()    then    src_axes.index('batch') is 1"])


def test_keras_lstm_must_not_change_batch_first():
    def flip(lstm, x, return_sequences):
        lstm.batch_first = True
        out, _ = lstm(x)
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, flip, ["keras_lstm() set lstm.batch_first = True on the nn.LSTM it was given "
                                        "(built with batch_first=False)", "the caller's LSTM now reads",
                                        "Fix:  leave lstm as it is"])


def test_keras_lstm_h_n_of_the_first_layer():
    def first_layer(lstm, x, return_sequences):
        out, (h_n, _) = lstm(x if lstm.batch_first else x.transpose(0, 1))
        if return_sequences:
            return out if lstm.batch_first else out.transpose(0, 1)
        return h_n[0]

    nb02.check_keras_lstm(first_layer, num_layers=1)  # one layer: h_n[0] is h_n[-1]
    wrong(nb02.check_keras_lstm, first_layer, ["That is h_n[0], the final state of the FIRST of 2 layers",
                                               "Fix:  h_n[-1]"])


def test_keras_lstm_transposes_for_a_batch_first_lstm_too():
    def always(lstm, x, return_sequences):
        out, _ = lstm(x.transpose(0, 1))
        out = out.transpose(0, 1)
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, always, ["with an nn.LSTM(batch_first=True) returned (4, 7, 5)",
                                          "it already reads (batch, seq, feature)", "read 7 sequences of 4 steps",
                                          "Fix:  if lstm.batch_first:  out, _ = lstm(x)"])


def test_keras_lstm_output_reshaped_back():
    def reshaped(lstm, x, return_sequences):
        if lstm.batch_first:
            out, _ = lstm(x)
        else:
            out, _ = lstm(x.transpose(0, 1))
            out = out.reshape(x.shape[0], x.shape[1], -1)
        return out if return_sequences else out[:, -1]

    wrong(nb02.check_keras_lstm, reshaped, ["x went in right, but out (7, 4, hidden) was brought back with view/reshape",
                                            "Fix:  out = out.transpose(0, 1)    (not out.view(batch, seq, -1))"])


def test_make_windows_window_one_hour_too_long_or_short():
    def long(series, seq, horizon=1):
        n = len(series) - seq - horizon + 1
        return torch.stack([series[i : i + seq + 1] for i in range(n)]), series[seq + horizon - 1 :]

    wrong(nb02.check_make_windows, long, ["its shape is (23, 8, 3)", "each window has 8 hours, one too many",
                                          "The model would see the answer in its input",
                                          "Fix:  window i is series[i : i + seq]"])

    def short(series, seq, horizon=1):
        n = len(series) - seq - horizon + 1
        return torch.stack([series[i : i + seq - 1] for i in range(n)]), series[seq + horizon - 1 :]

    wrong(nb02.check_make_windows, short, ["each window has 6 hours, one too few", "the end of a slice is not included"])

    def uni_long(series, seq):
        n = len(series) - seq
        return torch.stack([series[i : i + seq + 1] for i in range(n)]).unsqueeze(-1), series[seq:].unsqueeze(-1)

    msg = wrong(nb02.check_univariate_windows, uni_long, ["its shape is (23, 8, 1)", "one too many"])
    assert "horizon" not in msg


def test_make_windows_target_is_one_column():
    def one_column(series, seq, horizon=1):
        inputs, targets = make_windows(series, seq, horizon)
        return inputs, targets[:, 0]

    wrong(nb02.check_make_windows, one_column, ["targets should be (batch=23, feature=3), but its shape is (23,)",
                                                "all 3 features of that hour",
                                                "Fix:  targets[i] = series[i + seq + horizon - 1]    (the whole row)"])


def test_checks_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nb02.check_to_layout(to_layout)
    nb02.check_keras_lstm(keras_lstm)
    nb02.check_make_windows(make_windows)
    nb02.check_univariate_windows(univariate_windows)
    assert torch.equal(torch.rand(3), expected)


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.lessons import mistakes  # noqa: E402

graded = mistakes("02")
from course_utils.grading.visible import visible_failure  # noqa: E402


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"


# --- inputs come back unchanged (issue 17, item 8) ------------------------------------------------


def test_univariate_windows_unsqueezes_the_callers_series():
    def in_place(series, seq):
        series.unsqueeze_(-1)                          # (hours, 1): "a feature axis"
        n = len(series) - seq
        return torch.stack([series[i:i + seq] for i in range(n)]), series[seq:]

    with pytest.raises(AssertionError) as info:
        nb02.check_univariate_windows(in_place)
    text = str(info.value)
    assert "changed series in place:\n  series was (" in text, text
    assert text.endswith("Fix:  x = series.clone()    then reshape x; or the method without the trailing _")


def test_keras_lstm_transposes_the_callers_x():
    def in_place(lstm, x, return_sequences):
        if not lstm.batch_first:
            out, _ = lstm(x.transpose_(0, 1))
            out = out.transpose(0, 1)
        else:
            out, _ = lstm(x)
        return out if return_sequences else out[:, -1]

    with pytest.raises(AssertionError) as info:
        nb02.check_keras_lstm(in_place)
    text = str(info.value)
    assert "changed x in place:\n" in text and "transpose_ (or t_) swapped its axes." in text, text
