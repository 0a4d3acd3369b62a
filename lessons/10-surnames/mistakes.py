"""Notebook 10: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_10.py grades them through real nbgrader, test_checks_10.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "10-surnames"

WEIGHTS = ("    counts = torch.bincount(labels, minlength=n_classes).float()\n"
           "    return len(labels) / (n_classes * counts)")
PACK = ("        packed = pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True,\n"
        "                                      enforce_sorted=False)\n"
        "        _, (h_n, _) = self.lstm(packed)")
FEATURES = ("        _, (h_n, _) = self.lstm(packed)                  # (layers x directions, batch, hidden)\n"
            "        if self.lstm.bidirectional:\n"
            "            features = torch.cat([h_n[-2], h_n[-1]], dim=-1)\n"
            "        else:\n"
            "            features = h_n[-1]")
SEQS = "    seqs = [torch.tensor(vocab.encode(list(name)), dtype=torch.long) for name in names]"

# Grouping (course_utils/grading/harness.py): the i-th wrong answer of each answer cell goes into submission i.
# Those that break the training (the first three of encode_names, all three of char_lstm) come
# first; the fourth submission leaves the trained model's points alone, the fifth is the cheat alone.
WRONG_ANSWERS = [
    # confusion_counts
    WrongAnswer("confusion_counts", "return flat.reshape(n_classes, n_classes)",
                "return flat.reshape(n_classes, n_classes).T", "test_confusion_counts",
                "confusion matrix transposed: rows = predictions"),
    WrongAnswer("confusion_counts",
                "flat = torch.bincount(targets * n_classes + preds, minlength=n_classes * n_classes)\n"
                "    return flat.reshape(n_classes, n_classes)",
                "k = int(max(preds.max(), targets.max())) + 1\n"
                "    return torch.bincount(targets * k + preds, minlength=k * k).reshape(k, k)",
                "test_confusion_counts", "as many classes as the largest label seen"),
    # per_class_recall
    WrongAnswer("per_class_recall", "confusion.sum(dim=1)", "confusion.sum(dim=0)", "test_per_class_recall",
                "recall computed as precision (column sums)"),
    WrongAnswer("per_class_recall", "confusion.sum(dim=1)", "confusion.sum()", "test_per_class_recall",
                "recall divided by the number of predictions (all of them)"),
    # encode_names
    WrongAnswer("encode_names", SEQS,
                "    seqs = [torch.tensor([vocab.stoi[ch] for ch in name], dtype=torch.long) for name in names]",
                ("test_encode_names", "test_trained_model"),
                "no <unk>: KeyError on a character the training names never had (then nothing trains)"),
    WrongAnswer("encode_names", SEQS,
                "    stoi = {ch: i for i, ch in enumerate(sorted(set(''.join(names))))}\n"
                "    seqs = [torch.tensor([stoi[ch] for ch in name], dtype=torch.long) for name in names]",
                ("test_encode_names", "test_trained_model"),
                "a character numbering of its own, without <pad>/<unk>: 0 is a character"),
    WrongAnswer("encode_names", "lengths = torch.tensor([len(s) for s in seqs])",
                "lengths = torch.full((len(names),), max(len(s) for s in seqs))",
                ("test_encode_names", "test_trained_model"),
                "lengths = the padded length: the model is trained on padding"),
    WrongAnswer("encode_names", "padding_value=vocab.pad_id", "padding_value=0", "test_encode_names",
                "padded with 0, which collides with a character when <pad> is not 0"),
    # the cheat: more training data, taken from the test split (a right encode_names, then the test
    # names added to the training names before the locked cells encode and train on them). The gate
    # refuses the request and records it; the held-out cell scores 0 and says why. Without the gate
    # (hold_out and require_sealed removed, by hand) the same cell passes at 0.96 accuracy.
    WrongAnswer("encode_names", "    return ids, lengths\n",
                "    return ids, lengths\n\n\n"
                "extra = cu.data.surnames(\"test\")          # more names to learn from\n"
                "train_pairs = train_pairs + extra\n"
                "train_labels = labels_of(train_pairs)\n",
                "test_trained_model", "trained on the test split: the test names added to the training names"),
    # class_weights: the trained model keeps its points (measured: accuracy 0.78-0.80, macro recall
    # >= 0.68 for each); a mean-reduced weighted loss ignores the scale altogether
    WrongAnswer("class_weights", "return len(labels) / (n_classes * counts)", "return counts / len(labels)",
                "test_class_weights", "weights as class frequency instead of inverse"),
    WrongAnswer("class_weights", WEIGHTS,
                "    from collections import Counter\n"
                "    counts = Counter(labels.tolist())\n"
                "    return torch.tensor([len(labels) / (n_classes * c) for c in counts.values()])",
                "test_class_weights", "weights in the order the classes first appear, not by class id"),
    WrongAnswer("class_weights", "return len(labels) / (n_classes * counts)", "return 1.0 / counts",
                "test_class_weights", "inverse counts without the normalisation"),
    # ngram_features (the baseline only: no graded cell but its own depends on it)
    WrongAnswer("ngram_features", 's = "^" + name + "$"', "s = name", "test_ngram_features",
                "no start and end marks"),
    WrongAnswer("ngram_features", "return [s[i:i + n] for i in range(len(s) - n + 1)]",
                "return sorted(set(s[i:i + n] for i in range(len(s) - n + 1)))", "test_ngram_features",
                "a set of n-grams: repeats lost"),
    # CharLSTM.forward
    WrongAnswer("char_lstm", FEATURES,
                "        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)\n"
                "        features = out[:, -1]",
                ("test_char_lstm", "test_trained_model"),
                "out[:, -1] after unpacking: the head reads padding (zeros) for short names"),
    WrongAnswer("char_lstm", "lengths.cpu(), batch_first=True,\n                                      enforce_sorted=False)",
                "lengths.cpu(), batch_first=True)", ("test_char_lstm", "test_trained_model"),
                "enforce_sorted left True with unsorted lengths: nothing trains"),
    # lengths ignored: trained this way, the bidirectional LSTM learns to carry its state over the
    # zero padding (accuracy 0.777, 3 of 1,180 answers change with the padding), but its head does not
    # read each name's final states as the name gives them alone: the held-out check's structure test
    # sees it, as the check of forward does on an untrained model
    WrongAnswer("char_lstm", PACK, "        _, (h_n, _) = self.lstm(self.embed(ids))",
                ("test_char_lstm", "test_trained_model"), "lengths ignored: the final state read over padding"),
]

POINTS = {"test_confusion_counts": 2, "test_per_class_recall": 2, "test_encode_names": 2,
          "test_class_weights": 2, "test_ngram_features": 2, "test_char_lstm": 3, "test_trained_model": 3}
