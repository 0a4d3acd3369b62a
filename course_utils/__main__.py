"""Command line: check your notebook the way the grader will, or fetch the data.

    python -m course_utils check notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb
    python -m course_utils data
    python -m course_utils explain "RuntimeError: input.size(-1) must be equal to input_size. Expected 10, got 3"

`check` runs every cell of the notebook in a fresh kernel, in the notebook's folder, as nbgrader
does (NBGRADER_EXECUTION=validate, so training cells use their short grading settings), then
prints one line per graded test cell and the total:

    test_build_vocab   2/2  passed
    test_pad_batch     0/2  ShapeError: ids should be (batch=4, seq=7), but its shape is (7, 4).
    total              2/4

Only the visible tests are in your copy; the grader also runs hidden ones, so full marks here
are necessary, not sufficient. Exit status: 0 all passed, 1 some failed, 2 bad usage.

`explain` prints what a PyTorch error means in the course's words (course_utils.explain), with its
likely cause and a fix; exit status 1 when it is not an error the course knows.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _Usage(Exception):
    """Bad usage: main() prints the problem and the usage, and returns 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit; main() returns 2 instead
        raise _Usage(message, self.format_usage())


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m course_utils", description=__doc__.split("\n\n", 1)[0],
                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check = commands.add_parser("check", help="run a notebook like the grader and print each graded test's points")
    check.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    check.add_argument("--timeout", metavar="SECONDS", default="120",
                       help="the longest one cell may run (default 120)")
    commands.add_parser("data", help="download the course's data sets (the same as `make data`)")
    commands.add_parser("grade", add_help=False, prefix_chars="\0",
                        help="(instructors) grade every submission of an assignment in parallel, each in a "
                             "sandbox: python -m course_utils grade --help"
                        ).add_argument("rest", nargs=argparse.REMAINDER)
    explain = commands.add_parser("explain", help="what a PyTorch error about LSTMs, embeddings, packing or "
                                                  "losses means, and a fix")
    explain.add_argument("error", nargs="*", metavar='"ERROR TEXT"')
    return parser


CHECK_USAGE = "usage: python -m course_utils check [-h] [--timeout SECONDS] NOTEBOOK.ipynb\n"


def _usage(problem: str, usage: str | None = None) -> int:
    print(f"error: {problem}\n{usage or _parser().format_usage()}", file=sys.stderr)
    return 2


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _first_line(ename: str, evalue: str) -> str:
    """The error's first line in full, and its `Fix:` line when the message has one."""
    evalue = _ANSI.sub("", evalue or "").strip()
    lines = evalue.splitlines()
    text = f"{ename}: {lines[0]}" if lines else ename
    fix = next((line.strip() for line in lines[1:] if line.strip().startswith("Fix:")), None)
    return f"{text}\n        {fix}" if fix else text


def _changed_test_cells(nb) -> list[str]:
    """grade_ids of locked cells whose source differs from the checksum nbgrader stored."""
    try:
        from nbgrader.utils import compute_checksum
    except ImportError:  # nbgrader is optional for this check
        return []
    changed = []
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta.get("checksum") and (meta.get("locked") or meta.get("grade")):
            try:
                if compute_checksum(cell) != meta["checksum"]:
                    changed.append(meta.get("grade_id", "?"))
            except (KeyError, TypeError, ValueError):
                continue
    return changed


