"""The plain-text views in docs/notebooks/ match the solution notebooks (tools/notebook_views.py)."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import notebook_views  # noqa: E402


def test_every_solution_notebook_has_a_current_view():
    stale = notebook_views.stale_views()
    assert not stale, f"stale views: {stale}. Fix:  make views"


def test_a_view_shows_points_and_grade_ids_in_plain_text():
    text = notebook_views.view_text(REPO / "solutions/05-stacked-lstms/05-stacked-lstms.ipynb")
    assert text.startswith("# GENERATED from solutions/05-stacked-lstms/05-stacked-lstms.ipynb")
    assert '"grade_id": "test_copy_layer", "locked": true, "points": 2' in text
    assert "### BEGIN HIDDEN TESTS" in text and "### BEGIN SOLUTION" in text
