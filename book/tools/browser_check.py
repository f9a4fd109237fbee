"""Load every built page of the book in headless Chromium and fail on what a reader would see.

For each ``*.html`` page of ``book/_build/html`` and its sub-folders (search, index and API
pages included), Chromium
runs headless with ``--dump-dom --virtual-time-budget=10000`` so MathJax has typeset the page
before the DOM is read. A page fails when:

- **raw TeX remains**: ``$$``, ``\\(``, ``\\)``, ``\\[``, ``\\]`` or ``\\begin{`` in visible text
  outside ``code``/``pre``/``script``/``style``/``mjx-container`` elements, **any** ``$`` there
  (a maths delimiter the parser did not pair), or a TeX control word such as ``\\mathbb`` or
  ``\\delta`` (:data:`TEX_WORD`);
- **a list starts inside maths**: a list item (``li``) whose visible text holds a ``$`` or a
  TeX control word: a source line continuing inline or displayed maths began with ``+``,
  ``-`` or ``*`` and Markdown read it as a bullet (issue 20 found one in a proof);
- **math is untypeset**: an element of class ``math`` holds no ``mjx-container``;
- **a figure is missing**: an ``img`` whose ``src`` is a local file that does not exist (or a
  remote URL, which an offline reader cannot load);
- **the page has an error**: Chromium fails, the dump is empty, the console logs an uncaught
  JavaScript error, or the page holds a docutils ``system-message``/``problematic`` node or an
  executed cell's error output;
- **the layout is cut** (measured in the browser at a 1280 px wide window, with every collapsed
  cell opened): a ``pre`` element (a code cell's source or a text output) scrolls sideways
  (``scrollWidth > clientWidth``), a display equation (``mjx-container[display="true"]``) is
  wider than its parent, or a table is split by a stray ``|``: its rows have unequal cell
  counts, or a cell holds an unmatched ``$`` (what remains of ``$a | b$`` after the bar split
  the row).

The layout is measured by a script (:data:`LAYOUT_PROBE`) added to a temporary copy of the page,
written next to it so that relative links resolve, and removed afterwards; the script waits for
MathJax, measures, and writes a JSON report into the DOM that ``--dump-dom`` returns.

Screenshots of the at-a-glance, theorem and spectra pages are written to
``book/_build/screenshots/`` (``glance.png``, ``theorem.png``, ``spectra.png``).

Chromium is Debian's ``chromium`` package. When it is missing the check installs it
(``apt-get update`` then ``apt-get install -y --no-install-recommends chromium``) and stops with
a clear error if that fails.

Usage: ``python -m book.tools.browser_check [--pages NAME ...]``.
Exit status: 0 when every page is clean, 1 when a page fails, 2 when Chromium is unavailable
or the book is not built.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from book.tools import BUILD_DIR, HTML_DIR
from book.tools.chromium import CHROMIUM_FLAGS

__all__ = [
    "CHROMIUM_FLAGS",
    "LAYOUT_PROBE",
    "PageReport",
    "check_dom",
    "check_layout",
    "check_page",
    "find_chromium",
    "main",
    "screenshot",
]

SKIP_TAGS = {"code", "pre", "script", "style", "mjx-container", "textarea", "noscript", "svg"}
VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$\n]{0,80}\$")
TEX_WORD = re.compile(r"\\(?:[a-zA-Z]{2,}|[,;!{}_^|])(?![a-zA-Z])")
"""A TeX control word (``\\mathbb``, ``\\delta``, ``\\operatorname``) or control symbol
(``\\{``, ``\\|``, ``\\,``) in visible text: maths that MathJax never saw."""
CONSOLE_ERROR = re.compile(r"CONSOLE.*(Uncaught|Error)|Uncaught \w*Error", re.IGNORECASE)
THEOREM_PAGE = "theorem.html"
SCREENSHOT_PAGES = ("glance.html", "theorem.html", "spectra.html")
"""Pages photographed after the check (the pages a read-through looks at first)."""
WINDOW = "--window-size=1280,1000"
LAYOUT_ID = "convotron-layout-report"

LAYOUT_PROBE = """
<script>
(function () {
  function text(el) { return (el.textContent || "").replace(/\\s+/g, " ").trim(); }
  function measure() {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
    var out = {code: [], math: [], tables: []};
    document.querySelectorAll("pre").forEach(function (pre) {
      if (pre.id === "LAYOUT_ID") { return; }
      if (pre.scrollWidth > pre.clientWidth + 1) {
        var lines = (pre.textContent || "").split("\\n");
        var longest = lines.reduce(function (a, b) {
          return b.length > a.length ? b : a; }, "");
        out.code.push({output: !!pre.closest(".cell_output, .output"),
                       scroll: pre.scrollWidth, width: pre.clientWidth,
                       line: longest.slice(0, 90)});
      }
    });
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {
      var parent = m.parentElement;
      if (m.scrollWidth > parent.clientWidth + 1) {
        out.math.push({scroll: m.scrollWidth, width: parent.clientWidth,
                       tex: text(parent).slice(0, 80)});
      }
    });
    document.querySelectorAll("table").forEach(function (t, i) {
      var counts = Array.prototype.map.call(t.rows, function (r) {
        return Array.prototype.reduce.call(r.cells, function (s, c) {
          return s + (c.colSpan || 1); }, 0);
      });
      var uniq = counts.filter(function (c, j) { return counts.indexOf(c) === j; });
      var dollars = [];
      Array.prototype.forEach.call(t.querySelectorAll("td, th"), function (c) {
        var copy = c.cloneNode(true);
        copy.querySelectorAll("mjx-container, code, pre, script").forEach(
          function (e) { e.remove(); });
        var n = (copy.textContent.match(/\\$/g) || []).length;
        if (n % 2 === 1) { dollars.push(text(c).slice(0, 60)); }
      });
      if (uniq.length > 1 || dollars.length) {
        out.tables.push({index: i, counts: counts, dollars: dollars,
                         head: t.rows.length ? text(t.rows[0]).slice(0, 60) : ""});
      }
    });
    var el = document.createElement("pre");
    el.id = "LAYOUT_ID";
    el.textContent = JSON.stringify(out);
    document.body.appendChild(el);
  }
  function start() {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(measure, measure);
    } else { measure(); }
  }
  if (document.readyState === "complete") { start(); }
  else { window.addEventListener("load", start); }
})();
</script>
""".replace("LAYOUT_ID", LAYOUT_ID)
"""Script added before ``</body>`` of a temporary copy of each page; see the module docstring."""


class ChromiumUnavailable(RuntimeError):
    """Chromium is not installed and could not be installed."""


@dataclass
class PageReport:
    """What the check found on one page."""

    page: str
    problems: list[str] = field(default_factory=list)
    math_elements: int = 0
    images: int = 0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


class _DomScanner(HTMLParser):
    """Collect visible text outside code and math, ``.math`` elements and ``img`` sources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skip, is_math)
        self.skip_depth = 0
        self.math_open: list[dict[str, int | str]] = []
        self.math_done: list[dict[str, int | str]] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self.flags: list[str] = []
        self.li_open: list[list[str]] = []
        self.li_done: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "img":
            self.images.append(a.get("src", ""))
        if "system-message" in classes or "problematic" in classes:
            self.flags.append(f"docutils {' '.join(classes)} node")
        if "traceback" in classes or ("output" in classes and "error" in classes):
            self.flags.append("a cell's error output")
        if tag == "mjx-container":
            for m in self.math_open:
                m["typeset"] = 1
        if tag in VOID_TAGS:
            return
        is_math = "math" in classes and tag in {"span", "div"}
        skip = tag in SKIP_TAGS
        if tag == "li":
            self.li_open.append([])
        if skip:
            self.skip_depth += 1
        if is_math:
            self.math_open.append({"typeset": 0, "text": ""})
        self.stack.append((tag, skip, is_math))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        # Pop to the matching tag (tolerates unclosed inner elements).
        while self.stack:
            t, skip, is_math = self.stack.pop()
            if skip:
                self.skip_depth -= 1
            if is_math:
                self.math_done.append(self.math_open.pop())
            if t == "li" and self.li_open:
                self.li_done.append("".join(self.li_open.pop()))
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for m in self.math_open:
            m["text"] = str(m["text"]) + data
        if self.skip_depth == 0:
            self.text.append(data)
            for item in self.li_open:
                item.append(data)


