"""The student bundle (`make bundle`, tools/bundle.py) holds what students need and no answers."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import bundle  # noqa: E402

SECRETS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def test_the_bundle_has_the_notebooks_and_course_utils_and_nothing_of_the_instructors(tmp_path):
    path = bundle.build(tmp_path / "student.zip")
    with zipfile.ZipFile(path) as z:
        names = [n.removeprefix("lstm-course/") for n in z.namelist()]
        texts = {n: z.read("lstm-course/" + n).decode("utf-8", "replace") for n in names}
    assert not [n for n in names if n.startswith(("solutions/", "tests/", ".nbgrader/", "docs/", ".ci/"))]
    released = sorted(n for n in bundle.tracked() if n.startswith("notebooks/") and n.endswith(".ipynb"))
    assert released and [n for n in names if n.endswith(".ipynb")] == released
    for name in released:
        assert texts[name] == (REPO / name).read_text(), f"{name} differs from notebooks/"
    assert "course_utils/checks/common.py" in names and "Makefile" in names
    assert "tools/check_python.py" in names  # make needs it before anything is installed
    leaks = [(n, s) for n, t in texts.items() for s in SECRETS if s in t]
    assert not leaks, leaks


def test_a_student_can_check_a_notebook_from_the_bundle(tmp_path):
    path = bundle.build(tmp_path / "student.zip")
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path)
    root = tmp_path / "lstm-course"
    nb = root / "notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb"
    env = {**os.environ, "PYTHONPATH": str(root), "LSTM_COURSE_DATA": str(REPO / "data")}
    done = subprocess.run([sys.executable, "-m", "course_utils", "check", str(nb)], cwd=root,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr  # a blank notebook: checks run and fail
    assert "total" in done.stdout and "not written yet" in done.stdout
