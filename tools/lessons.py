"""A lesson's source, lessons/NN-slug/NN-slug.py, and the solution notebook nbgrader reads from it.

The .py (jupytext's percent format: `# %%` cells, nbgrader metadata such as grade ids, points and
locked on the cell line) is the file an author edits, so a change reads as a diff and merges.
solutions/NN-slug/NN-slug.ipynb is written from it and keeps the stored outputs (the ones CI
compares) of every cell whose source did not change; an nbgrader cell keeps its id even when edited.

    python tools/lessons.py sync [07 ...]           lessons/*.py -> solutions/*.ipynb   (make sync)
    python tools/lessons.py check                   exit 1 naming every notebook out of step
    python tools/lessons.py from-notebook 07 [...]  solutions/*.ipynb -> lessons/*.py, after editing
                                                    cell metadata in JupyterLab's Create Assignment

After `sync`: `make outputs` when a cell whose output CI compares changed, then `make release`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parents[1]


def pairs(lessons: list[str] | None = None) -> list[tuple[Path, Path]]:
    """(lessons/NN-slug/NN-slug.py, solutions/NN-slug/NN-slug.ipynb) for the lessons named, or all."""
    folders = sorted(p for p in (REPO / "lessons").iterdir() if p.is_dir() and p.name[:2].isdigit())
    if lessons:
        keys = {name.split("-")[0].zfill(2) for name in lessons}
        unknown = keys - {f.name[:2] for f in folders}
        if unknown:
            raise SystemExit(f"No lesson {', '.join(sorted(unknown))}: the lessons are "
                             f"{', '.join(f.name for f in folders)}.")
        folders = [f for f in folders if f.name[:2] in keys]
    return [(f / f"{f.name}.py", REPO / "solutions" / f.name / f"{f.name}.ipynb") for f in folders]


def _cells(nb) -> list[tuple]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def out_of_step() -> list[str]:
    """The lessons whose notebook's cells (kind, source, metadata) differ from the .py's."""
    stale = []
    for source, notebook in pairs():
        if not notebook.exists():
            stale.append(f"{notebook.relative_to(REPO)} (missing)")
        elif _cells(jupytext.read(source)) != _cells(nbformat.read(notebook, as_version=4)):
            stale.append(source.parent.name)
    return stale


def write_notebook(source: Path, notebook: Path) -> int:
    """The notebook's cells from the .py; unchanged cells keep their id and stored outputs."""
    edited = jupytext.read(source)
    old = nbformat.read(notebook, as_version=4) if notebook.exists() else nbformat.v4.new_notebook()
    kept = {(c.cell_type, c.source): c for c in old.cells}
    by_grade_id = {c.metadata["nbgrader"]["grade_id"]: c for c in old.cells
                   if c.metadata.get("nbgrader", {}).get("grade_id")}
    cells = []
    for cell in edited.cells:
        was = kept.get((cell.cell_type, cell.source))
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source)
            if was is not None:
                new.outputs = was.get("outputs", [])
                new.execution_count = was.get("execution_count")
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source)
        else:
            new = nbformat.v4.new_raw_cell(cell.source)
        new.metadata = dict(cell.metadata)
        same_cell = was or by_grade_id.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if same_cell is not None and "id" in same_cell:
            new.id = same_cell.id  # an unchanged cell, or an edited nbgrader cell, keeps its id: a small diff
        cells.append(new)
    old.cells = cells
    old.metadata.update({k: v for k, v in edited.metadata.items() if k != "jupytext"})
    nbformat.validate(old)
    notebook.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(old, notebook)
    return len(cells)


def write_source(notebook: Path, source: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata.pop("jupytext", None)
    source.write_text(jupytext.writes(nb, fmt="py:percent"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tools/lessons.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="write solutions/*.ipynb from lessons/*.py")
    sync.add_argument("lessons", nargs="*", help="lesson numbers (default: every lesson)")
    commands.add_parser("check", help="exit 1 if a notebook is out of step with its .py")
    back = commands.add_parser("from-notebook", help="write lessons/*.py from solutions/*.ipynb")
    back.add_argument("lessons", nargs="+", help="lesson numbers, e.g. 07")
    args = parser.parse_args(argv)

    if args.command == "check":
        stale = out_of_step()
        if stale:
            print("Out of step with lessons/: " + ", ".join(stale) + ".\n"
                  "Fix:  make sync   (or, after editing a notebook in JupyterLab: "
                  "python tools/lessons.py from-notebook NN)")
            return 1
        return 0
    for source, notebook in pairs(args.lessons or None):
        if args.command == "sync":
            count = write_notebook(source, notebook)
            print(f"{notebook.relative_to(REPO)} <- {source.relative_to(REPO)} ({count} cells)")
        else:
            write_source(notebook, source)
            print(f"{source.relative_to(REPO)} <- {notebook.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
