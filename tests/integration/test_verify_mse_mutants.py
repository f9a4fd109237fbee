"""The α = 1 curve check's statistics (:mod:`convotron.glue.verify.mse`) against an oracle.

Written for the mutation tests of issue 19 (MUTATION.md): ``curve_statistics`` on small
hand-made run matrices compared with a plain re-computation (group means of contiguous
blocks, Student's t and the runs' z at every recorded t ≥ 1 and for the time average of
the second half, the Bonferroni limit from ``scipy.stats.t``), the rejection boundary of
``CurveStatistics.rejected``, and ``run_mse_case`` on a tiny case (few iterations, few runs:
the module constants monkeypatched) field by field. Fast (a few seconds).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t as student

from convotron.glue.verify import mse


def _oracle(H: np.ndarray, exact: np.ndarray, groups: int) -> dict[str, float]:
    runs, L = H.shape
    half = L // 2
    used = runs - runs % groups
    size = used // groups
    ts, zs = [], []
    for j in [*range(1, L), "avg"]:
        if j == "avg":
            col = [float(np.mean(H[r, half:])) for r in range(runs)]
            target = float(np.mean(exact[half:]))
        else:
            col = [float(H[r, j]) for r in range(runs)]
            target = float(exact[j])
        gm = [sum(col[g * size : (g + 1) * size]) / size for g in range(groups)]
        mg = sum(gm) / groups
        sdg = math.sqrt(sum((v - mg) ** 2 for v in gm) / (groups - 1))
        ts.append((mg - target) / (sdg / math.sqrt(groups)))
        mr = sum(col) / runs
        sdr = math.sqrt(sum((v - mr) ** 2 for v in col) / (runs - 1))
        zs.append((mr - target) / (sdr / math.sqrt(runs)))
    limit = float(student.ppf(1.0 - mse.LEVEL / (2.0 * len(ts)), groups - 1))
    score = max(min(abs(a) / limit, abs(b) / mse.RUN_Z_LIMIT) for a, b in zip(ts, zs, strict=True))
    return {
        "group_max_t": max(abs(v) for v in ts[:-1]),
        "group_average_t": ts[-1],
        "run_max_z": max(abs(v) for v in zs[:-1]),
        "run_average_z": zs[-1],
        "score": score,
    }


@pytest.mark.parametrize(
    ("runs", "L", "groups", "shift"),
    [(40, 7, 4, 0.0), (43, 6, 5, 0.05), (60, 9, 3, 0.4), (21, 2, 20, 0.0)],
)
def test_curve_statistics_equal_a_plain_recomputation(
    runs: int, L: int, groups: int, shift: float
) -> None:
    rng = np.random.default_rng(runs * 100 + L)
    exact = np.linspace(2.0, 1.0, L)
    H = exact + rng.standard_normal((runs, L)) * np.linspace(0.1, 0.6, L) + shift
    H[:, 0] = 2.0  # t = 0 is not tested (every run starts at the same point)
    st = mse.curve_statistics(H, exact, groups)
    want = _oracle(H, exact, groups)
    for key, value in want.items():
        assert getattr(st, key) == pytest.approx(value, rel=1e-9, abs=1e-12), key
    assert st.rejected is (want["score"] >= 1.0)


def test_curve_statistics_default_groups_and_a_rejected_shift() -> None:
    rng = np.random.default_rng(3)
    exact = np.array([1.0, 0.8, 0.6, 0.5, 0.45])
    H = exact + 0.05 * rng.standard_normal((100, 5))
    st = mse.curve_statistics(H, exact)  # GROUPS = 20 groups of 5
    want = _oracle(H, exact, 20)
    assert st.score == pytest.approx(want["score"], rel=1e-9)
    assert not st.rejected
    bad = mse.curve_statistics(H, 0.9 * exact)
    assert bad.rejected and bad.group_average_t > mse.Z_LIMIT and bad.run_average_z > 5.0


def test_curve_statistics_zero_spread() -> None:
    """A column with no spread: 0/0 reads +inf (rejects); a deviation over 0 spread reads the
    largest float (``nan_to_num``'s default for ±inf), which rejects too."""
    exact = np.array([1.0, 1.0, 1.0, 1.0])
    H = np.ones((8, 4))
    st = mse.curve_statistics(H, exact, 2)
    assert st.group_max_t == math.inf and st.run_max_z == math.inf
    assert st.score == math.inf and st.rejected
    H2 = np.ones((8, 4))
    st2 = mse.curve_statistics(H2, exact * 0.5, 2)  # (1 − 0.5)/0
    big = float(np.finfo(float).max)
    assert st2.group_average_t == big and st2.run_average_z == big and st2.rejected
    st3 = mse.curve_statistics(H2, exact * 2.0, 2)  # (1 − 2)/0
    assert st3.group_average_t == -big and st3.group_max_t == big and st3.rejected


@pytest.mark.parametrize(("score", "rejected"), [(0.999, False), (1.0, True), (1.5, True),
                                                 (math.nan, True), (0.0, False)])  # fmt: skip
def test_rejected_at_a_score_of_one(score: float, rejected: bool) -> None:
    st = mse.CurveStatistics(0.0, 0.0, 0.0, 0.0, score)
    assert st.rejected is rejected


def test_constants() -> None:
    assert (mse.ETA_FACTOR, mse.ETA_FACTORS, mse.GROUPS, mse.LEVEL) == (32.0, (1.0, 32.0), 20, 1e-3)
    assert (mse.ITERS, mse.RECORD_EVERY, mse.RUN_Z_LIMIT, mse.MIN_RUNS) == (1500, 15, 5.0, 1000)
    # Z_LIMIT is the group t's limit at the full record: 1 + 1500/15 tests
    assert student.ppf(1 - 1e-3 / (2 * 101), 19) == pytest.approx(mse.Z_LIMIT, abs=5e-4)
