r"""Patch operators and overlap matrices, exactly, from the definition and in closed form.

The model [paper] (Goel, Klivans and Meka, ICML 2018; ``convotron-theory.md`` §1): a scheme
is an input dimension :math:`n` and a :math:`k \times r` integer index array ``indices``; patch
operator :math:`P_i \in \{0,1\}^{r\times n}` has row :math:`a` equal to the unit row vector
:math:`e_{\mathrm{indices}[i,a]}^\top`, so :math:`P_i x = x[\mathrm{indices}[i]]` and, because the
:math:`r` indices of one patch are distinct, :math:`P_i P_i^\top = I_r`. Patches may overlap
each other arbitrarily.

The analysis [derived] (§3) uses :math:`P = \sum_i P_i` (:math:`r \times n`, entry :math:`(a, j)`
counts the patches whose position :math:`a` reads coordinate :math:`j`) and the overlap matrix

.. math:: M = P \Sigma P^\top = \sum_{i,j} P_i \Sigma P_j^\top \in \mathbb{R}^{r\times r}.

This module builds :math:`P_i`, :math:`P` and :math:`M` as exact :mod:`sympy` matrices straight
from the definition (small :math:`n`; the scalable floating-point version is
:func:`convotron_theory.spectra.overlap_numeric`), for :math:`\Sigma` the identity, a diagonal,
AR(1)
(:math:`\Sigma_{ij} = \rho^{|i-j|}` with symbolic or rational :math:`\rho`) or a given matrix.

**Zero padding** (conv layers, ``book/conv.md``): an entry ``-1`` (:data:`PAD`) of ``indices``
means that position :math:`a` of patch :math:`i` reads a zero of the padding: row :math:`a` of
:math:`P_i` is the zero row, so :math:`P_iP_i^\top \preceq I_r` (a 0/1 diagonal) instead of
:math:`= I_r`. Every builder here treats it so.

Closed forms [derived] (§5), checked against the definition in ``tests/theory/test_overlap.py``:

* ``lem-1d-structure``: for the 1D patch-and-stride scheme (:math:`n = (k-1)d + r`, patch
  :math:`i` covers :math:`id, \dots, id + r - 1`),
  :math:`(PP^\top)_{ab} = k - |a-b|/d` when :math:`d \mid a-b` and that is positive, else 0.
  Grouping the positions by residue mod :math:`d` makes it block diagonal with Toeplitz
  blocks :math:`A_m(k) = [(k-|p-q|)_+]_{p,q=1}^m` (:func:`toeplitz_block`), the largest of size
  :math:`\lceil r/d\rceil`.
* ``lem-2d-kron``: for the 2D scheme (row-major flattening ``y * width + x``, patch positions
  and in-patch offsets row-major) :math:`P = P^{(1)} \otimes P^{(2)}` and
  :math:`PP^\top = (P^{(1)}P^{(1)\top}) \otimes (P^{(2)}P^{(2)\top})`; with channels
  (channel-major ``c * H * W + y * W + x``, a patch spans all channels)
  :math:`PP^\top = I_C \otimes (P^{(1)}P^{(1)\top}) \otimes (P^{(2)}P^{(2)\top})`.

The index builders :func:`stride_1d_indices`, :func:`stride_2d_indices` and
:func:`stride_2d_channels_indices` follow the same conventions as ``convotron``'s
``PatchScheme`` (written independently here: this module never imports ``convotron``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ._errors import TheoryError
from ._errors import check_positive_int as _check_positive_int
from ._stride import _ceil_div as _ceil_div
from ._stride import _stride_1d_k as _stride_1d_k
from ._stride import (
    overlap_1d_blocks,
    overlap_1d_closed_form,
    overlap_2d_channels_closed_form,
    overlap_2d_closed_form,
    stride_1d_indices,
    stride_2d_channels_indices,
    stride_2d_indices,
    toeplitz_block,
)

__all__ = [
    "PAD",
    "as_indices",
    "covariance_matrix",
    "overlap_1d_blocks",
    "overlap_1d_closed_form",
    "overlap_2d_channels_closed_form",
    "overlap_2d_closed_form",
    "overlap_matrix",
    "patch_operators",
    "patch_sum",
    "stride_1d_indices",
    "stride_2d_channels_indices",
    "stride_2d_indices",
    "to_exact",
    "toeplitz_block",
]

#: Largest ``n`` for which an ``n x n`` sympy matrix is built (the definition is dense).
MAX_EXACT_N = 4096
#: Index sentinel: the position reads a zero of the padding (a zero row of :math:`P_i`).
PAD = -1


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def as_indices(n: int, indices: Any) -> np.ndarray:
    r"""Validate a scheme given as plain data and return its index array.

    Parameters
    ----------
    n : int
        Input dimension, :math:`n \ge 1`.
    indices : array_like of int, shape (k, r)
        ``indices[i, a]`` is the input coordinate read by position :math:`a` of patch
        :math:`i` (:math:`P_i x = x[\mathrm{indices}[i]]`).

    Returns
    -------
    numpy.ndarray
        A C-contiguous ``int64`` array of shape ``(k, r)``.

    Raises
    ------
    TheoryError
        When ``n`` is not a positive integer, ``indices`` is not a non-empty 2D integer array,
        an index lies outside :math:`[0, n)`, or a patch reads a coordinate twice (then
        :math:`P_i P_i^\top \ne I_r`, against the model [paper]).
    """
    n = _check_positive_int("n", n, "Pass the input dimension as an int >= 1.")
    arr = np.asarray(indices)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise TheoryError(
            "indices must be a non-empty 2D array of shape (k, r) (one row per patch); "
            f"got shape {arr.shape}. Pass a nested list or array with k >= 1 rows of r >= 1 "
            "coordinates."
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TheoryError(
                "indices must hold integer input coordinates; got dtype "
                f"{arr.dtype}. Pass integers in [0, n)."
            )
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < PAD or hi >= n:
        bad = lo if lo < 0 else hi
        raise TheoryError(
            f"indices must lie in [0, n) = [0, {n}); got {bad}. "
            "Use 0-based input coordinates smaller than n (or increase n), or -1 for a padded "
            "zero."
        )
    if arr.shape[1] > 1:
        if not np.all(
            arr[:, 1:] > arr[:, :-1]
        ):  # rows not increasing: check distinctness by sorting
            srt = np.sort(arr, axis=1)
            same = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] != PAD)  # padding may repeat
            dup = np.nonzero(np.any(same, axis=1))[0]
            if dup.size:
                i = int(dup[0])
                row = srt[i]
                j = int(row[1:][(row[1:] == row[:-1]) & (row[1:] != PAD)][0])
                raise TheoryError(
                    f"each patch must read r distinct coordinates (P_i P_iᵀ = I_r); patch {i} "
                    f"reads coordinate {j} twice. Remove the repeated coordinate from patch {i}."
                )
    return arr


def to_exact(value: Any, name: str = "value") -> tuple[sp.Expr, str | None]:
    """Convert a number to an exact sympy number; floats via ``Fraction(str(x))``.

    Parameters
    ----------
    value : int, Fraction, float, str, or sympy expression
        A float is read as the decimal it prints as (``0.3`` becomes ``3/10``), which is the
        number the user typed; sympy expressions (symbols, surds) are kept as they are.
    name : str
        Name used in messages.

    Returns
    -------
    (sympy.Expr, str or None)
        The exact value and a note saying how a float or string was converted (else None).

    Raises
    ------
    TheoryError
        For NaN, infinities and values sympy cannot read.
    """
    if isinstance(value, sp.Basic):
        return value, None
    if isinstance(value, bool):
        raise TheoryError(f"{name} must be a number; got {value!r}. Pass an int or a rational.")
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value)), None
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator), None
    if isinstance(value, float | np.floating | str):
        try:
            frac = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise TheoryError(
                f"{name} must be a finite number; got {value!r}. Pass a finite int, float or "
                "rational such as '3/10'."
            ) from None
        exact = sp.Rational(frac.numerator, frac.denominator)
        if isinstance(value, str):
            return exact, None
        own = Fraction(float(value))
        if own == frac:  # the float is this rational: nothing is lost
            return exact, f"{name}={value!r} given as a float, exactly the rational {exact}"
        return exact, (
            f"{name}={value!r} given as a float, read as the decimal it prints as: the "
            f"rational {exact} (the float itself is {own}; the exact "
            "results are for the decimal)"
        )
    raise TheoryError(
        f"{name} must be a number or a sympy expression; got {type(value).__name__} "
        f"{value!r}. Pass an int, a Fraction, a float or a sympy expression."
    )


# --------------------------------------------------------------------------------------------
# from the definition
# --------------------------------------------------------------------------------------------
def _check_small(n: int, what: str) -> None:
    if n > MAX_EXACT_N:
        raise TheoryError(
            f"{what} builds dense n x n / r x n sympy matrices and is limited to "
            f"n <= {MAX_EXACT_N}; got n={n}. Use convotron_theory.spectra.overlap_numeric for "
            "large n, "
            "or a closed form (overlap_1d_closed_form, overlap_2d_closed_form)."
        )


def patch_operators(n: int, indices: Any) -> list[sp.Matrix]:
    r"""Build the patch operators :math:`P_1, \dots, P_k` from the definition [paper].

    Row :math:`a` of :math:`P_i` is :math:`e_{\mathrm{indices}[i,a]}^\top`: a single 1 in column
    ``indices[i, a]``. Hence :math:`P_i x = x[\mathrm{indices}[i]]` and :math:`P_iP_i^\top = I_r`.
    A padded position (``indices[i, a] = -1``) gives a zero row (:math:`P_iP_i^\top \preceq I_r`).

    Parameters
    ----------
    n : int
        Input dimension (at most ``MAX_EXACT_N``).
    indices : array_like of int, shape (k, r)

    Returns
    -------
    list of sympy.Matrix
        ``k`` integer matrices of shape ``(r, n)``.
    """
    idx = as_indices(n, indices)
    _check_small(n, "patch_operators")
    k, r = idx.shape
    ops = []
    for i in range(k):
        Pi = sp.zeros(r, n)
        for a in range(r):
            if idx[i, a] != PAD:
                Pi[a, int(idx[i, a])] = 1
        ops.append(Pi)
    return ops


def patch_sum(n: int, indices: Any) -> sp.Matrix:
    r""":math:`P = \sum_i P_i` [derived notation, §3], an :math:`r \times n` count matrix.

    :math:`P_{aj}` is the number of patches whose position :math:`a` reads coordinate :math:`j`.
    Built by adding the operators of :func:`patch_operators` (the definition).
    """
    ops = patch_operators(n, indices)
    total = ops[0]
    for Pi in ops[1:]:
        total = total + Pi
    return total


def _parse_cov_string(cov: str) -> Any:
    low = cov.strip().lower()
    if low == "identity":
        return "identity"
    if low.startswith("ar1:"):
        return ("ar1", low[4:])
    raise TheoryError(
        f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho) or a matrix; got "
        f"{cov!r}. Pass one of these forms, e.g. 'ar1:0.5'."
    )


def _diag_values(n: int, d: Any) -> list[Any]:
    """Return the n variances of ``("diag", d)`` (one number repeated, or a sequence of n)."""
    vals = [d] * n if np.ndim(d) == 0 else list(np.asarray(d, dtype=object).ravel())
    if len(vals) != n:
        raise TheoryError(
            f"('diag', d) needs one variance per input coordinate (n={n}); got {len(vals)} "
            "values. Pass a sequence of length n or a single number."
        )
    return vals


def covariance_matrix(n: int, cov: Any = "identity") -> tuple[sp.Matrix, list[str]]:
    r"""Build the covariance :math:`\Sigma` as an exact :math:`n \times n` sympy matrix.

    Parameters
    ----------
    n : int
        Input dimension (at most ``MAX_EXACT_N``).
    cov : str, tuple or matrix
        ``"identity"``; ``("diag", d)`` with ``d`` a sequence of ``n`` nonnegative numbers or
        one number (then :math:`\Sigma = dI`); ``("ar1", rho)`` or ``"ar1:RHO"`` for
        :math:`\Sigma_{ij} = \rho^{|i-j|}` with ``rho`` a sympy symbol or a number with
        :math:`|\rho| < 1`; or a symmetric :math:`n\times n` ``sympy.Matrix`` / array (entries
        read exactly). Floats are read exactly as the decimal they print as (see
        :func:`to_exact`).

    Returns
    -------
    (sympy.Matrix, list of str)
        :math:`\Sigma` and notes on the float-to-rational conversions made.
    """
    n = _check_positive_int("n", n)
    _check_small(n, "covariance_matrix")
    if isinstance(cov, str):
        cov = _parse_cov_string(cov)
    notes: list[str] = []
    if isinstance(cov, str) and cov == "identity":
        return sp.eye(n), notes
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "diag":
        vals = _diag_values(n, cov[1])
        exact = []
        for j, v in enumerate(vals):
            e, note = to_exact(v, f"d[{j}]")
            if e.is_number and bool(e < 0):
                raise TheoryError(
                    f"('diag', d) needs variances d[j] >= 0; got d[{j}]={v!r}. Pass nonnegative "
                    "variances."
                )
            if note:
                notes.append(note)
            exact.append(e)
        if notes:
            notes = ["float variances read exactly as the decimals they print as"]
        return sp.diag(*exact), notes
    if isinstance(cov, tuple) and len(cov) == 2 and cov[0] == "ar1":
        rho, note = to_exact(cov[1], "rho")
        if note:
            notes.append(note)
        if rho.is_number and not bool(abs(rho) < 1):
            raise TheoryError(
                f"AR(1) needs |rho| < 1 (Σ_ij = rho^|i-j| positive definite); got rho={cov[1]!r}. "
                "Pass a correlation strictly between -1 and 1."
            )
        return sp.Matrix(n, n, lambda i, j: rho ** abs(i - j)), notes
    if isinstance(cov, sp.MatrixBase | np.ndarray | list):
        S = sp.Matrix(cov)
        if S.shape != (n, n):
            raise TheoryError(
                f"a covariance matrix must be n x n = {n} x {n}; got shape {S.shape}. "
                "Pass the full covariance of the input."
            )
        conv = sp.Matrix(n, n, lambda i, j: to_exact(S[i, j], f"Sigma[{i},{j}]")[0])
        if any(isinstance(v, float | np.floating) for v in np.asarray(cov, dtype=object).ravel()):
            notes.append("float covariance entries read exactly as the decimals they print as")
        if conv != conv.T:
            raise TheoryError(
                "a covariance matrix must be symmetric (Σ = Σᵀ); the given matrix is not. "
                "Pass a symmetric matrix."
            )
        return conv, notes
    raise TheoryError(
        f"cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho) or an n x n matrix; got "
        f"{cov!r}. Pass one of these forms."
    )


def overlap_matrix(n: int, indices: Any, cov: Any = "identity") -> sp.Matrix:
    r"""Build :math:`M = P\Sigma P^\top` exactly, from the definition [derived, §3].

    Parameters
    ----------
    n : int
        Input dimension (at most ``MAX_EXACT_N``).
    indices : array_like of int, shape (k, r)
    cov : see :func:`covariance_matrix`
        ``"identity"`` (default) gives :math:`PP^\top`, an integer matrix; its diagonal is
        :math:`k` and its trace :math:`rk` only when at each filter position the k patches
        read distinct coordinates (patch-and-stride). In general
        :math:`(PP^\top)_{aa} = \sum_c N_{ac}^2 \ge k`, :math:`N_{ac}` the number of patches
        reading coordinate c at position a (two identical patches: diagonal 4 = k², not 2).

    Returns
    -------
    sympy.Matrix
        Symmetric :math:`r \times r`; entries are integers (identity), rationals (rational
        :math:`\Sigma`) or polynomials in :math:`\rho` (symbolic AR(1)).

    Examples
    --------
    >>> overlap_matrix(4, [[0, 1], [1, 2], [2, 3]])
    Matrix([
    [3, 2],
    [2, 3]])
    """
    P = patch_sum(n, indices)
    if isinstance(cov, str) and cov.strip().lower() == "identity":
        return P * P.T
    Sigma, _ = covariance_matrix(n, cov)
    return (P * Sigma * P.T).applyfunc(sp.expand)
