"""Notebook 05: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_05.py grades them through real nbgrader, test_checks_05.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "05-stacked-lstms"

WRONG_ANSWERS = [
    # caught by the visible check (it tries a non-zero (h0, c0) on 2 layers, batch-first)
    WrongAnswer("manual_stack", "(h0[l:l + 1], c0[l:l + 1])", "(h0[0:1], c0[0:1])", "test_manual_stack",
                "row 0 of the initial state for every layer"),
    WrongAnswer("manual_stack", "out, (h, c) = layer(out, (h0[l:l + 1], c0[l:l + 1]))",
                "out, (h, c) = layer(out)", "test_manual_stack", "the initial state ignored"),
    # copy_layer
    WrongAnswer("copy_layer", 'f"{name}_l{layer}")', 'f"{name}_l{layer - 1}")', "test_copy_layer",
                "layers counted from 1: layer l-1's weights copied (off by one)"),
    WrongAnswer("copy_layer", '("weight_ih", "weight_hh", "bias_ih", "bias_hh")', '("weight_ih", "weight_hh")',
                "test_copy_layer", "biases forgotten"),
    WrongAnswer("copy_layer", 'getattr(single, f"{name}_l0").copy_(source)',
                'setattr(single, f"{name}_l0", source)', "test_copy_layer",
                "shares stacked's parameters instead of copying"),
    WrongAnswer("copy_layer", 'getattr(single, f"{name}_l0").copy_(source)',
                'getattr(single, f"{name}_l{layer}").copy_(source)', "test_copy_layer",
                "writes into single's _l{layer}, which a one-layer LSTM does not have"),
    WrongAnswer("copy_layer", 'getattr(single, f"{name}_l0").copy_(source)',
                'source.copy_(getattr(single, f"{name}_l0"))', "test_copy_layer",
                "copies the wrong way, single -> stacked"),
    # manual_stack
    WrongAnswer("manual_stack", "out, (h, c) = layer(out)\n", "out, (h, c) = layer(x)\n", "test_manual_stack",
                "every layer reads x instead of the previous layer's output"),
    WrongAnswer("manual_stack", "torch.cat(h_list, dim=0)", "torch.cat(h_list, dim=2)", "test_manual_stack",
                "h_n concatenated along the hidden axis"),
    WrongAnswer("manual_stack", "torch.cat(h_list, dim=0)", "torch.stack(h_list)", "test_manual_stack",
                "torch.stack adds a 4th axis"),
    WrongAnswer("manual_stack", "torch.cat(h_list, dim=0)", "torch.cat(h_list[::-1], dim=0)", "test_manual_stack",
                "h_n rows in reverse order (top layer first)"),
    WrongAnswer("manual_stack", "(h0[l:l + 1], c0[l:l + 1])", "(h0, c0)", "test_manual_stack",
                "the whole (layers, batch, hidden) state given to every one-layer LSTM"),
    WrongAnswer("manual_stack", "(h0[l:l + 1], c0[l:l + 1])", "(h0[l], c0[l])", "test_manual_stack",
                "state row without its layer axis (2-D)"),
    WrongAnswer("manual_stack", "return out, (torch.cat(h_list, dim=0), torch.cat(c_list, dim=0))",
                "return out, (h, c)", "test_manual_stack", "only the top layer's state returned"),
    # layer_state / top_layer
    WrongAnswer("layer_state", "return h_n[-1]", "return h_n[0]", "test_layer_state",
                "h_n[0] taken as the top layer"),
    WrongAnswer("layer_state", "return h_n[-1]", "return h_n[:, -1]", "test_layer_state",
                "h_n read as batch-first"),
    WrongAnswer("layer_state", "return h_n[layer]", "return h_n[layer:layer + 1]", "test_layer_state",
                "a slice keeps the layers axis"),
    WrongAnswer("layer_state", "return h_n[layer]", "return h_n[-1 - layer]", "test_layer_state",
                "layers counted from the top"),
    WrongAnswer("layer_state", "return h_n[-1]", "return h_n[2]", "test_layer_state",
                "top row fixed at 2, right for 3 layers only (the visible check now catches it)"),
    # StackedLSTM
    WrongAnswer("StackedLSTM", "if l < len(self.layers) - 1:", "if l < len(self.layers):", "test_stacked_lstm",
                "dropout after the last layer too"),
    WrongAnswer("StackedLSTM", "p=self.dropout, training=self.training)", "p=self.dropout)", "test_stacked_lstm",
                "dropout in eval mode too (F.dropout's default training=True)"),
    WrongAnswer("StackedLSTM", "sizes = [input_size] + [hidden_size] * (num_layers - 1)",
                "sizes = [input_size] * num_layers", "test_stacked_lstm",
                "every layer built to read input_size features"),
    WrongAnswer("StackedLSTM", "self.layers = nn.ModuleList(nn.LSTM(size, hidden_size) for size in sizes)",
                "self.layers = [nn.LSTM(size, hidden_size) for size in sizes]", "test_stacked_lstm",
                "plain list: layers not registered"),
    WrongAnswer("StackedLSTM", "out = x\n", "out = nn.functional.dropout(x, p=self.dropout, training=self.training)\n",
                "test_stacked_lstm", "x dropped before layer 0 (Keras-style input dropout)"),
    WrongAnswer("StackedLSTM", "                out = nn.functional.dropout(out, p=self.dropout, training=self.training)",
                "                pass", "test_stacked_lstm", "no dropout at all"),
    WrongAnswer("StackedLSTM", "p=self.dropout, training=self.training)", "p=0.5, training=self.training)",
                "test_stacked_lstm", "p fixed at 0.5 instead of self.dropout (the visible check now catches it)"),
]

POINTS = {"test_copy_layer": 2, "test_manual_stack": 3, "test_layer_state": 2, "test_stacked_lstm": 3}
