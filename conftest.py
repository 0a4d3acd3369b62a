"""Repository-root pytest configuration for the notebooks.

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
