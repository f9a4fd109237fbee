r"""The exact second moments of the analysis: ``K``, ``ρ`` and the α = 1 error recursion.

Every result here is **[derived]** (``shared/spec/convotron-theory.md`` §3, corrected
2026-11-30); none is in GKM18, which hides its constants in :math:`O(\cdot)`.

Setting. Inputs :math:`x = Lz` with :math:`\Sigma = LL^\top` and :math:`z` with iid
standardised coordinates (:math:`\mathbb{E}z_j = 0`, :math:`\mathbb{E}z_j^2 = 1`) of
kurtosis :math:`\kappa = \mathbb{E}z_j^4` (Gaussian 3, Rademacher 1, uniform 9/5). This is
how the package samples every law: ``Identity`` (:math:`L = I`), ``Diagonal``
(:math:`L = \operatorname{diag}\sqrt{\sigma}`), ``AR1`` (the Cholesky factor, explicit:
:math:`L_{p1} = \rho^{p-1}`, :math:`L_{pq} = \sqrt{1-\rho^2}\,\rho^{p-q}` for
:math:`2 \le q \le p`) and ``Dense`` (``numpy.linalg.cholesky``). For :math:`\kappa \ne 3`
the law of :math:`x` depends on the choice of :math:`L`, so :math:`L` is part of the input.

The one identity everything rests on [derived]. For a symmetric :math:`H`,

.. math::

    \mathbb{E}[z z^\top H z z^\top] = \operatorname{tr}(H)\, I + 2H
        + (\kappa - 3)\operatorname{diag}(H),

because :math:`\mathbb{E}[z_a z_b z_c z_d] = \delta_{ab}\delta_{cd} + \delta_{ac}\delta_{bd}
+ \delta_{ad}\delta_{bc} + (\kappa-3)\delta_{abcd}` (pairings as for a Gaussian, Isserlis,
plus the fourth cumulant on the diagonal; the patterns with an odd power vanish because
the coordinates are independent with mean 0). Consequences, with :math:`A_i = P_iL`,
:math:`B = PL = \sum_i A_i`, :math:`C = B^\top B`, :math:`D = L^\top L`:

* ``K`` (lem-exact-k): :math:`\frac1k\sum_i \mathbb{E}[(u^\top P_i x)^2\|Px\|^2]
  = u^\top K u` with
  :math:`K = \frac1k\sum_i A_i[\operatorname{tr}(C) I + 2C + (\kappa-3)\operatorname{diag}(C)]
  A_i^\top` (take :math:`H = C`). :math:`\beta = \lambda_{\max}(K)` is admissible in L4 and is
  the smallest :math:`\beta` with which L4's inequality holds for every :math:`u` (the
  quotient's maximum over directions).
* the norm-product moment: :math:`\mathbb{E}[\|x\|^2\|Px\|^2] = \operatorname{tr}D
  \operatorname{tr}C + 2\operatorname{tr}(DC) + (\kappa-3)\sum_j D_{jj}C_{jj}`; for a Gaussian
  :math:`\operatorname{tr}\Sigma\operatorname{tr}M + 2\operatorname{tr}(P\Sigma^2P^\top)`.
* ``ρ``: independent noise of variance :math:`\varsigma^2`: :math:`\varsigma^2\operatorname{tr}M`;
  heteroscedastic :math:`\xi = \varsigma\|x\|g/\sqrt{\operatorname{tr}\Sigma}`,
  :math:`g \sim N(0,1)` independent: :math:`\rho = \varsigma^2\,\mathbb{E}[\|x\|^2\|Px\|^2]
  /\operatorname{tr}\Sigma`.
* the α = 1 recursion: with :math:`f_w(x) = w^\top Px/k`, :math:`G = (y - f_w(x))Px`,
  :math:`\Delta = w - w^*`, :math:`q = Px`: :math:`\Delta_{t+1} = (I - \tfrac{\eta}{k}qq^\top)
  \Delta_t + \eta\xi q`, so :math:`S_t = \mathbb{E}[\Delta_t\Delta_t^\top]` evolves by the
  linear map

  .. math::

      S \mapsto{} & S - \tfrac{\eta}{k}(MS + SM) + \eta^2 N \\
      & + \tfrac{\eta^2}{k^2}\big(\operatorname{tr}(SM)M + 2MSM
      + (\kappa-3)B\operatorname{diag}(B^\top SB)B^\top\big),

  :math:`N = \mathbb{E}[\xi^2 qq^\top]` (:math:`\varsigma^2M` for independent noise,
  :math:`\frac{\varsigma^2}{\operatorname{tr}\Sigma}B[\operatorname{tr}(D)I + 2D
  + (\kappa-3)\operatorname{diag}D]B^\top` for heteroscedastic noise), the cross terms
  vanishing as :math:`\mathbb{E}[\xi\mid x] = 0`. With a batch of :math:`b` samples per
  step the fourth-moment and noise terms are divided by :math:`b` and
  :math:`(1 - 1/b)\tfrac{\eta^2}{k^2}MSM` is added. :math:`\mathbb{E}\|w_t - w^*\|^2
  = \operatorname{tr}S_t`, :math:`S_0 = w^*w^{*\top}` (:math:`w_1 = 0`).

Two implementations of ``K``: :func:`second_moment_matrix_exact` (sympy, any rational or
symbolic κ and Σ, small schemes) and :func:`second_moment_matrix` (floats; only r×r, r×n
and k×r×r arrays: never an n×n matrix for the structured covariances).

Examples
--------
>>> from theory.second_moment import second_moment_matrix, beta_exact
>>> idx = [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]          # 1d:8,4,2
>>> round(beta_exact(second_moment_matrix(8, idx, "identity", 3)), 9)
18.0
>>> # Rademacher inputs (kappa = 1)
>>> round(beta_exact(second_moment_matrix(8, idx, "identity", 1)), 4)
14.6667
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from . import notation as N
from ._errors import TheoryError

__all__ = [
    "KAPPA",
    "LAMBDA_MAX_K",
    "MseRecursion",
    "beta_exact",
    "beta_exact_sympy",
    "cholesky_factor",
    "linear_mse_curve",
    "norm_product_moment",
    "norm_product_moment_exact",
    "rho_exact",
    "second_moment_matrix",
    "second_moment_matrix_exact",
]

#: Kurtosis :math:`\mathbb{E}z^4` of the package's standardised laws (exact rationals).
KAPPA: dict[str, sp.Rational] = {
    "gaussian": sp.Integer(3),
    "rademacher": sp.Integer(1),
    "uniform": sp.Rational(9, 5),
}

#: :math:`\lambda_{\max}(K)`, the symbol of the exact β (used by ``theory.bounds.BETA_EXACT``).
LAMBDA_MAX_K = N.lambda_max_K


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def _indices(n: Any, indices: Any) -> tuple[int, np.ndarray]:
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


def _kappa_float(kappa: Any) -> float:
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


def _cov(n: int, cov: Any) -> tuple[str, Any]:
    """Normalise ``cov`` to (kind, payload): identity, diag (vector), ar1 (rho), dense (L)."""
    if cov is None:
        return "identity", None
    if isinstance(cov, str):
        low = cov.strip().lower()
        if low == "identity":
            return "identity", None
        if low.startswith("ar1:"):
            return _cov(n, ("ar1", float(low[4:])))
        raise TheoryError(
            f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho), ('chol', L) or an "
            f"n x n matrix; got {cov!r}."
        )
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


def _ar1_L_rows(rows: np.ndarray, n: int, rho: float) -> np.ndarray:
    """Rows ``rows`` of the AR(1) Cholesky factor (``len(rows) x n``; lower triangular)."""
    s = math.sqrt(1.0 - rho * rho)
    p = rows[:, None].astype(float)
    q = np.arange(n)[None, :].astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        L = np.where(q <= p, s * np.power(rho, np.maximum(p - q, 0.0)), 0.0)
    L[:, 0] = np.power(rho, rows.astype(float))
    return np.asarray(L)


def _sigma_cols(kind: str, payload: Any, n: int, cols: np.ndarray) -> np.ndarray:
    """Columns ``cols`` of Σ (n x len(cols)), without forming Σ for the structured kinds."""
    if kind == "identity":
        out = np.zeros((n, len(cols)))
        out[cols, np.arange(len(cols))] = 1.0
        return out
    if kind == "diag":
        out = np.zeros((n, len(cols)))
        out[cols, np.arange(len(cols))] = payload[cols]
        return out
    if kind == "ar1":
        return np.asarray(
            np.power(payload, np.abs(np.arange(n)[:, None] - cols[None, :]).astype(float))
        )
    L = payload
    return np.asarray(L @ L[cols].T)


def _L_rows(kind: str, payload: Any, n: int, rows: np.ndarray) -> np.ndarray:
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
        return _ar1_L_rows(rows, n, payload)
    return np.asarray(payload[rows])


def _trace_sigma(kind: str, payload: Any, n: int) -> float:
    if kind in ("identity", "ar1"):
        return float(n)
    if kind == "diag":
        return float(payload.sum())
    return float(np.sum(payload * payload))


def _B_matrix(kind: str, payload: Any, n: int, idx: np.ndarray) -> np.ndarray:
    """``B = P L`` (r x n): row a is the sum over patches of the rows ``idx[:, a]`` of L."""
    k, r = idx.shape
    B = np.zeros((r, n))
    for i in range(k):
        B += _L_rows(kind, payload, n, idx[i])
    return B


def _P_sigma(kind: str, payload: Any, n: int, idx: np.ndarray) -> np.ndarray:
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
    out = np.zeros((r, n))
    for i in range(k):
        out += _sigma_cols(kind, payload, n, idx[i]).T
    return out


def _sigma_block(kind: str, payload: Any, rows: np.ndarray) -> np.ndarray:
    """``Σ[rows, rows]`` (``P_i Σ P_iᵀ``), r x r."""
    if kind == "identity":
        return np.eye(len(rows))
    if kind == "diag":
        return np.diag(payload[rows])
    if kind == "ar1":
        return np.asarray(np.power(payload, np.abs(rows[:, None] - rows[None, :]).astype(float)))
    L = payload[rows]
    return np.asarray(L @ L.T)


# --------------------------------------------------------------------------------------------
# K
# --------------------------------------------------------------------------------------------
def second_moment_matrix(n: int, indices: Any, cov: Any = "identity", kappa: Any = 3) -> np.ndarray:
    r"""Return the exact :math:`K` (r×r, floats) of lem-exact-k [derived].

    :math:`u^\top K u = \frac1k\sum_i\mathbb{E}[(u^\top P_ix)^2\|Px\|^2]` for :math:`x = Lz`
    with iid standardised coordinates of kurtosis ``kappa``.

    Parameters
    ----------
    n : int
        Input dimension.
    indices : (k, r) array of int
        The patches' coordinates (row i lists the coordinates patch i reads).
    cov : "identity", "ar1:RHO", ("ar1", rho), ("diag", d), ("chol", L) or (n, n) array
        The covariance; a dense matrix is factored by :func:`cholesky_factor` (the package's
        sampler); ``("chol", L)`` passes the factor itself.
    kappa : float or {"gaussian", "rademacher", "uniform"}
        :math:`\mathbb{E}z^4` of one coordinate.

    Notes
    -----
    Uses :math:`A_iA_i^\top = P_i\Sigma P_i^\top`, :math:`\operatorname{tr}C = \operatorname{tr}M`,
    :math:`A_iCA_i^\top = W_i^\top W_i` with :math:`W_i = P\Sigma P_i^\top` (r×r), and for
    :math:`\kappa \ne 3` :math:`A_i\operatorname{diag}(C)A_i^\top` with the r×n rows of L.
    """
    n, idx = _indices(n, indices)
    kap = _kappa_float(kappa)
    kind, payload = _cov(n, cov)
    k = idx.shape[0]
    PS = _P_sigma(kind, payload, n, idx)  # PΣ, r x n; W_i = PΣP_iᵀ = PS[:, idx_i]
    trM = float(sum(np.trace(PS[:, idx[i]]) for i in range(k)))
    sum_S = np.zeros((idx.shape[1], idx.shape[1]))
    K = np.zeros_like(sum_S)
    for i in range(k):
        sum_S += _sigma_block(kind, payload, idx[i])  # A_iA_iᵀ = P_iΣP_iᵀ
        W = PS[:, idx[i]]
        K += W.T @ W  # A_iCA_iᵀ = (PΣP_iᵀ)ᵀ(PΣP_iᵀ)
    K = trM * sum_S + 2.0 * K
    if kap != 3.0:
        B = _B_matrix(kind, payload, n, idx)
        c = np.einsum("aj,aj->j", B, B)  # diag(C) = column norms² of B = PL
        if kind in ("identity", "diag"):  # L diagonal: A_i diag(C) A_iᵀ = diag(L_jj² c_j)
            d = np.ones(n) if kind == "identity" else payload
            for i in range(k):
                K[np.diag_indices_from(K)] += (kap - 3.0) * d[idx[i]] * c[idx[i]]
        else:
            for i in range(k):
                A = _L_rows(kind, payload, n, idx[i])
                K += (kap - 3.0) * (A * c) @ A.T
    K /= k
    return np.asarray((K + K.T) / 2)


def beta_exact(K: Any) -> float:
    r""":math:`\beta = \lambda_{\max}(K)` (floats), the sharpest β of L4's proof [derived]."""
    return float(np.linalg.eigvalsh(np.asarray(K, dtype=float))[-1])


