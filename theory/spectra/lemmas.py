r"""The spectral lemmas as objects: ``lem-1d``, ``lem-2d``, ``lem-cov-transfer``, ``lem-1d-sos``.

Part of :mod:`convotron_theory.spectra` (all [derived], ``convotron-theory.md`` §5):
:func:`lemma_1d`,
:func:`lemma_2d` and :func:`lemma_cov_transfer`, each with its statement as a sympy relation
(:data:`LEMMA_1D`, :data:`LEMMA_2D`, :data:`LEMMA_COV_TRANSFER`), return bounds only when the
hypotheses hold, else :class:`~convotron_theory.HypothesisFailed` naming the failing hypothesis;
:func:`covariance_spectrum_bounds` bounds the spectrum of :math:`\Sigma`;
:func:`sos_identity` / :func:`sos_identity_holds` / :func:`sos_inequality_holds` /
:func:`toeplitz_decomposition_holds` verify the sum-of-squares argument behind ``lem-1d``
symbolically. Never imports :mod:`convotron`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .. import notation as nt
from .._errors import HypothesisFailed, TheoryError, check_positive_int
from ..overlap import _ceil_div, _stride_1d_k, to_exact, toeplitz_block
from .numeric import _cov_kind

__all__ = [
    "LEMMA_1D",
    "LEMMA_2D",
    "LEMMA_COV_TRANSFER",
    "LemmaBounds",
    "LemmaStatement",
    "covariance_spectrum_bounds",
    "lemma_1d",
    "lemma_2d",
    "lemma_conv",
    "lemma_cov_transfer",
    "sos_identity",
    "sos_identity_holds",
    "sos_inequality_holds",
    "toeplitz_decomposition_holds",
]


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
#: (:func:`lemma_1d` adds the exact case r/2 <= d < r: λ_min = 1, λ_max = 2k - 1; the
#: constant 1/2 being approached as ⌈r/d⌉ grows is observed numerically, not proved.)
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
    * :math:`r/2 \le d < r` (exact, [derived]): :math:`\lambda_{\min} = 1` and
      :math:`\lambda_{\max} = 2k-1` exactly, for every :math:`k \ge 1` (no hypothesis on
      :math:`k`). Proof: :math:`(PP^\top)_{ab} = \#\{(i, i') : id + a = i'd + b\}`, which
      is :math:`\max(k - |a-b|/d, 0)` when :math:`d \mid a-b` and :math:`0` otherwise; so
      :math:`PP^\top` is block diagonal over the residues of the filter positions modulo
      :math:`d`, the block of a residue class of size :math:`s` being the Toeplitz block
      :math:`A_s(k)`. A class is :math:`\{a, a+d, \dots\} \cap [0, r)` with :math:`a < d`,
      of size :math:`\lceil (r-a)/d\rceil \le \lceil r/d\rceil \le 2` because
      :math:`2d \ge r`. Hence
      every block is :math:`A_1(k) = (k)` or :math:`A_2(k) = \begin{pmatrix}k & k-1\\ k-1 &
      k\end{pmatrix}`, whose eigenvalues are :math:`k \mp (k-1)`, i.e. :math:`1` and
      :math:`2k-1`; the class of :math:`a = 0` is :math:`\{0, d\}` (as :math:`d < r`), so
      :math:`A_2(k)` occurs (at :math:`d = r/2` every class is of size 2), and
      :math:`1 \le k \le 2k-1` places the :math:`A_1(k)` eigenvalue between the two. Checked
      against brute-force eigenvalues for every :math:`r \le 40` in the tests;
    * otherwise (:math:`d < r/2`), if :math:`k \ge m`: :math:`\lambda_{\min}(PP^\top) \ge 1/2`
      (from :math:`A_m(k) = (k-m)\mathbf 1\mathbf 1^\top + A_m(m)` and the sum-of-squares
      identity, :func:`sos_identity`) and :math:`\lambda_{\max}(PP^\top) \le km` (row sums).
      The constant :math:`1/2` is what the proof gives; that it is approached as :math:`m`
      grows (:math:`\lambda_{\min}(A_m(m)) = 0.6277\ldots` at :math:`m = 3`,
      :math:`0.5087\ldots` at :math:`m = 12`) is observed numerically, not proved.

    Raises
    ------
    HypothesisFailed
        (claim ``"lem-1d"``) when none of the cases applies: :math:`d < r/2` and
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
    if 2 * d >= r:
        return LemmaBounds(
            "lem-1d", "r/2 <= d < r: blocks A_1(k), A_2(k); λ_min = 1, λ_max = 2k-1 exactly",
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
    TheoryError
        When ``channels`` is not an integer :math:`\ge 1` (the message names ``channels``), or
        an axis is not a patch-and-stride scheme.
    """
    check_positive_int("channels", channels)
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
    return _dense_spectrum_bounds(n, payload)


