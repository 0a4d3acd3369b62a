"""How much slower is grading than running? Autograde time per notebook against plain execution.

For each notebook: a student who typed the solution (the release with every answer filled in) is
run once with nbconvert's ExecutePreprocessor, as a learner's Run All does, and once graded by
`nbgrader autograde`, which also copies, sanitizes, scans for tampering, executes and writes the
gradebook. Then one `nbgrader autograde` call grades 1, then STUDENTS, such students of one notebook:
the difference is the cost per student, the rest the call's start-up.
Run it on a quiet machine (nothing else busy) with OMP_NUM_THREADS=1:

    OMP_NUM_THREADS=1 .venv/bin/python tools/grading_speed.py [01-tokens-embeddings ...]

Prints a markdown table and writes it to .artifacts/grading-speed.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

REPO = Path(__file__).resolve().parents[1]
from course_utils.grading.harness import Course  # noqa: E402  (the fixture the grading tests use)

STUDENTS = 5
CLASS_NOTEBOOK = "06-bidirectional"


def filled_in(course: Course) -> nbformat.NotebookNode:
    nb = nbformat.read(course.release / f"{course.notebook}.ipynb", as_version=4)
    course.answers()(nb)
    return nb


def plain_seconds(course: Course, folder: Path) -> float:
    nb = filled_in(course)
    start = time.perf_counter()
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(folder)}})
    return time.perf_counter() - start


def autograde_seconds(course: Course, student: str) -> tuple[float, float]:
    start = time.perf_counter()
    grades = course.submit(student, course.answers())
    seconds = time.perf_counter() - start
    score = sum(s for s, _ in grades.values())
    assert score == sum(m for _, m in grades.values()), f"{course.assignment}: the solution lost points: {grades}"
    return seconds, score


def class_seconds(course: Course, students: int) -> float:
    """Submit `students` filled-in notebooks, then grade all of them with one `nbgrader autograde`."""
    for i in range(students):
        dest = course.tmp / "submitted" / f"s{i}" / course.assignment
        dest.mkdir(parents=True)
        nbformat.write(filled_in(course), dest / f"{course.notebook}.ipynb")
    cfg = course.tmp / "nbgrader_config.py"
    cfg.write_text((REPO / "nbgrader_config.py").read_text() + "\n" + "\n".join(
        f"c.CourseDirectory.{step}_directory = {str(course.tmp / step)!r}"
        for step in ("release", "submitted", "autograded", "feedback", "solution", "source_with_tests"))
        + f"\nc.CourseDirectory.db_url = 'sqlite:///{course.tmp / 'gradebook.db'}'\n"
        # root stays this folder: nbgrader also reads the nbgrader_config.py of the course root
        + f"c.CourseDirectory.source_directory = {str(REPO / 'solutions')!r}\n")
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", course.assignment],
                          cwd=course.tmp, capture_output=True, text=True)  # reads cfg from its folder
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    graded = list((course.tmp / "autograded").glob(f"s*/{course.assignment}/*.ipynb"))
    assert len(graded) == students, f"{len(graded)} of {students} students graded"
    return seconds


def main(names: list[str]) -> None:
    names = names or sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    rows = ["| notebook | plain execution (s) | autograde (s) | ratio | points |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            course = Course(Path(tmp) / name, name, timeout=600)
            plain = plain_seconds(course, REPO / "notebooks" / name)
            graded, points = autograde_seconds(course, "speed")
            rows.append(f"| {name} | {plain:.1f} | {graded:.1f} | {graded / plain:.2f} | {points:g} |")
            print(rows[-1], flush=True)
        plain = plain_seconds(Course(Path(tmp) / "plain", CLASS_NOTEBOOK, timeout=600),
                              REPO / "notebooks" / CLASS_NOTEBOOK)
        one = class_seconds(Course(Path(tmp) / "one", CLASS_NOTEBOOK, timeout=600), 1)
        many = class_seconds(Course(Path(tmp) / "class", CLASS_NOTEBOOK, timeout=600), STUDENTS)
    each = (many - one) / (STUDENTS - 1)  # what one more student costs; the rest is the call's start-up
    rows += ["", f"One `nbgrader autograde` call for {CLASS_NOTEBOOK}: 1 student {one:.1f} s, {STUDENTS} students "
             f"{many:.1f} s, so {each:.1f} s per student (plain execution {plain:.1f} s, ratio {each / plain:.2f}) "
             f"plus {one - each:.1f} s of start-up per call, shared by the whole class."]
    print(rows[-1])
    out = REPO / ".artifacts" / "grading-speed.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(rows) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="e.g. 01-tokens-embeddings (default: every one)")
    main(parser.parse_args().assignments)
