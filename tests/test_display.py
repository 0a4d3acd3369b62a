"""In a notebook, a failed course check shows its message only; other errors keep their traceback,
and both still fail the cell (so nbgrader gives no points)."""

import nbformat
from nbclient import NotebookClient

from course_utils.display import wrap


def run(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    return [[o for o in c.outputs if o.output_type == "error"] for c in nb.cells]


def test_course_errors_show_the_message_alone_and_still_fail_the_cell():
    errors = run(
        "import torch, course_utils as cu\ncu.display.install()",
        "cu.check_shape(torch.zeros(7, 4, 5), 'batch seq hidden', batch=4, seq=7, hidden=5, name='out')",
        "def f():\n    return [][1]\nf()",
    )
    assert errors[0] == []
    (shape_error,) = errors[1]
    assert shape_error.ename == "ShapeError"
    assert shape_error.traceback == [wrap(f"ShapeError: {shape_error.evalue}")]
    assert shape_error.evalue.startswith("out should be (batch=4, seq=7, hidden=5)")
    (index_error,) = errors[2]
    assert index_error.ename == "IndexError" and len(index_error.traceback) > 1  # learner's own code


def test_without_the_setup_cells_install_an_error_keeps_its_whole_traceback():
    """Importing course_utils changes nothing: the short display is the setup cell's choice."""
    errors = run("import torch, course_utils as cu",
                 "cu.check_shape(torch.zeros(7, 4, 5), 'batch seq', batch=7, seq=4, name='x')")
    (shape_error,) = errors[1]
    assert shape_error.ename == "ShapeError" and len(shape_error.traceback) > 1


def test_an_unwritten_exercise_shows_one_line_in_its_try_it_cell():
    """Run All stops at the first stub with the check cell's message, not a red traceback."""
    stub = "def pad_batch(seqs, pad_id):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    errors = run("import course_utils as cu\ncu.display.install()", stub, "ids, lengths = pad_batch([[1, 2]], 0)",
                 "raise NotImplementedError('torch says: not for sparse tensors')",
                 "import torch\ntorch.zeros(2).to_sparse().view(1, 2)")
    (stub_error,) = errors[2]
    assert stub_error.ename == "NotImplementedError"  # still an error: the cell fails, Run All stops
    assert stub_error.traceback == [
        "NotDoneYet: pad_batch() is not written yet: replace `raise NotImplementedError()` in its\n"
        "  cell with your code, run that cell, then run this cell again."]
    (with_message,) = errors[3]  # a NotImplementedError that says something keeps its traceback
    assert len(with_message.traceback) > 1
    assert errors[4] and len(errors[4][0].traceback) > 1


def test_long_messages_wrap_at_word_boundaries_keeping_their_indent():
    from course_utils.display import WIDTH, wrap

    message = ("CheckFailed: row 0 should be padded with pad_id=3 after its 3 ids, but the padding "
               "is [0, 0, 0, 0].\n  Fix:  torch.full((batch, seq), pad_id, dtype=torch.long)   or   "
               "pad_sequence(seqs, batch_first=True, padding_value=pad_id)")
    lines = wrap(message).splitlines()
    assert all(len(line) <= WIDTH for line in lines), lines
    assert " ".join(" ".join(lines).split()) == " ".join(message.split())  # nothing lost or cut
    assert lines[2].startswith("  Fix:  torch.full(") and lines[3].startswith("    ")
    assert wrap("short\n  indented") == "short\n  indented"
