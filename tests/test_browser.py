"""The course in a real browser, as a learner and an instructor see it.

pytest + Playwright for Python drive Debian's Chromium (/usr/bin/chromium; Playwright downloads no
browser). JupyterLab is started the way `make lab` and `make lab-instructor` start it
(tests/test_lab.py: start_lab), on loopback with a token, serving a scratch copy of the course
(notebooks/, solutions/, nbgrader_config.py, jupyter/), so that nothing in the repository is
changed or left behind (no .ipynb_checkpoints, no gradebook, no exchange).

* every student notebook in notebooks/ opens and runs (Run All) up to its first exercise: the
  first error is the one-line "not written yet" message of that exercise, with no traceback
  anywhere;
* notebook 01 as a learner: no instructor tools and no news toast; Run All stops at exercise 1
  with its one line; an answer typed into the answer cell makes the visible check print PASSED;
  nbgrader's Validate button reports the exercises still to do;
* the formgrader as an instructor lists every assignment with Release and Collect (the exchange
  exists); a release reaches the learner's Assignment List, which shows no "Error fetching courses!".

Screenshots and server logs are kept in .artifacts/browser/ (git-ignored): look at them. Without
Chromium or Playwright the tests skip with one line saying how to install them; in CI
(COURSE_CI=1) they fail instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from test_lab import FIRST, start_lab

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / ".artifacts" / "browser"
INSTALL = (f"the browser tests need Chromium at {CHROMIUM} (Debian: sudo apt-get install chromium) and "
           "Playwright for Python (.venv/bin/pip install -r requirements-lock.txt)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STUDENT_NOTEBOOKS = sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("notebooks/*/*.ipynb"))
# What IPython prints around an error that it shows in full; the course's own errors are one line.
RAW_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^Cell In\[\d+\]|^\s*File \"", re.M)
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'
RUN_ALL_SECONDS = 240  # per notebook, up to its first exercise, on a slow 2-core machine


# ---------------------------------------------------------------- browser, servers, scratch copy

def _missing():
    missing = [] if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK) else [str(CHROMIUM)]
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright")
    return missing


MISSING = _missing()
if MISSING and not os.environ.get("COURSE_CI"):  # one line for the whole module; in CI, a failure
    pytest.skip(f"{INSTALL}; missing: {', '.join(MISSING)}", allow_module_level=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module, with a fresh profile."""
    if MISSING:
        pytest.fail(f"COURSE_CI=1: {INSTALL}; missing: {', '.join(MISSING)}", pytrace=False)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch copy of what JupyterLab serves: the notebooks, their sources, the configuration."""
    root = tmp_path_factory.mktemp("course")
    noise = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(REPO / folder, root / folder, ignore=noise)
    for role in ("student", "instructor"):  # the configuration, not what JupyterLab wrote there
        shutil.copytree(REPO / "jupyter" / role, root / "jupyter" / role,
                        ignore=lambda folder, names: {"lab", "migrated"} & set(names)
                        if Path(folder).parent.name == "jupyter" else set())
    shutil.copy2(REPO / "nbgrader_config.py", root)
    return root


def _lab(role, course, tmp_path_factory):
    state = tmp_path_factory.mktemp(f"{role}-state")
    with start_lab(role, root=course, state=state) as lab:
        yield lab
    shutil.copy2(lab.log, ARTIFACTS / lab.log.name)  # the server's log, kept beside the screenshots


@pytest.fixture(scope="module")
def student(browser, course, tmp_path_factory):
    yield from _lab("student", course, tmp_path_factory)


@pytest.fixture(scope="module")
def instructor(browser, course, tmp_path_factory):
    yield from _lab("instructor", course, tmp_path_factory)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


@pytest.fixture(scope="module")
def lab_page(browser, student):
    """One learner's JupyterLab, loaded once, in which the notebooks are opened one after another."""
    page = browser.new_page()
    page.goto(student.url("/lab?reset"))
    page.locator(".jp-DirListing-content").wait_for()
    yield page
    page.close()


# ---------------------------------------------------------------- what a learner does in JupyterLab

def shoot(page, name):
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def kernel_idle(page):
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    return indicator.count() > 0 and indicator.first.get_attribute("data-status") == "idle"


def wait_until_idle(page, timeout):
    """Until the kernel is idle and no cell waits to run ([*]), for half a second."""
    deadline, calm = time.time() + timeout, 0
    while calm < 3:
        if time.time() > deadline:
            raise AssertionError(f"the notebook was still running after {timeout} s")
        busy = page.locator(".jp-Notebook .jp-InputPrompt", has_text="*").count()
        calm = calm + 1 if not busy and kernel_idle(page) else 0
        page.wait_for_timeout(250)


