"""notebooks/ must be exactly what nbgrader generates from solutions/, and must leak nothing."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "solutions").glob("*/*.ipynb"))
RELEASED = sorted((REPO / "notebooks").glob("*/*.ipynb"))
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                "BEGIN MARK SCHEME")


def _canon(path):
    return json.dumps(json.loads(Path(path).read_text()), sort_keys=True, indent=1)


def test_layout_one_notebook_per_assignment_folder():
    for path in SOLUTIONS:
        assert path.stem == path.parent.name, f"{path}: name the notebook after its folder"
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", path.stem), f"{path}: use NN-slug"
    assert [p.parent.name for p in SOLUTIONS] == sorted({p.parent.name for p in SOLUTIONS})


def test_release_is_up_to_date(tmp_path):
    """Regenerate into tmp (no gradebook) and compare with the committed notebooks/."""
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force", "--no-db",
           f"--CourseDirectory.release_directory={tmp_path / 'release'}"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    fresh = sorted((tmp_path / "release").glob("*/*.ipynb"))
    names = lambda paths, base: [str(p.relative_to(base)) for p in paths]  # noqa: E731
    assert names(fresh, tmp_path / "release") == names(RELEASED, REPO / "notebooks"), \
        "notebooks/ and solutions/ hold different notebooks: run `make release`"
    for path in fresh:
        committed = REPO / "notebooks" / path.relative_to(tmp_path / "release")
        assert _canon(path) == _canon(committed), f"{committed} is stale: run `make release`"
    extra = [p for p in (REPO / "notebooks").rglob("*") if p.is_file() and p.suffix != ".ipynb"]
    assert not extra, f"files in notebooks/ that solutions/ does not make: {extra}"


BLOCKS = {"hidden": r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS",
          "solution": r"### BEGIN SOLUTION\n(.*?)### END SOLUTION"}


def _secret_lines(solution):
    """Lines only the instructor should see: in a solution or hidden-test block and nowhere else
    in the notebook (a line a demo cell also shows, like `out, (h_n, c_n) = lstm(x)`, is public)."""
    sources = [c.source for c in nbformat.read(solution, as_version=4).cells]
    public = []
    for src in sources:
        for pattern in BLOCKS.values():
            src = re.sub(pattern, "", src, flags=re.S)
        public.append(src)
    public = "\n".join(public)
    for src in sources:
        for kind, pattern in BLOCKS.items():
            for block in re.findall(pattern, src, re.S):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) > 12 and not line.startswith("#") and line not in public:
                        yield kind, line


@pytest.mark.parametrize("released", RELEASED, ids=lambda p: p.parent.name)
def test_student_notebook_leaks_nothing(released):
    text = released.read_text()
    for marker in LEAK_MARKERS:
        assert marker not in text, f"{marker!r} leaked into {released}"
    nb = nbformat.read(released, as_version=4)
    assert "widgets" not in nb.metadata, "widget state leaked into the student notebook"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "outputs leaked"
    solution = REPO / "solutions" / released.relative_to(REPO / "notebooks")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for kind, line in _secret_lines(solution):
        assert line not in code, f"{kind} line leaked into the student notebook: {line!r}"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_solution_notebook_is_well_formed(solution):
    """Each exercise: an answer cell and a locked graded test cell with points and a docstring title."""
    nb = nbformat.read(solution, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(tests) >= 3 and len(answers) >= 3, "at least three graded exercises"
    for cell in tests:
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] and meta.get("points", 0) > 0, meta["grade_id"]
        assert cell.source.startswith('"""'), f"{meta['grade_id']}: start with a docstring title"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']}: no hidden tests"
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "check_" in visible, f"{meta['grade_id']}: no visible check"
    for cell in answers:
        assert "### BEGIN SOLUTION" in cell.source, cell.metadata["nbgrader"]["grade_id"]
    assert not [c for c in nb.cells if "execution" in c.metadata], "run timings stored: run `make outputs`"
    checked = [c for c in nb.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, "no cell prints shapes for CI to compare (tag nbval-check-output)"
    for cell in checked:
        assert cell.outputs and cell.execution_count, "a compared cell has no stored output: run `make outputs`"
