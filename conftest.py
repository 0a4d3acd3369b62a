"""Repository-root pytest configuration: the notebooks, and what every test of tests/ and lessons/ shares.

`pytest --nbval-lax notebooks/` runs every student notebook. Cells before the first exercise
(imports, data, demonstrations) must run cleanly; from the first answer cell on, a blank notebook
raises NotImplementedError, and the checks that call it fail, so those cells may raise.
"""

import pytest


def pytest_collection_modifyitems(config, items):
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
