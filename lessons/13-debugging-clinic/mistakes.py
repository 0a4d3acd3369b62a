"""Notebook 13: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_13.py grades them through real nbgrader, test_checks_13.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "13-debugging-clinic"

def _diagnosis(n, old, new, why):
    return WrongAnswer(f"diagnosis_{n}", old, new, f"test_diagnosis_{n}", why)


WRONG_ANSWERS = [
    # the diagnoses: a plausible wrong cause, and a wrong fact with the right cause
    _diagnosis(1, '"cause": "c"', '"cause": "a"', "d1: unsorted lengths blamed"),
    _diagnosis(1, "[14, 7, 16, 22]", "[15, 8, 17, 23]", "d1: the lengths given as steps (off by one)"),
    _diagnosis(1, "[14, 7, 16, 22]", "torch.tensor([14, 7, 16, 22])", "d1: steps as a tensor"),
    _diagnosis(2, '"cause": "a"', '"cause": "b"', "d2: a non-contiguous x blamed (reshape would do)"),
    _diagnosis(2, "(1, 1)", "(0, 2)", "d2: the source counted seq-major"),
    _diagnosis(3, '"cause": "d"', '"cause": "c"', "d3: h_n[-1] taken for both directions side by side"),
    _diagnosis(3, "[2, 3]", "[3, 2]", "d3: the backward row first"),
    _diagnosis(4, '"cause": "b"', '"cause": "a"', "d4: retain_graph=True, as the error suggests"),
    _diagnosis(4, '"line": 4', '"line": 7', "d4: the line that raises, not the one that makes the mistake"),
    _diagnosis(5, '"cause": "c"', '"cause": "a"', "d5: only the smaller batch blamed"),
    _diagnosis(5, "[1, 2]", "[2]", "d5: only the batch that raises counted wrong"),
    _diagnosis(6, '"cause": "a"', '"cause": "d"', "d6: pad with -1, nothing else"),
    _diagnosis(6, '"padded_steps": 12', '"padded_steps": 16', "d6: the real steps counted instead"),
    _diagnosis(7, '"cause": "d"', '"cause": "a"', "d7: one-hot targets blamed"),
    _diagnosis(7, '"axis": 1, "classes": 7', '"axis": 2, "classes": 5', "d7: the axis that holds the classes"),
    _diagnosis(8, '"cause": "b"', '"cause": "c"', "d8: dropout blamed"),
    _diagnosis(8, '"line": 6', '"line": 5', "d8: the argmax line blamed"),
    # case 1
    WrongAnswer("last_outputs", "return out[rows, lengths.to(out.device) - 1]", "return out[:, -1]",
                "test_last_outputs", "the article's out[:, -1] kept"),
    WrongAnswer("last_outputs", "return out[rows, lengths.to(out.device) - 1]",
                "return out[rows, lengths.to(out.device)]",
                "test_last_outputs", "indexed at lengths, one past the last real step"),
    WrongAnswer("last_outputs", "    return out[rows, lengths.to(out.device) - 1]",
                "    lengths -= 1\n    return out[rows, lengths.to(out.device)]",
                "test_last_outputs", "lengths decremented in place: the caller's tensor changed"),
    # case 2
    WrongAnswer("to_seq_first", "return x.transpose(0, 1)", "return x.reshape(x.size(1), x.size(0), x.size(2))",
                "test_to_seq_first", "reshape instead of view: the same regrouping"),
    WrongAnswer("to_seq_first", "return x.transpose(0, 1)", "return x.permute(2, 1, 0)",
                "test_to_seq_first", "all three axes reversed (what .T does)"),
    WrongAnswer("to_seq_first", "return x.transpose(0, 1)", "return x.transpose_(0, 1)",
                "test_to_seq_first", "transpose_ in place: the caller's x changed"),
    # case 3
    WrongAnswer("sentence_vector", "return torch.cat([h_n[-2], h_n[-1]], dim=-1)", "return h_n[-1]",
                "test_sentence_vector", "h_n[-1] kept: the backward direction only"),
    WrongAnswer("sentence_vector", "return torch.cat([h_n[-2], h_n[-1]], dim=-1)",
                "return h_n[-2:].reshape(h_n.size(1), -1)", "test_sentence_vector",
                "h_n[-2:] reshaped: two sentences in one row"),
    WrongAnswer("sentence_vector", "return torch.cat([h_n[-2], h_n[-1]], dim=-1)",
                "return torch.cat([h_n[0], h_n[1]], dim=-1)", "test_sentence_vector",
                "rows 0 and 1: the bottom layer of a stack"),
    # case 4
    WrongAnswer("train_in_chunks", "            state = tuple(s.detach() for s in state)\n",
                "            state = (state[0].detach(), state[1])\n", "test_train_in_chunks",
                "only h detached: c still holds the old graph"),
    WrongAnswer("train_in_chunks",
                "        if state is not None:\n            state = tuple(s.detach() for s in state)\n"
                "        out, state = lstm(x[start:start + chunk], state)\n"
                "        loss = nn.functional.mse_loss(head(out), y[start:start + chunk])\n"
                "        optimizer.zero_grad()\n        loss.backward()\n",
                "        out, state = lstm(x[start:start + chunk], state)\n"
                "        loss = nn.functional.mse_loss(head(out), y[start:start + chunk])\n"
                "        optimizer.zero_grad()\n        loss.backward(retain_graph=True)\n",
                "test_train_in_chunks", "retain_graph=True instead of detach (what the error suggests)"),
    WrongAnswer("train_in_chunks", "        out, state = lstm(x[start:start + chunk], state)",
                "        out, state = lstm(x[start:start + chunk])", "test_train_in_chunks",
                "state dropped instead of detached: every chunk from zeros"),
    WrongAnswer("train_in_chunks", "losses.append(loss.item())", "losses.append(loss)", "test_train_in_chunks",
                "the loss tensors returned where floats are asked"),
    # case 5
    WrongAnswer("encode_batches", "    results = []\n    for batch in batches:\n        _, (h_n, _) = lstm(batch)",
                "    results, state = [], None\n    for batch in batches:\n"
                "        _, (h_n, c_n) = lstm(batch, state if state is None or state[0].size(1) == batch.size(1) else None)\n"
                "        state = (h_n.detach(), c_n.detach())", "test_encode_batches",
                "state detached but still carried into the next batch"),
    WrongAnswer("encode_batches", "results.append(h_n[-1])", "results.append(h_n[0])", "test_encode_batches",
                "h_n[0]: right for one layer only"),
    # case 6
    WrongAnswer("masked_loss", "    return per_step[mask].mean()", "    return (per_step * mask).sum() / per_step.numel()",
                "test_masked_loss", "padding zeroed but counted in the mean"),
    WrongAnswer("masked_loss", "    return per_step[mask].mean()", "    return per_step.mean()",
                "test_masked_loss", "mean over every step, padding included"),
    WrongAnswer("masked_loss", "[None, :] < lengths.to(logits.device)[:, None]",
                "[None, :] <= lengths.to(logits.device)[:, None]", "test_masked_loss",
                "<= in the mask: one padded step per sequence"),
    WrongAnswer("masked_loss", "    return per_step[mask].mean()",
                "    targets.masked_fill_(~mask, -100)\n"
                "    return nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100)",
                "test_masked_loss", "padding marked -100 in the caller's targets, in place"),
    # case 7
    WrongAnswer("step_loss", "return nn.functional.cross_entropy(logits.transpose(1, 2), targets)",
                "return nn.functional.cross_entropy(logits.view(logits.size(0), logits.size(2), logits.size(1)), targets)",
                "test_step_loss", "view to (batch, classes, seq): scores regrouped"),
    WrongAnswer("step_loss", "logits.transpose(1, 2)", "logits.transpose_(1, 2)",
                "test_step_loss", "transpose_ in place: the caller's logits changed"),
    # case 8
    WrongAnswer("generate", "def generate(decoder, state, bos, steps, targets=None):",
                "def generate(decoder, state, bos, steps, targets=None):\n    return _teacher_forced(decoder, state, bos, steps, targets)\n\n"
                "def _teacher_forced(decoder, state, bos, steps, targets):\n"
                "    token = torch.full((state[0].size(0),), bos, dtype=torch.long)\n    tokens = []\n"
                "    for t in range(steps):\n        scores, state = decoder(token, state)\n"
                "        tokens.append(scores.argmax(dim=-1))\n        token = targets[:, t]\n"
                "    return torch.stack(tokens, dim=1)\n\n\ndef _unused(decoder, state, bos, steps, targets=None):",
                "test_generate", "teacher forcing left on: the targets fed as inputs"),
    WrongAnswer("generate", "        token = scores.argmax(dim=-1)\n        tokens.append(token)",
                "        tokens.append(scores.argmax(dim=-1))", "test_generate",
                "never fed its own prediction: <bos> at every step"),
    WrongAnswer("generate", "    for _ in range(steps):", "    for _ in range(targets.size(1)):", "test_generate",
                "the number of steps read from the targets: fails without them"),
]

POINTS = {**{f"test_diagnosis_{n}": 1 for n in range(1, 9)},
          "test_last_outputs": 2, "test_to_seq_first": 1, "test_sentence_vector": 1, "test_train_in_chunks": 2,
          "test_encode_batches": 1, "test_masked_loss": 2, "test_step_loss": 1, "test_generate": 2}
