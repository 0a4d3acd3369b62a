"""Plain-text views of the solution notebooks, for review: docs/notebooks/NN-slug.py (`make views`).

The .ipynb in solutions/ stays the one source of truth; each view is generated from it in
jupytext's percent format (`# %%` cells, nbgrader metadata on the cell line: grade ids, points,
locked), so a change of points, of a test or of prose reads as an ordinary diff. Outputs are left
out (CI compares the stored ones). tests/test_views.py fails when a view is stale, like the release.

    python tools/notebook_views.py           # write docs/notebooks/*.py
    python tools/notebook_views.py --check   # exit 1 and name the stale views
"""

import sys
from pathlib import Path

import jupytext

REPO = Path(__file__).resolve().parents[1]
VIEWS = REPO / "docs" / "notebooks"
HEADER = ("# GENERATED from {source} by `make views`: edit the notebook, not this file.\n"
          "# A plain-text view for review (jupytext percent format); outputs are not shown.\n")


def view_text(notebook: Path) -> str:
    nb = jupytext.read(notebook)
    body = jupytext.writes(nb, fmt="py:percent")
    return HEADER.format(source=notebook.relative_to(REPO).as_posix()) + body


def expected_views() -> dict[Path, str]:
    return {VIEWS / f"{nb.stem}.py": view_text(nb) for nb in sorted(REPO.glob("solutions/*/*.ipynb"))}


def stale_views() -> list[str]:
    expected = expected_views()
    stale = [p.name for p, text in expected.items() if not p.exists() or p.read_text() != text]
    stale += [f"{p.name} (no notebook)" for p in sorted(VIEWS.glob("*.py")) if p not in expected]
    return stale


def main(argv) -> int:
    if "--check" in argv:
        stale = stale_views()
        if stale:
            print("Stale notebook views: " + ", ".join(stale) + ". Fix:  make views")
            return 1
        return 0
    VIEWS.mkdir(parents=True, exist_ok=True)
    expected = expected_views()
    for path in VIEWS.glob("*.py"):
        if path not in expected:
            path.unlink()
    for path, text in expected.items():
        path.write_text(text)
    print(f"{len(expected)} views in {VIEWS.relative_to(REPO)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
