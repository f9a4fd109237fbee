"""Every field the spectral lemmas return, checked against brute force and the exact values.

``tests/theory/test_spectra.py`` checks that the lemmas' bounds hold; this file pins what a
caller reads from the :class:`~convotron_theory.spectra.LemmaBounds` (the case, the scheme's
values, the
exactness flags, the matrix bounded), the exact numbers of
:func:`~convotron_theory.spectra.covariance_spectrum_bounds`, and the messages that tell a user how
to
repair a failing hypothesis (each suggested repair is then tried). Written against the
survivors of ``make mutation`` over ``theory/spectra/lemmas.py`` (MUTATION.md).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from convotron_theory import HypothesisFailed, TheoryError
from convotron_theory import notation as nt
from convotron_theory.spectra import (
    LEMMA_1D,
    LEMMA_2D,
    LEMMA_COV_TRANSFER,
    LemmaBounds,
    covariance_spectrum_bounds,
    lemma_1d,
    lemma_2d,
    lemma_cov_transfer,
    sos_identity,
    sos_identity_holds,
    sos_inequality_holds,
)
from convotron_theory.spectra import lemmas as lemmas_module
from tests.reference import patch_sum, stride_indices


def ppt_1d(n: int, r: int, d: int) -> np.ndarray:
    """PPᵀ = (Σ_i P_i)(Σ_i P_i)ᵀ of the 1D stride scheme, built from the selection matrices."""
    P = patch_sum(n, stride_indices(n, r, d)).astype(float)
    return P @ P.T


def extremes(a: np.ndarray) -> tuple[float, float]:
    ev = np.linalg.eigvalsh(a)
    return float(ev[0]), float(ev[-1])


# ------------------------------------------------------------------------------- lemma 1D
@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        (
            (12, 4, 4),
            LemmaBounds(
                "lem-1d", "disjoint patches (d >= r): PPᵀ = kI", sp.Integer(3), sp.Integer(3),
                True, True, "PPᵀ", {"n": 12, "r": 4, "d": 4, "k": 3, "ceil_r_d": 1}, LEMMA_1D,
            ),
        ),
        (
            (16, 4, 2),
            LemmaBounds(
                "lem-1d",
                "r/2 <= d < r: blocks A_1(k), A_2(k); λ_min = 1, λ_max = 2k-1 exactly",
                sp.Integer(1), sp.Integer(13), True, True, "PPᵀ",
                {"n": 16, "r": 4, "d": 2, "k": 7, "ceil_r_d": 2}, LEMMA_1D,
            ),
        ),
        (
            (16, 6, 2),
            LemmaBounds(
                "lem-1d", "k >= ceil(r/d): λ_min >= 1/2, λ_max <= k ceil(r/d)",
                sp.Rational(1, 2), sp.Integer(18), False, False, "PPᵀ",
                {"n": 16, "r": 6, "d": 2, "k": 6, "ceil_r_d": 3}, LEMMA_1D,
            ),
        ),
    ],
)  # fmt: skip
def test_lemma_1d_returns_every_field(scheme, expected) -> None:
    got = lemma_1d(*scheme)
    assert got == expected
    assert got.provenance == "[derived]"
    assert isinstance(got.lower, sp.Rational) and isinstance(got.upper, sp.Rational)
    lo, hi = extremes(ppt_1d(*scheme))
    assert float(got.lower) <= lo + 1e-9 and hi <= float(got.upper) + 1e-9
    if got.lower_exact:
        assert lo == pytest.approx(float(got.lower), abs=1e-9)
    if got.upper_exact:
        assert hi == pytest.approx(float(got.upper), abs=1e-9)


def test_lemma_1d_failure_message_and_its_repair() -> None:
    with pytest.raises(HypothesisFailed) as info:
        lemma_1d(9, 8, 1)
    assert info.value.claim == "lem-1d"
    assert str(info.value) == (
        "Lemma 1D (lem-1d) needs k >= ceil(r/d); got k=2 < ceil(r/d)=8 (n=9, r=8, stride "
        "d=1). Its bound λ_min(PPᵀ) >= 1/2 can fail here (r=8, d=1, k=2 gives 0.1206...): use "
        "check_scheme for the actual λ_min, or lengthen the input to n >= 15 so that k >= 8."
    )
    # the quoted eigenvalue is the true one, and the suggested length is the least that works
    assert extremes(ppt_1d(9, 8, 1))[0] == pytest.approx(0.1206, abs=5e-5)
    assert lemma_1d(15, 8, 1).values["k"] == 8
    with pytest.raises(HypothesisFailed):
        lemma_1d(14, 8, 1)
    with pytest.raises(HypothesisFailed, match=r"lengthen the input to n >= 13 so that k >= 4\.$"):
        lemma_1d(9, 7, 2)
    assert lemma_1d(13, 7, 2).values["k"] == 4


# ------------------------------------------------------------------------------- lemma 2D
def test_lemma_2d_returns_every_field_and_brackets_the_kronecker_spectrum() -> None:
    # vertical axis (8, 4, 2): the exact case, (1, 5); horizontal (9, 5, 2): k = m = 3, (1/2, 9)
    got = lemma_2d(8, 9, 4, 5, 2, 2)
    assert got == LemmaBounds(
        "lem-2d",
        "Kronecker product of the 1D cases [r/2 <= d < r: blocks A_1(k), A_2(k); λ_min = 1, "
        "λ_max = 2k-1 exactly] x [k >= ceil(r/d): λ_min >= 1/2, λ_max <= k ceil(r/d)]",
        sp.Rational(1, 2),
        sp.Integer(45),
        False,
        False,
        "PPᵀ",
        dict(
            height=8,
            width=9,
            patch_h=4,
            patch_w=5,
            stride_h=2,
            stride_w=2,
            channels=1,
            k1=3,
            k2=3,
            ceil_r1_d1=2,
            ceil_r2_d2=3,
        ),
        LEMMA_2D,
    )
    lo, hi = extremes(np.kron(ppt_1d(8, 4, 2), ppt_1d(9, 5, 2)))
    assert 0.5 <= lo + 1e-9 and hi <= 45 + 1e-9
    # both axes exact: the product is exact, and equal to the Kronecker spectrum
    both = lemma_2d(8, 6, 4, 2, 2, 1, channels=3)
    assert (both.lower, both.upper, both.lower_exact, both.upper_exact) == (1, 45, True, True)
    assert both.values["channels"] == 3
    lo, hi = extremes(np.kron(ppt_1d(8, 4, 2), ppt_1d(6, 2, 1)))
    assert (lo, hi) == pytest.approx((1.0, 45.0), abs=1e-9)


@pytest.mark.parametrize(
    ("args", "axis", "detail", "side"),
    [
        ((9, 5, 8, 2, 1, 1), "vertical", "k=2 < ceil(r/d)=8 (size 9, patch 8, stride 1)", 15),
        ((5, 5, 2, 4, 1, 1), "horizontal", "k=2 < ceil(r/d)=4 (size 5, patch 4, stride 1)", 7),
    ],
)
def test_lemma_2d_failure_names_the_axis_and_its_repair(args, axis, detail, side) -> None:
    with pytest.raises(HypothesisFailed) as info:
        lemma_2d(*args)
    assert info.value.claim == "lem-2d"
    assert isinstance(info.value.__cause__, HypothesisFailed)
    assert str(info.value) == (
        f"Lemma 2D (lem-2d) needs k_j >= ceil(r_j/d_j) on both axes; on the {axis} axis "
        f"{detail}. Use check_scheme for the actual λ_min, or enlarge that side to >= {side}."
    )
    h, w, ph, pw, sh, sw = args
    repaired = (side, w, ph, pw, sh, sw) if axis == "vertical" else (h, side, ph, pw, sh, sw)
    assert lemma_2d(*repaired).claim == "lem-2d"


@pytest.mark.parametrize("channels", [0, -1, True, 1.5])
def test_lemma_2d_rejects_bad_channel_counts(channels) -> None:
    with pytest.raises(TheoryError) as info:
        lemma_2d(8, 9, 4, 5, 2, 2, channels=channels)
    assert str(info.value) == (
        f"channels must be a positive integer; got {channels!r}. Pass channels as an int >= 1."
    )


# ------------------------------------------------------------------------ Σ and transfer
def test_covariance_spectrum_bounds_exact_values() -> None:
    half = sp.Rational(1, 2)
    assert covariance_spectrum_bounds(3, "identity") == (1, 1, "Σ = I")
    assert covariance_spectrum_bounds(3, ("diag", [half, 3, 2])) == (
        half, 3, "diagonal Σ: min and max variance"
    )  # fmt: skip
    assert covariance_spectrum_bounds(3, ("diag", 2)) == (2, 2, "diagonal Σ: min and max variance")
    for rho in (-half, half, "ar1:-0.5"):
        cov = rho if isinstance(rho, str) else ("ar1", rho)
        assert covariance_spectrum_bounds(5, cov) == (
            sp.Rational(1, 3), 3, "AR(1) Σ: range of the symbol (1-ρ²)/(1-2ρcosθ+ρ²)"
        )  # fmt: skip
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 4))
    dense = a @ a.T + np.diag([0.1, 0.2, 0.3, 0.4])
    lo, hi, how = covariance_spectrum_bounds(4, dense)
    ev = np.linalg.eigvalsh(dense)
    # proven bounds (issue 19: a float eigenvalue is no proof): rationals, lo <= λ_min(Σ)
    # checked exactly (Σ - lo I is PSD: every leading minor of the exact matrix is > 0)
    assert lo.is_Rational and hi.is_Rational and 0 < lo and hi >= ev[-1]
    S = sp.Matrix(4, 4, [sp.Rational(*float(v).as_integer_ratio()) for v in dense.ravel()])
    assert all(m > 0 for m in (S - lo * sp.eye(4)).applyfunc(sp.nsimplify).berkowitz_minors())
    assert 0.99 * ev[0] < float(lo) and how.startswith("dense Σ: verified float lower bound")
    singular = np.outer([1.0, 2.0, 0.0, 1.0], [1.0, 2.0, 0.0, 1.0])  # rank one: λ_min = 0
    lo0, _, how0 = covariance_spectrum_bounds(4, singular)
    assert lo0 == 0 and "not proven positive" in how0


def test_covariance_spectrum_bounds_ar1_contains_the_spectrum_and_is_sharp() -> None:
    rho = 0.6
    lo, hi, _ = covariance_spectrum_bounds(200, ("ar1", rho))
    i = np.arange(200)
    ev = np.linalg.eigvalsh(rho ** np.abs(i[:, None] - i[None, :]))
    assert float(lo) <= ev[0] and ev[-1] <= float(hi)
    assert ev[0] == pytest.approx(float(lo), rel=1e-3)
    assert ev[-1] == pytest.approx(float(hi), rel=2e-3)


def test_covariance_spectrum_bounds_names_a_bad_diagonal_entry() -> None:
    with pytest.raises(TheoryError, match=r"^d must be a number; got True\."):
        covariance_spectrum_bounds(2, ("diag", [True, 2]))


def test_lemma_cov_transfer_returns_every_field() -> None:
    ppt = lemma_1d(16, 4, 2)
    third = sp.Rational(1, 3)
    got = lemma_cov_transfer(ppt, third, 3)
    assert got == LemmaBounds(
        "lem-cov-transfer",
        "λ_min(Σ) λ_min(PPᵀ) <= λ(PΣPᵀ) <= λ_max(Σ) λ_max(PPᵀ), with lem-1d: "
        "r/2 <= d < r: blocks A_1(k), A_2(k); λ_min = 1, λ_max = 2k-1 exactly",
        third,
        sp.Integer(39),
        False,
        False,
        "PΣPᵀ",
        {**ppt.values, "sigma_min": third, "sigma_max": 3},
        LEMMA_COV_TRANSFER,
    )
    # λ_min(Σ) = 0 is allowed (PSD), and gives the trivial lower bound
    assert lemma_cov_transfer(ppt, 0, 1).lower == 0


def test_lemma_cov_transfer_rejects_a_negative_lower_bound() -> None:
    with pytest.raises(HypothesisFailed) as info:
        lemma_cov_transfer(lemma_1d(16, 4, 2), sp.Rational(-1, 2), 2)
    assert info.value.claim == "lem-cov-transfer"
    assert str(info.value) == (
        "the covariance transfer (lem-cov-transfer) needs Σ positive semidefinite, "
        "λ_min(Σ) >= 0; got a lower bound -1/2. Pass a valid covariance."
    )


# ----------------------------------------------------------------------------- statements
@pytest.mark.parametrize("lemma", [LEMMA_1D, LEMMA_2D, LEMMA_COV_TRANSFER])
def test_statement_and_latex_are_hypotheses_implies_conclusion(lemma) -> None:
    assert lemma.statement == sp.Implies(lemma.hypotheses, lemma.conclusion, evaluate=False)
    left, right = lemma.latex().split(" \\implies ")
    assert left == nt.latex(lemma.hypotheses) and right == nt.latex(lemma.conclusion)
    assert lemma.provenance == "[derived]"


# ----------------------------------------------------------------------- sum of squares
@pytest.mark.parametrize("m", [True, False, 0, 2.0])
def test_sos_needs_an_integer_block_size(m) -> None:
    with pytest.raises(TheoryError) as info:
        sos_identity(m)
    assert str(info.value) == (
        f"the sum-of-squares identity needs an integer block size m >= 1; got {m!r}. "
        "Pass m as an int."
    )


def test_sos_checks_fail_on_a_wrong_toeplitz_block(monkeypatch) -> None:
    """The verifications can fail: with A_m(m) + I in place of A_m(m) both must say False."""
    true_block = lemmas_module.toeplitz_block
    assert sos_identity_holds(3) and sos_inequality_holds(3)
    monkeypatch.setattr(lemmas_module, "toeplitz_block", lambda m, k: true_block(m, k) + sp.eye(m))
    assert not sos_identity_holds(3)
    assert not sos_inequality_holds(3)
