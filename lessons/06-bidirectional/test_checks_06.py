"""The checks of notebook 06 (bidirectional LSTMs): right answers pass, realistic wrong answers fail
with a message that names the mistake and the fix. Pins the wording the learner reads. No nbgrader.

The right answers are the solution notebook's own cells; every wrong answer graded in
lessons/06-bidirectional/mistakes.py is applied to them here and run against the VISIBLE check alone (the call a
self-paced learner runs), which must catch it with its own message.
"""

import re
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

from course_utils.checks import nb06
from course_utils.checks.common import NotDoneYet
from course_utils.grading.lessons import mistakes
from course_utils.grading.visible import visible_failure, visible_part

POINTS, WRONG_ANSWERS, A = mistakes("06").POINTS, mistakes("06").WRONG_ANSWERS, mistakes("06").A

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = nbformat.read(REPO / "solutions" / "06-bidirectional" / "06-bidirectional.ipynb", as_version=4)
SOURCES = {c.metadata["nbgrader"]["grade_id"]: c.source for c in NOTEBOOK.cells
           if c.metadata.get("nbgrader", {}).get("solution")}
TEST_CELLS = {c.metadata["nbgrader"]["grade_id"]: c.source for c in NOTEBOOK.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
CHECKS = {"direction_states": nb06.check_direction_states, "sentence_vector": nb06.check_sentence_vector,
          "BiClassifier": nb06.check_bi_classifier, "split_bidirectional": nb06.check_split_bidirectional,
          "manual_bidirectional": nb06.check_manual_bidirectional}
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def build(cell, source=None):
    """The learner's function or class, defined from a (possibly edited) copy of the solution cell."""
    namespace = {"torch": torch, "nn": nn}
    exec(source if source is not None else SOURCES[cell], namespace)
    return namespace[cell]


def solution(cell):
    return build(cell)


def failure(check, fn, **kwargs) -> str:
    """The message of a failed check; also the rules every message follows."""
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    assert not isinstance(info.value, NotDoneYet), str(info.value)
    message = str(info.value)
    lines = message.splitlines()
    assert all(len(line) <= 88 for line in lines), "\n".join(line for line in lines if len(line) > 88)
    assert len(lines) <= 8, message
    return message


def not_done(*args, **kwargs):
    raise NotImplementedError()


# --- the solution passes the visible and the hidden tests -----------------------------------------


@pytest.mark.parametrize("grade_id", sorted(TEST_CELLS))
def test_solution_passes_the_whole_test_cell(grade_id, capsys):
    namespace = {name: solution(name) for name in SOURCES}
    exec(TEST_CELLS[grade_id], namespace)
    out = capsys.readouterr().out
    assert out.count("PASSED") == TEST_CELLS[grade_id].count("nb06.check_"), out


@pytest.mark.parametrize("cell", sorted(CHECKS))
def test_visible_check_says_passed(cell, capsys):
    CHECKS[cell](solution(cell))
    assert capsys.readouterr().out.startswith("PASSED")


@pytest.mark.parametrize("cell", sorted(CHECKS))
def test_stub_is_not_done_yet(cell):
    if cell == "BiClassifier":
        class Stub(nn.Module):
            def __init__(self, *args):
                super().__init__()
                raise NotImplementedError()
        fn = Stub
    else:
        fn = not_done
    with pytest.raises(NotDoneYet, match=cell):
        CHECKS[cell](fn)


def test_passed_lines_are_short(capsys):
    for cell, check in CHECKS.items():
        check(solution(cell))
    assert all(len(line) <= 88 for line in capsys.readouterr().out.splitlines())


# --- every graded wrong answer is caught by the visible check, with its own message -----------------

PINNED = {
    "rows read as [all forward layers, then all backward layers]":
        ["read the rows as [all forward, then all backward]", "h_n[:3]", "interleaves", "row 2 * layer"],
    "directions swapped: backward taken as row 2 * l": ["the other way round", "(backward, forward)"],
    "the top layer only": ["one layer's", "(batch=2, hidden=3)", "Keep every layer"],
    "view splits the batch axis into directions": ["is no row of h_n", "view keeps memory"],
    "out[-1] whole: the backward half has read one step (the seed article's classifier)":
        ["returned out[-1], the last step, whole", "ONE step", "ends at step 0",
         "Fix:  H = out.shape[-1] // 2;  torch.cat([out[-1, :, :H], out[0, :, H:]], dim=-1)"],
    "batch_first ignored": ["(seq=5, 2 x hidden=12)", "not (batch=2", "wrong axis as the steps",
                            "torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1)"],
    "hidden fixed at the notebook's 5": ["split out at column 5", "2 x hidden = 8 columns", "out[..., :4]"],
    "backward state first": ["wrong order", "backward first"],
    "the caller's batch-first out transposed in place (transpose_)":
        ["sentence_vector(out, batch_first=True) changed out in place:",
         "out was (2, 5, 12), now (5, 2, 12): transpose_ (or t_) swapped its axes.",
         "Fix:  x = out.transpose(0, 1)    a new view; out keeps its layout"],
    "h_n[-1] alone as the sentence vector: the backward direction only":
        ["fed the head h_n[-1] alone", "BACKWARD direction only",
         "PyTorch says: mat1 and mat2 shapes cannot be multiplied (3x4 and 8x2)"],
    "h_n rows reshaped with view instead of concatenated per direction":
        ["h_n[-2:] reshaped with view", "wrong rows", "sequence 1's"],
    "a head of size hidden instead of 2 x hidden":
        ["self.head is nn.Linear(4, 2)", "2 x hidden = 8",
         "PyTorch says: mat1 and mat2 shapes cannot be multiplied (3x8 and 4x2)",
         "Fix:  self.head = nn.Linear(2 * hidden_size, num_classes)"],
    "batch_first forgotten: the LSTM reads (batch, seq) ids as (seq, batch)":
        ["read the batch as the steps", "7 sequences, not 3", "batch_first=True"],
    "rows 0 and 1 fixed: layer 0 of a stack": ["rows 0 and 1 of h_n", "LAYER 0 of 2", "h_n[-2] and h_n[-1]"],
    "out[:, -1, :], the seed article's line, made bidirectional":
        ["fed the head out[:, -1], the last step", "ONE step"],
    "*_reverse weights not copied: the forward weights used for both directions":
        ["layers_bw[0].weight_ih_l0 holds bi.weight_ih_l0", "FORWARD direction's weights",
         "bi.weight_ih_l0_reverse"],
    "layers above 0 built to read hidden, not 2 x hidden":
        ["wrong shape", "BOTH directions", "2 x hidden = 8", "(16, 8)",
         "Fix:  size = bi.input_size if l == 0 else 2 * bi.hidden_size"],
    "batch_first not carried over": ["layers_fw[0] has batch_first=False", "but bi has batch_first=True",
                                     "Fix:  nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first)"],
    "biases forgotten": ["bias_ih_l0", "the biases were not copied", "FOUR tensors"],
    "the backward LSTM fed the sequence without flipping it":
        ["out differs from nn.LSTM's", "read x from the first step", "reverse order", "bw(out.flip(t)"],
    "the backward output not flipped back": ["not flipped back", "seq - 1 - t", "out_bw.flip(t)"],
    "h_n rows as [all forward layers, then all backward]":
        ["rows of h_n", "[all forward layers, then all backward layers]", "interleaves"],
    "initial state rows read as [all forward, then all backward]":
        ["rows of (h0, c0) were read as [all forward, then all backward]", "row 2 * l + 1"],
    "batch_first ignored: flips the batch axis of batch-first x":
        ["(2 layers, batch_first, from (h0, c0))", "order of the SEQUENCES", "axis 1"],
    "directions joined backward first": ["wrong order, backward first", "out[..., :hidden]"],
    "every layer reads x instead of the layer below":
        ["gave x to a layer above 0", "Expected 8, got 2", "torch.cat([out_fw, out_bw.flip(t)], dim=-1)"],
}


def test_every_wrong_answer_is_pinned():
    assert sorted(PINNED) == sorted(w.why for w in WRONG_ANSWERS)
    assert len(WRONG_ANSWERS) >= 8


def test_visible_calls_use_default_arguments():
    for test_id in POINTS:
        visible = visible_part(A, test_id)
        assert visible.count("nb06.check_") == 1, visible
        assert re.search(r"nb06\.check_\w+\(\w+\)\n", visible), visible


@pytest.mark.parametrize("wrong", WRONG_ANSWERS, ids=lambda w: w.why)
def test_visible_check_catches_wrong_answer(wrong):
    """The visible part of the test cell, run after the edited answer cell (what a learner runs),
    fails with the message pinned for this mistake; so does the check called alone."""
    failures = visible_failure(A, wrong)
    assert all(failures.values()), f"the visible check passed {wrong.why!r}: {failures}"
    edited = SOURCES[wrong.cell].replace(wrong.old, wrong.new)
    message = failure(CHECKS[wrong.cell], build(wrong.cell, edited))
    assert message in next(iter(failures.values()))
    for words in PINNED[wrong.why]:
        assert words in message, message
    assert message.splitlines()[-1].startswith("  Fix:  "), message


# --- exercise 1: direction_states, more mistakes --------------------------------------------------


@pytest.mark.parametrize("fn, words", [
    (lambda h, n: h, ["should return two tensors, (forward, backward)", "a Tensor"]),
    (lambda h, n: (h.view(n, 2, -1, h.shape[-1]),) * 2, ["both directions, the whole view"]),
    (lambda h, n: (h[0::2], h[0::2]), ["backward[0] from direction_states(h_n, num_layers=1) holds h_n[0]",
                                       "layer 0's forward direction", "row 2 * 0 + 1 = 1"]),
    (lambda h, n: (h[0::2].transpose(0, 1), h[1::2].transpose(0, 1)), ["forward states", "(2, 1, 3)"]),
])
def test_direction_states_wrong(fn, words):
    message = failure(nb06.check_direction_states, fn)
    for w in words:
        assert w in message, message


def test_direction_states_fix_line_runs():
    message = failure(nb06.check_direction_states, lambda h, n: (h[:n], h[n:]))
    fix = message.splitlines()[-1].split("Fix:  ", 1)[1]
    namespace = {}
    exec("def direction_states(h_n, num_layers):\n    " + fix.replace(";  ", "\n    "), namespace)
    nb06.check_direction_states(namespace["direction_states"])


def test_direction_states_blocks_pass_one_layer_but_not_three():
    blocks = lambda h, n: (h[:n], h[n:])  # noqa: E731
    nb06.check_direction_states(blocks, num_layers=1)
    assert "interleaves" in failure(nb06.check_direction_states, blocks, num_layers=3)


# --- exercise 2: sentence_vector, more mistakes ---------------------------------------------------


def _steps(out, batch_first):
    return out.transpose(0, 1) if batch_first else out


@pytest.mark.parametrize("fn, words", [
    (lambda out, bf: _steps(out, bf)[0], ["returned out[0], the first step, whole", "forward half has read"]),
    (lambda out, bf: torch.cat([_steps(out, bf)[0, :, :out.shape[-1] // 2],
                                _steps(out, bf)[-1, :, out.shape[-1] // 2:]], dim=-1),
     ["each half at the wrong end", "one step only"]),
    (lambda out, bf: _steps(out, bf)[-1, :, :out.shape[-1] // 2], ["(batch=3, hidden=4)", "one direction only"]),
    (lambda out, bf: _steps(out, bf).mean(dim=0), ["the sentence vector has the right shape (3, 8) but other",
                                                   "Fix:  H ="]),
    (lambda out, bf: torch.cat([out[-1, :, :out.shape[-1] // 2], out[0, :, out.shape[-1] // 2:]], dim=-1)
     if not bf else out[:, -1], ["returned out[:, -1], the last step, whole"]),
])
def test_sentence_vector_wrong(fn, words):
    message = failure(nb06.check_sentence_vector, fn)
    for w in words:
        assert w in message, message


def test_sentence_vector_layout_swapped_the_other_way():
    def inverted(out, batch_first):
        return solution("sentence_vector")(out, not batch_first)
    message = failure(nb06.check_sentence_vector, inverted)
    assert "With batch_first=False, out is (seq, batch, 2 x hidden): the steps are axis 0" in message


@pytest.mark.parametrize("batch_first", [False, True])
def test_sentence_vector_fix_line_runs(batch_first):
    message = failure(nb06.check_sentence_vector, lambda out, bf: _steps(out, bf)[-1], batch_first=batch_first)
    first, last = message.splitlines()[-1].split("Fix:  ", 1)[1].split(";  ")

    def fixed(out, batch_first):
        namespace = {"out": out, "torch": torch}
        exec(first, namespace)
        return eval(last, namespace)
    nb06.check_sentence_vector(fixed, batch_first=batch_first)


# --- exercise 3: BiClassifier, more mistakes ------------------------------------------------------


def classifier(*, sentence="torch.cat([h_n[-2], h_n[-1]], dim=-1)", bidirectional=True, padding=True,
               post="logits"):
    """A family of wrong answers, one per argument; right with the defaults."""
    class BiClassifier(nn.Module):
        def __init__(self, vocab_size, emb_dim, hidden_size, num_classes, pad_id, num_layers=1):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id if padding else None)
            self.lstm = nn.LSTM(emb_dim, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional)
            self.head = nn.Linear(2 * hidden_size, num_classes)

        def forward(self, ids):
            out, (h_n, c_n) = self.lstm(self.embedding(ids))
            logits = self.head(eval(sentence, {"torch": torch, "h_n": h_n, "out": out, "ids": ids}))
            return eval(post, {"torch": torch, "logits": logits})
    return BiClassifier


def test_bi_classifier_own_right_answer_passes(capsys):
    nb06.check_bi_classifier(classifier())
    nb06.check_bi_classifier(classifier(), num_layers=3, hidden_size=2, pad_id=0, seed=1)
    assert capsys.readouterr().out.count("PASSED") == 2


@pytest.mark.parametrize("cls, words", [
    (classifier(bidirectional=False), ["reads one direction only", "bidirectional=True"]),
    (classifier(padding=False), ["padding_idx=None", "the <pad> id is 1", "padding_idx=pad_id"]),
    (classifier(sentence="h_n[-2]"), ["h_n[-2] alone", "forward direction only", "PyTorch says: mat1"]),
    (classifier(sentence="torch.cat([h_n[-1], h_n[-2]], dim=-1)"), ["wrong order", "backward first"]),
    (classifier(sentence="out[:, 0]"), ["out[:, 0], the first step", "forward half has read one step"]),
    (classifier(sentence="out[-1]"), ["one row per step, shape (7, 8)", "last SEQUENCE"]),
    (classifier(sentence="h_n.view(ids.shape[0], -1)"), ["layers=2", "h_n reshaped with view to (batch, -1)",
                                                         "mixes the rows"]),
    (classifier(post="torch.softmax(logits, dim=-1)"), ["into probabilities", "nn.CrossEntropyLoss"]),
    (classifier(sentence="out.mean(dim=1)"), ["a tensor of shape (3, 8) that is not", "(batch=3, 2 x hidden=8)"]),
])
def test_bi_classifier_wrong(cls, words):
    kwargs = {"num_layers": 2} if "layers=2" in words else {}
    words = [w for w in words if w != "layers=2"]
    message = failure(nb06.check_bi_classifier, cls, **kwargs)
    for w in words:
        assert w in message, message


def test_bi_classifier_fix_line_runs():
    message = failure(nb06.check_bi_classifier, classifier(sentence="h_n[-1]"))
    fix = message.splitlines()[-1].split("Fix:  ", 1)[1]
    assert fix == "self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))"
    nb06.check_bi_classifier(classifier(sentence=fix[len("self.head("):-1]))


# --- exercise 4: split_bidirectional, more mistakes -----------------------------------------------


def splitter(*, no_grad=True, share=False, swap=False, into_layer=False, bidirectional=False, copy=None):
    """A family of wrong answers, one per argument; right with the defaults."""
    def split_bidirectional(bi):
        result = ([], [])
        for layer in range(bi.num_layers):
            size = bi.input_size if layer == 0 else 2 * bi.hidden_size
            for d, suffix in enumerate(("_reverse", "") if swap else ("", "_reverse")):
                single = nn.LSTM(size, bi.hidden_size, batch_first=bi.batch_first, bidirectional=bidirectional)
                for name in PARAMS:
                    if copy is not None:
                        with torch.no_grad():
                            exec(copy, {"single": single, "bi": bi, "name": name, "l": layer, "suffix": suffix})
                    elif share:
                        setattr(single, f"{name}_l0", getattr(bi, f"{name}_l{layer}{suffix}"))
                    else:
                        target = getattr(single, f"{name}_l{layer if into_layer else 0}")
                        if no_grad:
                            with torch.no_grad():
                                target.copy_(getattr(bi, f"{name}_l{layer}{suffix}"))
                        else:
                            target.copy_(getattr(bi, f"{name}_l{layer}{suffix}"))
                result[d].append(single)
        return result
    return split_bidirectional


def test_split_bidirectional_own_right_answer_and_fix_line_pass(capsys):
    nb06.check_split_bidirectional(splitter())
    nb06.check_split_bidirectional(splitter(copy=nb06.FIX_COPY))
    nb06.check_split_bidirectional(lambda bi: tuple(nn.ModuleList(m) for m in solution("split_bidirectional")(bi)))
    assert capsys.readouterr().out.count("PASSED") == 3


@pytest.mark.parametrize("fn, words", [
    (splitter(share=True), ["is the very same tensor as bi.weight_ih_l0, not a copy", "torch.no_grad()"]),
    (splitter(no_grad=False), ["while autograd was recording", "leaf Variable", "with torch.no_grad():"]),
    (splitter(swap=True), ["layers_fw[0].weight_ih_l0 holds bi.weight_ih_l0_reverse", "BACKWARD",
                           "Fix:  getattr(single, f'{name}_l0').copy_(getattr(bi, f'{name}_l{l}'))"]),
    (splitter(into_layer=True), ["does not exist", "has no attribute 'weight_ih_l1'", "_reverse"]),
    (splitter(bidirectional=True), ["should be a plain one-layer", "one-direction nn.LSTM"]),
    (lambda bi: solution("split_bidirectional")(bi)[0], ["two lists of one-layer LSTMs"]),
    (lambda bi: (solution("split_bidirectional")(bi)[0][:1], solution("split_bidirectional")(bi)[1]),
     ["layers_fw holds 1 LSTMs", "2 layers"]),
])
def test_split_bidirectional_wrong(fn, words):
    message = failure(nb06.check_split_bidirectional, fn)
    for w in words:
        assert w in message, message


def test_split_bidirectional_wrong_layer_when_feature_is_2_hidden():
    def off_by_one(bi):
        fw, bw = solution("split_bidirectional")(bi)
        with torch.no_grad():
            fw[1].weight_ih_l0.copy_(bi.weight_ih_l0)      # (4 x hidden, feature) == (4 x hidden, 2 x hidden)
        return fw, bw
    message = failure(nb06.check_split_bidirectional, off_by_one, feature=8, hidden=4)
    assert "layers_fw[1].weight_ih_l0 holds bi.weight_ih_l0" in message
    assert "the weights of layer 0, not of layer 1" in message


def test_split_bidirectional_leaves_bi_alone():
    def overwrite(bi):
        fw, bw = solution("split_bidirectional")(bi)
        with torch.no_grad():
            bi.weight_ih_l0.zero_()
        return fw, bw
    assert "changed bi: weight_ih_l0" in failure(nb06.check_split_bidirectional, overwrite)


# --- exercise 5: manual_bidirectional, more mistakes ----------------------------------------------


def manual(*, join_h="cat", top_only=False, swap_hc=False, one_step_h=False, state_rows="slice",
           flip_axis=None, one_direction=False, up_reads_fw=False, no_flip=False, pairs_swapped=False,
           state_swapped=False):
    """A family of wrong answers, one per flag; right with none set."""
    def manual_bidirectional(layers_fw, layers_bw, x, state=None):
        t = 1 if layers_fw[0].batch_first else 0
        f = t if flip_axis is None else flip_axis
        h_list, c_list, out = [], [], x
        for layer, (fw, bw) in enumerate(zip(layers_fw, layers_bw)):
            s_fw = s_bw = None
            if state is not None:
                h0, c0 = state
                a, b = (2 * layer + 1, 2 * layer) if state_swapped else (2 * layer, 2 * layer + 1)
                if state_rows == "slice":
                    s_fw, s_bw = (h0[a:a + 1], c0[a:a + 1]), (h0[b:b + 1], c0[b:b + 1])
                elif state_rows == "row":
                    s_fw, s_bw = (h0[a], c0[a]), (h0[b], c0[b])
                elif state_rows == "whole":
                    s_fw = s_bw = state
            out_fw, (h_fw, c_fw) = fw(out, s_fw)
            out_bw, (h_bw, c_bw) = bw(out if no_flip else out.flip(f), s_bw)
            out_bw = out_bw if no_flip else out_bw.flip(f)
            if one_step_h:
                h_bw = (out_bw[:, -1] if t else out_bw[-1]).unsqueeze(0)
            out = out_fw if up_reads_fw else torch.cat([out_fw, out_bw], dim=-1)
            h_list += [h_bw, h_fw] if pairs_swapped else [h_fw, h_bw]
            c_list += [c_bw, c_fw] if pairs_swapped else [c_fw, c_bw]
        if one_direction:
            out = out_fw
        if top_only:
            h_list, c_list = h_list[-2:], c_list[-2:]
        if join_h == "stack":
            h_n, c_n = torch.stack(h_list), torch.stack(c_list)
        elif join_h == "hidden":
            h_n = torch.cat([torch.cat(h_list[i:i + 2], dim=-1) for i in range(0, len(h_list), 2)])
            c_n = torch.cat([torch.cat(c_list[i:i + 2], dim=-1) for i in range(0, len(c_list), 2)])
        else:
            h_n, c_n = torch.cat(h_list), torch.cat(c_list)
        return out, ((c_n, h_n) if swap_hc else (h_n, c_n))
    return manual_bidirectional


def test_manual_bidirectional_own_right_answer_passes(capsys):
    nb06.check_manual_bidirectional(manual())
    nb06.check_manual_bidirectional(manual(), num_layers=4, seq=2, batch=1, feature=8, hidden=4, seed=5)
    assert capsys.readouterr().out.count("PASSED") == 2


@pytest.mark.parametrize("flags, words", [
    ({"join_h": "stack"}, ["has 4 axes", "torch.stack added an axis", "torch.cat(list_of_h_n, dim=0)"]),
    ({"join_h": "hidden"}, ["(2, 3, 8)", "joined along the hidden axis", "h_n[2 * l + d]"]),
    ({"top_only": True}, ["(2, 3, 4)", "the top layer only", "every layer and direction"]),
    ({"swap_hc": True}, ["holds the cell states", "h first, then c"]),
    ({"one_step_h": True}, ["h_n[1] of manual_bidirectional", "backward output", "LAST step",
                            "keep h_bw"]),
    ({"state_rows": "whole"}, ["initial state of the wrong shape", "Expected hidden[0] size (1, 3, 4)",
                               "Fix:  fw(out, (h0[2 * l:2 * l + 1], c0[2 * l:2 * l + 1]))"]),
    ({"state_rows": "row"}, ["initial state of the wrong shape", "should also be 3-D"]),
    ({"state_rows": "none"}, ["from zeros", "the state (h0, c0) was ignored"]),
    ({"state_swapped": True}, ["started from its backward direction's row"]),
    ({"flip_axis": 1}, ["(2 layers, from (h0, c0))", "order of the SEQUENCES", "axis 0"]),
    ({"one_direction": True}, ["out of manual_bidirectional (2 layers, from (h0, c0)) has 4 numbers",
                               "one direction only"]),
    ({"up_reads_fw": True}, ["one direction's output only, 4 features", "Expected 8, got 4"]),
    ({"no_flip": True}, ["read x as it is", "a second forward", "LSTM"]),
    ({"pairs_swapped": True}, ["backward direction first", "Row 2 * l is layer l's forward"]),
])
def test_manual_bidirectional_wrong(flags, words):
    message = failure(nb06.check_manual_bidirectional, manual(**flags))
    for w in words:
        assert w in message, message


def test_manual_bidirectional_returns_only_out():
    message = failure(nb06.check_manual_bidirectional, lambda *args: solution("manual_bidirectional")(*args)[0])
    assert "out, (h_n, c_n)" in message


def test_manual_bidirectional_h_n_as_list():
    def as_list(*args):
        out, (h_n, c_n) = solution("manual_bidirectional")(*args)
        return out, (list(h_n.split(1)), c_n)
    assert "not joined yet" in failure(nb06.check_manual_bidirectional, as_list)


# --- the fixtures are fixed: a learner's random state is left alone, and results do not vary --------


def test_checks_leave_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for cell, check in CHECKS.items():
        check(solution(cell))
    assert torch.equal(torch.rand(3), expected)


def test_unknown_argument_is_an_error_of_the_test_not_of_the_learner():
    with pytest.raises(TypeError, match=re.escape("unknown argument(s) ['hiden']")):
        nb06.check_sentence_vector(solution("sentence_vector"), hiden=3)


# --- inputs come back unchanged (issue 17, item 8) -------------------------------------------------

IN_PLACE = "Methods ending in _ (transpose_, masked_fill_, sub_), -= and x[...] = write into it."


def test_direction_states_resized_in_place():
    fn = build("direction_states", SOURCES["direction_states"].replace(
        "states = h_n.view(", "states = h_n.resize_("))
    message = failure(nb06.check_direction_states, fn)
    assert message.startswith("direction_states(h_n, num_layers=1) changed h_n in place:\n"
                              "  h_n was (2, 2, 3), now (1, 2, 2, 3).\n"), message
    assert IN_PLACE in message
    assert message.endswith("Fix:  x = h_n.clone()    then reshape x; or the method without the trailing _")


def test_bi_classifier_transposes_ids_in_place():
    source = (SOURCES["BiClassifier"].replace("batch_first=True)", "batch_first=False)")
              .replace("self.lstm(self.embedding(ids))", "self.lstm(self.embedding(ids.t_()))"))
    message = failure(nb06.check_bi_classifier, build("BiClassifier", source))
    assert message.startswith("BiClassifier.forward(ids) changed ids in place:\n"
                              "  ids was (3, 7), now (7, 3): transpose_ (or t_) swapped its axes."), message
    assert message.endswith("Fix:  x = ids.transpose(0, 1)    a new view; ids keeps its layout")


def test_manual_bidirectional_zeroes_the_callers_state():
    right = solution("manual_bidirectional")

    def zeroes_h0(layers_fw, layers_bw, x, state=None):
        result = right(layers_fw, layers_bw, x, state)
        if state is not None:
            state[0].zero_()                   # "reset the state for the next batch", on the caller's h0
        return result

    message = failure(nb06.check_manual_bidirectional, zeroes_h0)
    assert message.startswith("manual_bidirectional (2 layers, from (h0, c0)) changed h0 in place:\n"
                              "  48 of its 48 values were set to 0 (zero_, fill_, or x[...] = 0)."), message
    assert message.endswith("Fix:  x = h0.clone()    then change x; h0 stays as it was")


def test_manual_bidirectional_x_changed_in_place():
    right = solution("manual_bidirectional")

    def scales_x(layers_fw, layers_bw, x, state=None):
        result = right(layers_fw, layers_bw, x, state)
        x.mul_(2.0)                            # the caller's batch, doubled
        return result

    message = failure(nb06.check_manual_bidirectional, scales_x)
    assert message.startswith("manual_bidirectional (2 layers, from (h0, c0)) changed x in place:\n"
                              "  36 of its 36 values changed."), message
    assert message.endswith("Fix:  x = x.clone()    then change x; or use operations that return a new tensor")


def test_manual_bidirectional_changes_a_weight():
    right = solution("manual_bidirectional")

    def trains(layers_fw, layers_bw, x, state=None):
        result = right(layers_fw, layers_bw, x, state)
        with torch.no_grad():
            layers_fw[0].weight_ih_l0.add_(1.0)
        return result

    message = failure(nb06.check_manual_bidirectional, trains)
    assert message.startswith("manual_bidirectional (2 layers, from (h0, c0)) changed the weights of "
                              "layers_fw[0]\n  (weight_ih_l0)"), message


@pytest.mark.parametrize("cell", ["direction_states", "sentence_vector", "manual_bidirectional"])
def test_a_copy_inside_the_answer_passes(cell, capsys):
    """Working on a clone of the input, in place, is fine: only the caller's tensor must stay."""
    right = solution(cell)

    def on_a_copy(first, *rest, **kwargs):
        if cell == "manual_bidirectional":
            return right(first, rest[0], rest[1].clone(), *rest[2:], **kwargs)
        copy = first.clone()
        copy.mul_(1.0)                         # in place, on the answer's own copy
        return right(copy, *rest, **kwargs)

    CHECKS[cell](on_a_copy)
    assert "PASSED" in capsys.readouterr().out