def open_from_path(page, lab, path):
    """File > Open from Path..., as in a JupyterLab already loaded; wait for the cells and the kernel."""
    cells = len(nbformat.read(lab.root / path, as_version=4).cells)
    menu(page, "File", "Open from Path…")
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(path)
    dialog.get_by_role("button", name="Open").click()
    page.locator(".jp-Notebook .jp-Cell").nth(cells - 1).wait_for(state="attached", timeout=60_000)
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells  # Run All waits for the kernel
    return cells


def close_everything(page, lab):
    """Close every tab, discarding the outputs, and shut the kernels down."""
    menu(page, "File", "Close All Tabs")
    discard = page.locator(".jp-Dialog").get_by_role("button", name="Discard")
    deadline = time.time() + 30
    while page.locator(".jp-Notebook").count():  # "Save your work?" for each changed notebook
        assert time.time() < deadline, "the notebook would not close"
        if discard.count():
            discard.first.click()
        page.wait_for_timeout(100)
    shut_down_kernels(lab)


def menu(page, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def menu_items(page, top):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    labels = page.locator(".lm-Menu .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_text_contents()
    page.keyboard.press("Escape")
    return [label.strip() for label in labels if label.strip()]


def run_all(page):
    menu(page, "Run", "Run All Cells")
    page.wait_for_timeout(500)
    wait_until_idle(page, RUN_ALL_SECONDS)


def cell_states(page):
    """For each cell: its prompt ("[3]:", "[ ]:") and the text of its red (stderr) outputs."""
    return page.evaluate("""(stderr) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(c => ({
        prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
        errors: [...c.querySelectorAll('.jp-OutputArea-output' + stderr)].map(e => e.textContent),
        text: [...c.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent).join('\\n'),
    }))""", STDERR)


def cell(page, index):
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def show(page, index):
    """Scroll cell `index` to the middle of the notebook and let it paint (for a screenshot)."""
    target = cell(page, index)
    if target.locator(".jp-OutputArea-output").count():  # the output is what the learner reads
        target = target.locator(".jp-OutputArea-output").last
    target.evaluate("c => c.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(600)


def nbgrader_cells(path):
    nb = nbformat.read(path, as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)
            if c.metadata.get("nbgrader", {}).get("grade_id")}, nb


def first_solution_cell(nb):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))


def no_raw_traceback(states, where):
    raw = [(i, s["errors"]) for i, s in enumerate(states) for e in s["errors"] if RAW_TRACEBACK.search(e)]
    assert not raw, f"{where}: a raw traceback in cell {raw[0][0] + 1}:\n{raw[0][1][0][:1500]}"


def shut_down_kernels(lab):
    import urllib.request

    for session in json.load(lab.get("/api/sessions")):
        request = urllib.request.Request(lab.url(f"/api/sessions/{session['id']}"), method="DELETE")
        urllib.request.urlopen(request, timeout=30)


# ---------------------------------------------------------------- every student notebook

@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: Path(p).stem)
def test_every_notebook_runs_to_its_first_exercise(student, lab_page, path):
    page = lab_page
    _, nb = nbgrader_cells(student.root / path)
    exercise = first_solution_cell(nb)
    open_from_path(page, student, path)
    try:
        run_all(page)
        states = cell_states(page)
        ran = [i for i, s in enumerate(states) if re.search(r"\[\d+\]", s["prompt"])]
        stop = max(ran, default=0)  # Run All stops at the first cell that raises
        show(page, stop)
        shoot(page, f"notebook-{Path(path).stem}")
        no_raw_traceback(states, path)
        code = [i for i in range(exercise) if nb.cells[i].cell_type == "code"]
        assert set(code) <= set(ran), f"{path}: cells {sorted(set(code) - set(ran))} before the first exercise did not run"
        assert stop > exercise, f"{path}: Run All did not stop after the first exercise (cell {exercise + 1})"
        message = (states[stop]["errors"] or [""])[-1].strip()
        assert message.startswith("NotDoneYet: ") and "is not written yet" in message, (
            f"{path}: Run All stopped at cell {stop + 1}, not at a 'not written yet' message:\n"
            f"{states[stop]['text'][:1500]}")
        assert len(message.splitlines()) <= 4, message
        red = [(i, e) for i in range(stop) for e in states[i]["errors"]]
        assert not red, (f"{path}: cell {red[0][0] + 1}, before Run All stops, shows a red box "
                         f"(stderr):\n{red[0][1][:1000]}")
        later = [i + 1 for i in range(stop + 1, len(states)) if i in ran]
        assert not later, f"{path}: cells {later} ran after Run All stopped at cell {stop + 1}"
    finally:
        close_everything(page, student)