def _sympy_setup(n: int, indices: Any, Sigma: Any, L: Any) -> tuple[list[sp.Matrix], sp.Matrix]:
    n, idx = _indices(n, indices)
    k, r = idx.shape
    if L is None:
        if Sigma is None:
            L = sp.eye(n)
        else:
            L = sp.Matrix(Sigma).cholesky(hermitian=False)
    L = sp.Matrix(L)
    if L.shape != (n, n):
        raise TheoryError(f"L must be n x n = {n} x {n}; got shape {L.shape}.")
    A = []
    for i in range(k):
        Pi = sp.zeros(r, n)
        for a in range(r):
            Pi[a, int(idx[i, a])] = 1
        A.append(Pi * L)
    return A, L


def second_moment_matrix_exact(
    n: int, indices: Any, Sigma: Any = None, kappa: Any = 3, L: Any = None
) -> sp.Matrix:
    r"""Return the exact :math:`K` as a sympy matrix (rational or symbolic κ, Σ) [derived].

    :math:`K = \frac1k\sum_i[\operatorname{tr}(C)A_iA_i^\top + 2A_iCA_i^\top
    + (\kappa-3)A_i\operatorname{diag}(C)A_i^\top]`, :math:`A_i = P_iL`, :math:`C = L^\top
    P^\top PL`; Σ = I when neither ``Sigma`` nor ``L`` is given; ``L`` defaults to the
    Cholesky factor of ``Sigma``. ``kappa`` may be a sympy symbol (e.g. ``theory.notation.kappa``).
    """
    A, _ = _sympy_setup(n, indices, Sigma, L)
    kap = KAPPA[kappa] if isinstance(kappa, str) else sp.sympify(kappa)
    k = len(A)
    B = sp.zeros(*A[0].shape)
    for Ai in A:
        B += Ai
    C = B.T * B
    dC = sp.diag(*[C[j, j] for j in range(C.shape[0])])
    trC = C.trace()
    K = sp.zeros(A[0].shape[0], A[0].shape[0])
    for Ai in A:
        K += trC * Ai * Ai.T + 2 * Ai * C * Ai.T + (kap - 3) * Ai * dC * Ai.T
    return (K / k).applyfunc(sp.expand)


