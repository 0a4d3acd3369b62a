"""Notebook 03's checks: right answers pass, and each typical mistake gets a message that names it
(which gate, which term, which state) and shows the fix. Fast (no nbgrader); the same mistakes are
graded through nbgrader in test_grading_03.py."""

import inspect
import math
import textwrap

import pytest
import torch
from torch import nn

from course_utils.checks import nb03
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import cells, mistakes, solution
from course_utils.shapes import ShapeError

_solution = solution("03")
lstm_gates, lstm_cell = _solution["lstm_gates"], _solution["lstm_cell"]
lstm_forward, set_forget_bias = _solution["lstm_forward"], _solution["set_forget_bias"]


# the notebook computes the gates inline in lstm_cell and lstm_forward; these right versions call
# the step before instead, for the wrong answers that change what is called


def lstm_cell_via_gates(x_t, state, W_ih, W_hh, b_ih, b_hh):
    h_prev, c_prev = state
    i, f, g, o = lstm_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    c_t = f * c_prev + i * g
    h_t = o * torch.tanh(c_t)
    return h_t, c_t


def lstm_forward_via_cell(x, W_ih, W_hh, b_ih, b_hh, h0=None, c0=None):
    seq, batch, _ = x.shape
    hidden = W_hh.shape[1]
    h = x.new_zeros(batch, hidden) if h0 is None else h0[0]
    c = x.new_zeros(batch, hidden) if c0 is None else c0[0]
    outputs = []
    for x_t in x:
        h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    out = torch.stack(outputs)
    return out, (h.unsqueeze(0), c.unsqueeze(0))


def blank(*args, **kwargs):
    raise NotImplementedError()


def variant(fn, old, new, **names):
    """fn with `old` replaced by `new` in its source (for the notebook's own functions, the source of
    their answer cell): a realistic wrong answer."""
    if fn.__module__ == _solution["__name__"]:
        source = cells("03")[fn.__code__.co_filename]
    else:
        source = textwrap.dedent(inspect.getsource(fn))
    assert old in source, old
    namespace = {"torch": torch, "nn": nn, "lstm_gates": lstm_gates, "lstm_cell": lstm_cell, **names}
    exec(source.replace(old, new), namespace)
    return namespace[fn.__name__]


def forward_with(old):
    """The notebook's lstm_forward, or lstm_forward_via_cell where the mistake is in the call of lstm_cell."""
    return lstm_forward_via_cell if "= lstm_cell(" in old else lstm_forward


