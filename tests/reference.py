"""Naive oracles, written straight from the definitions (loops, dense matrices).

Slow and obviously right: the fast code of :mod:`convotron` is compared against them.

* ``patch_operators(n, indices)``: :math:`P_i` as dense 0/1 matrices, row ``a`` has its
  single 1 in column ``indices[i][a]`` (spec §1).
* ``patch_sum(n, indices)``: :math:`P = \\sum_i P_i`.
* ``stride_indices(n, r, d)``: the 1D patch-and-stride scheme, patch ``i`` reading
  ``i d, ..., i d + r - 1`` for ``i < k = (n - r)/d + 1``.
* ``overlap_matrix(n, indices, Sigma)``: :math:`\\sum_{i,j} P_i \\Sigma P_j^T` by a double loop
  (exact integers when ``Sigma`` is an integer matrix).
* ``ar1_matrix(n, rho)``: :math:`\\Sigma_{ij} = \\rho^{|i-j|}` entry by entry.
* ``predict(w, X, n, indices, alpha)``: :math:`(1/k) \\sum_i \\sigma(w^T P_i x)` sample by sample.
"""

from __future__ import annotations

import numpy as np


def patch_operators(n, indices):
    ops = []
    for row in indices:
        P_i = np.zeros((len(row), n), dtype=np.int64)
        for a, c in enumerate(row):
            P_i[a, int(c)] = 1
        ops.append(P_i)
    return ops


def patch_sum(n, indices):
    ops = patch_operators(n, indices)
    total = np.zeros_like(ops[0])
    for P_i in ops:
        total = total + P_i
    return total


def stride_indices(n, r, d):
    k = (n - r) // d + 1
    return np.array([[i * d + a for a in range(r)] for i in range(k)], dtype=np.int64)


def overlap_matrix(n, indices, Sigma=None):
    """Sum over all pairs (i, j) of P_i Sigma P_j^T; Sigma None means the integer identity."""
    if Sigma is None:
        Sigma = np.eye(n, dtype=np.int64)
    ops = patch_operators(n, indices)
    r = ops[0].shape[0]
    M = np.zeros((r, r), dtype=np.result_type(Sigma.dtype, np.int64))
    for P_i in ops:
        for P_j in ops:
            M = M + P_i @ Sigma @ P_j.T
    return M


def ar1_matrix(n, rho):
    S = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            S[i, j] = rho ** abs(i - j)
    return S


def leaky_relu(z, alpha):
    return z if z >= 0 else alpha * z


def predict(w, X, n, indices, alpha):
    ops = patch_operators(n, indices)
    out = np.empty(len(X))
    for t, x in enumerate(X):
        total = 0.0
        for P_i in ops:
            total += leaky_relu(float(w @ (P_i @ x)), alpha)
        out[t] = total / len(ops)
    return out
