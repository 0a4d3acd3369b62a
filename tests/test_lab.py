"""`make lab` and `make lab-instructor` serve JupyterLab from the repository root, configured from
jupyter/student and jupyter/instructor: a learner gets Validate and the Assignment List, an
instructor the formgrader and Create Assignment too.

`start_lab` runs the command the Makefile runs (read with `make -n`) and is shared with
tests/test_browser.py.
"""

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROLES = {"student": "lab", "instructor": "lab-instructor"}  # config folder -> make target
# nbgrader's instructor tools: JupyterLab plugins and the server extensions behind them
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                      "@jupyter/nbgrader:course-list")
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"  # the "Jupyter news" toast


def _make_variable(name):
    """A variable of the Makefile, as make expands it."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print"],
                         input=f"print:\n\t@echo $({name})\n", cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip()


FIRST = _make_variable("FIRST")


def lab_command(target):
    """(environment, arguments) of the `jupyter lab` line that `make <target>` runs."""
    out = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=REPO,
                         capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if re.search(r"\bjupyter lab\b", line)]
    assert len(lines) == 1, f"`make -n {target}` should run `jupyter lab` once:\n{out.stdout}{out.stderr}"
    words = shlex.split(lines[0])
    env = {}
    while re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    assert words[0].endswith("jupyter") and words[1] == "lab", lines[0]
    return env, words[2:]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab: its address, token, log, the folder it serves; GETs with the token."""

    def __init__(self, base, token, log, root, state):
        self.base, self.token, self.log, self.root = base, token, log, Path(root)
        self.runtime = Path(state) / "runtime"  # connection files of its kernels

    def url(self, path):
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def get(self, path):
        return urllib.request.urlopen(self.url(path), timeout=30)

    def redirect(self, path):
        """Where the server sends a browser that asks for path (the first redirect)."""
        class Stop(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            response = urllib.request.build_opener(Stop).open(self.url(path), timeout=30)
        except urllib.error.HTTPError as error:
            return error.headers.get("Location")
        return response.url

    def status(self, path):
        try:
            return self.get(path).status
        except urllib.error.HTTPError as error:
            return error.code


@contextlib.contextmanager
def start_lab(role, root=REPO, state=None):
    """JupyterLab started the way `make lab` (student) or `make lab-instructor` does.

    root: the folder it serves, with nbgrader_config.py and jupyter/<role> (the repository, or a
    scratch copy of it; the Makefile's paths into the repository are mapped onto root).
    state: a folder for what Jupyter writes outside root (runtime files, notebook signatures,
    IPython history), so that nothing lands in the user's home; a temporary one if None.
    """
    make_env, args = lab_command(ROLES[role])
    env = {key: value.replace(str(REPO), str(root)) for key, value in make_env.items()}
    assert Path(env["JUPYTER_CONFIG_DIR"]) == root / "jupyter" / role, make_env
    own_state = state is None
    state = Path(state or tempfile.mkdtemp(prefix="lab-state-"))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, **env,
               # the Makefile puts the environment's bin/ first: nbgrader runs `alembic` by name
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_RUNTIME_DIR=str(state / "runtime"), JUPYTER_DATA_DIR=str(state / "data"),
               IPYTHONDIR=str(state / "ipython"))
    log_path = state / f"jupyter-{role}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", *args, "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, log_path, root, state)
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{lab.base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"JupyterLab ({role}) did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
        yield lab
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        if own_state:
            shutil.rmtree(state, ignore_errors=True)


def _page_config(lab, path="/lab"):
    page = lab.get(path).read().decode()
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "no page config in /lab"
    return json.loads(match.group(1))


def _untracked(folder):
    """Files under folder that git would show as new or changed (what is not git-ignored)."""
    if not shutil.which("git") or not (REPO / ".git").exists():
        return None
    new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", folder], cwd=REPO,
                         capture_output=True, text=True).stdout
    changed = subprocess.run(["git", "diff", "--name-only", "--", folder], cwd=REPO,
                             capture_output=True, text=True).stdout
    return sorted(new.split() + changed.split())