def _dense_spectrum_bounds(n: int, payload: Any) -> tuple[sp.Expr, sp.Expr, str]:
    r"""Proven bounds on a dense Σ's spectrum (verified float certificate, row sums).

    [derived] :math:`\tilde\Sigma` the float matrix and :math:`B` an entrywise bound on
    :math:`|\Sigma - \tilde\Sigma|` covering both readings of a float entry (its binary
    value and the decimal it prints as,
    :func:`~convotron_theory.spectra.enclosure.dense_enclosure`):
    the lower bound is :func:`~convotron_theory.spectra.certify_positive_definite_float`'s (0 when
    it
    does not prove :math:`\lambda_{\min}(\Sigma) > 0`: Σ ⪰ 0 is then the covariance's
    assumption, not a proof, and the bound 0 decides nothing); the upper bound is the largest
    row sum of :math:`|\tilde\Sigma| + B`, rounded up (:math:`\lambda_{\max} \le
    \|\Sigma\|_\infty`). Both are floats, returned as the exact rationals they are.
    """
    from .certificate import _norm2_bound, certify_positive_definite_float
    from .enclosure import dense_enclosure

    got = dense_enclosure(n, payload)
    if got is None:
        raise HypothesisFailed(
            "the covariance transfer (lem-cov-transfer) needs proven bounds on Σ's spectrum; "
            "a dense Σ with irrational or overflowing entries cannot be enclosed. Pass "
            "rational or float entries.",
            claim="lem-cov-transfer",
        )
    S, B = got
    fc = certify_positive_definite_float(S, B)
    low = fc.lower_bound if fc.lower_bound is not None and fc.lower_bound > 0 else 0.0
    high = _norm2_bound(np.abs(S) + B)
    how = (
        "dense Σ: verified float lower bound on λ_min(Σ), row-sum upper bound"
        if low > 0
        else "dense Σ: λ_min(Σ) >= 0 (assumed, a covariance; not proven positive), row-sum "
        "upper bound"
    )
    return (
        sp.Rational(*Fraction(low).as_integer_ratio()),
        sp.Rational(*Fraction(high).as_integer_ratio()),
        how,
    )


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


def lemma_conv(geometry: dict[str, Any]) -> Any:
    """Return ``lem-1d`` / ``lem-2d`` for a conv layer through ``lem-conv-reduction``.

    Returns the :class:`~convotron_theory.spectra.LemmaBounds` of the reduced stride scheme (its
    ``case`` says so); raises :class:`~convotron_theory.HypothesisFailed` naming the hypothesis that
    fails (padding, dilation not dividing the stride, or the lemma's own ``k >= ⌈r/d⌉``).
    """
    from dataclasses import replace

    from .._conv_geometry import reduced_geometry

    red = reduced_geometry(geometry)
    how = ", ".join(f"{key}={val}" for key, val in red.items() if key != "kind")
    try:
        return _lemma_reduced(red, how, lemma_1d, lemma_2d, replace)
    except HypothesisFailed as exc:
        raise HypothesisFailed(
            f"on the reduced stride scheme (lem-conv-reduction: {red['kind']} {how}): {exc}",
            claim=exc.claim,
        ) from None


def _lemma_reduced(red: dict[str, Any], how: str, lemma_1d: Any, lemma_2d: Any,
                   replace: Any) -> Any:  # fmt: skip
    if red["kind"] == "1d":
        lb = lemma_1d(red["n"], red["r"], red["stride"])
        c = red["channels"]
        extra = f"; C={c} channels: PPᵀ = I_C ⊗ (one channel), same spectrum" if c > 1 else ""
    else:
        keys = ("height", "width", "patch_h", "patch_w", "stride_h", "stride_w")
        lb = lemma_2d(*(red[key] for key in keys), channels=red["channels"])
        extra = ""
    return replace(lb, case=f"{lb.case} (lem-conv-reduction: {red['kind']} {how}{extra})")
