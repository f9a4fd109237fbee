"""Sharp checks of verify's statistics and drift that mutation testing found unchecked (issue 19).

Exact oracles: the binomial tail and the Clopper-Pearson bound from the binomial CDF; the
drift statistic recomputed row by row on a fixed sample (a stub teacher), including the
coordinates with zero spread. MUTATION.md lists what each test kills.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import binom

from convotron._errors import ConvotronError
from convotron.glue.verify import drift, stats


def test_binomial_p_value_accepts_a_single_run() -> None:
    """runs = 1 is valid: P[Bin(1, δ) >= 1] = δ and P[Bin(1, δ) >= 0] = 1."""
    assert stats.binomial_p_value(1, 1, 0.125) == pytest.approx(0.125, rel=1e-12)
    assert stats.binomial_p_value(0, 1, 0.125) == pytest.approx(1.0, rel=1e-12)


def test_binomial_p_value_message_in_full() -> None:
    msg = (
        "need 0 <= fails <= runs and runs >= 1; got fails=0, runs=0. "
        "Count the failures among at least one run."
    )
    with pytest.raises(ConvotronError, match=f"^{re.escape(msg)}$"):
        stats.binomial_p_value(0, 0, 0.1)
    with pytest.raises(ConvotronError, match=r"got fails=-1, runs=4\."):
        stats.binomial_p_value(-1, 4, 0.1)


@pytest.mark.parametrize(("fails", "runs", "conf"), [(2, 10, 0.95), (7, 40, 0.999), (1, 3, 0.9)])
def test_clopper_pearson_upper_solves_the_binomial_cdf(fails: int, runs: int, conf: float) -> None:
    """The upper bound p solves P[Bin(runs, p) <= fails] = 1 - confidence (fails > 0)."""
    p = stats.clopper_pearson_upper(fails, runs, conf)
    assert 0 < p < 1
    assert binom.cdf(fails, runs, p) == pytest.approx(1 - conf, rel=1e-8)


# ------------------------------------------------------------------------- drift_at_start
def _stub_teacher(X: np.ndarray, y: np.ndarray, idx: np.ndarray, Q: np.ndarray, w: np.ndarray):
    scheme = SimpleNamespace(
        indices=idx, r=idx.shape[1], k=idx.shape[0], overlap_matrix=lambda cov: Q
    )

    def sample(rng, size):
        return X[:size], y[:size]

    return SimpleNamespace(scheme=scheme, cov=None, w_star=w, alpha=0.5, sample=sample)


def _drift_oracle(X, y, idx, Q, w, alpha):
    """max |mean − predicted| / SE over coordinates, row by row (SE from ddof = 1)."""
    m, (k, r) = X.shape[0], idx.shape
    G = np.zeros((m, r))
    for t in range(m):
        for i in range(k):
            for a in range(r):
                j = idx[i, a]
                G[t, a] += y[t] * (X[t, j] if j >= 0 else 0.0)
    mean = G.mean(axis=0)
    sd = G.std(axis=0, ddof=1)
    pred = (1 + alpha) / (2 * k) * (Q @ w)
    z = []
    for a in range(r):
        d = abs(mean[a] - pred[a])
        if sd[a] > 0:
            z.append(d / (sd[a] / math.sqrt(m)))
        else:
            z.append(math.inf if d > 1e-12 else 0.0)
    rel = np.linalg.norm(mean - pred) / max(float(np.linalg.norm(pred)), 1e-300)
    return max(z), rel


def test_drift_at_start_statistic_equals_a_row_by_row_oracle() -> None:
    """Padding (index −1) reads 0; the z and relative error match the oracle to 1e-12."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 4))
    y = rng.standard_normal(6)
    idx = np.array([[0, 1, -1], [2, 3, 1]])
    Q = np.array([[2.0, 0.5, 0.0], [0.5, 3.0, 0.25], [0.0, 0.25, 1.0]])
    w = np.array([0.3, -0.2, 0.7])
    z, rel = drift.drift_at_start(_stub_teacher(X, y, idx, Q, w), rng, m=6)
    z0, rel0 = _drift_oracle(X, y, idx, Q, w, 0.5)
    assert math.isfinite(z)
    assert z == pytest.approx(z0, rel=1e-12)
    assert rel == pytest.approx(rel0, rel=1e-12)


