"""Markdown tables for the book's generated pages (rendered by MyST from a cell's output).

:func:`markdown_table` turns headers and rows (for example an experiment's
``ExperimentResult.table`` or :meth:`convotron.glue.verify.Report.rows`) into a GitHub-style
Markdown table, formatting numbers the way the command line does: floats with three
significant digits, ``None`` as ``-``, booleans as ``yes``/``no``. Pipes inside cells are
escaped so that a cell never splits a row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["cell", "markdown_table"]


def cell(value: Any) -> str:
    """Format one table cell (see the module docstring)."""
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        if value == 0.0:
            text = "0"
        elif not math.isfinite(value):
            text = str(value)
        else:
            text = f"{value:.3g}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """Return a Markdown table with one header row.

    Raises
    ------
    ValueError
        If a row has a different number of cells than ``headers``.
    """
    head = [cell(h) for h in headers]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, row in enumerate(rows):
        cells = [cell(v) for v in row]
        if len(cells) != len(head):
            raise ValueError(
                f"every row must have {len(head)} cells (one per header); row {i} has "
                f"{len(cells)}: {list(row)!r}. Pad or trim the row."
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
