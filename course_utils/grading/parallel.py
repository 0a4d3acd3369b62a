"""Grade a whole class of one assignment with several workers, and lose nothing when interrupted.

    python -m course_utils grade 10-surnames --jobs 2
    python -m course_utils grade 10-surnames --shard 0/4   (one of four machines, one gradebook)

Run it in the course folder (where nbgrader_config.py is). N worker processes each grade one
student at a time through nbgrader's own API (what `nbgrader autograde ASSIGNMENT --student ID
--force` does, without starting nbgrader again for every student), each kernel in its own sandbox
(course_utils.grading.sandbox), every grade in the one gradebook of nbgrader_config.py (SQLite, or
PostgreSQL for several machines: LSTM_COURSE_DB_URL).

Nothing is lost: a student counts as graded only when the gradebook holds a score for every
graded cell of every notebook AND the autograded notebook on disk is complete (it parses and its
cells were run). Killed at any moment (Ctrl-C, SIGKILL, a power cut), the next run grades exactly
the students that are not graded yet; the gradebook is a database, so a write cut short is rolled
back. Workers die with this command (Linux's parent-death signal), so no orphan goes on grading
beside a re-run. Each student's nbgrader log is kept in <autograded folder>-logs/ASSIGNMENT/ID.log.

Exit status: 0 every student graded, 1 some failed (the list and their logs are printed),
2 bad usage or a sandbox that cannot start.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Course:
    """What the grader needs from nbgrader_config.py."""

    root: Path
    submitted: Path
    autograded: Path
    db_url: str
    course_id: str

    @classmethod
    def load(cls, root: Path) -> Course:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        cd = CourseDirectory(config=cfg)
        cd.root = cfg.CourseDirectory.get("root", str(root))
        return cls(Path(cd.root), Path(cd.root, cd.submitted_directory),
                   Path(cd.root, cd.autograded_directory), cd.db_url, cd.course_id)


def submitted_students(course: Course, assignment: str) -> list[str]:
    if not course.submitted.is_dir():
        return []
    return sorted(p.name for p in course.submitted.iterdir() if (p / assignment).is_dir())


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    """Stable over runs and machines: a student's shard depends on its id alone."""
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index


def _notebook_complete(path: Path) -> bool:
    """The autograded notebook parses and its code cells were run (nbgrader writes the sanitized,
    not yet executed copy first, and the executed one at the end)."""
    try:
        nb = json.loads(path.read_text())
        code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        return bool(code) and all(c.get("execution_count") is not None for c in code
                                  if c.get("source") and "".join(c["source"]).strip())
    except (OSError, ValueError, AttributeError):
        return False


def _finished(course: Course, assignment: str, sub) -> bool:
    notebooks = list(sub.notebooks)
    scored = all(g.auto_score is not None or g.manual_score is not None for nb in notebooks for g in nb.grades)
    return bool(notebooks) and scored and all(
        _notebook_complete(course.autograded / sub.student.id / assignment / f"{nb.name}.ipynb") for nb in notebooks)


def graded_students(course: Course, assignment: str, only: str | None = None) -> dict[str, tuple[float, float]]:
    """{student: (score, max_score)} for every student whose grading finished (module docstring),
    or for the one student `only`."""
    from nbgrader.api import Gradebook, MissingEntry

    done = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            subs = [gb.find_submission(assignment, only)] if only else gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        for sub in subs:
            if _finished(course, assignment, sub):
                done[sub.student.id] = (sub.score, sub.max_score)
    return done


