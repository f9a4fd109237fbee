r"""The exact second moments of the analysis: ``K``, ``ρ`` and the α = 1 error recursion.

Every result here is **[derived]** (``shared/spec/convotron-theory.md`` §3, corrected
2026-11-30); none is in GKM18, which hides its constants in :math:`O(\cdot)`.

Setting. Inputs :math:`x = Lz` with :math:`\Sigma = LL^\top` and :math:`z` with iid
standardised coordinates (:math:`\mathbb{E}z_j = 0`, :math:`\mathbb{E}z_j^2 = 1`) of
kurtosis :math:`\kappa = \mathbb{E}z_j^4` (Gaussian 3, Rademacher 1, uniform 9/5). This is
how the package samples every law: ``Identity`` (:math:`L = I`), ``Diagonal``
(:math:`L = \operatorname{diag}\sqrt{\sigma}`), ``AR1`` (the Cholesky factor, explicit:
:math:`L_{p1} = \rho^{p-1}`, :math:`L_{pq} = \sqrt{1-\rho^2}\,\rho^{p-q}` for
:math:`2 \le q \le p`) and ``Dense`` (its Cholesky factor, computed in one fixed order so that it
is the same on every processor; ``Dense.factor()``). For :math:`\kappa \ne 3`
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
  A_i^\top` (take :math:`H = C`). :math:`\beta = \lambda_{\max}(K)` is admissible in the
  second-moment lemma (``lem-second-moment``), and it is the smallest :math:`\beta` with
  :math:`\frac1k\sum_i \mathbb{E}[(u^\top P_i x)^2\|Px\|^2] \le \beta\|u\|^2` for every
  :math:`u` (the maximum of the quotient :math:`u^\top K u/\|u\|^2` over directions). It need
  not be the smallest :math:`\beta` with which the lemma's inequality
  :math:`\mathbb{E}[\|G\|^2 \mid w] \le \beta\|\Delta\|^2 + \rho` holds: the proof bounds
  :math:`(f_{w^*} - f_w)^2` by Jensen and the 1-Lipschitz activation, which can be strict.
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
>>> from convotron_theory.second_moment import second_moment_matrix, beta_exact
>>> idx = [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]          # 1d:8,4,2
>>> round(beta_exact(second_moment_matrix(8, idx, "identity", 3)), 9)
18.0
>>> # Rademacher inputs (kappa = 1)
>>> round(beta_exact(second_moment_matrix(8, idx, "identity", 1)), 4)
14.6667
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from . import _structured_sigma as _S
from . import notation as N
from ._linear_mse import MseRecursion, linear_mse_curve
from ._precond_moments import sympy_setup
from ._structured_sigma import cholesky_factor

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
KAPPA: dict[str, sp.Rational] = _S.KAPPA

#: :math:`\lambda_{\max}(K)`, the symbol of the exact β (used by
#: ``convotron_theory.bounds.BETA_EXACT``).
LAMBDA_MAX_K = N.lambda_max_K


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
    n, idx = _S.check_indices(n, indices)
    kap = _S.kappa_float(kappa)
    kind, payload = _S.cov_kind(n, cov)
    k = idx.shape[0]
    PS = _S.P_sigma(kind, payload, n, idx)  # PΣ, r x n; W_i = PΣP_iᵀ = PS[:, idx_i]
    trM = float(sum(np.trace(PS[:, idx[i]]) for i in range(k)))
    sum_S = np.zeros((idx.shape[1], idx.shape[1]))
    K = np.zeros_like(sum_S)
    for i in range(k):
        sum_S += _S.sigma_block(kind, payload, idx[i])  # A_iA_iᵀ = P_iΣP_iᵀ
        W = PS[:, idx[i]]
        K += W.T @ W  # A_iCA_iᵀ = (PΣP_iᵀ)ᵀ(PΣP_iᵀ)
    K = trM * sum_S + 2.0 * K
    if kap != 3.0:
        B = _S.B_matrix(kind, payload, n, idx)
        c = np.einsum("aj,aj->j", B, B)  # diag(C) = column norms² of B = PL
        if kind in ("identity", "diag"):  # L diagonal: A_i diag(C) A_iᵀ = diag(L_jj² c_j)
            d = np.ones(n) if kind == "identity" else payload
            for i in range(k):
                K[np.diag_indices_from(K)] += (kap - 3.0) * d[idx[i]] * c[idx[i]]
        else:
            for i in range(k):
                A = _S.L_rows(kind, payload, n, idx[i])
                K += (kap - 3.0) * (A * c) @ A.T
    K /= k
    return np.asarray((K + K.T) / 2)


def beta_exact(K: Any) -> float:
    r""":math:`\beta = \lambda_{\max}(K)` (floats) [derived].

    The smallest β with :math:`u^\top K u \le \beta\|u\|^2` for all :math:`u`, the bound the
    second-moment lemma's proof uses (see the module docstring).
    """
    return float(np.linalg.eigvalsh(np.asarray(K, dtype=float))[-1])


def _sympy_setup(
    n: int, indices: Any, Sigma: Any, L: Any, kappa: Any
) -> tuple[list[sp.Matrix], sp.Matrix, sp.Matrix, sp.Expr]:
    r"""Return ``(A, L, C, κ)`` in sympy: :math:`A_i = P_iL`, :math:`C = L^\top P^\top PL`.

    The set-up is :func:`convotron_theory._precond_moments.sympy_setup`'s (``B = PL``), one copy.
    """
    A, Lm, B, kap = sympy_setup(n, indices, Sigma, L, kappa)
    return A, Lm, B.T * B, kap


def second_moment_matrix_exact(
    n: int, indices: Any, Sigma: Any = None, kappa: Any = 3, L: Any = None
) -> sp.Matrix:
    r"""Return the exact :math:`K` as a sympy matrix (rational or symbolic κ, Σ) [derived].

    :math:`K = \frac1k\sum_i[\operatorname{tr}(C)A_iA_i^\top + 2A_iCA_i^\top
    + (\kappa-3)A_i\operatorname{diag}(C)A_i^\top]`, :math:`A_i = P_iL`, :math:`C = L^\top
    P^\top PL`; Σ = I when neither ``Sigma`` nor ``L`` is given; ``L`` defaults to the
    Cholesky factor of ``Sigma``. ``kappa`` may be a sympy symbol (e.g.
    ``convotron_theory.notation.kappa``).
    """
    A, _, C, kap = _sympy_setup(n, indices, Sigma, L, kappa)
    k = len(A)
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
    return sp.Max(*roots)  # Max of one root is that root


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
    n, idx = _S.check_indices(n, indices)
    kap = _S.kappa_float(kappa)
    kind, payload = _S.cov_kind(n, cov)
    k = idx.shape[0]
    trS = _S.trace_sigma(kind, payload, n)
    # PΣ (r x n) without Σ: row a = Σ_i Σ[idx_i[a], :]
    PS = _S.P_sigma(kind, payload, n, idx)
    trM = float(sum(PS[:, idx[i]].trace() for i in range(k)))  # tr(PΣPᵀ)
    out = trS * trM + 2.0 * float(np.sum(PS * PS))
    if kap != 3.0:
        B = _S.B_matrix(kind, payload, n, idx)
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
    _, Lm, C, kap = _sympy_setup(n, indices, Sigma, L, kappa)
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
    kind_noise, level = _S.noise_kind(noise)
    if kind_noise == "none":
        return 0.0
    n, idx = _S.check_indices(n, indices)
    kind, payload = _S.cov_kind(n, cov)
    if kind_noise == "independent":
        PS = _S.P_sigma(kind, payload, n, idx)
        return level**2 * float(sum(np.trace(PS[:, row]) for row in idx))
    return level**2 * norm_product_moment(n, idx, cov, kappa) / _S.trace_sigma(kind, payload, n)
