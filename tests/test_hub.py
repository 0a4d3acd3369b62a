"""A class on JupyterHub (docs/JUPYTERHUB.md): tools/hub_class.py, run here, and its pins.

The run creates system users and starts a real JupyterHub with configurable-http-proxy, so it needs
root, Node.js and npm: without them it skips, except in CI (COURSE_CI=1), where it must run. It
installs JupyterHub from requirements-hub.txt (PyPI) and the proxy from tools/hub/ (npm) into .hub/
the first time (about 30 s), then takes about a minute: an instructor and three students go through
release, fetch, submit, collect, autograde, feedback and export, with the scores checked.
The pin checks ask PyPI (they skip offline, except in CI).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_lock as lockcheck  # the lock's own checks, applied to requirements-hub.txt
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
HUB_PINS = REPO / "requirements-hub.txt"
PROXY = REPO / "tools" / "hub"

runs_the_hub = pytest.mark.skipif(
    os.environ.get("COURSE_CI") != "1" and not (os.geteuid() == 0 and shutil.which("node") and shutil.which("npm")),
    reason="the class on JupyterHub needs root, node and npm (CI runs it: COURSE_CI=1)")


def hub_pins() -> dict[str, str]:
    return lockcheck.lock_pins(HUB_PINS.read_text())


def test_hub_pins_are_exact_and_agree_with_the_course_lock():
    """Every line pins one version; a package in both files has the same version in both."""
    lines = [x.split("#")[0].strip() for x in HUB_PINS.read_text().splitlines()]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+!-]*", x) for x in lines if x), \
        [x for x in lines if x and "==" not in x]
    hub, lock = hub_pins(), lockcheck.lock_pins(lockcheck.LOCK.read_text())
    assert "jupyterhub" in hub
    differ = {n: (v, lock[n]) for n, v in hub.items() if n in lock and lock[n] != v}
    assert not differ, f"requirements-hub.txt and requirements-lock.txt disagree (hub, lock): {differ}"
    assert "jupyterhub" not in lock, "JupyterHub must stay out of the learner's lock"


def test_the_proxy_is_pinned_exactly():
    package = json.loads((PROXY / "package.json").read_text())
    pin = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin), f"configurable-http-proxy is not pinned exactly: {pin}"
    lock = json.loads((PROXY / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == pin
    assert all("integrity" in p for name, p in lock["packages"].items() if name), "a package without a hash"


@pytest.mark.parametrize("python", lockcheck.VERSIONS)
def test_every_hub_pin_has_a_wheel_for_each_supported_python(python):
    problems = lockcheck.lock_problems(HUB_PINS.read_text(), python)
    assert not problems, f"requirements-hub.txt on Python {python}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("python", [lockcheck.VERSIONS[-1]])
def test_pip_resolves_the_hub_pins_to_themselves(python, tmp_path):
    """pip's resolver on the newest Python: the pins agree and nothing else comes in. (On this
    machine's Python, tools/hub_class.py's install runs `pip check` on the installed set.)"""
    try:
        lockcheck.index_files("pip")
    except lockcheck.urllib.error.URLError as err:
        lockcheck._need_pypi(err)
    text = HUB_PINS.read_text()
    result = lockcheck.pip_dry_run(text, python, tmp_path)
    errors = [x for x in (result.stdout + result.stderr).splitlines() if x.startswith("ERROR")]
    assert result.returncode == 0, f"pip cannot install requirements-hub.txt on Python {python}:\n" + "\n".join(errors)
    line = next(x for x in result.stdout.splitlines() if x.startswith("Would install"))
    would = {canonicalize_name(re.sub(r"-[^-]+$", "", item)) for item in line.split()[2:]}
    assert would == set(hub_pins()), f"pip installs {sorted(would ^ set(hub_pins()))} differently"


@runs_the_hub
def test_a_class_on_jupyterhub(tmp_path):
    proc = subprocess.Popen([sys.executable, str(REPO / "tools" / "hub_class.py"), "--out", str(tmp_path)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = proc.communicate(timeout=900)[0]
    except subprocess.TimeoutExpired:
        proc.terminate()   # the script cleans up on SIGTERM: servers, Hub, users, scratch
        pytest.fail("tools/hub_class.py ran over 15 minutes:\n" + proc.communicate(timeout=120)[0][-6000:])
    assert proc.returncode == 0, output[-8000:]
    result = json.loads((tmp_path / "results.json").read_text())
    scores = {r["typed"]: (r["expected"], r["formgrader"], r["csv"]) for r in result["rows"]}
    assert scores == {"solution": (10, 10, 10), "blank": (0, 0, 0), "wrong": (6, 6, 6)}, result
    assert result["ok"] and not result["problems"] and not result["users_left"], result
    log = (tmp_path / "hub_class.log").read_text()
    for step in ("/assign (generate_assignment) ok", "/release (release_assignment) ok",
                 "submitted", "collect ok", "autograde lstm-student3 ok",
                 "generate_feedback ok, release_feedback ok", "fetch_feedback ok", "nbgrader export"):
        assert step in log, f"no '{step}' in the log:\n{log}"
    for row in result["rows"]:
        html = (tmp_path / f"feedback-{row['student']}.html").read_text()
        assert f"(Score: {float(row['expected'])} / 10.0)" in html
        assert "BEGIN HIDDEN TESTS" not in html
    # everything it made is gone: the users, the scratch folder; the repository holds only .hub/ (ignored)
    names = {p.pw_name for p in pwd.getpwall()}
    assert not {r["student"] for r in result["rows"]} & names and "lstm-instructor" not in names
    scratch = re.search(r"scratch (/\S+):", log).group(1)
    assert not Path(scratch).exists()
    if (REPO / ".git").exists():
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", ".hub"],
                                cwd=REPO, capture_output=True, text=True).stdout
        assert status == "", status
    assert result["seconds_total"] < 300, f"the run took {result['seconds_total']} s"
