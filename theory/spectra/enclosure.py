r"""Overlap matrix with a rigorous entrywise error bound: :math:`|M - \tilde M| \le B`.

Part of :mod:`convotron_theory.spectra`: :func:`overlap_enclosure` computes :math:`\tilde M \approx
M = P\Sigma P^\top` in floating point together with a nonnegative matrix :math:`B` such that
:math:`|M_{ab} - \tilde M_{ab}| \le B_{ab}` holds for the *exact* real matrix, whatever the
order in which BLAS sums. It feeds the verified float certificate
(:func:`convotron_theory.spectra.certify_positive_definite_float`). Never imports
:mod:`convotron`.

Error model [derived] (standard, Higham, *Accuracy and Stability of Numerical Algorithms*,
§2-3). IEEE double, round to nearest, :math:`u = 2^{-53}`,
:math:`\gamma_m = mu/(1-mu)`. Each operation satisfies :math:`|\mathrm{fl}(a\circ b) -
a\circ b| \le u\,|\mathrm{fl}(a\circ b)|` (normal range); a dot product of length :math:`m`
summed in any order, with or without FMA, satisfies :math:`|\mathrm{fl}(x^\top y) - x^\top y|
\le \gamma_m |x|^\top|y|` (BLAS ``gemm`` uses the conventional :math:`O(mnk)` algorithm, no
Strassen). Underflow adds at most :math:`2^{-1074}` per operation; with at most
:math:`2^{60}` operations amplified by coefficients at most :math:`2^{50}` this stays below
the absolute term :data:`_ABS` :math:`= 2^{-900}` added to every bound. A bound computed in
floating point from nonnegative data by :math:`m` additions and multiplications is at least
:math:`(1-\gamma_m)` times its exact value; :func:`_inflate` multiplies by
:math:`1 + 4(m+2)u` (an exact double), which more than undoes that. Overflow is excluded by
checking that every result is finite (else no enclosure is returned).

Which terms a test can see (``tests/theory/test_certificate_terms.py`` and
``test_certificate_mutants_19.py``): dropping the AR(1) recursion residual, its evaluation
terms, or :math:`\gamma_n|\tilde V|` (the rounding of :math:`C\tilde V^\top`) makes an
enclosure false on an adversarial input (an inaccurate ``lfilter``; sums of thousands of
terms); so does dropping :math:`u|\tilde V|` of the diagonal product (n = 1, one product
rounded twice), dividing by :func:`_inflate`'s factor instead of multiplying, or dropping
the rounding of :math:`\tilde f + \tilde g - x` from ``_transform``'s own bound
(:math:`|X\Sigma - \tilde V| \le E` fails for n = 1 and a recursion output near
:math:`2^{54}`; inside :func:`overlap_enclosure` the few :math:`u|\tilde V|` it is then short
are covered by :math:`\gamma_n|\tilde V|`, the symmetrisation term and :func:`_inflate`, and
no input tried makes the enclosure of :math:`M` false without it). The other terms (the
dense product, the radius of a float parameter, the symmetrisation, the size of
:func:`_inflate`'s factor) are each a few :math:`u` of :math:`|M|` and are covered in
practice by the worst-case :math:`\gamma_n` terms beside them: no input tried shows one
missing (issue 19's report), and each stays because the proof needs it.

Parameters :math:`\rho`, :math:`d_j`, :math:`\Sigma_{ij}` are enclosed as a float and a
radius (:func:`_param`): a float ``x`` stands for every real within :math:`u|x|` of it, which
contains both ``x`` itself and the decimal it prints as (``Fraction(str(x))``, the reading of
the exact path), so the bound holds for either reading; ints, ``Fraction``\ s, decimal
strings and sympy rationals have their exact rounding error as radius. Irrational sympy
numbers are not enclosed (the function returns ``None``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["dense_enclosure", "overlap_enclosure"]

_U = 2.0**-53
_ETA = 2.0**-1074
#: Absolute slack added to every bound: covers all underflow (see the module docstring).
_ABS = 2.0**-900
#: Memory budget (bytes) for the row blocks of the count matrix and its transforms.
_BLOCK_BUDGET = 2**29


def _inflate(x: Any, m: int) -> Any:
    """Upper bound of a nonnegative quantity computed by ``m`` roundings (module docstring)."""
    return x * (1.0 + 4.0 * (m + 2) * _U) + _ABS


def _up(q: Fraction) -> float:
    """Smallest-ish float >= the nonnegative rational ``q`` (exact comparison)."""
    f = float(q)
    if Fraction(f) < q:
        f = float(np.nextafter(f, np.inf))
    return f


def _param(v: Any) -> tuple[float, float] | None:
    """Return a parameter as (float value, radius), the true value within the radius."""
    if isinstance(v, bool):
        return None
    if isinstance(v, float | np.floating):
        f = float(v)
        return (f, abs(f) * _U + _ETA) if np.isfinite(f) else None
    q: Fraction
    if isinstance(v, int | np.integer):
        q = Fraction(int(v))
    elif isinstance(v, Fraction):
        q = v
    elif isinstance(v, str):
        try:
            q = Fraction(v.strip())
        except (ValueError, ZeroDivisionError):
            return None
    elif isinstance(v, sp.Basic) and v.is_Rational:
        q = Fraction(int(v.p), int(v.q))
    else:
        return None
    try:
        f = float(q)
    except OverflowError:
        return None
    return f, _up(abs(q - Fraction(f)))


def dense_enclosure(n: int, payload: Any) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Return :math:`(\tilde\Sigma, \delta)`: a dense Σ's floats and radii (:func:`_param`).

    :math:`|\Sigma - \tilde\Sigma| \le \delta` entrywise for every reading of each entry
    (a float: its binary value and its decimal); None when an entry cannot be enclosed.
    """
    arr = np.asarray(payload)
    if arr.dtype.kind == "f":
        S = arr.astype(np.float64)
        if not np.all(np.isfinite(S)):
            return None
        return S, np.abs(S) * _U + _ETA
    obj = np.asarray(payload, dtype=object)
    ps = [_param(v) for v in obj.ravel()]
    if any(p is None for p in ps):
        return None
    S = np.asarray([p[0] for p in ps]).reshape(n, n)  # type: ignore[index]
    dS = np.asarray([p[1] for p in ps]).reshape(n, n)  # type: ignore[index]
    return S, dS


