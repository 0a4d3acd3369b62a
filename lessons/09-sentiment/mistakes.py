"""Notebook 09: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_09.py grades them through real nbgrader, test_checks_09.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "09-sentiment"

LAST = "last = torch.cat([h_n[-2], h_n[-1]], dim=-1) if self.lstm.bidirectional else h_n[-1]"
BOTH = ("test_sentiment_lstm", "test_trained_model")

WRONG_ANSWERS = [
    # bag_of_words
    WrongAnswer("bag_of_words", "    counts[:, pad_id] = 0\n", "", "test_bag_of_words",
                "the padding counted as a word"),
    WrongAnswer("bag_of_words", "counts[:, pad_id] = 0", "counts[:, 0] = 0", "test_bag_of_words",
                "column 0 zeroed whatever pad_id is"),
    # fit_best
    # the test split is closed until the model is trained (cu.heldout): test_loader does not exist yet
    # when fit_best runs, so choosing the epoch on it breaks training, and the model is never sealed
    WrongAnswer("fit_best", "valid_loader=valid_loader", "valid_loader=test_loader",
                ("test_fit_best", "test_trained_model"), "the test split used to choose the epoch"),
    # the held-out gate: training on the test sentences too, the way a learner would
    WrongAnswer("fit_best", "        history.append(record)\n",
                "        history.append(record)\n"
                "        test_sentences = encode(cu.data.movie_reviews(\"test\"))\n"
                "        cu.fit(model, torch.utils.data.DataLoader(test_sentences, batch_size=128, collate_fn=collate),\n"
                "               loss_fn, optimizer, epochs=1, progress=False)\n",
                ("test_fit_best", "test_trained_model"), "trained on the test split too, every epoch"),
    WrongAnswer("fit_best", "best_state = copy.deepcopy(model.state_dict())", "best_state = model.state_dict()",
                "test_fit_best", "state_dict() kept without a copy: the last epoch's weights come back"),
    WrongAnswer("fit_best", "    model.load_state_dict(best_state)\n", "", "test_fit_best",
                "the best weights never loaded back"),
    WrongAnswer("fit_best", 'record["valid_accuracy"]', 'record["train_accuracy"]', "test_fit_best",
                "the epoch chosen by training accuracy"),
    # SentimentLSTM
    WrongAnswer("SentimentLSTM", LAST, "last = out[:, -1]", BOTH,
                "out[:, -1] after unpacking as the last output (padding for shorter sentences)"),
    WrongAnswer("SentimentLSTM", "mean = (out * mask).sum(dim=1) / mask.sum(dim=1)", "mean = out.mean(dim=1)", BOTH,
                "mean pooling over the padding"),
    WrongAnswer("SentimentLSTM", "enforce_sorted=False", "enforce_sorted=True", BOTH,
                "enforce_sorted=True with unsorted lengths"),
    WrongAnswer("SentimentLSTM", LAST, "last = h_n[-1]", BOTH,
                "h_n[-1] alone from a bidirectional LSTM (the backward direction only)"),
    WrongAnswer("SentimentLSTM", "nn.Linear(3 * directions * hidden, 2)", "nn.Linear(3 * hidden, 2)", BOTH,
                "a head of 3 x hidden for a bidirectional LSTM"),
    WrongAnswer("SentimentLSTM", "nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
                "nn.Embedding(vocab_size, emb_dim)", "test_sentiment_lstm", "no padding_idx"),
    WrongAnswer("SentimentLSTM", "return self.head(self.dropout(features))",
                "return self.head(self.dropout(features)).softmax(dim=-1)", BOTH,
                "softmax before nn.CrossEntropyLoss"),
    # predict
    WrongAnswer("predict", "    model.eval()\n", "", "test_predict",
                "the model left in train mode (dropout on) while predicting"),
    WrongAnswer("predict", "logits.softmax(dim=-1)[:, 1]", "logits.softmax(dim=0)[:, 1]", "test_predict",
                "softmax over the batch axis"),
    WrongAnswer("predict", "logits.softmax(dim=-1)[:, 1]", "logits.softmax(dim=-1)[:, 0]", "test_predict",
                "the probability of the negative class"),
    # most_wrong
    WrongAnswer("most_wrong", "confidence.argsort(descending=True)", "confidence.argsort()", "test_most_wrong",
                "the least confident mistakes first"),
    WrongAnswer("most_wrong", "wrong = ((probs > 0.5).long() != labels).nonzero().squeeze(1)",
                "wrong = torch.arange(len(labels))", "test_most_wrong",
                "right predictions ranked with the mistakes"),
]

POINTS = {"test_bag_of_words": 2, "test_fit_best": 3, "test_sentiment_lstm": 4, "test_predict": 2,
          "test_most_wrong": 2, "test_trained_model": 3}
