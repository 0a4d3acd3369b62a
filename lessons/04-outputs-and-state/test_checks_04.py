"""The checks of notebook 04 (outputs and state): right answers pass, each realistic wrong answer
fails with a message that names the mistake and ends with a fix. The wording is pinned here."""

import pytest
import torch

from course_utils.checks import nb04
from course_utils.checks.common import CheckFailed, NotDoneYet
from course_utils.grading.lessons import mistakes, solution
from course_utils.shapes import ShapeError

_solution = solution("04")
last_output, final_hidden = _solution["last_output"], _solution["final_hidden"]
init_state, run_in_chunks = _solution["init_state"], _solution["run_in_chunks"]

# --- exercise 1: last_output ---------------------------------------------------------------------


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


@pytest.mark.parametrize("batch_first", [False, True])
def test_last_output_last_hidden_unit(batch_first):
    with pytest.raises(CheckFailed) as info:
        nb04.check_last_output(lambda out, bf: out[..., -1], layouts=(batch_first,))
    msg = str(info.value)
    assert "last_output() returned out[..., -1]: the last number of the hidden axis at every step" in msg
    assert f"the steps are axis {int(batch_first)} here" in msg
    assert msg.endswith("Fix:  out[:, -1]" if batch_first else "Fix:  out[-1]")


def test_last_output_batch_of_one_still_caught():
    with pytest.raises(CheckFailed, match=r"out\[-1\] is the last \*sequence\*"):
        nb04.check_last_output(lambda out, bf: out[-1], batch=1, seq=5, feature=2, hidden=3)


def test_last_output_not_a_tensor():
    with pytest.raises(ShapeError, match="last is None"):
        nb04.check_last_output(lambda out, bf: None)


# --- exercise 2: final_hidden --------------------------------------------------------------------


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


def test_final_hidden_fixed_row_number():
    # h_n[1] is the last layer of the 2-layer LSTM of the visible check, but of no deeper one
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0][1])
    msg = str(info.value)
    assert "returned h_n[1], the final state of layer 1; this LSTM has 3 layers" in msg
    assert "a fixed row number fails" in msg
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
    with pytest.raises(AssertionError) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0][:, -1])
    assert "h_n[-1]" in str(info.value)


def test_final_hidden_out_last_on_batch_first():
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[0][-1])
    msg = str(info.value)
    assert "final_hidden() returned out[-1]: with batch_first=True" in msg
    assert "the last *sequence* of the batch with all its 7 steps" in msg
    assert msg.endswith("Fix:  out, (h_n, c_n) = lstm(x)    then    return h_n[-1]")


def test_final_hidden_out_last_step_of_wrong_axis_on_seq_first():
    # out[:, -1] is right for batch-first; the hidden tests run a seq-first LSTM
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[0][:, -1], num_layers=1, batch_first=False)
    msg = str(info.value)
    assert "final_hidden() returned out[:, -1]: with batch_first=False" in msg
    assert "h_n[-1] needs no layout at all" in msg


def test_final_hidden_h_n_reshaped():
    with pytest.raises(CheckFailed) as info:
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1][0].reshape(x.shape[0], -1))
    msg = str(info.value)
    assert "returned all 2 layers' states, reshaped to (4, 10)" in msg
    assert "bidirectional" not in msg
    assert msg.endswith("Fix:  return h_n[-1]")


def test_final_hidden_pair():
    with pytest.raises(CheckFailed, match="returned a pair of tensors"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x)[1])


def test_final_hidden_transposed_input():
    with pytest.raises(CheckFailed, match="Run the LSTM on x as it is"):
        nb04.check_final_hidden(lambda lstm, x: lstm(x.transpose(0, 1))[1][0][-1], batch=4, seq=4)


# --- exercise 3: init_state ----------------------------------------------------------------------


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
        w = lstm.weight_ih_l0
        return torch.zeros(shape, device=w.device), torch.zeros(shape, device=w.device)

    nb04.check_init_state(wrong, num_layers=1)  # one unidirectional LSTM: fine
    with pytest.raises(AssertionError, match="this LSTM is bidirectional"):
        nb04.check_init_state(wrong)  # the visible call tries a bidirectional LSTM too
    with pytest.raises(CheckFailed, match=r"one row per layer AND direction, 2 x 2 = 4"):
        nb04.check_init_state(wrong, num_layers=2, bidirectional=True)


def test_init_state_two_rows_per_layer_when_unidirectional():
    def wrong(lstm, batch):
        w = lstm.weight_ih_l0
        shape = (2 * lstm.num_layers, batch, lstm.hidden_size)
        return torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device)

    nb04.check_init_state(wrong, bidirectional=True)   # right for a bidirectional LSTM
    with pytest.raises(CheckFailed) as info:
        nb04.check_init_state(wrong, num_layers=2)
    msg = str(info.value)
    assert "h0 has 4 rows on its first axis, 2 per layer, but this LSTM is not bidirectional" in msg
    assert "bidirectional LSTM has one row per layer and direction" not in msg
    assert "Fix:  directions = 2 if lstm.bidirectional else 1" in msg


