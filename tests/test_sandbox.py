"""Hostile submissions against the grading sandbox (course_utils.grading.sandbox), through real nbgrader.

Each attack is an answer that also holds the right solution and uses only what the course itself
uses (numpy, torch, glob, urllib, asyncio), so course_utils.grading.integrity lets it run. Every attack is
graded three ways:
  * without the sandbox (LSTM_COURSE_SANDBOX=off), where it must succeed: this proves the test
    can see the breach it looks for;
  * with the sandbox, through one plain `nbgrader autograde ASSIGNMENT` for the whole class;
  * with the sandbox, through `python -m course_utils grade ASSIGNMENT --jobs 2`;
where it must be contained, while honest students graded before and after it keep full marks.
"""

from __future__ import annotations

import glob
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from course_utils.grading.harness import (
    REPO,
    course_folder,
    filled_in,
    gradebook_scores,
    hand_in,
    nbgrader_env,
    processes_mentioning,
)
from course_utils.grading.integrity import scan

A = "01-tokens-embeddings"
FULL = {"test_build_vocab": 2, "test_encode": 2, "test_pad_batch": 2, "test_make_embedding": 2,
        "test_to_lstm_input": 2}
SECRET = "JUPYTERHUB_API_TOKEN"  # what a grader's environment may hold

# {name: code}. Placeholders: {root} the course folder, {port} a web server of the test's on
# 127.0.0.1, {mark} a token unique to the run. Each prints what it got, for the test to read.
ATTACKS = {
    "reads_classmates": """
import glob
import numpy as np
for path in glob.glob("{root}/.nbgrader/submitted/*/{a}/*.ipynb"):
    text = bytes(np.fromfile(path, dtype=np.uint8)).decode(errors="ignore")
    print("READ", path, text[text.find("def encode"):][:3000])""",
    "writes_next_to_gradebook": """
import numpy as np
np.save("{root}/.nbgrader/planted-{mark}.npy", np.zeros(3))""",
    "overwrites_source_notebook": """
import torch
torch.save({{"hidden tests": "gone"}}, "{root}/solutions/{a}/{a}.ipynb")""",
    "calls_a_local_server": """
import urllib.request
print("HTTP", urllib.request.urlopen("http://127.0.0.1:{port}/{mark}", timeout=5).status)""",
    "reads_environment": """
import urllib.request
print("ENV", urllib.request.urlopen("file:///proc/self/environ").read().decode(errors="ignore"))""",
    "reads_host_files": """
import glob
import numpy as np
for path in [*glob.glob("{root}/../*"), "/etc/shadow"]:
    print("HOST", path, bytes(np.fromfile(path, dtype=np.uint8)[:100]) if path.endswith("shadow") else "")""",
    "leaves_a_process": """
import asyncio
await asyncio.create_subprocess_exec("python3", "-c", "import time; time.sleep(900)", "{mark}",
                                     start_new_session=True)
print("SPAWNED")""",
    "takes_6_gib": """
import torch
print("ALLOCATED", float(torch.ones(6 * 2**30 // 4).sum()) * 4 / 2**30, "GiB")""",
    "fork_bomb": """
import asyncio
children = []
try:
    for _ in range(300):
        children.append(await asyncio.create_subprocess_exec("sleep", "60"))
finally:
    print("CHILDREN", len(children))
    for child in children:
        child.kill()
        await child.wait()""",
    "fills_the_disk": """
import numpy as np
written = 0
try:
    for i in range(12):
        np.ones(2**27 // 8).tofile(f"/tmp/fill-{mark}-{{i}}.bin")
        written += 128
finally:
    print("WROTE", written, "MiB")""",
    "overwrites_gradebook": """
import torch
torch.save({{"grades": "gone"}}, "{root}/.nbgrader/gradebook.db")""",
    "kills_the_grader": """
import asyncio
import urllib.request
stat = urllib.request.urlopen("file:///proc/self/stat").read().decode()
parent = stat.rsplit(")", 1)[1].split()[1]
await (await asyncio.create_subprocess_exec("kill", "-9", parent)).wait()
print("KILLED", parent)""",
}
# these break the grading of everyone after them when they work: graded alone without the sandbox
DESTRUCTIVE = ("overwrites_gradebook", "kills_the_grader")


