r"""Sums in one fixed order: a dense covariance's factor and transform, the same on every processor.

``numpy.linalg.cholesky`` (LAPACK) and ``Z @ L.T`` (BLAS) sum in an order chosen by the
processor's kernels (block sizes, vector width, fused multiply-adds), so a seeded run with a
dense ``Σ`` gave other bits on an AMD EPYC (AVX2) than on an Intel Xeon (AVX-512): every
dense case of ``tests/convotron/test_bitwise.py`` failed there. Here every entry is one
sequence of IEEE multiplications, subtractions, divisions and square roots in a fixed order,
so the bits depend only on the input.

* :func:`cholesky_in_order`: the right-looking Cholesky factorisation, column ``j`` after
  column ``j − 1``: ``L_jj = √A_jj``, ``L_ij = A_ij / L_jj``, then ``A_ik ← A_ik − L_ij L_kj``
  for ``i ≥ k > j``. A pivot ``A_jj ≤ tol`` (``64 n ε max_j Σ_jj``: zero up to rounding, as
  for a singular positive semi-definite ``Σ``) leaves column ``j`` zero, so ``LLᵀ = Σ`` to
  rounding for every PSD matrix. Compiled (numba, ``fastmath=False``: no reassociation, no
  fused multiply-add); :func:`cholesky_reference` is the same in plain numpy, its oracle.
* :func:`transform_in_order`: ``x_j = ((0 + L_j0 z_0) + L_j1 z_1) + …``, the order of the
  compiled loop's dense transform (``_kernels._transform``).
* :func:`norm_in_order`: ``‖v‖`` for scaling a drawn teacher to its norm
  (``numpy.linalg.norm`` sums with BLAS ``ddot``: under OpenBLAS's generic kernel a length-6
  vector's norm had another last bit than under AVX2, and so had every run on its teacher).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "cholesky_in_order",
    "cholesky_reference",
    "norm_in_order",
    "pivot_tolerance",
    "transform_in_order",
]


def norm_in_order(v: Any) -> float:
    """``‖v‖ = √(Σ_j v_j²)``, the sum correctly rounded: the same on every processor.

    :func:`math.fsum` of the rounded squares, so the result does not depend on the order of the
    entries either; ``numpy.linalg.norm`` sums with BLAS ``ddot``, in the kernel's order.
    """
    a = np.asarray(v, dtype=np.float64).ravel()
    return math.sqrt(math.fsum(a * a))


def pivot_tolerance(S: np.ndarray) -> float:
    """``64 n ε max_j S_jj``: a pivot at most this is zero (rounding of a singular PSD ``S``)."""
    n = S.shape[0]
    return 64.0 * n * float(np.finfo(np.float64).eps) * max(float(np.max(np.diag(S))), 1e-300)


def cholesky_reference(S: np.ndarray) -> np.ndarray:
    """Readable :func:`cholesky_in_order` (whole-block numpy updates, the same order per entry)."""
    A = np.array(S, dtype=np.float64)
    n = A.shape[0]
    L = np.zeros((n, n))
    tol = pivot_tolerance(A)
    for j in range(n):
        if A[j, j] > tol:
            L[j, j] = np.sqrt(A[j, j])
            L[j + 1 :, j] = A[j + 1 :, j] / L[j, j]
            c = L[j + 1 :, j]
            A[j + 1 :, j + 1 :] -= np.multiply.outer(c, c)
    return L


_COMPILED = None


def _compiled() -> Any:
    global _COMPILED
    if _COMPILED is None:
        from numba import njit

        @njit(cache=True, nogil=True, fastmath=False)
        def chol(S, tol):  # pragma: no cover - compiled
            n = S.shape[0]
            A = S.copy()
            L = np.zeros((n, n))
            c = np.zeros(n)
            for j in range(n):
                d = A[j, j]
                if d > tol:
                    s = np.sqrt(d)
                    L[j, j] = s
                    for i in range(j + 1, n):
                        c[i] = A[i, j] / s
                        L[i, j] = c[i]
                    for i in range(j + 1, n):  # the lower triangle, row by row
                        ci = c[i]
                        for k in range(j + 1, i + 1):
                            A[i, k] = A[i, k] - ci * c[k]
            return L

        _COMPILED = chol
    return _COMPILED


def cholesky_in_order(S: np.ndarray) -> np.ndarray:
    """Lower-triangular ``L`` with ``LLᵀ = S`` (to rounding), bitwise :func:`cholesky_reference`."""
    A = np.ascontiguousarray(S, dtype=np.float64)
    if A.shape[0] <= 32:  # small: numpy is quicker than compiling
        return cholesky_reference(A)
    return np.asarray(_compiled()(A, pivot_tolerance(A)))


def transform_in_order(Z: np.ndarray, L: np.ndarray) -> np.ndarray:
    """``Z Lᵀ`` (one sample per row), each entry summed over ``c`` in order from 0.0."""
    Z = np.asarray(Z, dtype=np.float64)
    X = np.zeros((Z.shape[0], L.shape[0]))
    for c in range(L.shape[1]):
        X += np.multiply.outer(Z[:, c], L[:, c])
    return X
