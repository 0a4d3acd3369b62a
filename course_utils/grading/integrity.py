"""Graders that cannot be fooled: find student code that reaches for the checks themselves.

nbgrader runs a student's answer cells and the instructor's test cells in one Python process
(the grading sandbox, course_utils.grading.sandbox, walls that process off from everything else,
not the tests from the answers): an answer cell could replace `nb01.check_pad_batch`, `torch.allclose` or a
builtin, and every test would pass. No runtime check inside that process can be trusted, so this
module reads the code instead: every cell a student can edit (answer cells, and cells they added)
is parsed, and the constructs that can reach or replace the grader's code are flagged:

* imports of sys, builtins, importlib, gc, ctypes, inspect, unittest(.mock), marshal, runpy, code,
  and of what reaches the files (os, pathlib, shutil, sqlite3, subprocess: the gradebook is a file);
* open() (an answer has nothing to read or write);
* exec, eval, compile, __import__, globals(), vars(), locals(), setattr/delattr on a module;
* any double-underscore name or attribute other than the harmless few (`super().__init__()`);
* `course_utils.heldout` (the gate that keeps the test split closed until the model is trained) and
  private names of course_utils (`cu.data.text._all_reviews`);
* assigning or deleting an attribute or item of a module (`torch.allclose = ...`,
  `cu.checks.nb01.check_pad_batch = ...`, also through an alias `t = torch`);

Two nbgrader preprocessors do the grading side (nbgrader_config.py). `FlagTampering` runs before
the notebook is executed: it records the reasons in the notebook's metadata
(`course_utils.integrity_flags`, which `make report` lists for manual review) and replaces each
flagged cell by one that raises, so the code never runs. `ZeroFlagged` runs after execution,
just before nbgrader saves the grades: a flagged notebook scores zero in every test cell, with
one line that says why. Answers that need none of these constructs (none of the course's do)
are never flagged; tests/test_integrity.py checks every solution and every wrong answer.
"""

from __future__ import annotations

import ast

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

FORBIDDEN_MODULES = {"sys", "builtins", "importlib", "gc", "ctypes", "inspect", "unittest", "marshal",
                     "runpy", "code", "codeop", "types", "pickle", "dill", "mock", "_thread", "threading",
                     "signal", "atexit", "traceback", "site", "imp", "pytest", "os", "subprocess",
                     "shutil", "sqlite3", "socket", "multiprocessing", "pathlib", "tempfile", "io",
                     "nbgrader", "nbformat", "sqlalchemy"}
FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals", "breakpoint",
                   "reload", "open"}
HARMLESS_DUNDERS = {"__init__", "__name__", "__doc__", "__len__", "__getitem__", "__iter__", "__next__",
                    "__call__", "__repr__", "__str__", "__enter__", "__exit__", "__main__"}
MODULE_ROOTS = {"torch", "nn", "F", "np", "numpy", "cu", "course_utils", "math", "random", "os",
                "collections", "itertools", "functools", "operator", "re", "string", "json",
                "tqdm", "matplotlib", "plt", "nbformat", "nbgrader", "pad_sequence"}
MESSAGE = ("IntegrityError: this submission changes code the grader relies on ({reasons}). "
           "No points are given for this notebook; your instructor will review it by hand.")


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and name not in HARMLESS_DUNDERS


