r"""Exact eigenvalues of a symmetric rational matrix: surds, or exact real algebraic numbers.

Part of :mod:`convotron_theory.spectra`: :func:`exact_eigenvalues` factors the characteristic
polynomial
over :math:`\mathbb{Q}`; factors of degree :math:`\le 2` give surds, higher ones ``CRootOf``.
Never imports :mod:`convotron`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .._errors import TheoryError
from .certificate import _rational_rows

__all__ = ["EXACT_EIG_MAX_R", "exact_eigenvalues"]

#: :func:`exact_eigenvalues` refuses matrices larger than this (characteristic polynomials).
EXACT_EIG_MAX_R = 16


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
