"""`python -m course_utils grade`: a class graded by several workers, killed mid-class and resumed.

A real course folder, real nbgrader, the real sandbox; notebook 01 (the fastest) keeps it cheap.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest

from course_utils.grading.harness import (
    course_folder,
    filled_in,
    gradebook_scores,
    hand_in,
    nbgrader_env,
    processes_mentioning,
)
from course_utils.grading.parallel import _notebook_complete, in_shard, parse_shard

A = "01-tokens-embeddings"
FULL = {"test_build_vocab": 2, "test_encode": 2, "test_pad_batch": 2, "test_make_embedding": 2,
        "test_to_lstm_input": 2}
LINE = re.compile(r"^\[\s*\d+/\d+\] (\S+): (.*?)   \d+ failed", re.M)


def grade_command(*args) -> list[str]:
    return [sys.executable, "-m", "course_utils", "grade", A, *args]


def graded_lines(text: str) -> dict[str, str]:
    return dict(LINE.findall(text))


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    root = course_folder(tmp_path_factory.mktemp("class"), A)
    students = [f"s{i}" for i in range(6)]
    for student in students:
        hand_in(root, A, student, filled_in(root, A))
    # the first run is killed (SIGKILL, no chance to clean up) once two students are graded
    first = subprocess.Popen(grade_command("--jobs", "2"), cwd=root, env=nbgrader_env(), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = []
    for line in first.stdout:
        seen.append(line)
        if len(graded_lines("".join(seen))) == 2:
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=60)
    seen.append(first.stdout.read())
    time.sleep(2)  # the workers' parent-death signal, and their kernels' sandboxes, need a moment
    leftovers = processes_mentioning(str(root))  # driver, workers, sandboxed kernels
    second = subprocess.run(grade_command("--jobs", "2"), cwd=root, env=nbgrader_env(), text=True,
                            capture_output=True, timeout=600)
    third = subprocess.run(grade_command(), cwd=root, env=nbgrader_env(), text=True, capture_output=True,
                           timeout=600)
    return {"root": root, "students": students, "first": "".join(seen), "leftovers": leftovers,
            "second": second, "third": third}


def test_killing_the_grader_leaves_no_process_behind(killed_and_resumed):
    assert killed_and_resumed["leftovers"] == []


def test_a_rerun_grades_exactly_the_students_not_graded(killed_and_resumed):
    first = graded_lines(killed_and_resumed["first"])
    second = graded_lines(killed_and_resumed["second"].stdout)
    # a third student may have finished between the second line and the kill: then it is graded too
    assert len(first) == 2 and not set(first) & set(second), (first, second)
    assert len(second) in (3, 4) and set(second) <= set(killed_and_resumed["students"]), second
    assert f"6 students in this shard, {6 - len(second)} already graded, {len(second)} to grade" in \
        killed_and_resumed["second"].stdout
    assert killed_and_resumed["second"].returncode == 0, killed_and_resumed["second"].stderr[-2000:]


def test_every_student_is_in_the_gradebook_once_with_full_marks(killed_and_resumed):
    root = killed_and_resumed["root"]
    assert gradebook_scores(root, A) == {s: FULL for s in killed_and_resumed["students"]}
    with sqlite3.connect(root / ".nbgrader" / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id").fetchall()
    assert sorted(rows) == [(s, 1) for s in killed_and_resumed["students"]]


def test_a_third_run_has_nothing_to_do(killed_and_resumed):
    third = killed_and_resumed["third"]
    assert third.returncode == 0
    assert "6 students in this shard, 6 already graded, 0 to grade" in third.stdout
    assert "6 of 6 students graded" in third.stdout


def test_progress_shows_done_failures_and_time_left(killed_and_resumed):
    line = killed_and_resumed["second"].stdout.splitlines()[1]
    assert re.fullmatch(r"\[1/\d\] s\d: 10/10 points   0 failed, \d:\d\d:\d\d so far, about \d:\d\d:\d\d left",
                        line), line


def test_a_broken_submission_is_reported_and_tried_again_next_run(tmp_path):
    root = course_folder(tmp_path / "course", A)
    hand_in(root, A, "honest", filled_in(root, A))
    broken = root / ".nbgrader" / "submitted" / "pdf" / A
    broken.mkdir(parents=True)
    (broken / f"{A}.ipynb").write_bytes(b"%PDF-1.4 handed in by mistake")
    first = subprocess.run(grade_command("--jobs", "1"), cwd=root, env=nbgrader_env(), text=True,
                           capture_output=True, timeout=600)
    assert first.returncode == 1
    assert graded_lines(first.stdout) == {"honest": "10/10 points", "pdf": f"FAILED (log: {root}/.nbgrader/"
                                          f"autograded-logs/{A}/pdf.log)"}
    assert "not graded (their nbgrader logs say why): pdf" in first.stdout
    log = (root / ".nbgrader" / "autograded-logs" / A / "pdf.log").read_text()
    assert "There was an error processing assignment" in log
    again = subprocess.run(grade_command(), cwd=root, env=nbgrader_env(), text=True, capture_output=True,
                           timeout=600)
    assert "2 students in this shard, 1 already graded, 1 to grade" in again.stdout


def test_bad_usage_says_what_to_do(tmp_path):
    def run(*args, cwd=tmp_path):
        return subprocess.run(grade_command(*args), cwd=cwd, env=nbgrader_env(), text=True, capture_output=True)

    assert run("--help").returncode == 0 and "--shard I/N" in run("--help").stdout
    no_course = run()
    assert no_course.returncode == 2
    assert f"error: no nbgrader_config.py in {tmp_path}.\n  Fix:  run this in the course folder" in no_course.stderr
    shard = run("--shard", "2/2")
    assert shard.returncode == 2 and "--shard takes I/N with 0 <= I < N, e.g. 0/4; got '2/2'" in shard.stderr


def test_an_assignment_not_generated_is_named_with_the_fix(tmp_path):
    root = course_folder(tmp_path / "course", A)
    done = subprocess.run([sys.executable, "-m", "course_utils", "grade", "02-tensor-layout"], cwd=root,
                          env=nbgrader_env(), text=True, capture_output=True)
    assert done.returncode == 2
    assert ("error: the gradebook has no assignment '02-tensor-layout' with notebooks.\n"
            "  Fix:  nbgrader generate_assignment 02-tensor-layout") in done.stderr


def test_shards_split_a_class_stably_and_completely():
    students = [f"student{i}" for i in range(300)]
    shards = [[s for s in students if in_shard(s, (i, 4))] for i in range(4)]
    assert sorted(sum(shards, [])) == sorted(students)
    assert all(40 < len(shard) < 110 for shard in shards), [len(s) for s in shards]
    assert parse_shard("3/4") == (3, 4)


def test_a_notebook_counts_as_graded_only_when_complete(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert not _notebook_complete(path), "not executed yet (nbgrader's sanitized copy)"
    nb.cells[0].execution_count = 1
    nbformat.write(nb, path)
    assert _notebook_complete(path)
    path.write_text(path.read_text()[:50])
    assert not _notebook_complete(path), "cut short by a crash"
