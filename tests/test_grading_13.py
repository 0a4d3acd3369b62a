"""Notebook 13 (debugging clinic) graded through real nbgrader: full marks, zero, and the half-fixes
learners make, each losing exactly its case's points."""

from grading import WrongAnswer, grading_tests

A = "13-debugging-clinic"

WRONG_ANSWERS = [
    # case 1
    WrongAnswer("last_outputs", "return out[rows, lengths.to(out.device) - 1]", "return out[:, -1]",
                "test_last_outputs", "the article's out[:, -1] kept"),
    WrongAnswer("last_outputs", "return out[rows, lengths.to(out.device) - 1]",
                "return out[rows, lengths.to(out.device)]",
                "test_last_outputs", "indexed at lengths, one past the last real step"),
    # case 2
    WrongAnswer("to_seq_first", "return x.transpose(0, 1)", "return x.reshape(x.size(1), x.size(0), x.size(2))",
                "test_to_seq_first", "reshape instead of view: the same regrouping"),
    WrongAnswer("to_seq_first", "return x.transpose(0, 1)", "return x.permute(2, 1, 0)",
                "test_to_seq_first", "all three axes reversed (what .T does)"),
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
    # case 5
    WrongAnswer("encode_batches", "    results = []\n    for batch in batches:\n        _, (h_n, _) = lstm(batch)",
                "    results, state = [], None\n    for batch in batches:\n"
                "        _, (h_n, c_n) = lstm(batch, state if state is None or state[0].size(1) == batch.size(1) else None)\n"
                "        state = (h_n.detach(), c_n.detach())", "test_encode_batches",
                "state detached but still carried into the next batch"),
    # case 6
    WrongAnswer("masked_loss", "    return per_step[mask].mean()", "    return (per_step * mask).sum() / per_step.numel()",
                "test_masked_loss", "padding zeroed but counted in the mean"),
    WrongAnswer("masked_loss", "    return per_step[mask].mean()", "    return per_step.mean()",
                "test_masked_loss", "mean over every step, padding included"),
    WrongAnswer("masked_loss", "[None, :] < lengths.to(logits.device)[:, None]",
                "[None, :] <= lengths.to(logits.device)[:, None]", "test_masked_loss",
                "<= in the mask: one padded step per sequence"),
    # case 7
    WrongAnswer("step_loss", "return nn.functional.cross_entropy(logits.transpose(1, 2), targets)",
                "return nn.functional.cross_entropy(logits.view(logits.size(0), logits.size(2), logits.size(1)), targets)",
                "test_step_loss", "view to (batch, classes, seq): scores regrouped"),
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
]

POINTS = {"test_last_outputs": 2, "test_to_seq_first": 1, "test_sentence_vector": 1, "test_train_in_chunks": 2,
          "test_encode_batches": 1, "test_masked_loss": 2, "test_step_loss": 1, "test_generate": 2}

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)
