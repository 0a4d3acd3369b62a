"""Item analysis after grading (`make report`): per test cell, the share of students who passed and
the messages most common among those who did not. It is what an instructor reads to find an
unclear exercise: a cell most students fail with one message is a task to rewrite.

    python -m course_utils.grading.report [COURSE_DIR ...]   # default: .nbgrader and .nbgrader/demo/*

A COURSE_DIR holds nbgrader's gradebook.db and autograded/<student>/<assignment>/<notebook>.ipynb.
Writes .nbgrader/report/report.md (the table), report.csv and report.png (pass share per test
cell). Submissions flagged for manual review at grading (their notebook metadata carries
course_utils.integrity_flags) are listed first.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .lessons import REPO

OUT = REPO / ".nbgrader" / "report"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Item:
    assignment: str
    cell: str
    points: float
    scores: dict = field(default_factory=dict)  # student -> score
    messages: Counter = field(default_factory=Counter)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.scores.values() if s >= self.points)

    @property
    def share(self) -> float:
        return self.passed / len(self.scores) if self.scores else 0.0


def _message(cell) -> str | None:
    """The first line of the error a graded cell ended with, as the student read it."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            first = _ANSI.sub("", out.get("evalue", "")).strip().splitlines()
            return f"{out.get('ename', 'Error')}: {first[0] if first else ''}".strip()
    return None


def _flags(nb) -> list[str]:
    return list(nb.metadata.get("course_utils", {}).get("integrity_flags", []))


def collect(course_dirs) -> tuple[list[Item], list[tuple[str, str, list[str]]]]:
    """Items (one per graded cell of every assignment) and flagged submissions."""
    from nbgrader.api import Gradebook, MissingEntry

    items: dict[tuple, Item] = {}
    flagged = []
    for course in course_dirs:
        db = course / "gradebook.db"
        if not db.exists():
            continue
        with Gradebook(f"sqlite:///{db}") as gb:
            for assignment in gb.assignments:
                for notebook in assignment.notebooks:
                    cells = [(gc.name, gc.max_score) for gc in notebook.grade_cells
                             if gc.cell_type == "code"]
                    for student in gb.students:
                        try:
                            gb.find_submission_notebook(notebook.name, assignment.name, student.id)
                        except MissingEntry:
                            continue
                        path = course / "autograded" / student.id / assignment.name / f"{notebook.name}.ipynb"
                        by_id = {}
                        if path.exists():
                            nb = nbformat.read(path, as_version=4)
                            by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
                            if _flags(nb):
                                flagged.append((assignment.name, student.id, _flags(nb)))
                        for name, max_score in cells:
                            grade = gb.find_grade(name, notebook.name, assignment.name, student.id)
                            item = items.setdefault((assignment.name, name), Item(assignment.name, name, max_score))
                            item.scores[student.id] = grade.score or 0
                            if (grade.score or 0) < max_score:
                                message = _message(by_id.get(name, {})) or "no error shown (not run?)"
                                item.messages[message] += 1
    return sorted(items.values(), key=lambda i: (i.assignment, i.cell)), flagged


def _short(text: str, width: int = 110) -> str:
    text = text.replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def write_report(items, flagged, out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Item analysis", "",
             "Per graded test cell: how many students passed it, and the messages most common "
             "among those who did not. A cell that most fail with one message points at a task "
             "to make clearer.", ""]
    if flagged:
        lines += ["## Flagged for manual review", "",
                  "These submissions touched the course's checks or PyTorch's comparisons; they "
                  "got no points for the notebook.", ""]
        lines += [f"- {a} / {s}: {'; '.join(f)}" for a, s, f in flagged] + [""]
    lines += ["| assignment | test cell | points | passed | share | most common messages of those who failed |",
              "|---|---|---|---|---|---|"]
    for item in items:
        common = "<br>".join(f"{n} × {_short(m)}" for m, n in item.messages.most_common(3))
        lines.append(f"| {item.assignment} | {item.cell} | {item.points:g} | {item.passed}/{len(item.scores)} "
                     f"| {item.share:.0%} | {common} |")
    (out / "report.md").write_text("\n".join(lines) + "\n")
    with open(out / "report.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "test_cell", "points", "passed", "students", "share",
                         "top_message", "top_message_count"])
        for item in items:
            top = item.messages.most_common(1)
            writer.writerow([item.assignment, item.cell, item.points, item.passed, len(item.scores),
                             f"{item.share:.3f}", top[0][0] if top else "", top[0][1] if top else 0])
    _plot(items, out / "report.png")
    return out


def _plot(items, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not items:
        return
    by_assignment = defaultdict(list)
    for item in items:
        by_assignment[item.assignment].append(item)
    labels = [f"{i.assignment[:2]} {i.cell.removeprefix('test_')}" for i in items]
    colors = plt.get_cmap("tab10")
    color_of = {a: colors(k % 10) for k, a in enumerate(by_assignment)}
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(items) + 1.2))
    ax.barh(range(len(items)), [100 * i.share for i in items], color=[color_of[i.assignment] for i in items])
    ax.set_yticks(range(len(items)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("Item analysis: pass share per test cell")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def default_courses() -> list[Path]:
    base = REPO / ".nbgrader"
    return [base] + sorted(p for p in (base / "demo").glob("*") if (p / "gradebook.db").exists())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("courses", nargs="*", type=Path, metavar="COURSE_DIR",
                        help="folders with gradebook.db and autograded/ (default: .nbgrader and .nbgrader/demo/*)")
    courses = parser.parse_args(argv).courses or default_courses()
    items, flagged = collect(courses)
    if not items:
        print("No graded submissions found in " + ", ".join(str(c) for c in courses) +
              ".\n  Fix:  grade first (nbgrader autograde ASSIGNMENT, or make grade-demo), then make report")
        return 1
    out = write_report(items, flagged)
    worst = sorted(items, key=lambda i: i.share)[:3]
    print(f"{len(items)} test cells, {len({s for i in items for s in i.scores})} students -> "
          f"{out.relative_to(REPO)}/report.md, report.csv, report.png")
    for item in worst:
        top = item.messages.most_common(1)
        print(f"  lowest: {item.assignment} {item.cell} {item.share:.0%} passed"
              + (f"; most common: {_short(top[0][0], 80)}" if top else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
