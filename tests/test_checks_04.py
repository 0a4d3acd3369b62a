"""The checks of notebook 04 (outputs and state): right answers pass, each realistic wrong answer
fails with a message that names the mistake and ends with a fix. The wording is pinned here."""

import pytest
import torch

from course_utils.checks import nb04
from course_utils.checks.common import CheckFailed, NotDoneYet
from course_utils.shapes import ShapeError

# --- exercise 1: last_output ---------------------------------------------------------------------


def last_output(out, batch_first):
    return out[:, -1] if batch_first else out[-1]


def test_last_output_right(capsys):
    nb04.check_last_output(last_output)
    nb04.check_last_output(last_output, batch=1, seq=1, feature=1, hidden=1)
    nb04.check_last_output(last_output, batch=1, seq=5, feature=2, hidden=3)
    assert capsys.readouterr().out.startswith("PASSED last_output")


def test_last_output_blank():
    def blank(out, batch_first):
        raise NotImplementedError()

    with pytest.raises(NotDoneYet, match=r"last_output\(\) is not written yet"):
        nb04.check_last_output(blank)


@pytest.mark.parametrize("wrong, words", [
    (lambda out, bf: out[-1], ["batch_first=True", "out[-1] is the last *sequence*", "Fix:  out[:, -1]"]),
    (lambda out, bf: out[:, -1], ["batch_first=False", "out[:, -1] is the last *sequence*", "Fix:  out[-1]"]),
    (lambda out, bf: out[-1] if bf else out[:, -1], ["is the last *sequence*", "Fix:"]),
    (lambda out, bf: out[:, 0] if bf else out[0], ["FIRST step", "Fix:  out[-1]"]),
])
def test_last_output_wrong(wrong, words):
    with pytest.raises(CheckFailed) as info:
        nb04.check_last_output(wrong)
    for w in words:
        assert w in str(info.value)


def test_last_output_batch_of_one_still_caught():
    with pytest.raises(CheckFailed, match=r"out\[-1\] is the last \*sequence\*"):
        nb04.check_last_output(lambda out, bf: out[-1], batch=1, seq=5, feature=2, hidden=3)


def test_last_output_not_a_tensor():
    with pytest.raises(ShapeError, match="last is None"):
        nb04.check_last_output(lambda out, bf: None)


# --- exercise 2: final_hidden --------------------------------------------------------------------


def final_hidden(lstm, x):
    _, (h_n, _) = lstm(x)
    return h_n[-1]


def test_final_hidden_right(capsys):
    nb04.check_final_hidden(final_hidden)
    nb04.check_final_hidden(final_hidden, num_layers=1, batch_first=False)
    nb04.check_final_hidden(final_hidden, batch=1, seq=1, feature=1, hidden=1, num_layers=3)
    assert "PASSED final_hidden: h_n[-1], the last of 2 layers" in capsys.readouterr().out


def test_final_hidden_first_layer():
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0][0])
    msg = str(info.value)
    assert "returned h_n[0], the final state of layer 0" in msg
    assert "first axis counts layers" in msg
    assert msg.endswith("Fix:  return h_n[-1]")


def test_final_hidden_cell_state():
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][1][-1])
    assert "returned c_n[1], the CELL state" in str(info.value)
    assert "return h_n[-1]" in str(info.value)


def test_final_hidden_squeeze_on_two_layers():
    with pytest.raises(CheckFailed, match=r"returned all of h_n, shape \(layers=2"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0].squeeze(0))


def test_final_hidden_batch_first_index_on_h_n():
    # h_n[:, -1] (as if batch_first applied to h_n): (layers, hidden)
    with pytest.raises(ShapeError) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0][:, -1])
    assert "h_n[-1]" in str(info.value)


def test_final_hidden_out_last_on_batch_first():
    with pytest.raises(ShapeError, match="h_last should be"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[0][-1])


def test_final_hidden_pair():
    with pytest.raises(CheckFailed, match="returned a pair of tensors"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1])


def test_final_hidden_transposed_input():
    with pytest.raises(CheckFailed, match="Run the LSTM on x as it is"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x.transpose(0, 1))[1][0][-1], batch=4, seq=4)


# --- exercise 3: init_state ----------------------------------------------------------------------


