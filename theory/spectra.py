r"""Spectra of the overlap matrix: scalable floats, exact certificates, lemmas, kernel directions.

Convotron's guarantee (``thm-convotron``, [derived] explicit-constant version of the paper's
main theorem) needs :math:`\lambda_{\min}(M) > 0` for the overlap matrix
:math:`M = P\Sigma P^\top` (``convotron-theory.md`` §3-5). This module answers, for a concrete
scheme given as plain data (``n`` and a ``(k, r)`` index array):

* :func:`overlap_numeric` / :func:`extreme_eigenvalues`: :math:`M` and its extreme eigenvalues
  in floating point, for :math:`n` in the millions, without ever forming an :math:`n\times n`
  matrix (exact ``int64`` for :math:`\Sigma = I`);
* :func:`certify_positive_definite`: an exact rational :math:`LDL^\top` certificate (computed
  fraction-free by Bareiss elimination), with an exact integer witness :math:`u`,
  :math:`u^\top M u \le 0`, when it fails; :func:`leading_principal_minors` is Sylvester's
  criterion, the independent cross-check;
* :func:`exact_eigenvalues`: eigenvalues as surds where the characteristic polynomial factors
  into pieces of degree :math:`\le 2`, exact real algebraic numbers (``CRootOf``) otherwise;
* the lemmas (all [derived], §5): :func:`lemma_1d` (``lem-1d``), :func:`lemma_2d` (``lem-2d``),
  :func:`lemma_cov_transfer` (``lem-cov-transfer``), each with its statement as a sympy relation
  (:data:`LEMMA_1D`, :data:`LEMMA_2D`, :data:`LEMMA_COV_TRANSFER`), returned only when the
  hypotheses hold, else :class:`~theory.HypothesisFailed` naming the failing hypothesis;
* :func:`sos_identity` / :func:`sos_identity_holds` / :func:`sos_inequality_holds`: the
  sum-of-squares identity behind ``lem-1d`` (``lem-1d-sos``), verified symbolically;
* :func:`kernel_direction`: when :math:`\lambda_{\min}(M) = 0`, a filter :math:`u` with
  :math:`Mu = 0` and the reason in words;
* :func:`check_scheme`: all of the above in one :class:`SchemeCheck` (what ``convotron check``
  prints).

Never imports :mod:`convotron`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.signal
import sympy as sp

from . import notation as nt
from ._errors import HypothesisFailed, TheoryError
from .overlap import (
    _ceil_div,
    _stride_1d_k,
    as_indices,
    stride_1d_indices,
    stride_2d_channels_indices,
    stride_2d_indices,
    to_exact,
    toeplitz_block,
)

__all__ = [
    "EXACT_COV_MAX_N",
    "EXACT_MAX_R",
    "LEMMA_1D",
    "LEMMA_2D",
    "LEMMA_COV_TRANSFER",
    "Certificate",
    "KernelDirection",
    "LemmaBounds",
    "LemmaStatement",
    "SchemeCheck",
    "certify_positive_definite",
    "check_scheme",
    "covariance_spectrum_bounds",
    "exact_eigenvalues",
    "extreme_eigenvalues",
    "kernel_direction",
    "leading_principal_minors",
    "lemma_1d",
    "lemma_2d",
    "lemma_cov_transfer",
    "overlap_numeric",
    "sos_identity",
    "sos_identity_holds",
    "sos_inequality_holds",
    "toeplitz_decomposition_holds",
]

#: ``check_scheme(exact=None)`` certifies exactly only up to this filter size ``r``.
EXACT_MAX_R = 64
#: Exact overlap matrices for a non-identity Σ are computed only up to this input dimension.
EXACT_COV_MAX_N = 2048
#: :func:`exact_eigenvalues` refuses matrices larger than this (characteristic polynomials).
EXACT_EIG_MAX_R = 16
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
                f"{rho}. Substitute a value, or use theory.overlap.overlap_matrix for symbolic ρ."
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
        d = cov[1]
        vals = [d] * n if np.ndim(d) == 0 else list(np.asarray(d, dtype=object).ravel())
        if len(vals) != n:
            raise TheoryError(
                f"('diag', d) needs one variance per input coordinate (n={n}); got {len(vals)} "
                "values. Pass a sequence of length n or a single number."
            )
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
      :func:`theory.overlap.overlap_matrix`). Dense count rows with BLAS measured about 3x
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


# ============================================================================================
# exact: LDLᵀ certificate, Sylvester, eigenvalues
# ============================================================================================
@dataclass(frozen=True)
class Certificate:
    r"""An exact positive-definiteness certificate (or its refutation) for a rational matrix.

    Attributes
    ----------
    holds : bool
        True iff :math:`M` is positive definite (every :math:`LDL^\top` pivot is positive).
    method : str
        ``"LDL^T"`` (exact rationals, computed fraction-free by Bareiss elimination).
    pivots : tuple of sympy.Rational
        :math:`D_{11}, D_{22}, \dots` of :math:`M = LDL^\top`: :math:`D_{jj} =
        \Delta_j/\Delta_{j-1}` with :math:`\Delta_j` the leading principal minors. When the
        certificate fails it stops at the first non-positive pivot (the last entry).
    kernel_direction : tuple of int or None
        When it fails at position :math:`j` (0-based): the integer vector :math:`u` with
        :math:`u_j = \text{const}`, :math:`u_{>j} = 0` and :math:`u_{<j}` solving the leading
        block, so that :math:`u^\top M u = c^2 D_{jj} \le 0` exactly. If :math:`M` is positive
        semidefinite (always the case for :math:`P\Sigma P^\top`) and :math:`D_{jj} = 0`, then
        :math:`Mu = 0`: :math:`u` lies in the kernel.
    failed_at : int or None
        The 0-based position of the first non-positive pivot.
    quadratic_form : sympy.Rational or None
        :math:`u^\top M u` for the witness (:math:`\le 0`).
    minors : tuple of sympy.Rational
        The leading principal minors :math:`\Delta_1, \Delta_2, \dots` (Sylvester's criterion).
    """

    holds: bool
    method: str
    pivots: tuple[sp.Rational, ...]
    kernel_direction: tuple[int, ...] | None = None
    failed_at: int | None = None
    quadratic_form: sp.Rational | None = None
    minors: tuple[sp.Rational, ...] = ()

    @property
    def reason(self) -> str:
        """One sentence: why the certificate holds or fails."""
        if self.holds:
            return f"all {len(self.pivots)} pivots of the exact LDLᵀ factorisation are positive"
        return (
            f"pivot {self.failed_at} of the exact LDLᵀ factorisation is {self.pivots[-1]} <= 0; "
            f"the integer vector u = {list(self.kernel_direction or ())} has uᵀMu = "
            f"{self.quadratic_form}"
        )


def _rational_rows(M: Any) -> tuple[list[list[Fraction]], int]:
    """Exact Fraction rows of a square symmetric matrix and its size."""
    if isinstance(M, sp.MatrixBase):
        rows, cols = M.shape
        get = lambda i, j: M[i, j]  # noqa: E731
    else:
        arr = np.asarray(M, dtype=object)
        if arr.ndim != 2:
            raise TheoryError(
                f"certify_positive_definite needs a square matrix; got an array of shape "
                f"{arr.shape}. Pass an r x r sympy Matrix or integer array."
            )
        rows, cols = arr.shape
        get = lambda i, j: arr[i, j]  # noqa: E731
    if rows != cols or rows < 1:
        raise TheoryError(
            f"certify_positive_definite needs a non-empty square matrix; got shape "
            f"({rows}, {cols}). Pass an r x r matrix."
        )
    out: list[list[Fraction]] = []
    for i in range(rows):
        row = []
        for j in range(cols):
            v = get(i, j)
            if isinstance(v, bool):
                v = int(v)
            if isinstance(v, int | np.integer):
                row.append(Fraction(int(v)))
            elif isinstance(v, Fraction):
                row.append(v)
            elif isinstance(v, sp.Basic) and v.is_Rational:
                row.append(Fraction(int(v.p), int(v.q)))
            elif isinstance(v, float | np.floating) and float(v).is_integer():
                row.append(Fraction(int(v)))
            else:
                raise TheoryError(
                    f"an exact certificate needs rational entries; entry ({i}, {j}) is {v!r}. "
                    "Pass integers, fractions.Fraction or sympy Rationals (convert a float x "
                    "exactly with Fraction(str(x)))."
                )
        out.append(row)
    for i in range(rows):
        for j in range(i):
            if out[i][j] != out[j][i]:
                raise TheoryError(
                    f"a positive-definiteness certificate needs a symmetric matrix; entry "
                    f"({i}, {j}) = {out[i][j]} differs from ({j}, {i}) = {out[j][i]}. "
                    "Pass a symmetric matrix such as P Σ Pᵀ."
                )
    return out, rows


def _solve_fraction(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Solve A x = b exactly for a positive definite A (no pivoting needed)."""
    n = len(b)
    A = [[*row, b[i]] for i, row in enumerate(A)]
    for c in range(n):
        piv = A[c][c]
        for i in range(c + 1, n):
            f = A[i][c] / piv
            if f:
                for j in range(c, n + 1):
                    A[i][j] -= f * A[c][j]
    x = [Fraction(0)] * n
    for i in range(n - 1, -1, -1):
        s = A[i][n] - sum(A[i][j] * x[j] for j in range(i + 1, n))
        x[i] = s / A[i][i]
    return x


def certify_positive_definite(M: Any) -> Certificate:
    r"""Certify exactly that a symmetric rational matrix is positive definite (or refute it).

    Exact :math:`LDL^\top` in rationals: the matrix is scaled to integers
    (:math:`M' = LM` with :math:`L` the lcm of the denominators) and eliminated fraction-free
    by Bareiss' algorithm, whose :math:`j`-th diagonal after :math:`j-1` steps is the leading
    principal minor :math:`\Delta_j`; the pivots are :math:`D_{jj} = \Delta_j/\Delta_{j-1}`.
    :math:`M \succ 0` iff every pivot is positive (Sylvester). Integer arithmetic throughout,
    :math:`O(r^3)` operations: a :math:`64\times 64` overlap matrix takes milliseconds.

    On failure at position :math:`j` (first :math:`D_{jj} \le 0`) the witness is
    :math:`u = (-A^{-1}m, 1, 0, \dots)` scaled to a primitive integer vector, with :math:`A` the
    leading :math:`j\times j` block (positive definite) and :math:`m` the next column: then
    :math:`u^\top M u = D_{jj}\cdot c^2 \le 0` (Schur complement), and :math:`Mu = 0` when
    :math:`M \succeq 0` and :math:`D_{jj} = 0`.

    Parameters
    ----------
    M : sympy.Matrix, integer/Fraction array or nested list
        Square, symmetric, rational entries.

    Returns
    -------
    Certificate

    Raises
    ------
    TheoryError
        For a non-square, non-symmetric or non-rational matrix.

    Examples
    --------
    >>> certify_positive_definite(sp.Matrix([[2, 1], [1, 2]])).pivots
    (2, 3/2)
    """
    rows, size = _rational_rows(M)
    L = 1
    for row in rows:
        for v in row:
            L = L * v.denominator // math.gcd(L, v.denominator)
    A = [[int(v * L) for v in row] for row in rows]
    prev = 1
    minors: list[sp.Rational] = []
    pivots: list[sp.Rational] = []
    prev_minor_exact = Fraction(1)
    for c in range(size):
        piv = A[c][c]  # leading minor of M' of order c + 1
        minor_M = Fraction(piv, L ** (c + 1))
        minors.append(sp.Rational(minor_M.numerator, minor_M.denominator))
        d = minor_M / prev_minor_exact if prev_minor_exact != 0 else Fraction(0)
        pivots.append(sp.Rational(d.numerator, d.denominator))
        if piv <= 0:
            # witness from the leading (PD) block
            lead = [row[:c] for row in rows[:c]]
            rhs = [-rows[i][c] for i in range(c)]
            sol = _solve_fraction(lead, rhs) if c else []
            u = [*sol, Fraction(1)] + [Fraction(0)] * (size - c - 1)
            den = 1
            for v in u:
                den = den * v.denominator // math.gcd(den, v.denominator)
            ints = [int(v * den) for v in u]
            g = 0
            for iv in ints:
                g = math.gcd(g, iv)
            ints = [iv // g for iv in ints]
            q = sum(
                (rows[i][j] * ints[i] * ints[j] for i in range(c + 1) for j in range(c + 1)),
                Fraction(0),
            )
            return Certificate(
                holds=False,
                method="LDL^T",
                pivots=tuple(pivots),
                kernel_direction=tuple(ints),
                failed_at=c,
                quadratic_form=sp.Rational(q.numerator, q.denominator),
                minors=tuple(minors),
            )
        for i in range(c + 1, size):
            Ai, Aic = A[i], A[i][c]
            Ac = A[c]
            for j in range(c + 1, size):
                Ai[j] = (Ai[j] * piv - Aic * Ac[j]) // prev
        prev = piv
        prev_minor_exact = minor_M
    return Certificate(holds=True, method="LDL^T", pivots=tuple(pivots), minors=tuple(minors))


def leading_principal_minors(M: Any) -> list[sp.Expr]:
    r"""Sylvester's criterion: the leading principal minors :math:`\Delta_1, \dots, \Delta_r`.

    Computed with sympy's Berkowitz determinant, independently of
    :func:`certify_positive_definite` (the tests compare the two). :math:`M \succ 0` iff all
    are positive.
    """
    S = sp.Matrix(M)
    return [S[:j, :j].det(method="berkowitz") for j in range(1, S.shape[0] + 1)]


#: Discriminants up to this size get their square factors extracted (``sympy.sqrt``).
_SURD_SIMPLIFY_LIMIT = 10**24


def _low_degree_roots(fp: sp.Poly) -> list[sp.Expr]:
    """Roots of a real-rooted rational polynomial of degree 1 or 2 by the explicit formulas."""
    coeffs = fp.all_coeffs()
    if len(coeffs) == 2:
        return [-coeffs[1] / coeffs[0]]
    a, b, c = coeffs
    D = sp.Rational(b**2 - 4 * a * c)
    if max(abs(int(D.p)), int(D.q)) < _SURD_SIMPLIFY_LIMIT:
        disc = sp.sqrt(D)  # extracts square factors: 2 - sqrt(2), (7 - sqrt(33))/2
        return [sp.radsimp((-b - disc) / (2 * a)), sp.radsimp((-b + disc) / (2 * a))]
    # sympy.sqrt trial-factors its argument, which can take minutes for huge integers:
    # keep the exact but unsimplified square root
    disc = sp.Pow(D, sp.S.Half, evaluate=False)
    return [(-b - disc) / (2 * a), (-b + disc) / (2 * a)]


def exact_eigenvalues(M: Any) -> list[sp.Expr]:
    r"""All eigenvalues of a symmetric rational matrix, exactly, sorted ascending.

    The characteristic polynomial is factored over :math:`\mathbb{Q}`; the roots of factors of
    degree :math:`\le 2` are returned as surds (e.g. :math:`\lambda_{\min}(A_4(4)) = 2-\sqrt2`,
    :math:`\lambda_{\min}(A_3(3)) = (7-\sqrt{33})/2`), those of higher degree as exact real
    algebraic numbers ``CRootOf(f, i)`` (Cardano's formulas would introduce :math:`i` for
    three real roots). Repeated eigenvalues appear with their multiplicity.

    Parameters
    ----------
    M : sympy.Matrix or array
        Symmetric, rational, at most ``EXACT_EIG_MAX_R`` rows.

    Returns
    -------
    list of sympy.Expr
    """
    rows, size = _rational_rows(M)
    if size > EXACT_EIG_MAX_R:
        raise TheoryError(
            f"exact_eigenvalues factors a characteristic polynomial and is limited to r <= "
            f"{EXACT_EIG_MAX_R}; got r={size}. Use extreme_eigenvalues (floats), or the closed "
            "form blocks (toeplitz_block) of a stride scheme."
        )
    S = sp.Matrix(
        size, size, lambda i, j: sp.Rational(rows[i][j].numerator, rows[i][j].denominator)
    )
    lam = sp.Symbol("lambda")
    poly = S.charpoly(lam)
    _, factors = sp.factor_list(poly.as_expr(), lam)
    keyed: list[tuple[float, sp.Expr]] = []
    for f, mult in factors:
        fp = sp.Poly(f, lam)
        deg = fp.degree()
        if deg <= 2:
            # explicit formulas: sympy.roots factors the coefficients' integer divisors,
            # which can take minutes for large rational coefficients
            roots = _low_degree_roots(fp)
            approx = [float(sp.N(v, 20)) for v in roots]
        else:
            # CRootOf(f, i) is the i-th real root in increasing order; order the factors'
            # roots by float approximations (cheap, unlike refining each CRootOf)
            roots = [sp.CRootOf(fp.as_expr(), i) for i in range(deg)]
            # made monic in exact rationals first: factor_list returns primitive integer
            # polynomials whose coefficients can exceed the float range (e.g. AR(1) with
            # rho = 3333333333/10^10), while the monic coefficients are the elementary
            # symmetric functions of the (moderate) roots
            monic = [float(c) for c in fp.monic().all_coeffs()]
            approx = sorted(float(v.real) for v in np.roots(monic))
        for key, root in zip(approx, roots, strict=True):
            keyed.extend([(key, root)] * mult)
    keyed.sort(key=lambda t: t[0])
    return [e for _, e in keyed]


# ============================================================================================
# lemmas
# ============================================================================================
@dataclass(frozen=True)
class LemmaStatement:
    r"""A lemma as a symbolic statement: hypotheses :math:`\Rightarrow` conclusion.

    Attributes
    ----------
    label, title, provenance : str
    hypotheses : sympy relational / Boolean
    conclusion : sympy Boolean
    """

    label: str
    title: str
    provenance: str
    hypotheses: Any
    conclusion: Any

    @property
    def statement(self) -> Any:
        """``sympy.Implies(hypotheses, conclusion)``."""
        return sp.Implies(self.hypotheses, self.conclusion, evaluate=False)

    def latex(self) -> str:
        """LaTeX of ``hypotheses ⟹ conclusion`` with the book's symbol names."""
        return f"{nt.latex(self.hypotheses)} \\implies {nt.latex(self.conclusion)}"


#: Lemma 1D [derived, §5]: k >= ⌈r/d⌉ implies λ_min(PPᵀ) >= 1/2 and λ_max(PPᵀ) <= k⌈r/d⌉.
LEMMA_1D = LemmaStatement(
    label="lem-1d",
    title="Lemma 1D: spectrum of PPᵀ for 1D patch-and-stride",
    provenance="[derived]",
    hypotheses=sp.And(sp.Eq(nt.n, (nt.k - 1) * nt.d + nt.r), sp.Ge(nt.k, sp.ceiling(nt.r / nt.d))),
    conclusion=sp.And(
        sp.Ge(nt.lambda_min_PPT, sp.Rational(1, 2)),
        sp.Le(nt.lambda_max_PPT, nt.k * sp.ceiling(nt.r / nt.d)),
    ),
)

#: Lemma 2D [derived, §5]: k_j >= ⌈r_j/d_j⌉ implies λ_min >= 1/4, λ_max <= k⌈r₁/d₁⌉⌈r₂/d₂⌉.
LEMMA_2D = LemmaStatement(
    label="lem-2d",
    title="Lemma 2D: spectrum of PPᵀ for 2D patch-and-stride",
    provenance="[derived]",
    hypotheses=sp.And(
        sp.Ge(nt.k1, sp.ceiling(nt.r1 / nt.d1)), sp.Ge(nt.k2, sp.ceiling(nt.r2 / nt.d2))
    ),
    conclusion=sp.And(
        sp.Ge(nt.lambda_min_PPT, sp.Rational(1, 4)),
        sp.Le(
            nt.lambda_max_PPT,
            nt.k1 * nt.k2 * sp.ceiling(nt.r1 / nt.d1) * sp.ceiling(nt.r2 / nt.d2),
        ),
    ),
)

#: General Σ [derived, §5]: λ(PΣPᵀ) between λ_min(Σ)λ_min(PPᵀ) and λ_max(Σ)λ_max(PPᵀ).
LEMMA_COV_TRANSFER = LemmaStatement(
    label="lem-cov-transfer",
    title="Covariance transfer: λ(PΣPᵀ) versus λ(Σ)λ(PPᵀ)",
    provenance="[derived]",
    hypotheses=sp.Ge(nt.lambda_min_Sigma, 0, evaluate=False),
    conclusion=sp.And(
        sp.Ge(nt.lambda_min, nt.lambda_min_Sigma * nt.lambda_min_PPT),
        sp.Le(nt.lambda_max, nt.lambda_max_Sigma * nt.lambda_max_PPT),
    ),
)


@dataclass(frozen=True)
class LemmaBounds:
    r"""Bounds a lemma gives for one concrete scheme (returned only when its hypotheses hold).

    Attributes
    ----------
    claim : str
        Book label (``"lem-1d"``, ``"lem-2d"``, ``"lem-cov-transfer"``).
    case : str
        Which case of the lemma applied, in words.
    lower, upper : sympy.Rational
        :math:`\lambda_{\min} \ge` ``lower`` and :math:`\lambda_{\max} \le` ``upper``.
    lower_exact, upper_exact : bool
        True when the bound is attained (it *is* the eigenvalue).
    of : str
        The matrix bounded: ``"PPᵀ"`` or ``"PΣPᵀ"``.
    values : dict
        The scheme's numbers the hypotheses were checked with.
    statement : LemmaStatement
    provenance : str
        Always ``"[derived]"`` (explicit constants of this project's analysis, §5).
    """

    claim: str
    case: str
    lower: sp.Rational
    upper: sp.Rational
    lower_exact: bool
    upper_exact: bool
    of: str
    values: dict[str, Any]
    statement: LemmaStatement
    provenance: str = "[derived]"


def lemma_1d(n: int, r: int, d: int) -> LemmaBounds:
    r"""Lemma 1D (``lem-1d``) [derived, §5] for the 1D scheme ``(n, r, stride d)``.

    With :math:`k = (n-r)/d + 1` and :math:`m = \lceil r/d\rceil` (the largest Toeplitz block
    :math:`A_m(k)` of :math:`PP^\top`, ``lem-1d-structure``):

    * :math:`d \ge r` (disjoint patches): :math:`PP^\top = kI`, so both bounds are :math:`k`
      exactly;
    * :math:`r/2 < d < r`: every block is :math:`A_1(k) = k` or
      :math:`A_2(k) = \begin{pmatrix}k & k-1\\ k-1 & k\end{pmatrix}` with eigenvalues
      :math:`1` and :math:`2k-1`, so :math:`\lambda_{\min} = 1` and :math:`\lambda_{\max} =
      2k-1` exactly, for every :math:`k \ge 1`;
    * otherwise, if :math:`k \ge m`: :math:`\lambda_{\min}(PP^\top) \ge 1/2` (from
      :math:`A_m(k) = (k-m)\mathbf 1\mathbf 1^\top + A_m(m)` and the sum-of-squares identity,
      :func:`sos_identity`) and :math:`\lambda_{\max}(PP^\top) \le km` (row sums).

    Raises
    ------
    HypothesisFailed
        (claim ``"lem-1d"``) when none of the cases applies: :math:`d \le r/2` and
        :math:`k < \lceil r/d\rceil`. The message gives the values and the fix.
    TheoryError
        When ``(n, r, d)`` is not a patch-and-stride scheme (:math:`d \nmid n-r`).
    """
    k = _stride_1d_k(n, r, d)
    m = _ceil_div(r, d)
    values = {"n": n, "r": r, "d": d, "k": k, "ceil_r_d": m}
    if d >= r:
        return LemmaBounds(
            "lem-1d", "disjoint patches (d >= r): PPᵀ = kI", sp.Integer(k), sp.Integer(k),
            True, True, "PPᵀ", values, LEMMA_1D,
        )  # fmt: skip
    if 2 * d > r:
        return LemmaBounds(
            "lem-1d", "r/2 < d < r: blocks A_1(k), A_2(k); λ_min = 1, λ_max = 2k-1 exactly",
            sp.Integer(1), sp.Integer(2 * k - 1), True, True, "PPᵀ", values, LEMMA_1D,
        )  # fmt: skip
    if k >= m:
        return LemmaBounds(
            "lem-1d", "k >= ceil(r/d): λ_min >= 1/2, λ_max <= k ceil(r/d)", sp.Rational(1, 2),
            sp.Integer(k * m), False, False, "PPᵀ", values, LEMMA_1D,
        )  # fmt: skip
    raise HypothesisFailed(
        f"Lemma 1D (lem-1d) needs k >= ceil(r/d); got k={k} < ceil(r/d)={m} "
        f"(n={n}, r={r}, stride d={d}). Its bound λ_min(PPᵀ) >= 1/2 can fail here (r=8, d=1, "
        f"k=2 gives 0.1206...): use check_scheme for the actual λ_min, or lengthen the input to "
        f"n >= {(m - 1) * d + r} so that k >= {m}.",
        claim="lem-1d",
    )


def lemma_2d(
    height: int,
    width: int,
    patch_h: int,
    patch_w: int,
    stride_h: int,
    stride_w: int,
    channels: int = 1,
) -> LemmaBounds:
    r"""Lemma 2D (``lem-2d``) [derived, §5] for the 2D scheme (optionally with channels).

    :math:`PP^\top = A \otimes B` (``lem-2d-kron``; with channels :math:`I_C\otimes A\otimes B`,
    same spectrum) with both factors positive semidefinite, so :math:`\lambda_{\min}` and
    :math:`\lambda_{\max}` are the products of the factors' extremes. Each factor is a 1D
    :math:`PP^\top` bounded by :func:`lemma_1d`, so ``lower`` is the product of the two 1D
    lower bounds (:math:`\ge 1/2\cdot 1/2 = 1/4`, the lemma's constant) and ``upper`` the
    product of the two 1D upper bounds (:math:`\le k\lceil r_1/d_1\rceil\lceil r_2/d_2\rceil`).

    Raises
    ------
    HypothesisFailed
        (claim ``"lem-2d"``) naming the axis whose hypothesis
        :math:`k_j \ge \lceil r_j/d_j\rceil` fails, with its values.
    """
    if channels != 1:
        _stride_1d_k(channels, 1, 1)  # validates channels >= 1
    parts = []
    for axis, (nn, rr, dd) in (
        ("vertical", (height, patch_h, stride_h)),
        ("horizontal", (width, patch_w, stride_w)),
    ):
        try:
            parts.append(lemma_1d(nn, rr, dd))
        except HypothesisFailed as exc:
            v = _ceil_div(rr, dd)
            kk = _stride_1d_k(nn, rr, dd)
            raise HypothesisFailed(
                f"Lemma 2D (lem-2d) needs k_j >= ceil(r_j/d_j) on both axes; on the {axis} axis "
                f"k={kk} < ceil(r/d)={v} (size {nn}, patch {rr}, stride {dd}). Use check_scheme "
                f"for the actual λ_min, or enlarge that side to >= {(v - 1) * dd + rr}.",
                claim="lem-2d",
            ) from exc
    a, b = parts
    values = {
        "height": height, "width": width, "patch_h": patch_h, "patch_w": patch_w,
        "stride_h": stride_h, "stride_w": stride_w, "channels": channels,
        "k1": a.values["k"], "k2": b.values["k"],
        "ceil_r1_d1": a.values["ceil_r_d"], "ceil_r2_d2": b.values["ceil_r_d"],
    }  # fmt: skip
    return LemmaBounds(
        "lem-2d",
        f"Kronecker product of the 1D cases [{a.case}] x [{b.case}]",
        a.lower * b.lower,
        a.upper * b.upper,
        a.lower_exact and b.lower_exact,
        a.upper_exact and b.upper_exact,
        "PPᵀ",
        values,
        LEMMA_2D,
    )


def covariance_spectrum_bounds(n: int, cov: Any) -> tuple[sp.Expr, sp.Expr, str]:
    r"""Bounds :math:`\ell \le \lambda_{\min}(\Sigma)`, :math:`\lambda_{\max}(\Sigma) \le u`.

    * identity: :math:`(1, 1)`; ``("diag", d)``: :math:`(\min d, \max d)` exactly;
    * AR(1) [derived]: :math:`\Sigma` is the :math:`n\times n` section of the Toeplitz
      operator with symbol :math:`f(\theta) = \sum_h \rho^{|h|}e^{ih\theta} =
      (1-\rho^2)/(1-2\rho\cos\theta+\rho^2)`; since :math:`x^\top\Sigma x =
      \frac1{2\pi}\int|\hat x(\theta)|^2 f(\theta)\,d\theta`, its eigenvalues lie in
      :math:`[\min f, \max f] = [(1-|\rho|)/(1+|\rho|), (1+|\rho|)/(1-|\rho|)]`;
    * a dense matrix: its float extreme eigenvalues (``eigvalsh``; not exact).

    Returns
    -------
    (lower, upper, how) : sympy numbers and a short description.
    """
    kind, payload = _cov_kind(n, cov)
    if kind == "identity":
        return sp.Integer(1), sp.Integer(1), "Σ = I"
    if kind == "diag":
        vals = [to_exact(v, "d")[0] for v in payload]
        return sp.Min(*vals), sp.Max(*vals), "diagonal Σ: min and max variance"
    if kind == "ar1":
        rho = abs(to_exact(payload, "rho")[0])
        return (
            (1 - rho) / (1 + rho),
            (1 + rho) / (1 - rho),
            "AR(1) Σ: range of the symbol (1-ρ²)/(1-2ρcosθ+ρ²)",
        )
    ev = np.linalg.eigvalsh(np.asarray(np.asarray(payload, dtype=object).astype(float)))
    return sp.Float(ev[0]), sp.Float(ev[-1]), "dense Σ: float eigenvalues"


def lemma_cov_transfer(ppt: LemmaBounds, sigma_min: Any, sigma_max: Any) -> LemmaBounds:
    r"""Transfer bounds on :math:`PP^\top` to :math:`M = P\Sigma P^\top` (``lem-cov-transfer``).

    [derived, §5] For :math:`\Sigma \succeq 0`:
    :math:`u^\top P\Sigma P^\top u \ge \lambda_{\min}(\Sigma)\|P^\top u\|^2 \ge
    \lambda_{\min}(\Sigma)\lambda_{\min}(PP^\top)\|u\|^2`, and likewise from above.

    Parameters
    ----------
    ppt : LemmaBounds
        Bounds on :math:`PP^\top` (from :func:`lemma_1d` or :func:`lemma_2d`).
    sigma_min, sigma_max : number
        Bounds :math:`0 \le` ``sigma_min`` :math:`\le \lambda_{\min}(\Sigma)` and
        :math:`\lambda_{\max}(\Sigma) \le` ``sigma_max`` (see :func:`covariance_spectrum_bounds`).

    Raises
    ------
    HypothesisFailed
        (claim ``"lem-cov-transfer"``) when ``sigma_min < 0`` (Σ is not PSD).
    """
    lo, hi = sp.sympify(sigma_min), sp.sympify(sigma_max)
    if bool(lo < 0):
        raise HypothesisFailed(
            f"the covariance transfer (lem-cov-transfer) needs Σ positive semidefinite, "
            f"λ_min(Σ) >= 0; got a lower bound {lo}. Pass a valid covariance.",
            claim="lem-cov-transfer",
        )
    return LemmaBounds(
        "lem-cov-transfer",
        f"λ_min(Σ) λ_min(PPᵀ) <= λ(PΣPᵀ) <= λ_max(Σ) λ_max(PPᵀ), with {ppt.claim}: {ppt.case}",
        lo * ppt.lower,
        hi * ppt.upper,
        False,
        False,
        "PΣPᵀ",
        {**ppt.values, "sigma_min": lo, "sigma_max": hi},
        LEMMA_COV_TRANSFER,
    )


# ============================================================================================
# sum-of-squares identity (lem-1d-sos)
# ============================================================================================
def _sos_parts(m: int) -> tuple[list[sp.Symbol], list[sp.Expr], sp.Expr, sp.Expr]:
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise TheoryError(
            f"the sum-of-squares identity needs an integer block size m >= 1; got {m!r}. "
            "Pass m as an int."
        )
    xs = list(sp.symbols(f"x1:{m + 1}", real=True))
    S = [sp.Integer(0)]
    for v in xs:
        S.append(S[-1] + v)
    s = S[m]
    X = sp.Matrix(xs)
    lhs = sp.expand((X.T * toeplitz_block(m, m) * X)[0, 0])
    rhs = s**2 + sum((S[g] ** 2 + (s - S[g]) ** 2 for g in range(1, m)), sp.Integer(0))
    return xs, S, lhs, rhs


def sos_identity(m: int) -> tuple[sp.Expr, sp.Expr]:
    r"""Return the sum-of-squares identity of ``lem-1d-sos`` [derived, §5], as (lhs, rhs).

    With partial sums :math:`S_g = x_1 + \dots + x_g` and :math:`s = S_m`:

    .. math:: x^\top A_m(m) x = s^2 + \sum_{g=1}^{m-1}\bigl(S_g^2 + (s-S_g)^2\bigr).

    ``lhs`` is the expanded quadratic form (symbols ``x1..xm``), ``rhs`` the unexpanded sum.
    """
    _, _, lhs, rhs = _sos_parts(m)
    return lhs, rhs


def sos_identity_holds(m: int) -> bool:
    """Verify :func:`sos_identity` symbolically: ``expand(lhs - rhs) == 0``."""
    lhs, rhs = sos_identity(m)
    return sp.expand(lhs - rhs) == 0


def sos_inequality_holds(m: int) -> bool:
    r"""Verify :math:`\|x\|^2 \le 2x^\top A_m(m)x` symbolically, through the per-coordinate step.

    With :math:`S_0 = 0`, :math:`R_p = S_p^2 + S_{p-1}^2 + (s-S_{p-1})^2 + (s-S_p)^2` checks,
    by expansion to zero:

    1. :math:`R_p - x_p^2 = \tfrac12(S_p + S_{p-1})^2 + \tfrac12(2s - S_p - S_{p-1})^2` for every
       :math:`p` (so :math:`x_p^2 \le R_p`; from :math:`x_p = S_p - S_{p-1} =
       (s-S_{p-1}) - (s-S_p)` and :math:`(a-b)^2 \le 2a^2 + 2b^2`);
    2. :math:`\sum_p R_p = 2\bigl(s^2 + \sum_{g=1}^{m-1}(S_g^2 + (s-S_g)^2)\bigr) =
       2x^\top A_m(m)x` (the identity).

    Hence :math:`2x^\top A_m(m)x - \|x\|^2` is a sum of squares, and with
    :math:`A_m(k) = (k-m)\mathbf 1\mathbf 1^\top + A_m(m)` (:func:`toeplitz_decomposition_holds`),
    :math:`\lambda_{\min}(A_m(k)) \ge 1/2` for :math:`k \ge m`.
    """
    xs, S, lhs, rhs = _sos_parts(m)
    s = S[m]
    total = sp.Integer(0)
    for p in range(1, m + 1):
        R = S[p] ** 2 + S[p - 1] ** 2 + (s - S[p - 1]) ** 2 + (s - S[p]) ** 2
        sos = (
            sp.Rational(1, 2) * (S[p] + S[p - 1]) ** 2
            + sp.Rational(1, 2) * (2 * s - S[p] - S[p - 1]) ** 2
        )
        if sp.expand(R - xs[p - 1] ** 2 - sos) != 0:
            return False
        total += R
    return sp.expand(total - 2 * rhs) == 0 and sp.expand(lhs - rhs) == 0


def toeplitz_decomposition_holds(m: int) -> bool:
    r"""Verify :math:`A_m(m+j) = j\,\mathbf 1\mathbf 1^\top + A_m(m)` for symbolic :math:`j \ge 0`.

    (:math:`k = m + j \ge m`: the decomposition used by ``lem-1d``.)
    """
    j = sp.Symbol("j", integer=True, nonnegative=True)
    diff = toeplitz_block(m, m + j) - (j * sp.ones(m, m) + toeplitz_block(m, m))
    return all(sp.simplify(v) == 0 for v in diff)


# ============================================================================================
# kernel direction
# ============================================================================================
@dataclass(frozen=True)
class KernelDirection:
    r"""A filter direction the data cannot identify: :math:`Mu = 0` (or :math:`\approx 0`).

    Attributes
    ----------
    w : numpy.ndarray, shape (r,)
        Unit vector with :math:`\|Mw\|` tiny.
    eigenvalue : float
        :math:`w^\top M w`.
    residual : float
        :math:`\|Mw\|` in floating point.
    exact : tuple of int or None
        An integer vector :math:`u \parallel w` with :math:`Mu = 0` exactly, when found.
    explanation : str
        Why, in words.
    """

    w: np.ndarray
    eigenvalue: float
    residual: float
    exact: tuple[int, ...] | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "w": [float(v) for v in self.w],
            "eigenvalue": self.eigenvalue,
            "residual": self.residual,
            "exact": list(self.exact) if self.exact is not None else None,
            "explanation": self.explanation,
        }


_WHY = (
    "Every Convotron update G_t = (y - f)·Px is orthogonal to u, because uᵀPx = (Pᵀu)ᵀx has "
    "variance uᵀMu = 0, so it is 0 for every input; starting from w_1 = 0 the iterates never "
    "move along u, and the component of w* along u is never learned (thm-convotron needs "
    "λ_min(M) > 0)."
)


def _duplicate_positions(idx: np.ndarray) -> tuple[int, int] | None:
    """Two filter positions that read the same multiset of coordinates, if any."""
    seen: dict[bytes, int] = {}
    for a in range(idx.shape[1]):
        col = idx[:, a]
        key = np.sort(col[col >= 0]).tobytes()  # a padded read (-1) contributes nothing
        if key in seen:
            return seen[key], a
        seen[key] = a
    return None


def kernel_direction(
    n: int, indices: Any, cov: Any = "identity", *, M: np.ndarray | None = None
) -> KernelDirection:
    r"""Find the filter direction of smallest :math:`w^\top M w`, with an explanation in words.

    Returns the unit eigenvector of :math:`\lambda_{\min}(M)`; call it when the condition fails
    (:math:`\lambda_{\min}(M) = 0`). An exact integer kernel vector is attached when a simple
    cause is found:

    * two filter positions :math:`a \ne b` read the same coordinates equally often (the same
      multiset over the patches): rows :math:`a, b` of :math:`P` are equal, so
      :math:`(Px)_a = (Px)_b` for every input and :math:`u = e_a - e_b` has :math:`P^\top u = 0`;
    * (diagonal :math:`\Sigma`) a position :math:`a` reads only coordinates of zero variance:
      :math:`u = e_a`;
    * otherwise, when :math:`M` is integer (:math:`\Sigma = I`) and :math:`r \le` ``EXACT_MAX_R``,
      the witness of the exact :math:`LDL^\top` certificate.

    Parameters
    ----------
    n, indices, cov : as in :func:`overlap_numeric`
    M : numpy.ndarray, optional
        The overlap matrix if already computed.
    """
    idx = as_indices(n, indices)
    kind, payload = _cov_kind(n, cov)
    Mf = np.asarray(_overlap_from(idx, n, kind, payload) if M is None else M, dtype=float)
    vals, vecs = np.linalg.eigh(Mf)
    w = vecs[:, 0]
    w = w * (1.0 if w[np.argmax(np.abs(w))] > 0 else -1.0)
    r = idx.shape[1]
    exact: tuple[int, ...] | None = None
    explanation = ""
    dup = _duplicate_positions(idx)
    pad_only = [a for a in range(r) if not np.any(idx[:, a] >= 0)]
    if pad_only:  # conv padding: the position reads a padded zero in every patch
        a = pad_only[0]
        u = [0] * r
        u[a] = 1
        exact = tuple(u)
        explanation = (
            f"filter position {a} reads a zero of the padding in every one of the "
            f"{idx.shape[0]} patches (row {a} of P is zero), so the data never shows w_{a}: "
            f"u = e_{a} has Pᵀu = 0. "
        )
    elif dup is not None:
        a, b = dup
        u = [0] * r
        u[a], u[b] = 1, -1
        exact = tuple(u)
        explanation = (
            f"filter positions {a} and {b} read exactly the same input coordinates, each as "
            f"often (the same multiset over the {idx.shape[0]} patches), so (Px)_{a} = (Px)_{b} "
            f"for every input and no data can tell w_{a} from w_{b}: u = e_{a} - e_{b} has "
            "Pᵀu = 0. "
        )
    elif kind == "diag":
        zero = np.asarray([float(v) == 0 for v in payload])
        for a in range(r):
            if np.all(zero[idx[:, a]]):
                u = [0] * r
                u[a] = 1
                exact = tuple(u)
                explanation = (
                    f"filter position {a} reads only input coordinates of zero variance "
                    f"({sorted(set(idx[:, a].tolist()))[:8]}...), so the data never shows w_{a}: "
                    f"u = e_{a}. "
                )
                break
    if exact is None and kind == "identity" and r <= EXACT_MAX_R:
        cert = certify_positive_definite(np.asarray(Mf.round(), dtype=np.int64))
        if not cert.holds and cert.quadratic_form == 0:
            exact = cert.kernel_direction
            support = [a for a, v in enumerate(exact or ()) if v]
            explanation = (
                f"the rows of P for filter positions {support} are linearly dependent: "
                f"Σ_a u_a P[a, j] = 0 at every input coordinate j with the integer u = "
                f"{list(exact or ())} (from the exact LDLᵀ elimination), i.e. Pᵀu = 0. "
            )
    if exact is not None:
        ue = np.asarray(exact, dtype=float)
        w = ue / np.linalg.norm(ue)
    if not explanation:
        support = [a for a in range(r) if abs(w[a]) > 1e-8]
        explanation = (
            f"uᵀMu ≈ {vals[0]:.3g} for the unit filter u supported on positions {support}: "
            "Σ^{1/2}Pᵀu ≈ 0, the positions' reads cancel at every input coordinate. "
        )
    return KernelDirection(
        w=w,
        eigenvalue=float(w @ Mf @ w),
        residual=float(np.linalg.norm(Mf @ w)),
        exact=exact,
        explanation=explanation + _WHY,
    )


# ============================================================================================
# check_scheme
# ============================================================================================
@dataclass(frozen=True)
class SchemeCheck:
    r"""Everything ``convotron check`` reports about one scheme (see :func:`check_scheme`).

    Attributes
    ----------
    n, r, k : int
    cov : str
        Description of Σ (``"identity"``, ``"ar1:0.5"``, ``"diag"``, ``"dense"``).
    lambda_min, lambda_max : float
        Extreme eigenvalues of :math:`M = P\Sigma P^\top` (``eigvalsh``).
    trace : float
        :math:`\operatorname{tr} M` (:math:`= rk` for Σ = I).
    condition_holds : bool
        :math:`\lambda_{\min}(M) > 0` (the hypothesis of ``thm-convotron``): decided by the
        exact certificate when ``certificate == "exact"``, else by
        :math:`\lambda_{\min} > 10^{-10}\max(\lambda_{\max}, 1)`.
    certificate : str
        ``"exact"`` (rational :math:`LDL^\top`) or ``"numeric"``.
    certificate_detail : Certificate or None
    lemma : str or None
        Label of the lemma that applies (``"lem-1d"``, ``"lem-2d"``, ``"lem-cov-transfer"``).
    lemma_lower_bound, lemma_upper_bound : sympy number or None
        None when no geometry was given or the lemma's hypotheses fail.
    lemma_reason : str or None
        Why no lemma bound is reported (the failing hypothesis), else the case that applied.
    lemma_bounds : LemmaBounds or None
    kernel_direction : KernelDirection or None
        None when the condition holds.
    exact_lambda_min, exact_lambda_max : sympy.Expr or None
        Exact expressions when small enough (identity Σ with a stride geometry, or
        :math:`r \le 8` with rational Σ).
    notes : tuple of str
        Conversions made (floats read as rationals) and choices (why numeric).
    geometry : dict or None
    overlap : numpy.ndarray
        :math:`M` itself (``int64`` for Σ = I); not in :meth:`to_dict`.
    """

    n: int
    r: int
    k: int
    cov: str
    lambda_min: float
    lambda_max: float
    trace: float
    condition_holds: bool
    certificate: str
    certificate_detail: Certificate | None
    lemma: str | None
    lemma_lower_bound: sp.Expr | None
    lemma_upper_bound: sp.Expr | None
    lemma_reason: str | None
    lemma_bounds: LemmaBounds | None
    kernel_direction: KernelDirection | None
    exact_lambda_min: sp.Expr | None
    exact_lambda_max: sp.Expr | None
    notes: tuple[str, ...] = ()
    geometry: dict[str, Any] | None = None
    overlap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (keys of ``convotron check --json``)."""

        def num(v: Any) -> float | None:
            return None if v is None else float(v)

        def txt(v: Any) -> str | None:
            return None if v is None else str(v)

        cert = self.certificate_detail
        return {
            "n": self.n,
            "r": self.r,
            "k": self.k,
            "cov": self.cov,
            "lambda_min": self.lambda_min,
            "lambda_max": self.lambda_max,
            "trace": self.trace,
            "condition_holds": self.condition_holds,
            "certificate": self.certificate,
            "certificate_reason": cert.reason if cert is not None else None,
            "pivots": [str(p) for p in cert.pivots] if cert is not None else None,
            "lemma": self.lemma,
            "lemma_lower_bound": num(self.lemma_lower_bound),
            "lemma_upper_bound": num(self.lemma_upper_bound),
            "lemma_lower_bound_exact": txt(self.lemma_lower_bound),
            "lemma_upper_bound_exact": txt(self.lemma_upper_bound),
            "lemma_reason": self.lemma_reason,
            "kernel_direction": (
                [float(v) for v in self.kernel_direction.w]
                if self.kernel_direction is not None
                else None
            ),
            "kernel_direction_exact": (
                list(self.kernel_direction.exact)
                if self.kernel_direction is not None and self.kernel_direction.exact is not None
                else None
            ),
            "kernel_explanation": (
                self.kernel_direction.explanation if self.kernel_direction is not None else None
            ),
            "exact_lambda_min": txt(self.exact_lambda_min),
            "exact_lambda_max": txt(self.exact_lambda_max),
            "notes": list(self.notes),
            "geometry": self.geometry,
        }


#: ``check_scheme(exact=None)`` certifies a non-identity Σ exactly only when its parameters
#: are rationals (read from their decimal strings) with denominators at most this: a float
#: such as ``1e-300`` would otherwise make exact arithmetic needlessly slow.
AUTO_EXACT_MAX_DENOMINATOR = 10**6
#: ``check_scheme`` computes exact eigenvalues for a non-identity Σ only up to this ``n``
#: (the characteristic polynomial's coefficients grow with ``n``).
AUTO_EXACT_EIG_MAX_N = 64


def _simple_rational_cov(kind: str, payload: Any) -> bool:
    """Whether Σ's parameters are rationals with small denominators (for ``exact=None``)."""
    values = [payload] if kind == "ar1" else np.asarray(payload, dtype=object).ravel().tolist()
    for v in values:
        try:
            e, _ = to_exact(v, "value")
        except TheoryError:
            return False
        if not e.is_Rational or abs(int(e.q)) > AUTO_EXACT_MAX_DENOMINATOR:
            return False
    return True


def _exact_cov_payload(kind: str, payload: Any, notes: list[str]) -> Any:
    """Exact rationals for the covariance parameters (floats via Fraction(str(x)), noted)."""

    def ex(v: Any, name: str) -> Fraction:
        e, note = to_exact(v, name)
        if not e.is_Rational:
            raise TheoryError(
                f"an exact certificate needs a rational covariance; {name} = {e} is not "
                "rational. Pass a rational value (e.g. 1/2), or exact=False for a numeric check."
            )
        if note and note not in notes:
            notes.append(note)
        return Fraction(int(e.p), int(e.q))

    if kind == "ar1":
        return ex(payload, "rho")
    if kind == "diag":
        return [ex(v, f"d[{j}]") for j, v in enumerate(payload)]
    arr = np.asarray(payload, dtype=object)
    return [[ex(arr[i, j], f"Sigma[{i},{j}]") for j in range(arr.shape[1])] for i in
            range(arr.shape[0])]  # fmt: skip


def _exact_overlap(idx: np.ndarray, n: int, kind: str, exact_payload: Any) -> list[list[Fraction]]:
    """Exact M = P Σ Pᵀ in Fractions for a rational Σ (n <= EXACT_COV_MAX_N)."""
    r = idx.shape[1]
    C = np.zeros((r, n), dtype=np.int64)
    for a in range(r):
        C[a] = np.bincount(idx[:, a] + 1, minlength=n + 1)[1:]  # -1 (padding) reads nothing
    cols = [np.nonzero(C[a])[0] for a in range(r)]
    if kind == "diag":
        d = exact_payload
        return [
            [sum((Fraction(int(C[a, j] * C[b, j])) * d[j] for j in cols[a]), Fraction(0))
             for b in range(r)] for a in range(r)
        ]  # fmt: skip
    if kind == "ar1":
        rho: Fraction = exact_payload
        # distance histograms N_ab(h) = #{(j, j') : |j - j'| = h} weighted by counts
        powers = [Fraction(1)]
        out = [[Fraction(0)] * r for _ in range(r)]
        for a in range(r):
            ja, wa = cols[a], C[a, cols[a]]
            for b in range(a, r):
                jb, wb = cols[b], C[b, cols[b]]
                dist = np.abs(ja[:, None] - jb[None, :]).ravel()
                hist = np.bincount(dist, weights=(wa[:, None] * wb[None, :]).ravel())
                while len(powers) < len(hist):
                    powers.append(powers[-1] * rho)
                val = sum((round(c) * powers[h] for h, c in enumerate(hist) if c), Fraction(0))
                out[a][b] = out[b][a] = val
        return out
    S = exact_payload
    V = [[sum((int(C[a, j]) * S[j][jj] for j in cols[a]), Fraction(0)) for jj in range(n)]
         for a in range(r)]  # fmt: skip
    return [[sum((V[a][j] * int(C[b, j]) for j in cols[b]), Fraction(0)) for b in range(r)]
            for a in range(r)]  # fmt: skip


def _geometry_indices(geometry: dict[str, Any]) -> tuple[np.ndarray, str]:
    kind = geometry.get("kind")
    if kind in ("conv1d", "conv2d"):  # conv layers (padding, dilation): theory/conv.py
        from .conv import conv_indices

        return conv_indices(geometry), kind
    try:
        if kind == "1d":
            return stride_1d_indices(geometry["n"], geometry["r"], geometry["stride"]), kind
        keys = ("height", "width", "patch_h", "patch_w", "stride_h", "stride_w")
        if kind == "2d":
            return stride_2d_indices(*(geometry[key] for key in keys)), kind
        if kind == "2d-channels":
            return stride_2d_channels_indices(
                geometry["channels"], *(geometry[key] for key in keys)
            ), kind
    except KeyError as exc:
        raise TheoryError(
            f"geometry of kind {kind!r} misses the key {exc.args[0]!r}; got keys "
            f"{sorted(geometry)}. Pass the keys of PatchScheme.geometry."
        ) from None
    raise TheoryError(
        f"geometry['kind'] must be '1d', '2d' or '2d-channels'; got {kind!r}. Pass the "
        "geometry dict of a stride scheme, or geometry=None."
    )


def _geometry_lemma(geometry: dict[str, Any]) -> LemmaBounds:
    kind = geometry["kind"]
    if kind in ("conv1d", "conv2d"):
        from .conv import lemma_conv

        return lemma_conv(geometry)
    if kind == "1d":
        return lemma_1d(geometry["n"], geometry["r"], geometry["stride"])
    return lemma_2d(
        geometry["height"],
        geometry["width"],
        geometry["patch_h"],
        geometry["patch_w"],
        geometry["stride_h"],
        geometry["stride_w"],
        channels=geometry.get("channels", 1),
    )


def _geometry_exact_extremes(geometry: dict[str, Any]) -> tuple[sp.Expr, sp.Expr] | None:
    """Exact extreme eigenvalues of PPᵀ from the Toeplitz blocks (None if blocks too big)."""

    def axis(nn: int, rr: int, dd: int) -> tuple[sp.Expr, sp.Expr] | None:
        kk = _stride_1d_k(nn, rr, dd)
        m = _ceil_div(rr, dd)
        if m > EXACT_EIG_MAX_R:
            return None
        ev = exact_eigenvalues(toeplitz_block(min(m, rr), kk))
        return ev[0], ev[-1]

    if geometry["kind"] in ("conv1d", "conv2d"):
        return None  # no closed form for padded/dilated layers: eigenvalues of M itself
    if geometry["kind"] == "1d":
        return axis(geometry["n"], geometry["r"], geometry["stride"])
    a = axis(geometry["height"], geometry["patch_h"], geometry["stride_h"])
    b = axis(geometry["width"], geometry["patch_w"], geometry["stride_w"])
    if a is None or b is None:
        return None
    return sp.expand(a[0] * b[0]), sp.expand(a[1] * b[1])


def check_scheme(
    n: int,
    indices: Any,
    cov: Any = "identity",
    exact: bool | None = None,
    geometry: dict[str, Any] | None = None,
) -> SchemeCheck:
    r"""Check Convotron's condition :math:`\lambda_{\min}(P\Sigma P^\top) > 0` for a scheme.

    Steps: :math:`M` by :func:`overlap_numeric` (never :math:`n \times n`) and its extreme
    eigenvalues; an exact :math:`LDL^\top` certificate (:func:`certify_positive_definite`)
    when asked or cheap; the lemma bounds when a stride ``geometry`` is given and the lemma's
    hypotheses hold (``lem-1d``, ``lem-2d``; with ``lem-cov-transfer`` for Σ ≠ I); exact
    eigenvalue expressions when small; the kernel direction when the condition fails.

    Parameters
    ----------
    n : int
    indices : array_like of int, shape (k, r)
    cov : str, tuple or array, default ``"identity"``
        As in :func:`overlap_numeric`.
    exact : bool or None
        ``None``: certify exactly when that is cheap, i.e. :math:`r \le` ``EXACT_MAX_R`` and Σ
        is the identity (any :math:`n`: :math:`PP^\top` is computed exactly in ``int64``) or a
        rational Σ with :math:`n \le` ``EXACT_COV_MAX_N``; otherwise numeric. ``True``: always
        certify exactly (a float parameter is read as the rational it prints as,
        ``Fraction(str(x))``, and a note says so); raises when impossible. ``False``: numeric.
    geometry : dict or None
        ``{"kind": "1d", "n", "r", "stride"}``, ``{"kind": "2d", "height", "width",
        "patch_h", "patch_w", "stride_h", "stride_w"}`` or ``{"kind": "2d-channels",
        "channels", ...}`` (the keys of ``convotron``'s ``PatchScheme.geometry``); enables the
        lemmas and exact eigenvalues from the closed forms. It must describe ``indices``.

    Returns
    -------
    SchemeCheck

    Raises
    ------
    TheoryError
        Bad scheme, covariance or geometry, or ``exact=True`` where an exact certificate is
        impossible (irrational or symbolic parameter, or :math:`n >` ``EXACT_COV_MAX_N`` with a
        non-identity Σ).

    Examples
    --------
    >>> res = check_scheme(16, [[2 * i + a for a in range(4)] for i in range(7)])
    >>> res.lambda_min, res.lambda_max, res.condition_holds, res.certificate
    (1.0, 13.0, True, 'exact')
    """
    idx = as_indices(n, indices)
    k, r = idx.shape
    kind, payload = _cov_kind(n, cov)
    notes: list[str] = []

    if geometry is not None:
        gidx, _ = _geometry_indices(geometry)
        if gidx.shape != idx.shape or not np.array_equal(gidx, idx):
            raise TheoryError(
                f"geometry {geometry} does not describe these indices (shape {idx.shape}, "
                f"geometry gives {gidx.shape} or different coordinates). Pass the geometry of "
                "the same scheme, or geometry=None."
            )

    M = _overlap_from(idx, n, kind, payload)
    Mf = np.asarray(M, dtype=float)
    ev = np.linalg.eigvalsh(Mf)
    lmin, lmax = float(ev[0]), float(ev[-1])

    # ---- exact certificate ----------------------------------------------------------------
    cert: Certificate | None = None
    M_exact: list[list[Fraction]] | None = None
    if exact is None:
        do_exact = r <= EXACT_MAX_R and (
            kind == "identity" or (n <= EXACT_COV_MAX_N and _simple_rational_cov(kind, payload))
        )
        if not do_exact:
            notes.append(
                f"numeric certificate: exact=None certifies exactly only for r <= {EXACT_MAX_R} "
                f"and (Σ = I, or n <= {EXACT_COV_MAX_N} with Σ's entries rationals of "
                f"denominator <= {AUTO_EXACT_MAX_DENOMINATOR}); pass exact=True to force it"
            )
    else:
        do_exact = bool(exact)
    if do_exact:
        if kind == "identity":
            M_exact = [[Fraction(int(v)) for v in row] for row in np.asarray(M)]
        else:
            if n > EXACT_COV_MAX_N:
                raise TheoryError(
                    f"an exact certificate with a non-identity Σ needs n <= {EXACT_COV_MAX_N}; "
                    f"got n={n}. Use exact=False (numeric) or exact=None."
                )
            M_exact = _exact_overlap(idx, n, kind, _exact_cov_payload(kind, payload, notes))
        cert = certify_positive_definite(M_exact)
        holds = cert.holds
    else:
        holds = lmin > NUMERIC_RTOL * max(lmax, 1.0)

    # ---- lemma ----------------------------------------------------------------------------
    lemma_bounds: LemmaBounds | None = None
    lemma_reason: str | None
    if geometry is None:
        lemma_reason = "no stride geometry given: the 1D/2D lemmas need a patch-and-stride scheme"
    else:
        try:
            lemma_bounds = _geometry_lemma(geometry)
            if kind != "identity":
                lo, hi, how = covariance_spectrum_bounds(n, cov)
                lemma_bounds = lemma_cov_transfer(lemma_bounds, lo, hi)
                notes.append(f"lemma bounds on PΣPᵀ use {how}")
            lemma_reason = lemma_bounds.case
        except HypothesisFailed as exc:
            lemma_reason = str(exc)

    # ---- exact eigenvalues ----------------------------------------------------------------
    ex_min: sp.Expr | None = None
    ex_max: sp.Expr | None = None
    if geometry is not None and kind == "identity":
        got = _geometry_exact_extremes(geometry)
        if got is not None:
            ex_min, ex_max = got
    elif M_exact is not None and r <= 8 and n <= AUTO_EXACT_EIG_MAX_N:
        evs = exact_eigenvalues(M_exact)
        ex_min, ex_max = evs[0], evs[-1]
    elif kind == "identity" and r <= 8:
        evs = exact_eigenvalues(np.asarray(M))
        ex_min, ex_max = evs[0], evs[-1]

    kd = None if holds else kernel_direction(n, idx, cov, M=Mf)
    return SchemeCheck(
        n=int(n),
        r=r,
        k=k,
        cov=_cov_name(kind, payload),
        lambda_min=lmin,
        lambda_max=lmax,
        trace=float(np.trace(Mf)),
        condition_holds=bool(holds),
        certificate="exact" if cert is not None else "numeric",
        certificate_detail=cert,
        lemma=lemma_bounds.claim if lemma_bounds is not None else None,
        lemma_lower_bound=lemma_bounds.lower if lemma_bounds is not None else None,
        lemma_upper_bound=lemma_bounds.upper if lemma_bounds is not None else None,
        lemma_reason=lemma_reason,
        lemma_bounds=lemma_bounds,
        kernel_direction=kd,
        exact_lambda_min=ex_min,
        exact_lambda_max=ex_max,
        notes=tuple(notes),
        geometry=geometry,
        overlap=np.asarray(M),
    )
