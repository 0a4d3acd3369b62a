"""Check the Python that `make` will build .venv with, before anything is installed.

    python3 tools/check_python.py .venv

Exits 1 with one message (the problem, then the fix) when the interpreter is too old or too new,
or cannot make a virtual environment (Debian and Ubuntu ship venv/ensurepip separately). When
.venv exists but was built by another Python, or no longer runs, it is removed so that `make`
builds it again with this one. Then .venv/.python-id names the interpreter; the file is
rewritten only when that changes, so make rebuilds .venv exactly when the Python changes.

Keep this file runnable by old interpreters (no f-strings, no walrus): its job is to tell them
they are too old.
"""

import argparse
import os
import shutil
import subprocess
import sys

OLDEST = (3, 11)  # Debian 12's python3 is 3.11.2; the lock file is checked for 3.11.0 on
NEWEST = (3, 13)  # tests/test_lock.py proves the pins install on every minor version in between
SUPPORTED = "Python %d.%d to %d.%d" % (OLDEST + NEWEST)
OTHER = "make PYTHON=python3.12 lab   (any %s; `ls /usr/bin/python3*` lists what you have)" % SUPPORTED


def fail(problem, fix):
    sys.stderr.write("%s\n  Fix:  %s\n" % (problem, fix))
    sys.exit(1)


def check_version():
    version = sys.version_info[:2]
    here = "%d.%d.%d (%s)" % (sys.version_info[:3] + (sys.executable,))
    if version < OLDEST:
        fail("This Python is too old for the course: %s. The course needs %s." % (here, SUPPORTED),
             OTHER)
    if version > NEWEST:
        fail("This Python is newer than the course supports: %s. The course is tested on %s "
             "(PyTorch 2.13.0 and the pinned packages)." % (here, SUPPORTED), OTHER)


def check_venv():
    """`python -m venv` needs ensurepip and its bundled pip wheel; Debian splits them out."""
    try:
        import ensurepip
        import venv  # noqa: F401

        ensurepip.version()
    except Exception as err:  # ImportError on Debian/Ubuntu, others where the wheels are missing
        minor = "%d.%d" % sys.version_info[:2]
        fail("This Python cannot create a virtual environment: %s (venv/ensurepip missing).\n"
             "  Debian and Ubuntu ship them in a separate package." % err,
             "sudo apt install python%s-venv    or    %s" % (minor, OTHER))


def venv_python_id(venv):
    """(version, base interpreter folder) that `venv` was built with, or None if it does not run."""
    python = os.path.join(venv, "bin", "python")
    try:
        out = subprocess.check_output(
            [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.base_prefix)"],
            stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    except Exception:
        return None
    version, base = out.split("\n")[:2]
    return version, os.path.realpath(base)


def check_existing_venv(venv):
    if not os.path.lexists(os.path.join(venv, "bin", "python")):
        return  # nothing built yet: make creates it
    wanted = ("%d.%d.%d" % sys.version_info[:3], os.path.realpath(sys.base_prefix))
    found = venv_python_id(venv)
    if found == wanted:
        return
    if found is None:
        why = "its python does not run (was its interpreter removed or moved?)"
    else:
        why = "it was built with Python %s from %s, and you asked for %s from %s" % (found + wanted)
    print("Rebuilding %s: %s." % (venv, why))
    shutil.rmtree(venv)


def record_python(venv):
    """Write venv/.python-id only when it changes: make compares its time with .venv/.installed."""
    path = os.path.join(venv, ".python-id")
    wanted = "%d.%d.%d %s\n" % (sys.version_info[:3] + (os.path.realpath(sys.base_prefix),))
    try:
        with open(path) as f:
            if f.read() == wanted:
                return
    except OSError:
        pass
    if not os.path.isdir(venv):
        os.makedirs(venv)
    with open(path, "w") as f:
        f.write(wanted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("venv", nargs="?", help="the virtual environment to check and record this Python in")
    venv = parser.parse_args().venv
    check_version()
    check_venv()
    if venv:
        check_existing_venv(venv)
        record_python(venv)


if __name__ == "__main__":
    main()
