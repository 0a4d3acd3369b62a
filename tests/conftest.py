"""Fixtures shared by the tests of several notebooks."""

import pytest


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
