"""Students graded per minute by `python -m course_utils grade`, with and without the sandbox.

    .venv/bin/python tools/grading_benchmark.py                       # 01, 08 and 10; 1 and 2 workers
    .venv/bin/python tools/grading_benchmark.py --notebooks 01 --jobs 1 2 4 8 --students 16

A benchmark, not a test: run it on a quiet machine (OMP_NUM_THREADS=1, nothing else running). For
each notebook it builds a course folder in a scratch directory with STUDENTS students who typed the
solution, then grades the whole class with each number of workers, sandbox off and then on (the
second run of a pair may gain from warm file caches), and prints a Markdown table: wall time of the
whole command (worker start-up included), students per minute, and what the sandbox costs; and,
alone, what the sandbox adds to starting one kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from course_utils.grading.harness import course_folder, filled_in, hand_in, nbgrader_env  # noqa: E402

NAMES = {p.name[:2]: p.name for p in (REPO / "solutions").iterdir() if p.is_dir()}


def grade_seconds(root: Path, assignment: str, jobs: int, sandbox: bool) -> float:
    command = [sys.executable, "-m", "course_utils", "grade", assignment, "--regrade", "--jobs", str(jobs)]
    env = nbgrader_env(OMP_NUM_THREADS="1")
    env.pop("LSTM_COURSE_SANDBOX", None)
    if not sandbox:
        command.append("--no-sandbox")
    start = time.monotonic()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def kernel_seconds(sandbox: bool, repeat: int) -> float:
    """Median seconds to start a kernel, run `import course_utils`, and shut it down."""
    import statistics

    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    from course_utils.grading.sandbox import SandboxedKernelManager

    times = []
    with tempfile.TemporaryDirectory(prefix="lstm-benchmark-kernel-") as folder:
        for _ in range(repeat):
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import course_utils")])
            nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
            client = NotebookClient(nb, resources={"metadata": {"path": folder}},
                                    kernel_manager_class=SandboxedKernelManager if sandbox else AsyncKernelManager)
            start = time.monotonic()
            client.execute()
            times.append(time.monotonic() - start)
    return statistics.median(times)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=["01", "08", "10"])
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--students", type=int, default=4, help="students per class (default 4)")
    parser.add_argument("--kernels", type=int, default=10, help="kernel starts timed each way (default 10)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    kernel = {sandbox: kernel_seconds(sandbox, args.kernels) for sandbox in (False, True)}
    line = (f"One kernel (start, `import course_utils`, shut down; median of {args.kernels}): "
            f"{kernel[False]:.2f} s without the sandbox, {kernel[True]:.2f} s with it "
            f"({kernel[True] - kernel[False]:+.2f} s).")
    print(line, flush=True)
    rows = ["| notebook | workers | sandbox off: s (students/min) | sandbox on: s (students/min) | sandbox costs |",
            "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="lstm-benchmark-") as scratch:
        for number in args.notebooks:
            assignment = NAMES[number]
            root = course_folder(Path(scratch) / assignment, assignment)
            for i in range(args.students):
                hand_in(root, assignment, f"student{i:03d}", filled_in(root, assignment))
            for jobs in args.jobs:
                off = grade_seconds(root, assignment, jobs, sandbox=False)
                on = grade_seconds(root, assignment, jobs, sandbox=True)
                per_min = [args.students / t * 60 for t in (off, on)]
                rows.append(f"| {number} | {jobs} | {off:.1f} ({per_min[0]:.1f}) | {on:.1f} ({per_min[1]:.1f}) "
                            f"| {100 * (on / off - 1):+.0f}% |")
                print(rows[-1], flush=True)
    print(f"\n{args.students} students per class; {os.cpu_count()} cores ({cpu_name()}), "
          f"Python {platform.python_version()}, OMP_NUM_THREADS=1.\n")
    print("\n".join(rows) + "\n\n" + line)


if __name__ == "__main__":
    main()
