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
  pass, which keeps most arrows short), nodes coloured by :attr:`theory.claims.Status.level`
  with a legend; under each label, the letters of every status it has (P proved in the
  book, S symbolically checked, T checked by tests, R checked by runs).

The graph data come from :mod:`theory.claims` (``CLAIMS``, ``dependency_edges``,
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

__all__ = ["LEVEL_COLOURS", "LEVEL_NAMES", "draw", "levels", "positions", "tests_by_label"]

#: Colour of each status level (colour-blind-safe Okabe-Ito hues), strongest first.
LEVEL_COLOURS: dict[str, str] = {
    "checked": "#009E73",
    "symbolic": "#56B4E9",
    "proved": "#E69F00",
    "stated": "#BBBBBB",
}

#: Legend text of each level.
LEVEL_NAMES: dict[str, str] = {
    "checked": "checked by tests and runs",
    "symbolic": "symbolically checked",
    "proved": "proved in the book",
    "stated": "stated",
}


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
    """Draw the dependency graph of ``claims`` (``theory.claims.CLAIMS``); return the figure.

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
        colour = LEVEL_COLOURS[st.level]
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
    handles = [
        Patch(facecolor=LEVEL_COLOURS[k], edgecolor="#333333", label=LEVEL_NAMES[k])
        for k in LEVEL_COLOURS
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
