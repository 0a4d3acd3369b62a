"""ruff keeps the package, the tests, the tools and the instructor notebooks clean."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           "course_utils", "tests", "tools", "solutions"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_pre_commit_hooks_are_local_and_run_what_make_lint_runs():
    """Hook repositories cannot be cloned here: every hook is `repo: local` and calls a make target."""
    import yaml

    config = REPO / ".pre-commit-config.yaml"
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(config)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    repos = yaml.safe_load(config.read_text())["repos"]
    assert [r["repo"] for r in repos] == ["local"]
    entries = [h["entry"] for h in repos[0]["hooks"]]
    makefile = (REPO / "Makefile").read_text()
    lint = next(line for line in makefile.splitlines() if line.startswith("lint:"))
    assert [e.removeprefix("make -s ") for e in entries] == lint.split("#")[0].split(":")[1].split()
