"""course_utils.explain: every error it explains is provoked here from real PyTorch code (a new
PyTorch wording fails a test), the explanation is checked, and where it offers a fix, the fix is
applied and runs. An error it does not know passes through untouched."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_utils.explain import EXPLAINERS, HEADER, explain, explain_exception
from course_utils.grading.pytorch_errors import CASES, PACKED, X, backward_twice


def _raise(code) -> BaseException:
    with pytest.raises(Exception) as info:
        code()
    return info.value


@pytest.mark.parametrize("name, code, words", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_real_pytorch_error_gets_its_explanation(name, code, words):
    error = _raise(code)
    text = f"{type(error).__name__}: {error}"
    matched = [e.name for e in EXPLAINERS if e.match(text, None)]
    assert matched[:1] == [name], f"{text!r} matched {matched}"
    explanation = explain_exception(error)
    assert explanation is not None
    for w in words:
        assert w in explanation, f"{w!r} not in:\n{explanation}"
    assert len(explanation.splitlines()) <= 8
    too_long = [line for line in explanation.splitlines() if len(line) > 88]
    assert not too_long, f"lines over 88 columns wrap in JupyterLab: {too_long}"
    fix_lines = [line for line in explanation.splitlines() if line.startswith(("  Fix:", "  Or:"))]
    assert fix_lines or name == "pack-zero-length", "an explanation ends with code that fixes it"


@pytest.mark.parametrize("name, code, words", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_cause_alone_keeps_the_cause_and_drops_the_fix(name, code, words):
    """fix=False (notebook 13 shows it above an exercise): the lines before `Fix:`, no code to copy."""
    error = _raise(code)
    full, cause = explain_exception(error), explain_exception(error, fix=False)
    assert cause and full.startswith(cause) and len(cause) < len(full)
    assert not any(line.lstrip().startswith(("Fix:", "Or:")) for line in cause.splitlines()), cause
    assert explain(f"{type(error).__name__}: {error}", fix=False) == cause


def test_the_cause_alone_of_the_clinics_errors_names_no_repair():
    """Cases 4 and 7 of notebook 13: the explanation shown there gives the cause, not the fix line."""
    cause = explain_exception(_raise(backward_twice), fix=False)
    assert "still links to that batch's graph" in cause and "detach()" not in cause
    cause = explain_exception(_raise(lambda: nn.CrossEntropyLoss()(torch.randn(4, 7, 5),
                                                                   torch.randint(0, 5, (4, 7)))), fix=False)
    assert "CLASS axis as axis 1" in cause and "transpose" not in cause


def test_every_explanation_is_provoked_by_a_test():
    assert {e.name for e in EXPLAINERS} == {name for name, _, _ in CASES}
    assert len(EXPLAINERS) >= 15


def test_generic_messages_are_explained_only_where_they_come_from():
    """'index out of range in self' from a plain list index is not an embedding's business."""
    assert explain("IndexError: index out of range in self", where="/home/me/my_code.py") is None
    assert explain("IndexError: index out of range in self", where="/x/torch/nn/functional.py")
    assert explain("IndexError: index out of range in self") is not None  # command line: no context


def test_an_unknown_error_passes_through():
    assert explain_exception(_raise(lambda: [][1])) is None
    assert explain_exception(_raise(lambda: torch.zeros(2, 3) @ torch.zeros(2, 3))) is None


# --- the fixes the explanations offer, applied to the code that failed --------------------------


def test_the_offered_fixes_run():
    lengths = torch.tensor([3, 7, 1, 5])
    pack_padded_sequence(X, lengths, batch_first=True, enforce_sorted=False)
    pack_padded_sequence(X, torch.tensor([[7, 5, 3, 1]]).view(-1), batch_first=True)
    nn.CrossEntropyLoss()(torch.randn(4, 7, 5).transpose(1, 2), torch.randint(0, 5, (4, 7)))
    logits = torch.randn(4, 7, 5)
    nn.CrossEntropyLoss()(logits.reshape(-1, 5), torch.randint(0, 5, (4, 7)).reshape(-1))
    nn.CrossEntropyLoss()(torch.randn(4, 5), torch.randint(0, 5, (4, 1)).squeeze(1))
    nn.BCEWithLogitsLoss()(torch.randn(4, 1).squeeze(-1), torch.tensor([1, 0, 1, 0]).float())
    torch.randn(7, 4, 5).transpose(0, 1).reshape(4, 35)
    x = torch.randn(7, 4, 3)
    h0 = torch.zeros(1, x.size(1), 20)
    nn.LSTM(3, 20)(x, (h0, torch.zeros_like(h0)))
    nn.LSTM(3, 20)(torch.randn(7, 3).unsqueeze(1), (torch.zeros(1, 1, 20),) * 2)
    nn.LSTM(3, 20)(torch.randn(7, 4, 3, dtype=torch.float64).to(torch.float32))
    nn.Embedding(11, 3)(torch.tensor([[1.0, 2.0]]).long())
    pad_packed_sequence(PACKED, batch_first=True, total_length=X.size(1))
    lstm, x = nn.LSTM(3, 5), torch.randn(7, 4, 3)
    out, state = lstm(x)
    out.sum().backward()
    state = tuple(s.detach() for s in state)
    out, state = lstm(x, state)
    out.sum().backward()


# --- where a learner meets them: a notebook, and the command line ---------------------------------


def test_in_a_notebook_pytorchs_error_stays_whole_and_the_explanation_follows():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        "import torch\nfrom torch import nn\nimport course_utils as cu\ncu.display.install()",
        "lstm = nn.LSTM(input_size=10, hidden_size=20)   # seq-first\n"
        "x = torch.randn(4, 7, 3)                        # (batch, seq, feature), 3 features\n"
        "out, (h_n, c_n) = lstm(x)",
        "[][1]",
    )]
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    (error,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert error.ename == "RuntimeError"
    assert error.evalue == "input.size(-1) must be equal to input_size. Expected 10, got 3"
    text = "\n".join(error.traceback)
    assert "lstm(x)" in text  # the learner's own line, in IPython's traceback
    assert text.index("Expected 10, got 3") < text.index(HEADER)
    assert "Fix:  nn.LSTM(input_size=3, ...)" in text
    (plain,) = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert HEADER not in "\n".join(plain.traceback)


def test_the_command_line_explains_or_says_it_cannot():
    run = [sys.executable, "-m", "course_utils", "explain"]
    known = subprocess.run(run + ["RuntimeError: Expected hidden[0] size (1, 4, 20), got [1, 7, 20]"],
                           capture_output=True, text=True)
    assert known.returncode == 0 and known.stdout.startswith("h0 must be (layers x directions=1, batch=4")
    unknown = subprocess.run(run + ["KeyError: 'x'"], capture_output=True, text=True)
    assert unknown.returncode == 1 and "knows no explanation" in unknown.stdout
    empty = subprocess.run(run, capture_output=True, text=True)
    assert empty.returncode == 2 and "takes the error text" in empty.stderr
