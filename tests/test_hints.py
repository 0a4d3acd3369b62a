"""No hint hands out the answer: the comments that survive of an answer cell in the student copy
(its `# Hint:` lines) share no piece of code with the solution they stand for.

A hint names the idea and the PyTorch API to read; it must not be the solution's code. The pieces
compared are the solution's assignments (`h_prev, c_prev = state`), its calls with arguments
(`logits.softmax(dim=-1)`, `.chunk(4, dim=1)`) and its indexing (`series[i : i + seq]`), at least
MIN_CHARS long without spaces; naming a function or method (`pack_padded_sequence`, `model.eval()`)
stays allowed. The docstring is the task's specification and is not compared.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(REPO.glob("solutions/*/*.ipynb"))
MIN_CHARS = 10
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _solution_lines(source: str) -> set[int]:
    """1-based numbers of the lines between BEGIN and END SOLUTION (the part students never see)."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _pieces(source: str, hidden: set[int]) -> set[str]:
    """Code of the solution: its assignments, calls with arguments and indexing."""
    pieces = set()
    for node in ast.walk(ast.parse(source)):
        if getattr(node, "lineno", None) not in hidden:
            continue
        if isinstance(node, ast.Call) and (node.args or node.keywords):
            pieces.add(ast.unparse(node))
            if isinstance(node.func, ast.Attribute):   # the method call without its receiver
                pieces.add(ast.unparse(node)[len(ast.unparse(node.func.value)):])
        elif isinstance(node, (ast.Subscript, ast.Assign, ast.AugAssign)):
            pieces.add(ast.unparse(node))
    return {p for p in pieces if len(_squash(p)) >= MIN_CHARS}


def _visible_text(source: str, hidden: set[int]) -> str:
    """The hints a student reads: the comments outside the solution block (the docstring is the spec)."""
    return "\n".join(tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                     if tok.type == tokenize.COMMENT and tok.start[0] not in hidden
                     and "BEGIN SOLUTION" not in tok.string and "END SOLUTION" not in tok.string)


def _answer_cells():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution") and BEGIN in cell.source:
                yield pytest.param(cell.source, id=f"{path.stem[:2]}-{meta.get('grade_id')}")


@pytest.mark.parametrize("source", list(_answer_cells()))
def test_hint_holds_no_solution_code(source):
    hidden = _solution_lines(source)
    visible = _squash(_visible_text(source, hidden))
    leaked = sorted(p for p in _pieces(source, hidden) if _squash(p) in visible)
    assert not leaked, ("the student copy's hint contains the solution's code: "
                        + "; ".join(leaked) + ". Name the idea and the API to read instead.")


def test_the_test_sees_a_leak():
    source = ("def f(x):\n    # Hint: x.transpose(0, 1)\n    ### BEGIN SOLUTION\n    return x.transpose(0, 1)\n"
              "    ### END SOLUTION\n")
    hidden = _solution_lines(source)
    assert "x.transpose(0,1)" in _squash(_visible_text(source, hidden))
    assert any(_squash(p) in _squash(_visible_text(source, hidden)) for p in _pieces(source, hidden))
    fair = source.replace("# Hint: x.transpose(0, 1)", "# Hint: which method swaps two axes? Read Tensor.transpose.")
    assert not any(_squash(p) in _squash(_visible_text(fair, hidden)) for p in _pieces(fair, hidden))
