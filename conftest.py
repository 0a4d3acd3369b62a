"""Repository-root pytest configuration: the notebooks, and what every test of tests/ and lessons/ shares.

`pytest --nbval-lax notebooks/` runs every student notebook. Cells before the first exercise
(imports, data, demonstrations) must run cleanly; from the first answer cell on, a blank notebook
raises NotImplementedError, and the checks that call it fail, so those cells may raise.
"""

from pathlib import Path

import pytest

# The longest test files, longest first, in seconds on one quiet core (measured 2026-12-07). Under
# pytest-xdist (`make test`) a file's tests stay together in one worker; handing out the longest
# files first keeps one worker from starting a long file while the other has nothing left to do.
LONGEST = {
    "lessons/10-surnames/test_grading_10.py": 210, "lessons/08-seq2seq/test_grading_08.py": 156,
    "tests/test_sandbox.py": 120, "tests/test_parallel.py": 112, "lessons/09-sentiment/test_grading_09.py": 111,
    "tests/test_browser.py": 97, "tests/test_instructors.py": 86, "lessons/12-tagging/test_grading_12.py": 80,
    "lessons/11-forecasting/test_grading_11.py": 74, "tests/test_hub.py": 65,
    "lessons/01-tokens-embeddings/test_grading_01.py": 65, "lessons/04-outputs-and-state/test_grading_04.py": 61,
    "lessons/03-lstm-cell/test_grading_03.py": 61, "tests/test_postgres.py": 57,
    "lessons/07-variable-length/test_grading_07.py": 55, "tests/test_hostile.py": 55,
    "lessons/02-tensor-layout/test_grading_02.py": 48, "lessons/06-bidirectional/test_grading_06.py": 44,
    "lessons/13-debugging-clinic/test_grading_13.py": 39, "tests/test_lock.py": 35,
    "lessons/05-stacked-lstms/test_grading_05.py": 29,
}
ROOT = Path(__file__).resolve().parent


def _longest_first(items):
    """Items grouped by file, the longest files first; within a file, and among the rest, in order."""
    weight = {}
    for item in items:
        path = Path(str(item.path)).resolve()
        key = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        weight.setdefault(item.path, LONGEST.get(key, 0))
    items.sort(key=lambda item: -weight[item.path])  # stable: the order inside a file is kept


def pytest_collection_modifyitems(config, items):
    _longest_first(items)
    reached_exercise = set()
    for item in items:
        if type(item).__name__ != "IPyNbCell" or "notebooks" not in item.path.parts:
            continue
        if item.cell.metadata.get("nbgrader", {}).get("solution"):
            reached_exercise.add(item.path)
        if item.path in reached_exercise:
            item.options["check_exception"] = True  # as if tagged raises-exception
            item.options["check"] = False


@pytest.fixture(autouse=True)
def fresh_gate():
    """Every test starts with course_utils.heldout as a fresh kernel has it (test split open, nothing
    sealed, nothing asked) and puts it back afterwards: a test that closes or seals it leaks nothing."""
    from course_utils import heldout

    saved = {k: (list(v) if isinstance(v, list) else v) for k, v in heldout._state.items()}
    heldout._state.update(what=None, closed=False, attempts=[], seal=None)
    yield
    heldout._state.clear()
    heldout._state.update(saved)