def init_state(lstm, batch):
    d = 2 if lstm.bidirectional else 1
    w = lstm.weight_ih_l0
    shape = (lstm.num_layers * d, batch, lstm.hidden_size)
    return torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device)


def test_init_state_right(capsys):
    nb04.check_init_state(init_state)
    nb04.check_init_state(init_state, num_layers=2, bidirectional=True)
    nb04.check_init_state(init_state, batch=1, hidden=7, bidirectional=True, batch_first=False)
    nb04.check_init_state(init_state, batch=6, hidden=2, dtype=torch.float64)
    assert "PASSED init_state: zeros (layers x directions=4, batch=4, hidden=5)" in capsys.readouterr().out


def test_init_state_batch_first_state():
    def wrong(lstm, batch):
        return torch.zeros(batch, lstm.num_layers, lstm.hidden_size), torch.zeros(batch, lstm.num_layers, lstm.hidden_size)

    with pytest.raises(CheckFailed) as info:
        nb04.check_init_state(wrong)
    msg = str(info.value)
    assert "h0 has shape (4, 1, 5), read as (batch=4, layers=1, hidden=5): the batch comes first" in msg
    assert "batch_first applies to x and out only" in msg
    assert "Expected hidden[0] size (1, 4, 5), got [4, 1, 5]" in msg
    assert "Fix:  torch.zeros(lstm.num_layers * directions, batch, lstm.hidden_size)" in msg


def test_init_state_forgets_directions():
    def wrong(lstm, batch):
        shape = (lstm.num_layers, batch, lstm.hidden_size)
        return torch.zeros(shape), torch.zeros(shape)

    nb04.check_init_state(wrong)  # unidirectional: fine
    with pytest.raises(CheckFailed, match=r"one row per layer AND direction, 2 x 2 = 4"):
        nb04.check_init_state(wrong, num_layers=2, bidirectional=True)


def test_init_state_random():
    def wrong(lstm, batch):
        shape = (lstm.num_layers, batch, lstm.hidden_size)
        return torch.randn(shape), torch.randn(shape)

    with pytest.raises(CheckFailed, match=r"should be all zeros .*\n.*\n  Fix:  torch.zeros"):
        nb04.check_init_state(wrong)


def test_init_state_dtype():
    def wrong(lstm, batch):
        shape = (lstm.num_layers, batch, lstm.hidden_size)
        return torch.zeros(shape), torch.zeros(shape)

    with pytest.raises(CheckFailed, match="h0 has dtype torch.float32, but the LSTM's weights are torch.float64"):
        nb04.check_init_state(wrong, dtype=torch.float64)


def test_init_state_one_tensor():
    with pytest.raises(CheckFailed, match=r"should return a pair \(h0, c0\)"):
        nb04.check_init_state(lambda lstm, batch: torch.zeros(1, batch, lstm.hidden_size))


def test_init_state_missing_batch_axis():
    with pytest.raises(ShapeError, match="batch axis is missing"):
        nb04.check_init_state(lambda lstm, batch: (torch.zeros(1, 5), torch.zeros(1, 5)))


# --- exercise 4: run_in_chunks -------------------------------------------------------------------


def run_in_chunks(lstm, x, chunk, state=None):
    outs = []
    for start in range(0, x.shape[1], chunk):
        if state is not None:
            state = (state[0].detach(), state[1].detach())
        out, state = lstm(x[:, start:start + chunk], state)
        outs.append(out)
    return torch.cat(outs, dim=1), state


def make_chunks(carry=lambda h, c: (h.detach(), c.detach()), *, detach_out=False, stop=None,
                use_state=True, swap_result=False):
    """A family of wrong answers: how the state is carried, what is returned."""
    def run(lstm, x, chunk, state=None):
        state = state if use_state else None
        outs = []
        end = x.shape[1] if stop is None else stop(x.shape[1], chunk)
        for start in range(0, end, chunk):
            out, (h, c) = lstm(x[:, start:start + chunk], state)
            outs.append(out.detach() if detach_out is True or (detach_out is not False and detach_out == start) else out)
            state = carry(h, c)
        return torch.cat(outs, dim=1), ((c, h) if swap_result else (h, c))
    return run


