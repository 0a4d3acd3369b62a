"""In a notebook, a failed course check shows its message only; other errors keep their traceback,
and both still fail the cell (so nbgrader gives no points)."""

import nbformat
from nbclient import NotebookClient


def run(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    return [[o for o in c.outputs if o.output_type == "error"] for c in nb.cells]


def test_course_errors_show_the_message_alone_and_still_fail_the_cell():
    errors = run(
        "import torch, course_utils as cu",
        "cu.check_shape(torch.zeros(7, 4, 5), 'batch seq hidden', batch=4, seq=7, hidden=5, name='out')",
        "def f():\n    return [][1]\nf()",
    )
    assert errors[0] == []
    (shape_error,) = errors[1]
    assert shape_error.ename == "ShapeError"
    assert shape_error.traceback == [f"ShapeError: {shape_error.evalue}"]
    assert shape_error.evalue.startswith("out should be (batch=4, seq=7, hidden=5)")
    (index_error,) = errors[2]
    assert index_error.ename == "IndexError" and len(index_error.traceback) > 1  # learner's own code
