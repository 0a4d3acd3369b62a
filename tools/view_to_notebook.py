"""Write a solution notebook back from its edited plain-text view (the reverse of `make views`).

Editing prose and code is easier in docs/notebooks/NN-slug.py than in JSON. After editing a view:

    python tools/view_to_notebook.py docs/notebooks/09-sentiment.py

rewrites solutions/09-sentiment/09-sentiment.ipynb with the view's cells (sources, nbgrader metadata,
tags), keeping the notebook's own metadata and the stored outputs of every cell whose source did not
change. Then `make outputs` (for cells whose output CI compares), `make release` and `make views`.
"""

import sys
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parents[1]


def notebook_of(view: Path) -> Path:
    first = view.read_text().splitlines()[0]
    source = first.split("GENERATED from ", 1)[1].split(" ", 1)[0]
    return REPO / source


def main(argv) -> int:
    if not argv:
        print(__doc__)
        return 2
    for arg in argv:
        view = Path(arg).resolve()
        target = notebook_of(view)
        lines = view.read_text().splitlines(keepends=True)
        body = "".join(line for i, line in enumerate(lines) if not (i < 2 and line.startswith("# ")))
        edited = jupytext.reads(body, fmt="py:percent")
        old = nbformat.read(target, as_version=4)
        kept = {(c.cell_type, c.source): c for c in old.cells}
        cells = []
        for cell in edited.cells:
            was = kept.get((cell.cell_type, cell.source))
            if cell.cell_type == "code":
                new = nbformat.v4.new_code_cell(cell.source)
                if was is not None:
                    new.outputs = was.get("outputs", [])
                    new.execution_count = was.get("execution_count")
            else:
                new = nbformat.v4.new_markdown_cell(cell.source) if cell.cell_type == "markdown" \
                    else nbformat.v4.new_raw_cell(cell.source)
            new.metadata = dict(cell.metadata)
            if was is not None and "id" in was:
                new.id = was.id      # an unchanged cell keeps its id: a small diff
            cells.append(new)
        old.cells = cells
        nbformat.validate(old)
        nbformat.write(old, target)
        print(f"{target.relative_to(REPO)} <- {view.relative_to(REPO)} ({len(cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
