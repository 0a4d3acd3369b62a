"""make checks the interpreter before it builds .venv (tools/check_python.py): a missing, too old or
venv-less Python gets one message with the fix; a .venv built by another Python is rebuilt.

Each test runs the Makefile's own rule (`make .venv/.python-id`) in a scratch folder holding the
Makefile and tools/check_python.py, so the repository's .venv is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYENV = Path.home() / ".pyenv" / "versions"


def _course(tmp_path: Path) -> Path:
    (tmp_path / "tools").mkdir(parents=True)
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "tools" / "check_python.py", tmp_path / "tools" / "check_python.py")
    return tmp_path


def make_python_id(folder: Path, python: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", f"PYTHON={python}", ".venv/.python-id"], cwd=folder,
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def _other_python(version_prefix: str) -> str:
    found = sorted(PYENV.glob(f"{version_prefix}*/bin/python3"))
    if not found:
        pytest.skip(f"no Python {version_prefix} under {PYENV} to try")
    return str(found[-1])


def test_a_python_that_is_not_there(tmp_path):
    result = make_python_id(_course(tmp_path), "python3.99")
    assert result.returncode != 0
    assert result.stderr.splitlines()[:2] == [
        "No 'python3.99' on this machine: the course needs Python 3.11 to 3.13.",
        "  Fix:  install one (e.g. sudo apt install python3 python3-venv), or name it: "
        "make PYTHON=python3.12 lab"]
    assert not (tmp_path / ".venv").exists()


def test_a_python_that_is_too_old(tmp_path):
    old = _other_python("3.10")
    result = make_python_id(_course(tmp_path), old)
    assert result.returncode != 0
    first, fix = result.stderr.splitlines()[:2]
    assert first.startswith("This Python is too old for the course: 3.10.")
    assert first.endswith("The course needs Python 3.11 to 3.13.")
    assert fix.startswith("  Fix:  make PYTHON=python3.12 lab")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_a_python_without_venv_names_the_debian_package(tmp_path):
    """Debian and Ubuntu without python3-venv: ensurepip cannot be imported (simulated here)."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "ensurepip.py").write_text("raise ImportError('No module named ensurepip')\n")
    result = make_python_id(_course(tmp_path / "course"), sys.executable, PYTHONPATH=str(blocker))
    assert result.returncode != 0
    minor = "%d.%d" % sys.version_info[:2]
    assert result.stderr.splitlines()[:3] == [
        "This Python cannot create a virtual environment: No module named ensurepip (venv/ensurepip missing).",
        "  Debian and Ubuntu ship them in a separate package.",
        f"  Fix:  sudo apt install python{minor}-venv    or    make PYTHON=python3.12 lab   "
        "(any Python 3.11 to 3.13; `ls /usr/bin/python3*` lists what you have)"]


def test_a_venv_built_by_another_python_is_rebuilt(tmp_path):
    course = _course(tmp_path)
    here = "%d.%d" % sys.version_info[:2]
    other = next((v for v in ("3.12", "3.13", "3.11") if v != here and sorted(PYENV.glob(f"{v}*/bin/python3"))),
                 "3.12")
    first = _other_python(other)
    subprocess.run([first, "-m", "venv", "--without-pip", str(course / ".venv")], check=True)
    assert make_python_id(course, first).stdout == ""  # same Python: kept, nothing said
    stamp = (course / ".venv" / ".python-id").stat().st_mtime_ns
    assert make_python_id(course, first).stdout == ""
    assert (course / ".venv" / ".python-id").stat().st_mtime_ns == stamp, "rewritten without a change"

    result = make_python_id(course, sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Rebuilding .venv: it was built with Python {other}.")
    assert f"you asked for {'%d.%d.%d' % sys.version_info[:3]}" in result.stdout
    assert not (course / ".venv" / "bin").exists(), "the old environment should be gone"
    assert (course / ".venv" / ".python-id").read_text().startswith("%d.%d.%d " % sys.version_info[:3])


def test_a_venv_whose_python_no_longer_runs_is_rebuilt(tmp_path):
    course = _course(tmp_path)
    (course / ".venv" / "bin").mkdir(parents=True)
    (course / ".venv" / "bin" / "python").symlink_to(tmp_path / "gone" / "python3")
    result = make_python_id(course, sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Rebuilding .venv: its python does not run")
    assert not (course / ".venv" / "bin").exists()