@pytest.mark.parametrize(("w3", "want"), [(0.0, 0.0), (0.4, math.inf)])
def test_drift_at_start_zero_spread_coordinate(w3: float, want: float) -> None:
    """A coordinate that reads only padding has G = 0 in every row (SE = 0): its z is 0 when
    the prediction is 0 too, and inf when the prediction is not 0."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((5, 3))
    y = np.ones(5)  # constant y: coordinate 0 has spread, coordinate 1 reads only padding
    idx = np.array([[0, -1], [1, -1]])
    Q = np.array([[1.0, 0.0], [0.0, 1.0]])
    w = np.array([0.2, w3])
    z, _ = drift.drift_at_start(_stub_teacher(X, y, idx, Q, w), rng, m=5)
    z0, _ = _drift_oracle(X, y, idx, Q, w, 0.5)
    if want == 0.0:
        assert z == pytest.approx(z0, rel=1e-12) and math.isfinite(z)
    else:
        assert z == math.inf and z0 == math.inf


def test_kernel_floor_is_the_squared_projection_on_the_kernel() -> None:
    """M = diag(2, 0, 0) (+ rotation-free): the floor is w₂² + w₃², exactly the kernel part."""
    M = np.diag([2.0, 0.0, 0.0])
    scheme = SimpleNamespace(overlap_matrix=lambda cov: M)
    w = np.array([0.5, 0.25, -1.5])
    assert drift.kernel_floor(scheme, None, w, 2.0) == pytest.approx(0.25**2 + 1.5**2, rel=1e-12)
    # an eigenvalue at the threshold 1e-9·max(λ_max, 1) counts as kernel, 1.1 times it not
    thr = 1e-9 * max(1024.0, 1.0)
    s2 = SimpleNamespace(overlap_matrix=lambda cov: np.diag([1024.0, thr, 1.1 * thr]))
    assert drift.kernel_floor(s2, None, w, 1024.0) == pytest.approx(0.25**2, rel=1e-12)
    # λ_max below 1: the threshold is 1e-9 (not 1e-9·λ_max, nor 2e-9)
    s3 = SimpleNamespace(overlap_matrix=lambda cov: np.diag([0.5, 0.9e-9, 1.5e-9]))
    assert drift.kernel_floor(s3, None, w, 0.5) == pytest.approx(0.25**2, rel=1e-12)
    # w* orthogonal to the kernel up to rounding: 0, not a processor's residual (5e-34 on
    # one, 0 on another); just above 64 ε ‖w*‖² the value itself
    s4 = SimpleNamespace(overlap_matrix=lambda cov: np.array([[2.0, 2.0], [2.0, 2.0]]))
    assert drift.kernel_floor(s4, None, np.array([1.0, 1.0]) / np.sqrt(2.0), 4.0) == 0.0
    eps = float(np.finfo(float).eps)
    u = np.array([1.0, -1.0]) / np.sqrt(2.0)
    v = np.array([1.0, 1.0]) / np.sqrt(2.0)
    for c, zero in ((np.sqrt(60 * eps), True), (np.sqrt(70 * eps), False)):
        got = drift.kernel_floor(s4, None, v + c * u, 4.0)
        assert (got == 0.0) is zero and (zero or got == pytest.approx(c * c, rel=1e-6))


def test_drift_at_start_is_zero_when_every_coordinate_reads_padding() -> None:
    """All of G is 0 and so is the prediction (w* = 0): z = 0 exactly, not 1 or inf."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((4, 2))
    idx = np.array([[-1, -1]])
    z, rel = drift.drift_at_start(
        _stub_teacher(X, np.ones(4), idx, np.eye(2), np.zeros(2)), rng, m=4
    )
    assert z == 0.0 and rel == 0.0
