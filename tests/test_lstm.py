"""course_utils.lstm: the shape oracle agrees with the real nn.LSTM / nn.GRU / nn.RNN everywhere."""

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import course_utils as cu
from course_utils.lstm import expected_shapes, last_layer, split_h_n

# All different, so a swapped axis cannot hide: layers x directions is 1, 2, 3 or 6.
BATCH, SEQ, FEATURE, HIDDEN, PROJ = 4, 7, 11, 9, 5
LENGTHS = [3, 7, 2, 5]  # unsorted on purpose

KINDS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}
INPUTS = ["batched", "unbatched", "packed", "shape"]


def configs():
    for kind, batch_first, layers, bidirectional, proj, form in itertools.product(
        KINDS, [False, True], [1, 3], [False, True], [0, PROJ], INPUTS
    ):
        if proj and kind != "LSTM":
            continue  # proj_size exists for nn.LSTM only
        yield kind, batch_first, layers, bidirectional, proj, form


def build(kind, batch_first, layers, bidirectional, proj):
    torch.manual_seed(0)
    kwargs = {"proj_size": proj} if proj else {}
    return KINDS[kind](FEATURE, HIDDEN, num_layers=layers, bidirectional=bidirectional,
                       batch_first=batch_first, **kwargs)


def make_input(form, batch_first):
    x = torch.randn(BATCH, SEQ, FEATURE) if batch_first else torch.randn(SEQ, BATCH, FEATURE)
    if form == "unbatched":
        return torch.randn(SEQ, FEATURE)
    if form == "packed":
        return pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=batch_first,
                                    enforce_sorted=False)
    return x


@pytest.mark.parametrize("config", list(configs()), ids=lambda c: "-".join(map(str, c)))
def test_expected_shapes_match_the_real_module(config):
    kind, batch_first, layers, bidirectional, proj, form = config
    rnn = build(kind, batch_first, layers, bidirectional, proj)
    x = make_input(form, batch_first)
    table = expected_shapes(rnn, tuple(x.shape) if form == "shape" else x)
    out, state = rnn(x)
    h_n, c_n = state if kind == "LSTM" else (state, None)

    if form == "packed":
        assert isinstance(out, PackedSequence)
        assert table.packed
        assert table.out == tuple(out.data.shape) == (sum(LENGTHS), table.out[1])
        assert table["out.batch_sizes"] == tuple(out.batch_sizes.shape)
    else:
        assert table.out == tuple(out.shape)
    assert table.h_n == tuple(h_n.shape)
    assert table.c_n == (None if c_n is None else tuple(c_n.shape))
    table.check(out, state)  # the real outputs pass
    table.check((out, state))  # so does the whole result as one pair

    # The rules, stated independently of the implementation.
    d = 2 if bidirectional else 1
    h_out = proj or HIDDEN
    assert table.out[-1] == d * h_out
    assert table.h_n[0] == layers * d and table.h_n[-1] == h_out
    if kind == "LSTM":
        assert table.c_n[-1] == HIDDEN  # c_n keeps hidden_size under proj_size


def test_table_prints_every_axis_by_name(capsys):
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    table = expected_shapes(lstm, torch.randn(4, 7, 3))
    text = str(table)
    assert text.splitlines()[0] == f"expected shapes for {lstm!r}"
    assert "(batch=4, seq=7, feature=3)" in text
    assert "(batch=4, seq=7, hidden=10)" in text
    assert "hidden = 2 directions x hidden_size 5" in text
    assert "(layers=4, batch=4, hidden=5)" in text
    assert "batch_first does not apply" in text
    assert [line.split()[0] for line in text.splitlines()[1:]] == ["x", "out", "h_n", "c_n"]
    table.show()
    assert capsys.readouterr().out == text + "\n"
    assert repr(table) == text


def test_table_notes_proj_size_unbatched_and_packed():
    lstm = nn.LSTM(3, 5, proj_size=2)
    text = str(expected_shapes(lstm, torch.randn(7, 3)))
    assert "(seq=7, hidden=2)" in text and "one sequence, no batch axis" in text
    assert "(layers=1, hidden=5)" in text and "keeps hidden_size 5" in text
    packed = pack_padded_sequence(torch.randn(7, 4, 3), torch.tensor([7, 5, 3, 2]))
    text = str(expected_shapes(lstm, packed))
    assert "(steps=17, hidden=2)" in text and "steps = sum(lengths)" in text
    assert "x.batch_sizes    (7,)" in text


def test_gru_and_rnn_have_no_c_n():
    for module in (nn.GRU(3, 5), nn.RNN(3, 5, nonlinearity="relu")):
        table = expected_shapes(module, torch.randn(7, 4, 3))
        assert table.c_n is None
        assert "c_n" not in str(table)
        with pytest.raises(KeyError, match="the rows are x, out, h_n"):
            table["c_n"]


def test_check_raises_shape_error_that_names_the_axes():
    lstm = nn.LSTM(3, 5, batch_first=True)
    x = torch.randn(4, 7, 3)
    table = expected_shapes(lstm, x)
    out, (h_n, c_n) = lstm(x)
    with pytest.raises(cu.ShapeError, match="seq and batch are swapped"):
        table.check(out.transpose(0, 1), (h_n, c_n))
    with pytest.raises(cu.ShapeError, match=r"h_n should be \(layers=1, batch=4, hidden=5\)"):
        table.check(out, (h_n[0], c_n))
    with pytest.raises(cu.ShapeError, match=r"pair \(h_n, c_n\)"):
        table.check(out, h_n)
    with pytest.raises(cu.ShapeError, match="None"):
        table.check(None)


