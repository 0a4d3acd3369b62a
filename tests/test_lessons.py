"""Each lesson's source, lessons/NN-slug/NN-slug.py, and its solution notebook are in step (tools/lessons.py)."""

import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import lessons  # noqa: E402


def test_every_solution_notebook_is_written_from_its_lesson_source():
    stale = lessons.out_of_step()
    assert not stale, f"out of step: {stale}. Fix:  make sync"


def test_a_lesson_source_shows_points_and_grade_ids_in_plain_text():
    text = (REPO / "lessons/05-stacked-lstms/05-stacked-lstms.py").read_text()
    assert '"grade_id": "test_copy_layer", "locked": true, "points": 2' in text
    assert "### BEGIN HIDDEN TESTS" in text and "### BEGIN SOLUTION" in text


def test_sync_keeps_the_outputs_of_unchanged_cells_and_drops_changed_ones(tmp_path):
    source = tmp_path / "lesson.py"
    notebook = tmp_path / "lesson.ipynb"
    original = REPO / "solutions/05-stacked-lstms/05-stacked-lstms.ipynb"
    notebook.write_bytes(original.read_bytes())
    text = (REPO / "lessons/05-stacked-lstms/05-stacked-lstms.py").read_text()
    before = nbformat.read(original, as_version=4)
    first_with_output = next(i for i, c in enumerate(before.cells) if c.cell_type == "code" and c.outputs)
    changed = before.cells[first_with_output].source
    source.write_text(text.replace(changed, changed + "\n# edited", 1))
    lessons.write_notebook(source, notebook)
    after = nbformat.read(notebook, as_version=4)
    assert after.cells[first_with_output].outputs == []
    kept = [i for i, c in enumerate(before.cells) if c.cell_type == "code" and c.outputs and i != first_with_output]
    assert kept and all(after.cells[i].outputs == before.cells[i].outputs for i in kept)
    assert all(a.id == b.id for i, (a, b) in enumerate(zip(before.cells, after.cells)) if i != first_with_output)


def test_an_edited_nbgrader_cell_keeps_its_id(tmp_path):
    """nbgrader and the released notebooks know a cell by its id: editing a test cell's hidden lines
    must not give it a new one (every student copy would change)."""
    source, notebook = tmp_path / "lesson.py", tmp_path / "lesson.ipynb"
    original = REPO / "solutions/05-stacked-lstms/05-stacked-lstms.ipynb"
    notebook.write_bytes(original.read_bytes())
    before = nbformat.read(original, as_version=4)
    setup = next(c for c in before.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    text = (REPO / "lessons/05-stacked-lstms/05-stacked-lstms.py").read_text()
    source.write_text(text.replace(setup.source, setup.source + "\n# edited", 1))
    lessons.write_notebook(source, notebook)
    after = next(c for c in nbformat.read(notebook, as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert after.source.endswith("# edited") and after.id == setup.id
