"""The lock file installs on every Python the course supports, proven without installing them.

Supported: tools/check_python.py's OLDEST to NEWEST minor versions (3.11 to 3.13), each at its
first release (x.y.0: Debian 12's 3.11.2 is older than many a pin's `Requires-Python >= 3.11.5`).

Two proofs, both against PyPI, which serves every pin:
* every pin, for every supported version: a wheel this machine's platform can install, whose
  Requires-Python admits x.y.0, and not yanked (a question to PyPI's index per package: seconds);
* pip's own resolver, `pip install --dry-run --python-version x.y.0`, for the oldest and the newest
  version: it also proves the pins agree with each other and that nothing outside the lock gets
  installed. torch is left out of this one (the index check covers it): its Linux wheels on PyPI
  are CUDA builds whose 3 GB of dependencies pip would fetch just to read their metadata.

Needs PyPI. Offline it skips, except in CI (COURSE_CI=1), where a skip would hide a broken lock.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging import tags
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements-lock.txt"
INDEX = "https://pypi.org/simple"

sys.path.insert(0, str(REPO / "tools"))
from check_python import NEWEST, OLDEST  # noqa: E402

VERSIONS = [f"{OLDEST[0]}.{minor}.0" for minor in range(OLDEST[1], NEWEST[1] + 1)]
# Pins allowed to come as a source archive only (built on install: needs a compiler). None today;
# add one here with its reason, and the index check then only asks its Requires-Python.
SOURCE_ONLY_OK: dict[str, str] = {}
# Installed by pip beside the lock only because torch's CUDA build on PyPI depends on them.
NOT_IN_DRY_RUN = {"torch"}


def lock_pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _need_pypi(err: Exception):
    if os.environ.get("COURSE_CI"):
        raise err
    pytest.skip(f"PyPI is not reachable ({err}); the lock file is checked when it is")


@functools.lru_cache(maxsize=None)
def index_files(name: str) -> tuple:
    """Every file PyPI lists for `name` (PEP 691 JSON), with requires-python and yanked."""
    request = urllib.request.Request(f"{INDEX}/{name}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return tuple(json.load(response)["files"])


def _installable_tags(python: str) -> set:
    """The wheel tags pip accepts for CPython `python` on this machine's platform."""
    version = tuple(int(p) for p in python.split(".")[:2])
    platforms = list(tags.platform_tags())
    return set(tags.cpython_tags(version, platforms=platforms)) | \
        set(tags.compatible_tags(version, interpreter=f"cp{version[0]}{version[1]}", platforms=platforms))


def _file_version(filename: str) -> Version | None:
    """The release a file on the index belongs to; None for names old releases got wrong."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        match = re.match(r"(.+)-([^-]+)\.(tar\.gz|zip)$", filename)
        return Version(match.group(2)) if match else None
    except (InvalidVersion, InvalidWheelFilename):
        return None


def pin_problem(name: str, version: str, python: str) -> str | None:
    """Why `name==version` cannot be installed on `python` from PyPI, or None if it can."""
    wanted = Version(version)
    files = [f for f in index_files(name) if _file_version(f["filename"]) == wanted]
    if not files:
        return f"{name}=={version}: PyPI has no such release"
    admits = [f for f in files if SpecifierSet(f.get("requires-python") or "").contains(python)]
    if not admits:
        needs = sorted({f.get("requires-python") for f in files})
        return f"{name}=={version} requires Python {', '.join(needs)}: not {python}"
    yanked = [f for f in admits if f.get("yanked")]
    if yanked and len(yanked) == len(admits):
        return f"{name}=={version} is yanked on PyPI: {yanked[0]['yanked']}"
    ok_tags = _installable_tags(python)
    wheels = [f for f in admits if f["filename"].endswith(".whl")
              and parse_wheel_filename(f["filename"])[3] & ok_tags]
    if wheels or name in SOURCE_ONLY_OK:
        return None
    return (f"{name}=={version} has no wheel for CPython {python} on this platform (only "
            f"{', '.join(f['filename'] for f in admits)}): pick a release with one, or list it "
            "in SOURCE_ONLY_OK with the reason")


def lock_problems(text: str, python: str) -> list[str]:
    pins = lock_pins(text)
    try:
        with ThreadPoolExecutor(16) as pool:
            found = list(pool.map(lambda item: pin_problem(*item, python), sorted(pins.items())))
    except urllib.error.URLError as err:
        _need_pypi(err)
    return [p for p in found if p]


@pytest.mark.parametrize("python", VERSIONS)
def test_every_pin_installs_on_each_supported_python(python):
    problems = lock_problems(LOCK.read_text(), python)
    assert not problems, f"requirements-lock.txt on Python {python}:\n  " + "\n  ".join(problems)


def test_the_check_catches_a_pin_too_new_for_python_3_11_0():
    """The pin that broke Debian 12 (soupsieve 4.1.2 needs 3.11.5), and a yanked one, are caught."""
    text = LOCK.read_text()
    broken = re.sub(r"(?m)^soupsieve==.*$", "soupsieve==4.1.2", text)
    assert broken != text
    assert lock_problems(broken, "3.11.0") == [
        "soupsieve==4.1.2 requires Python >=3.11.5: not 3.11.0"]
    assert lock_problems(broken, "3.12.0") == []
    yanked = re.sub(r"(?m)^soupsieve==.*$", "soupsieve==3.0.1", text)
    assert [p.split(":")[0] for p in lock_problems(yanked, "3.11.0")] == [
        "soupsieve==3.0.1 is yanked on PyPI"]


def pip_dry_run(lock_text: str, python: str, tmp_path: Path) -> subprocess.CompletedProcess:
    pins = lock_pins(lock_text)
    requirements = tmp_path / f"lock-{python}.txt"
    requirements.write_text("".join(f"{n}=={v}\n" for n, v in pins.items() if n not in NOT_IN_DRY_RUN))
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
         "--only-binary=:all:", "--python-version", python, "--target", str(tmp_path / "target"),
         "--disable-pip-version-check", "-r", str(requirements)],
        capture_output=True, text=True, timeout=600)


RESOLVED = [VERSIONS[0], VERSIONS[-1]]


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory):
    """pip's resolver for the oldest and the newest Python, both at once: each mostly waits on PyPI."""
    try:
        index_files("pip")
    except urllib.error.URLError as err:
        _need_pypi(err)
    text = LOCK.read_text()
    folders = {python: tmp_path_factory.mktemp(f"dry-run-{python}") for python in RESOLVED}
    with ThreadPoolExecutor(len(RESOLVED)) as pool:
        results = list(pool.map(lambda python: pip_dry_run(text, python, folders[python]), RESOLVED))
    return text, dict(zip(RESOLVED, results))


@pytest.mark.parametrize("python", RESOLVED)
def test_pip_resolves_the_lock_for_the_oldest_and_newest_python(python, dry_runs):
    text, results = dry_runs
    result = results[python]
    errors = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("ERROR")]
    assert result.returncode == 0, f"pip cannot install the lock on Python {python}:\n" + "\n".join(errors)
    line = next(x for x in result.stdout.splitlines() if x.startswith("Would install"))
    would = {canonicalize_name(re.sub(r"-[^-]+$", "", item)) for item in line.split()[2:]}
    extra = would - set(lock_pins(text))
    assert not extra, f"on Python {python} pip also installs {sorted(extra)}, which the lock does not pin"
