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


def test_float32_runs_are_read_in_double_precision() -> None:
    rng = np.random.default_rng(8)
    exact = np.linspace(1.0, 0.5, 6)
    H = (exact + 0.1 * rng.standard_normal((40, 6))).astype(np.float32)
    st = mse.curve_statistics(H, exact.astype(np.float32), 4)
    want = _oracle(H.astype(np.float64), exact.astype(np.float32).astype(np.float64), 4)
    for key, value in want.items():
        assert getattr(st, key) == pytest.approx(value, rel=1e-12, abs=1e-13), key


@pytest.fixture(scope="module")
def tiny_case():
    """The quick suite's α = 1 case with 60 iterations recorded every 6 and at least 40 runs
    (the module constants patched), run twice with the same seed; ``curve_statistics`` is
    wrapped to capture the runs' matrix and the exact curve it was given."""
    from convotron.glue import verify as V
    from convotron.glue.verify import suite

    case = next(c for c in V.default_cases("quick") if c.name == "linear-mse-curve")
    tp = suite._parameters(case)
    mp = pytest.MonkeyPatch()
    mp.setattr(mse, "ITERS", 60)
    mp.setattr(mse, "RECORD_EVERY", 6)
    mp.setattr(mse, "MIN_RUNS", 40)
    seen: list[tuple[np.ndarray, np.ndarray, mse.CurveStatistics]] = []
    real = mse.curve_statistics

    def spy(H, exact, groups=mse.GROUPS):
        st = real(H, exact, groups)
        seen.append((np.array(H), np.array(exact), st))
        return st

    mp.setattr(mse, "curve_statistics", spy)
    try:
        results = [
            mse.run_mse_case(case, tp, runs=5, seed_sequence=np.random.SeedSequence(7), workers=1)
            for _ in range(2)
        ]
    finally:
        mp.undo()
    return case, tp, results, seen


def test_run_mse_case_fields_from_the_runs(tiny_case) -> None:
    case, tp, (res, again), seen = tiny_case
    H, exact, st = seen[0]
    assert H.shape == (40, 11) and exact.shape == (11,)
    assert res.runs == 40 and res.iters_run == 60  # 5 runs asked, MIN_RUNS = 40
    assert res.eta == pytest.approx(32.0 * float(tp.a) / (2.0 * float(tp.beta)), rel=1e-14)
    np.testing.assert_array_equal(res.history_t, np.arange(0.0, 61.0, 6.0))
    np.testing.assert_array_equal(res.quantiles, np.quantile(H, [0.1, 0.5, 0.9], axis=0))
    assert res.w_norm_sq == pytest.approx(case.w_norm**2, rel=1e-12)
    assert res.mse_max_z == st.group_max_t and res.mse_time_average_z == st.group_average_t
    assert res.lemma_checks == ()
    assert res.status == ("PASS" if not st.rejected else "FAIL")
    assert res.note == (
        f"{'consistent with' if not st.rejected else 'REJECTS'} the exact α = 1 curve "
        f"(lem-linear-mse): 40 runs of 60 iterations at eta = 32 a/(2 beta) = {res.eta:.3g}; "
        f"over 10 recorded t and the time average of the second half: max |t| of 20 group "
        f"means = {st.group_max_t:.2f} (average t = {st.group_average_t:.2f}; limit 5.954, "
        f"level 0.001 for the whole curve), max |z| over single runs = {st.run_max_z:.2f} "
        f"(average z = {st.run_average_z:.2f}; limit 5); a deviation rejects only when both "
        f"exceed their limits (score {st.score:.2f}, rejected at 1); exact floor "
        f"{exact[-1]:.4g}, measured {H.mean(0)[-1]:.4g}"
    )
    assert np.isfinite(res.drift_max_z) and np.isfinite(res.drift_rel_error)
    assert 0.0 < res.seconds < 600.0
    # a function of its seed: the second run with the same seed is the same (kept in this
    # test: mutmut runs only the tests that call the mutated function, and the module-scoped
    # fixture calls it during the first test's setup)
    np.testing.assert_array_equal(seen[0][0], seen[1][0])  # the same runs
    np.testing.assert_array_equal(seen[0][1], seen[1][1])  # the same teacher's exact curve
    assert res.note == again.note
    assert (res.drift_max_z, res.drift_rel_error) == (again.drift_max_z, again.drift_rel_error)
