r"""Overlap matrix in floating point at scale: :math:`M = P\Sigma P^\top` and its extremes.

Part of :mod:`convotron_theory.spectra` (``convotron-theory.md`` §3-5): :func:`overlap_numeric`
builds
:math:`M` for :math:`n` in the millions without ever forming an :math:`n\times n` matrix
(exact ``int64`` for :math:`\Sigma = I`), :func:`extreme_eigenvalues` its extreme eigenvalues.
Also the covariance descriptions the other modules share (``_cov_kind``). Never imports
:mod:`convotron`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._errors import TheoryError
from ..overlap import _diag_values, as_indices

__all__ = ["NUMERIC_RTOL", "extreme_eigenvalues", "overlap_numeric"]

#: Numeric rule: the condition holds when λ_min > NUMERIC_RTOL * max(λ_max, 1).
NUMERIC_RTOL = 1e-10
#: Memory budget (bytes) for the dense count rows of :func:`overlap_numeric`.
_COUNT_BUDGET = 2**28


# ============================================================================================
# covariance descriptions
# ============================================================================================
def _cov_kind(n: int, cov: Any) -> tuple[str, Any]:
    """Normalise ``cov`` to (kind, payload) with kind in identity/diag/ar1/dense."""
    if isinstance(cov, str):
        low = cov.strip().lower()
        if low == "identity":
            return "identity", None
        if low.startswith("ar1:"):
            return _cov_kind(n, ("ar1", low[4:]))
        raise TheoryError(
            f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho) or an n x n matrix; "
            f"got {cov!r}. Pass one of these forms, e.g. 'ar1:0.5'."
        )
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "ar1":
        rho = cov[1]
        if isinstance(rho, sp.Basic) and not rho.is_number:
            raise TheoryError(
                f"a numeric check needs a number for the AR(1) correlation; got the symbol "
                f"{rho}. Substitute a value, or use convotron_theory.overlap.overlap_matrix for "
                "symbolic ρ."
            )
        try:
            val = float(rho) if not isinstance(rho, str) else float(Fraction(rho))
        except (TypeError, ValueError):
            raise TheoryError(
                f"the AR(1) correlation must be a number with |rho| < 1; got {rho!r}. "
                "Pass e.g. ('ar1', 0.5) or 'ar1:0.5'."
            ) from None
        if not abs(val) < 1:
            raise TheoryError(
                f"AR(1) needs |rho| < 1 (Σ_ij = rho^|i-j| positive definite); got rho={rho!r}. "
                "Pass a correlation strictly between -1 and 1."
            )
        return "ar1", rho
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "diag":
        vals = _diag_values(n, cov[1])
        f = np.asarray([float(v) for v in vals])
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            j = int(np.nonzero(~(np.isfinite(f) & (f >= 0)))[0][0])
            raise TheoryError(
                f"('diag', d) needs finite variances d[j] >= 0; got d[{j}]={vals[j]!r}. "
                "Pass finite nonnegative variances."
            )
        return "diag", vals
    if isinstance(cov, np.ndarray | sp.MatrixBase | list):
        shape = cov.shape if hasattr(cov, "shape") else np.shape(cov)
        if tuple(shape) != (n, n):
            raise TheoryError(
                f"a covariance matrix must be n x n = {n} x {n}; got shape {tuple(shape)}. "
                "Pass the full covariance of the input."
            )
        return "dense", cov
    raise TheoryError(
        f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho) or an n x n matrix; got "
        f"{cov!r}. Pass one of these forms."
    )


def _cov_name(kind: str, payload: Any) -> str:
    if kind == "identity":
        return "identity"
    if kind == "ar1":
        return f"ar1:{payload}"
    return kind


# ============================================================================================
# floating point, scalable
# ============================================================================================
def _count_rows(idx: np.ndarray, rows: range, n: int, dtype: Any = np.float64) -> np.ndarray:
    """Rows ``rows`` of the count matrix P (as floats): P[a, j] = #{i : idx[i, a] = j}."""
    out = np.empty((len(rows), n), dtype=dtype)
    for t, a in enumerate(rows):
        out[t] = np.bincount(idx[:, a] + 1, minlength=n + 1)[1:]  # -1 (padding) reads nothing
    return out


def _ar1_apply(X: np.ndarray, rho: float) -> np.ndarray:
    r"""Multiply the rows of ``X`` by the AR(1) covariance: :math:`(X\Sigma)_{\cdot i}`.

    :math:`(X\Sigma)_{\cdot i} = \sum_j \rho^{|i-j|}X_{\cdot j}`.

    Two first-order recursions, :math:`f_i = x_i + \rho f_{i-1}` (forward) and
    :math:`b_i = x_i + \rho b_{i+1}` (backward), give :math:`(\Sigma x)_i = f_i + b_i - x_i`:
    :math:`O(n)` per row, stable for :math:`|\rho| < 1`.
    """
    if rho == 0:
        return X.copy()
    import scipy.signal  # lazily: only AR(1) needs it, and it is slow to import

    a = [1.0, -rho]
    fwd = scipy.signal.lfilter([1.0], a, X, axis=1)
    bwd = scipy.signal.lfilter([1.0], a, X[:, ::-1], axis=1)[:, ::-1]
    return fwd + bwd - X


