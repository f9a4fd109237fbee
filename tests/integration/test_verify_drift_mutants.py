"""``drift_at_start`` (verify's drift check) over several sampling chunks and with its Σ.

Written for the mutation tests of issue 19 (MUTATION.md, the second sampled round): the
statistic over more than one chunk of 10,000 samples (each chunk's sums of squares must be
accumulated), and the covariance passed to the overlap matrix. Compared with a row-by-row
oracle (as in ``test_verify_mutants.py``). Fast (< 2 s).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from convotron.glue.verify import drift


def _teacher(X: np.ndarray, y: np.ndarray, idx: np.ndarray, Q: np.ndarray, w: np.ndarray,
             cov: object) -> SimpleNamespace:  # fmt: skip
    """A teacher whose ``sample`` hands out the rows of X in order, chunk after chunk, and
    whose scheme's overlap matrix is Q for the covariance ``cov`` only."""
    pos = [0]

    def overlap(c: object) -> np.ndarray:
        if c is not cov:
            raise AssertionError(f"overlap_matrix called with {c!r}, not the teacher's Σ")
        return Q

    def sample(rng: object, size: int) -> tuple[np.ndarray, np.ndarray]:
        a = pos[0]
        pos[0] += size
        return X[a : a + size], y[a : a + size]

    scheme = SimpleNamespace(indices=idx, r=idx.shape[1], k=idx.shape[0], overlap_matrix=overlap)
    return SimpleNamespace(scheme=scheme, cov=cov, w_star=w, alpha=0.25, sample=sample)


def _oracle(X: np.ndarray, y: np.ndarray, idx: np.ndarray, Q: np.ndarray, w: np.ndarray,
            alpha: float) -> tuple[float, float]:  # fmt: skip
    """max_a |mean_a − predicted_a| / (sd_a/√m), sd with ddof 1, from G_t = y_t Σ_i P_i x_t."""
    m = X.shape[0]
    Xp = np.concatenate([X, np.zeros((m, 1))], axis=1)
    G = np.stack([y[t] * sum(Xp[t, idx[i]] for i in range(idx.shape[0])) for t in range(m)])
    mean = G.mean(axis=0)
    sd = G.std(axis=0, ddof=1)
    pred = (1 + alpha) / (2 * idx.shape[0]) * (Q @ w)
    z = max(abs(mean[a] - pred[a]) / (sd[a] / math.sqrt(m)) for a in range(idx.shape[1]))
    return float(z), float(np.linalg.norm(mean - pred) / np.linalg.norm(pred))


def test_drift_over_three_chunks_with_the_teachers_covariance() -> None:
    """25,000 samples: chunks of 10,000, 10,000 and 5,000 of different spreads (the second
    moment must sum all three; the last chunk's alone gives other standard errors and z)."""
    rng = np.random.default_rng(19)
    m = 25_000
    X = rng.standard_normal((m, 4)) * np.array([1.0, 2.0, 0.5, 1.5])
    X[10_000:20_000] *= 3.0  # the chunks differ in spread
    y = rng.standard_normal(m)
    idx = np.array([[0, 1, 2], [3, 2, -1]])
    Q = np.array([[2.0, 0.5, 0.0], [0.5, 3.0, 0.25], [0.0, 0.25, 1.0]])
    w = np.array([0.3, -0.2, 0.7])
    cov = object()
    z, rel = drift.drift_at_start(_teacher(X, y, idx, Q, w, cov), rng, m=m)
    z0, rel0 = _oracle(X, y, idx, Q, w, 0.25)
    assert z == pytest.approx(z0, rel=1e-9)
    assert rel == pytest.approx(rel0, rel=1e-9)