def message(check, fn, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    return str(info.value)


# --- right answers, blanks, the reference itself -----------------------------------------------


@pytest.mark.parametrize("check, fn, kwargs", [
    (nb03.check_lstm_gates, lstm_gates, {}),
    (nb03.check_lstm_gates, lstm_gates, dict(batch=3, feature=6, hidden=2, seed=1)),
    (nb03.check_lstm_gates, lstm_gates, dict(batch=1, feature=1, hidden=1, seed=2)),
    (nb03.check_lstm_cell, lstm_cell, {}),
    (nb03.check_lstm_cell, lstm_cell, dict(batch=1, feature=1, hidden=1, seed=2)),
    (nb03.check_lstm_cell, lstm_cell_via_gates, {}),
    (nb03.check_lstm_forward, lstm_forward, {}),
    (nb03.check_lstm_forward, lstm_forward, dict(initial_state=False)),
    (nb03.check_lstm_forward, lstm_forward, dict(seq=1, batch=1, feature=2, hidden=3, seed=1)),
    (nb03.check_lstm_forward, lstm_forward_via_cell, {}),
    (nb03.check_lstm_forward, lstm_forward_via_cell, dict(initial_state=False)),
    (nb03.check_set_forget_bias, set_forget_bias, {}),
    (nb03.check_set_forget_bias, set_forget_bias, dict(num_layers=3, feature=1, hidden=1, value=-1.5)),
])
def test_right_answers_pass(check, fn, kwargs, capsys):
    check(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED ")


@pytest.mark.parametrize("check", [nb03.check_lstm_gates, nb03.check_lstm_cell, nb03.check_lstm_forward,
                                   nb03.check_set_forget_bias])
def test_blank_answer_says_what_to_do(check):
    with pytest.raises(NotDoneYet, match=r"is not written yet: replace `raise NotImplementedError\(\)`"):
        check(blank)


def test_reference_gates_come_from_nn_lstmcell():
    """The pinning trick reads PyTorch's own gates; they agree with the documented equations."""
    cell = nb03.make_cell(3, 5, seed=4)
    x, h, _ = nb03.cell_inputs(4, 3, 5, seed=4)
    got = nb03.torch_gates(cell, x, h)
    want = lstm_gates(x, h, *nb03.weights(cell))
    for a, b in zip(got, want, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


def test_checks_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nb03.check_lstm_gates(lstm_gates)
    nb03.check_lstm_cell(lstm_cell)
    nb03.check_lstm_forward(lstm_forward)
    nb03.check_set_forget_bias(set_forget_bias)
    assert torch.equal(torch.rand(3), expected)


# --- exercise 1: the gates ---------------------------------------------------------------------


def test_gates_in_wrong_order_name_the_gates():
    text = message(nb03.check_lstm_gates, variant(lstm_gates, "i, f, g, o = gates", "i, f, o, g = gates"))
    assert text.startswith("gates in the wrong order: your g is built from rows 15:20, which PyTorch uses for o; "
                           "your o is built from rows 10:15, which PyTorch uses for g.")
    assert "rows 0:5 are i, 5:10 f, 10:15 g, 15:20 o" in text
    assert "Fix:  gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh;  i, f, g, o = gates.chunk(4, dim=1)" in text


def test_i_and_f_swapped():
    text = message(nb03.check_lstm_gates, variant(lstm_gates, "i, f, g, o = gates", "f, i, g, o = gates"))
    assert "your i is built from rows 5:10, which PyTorch uses for f" in text


def test_sigmoid_for_the_candidate():
    text = message(nb03.check_lstm_gates, variant(lstm_gates, "torch.tanh(g)", "torch.sigmoid(g)"))
    assert text.startswith("the cell candidate g must use tanh, not sigmoid")
    assert ("with a sigmoid (0 to 1) g is never negative, so a cell that starts at zero could never hold a "
            "negative value") in text
    assert "grow" not in text
    assert text.endswith("Fix:  g = torch.tanh(g)")


def test_tanh_for_a_gate():
    text = message(nb03.check_lstm_gates, variant(lstm_gates, "return torch.sigmoid(i)", "return torch.tanh(i)"))
    assert text.startswith("the input gate i must use sigmoid, not tanh")
    assert text.endswith("Fix:  i = torch.sigmoid(i)")


@pytest.mark.parametrize("old, new, start", [
    (" + b_hh", "", "the bias b_hh is missing"),
    (" + b_ih", "", "the bias b_ih is missing"),
    ("h_prev @ W_hh.T + ", "", "the h_prev @ W_hh.T term is missing"),
])
def test_missing_term(old, new, start):
    text = message(nb03.check_lstm_gates, variant(lstm_gates, old, new))
    assert text.startswith(start)
    assert "Fix:  gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh" in text


def test_chunk_along_the_batch_axis():
    text = message(nb03.check_lstm_gates, variant(lstm_gates, "chunk(4, dim=1)", "chunk(4, dim=0)"))
    assert "cut along the batch axis (dim 0)" in text
    assert text.endswith("Fix:  i, f, g, o = gates.chunk(4, dim=1)")


def test_gates_returned_stacked():
    text = message(nb03.check_lstm_gates, lambda x, h, *w: x @ w[0].T + w[2] + h @ w[1].T + w[3])
    assert text.startswith("lstm_gates() returned one tensor of shape (4, 20)")


def test_gates_transposed():
    wrong = variant(lstm_gates, "return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)",
                    "return torch.sigmoid(i).T, torch.sigmoid(f).T, torch.tanh(g).T, torch.sigmoid(o).T")
    with pytest.raises(ShapeError, match="batch and hidden are swapped"):
        nb03.check_lstm_gates(wrong)


def test_an_unknown_gate_mistake_is_isolated():
    wrong = variant(lstm_gates, "torch.sigmoid(f), torch.tanh(g)", "torch.sigmoid(f) ** 2, torch.tanh(g)")
    text = message(nb03.check_lstm_gates, wrong)
    assert text.startswith("your f differs from PyTorch's (forget gate f: largest difference")
    assert "; i, g, o are right." in text


# --- exercise 2: one step ----------------------------------------------------------------------


@pytest.mark.parametrize("old, new, start, fix", [
    ("f * c_prev + i * g", "f * c_prev + g",
     "c_t differs from nn.LSTMCell's: c_t uses i * g, you used g alone: the input gate i is missing.",
     "c_t = f * c_prev + i * g"),
    ("f * c_prev + i * g", "c_prev + i * g", "c_t differs from nn.LSTMCell's: the old memory is kept by f * c_prev",
     "c_t = f * c_prev + i * g"),
    ("f * c_prev + i * g", "i * c_prev + f * g", "c_t differs from nn.LSTMCell's: i and f are swapped in c_t",
     "c_t = f * c_prev + i * g"),
    ("h_prev, c_prev = state", "c_prev, h_prev = state",
     "c_t differs from nn.LSTMCell's: state is (h_prev, c_prev) in this order", "h_prev, c_prev = state"),
    ("o * torch.tanh(c_t)", "o * c_t",
     "c_t is right, but h_t is not: h_t uses tanh(c_t), you used c_t itself: the tanh on c_t is missing.",
     "h_t = o * torch.tanh(c_t)"),
    ("o * torch.tanh(c_t)", "torch.tanh(c_t)", "c_t is right, but h_t is not: h_t is o * tanh(c_t): the output gate o is missing.",
     "h_t = o * torch.tanh(c_t)"),
    ("o * torch.tanh(c_t)", "o * torch.tanh(c_prev)", "c_t is right, but h_t is not: h_t uses the new cell state c_t, you used c_prev",
     "h_t = o * torch.tanh(c_t)"),
    ("return h_t, c_t", "return c_t, h_t", "h_t and c_t are right but swapped", "return h_t, c_t"),
])
def test_cell_mistakes(old, new, start, fix):
    text = message(nb03.check_lstm_cell, variant(lstm_cell, old, new))
    assert text.startswith(start)
    assert text.endswith(f"Fix:  {fix}")


def test_cell_with_gates_in_wrong_order():
    def wrong_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        i, f, o, g = (x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=1)
        return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)

    text = message(nb03.check_lstm_cell, variant(lstm_cell_via_gates, "i, f, g, o = lstm_gates(", "i, f, g, o = wrong_gates(",
                                                 wrong_gates=wrong_gates))
    assert text.startswith("c_t differs from nn.LSTMCell's: gates in the wrong order: your g reads rows 15:20 (PyTorch's o).")


def test_cell_with_sigmoid_candidate_or_missing_bias():
    sig = message(nb03.check_lstm_cell, variant(lstm_cell, "c_t = f * c_prev + i * g",
                                                "c_t = f * c_prev + i * torch.sigmoid(torch.atanh(g))"))
    assert sig.startswith("c_t differs from nn.LSTMCell's: the cell candidate g must use tanh, not sigmoid")

    def no_b_hh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        return lstm_gates(x_t, h_prev, W_ih, W_hh, b_ih, torch.zeros_like(b_hh))

    text = message(nb03.check_lstm_cell, variant(lstm_cell_via_gates, "= lstm_gates(", "= no_b_hh(", no_b_hh=no_b_hh))
    assert text.startswith("c_t differs from nn.LSTMCell's: the bias b_hh is missing")


def test_cell_detached_state_loses_its_gradient():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "f * c_prev", "f * c_prev.detach()"))
    assert text.startswith("the values of lstm_cell() are right, but no gradient reaches c_prev")
    assert text.endswith("Fix:  use c_prev as it is: no .detach() or .data on it")