def test_check_of_proj_size_catches_c_n_with_the_wrong_size():
    lstm = nn.LSTM(3, 5, proj_size=2)
    x = torch.randn(7, 4, 3)
    table = expected_shapes(lstm, x)
    out, (h_n, c_n) = lstm(x)
    with pytest.raises(cu.ShapeError, match="c_n"):
        table.check(out, (h_n, h_n))


def test_check_of_gru_state_and_packed_output():
    gru = nn.GRU(3, 5)
    packed = pack_padded_sequence(torch.randn(7, 4, 3), torch.tensor([7, 5, 3, 2]))
    table = expected_shapes(gru, packed)
    out, h_n = gru(packed)
    with pytest.raises(cu.ShapeError, match="no cell state"):
        table.check(out, (h_n, h_n))
    padded, _ = nn.utils.rnn.pad_packed_sequence(out)
    with pytest.raises(cu.ShapeError, match="should be a PackedSequence"):
        table.check(padded, h_n)
    other = pack_padded_sequence(torch.randn(7, 4, 3), torch.tensor([7, 6, 2, 2]))
    with pytest.raises(cu.ShapeError, match="batch_sizes"):
        table.check(gru(other)[0], h_n)


def test_bad_inputs_say_what_to_pass():
    lstm = nn.LSTM(3, 5, batch_first=True)
    with pytest.raises(TypeError, match="nn.LSTM, nn.GRU or nn.RNN"):
        expected_shapes(nn.Linear(3, 5), torch.randn(4, 7, 3))
    with pytest.raises(TypeError, match="one-step cell LSTMCell"):
        expected_shapes(nn.LSTMCell(3, 5), torch.randn(4, 3))
    for bad in ([4, 7, 3], None, "x"):
        with pytest.raises(TypeError, match="x must be the input"):
            expected_shapes(lstm, bad)
    with pytest.raises(TypeError, match="nn.Embedding first"):
        expected_shapes(lstm, torch.randint(0, 9, (4, 7, 3)))
    with pytest.raises(cu.ShapeError, match=r"feature' has size 8, but 3"):
        expected_shapes(lstm, torch.randn(4, 7, 8))
    with pytest.raises(cu.ShapeError, match=r"unsqueeze\(-1\)"):
        expected_shapes(nn.LSTM(1, 5, batch_first=True), torch.randn(4, 7))
    with pytest.raises(cu.ShapeError, match=r"x has 4 axes, shape \(2, 4, 7, 3\), but an RNN takes 3"):
        expected_shapes(lstm, torch.randn(2, 4, 7, 3))
    with pytest.raises(cu.ShapeError, match="x has 1 axis, but 3 were expected"):
        expected_shapes(lstm, torch.randn(7))


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, False), (1, True), (3, True)])
def test_split_h_n_and_last_layer_agree_with_out(layers, bidirectional):
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(7, 4, 3)  # (seq, batch, feature)
    out, (h_n, _) = lstm(x)
    d = 2 if bidirectional else 1
    parts = split_h_n(h_n, layers, bidirectional)
    assert parts.shape == (layers, d, 4, 5)
    # The last layer's forward state is out at the last step; the backward one is out at step 0.
    torch.testing.assert_close(parts[-1, 0], out[-1, :, :5])
    if bidirectional:
        torch.testing.assert_close(parts[-1, 1], out[0, :, 5:])
    last = last_layer(h_n, bidirectional)
    assert last.shape == (4, d * 5)
    torch.testing.assert_close(last[:, :5], out[-1, :, :5])
    if bidirectional:
        torch.testing.assert_close(last[:, 5:], out[0, :, 5:])


def test_split_h_n_and_last_layer_unbatched():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    out, (h_n, _) = lstm(torch.randn(7, 3))
    assert split_h_n(h_n, 2, True).shape == (2, 2, 5)
    last = last_layer(h_n, True)
    assert last.shape == (10,)
    torch.testing.assert_close(last[:5], out[-1, :5])


def test_split_h_n_and_last_layer_reject_bad_input():
    h_n = torch.randn(4, 3, 5)
    with pytest.raises(cu.ShapeError, match=r"h_n should be \(layers=6"):
        split_h_n(h_n, 3, True)
    with pytest.raises(ValueError, match="num_layers"):
        split_h_n(h_n, 0, True)
    with pytest.raises(TypeError, match="True or False"):
        split_h_n(h_n, 2, "yes")
    with pytest.raises(TypeError, match=r"out, \(h_n, c_n\) = lstm\(x\)"):
        last_layer((h_n, h_n), True)
    with pytest.raises(TypeError, match="must be a tensor"):
        last_layer([1.0, 2.0], False)
    with pytest.raises(cu.ShapeError, match="even number"):
        last_layer(torch.randn(3, 4, 5), True)
    with pytest.raises(cu.ShapeError, match=r"\(4, 5\)|shape is \(20,\)"):
        last_layer(torch.randn(20), False)