# ---------------------------------------------------------------- notebook 01 as a learner

def test_learner_without_instructor_tools_or_news(student, page):
    page.goto(student.url("/"))  # what `make lab` opens
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    # (/lab/workspaces/auto-x/tree/...: JupyterLab's name for a second window of the same course)
    assert re.match(rf"{student.base}/lab(/workspaces/[^/]+)?/tree/{FIRST}", page.url), page.url
    page.wait_for_timeout(2000)  # the news toast, if any, comes a moment after the page
    shoot(page, "learner-opens-notebook-01")
    assert page.get_by_text("Create Assignment").count() == 0
    assert menu_items(page, "Nbgrader") == ["Assignment List"]
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0
    assert page.locator(".validate-button:visible").count() == 1
    shut_down_kernels(student)


def test_learner_runs_types_an_answer_and_validates(student, lab_page):
    page = lab_page
    ids, student_nb = nbgrader_cells(student.root / FIRST)
    source_ids, source_nb = nbgrader_cells(REPO / FIRST.replace("notebooks/", "solutions/", 1))
    answer_id = student_nb.cells[first_solution_cell(student_nb)].metadata["nbgrader"]["grade_id"]
    answer = ids[answer_id]
    try_it, check = answer + 1, next(i for i in range(answer + 1, len(student_nb.cells))
                                     if student_nb.cells[i].metadata.get("nbgrader", {}).get("grade"))
    open_from_path(page, student, FIRST)
    try:
        # Run All stops at the first exercise's try-it cell with one line, not a traceback
        run_all(page)
        states = cell_states(page)
        no_raw_traceback(states, FIRST)
        show(page, try_it)
        shoot(page, "learner-run-all-stops-at-exercise-1")
        assert [i for i, s in enumerate(states) if s["errors"]][:1] == [try_it]
        assert states[try_it]["errors"][0].startswith(f"NotDoneYet: {answer_id}() is not written yet")

        # the learner types the answer (the solution, without nbgrader's markers) and runs on
        solution = source_nb.cells[source_ids[answer_id]].source
        typed = "\n".join(line for line in solution.splitlines() if "### BEGIN SOLUTION" not in line
                          and "### END SOLUTION" not in line)
        cell(page, answer).locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(typed)
        for _ in range(check - answer + 1):  # the answer, its try-it cell, its check
            page.keyboard.press("Shift+Enter")
            page.wait_for_timeout(200)
        wait_until_idle(page, 120)
        states = cell_states(page)
        show(page, check)
        shoot(page, "learner-check-passes")
        no_raw_traceback(states, FIRST)
        assert not states[try_it]["errors"] and not states[check]["errors"], states[check]
        assert "PASSED" in states[check]["text"], states[check]["text"]

        # nbgrader's Validate button: saves, runs the notebook, lists what fails
        page.locator(".validate-button:visible").click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=180_000)
        page.wait_for_timeout(300)
        shoot(page, "learner-validate")
        verdict = dialog.text_content()
        page.keyboard.press("Escape")
        assert "Validation Results" in verdict, verdict[:1500]
        assert not RAW_TRACEBACK.search(verdict), verdict[:3000]
        assert f"{answer_id}() is not written yet" not in verdict, verdict[:3000]
        later = [student_nb.cells[i].metadata["nbgrader"]["grade_id"] for i in sorted(ids.values())
                 if i > check and student_nb.cells[i].metadata["nbgrader"].get("solution")
                 and student_nb.cells[i].cell_type == "code"]
        assert later and all(f"{name}() is not written yet" in verdict for name in later), verdict[:3000]
    finally:
        close_everything(page, student)


# ---------------------------------------------------------------- the instructor, and the exchange

