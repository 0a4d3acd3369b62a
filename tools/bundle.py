"""The student bundle (`make bundle`): what an instructor hands out, and nothing else.

    python tools/bundle.py [OUT.zip]      # default dist/lstm-course-student.zip

It holds the student notebooks (notebooks/, as nbgrader released them), the course_utils package
their checks need, and what `make lab` and `make check` need to set up (README, Makefile, the
pins, the interpreter check, the JupyterLab configuration). Never solutions/, lessons/ or tests/
(the wrong answers would show the answers), course_utils/grading (the instructor's side),
nbgrader's state or the instructor's configuration.
tests/test_bundle.py opens the zip and looks.
"""

from __future__ import annotations

import argparse
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "dist" / "lstm-course-student.zip"
FILES = ["README.md", "Makefile", "pyproject.toml", "requirements-lock.txt", "environment.yml",
         "nbgrader_config.py", "tools/check_python.py"]
FOLDERS = ["notebooks", "course_utils", "jupyter/student"]
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", "lab"}  # jupyter/student/lab: a user's own settings
# course_utils/grading is the instructor's side (nbgrader steps, the sandbox, the test harness that
# knows where hidden tests begin): no notebook imports it, and a learner has no use for it.
SKIP_FOLDERS = ("course_utils/grading/",)


def tracked() -> set[str]:
    """Files git knows: a stray local file never ships."""
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines())


def members() -> list[str]:
    known = tracked()
    chosen = [f for f in FILES if f in known]
    for folder in FOLDERS:
        chosen += sorted(f for f in known if f.startswith(folder + "/")
                         and not SKIP_PARTS & set(Path(f).parts) and not f.startswith(SKIP_FOLDERS))
    return chosen


def build(out: Path = DEFAULT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in members():
            z.write(REPO / name, f"lstm-course/{name}")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT, help=f"the zip to write (default {DEFAULT.relative_to(REPO)})")
    path = build(parser.parse_args().out)
    with zipfile.ZipFile(path) as z:
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {len(z.namelist())} files")
