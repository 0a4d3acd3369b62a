"""Hostile and broken submissions, graded together in ONE real `nbgrader autograde` call, as an
instructor grades a class: every student ends with a grade, nobody gets false credit, the honest
student is unaffected, and the log has a clear line for each broken one.

The cheats that replace the course's checks are in tests/test_integrity.py.
"""

from __future__ import annotations

import time

import nbformat
import pytest

from course_utils.grading.harness import Course

A = "01-tokens-embeddings"
FULL = {"test_build_vocab": 2, "test_encode": 2, "test_pad_batch": 2, "test_make_embedding": 2,
        "test_to_lstm_input": 2}
WRONG_PAD = ("ids = torch.full((len(id_lists), int(lengths.max())), pad_id",
             "ids = torch.full((len(id_lists), int(lengths.max())), 0")
LOOP = "def encode(tokens, vocab):\n    while True:\n        pass"
SWALLOW = ("def encode(tokens, vocab):\n    import time\n    while True:\n        try:\n"
           "            time.sleep(0.1)\n        except KeyboardInterrupt:\n            pass")
TIMEOUT = 8  # seconds per cell (nbgrader_config.py has 60; shorter here to keep the test quick)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    course = Course(tmp, A, timeout=TIMEOUT)
    solution = course.solution_sources()
    release = nbformat.read(course.release / f"{A}.ipynb", as_version=4)

    def notebook(**answers):
        nb = nbformat.reads(nbformat.writes(release), as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in solution:
                cell.source = answers.get(gid, solution[gid])
        return nb

    def test_cell(nb, grade_id):
        return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)

    wrong_pad = solution["pad_batch"].replace(*WRONG_PAD)
    edited = notebook(pad_batch=wrong_pad)
    test_cell(edited, "test_pad_batch").source = '"""pad_batch"""\nprint("PASSED pad_batch")'
    deleted = notebook(pad_batch=wrong_pad)
    deleted.cells.remove(test_cell(deleted, "test_pad_batch"))
    flood = notebook(encode=solution["encode"] + "\nfor i in range(200_000):\n    print('spam', i)")

    submissions = {
        "honest": notebook(),
        "endless_loop": notebook(encode=LOOP),
        "swallows_interrupt": notebook(encode=SWALLOW),
        "output_flood": flood,
        "edited_test_cell": edited,
        "deleted_test_cell": deleted,
        "not_a_notebook": b"%PDF-1.4 this is a PDF, handed in by mistake",
        "renamed_notebook": (f"{A} (1).ipynb", notebook()),
    }
    for student, content in submissions.items():
        folder = tmp / "submitted" / student / A
        folder.mkdir(parents=True)
        name, content = content if isinstance(content, tuple) else (f"{A}.ipynb", content)
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            nbformat.write(content, folder / name)

    start = time.monotonic()
    result = course.api.autograde(A, "*")  # the whole class in one call
    seconds = time.monotonic() - start
    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook(course.api.coursedir.db_url) as gb:
        for student in submissions:
            sub = gb.find_submission_notebook(A, A, student)
            grades[student] = {g.name: g.score for g in sub.grades if g.cell_type == "code"}
    return {"grades": grades, "log": result.get("log", ""), "seconds": seconds, "tmp": tmp}


def test_every_student_has_a_grade_and_the_honest_one_full_marks(graded):
    assert set(graded["grades"]) >= {"honest", "not_a_notebook", "renamed_notebook", "swallows_interrupt"}
    assert graded["grades"]["honest"] == FULL


def test_an_endless_loop_costs_only_its_own_exercise(graded):
    assert graded["grades"]["endless_loop"] == {**FULL, "test_encode": 0}


def test_a_loop_that_swallows_the_interrupt_still_gets_a_grade(graded):
    """The kernel is restarted (course_utils.grading.executor); answers defined before it are lost."""
    grades = graded["grades"]["swallows_interrupt"]
    assert grades["test_encode"] == 0 and grades["test_build_vocab"] == 2
    assert "The kernel ignored the interrupt" in graded["log"]


def test_a_flood_of_output_is_cut_and_graded(graded):
    assert graded["grades"]["output_flood"] == FULL
    nb = nbformat.read(graded["tmp"] / "autograded" / "output_flood" / A / f"{A}.ipynb", as_version=4)
    text = sum(len(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert text < 1_000_000, "nbgrader's LimitOutput keeps the autograded notebook small"


def test_edited_and_deleted_test_cells_are_restored_and_graded(graded):
    for student in ("edited_test_cell", "deleted_test_cell"):
        assert graded["grades"][student] == {**FULL, "test_pad_batch": 0}, student


def test_broken_files_score_zero_with_a_line_for_the_instructor(graded):
    assert sum(graded["grades"]["not_a_notebook"].values()) == 0
    assert sum(graded["grades"]["renamed_notebook"].values()) == 0
    log = graded["log"]
    assert "There was an error processing assignment '01-tokens-embeddings' for student 'not_a_notebook'" in log
    assert f"Skipping unknown notebook: {graded['tmp'] / 'submitted' / 'renamed_notebook' / A / (A + ' (1).ipynb')}" in log


def test_the_class_is_graded_in_reasonable_time(graded):
    # 8 students; the two loops cost about 3 cell time limits each
    assert graded["seconds"] < 8 * 20 + 8 * TIMEOUT, graded["seconds"]
    print(f"8 hostile submissions graded in one autograde call: {graded['seconds']:.0f} s")
