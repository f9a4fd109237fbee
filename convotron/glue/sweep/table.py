"""One tidy row per cell: the theorem's numbers and what the runs did, per teacher.

Columns (also the keys of each JSON line, in this order; :func:`columns` lists them for a
grid, so the CSV header is known before the first cell finishes and rows can be appended):

- the cell: ``scheme, alpha, law, cov, noise, eps, delta, w_norm, runs, seed, cell_id,
  teachers``;
- the theorem ([derived] explicit-constant version): ``lambda_min, a, beta, beta_rule, rho,
  eta, T``;
- ``status``: ``done``, ``not run`` (with ``reason``: a hypothesis fails, or the cell exceeds
  ``max_updates``) or ``error`` (a chunk kept failing; ``reason`` holds the error);
- the **worst teacher** (``worst_teacher``: the direction with the most failures, ties broken
  by the larger median): its ``fails`` and ``fail_rate`` at T (``‖w_{T+1} − w*‖² > ε``; a
  diverged run fails), the two-sided 95% Clopper-Pearson interval ``fail_lo, fail_hi``,
  ``p_value``: the exact one-sided binomial ``P[Binomial(runs, δ) ≥ fails]`` (small: the
  failure rate exceeds δ, which the theorem forbids), ``hit_q50, hit_q90, hit_q99``: quantiles
  of the first update with error ≤ ε (``inf`` when more runs than the quantile never get
  there) and ``tightness = T / hit_q50``;
- ``p_holm`` and ``flagged``: the multiple-testing rule over the grid (:data:`RULE`): Holm's
  step-down adjustment of the p-values of every (cell, teacher) test that ran; a cell is
  flagged when one of its tests is rejected at the family-wise level :data:`FAMILY_LEVEL`.
  Filled by the final rewrite of the table (rows appended while the sweep runs leave them
  empty);
- per teacher ``NAME`` (``hardest``, ``easiest``, ``random2``, ...): ``fail_rate_NAME``,
  ``p_value_NAME``, ``tightness_NAME``;
- ``fail_at_F`` for each fraction ``F`` of the grid (the worst teacher), with ``t_at_F`` the
  recorded update count used (the largest record ≤ F·T): how much slack the theorem leaves.
  ``F`` is written with ``%g`` when that names it exactly, else in full
  (:func:`~convotron.glue.sweep.grid.fraction_label`), so two fractions never share a column.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from .engine import CellPlan, ChunkResult, teacher_names
from .grid import AXES, fraction_label
from .stats import (
    FAMILY_LEVEL,
    RULE,
    apply_holm,
    clopper_pearson,
    fail_at,
    first_hit_quantile,
    holm,
    teacher_stats,
    worst_teacher,
)

__all__ = [
    "FAMILY_LEVEL",
    "RULE",
    "apply_holm",
    "cell_row",
    "clopper_pearson",
    "columns",
    "holm",
    "rows_to_csv",
    "rows_to_jsonl",
]

_CELL = [*AXES, "runs", "seed", "cell_id", "teachers"]
_THEOREM = ["lambda_min", "a", "beta", "beta_rule", "rho", "eta", "T"]
_WORST = ["worst_teacher", "fails", "fail_rate", "fail_lo", "fail_hi", "p_value", "p_holm",
          "flagged", "hit_q50", "hit_q90", "hit_q99", "tightness"]  # fmt: skip
_PER_TEACHER = ("fail_rate", "p_value", "tightness")


def columns(fractions: tuple[float, ...], teachers: int) -> list[str]:
    """Every column of a grid's table, in order (the CSV header)."""
    cols = [*_CELL, *_THEOREM, "status", "reason", *_WORST]
    for name in teacher_names(teachers):
        cols += [f"{c}_{name}" for c in _PER_TEACHER]
    for f in fractions:
        cols += [f"fail_at_{fraction_label(f)}", f"t_at_{fraction_label(f)}"]
    return cols


#: The theorem's numbers of a cell, copied from its ``TheoremParameters`` into each row.
_THEOREM_COLUMNS = ("lambda_min", "a", "beta", "beta_rule", "rho", "eta")


def _base(plan: CellPlan, teachers: int, fractions: tuple[float, ...]) -> dict[str, Any]:
    p = plan.parameters
    row: dict[str, Any] = dict.fromkeys(columns(fractions, teachers))
    row.update(plan.cell.key())
    row["cell_id"] = plan.cell.cell_id
    row["teachers"] = teachers
    row.update({name: p[name] for name in _THEOREM_COLUMNS}, T=plan.T if plan.T else None)
    return row


def cell_row(
    plan: CellPlan,
    chunks: list[ChunkResult] | dict[int, list[ChunkResult]] | None,
    fractions: tuple[float, ...],
    *,
    error: str | None = None,
    teachers: int | None = None,
) -> dict[str, Any]:
    """Return the table row of a cell from its chunks per teacher (in any order) or its status.

    ``chunks`` maps a teacher's index to its chunks (a plain list is teacher 0's).
    """
    by_teacher = {0: chunks} if isinstance(chunks, list) else (chunks or {})
    count = teachers if teachers is not None else max(1, len(plan.w_stars))
    row = _base(plan, count, fractions)
    if error is not None or plan.status != "run" or not by_teacher:
        row.update(status="error" if error else plan.status, reason=error or plan.reason)
        return row
    names = teacher_names(count)
    stats = {t: teacher_stats(plan, by_teacher[t]) for t in range(count)}
    for t, st in stats.items():
        for c in _PER_TEACHER:
            row[f"{c}_{names[t]}"] = st[c]
    worst = worst_teacher(stats)
    st = stats[worst]
    runs = plan.cell.runs
    lo, hi = clopper_pearson(st["fails"], runs)
    row.update(status="done", reason="", worst_teacher=names[worst])
    row.update(
        fails=st["fails"],
        fail_rate=st["fail_rate"],
        fail_lo=lo,
        fail_hi=hi,
        p_value=st["p_value"],
        hit_q50=st["hit_q50"],
        hit_q90=first_hit_quantile(st["_hits"], 0.9),
        hit_q99=first_hit_quantile(st["_hits"], 0.99),
        tightness=st["tightness"],
    )
    history, history_t = st["_history"], st["_history_t"]
    for f in fractions:
        label = fraction_label(f)
        row[f"fail_at_{label}"], row[f"t_at_{label}"] = fail_at(
            history, history_t, f * plan.T, plan.cell.eps, runs
        )
    return row


def _plain(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, np.generic):
        return _plain(v.item())
    return v


def rows_to_jsonl(rows: list[dict[str, Any]]) -> str:
    """JSON lines, one object per cell (non-finite numbers as ``"inf"``/``null``)."""
    return "".join(
        json.dumps({k: _plain(v) for k, v in r.items()}, allow_nan=False) + "\n" for r in rows
    )


def rows_to_csv(
    rows: list[dict[str, Any]], fields: list[str] | None = None, *, header: bool = True
) -> str:
    """CSV of ``rows`` with the columns ``fields`` (default: the first row's keys, in order).

    Linear in the number of rows and columns (the columns are given, not searched).
    """
    if fields is None:
        if not rows:
            return ""
        fields = list(rows[0])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if _plain(v) is None else _plain(v)) for k, v in r.items()})
    return buf.getvalue()
