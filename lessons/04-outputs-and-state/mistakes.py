"""Notebook 04: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_04.py grades them through real nbgrader, test_checks_04.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "04-outputs-and-state"

WRONG_ANSWERS = [
    # caught by the visible check (it tries 2 layers, bidirectional, seq-first, float64, hidden 4)
    WrongAnswer("init_state", "shape = (lstm.num_layers * directions, batch, lstm.hidden_size)",
                "shape = (directions, batch, lstm.hidden_size)", "test_init_state", "layers forgotten"),
    WrongAnswer("init_state", "shape = (lstm.num_layers * directions, batch, lstm.hidden_size)",
                "shape = (lstm.num_layers * directions, batch, 5)", "test_init_state",
                "hidden size of the notebook's LSTM (5) hard-coded"),
    # last_output
    WrongAnswer("last_output", "    if batch_first:\n        return out[:, -1]\n    return out[-1]", "    return out[-1]",
                "test_last_output", "out[-1] used on batch-first output"),
    WrongAnswer("last_output", "        return out[:, -1]\n    return out[-1]", "        return out[-1]\n    return out[:, -1]",
                "test_last_output", "the two layouts swapped"),
    WrongAnswer("last_output", "        return out[:, -1]\n    return out[-1]", "        return out[:, 0]\n    return out[0]",
                "test_last_output", "first step instead of the last"),
    # final_hidden
    WrongAnswer("final_hidden", "return h_n[-1]", "return h_n[0]", "test_final_hidden",
                "h_n[0] taken as the last layer of a 2-layer LSTM"),
    WrongAnswer("final_hidden", "return h_n[-1]", "return h_n[1]", "test_final_hidden",
                "row 1 fixed: the last layer of the 2-layer try-it LSTM only (the visible check now catches it)"),
    WrongAnswer("final_hidden", "return h_n[-1]", "return c_n[-1]", "test_final_hidden",
                "c_n returned where h_n belongs"),
    WrongAnswer("final_hidden", "return h_n[-1]", "return h_n.squeeze(0)", "test_final_hidden",
                "squeeze(0) works for one layer only"),
    WrongAnswer("final_hidden", "return h_n[-1]", "return out[-1]", "test_final_hidden",
                "out[-1] on a batch-first LSTM's output"),
    # init_state
    WrongAnswer("init_state", "shape = (lstm.num_layers * directions, batch, lstm.hidden_size)",
                "shape = (batch, lstm.num_layers * directions, lstm.hidden_size)", "test_init_state",
                "h0 made batch-first (batch, layers, hidden)"),
    WrongAnswer("init_state", "shape = (lstm.num_layers * directions, batch, lstm.hidden_size)",
                "shape = (lstm.num_layers, batch, lstm.hidden_size)", "test_init_state",
                "directions forgotten (caught by the visible check: bidirectional)"),
    WrongAnswer("init_state", "dtype=weight.dtype, device=weight.device)\n    c0",
                "device=weight.device)\n    c0", "test_init_state",
                "h0 in the default dtype (caught by the visible check: float64 LSTM)"),
    WrongAnswer("init_state", "h0 = torch.zeros(shape,", "h0 = torch.randn(shape,", "test_init_state",
                "random initial state"),
    WrongAnswer("init_state", ", device=weight.device)", ")", "test_init_state",
                "state always made on the CPU, whatever device the LSTM is on (was full marks before)"),
    # run_in_chunks
    WrongAnswer("run_in_chunks", "state = (h.detach(), c.detach())", "state = (h, c)",
                "test_run_in_chunks", "forgotten detach: gradients reach earlier chunks"),
    WrongAnswer("run_in_chunks", "lstm(x[:, begin:begin + chunk], state)", "lstm(x[:, begin:begin + chunk])",
                "test_run_in_chunks", "state reset to zeros every chunk"),
    WrongAnswer("run_in_chunks", "state = (h.detach(), c.detach())",
                "state = (h.detach(), torch.zeros_like(c))", "test_run_in_chunks",
                "only h carried, c reset"),
    WrongAnswer("run_in_chunks", "outs.append(out_k)", "outs.append(out_k.detach())", "test_run_in_chunks",
                "outputs detached too: nothing can train"),
    WrongAnswer("run_in_chunks", "range(0, x.shape[1], chunk)", "range(0, x.shape[1] - chunk + 1, chunk)",
                "test_run_in_chunks", "the short last chunk dropped"),
    WrongAnswer("run_in_chunks", "return torch.cat(outs, dim=1), (h, c)",
                "return torch.cat(outs, dim=1), (c, h)", "test_run_in_chunks",
                "c_n returned where h_n belongs"),
    WrongAnswer("run_in_chunks",
                "for begin in range(0, x.shape[1], chunk):\n        out_k, (h, c) = lstm(x[:, begin:begin + chunk], state)",
                "for x_k in x.chunk(chunk, dim=1):\n        out_k, (h, c) = lstm(x_k, state)",
                "test_run_in_chunks", "x.chunk(chunk) makes `chunk` pieces, not pieces of `chunk` steps"),
    WrongAnswer("run_in_chunks", "state = (h.detach(), c.detach())", "state = (h.detach(), c)",
                "test_run_in_chunks", "only h detached: gradient crosses chunks through c"),
]

POINTS = {"test_last_output": 2, "test_final_hidden": 2, "test_init_state": 2, "test_run_in_chunks": 3}