def beta_exact_sympy(K: sp.Matrix) -> sp.Expr:
    r""":math:`\lambda_{\max}(K)` exactly: the largest real root of the characteristic polynomial.

    For a rational ``K`` the result is an integer, a rational, a radical or a ``CRootOf``
    (evaluate with ``float``).
    """
    lam = sp.Symbol("lam")
    poly = sp.Poly(sp.Matrix(K).charpoly(lam).as_expr(), lam)
    roots = sp.real_roots(poly)
    return sp.Max(*roots) if len(roots) > 1 else roots[0]


# --------------------------------------------------------------------------------------------
# E[‖x‖²‖Px‖²] and ρ
# --------------------------------------------------------------------------------------------
def norm_product_moment(n: int, indices: Any, cov: Any = "identity", kappa: Any = 3) -> float:
    r"""Exact :math:`\mathbb{E}[\|x\|^2\|Px\|^2]` (floats) for :math:`x = Lz` [derived].

    :math:`\operatorname{tr}D\operatorname{tr}C + 2\operatorname{tr}(DC)
    + (\kappa-3)\sum_jD_{jj}C_{jj}`, :math:`D = L^\top L`, :math:`C = L^\top P^\top PL`;
    Gaussian: :math:`\operatorname{tr}\Sigma\operatorname{tr}M
    + 2\operatorname{tr}(P\Sigma^2P^\top)`
    (:math:`\operatorname{tr}(DC) = \operatorname{tr}(P\Sigma^2P^\top) = \|P\Sigma\|_F^2`).
    """
    n, idx = _indices(n, indices)
    kap = _kappa_float(kappa)
    kind, payload = _cov(n, cov)
    k = idx.shape[0]
    trS = _trace_sigma(kind, payload, n)
    # PΣ (r x n) without Σ: row a = Σ_i Σ[idx_i[a], :]
    PS = _P_sigma(kind, payload, n, idx)
    trM = float(sum(PS[:, idx[i]].trace() for i in range(k)))  # tr(PΣPᵀ)
    out = trS * trM + 2.0 * float(np.sum(PS * PS))
    if kap != 3.0:
        B = _B_matrix(kind, payload, n, idx)
        c = np.einsum("aj,aj->j", B, B)
        if kind == "identity":
            dD = np.ones(n)
        elif kind == "diag":
            dD = payload.copy()
        elif kind == "ar1":
            s2 = 1.0 - payload**2
            # (LᵀL)_qq = Σ_{p≥q} L_pq²: q = 0: Σ_p ρ^{2p}; q ≥ 1: s² Σ_{p≥q} ρ^{2(p-q)}
            j = np.arange(n, dtype=float)
            geo = (1 - payload ** (2 * (n - j))) / s2
            dD = s2 * geo
            dD[0] = geo[0]
        else:
            dD = np.einsum("pj,pj->j", payload, payload)
        out += (kap - 3.0) * float(np.dot(dD, c))
    return float(out)


