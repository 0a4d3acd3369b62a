"""One class, one PostgreSQL gradebook, two graders at once (docs/KUBERNETES.md).

A real PostgreSQL server, started by this test from Debian's package `postgresql` (its
/usr/lib/postgresql/VERSION/bin/initdb and pg_ctl; none of Debian's own clusters is used): its data
and socket folders are in a temporary folder, it listens on 127.0.0.1 on a free port with password
authentication, and it is stopped at the end, pass or fail. initdb refuses to run as root, so as root
the server runs as the user `postgres` (or `nobody`). The folder is a tempfile one in /tmp rather than
pytest's tmp_path: pytest's base folder is /tmp/pytest-of-root, mode 0700, which that user cannot enter.

A course folder whose gradebook is that server (LSTM_COURSE_DB_URL=postgresql://...) gets six
submissions of notebook 01, two with a realistic wrong answer; `python -m course_utils grade
--shard 0/2` and `--shard 1/2` then run at the same time, as two machines would. Checked: both
succeed, the shards are disjoint and cover the class, every student has one submission in the
gradebook with the expected scores, and running both shards again grades nobody. 44 to 62 s on 2 cores.
Without initdb it skips, except in CI (COURSE_CI=1), where it fails and names the package.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from course_utils.grading.harness import (
    course_folder,
    filled_in,
    gradebook_scores,
    hand_in,
    nbgrader_env,
)
from course_utils.grading.lessons import mistakes
from course_utils.grading.parallel import in_shard

POINTS, WRONG_ANSWERS = mistakes("01").POINTS, mistakes("01").WRONG_ANSWERS

A = "01-tokens-embeddings"
# three students in each shard (sha256 of the id, mod 2)
STUDENTS = ["ada", "ben", "chloe", "dmitri", "elif", "farah"]
# one realistic wrong answer in each shard: (the mistake, the test cell that catches it)
WRONG = {"ben": next(w for w in WRONG_ANSWERS if w.why == "unknown -> <pad>"),
         "chloe": next(w for w in WRONG_ANSWERS if w.why == "seq and batch swapped (no transpose)")}
LINE = re.compile(r"^\[\s*\d+/\d+\] (\S+): (\S+) points", re.M)


def _version(path: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", Path(path).parts[-3]))


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's bin/ folder (or the one of an initdb on the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    return Path(shutil.which("initdb")).parent if shutil.which("initdb") else None


PG_BIN = postgres_bin()
MISSING = "PostgreSQL's initdb was not found: install Debian's package (apt-get install postgresql)"
needs_postgres = pytest.mark.skipif(PG_BIN is None and os.environ.get("COURSE_CI") != "1", reason=MISSING)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A PostgreSQL server of this test's own, run as an unprivileged user when we are root."""

    def __init__(self):
        if PG_BIN is None:
            pytest.fail(MISSING)
        self.folder = Path(tempfile.mkdtemp(prefix="lstm-pg-"))
        self.data, self.sockets, self.log = self.folder / "data", self.folder / "sockets", self.folder / "server.log"
        self.sockets.mkdir()
        self.password, self.port = "grader-" + os.urandom(6).hex(), _free_port()
        (self.folder / "password").write_text(self.password + "\n")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(user)
            for path in [self.folder, self.sockets, self.folder / "password"]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.as_user = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]
        self.started = False

    def run(self, tool: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.as_user, str(PG_BIN / tool), *args], cwd=self.folder, text=True,
                                capture_output=True, timeout=timeout,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "LC_ALL": "C"})
        assert result.returncode == 0, f"{tool} failed:\n{result.stdout}\n{result.stderr}\n{self.server_log()}"
        return result

    def server_log(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def start(self) -> str:
        self.run("initdb", "-D", str(self.data), "-U", "grader", "--pwfile", str(self.folder / "password"),
                 "--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.started = True
        self.run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options)
        import psycopg

        # CREATE DATABASE cannot run in a transaction: autocommit
        with psycopg.connect(host="127.0.0.1", port=self.port, user="grader", password=self.password,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE gradebook")
        return f"postgresql://grader:{self.password}@127.0.0.1:{self.port}/gradebook"

    def stop(self) -> None:
        try:
            if self.started and (self.data / "postmaster.pid").exists():
                subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data),
                                "-m", "immediate", "-w", "-t", "30"], cwd=self.folder,
                               capture_output=True, timeout=60)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def postgres(request):
    server = Server()
    request.addfinalizer(server.stop)  # also when start() or a test fails
    return server, server.start()


