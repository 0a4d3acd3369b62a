"""INSTRUCTORS.md, followed on a fresh checkout: release, bundle, collect an LMS download, autograde,
feedback, export, report, regrade after a test is fixed. Every command run here is quoted from
INSTRUCTORS.md, so the page and the test cannot drift apart.

The fresh checkout is a new git repository holding only the tracked files; it borrows this
repository's .venv (a symlink) and data folder, so nothing is installed twice.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat

from course_utils.grading.harness import REPO, WrongAnswer, filled_in

A = "01-tokens-embeddings"
DOC = (REPO / "INSTRUCTORS.md").read_text()
PAD = WrongAnswer("pad_batch", "int(lengths.max())), pad_id", "int(lengths.max())), 0", "test_pad_batch")
TYPO = '\nassert False, "a typo in a hidden test"'  # the test fixed before the regrade


def run(cmd: str, cwd: Path) -> str:
    assert cmd in DOC, f"INSTRUCTORS.md does not show `{cmd}`"
    env = {**os.environ, "PATH": f"{cwd / '.venv' / 'bin'}:{os.environ['PATH']}",
           "LSTM_COURSE_DATA": str(REPO / "data")}
    done = subprocess.run(cmd, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def fresh_checkout(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    for name in files.stdout.splitlines():
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    (dest / ".venv").symlink_to(REPO / ".venv")
    # The borrowed .venv is ready: make must not reinstall it (`pip install -e .` there would point
    # this repository's environment at the scratch copy). make rebuilds it when the pins are newer
    # than .venv/.installed, so the copy's pins get an old date.
    for pins in ("requirements-lock.txt", "pyproject.toml"):
        os.utime(dest / pins, (1_000_000_000, 1_000_000_000))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git[:1] + ["init", "-q"], cwd=dest, check=True)
    subprocess.run(git + ["add", "-A"], cwd=dest, check=True)
    subprocess.run(git + ["commit", "-qm", "fresh"], cwd=dest, check=True)
    return dest


def _solution(course: Path) -> Path:
    return course / "solutions" / A / f"{A}.ipynb"


def _edit_test_cell(course: Path, grade_id: str, change) -> None:
    path = _solution(course)
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    cell.source = change(cell.source)
    nbformat.write(nb, path)


def _student_notebook(course: Path, wrong=(), extra="") -> nbformat.NotebookNode:
    """The released notebook with the solution typed in (and the given wrong answers)."""
    solution = nbformat.read(REPO / "solutions" / A / f"{A}.ipynb", as_version=4)
    sources = {c.metadata.nbgrader["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for w in wrong:
        sources[w.cell] = sources[w.cell].replace(w.old, w.new)
    sources["pad_batch"] += extra
    return filled_in(course, A, sources)


def _lms_download(course: Path, path: Path) -> None:
    """A Moodle "Download all submissions" zip of four students."""
    blank = nbformat.read(course / "notebooks" / A / f"{A}.ipynb", as_version=4)
    students = {
        "Ada Lovelace_1001": _student_notebook(course),
        "Ben Bit_1002": blank,
        "Cy Coder_1003": _student_notebook(course, [PAD]),
        "Eve Sneak_1004": _student_notebook(
            course, [PAD], "\nfrom course_utils.checks import nb01\nnb01.check_pad_batch = print"),
    }
    with zipfile.ZipFile(path, "w") as z:
        for who, nb in students.items():
            z.writestr(f"{who}_assignsubmission_file_/{A}.ipynb", nbformat.writes(nb))


def _scores(course: Path) -> dict[str, float]:
    with open(course / ".nbgrader" / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f) if row["assignment"] == A}


def test_points_table_matches_the_notebooks():
    rows = dict(re.findall(r"^\| (\d\d) \| [a-z0-9-]+ \| \d+ \| (\d+) \|$", DOC, flags=re.M))
    for path in sorted(REPO.glob("solutions/*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        points = sum(c.metadata.nbgrader.get("points", 0) for c in nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade"))
        assert rows.get(path.parent.name[:2]) == f"{points:g}", f"{path.parent.name}: {points} points"


def test_an_instructor_following_instructors_md_gets_the_grades_the_class_deserves(tmp_path):
    course = fresh_checkout(tmp_path / "course")
    # a hidden test with a typo, found after the first grading
    _edit_test_cell(course, "test_make_embedding", lambda s: s.replace("### END HIDDEN TESTS", TYPO.strip() + "\n### END HIDDEN TESTS"))
    subprocess.run(["git", "commit", "-qam", "typo"], cwd=course, check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.org"})

    run("make release", course)
    run("make bundle", course)
    assert (course / "dist" / "lstm-course-student.zip").exists()

    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    _lms_download(course, downloads / "submissions.zip")
    run(f"mkdir -p .nbgrader/downloaded/{A}/archive", course)
    shutil.copy(downloads / "submissions.zip", course / ".nbgrader" / "downloaded" / A / "archive")
    assert f"cp ~/Downloads/submissions.zip .nbgrader/downloaded/{A}/archive/" in DOC
    run(f"nbgrader zip_collect {A}", course)
    assert sorted(p.name for p in (course / ".nbgrader" / "submitted").iterdir()) == ["1001", "1002", "1003", "1004"]

    log = run(f"nbgrader autograde {A}", course)
    assert "FLAGGED for manual review: student 1004" in log
    run(f"nbgrader generate_feedback {A}", course)
    run("nbgrader export --to .nbgrader/grades.csv", course)
    # ada: all but the 2 points of the broken test; cy: also loses pad_batch's 2; eve: caught
    assert _scores(course) == {"1001": 8.0, "1002": 0.0, "1003": 6.0, "1004": 0.0}

    feedback = (course / ".nbgrader" / "feedback" / "1003" / A / f"{A}.html").read_text()
    assert "pad_id" in feedback and "BEGIN HIDDEN TESTS" not in feedback and "assert False" not in feedback

    out = run("make report", course)
    assert "test_make_embedding" in out  # the broken test is among the lowest pass shares
    report = (course / ".nbgrader" / "report" / "report.md").read_text()
    assert "1004" in report.split("## Flagged for manual review")[1].split("|")[0]
    assert f"| {A} | test_make_embedding | 2 | 0/4 | 0% |" in report

    # the fix, then the regrade INSTRUCTORS.md describes
    _edit_test_cell(course, "test_make_embedding", lambda s: s.replace(TYPO.strip() + "\n", ""))
    run("make release", course)
    run(f"nbgrader autograde --force {A}", course)
    run(f"nbgrader generate_feedback --force {A}", course)
    run("nbgrader export --to .nbgrader/grades.csv", course)
    assert _scores(course) == {"1001": 10.0, "1002": 0.0, "1003": 8.0, "1004": 0.0}


def test_the_environment_still_runs_this_repositorys_course_utils():
    """The scratch checkout borrows .venv; it must never re-point the editable install at itself."""
    done = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c",
                           "import course_utils; print(course_utils.__file__)"],
                          cwd="/", capture_output=True, text=True, check=True)
    assert Path(done.stdout.strip()).is_relative_to(REPO), done.stdout


def test_release_to_the_local_exchange_needs_no_permission_fix(tmp_path):
    """nbgrader_config.py makes the exchange as release_assignment wants it: no 'Permissions ... are
    invalid' warning on an instructor's first release."""
    shutil.copy2(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO / "notebooks" / A, tmp_path / "notebooks" / A)
    log = subprocess.run([str(REPO / ".venv" / "bin" / "nbgrader"), "release_assignment", A], cwd=tmp_path,
                         capture_output=True, text=True)
    assert log.returncode == 0, log.stdout + log.stderr
    assert "Released as: lstm-course " + A in log.stdout + log.stderr
    assert "Permissions" not in log.stdout + log.stderr, log.stdout + log.stderr
    exchange = tmp_path / ".nbgrader" / "exchange"
    assert (exchange.stat().st_mode & 0o777) == 0o777
    assert (exchange / "lstm-course" / "outbound" / A / f"{A}.ipynb").is_file()
