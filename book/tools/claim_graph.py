"""The claims dependency graph and the tests that carry each claim's label.

Used by the book's front page and its claim status page, and by ``tests/test_book.py``.

- :func:`tests_by_label` scans the test sources (``tests/**/*.py``) with :mod:`ast` for
  ``@pytest.mark.claim("label")`` on test functions, on test classes (every method inherits
  the mark) and in a module's ``pytestmark``; it returns, for each label, the tests that
  carry it as ``path::name`` strings.
- :func:`levels` places each claim on the level ``1 + max(level of the claims it uses)``
  (0 for a claim that uses none): the longest chain of uses below it. Every arrow then goes
  from a lower level to a higher one.
- :func:`draw` draws the graph with matplotlib (networkx is not a dependency): one row per
  level, claims ordered within a row by the mean position of what they use (one barycentre
  pass, which keeps most arrows short), nodes coloured by
  :attr:`convotron_theory.claims.Status.level`
  with a legend; under each label, the letters of every status it has (P proved in the
  book, S symbolically checked, T checked by tests, R checked by runs).

- :func:`render_svg` renders the same graph as a self-contained SVG (no script, no CDN) for
  the HTML book, readable at the column width (676 px measured): layers by longest path
  (:func:`levels`), a layer wider than the page wrapped onto several rows, labels in 13 px
  type in a 660-unit-wide view box (so at least 12 px on screen down to a 610 px column),
  each node a link to its statement (``page.html#label``, from :func:`label_pages`) with the
  claim's title on hover (``<title>``), coloured by status with a legend.
  :func:`graph_html` wraps it for a notebook cell (``display(graph_html(CLAIMS))``);
  ``book/tools/graph_check.py`` checks it in the browser.

The graph data come from :mod:`convotron_theory.claims` (``CLAIMS``, ``dependency_edges``,
``topological_order``); nothing here decides a status.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (this module is imported as ``book.tools.claim_graph`` by the tests and
as ``tools.claim_graph`` by the notebooks, which run in ``book/``)."""

__all__ = [
    "LEVEL_COLOURS",
    "LEVEL_NAMES",
    "TEXT_COLOUR",
    "contrast_ratio",
    "draw",
    "graph_html",
    "label_pages",
    "levels",
    "positions",
    "relative_luminance",
    "render_svg",
    "tests_by_label",
]

#: Colour of each status level (colour-blind-safe Okabe-Ito hues), strongest first; the
#: levels are :data:`convotron_theory.claims.LEVELS`, computed by
#: :func:`convotron_theory.claims.claim_level`
#: (proof ranks above tests). Every fill keeps a WCAG contrast ratio of at least 4.5 against
#: the label colour :data:`TEXT_COLOUR` (``tests/test_claim_graph_svg.py`` and the browser
#: check measure it).
LEVEL_COLOURS: dict[str, str] = {
    "exact": "#009E73",
    "proved": "#56B4E9",
    "paper": "#E69F00",
    "runs": "#F0E442",
    "observed": "#DDDDDD",
}

#: Colour of the node labels.
TEXT_COLOUR = "#111111"


def _level_names() -> dict[str, str]:
    from convotron_theory.claims import LEVEL_NAMES as names

    return dict(names)


#: Legend text of each level (from :data:`convotron_theory.claims.LEVEL_NAMES`).
LEVEL_NAMES: dict[str, str] = _level_names()


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21; 4.5 is the text minimum)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _level(claim: Any) -> str:
    from convotron_theory.claims import claim_level

    return claim_level(claim)


def _printed(label: str) -> str:
    from convotron_theory.claims import PRINTED, display_name

    return display_name(label) if label in PRINTED else label


def _claim_labels(node: ast.expr) -> list[str]:
    """Labels of ``pytest.mark.claim("a", ...)`` calls in a decorator or ``pytestmark`` value."""
    found: list[str] = []
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "claim"
        ):
            found.extend(
                a.value
                for a in sub.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            )
    return found


