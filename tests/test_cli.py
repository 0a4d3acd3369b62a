"""python -m course_utils: `check` grades a notebook like nbgrader; bad usage exits with 2."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import course_utils.data
from course_utils.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def grade_cell(source, grade_id, points):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": points,
                                 "locked": True, "solution": False, "schema_version": 3}
    return cell


def write_notebook(folder: Path, cells) -> Path:
    folder.mkdir(parents=True)
    path = folder / f"{folder.name}.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def run_cli(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.run([sys.executable, "-m", "course_utils", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_check_reports_each_grade_cell_and_the_total(tmp_path):
    from nbgrader.utils import compute_checksum

    changed = grade_cell('"""unchanged test"""\nassert True', "test_changed", 1)
    changed.metadata["nbgrader"]["checksum"] = compute_checksum(changed)
    changed.source = "assert True  # edited by the learner"
    manual = new_markdown_cell("Explain why.")
    manual.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "explain", "points": 2}
    folder = tmp_path / "01-demo"
    path = write_notebook(folder, [
        new_code_cell("def double(x):\n    return 2 * x"),
        new_code_cell("raise NotImplementedError()"),  # an unfinished exercise: not a test
        new_code_cell("1 / 0"),  # a cell of the learner's own that fails
        grade_cell('"""double doubles"""\nassert double(2) == 4', "test_double", 2),
        grade_cell('"""a wrong expectation"""\nassert double(3) == 7, "double(3) should be 7\\nmore"',
                   "test_wrong", 3),
        grade_cell("while True:\n    pass", "test_endless", 1),
        grade_cell('import os\nassert os.environ["NBGRADER_EXECUTION"] == "validate"\n'
                   'assert open("data.txt").read() == "here"', "test_env_and_folder", 1),
        changed,
        manual,
    ])
    (folder / "data.txt").write_text("here")

    result = run_cli("check", str(path), "--timeout", "3")
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert lines[0] == "warning: the test cell test_changed was changed; the grader puts the original back."
    assert lines[1].startswith("running 01-demo.ipynb")
    assert re.fullmatch(r"test_double +2/2  passed", lines[2])
    assert re.fullmatch(r"test_wrong +0/3  AssertionError: double\(3\) should be 7", lines[3])
    assert re.fullmatch(r"test_endless +0/1  Timeout: the cell ran longer than 3 s .*", lines[4])
    assert re.fullmatch(r"test_env_and_folder +1/1  passed", lines[5])  # ran in the notebook's folder
    assert re.fullmatch(r"test_changed +1/1  passed", lines[6])
    assert re.fullmatch(r"explain +-/2  graded by hand", lines[7])
    assert re.fullmatch(r"total +4/8", lines[8])
    assert lines[9] == ("note: 1 other cell(s) stopped at an exercise not written yet (the first is cell 2); "
                        "they run once its `raise NotImplementedError()` is replaced.")
    assert lines[10] == "note: 1 other cell(s) raised an error; the first is cell 3: ZeroDivisionError: division by zero"


def test_check_exits_0_when_everything_passes(tmp_path):
    path = write_notebook(tmp_path / "02-ok", [
        new_code_cell("x = 1"),
        grade_cell("assert x == 1", "test_x", 1.5),
    ])
    result = run_cli("check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^test_x +1.5/1.5  passed$", result.stdout, re.M)
    assert re.search(r"^total +1.5/1.5$", result.stdout, re.M)


def test_bad_usage_exits_2_with_the_usage(tmp_path):
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate' (choose from 'check', 'data', 'grade', 'explain')" in result.stderr
    assert "usage: python -m course_utils [-h] COMMAND ..." in result.stderr


@pytest.mark.parametrize("args, problem", [
    ([], "no command given"),
    (["check"], "the following arguments are required: NOTEBOOK.ipynb"),
    (["check", "missing.ipynb"], "no such notebook: missing.ipynb"),
    (["check", "README.md"], "is not a notebook (.ipynb)"),
    (["check", "x.ipynb", "--timeout", "soon"], "--timeout needs a whole number"),
    (["data", "now"], "unrecognized arguments: now"),
    (["explain"], "`explain` takes the error text, in quotes"),
])
def test_usage_errors(args, problem, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert problem in err and "usage:" in err


def test_notebook_without_grade_cells_or_unreadable(tmp_path, capsys):
    path = write_notebook(tmp_path / "plain", [new_code_cell("1 + 1")])
    assert main(["check", str(path)]) == 2
    assert "has no graded cells" in capsys.readouterr().err
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["check", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Revert Notebook to Checkpoint" in err and "git checkout -- " in err


def test_help_and_data(monkeypatch, capsys):
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m course_utils [-h] COMMAND ...")
    with pytest.raises(SystemExit) as info:   # each command has its own --help (argparse)
        main(["check", "--help"])
    assert info.value.code == 0
    assert "--timeout SECONDS" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["grade", "--help"])
    assert info.value.code == 0
    assert "--jobs" in capsys.readouterr().out
    calls = []
    monkeypatch.setattr(course_utils.data, "fetch", lambda: calls.append("fetch"))
    assert main(["data"]) == 0
    assert calls == ["fetch"]