def test_cell_without_any_gradient():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "return h_t, c_t", "return h_t.detach(), c_t.detach()"))
    assert text.startswith("the values of lstm_cell() are right, but its outputs carry no gradient")


def test_cell_in_place_update():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "c_t = f * c_prev + i * g", "c_t = c_prev.mul_(f).add_(i * g)"))
    assert text.startswith("lstm_cell() changed one of the tensors it was given in place")
    assert text.endswith("Fix:  c_t = f * c_prev + i * g    (a new tensor; leave c_prev alone)")


def test_cell_float32():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "return h_t, c_t", "return h_t.float(), c_t.float()"))
    assert text.startswith("h_t is torch.float32, but the inputs are torch.float64")


def test_cell_unknown_mistake_falls_back_to_the_formulas():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "h_t = o * torch.tanh(c_t)", "h_t = o * torch.tanh(c_t) + 0.01"))
    assert text.startswith("h_t differs from nn.LSTMCell's (largest difference 0.01)")
    assert "c_t = f * c_prev + i * g;  h_t = o * torch.tanh(c_t)" in text


def test_isolating_one_gate_names_the_suspect():
    # f computed with a wrong scale: only the forget gate's one-at-a-time test fails
    def odd_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        i, f, g, o = lstm_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
        return i, f ** 3, g, o

    cell, (x, h, c) = nb03.make_cell(3, 5), nb03.cell_inputs()
    wrong = variant(lstm_cell_via_gates, "= lstm_gates(", "= odd_gates(", odd_gates=odd_gates)
    assert nb03._isolate_cell(wrong, cell, x, h, c) == ["f"]
    assert "forget gate f is wrong" in message(nb03.check_lstm_cell, wrong)


