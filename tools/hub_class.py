"""A class on JupyterHub, end to end on this machine: `make hub-demo` (as root; docs/JUPYTERHUB.md).

What it builds, all of it gone again at the end:
  * system users (useradd): one instructor and --students students (3 by default), homes in a scratch
    folder /tmp/lstm-course-hub-*; the exchange (nbgrader's shared folder) and the Hub's database,
    cookie secret and configuration live there too;
  * JupyterHub (requirements-hub.txt) in .hub/venv and configurable-http-proxy (tools/hub/) in
    .hub/proxy: cached between runs, git-ignored (.hub/ ignores itself), never in the course's .venv.
  * the class's "image" in the scratch folder, what every user's server runs: a copy (hard links,
    seconds) of .hub/venv and of the course's .venv, course_utils, data/ and jupyter/. A user's
    server runs the Hub venv's Python, which also sees the course's packages through one .pth line,
    so it has JupyterLab, nbgrader, torch and course_utils; and nothing a user runs reads the
    repository, wherever it lies and whoever may enter it.

What goes through the Hub (HTTP on 127.0.0.1, the proxy's public port, API tokens):
  * the Hub's REST API, with the token of a service that holds only the scopes it needs: start and
    stop every user's server, create each user's own token;
  * a login of every user through the Hub's login form (shared password), and one refused login;
  * the instructor's server, with the instructor's token: formgrader's API generates the student
    version, releases it, collects, autogrades each student, generates and releases the feedback,
    and reports the scores per test cell;
  * each student's server, with that student's token: nbgrader's assignment list API lists, fetches,
    submits and fetches the feedback; Jupyter's contents API types the answers into the notebook and
    reads the feedback HTML back.
What goes through the shell (root, or `runuser -u USER`): creating and deleting the users and the
scratch folder, installing, starting and stopping the Hub process, `nbgrader export` as the
instructor (formgrader has no export API), a probe of a student's Python, and the permission probes
of the exchange.

The three students type, in their fetched notebook, the solution, nothing, or the solution with two
of the realistic mistakes of lessons/01-tokens-embeddings/mistakes.py; the scores they should get follow from those
mistakes' `catches` and the notebook's points, and are checked in formgrader's scores, in the
exported CSV and in each student's feedback. Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import requests

REPO = Path(__file__).resolve().parents[1]

COURSE = "lstm-course"
ASSIGNMENT = "01-tokens-embeddings"
INSTRUCTOR = "lstm-instructor"
KINDS = ("solution", "blank", "wrong")        # student i types KINDS[(i - 1) % 3]
# the two mistakes the "wrong" student makes, by their `why` in lessons/01-tokens-embeddings/mistakes.py
MISTAKES = ("KeyError on unknown words", "seq and batch swapped (no transpose)")
MARK = "lstm-course hub demo (tools/hub_class.py)"   # GECOS of every user this script creates
HUB = REPO / ".hub"                                   # cached installs (ignores itself)
REQUIREMENTS = REPO / "requirements-hub.txt"
PROXY_PIN = REPO / "tools" / "hub"                    # package.json + package-lock.json
LOCK = HUB / "run.lock"
SCRATCH_PREFIX = "lstm-course-hub-"
T0 = time.monotonic()
LOG: list[str] = []


def log(msg: str) -> None:
    line = f"[{time.monotonic() - T0:6.1f}s] {msg}"
    LOG.append(line)
    print(line, flush=True)


def run(cmd, check=True, quiet=False, **kw) -> subprocess.CompletedProcess:
    cmd = [str(c) for c in cmd]
    if not quiet:
        log("$ " + shlex.join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and result.returncode != 0:
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(cmd)}\n"
                         f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.read_bytes())
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- preflight and installs

def preflight() -> None:
    # useradd, userdel and runuser live in sbin, which a minimal PATH (some CI runners) leaves out
    path = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join(path + [d for d in ("/usr/sbin", "/sbin") if d not in path])
    problems = []
    if os.geteuid() != 0:
        problems.append("it must run as root (it creates system users; JupyterHub's local spawner "
                        "starts each user's server as that user)")
    for tool in ("node", "npm", "useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            problems.append(f"'{tool}' is not on the PATH")
    if not (REPO / ".venv" / "bin" / "python").exists():
        problems.append("the course's .venv is missing: run `make setup` first")
    if problems:
        raise SystemExit("tools/hub_class.py cannot run here:\n  " + "\n  ".join(problems) +
                         "\n  Fix:  run it as root on a machine with Node.js and npm "
                         "(Debian: apt-get install nodejs npm)")


def course_python() -> tuple[str, str]:
    """(major.minor, site-packages) of the course's .venv."""
    out = run([REPO / ".venv" / "bin" / "python", "-c",
               "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]); "
               "print(sysconfig.get_path('purelib'))"], quiet=True).stdout.split("\n")
    return out[0], out[1]


