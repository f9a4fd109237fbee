"""Browser check of the claim graph: its links resolve and its labels are legible.

:func:`check_claim_graph` is called by ``book/tools/browser_check.py`` for the pages that show
the graph (the front page and the claim-status page). For one built page it fails when

- the page holds no inline ``<svg class="claim-graph">`` (the graph must be inline, so that
  its nodes are links with a hover title, and self-contained: no script, no remote URL);
- a node's link does not resolve: ``page.html#label`` must name a built page that holds an
  element with ``id="label"`` (the claim's statement, as sphinx-proof writes it);
- a label is not legible: in headless Chromium at the screenshot's window size (1280 px
  wide, the book's desktop layout), the rendered font size of every node label must be at
  least :data:`MIN_LABEL_PX` CSS pixels and its rendered box at least that tall;
- a label does not contrast with its box: the computed colours (as rendered) must have a
  WCAG contrast ratio of at least :data:`MIN_CONTRAST`;
- the graph does not inform: fewer than two distinct status levels are drawn (every node the
  same colour, as on e461165).

The measurement runs in a temporary copy of the page, written next to it (so that its
stylesheets resolve) with a short script appended that writes the measured sizes into a
``data-graph-check`` attribute; ``--dump-dom`` returns them. The copy is removed afterwards.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote

__all__ = [
    "MIN_CONTRAST",
    "MIN_LABEL_PX",
    "check_claim_graph",
    "graph_links",
    "measure_labels",
    "screenshot_graph",
]

#: Smallest rendered label font size (CSS px) the check accepts.
MIN_LABEL_PX = 12.0
#: Smallest WCAG contrast ratio between a label and its box (4.5: normal text, level AA).
MIN_CONTRAST = 4.5


def _rgb_hex(css: str | None) -> str | None:
    """``"rgb(0, 158, 115)"`` (a computed colour) as ``"#009e73"``; None if unreadable."""
    m = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css or "")
    return "#" + "".join(f"{int(v):02x}" for v in m.groups()) if m else None


_SVG = re.compile(r'<svg[^>]*class="claim-graph"[^>]*>.*?</svg>', re.S)
_HREF = re.compile(r'<a class="claim-node" href="([^"]+)"')
_MEASURE = """
<script>
window.addEventListener('load', function () {
  var out = {labels: [], svgWidth: null};
  var svg = document.querySelector('svg.claim-graph');
  if (svg) {
    out.svgWidth = svg.getBoundingClientRect().width;
    var scale = svg.getScreenCTM() ? svg.getScreenCTM().a : 1;
    svg.querySelectorAll('.claim-label').forEach(function (t) {
      var size = parseFloat(getComputedStyle(t).fontSize);
      var rect = t.parentNode.querySelector('rect');
      out.labels.push({text: t.textContent, fontPx: size * scale,
                       heightPx: t.getBoundingClientRect().height,
                       fill: rect ? getComputedStyle(rect).fill : null,
                       colour: getComputedStyle(t).fill,
                       level: rect ? rect.getAttribute('data-level') : null});
    });
  }
  document.body.setAttribute('data-graph-check', JSON.stringify(out));
});
</script>
"""


def graph_links(page: Path) -> tuple[bool, list[str]]:
    """Whether ``page`` holds the inline graph, and the ``href`` of each node link."""
    html = page.read_text(encoding="utf-8")
    match = _SVG.search(html)
    if match is None:
        return False, []
    return True, _HREF.findall(match.group(0))


def _link_problem(page: Path, href: str) -> str | None:
    target, _, anchor = unquote(href).partition("#")
    dest = (page.parent / target).resolve() if target else page.resolve()
    if not dest.is_file():
        return f"claim graph link {href!r} names a page that was not built ({dest.name})"
    if anchor and not re.search(rf'id="{re.escape(anchor)}"', dest.read_text(encoding="utf-8")):
        return f"claim graph link {href!r}: {dest.name} holds no element with id={anchor!r}"
    return None


def _run_copy(
    exe: str, page: Path, script: str, extra: list[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Load a temporary copy of ``page`` (same folder) with ``script`` appended to its body."""
    from book.tools.chromium import CHROMIUM_FLAGS

    html = page.read_text(encoding="utf-8")
    html = html.replace("</body>", script + "</body>") if "</body>" in html else html + script
    with tempfile.NamedTemporaryFile(
        "w", suffix=".html", prefix=".graph-check-", dir=page.parent, delete=False,
        encoding="utf-8",
    ) as fh:  # fmt: skip
        fh.write(html)
        tmp = Path(fh.name)
    try:
        with tempfile.TemporaryDirectory(prefix="convotron-chromium-") as profile:
            return subprocess.run(
                [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra,
                 "--virtual-time-budget=10000", tmp.resolve().as_uri()],
                capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
    finally:
        tmp.unlink(missing_ok=True)


def measure_labels(exe: str, page: Path, *, timeout: float = 60.0) -> dict[str, object]:
    """Render ``page`` in Chromium and return ``{"labels": [...], "svgWidth": px}``."""
    proc = _run_copy(exe, page, _MEASURE, ["--window-size=1280,2000", "--dump-dom"], timeout)
    m = re.search(r"data-graph-check=\"([^\"]*)\"", proc.stdout)
    if m is None:
        return {"labels": [], "svgWidth": None, "error": f"no measurement (exit {proc.returncode})"}
    from html import unescape

    return dict(json.loads(unescape(m.group(1))))


def check_claim_graph(
    exe: str, page: Path, *, min_px: float = MIN_LABEL_PX, timeout: float = 60.0
) -> list[str]:
    """Problems of the claim graph on the built ``page`` (empty when links and labels pass)."""
    present, hrefs = graph_links(page)
    if not present:
        return [f'{page.name}: no inline <svg class="claim-graph"> (the claim graph is missing)']
    problems = [f"{page.name}: {p}" for h in hrefs if (p := _link_problem(page, h))]
    if not hrefs:
        problems.append(f"{page.name}: the claim graph has no node links")
    got = measure_labels(exe, page, timeout=timeout)
    labels = got.get("labels") or []
    if not labels:
        problems.append(f"{page.name}: no claim label measured ({got.get('error', 'none')})")
    from book.tools.claim_graph import contrast_ratio

    levels = {lab.get("level") for lab in labels}  # type: ignore[attr-defined]
    if labels and len(levels - {None}) < 2:
        problems.append(
            f"{page.name}: the claim graph draws {len(levels - {None})} status level(s); the "
            "levels are computed from the registry and must differ "
            "(convotron_theory.claims.claim_level)"
        )
    for lab in labels:  # type: ignore[attr-defined]
        fill, colour = _rgb_hex(lab.get("fill")), _rgb_hex(lab.get("colour"))
        if fill is None or colour is None:
            problems.append(f"{page.name}: claim label {lab['text']!r}: colours not measured")
        elif (ratio := contrast_ratio(fill, colour)) < MIN_CONTRAST:
            problems.append(
                f"{page.name}: claim label {lab['text']!r} has contrast {ratio:.2f} against its "
                f"box ({colour} on {fill}); it must be at least {MIN_CONTRAST:g}"
            )
        if lab["fontPx"] < min_px or lab["heightPx"] < min_px:
            problems.append(
                f"{page.name}: claim label {lab['text']!r} renders at {lab['fontPx']:.1f} px "
                f"(box {lab['heightPx']:.1f} px high, graph {got.get('svgWidth')} px wide); "
                f"labels must be at least {min_px:g} px"
            )
    return problems


def screenshot_graph(
    exe: str, page: Path, out: Path, *, width: int = 676, timeout: float = 60.0
) -> Path:
    """Write a PNG of the claim graph of ``page`` as drawn in a ``width``-px column to ``out``.

    The graph's own markup (taken from the built page) in a blank page of the book column's
    width (676 px measured at a 1280 px window): what a reader sees, without the page around.
    """
    from book.tools.chromium import CHROMIUM_FLAGS

    match = _SVG.search(page.read_text(encoding="utf-8"))
    if match is None:
        raise RuntimeError(f'{page.name} holds no inline <svg class="claim-graph">')
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', match.group(0))
    scale = width / float(box.group(1)) if box else 1.0
    height = int(float(box.group(2)) * scale) + 40 if box else 1200
    out.parent.mkdir(parents=True, exist_ok=True)
    html = (
        '<html><body style="margin:20px;background:#fff">'
        f'<div style="width:{width}px">{match.group(0)}</div></body></html>'
    )
    with tempfile.TemporaryDirectory(prefix="convotron-graph-") as tmp:
        src = Path(tmp) / "graph.html"
        src.write_text(html, encoding="utf-8")
        proc = subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--screenshot={out}",
             f"--window-size={width + 40},{height}", src.as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    if not out.is_file():
        raise RuntimeError(
            f"the claim graph screenshot of {page.name} must be written to {out}; Chromium "
            f"exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    return out