def grade(root: Path, url: str, shard: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "course_utils", "grade", A, "--shard", shard, "--jobs", "1",
                             "--course", str(root)], cwd=root, env=nbgrader_env(LSTM_COURSE_DB_URL=url),
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def both_shards(root: Path, url: str) -> list[tuple[int, str]]:
    """`--shard 0/2` and `--shard 1/2` started together; waits for both: [(exit status, output)]."""
    runs = [grade(root, url, f"{i}/2") for i in range(2)]
    return [(p.wait(timeout=300), p.stdout.read()) for p in runs]


def expected_scores(student: str) -> dict[str, float]:
    wrong = WRONG.get(student)
    return {cell: 0 if wrong and cell in wrong.caught_by else points for cell, points in POINTS.items()}


@pytest.fixture(scope="module")
def two_graders(postgres, tmp_path_factory):
    _, url = postgres
    root = course_folder(tmp_path_factory.mktemp("class"), A, LSTM_COURSE_DB_URL=url)
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source
                for c in nbformat.read(root / "solutions" / A / f"{A}.ipynb", as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    for student in STUDENTS:
        wrong = WRONG.get(student)
        answers = None
        if wrong:
            assert wrong.old in solution[wrong.cell], (wrong, solution[wrong.cell])
            answers = {wrong.cell: solution[wrong.cell].replace(wrong.old, wrong.new)}
        hand_in(root, A, student, filled_in(root, A, answers))
    first = both_shards(root, url)
    again = both_shards(root, url)
    return {"root": root, "url": url, "first": first, "again": again}


def test_the_class_is_split_across_both_shards():
    """The premise: each shard has students, and each has one with a wrong answer."""
    for index in range(2):
        shard = [s for s in STUDENTS if in_shard(s, (index, 2))]
        assert len(shard) == 3 and len(set(shard) & set(WRONG)) == 1, (index, shard)


@needs_postgres
def test_two_shards_at_once_both_succeed(two_graders):
    for status, output in two_graders["first"]:
        assert status == 0, output


@needs_postgres
def test_the_shards_are_disjoint_and_cover_the_class(two_graders):
    graded = [dict(LINE.findall(output)) for _, output in two_graders["first"]]
    for index, lines in enumerate(graded):
        assert sorted(lines) == sorted(s for s in STUDENTS if in_shard(s, (index, 2))), (index, lines)
    assert not set(graded[0]) & set(graded[1])
    assert sorted([*graded[0], *graded[1]]) == sorted(STUDENTS)
    printed = {**graded[0], **graded[1]}
    assert printed == {s: f"{sum(expected_scores(s).values()):g}/10" for s in STUDENTS}, printed


@needs_postgres
def test_every_student_is_in_the_postgres_gradebook_once_with_the_right_scores(two_graders, postgres):
    import psycopg

    with psycopg.connect(two_graders["url"]) as connection:
        submissions = dict(connection.execute(
            "SELECT student_id, count(*) FROM submitted_assignment GROUP BY student_id").fetchall())
    assert submissions == {s: 1 for s in STUDENTS}, submissions
    scores = gradebook_scores(two_graders["root"], A, db_url=two_graders["url"])
    assert scores == {s: expected_scores(s) for s in STUDENTS}, scores
    assert scores["ben"]["test_encode"] == 0 and scores["chloe"]["test_to_lstm_input"] == 0
    # nothing went to the SQLite gradebook a course folder has without LSTM_COURSE_DB_URL
    assert not (two_graders["root"] / ".nbgrader" / "gradebook.db").exists()


@needs_postgres
def test_running_both_shards_again_grades_nobody(two_graders):
    for status, output in two_graders["again"]:
        assert status == 0, output
        assert f"{A}: 3 students in this shard, 3 already graded, 0 to grade" in output, output
        assert not LINE.findall(output), output