def answer_with(attack: str, solution: str, **values) -> str:
    body = ATTACKS[attack].format(a=A, **values).strip("\n")
    guarded = "try:\n" + "\n".join("    " + line for line in body.splitlines()) + \
              f"\nexcept BaseException as problem:\n    print('BLOCKED {attack}:', type(problem).__name__, problem)"
    return solution + "\n\n" + guarded


class Server(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Server.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()


def outputs(root: Path, student: str) -> str:
    path = root / ".nbgrader" / "autograded" / student / A / f"{A}.ipynb"
    if not path.exists():
        return ""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def breached(attack: str, root: Path, student: str, mark: str, before: dict) -> bool:
    """Did the attack get what it wanted? Read on the host and in the attacker's graded output."""
    out = outputs(root, student)
    if attack == "reads_classmates":
        return f"SECRET-{mark}" in out
    if attack == "writes_next_to_gradebook":
        return (root / ".nbgrader" / f"planted-{mark}.npy").exists()
    if attack == "overwrites_source_notebook":
        return sha(root / "solutions" / A / f"{A}.ipynb") != before["source"]
    if attack == "calls_a_local_server":
        return f"/{mark}" in Server.hits
    if attack == "reads_environment":
        return f"token-{mark}" in out
    if attack == "reads_host_files":
        return "HOST /etc/shadow b'" in out or f"HOST {root}/../" in out
    if attack == "leaves_a_process":
        return bool(processes_mentioning(mark))
    if attack == "takes_6_gib":
        return "ALLOCATED 6.0 GiB" in out
    if attack == "fork_bomb":
        return "CHILDREN 300" in out
    if attack == "fills_the_disk":
        return "WROTE 1536 MiB" in out
    if attack == "overwrites_gradebook":
        return sha(root / ".nbgrader" / "gradebook.db") != before["gradebook"] and not _gradebook_opens(root)
    if attack == "kills_the_grader":  # nbgrader killed, or the parallel grader's worker
        return before["returncode"] == -9 or "grading worker died" in before["log"]
    raise KeyError(attack)


def _gradebook_opens(root: Path) -> bool:
    try:
        gradebook_scores(root, A)
        return True
    except Exception:
        return False


def cleanup(mark: str) -> None:
    for path in glob.glob(f"/tmp/fill-{mark}-*"):
        os.remove(path)
    if processes_mentioning(mark):
        subprocess.run(["pkill", "-9", "-f", f"time.sleep\\(900\\) {mark}"], check=False)


def make_class(root: Path, attacks, mark: str, port: int) -> list[str]:
    """Honest students around every attacker: a_honest, then one per attack, then z_honest."""
    course_folder(root, A)
    solution = filled_in(root, A)
    sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    honest = filled_in(root, A, {"encode": sources["encode"] + f"\n# SECRET-{mark}"})
    hand_in(root, A, "a_honest", honest)
    students = ["a_honest"]
    for i, attack in enumerate(attacks):
        student = f"m{i:02d}_{attack}"
        hand_in(root, A, student, filled_in(root, A, {"encode": answer_with(
            attack, sources["encode"], root=root, port=port, mark=mark)}))
        students.append(student)
    hand_in(root, A, "z_honest", honest)
    return students + ["z_honest"]


def grade(root: Path, command: list[str], sandbox: bool, mark: str) -> subprocess.CompletedProcess:
    env = nbgrader_env(**{SECRET: f"token-{mark}"})
    env.pop("LSTM_COURSE_SANDBOX", None)
    if not sandbox:
        env["LSTM_COURSE_SANDBOX"] = "off"
    # output to a file, not a pipe: a process left behind without the sandbox holds the kernel's
    # stdout, and a pipe would wait for it to end
    log = root / "grading.log"
    with open(log, "w") as out:
        done = subprocess.run(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=900)
    return subprocess.CompletedProcess(command, done.returncode, log.read_text(), "")


NBGRADER = [sys.executable, "-m", "nbgrader", "autograde", A]
PARALLEL = [sys.executable, "-m", "course_utils", "grade", A, "--jobs", "2"]


def test_no_attack_is_flagged_by_the_integrity_scan():
    """The sandbox is needed: a denylist of names lets every one of these through."""
    for attack in ATTACKS:
        assert scan(answer_with(attack, "x = 1", root="/c", port=1, mark="m")) == [], attack


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory, server):
    """Every attack graded without the sandbox: the harmless ones in one class, each destructive
    one in a class of its own (it breaks the grading of whoever comes after)."""
    mark = "u" + os.urandom(4).hex()
    results = {}
    groups = [[a for a in ATTACKS if a not in DESTRUCTIVE]] + [[a] for a in DESTRUCTIVE]
    try:
        for n, group in enumerate(groups):
            root = tmp_path_factory.mktemp(f"unsandboxed{n}")
            students = make_class(root, group, mark, server)
            before = {"source": sha(root / "solutions" / A / f"{A}.ipynb"),
                      "gradebook": sha(root / ".nbgrader" / "gradebook.db")}
            done = grade(root, NBGRADER, sandbox=False, mark=mark)
            before.update(returncode=done.returncode, log=done.stdout + done.stderr)
            for student, attack in zip(students[1:-1], group):
                results[attack] = breached(attack, root, student, mark, before)
    finally:
        cleanup(mark)
    return results