def check_dom(dom: str, page: Path) -> PageReport:
    """Check one page's DOM after MathJax ran; ``page`` locates relative image sources."""
    report = PageReport(page=page.name)
    if "<body" not in dom:
        report.problems.append("Chromium returned no page body (the page failed to load)")
        return report
    scanner = _DomScanner()
    scanner.feed(dom)
    scanner.close()
    while scanner.math_open:
        scanner.math_done.append(scanner.math_open.pop())
    report.math_elements = len(scanner.math_done)
    untypeset = [m for m in scanner.math_done if not m["typeset"]]
    for m in untypeset[:3]:
        report.problems.append(f"math not typeset by MathJax: {str(m['text']).strip()[:60]!r}")
    if len(untypeset) > 3:
        report.problems.append(f"... and {len(untypeset) - 3} more untypeset math elements")
    text = "".join(scanner.text)
    for hit in list(RAW_TEX.finditer(text))[:3]:
        ctx = text[max(0, hit.start() - 30) : hit.end() + 30].replace("\n", " ")
        report.problems.append(f"raw TeX {hit.group()!r} left in the text: ...{ctx}...")
    raw = sorted((*re.finditer(r"\$", text), *TEX_WORD.finditer(text)), key=lambda m: m.start())
    for hit in raw[:3]:
        ctx = text[max(0, hit.start() - 30) : hit.end() + 30].replace("\n", " ")
        report.problems.append(
            f"raw TeX {hit.group()!r} outside MathJax's output: ...{ctx}... (a maths delimiter "
            "was not paired, or maths was written without $...$)"
        )
    while scanner.li_open:
        scanner.li_done.append("".join(scanner.li_open.pop()))
    for item in scanner.li_done:
        if "$" in item or TEX_WORD.search(item):
            report.problems.append(
                f"a list item holds raw TeX ({' '.join(item.split())[:70]!r}): a source line "
                "that continues maths starts with '+', '-' or '*' and began a list; move the "
                "operator to the end of the previous line"
            )
    report.problems.extend(f"page holds {f}" for f in sorted(set(scanner.flags)))
    report.images = len(scanner.images)
    for src in scanner.images:
        parsed = urlparse(src)
        if parsed.scheme == "data":
            continue
        if parsed.scheme in {"http", "https"}:
            report.problems.append(f"image {src!r} is remote; an offline reader cannot load it")
            continue
        target = Path(unquote(parsed.path)) if parsed.scheme == "file" else None
        if target is None:
            target = (page.parent / unquote(parsed.path)).resolve()
        if not src or not target.is_file():
            report.problems.append(f"missing figure: img src {src!r} (no file {target})")
    return report