def _root(node: ast.AST) -> str | None:
    """The name an attribute/item chain starts from: torch.nn.functional.x -> 'torch'."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Scanner(ast.NodeVisitor):
    def __init__(self, modules: set[str]):
        self.modules = set(modules)  # names bound to modules (imports, aliases)
        self.course_names = {"cu", "course_utils"}  # names bound to course_utils or its parts
        self.reasons: list[str] = []

    def flag(self, node: ast.AST, why: str) -> None:
        self.reasons.append(f"line {getattr(node, 'lineno', '?')}: {why}")

    def _import(self, node, names):
        for module, bound in names:
            parts = module.split(".")
            if parts[0] in FORBIDDEN_MODULES:
                self.flag(node, f"imports {module}")
            elif parts[0] == "course_utils" and ("heldout" in parts or any(p.startswith("_") for p in parts)):
                self.flag(node, f"imports {module}, which an answer has no use for")
            elif parts[0] == "course_utils":
                self.course_names.add(bound)  # from course_utils.data import text: text._x is private
            self.modules.add(bound)

    def visit_Import(self, node):
        self._import(node, [(a.name, a.asname or a.name.split(".")[0]) for a in node.names])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._import(node, [(f"{module}.{a.name}" if module else a.name, a.asname or a.name)
                            for a in node.names])

    def visit_Name(self, node):
        if _dunder(node.id):
            self.flag(node, f"uses {node.id}")
        if node.id in FORBIDDEN_CALLS and isinstance(node.ctx, ast.Load):
            self.flag(node, f"uses {node.id}()")

    def visit_Attribute(self, node):
        if _dunder(node.attr):
            self.flag(node, f"reads .{node.attr}")
        elif node.attr == "heldout" or (node.attr.startswith("_") and _root(node) in self.course_names):
            self.flag(node, f"reaches {ast.unparse(node)}: the held-out gate or a private part of course_utils")
        if node.attr in FORBIDDEN_CALLS or node.attr in {"modules", "meta_path", "settrace", "setprofile"}:
            if _root(node) in self.modules | {"sys", "importlib", "builtins"}:
                self.flag(node, f"uses .{node.attr}")
        self.generic_visit(node)

    def _targets(self, node, targets):
        for target in targets:
            for t in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                if isinstance(t, (ast.Attribute, ast.Subscript)) and self._is_module(_root(t)):
                    self.flag(node, f"changes {ast.unparse(t)}, part of a module")
                if isinstance(t, ast.Name) and t.id in self.modules:
                    self.modules.discard(t.id)  # rebinding a name that was a module is fine

    def _is_module(self, name):
        return name is not None and name in self.modules

    def _holds_module(self, value) -> bool:
        """A module itself, or a list/tuple/dict/set literal holding one: [torch], {"t": torch}."""
        if isinstance(value, (ast.Name, ast.Attribute)):
            return self._is_module(_root(value))
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return any(self._holds_module(v) for v in value.elts)
        if isinstance(value, ast.Dict):
            return any(self._holds_module(v) for v in value.values if v is not None)
        return False

    def visit_Assign(self, node):
        self._targets(node, node.targets)
        # an alias of a module is a module: t = torch; t.allclose = ...   or  box = [torch]
        if self._holds_module(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.modules.add(target.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets(node, [node.target])
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._targets(node, [node.target])
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._targets(node, node.targets)
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            if self._is_module(_root(node.args[0])):
                self.flag(node, f"{node.func.id}() on {ast.unparse(node.args[0])}, a module")
        self.generic_visit(node)


def scan(source: str, modules=()) -> list[str]:
    """Reasons why this code could tamper with the grader; [] when it cannot.

    modules: names already bound to modules by earlier cells (torch, nn, cu, ...).
    Code that does not parse is not flagged: it fails by itself when run.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    scanner = _Scanner(set(modules) | MODULE_ROOTS)
    scanner.visit(tree)
    return scanner.reasons


def _student_cells(nb):
    """Cells a student can change: answer cells and cells they added (no nbgrader metadata)."""
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or not meta):
            yield index, cell


def _code(cell) -> str:
    """A cell's Python: IPython's magics and shell escapes (%time, !ls) left out."""
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))


def notebook_flags(nb) -> list[str]:
    flags = []
    for index, cell in _student_cells(nb):
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        flags += [f"{name}, {reason}" for reason in scan(_code(cell))]
        if cell.source == NOT_RUN:
            flags.append(f"{name}, flagged before it ran")
    return flags


NOT_RUN = ("# course_utils.grading.integrity: this cell was not run, it reaches for the grader's code.\n"
           "# The student's original is in the submitted notebook.\n"
           "raise RuntimeError('not run: flagged for manual review')")


class FlagTampering(Preprocessor):
    """Autograde, before anything runs: flag a submission that reaches for the grader's code.

    Its reasons go into the notebook's metadata, and each flagged cell is replaced by one that
    raises, so the code never runs (a cell that replaced a check would pass every test).
    nbgrader keeps the student's original in submitted/.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        flags = notebook_flags(nb)
        nb.metadata.setdefault("course_utils", {})["integrity_flags"] = flags
        if flags:
            info = resources.get("nbgrader", {})
            self.log.warning("FLAGGED for manual review: student %s, notebook %s: %s",
                             info.get("student", "?"), info.get("notebook", "?"), "; ".join(flags))
            for _, cell in _student_cells(nb):
                if scan(_code(cell)):
                    cell.source = NOT_RUN
        return nb, resources


class ZeroFlagged(Preprocessor):
    """Autograde, after execution, before the grades are saved: a flagged notebook scores 0."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        flags = nb.metadata.get("course_utils", {}).get("integrity_flags", [])
        if not flags:
            return nb, resources
        shown = "; ".join(flags[:3]) + (f"; and {len(flags) - 3} more" if len(flags) > 3 else "")
        text = MESSAGE.format(reasons=shown)
        error = nbformat.v4.new_output("error", ename="IntegrityError",
                                       evalue=text.removeprefix("IntegrityError: "), traceback=[text])
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
                cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
                cell.outputs.append(error)
        return nb, resources