def norm_product_moment_exact(
    n: int, indices: Any, Sigma: Any = None, kappa: Any = 3, L: Any = None
) -> sp.Expr:
    r"""Exact :math:`\mathbb{E}[\|x\|^2\|Px\|^2]` in sympy (see :func:`norm_product_moment`)."""
    A, Lm = _sympy_setup(n, indices, Sigma, L)
    kap = KAPPA[kappa] if isinstance(kappa, str) else sp.sympify(kappa)
    B = sp.zeros(*A[0].shape)
    for Ai in A:
        B += Ai
    C = B.T * B
    D = Lm.T * Lm
    diag_term = sum(D[j, j] * C[j, j] for j in range(D.shape[0]))
    return sp.expand(D.trace() * C.trace() + 2 * (D * C).trace() + (kap - 3) * diag_term)


def rho_exact(
    n: int,
    indices: Any,
    cov: Any = "identity",
    kappa: Any = 3,
    noise: Any = None,
) -> float:
    r"""Exact :math:`\rho = \mathbb{E}[\xi^2\|Px\|^2]` for each noise model [derived].

    Parameters
    ----------
    noise : None, float, ("independent", ς) or ("hetero", ς)
        None or 0: :math:`\rho = 0`. A float or ``("independent", ς)``: noise independent of
        x with variance ς², :math:`\rho = \varsigma^2\operatorname{tr}M` (any law of ξ).
        ``("hetero", ς)``: :math:`\xi = \varsigma\|x\|g/\sqrt{\operatorname{tr}\Sigma}`,
        :math:`\rho = \varsigma^2\mathbb{E}[\|x\|^2\|Px\|^2]/\operatorname{tr}\Sigma`
        (:func:`norm_product_moment`).
    """
    kind_noise, level = _noise(noise)
    if kind_noise == "none":
        return 0.0
    n, idx = _indices(n, indices)
    kind, payload = _cov(n, cov)
    if kind_noise == "independent":
        PS = _P_sigma(kind, payload, n, idx)
        return level**2 * float(sum(np.trace(PS[:, row]) for row in idx))
    return level**2 * norm_product_moment(n, idx, cov, kappa) / _trace_sigma(kind, payload, n)


