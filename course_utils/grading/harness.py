"""Grade fake students through real nbgrader, in a temporary course folder.

Each lesson's lessons/NN-slug/test_grading_NN.py takes the realistic wrong answers of its
mistakes.py and calls `grading_tests(assignment, WRONG_ANSWERS, POINTS)`, which returns the tests:

* a student who types exactly the instructor's solution gets every autograded point;
* the untouched student notebook gets 0;
* each wrong answer loses exactly the points of the test cells meant to catch it, and no others.

Wrong answers in different answer cells are graded in one submission: test cells build their own
fixtures and never call another answer, so one wrong answer cannot change another cell's score
(a submission that breaks this fails the test). That keeps the number of submissions small, and the
whole class (solution, blank, every submission of wrong answers) is graded by ONE autograde call,
as an instructor grades a class: nbgrader's start-up is paid once per notebook, not per student.

Everything nbgrader writes (release, submissions, autograded, gradebook) goes to tmp; the
repository's notebooks/ and .nbgrader/ are untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
# nbgrader runs alembic and jupyter by name: the environment's bin/ must be on the PATH, as
# `make test` arranges; this makes a plain `.venv/bin/python -m pytest lessons/NN-slug/test_grading_NN.py` work too.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


@dataclass(frozen=True)
class WrongAnswer:
    """A realistic mistake: in answer cell `cell`, replace `old` by `new` in the solution source.

    catches: the grade_id (or tuple of grade_ids) of the test cells that must then score 0;
    every other test cell must keep its full points.
    """

    cell: str
    old: str
    new: str
    catches: str | tuple
    why: str = ""

    @property
    def caught_by(self) -> set:
        return {self.catches} if isinstance(self.catches, str) else set(self.catches)


class Course:
    """An nbgrader course in tmp whose source is the repository's solutions/."""

    def __init__(self, tmp: Path, assignment: str, timeout: int = 60):
        from nbgrader.apps import NbGraderAPI
        from traitlets.config.loader import PyFileConfigLoader

        tmp.mkdir(parents=True, exist_ok=True)  # sqlite cannot create the folder of its database
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
        cd = cfg.CourseDirectory
        cd.root = str(REPO)
        for step in ("release", "submitted", "autograded", "feedback", "solution", "source_with_tests"):
            setattr(cd, f"{step}_directory", str(tmp / step))  # absolute paths win over root
        cd.db_url = f"sqlite:///{tmp / 'gradebook.db'}"
        cfg.Execute.timeout = timeout
        self.api = NbGraderAPI(config=cfg)
        self.tmp, self.assignment = tmp, assignment
        result = self.api.generate_assignment(assignment)
        assert result["success"], result.get("error") or result.get("log")
        self.release = tmp / "release" / assignment
        self.notebook = next(self.release.glob("*.ipynb")).stem

    def solution_sources(self) -> dict[str, str]:
        nb = nbformat.read(REPO / "solutions" / self.assignment / f"{self.notebook}.ipynb", as_version=4)
        return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("solution")}

    def hand_in(self, student: str, edit) -> None:
        """Copy the release into submitted/student and apply edit(nb) to it."""
        dest = self.tmp / "submitted" / student / self.assignment
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.release, dest)
        path = dest / f"{self.notebook}.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)

    def autograde(self, student: str = "*") -> None:
        """One nbgrader autograde call: one student, or every submission handed in ("*")."""
        result = self.api.autograde(self.assignment, student)
        assert result["success"], result.get("error") or result.get("log")

    def grades(self, student: str) -> dict[str, tuple]:
        """{grade_id: (score, max_score)} of a graded student, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(self.api.coursedir.db_url) as gb:
            sub = gb.find_submission_notebook(self.notebook, self.assignment, student)
            return {g.name: (g.score, g.max_score) for g in sub.grades if g.cell_type == "code"}

    def submit(self, student: str, edit) -> dict[str, tuple]:
        """Hand in edit(release), autograde that student alone; return {grade_id: (score, max_score)}."""
        self.hand_in(student, edit)
        self.autograde(student)
        return self.grades(student)

    def answers(self, wrong=()):
        """An edit that types the solution into every answer cell, with the given wrong answers."""
        sources = self.solution_sources()
        for w in wrong:
            assert w.cell in sources, f"no answer cell {w.cell!r}; cells: {sorted(sources)}"
            assert w.old in sources[w.cell], f"{w.old!r} is not in the solution of {w.cell}"
            sources[w.cell] = sources[w.cell].replace(w.old, w.new)

        def edit(nb):
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in sources:
                    cell.source = sources[gid]
        return edit


def group_by_cell(wrong_answers):
    """Submissions of wrong answers, at most one per answer cell in each."""
    groups = []
    for w in wrong_answers:
        for g in groups:
            if all(x.cell != w.cell for x in g):
                g.append(w)
                break
        else:
            groups.append([w])
    return groups


def grading_tests(assignment: str, wrong_answers, points: dict):
    """The grading tests for one notebook; assign them to test_* names in the test module.

    points: {test grade_id: points}, as the notebook's tasks state them.
    """
    import pytest

    groups = group_by_cell(wrong_answers)

    @pytest.fixture(scope="module")
    def course(tmp_path_factory):
        course = Course(tmp_path_factory.mktemp("course"), assignment)
        course.hand_in("solution", course.answers())
        course.hand_in("blank", lambda nb: None)
        for i, group in enumerate(groups):
            course.hand_in(f"wrong{i}", course.answers(group))
        course.autograde()  # the whole class in one call
        return course

    def test_solution_gets_every_point(course):
        grades = course.grades("solution")
        assert grades, "no graded cells found"
        for gid, (score, max_score) in grades.items():
            assert score == max_score, f"{gid}: {score}/{max_score} with the instructor's solution"

    def test_blank_notebook_gets_zero(course):
        grades = course.grades("blank")
        assert sum(score for score, _ in grades.values()) == 0, grades

    @pytest.mark.parametrize("group", groups, ids=[f"submission{i}" for i in range(len(groups))])
    def test_wrong_answers_lose_exactly_their_points(course, group):
        grades = course.grades(f"wrong{groups.index(group)}")
        caught = set().union(*(w.caught_by for w in group))
        problems = []
        for gid, (score, max_score) in grades.items():
            expected = 0 if gid in caught else max_score
            if score != expected:
                culprits = [w.why or f"{w.old!r} -> {w.new!r}" for w in group if gid in w.caught_by]
                problems.append(f"{gid}: {score}/{max_score}, expected {expected}" +
                                (f" (wrong answer: {'; '.join(culprits)})" if culprits else ""))
        assert not problems, "\n".join(problems)

    def test_student_notebook_is_ready(course):
        """Each answer cell is a stub with its one-line hint; each test cell has the stated points."""
        nb = nbformat.read(course.release / f"{course.notebook}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                assert "raise NotImplementedError()" in cell.source, meta["grade_id"]
                assert "# Hint:" in cell.source, f"{meta['grade_id']}: no hint survives into the stub"
        got = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
               for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
        assert got == points

    return course, test_solution_gets_every_point, test_blank_notebook_gets_zero, \
        test_wrong_answers_lose_exactly_their_points, test_student_notebook_is_ready


# --- A course folder of its own, for the command-line graders (nbgrader autograde, course_utils grade) ---

def nbgrader_env(**extra) -> dict:
    """The environment a grading command runs in: the venv's bin/ first, as `make` arranges."""
    return {**os.environ, "PATH": _BIN + os.pathsep + os.environ.get("PATH", ""), **extra}


