"""The test split stays closed until the graded model is trained: held-out grades in notebooks 08-12.

A test score means something only if nothing about the model (its weights, its epoch, its settings)
was chosen by looking at the test split. Notebooks 08-12 therefore follow one protocol:

1. the locked setup cell calls `hold_out("the test sentences")`: from then on, asking
   `course_utils.data` for a test split (`split="test"` or `"all"`) raises `TestSplitClosed`, and the
   attempt is recorded, even when the caller catches the error;
2. the locked training cell trains the learner's model on the training split, chooses on the
   validation split, then calls `seal(model)`: the weights' fingerprint is recorded and the test
   split opens;
3. the held-out check calls `require_sealed(model)` before it measures anything: it fails when the
   test split was asked for while closed, when the model is not the one sealed, or when its weights
   changed after the seal (more training, on whatever data).

nbgrader's autograde runs the notebook from the top, so a submission that trains on the test split,
or chooses its epoch on it, loses the held-out points and is told why. This guards against mistakes
and against the obvious shortcut, not against code written to get around it: reading the data files
directly is the business of the grading sandbox (`course_utils.grading.integrity` flags answers that name
this module).
"""

from __future__ import annotations

import hashlib
import traceback

import torch


class TestSplitClosed(RuntimeError):
    """The test split was asked for before the model was trained and sealed."""

    __test__ = False  # not a pytest test class


_state = {"what": None, "closed": False, "attempts": [], "seal": None}


def hold_out(what: str = "the test split") -> None:
    """Close the test split until `seal(model)`; forget earlier attempts and seals (a fresh run)."""
    _state.update(what=what, closed=True, attempts=[], seal=None)


def is_closed() -> bool:
    return _state["closed"]


def _caller() -> str:
    """Where the request came from: the innermost frame outside course_utils (a notebook cell)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "course_utils" not in frame.filename.replace("\\", "/"):
            line = (frame.line or "").strip() or f"line {frame.lineno} of {frame.filename}"
            line = line if len(line) <= 60 else line[:57] + "..."      # messages stay within 88 columns
            return f"{frame.name}(): {line}" if frame.name != "<module>" else line
    return "course_utils"


def guard(split: str, source: str) -> None:
    """Called by course_utils.data before it returns a split that holds test items."""
    if not _state["closed"] or split not in ("test", "all"):
        return
    where = _caller()
    _state["attempts"].append(f"{source}({split!r}) from: {where}")
    raise TestSplitClosed(
        f"{source}({split!r}): {_state['what']} stay closed until the model is trained.\n"
        "  A test score is honest only if nothing (the weights, the epoch, a setting) was chosen\n"
        "  on the test split; this request is recorded, and the held-out check will not pass.\n"
        "  Fix:  train on the training split, choose on the validation split; the locked training\n"
        "        cell opens the test split when it is done (then Kernel > Restart & Run All)"
    )


def fingerprint(model: torch.nn.Module) -> str:
    """A hash of every parameter and buffer: equal exactly when the weights are."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(name.encode())
        digest.update(str(flat.dtype).encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return digest.hexdigest()


def seal(model: torch.nn.Module) -> None:
    """Record the trained model (the object and its weights), then open the test split."""
    _state["seal"] = (id(model), fingerprint(model))
    _state["closed"] = False


def sealed_problem(model) -> str | None:
    """Why `model` cannot be graded on held-out data, or None when it can."""
    if _state["attempts"]:
        asked = "\n".join(f"    {a}" for a in _state["attempts"][:3])
        return (f"{_state['what']} were asked for before the model was trained and sealed:\n{asked}\n"
                "  A model trained, or an epoch or a setting chosen, with the test split in reach\n"
                "  has a test score that says nothing about new data.\n"
                "  Fix:  remove that request, then Kernel > Restart & Run All")
    if _state["seal"] is None:
        return ("no trained model was sealed: the locked training cell ends with\n"
                "  cu.heldout.seal(model), and it has not run in this kernel.\n"
                "  Fix:  Kernel > Restart & Run All (the training cell trains and seals the model)")
    sealed_id, sealed_print = _state["seal"]
    if id(model) != sealed_id:
        return ("this is not the model the training cell trained and sealed: `model` was replaced\n"
                "  after training. Only the model trained on the training split is graded.\n"
                "  Fix:  do not assign to `model` after the training cell; Kernel > Restart & Run All")
    if fingerprint(model) != sealed_print:
        return ("the model's weights changed after the training cell sealed them: it was trained\n"
                "  further (or its weights edited) after training was over, perhaps on the test split.\n"
                "  Fix:  experiment on a copy (copy.deepcopy(model)); Kernel > Restart & Run All")
    return None


def require_sealed(model) -> None:
    """Raise CheckFailed unless `model` is the sealed model, trained with the test split closed."""
    __tracebackhide__ = True
    from .checks.common import CheckFailed

    problem = sealed_problem(model)
    if problem is not None:
        raise CheckFailed(problem)