@pytest.fixture(scope="module")
def student_lab():
    before = _untracked("jupyter")
    with start_lab("student") as lab:
        yield lab
    assert _untracked("jupyter") == before, "make lab left files in jupyter/ that git does not ignore"


@pytest.fixture(scope="module")
def instructor_lab():
    with start_lab("instructor") as lab:
        yield lab


def test_make_lab_reads_the_repository_config_not_the_home_folder():
    for role, target in ROLES.items():
        env, args = lab_command(target)
        assert env["JUPYTER_CONFIG_DIR"] == str(REPO / "jupyter" / role), (target, env)
        assert "--ServerApp.root_dir=." in args, args
        # the options make lab always had: root allowed (containers); localhost and a token are
        # Jupyter's defaults, so nothing may turn them off
        if os.getuid() == 0:
            assert "--allow-root" in args
        assert not [a for a in args if re.match(r"--(ServerApp\.)?ip=|--.*token=|--.*password", a)], args


def test_student_lab_opens_notebook_01(student_lab):
    assert (REPO / FIRST).is_file(), FIRST
    config = json.loads((REPO / "jupyter/student/jupyter_server_config.json").read_text())
    assert config["LabApp"]["default_url"] == f"/lab/tree/{FIRST}"
    assert student_lab.redirect("/").startswith(f"/lab/tree/{FIRST}?"), student_lab.redirect("/")
    model = json.load(student_lab.get(f"/api/contents/{FIRST}"))
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 01 · Tokens and embeddings")
    # the file browser does not show the answers (solutions/, and tests/ with its wrong answers)
    listed = {item["name"] for item in json.load(student_lab.get("/api/contents/"))["content"]}
    assert {"notebooks", "course_utils"} <= listed and not {"solutions", "tests"} & listed, listed


def test_student_lab_has_validate_and_assignment_list_but_no_instructor_tools(student_lab):
    config = _page_config(student_lab)
    disabled = set(config.get("disabledExtensions", []))
    assert set(INSTRUCTOR_PLUGINS) <= disabled
    assert NEWS_PLUGIN in disabled
    assert not {"@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list",
                "@jupyter/nbgrader:menu"} & disabled
    assert "@jupyter/nbgrader" in [e["name"] for e in config["federated_extensions"]]
    assert student_lab.status("/formgrader/api/assignments") == 404  # formgrader is off
    assert student_lab.status("/formgraders") == 404                 # so is the course list
    courses = json.load(student_lab.get("/courses"))                 # the Assignment List's
    assert courses["success"], courses


def test_instructor_lab_opens_the_formgrader_with_every_assignment(instructor_lab):
    assert instructor_lab.redirect("/").startswith("/formgrader?"), instructor_lab.redirect("/")
    disabled = set(_page_config(instructor_lab).get("disabledExtensions", []))
    assert not set(INSTRUCTOR_PLUGINS) & disabled and NEWS_PLUGIN in disabled
    # the formgrader reads nbgrader_config.py: solutions/ is the source, notebooks/ the release
    assignments = json.load(instructor_lab.get("/formgrader/api/assignments"))
    names = {a["name"]: a for a in assignments}
    assert names["01-tokens-embeddings"]["source_path"].endswith("solutions/01-tokens-embeddings")
    page = instructor_lab.get("/formgrader").read().decode()
    assert "warning-exchange" not in page, "formgrader says the exchange directory does not exist"


def test_what_jupyterlab_writes_into_the_config_folders_is_git_ignored():
    if not shutil.which("git") or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    written = ["jupyter/student/lab/workspaces/default-37a8.jupyterlab-workspace",
               "jupyter/instructor/lab/user-settings/@jupyterlab/apputils-extension/themes.jupyterlab-settings",
               "jupyter/student/migrated"]
    config = [f"jupyter/{role}/{name}" for role in ROLES for name in
              ("labconfig/page_config.json", "jupyter_server_config.json", "jupyter_config.json")]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *written, *config], cwd=REPO,
                             capture_output=True, text=True).stdout.split()
    assert ignored == written
