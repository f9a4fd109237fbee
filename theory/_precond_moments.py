r"""The exact fourth moments of the preconditioned analysis, :math:`K_H` and :math:`\rho_H`.

Private: the public names are re-exported by :mod:`convotron_theory.precondition`, whose docstring
states
and proves what is computed here. Same setting as :mod:`convotron_theory.second_moment`: :math:`x =
Lz`,
:math:`z` with iid standardised coordinates of kurtosis :math:`\kappa`, every covariance kind of
:func:`convotron_theory._structured_sigma.cov_kind`; :math:`A_i = P_iL`, :math:`B = PL`, and for a
fixed
symmetric :math:`H` (r×r) :math:`C_H = B^\top HB`. The one identity
:math:`\mathbb{E}[zz^\top Czz^\top] = \operatorname{tr}(C)I + 2C + (\kappa-3)\operatorname{diag}(C)`
gives, with :math:`q = Px = Bz`,

.. math::

    K_H &= \tfrac1k\textstyle\sum_i A_i\bigl[\operatorname{tr}(HM)I + 2C_H
        + (\kappa-3)\operatorname{diag}(C_H)\bigr]A_i^\top, \\
    \mathbb{E}[(q^\top Hq)\,qq^\top] &= \operatorname{tr}(HM)M + 2MHM
        + (\kappa-3)B\operatorname{diag}(C_H)B^\top,

(``A_iC_HA_i^\top = W_i^\top HW_i`` with :math:`W_i = P\Sigma P_i^\top`, ``BC_HB^\top = MHM``),
and the norm moment :math:`\mathbb{E}[\|x\|^2q^\top Hq] = \operatorname{tr}D\operatorname{tr}(HM)
+ 2\operatorname{tr}(HP\Sigma^2P^\top) + (\kappa-3)\sum_jD_{jj}(C_H)_{jj}`, :math:`D = L^\top L`.
Only r×r, r×n and k×r×r arrays are formed for the structured covariances.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
import sympy as sp

from . import _structured_sigma as _S
from ._errors import HypothesisFailed, TheoryError

__all__ = [
    "Precond",
    "check_H",
    "diag_LtL",
    "overlap_float",
    "preconditioned_moments",
    "sympy_setup",
]


class Precond:
    """The covariance's products that every preconditioned moment needs, computed once.

    Attributes: ``n, idx, k, r, kind, payload, kappa`` (float), ``PS`` (PΣ, r×n), ``M`` (r×r).
    """

    def __init__(self, n: Any, indices: Any, cov: Any, kappa: Any) -> None:
        self.n, self.idx = _S.check_indices(n, indices)
        self.k, self.r = self.idx.shape
        self.kappa = _S.kappa_float(kappa)
        self.kind, self.payload = _S.cov_kind(self.n, cov)
        self.PS = _S.P_sigma(self.kind, self.payload, self.n, self.idx)
        M = np.zeros((self.r, self.r))
        for row in self.idx:
            M += self.PS[:, row]
        self.M = np.asarray((M + M.T) / 2)
        self._B: np.ndarray | None = None

    @property
    def B(self) -> np.ndarray:
        """``B = PL`` (r×n), built on first use (only the κ ≠ 3 terms and ρ_H need it)."""
        if self._B is None:
            self._B = _S.B_matrix(self.kind, self.payload, self.n, self.idx)
        return self._B

    def diag_CH(self, H: np.ndarray) -> np.ndarray:
        r""":math:`(C_H)_{jj} = b_j^\top Hb_j`, :math:`b_j` the columns of ``B``."""
        B = self.B
        return np.asarray(np.einsum("aj,ab,bj->j", B, H, B))


def overlap_float(n: Any, indices: Any, cov: Any = "identity") -> np.ndarray:
    r""":math:`M = P\Sigma P^\top` (r×r floats) from the structure of Σ (never n×n)."""
    return Precond(n, indices, cov, 3).M


def check_H(H: Any, M: np.ndarray, where: str) -> np.ndarray:
    r"""Return ``H`` as a symmetric positive definite r×r float array, or raise.

    ``H`` may be an r×r array, ``"identity"`` (or None: Algorithm 1 itself) or ``"exact"``
    (:math:`M^{-1}`, which needs :math:`\lambda_{\min}(M) > 0`).
    """
    r = M.shape[0]
    if H is None or (isinstance(H, str) and H == "identity"):
        return np.eye(r)
    if isinstance(H, str):
        if H != "exact":
            raise TheoryError(
                f"{where}: H must be an r x r positive definite matrix, 'identity' or 'exact' "
                f"(M⁻¹); got {H!r}. Pass one of those."
            )
        try:
            c = sla.cho_factor(M, lower=True)
        except np.linalg.LinAlgError as exc:
            raise HypothesisFailed(
                f"{where}: H = M⁻¹ needs lambda_min(M) > 0, but M = P Σ Pᵀ is singular for this "
                "scheme and covariance. Choose a scheme whose patches cover every filter "
                "direction (see `convotron check`).",
                "thm-precond",
            ) from exc
        Hm = sla.cho_solve(c, np.eye(r))
        return np.asarray((Hm + Hm.T) / 2)
    A = np.asarray(H, dtype=float)
    if A.shape != (r, r):
        raise TheoryError(
            f"{where}: H must be r x r = {r} x {r} (one row per filter coordinate); got shape "
            f"{A.shape}. Pass a matrix of the filter's size."
        )
    if not np.all(np.isfinite(A)):
        raise TheoryError(f"{where}: H must be finite; got a non-finite entry. Fix H.")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(A).max()))):
        raise TheoryError(
            f"{where}: H must be symmetric (the potential (w − w*)ᵀH⁻¹(w − w*) needs it); got "
            f"max |H − Hᵀ| = {float(np.abs(A - A.T).max()):.3g}. Pass (H + Hᵀ)/2."
        )
    A = (A + A.T) / 2
    try:
        np.linalg.cholesky(A)
    except np.linalg.LinAlgError as exc:
        lo = float(np.linalg.eigvalsh(A)[0])
        raise TheoryError(
            f"{where}: H must be positive definite; got lambda_min(H) = {lo:.6g}. Pass a "
            "positive definite preconditioner (e.g. M⁻¹, or M̂⁻¹ from a full-rank sample)."
        ) from exc
    return np.asarray(A)


def diag_LtL(kind: str, payload: Any, n: int) -> np.ndarray:
    r""":math:`\operatorname{diag}(L^\top L)` for each covariance kind (length n)."""
    if kind == "identity":
        return np.ones(n)
    if kind == "diag":
        return np.asarray(payload, dtype=float).copy()
    if kind == "ar1":
        s2 = 1.0 - payload**2
        j = np.arange(n, dtype=float)
        geo = (1 - payload ** (2 * (n - j))) / s2  # Σ_{p ≥ q} ρ^{2(p−q)}
        out = s2 * geo
        out[0] = geo[0]  # column 0 of L is ρ^p
        return np.asarray(out)
    return np.asarray(np.einsum("pj,pj->j", payload, payload))


def preconditioned_moments(pc: Precond, H: np.ndarray) -> dict[str, Any]:
    r"""Return ``K_H``, ``Q_H`` = E[(qᵀHq) qqᵀ], ``tr_HM`` and ``norm_H`` = E[‖x‖² qᵀHq]."""
    k, r, kap = pc.k, pc.r, pc.kappa
    trHM = float(np.sum(H * pc.M))
    K = np.zeros((r, r))
    for row in pc.idx:
        W = pc.PS[:, row]  # W_i = PΣP_iᵀ
        K += trHM * _S.sigma_block(pc.kind, pc.payload, row) + 2.0 * (W.T @ H @ W)
    Q = trHM * pc.M + 2.0 * (pc.M @ H @ pc.M)
    PS = pc.PS
    trS = _S.trace_sigma(pc.kind, pc.payload, pc.n)
    norm = trS * trHM + 2.0 * float(np.sum(PS * (H @ PS)))  # tr(H PΣ²Pᵀ) = tr(H PΣ (PΣ)ᵀ)
    if kap != 3.0:
        c = pc.diag_CH(H)
        if pc.kind in ("identity", "diag"):  # L diagonal: A_i diag(c) A_iᵀ = diag(L_jj² c_j)
            d = np.ones(pc.n) if pc.kind == "identity" else pc.payload
            for row in pc.idx:
                K[np.diag_indices_from(K)] += (kap - 3.0) * d[row] * c[row]
        else:
            for row in pc.idx:
                A = _S.L_rows(pc.kind, pc.payload, pc.n, row)
                K += (kap - 3.0) * (A * c) @ A.T
        B = pc.B
        Q = Q + (kap - 3.0) * (B * c) @ B.T
        norm += (kap - 3.0) * float(np.dot(diag_LtL(pc.kind, pc.payload, pc.n), c))
    K /= k
    return {
        "K_H": np.asarray((K + K.T) / 2),
        "Q_H": np.asarray((Q + Q.T) / 2),
        "tr_HM": trHM,
        "norm_H": float(norm),
        "tr_Sigma": float(trS),
    }


def sympy_setup(
    n: int, indices: Any, Sigma: Any, L: Any, kappa: Any
) -> tuple[list[sp.Matrix], sp.Matrix, sp.Matrix, sp.Expr]:
    r"""Return ``(A, L, B, κ)`` in sympy: :math:`A_i = P_iL`, :math:`B = PL`."""
    n, idx = _S.check_indices(n, indices)
    k, r = idx.shape
    if L is None:
        L = sp.eye(n) if Sigma is None else sp.Matrix(Sigma).cholesky(hermitian=False)
    L = sp.Matrix(L)
    if L.shape != (n, n):
        raise TheoryError(f"L must be n x n = {n} x {n}; got shape {L.shape}.")
    A = []
    for i in range(k):
        Pi = sp.zeros(r, n)
        for a in range(r):
            Pi[a, int(idx[i, a])] = 1
        A.append(Pi * L)
    B = sp.zeros(r, n)
    for Ai in A:
        B += Ai
    if isinstance(kappa, str):
        _S.kappa_float(kappa)  # the message for an unknown law
        kap: sp.Expr = _S.KAPPA[kappa]
    else:
        kap = sp.sympify(kappa)
    return A, L, B, kap
