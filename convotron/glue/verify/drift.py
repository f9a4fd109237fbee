"""Checks of the drift identity at the start, and the floor of a singular scheme.

See :mod:`convotron.glue.verify` ("Drift at the start") for what is compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DRIFT_SAMPLES", "DRIFT_Z_LIMIT", "drift_at_start", "kernel_floor"]

#: Fresh samples for the drift check at ``w_1 = 0``.
DRIFT_SAMPLES = 50_000

#: ``|z|`` above which the drift check reports the identity as failing: for a symmetric law
#: each coordinate's ``z`` is approximately standard normal, ``P[|N(0,1)| > 6] ≈ 2e-9``.
DRIFT_Z_LIMIT = 6.0


def kernel_floor(scheme: Any, cov: Any, w_star: np.ndarray, lambda_max: float) -> float:
    """``Σ_j (u_jᵀ w*)²`` over an orthonormal basis of the (numerical) kernel of ``M``.

    A value at the rounding level of ``‖w*‖²`` (at most ``64 ε ‖w*‖²``, ``ε = 2.2e-16``) is
    0: a ``w*`` orthogonal to the kernel gives rounding residuals such as ``5e-34`` whose
    value depends on the processor's BLAS kernels.
    """
    M = np.asarray(scheme.overlap_matrix(cov), dtype=np.float64)
    vals, vecs = np.linalg.eigh(M)
    ker = vecs[:, vals <= 1e-9 * max(lambda_max, 1.0)]
    w = np.asarray(w_star, dtype=np.float64)
    floor = float(np.sum((ker.T @ w) ** 2))
    return 0.0 if floor <= 64.0 * float(np.finfo(np.float64).eps) * float(w @ w) else floor


def drift_at_start(
    teacher: Any, rng: np.random.Generator, *, only_patch: int | None = None, m: int = DRIFT_SAMPLES
) -> tuple[float, float]:
    r"""Check ``lem-drift`` (L2, [derived]) at ``w_1 = 0`` by Monte Carlo.

    At ``w = 0`` the update is ``G = y Px`` (or ``y P_j x`` along patch ``j``), and L2 predicts
    ``E[G] = ((1+α)/(2k)) Q w*`` with ``Q = PΣPᵀ = M`` (or ``Q = P_j Σ Pᵀ``). This holds for a
    *symmetric* input law with ``E[ξ | x] = 0``; for an asymmetric law it generally fails.

    Returns
    -------
    max_abs_z : float
        ``max_a |mean_a − predicted_a| / SE_a`` over the ``r`` coordinates (``SE`` from the
        sample standard deviation of the ``m`` updates).
    rel_error : float
        ``‖mean − predicted‖ / ‖predicted‖``.
    """
    scheme, cov = teacher.scheme, teacher.cov
    w_star = np.asarray(teacher.w_star, dtype=np.float64)
    idx = np.asarray(scheme.indices)
    total = np.zeros(scheme.r)
    total_sq = np.zeros(scheme.r)
    done = 0
    while done < m:
        size = min(10_000, m - done)
        X, y = teacher.sample(rng, size)
        Xp = np.concatenate([X, np.zeros((X.shape[0], 1))], axis=1)  # index -1: a padded 0
        PX = Xp[:, idx[only_patch]] if only_patch is not None else Xp[:, idx].sum(axis=1)
        G = np.asarray(y, dtype=np.float64)[:, None] * PX
        total += G.sum(axis=0)
        total_sq += (G * G).sum(axis=0)
        done += size
    mean = total / m
    var = np.maximum(total_sq / m - mean**2, 0.0) * m / (m - 1)
    rows = idx[only_patch] if only_patch is not None else None
    if rows is None:
        Q = np.asarray(scheme.overlap_matrix(cov), dtype=np.float64)
    else:
        Q = np.zeros((scheme.r, scheme.r))
        for i in range(scheme.k):
            Q += np.asarray(cov.block(rows, idx[i]), dtype=np.float64)
    predicted = (1.0 + teacher.alpha) / (2.0 * scheme.k) * (Q @ w_star)
    se = np.sqrt(var / m)
    diff = np.abs(mean - predicted)
    z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff > 1e-12, np.inf, 0.0))
    rel = float(np.linalg.norm(mean - predicted) / max(float(np.linalg.norm(predicted)), 1e-300))
    return float(np.max(z)), rel
