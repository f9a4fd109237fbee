"""Tools of the book: the build, the browser check and the generators used by chapters.

- :mod:`book.tools.build`: clean build of ``book/`` with ``jupyter-book build -W -n --keep-going``;
- :mod:`book.tools.browser_check`: headless Chromium over every built page (flags in
  :mod:`book.tools.chromium`, shared with ``graph_check``);
- :mod:`book.tools.claim_graph`: the claims dependency graph, laid out by topological levels;
- :mod:`book.tools.sources`: parse the book's ``prf:`` labels and ``{prf:ref}`` targets.
"""

__all__ = ["BOOK_DIR", "BUILD_DIR", "HTML_DIR", "REPO_ROOT", "report_problems"]

import sys
from pathlib import Path

BOOK_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BOOK_DIR.parent
BUILD_DIR = BOOK_DIR / "_build"
HTML_DIR = BUILD_DIR / "html"


def report_problems(tag: str, problems: list[str], summary: str) -> int:
    """Print each problem on stderr and the one-line ``summary`` on stdout, both after ``[tag]``.

    Returns the exit status of a check's command line: 1 when there are problems, 0 otherwise.
    """
    for p in problems:
        print(f"[{tag}] {p}", file=sys.stderr)
    print(f"[{tag}] {summary}", flush=True)
    return 1 if problems else 0
