"""The pins: one lock file for README/Makefile/CI, the same pins in environment.yml, and
pyproject's ranges admit them."""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def lock_pins():
    return _pins((REPO / "requirements-lock.txt").read_text().splitlines())


def conda_pins():
    lines = (REPO / "environment.yml").read_text().splitlines()
    return _pins(re.sub(r"^\s*-\s*", "", line) for line in lines if "==" in line)


def test_lock_pins_torch_cpu_version():
    assert lock_pins()["torch"] == "2.13.0"


def test_environment_yml_has_the_same_pins_as_the_lock():
    lock, conda = lock_pins(), conda_pins()
    assert conda == lock, {k: (lock.get(k), conda.get(k)) for k in set(lock) | set(conda)
                           if lock.get(k) != conda.get(k)}
    yml = (REPO / "environment.yml").read_text()
    assert "- -e ." in yml


def _supported():
    sys.path.insert(0, str(REPO / "tools"))
    from check_python import NEWEST, OLDEST

    return OLDEST, NEWEST


def test_every_file_states_the_same_python_range():
    """make's interpreter check, pyproject, environment.yml and the README agree: 3.11 to 3.13."""
    (o_major, o_minor), (n_major, n_minor) = _supported()
    upper = f"{n_major}.{n_minor + 1}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(project["requires-python"]) == SpecifierSet(f">={o_major}.{o_minor}, <{upper}")
    yml = (REPO / "environment.yml").read_text()
    assert f"  - python>={o_major}.{o_minor},<{upper}\n" in yml
    readme = (REPO / "README.md").read_text()
    assert f"Python {o_major}.{o_minor} to {n_major}.{n_minor}" in readme


def test_pyproject_ranges_admit_the_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = lock_pins()
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    for spec in deps:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} is a dependency but is not pinned in requirements-lock.txt"
        assert req.specifier.contains(lock[name]), f"{req.name}=={lock[name]} is outside {req.specifier}"


def test_every_tool_the_readme_and_ci_use_is_pinned():
    lock = lock_pins()
    for tool in ("jupyterlab", "nbgrader", "nbval", "matplotlib", "pytest", "notebook", "ipykernel"):
        assert tool in lock, tool
