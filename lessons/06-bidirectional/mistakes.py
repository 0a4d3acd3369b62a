"""Notebook 06: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_06.py grades them through real nbgrader, test_checks_06.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "06-bidirectional"

VIEW = "h_n.view(num_layers, 2, h_n.shape[1], h_n.shape[2])"
SENTENCE = "torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (batch, 2 x hidden)"
STATE_FW = "state_fw = (h0[2 * l:2 * l + 1], c0[2 * l:2 * l + 1])"
STATE_BW = "state_bw = (h0[2 * l + 1:2 * l + 2], c0[2 * l + 1:2 * l + 2])"

WRONG_ANSWERS = [
    # direction_states
    WrongAnswer("direction_states", "return states[:, 0], states[:, 1]",
                "return h_n[:num_layers], h_n[num_layers:]",
                "test_direction_states", "rows read as [all forward layers, then all backward layers]"),
    WrongAnswer("direction_states", "return states[:, 0], states[:, 1]", "return states[:, 1], states[:, 0]",
                "test_direction_states", "directions swapped: backward taken as row 2 * l"),
    WrongAnswer("direction_states", "return states[:, 0], states[:, 1]", "return states[-1, 0], states[-1, 1]",
                "test_direction_states", "the top layer only"),
    WrongAnswer("direction_states", VIEW,
                "h_n.view(num_layers, h_n.shape[1], 2, h_n.shape[2]).transpose(1, 2)",
                "test_direction_states", "view splits the batch axis into directions"),
    # sentence_vector
    WrongAnswer("sentence_vector", "return torch.cat([out[-1, :, :hidden], out[0, :, hidden:]], dim=-1)",
                "return out[-1]", "test_sentence_vector",
                "out[-1] whole: the backward half has read one step (the seed article's classifier)"),
    WrongAnswer("sentence_vector", "    if batch_first:\n        out = out.transpose(0, 1)            # (seq, batch, 2 x hidden)\n",
                "", "test_sentence_vector", "batch_first ignored"),
    WrongAnswer("sentence_vector", "hidden = out.shape[-1] // 2", "hidden = 5", "test_sentence_vector",
                "hidden fixed at the notebook's 5"),
    WrongAnswer("sentence_vector", "[out[-1, :, :hidden], out[0, :, hidden:]]",
                "[out[0, :, hidden:], out[-1, :, :hidden]]", "test_sentence_vector",
                "backward state first"),
    WrongAnswer("sentence_vector", "out = out.transpose(0, 1)", "out = out.transpose_(0, 1)",
                "test_sentence_vector", "the caller's batch-first out transposed in place (transpose_)"),
    # BiClassifier
    WrongAnswer("BiClassifier", SENTENCE, "h_n[-1]", "test_bi_classifier",
                "h_n[-1] alone as the sentence vector: the backward direction only"),
    WrongAnswer("BiClassifier", SENTENCE, "h_n[-2:].view(ids.shape[0], -1)", "test_bi_classifier",
                "h_n rows reshaped with view instead of concatenated per direction"),
    WrongAnswer("BiClassifier", "self.head = nn.Linear(2 * hidden_size, num_classes)",
                "self.head = nn.Linear(hidden_size, num_classes)", "test_bi_classifier",
                "a head of size hidden instead of 2 x hidden"),
    WrongAnswer("BiClassifier", "bidirectional=True,\n                            batch_first=True)",
                "bidirectional=True)", "test_bi_classifier",
                "batch_first forgotten: the LSTM reads (batch, seq) ids as (seq, batch)"),
    WrongAnswer("BiClassifier", SENTENCE, "torch.cat([h_n[0], h_n[1]], dim=-1)", "test_bi_classifier",
                "rows 0 and 1 fixed: layer 0 of a stack"),
    WrongAnswer("BiClassifier",
                "_, (h_n, _) = self.lstm(self.embedding(ids))      # h_n: (layers x 2, batch, hidden)\n"
                "        sentence = " + SENTENCE,
                "out, _ = self.lstm(self.embedding(ids))\n        sentence = out[:, -1, :]",
                "test_bi_classifier", "out[:, -1, :], the seed article's line, made bidirectional"),
    # split_bidirectional
    WrongAnswer("split_bidirectional", '(("", layers_fw), ("_reverse", layers_bw))',
                '(("", layers_fw), ("", layers_bw))', "test_split_bidirectional",
                "*_reverse weights not copied: the forward weights used for both directions"),
    WrongAnswer("split_bidirectional", "size = bi.input_size if l == 0 else 2 * bi.hidden_size",
                "size = bi.input_size if l == 0 else bi.hidden_size", "test_split_bidirectional",
                "layers above 0 built to read hidden, not 2 x hidden"),
    WrongAnswer("split_bidirectional", "nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first)",
                "nn.LSTM(size, bi.hidden_size)", "test_split_bidirectional", "batch_first not carried over"),
    WrongAnswer("split_bidirectional", '("weight_ih", "weight_hh", "bias_ih", "bias_hh")', '("weight_ih", "weight_hh")',
                "test_split_bidirectional", "biases forgotten"),
    # manual_bidirectional
    WrongAnswer("manual_bidirectional", "bw(out.flip(t), state_bw)", "bw(out, state_bw)",
                "test_manual_bidirectional", "the backward LSTM fed the sequence without flipping it"),
    WrongAnswer("manual_bidirectional", "torch.cat([out_fw, out_bw.flip(t)], dim=-1)",
                "torch.cat([out_fw, out_bw], dim=-1)", "test_manual_bidirectional",
                "the backward output not flipped back"),
    WrongAnswer("manual_bidirectional", "return out, (torch.cat(h_list, dim=0), torch.cat(c_list, dim=0))",
                "return out, (torch.cat(h_list[0::2] + h_list[1::2], dim=0), "
                "torch.cat(c_list[0::2] + c_list[1::2], dim=0))",
                "test_manual_bidirectional", "h_n rows as [all forward layers, then all backward]"),
    WrongAnswer("manual_bidirectional", f"{STATE_FW}\n            {STATE_BW}",
                "n = len(layers_fw)\n            state_fw = (h0[l:l + 1], c0[l:l + 1])\n"
                "            state_bw = (h0[n + l:n + l + 1], c0[n + l:n + l + 1])",
                "test_manual_bidirectional", "initial state rows read as [all forward, then all backward]"),
    WrongAnswer("manual_bidirectional", "t = 1 if layers_fw[0].batch_first else 0", "t = 0",
                "test_manual_bidirectional", "batch_first ignored: flips the batch axis of batch-first x"),
    WrongAnswer("manual_bidirectional", "torch.cat([out_fw, out_bw.flip(t)], dim=-1)",
                "torch.cat([out_bw.flip(t), out_fw], dim=-1)", "test_manual_bidirectional",
                "directions joined backward first"),
    WrongAnswer("manual_bidirectional", "out_fw, (h_fw, c_fw) = fw(out, state_fw)\n        out_bw, (h_bw, c_bw) = bw(out.flip(t), state_bw)",
                "out_fw, (h_fw, c_fw) = fw(x, state_fw)\n        out_bw, (h_bw, c_bw) = bw(x.flip(t), state_bw)",
                "test_manual_bidirectional", "every layer reads x instead of the layer below"),
]

POINTS = {"test_direction_states": 2, "test_sentence_vector": 2, "test_bi_classifier": 2,
          "test_split_bidirectional": 2, "test_manual_bidirectional": 3}
