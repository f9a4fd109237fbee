"""The sweep's verdict statistics: per-teacher failure counts, binomial tests, Holm's rule.

Split out of :mod:`.table` (which re-exports the public names) so that the mutation tests
(``[tool.mutmut] only_mutate``, MUTATION.md) can mutate the statistics alone:

- :func:`teacher_stats`: a teacher's ``fails`` (runs with ``‖w_{T+1} − w*‖² > ε``; a diverged
  run, ``inf`` or NaN, fails), ``fail_rate``, the exact one-sided binomial
  ``p_value = P[Binomial(runs, δ) ≥ fails]``, the median first-hit time ``hit_q50`` and
  ``tightness = T / hit_q50``;
- :func:`worst_teacher`: the direction with the most failures, ties broken by the larger
  median first-hit time, then by the lower index;
- :func:`clopper_pearson`: the two-sided exact interval of the worst teacher's fail rate;
- :func:`first_hit_quantile`: quantiles of first-hit times, "never" counting as ``+inf``;
- :func:`fail_at`: the fail rate at the largest recorded update count ≤ F·T;
- :func:`holm`, :func:`apply_holm`: Holm's step-down adjustment over every (cell, teacher)
  test that ran, and the flag at the family-wise level :data:`FAMILY_LEVEL` (:data:`RULE`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .engine import CellPlan, ChunkResult, teacher_names

__all__ = [
    "CONFIDENCE",
    "FAMILY_LEVEL",
    "RULE",
    "apply_holm",
    "clopper_pearson",
    "fail_at",
    "first_hit_quantile",
    "holm",
    "teacher_stats",
    "worst_teacher",
]

#: Confidence of the Clopper-Pearson interval of the worst teacher's fail rate.
CONFIDENCE = 0.95
#: Family-wise error level of the grid's tests (Holm).
FAMILY_LEVEL = 0.01
#: The multiple-testing rule, as the table's header states it.
RULE = (
    "Holm's step-down over all (cell, teacher) tests that ran, family-wise level "
    f"{FAMILY_LEVEL:g}: a cell is flagged when p_holm <= {FAMILY_LEVEL:g}"
)


def holm(pvalues: list[float]) -> list[float]:
    r"""Holm's step-down adjusted p-values, in the input order.

    With :math:`p_{(1)} \le \dots \le p_{(m)}`, the adjusted value of :math:`p_{(i)}` is
    :math:`\min(1, \max_{j \le i} (m - j + 1)\,p_{(j)})`; rejecting those
    :math:`\le \alpha` is Holm's procedure, which keeps the probability of any false rejection
    below :math:`\alpha` whatever the dependence between the tests.
    """
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def apply_holm(rows: list[dict[str, Any]]) -> int:
    """Fill ``p_holm`` and ``flagged`` of every row (in place); return the number of tests."""
    tests: list[tuple[int, float]] = []
    for k, row in enumerate(rows):
        if row.get("status") != "done":
            row["p_holm"], row["flagged"] = None, None
            continue
        for name in teacher_names(int(row["teachers"])):
            p = row.get(f"p_value_{name}")
            if p is not None:
                tests.append((k, float(p)))
    adjusted = holm([p for _, p in tests])
    best: dict[int, float] = {}
    for (k, _), a in zip(tests, adjusted, strict=True):
        best[k] = min(best.get(k, 1.0), a)
    for k, row in enumerate(rows):
        if row.get("status") == "done":
            row["p_holm"] = best.get(k, 1.0)
            row["flagged"] = row["p_holm"] <= FAMILY_LEVEL
    return len(tests)


def clopper_pearson(fails: int, runs: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) confidence interval of a binomial proportion."""
    from scipy.stats import beta

    tail = (1 - confidence) / 2
    lo = 0.0 if fails == 0 else float(beta.ppf(tail, fails, runs - fails + 1))
    hi = 1.0 if fails == runs else float(beta.ppf(1 - tail, fails + 1, runs - fails))
    return lo, hi


def first_hit_quantile(hits: np.ndarray, q: float) -> float:
    """Quantile of first-hit times, counting 'never' (−1) as +inf."""
    h = np.where(hits < 0, np.inf, hits.astype(float))
    return float(np.quantile(h, q, method="inverted_cdf"))


def teacher_stats(plan: CellPlan, parts: list[ChunkResult]) -> dict[str, Any]:
    """One teacher's statistics from its chunks (in any order); ``_``-keys feed the row."""
    from scipy.stats import binomtest

    parts = sorted(parts, key=lambda c: c.start)
    final = np.concatenate([c.final for c in parts])
    hits = np.concatenate([c.first_hit for c in parts])
    runs = plan.cell.runs
    assert final.shape == (runs,), (final.shape, runs)
    fails = int(np.count_nonzero(~(final <= plan.cell.eps)))
    q50 = first_hit_quantile(hits, 0.5)
    return {
        "fails": fails,
        "fail_rate": fails / runs,
        "p_value": float(binomtest(fails, runs, plan.cell.delta, alternative="greater").pvalue),
        "hit_q50": q50,
        "tightness": (plan.T / q50) if math.isfinite(q50) and q50 > 0 else None,
        "_hits": hits,
        "_history": np.concatenate([c.history for c in parts]),
        "_history_t": parts[0].history_t,
    }


def worst_teacher(stats: dict[int, dict[str, Any]]) -> int:
    """Return the teacher with the most failures (ties: larger median, then lower index)."""
    return max(stats, key=lambda t: (stats[t]["fails"], stats[t]["hit_q50"], -t))


def fail_at(
    history: np.ndarray, history_t: np.ndarray, target: float, eps: float, runs: int
) -> tuple[float, int]:
    """Fail rate at the largest recorded update count ≤ ``target`` (the first if none is).

    Returns ``(fail rate, the update count used)``; a run fails when its recorded error is
    not ≤ ε (NaN and ``inf`` fail).
    """
    idx = max(int(np.searchsorted(history_t, target, side="right")) - 1, 0)
    col = history[:, idx]
    return float(np.count_nonzero(~(col <= eps))) / runs, int(history_t[idx])