def _points(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _fmt_points(x: float) -> str:
    return f"{x:g}"


def _kernel_config():
    """Encrypt the kernel's sockets (CurveZMQ) when pyzmq can.

    The kernel listens on loopback TCP ports; unencrypted, ipykernel prints a warning "Kernel is
    running over TCP without encryption" into this command's output. With keys that the kernel
    manager provisions (jupyter_client >= 8.10, a kernelspec that declares `curve`, as ipykernel's
    does), nothing is sent in plain text and there is nothing to warn about.
    """
    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets.config import Config

    if not zmq.has("curve") or not KernelManager.class_traits().get("transport_encryption"):
        return Config()  # an older jupyter_client, or pyzmq without CurveZMQ: warned, but works
    return Config({"KernelManager": {"transport_encryption": "auto"}})


def check(path: str, timeout: int = 120) -> int:
    """Run the notebook at `path`; print each graded cell's points and the total; 0 if all passed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    notebook = Path(path)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same answer
        print(f"error: cannot read {path} as a notebook ({type(error).__name__}: {str(error)[:200]})\n"
              f"  The file is damaged. JupyterLab keeps your last checkpoint in "
              f"{notebook.parent / '.ipynb_checkpoints'}/ (File > Revert Notebook to Checkpoint);\n"
              f"  a fresh copy, without your answers:  git checkout -- {path}", file=sys.stderr)
        return 2

    tests = [
        (i, _nbgrader(c)) for i, c in enumerate(nb.cells)
        if _nbgrader(c).get("grade") and c.cell_type == "code" and not _nbgrader(c).get("solution")
    ]
    by_hand = [
        _nbgrader(c) for c in nb.cells
        if _nbgrader(c).get("grade") and (c.cell_type != "code" or _nbgrader(c).get("solution"))
    ]
    if not tests and not by_hand:
        return _usage(f"{path} has no graded cells (cell.metadata.nbgrader.grade); is it a course notebook?")

    for grade_id in _changed_test_cells(nb):
        print(f"warning: the test cell {grade_id} was changed; the grader puts the original back.")

    print(f"running {notebook.name} in a fresh kernel (every cell, as the grader does) ...", flush=True)
    replies: dict[int, dict] = {}

    def record(cell, cell_index, execute_reply):
        replies[cell_index] = (execute_reply or {}).get("content", {})

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "Timeout",
            "evalue": f"the cell ran longer than {timeout} s and was stopped (an endless loop?)",
        },
        resources={"metadata": {"path": str(notebook.resolve().parent)}},
        on_cell_executed=record,
        config=_kernel_config(),
    )
    stopped = ""
    try:
        client.execute(env={**os.environ, "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "validate")})
    except DeadKernelError:
        stopped = "the kernel died (out of memory?) before this cell ran"

    width = max([len(m.get("grade_id", "?")) for _, m in tests] + [len(m.get("grade_id", "?")) for m in by_hand] + [5])
    earned = total = 0.0
    for index, meta in tests:
        points = _points(meta.get("points", 0))
        total += points
        reply = replies.get(index)
        if reply is None:
            got, text = 0.0, stopped or "not run"
        elif reply.get("status") == "error":
            got, text = 0.0, _first_line(reply.get("ename", "Error"), reply.get("evalue", ""))
        else:
            got, text = points, "passed"
        earned += got
        print(f"{meta.get('grade_id', '?'):<{width}}  {_fmt_points(got)}/{_fmt_points(points)}  {text}")
    for meta in by_hand:
        print(f"{meta.get('grade_id', '?'):<{width}}  -/{_fmt_points(_points(meta.get('points', 0)))}  graded by hand")
    print(f"{'total':<{width}}  {_fmt_points(earned)}/{_fmt_points(total)}")

    test_cells = {i for i, _ in tests}
    other = [(i, r) for i, r in sorted(replies.items()) if i not in test_cells and r.get("status") == "error"]
    # a try-it cell that calls an unwritten exercise is not a mistake of its own: say so apart
    unwritten = [i for i, r in other if r.get("ename") == "NotImplementedError"]
    failed = [(i, r) for i, r in other if r.get("ename") != "NotImplementedError"]
    if unwritten:
        print(f"note: {len(unwritten)} other cell(s) stopped at an exercise not written yet (the first is cell "
              f"{unwritten[0] + 1}); they run once its `raise NotImplementedError()` is replaced.")
    if failed:
        i, reply = failed[0]
        print(
            f"note: {len(failed)} other cell(s) raised an error; the first is cell {i + 1}: "
            f"{_first_line(reply.get('ename', 'Error'), reply.get('evalue', ''))}"
        )
    return 0 if earned == total and not stopped else 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _usage("no command given")
    if args[0] in ("-h", "--help", "help"):
        _parser().print_help()
        return 0
    try:
        ns = _parser().parse_args(args)
    except _Usage as problem:
        return _usage(*problem.args)
    if ns.command == "data":
        from .data import fetch

        fetch()
        return 0
    if ns.command == "grade":
        try:
            from .grading.parallel import main as grade
        except ModuleNotFoundError:  # the student bundle leaves the instructor's side out
            return _usage("`grade` is for instructors: run it in the course's repository, where "
                          "course_utils/grading is")

        return grade(ns.rest)
    if ns.command == "explain":
        text = " ".join(ns.error).strip()
        if not text:
            return _usage('`explain` takes the error text, in quotes: explain "Expected hidden[0] size ..."')
        from .explain import explain

        explanation = explain(text)
        if explanation is None:
            print("course_utils knows no explanation for this error. Its own message, and the line of\n"
                  "your code in the traceback, are the place to start.")
            return 1
        print(explanation)
        return 0
    try:
        timeout = int(ns.timeout)
        if timeout < 1:
            raise ValueError
    except ValueError:
        return _usage("--timeout needs a whole number of seconds, e.g. --timeout 60", CHECK_USAGE)
    path = ns.notebook
    if not path.endswith(".ipynb"):
        return _usage(f"{path} is not a notebook (.ipynb)", CHECK_USAGE)
    if not Path(path).is_file():
        return _usage(f"no such notebook: {path}", CHECK_USAGE)
    return check(path, timeout)


if __name__ == "__main__":
    sys.exit(main())
