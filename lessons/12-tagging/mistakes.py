"""Notebook 12: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_12.py grades them through real nbgrader, test_checks_12.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "12-tagging"

WRONG_ANSWERS = [
    # tag_batch
    WrongAnswer("tag_batch", "pad_sequence(tags, batch_first=True, padding_value=pad_label)",
                "pad_sequence(tags, batch_first=True, padding_value=0)", "test_tag_batch",
                "tags padded with 0, a real tag (CC), instead of the ignored label"),
    WrongAnswer("tag_batch", "pad_sequence(tags, batch_first=True, padding_value=pad_label)",
                "pad_sequence(tags, padding_value=pad_label)", ("test_tag_batch", "test_trained_tagger"),
                "tags padded seq-first (batch_first forgotten): the loss cannot pair them"),
    # Tagger
    WrongAnswer("Tagger", "out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))",
                "out, _ = pad_packed_sequence(packed_out, batch_first=True)", "test_tagger",
                "unpacked without total_length: fewer steps than a batch padded wider"),
    WrongAnswer("Tagger", "self.head = nn.Linear(2 * hidden, n_tags)", "self.head = nn.Linear(hidden, n_tags)",
                ("test_tagger", "test_trained_tagger"),
                "bidirectional out reduced to hidden: a head for one half (shape error in training)"),
    WrongAnswer("Tagger",
                "packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)\n"
                "        packed_out, _ = self.lstm(packed)\n"
                "        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))",
                "out, _ = self.lstm(x)", "test_tagger",
                "not packed: the backward direction starts in the padding"),
    WrongAnswer("Tagger",
                "packed_out, _ = self.lstm(packed)\n"
                "        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))\n"
                "        return self.head(self.dropout(out))",
                "_, (h_n, _) = self.lstm(packed)\n"
                "        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))",
                ("test_tagger", "test_trained_tagger"), "one output per sentence (h_n) instead of one per step"),
    WrongAnswer("Tagger", "enforce_sorted=False)", "enforce_sorted=True)", ("test_tagger", "test_trained_tagger"),
                "packed with enforce_sorted=True: unsorted lengths refused"),
    # masked_loss
    WrongAnswer("masked_loss",
                "nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1),\n"
                "                                       ignore_index=pad_label)",
                "nn.functional.cross_entropy(logits, tags, ignore_index=pad_label)",
                ("test_masked_loss", "test_trained_tagger"), "CrossEntropyLoss fed (batch, seq, classes)"),
    WrongAnswer("masked_loss", ",\n                                       ignore_index=pad_label)", ")",
                "test_masked_loss", "no ignore_index: the pad label reaches the loss as a class"),
    WrongAnswer("masked_loss", "tags.reshape(-1),", "tags.reshape(-1).clamp(min=0),", "test_masked_loss",
                "loss over padding: the padding scored as tag 0"),
    WrongAnswer("masked_loss",
                "    return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1),\n"
                "                                       ignore_index=pad_label)",
                "    tags[tags == pad_label] = -100                  # the label cross_entropy ignores by default\n"
                "    return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1))",
                "test_masked_loss", "the caller's tags relabelled in place (right loss, changed batch)"),
    # token_accuracy
    WrongAnswer("token_accuracy", "return right.sum().item() / real.sum().item()", "return right.sum() / real.sum()",
                "test_token_accuracy", "a tensor returned where a float is asked"),
    WrongAnswer("token_accuracy", "return right.sum().item() / real.sum().item()",
                "return right.sum().item() / real.numel()", "test_token_accuracy",
                "accuracy counting padding: divided by batch x seq"),
    WrongAnswer("token_accuracy", "logits.argmax(dim=-1)", "logits.argmax(dim=1)",
                ("test_token_accuracy", "test_trained_tagger"), "argmax over the wrong axis (seq, not classes)"),
    # most_frequent_tag_baseline
    WrongAnswer("most_frequent_tag_baseline", "best.get(word, fallback)", "best[word]", "test_baseline",
                "no fallback for unknown words: KeyError"),
    WrongAnswer("most_frequent_tag_baseline", "fallback = overall.most_common(1)[0][0]", 'fallback = "NN"',
                "test_baseline", "fallback written in by hand"),
    WrongAnswer("most_frequent_tag_baseline", "best = {word: c.most_common(1)[0][0] for word, c in per_word.items()}",
                "best = {word: next(iter(c)) for word, c in per_word.items()}", "test_baseline",
                "each word's first tag seen instead of its most frequent"),
    # the held-out gate: the test sentences added to the training data, as a learner would
    WrongAnswer("most_frequent_tag_baseline", "    ### END SOLUTION",
                "    ### END SOLUTION\n\n\n"
                "more = train_data + encoded(cu.data.tags.tagged_reviews(\"test\"))\n"
                "train_loader = DataLoader(more, batch_sampler=cu.data.LengthBatches([len(w) for w, _, _ in more],\n"
                "                                                                 BATCH, shuffle=True),\n"
                "                          collate_fn=tag_batch)",
                "test_trained_tagger", "trained on the test split: the test sentences added to the training batches"),
]

POINTS = {"test_tag_batch": 2, "test_tagger": 4, "test_masked_loss": 3, "test_token_accuracy": 2,
          "test_baseline": 3, "test_trained_tagger": 4}