def test_instructor_formgrader_releases_and_the_learner_sees_it(instructor, student, browser, page):
    assignments = sorted(p.name for p in (instructor.root / "solutions").iterdir() if p.is_dir())
    released = [a for a in assignments if (instructor.root / "notebooks" / a).is_dir()]
    assert "01-tokens-embeddings" in released

    # the learner's Assignment List on a fresh clone: no course released yet, and no error
    learner = browser.new_page()
    try:
        learner.goto(student.url("/lab?reset"))
        learner.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
        menu(learner, "Nbgrader", "Assignment List")
        listing = learner.locator("#nbgrader-assignment-list")
        listing.get_by_text("There are no assignments to fetch.").wait_for(timeout=60_000)
        learner.wait_for_timeout(500)
        shoot(learner, "learner-assignment-list-fresh")
        assert "Error fetching courses" not in listing.text_content(), listing.text_content()

        # the formgrader: what `make lab-instructor` opens
        page.goto(instructor.url("/"))
        page.wait_for_url(re.compile(r"/formgrader"))
        rows = page.locator("#main-table tr", has=page.locator("td.name"))
        rows.nth(len(assignments) - 1).wait_for()
        page.wait_for_timeout(500)
        shoot(page, "instructor-formgrader")
        names = sorted(n.strip() for n in page.locator("#main-table td.name").all_text_contents())
        assert names == assignments
        assert page.locator("#warning-exchange").count() == 0, page.locator("#warning-exchange").text_content()
        headers = [h.strip() for h in page.locator("table th").all_text_contents()]
        assert "Release" in headers and "Collect" in headers, headers
        for name in released:
            row = page.locator("#main-table tr", has=page.locator("td.name", has_text=name))
            assert row.locator("td.release a").count() == 1, f"no Release button for {name}"

        # Release notebook 01 into the (scratch) exchange: Collect appears, the learner can fetch it
        row = page.locator("#main-table tr", has=page.locator("td.name", has_text="01-tokens-embeddings"))
        row.locator("td.release a").click()
        page.get_by_text("Successfully released '01-tokens-embeddings'.").wait_for(timeout=60_000)
        page.locator(".modal.in .modal-dialog").wait_for()
        page.wait_for_timeout(1000)  # the dialog slides and fades in
        shoot(page, "instructor-release-log")
        page.locator(".modal-footer button", has_text="OK").click()
        row.locator("td.collect a").wait_for()
        page.locator(".modal-backdrop").wait_for(state="detached")
        shoot(page, "instructor-released-01")

        learner.locator("#refresh_assignments_list").click()
        listing.get_by_text("01-tokens-embeddings").first.wait_for(timeout=60_000)
        learner.wait_for_timeout(500)
        shoot(learner, "learner-assignment-list-released")
        text = listing.text_content()
        assert "Error fetching courses" not in text and "lstm-course" in text, text
        assert listing.get_by_role("button", name="Fetch").count() == 1
    finally:
        learner.close()

    # the instructor's JupyterLab has Create Assignment and the formgrader
    page.goto(instructor.url("/lab?reset"))
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    items = menu_items(page, "Nbgrader")
    assert {"Formgrader", "Create assignment", "Assignment List"} <= set(items), items
    assert page.get_by_text("Create Assignment").count() >= 1
    menu(page, "Nbgrader", "Formgrader")  # the formgrader in a JupyterLab tab
    page.frame_locator("iframe").locator("#main-table td.name").first.wait_for()
    page.wait_for_timeout(500)
    shoot(page, "instructor-lab")


def test_kernels_of_make_lab_are_encrypted(student):
    """A kernel of the learner's JupyterLab talks CurveZMQ: no 'without encryption' warning."""
    import urllib.request

    from jupyter_client import BlockingKernelClient

    request = urllib.request.Request(student.url("/api/kernels"), data=b"{}", method="POST")
    kernel = json.load(urllib.request.urlopen(request, timeout=60))
    try:
        connection = student.runtime / f"kernel-{kernel['id']}.json"
        assert json.loads(connection.read_text()).get("curve_publickey"), "the kernel has no CurveZMQ keys"
        client = BlockingKernelClient(connection_file=str(connection))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)  # the kernel has opened its sockets, and warned if it does
        finally:
            client.stop_channels()
    finally:
        urllib.request.urlopen(urllib.request.Request(student.url(f"/api/kernels/{kernel['id']}"),
                                                      method="DELETE"), timeout=30)
    assert "without encryption" not in student.log.read_text(), "a kernel runs over TCP without encryption"


def test_dark_theme_screenshot(student, lab_page):
    """Notebook 02's first figure in JupyterLab Dark, kept as a screenshot (a figure is a picture:
    its white background shows as a white box; nothing asserted beyond that it is shown)."""
    page, path = lab_page, "notebooks/02-tensor-layout/02-tensor-layout.ipynb"
    open_from_path(page, student, path)
    try:
        run_all(page)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).hover()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Dark$")).click()
        page.wait_for_timeout(1500)
        figure = page.locator(".jp-Notebook .jp-OutputArea-output img").first
        figure.evaluate("c => c.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(600)
        shoot(page, "learner-dark-theme-figure")
        assert figure.is_visible()
    finally:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).hover()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Light$")).click()
        page.wait_for_timeout(500)
        close_everything(page, student)
