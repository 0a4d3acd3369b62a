"""Notebook 01's checks: right answers pass, and each typical mistake gets a message that names it
and shows the fix. Fast (no nbgrader); the same mistakes are graded through nbgrader in
test_grading_01.py."""

import pytest
import torch
from torch import nn

from course_utils.checks import nb01
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import cells, mistakes, solution
from course_utils.grading.visible import run_visible, visible_failure, visible_part

graded = mistakes("01")
_solution = solution("01")
build_vocab, encode, pad_batch = _solution["build_vocab"], _solution["encode"], _solution["pad_batch"]
make_embedding, to_lstm_input = _solution["make_embedding"], _solution["to_lstm_input"]


# other right ways, unlike the notebook's


def pad_batch_with_pad_sequence(id_lists, pad_id):
    seqs = [torch.tensor(x) for x in id_lists]
    ids = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_id)
    return ids, torch.tensor([len(x) for x in id_lists])


def to_lstm_input_with_permute(embedded, batch_first):
    return embedded if batch_first else embedded.permute(1, 0, 2)


def blank(*args, **kwargs):
    raise NotImplementedError()


def message(check, fn, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("check, fn, kwargs", [
    (nb01.check_build_vocab, build_vocab, {}),
    (nb01.check_build_vocab, build_vocab, dict(min_count=2)),
    (nb01.check_encode, encode, {}),
    (nb01.check_encode, encode, dict(tokens=[])),
    (nb01.check_pad_batch, pad_batch, dict(pad_id=3)),
    (nb01.check_pad_batch, pad_batch_with_pad_sequence, dict(pad_id=3)),
    (nb01.check_make_embedding, make_embedding, dict(vocab_size=7, emb_dim=5, pad_id=3)),
    (nb01.check_to_lstm_input, to_lstm_input, dict(batch=1, seq=5, emb=2)),
    (nb01.check_to_lstm_input, to_lstm_input_with_permute, dict(batch=1, seq=5, emb=2)),
])
def test_right_answers_pass(check, fn, kwargs, capsys):
    check(fn, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED ")


@pytest.mark.parametrize("check", [nb01.check_build_vocab, nb01.check_encode, nb01.check_pad_batch,
                                   nb01.check_make_embedding, nb01.check_to_lstm_input])
def test_blank_answer_says_what_to_do(check):
    with pytest.raises(NotDoneYet, match=r"is not written yet: replace `raise NotImplementedError\(\)`"):
        check(blank)


def test_vocab_without_specials():
    text = message(nb01.check_build_vocab, lambda tl, min_count=1: {t: i for i, t in enumerate(sorted({x for s in tl for x in s}))})
    assert text.startswith("'<pad>' should have id 0, but it has None.")
    assert "Fix:  start the dict with {'<pad>': 0, '<unk>': 1}" in text


def test_vocab_ignoring_min_count():
    text = message(nb01.check_build_vocab, lambda tl, min_count=1: build_vocab(tl), min_count=2)
    assert "with min_count=2," in text and "should not be in the vocabulary" in text
    assert "Fix:  keep a token only if counts[token] >= min_count" in text


def test_vocab_in_alphabetical_order():
    def alphabetical(tl, min_count=1):
        vocab = {"<pad>": 0, "<unk>": 1}
        for t in sorted({x for s in tl for x in s}):
            vocab[t] = len(vocab)
        return vocab
    text = message(nb01.check_build_vocab, alphabetical)
    assert text.startswith("the tokens are in the wrong order from id 2 on")
    assert "Fix:  sorted(kept, key=lambda t: (-counts[t], t))" in text


def test_vocab_with_gaps():
    text = message(nb01.check_build_vocab, lambda tl, min_count=1: {"<pad>": 0, "<unk>": 1, "a": 3})
    assert "the ids should be 0, 1, ..., 2 with no gaps or repeats" in text


def test_encode_key_error():
    text = message(nb01.check_encode, lambda tokens, vocab: [vocab[t] for t in tokens])
    assert text.startswith("encode() raised KeyError for 'zany'")
    assert text.endswith("Fix:  vocab.get(token, vocab['<unk>'])")


def test_encode_unknown_as_pad():
    text = message(nb01.check_encode, lambda tokens, vocab: [vocab.get(t, 0) for t in tokens])
    assert "the unknown word 'zany' got id 0, which is <pad>" in text


def test_pad_with_wrong_id():
    text = message(nb01.check_pad_batch, lambda ids, pad_id: pad_batch(ids, 0), pad_id=3)
    assert text.startswith("row 0 should be padded with pad_id=3 after its 3 ids, but the padding is [0, 0, 0, 0]")
    assert "padding_value=pad_id" in text


def test_pad_seq_first():
    text = message(nb01.check_pad_batch, lambda ids, pad_id: (pad_batch(ids, pad_id)[0].T, pad_batch(ids, pad_id)[1]))
    assert "seq and batch are swapped. pad_sequence returns (seq, batch)" in text and "transpose(0, 1)" in text


def test_pad_lengths_as_list():
    text = message(nb01.check_pad_batch, lambda ids, pad_id: (pad_batch(ids, pad_id)[0], [len(x) for x in ids]))
    assert text.startswith("lengths is a Python list of 5 items, not a tensor.")


def test_pad_float_ids():
    text = message(nb01.check_pad_batch, lambda ids, pad_id: (pad_batch(ids, pad_id)[0].float(), pad_batch(ids, pad_id)[1]))
    assert text.startswith("ids has dtype torch.float32, but nn.Embedding looks rows up by integer id.")


def test_pad_reordered_batch():
    def sorted_batch(id_lists, pad_id):
        return pad_batch(sorted(id_lists, key=len, reverse=True), pad_id)
    text = message(nb01.check_pad_batch, sorted_batch)
    assert "lengths should be the true lengths before padding" in text


def test_embedding_without_padding_idx():
    text = message(nb01.check_make_embedding, lambda v, e, p: nn.Embedding(v, e))
    assert text.startswith("the embedding's padding_idx is None, but the padding id is 0.")
    assert text.endswith("Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)")


def test_embedding_sizes_swapped():
    wrong = lambda v, e, p: nn.Embedding(e, v, padding_idx=p)  # noqa: E731
    text = message(nb01.check_make_embedding, wrong)
    assert text.startswith("embedding.weight is (emb=3, vocab=11): the two sizes are swapped.")
    fixed = make_embedding  # the Fix line, nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
    assert text.endswith("Fix:  nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)")
    nb01.check_make_embedding(fixed)


def test_view_where_transpose_belongs():
    text = message(nb01.check_to_lstm_input,
                   lambda x, batch_first: x if batch_first else x.view(x.shape[1], x.shape[0], x.shape[2]))
    assert "the shape of x is right, (7, 3, 2), but the values are scrambled" in text
    assert text.endswith("Fix:  embedded.transpose(0, 1)    (swaps the axes and moves the numbers with them)")


def test_no_transpose_for_seq_first():
    text = message(nb01.check_to_lstm_input, lambda x, batch_first: x)
    assert "x should be (seq=7, batch=3, feature=2), but its shape is (3, 7, 2)." in text
    assert "seq and batch are swapped" in text


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------


def test_visible_checks_pass_the_solution():
    for answer, test_id in [("build_vocab", "test_build_vocab"), ("encode", "test_encode"),
                            ("pad_batch", "test_pad_batch"), ("make_embedding", "test_make_embedding"),
                            ("to_lstm_input", "test_to_lstm_input")]:
        assert run_visible(graded.A, answer, cells(graded.A)[answer], test_id) is None, test_id


def test_visible_calls_use_default_arguments():
    for test_id in graded.POINTS:
        visible = visible_part(graded.A, test_id)
        assert visible.count("nb01.check_") == 1 and "(" + test_id[5:] + ")" in visible, visible


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"


def test_vocab_min_count_ignored_is_caught_by_default():
    text = message(nb01.check_build_vocab, lambda tl, min_count=1: build_vocab(tl))
    assert text.startswith("with min_count=2, ")


def test_pad_id_ignored_is_caught_by_default():
    text = message(nb01.check_pad_batch, lambda ids, pad_id: pad_batch(ids, 0))
    assert text.startswith("row 0 should be padded with pad_id=3 after its 3 ids")


def test_padding_idx_zero_is_caught_by_default():
    text = message(nb01.check_make_embedding, lambda v, e, p: nn.Embedding(v, e, padding_idx=0))
    assert text.startswith("the embedding's padding_idx is 0, but the padding id is 4.")


def test_layout_guessed_from_the_shorter_axis_is_caught_by_default():
    guess = lambda x, batch_first: x if x.shape[0] < x.shape[1] else x.transpose(0, 1)  # noqa: E731
    text = message(nb01.check_to_lstm_input, guess)
    assert "x should be (seq=7, batch=3, feature=2), but its shape is (3, 7, 2)." in text
    flipped = lambda x, batch_first: x if x.shape[0] > x.shape[1] else x.transpose(0, 1)  # noqa: E731
    text = message(nb01.check_to_lstm_input, flipped)
    assert "x should be (batch=3, seq=7, feature=2), but its shape is (7, 3, 2)." in text


def test_encode_dropping_unknown_words():
    text = message(nb01.check_encode, lambda tokens, vocab: [vocab[t] for t in tokens if t in vocab])
    assert text.startswith("encode() should give one id per token: 9 tokens in, 7 ids out.")
    assert text.endswith("Fix:  [vocab.get(token, vocab['<unk>']) for token in tokens]")
    fixed = lambda tokens, vocab: [vocab.get(token, vocab['<unk>']) for token in tokens]  # noqa: E731
    nb01.check_encode(fixed)


def test_embedding_row_not_zero():
    def pretrained(v, e, p):
        return nn.Embedding.from_pretrained(torch.ones(v, e), padding_idx=p, freeze=False)
    text = message(nb01.check_make_embedding, pretrained)
    assert text.startswith("row 0 (<pad>) of the embedding should be all zeros")


def test_to_lstm_input_transposes_the_callers_tensor_in_place():
    """issue 17, item 8: the right numbers, but the caller's embedded batch is transposed too."""
    def in_place(embedded, batch_first):
        return embedded if batch_first else embedded.transpose_(0, 1)

    with pytest.raises(AssertionError) as info:
        nb01.check_to_lstm_input(in_place)
    text = str(info.value)
    assert text.startswith("to_lstm_input(embedded, batch_first=False) changed embedded in place:\n"
                           "  embedded was (3, 7, 2), now (7, 3, 2): transpose_ (or t_) swapped its axes."), text
    assert text.endswith("Fix:  x = embedded.transpose(0, 1)    a new view; embedded keeps its layout")
