"""Notebook 03: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_03.py grades them through real nbgrader, test_checks_03.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "03-lstm-cell"

WRONG_ANSWERS = [
    # caught by the visible check (it tries hidden=2 besides the notebook's hidden=5)
    WrongAnswer("lstm_gates", "i, f, g, o = gates.chunk(4, dim=1)",
                "i, f, g, o = gates[:, :5], gates[:, 5:10], gates[:, 10:15], gates[:, 15:20]",
                "test_lstm_gates", "gate rows cut with the notebook's hidden=5"),
    # exercise 1: the gates
    WrongAnswer("lstm_gates", "i, f, g, o = gates.chunk(4, dim=1)", "i, f, o, g = gates.chunk(4, dim=1)",
                "test_lstm_gates", "gates in the order i, f, o, g"),
    WrongAnswer("lstm_gates", "torch.tanh(g)", "torch.sigmoid(g)", "test_lstm_gates", "sigmoid for the candidate g"),
    WrongAnswer("lstm_gates", " + h_prev @ W_hh.T + b_hh", " + h_prev @ W_hh.T", "test_lstm_gates",
                "b_hh forgotten"),
    WrongAnswer("lstm_gates", "gates.chunk(4, dim=1)", "gates.chunk(4, dim=0)", "test_lstm_gates",
                "chunked along the batch axis"),
    # exercise 2: one step
    WrongAnswer("lstm_cell", "c_t = f * c_prev + i * g", "c_t = f * c_prev + g", "test_lstm_cell",
                "c_t without the input gate"),
    WrongAnswer("lstm_cell", "h_t = o * torch.tanh(c_t)", "h_t = o * c_t", "test_lstm_cell", "no tanh on c_t in h_t"),
    WrongAnswer("lstm_cell", "i, f, g, o = gates.chunk(4, dim=1)", "i, f, o, g = gates.chunk(4, dim=1)",
                "test_lstm_cell", "gates in the order i, f, o, g"),
    WrongAnswer("lstm_cell", "return h_t, c_t", "return c_t, h_t", "test_lstm_cell", "returns (c_t, h_t)"),
    WrongAnswer("lstm_cell", "h_prev, c_prev = state", "c_prev, h_prev = state", "test_lstm_cell",
                "state unpacked as (c, h)"),
    WrongAnswer("lstm_cell", "c_t = f * c_prev + i * g", "c_t = f * c_prev.detach() + i * g", "test_lstm_cell",
                "right values, no gradient to c_prev"),
    # exercise 3: the loop
    WrongAnswer("lstm_forward", "h = torch.sigmoid(o) * torch.tanh(c)\n        outputs.append(h)",
                "h_t = torch.sigmoid(o) * torch.tanh(c)\n        outputs.append(h_t)", "test_lstm_forward",
                "h not carried between steps (h_prev reset each step)"),
    WrongAnswer("lstm_forward", "out = torch.stack(outputs)", "out = torch.stack(outputs, dim=1)",
                "test_lstm_forward", "out of shape (batch, seq, hidden)"),
    WrongAnswer("lstm_forward", "return out, (h.unsqueeze(0), c.unsqueeze(0))", "return out, (h, c)",
                "test_lstm_forward", "h_n, c_n without the layers axis"),
    WrongAnswer("lstm_forward", "h = x.new_zeros(batch, hidden) if h0 is None else h0[0]",
                "h = x.new_zeros(batch, hidden)", "test_lstm_forward", "h0 ignored"),
    WrongAnswer("lstm_forward", "h = x.new_zeros(batch, hidden) if h0 is None else h0[0]\n"
                "    c = x.new_zeros(batch, hidden) if c0 is None else c0[0]",
                "h, c = h0[0], c0[0]", "test_lstm_forward", "fails without h0, c0"),
    WrongAnswer("lstm_forward", "h = x.new_zeros(batch, hidden) if h0 is None else h0[0]",
                "h = torch.zeros(batch, hidden) if h0 is None else h0[0]", "test_lstm_forward",
                "float32 zeros for a float64 x when h0 is left out"),
    # exercise 4: the forget-gate bias
    WrongAnswer("set_forget_bias", "p[hidden:2 * hidden] = value", "p[:hidden] = value", "test_set_forget_bias",
                "input-gate rows instead of forget-gate rows"),
    WrongAnswer("set_forget_bias", "p[hidden:2 * hidden] = 0.0", "p[hidden:2 * hidden] = value",
                "test_set_forget_bias", "both biases set: the sum is 2 * value"),
    WrongAnswer("set_forget_bias", "for name, p in lstm.named_parameters():",
                "for name, p in [('bias_ih_l0', lstm.bias_ih_l0), ('bias_hh_l0', lstm.bias_hh_l0)]:",
                "test_set_forget_bias", "layer 0 only (the visible check has 2 layers)"),
    WrongAnswer("set_forget_bias", "    return lstm\n", "", "test_set_forget_bias",
                "biases right but returns None (was false credit: the check ignored the return value)"),
]

POINTS = {"test_lstm_gates": 3, "test_lstm_cell": 3, "test_lstm_forward": 3, "test_set_forget_bias": 2}