def test_run_in_chunks_right(capsys):
    nb04.check_run_in_chunks(run_in_chunks)
    nb04.check_run_in_chunks(run_in_chunks, with_state=True)
    nb04.check_run_in_chunks(run_in_chunks, batch=3, seq=12, feature=2, hidden=6, chunk=4, num_layers=2)
    nb04.check_run_in_chunks(run_in_chunks, batch=1, seq=5, chunk=1, with_state=True)
    nb04.check_run_in_chunks(run_in_chunks, batch=2, seq=3, chunk=8)
    out = capsys.readouterr().out
    assert "PASSED run_in_chunks: 3 chunks (chunk=3) == one full run (batch=4, seq=7, hidden=5)" in out


def test_run_in_chunks_returning_detached_state_is_fine():
    nb04.check_run_in_chunks(make_chunks())


def test_run_in_chunks_forgot_detach():
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: (h, c)))
    msg = str(info.value)
    assert "the forward pass is right, but the loss of chunk 1 (steps 3..5) sends gradient back to step 0" in msg
    assert "Trying to backward through" in msg
    assert msg.endswith("Fix:  state = (h.detach(), c.detach())    before the next chunk uses it")


def test_run_in_chunks_reset_every_chunk():
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: None))
    msg = str(info.value)
    assert "differs from step 3 on (chunk 1)" in msg
    assert "each chunk starts again from zeros" in msg
    assert "Fix:  out_k, state = lstm(x_k, state)" in msg


def test_run_in_chunks_only_h_carried():
    with pytest.raises(CheckFailed, match="only h is carried from chunk to chunk; c starts again from zeros"):
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: (h.detach(), torch.zeros_like(c))))


def test_run_in_chunks_state_swapped():
    with pytest.raises(CheckFailed, match=r"carried as \(c, h\)"):
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: (c.detach(), h.detach())))


def test_run_in_chunks_initial_state_ignored():
    nb04.check_run_in_chunks(make_chunks(use_state=False))  # no state given: fine
    with pytest.raises(CheckFailed, match="initial `state` you were given\nwas not used|was not used"):
        nb04.check_run_in_chunks(make_chunks(use_state=False), with_state=True)


def test_run_in_chunks_outputs_detached():
    with pytest.raises(CheckFailed, match=r"out carries no graph .*\n  Detach the state you pass"):
        nb04.check_run_in_chunks(make_chunks(detach_out=True))
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(detach_out=0))       # the first chunk's outputs only
    assert "the outputs of chunk 0 carry no gradient to their own input or to the LSTM's weights" in str(info.value)


def test_run_in_chunks_no_grad():
    def wrong(lstm, x, chunk, state=None):
        with torch.no_grad():
            return run_in_chunks(lstm, x, chunk, state)

    with pytest.raises(CheckFailed, match=r"out carries no graph \(out.requires_grad is False\)"):
        nb04.check_run_in_chunks(wrong)


def test_run_in_chunks_drops_short_last_chunk():
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(stop=lambda seq, chunk: seq - chunk + 1))
    msg = str(info.value)
    assert "out has 6 steps, but x has seq=7: the last, shorter chunk (steps 6..6) is missing" in msg
    assert "Fix:  for start in range(0, seq, chunk)" in msg


def test_run_in_chunks_returns_c_n_for_h_n():
    with pytest.raises(CheckFailed, match="h_n and c_n are swapped"):
        nb04.check_run_in_chunks(make_chunks(swap_result=True))

    def c_twice(lstm, x, chunk, state=None):
        out, (h, c) = run_in_chunks(lstm, x, chunk, state)
        return out, (c, c)

    with pytest.raises(CheckFailed, match="h_n holds the cell state c_n"):
        nb04.check_run_in_chunks(c_twice)


def test_run_in_chunks_cat_on_batch_axis():
    def wrong(lstm, x, chunk, state=None):
        out, state = run_in_chunks(lstm, x, chunk, state)
        return torch.cat(out.split(chunk, dim=1), dim=0), state

    with pytest.raises(CheckFailed, match=r"stacked along the batch axis \(dim=0\)"):
        nb04.check_run_in_chunks(wrong, seq=12, chunk=4)


def test_run_in_chunks_blank():
    def blank(lstm, x, chunk, state=None):
        raise NotImplementedError()

    with pytest.raises(NotDoneYet, match=r"run_in_chunks\(\) is not written yet"):
        nb04.check_run_in_chunks(blank)


def test_checks_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nb04.check_final_hidden(final_hidden)
    assert torch.equal(torch.rand(3), expected)
