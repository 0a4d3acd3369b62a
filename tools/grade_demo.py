"""Grade a class of fake students through real nbgrader (`make grade-demo`).

For every notebook: a student who typed the solution, one who left it blank, and one per group of
the realistic wrong answers listed in lessons/NN-slug/mistakes.py. Everything goes to
.nbgrader/demo/ (git-ignored); the scores are printed and written to .nbgrader/demo/grades.csv.
"""

import argparse
import csv
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from course_utils.grading.harness import Course, group_by_cell  # noqa: E402
from course_utils.grading.lessons import mistakes  # noqa: E402


def main():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    out = REPO / ".nbgrader" / "demo"
    shutil.rmtree(out, ignore_errors=True)
    rows = []
    for folder in sorted((REPO / "solutions").iterdir()):
        number = folder.name[:2]
        module = mistakes(number)
        course = Course(out / folder.name, folder.name)
        students = {"solution": course.answers(), "blank": lambda nb: None}
        for i, group in enumerate(group_by_cell(module.WRONG_ANSWERS)):
            students[f"mistakes{i}"] = course.answers(group)
        for student, edit in students.items():
            grades = course.submit(student, edit)
            score = sum(s for s, _ in grades.values())
            total = sum(m for _, m in grades.values())
            print(f"{folder.name:28} {student:10} {score:4g}/{total:g}   " +
                  "  ".join(f"{gid}={s:g}" for gid, (s, _) in grades.items()))
            rows.append({"assignment": folder.name, "student": student, "score": score,
                         "max_score": total, **{gid: s for gid, (s, _) in grades.items()}})
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("assignment", "student", "score", "max_score"), k))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out / 'grades.csv'}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
