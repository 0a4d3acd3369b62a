"""Notebook 08: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_08.py grades them through real nbgrader, test_checks_08.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "08-seq2seq"
TRAINED = "test_trained_model"

# Each cell's list is in the order of the submissions (grading.group_by_cell): the wrong answers
# that spoil training share submissions 0-2, so submissions 3-7 must train a good model.
WRONG_ANSWERS = [
    # decoder_inputs
    WrongAnswer("decoder_inputs", "return torch.cat([sos, targets[:, :-1]], dim=1)", "return targets",
                ("test_decoder_inputs", TRAINED), "targets returned unshifted (the model learns to copy)"),
    WrongAnswer("decoder_inputs", "torch.cat([sos, targets[:, :-1]], dim=1)", "torch.cat([targets[:, 1:], sos], dim=1)",
                ("test_decoder_inputs", TRAINED), "shifted to the left: step t reads the next token"),
    WrongAnswer("decoder_inputs", "torch.cat([sos, targets[:, :-1]], dim=1)", "torch.cat([sos, targets], dim=1)",
                ("test_decoder_inputs", TRAINED), "<sos> and the whole target row: one column too many"),
    WrongAnswer("decoder_inputs", "torch.full_like(targets[:, :1], sos_id)", "torch.full_like(targets[:, :1], 2)",
                "test_decoder_inputs", "sos id written in (2), not the argument"),
    WrongAnswer("decoder_inputs", "torch.full_like(targets[:, :1], sos_id)", "torch.full((targets.size(0), 1), sos_id)",
                "test_decoder_inputs", "<sos> column made on the CPU whatever the targets' device"),
    # attention
    WrongAnswer("attention", "~mask[:, None, :]", "~mask[:, :, None]", ("test_attention", TRAINED),
                "mask applied along the target steps"),
    WrongAnswer("attention", "scores.softmax(dim=-1)", "scores.softmax(dim=1)", ("test_attention", TRAINED),
                "softmax over the target steps"),
    WrongAnswer("attention", "~mask[:, None, :]", "mask[:, None, :]", ("test_attention", TRAINED),
                "mask inverted (masks the real tokens)"),
    WrongAnswer("attention", '    scores = scores.masked_fill(~mask[:, None, :], float("-inf"))\n', "",
                "test_attention", "mask ignored: attends to padding"),
    WrongAnswer("attention",
                'scores = scores.masked_fill(~mask[:, None, :], float("-inf"))\n'
                '    weights = scores.softmax(dim=-1)',
                'weights = scores.softmax(dim=-1)\n'
                '    weights = weights.masked_fill(~mask[:, None, :], 0.0)',
                "test_attention", "mask applied after the softmax, not renormalised"),
    WrongAnswer("attention", 'float("-inf")', "0.0", "test_attention", "padding filled with 0 instead of -inf"),
    # sequence_loss
    WrongAnswer("sequence_loss", "loss_fn(logits.reshape(-1, vocab), targets.reshape(-1))", "loss_fn(logits, targets)",
                ("test_sequence_loss", TRAINED), "(batch, seq, vocab) fed to CrossEntropyLoss"),
    WrongAnswer("sequence_loss", "return loss_fn(logits.reshape(-1, vocab), targets.reshape(-1))",
                "return loss_fn(logits.reshape(-1, vocab), targets.reshape(-1)).item()",
                ("test_sequence_loss", TRAINED), "loss returned as a Python float"),
    WrongAnswer("sequence_loss", "nn.CrossEntropyLoss(ignore_index=pad_id)", "nn.CrossEntropyLoss()",
                "test_sequence_loss", "loss over padding (no ignore_index)"),
    WrongAnswer("sequence_loss", "nn.CrossEntropyLoss(ignore_index=pad_id)", "nn.CrossEntropyLoss(ignore_index=0)",
                "test_sequence_loss", "ignore_index=0 written in"),
    WrongAnswer("sequence_loss", "nn.CrossEntropyLoss(ignore_index=pad_id)",
                'nn.CrossEntropyLoss(ignore_index=pad_id, reduction="sum")', "test_sequence_loss",
                "sum instead of mean"),
    # the held-out gate: the test dates added to the training tensors, the way a learner would, in an
    # answer cell that runs before the (locked) training cells
    WrongAnswer("sequence_loss", "    ### END SOLUTION",
                "    ### END SOLUTION\n\n\n"
                "extra = cu.data.dates.date_split(\"test\")              # more data: the test dates too\n"
                "train_src, train_lengths, train_targets = encode_pairs(train_pairs + extra)\n",
                TRAINED, "trained on the test split: the test dates added to the training tensors"),
    # greedy_decode (the trained-model check decodes with its own loop: these cost its points only)
    WrongAnswer("greedy_decode", "inputs = prediction.unsqueeze(1)", "inputs = targets[:, t:t + 1]",
                "test_greedy_decode", "teacher forcing at inference: reads the targets"),
    WrongAnswer("greedy_decode", "inputs = prediction.unsqueeze(1)", "pass", "test_greedy_decode",
                "never fed its own prediction (<sos> every step)"),
    WrongAnswer("greedy_decode", "        prediction = prediction.masked_fill(finished, pad_id)       # <pad> after <eos>\n",
                "", "test_greedy_decode", "no stop at <eos>"),
    WrongAnswer("greedy_decode", "prediction.masked_fill(finished, pad_id)", "prediction.masked_fill(finished, 0)",
                "test_greedy_decode", "pad id 0 written in after <eos>"),
    WrongAnswer("greedy_decode", "prediction = logits[:, -1].argmax(dim=-1)", "prediction = logits[:, -1].argmax(dim=0)",
                "test_greedy_decode", "argmax over the batch axis"),
    WrongAnswer("greedy_decode", "logits, state, _ = decoder(inputs, state, memory, mask)",
                "logits, _, _ = decoder(inputs, state, memory, mask)", "test_greedy_decode",
                "decoder state not carried from step to step"),
    WrongAnswer("greedy_decode", "inputs = targets[:, t:t + 1]", "inputs = targets[:, t + 1:t + 2]",
                "test_greedy_decode", "teacher forcing not shifted: step t reads targets[:, t]"),
    WrongAnswer("greedy_decode",
                "        prediction = prediction.masked_fill(finished, pad_id)       # <pad> after <eos>\n"
                "        tokens.append(prediction)\n"
                "        finished = finished | (prediction == eos_id)\n",
                "        finished = finished | (prediction == eos_id)\n"
                "        prediction = prediction.masked_fill(finished, pad_id)\n"
                "        tokens.append(prediction)\n",
                "test_greedy_decode", "<eos> itself replaced by <pad>"),
    WrongAnswer("greedy_decode", "torch.full((batch, 1), sos_id,", "torch.full((batch, 1), 2,", "test_greedy_decode",
                "sos id written in (2) in the decoding loop"),
]

POINTS = {"test_decoder_inputs": 2, "test_attention": 3, "test_sequence_loss": 2, "test_greedy_decode": 3,
          TRAINED: 2}
