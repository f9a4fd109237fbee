"""Every computed number in the book's text comes from an executed cell (myst-nb ``glue``).

A number written by hand in the prose can drift from the output it describes (issue 20 found
"about 3.8" beside a table showing 3.17). The book therefore writes computed numbers with
``{glue:text}`key:format``` from a cell that computes (and usually asserts on) them, and this
check scans each page's source, outside code cells, glue roles and inline code, for

- a decimal number (``0.12``, ``1.5e-3``), in prose **or in maths**, and
- an integer introduced as an approximation (``about 60``, ``\\approx 69``, ``≈ 4,800``),

and fails unless the number sits inside one of the short, reviewed :data:`ALLOWED` snippets
(inputs the text chooses, such as ``\\epsilon = 0.01``, and exact arithmetic). Exact values
written as fractions or surds (``1/492``, ``2 - \\sqrt 2``) are not decimals and need no glue.
A glue role whose key no cell of the page glues is reported too (the build would also fail
on it, later and less clearly).

Usage: ``python -m book.tools.glue_check`` (exit 1 and one line per problem when a page has
an unglued number); :func:`book.tools.build.build` runs it before building.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from book.tools import BOOK_DIR, report_problems

__all__ = ["ALLOWED", "Hit", "glue_keys", "main", "prose_of", "scan_book", "scan_page"]

#: ``(page or "*", snippet, reason)``: a number inside one of these snippets is allowed. Keep
#: this list short; each entry is an input the text chooses or exact arithmetic, never a result.
ALLOWED: tuple[tuple[str, str, str], ...] = (
    ("*", r"\epsilon = 0.01", "an input: the accuracy asked for"),
    ("*", r"\delta = 0.1", "an input: the failure probability allowed"),
    ("*", r"1 - \delta = 0.9", "an input: the confidence asked for"),
    ("drift.md", r"\eta = 0.02", "an input: the step of the figure"),
    ("sgd.md", r"\alpha = 0.2", "an input: the slope of a setting"),
    ("sgd.md", r"\lVert w_1\rVert \approx 0.01", "an input: the small start's scale"),
    ("sgd.md", r"\lVert w_1\rVert \approx 10", "an input: the large start's scale"),
    ("sgd.md", "standard deviation 0.3", "an input: the label noise of a setting"),
    ("disjoint.md", r"\beta_1 = 4 + 1/2 = 4.5", "exact arithmetic"),
    ("preconditioned.md", "Cor. 5.35", "a citation: Vershynin (2012)"),
    ("preconditioned.md", "Thm. 1.1", "a citation: Tropp (2012)"),
)

_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n.*?^```", re.MULTILINE | re.DOTALL)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]*)`")
_INLINE_CODE = re.compile(r"``.*?``|`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_OPTION_LINE = re.compile(r"^:[\w-]+:.*$", re.MULTILINE)
_DECIMAL = re.compile(
    r"(?<![\w.{])\d*\.\d+(?:[eE][-+]?\d+)?(?![\w.])|(?<![\w.])\d+(?:\.\d+)?[eE][-+]?\d+"
)
_APPROX_INT = re.compile(
    r"(?:\babout|\bapproximately|\broughly|\bnearly|\\approx|≈|~)\s*\$?\s*(\d[\d,{}]*)(?![\d.])"
)
_GLUE_CALL = re.compile(r"""glue\(\s*f?["']([^"']+)["']""")


@dataclass(frozen=True)
class Hit:
    """One unglued number: the page, the number and its context."""

    page: str
    number: str
    context: str

    def __str__(self) -> str:
        return (
            f"{self.page}: the number {self.number!r} in '...{self.context}...' is written by "
            "hand; glue it from the cell that computes it ({glue:text}`key:format`) or, for an "
            "input or exact arithmetic, add the snippet to book/tools/glue_check.ALLOWED"
        )


def prose_of(text: str) -> str:
    """The page source without code cells, front matter, glue roles, inline code and links.

    Removed parts are replaced by blanks of the same length, so offsets stay comparable.
    """

    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    for pattern in (_CODE_CELL, _FRONT_MATTER, _GLUE_ROLE, _INLINE_CODE, _LINK_TARGET):
        text = pattern.sub(blank, text)
    return _OPTION_LINE.sub(blank, text)


def _allowed(page: str, text: str, start: int, end: int) -> bool:
    for where, snippet, _ in ALLOWED:
        if where not in ("*", page):
            continue
        for m in re.finditer(re.escape(snippet), text):
            if m.start() <= start and end <= m.end():
                return True
    return False


def scan_page(name: str, text: str) -> list[Hit]:
    """Unglued computed-looking numbers of one page (see the module docstring)."""
    prose = prose_of(text)
    hits = []
    spans = [(m.start(), m.end(), m.group()) for m in _DECIMAL.finditer(prose)]
    spans += [(m.start(1), m.end(1), m.group(1)) for m in _APPROX_INT.finditer(prose)]
    for start, end, number in sorted(spans):
        if _allowed(name, prose, start, end):
            continue
        context = " ".join(prose[max(0, start - 50) : end + 20].split())
        hits.append(Hit(name, number.strip(), context))
    return hits


def glue_keys(text: str) -> tuple[set[str], set[str]]:
    """``(used, defined)``: keys of the page's glue roles and of its cells' ``glue(...)`` calls.

    A key built with an f-string (``glue(f"x_{name}", ...)``) is returned with its braces; a
    used key matches it when it matches the pattern with each ``{...}`` read as ``\\w+``.
    """
    used = {m.group(1).split(":")[0].strip() for m in _GLUE_ROLE.finditer(text)}
    defined = set(_GLUE_CALL.findall(text))
    return used, defined


def _missing_keys(text: str) -> set[str]:
    used, defined = glue_keys(text)
    patterns = [
        re.compile(re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(d)) + r"\Z") for d in defined
    ]
    return {u for u in used if not any(p.match(u) for p in patterns)}


def scan_book(book_dir: Path = BOOK_DIR) -> list[str]:
    """Every problem of every page of ``book_dir`` (top-level ``*.md``), as messages."""
    problems: list[str] = []
    for page in sorted(Path(book_dir).glob("*.md")):
        text = page.read_text(encoding="utf-8")
        problems += [str(h) for h in scan_page(page.name, text)]
        for key in sorted(_missing_keys(text)):
            problems.append(
                f"{page.name}: the glue role names the key {key!r}, which no cell of the page "
                f"glues; add glue({key!r}, value, display=False) to the cell that computes it"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    del argv
    problems = scan_book()
    return report_problems("glue", problems, f"{len(problems)} unglued numbers or missing keys")


if __name__ == "__main__":
    sys.exit(main())
