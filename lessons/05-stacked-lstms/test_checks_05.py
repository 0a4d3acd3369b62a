"""The checks of notebook 05 (stacked LSTMs): right answers pass, realistic wrong answers fail with
a message that names the mistake and the fix. Pins the wording the learner reads. No nbgrader."""

import pytest
import torch
from torch import nn

from course_utils.checks import nb05
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import mistakes, solution
from course_utils.shapes import ShapeError

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

_solution = solution("05")
copy_layer, manual_stack = _solution["copy_layer"], _solution["manual_stack"]
layer_state, top_layer, StackedLSTM = _solution["layer_state"], _solution["top_layer"], _solution["StackedLSTM"]


# --- exercise 1: copy_layer -------------------------------------------------------------------


def copy_layer_from(src_layer, names=PARAMS):
    def f(stacked, layer, single):
        with torch.no_grad():
            for name in names:
                getattr(single, f"{name}_l0").copy_(getattr(stacked, f"{name}_l{src_layer(layer)}"))
        return single
    return f


def copy_into_lk(stacked, layer, single):
    with torch.no_grad():
        for name in PARAMS:
            getattr(single, f"{name}_l{layer}").copy_(getattr(stacked, f"{name}_l{layer}"))
    return single


def copy_reversed(stacked, layer, single):
    with torch.no_grad():
        for name in PARAMS:
            getattr(stacked, f"{name}_l{layer}").copy_(getattr(single, f"{name}_l0"))
    return single


def copy_shared(stacked, layer, single):
    for name in PARAMS:
        setattr(single, f"{name}_l0", getattr(stacked, f"{name}_l{layer}"))
    return single


def copy_without_no_grad(stacked, layer, single):
    for name in PARAMS:
        getattr(single, f"{name}_l0").copy_(getattr(stacked, f"{name}_l{layer}"))
    return single


def copy_no_return(stacked, layer, single):
    copy_layer(stacked, layer, single)


