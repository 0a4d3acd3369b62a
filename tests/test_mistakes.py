"""docs/mistakes.md is current: generated from the wrong-answer and error tests (tools/mistakes.py)."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import mistakes  # noqa: E402


def test_the_catalogue_of_mistakes_is_current():
    assert mistakes.PAGE.exists() and mistakes.PAGE.read_text() == mistakes.render(), \
        "docs/mistakes.md is stale. Fix:  make mistakes"


def test_the_catalogue_counts_every_notebook_with_graded_wrong_answers():
    text = mistakes.render()
    for path in sorted(REPO.glob("tests/test_grading_*.py")):
        number = path.stem[-2:]
        folder = next(REPO.glob(f"solutions/{number}-*"))
        assert f"| [{folder.name}](../solutions/{folder.name}/{folder.name}.ipynb) |" in text
        assert f"## {folder.name}" in text
    assert "## PyTorch's own errors, explained" in text