def _noise(noise: Any) -> tuple[str, float]:
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


# --------------------------------------------------------------------------------------------
# α = 1: the exact mean-square error recursion
# --------------------------------------------------------------------------------------------
class MseRecursion:
    r"""The linear map :math:`S_t \mapsto S_{t+1}` of the α = 1 error second moment [derived].

    See the module docstring; :meth:`step` applies it once, :meth:`curve` iterates it.
    """

    def __init__(
        self,
        n: int,
        indices: Any,
        cov: Any = "identity",
        kappa: Any = 3,
        eta: float = 0.01,
        noise: Any = None,
        batch: int = 1,
    ) -> None:
        n, idx = _indices(n, indices)
        self.n, self.idx = n, idx
        self.k, self.r = idx.shape
        self.kappa = _kappa_float(kappa)
        self.eta = float(eta)
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise TheoryError(f"eta must be a positive finite number; got {eta!r}.")
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise TheoryError(f"batch must be a positive integer; got {batch!r}.")
        self.batch = int(batch)
        kind, payload = _cov(n, cov)
        self.B = _B_matrix(kind, payload, n, idx)  # P L, r x n
        self.M = self.B @ self.B.T  # P Σ Pᵀ
        kn, level = _noise(noise)
        if kn == "none":
            self.N = np.zeros((self.r, self.r))
        elif kn == "independent":
            self.N = level**2 * self.M
        else:
            trS = _trace_sigma(kind, payload, n)
            # B D Bᵀ with D = LᵀL: (B Lᵀ)(B Lᵀ)ᵀ ; B Lᵀ = P L Lᵀ = P Σ (r x n)
            PSig = _P_sigma(kind, payload, n, idx)
            N = trS * self.M + 2.0 * PSig @ PSig.T
            if self.kappa != 3.0:
                Lfull = _L_rows(kind, payload, n, np.arange(n))
                dD = np.einsum("pj,pj->j", Lfull, Lfull)
                N += (self.kappa - 3.0) * (self.B * dD) @ self.B.T
            self.N = level**2 / trS * N

    def step(self, S: np.ndarray) -> np.ndarray:
        """One application of the linear map to the error second moment ``S`` (r×r)."""
        eta, k, M, b = self.eta, self.k, self.M, self.batch
        MS = M @ S
        fourth = float(np.trace(MS)) * M + 2.0 * MS @ M
        if self.kappa != 3.0:
            h = np.einsum("aj,ab,bj->j", self.B, S, self.B)  # diag(Bᵀ S B)
            fourth = fourth + (self.kappa - 3.0) * (self.B * h) @ self.B.T
        out = (
            S
            - (eta / k) * (MS + MS.T)
            + (eta / k) ** 2 * (fourth / b + (1.0 - 1.0 / b) * MS @ M)
            + eta**2 * self.N / b
        )
        return (out + out.T) / 2

    def curve(self, w_star: Any, T: int, record: Any = None) -> tuple[np.ndarray, np.ndarray]:
        r"""Return ``(ts, mse)``: :math:`\mathbb{E}\|w_t - w^*\|^2` after ``t`` updates, w_1 = 0.

        ``record`` is a period m (records at 0, m, 2m, ... and T, as ``RunResult.history``),
        a sequence of update counts, or None (every t = 0..T).
        """
        ws = np.asarray(w_star, dtype=float).reshape(-1)
        if ws.shape != (self.r,):
            raise TheoryError(f"w_star must have r = {self.r} entries; got shape {ws.shape}.")
        if isinstance(T, bool) or not isinstance(T, int | np.integer) or T < 0:
            raise TheoryError(f"T must be a nonnegative integer; got {T!r}.")
        ts = _record_times(int(T), record)
        S = np.outer(ws, ws)
        out = np.empty(len(ts))
        t = 0
        for j, target in enumerate(ts):
            while t < target:
                S = self.step(S)
                t += 1
            out[j] = float(np.trace(S))
        return ts, out