# --- exercise 3: the loop ----------------------------------------------------------------------


@pytest.mark.parametrize("old, new, start, fix", [
    ("h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)\n        outputs.append(h)",
     "h_t, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)\n        outputs.append(h_t)",
     "out differs from nn.LSTM's from step 1 on: h is not carried from step to step: every step starts again "
     "from h0 (h_prev reset each step), only c moves on.",
     "h, c = lstm_cell(x_t, (h, c), ...)   (the same names in and out, so the next step gets them)"),
    ("h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)\n        outputs.append(h)",
     "h_t, c_t = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)\n        outputs.append(h_t)",
     "out differs from nn.LSTM's from step 1 on: h and c are not carried from step to step",
     "h, c = lstm_cell(x_t, (h, c), ...)   (the same names in and out, so the next step gets them)"),
    (" if h0 is None else h0[0]", "", "out differs from nn.LSTM's from step 0 on: h0 was ignored: h started from zeros.",
     "h = h0[0]"),
    ("outputs.append(h)", "outputs.append(c)",
     "out differs from nn.LSTM's from step 0 on: out holds the cell state c_t at every step", "outputs.append(h)"),
    ("for x_t in x:", "for x_t in x.flip(0):", "out differs from nn.LSTM's from step 0 on: the steps ran backwards",
     "for x_t in x:   (x[0] first)"),
    ("torch.stack(outputs)", "torch.stack(outputs, dim=1)",
     "out should be (seq=7, batch=4, hidden=5), like the output of nn.LSTM, but its shape is (4, 7, 5)",
     "out = torch.stack(outputs)     (not dim=1)"),
    ("(h.unsqueeze(0), c.unsqueeze(0))", "(c.unsqueeze(0), h.unsqueeze(0))",
     "out is right, but h_n is not: h_n and c_n are swapped", "return out, (h_n, c_n)"),
    ("return out, (h.unsqueeze(0), c.unsqueeze(0))", "return out, (out[:1], c.unsqueeze(0))",
     "out is right, but h_n is not: h_n is the h of the first step", "h_n = out[-1:]   or   h.unsqueeze(0) after the loop"),
    ("return out, (h.unsqueeze(0), c.unsqueeze(0))", "return out, h.unsqueeze(0), c.unsqueeze(0)",
     "lstm_forward() should return out, (h_n, c_n), like nn.LSTM", "return out, (h_n, c_n)"),
    ("h0[0]", "h0[0].detach()", "the values of lstm_forward() are right, but no gradient reaches h0",
     "use h0 as it is: no .detach() or .data on it"),
])
def test_forward_mistakes(old, new, start, fix):
    text = message(nb03.check_lstm_forward, variant(forward_with(old), old, new))
    assert text.startswith(start)
    assert text.endswith(f"Fix:  {fix}")


def test_forward_h_n_without_layers_axis():
    wrong = variant(lstm_forward, "(h.unsqueeze(0), c.unsqueeze(0))", "(h, c)")
    with pytest.raises(ShapeError, match=r"(?s)h_n should be \(layers=1, batch=4, hidden=5\).*h_n.unsqueeze\(0\)"):
        nb03.check_lstm_forward(wrong)


