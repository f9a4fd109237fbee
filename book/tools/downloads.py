"""Every page of the built book offers its source as ``.md`` and, for notebooks, ``.ipynb``.

The theme's download menu (``use_download_button: true`` in ``_config.yml``) links each page to
``_sources/PAGE.md`` and, for a page with code cells (a MyST notebook), to the executed
``_sources/PAGE.ipynb`` that myst-nb writes. Both are plain files of the built site, so they
work offline. :func:`check_downloads` fails when a page of the table of contents lacks a menu
entry, when a link points outside the site (a remote URL would not work offline) or when the
file it names was not built; an ``.ipynb`` must also be a notebook (JSON with ``cells``).

Usage: ``python -m book.tools.downloads`` (after a build; exit 1 on a problem).
:func:`book.tools.build.build` runs it after every successful build.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from book.tools import BOOK_DIR, HTML_DIR, report_problems

__all__ = ["check_downloads", "download_links", "main", "toc_pages"]

_LINK = re.compile(
    r'<a href="([^"]+)"[^>]*>(?:(?!</a>).)*?btn__text-container">(\.ipynb|\.md)<', re.S
)
_CODE_CELL = re.compile(r"^```\{code-cell\}", re.MULTILINE)


def toc_pages(book_dir: Path = BOOK_DIR) -> list[str]:
    """The pages named in ``_toc.yml`` (``root`` and every ``file``), as paths without suffix."""
    toc = (book_dir / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*-?\s*(?:root|file):\s*(\S+)\s*$", toc, re.MULTILINE)


def download_links(html: str) -> dict[str, str]:
    """``{".md": href, ".ipynb": href}``: the download menu's links of one built page."""
    return {kind: href for href, kind in _LINK.findall(html)}


def check_downloads(html_dir: Path = HTML_DIR, book_dir: Path = BOOK_DIR) -> list[str]:
    """Problems with the download links of every page of the table of contents."""
    problems: list[str] = []
    for page in toc_pages(book_dir):
        built = html_dir / f"{page}.html"
        if not built.is_file():
            problems.append(f"{page}: no built page {built}")
            continue
        links = download_links(built.read_text(encoding="utf-8"))
        source = (book_dir / f"{page}.md").read_text(encoding="utf-8")
        wanted = [".md"] + ([".ipynb"] if _CODE_CELL.search(source) else [])
        for kind in wanted:
            href = links.get(kind)
            if href is None:
                fix = (
                    "set use_download_button: true in book/_config.yml (html_theme_options)"
                    if kind == ".md"
                    else "the local extension book/_ext/convotron_book.py (offer_notebook) "
                    "must copy the executed notebook to _sources/"
                )
                problems.append(f"{page}.html offers no {kind} download; {fix}")
                continue
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc:
                problems.append(f"{page}.html: the {kind} download {href!r} is not a local file")
                continue
            target = (built.parent / unquote(parsed.path)).resolve()
            if not target.is_file() or target.stat().st_size == 0:
                problems.append(f"{page}.html: the {kind} download {href!r} names no built file")
            elif kind == ".ipynb":
                try:
                    cells = json.loads(target.read_text(encoding="utf-8")).get("cells")
                except (ValueError, AttributeError):
                    cells = None
                if not cells:
                    problems.append(f"{page}.html: the .ipynb download {href!r} is no notebook")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    del argv
    if not (HTML_DIR / "index.html").is_file():
        print(f"[downloads] build the book first ({HTML_DIR} is empty)", file=sys.stderr)
        return 2
    problems = check_downloads()
    return report_problems(
        "downloads", problems, f"{len(toc_pages())} pages, {len(problems)} problems"
    )


if __name__ == "__main__":
    sys.exit(main())
