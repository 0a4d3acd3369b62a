"""The house keeps its shape: who may import whom (CONTRIBUTING.md, "The house"), and no side effect
on `import course_utils`. Read from the source with ast, so a new arrow the rules forbid fails here
with the file and line, before a reviewer has to spot it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "course_utils"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from . import checks` names modules: count each one
            names = [f"{base}.{alias.name}" for alias in node.names] if not node.module else [base]
            found += [(node.lineno, name) for name in names]
    return found


def arrows(paths, forbidden) -> list[str]:
    """Every import in `paths` whose target starts with one of `forbidden`."""
    bad = []
    for path in paths:
        for line, name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    return bad


def test_the_learners_package_never_imports_the_grading_wing():
    """Notebooks import course_utils; grading is the instructor's side. Only the command line
    (__main__, which also serves instructors: `grade`) reaches into it."""
    learner_side = [p for p in PACKAGE.rglob("*.py")
                    if "grading" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"]
    assert not arrows(learner_side, ["course_utils.grading"])


def test_a_lessons_checks_never_import_another_lessons_checks():
    bad = []
    for path in sorted((PACKAGE / "checks").glob("nb*.py")):
        others = [f"course_utils.checks.{p.stem}" for p in (PACKAGE / "checks").glob("nb*.py") if p != path]
        bad += arrows([path], others)
    assert not bad


def test_the_ground_floor_imports_nothing_of_the_course():
    """errors and messages are what everything else builds on."""
    ground = [PACKAGE / "errors.py", PACKAGE / "messages.py"]
    assert all(p.exists() for p in ground), "course_utils/errors.py and messages.py are the ground floor"
    bad = []
    for path in ground:
        bad += [f"{path.name}:{line} imports {name}" for line, name in imports(path)
                if name.startswith("course_utils") and name not in ("course_utils.errors", "course_utils.messages")]
    assert not bad


def test_display_and_shapes_do_not_import_the_checks():
    assert not arrows([PACKAGE / "display.py", PACKAGE / "shapes.py"], ["course_utils.checks"])


def test_nothing_imports_the_tests_and_no_tool_edits_sys_path_into_them():
    code = [*PACKAGE.rglob("*.py"), *(REPO / "tools").rglob("*.py"), *(REPO / "lessons").rglob("*.py")]
    bad = arrows(code, ["tests", "conftest"] + [p.stem for p in (REPO / "tests").glob("test_*.py")])
    bad += [f"{p.relative_to(REPO)} puts tests/ on sys.path" for p in code
            if '"tests"' in p.read_text() and "sys.path" in p.read_text()]
    assert not bad


@pytest.mark.parametrize("module", ["course_utils", "course_utils.checks.nb05"])
def test_importing_the_package_changes_nothing_a_learner_did_not_ask_for(module):
    """In a running IPython, `import course_utils` registers no exception handler, seeds no random
    generator and prints nothing: the setup cell asks for the handler (cu.display.install())."""
    probe = f"""
import random, torch
from IPython.testing.globalipapp import start_ipython
shell = start_ipython()
torch_state, python_state = torch.get_rng_state().clone(), random.getstate()
import {module}
assert torch.equal(torch_state, torch.get_rng_state()), "the torch RNG moved"
assert python_state == random.getstate(), "Python's RNG moved"
assert shell.custom_exceptions == (), f"an exception handler was registered: {{shell.custom_exceptions}}"
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "", result.stdout