def test_forward_h0_used_with_its_layers_axis():
    text = message(nb03.check_lstm_forward, variant(lstm_forward, "h0[0]", "h0"))
    assert text.startswith("lstm_forward() failed on a shape; PyTorch says:")
    assert text.endswith("Fix:  h, c = h0[0], c0[0]   before the loop;   for x_t in x: ...")


def test_forward_without_initial_state():
    wrong = variant(lstm_forward, "h = x.new_zeros(batch, hidden) if h0 is None else h0[0]", "h = h0[0]")
    nb03.check_lstm_forward(wrong, initial_state=True)  # fine when h0 is given
    text = message(nb03.check_lstm_forward, wrong, initial_state=False)
    assert text.startswith("lstm_forward() was called without h0 and c0, and it failed: TypeError:")
    assert text.endswith("Fix:  h = x.new_zeros(batch, hidden) if h0 is None else h0[0]   (the same for c)")


def test_forward_with_a_wrong_cell_points_at_exercise_2():
    wrong_cell = variant(lstm_cell, "o * torch.tanh(c_t)", "o * c_t")
    text = message(nb03.check_lstm_forward, variant(lstm_forward_via_cell, "lstm_cell(x_t", "wrong_cell(x_t", wrong_cell=wrong_cell))
    assert text.startswith("out[0], the very first step, already differs from nn.LSTM's: the cell itself is wrong")
    assert "run the check of exercise 2 first" in text


# --- exercise 4: the forget-gate bias ----------------------------------------------------------


@pytest.mark.parametrize("old, new, kwargs, start", [
    ("p[hidden:2 * hidden] = value", "p[:hidden] = value", {},
     "layer 0: you changed rows 0:5 (input gate i) of the biases; the forget gate is rows 5:10."),
    ("p[hidden:2 * hidden] = 0.0", "p[hidden:2 * hidden] = value", {},
     "layer 0: the forget gate should start from b_ih + b_hh = 1 on rows 5:10, but you set both biases to 1, so they add up to 2."),
    ("                p[hidden:2 * hidden] = 0.0", "                pass", {},
     "layer 0: the forget gate should start from b_ih + b_hh = 1 on rows 5:10, but only b_ih was set"),
    ("for name, p in lstm.named_parameters():",
     "for name, p in [('bias_ih_l0', lstm.bias_ih_l0), ('bias_hh_l0', lstm.bias_hh_l0)]:", dict(num_layers=2),
     "layer 1 still has its random forget bias: you set layer 0 only."),
    ("p[hidden:2 * hidden] = value",
     "setattr(lstm, name, nn.Parameter(torch.cat([p[:hidden], torch.full((hidden,), value), p[2 * hidden:]])))", {},
     "lstm.bias_ih_l0 is a new tensor now: you replaced the parameter instead of changing its values."),
])
def test_forget_bias_mistakes(old, new, kwargs, start):
    text = message(nb03.check_set_forget_bias, variant(set_forget_bias, old, new), **kwargs)
    assert text.startswith(start)
    assert "Fix:  " in text.splitlines()[-1]


def test_forget_bias_that_detaches():
    def wrong(lstm, value):
        lstm.bias_ih_l0.requires_grad_(False)
        return set_forget_bias(lstm, value)

    assert message(nb03.check_set_forget_bias, wrong).startswith("lstm.bias_ih_l0 no longer requires grad")


def test_forget_bias_value_reaches_the_gate():
    """With zero input and state, PyTorch's own forget gate is then sigmoid(value)."""
    lstm = set_forget_bias(nn.LSTM(3, 5), 2.0)
    cell = nn.LSTMCell(3, 5)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x, h = torch.zeros(1, 3), torch.zeros(1, 5)
    f = nb03.torch_gates(cell.double(), x.double(), h.double())[1]
    assert torch.allclose(f, torch.full_like(f, 1 / (1 + math.exp(-2.0))), atol=1e-6)


def test_an_unfinished_helper_is_named():
    def lstm_gates(*args):
        raise NotImplementedError()

    text = message(nb03.check_lstm_cell, variant(lstm_cell_via_gates, "i, f, g, o = lstm_gates(", "i, f, g, o = lstm_gates(",
                                                 lstm_gates=lstm_gates))
    assert text.startswith("lstm_cell() calls lstm_gates(), which is not written yet: write lstm_gates() first")


# --- found by reviewing the notebook as a learner ----------------------------------------------


