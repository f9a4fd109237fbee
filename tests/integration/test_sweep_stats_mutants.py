"""The sweep's verdict statistics (:mod:`convotron.glue.sweep.stats`) against exact values.

Written for the mutation tests of issue 19 (MUTATION.md): every function of the module is
compared with an independent computation (Holm's step-down run at every candidate level, the
binomial tail and the Clopper-Pearson limits from ``math.comb`` sums solved by bisection,
quantiles read off a sorted list) or with values worked out by hand, at the boundaries the
code decides on (an error exactly ε, a p-value exactly the family level, a first hit at 0).
Fast (no runs of Convotron): the cell plan is a stub with the attributes the statistics read.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from convotron.glue.sweep import stats
from convotron.glue.sweep.engine import ChunkResult


def _holm_oracle(p: list[float]) -> list[float]:
    """Adjusted p-value of each test: the smallest level at which Holm's step-down rejects it.

    The procedure at level α: sort, reject p_(1), p_(2), ... while p_(k) ≤ α / (m − k + 1),
    stop at the first that is not. The set rejected only changes at the levels
    (m − k + 1) p_(k), so the smallest rejecting level of each test is one of them (or 1).
    """
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    levels = sorted({(m - k) * p[i] for k, i in enumerate(order)} | {1.0})
    out = [1.0] * m
    for alpha in reversed(levels):  # from large to small: the last level that rejects wins
        if alpha > 1.0:
            continue
        for k, i in enumerate(order):
            if p[i] * (m - k) <= alpha * (1 + 1e-12):
                out[i] = alpha
            else:
                break
    return out


def test_holm_hand_values() -> None:
    assert stats.holm([]) == []
    assert stats.holm([0.3]) == [0.3]
    # sorted 0.001, 0.01, 0.02, 0.5 -> 4 x 0.001, 3 x 0.01, 2 x 0.02, 1 x 0.5
    adjusted = stats.holm([0.02, 0.001, 0.5, 0.01])
    assert adjusted == pytest.approx([0.04, 0.004, 0.5, 0.03], rel=1e-12)
    # the running maximum: 2 x 0.01 = 0.02 > 1 x 0.011
    assert stats.holm([0.011, 0.01]) == pytest.approx([0.02, 0.02], rel=1e-12)
    # capped at 1, and the cap carries forward
    assert stats.holm([0.6, 0.7]) == [1.0, 1.0]
    assert stats.holm([0.4, 0.9, 0.1]) == pytest.approx([0.8, 0.9, 0.3], rel=1e-12)
    assert stats.holm([0.01, 0.01]) == pytest.approx([0.02, 0.02], rel=1e-12)


def test_holm_equals_the_step_down_procedure_on_random_p_values() -> None:
    rng = random.Random(19)
    for _ in range(200):
        m = rng.randint(1, 7)
        p = [rng.choice([rng.random(), rng.random() * 0.05, 0.01, 0.5]) for _ in range(m)]
        assert stats.holm(p) == pytest.approx(_holm_oracle(p), rel=1e-9), p


def _row(status: str, teachers: int, **p: float | None) -> dict:
    row: dict = {"status": status, "teachers": teachers}
    row.update({f"p_value_{k}": v for k, v in p.items()})
    return row


def test_apply_holm_fills_every_row() -> None:
    rows = [
        _row("done", 2, hardest=0.002, easiest=0.3),
        _row("not run", 2, hardest=1e-9, easiest=1e-9),
        _row("done", 3, hardest=0.5, easiest=None, random2=0.004),
        _row("error", 1),
        _row("done", 1, hardest=0.2, random2=1e-12),  # random2 is not one of its teachers
        _row("done", 2),  # no p-values: nothing to adjust
    ]
    assert stats.apply_holm(rows) == 5  # 0.002, 0.3, 0.5, 0.004, 0.2
    # sorted 0.002 (x5), 0.004 (x4), 0.2 (x3), 0.3 (x2), 0.5 (x1)
    assert rows[0]["p_holm"] == pytest.approx(0.01, rel=1e-12)
    assert rows[0]["flagged"] is True  # exactly the family level: rejected
    assert rows[2]["p_holm"] == pytest.approx(0.016, rel=1e-12)
    assert rows[2]["flagged"] is False
    assert rows[4]["p_holm"] == pytest.approx(0.6, rel=1e-12)
    assert rows[4]["flagged"] is False
    assert rows[5]["p_holm"] == 1.0 and rows[5]["flagged"] is False
    for k in (1, 3):
        assert rows[k]["p_holm"] is None and rows[k]["flagged"] is None
    assert isinstance(rows[0]["flagged"], bool)


def test_apply_holm_flags_at_the_family_level_and_not_above() -> None:
    assert stats.FAMILY_LEVEL == 0.01
    assert "Holm" in stats.RULE and "0.01" in stats.RULE
    one = [_row("done", 1, hardest=0.01)]
    assert stats.apply_holm(one) == 1 and one[0]["p_holm"] == 0.01 and one[0]["flagged"] is True
    above = [_row("done", 1, hardest=0.0100001)]
    stats.apply_holm(above)
    assert above[0]["flagged"] is False
    # the row's value is the smallest adjusted value of its teachers
    two = [_row("done", 2, hardest=0.3, easiest=0.001)]
    assert stats.apply_holm(two) == 2
    assert two[0]["p_holm"] == pytest.approx(0.002, rel=1e-12) and two[0]["flagged"] is True
    assert stats.apply_holm([]) == 0


def _binom_sf(k: int, n: int, p: Fraction) -> Fraction:
    """P[Binomial(n, p) >= k], exactly."""
    return sum((math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1)), Fraction(0))


def _bisect(f: Callable[[float], float], lo: float = 0.0, hi: float = 1.0) -> float:
    """Root of an increasing f on [lo, hi] by bisection (f(lo) < 0 < f(hi))."""
    for _ in range(80):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@pytest.mark.parametrize(("fails", "runs"), [(0, 10), (1, 10), (3, 10), (9, 10), (10, 10), (2, 7)])
@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_clopper_pearson_solves_the_binomial_tails(
    fails: int, runs: int, confidence: float
) -> None:
    tail = (1 - confidence) / 2
    lo, hi = stats.clopper_pearson(fails, runs, confidence)
    # lo: P[Bin(runs, lo) >= fails] = tail; hi: P[Bin(runs, hi) <= fails] = tail
    want_lo = (
        0.0 if fails == 0 else _bisect(lambda q: float(_binom_sf(fails, runs, Fraction(q))) - tail)
    )
    want_hi = (
        1.0
        if fails == runs
        else _bisect(lambda q: tail - float(1 - _binom_sf(fails + 1, runs, Fraction(q))))
    )
    assert lo == pytest.approx(want_lo, rel=1e-8, abs=1e-14)
    assert hi == pytest.approx(want_hi, rel=1e-8, abs=1e-14)
    if fails == 0:
        assert lo == 0.0
    if fails == runs:
        assert hi == 1.0


def test_clopper_pearson_default_is_95_percent() -> None:
    assert stats.clopper_pearson(3, 10) == stats.clopper_pearson(3, 10, 0.95)
    assert stats.CONFIDENCE == 0.95


def test_first_hit_quantile_reads_the_sorted_list() -> None:
    hits = np.array([5, -1, 3, 10, 0, 7, -1, 2], dtype=np.int64)
    ordered = sorted(math.inf if h < 0 else float(h) for h in hits)  # 0 2 3 5 7 10 inf inf
    for q in (0.1, 0.125, 0.3, 0.5, 0.6, 0.75, 0.76, 0.9, 0.99):
        want = ordered[math.ceil(q * len(hits)) - 1]  # inverted_cdf: the smallest h with F(h) >= q
        assert stats.first_hit_quantile(hits, q) == want, q
    assert stats.first_hit_quantile(np.array([0, 0, 4]), 0.5) == 0.0  # a first hit at update 0
    assert stats.first_hit_quantile(np.array([-1, -1, 4]), 0.5) == math.inf
    assert isinstance(stats.first_hit_quantile(hits, 0.5), float)


def _chunk(start: int, final: list[float], hits: list[int], hist: list[list[float]]) -> ChunkResult:
    return ChunkResult(
        start=start,
        stop=start + len(final),
        final=np.array(final, dtype=float),
        first_hit=np.array(hits, dtype=np.int64),
        history_t=np.array([0, 10, 20, 40]),
        history=np.array(hist, dtype=float),
    )


def _plan(runs: int, eps: float = 0.5, delta: float = 0.1, T: int = 60) -> SimpleNamespace:
    return SimpleNamespace(cell=SimpleNamespace(runs=runs, eps=eps, delta=delta), T=T)


def test_teacher_stats_against_hand_counts() -> None:
    h = [[1.0, 0.7, 0.5, 0.1]]
    parts = [
        _chunk(3, [0.4, math.nan], [30, -1], h * 2),
        _chunk(0, [0.5, math.inf, 0.6], [20, -1, 50], h * 3),
        _chunk(5, [0.1], [10], [[2.0, 1.0, 0.3, 0.2]]),
    ]
    plan = _plan(6, eps=0.5, delta=0.1, T=60)
    st = stats.teacher_stats(plan, parts)  # type: ignore[arg-type]
    # finals in run order: 0.5 (= eps: a success), inf, 0.6, 0.4, nan, 0.1 -> 3 fails
    assert st["fails"] == 3 and isinstance(st["fails"], int)
    assert st["fail_rate"] == 0.5
    assert st["p_value"] == pytest.approx(float(_binom_sf(3, 6, Fraction(1, 10))), rel=1e-10)
    # hits in run order 20 -1 50 30 -1 10 -> sorted 10 20 30 50 inf inf; the median (inverted
    # cdf, q = 0.5 of 6) is the 3rd: 30
    assert st["hit_q50"] == 30.0
    assert st["tightness"] == 2.0
    assert st["_hits"].tolist() == [20, -1, 50, 30, -1, 10]
    assert st["_history"].shape == (6, 4)
    assert st["_history"][5].tolist() == [2.0, 1.0, 0.3, 0.2]
    assert st["_history_t"].tolist() == [0, 10, 20, 40]


def test_teacher_stats_tightness_is_none_without_a_finite_positive_median() -> None:
    h = [[1.0, 1.0, 1.0, 1.0]]
    never = stats.teacher_stats(_plan(3), [_chunk(0, [1.0, 1.0, 0.2], [-1, -1, 5], h * 3)])  # type: ignore[arg-type]
    assert never["hit_q50"] == math.inf and never["tightness"] is None
    assert never["fails"] == 2 and never["fail_rate"] == pytest.approx(2 / 3, rel=1e-15)
    at_zero = stats.teacher_stats(_plan(3), [_chunk(0, [0.1, 0.1, 0.1], [0, 0, 4], h * 3)])  # type: ignore[arg-type]
    assert at_zero["hit_q50"] == 0.0 and at_zero["tightness"] is None
    assert at_zero["fails"] == 0 and at_zero["p_value"] == 1.0
    one = stats.teacher_stats(_plan(3, T=9), [_chunk(0, [0.1] * 3, [1, 1, 4], h * 3)])  # type: ignore[arg-type]
    assert one["tightness"] == 9.0


def test_teacher_stats_p_value_is_the_upper_binomial_tail() -> None:
    h = [[1.0, 1.0, 1.0, 1.0]]
    for fails, delta in ((0, 0.1), (1, 0.1), (2, 0.25), (4, 0.05), (5, 0.5)):
        final = [1.0] * fails + [0.0] * (5 - fails)
        st = stats.teacher_stats(_plan(5, delta=delta), [_chunk(0, final, [1] * 5, h * 5)])  # type: ignore[arg-type]
        want = float(_binom_sf(fails, 5, Fraction(delta)))
        assert st["p_value"] == pytest.approx(want, rel=1e-10), (fails, delta)


def test_worst_teacher_most_fails_then_larger_median_then_lower_index() -> None:
    def s(*pairs: tuple[int, float]) -> dict[int, dict[str, float]]:
        return {t: {"fails": f, "hit_q50": q} for t, (f, q) in enumerate(pairs)}

    assert stats.worst_teacher(s((3, 10.0), (5, 2.0), (5, 7.0))) == 2
    assert stats.worst_teacher(s((5, 7.0), (5, 7.0), (1, 99.0))) == 0
    assert stats.worst_teacher(s((1, 5.0), (1, math.inf))) == 1
    assert stats.worst_teacher(s((4, 1.0), (2, 50.0))) == 0
    assert stats.worst_teacher(s((0, 3.0), (0, 3.0), (0, 4.0), (0, 4.0))) == 2


def test_fail_at_reads_the_last_record_not_after_the_target() -> None:
    history_t = np.array([0, 10, 20, 30])
    history = np.array(
        [
            [9.0, 0.5, 0.2, 0.1],
            [9.0, 0.7, 0.6, 0.5],
            [9.0, np.inf, np.nan, 0.2],
            [0.1, 0.1, 0.1, 0.1],
        ]
    )
    eps = 0.5
    # column 0: 3 of 4 fail; column 1: 0.7, inf fail (0.5 = eps does not); column 2: 0.6, nan
    # fail; column 3: none fails (0.5 = eps)
    cases = {-1.0: (0.75, 0), 0.0: (0.75, 0), 5.0: (0.75, 0), 10.0: (0.5, 10), 19.9: (0.5, 10),
             20.0: (0.5, 20), 25.0: (0.5, 20), 30.0: (0.0, 30), 1e9: (0.0, 30)}  # fmt: skip
    for target, want in cases.items():
        got = stats.fail_at(history, history_t, target, eps, 4)
        assert got == want, target
        assert isinstance(got[1], int) and isinstance(got[0], float)
    # the rate is over the runs given, not the rows' count
    assert stats.fail_at(history, history_t, 0.0, eps, 6) == (0.5, 0)