@pytest.mark.parametrize("attack", ATTACKS)
def test_without_the_sandbox_the_attack_succeeds(unsandboxed, attack):
    assert unsandboxed[attack], f"{attack} did not work even without the sandbox: the test cannot see it"


def sandboxed(tmp_path_factory, server, command):
    mark = "s" + os.urandom(4).hex()
    root = tmp_path_factory.mktemp("sandboxed")
    try:
        students = make_class(root, ATTACKS, mark, server)
        before = {"source": sha(root / "solutions" / A / f"{A}.ipynb"),
                  "gradebook": sha(root / ".nbgrader" / "gradebook.db")}
        done = grade(root, command, sandbox=True, mark=mark)
        before.update(returncode=done.returncode, log=done.stdout + done.stderr)
        result = {attack: breached(attack, root, student, mark, before)
                  for student, attack in zip(students[1:-1], ATTACKS)}
        return {"breached": result, "scores": gradebook_scores(root, A), "students": students,
                "outputs": {s: outputs(root, s) for s in students}, "log": done.stdout + done.stderr,
                "returncode": done.returncode}
    finally:
        cleanup(mark)


@pytest.fixture(scope="module")
def through_nbgrader(tmp_path_factory, server):
    return sandboxed(tmp_path_factory, server, NBGRADER)


@pytest.fixture(scope="module")
def through_parallel(tmp_path_factory, server):
    return sandboxed(tmp_path_factory, server, PARALLEL)


