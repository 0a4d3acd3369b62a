"""`make lab` serves JupyterLab from the repository root with the course and nbgrader in it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIRST = "notebooks/01-tokens-embeddings/01-tokens-embeddings.ipynb"


def _make_variable(name):
    """The options `make lab` passes to JupyterLab, read from the Makefile itself."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print"],
                         input=f"print:\n\t@echo $({name})\n", cwd=REPO, capture_output=True, text=True)
    return out.stdout.split()


LAB_OPTS = _make_variable("LAB_OPTS")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), "course-test"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("runtime")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", *LAB_OPTS, "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail("JupyterLab did not start: " + proc.stdout.read().decode()[-2000:])
    yield lambda path: urllib.request.urlopen(f"{base}{path}{'&' if '?' in path else '?'}token={token}", timeout=10)
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def test_lab_serves_notebook_01(lab):
    assert f"--LabApp.default_url=/lab/tree/{FIRST}" in LAB_OPTS
    assert lab("/lab").status == 200
    model = json.load(lab(f"/api/contents/{FIRST}"))
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 01 · Tokens and embeddings")


def test_nbgrader_extensions_are_there(lab):
    page = lab("/lab").read().decode()
    assert "@jupyter/nbgrader" in page
    # the formgrader reads nbgrader_config.py: solutions/ is the source, notebooks/ the release
    assignments = json.load(lab("/formgrader/api/assignments"))
    names = {a["name"]: a for a in assignments}
    assert names["01-tokens-embeddings"]["source_path"].endswith("solutions/01-tokens-embeddings")
