"""Notebook 01 graded through real nbgrader: full marks, zero, and realistic wrong answers.

Also the things students do to a notebook that grading must survive (this notebook stands for all:
the mechanisms are nbgrader's, set in nbgrader_config.py): an edited test cell is restored, a deleted
test cell is put back and graded, and an infinite loop is stopped while the rest is still graded.
"""

import pytest
from grading import Course, WrongAnswer, grading_tests

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

course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
    test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready = \
    grading_tests(A, WRONG_ANSWERS, POINTS)


@pytest.fixture(scope="module")
def short_timeout_course(tmp_path_factory):
    return Course(tmp_path_factory.mktemp("course-timeout"), A, timeout=10)


def test_tampering_and_infinite_loop_are_graded_right(short_timeout_course):
    """Edited test cell -> restored; deleted test cell -> re-added; endless loop -> interrupted."""
    course = short_timeout_course
    answers = course.answers()

    def mischief(nb):
        answers(nb)
        cells = nb.cells
        gid = lambda c: c.metadata.get("nbgrader", {}).get("grade_id")  # noqa: E731
        # 1. an answer that never ends
        loop = next(c for c in cells if gid(c) == "encode")
        loop.source = "def encode(tokens, vocab):\n    while True:\n        pass\n"
        # 2. a test cell replaced by one that always passes
        next(c for c in cells if gid(c) == "test_pad_batch").source = "assert True"
        # 3. a test cell deleted (with a wrong answer it would catch)
        nb.cells = [c for c in cells if gid(c) != "test_make_embedding"]
        emb = next(c for c in nb.cells if gid(c) == "make_embedding")
        emb.source = emb.source.replace(", padding_idx=pad_id)", ")")
        # and pad_batch wrong, so the restored test must fail it
        pad = next(c for c in nb.cells if gid(c) == "pad_batch")
        pad.source = pad.source.replace("return ids, lengths", "return ids.T, lengths")

    grades = course.submit("mischief", mischief)
    assert grades["test_encode"][0] == 0, grades           # interrupted, no credit
    assert grades["test_pad_batch"][0] == 0, grades        # 'assert True' was replaced by the real test
    assert grades["test_make_embedding"] == (0, 2), grades  # deleted cell put back, graded, failed
    assert grades["test_build_vocab"] == (2, 2), grades    # the rest still graded
    assert grades["test_to_lstm_input"] == (2, 2), grades


def test_feedback_hides_hidden_tests(course):
    """Feedback shows results and messages, not the hidden tests' source."""
    course.submit("feedback-student", course.answers([WRONG_ANSWERS[-1]]))
    result = course.api.generate_feedback(A, "feedback-student")
    assert result["success"], result.get("error") or result.get("log")
    html = next((course.tmp / "feedback" / "feedback-student" / A).glob("*.html")).read_text()
    assert "BEGIN HIDDEN TESTS" not in html
    assert "batch=3, seq=2, emb=6" not in html      # a hidden test's arguments
    assert "seq and batch are swapped" in html       # the learner still reads the diagnosis