def assignment_known(course: Course, assignment: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            return bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return False


def _die_with_parent() -> None:
    """In a worker, before exec: SIGKILL when the grading command dies (even by SIGKILL)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1


def worker(root: Path, assignment: str) -> int:
    """One worker process: grades the student ids it reads on stdin, one at a time, through
    nbgrader's own API (no nbgrader start-up per student), and answers one JSON line each."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever else prints goes to the worker log, not into the answers
    api = NbGraderAPI(config=PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    for line in sys.stdin:
        student, log = line.strip(), ""
        for attempt in range(3):  # SQLite lets one writer in at a time; a busy gradebook is retried
            result = api.autograde(assignment, student, force=True, create=True)
            log += result.get("log", "") + (result.get("error") or "")
            if result["success"] or "database is locked" not in log:
                break
            time.sleep(1 + attempt)
        answer.write(json.dumps({"student": student, "success": result["success"], "log": log}) + "\n")
        answer.flush()
    return 0


class Worker:
    """The grading command's handle on one worker process (started again if it dies)."""

    def __init__(self, course: Course, assignment: str, log: Path):
        self.command = [sys.executable, "-m", "course_utils.grading.parallel", "--worker", assignment,
                        "--course", str(course.root)]
        self.log, self.process = log, None

    def grade(self, student: str) -> tuple[bool, str]:
        if self.process is None or self.process.poll() is not None:
            env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=open(self.log, "a"), text=True, env=env,
                                            preexec_fn=_die_with_parent)
        try:
            self.process.stdin.write(student + "\n")
            self.process.stdin.flush()
            reply = self.process.stdout.readline()
            answer = json.loads(reply)
            return answer["success"], answer["log"]
        except (OSError, ValueError):
            self.process = None
            return False, f"the grading worker died while grading {student} (its log: {self.log})"

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
        if not 0 <= index < count:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes I/N with 0 <= I < N, e.g. 0/4; got {text!r}") from None
    return index, count


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m course_utils grade",
        description="Grade every submitted student of one assignment through nbgrader, N at a time, "
                    "each in a sandbox; a re-run grades only the students not graded yet.")
    p.add_argument("assignment", help="the assignment's folder name, e.g. 01-tokens-embeddings")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="students graded at once (default: the number of cores, %(default)s here)")
    p.add_argument("--shard", type=parse_shard, default=(0, 1), metavar="I/N",
                   help="grade only shard I of N (several machines, one PostgreSQL gradebook)")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--regrade", action="store_true", help="grade every student again, graded or not")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run submissions unsandboxed, with your rights (only for code you trust)")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return worker(Path(argv[3]), argv[1])
    args = parser().parse_args(argv)
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    root = args.course.resolve()
    if not (root / "nbgrader_config.py").is_file():
        print(f"error: no nbgrader_config.py in {root}.\n  Fix:  run this in the course folder, "
              "or name it: --course PATH", file=sys.stderr)
        return 2
    if args.no_sandbox:
        os.environ["LSTM_COURSE_SANDBOX"] = "off"
        print("WARNING: --no-sandbox: submissions run with your rights, files and network.", file=sys.stderr)
    else:
        os.environ.pop("LSTM_COURSE_SANDBOX", None)
        from .sandbox import SandboxUnavailable, require_bubblewrap
        try:
            require_bubblewrap()
        except SandboxUnavailable as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    course = Course.load(root)
    if not assignment_known(course, args.assignment):
        print(f"error: the gradebook has no assignment {args.assignment!r} with notebooks.\n"
              f"  Fix:  nbgrader generate_assignment {args.assignment}  (it records the test cells)",
              file=sys.stderr)
        return 2
    students = [s for s in submitted_students(course, args.assignment)
                if in_shard(s, args.shard) and (not args.student or s in args.student)]
    missing = sorted(set(args.student) - set(submitted_students(course, args.assignment)))
    if missing:
        print(f"error: no submission of {args.assignment} for {', '.join(missing)} in {course.submitted}",
              file=sys.stderr)
        return 2
    already = {} if args.regrade else graded_students(course, args.assignment)
    todo = [s for s in students if s not in already]
    print(f"{args.assignment}: {len(students)} students in this shard, {len(students) - len(todo)} already "
          f"graded, {len(todo)} to grade with {args.jobs} worker(s)", flush=True)
    logs = course.autograded.parent / f"{course.autograded.name}-logs" / args.assignment
    logs.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    queue, lock = list(reversed(todo)), threading.Lock()
    start, finished = time.monotonic(), 0

    def work(number: int) -> None:
        nonlocal finished
        shard = f"shard{args.shard[0]}of{args.shard[1]}-" if args.shard[1] > 1 else ""
        grader = Worker(course, args.assignment, logs / f"{shard}worker{number}.log")
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    student = queue.pop()
                ok, log = grader.grade(student)
                (logs / f"{student}.log").write_text(log)
                scores = graded_students(course, args.assignment, only=student) if ok else {}
                with lock:
                    finished += 1
                    if student in scores:
                        result = "{:g}/{:g} points".format(*scores[student])
                    else:
                        failed.append(student)
                        result = f"FAILED (log: {logs / student}.log)"
                    elapsed = time.monotonic() - start
                    left = elapsed / finished * (len(todo) - finished)
                    print(f"[{finished:>{len(str(len(todo)))}}/{len(todo)}] {student}: {result}   "
                          f"{len(failed)} failed, {_clock(elapsed)} so far, about {_clock(left)} left",
                          flush=True)
        finally:
            grader.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(min(args.jobs, len(todo)))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except KeyboardInterrupt:
        print(f"\nstopped after {finished} of {len(todo)}: run the same command again to grade the rest.",
              file=sys.stderr)
        return 130
    graded = len(students) - len(failed)
    print(f"{args.assignment}: {graded} of {len(students)} students graded in {_clock(time.monotonic() - start)}")
    if failed:
        print("not graded (their nbgrader logs say why): " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
