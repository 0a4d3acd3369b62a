"""Notebook 01: realistic wrong answers, each a text edit of the solution, with the test cells
that must catch it (WRONG_ANSWERS), and the points of every test cell (POINTS).

test_grading_01.py grades them through real nbgrader, test_checks_01.py through the visible
checks, and `make mistakes` lists them in docs/mistakes.md. It holds solution lines: it is never
shipped to learners."""

from course_utils.grading.harness import WrongAnswer

A = "01-tokens-embeddings"

WRONG_ANSWERS = [
    WrongAnswer("build_vocab", 'vocab = {"<pad>": 0, "<unk>": 1}', "vocab = {}",
                "test_build_vocab", "no <pad>/<unk> entries"),
    WrongAnswer("build_vocab", "if n >= min_count", "", "test_build_vocab", "min_count ignored"),
    WrongAnswer("build_vocab", "key=lambda t: (-counts[t], t)", "key=lambda t: t",
                "test_build_vocab", "alphabetical instead of by count"),
    WrongAnswer("encode", "vocab.get(token, unk)", "vocab[token]", "test_encode", "KeyError on unknown words"),
    WrongAnswer("encode", "vocab.get(token, unk)", "vocab.get(token, 0)", "test_encode", "unknown -> <pad>"),
    WrongAnswer("pad_batch", "int(lengths.max())), pad_id", "int(lengths.max())), 0",
                "test_pad_batch", "pads with 0 whatever pad_id is"),
    WrongAnswer("pad_batch", "return ids, lengths", "return ids.T, lengths", "test_pad_batch",
                "returns (seq, batch)"),
    WrongAnswer("pad_batch", "return ids, lengths", "return ids, lengths.tolist()", "test_pad_batch",
                "lengths as a list"),
    WrongAnswer("make_embedding", ", padding_idx=pad_id)", ")", "test_make_embedding",
                "forgot padding_idx"),
    WrongAnswer("make_embedding", "padding_idx=pad_id", "padding_idx=0", "test_make_embedding",
                "padding_idx fixed at 0"),
    WrongAnswer("to_lstm_input", "return embedded.transpose(0, 1)",
                "return embedded.view(embedded.shape[1], embedded.shape[0], embedded.shape[2])",
                "test_to_lstm_input", "view where transpose belongs"),
    WrongAnswer("to_lstm_input", "return embedded.transpose(0, 1)", "return embedded",
                "test_to_lstm_input", "seq and batch swapped (no transpose)"),
    # caught by the visible check (it tries a rare token, a pad id that is not 0, batch > seq)
    WrongAnswer("build_vocab", "n >= min_count", "n >= 1", "test_build_vocab",
                "min_count ignored: every token kept"),
    WrongAnswer("encode", "[vocab.get(token, unk) for token in tokens]",
                "[vocab[token] for token in tokens if token in vocab]", "test_encode",
                "unknown words dropped"),
    WrongAnswer("pad_batch", "int(lengths.max())", "int(lengths[0])", "test_pad_batch",
                "padded to the first sentence's length"),
    WrongAnswer("make_embedding", "nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)",
                "nn.Embedding(emb_dim, vocab_size, padding_idx=pad_id)", "test_make_embedding",
                "the two sizes swapped"),
    WrongAnswer("to_lstm_input", "if batch_first:", "if embedded.shape[0] < embedded.shape[1]:",
                "test_to_lstm_input", "layout guessed from which axis is shorter"),
]

POINTS = {"test_build_vocab": 2, "test_encode": 2, "test_pad_batch": 2, "test_make_embedding": 2,
          "test_to_lstm_input": 2}