def _count_block(idx: np.ndarray, rows: range, n: int) -> np.ndarray:
    out = np.empty((len(rows), n))
    for t, a in enumerate(rows):
        out[t] = np.bincount(idx[:, a] + 1, minlength=n + 1)[1:]  # -1 (padding) reads nothing
    return out


def _transform(X: np.ndarray, kind: str, enc: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Return :math:`(\tilde V, E)` with :math:`|X\Sigma - \tilde V| \le E` entrywise.

    * diag: :math:`\tilde V = \mathrm{fl}(X d)`, :math:`E = X\delta_d + u|\tilde V|`.
    * dense: :math:`\tilde V = \mathrm{fl}(X\tilde\Sigma)`, :math:`E = X(\delta_\Sigma +
      \gamma_n|\tilde\Sigma|)`.
    * ar1: :math:`X\Sigma = F + G - X` with :math:`F = (I-\rho S)^{-1}X` (row-wise forward
      recursion :math:`f_i = x_i + \rho f_{i-1}`) and :math:`G` the backward one. For the
      computed :math:`\tilde f` (``lfilter``, any accuracy), the residual
      :math:`z = x - (I-\rho S)\tilde f` gives :math:`f - \tilde f = (I-\rho S)^{-1}z =
      \sum_{t<n} \rho^t S^t z` (the shift :math:`S` on rows of length :math:`n` has
      :math:`S^n = 0`), so :math:`\|f-\tilde f\|_\infty \le \|z\|_\infty
      \sum_{t<n}|\rho|^t \le \|z\|_\infty\min(n, 1/(1-|\rho|))`;
      :math:`z` is evaluated in floating point with the bound :math:`|z - \hat z| \le
      u(|t_1| + |t_2| + |\hat z|) + \delta_\rho|S\tilde f| + \eta` (:math:`t_1 = \mathrm{fl}(x -
      \tilde f)`, :math:`t_2 = \mathrm{fl}(\tilde\rho S\tilde f)`). Then
      :math:`\tilde V = \mathrm{fl}(\mathrm{fl}(\tilde f + \tilde g) - x)` and
      :math:`E = (\|z_f\|_\infty + \|z_g\|_\infty)\min(n, 1/(1-|\rho|)) +
      u(|\mathrm{fl}(\tilde f + \tilde g)| + |\tilde V|)` :math:`\le (\dots) + 2.01u|\tilde V|
      + ux`.
      Independent of how ``lfilter`` computes.
    """
    if kind == "diag":
        d, dd = enc
        V = X * d[None, :]
        return V, X * dd[None, :] + _U * np.abs(V)
    if kind == "dense":
        S, SE = enc
        return X @ S, X @ SE
    rho, drho = enc
    rho_max = abs(rho) + drho
    if not rho_max < 1.0:
        return None
    if rho == 0.0 and drho == 0.0:
        return X.copy(), np.zeros_like(X)
    import scipy.signal

    a = [1.0, -rho]

    def residual_norm(x: np.ndarray, f: np.ndarray) -> np.ndarray:
        # z = fl(fl(x - f) + fl(rho f_{i-1})); with |t1| <= (1+u)(|x| + |f|) and
        # |t2| <= (1+u)|rho||f_{i-1}| + eta, each row's true residual norm is at most
        # (1+u) max|z| + u(1+u)(max x + (1+|rho|) max|f|) + drho max|f| + 2 eta
        z = np.subtract(x, f)
        z[:, 1:] += rho * f[:, :-1]
        np.abs(z, out=z)
        zmax = z.max(axis=1)
        fmax = np.maximum(f.max(axis=1), -f.min(axis=1))
        xmax = x.max(axis=1)
        return (
            zmax * (1.0 + _U)
            + (_U * (1.0 + _U)) * (xmax + (1.0 + abs(rho)) * fmax)
            + drho * fmax
            + 2.0 * _ETA
        )

    Xr = X[:, ::-1]
    F = scipy.signal.lfilter([1.0], a, X, axis=1)
    Gr = scipy.signal.lfilter([1.0], a, Xr, axis=1)
    zf = residual_norm(X, F)
    zg = residual_norm(Xr, Gr)  # the backward recursion is the forward one on reversed rows
    del Xr
    V = F
    V += Gr[:, ::-1]  # s1 = fl(f + g)
    del Gr
    V -= X  # V = fl(s1 - x)
    # >= sum_{t<n} |rho|^t for every admissible rho: S^n = 0 on rows of length n
    scale = min(float(n), (1.0 + 4.0 * _U) / (1.0 - rho_max))
    # |s1| <= (1+u)|V| + x, so u(|s1| + |V|) <= 2.01u |V| + u x
    E = np.abs(V)
    E *= 2.01 * _U
    E += _U * X
    E += ((zf + zg) * scale)[:, None]
    return V, E


def overlap_enclosure(
    idx: np.ndarray, n: int, kind: str, payload: Any
) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Return :math:`(\tilde M, B)`: float :math:`P\Sigma P^\top` and :math:`|M-\tilde M|\le B`.

    :math:`\tilde M` is symmetric. With :math:`C` the (exact, integer) count matrix and
    :math:`(\tilde V, E)` from :func:`_transform`, :math:`M = C V^\top` and
    :math:`|M - \mathrm{fl}(C\tilde V^\top)| \le C(E + \gamma_n|\tilde V|)^\top`; the
    symmetrised :math:`\tilde M_s = \mathrm{fl}((\tilde M + \tilde M^\top)/2)` has
    :math:`|M - \tilde M_s| \le (B + B^\top)/2 + u|\tilde M_s|` since :math:`M` is symmetric.
    Works in row blocks of the count matrix (about :data:`_BLOCK_BUDGET` bytes), like
    :func:`convotron_theory.spectra.overlap_numeric`.

    Parameters
    ----------
    idx : numpy.ndarray, shape (k, r)
        Validated indices.
    n : int
    kind, payload
        From ``convotron_theory.spectra.numeric._cov_kind``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None
        ``None`` when a parameter cannot be enclosed (irrational) or a value overflows.
    """
    r = idx.shape[1]
    m_ops = 4 * (n + r) + 64
    gam = 1.01 * n * _U  # >= gamma_n for n * u < 0.005
    enc: Any = None
    if kind == "identity":
        # exact in int64; exact in float64 below 2^53
        from .numeric import _overlap_from

        Mi = _overlap_from(idx, n, "identity", None)
        if int(np.abs(Mi).max()) >= 2**53:
            return None
        return Mi.astype(np.float64), np.zeros((r, r))
    if kind == "ar1":
        enc = _param(payload)
        if enc is None:
            return None
    elif kind == "diag":
        ps = [_param(v) for v in payload]
        if any(p is None for p in ps):
            return None
        enc = (np.asarray([p[0] for p in ps]), np.asarray([p[1] for p in ps]))  # type: ignore[index]
    else:
        got = dense_enclosure(n, payload)
        if got is None:
            return None
        S, dS = got
        enc = (S, _inflate(dS + gam * np.abs(S), m_ops))
    # row blocks of C, V and W = E + gamma_n |V| (three arrays of block_c x n), transformed in
    # sub-blocks of block_t rows (about a dozen temporaries each)
    block_c = max(1, min(r, _BLOCK_BUDGET // (8 * 3 * n)))
    block_t = max(1, min(block_c, _BLOCK_BUDGET // (8 * 12 * n)))
    starts = list(range(0, r, block_c))
    M = np.empty((r, r))
    B = np.empty((r, r))
    for s1 in starts:
        rows_b = range(s1, min(r, s1 + block_c))
        Cb = _count_block(idx, rows_b, n)
        Vb = np.empty_like(Cb)
        Wb = np.empty_like(Cb)
        for t0 in range(0, len(rows_b), block_t):
            sl = slice(t0, min(len(rows_b), t0 + block_t))
            got = _transform(Cb[sl], kind, enc, n)
            if got is None:
                return None
            Vb[sl] = got[0]
            Wb[sl] = got[1] + gam * np.abs(got[0])
        for s0 in starts:
            rows_a = range(s0, min(r, s0 + block_c))
            Ca = Cb if s0 == s1 else _count_block(idx, rows_a, n)
            M[s0 : s0 + len(rows_a), s1 : s1 + len(rows_b)] = Ca @ Vb.T
            B[s0 : s0 + len(rows_a), s1 : s1 + len(rows_b)] = Ca @ Wb.T
    Ms = 0.5 * (M + M.T)
    Bs = _inflate(0.5 * (B + B.T) + _U * np.abs(Ms), m_ops)
    if not (np.all(np.isfinite(Ms)) and np.all(np.isfinite(Bs))):
        return None
    return Ms, Bs
