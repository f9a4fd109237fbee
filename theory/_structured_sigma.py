r"""Σ by its structure, and the checked inputs, for :mod:`convotron_theory.second_moment` (floats).

The covariances the package samples (``Identity``, ``Diagonal``, ``AR1``, ``Dense``) are read
here as ``(kind, payload)`` (:func:`cov_kind`), and the products the exact second moments need,
:math:`PL`, :math:`P\Sigma`, the blocks :math:`P_i\Sigma P_i^\top`, are formed from the
structure: only r×r, r×n and k×r×r arrays, never an n×n matrix for the structured kinds.
The validators of the other inputs (indices, κ, the noise model) live here too, so that
:mod:`convotron_theory.second_moment` and the α = 1 recursion (:mod:`convotron_theory._linear_mse`)
read their
inputs one way. Private: its public name :func:`cholesky_factor` is re-exported by
:mod:`convotron_theory.second_moment`; the rest serve that module and the recursion.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ._errors import TheoryError

#: Kurtosis :math:`\mathbb{E}z^4` of the package's standardised laws (exact rationals);
#: ``convotron_theory.second_moment.KAPPA``.
KAPPA: dict[str, sp.Rational] = {
    "gaussian": sp.Integer(3),
    "rademacher": sp.Integer(1),
    "uniform": sp.Rational(9, 5),
}


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def check_indices(n: Any, indices: Any) -> tuple[int, np.ndarray]:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 1:
        raise TheoryError(f"n must be a positive integer; got {n!r}. Pass the input dimension.")
    idx = np.asarray(indices)
    if idx.ndim != 2 or idx.shape[0] < 1 or idx.shape[1] < 1:
        raise TheoryError(
            f"indices must be a k x r array of input coordinates; got shape {idx.shape}. "
            "Pass one row of r indices per patch."
        )
    if not np.issubdtype(idx.dtype, np.integer):
        raise TheoryError(f"indices must be integers; got dtype {idx.dtype}. Pass integers.")
    if idx.min() < 0 or idx.max() >= int(n):
        raise TheoryError(
            f"indices must lie in 0..n-1 = 0..{int(n) - 1}; got values in "
            f"{idx.min()}..{idx.max()}. Check n and the scheme."
        )
    return int(n), idx.astype(np.int64)


def kappa_float(kappa: Any) -> float:
    if isinstance(kappa, str):
        if kappa not in KAPPA:
            raise TheoryError(
                f"kappa must be a number >= 1 or one of {sorted(KAPPA)}; got {kappa!r}."
            )
        return float(KAPPA[kappa])
    v = float(kappa)
    if not (math.isfinite(v) and v >= 1.0):
        raise TheoryError(
            f"kappa must be a finite number >= 1 (E z^4 >= (E z^2)^2 = 1); got {kappa!r}."
        )
    return v


def cov_kind(n: int, cov: Any) -> tuple[str, Any]:
    """Normalise ``cov`` to (kind, payload): identity, diag (vector), ar1 (rho), dense (L)."""
    if cov is None:
        return "identity", None
    if isinstance(cov, str):
        low = cov.strip().lower()
        if low == "identity":
            return "identity", None
        if not low.startswith("ar1:"):
            raise TheoryError(
                f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho), ('chol', L) or "
                f"an n x n matrix; got {cov!r}."
            )
        cov = ("ar1", float(low[4:]))  # read on as the tuple form
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "ar1":
        rho = float(cov[1])
        if not -1.0 < rho < 1.0:
            raise TheoryError(f"the AR(1) coefficient must lie in (-1, 1); got {rho!r}.")
        return "ar1", rho
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "diag":
        d = np.broadcast_to(np.asarray(cov[1], dtype=float), (n,)).copy()
        if not (np.all(np.isfinite(d)) and np.all(d >= 0)):
            raise TheoryError("a diagonal covariance must be finite and nonnegative.")
        return "diag", d
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "chol":
        L = np.asarray(cov[1], dtype=float)
        if L.shape != (n, n):
            raise TheoryError(f"L must be n x n = {n} x {n}; got shape {L.shape}.")
        return "dense", L
    S = np.asarray(cov, dtype=float)
    if S.shape != (n, n):
        raise TheoryError(f"a covariance matrix must be n x n = {n} x {n}; got shape {S.shape}.")
    return "dense", cholesky_factor(S)


def cholesky_factor(S: Any) -> np.ndarray:
    """Return the factor ``L`` (``S = L Lᵀ``) the package's ``Dense`` covariance samples with.

    ``numpy.linalg.cholesky`` when ``S`` is positive definite, else the symmetric square
    root of the eigendecomposition with negative eigenvalues clipped (as ``Dense`` does).
    """
    S = np.asarray(S, dtype=float)
    S = (S + S.T) / 2
    try:
        return np.asarray(np.linalg.cholesky(S))
    except np.linalg.LinAlgError:
        evals, evecs = np.linalg.eigh(S)
        return np.asarray(evecs * np.sqrt(np.clip(evals, 0.0, None)))


def ar1_L_rows(rows: np.ndarray, n: int, rho: float) -> np.ndarray:
    """Rows ``rows`` of the AR(1) Cholesky factor (``len(rows) x n``; lower triangular)."""
    s = math.sqrt(1.0 - rho * rho)
    p = rows[:, None].astype(float)
    q = np.arange(n)[None, :].astype(float)
    # the exponents are clipped at 0: no 0 ** negative, so no floating-point warning to silence
    L = np.where(q <= p, s * np.power(rho, np.maximum(p - q, 0.0)), 0.0)
    L[:, 0] = np.power(rho, rows.astype(float))
    return np.asarray(L)


def L_rows(kind: str, payload: Any, n: int, rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` of L (len(rows) x n)."""
    if kind == "identity":
        out = np.zeros((len(rows), n))
        out[np.arange(len(rows)), rows] = 1.0
        return out
    if kind == "diag":
        out = np.zeros((len(rows), n))
        out[np.arange(len(rows)), rows] = np.sqrt(payload[rows])
        return out
    if kind == "ar1":
        return ar1_L_rows(rows, n, payload)
    return np.asarray(payload[rows])