def test_forget_bias_must_return_the_lstm():
    """Without `return lstm` every bias was right and the check passed, but the notebook's
    `self.lstm = set_forget_bias(nn.LSTM(...), 1.0)` then held None."""
    text = message(nb03.check_set_forget_bias, variant(set_forget_bias, "    return lstm\n", ""))
    assert text.startswith("set_forget_bias() set the biases right, but it returned None, not the lstm it was given.")
    assert text.endswith("Fix:  return lstm    (the last line of the function)")


def test_forget_bias_returns_a_new_lstm():
    def fresh(lstm, value):
        new = nn.LSTM(lstm.input_size, lstm.hidden_size, num_layers=lstm.num_layers)
        new.load_state_dict(lstm.state_dict())
        return set_forget_bias(new, value)

    assert message(nb03.check_set_forget_bias, fresh).startswith(
        "set_forget_bias() returned another nn.LSTM and left the one it was given unchanged.")


def test_forget_bias_without_no_grad():
    text = message(nb03.check_set_forget_bias,
                   variant(set_forget_bias, "    with torch.no_grad():\n        for", "    if True:\n        for"))
    assert text.startswith("set_forget_bias() failed; PyTorch says: a view of a leaf Variable that requires grad")
    assert "Fix:  with torch.no_grad():" in text


def test_forget_bias_layer_0_only_fails_the_visible_check():
    wrong = variant(set_forget_bias, "for name, p in lstm.named_parameters():",
                    "for name, p in [('bias_ih_l0', lstm.bias_ih_l0), ('bias_hh_l0', lstm.bias_hh_l0)]:")
    assert message(nb03.check_set_forget_bias, wrong).startswith("layer 1 still has its random forget bias")


def test_forget_bias_on_weights_or_whole_biases():
    text = message(nb03.check_set_forget_bias, variant(set_forget_bias, 'if name.startswith("bias_ih")', 'if "ih" in name'))
    assert text.startswith("lstm.weight_ih_l0 changed: only the biases should change")
    assert text.endswith("Fix:  change only the parameters whose name starts with 'bias_ih' or 'bias_hh'")
    whole = message(nb03.check_set_forget_bias, variant(set_forget_bias, "p[hidden:2 * hidden] = value", "p[:] = value"))
    assert whole.startswith("layer 0: you changed rows 0:5 (input gate i), 10:15 (cell candidate g) and "
                            "15:20 (output gate o) of the biases")


@pytest.mark.parametrize("check, fn", [(nb03.check_lstm_gates, lstm_gates), (nb03.check_lstm_cell, lstm_cell),
                                       (nb03.check_lstm_cell, lstm_cell_via_gates)])
@pytest.mark.parametrize("old, new, which", [
    ("x_t @ W_ih.T", "x_t @ W_ih", "x_t (batch=4, feature=3) @ W_ih (gates=20, feature=3)"),
    ("h_prev @ W_hh.T", "h_prev @ W_hh", "h_prev (batch=4, hidden=5) @ W_hh (gates=20, hidden=5)"),
])
def test_product_without_transpose(check, fn, old, new, which):
    text = message(check, variant(fn, "i, f, g, o = lstm_gates(", "i, f, g, o = bad(", bad=variant(lstm_gates, old, new))
                   if fn is lstm_cell_via_gates else variant(fn, old, new))
    assert "failed on a matrix product; PyTorch says: mat1 and mat2 shapes cannot be multiplied" in text
    assert f"That is {which}: PyTorch stores one ROW per gate output" in text
    assert text.endswith("Fix:  gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh")


@pytest.mark.parametrize("view, what", [
    ("gates.view(x_t.shape[0], 4, -1).unbind(1)", None),
    ("gates.view(4, x_t.shape[0], -1)", "each of your gates holds numbers of other examples and of other gates"),
    ("gates.view(x_t.shape[0], -1, 4).unbind(-1)", "your i takes every 4th column (0, 4, 8, ...)"),
])
def test_gates_cut_with_view(view, what):
    wrong = variant(lstm_gates, "gates.chunk(4, dim=1)", view)
    if what is None:
        nb03.check_lstm_gates(wrong)  # view(batch, 4, hidden) is right
        return
    text = message(nb03.check_lstm_gates, wrong)
    assert text.startswith("the gates were cut with view/reshape")
    assert what in text
    assert text.endswith("Fix:  i, f, g, o = gates.chunk(4, dim=1)")