def overlap_numeric(n: int, indices: Any, cov: Any = "identity") -> np.ndarray:
    r"""Compute :math:`M = P\Sigma P^\top` in floating point, never forming :math:`n\times n`.

    Works from the count matrix :math:`P` (:math:`P_{aj} = \#\{i : \mathrm{indices}[i,a]=j\}`),
    built row by row with ``numpy.bincount`` in blocks that fit a fixed memory budget, and
    :math:`V = P\Sigma` computed without :math:`\Sigma`:

    * identity: :math:`M = PP^\top` by one BLAS product of the dense count rows. Every partial
      sum is an integer at most :math:`\max(P)\,k`, so the product is exact in ``float32``
      when that is below :math:`2^{24}` (else ``float64``, :math:`k^2 < 2^{53}` required) and
      the result is returned as ``int64`` (exact; equals
      :func:`convotron_theory.overlap.overlap_matrix`). Dense count rows with BLAS measured about 3x
      faster than a ``scipy.sparse`` product here.
    * ``("diag", d)``: :math:`V = P\,\mathrm{diag}(d)`;
    * ``("ar1", rho)`` or ``"ar1:RHO"``: :math:`V` by the :math:`O(n)` two-sided exponential
      filter of :func:`_ar1_apply` on each row of :math:`P`;
    * an :math:`n\times n` array: :math:`V = P\Sigma` (small :math:`n` only: it is given dense).

    Parameters
    ----------
    n : int
    indices : array_like of int, shape (k, r)
    cov : str, tuple or array, default ``"identity"``

    Returns
    -------
    numpy.ndarray, shape (r, r)
        ``int64`` (exact) for the identity, symmetric ``float64`` otherwise.
    """
    idx = as_indices(n, indices)
    kind, payload = _cov_kind(n, cov)
    return _overlap_from(idx, n, kind, payload)


def _overlap_from(idx: np.ndarray, n: int, kind: str, payload: Any) -> np.ndarray:
    """:func:`overlap_numeric` on validated input."""
    k, r = idx.shape
    # Identity: every partial sum of M_ab = Σ_j P_aj P_bj is at most max(P) * k, so float32
    # (24-bit mantissa) is exact when max(P) * k < 2^24, float64 when k^2 < 2^53.
    dtype: Any = np.float64
    if kind == "identity":
        if k == 1 or bool(np.all(idx[1:] > idx[:-1])):  # positions never repeat a coordinate
            max_count = 1
        else:
            max_count = max(int(np.bincount(idx[:, a] + 1)[1:].max(initial=0)) for a in range(r))
        if max_count * k < 2**24:
            dtype = np.float32
    itemsize = np.dtype(dtype).itemsize
    block = max(1, min(r, _COUNT_BUDGET // (2 * itemsize * n)))
    if kind == "identity" and k * k >= 2**53:
        raise TheoryError(
            f"overlap_numeric's exact integer path needs k^2 < 2^53; got k={k}. "
            "Split the scheme, or pass a float covariance such as ('diag', 1.0)."
        )

    def transform(Cb: np.ndarray) -> np.ndarray:
        if kind == "identity":
            return Cb
        if kind == "diag":
            return Cb * np.asarray([float(v) for v in payload])[None, :]
        if kind == "ar1":
            return _ar1_apply(
                Cb, float(payload) if not isinstance(payload, str) else float(Fraction(payload))
            )
        S = np.asarray(np.asarray(payload, dtype=object).astype(float))
        return Cb @ S

    M = np.empty((r, r))
    if block >= r:
        C = _count_rows(idx, range(r), n, dtype)
        M = np.asarray(C @ transform(C).T, dtype=np.float64)
    else:
        starts = list(range(0, r, block))
        for s0 in starts:
            rows_a = range(s0, min(r, s0 + block))
            Ca = _count_rows(idx, rows_a, n, dtype)
            for s1 in starts:
                if s1 < s0:
                    continue
                rows_b = range(s1, min(r, s1 + block))
                Vb = transform(_count_rows(idx, rows_b, n, dtype) if s1 != s0 else Ca)
                blk = Ca @ Vb.T
                M[s0 : s0 + len(rows_a), s1 : s1 + len(rows_b)] = blk
                M[s1 : s1 + len(rows_b), s0 : s0 + len(rows_a)] = blk.T
    if kind == "identity":
        return np.rint(M).astype(np.int64)
    return 0.5 * (M + M.T)


def extreme_eigenvalues(n: int, indices: Any, cov: Any = "identity") -> tuple[float, float]:
    r"""Return :math:`(\lambda_{\min}(M), \lambda_{\max}(M))` in floating point (``eigvalsh``).

    :math:`M` comes from :func:`overlap_numeric`, so this scales to large :math:`n`; the cost
    beyond building :math:`M` is one :math:`O(r^3)` symmetric eigensolve.
    """
    ev = np.linalg.eigvalsh(np.asarray(overlap_numeric(n, indices, cov), dtype=float))
    return float(ev[0]), float(ev[-1])