@pytest.mark.parametrize("attack", ATTACKS)
def test_plain_nbgrader_autograde_contains_the_attack(through_nbgrader, attack):
    assert not through_nbgrader["breached"][attack], through_nbgrader["outputs"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_parallel_grader_contains_the_attack(through_parallel, attack):
    assert not through_parallel["breached"][attack], through_parallel["outputs"]


@pytest.mark.parametrize("run", ["through_nbgrader", "through_parallel"])
def test_every_student_is_graded_and_the_honest_ones_fully(run, request):
    graded = request.getfixturevalue(run)
    assert graded["returncode"] == 0, graded["log"][-3000:]
    assert set(graded["scores"]) == set(graded["students"])
    assert graded["scores"]["a_honest"] == FULL and graded["scores"]["z_honest"] == FULL


def test_the_attackers_own_solution_still_counts(through_nbgrader):
    """Contained is not punished twice: an attacker's other answers are graded as usual."""
    for student in through_nbgrader["students"][1:-1]:
        scores = through_nbgrader["scores"][student]
        assert {k: v for k, v in scores.items() if k != "test_encode"} == \
            {k: v for k, v in FULL.items() if k != "test_encode"}, (student, scores)


def test_what_the_sandbox_said_to_each_attack(through_nbgrader):
    """The limits answer with the errors a learner's code would see (pinned, so a change shows)."""
    out = {s.split("_", 1)[1]: text for s, text in through_nbgrader["outputs"].items() if s.startswith("m")}
    assert "BLOCKED calls_a_local_server: URLError" in out["calls_a_local_server"]
    assert "BLOCKED writes_next_to_gradebook: FileNotFoundError" in out["writes_next_to_gradebook"]
    assert "BLOCKED takes_6_gib: RuntimeError" in out["takes_6_gib"]
    # each child is a process and, in asyncio, a thread that waits for it: the 256 tasks run out
    children = int(re.search(r"CHILDREN (\d+)", out["fork_bomb"]).group(1))
    assert children < 128 and re.search("BLOCKED fork_bomb: (RuntimeError can't start new thread|BlockingIOError)",
                                        out["fork_bomb"]), out["fork_bomb"]
    assert "BLOCKED fills_the_disk: OSError Not enough free space to write" in out["fills_the_disk"]
    assert f"{SECRET}" not in out["reads_environment"] and "ENV HOME=/home/student" in out["reads_environment"]


def test_a_sandbox_that_cannot_start_stops_grading_with_one_message(tmp_path):
    """No user namespaces (Ubuntu 24.04's default, some containers): nothing is graded unsandboxed."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    root = course_folder(tmp_path / "course", A)
    for student in ("s1", "s2"):
        hand_in(root, A, student, filled_in(root, A))
    env = nbgrader_env()
    env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
    env.pop("LSTM_COURSE_SANDBOX", None)
    plain = subprocess.run(NBGRADER, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    parallel = subprocess.run(PARALLEL, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    message = ("The grading sandbox cannot start on this machine, so nothing was graded "
               "(bubblewrap said: bwrap: setting up uid map: Permission denied).")
    assert plain.returncode != 0 and message in plain.stderr and "Fix:  install bubblewrap" in plain.stderr
    assert plain.stderr.count(message) == 1, "one message, not one per student"
    assert parallel.returncode == 2 and parallel.stderr.startswith("error: " + message)
    assert not list((root / ".nbgrader").glob("autograded/*/*/*.ipynb")), "a student was graded unsandboxed"


def test_the_sandbox_sees_the_course_data_where_course_utils_looks(tmp_path):
    from course_utils.data.fetch import data_dir
    from course_utils.grading.sandbox import course_paths

    assert course_paths() == [str(Path(REPO, "course_utils").resolve()), str(data_dir())]


def test_opting_out_is_explicit_and_loud():
    config = (REPO / "nbgrader_config.py").read_text()
    assert 'c.GuardedExecute.kernel_manager_class = "course_utils.grading.sandbox.SandboxedKernelManager"' in config
    env = nbgrader_env(LSTM_COURSE_SANDBOX="off")
    done = subprocess.run([sys.executable, "-c", "from traitlets.config.loader import PyFileConfigLoader as L;"
                           "print(L('nbgrader_config.py', path='.').load_config().GuardedExecute)"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    assert "kernel_manager_class" not in done.stdout
    assert "WARNING: LSTM_COURSE_SANDBOX=off: submissions run unsandboxed, with your rights." in done.stderr