def course_folder(root: Path, assignment: str, **env) -> Path:
    """A self-contained course in `root`: the repository's nbgrader_config.py, a copy of the
    assignment's source (an attack on the source notebook hits this copy, never solutions/), and the
    student version generated, which records the test cells in the gradebook (its db_url may come
    from LSTM_COURSE_DB_URL in env)."""
    import subprocess

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment],
                   cwd=root, env=nbgrader_env(**env), check=True, capture_output=True)
    return root


def filled_in(root: Path, assignment: str, answers: dict | None = None) -> nbformat.NotebookNode:
    """The student version with the solution typed into every answer cell, or `answers[grade_id]`."""
    sources = {c.metadata["nbgrader"]["grade_id"]: c.source
               for c in nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    sources.update(answers or {})
    nb = nbformat.read(root / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            cell.source = sources[gid]
    return nb


def hand_in(root: Path, assignment: str, student: str, nb) -> Path:
    folder = root / ".nbgrader" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")
    return folder


def gradebook_scores(root: Path, assignment: str, db_url: str | None = None) -> dict[str, dict[str, float]]:
    """{student: {test grade_id: score}} from the course's gradebook."""
    from nbgrader.api import Gradebook

    url = db_url or f"sqlite:///{root / '.nbgrader' / 'gradebook.db'}"
    with Gradebook(url) as gb:
        return {sub.student.id: {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell_type == "code"}
                for sub in gb.find_assignment(assignment).submissions}


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes (other than pytest) that contain `text`."""
    import glob

    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            line = Path(cmdline).read_bytes().replace(b"\0", b" ").decode(errors="ignore")
        except OSError:
            continue
        if text in line and "pytest" not in line:
            found.append(line)
    return found