def test_cell_returns_like_nn_lstm():
    text = message(nb03.check_lstm_cell, variant(lstm_cell, "return h_t, c_t", "return h_t, (h_t, c_t)"))
    assert text.startswith("lstm_cell() returned h_t, (h_t, c_t): that is nn.LSTM's shape of answer")
    assert text.endswith("Fix:  return h_t, c_t")


def test_cell_gates_read_c_prev():
    text = message(nb03.check_lstm_cell, variant(lstm_cell_via_gates, "lstm_gates(x_t, h_prev,", "lstm_gates(x_t, c_prev,"))
    assert text.startswith("c_t differs from nn.LSTMCell's: the gates read c_prev where they read h_prev")


def test_forward_float32_zeros_fail_the_visible_check():
    """The visible check leaves h0, c0 out too: torch.zeros(batch, hidden) is float32, x float64."""
    wrong = variant(lstm_forward, "x.new_zeros(batch, hidden) if h0", "torch.zeros(batch, hidden) if h0")
    nb03.check_lstm_forward(wrong, initial_state=True)
    text = message(nb03.check_lstm_forward, wrong)
    assert text.startswith("lstm_forward() was called without h0 and c0, and it failed; PyTorch says:")
    assert text.endswith("Fix:  h = x.new_zeros(batch, hidden)    or    torch.zeros(batch, hidden, dtype=x.dtype)")


def test_forward_zeros_of_the_wrong_size():
    wrong = variant(lstm_forward, "hidden = W_hh.shape[1]", "hidden = W_ih.shape[1]")
    text = message(nb03.check_lstm_forward, wrong)
    assert text.startswith("lstm_forward() was called without h0 and c0, and it failed on a shape")
    assert text.endswith("Fix:  batch, hidden = x.shape[1], W_hh.shape[1];   h = x.new_zeros(batch, hidden)")


@pytest.mark.parametrize("old, new, start, fix", [
    ("torch.stack(outputs)", "torch.cat(outputs)",
     "out should be (seq=7, batch=4, hidden=5), but its shape is (28, 5): 7 steps x 4 sequences in one axis.",
     "out = torch.stack(outputs)"),
    ("for x_t in x:", "for x_t in x[1:]:", "out has 6 steps, but x has 7: a step was skipped",
     "for x_t in x:  h, c = lstm_cell(x_t, (h, c), ...);  outputs.append(h)"),
    ("outputs = []", "outputs = [h]", "out has 8 steps, but x has 7: out also holds the initial state h0",
     "for x_t in x:  h, c = lstm_cell(x_t, (h, c), ...);  outputs.append(h)"),
    ("        h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)\n        outputs.append(h)",
     "        outputs.append(h)\n        h, c = lstm_cell(x_t, (h, c), W_ih, W_hh, b_ih, b_hh)",
     "out differs from nn.LSTM's from step 0 on: out[t] holds the h that step t started from (out[0] is h0)",
     "h, c = lstm_cell(x_t, (h, c), ...);  outputs.append(h)    (append after the step)"),
    ("        outputs.append(h)\n", "        outputs.append(h)\n        h, c = h.detach(), c.detach()\n",
     "the values of lstm_forward() are right, but h_n and c_n carry no gradient",
     "carry h and c on as they are: no .detach() or .data inside the loop (detaching between batches is "
     "notebook 04's business)"),
])
def test_forward_more_mistakes(old, new, start, fix):
    text = message(nb03.check_lstm_forward, variant(forward_with(old), old, new))
    assert text.startswith(start)
    assert text.endswith(f"Fix:  {fix}")


def test_visible_forward_check_covers_both_initial_states(capsys):
    nb03.check_lstm_forward(lstm_forward)
    assert capsys.readouterr().out == (
        "PASSED lstm_forward: out (seq=7, batch=4, hidden=5), h_n and c_n equal a "
        "one-layer nn.LSTM (h0, c0 given and left out), values and gradients\n"
        "PASSED lstm_forward: out (seq=4, batch=3, hidden=2), h_n and c_n equal a "
        "one-layer nn.LSTM (h0, c0 given and left out), values and gradients\n")


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.visible import visible_failure  # noqa: E402

graded = mistakes("03")


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"