def tests_by_label(tests_dir: Path | None = None) -> dict[str, list[str]]:
    """Map each claim label to the tests carrying ``@pytest.mark.claim(label)``.

    Parameters
    ----------
    tests_dir : Path, optional
        Folder to scan recursively (default: the repository's ``tests/``).

    Returns
    -------
    dict
        ``label -> ["tests/theory/test_x.py::test_name", ...]`` (sorted, no duplicates).
        Labels that no test carries are absent.
    """
    root = REPO_ROOT / "tests" if tests_dir is None else Path(tests_dir)
    out: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(root.parent).as_posix()
        module_marks: list[str] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
            ):
                module_marks.extend(_claim_labels(stmt.value))

        def add(name: str, labels: Iterable[str]) -> None:
            for lab in labels:
                out.setdefault(lab, set()).add(f"{rel}::{name}")  # noqa: B023

        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith(
                "test"
            ):
                marks = [lab for d in stmt.decorator_list for lab in _claim_labels(d)]
                add(stmt.name, [*module_marks, *marks])
            elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
                cls_marks = [lab for d in stmt.decorator_list for lab in _claim_labels(d)]
                for item in stmt.body:
                    if isinstance(
                        item, ast.FunctionDef | ast.AsyncFunctionDef
                    ) and item.name.startswith("test"):
                        marks = [lab for d in item.decorator_list for lab in _claim_labels(d)]
                        add(f"{stmt.name}::{item.name}", [*module_marks, *cls_marks, *marks])
    return {lab: sorted(names) for lab, names in sorted(out.items())}