def trace_sigma(kind: str, payload: Any, n: int) -> float:
    if kind in ("identity", "ar1"):
        return float(n)
    if kind == "diag":
        return float(payload.sum())
    return float(np.sum(payload * payload))


def B_matrix(kind: str, payload: Any, n: int, idx: np.ndarray) -> np.ndarray:
    """``B = P L`` (r x n): row a is the sum over patches of the rows ``idx[:, a]`` of L."""
    k, r = idx.shape
    B = np.zeros((r, n))
    for i in range(k):
        B += L_rows(kind, payload, n, idx[i])
    return B


def P_sigma(kind: str, payload: Any, n: int, idx: np.ndarray) -> np.ndarray:
    """``PΣ`` (r x n) without Σ: row a is the sum over patches of the rows ``idx[:, a]`` of Σ."""
    k, r = idx.shape
    if kind == "identity":
        out = np.zeros((r, n))
        np.add.at(out, (np.tile(np.arange(r), k), idx.reshape(-1)), 1.0)
        return out
    if kind == "diag":
        out = np.zeros((r, n))
        np.add.at(out, (np.tile(np.arange(r), k), idx.reshape(-1)), payload[idx.reshape(-1)])
        return out
    if kind == "ar1":  # Σ Pᵀ by the AR(1) recursions, O(n r): (Σv)_p = f_p + b_p − v_p
        V = np.zeros((n, r))
        np.add.at(V, (idx.reshape(-1), np.tile(np.arange(r), k)), 1.0)
        f, b = V.copy(), V.copy()
        for p in range(1, n):
            f[p] += payload * f[p - 1]
        for p in range(n - 2, -1, -1):
            b[p] += payload * b[p + 1]
        return np.asarray((f + b - V).T)
    L = payload  # dense: PΣ = (PL)Lᵀ
    return np.asarray(B_matrix(kind, L, n, idx) @ L.T)


def sigma_block(kind: str, payload: Any, rows: np.ndarray) -> np.ndarray:
    """``Σ[rows, rows]`` (``P_i Σ P_iᵀ``), r x r."""
    if kind == "identity":
        return np.eye(len(rows))
    if kind == "diag":
        return np.diag(payload[rows])
    if kind == "ar1":
        return np.asarray(np.power(payload, np.abs(rows[:, None] - rows[None, :]).astype(float)))
    L = payload[rows]
    return np.asarray(L @ L.T)


def noise_kind(noise: Any) -> tuple[str, float]:
    if noise is None:
        return "none", 0.0
    if isinstance(noise, int | float | np.floating | np.integer) and not isinstance(noise, bool):
        v = float(noise)
        return ("none", 0.0) if v == 0 else ("independent", abs(v))
    if isinstance(noise, tuple) and len(noise) == 2 and noise[0] in ("independent", "hetero"):
        v = float(noise[1])
        if not (math.isfinite(v) and v >= 0):
            raise TheoryError(f"the noise level must be finite and >= 0; got {noise[1]!r}.")
        return ("none", 0.0) if v == 0 else (str(noise[0]), v)
    raise TheoryError(
        f"noise must be None, a level ς, ('independent', ς) or ('hetero', ς); got {noise!r}."
    )
