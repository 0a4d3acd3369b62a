"""Helpers to write a course notebook from a Python script (an authoring aid, not a build step).

The committed solutions/NN-slug/NN-slug.ipynb is the source of truth: edit it in JupyterLab
(nbgrader's "Create Assignment" sidebar sets the cell metadata), or regenerate it with a script
that uses these helpers:

    from nbbuild import md, code, solution, test, locked, save
    cells = [md("# Title"), locked("setup", "import course_utils as cu"), ...]
    save(cells, "solutions/01-tokens-embeddings/01-tokens-embeddings.ipynb")

Then run `make outputs` (stores the outputs that CI compares) and `make release`.
"""

import nbformat


def _nbgrader(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def md(text):
    """A markdown cell."""
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(source, *tags):
    """An ordinary code cell; tag "nbval-check-output" makes CI compare its printed output."""
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def locked(grade_id, source, *tags):
    """A read-only code cell (setup): students cannot edit it, nbgrader restores it when grading."""
    cell = code(source, *tags)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def solution(grade_id, source):
    """An answer cell: ### BEGIN SOLUTION ... ### END SOLUTION is replaced by a stub for students."""
    cell = code(source)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
    return cell


def test(grade_id, points, source):
    """A graded, locked test cell: a docstring title, a visible check, then hidden tests."""
    cell = code(source)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
    return cell


def save(cells, path):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, path)
