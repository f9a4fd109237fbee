"""One tidy row per cell: the theorem's numbers and what the runs did.

Columns (also the keys of each JSON line):

- the cell: ``scheme, alpha, law, cov, noise, eps, delta, w_norm, runs, seed, cell_id``;
- the theorem ([derived] explicit-constant version): ``lambda_min, a, beta, beta_rule, rho,
  eta, T``;
- ``status``: ``done``, ``not run`` (with ``reason``: a hypothesis fails, or the cell exceeds
  ``max_updates``) or ``error`` (a chunk kept failing; ``reason`` holds the error);
- ``fails`` and ``fail_rate`` at T (``‖w_{T+1} − w*‖² > ε``; a diverged run fails), the
  two-sided 95% Clopper-Pearson interval ``fail_lo, fail_hi``, and ``p_value``: the exact
  one-sided binomial ``P[Binomial(runs, δ) ≥ fails]`` (small: the failure rate exceeds δ,
  which the theorem forbids);
- ``hit_q50, hit_q90, hit_q99``: quantiles of the first update with error ≤ ε (``inf`` when
  more runs than the quantile never get there);
- ``tightness = T / hit_q50``: how many times more updates the theorem asks for than the
  median run needs;
- ``fail_at_F`` for each fraction ``F`` of the grid, with ``t_at_F`` the recorded update
  count used (the largest record ≤ F·T): how much slack the theorem leaves.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from .engine import CellPlan, ChunkResult

__all__ = ["cell_row", "clopper_pearson", "rows_to_csv", "rows_to_jsonl"]

CONFIDENCE = 0.95


def clopper_pearson(fails: int, runs: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) confidence interval of a binomial proportion."""
    from scipy.stats import beta

    tail = (1 - confidence) / 2
    lo = 0.0 if fails == 0 else float(beta.ppf(tail, fails, runs - fails + 1))
    hi = 1.0 if fails == runs else float(beta.ppf(1 - tail, fails + 1, runs - fails))
    return lo, hi


def _quantile(hits: np.ndarray, q: float) -> float:
    """Quantile of first-hit times, counting 'never' (−1) as +inf."""
    h = np.where(hits < 0, np.inf, hits.astype(float))
    return float(np.quantile(h, q, method="inverted_cdf"))


#: The theorem's numbers of a cell, copied from its ``TheoremParameters`` into each row.
_THEOREM_COLUMNS = ("lambda_min", "a", "beta", "beta_rule", "rho", "eta")


def _base(plan: CellPlan) -> dict[str, Any]:
    p = plan.parameters
    row: dict[str, Any] = dict(plan.cell.key())
    row["cell_id"] = plan.cell.cell_id
    row.update({name: getattr(p, name) for name in _THEOREM_COLUMNS}, T=plan.T if plan.T else None)
    return row


def cell_row(
    plan: CellPlan,
    chunks: list[ChunkResult] | None,
    fractions: tuple[float, ...],
    *,
    error: str | None = None,
) -> dict[str, Any]:
    """Return the table row of a cell from its chunks (in any order) or its status."""
    row = _base(plan)
    empty = {
        "fails": None,
        "fail_rate": None,
        "fail_lo": None,
        "fail_hi": None,
        "p_value": None,
        "hit_q50": None,
        "hit_q90": None,
        "hit_q99": None,
        "tightness": None,
    }
    for f in fractions:
        empty[f"fail_at_{f:g}"] = None
        empty[f"t_at_{f:g}"] = None
    if error is not None or plan.status != "run" or not chunks:
        row.update(status="error" if error else plan.status, reason=error or plan.reason)
        row.update(empty)
        return row
    from scipy.stats import binomtest

    parts = sorted(chunks, key=lambda c: c.start)
    final = np.concatenate([c.final for c in parts])
    hits = np.concatenate([c.first_hit for c in parts])
    history = np.concatenate([c.history for c in parts])
    history_t = parts[0].history_t
    runs = plan.cell.runs
    assert final.shape == (runs,), (final.shape, runs)
    fails = int(np.count_nonzero(~(final <= plan.cell.eps)))
    lo, hi = clopper_pearson(fails, runs)
    q50 = _quantile(hits, 0.5)
    row.update(status="done", reason="")
    row.update(
        fails=fails,
        fail_rate=fails / runs,
        fail_lo=lo,
        fail_hi=hi,
        p_value=float(binomtest(fails, runs, plan.cell.delta, alternative="greater").pvalue),
        hit_q50=q50,
        hit_q90=_quantile(hits, 0.9),
        hit_q99=_quantile(hits, 0.99),
        tightness=(plan.T / q50) if math.isfinite(q50) and q50 > 0 else None,
    )
    for f in fractions:
        target = f * plan.T
        idx = int(np.searchsorted(history_t, target, side="right")) - 1
        idx = max(idx, 0)
        col = history[:, idx]
        row[f"fail_at_{f:g}"] = float(np.count_nonzero(~(col <= plan.cell.eps))) / runs
        row[f"t_at_{f:g}"] = int(history_t[idx])
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


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a header; the columns of the first row, in order."""
    if not rows:
        return ""
    fields: list[str] = []
    for r in rows:
        fields.extend(k for k in r if k not in fields)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if _plain(v) is None else _plain(v)) for k, v in r.items()})
    return buf.getvalue()
