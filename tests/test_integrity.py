"""course_utils.grading.integrity: answers that reach for the grader's code are flagged; real answers are not."""

import nbformat
import pytest

from course_utils.grading.harness import REPO
from course_utils.grading.integrity import (
    MESSAGE,
    NOT_RUN,
    FlagTampering,
    ZeroFlagged,
    notebook_flags,
    scan,
)

HOSTILE = {
    "check replaced": "from course_utils.checks import nb01\nnb01.check_pad_batch = lambda *a, **k: print('PASSED')",
    "check module aliased": "import course_utils.checks.nb01 as m\nm.check_pad_batch = print",
    "through cu": "cu.checks.nb01.check_pad_batch = lambda *a, **k: None",
    "torch comparison": "torch.allclose = lambda *a, **k: True",
    "torch alias": "t = torch\nt.equal = lambda *a: True",
    "torch in a box": "box = [torch]\nbox[0].allclose = lambda *a, **k: True",
    "wrapper": "real = torch.allclose\ndef fake(*a, **k):\n    return True\ntorch.allclose = fake",
    "sys.modules": "import sys\nsys.modules['course_utils.checks.nb01'].check_pad_batch = print",
    "builtins": "import builtins\nbuiltins.isinstance = lambda *a: True",
    "__builtins__": "__builtins__.print = lambda *a: None",
    "reload": "import importlib\nimportlib.reload(torch)",
    "setattr": "setattr(torch, 'allclose', lambda *a, **k: True)",
    "exec": "exec('torch.allclose = lambda *a, **k: True')",
    "eval": "eval(\"setattr(torch, 'equal', print)\")",
    "__import__": "getattr(__import__('torch'), 'allclose')",
    "globals": "globals()['torch'] = None",
    "vars": "vars(torch)['allclose'] = print",
    "dunder method": "torch.Tensor.__eq__ = lambda a, b: True",
    "class patch": "nn.Module.__call__ = lambda self, *a: None",
    "functional": "F.mse_loss = lambda a, b: 0",
    "delete": "del torch.allclose",
    "inside the answer": "def pad_batch(seqs, pad_id):\n    import course_utils.checks.nb01 as m\n    m.passed = print\n    return None",
    "dunder escape": "x = ().__class__.__bases__[0].__subclasses__()",
    "inspect": "import inspect\nframe = inspect.currentframe()",
    "gc": "import gc\ngc.get_objects()",
    "compile": "code = compile('1', 'x', 'eval')",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_tampering_is_flagged(name):
    assert scan(HOSTILE[name]), f"not flagged: {HOSTILE[name]!r}"


def test_every_answer_of_the_course_passes_unflagged():
    """No false alarm: the instructor's answers (and their realistic wrong variants) are clean."""
    from course_utils.grading.lessons import mistakes

    count = 0
    for path in sorted(REPO.glob("solutions/*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert notebook_flags(nb) == [], path.name
        number = path.parent.name[:2]
        wrong = mistakes(number).WRONG_ANSWERS
        sources = {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        for w in wrong:
            if w.cell in sources and w.old in sources[w.cell]:
                assert scan(sources[w.cell].replace(w.old, w.new)) == [], (path.name, w.why)
                count += 1
    assert count > 50


def test_a_flagged_notebook_is_not_run_and_scores_zero_in_every_test_cell():
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("def pad_batch(s, p):\n    return s\ntorch.allclose = lambda *a, **k: True")
    answer.metadata["nbgrader"] = {"solution": True, "grade_id": "pad_batch", "grade": False, "locked": False}
    clean = nbformat.v4.new_code_cell("def encode(tokens, vocab):\n    return [vocab[t] for t in tokens]")
    clean.metadata["nbgrader"] = {"solution": True, "grade_id": "encode", "grade": False, "locked": False}
    test = nbformat.v4.new_code_cell("check()")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test_pad_batch", "points": 2, "locked": True,
                                 "solution": False}
    added = nbformat.v4.new_code_cell("import sys")  # a cell the student added
    nb.cells = [answer, clean, added, test]
    nb, _ = FlagTampering().preprocess(nb, {"nbgrader": {"student": "eve", "notebook": "01"}})
    flags = nb.metadata["course_utils"]["integrity_flags"]
    assert flags == ["pad_batch, line 3: changes torch.allclose, part of a module",
                     "cell 3, line 1: imports sys"]
    assert answer.source == NOT_RUN and added.source == NOT_RUN
    assert clean.source.startswith("def encode"), "a clean cell runs as written"

    test.outputs = [nbformat.v4.new_output("stream", name="stdout", text="PASSED\n")]  # as if it ran
    nb, _ = ZeroFlagged().preprocess(nb, {})
    (error,) = [o for o in test.outputs if o["output_type"] == "error"]
    assert error["ename"] == "IntegrityError"
    assert error["traceback"] == [MESSAGE.format(reasons="; ".join(flags))]
    assert "your instructor will review it by hand" in error["evalue"]


def test_nbgrader_runs_the_integrity_steps_around_its_own_defaults():
    """If an nbgrader upgrade changes its preprocessors, this says so before grades go wrong."""
    from nbgrader.converters.autograde import Autograde
    from traitlets.config.loader import PyFileConfigLoader

    defaults = Autograde()
    names = lambda classes: [f"{c.__module__.split('.')[0]}.preprocessors.{c.__name__}" for c in classes]  # noqa: E731
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    sanitize = [p for p in cfg.Autograde.sanitize_preprocessors if not p.startswith("course_utils")]
    autograde = [p.replace("course_utils.grading.executor.GuardedExecute", "nbgrader.preprocessors.Execute")
                 for p in cfg.Autograde.autograde_preprocessors if not p.startswith("course_utils.grading.integrity")]
    assert sanitize == names(defaults.sanitize_preprocessors)
    assert autograde == names(defaults.autograde_preprocessors)
    assert cfg.Autograde.sanitize_preprocessors.index("course_utils.grading.integrity.FlagTampering") == \
        cfg.Autograde.sanitize_preprocessors.index("nbgrader.preprocessors.OverwriteCells") + 1
    assert cfg.Autograde.autograde_preprocessors.index("course_utils.grading.integrity.ZeroFlagged") == \
        cfg.Autograde.autograde_preprocessors.index("nbgrader.preprocessors.SaveAutoGrades") - 1


CHEATS = {
    "replaces the check": "\nfrom course_utils.checks import nb01\nnb01.check_pad_batch = lambda *a, **k: print('PASSED')",
    "wraps torch.equal": "\n_equal = torch.equal\ntorch.equal = lambda a, b: True",
    "reaches sys.modules": "\nimport sys\nsys.modules['course_utils.checks.nb01'].passed = print",
    "writes the gradebook": "\nopen('../../gradebook.db', 'w').write('')",
}


def test_through_nbgrader_a_cheat_gets_nothing_and_the_others_are_unaffected(tmp_path):
    from course_utils.grading.harness import Course

    course = Course(tmp_path, "01-tokens-embeddings")
    honest = course.submit("ada", course.answers())
    assert all(score == max_score for score, max_score in honest.values())
    for i, (why, extra) in enumerate(CHEATS.items()):
        sources = course.solution_sources()

        def edit(nb, extra=extra, sources=sources):
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in sources:
                    cell.source = sources[gid].replace("ids = torch.full((len(id_lists), int(lengths.max())), pad_id",
                                                       "ids = torch.full((len(id_lists), int(lengths.max())), 0")
                    if gid == "pad_batch":
                        cell.source += extra
        grades = course.submit(f"eve{i}", edit)
        assert sum(score for score, _ in grades.values()) == 0, (why, grades)
        autograded = nbformat.read(tmp_path / "autograded" / f"eve{i}" / "01-tokens-embeddings" /
                                   "01-tokens-embeddings.ipynb", as_version=4)
        assert autograded.metadata["course_utils"]["integrity_flags"], why
    again = course.submit("ada", course.answers())
    assert again == honest
    assert (tmp_path / "gradebook.db").stat().st_size > 0


def test_without_the_integrity_steps_the_cheat_would_pass(tmp_path):
    """The attack is real: with nbgrader's defaults alone, replacing the check earns the points."""
    from nbgrader.converters.autograde import Autograde

    from course_utils.grading.harness import Course

    course = Course(tmp_path, "01-tokens-embeddings")
    course.api.config.Autograde.sanitize_preprocessors = Autograde().sanitize_preprocessors
    course.api.config.Autograde.autograde_preprocessors = Autograde().autograde_preprocessors
    sources = course.solution_sources()
    wrong = "ids = torch.full((len(id_lists), int(lengths.max())), 0"

    def edit(nb):
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid == "pad_batch":
                cell.source = sources[gid].replace(
                    "ids = torch.full((len(id_lists), int(lengths.max())), pad_id", wrong) + CHEATS["replaces the check"]
    grades = course.submit("eve", edit)
    assert grades["test_pad_batch"][0] == grades["test_pad_batch"][1], grades