@pytest.mark.parametrize("device_of", [lambda lstm: "cpu", lambda lstm: None])
def test_init_state_ignores_the_lstms_device(device_of):
    # torch.zeros(shape, dtype=...) without device=: right on a CPU, wrong as soon as the LSTM is on a GPU
    def wrong(lstm, batch):
        w = lstm.weight_ih_l0
        shape = (lstm.num_layers * (2 if lstm.bidirectional else 1), batch, lstm.hidden_size)
        return torch.zeros(shape, dtype=w.dtype, device=device_of(lstm)), torch.zeros(shape, dtype=w.dtype)

    with pytest.raises(CheckFailed) as info:
        nb04.check_init_state(wrong)
    msg = str(info.value)
    assert msg.startswith("h0 is made on the cpu device, whatever device the LSTM is on")
    assert "found input tensor at cuda:0 and hidden tensor at cpu" in msg
    assert msg.endswith("Fix:  torch.zeros(..., dtype=lstm.weight_ih_l0.dtype, device=lstm.weight_ih_l0.device)")


def test_init_state_other_ways_to_match_the_device_pass(capsys):
    nb04.check_init_state(num_layers=1, init_state=lambda lstm, batch: (lstm.weight_ih_l0.new_zeros(lstm.num_layers, batch, lstm.hidden_size),) * 2)
    p = lambda lstm: next(lstm.parameters())  # noqa: E731
    nb04.check_init_state(num_layers=1, init_state=lambda lstm, batch: tuple(torch.zeros(lstm.num_layers, batch, lstm.hidden_size).to(p(lstm))
                                                    for _ in range(2)), dtype=torch.float64)
    assert capsys.readouterr().out.count("PASSED init_state") == 2


def test_init_state_ones():
    def wrong(lstm, batch):
        w = lstm.weight_ih_l0
        return (torch.ones(lstm.num_layers, batch, lstm.hidden_size, device=w.device),) * 2

    with pytest.raises(CheckFailed, match=r"Any other start \(ones, torch.randn"):
        nb04.check_init_state(wrong)


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


def run_in_chunks_detaching_before_each_chunk(lstm, x, chunk, state=None):
    """Also right, unlike the notebook's: detaches the state as each chunk starts (the given one too)."""
    outs = []
    for start in range(0, x.shape[1], chunk):
        if state is not None:
            state = (state[0].detach(), state[1].detach())
        out, state = lstm(x[:, start:start + chunk], state)
        outs.append(out)
    return torch.cat(outs, dim=1), state


def make_chunks(carry=lambda h, c: (h.detach(), c.detach()), *, detach_out=False, stop=None,
                use_state=True, swap_result=False, split=False, pieces=False):
    """A family of wrong answers: how the state is carried, what is returned, how x is cut."""
    def run(lstm, x, chunk, state=None):
        state = state if use_state else None
        outs = []
        end = x.shape[1] if stop is None else stop(x.shape[1], chunk)
        if split or pieces:
            cut = x.split(chunk, dim=1) if split else x.chunk(chunk, dim=1)      # x.chunk: `chunk` pieces
            starts = [sum(p.shape[1] for p in cut[:i]) for i in range(len(cut))]
        else:
            starts = range(0, end, chunk)
        for start, x_k in zip(starts, cut if split or pieces else (x[:, s:s + chunk] for s in starts), strict=False):
            out, (h, c) = lstm(x_k, state)
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
    nb04.check_run_in_chunks(run_in_chunks, chunk=3)
    nb04.check_run_in_chunks(make_chunks(split=True))      # x.split(chunk, dim=1) is right
    nb04.check_run_in_chunks(run_in_chunks_detaching_before_each_chunk)
    nb04.check_run_in_chunks(run_in_chunks_detaching_before_each_chunk, with_state=True)
    out = capsys.readouterr().out
    assert "PASSED run_in_chunks: 4 chunks (chunk=2) == one full run (batch=4, seq=7, hidden=5)" in out


def test_run_in_chunks_returning_detached_state_is_fine():
    nb04.check_run_in_chunks(make_chunks())


def test_run_in_chunks_forgot_detach():
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: (h, c)))
    msg = str(info.value)
    assert "the forward pass is right, but the loss of chunk 1 (steps 2..3) sends gradient back to step 0" in msg
    assert "Trying to backward through" in msg
    assert msg.endswith("Fix:  state = (h.detach(), c.detach())    before the next chunk uses it")


def test_run_in_chunks_reset_every_chunk():
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(carry=lambda h, c: None))
    msg = str(info.value)
    assert "differs from step 2 on (chunk 1)" in msg
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
    assert "Fix:  for start in range(0, x.shape[1], chunk)" in msg


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