def levels(uses: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Level of each label: 0 if it uses nothing, else ``1 + max`` over what it uses.

    Raises
    ------
    ValueError
        If a label uses an unknown label or the uses have a cycle.
    """
    out: dict[str, int] = {}
    visiting: set[str] = set()

    def level(lab: str) -> int:
        if lab in out:
            return out[lab]
        if lab not in uses:
            raise ValueError(
                f"every used label must be a node of the graph; got {lab!r}, which is not. "
                "Register the claim or fix the 'uses' entry."
            )
        if lab in visiting:
            raise ValueError(
                f"the uses must have no cycle; {lab!r} uses itself through {sorted(visiting)}. "
                "Remove the back edge."
            )
        visiting.add(lab)
        out[lab] = 1 + max((level(u) for u in uses[lab]), default=-1)
        visiting.discard(lab)
        return out[lab]

    for lab in uses:
        level(lab)
    return out


def positions(uses: Mapping[str, Sequence[str]]) -> dict[str, tuple[float, float]]:
    """``(x, y)`` of each label: ``y = -level``; ``x`` spreads a level's claims over [0, 1].

    Within a level, claims are sorted by the mean ``x`` of the claims they use (their
    barycentre; registry order breaks ties), computed level by level from the bottom.
    """
    lev = levels(uses)
    order = list(uses)
    pos: dict[str, tuple[float, float]] = {}
    for depth in range(max(lev.values(), default=-1) + 1):
        row = [lab for lab in order if lev[lab] == depth]

        def key(lab: str) -> tuple[float, int]:
            xs = [pos[u][0] for u in uses[lab] if u in pos]
            return (sum(xs) / len(xs) if xs else 0.5, order.index(lab))

        row.sort(key=key)
        for j, lab in enumerate(row):
            pos[lab] = ((j + 1) / (len(row) + 1), -float(depth))
    return pos


def draw(claims: Mapping[str, Any], *, ax: Any = None) -> Any:
    """Draw the dependency graph of ``claims`` (``convotron_theory.claims.CLAIMS``); return the
    figure.

    Each node is a label in a box coloured by ``claim.status.level``; each arrow goes from a
    claim to a claim that uses it. A legend names the four levels.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    uses = {lab: tuple(c.uses) for lab, c in claims.items()}
    pos = positions(uses)
    depth = int(-min((y for _, y in pos.values()), default=0.0))
    if ax is None:
        fig = Figure(figsize=(12, 1.15 * (depth + 1) + 1.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for lab, used in uses.items():
        for u in used:
            (x0, y0), (x1, y1) = pos[u], pos[lab]
            ax.annotate(
                "",
                xy=(x1, y1 + 0.17),
                xytext=(x0, y0 - 0.17),
                arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8, "alpha": 0.7},
            )
    for lab, (x, y) in pos.items():
        st = claims[lab].status
        colour = LEVEL_COLOURS[_level(claims[lab])]
        flags = "".join(
            letter
            for letter, on in zip(
                "PSTR",
                (st.proved_in_book, st.symbolically_checked, st.checked_by_tests,
                 st.checked_by_runs),
                strict=True,
            )
            if on
        )  # fmt: skip
        ax.text(
            x, y, f"{lab}\n{flags or '-'}", ha="center", va="center", fontsize=8,
            bbox={"boxstyle": "round,pad=0.3", "fc": colour, "ec": "#333333", "lw": 0.6},
        )  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(-depth - 0.5, 0.5)
    ax.axis("off")
    present = {_level(c) for c in claims.values()}
    handles = [
        Patch(facecolor=LEVEL_COLOURS[k], edgecolor="#333333", label=LEVEL_NAMES[k])
        for k in LEVEL_COLOURS
        if k in present
    ]
    handles.append(
        Patch(facecolor="white", edgecolor="white",
              label="letters: P proved, S symbolic, T tests, R runs")
    )  # fmt: skip
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=5,
              fontsize=8, frameon=False)  # fmt: skip
    ax.set_title("Claims of the book: an arrow goes from a claim to the claims that use it",
                 fontsize=10)  # fmt: skip
    return fig


# --------------------------------------------------------------------------------------------
# SVG for the HTML book
# --------------------------------------------------------------------------------------------
#: Width of the SVG view box: a little under the book's text column, measured at 676 px in
#: Chromium at 1280 px (sphinx-book-theme), so the graph is drawn at >= 1:1 there.
SVG_WIDTH = 660
#: Font size of a node's label in view-box units (= px at the column width).
LABEL_FONT = 13
#: Font size of the status letters and the legend.
SMALL_FONT = 12
_CHAR_W = 0.62 * LABEL_FONT  # a conservative advance width (monospace-like estimate)
_NODE_H = 40
_ROW_GAP = 30
_COL_GAP = 12
_MARGIN = 10
_LEGEND_ROW = SMALL_FONT + 6


def label_pages(book_dir: Path | None = None) -> dict[str, str]:
    """Map each claim label to ``page.html#label``: the page whose source states it.

    A statement is a ``prf:`` directive with ``:label: LABEL`` in ``book/PAGE.md``; sphinx-proof
    gives the statement the HTML id ``LABEL`` on ``PAGE.html``.
    """
    import re

    root = REPO_ROOT / "book" if book_dir is None else Path(book_dir)
    out: dict[str, str] = {}
    for page in sorted(root.glob("*.md")):
        for lab in re.findall(r"^:label: ([\w-]+)\s*$", page.read_text(encoding="utf-8"), re.M):
            out[lab] = f"{page.stem}.html#{lab}"
    return out


def _flags(st: Any) -> str:
    on = (st.proved_in_book, st.symbolically_checked, st.checked_by_tests, st.checked_by_runs)
    return "".join(letter for letter, v in zip("PSTR", on, strict=True) if v) or "-"


def _layout(
    uses: Mapping[str, Sequence[str]],
) -> tuple[dict[str, tuple[float, float, float]], float]:
    """``label -> (x_left, y_top, width)`` and the total height; layers top-down, wrapped."""
    lev = levels(uses)
    order = list(uses)
    usable = SVG_WIDTH - 2 * _MARGIN
    box: dict[str, tuple[float, float, float]] = {}
    y = _MARGIN
    for depth in range(max(lev.values(), default=-1) + 1):
        layer = [lab for lab in order if lev[lab] == depth]

        def key(lab: str) -> tuple[float, int]:
            xs = [box[u][0] + box[u][2] / 2 for u in uses[lab] if u in box]
            return (sum(xs) / len(xs) if xs else SVG_WIDTH / 2, order.index(lab))

        layer.sort(key=key)
        rows: list[list[tuple[str, float]]] = [[]]
        used = 0.0
        for lab in layer:
            second = f"{_printed(lab).split(' (')[0]} PSTR"
            w = max(90.0, len(lab) * _CHAR_W + 18, len(second) * 0.62 * SMALL_FONT + 18)
            if rows[-1] and used + _COL_GAP + w > usable:
                rows.append([])
                used = 0.0
            used += (_COL_GAP if rows[-1] else 0.0) + w
            rows[-1].append((lab, w))
        for row in rows:
            total = sum(w for _, w in row) + _COL_GAP * (len(row) - 1)
            x = (SVG_WIDTH - total) / 2
            for lab, w in row:
                box[lab] = (x, y, w)
                x += w + _COL_GAP
            y += _NODE_H + _ROW_GAP
    return box, y


def render_svg(claims: Mapping[str, Any], pages: Mapping[str, str] | None = None) -> str:
    """Render the dependency graph of ``claims`` as one self-contained ``<svg>`` element.

    Parameters
    ----------
    claims : mapping
        ``convotron_theory.claims.CLAIMS``.
    pages : mapping, optional
        ``label -> href`` of each statement (default :func:`label_pages`); a claim without a
        page is drawn without a link.

    Returns
    -------
    str
        The SVG markup: ``class="claim-graph"``, one ``<a class="claim-node">`` per claim
        holding a ``<title>`` (label, title, status, provenance), the box and a
        ``<text class="claim-label">``; arrows from a claim to the claims that use it.
    """
    from html import escape

    pages = label_pages() if pages is None else pages
    uses = {lab: tuple(c.uses) for lab, c in claims.items()}
    box, height = _layout(uses)
    legend_y = height
    n_levels = len({_level(c) for c in claims.values()})
    height = legend_y + (n_levels + 2) * _LEGEND_ROW + 2 * _MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="claim-graph" '
        f'viewBox="0 0 {SVG_WIDTH} {height:.0f}" width="100%" '
        f'style="max-width:{SVG_WIDTH}px;height:auto;display:block;margin:auto" role="img" '
        f'aria-label="Dependency graph of the claims of the book">',
        "<title>Claims of the book: an arrow goes from a claim to the claims that use it</title>",
        '<defs><marker id="claim-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        '<g class="claim-edges" fill="none" stroke="#555" stroke-width="1.1" '
        'stroke-opacity="0.55">',
    ]
    for lab, used in uses.items():
        x1, y1, w1 = box[lab]
        for u in used:
            x0, y0, w0 = box[u]
            ax, ay = x0 + w0 / 2, y0 + _NODE_H
            bx, by = x1 + w1 / 2, y1
            dy = max(12.0, (by - ay) / 2)
            out.append(
                f'<path d="M{ax:.1f},{ay:.1f} C{ax:.1f},{ay + dy:.1f} {bx:.1f},{by - dy:.1f} '
                f'{bx:.1f},{by - 1:.1f}" marker-end="url(#claim-arrow)"/>'
            )
    out.append("</g>")
    font = "font-family:'DejaVu Sans',Arial,Helvetica,sans-serif"
    for lab, c in claims.items():
        x, y, w = box[lab]
        st = c.status
        level = _level(c)
        tip = f"{_printed(lab)} [{lab}]: {c.title} ({LEVEL_NAMES[level]}; {c.provenance})"
        href = pages.get(lab)
        open_tag = f'<a class="claim-node" href="{escape(href)}">' if href else "<g>"
        out += [
            open_tag,
            f"<title>{escape(tip)}</title>",
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_NODE_H}" rx="6" '
            f'fill="{LEVEL_COLOURS[level]}" stroke="#333" stroke-width="0.8" '
            f'data-level="{level}"/>',
            f'<text class="claim-label" x="{x + w / 2:.1f}" y="{y + 17:.1f}" '
            f'text-anchor="middle" style="{font};font-size:{LABEL_FONT}px;fill:{TEXT_COLOUR};'
            'text-decoration:none">'
            f"{escape(lab)}</text>",
            f'<text x="{x + w / 2:.1f}" y="{y + 33:.1f}" text-anchor="middle" '
            f'style="{font};font-size:{SMALL_FONT}px;fill:{TEXT_COLOUR}">'
            f"{escape(_printed(lab).split(' (')[0])} {_flags(st)}</text>",
            "</a>" if href else "</g>",
        ]
    # legend: one level per row (only the levels that occur), then two lines of help
    present = {_level(c) for c in claims.values()}
    items = [(LEVEL_COLOURS[k], LEVEL_NAMES[k]) for k in LEVEL_COLOURS if k in present]
    x, y = _MARGIN + 4, legend_y + 4
    for colour, name in items:
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{colour}" '
            f'stroke="#333" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{x + 19:.1f}" y="{y + 12:.1f}" style="{font};font-size:{SMALL_FONT}px;'
            f'fill:{TEXT_COLOUR}">{escape(name)}</text>'
        )
        y += _LEGEND_ROW
    for j, line in enumerate(
        (
            "under each label: its number in the book, then P proved in the book, "
            "S symbolically checked,",
            "T checked by tests, R checked by runs; click a claim for its statement, "
            "hover for its title",
        )
    ):
        out.append(
            f'<text x="{_MARGIN + 4}" y="{y + 12 + _LEGEND_ROW * j:.1f}" style="{font};'
            f'font-size:{SMALL_FONT}px;fill:{TEXT_COLOUR}">{escape(line)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def graph_html(claims: Mapping[str, Any], pages: Mapping[str, str] | None = None) -> Any:
    """The graph as an IPython ``HTML`` object: inline SVG in the page (links and hover work)."""
    from IPython.display import HTML

    return HTML(f'<div class="claim-graph-figure">{render_svg(claims, pages)}</div>')