def _record_times(T: int, record: Any) -> np.ndarray:
    if record is None:
        return np.arange(T + 1)
    if isinstance(record, bool):
        raise TheoryError(f"record must be a period, a sequence of times or None; got {record!r}.")
    if isinstance(record, int | np.integer) and not isinstance(record, bool):
        if record < 1:
            raise TheoryError(f"record must be a positive period; got {record!r}.")
        ts = list(range(0, T + 1, int(record)))
        if ts[-1] != T:
            ts.append(T)
        return np.asarray(ts)
    ts_arr = np.asarray(record, dtype=np.int64).reshape(-1)
    if ts_arr.size and (np.any(np.diff(ts_arr) < 0) or ts_arr.min() < 0 or ts_arr.max() > T):
        raise TheoryError("record times must be nondecreasing and lie in 0..T.")
    return ts_arr


def linear_mse_curve(
    n: int,
    indices: Any,
    cov: Any,
    kappa: Any,
    eta: float,
    w_star: Any,
    noise: Any,
    T: int,
    record: Any = None,
    *,
    batch: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact :math:`\mathbb{E}\|w_t - w^*\|^2` of Convotron with α = 1 (linear), t = 0..T.

    [derived] (module docstring): the error second moment evolves by a linear map on r×r
    matrices. ``kappa`` = 3 for Gaussian inputs; other κ are exact for :math:`x = Lz` with
    iid standardised coordinates. Returns ``(ts, mse)`` at the recorded update counts
    (``record``: a period m as in ``convotron(..., record_every=m)``, a sequence, or None).
    """
    rec = MseRecursion(n, indices, cov, kappa, eta, noise, batch)
    return rec.curve(w_star, T, record)