def not_done(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("kwargs", [{}, {"layer": 0}, {"layer": 2},
                                    {"num_layers": 1, "layer": 0, "feature": 4, "hidden": 2},
                                    {"num_layers": 4, "layer": 3, "feature": 6, "hidden": 3}])
def test_copy_layer_right(kwargs, capsys):
    nb05.check_copy_layer(copy_layer, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED copy_layer")


@pytest.mark.parametrize("fn, kwargs, words", [
    (copy_layer_from(lambda i: i - 1), {}, ["wrong shape", "take _l1 from stacked", "Fix:"]),
    (copy_layer_from(lambda i: i - 1), {"feature": 5},
     ["holds stacked.weight_ih_l0", "layer 0", "asked for layer 1", "Fix:"]),
    (copy_layer_from(lambda i: i + 1), {}, ["holds stacked.weight_ih_l2", "asked for layer 1", "Fix:"]),
    (copy_layer_from(lambda i: i - 1), {"layer": 2}, ["holds stacked.weight_ih_l1", "Fix:"]),
    (copy_layer_from(lambda i: i, names=("weight_ih", "weight_hh")), {},
     ["single.bias_ih_l0 still holds its own random starting values", "the biases were not copied", "Fix:"]),
    (copy_into_lk, {}, ["no attribute 'weight_ih_l1'", "a one-layer nn.LSTM has only _l0", "Fix:"]),
    (copy_reversed, {}, ["changed stacked", "from stacked (the source) into single", "Fix:"]),
    (copy_shared, {}, ["the very same tensor as stacked.weight_ih_l1, not a copy", "Fix:"]),
    (copy_without_no_grad, {}, ["autograd was recording", "torch.no_grad()"]),
    (copy_no_return, {}, ["should return `single` itself", "None", "return single"]),
])
def test_copy_layer_wrong(fn, kwargs, words):
    with pytest.raises(AssertionError) as info:
        nb05.check_copy_layer(fn, **kwargs)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_copy_layer_off_by_one_for_layer_0_shape_error():
    # layers counted from 1: layer 0 -> "_l-1" does not exist
    with pytest.raises(AssertionError, match="does not exist"):
        nb05.check_copy_layer(copy_layer_from(lambda i: i - 1), layer=0)


def test_copy_layer_wrong_shape_names_the_layer():
    # layer 1 of the stack asked for, layer 0's (4*hidden, feature) weight copied into (4*hidden, hidden)
    def f(stacked, layer, single):
        with torch.no_grad():
            single.weight_ih_l0.copy_(stacked.weight_ih_l0)
        return single
    with pytest.raises(AssertionError, match="wrong shape") as info:
        nb05.check_copy_layer(f, feature=3, hidden=5)
    assert "take _l1 from stacked" in str(info.value)


def test_copy_layer_not_done():
    with pytest.raises(NotDoneYet, match="copy_layer"):
        nb05.check_copy_layer(not_done)


# --- exercise 2: manual_stack -----------------------------------------------------------------


def manual_stack_with(layers, x, state=None, *, feed_x=False, h_dim=0, stack=False, reverse=False,
                 whole_state=False, row_state=False, ignore_state=False, only_top=False,
                 return_layer0=False):
    """A family of wrong answers, one per flag; right with no flag set."""
    h_list, c_list = [], []
    out = x
    outs = []
    for i, layer in enumerate(layers):
        inp = x if feed_x else out
        if state is None or ignore_state:
            out, (h, c) = layer(inp)
        else:
            h0, c0 = state
            if whole_state:
                out, (h, c) = layer(inp, (h0, c0))
            elif row_state:
                out, (h, c) = layer(inp, (h0[i], c0[i]))
            else:
                out, (h, c) = layer(inp, (h0[i:i + 1], c0[i:i + 1]))
        outs.append(out)
        h_list.append(h)
        c_list.append(c)
    if reverse:
        h_list, c_list = h_list[::-1], c_list[::-1]
    if only_top:
        return out, (h_list[-1], c_list[-1])
    if stack:
        return out, (torch.stack(h_list), torch.stack(c_list))
    if return_layer0:
        out = outs[0]
    return out, (torch.cat(h_list, dim=h_dim), torch.cat(c_list, dim=h_dim))


def variant(**flags):
    return lambda layers, x, state=None: manual_stack_with(layers, x, state, **flags)


@pytest.mark.parametrize("kwargs", [
    {}, {"with_state": True}, {"feature": 5, "hidden": 5},
    {"num_layers": 2, "seq": 6, "batch": 3, "feature": 2, "hidden": 4, "batch_first": True},
    {"num_layers": 1, "seq": 1, "batch": 1},
    {"num_layers": 4, "seq": 3, "batch": 2, "feature": 6, "hidden": 3, "with_state": True, "batch_first": True},
])
def test_manual_stack_right(kwargs, capsys):
    nb05.check_manual_stack(manual_stack, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED manual_stack")


@pytest.mark.parametrize("kwargs", [{}, {"with_state": True}])
def test_manual_stack_with_no_flag_is_right(kwargs, capsys):
    nb05.check_manual_stack(variant(), **kwargs)
    assert capsys.readouterr().out.startswith("PASSED manual_stack")


@pytest.mark.parametrize("flags, kwargs, words", [
    ({"feed_x": True}, {}, ["wrong number of features", "Expected 5, got 3", "OUTPUT SEQUENCE", "Fix:"]),
    ({"feed_x": True}, {"feature": 5, "hidden": 5}, ["every layer read x", "Fix:  out = x"]),
    ({"h_dim": 2}, {}, ["joined along the hidden axis", "(1, 4, 15)", "torch.cat(list_of_h_n, dim=0)"]),
    ({"h_dim": 1}, {}, ["joined along the batch axis", "torch.cat(list_of_h_n, dim=0)"]),
    ({"stack": True}, {}, ["torch.stack added a new axis", "Fix:  torch.cat(list_of_h_n, dim=0)"]),
    ({"reverse": True}, {}, ["reverse order", "h_n[0] holds the top layer", "Fix:"]),
    ({"only_top": True}, {}, ["one layer only", "h_n[0] the bottom one", "Fix:"]),
    ({"whole_state": True}, {"with_state": True}, ["initial state of the wrong shape", "h0[l:l + 1]"]),
    ({"row_state": True}, {"with_state": True}, ["should also be 3-D", "h0[l:l + 1]"]),
    ({"ignore_state": True}, {"with_state": True}, ["the state (h0, c0) was ignored", "h0[l:l + 1]"]),
    ({"return_layer0": True}, {}, ["out is the output of layer 0 only", "TOP layer", "Fix:"]),
])
def test_manual_stack_wrong(flags, kwargs, words):
    with pytest.raises(AssertionError) as info:
        nb05.check_manual_stack(variant(**flags), **kwargs)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_manual_stack_h_and_c_swapped():
    def f(layers, x, state=None):
        out, (h, c) = manual_stack(layers, x, state)
        return out, (c, h)
    with pytest.raises(AssertionError, match="h_n holds the cell states c_n"):
        nb05.check_manual_stack(f)


def test_manual_stack_returns_only_out():
    with pytest.raises(AssertionError, match=r"return out, \(h_n, c_n\)"):
        nb05.check_manual_stack(lambda layers, x, state=None: manual_stack(layers, x, state)[0])


def test_manual_stack_h_n_batch_first_shape():
    def f(layers, x, state=None):
        out, (h, c) = manual_stack(layers, x, state)
        return out, (h.transpose(0, 1), c.transpose(0, 1))
    with pytest.raises(ShapeError, match="layers and batch are swapped"):
        nb05.check_manual_stack(f)


def test_manual_stack_not_done():
    with pytest.raises(NotDoneYet, match="manual_stack"):
        nb05.check_manual_stack(not_done)


# --- exercise 3: layer_state, top_layer --------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_first": True}, {"num_layers": 4, "batch": 4, "seq": 5, "feature": 2, "hidden": 6},
    {"num_layers": 4, "batch": 4, "seq": 3, "batch_first": True}, {"num_layers": 1, "batch": 1, "seq": 1},
    {"num_layers": 2, "batch": 6, "seq": 3, "feature": 2, "hidden": 4, "batch_first": True},
])
def test_layer_state_right(kwargs, capsys):
    nb05.check_layer_state(layer_state, top_layer, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED layer_state and top_layer")


@pytest.mark.parametrize("ls, top, kwargs, words", [
    (layer_state, lambda h: h[0], {}, ["returned h_n[0], the BOTTOM layer", "Fix:  return h_n[-1]"]),
    (layer_state, lambda h: h[:, -1], {}, ["(layers=3, hidden=5)", "one SEQUENCE from every layer",
                                          "whatever batch_first says", "Fix:  return h_n[-1]"]),
    (layer_state, lambda h: h[:, -1], {"num_layers": 4, "batch": 4},
     ["one SEQUENCE from every layer", "Fix:  return h_n[-1]"]),
    (lambda h, i: h[:, i], top_layer, {}, ["one SEQUENCE from every layer", "Fix:  return h_n[0]"]),
    (lambda h, i: h[-1 - i], top_layer, {}, ["counted from the top", "h_n[0] is the bottom layer",
                                            "Fix:  return h_n[layer]"]),
    (lambda h, i: h[i:i + 1], top_layer, {}, ["a slice keeps the layers axis", "Fix:  return h_n[0]"]),
    (lambda h, i: h[i + 1] if i + 1 < h.shape[0] else h[i], top_layer, {}, ["layer 0", "Fix:  return h_n[layer]"]),
])
def test_layer_state_wrong(ls, top, kwargs, words):
    with pytest.raises(AssertionError) as info:
        nb05.check_layer_state(ls, top, **kwargs)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_layer_state_not_done():
    with pytest.raises(NotDoneYet, match="layer_state"):
        nb05.check_layer_state(not_done, top_layer)
    with pytest.raises(NotDoneYet, match="top_layer"):
        nb05.check_layer_state(layer_state, not_done)


# --- exercise 4: StackedLSTM ------------------------------------------------------------------


def make_stacked(*, sizes="right", container="modulelist", drop_where="between", training="mode",
                 per_layer_dropout=False):
    """A family of wrong answers, one per flag; right with no flag set."""
    class StackedLSTM(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
            super().__init__()
            if sizes == "right":
                ins = [input_size] + [hidden_size] * (num_layers - 1)
            else:
                ins = [input_size] * num_layers
            kw = {"dropout": dropout} if per_layer_dropout else {}
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mods = [nn.LSTM(s, hidden_size, **kw) for s in ins]
            self.layers = nn.ModuleList(mods) if container == "modulelist" else mods
            self.dropout = dropout

        def forward(self, x):
            h_list, c_list = [], []
            out = x
            k = len(self.layers)
            tr = self.training if training == "mode" else True
            if drop_where == "input":
                out = nn.functional.dropout(out, p=self.dropout, training=tr)
            for i, layer in enumerate(self.layers):
                out, (h, c) = layer(out)
                h_list.append(h)
                c_list.append(c)
                last = i == k - 1
                if drop_where == "everywhere" or (drop_where in ("between", "input") and not last):
                    out = nn.functional.dropout(out, p=self.dropout, training=tr)
            return out, (torch.cat(h_list), torch.cat(c_list))
    return StackedLSTM


@pytest.mark.parametrize("kwargs", [
    {}, {"dropout": 0.0}, {"input_size": 5, "hidden_size": 5, "num_layers": 2, "dropout": 0.3},
    {"input_size": 2, "hidden_size": 6, "num_layers": 4, "dropout": 0.2, "seq": 3, "batch": 2},
    {"num_layers": 1, "dropout": 0.0, "seq": 1, "batch": 1},
])
def test_stacked_lstm_right(kwargs, capsys):
    nb05.check_stacked_lstm(StackedLSTM, **kwargs)
    assert capsys.readouterr().out.startswith("PASSED StackedLSTM")


def test_stacked_lstm_with_no_flag_is_right(capsys):
    nb05.check_stacked_lstm(make_stacked())
    assert capsys.readouterr().out.startswith("PASSED StackedLSTM")


def test_stacked_lstm_with_nn_dropout_module_passes(capsys):
    class StackedLSTM(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
            super().__init__()
            self.layers = nn.ModuleList(nn.LSTM(input_size if i == 0 else hidden_size, hidden_size)
                                        for i in range(num_layers))
            self.drop = nn.Dropout(dropout)

        def forward(self, x):
            hs, cs = [], []
            for i, layer in enumerate(self.layers):
                if i > 0:
                    x = self.drop(x)
                x, (h, c) = layer(x)
                hs.append(h)
                cs.append(c)
            return x, (torch.cat(hs), torch.cat(cs))
    nb05.check_stacked_lstm(StackedLSTM)
    assert "PASSED" in capsys.readouterr().out


@pytest.mark.parametrize("flags, kwargs, words", [
    ({"drop_where": "everywhere"}, {}, ["of out is exactly 0", "top layer's output too", "Fix:"]),
    ({"training": "always"}, {}, ["in eval mode", "dropout is still on", "training=self.training"]),
    ({"drop_where": "none"}, {}, ["two runs give the same outputs", "no dropout", "Fix:"]),
    ({"drop_where": "none", "per_layer_dropout": True}, {},
     ["no dropout", "one layer does nothing (PyTorch warns)", "Fix:"]),
    ({"drop_where": "input"}, {}, ["x itself was dropped before layer 0", "BETWEEN layers only", "Fix:"]),
    ({"sizes": "all_input"}, {}, ["self.layers[1] reads input_size=3", "the output of layer 0",
                                  "hidden_size=5", "Fix:"]),
    ({"container": "list"}, {}, ["plain Python list", "holds 0 tensors", "nn.ModuleList"]),
])
def test_stacked_lstm_wrong(flags, kwargs, words):
    with pytest.raises(AssertionError) as info:
        nb05.check_stacked_lstm(make_stacked(**flags), **kwargs)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_stacked_lstm_not_done():
    class Blank(nn.Module):
        def __init__(self, *args):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="StackedLSTM"):
        nb05.check_stacked_lstm(Blank)

    class BlankForward(StackedLSTM):
        def forward(self, x):
            raise NotImplementedError()
    with pytest.raises(NotDoneYet, match="StackedLSTM.forward"):
        nb05.check_stacked_lstm(BlankForward)


# --- diagnoses added after the learner review ---------------------------------------------------


def test_copy_layer_weight_ih_and_weight_hh_swapped():
    # above layer 0 both weights are (4 x hidden, hidden): PyTorch copies without complaint
    def f(stacked, layer, single):
        with torch.no_grad():
            for mine, theirs in zip(PARAMS, ("weight_hh", "weight_ih", "bias_ih", "bias_hh"), strict=True):
                getattr(single, f"{mine}_l0").copy_(getattr(stacked, f"{theirs}_l{layer}"))
        return single
    with pytest.raises(AssertionError) as info:
        nb05.check_copy_layer(f)
    msg = str(info.value)
    assert "single.weight_ih_l0 holds stacked.weight_hh_l1: the names got mixed up" in msg
    assert "stacked.weight_ih_l1 -> single.weight_ih_l0" in msg
    assert "Fix:" in msg


def test_copy_layer_load_state_dict_passes(capsys):
    def f(stacked, layer, single):
        single.load_state_dict({f"{n}_l0": getattr(stacked, f"{n}_l{layer}") for n in PARAMS})
        return single
    nb05.check_copy_layer(f)
    assert "PASSED copy_layer" in capsys.readouterr().out


def test_manual_stack_states_left_as_lists():
    def f(layers, x, state=None):
        hs, cs, out = [], [], x
        for layer in layers:
            out, (h, c) = layer(out)
            hs.append(h)
            cs.append(c)
        return out, (hs, cs)
    with pytest.raises(AssertionError) as info:
        nb05.check_manual_stack(f)
    msg = str(info.value)
    assert "h_n is a Python list of 3 tensors, each (1, 4, 5): one per layer, not joined yet" in msg
    assert "torch.stack(h_n)" not in msg
    assert msg.endswith("Fix:  torch.cat(list_of_h_n, dim=0)     -> (layers, batch, hidden)")


def test_manual_stack_squeezed_states_joined_with_cat():
    def f(layers, x, state=None):
        out, (h, c) = manual_stack(layers, x, state)
        return out, (torch.cat(list(h)), torch.cat(list(c)))     # (layers * batch, hidden)
    with pytest.raises(AssertionError) as info:
        nb05.check_manual_stack(f)
    msg = str(info.value)
    assert "h_n is (12, 5): the layers' (batch=4, hidden=5) states were joined end to end" in msg
    assert "or    torch.stack of (batch, hidden) ones" in msg


def test_manual_stack_state_given_to_layer_0_only():
    def f(layers, x, state=None):
        hs, cs, out = [], [], x
        for i, layer in enumerate(layers):
            start = (state[0][:1], state[1][:1]) if state is not None and i == 0 else None
            out, (h, c) = layer(out, start)
            hs.append(h)
            cs.append(c)
        return out, (torch.cat(hs), torch.cat(cs))
    with pytest.raises(AssertionError) as info:
        nb05.check_manual_stack(f, with_state=True)
    msg = str(info.value)
    assert "layer 0 matches nn.LSTM; layer 1 (h_n[1]) is the first that does not" in msg
    assert "Layer 1 should read the output sequence of layer 0, starting from (h0[1:2], c0[1:2])" in msg
    assert "Fix:  layer(out, (h0[l:l + 1], c0[l:l + 1]))" in msg


def test_manual_stack_out_changed_after_the_top_layer():
    def f(layers, x, state=None):
        out, states = manual_stack(layers, x, state)
        return torch.tanh(out), states
    with pytest.raises(AssertionError, match="h_n of manual_stack\\(\\) is right for every layer, but out is not"):
        nb05.check_manual_stack(f)


def test_top_layer_fixed_row_number():
    # h_n[2] fits the visible 3-layer stack; the check also tries a 4-layer h_n
    with pytest.raises(AssertionError) as info:
        nb05.check_layer_state(layer_state, lambda h: h[2])
    msg = str(info.value)
    assert "top_layer(h_n) is right for this 3-layer stack, but on the h_n of a 4-layer stack it returned h_n[2]" in msg
    assert msg.endswith("Fix:  return h_n[-1]")
    with pytest.raises(AssertionError) as info:
        nb05.check_layer_state(layer_state, lambda h: h[2], num_layers=4, batch=4, seq=5, feature=2, hidden=6)
    msg = str(info.value)
    assert "top_layer(h_n) returned h_n[2], layer 2, but this h_n has 4 layers: the top one is h_n[3]" in msg
    assert msg.endswith("Fix:  return h_n[-1]")


def test_layer_state_one_sequence_only():
    with pytest.raises(AssertionError) as info:
        nb05.check_layer_state(lambda h, i: h[i][-1], top_layer)
    msg = str(info.value)
    assert "layer_state(h_n, 0) has shape (5,): the state of ONE sequence" in msg
    assert "unsqueeze" not in msg
    assert msg.endswith("Fix:  return h_n[0]")


def test_stacked_lstm_drops_the_states_too():
    class DropsStates(StackedLSTM):
        def forward(self, x):
            hs, cs, out = [], [], x
            for i, layer in enumerate(self.layers):
                out, (h, c) = layer(out)
                if i < len(self.layers) - 1:
                    out = nn.functional.dropout(out, p=self.dropout, training=self.training)
                    h = nn.functional.dropout(h, p=self.dropout, training=self.training)
                hs.append(h)
                cs.append(c)
            return out, (torch.cat(hs), torch.cat(cs))
    with pytest.raises(AssertionError) as info:
        nb05.check_stacked_lstm(DropsStates)
    msg = str(info.value)
    assert "in train mode h_n was dropped too" in msg
    assert "x itself was dropped" not in msg
    assert "h_n and c_n are never dropped" in msg


def test_stacked_lstm_fixed_p():
    class FixedP(StackedLSTM):
        def forward(self, x):
            hs, cs, out = [], [], x
            for i, layer in enumerate(self.layers):
                out, (h, c) = layer(out)
                hs.append(h)
                cs.append(c)
                if i < len(self.layers) - 1:
                    out = nn.functional.dropout(out, p=0.5, training=self.training)
            return out, (torch.cat(hs), torch.cat(cs))
    nb05.check_stacked_lstm(FixedP, dropout=0.5)
    with pytest.raises(AssertionError) as info:   # the visible check builds the stack with p = 0.4
        nb05.check_stacked_lstm(FixedP)
    msg = str(info.value)
    assert "in train mode your stack drops with p=0.5, but it was built with dropout=0.4" in msg
    assert msg.endswith("Fix:  nn.functional.dropout(out, p=self.dropout, training=self.training)")
    with pytest.raises(AssertionError) as info:
        nb05.check_stacked_lstm(FixedP, dropout=0.0)
    msg = str(info.value)
    assert "built with dropout=0.0, yet in train mode two runs give different outputs" in msg
    assert msg.endswith("Fix:  nn.functional.dropout(out, p=self.dropout, training=self.training)")


# --- the visible check (default arguments) is what a self-paced learner sees ---------------------

from course_utils.grading.visible import visible_failure  # noqa: E402

graded = mistakes("05")


@pytest.mark.parametrize("wrong", graded.WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_each_graded_wrong_answer(wrong):
    """Every wrong answer the grading catches, the visible check (default arguments) catches too."""
    failures = visible_failure(graded.A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"


def test_layer_state_transposes_the_callers_h_n():
    """issue 17, item 8: batch-first thinking, in place: the right rows, but h_n is left transposed."""
    def in_place(h_n, layer):
        return h_n.transpose_(0, 1)[:, layer]

    with pytest.raises(AssertionError) as info:
        nb05.check_layer_state(in_place, top_layer)
    text = str(info.value)
    assert "changed h_n in place:\n" in text and "transpose_ (or t_) swapped its axes." in text, text
