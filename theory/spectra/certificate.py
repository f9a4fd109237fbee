r"""Exact positive-definiteness certificate: rational :math:`LDL^\top` (Bareiss), Sylvester.

Part of :mod:`convotron_theory.spectra`: :func:`certify_positive_definite` certifies
:math:`M \succ 0` exactly, computed fraction-free by Bareiss elimination, with an exact integer
witness :math:`u`, :math:`u^\top M u \le 0`, when it fails; :func:`leading_principal_minors`
is Sylvester's criterion, the independent cross-check. Never imports :mod:`convotron`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._errors import TheoryError

__all__ = [
    "EXACT_MAX_R",
    "Certificate",
    "FloatCertificate",
    "certify_positive_definite",
    "certify_positive_definite_float",
    "leading_principal_minors",
    "rayleigh_upper_bound",
]

#: ``check_scheme(exact=None)`` certifies exactly only up to this filter size ``r``.
EXACT_MAX_R = 64


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


# ============================================================================================
# verified floating-point certificate
# ============================================================================================
_U = 2.0**-53
_ABS = 2.0**-900


@dataclass(frozen=True)
class FloatCertificate:
    r"""A verified lower bound on :math:`\lambda_{\min}(M)` from floating point (see below).

    Attributes
    ----------
    holds : bool
        True iff ``lower_bound > 0``: then :math:`M \succ 0` is proven.
    method : str
        ``"shifted Cholesky + Weyl"``.
    lower_bound : float or None
        A proven :math:`\ell \le \lambda_{\min}(M)` (``None`` when no factorisation succeeded).
    shift : float
        The shift :math:`s` of the Cholesky factorisation of :math:`\tilde M - sI`.
    residual_bound : float
        Proven :math:`\ge \|\tilde M - sI - \tilde L\tilde L^\top\|_2`.
    entry_error_bound : float
        Proven :math:`\ge \|M - \tilde M\|_2` (0 when :math:`\tilde M = M` exactly).
    estimate : float
        The floating-point :math:`\lambda_{\min}(\tilde M)` the shift was chosen from.
    apriori : float
        The a-priori size of the factorisation's rounding errors,
        :math:`2(r+2)u\,r\max|\tilde M_{ab}|`, from which the first shift is chosen.
    """

    holds: bool
    method: str
    lower_bound: float | None
    shift: float
    residual_bound: float
    entry_error_bound: float
    estimate: float
    apriori: float = 0.0

    @property
    def reason(self) -> str:
        """One sentence: why the certificate holds or fails."""
        if self.lower_bound is None:
            return (
                f"no verified bound: the Cholesky factorisation of M - sI failed for every "
                f"shift tried (float lambda_min = {self.estimate:.6g})"
            )
        how = (
            f"lambda_min(M) >= s - ||R||_2 - ||M - M~||_2 = {self.shift:.6g} - "
            f"{self.residual_bound:.3g} - {self.entry_error_bound:.3g} = {self.lower_bound:.6g}"
        )
        if self.holds:
            return f"verified in floating point (shifted Cholesky and Weyl): {how} > 0"
        return f"not verified: {how} <= 0"

    @property
    def resolution(self) -> float:
        r"""The :math:`\lambda_{\min}` above which this certificate succeeds.

        The first shift is :math:`s = \hat\lambda - t_0`, :math:`t_0 = 2(\|E\| + a)` with
        :math:`\|E\|` the entry error bound and :math:`a` the a-priori rounding size
        (``apriori``); it proves :math:`\lambda_{\min} \ge s - \|R\| - \|E\| > 0` once
        :math:`\lambda_{\min} > 3\|E\| + 2a + \|R\|` (up to :math:`|\hat\lambda -
        \lambda_{\min}| \le \|E\| + a`). Below this margin a positive definite :math:`M`
        may stay unproven in float64; above it the certificate holds.
        """
        res = self.residual_bound if np.isfinite(self.residual_bound) else self.apriori
        return float(3.0 * self.entry_error_bound + 2.0 * self.apriori + res)


def _norm2_bound(Bm: np.ndarray) -> float:
    r"""Upper bound on the spectral norm of any matrix with :math:`|X| \le B` (:math:`B \ge 0`).

    :math:`\|X\|_2 \le \|B\|_2 \le \sqrt{\|B\|_1\|B\|_\infty}`, at most the largest row or
    column sum. [derived] No absolute term is needed for underflow: only additions of
    nonnegative floats are done, and an addition is exact when its result is subnormal (all
    subnormals are multiples of :math:`2^{-1074}`) and within :math:`u` relative otherwise,
    so a computed sum is :math:`\ge (1-\gamma_r)` times the exact one; the factor
    :math:`1 + 4(r+2)u` covers that and its own rounding (a subnormal sum is exact and
    :math:`\mathrm{fl}(x(1+\epsilon)) \ge x` for a float :math:`x`).
    """
    r = Bm.shape[0]
    rows = float(np.max(np.sum(Bm, axis=1)))
    cols = float(np.max(np.sum(Bm, axis=0)))
    return float(max(rows, cols) * (1.0 + 4.0 * (r + 2) * _U))


def _residual_bound(A: np.ndarray, L: np.ndarray, s: float) -> np.ndarray:
    r"""Entrywise bound on :math:`|R|`, :math:`R = \tilde M - sI - \tilde L\tilde L^\top` exactly.

    [derived] (see :func:`certify_positive_definite_float`). In floating point:
    :math:`\hat G = \mathrm{fl}(\tilde L\tilde L^\top)`, :math:`\hat H =
    \mathrm{fl}(|\tilde L||\tilde L|^\top)`, :math:`t = \mathrm{fl}(\tilde M - \hat G)`,
    :math:`\hat R = t - s` on the diagonal. Each term is needed (``tests/theory/
    test_certificate_terms.py`` breaks each one):

    * :math:`|\hat R|`, the computed residual;
    * :math:`u(|t| + |\hat R|)`: the roundings of the two subtractions;
    * :math:`\gamma_r(1+\gamma_r)\hat H`: the rounding of the product :math:`\hat G`
      (the Cholesky factor's backward error is *in* :math:`R`; this term is what
      :math:`\hat R` cannot see of it);
    * the factor :math:`1 + 4(2r+10)u` and :math:`2^{-900}`: the roundings of this
      evaluation itself and underflow. Dropping :math:`2^{-900}` fails on subnormal
      matrices; dropping the factor is not visible on any input tried (about 300,000 random,
      1 x 1 and subnormal matrices: it moves the bound by :math:`< 10^{-13}` relative, below
      the slack of :math:`1.01\,ru \ge \gamma_r`), and it stays because the proof needs it.
    """
    r = A.shape[0]
    gam = 1.01 * r * _U  # >= gamma_r
    G = L @ L.T
    H = np.abs(L) @ np.abs(L).T
    T = A - G
    Rh = T.copy()
    Rh[np.diag_indices(r)] -= s
    bound = np.abs(Rh) + _U * (np.abs(T) + np.abs(Rh)) + (gam * (1.0 + gam)) * H
    return bound * (1.0 + 4.0 * (2 * r + 10) * _U) + _ABS


def _lower(s: float, a: float, b: float) -> float:
    """Return a float <= s - a - b exactly (rationals), for floats s, a, b."""
    q = Fraction(s) - Fraction(a) - Fraction(b)
    f = float(q)
    if Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def certify_positive_definite_float(
    M: Any, error: Any = 0.0, estimate: float | None = None
) -> FloatCertificate:
    r"""Prove a lower bound on :math:`\lambda_{\min}(M)` in floating point (verified).

    [derived] Let :math:`M` be the exact symmetric matrix, :math:`\tilde M` a symmetric float
    matrix with :math:`|M - \tilde M| \le B` entrywise (``error``; a scalar is a bound on
    :math:`\|M-\tilde M\|_2`), :math:`s` a float and :math:`\tilde L` *any* float matrix
    (here the computed Cholesky factor of :math:`\tilde M - sI`; nothing about its accuracy
    is assumed). With :math:`R = \tilde M - sI - \tilde L\tilde L^\top` (symmetric),

    .. math:: M = sI + \tilde L\tilde L^\top + R + (M - \tilde M),

    and :math:`\tilde L\tilde L^\top \succeq 0`, so by Weyl's inequality
    :math:`\lambda_{\min}(M) \ge s - \|R\|_2 - \|M-\tilde M\|_2`. For a matrix :math:`X` with
    :math:`|X| \le Y` entrywise, :math:`\|X\|_2 \le \|Y\|_2 \le \sqrt{\|Y\|_1\|Y\|_\infty}`
    (Perron-Frobenius, then Hölder), which is at most the largest row or column sum of
    :math:`Y`. :math:`R` is bounded a priori (Higham §3, any summation order, FMA or not):
    :math:`\hat G = \mathrm{fl}(\tilde L\tilde L^\top)` has :math:`|\hat G - \tilde L\tilde
    L^\top| \le \gamma_r|\tilde L||\tilde L|^\top \le \gamma_r(1+\gamma_r)\hat H` with
    :math:`\hat H = \mathrm{fl}(|\tilde L||\tilde L|^\top)`; :math:`t = \mathrm{fl}(\tilde M -
    \hat G)`, then :math:`\hat R = t - s` on the diagonal, each one rounding (:math:`\le u`
    times the result). So :math:`|R| \le |\hat R| + u(|t| + |\hat R|) + \gamma_r(1+\gamma_r)
    \hat H`, evaluated in floating point and inflated for its own roundings (see
    :mod:`convotron_theory.spectra.enclosure`), plus :math:`2^{-900}` for underflow. The final
    :math:`s - \|R\| - \|E\|` is evaluated exactly in rationals and rounded down.

    Hence ``lower_bound`` :math:`\le \lambda_{\min}(M)` always; a singular or indefinite
    :math:`M` can never be certified. The shift is chosen just below the float estimate
    (``estimate``, else ``eigvalsh``): :math:`s = \hat\lambda - t` with :math:`t` twice the
    a-priori size of the errors, multiplied by 4 on each failed factorisation (6 tries), then
    :math:`s = \hat\lambda/2`.
    Cost: one Cholesky and two products, :math:`O(r^3)` BLAS.

    Parameters
    ----------
    M : array_like, shape (r, r)
        Symmetric float matrix :math:`\tilde M`.
    error : float or array_like, shape (r, r)
        Entrywise bound :math:`B` (or a scalar bound on :math:`\|M - \tilde M\|_2`).
    estimate : float or None
        Float :math:`\lambda_{\min}(\tilde M)` if already known.

    Returns
    -------
    FloatCertificate

    Examples
    --------
    >>> certify_positive_definite_float(np.array([[2.0, 1.0], [1.0, 2.0]])).holds
    True
    """
    A = np.asarray(M, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
        raise TheoryError(
            f"certify_positive_definite_float needs a non-empty square matrix; got shape "
            f"{A.shape}. Pass an r x r float matrix."
        )
    if not np.all(np.isfinite(A)) or not np.array_equal(A, A.T):
        raise TheoryError(
            "certify_positive_definite_float needs a finite, exactly symmetric float matrix. "
            "Symmetrise it first, e.g. (M + M.T) / 2."
        )
    r = A.shape[0]
    Eb = np.asarray(error, dtype=np.float64)
    ent = float(Eb) if Eb.ndim == 0 else _norm2_bound(np.abs(Eb))
    est = float(np.linalg.eigvalsh(A)[0]) if estimate is None else float(estimate)
    scale = float(np.max(np.abs(A))) if A.size else 0.0
    apriori = 2.0 * (r + 2) * _U * r * scale
    t = 2.0 * (ent + apriori) + 1e-300
    shifts: list[float] = []
    for _ in range(6):
        if est - t > 0:
            shifts.append(est - t)
        t *= 4.0
    if est > 0 and (not shifts or shifts[-1] > est / 2):
        shifts.append(est / 2)
    best: FloatCertificate | None = None
    eye = np.eye(r)
    for s in shifts:
        try:
            L = np.linalg.cholesky(A - s * eye)
        except np.linalg.LinAlgError:
            continue
        if not np.all(np.isfinite(L)):
            continue
        res = _norm2_bound(_residual_bound(A, L, s))
        low = _lower(s, res, ent)
        best = FloatCertificate(
            holds=low > 0,
            method="shifted Cholesky + Weyl",
            lower_bound=low,
            shift=s,
            residual_bound=res,
            entry_error_bound=ent,
            estimate=est,
            apriori=apriori,
        )
        if best.holds:
            return best
    if best is not None:
        return best
    return FloatCertificate(
        holds=False,
        method="shifted Cholesky + Weyl",
        lower_bound=None,
        shift=0.0,
        residual_bound=float("nan"),
        entry_error_bound=ent,
        estimate=est,
        apriori=apriori,
    )


#: :func:`rayleigh_upper_bound` evaluates exactly in rationals only up to this size.
RAYLEIGH_MAX_R = 128


def rayleigh_upper_bound(M: Any, error: Any, u: Any) -> float | None:
    r"""Prove an upper bound on :math:`\lambda_{\min}(M)` from a trial vector :math:`u`.

    [derived] For any :math:`u \ne 0`, :math:`\lambda_{\min}(M) \le u^\top Mu/u^\top u`
    (Rayleigh), and with :math:`|M - \tilde M| \le B` entrywise (``error``; a scalar is a
    bound on :math:`\|M - \tilde M\|_2`), :math:`u^\top Mu \le u^\top\tilde Mu +
    |u|^\top B|u|`. Every float is a rational, so the right-hand side is evaluated exactly
    (``Fraction``) and rounded up: the result is a proven upper bound. It is :math:`\le 0`
    (a proof that a positive semidefinite :math:`M` is singular) only when the errors vanish
    and :math:`\tilde M u = 0` exactly, e.g. an integer :math:`M` and an exact kernel vector.

    Parameters
    ----------
    M : array_like, shape (r, r)
        Symmetric float :math:`\tilde M`.
    error : float or array_like, shape (r, r)
    u : array_like, shape (r,)
        Trial vector (the float eigenvector of :math:`\lambda_{\min}`).

    Returns
    -------
    float or None
        None when :math:`r >` ``RAYLEIGH_MAX_R`` (not evaluated) or :math:`u = 0`.
    """
    A = np.asarray(M, dtype=np.float64)
    x = np.asarray(u, dtype=np.float64).ravel()
    r = x.shape[0]
    if r > RAYLEIGH_MAX_R or A.shape != (r, r) or not np.any(x) or not np.all(np.isfinite(A)):
        return None
    xs = [Fraction(float(v)) for v in x]
    den = sum((v * v for v in xs), Fraction(0))
    Eb = np.asarray(error, dtype=np.float64)
    num = Fraction(0)
    for a in range(r):
        if xs[a]:
            row = A[a]
            num += xs[a] * sum((Fraction(float(row[b])) * xs[b] for b in range(r) if xs[b]),
                               Fraction(0))  # fmt: skip
    if Eb.ndim == 0:
        num += Fraction(float(Eb)) * den
    else:
        ax = [abs(v) for v in xs]
        for a in range(r):
            if ax[a]:
                num += ax[a] * sum((Fraction(float(Eb[a, b])) * ax[b] for b in range(r) if ax[b]),
                                   Fraction(0))  # fmt: skip
    q = num / den
    f = float(q)
    if Fraction(f) < q:
        f = float(np.nextafter(f, np.inf))
    return f