def find_chromium(*, install: bool = True) -> str:
    """Return the Chromium executable, installing Debian's package when it is missing.

    Raises
    ------
    ChromiumUnavailable
        If Chromium is missing and ``apt-get`` cannot install it.
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    if not install:
        raise ChromiumUnavailable("chromium is not installed (install=False).")
    print("[browser] chromium missing: apt-get update && apt-get install chromium", flush=True)
    steps = [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ]
    for step in steps:
        try:
            proc = subprocess.run(step, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise ChromiumUnavailable(
                "chromium must be installed to check the built pages, and apt-get is not "
                "available to install it. Install Debian's 'chromium' package (or any Chromium "
                "on PATH) and rerun."
            ) from None
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ChromiumUnavailable(
                f"chromium must be installed to check the built pages; {' '.join(step)!r} "
                f"exited {proc.returncode}: {' | '.join(tail)}. Run it as root "
                "(or install chromium by hand) and rerun."
            )
    exe = shutil.which("chromium")
    if not exe:
        raise ChromiumUnavailable(
            "apt-get installed 'chromium' but no 'chromium' executable is on PATH; "
            "check the package and rerun."
        )
    return exe


def _run_chromium(
    exe: str, extra: list[str], url: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="convotron-chromium-") as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            url,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def check_layout(dom: str) -> list[str]:
    """Read the report of :data:`LAYOUT_PROBE` from a dumped DOM; return the problems found.

    A DOM without the report (the probe did not run) is itself a problem, so a page whose
    scripts fail cannot pass the layout check silently.
    """
    import html
    import json

    found = re.search(rf'<pre id="{LAYOUT_ID}"[^>]*>(.*?)</pre>', dom, re.DOTALL)
    if not found:
        return ["the layout probe did not report (the page's scripts did not finish)"]
    data = json.loads(html.unescape(found.group(1)))
    problems = []
    for c in data["code"]:
        what = "an output line" if c["output"] else "a code line"
        problems.append(
            f"{what} is wider than the column ({c['scroll']} > {c['width']} px): {c['line']!r}"
        )
    for m in data["math"]:
        problems.append(
            f"display maths scrolls sideways ({m['scroll']} > {m['width']} px): {m['tex']!r}"
        )
    for t in data["tables"]:
        if len(set(t["counts"])) > 1:
            problems.append(
                f"table {t['index']} ({t['head']!r}) has rows of unequal cell counts "
                f"{t['counts']}: a stray '|' split a row"
            )
        for cell in t["dollars"]:
            problems.append(
                f"table {t['index']} has a cell with an unmatched '$' ({cell!r}): a '|' "
                "inside maths split the row; write \\mid or \\lVert ... \\rVert"
            )
    return problems


def check_page(exe: str, page: Path, *, timeout: float = 60.0) -> PageReport:
    """Load ``page`` headless with ``--dump-dom --virtual-time-budget=10000`` and check it.

    The page is loaded through a temporary copy that carries :data:`LAYOUT_PROBE`.
    """
    source = page.read_text(encoding="utf-8")
    if "</body>" in source:
        source = source.replace("</body>", LAYOUT_PROBE + "</body>", 1)
    else:
        source += LAYOUT_PROBE
    probe = page.with_name(f".layout-check.{page.name}")
    probe.write_text(source, encoding="utf-8")
    try:
        proc = _run_chromium(
            exe,
            ["--dump-dom", "--virtual-time-budget=10000", WINDOW],
            probe.resolve().as_uri(),
            timeout,
        )
    except subprocess.TimeoutExpired:
        return PageReport(page=page.name, problems=[f"Chromium timed out after {timeout:.0f} s"])
    finally:
        probe.unlink(missing_ok=True)
    report = check_dom(proc.stdout, page)
    redirect = 'http-equiv="Refresh"' in source  # index.html: a redirect, nothing to lay out
    if "<body" in proc.stdout and not redirect:
        report.problems.extend(check_layout(proc.stdout))
    if proc.returncode != 0:
        report.problems.append(f"Chromium exited {proc.returncode}")
    for line in proc.stderr.splitlines():
        if CONSOLE_ERROR.search(line):
            report.problems.append(f"page error in the console: {line.strip()[:200]}")
    return report


def screenshot(exe: str, page: Path, out: Path, *, timeout: float = 60.0) -> Path:
    """Write a PNG screenshot of ``page`` (1280 px wide, after MathJax) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = _run_chromium(
        exe,
        [f"--screenshot={out}", "--window-size=1280,2000", "--virtual-time-budget=10000"],
        page.resolve().as_uri(),
        timeout,
    )
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(
            f"the screenshot of {page.name} must be written to {out}; Chromium exited "
            f"{proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    return out


#: Pages that show the claim graph (links must resolve, labels be legible).
GRAPH_PAGES = ("intro.html", "claims.html")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m book.tools.browser_check", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--pages", nargs="*", help="page names to check (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="Chromium processes at once")
    args = parser.parse_args(argv)
    if not (HTML_DIR / "index.html").is_file():
        print(
            f"[browser] the book must be built first; {HTML_DIR / 'index.html'} does not exist. "
            "Run: python -m book.tools.build",
            file=sys.stderr,
        )
        return 2
    try:
        exe = find_chromium()
    except ChromiumUnavailable as exc:
        print(f"[browser] {exc}", file=sys.stderr)
        return 2
    pages = sorted(
        p
        for p in HTML_DIR.rglob("*.html")
        if not {"_static", "_sources"} & set(p.parts) and not p.name.startswith(".")
    )
    if args.pages:
        wanted = {p if p.endswith(".html") else p + ".html" for p in args.pages}
        pages = [p for p in pages if p.name in wanted]
        missing = wanted - {p.name for p in pages}
        if missing:
            print(f"[browser] no built page named {sorted(missing)}", file=sys.stderr)
            return 2
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        reports = list(pool.map(lambda p: check_page(exe, p), pages))
    failed = 0
    for r in reports:
        status = "ok  " if r.ok else "FAIL"
        print(f"[browser] {status} {r.page:32s} math={r.math_elements:4d} images={r.images:3d}")
        for problem in r.problems:
            print(f"[browser]      - {problem}")
        failed += not r.ok
    print(f"[browser] {len(pages) - failed}/{len(pages)} pages clean", flush=True)
    from book.tools.graph_check import check_claim_graph, screenshot_graph

    for name in GRAPH_PAGES:
        if (HTML_DIR / name).is_file():
            probs = check_claim_graph(exe, HTML_DIR / name)
            failed += bool(probs)
            state = "FAIL" if probs else "ok  "
            print(f"[browser] {state} claim graph on {name}", *probs, sep="\n[browser]      - ")
    if (HTML_DIR / GRAPH_PAGES[0]).is_file():
        shot = screenshot_graph(
            exe, HTML_DIR / GRAPH_PAGES[0], BUILD_DIR / "screenshots" / "claim-graph.png"
        )
        print(f"[browser] screenshot: {shot}")
    theorem = HTML_DIR / THEOREM_PAGE
    for name in SCREENSHOT_PAGES:
        if (HTML_DIR / name).is_file():
            out = BUILD_DIR / "screenshots" / name.replace(".html", ".png")
            print(f"[browser] screenshot: {screenshot(exe, HTML_DIR / name, out)}")
    if not theorem.is_file() and not args.pages:
        print(f"[browser] FAIL: the theorem chapter {theorem} was not built", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