def test_run_in_chunks_x_chunk_makes_n_pieces():
    # x.chunk(2, dim=1) on 7 steps: pieces of 4 and 3, not 2, 2, 2, 1; the forward pass is the same
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(pieces=True))
    msg = str(info.value)
    assert "your chunks start at steps [0, 4]; with chunk=2 they start at [0, 2, 4, 6]" in msg
    assert "x.chunk(n, dim=1) cuts x into n pieces, not into pieces of n steps" in msg
    assert "x.split(chunk, dim=1)" in msg
    with pytest.raises(CheckFailed, match=r"chunks start at steps \[0, 3, 6, 9\]; with chunk=4 they start at \[0, 4, 8\]"):
        nb04.check_run_in_chunks(make_chunks(pieces=True), batch=3, seq=12, chunk=4)


@pytest.mark.parametrize("carry, cause", [
    (lambda h, c: (h.detach(), c), "Cause: only h was detached: c, the cell state, still carries the graph"),
    (lambda h, c: (h, c.detach()), "Cause: only c was detached: h still carries the graph"),
])
def test_run_in_chunks_half_detached(carry, cause):
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(carry=carry))
    msg = str(info.value)
    assert "sends gradient back to step 0" in msg
    assert cause in msg
    assert msg.endswith("Fix:  state = (h.detach(), c.detach())    before the next chunk uses it")


def test_run_in_chunks_detach_result_not_assigned():
    def carry(h, c):
        h.detach()          # returns a new tensor; h keeps its graph
        c.detach()
        return h, c

    with pytest.raises(CheckFailed, match=r"h.detach\(\) returns a new tensor and leaves h as it is: assign it"):
        nb04.check_run_in_chunks(make_chunks(carry=carry))


def test_run_in_chunks_loop_over_batch_axis():
    # for start in range(0, len(x), chunk): len(x) is the batch (4), not the steps (7)
    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(make_chunks(stop=lambda seq, chunk: 4))
    msg = str(info.value)
    assert "out has 4 steps, but x has seq=7: the loop ran over range(0, 4, 2), the batch axis" in msg
    assert "len(x) and x.shape[0] are the batch (4); the steps are x.shape[1] (7)" in msg


def test_run_in_chunks_returns_last_chunk_only():
    def wrong(lstm, x, chunk, state=None):
        for start in range(0, x.shape[1], chunk):
            out, (h, c) = lstm(x[:, start:start + chunk], state)
            state = (h.detach(), c.detach())
        return out, (h, c)

    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(wrong)
    msg = str(info.value)
    assert "out has 1 steps, but x has seq=7: it holds the outputs of the last chunk only (steps 6..6)" in msg
    assert "Fix:  outs.append(out_k)  in the loop,  then  return torch.cat(outs, dim=1), (h, c)" in msg


def test_run_in_chunks_sliced_on_batch_axis():
    def wrong(lstm, x, chunk, state=None):
        outs = []
        for start in range(0, x.shape[1], chunk):
            out, (h, c) = lstm(x[start:start + chunk], state)      # seq-first habit
            outs.append(out)
            state = (h.detach(), c.detach())
        return torch.cat(outs, dim=1), (h, c)

    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(wrong)
    msg = str(info.value)
    assert "The chunks were cut along the batch axis" in msg
    assert "x[start:start + chunk] takes sequences, not steps" in msg
    assert "Fix:  x_k = x[:, start:start + chunk]" in msg


def test_run_in_chunks_cat_default_dim_with_short_last_chunk():
    def wrong(lstm, x, chunk, state=None):
        out, state = run_in_chunks(lstm, x, chunk, state)
        return torch.cat(out.split(chunk, dim=1)), state

    with pytest.raises(CheckFailed) as info:
        nb04.check_run_in_chunks(wrong)
    msg = str(info.value)
    assert "torch.cat(outs) joined the chunks along dim 0, the batch axis" in msg
    assert msg.endswith("Fix:  torch.cat(outs, dim=1)")


def test_run_in_chunks_other_runtime_errors_pass_through():
    def wrong(lstm, x, chunk, state=None):
        return lstm(x, (torch.zeros(2, x.shape[0], lstm.hidden_size),) * 2)

    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 4, 5\), got \[2, 4, 5\]"):
        nb04.check_run_in_chunks(wrong)


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


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.visible import visible_failure  # noqa: E402

graded = mistakes("04")


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"


def test_last_output_transposes_the_callers_out():
    """issue 17, item 8: right values, but the caller's batch-first out is now seq-first."""
    def in_place(out, batch_first):
        return out.transpose_(0, 1)[-1] if batch_first else out[-1]

    with pytest.raises(AssertionError) as info:
        nb04.check_last_output(in_place)
    text = str(info.value)
    assert text.startswith("last_output(out, batch_first=True) changed out in place:\n"), text
    assert text.endswith("Fix:  x = out.transpose(0, 1)    a new view; out keeps its layout")
