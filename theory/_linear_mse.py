r"""The α = 1 error recursion of :mod:`convotron_theory.second_moment` [derived].

:class:`MseRecursion` is the linear map :math:`S_t \mapsto S_{t+1}` of the error second
moment stated in :mod:`convotron_theory.second_moment`'s docstring; :func:`linear_mse_curve`
iterates
it. Private: both are re-exported by :mod:`convotron_theory.second_moment`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._errors import TheoryError
from ._structured_sigma import (
    B_matrix,
    L_rows,
    P_sigma,
    check_indices,
    cov_kind,
    kappa_float,
    noise_kind,
    trace_sigma,
)

__all__ = ["MseRecursion", "linear_mse_curve"]


class MseRecursion:
    r"""The linear map :math:`S_t \mapsto S_{t+1}` of the α = 1 error second moment [derived].

    See :mod:`convotron_theory.second_moment`; :meth:`step` applies it once, :meth:`curve` iterates
    it.
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
        n, idx = check_indices(n, indices)
        self.n, self.idx = n, idx
        self.k, self.r = idx.shape
        self.kappa = kappa_float(kappa)
        self.eta = float(eta)
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise TheoryError(f"eta must be a positive finite number; got {eta!r}.")
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise TheoryError(f"batch must be a positive integer; got {batch!r}.")
        self.batch = int(batch)
        kind, payload = cov_kind(n, cov)
        self.B = B_matrix(kind, payload, n, idx)  # P L, r x n
        self.M = self.B @ self.B.T  # P Σ Pᵀ
        kn, level = noise_kind(noise)
        if kn == "none":
            self.N = np.zeros((self.r, self.r))
        elif kn == "independent":
            self.N = level**2 * self.M
        else:
            trS = trace_sigma(kind, payload, n)
            # B D Bᵀ with D = LᵀL: (B Lᵀ)(B Lᵀ)ᵀ ; B Lᵀ = P L Lᵀ = P Σ (r x n)
            PSig = P_sigma(kind, payload, n, idx)
            N = trS * self.M + 2.0 * PSig @ PSig.T
            if self.kappa != 3.0:
                Lfull = L_rows(kind, payload, n, np.arange(n))
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

    [derived] (:mod:`convotron_theory.second_moment`): the error second moment evolves by a linear
    map on r×r
    matrices. ``kappa`` = 3 for Gaussian inputs; other κ are exact for :math:`x = Lz` with
    iid standardised coordinates. Returns ``(ts, mse)`` at the recorded update counts
    (``record``: a period m as in ``convotron(..., record_every=m)``, a sequence, or None).
    """
    rec = MseRecursion(n, indices, cov, kappa, eta, noise, batch)
    return rec.curve(w_star, T, record)