def runnable_by_others(python: str) -> bool:
    """Can an unprivileged user run this interpreter (and make a venv with it)?"""
    return run(["runuser", "-u", "nobody", "--", python, "-c", "import venv, ensurepip"],
               check=False, quiet=True, cwd="/").returncode == 0


def user_python(version: str) -> str:
    """An interpreter of the course's Python version that the class's users may run.

    The course's .venv may come from a Python in root's home (pyenv: /root is mode 700), which
    other users cannot run; the Hub's venv is then made from the system's Python of that version.
    """
    cfg = dict(line.split(" = ", 1) for line in
               (REPO / ".venv" / "pyvenv.cfg").read_text().splitlines() if " = " in line)
    candidates = [cfg.get("executable"), shutil.which(f"python{version}"),
                  f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for c in candidates:
        if c and Path(c).exists() and runnable_by_others(c):
            return str(Path(c))
    raise SystemExit(f"No Python {version} that other users may run (tried: "
                     f"{', '.join(c for c in candidates if c)}). The course's .venv is Python "
                     f"{version}; the students' servers need the same version.\n"
                     f"  Fix:  apt-get install python{version} python{version}-venv")


def install(version: str) -> Path:
    """.hub/venv (JupyterHub) and .hub/proxy (configurable-http-proxy), rebuilt when a pin changes."""
    python = user_python(version)
    venv = HUB / "venv"
    stamp, want = venv / ".installed", f"{sha256(REQUIREMENTS)} {python}\n"
    if not (stamp.exists() and stamp.read_text() == want):
        log(f"installing JupyterHub (requirements-hub.txt) into .hub/venv with {python}")
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", venv])
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--root-user-action=ignore",
             "--disable-pip-version-check", "--no-deps", "-r", REQUIREMENTS])
        # the pins are the whole set: pip check sees no missing or conflicting requirement
        run([venv / "bin" / "python", "-m", "pip", "check", "--disable-pip-version-check"])
        stamp.write_text(want)
    # The single-user servers (and their kernels) also see the course's packages, after the Hub's
    # own, when LSTM_COURSE_SITE is set. The Hub process runs without it.
    purelib = run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                  quiet=True).stdout.strip()
    (Path(purelib) / "lstm_course_site.pth").write_text(
        "import os, site; p = os.environ.get('LSTM_COURSE_SITE'); p and site.addsitedir(p)\n")
    proxy = HUB / "proxy"
    stamp, want = proxy / ".installed", sha256(PROXY_PIN / "package.json", PROXY_PIN / "package-lock.json")
    if not (stamp.exists() and stamp.read_text() == want):
        log("installing configurable-http-proxy (tools/hub/package-lock.json) into .hub/proxy")
        shutil.rmtree(proxy, ignore_errors=True)
        proxy.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PROXY_PIN / name, proxy / name)
        run(["npm", "ci", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"], cwd=proxy)
        stamp.write_text(want)
    chp = proxy / "node_modules" / ".bin" / "configurable-http-proxy"
    versions = (run([venv / "bin" / "jupyterhub", "--version"], quiet=True).stdout.strip(),
                run([chp, "--version"], quiet=True).stdout.strip())
    log(f"JupyterHub {versions[0]}, configurable-http-proxy {versions[1]}, Python {python}")
    return venv


def build_image(scratch: Path, venv: Path, course_site: str) -> SimpleNamespace:
    """What the users' servers run, in the scratch folder: hard links where the repository is on the
    same file system (seconds), else a copy. The repository itself may sit where users cannot enter."""
    image = scratch / "image"
    same_fs = os.stat(REPO).st_dev == os.stat(scratch).st_dev
    parts = [(venv, image / "hub-venv"), (REPO / ".venv", image / "course-venv"),
             *((REPO / name, image / "course" / name) for name in ("course_utils", "data", "jupyter"))]
    for src, dst in parts:
        dst.parent.mkdir(parents=True, exist_ok=True)
        run(["cp", "-al" if same_fs else "-a", src, dst], quiet=True)
    course_venv = image / "course-venv"
    img = SimpleNamespace(
        python=image / "hub-venv" / "bin" / "python",
        site=course_venv / Path(course_site).relative_to(REPO / ".venv"),
        share=course_venv / "share" / "jupyter", etc=course_venv / "etc" / "jupyter",
        course=image / "course", jupyter=image / "course" / "jupyter")
    log(f"image {image}: .hub/venv, .venv, course_utils, data, jupyter "
        f"({'hard links' if same_fs else 'copied: the repository is on another file system'})")
    return img


# ---------------------------------------------------------------- users and processes

def pids_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                pass
    return pids


def end_processes(pids: list[int], what: str) -> None:
    """SIGTERM, then SIGKILL, each process of ours by its id."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return
        log(f"sent {sig.name} to {what}: {alive}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in alive):
            time.sleep(0.2)
        pids = alive


def delete_user(name: str) -> None:
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    end_processes(pids_of(uid), f"leftover processes of {name}")
    run(["userdel", "--remove", name], check=False)   # exit 12: the home was already gone


def remove_leftovers() -> None:
    """Users, processes and scratch folders of an earlier run that was killed before its cleanup."""
    for p in pwd.getpwall():
        if p.pw_gecos == MARK:
            log(f"removing user {p.pw_name} left by an earlier run")
            delete_user(p.pw_name)
    for old in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        pidfile = old / "hub" / "jupyterhub.pid"
        if pidfile.exists():
            end_processes([int(pidfile.read_text().strip())], f"the Hub left by an earlier run ({old})")
        log(f"removing {old} left by an earlier run")
        shutil.rmtree(old, ignore_errors=True)


def make_users(home: Path, names: list[str]) -> None:
    for name in names:
        run(["useradd", "--create-home", "--home-dir", home / name, "--comment", MARK,
             "--shell", "/bin/bash", "--user-group", name])
        os.chmod(home / name, 0o700)   # a student's work is private


def as_user(name: str, cmd: list, env: dict, cwd: Path, check=True, quiet=False) -> subprocess.CompletedProcess:
    """Run cmd as NAME with exactly env (plus HOME and USER); logged as `runuser -u NAME -- cmd`."""
    home = pwd.getpwnam(name).pw_dir
    if not quiet:
        log(f"$ runuser -u {name} -- {shlex.join(str(c) for c in cmd)}   (in {cwd}; env: {' '.join(env)})")
    return run(["runuser", "-u", name, "--", "env", "-i", f"HOME={home}", f"USER={name}",
                *(f"{k}={v}" for k, v in env.items()), *cmd], check=check, cwd=cwd, quiet=True)


# ---------------------------------------------------------------- configuration files

def write_configs(scratch: Path, img: SimpleNamespace, students: list[str]) -> SimpleNamespace:
    ports = SimpleNamespace(public=free_port(), api=free_port(), hub=free_port())
    hubdir, etc, exchange = scratch / "hub", scratch / "etc" / "jupyter", scratch / "exchange"
    for d in (hubdir, etc, exchange):
        d.mkdir(parents=True)
    hubdir.chmod(0o700)   # database, cookie secret, tokens: root only
    # nbgrader's exchange: everyone may write in its root (nbgrader checks that); sticky, so that no one
    # removes or renames another's folder. The course folder is made for the instructor beforehand,
    # so that no student can claim the course's name first.
    exchange.chmod(0o1777)
    (exchange / COURSE).mkdir()
    instructor = pwd.getpwnam(INSTRUCTOR)
    os.chown(exchange / COURSE, instructor.pw_uid, instructor.pw_gid)
    (etc / "nbgrader_config.py").write_text(
        "# Read by every user's nbgrader (on a server: /etc/jupyter/nbgrader_config.py)\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n")
    os.chmod(scratch / "etc", 0o755)
    # the instructor's course folder: the repository's nbgrader configuration and the solution notebook
    ihome = Path(instructor.pw_dir)
    course = ihome / COURSE
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    (course / "nbgrader_config.py").write_text(
        (REPO / "nbgrader_config.py").read_text() +
        "\n# ---- added by tools/hub_class.py for the class on JupyterHub: the shared exchange ----\n"
        f"c.Exchange.root = {str(exchange)!r}\n")
    (ihome / ".jupyter").mkdir()
    (ihome / ".jupyter" / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n")
    run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", ihome], quiet=True)

    # Every user's server: the image's Python first on the PATH (kernels start as `python -m
    # ipykernel_launcher`); the course's packages after the Hub's (LSTM_COURSE_SITE, read by the
    # .pth line); course_utils and its data from the image (PYTHONPATH wins over the editable
    # install, which points into the repository); Jupyter's configuration: the course's jupyter/student
    # or jupyter/instructor first, then the class's nbgrader_config.py, then the course's .venv/etc/jupyter
    # (the server extensions nbgrader enables).
    path = f"{img.python.parent}:/usr/local/bin:/usr/bin:/bin"
    env_paths = {role: f"{img.jupyter / role}:{etc}:{img.etc}" for role in ("instructor", "student")}
    user_env = {"PATH": path, "LSTM_COURSE_SITE": str(img.site), "PYTHONPATH": str(img.course),
                "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "JUPYTER_PATH": str(img.share)}
    password = secrets.token_urlsafe(18)
    token = secrets.token_hex(32)
    chp = HUB / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    users = [INSTRUCTOR, *students]
    (hubdir / "jupyterhub_config.py").write_text(f'''\
# Written by tools/hub_class.py for one run; see docs/JUPYTERHUB.md.
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports.public}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports.hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports.api}"
c.ConfigurableHTTPProxy.command = [{str(chp)!r}]
c.JupyterHub.db_url = "sqlite:///{hubdir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = "{hubdir / 'jupyterhub_cookie_secret'}"
c.JupyterHub.pid_file = "{hubdir / 'jupyterhub.pid'}"

# Users: system users (LocalProcessSpawner starts each server as its user), one shared password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = {set(users)!r}

# The script that drives the class is a Hub service with only the scopes it needs.
c.JupyterHub.services = [{{"name": "class-driver", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "class-driver",
    "scopes": ["list:users", "read:users", "admin:servers", "tokens", "access:servers"],
    "services": ["class-driver"],
}}]

c.Spawner.cmd = ["{img.python}", "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
# POST and DELETE .../server answer at once (202); the script polls until the servers are ready or gone
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0, "slow_stop_timeout": 0}}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
ENV = {user_env!r}
CONFIG_PATH = {env_paths!r}


def _config_path(spawner):
    return CONFIG_PATH["instructor" if spawner.user.name == {INSTRUCTOR!r} else "student"]


c.Spawner.environment = {{**ENV, "JUPYTER_CONFIG_PATH": _config_path}}


def _pre_spawn(spawner):
    if spawner.user.name == {INSTRUCTOR!r}:
        spawner.default_url = "/formgrader"


c.Spawner.pre_spawn_hook = _pre_spawn
''')
    return SimpleNamespace(ports=ports, password=password, token=token, hubdir=hubdir, etc=etc,
                           exchange=exchange, course=course, user_env=user_env, env_paths=env_paths,
                           base=f"http://127.0.0.1:{ports.public}")


# ---------------------------------------------------------------- talking to the Hub

class Hub:
    def __init__(self, base: str, token: str):
        self.base = base
        self.admin = requests.Session()
        self.admin.headers["Authorization"] = f"token {token}"
        self.users: dict[str, requests.Session] = {}

    def api(self, method: str, path: str, expect=(200,), **kw):
        r = self.admin.request(method, self.base + "/hub/api" + path, timeout=60, **kw)
        if r.status_code not in expect:
            raise SystemExit(f"Hub API {method} {path}: {r.status_code} {r.text[:500]}")
        return r.json() if r.content else None

    def server(self, user: str, method: str, path: str, timeout=120, **kw):
        """A request to USER's single-user server through the proxy, with USER's own token."""
        r = self.users[user].request(method, f"{self.base}/user/{user}{path}", timeout=timeout, **kw)
        if r.status_code >= 400:
            raise SystemExit(f"{user}'s server: {method} {path}: {r.status_code} {r.text[:800]}")
        try:
            return r.json()      # formgrader answers JSON as text/html
        except ValueError:
            return r.text

    def nbgrader(self, user: str, path: str, what: str, timeout=120, **kw):
        """A formgrader call that answers {"success": ..., "log": ...}: fail loudly if it did not succeed."""
        out = self.server(user, "POST", path, timeout=timeout, **kw)
        if not (isinstance(out, dict) and out.get("success")):
            if not isinstance(out, dict):
                raise SystemExit(f"{what} failed: {str(out)[:3000]}")
            # the lines that say why, not the first 3000 characters of an INFO log
            why = [line for line in str(out.get("log", "")).splitlines() if "ERROR" in line or "Error" in line]
            raise SystemExit(f"{what} failed:\n" + "\n".join(why[-30:]) + "\n" + str(out.get("error"))[-1500:])
        return out


def wait_for(what: str, ready, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")


def hub_is_up(base: str):
    try:
        return requests.get(base + "/hub/api/", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def check_logins(base: str, users: list[str], password: str) -> None:
    """Each user logs in through the Hub's login form; a wrong password is refused."""
    for name, pw, want in [*((u, password, 302) for u in users), (users[-1], "not-the-password", 403)]:
        s = requests.Session()
        s.get(base + "/hub/login", timeout=30)
        r = s.post(base + "/hub/login", data={"username": name, "password": pw, "_xsrf": s.cookies.get("_xsrf", "")},
                   allow_redirects=False, timeout=30)
        logged_in = any(c.startswith("jupyterhub-") for c in r.cookies.keys())
        if r.status_code != want or logged_in != (want == 302):
            raise SystemExit(f"login of {name} with {'the' if pw == password else 'a wrong'} password: "
                             f"HTTP {r.status_code}, cookies {sorted(r.cookies.keys())}; expected {want}")
    log(f"login form: {len(users)} users logged in with the shared password; a wrong password got 403")


# ---------------------------------------------------------------- what each student types

def points() -> dict:
    """{test grade_id: points} of the notebook, as its tasks state them (lessons/01-tokens-embeddings/mistakes.py)."""
    from course_utils.grading.lessons import mistakes
    return mistakes("01").POINTS


def expected_scores(students: dict[str, str]):
    """{student: {test grade_id: points expected}} and each kind's answer sources."""
    from course_utils.grading.harness import Course
    from course_utils.grading.lessons import mistakes as catalogue

    t = catalogue("01")

    pts = points()
    # Course.solution_sources reads the solution notebook's answer cells: {grade_id: source}
    sources = Course.solution_sources(SimpleNamespace(assignment=ASSIGNMENT, notebook=ASSIGNMENT))
    mistakes = [next(w for w in t.WRONG_ANSWERS if w.why == why) for why in MISTAKES]
    wrong = dict(sources)
    for w in mistakes:
        assert w.old in wrong[w.cell], (w.cell, w.old)
        wrong[w.cell] = wrong[w.cell].replace(w.old, w.new)
    caught = set().union(*(w.caught_by for w in mistakes))
    typed = {"solution": sources, "blank": {}, "wrong": wrong}
    want = {"solution": dict(pts), "blank": dict.fromkeys(pts, 0),
            "wrong": {g: 0 if g in caught else p for g, p in pts.items()}}
    return ({s: want[k] for s, k in students.items()}, {s: typed[k] for s, k in students.items()},
            mistakes)


def type_answers(hub: Hub, student: str, answers: dict[str, str]) -> int:
    """Open the fetched notebook through the contents API, type the answers, save it back."""
    path = f"/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    model = hub.server(student, "GET", path + "?content=1")
    if "BEGIN HIDDEN TESTS" in json.dumps(model):
        raise SystemExit(f"the notebook {student} fetched shows the hidden tests")
    nb, typed = model["content"], 0
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers and cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = answers[gid]
            typed += 1
    if answers:
        hub.server(student, "PUT", path, json={"type": "notebook", "format": "json", "content": nb})
    return typed


# ---------------------------------------------------------------- the class

PROBE = """
import sys
import course_utils, jupyterhub, jupyterlab, nbgrader, torch
mods = [course_utils, jupyterhub, jupyterlab, nbgrader, torch]
print(", ".join(f"{m.__name__} {getattr(m, '__version__', '')}".strip() for m in mods))
bad = [m.__name__ for m in mods if m.__file__.startswith(sys.argv[1])]
sys.exit(f"imported from the repository: {bad}" if bad else 0)
"""


def probe_environment(cfg, student: str) -> None:
    """A student's environment, run as that student: every package comes from the image."""
    r = as_user(student, ["python", "-c", PROBE, str(REPO) + "/"], cfg.user_env, Path("/"), quiet=True)
    log(f"runuser -u {student}: its python ({cfg.user_env['PATH'].split(':')[0]}/python) imports {r.stdout.strip()}: all from the image, none from the repository")


def the_class(hub: Hub, cfg, students: dict[str, str], out: Path) -> dict:
    want, typed, mistakes = expected_scores(students)
    users = [INSTRUCTOR, *students]
    assignment_api = f"/formgrader/api/assignment/{ASSIGNMENT}"
    course_arg = {"assignment_id": ASSIGNMENT, "course_id": COURSE}

    check_logins(cfg.base, users, cfg.password)

    # servers, through the Hub's REST API (the service token), all started at once
    for u in users:
        hub.api("POST", f"/users/{u}/server", expect=(201, 202))
    log(f"POST /hub/api/users/<name>/server for {', '.join(users)}")

    def all_ready():
        models = {u: hub.api("GET", f"/users/{u}") for u in users}
        return all(m["servers"].get("", {}).get("ready") for m in models.values())
    wait_for("every single-user server", all_ready, timeout=240, every=1)
    for u in users:
        token = hub.api("POST", f"/users/{u}/tokens", expect=(200, 201),
                        json={"scopes": [f"access:servers!user={u}"], "expires_in": 3600,
                              "note": "tools/hub_class.py"})["token"]
        hub.users[u] = requests.Session()
        hub.users[u].headers["Authorization"] = f"token {token}"
        hub.server(u, "GET", "/api/status")
    log(f"{len(users)} servers ready; each user has a token limited to access:servers!user=<self>")
    # a student's token does not open another student's server
    r = hub.users[users[1]].get(f"{cfg.base}/user/{users[2]}/api/contents", timeout=30, allow_redirects=False)
    if r.status_code < 300:
        raise SystemExit(f"{users[1]}'s token opened {users[2]}'s server ({r.status_code})")
    log(f"{users[1]}'s token on {users[2]}'s server: HTTP {r.status_code} (refused)")

    # instructor: generate the student version and release it
    hub.nbgrader(INSTRUCTOR, assignment_api + "/assign", "generate_assignment")
    log(f"instructor: formgrader POST {assignment_api}/assign (generate_assignment) ok")
    hub.nbgrader(INSTRUCTOR, assignment_api + "/release", "release_assignment")
    log(f"instructor: formgrader POST {assignment_api}/release (release_assignment) ok")

    # students: list, fetch, type, submit
    for s, kind in students.items():
        listed = hub.server(s, "GET", f"/assignments?course_id={COURSE}")
        status = {a["assignment_id"]: a["status"] for a in listed["value"]}
        assert status.get(ASSIGNMENT) == "released", listed
        fetched = hub.server(s, "POST", "/assignments/fetch", json=course_arg)
        assert {a["assignment_id"]: a["status"] for a in fetched["value"]}[ASSIGNMENT] == "fetched", fetched
        n = type_answers(hub, s, typed[s])
        submitted = hub.server(s, "POST", "/assignments/submit", json=course_arg)
        assert "value" in submitted, submitted     # a failed submit answers {"success": false, ...}
        log(f"{s}: listed (released), fetched, typed {n} answer cells ({kind}), submitted")

    # instructor: collect, autograde each, scores per test cell from formgrader
    hub.nbgrader(INSTRUCTOR, assignment_api + "/collect", "collect")
    log("instructor: collect ok")
    timings = {}
    for s in students:
        t = time.monotonic()
        hub.nbgrader(INSTRUCTOR, f"/formgrader/api/submission/{ASSIGNMENT}/{s}/autograde",
                     f"autograde of {s}", timeout=600)
        timings[s] = time.monotonic() - t
        log(f"instructor: autograde {s} ok ({timings[s]:.1f} s)")
    subs = hub.server(INSTRUCTOR, "GET", f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    per_cell = {}
    for sub in subs:
        grades = hub.server(INSTRUCTOR, "GET", f"/formgrader/api/grades?submission_id={sub['id']}")
        per_cell[sub["student"]] = {g["name"]: g["auto_score"] if g["manual_score"] is None else g["manual_score"]
                                    for g in grades if g["cell_type"] == "code"}

    # instructor: feedback
    hub.nbgrader(INSTRUCTOR, assignment_api + "/generate_feedback", "generate_feedback", timeout=300)
    hub.nbgrader(INSTRUCTOR, assignment_api + "/release_feedback", "release_feedback")
    log("instructor: generate_feedback ok, release_feedback ok")

    # students: fetch the feedback, read it through the contents API
    feedback = {}
    for s in students:
        hub.server(s, "POST", "/assignments/fetch_feedback", json=course_arg)
        folder = hub.server(s, "GET", f"/api/contents/{ASSIGNMENT}/feedback")
        stamps = [c["name"] for c in folder["content"] if c["type"] == "directory"]
        assert len(stamps) == 1, folder
        html = hub.server(s, "GET", f"/api/contents/{ASSIGNMENT}/feedback/{stamps[0]}/{ASSIGNMENT}.html"
                          "?content=1&format=text&type=file")["content"]
        (out / f"feedback-{s}.html").write_text(html)
        feedback[s] = html
        log(f"{s}: fetch_feedback ok, read {ASSIGNMENT}/feedback/{stamps[0]}/{ASSIGNMENT}.html "
            f"({len(html)} characters)")

    # shell, as the instructor: grades to CSV
    env = {**cfg.user_env, "JUPYTER_CONFIG_PATH": cfg.env_paths["instructor"]}
    as_user(INSTRUCTOR, ["python", "-m", "nbgrader", "export", "--to", "grades.csv"], env, cfg.course)
    shutil.copy(cfg.course / "grades.csv", out / "grades.csv")
    with open(out / "grades.csv") as f:
        csv_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)
                      if row["assignment"] == ASSIGNMENT}
    log(f"instructor (shell): nbgrader export -> grades.csv, {len(csv_scores)} rows")

    permissions(cfg, students)

    # the checks
    problems, rows = [], []
    for s, kind in students.items():
        total = sum(want[s].values())
        cells = per_cell.get(s, {})
        if cells != want[s]:
            problems.append(f"{s} ({kind}): formgrader per cell {cells}, expected {want[s]}")
        if csv_scores.get(s) != total:
            problems.append(f"{s} ({kind}): CSV score {csv_scores.get(s)}, expected {total}")
        html, max_score = feedback[s], sum(points().values())
        if f"{ASSIGNMENT} (Score: {float(total)} / {float(max_score)})" not in html:
            problems.append(f"{s} ({kind}): the feedback does not show the score {total:g}/{max_score:g}")
        if "BEGIN HIDDEN TESTS" in html:
            problems.append(f"{s}: the feedback shows hidden tests")
        rows.append({"student": s, "typed": kind, "expected": total, "formgrader": sum(cells.values()),
                     "csv": csv_scores.get(s), "per_cell": cells, "autograde_s": round(timings[s], 1),
                     "feedback_chars": len(html)})
    return {"rows": rows, "problems": problems, "max_score": sum(points().values()),
            "mistakes": [w.why for w in mistakes]}


def permissions(cfg, students: dict[str, str]) -> None:
    """The exchange's modes after the cycle, and what a student may not do there."""
    found = run(["find", cfg.exchange, "-maxdepth", "3", "-printf", "%P\t%M %u\n"], quiet=True).stdout
    rows = sorted(line.split("\t") for line in found.splitlines())
    log("exchange after the cycle (mode, owner, path under the exchange root):\n" +
        "\n".join(f"           {mode:<28} {path or '.'}" for path, mode in rows))
    s1, s2 = list(students)[:2]
    probes = [(f"{s2} lists the inbound folder (everyone's submissions)", ["ls", cfg.exchange / COURSE / "inbound"]),
              (f"{s2} lists the feedback folder", ["ls", cfg.exchange / COURSE / "feedback"]),
              (f"{s2} reads {s1}'s home", ["ls", pwd.getpwnam(s1).pw_dir]),
              (f"{s2} removes the released assignment", ["rm", "-rf", cfg.exchange / COURSE / "outbound" / ASSIGNMENT])]
    for what, cmd in probes:
        r = as_user(s2, cmd, {"PATH": "/usr/bin:/bin"}, Path("/"), check=False)
        if r.returncode == 0:
            raise SystemExit(f"permission probe: {what} succeeded; it must not")
        log(f"refused: {what}: {r.stderr.strip().splitlines()[-1].rsplit(': ', 1)[-1]}")


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=3, help="how many students (kinds cycle: solution, blank, wrong)")
    ap.add_argument("--out", type=Path, default=HUB / "last-run",
                    help="where the log, grades.csv, the feedback and results.json go (default .hub/last-run)")
    args = ap.parse_args(argv)
    if args.students < 2:
        ap.error("--students: at least 2 (the probes need one student trying another's work)")
    preflight()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    students = {f"lstm-student{i}": KINDS[(i - 1) % 3] for i in range(1, args.students + 1)}

    HUB.mkdir(exist_ok=True)
    (HUB / ".gitignore").write_text("# made by tools/hub_class.py; nothing in here is committed\n*\n")
    lock = open(LOCK, "w")   # one run at a time: the user names and the cached installs are shared
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"another run of tools/hub_class.py holds {LOCK}: waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    remove_leftovers()
    version, course_site = course_python()
    venv = install(version)
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    scratch.chmod(0o755)
    hub_proc, result, ok = None, None, False
    created: list[str] = []

    def on_signal(signum, frame):
        log(f"signal {signum}: stopping, then cleaning up")
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    t_class = time.monotonic()
    try:
        log(f"scratch {scratch}: homes, exchange, the Hub's database and configuration")
        (scratch / "home").mkdir()
        created = [INSTRUCTOR, *students]
        make_users(scratch / "home", created)
        img = build_image(scratch, venv, course_site)
        cfg = write_configs(scratch, img, list(students))
        probe_environment(cfg, list(students)[0])
        log(f"users: {INSTRUCTOR} (instructor), " + ", ".join(f"{s} ({k})" for s, k in students.items()))
        hub_log = open(cfg.hubdir / "jupyterhub.log", "w")
        hub_proc = subprocess.Popen(
            [venv / "bin" / "jupyterhub", "-f", cfg.hubdir / "jupyterhub_config.py"], cwd=cfg.hubdir,
            stdout=hub_log, stderr=subprocess.STDOUT, start_new_session=True,
            env={"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(cfg.hubdir),
                 "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"})
        log(f"$ jupyterhub -f jupyterhub_config.py  (pid {hub_proc.pid}; proxy on 127.0.0.1:{cfg.ports.public})")
        wait_for("the Hub", lambda: hub_proc.poll() is not None or hub_is_up(cfg.base), timeout=90)
        if hub_proc.poll() is not None:
            raise SystemExit("the Hub exited at start:\n" + (cfg.hubdir / "jupyterhub.log").read_text()[-3000:])
        log(f"Hub up: GET {cfg.base}/hub/api/ -> 200")
        hub = Hub(cfg.base, cfg.token)
        result = the_class(hub, cfg, students, out)
        for u in created:
            hub.api("DELETE", f"/users/{u}/server", expect=(202, 204))
        log("DELETE /hub/api/users/<name>/server for every user")
        wait_for("the servers to stop",
                 lambda: all(not hub.api("GET", f"/users/{u}")["servers"] for u in created), timeout=60)
        log("every server stopped")
        ok = not result["problems"]
    finally:
        if hub_proc is not None:
            if hub_proc.poll() is None:
                hub_proc.send_signal(signal.SIGTERM)   # the Hub stops the proxy and any server left
                try:
                    hub_proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    end_processes([hub_proc.pid], "the Hub")
            log(f"Hub stopped (exit {hub_proc.returncode})")
            if (scratch / "hub" / "jupyterhub.log").exists():
                shutil.copy(scratch / "hub" / "jupyterhub.log", out / "jupyterhub.log")
        for u in created:
            delete_user(u)
        shutil.rmtree(scratch, ignore_errors=True)
        left = [u for u in created if u in {p.pw_name for p in pwd.getpwall()}]
        log(f"cleaned up: users deleted{' EXCEPT ' + str(left) if left else ''}, {scratch} removed")
        (out / "hub_class.log").write_text("\n".join(LOG) + "\n")
    elapsed = time.monotonic() - T0
    result.update(seconds_total=round(elapsed, 1), seconds_class=round(time.monotonic() - t_class, 1),
                  students=len(students), ok=ok, users_left=left)
    (out / "results.json").write_text(json.dumps(result, indent=1))
    print("\nstudent          typed     expected  formgrader  CSV    autograde")
    for r in result["rows"]:
        print(f"{r['student']:16} {r['typed']:9} {r['expected']:5g}/{result['max_score']:<3g} {r['formgrader']:7g} "
              f"{r['csv']:8g}  {r['autograde_s']:6.1f} s")
    for p in result["problems"]:
        print("PROBLEM:", p)
    print(f"{'all checks passed' if ok else 'FAILED'}; {elapsed:.0f} s in all "
          f"({result['seconds_class']:.0f} s from creating the users to deleting them); "
          f"log, grades.csv, feedback and results.json in {out}")
    (out / "hub_class.log").write_text("\n".join(LOG) + "\n")
    return 0 if ok and not left else 1


if __name__ == "__main__":
    sys.exit(main())
