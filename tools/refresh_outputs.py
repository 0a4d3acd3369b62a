"""Execute solution notebooks and store only the outputs CI compares (`make outputs`).

Cells tagged `nbval-check-output` keep their outputs: `pytest --nbval-lax` compares them on every
run, so a printed shape that changes fails CI. Every other output, execution count and widget state
is dropped, which keeps solutions/ small and its diffs readable.

    python tools/refresh_outputs.py solutions/01-tokens-embeddings/01-tokens-embeddings.ipynb ...
"""

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECKED = "nbval-check-output"


def _merge_streams(outputs):
    """Join consecutive prints to one stream: how they were split depends on timing, not code."""
    merged = []
    for out in outputs:
        if (merged and out.get("output_type") == "stream" and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == out["name"]):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timings from older runs: noise in every diff
        if cell.cell_type != "code":
            continue
        if CHECKED not in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
        cell.outputs = _merge_streams(cell.get("outputs", []))
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="solution notebooks to execute and store")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    for path in parser.parse_args().notebooks:
        print(f"{path}: executed in {refresh(path):.1f} s")
