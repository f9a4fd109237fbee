"""Survivors of issue 19's mutation samples of ``certificate.py`` and ``enclosure.py``.

Each test compares with an exact value (``Fraction`` arithmetic on the floats themselves, an
independently written oracle) and kills the mutants named in its docstring; each kill was
checked by hand (the mutant applied in the tree, the test seen failing, the tree restored).
MUTATION.md lists the sampled survivors and which are equivalent.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from convotron_theory import TheoryError
from convotron_theory.spectra import certify_positive_definite, certify_positive_definite_float
from convotron_theory.spectra.certificate import _U, _norm2_bound, _residual_bound
from convotron_theory.spectra.check import _exact_overlap
from convotron_theory.spectra.enclosure import _param, _transform, overlap_enclosure


# ------------------------------------------- enclosure._transform: the rounding of f + g − x
def test_ar1_transform_covers_the_rounding_of_f_plus_g_minus_x(monkeypatch):
    """``E`` must include ``u(|fl(f̃ + g̃)| + |Ṽ|)`` (coded as ``2.01u|Ṽ| + ux``).

    ``_transform`` promises ``|XΣ − Ṽ| <= E`` for *any* output of ``lfilter``. n = 1,
    x = 3 (Σ = [1], so XΣ = 3 exactly), ρ = 2⁻¹⁰⁰⁰ (a Fraction: no radius, not the ρ = 0
    shortcut), and an ``lfilter`` that returns f̃ = 2⁵⁴, g̃ = 2⁵⁴ + 12. The residuals are
    |3 − f̃| = 2⁵⁴ − 3 and |3 − g̃| = 2⁵⁴ + 9, each 1 above its rounded value; then
    fl(f̃ + g̃) = fl(2⁵⁵ + 12) = 2⁵⁵ + 16 (a tie, to even) and Ṽ = fl(2⁵⁵ + 13) = 2⁵⁵ + 16:
    |XΣ − Ṽ| = 2⁵⁵ + 13, while the residual terms alone, even evaluated exactly, give
    2⁵⁵ + 12 + O(u). Kills ``E = u·X`` for ``E += u·X`` (the term dropped) and its weakenings.
    (In :func:`overlap_enclosure` the missing ~4 is then covered by ``γ_n|Ṽ|`` and
    ``_inflate``: no input tried makes M's enclosure or a certified λ_min false without it.)
    """
    import scipy.signal

    F, G = 2.0**54, 2.0**54 + 12.0
    out = iter([np.array([[F]]), np.array([[G]])])
    monkeypatch.setattr(scipy.signal, "lfilter", lambda b, a, x, axis=-1: next(out))
    X = np.array([[3.0]])
    rho = 2.0**-1000
    V, E = _transform(X, "ar1", (rho, 0.0), 1)
    assert V[0, 0] == 2.0**55 + 16.0
    err = abs(Fraction(3) - Fraction(float(V[0, 0])))
    assert err == 2**55 + 13
    assert err <= Fraction(float(E[0, 0]))
    # the residual terms alone (exact rationals, n = 1: scale 1) are below the error
    u = Fraction(_U)
    resid = sum(
        (1 + u) * abs(Fraction(float(3.0 - f))) + u * (1 + u) * (3 + (1 + Fraction(rho)) * f)
        for f in (Fraction(F), Fraction(G))
    )
    assert resid + u * 3 < err


def test_ar1_enclosure_of_m_with_a_wildly_wrong_recursion(monkeypatch):
    """The same recursion output inside :func:`overlap_enclosure`: three patches reading
    coordinate 0 of n = 1, so C = [3], M = 3·3 = 9 exactly, M̃ = fl(3Ṽ) = 3·2⁵⁵ + 48. The
    error 3·2⁵⁵ + 39 is within a few hundred u of B: ``_inflate`` must multiply (dividing by
    1 + 4(m+2)u gives a false enclosure) and every term inside must stay."""
    import scipy.signal

    out = iter([np.array([[2.0**54]]), np.array([[2.0**54 + 12.0]])])
    monkeypatch.setattr(scipy.signal, "lfilter", lambda b, a, x, axis=-1: next(out))
    Mt, B = overlap_enclosure(np.asarray([[0], [0], [0]]), 1, "ar1", Fraction(1, 2**1000))
    err = abs(9 - Fraction(float(Mt[0, 0])))
    assert err == 3 * 2**55 + 39
    assert err <= Fraction(float(B[0, 0])) <= err * (1 + Fraction(1, 10**12))


@pytest.mark.parametrize("rho", [0.5, -0.75])
def test_ar1_transform_holds_with_an_accurate_recursion(rho):
    """The same guarantee with scipy's own recursion, against XΣ in rationals."""
    rng = np.random.default_rng(19)
    X = rng.integers(0, 5, size=(4, 7)).astype(float)
    V, E = _transform(X, "ar1", (rho, 0.0), 7)
    q = Fraction(rho)
    for a in range(4):
        for i in range(7):
            exact = sum(Fraction(int(X[a, j])) * q ** abs(i - j) for j in range(7))
            assert abs(exact - Fraction(float(V[a, i]))) <= Fraction(float(E[a, i]))


# ------------------------------------------------------------ certificate: the shift loop
def test_float_certificate_reports_its_apriori_size():
    """``apriori`` is 2(r+2)u·r·max|M̃ᵢⱼ| (its docstring): r = 3, max = 4 gives 120u."""
    A = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 4.0]])
    fc = certify_positive_definite_float(A)
    assert Fraction(fc.apriori) == 2 * (3 + 2) * 3 * 4 * Fraction(1, 2**53)
    assert fc.holds and 0 < fc.lower_bound <= 4 - np.sqrt(2)


def test_float_certificate_tries_six_shifts_then_half_the_estimate():
    """A = [1], λ = 1, ‖M − M̃‖ <= e = 2⁻²⁰; an estimate so high that all six shifts
    est − t₀·4ᵏ (k < 6, t₀ = 2(e + apriori) + 10⁻³⁰⁰) lie above 1: every Cholesky fails and
    the last try is est/2, which succeeds. Kills ``continue`` → ``break`` (no bound at all)
    and a seventh shift (est − t₀·4⁶ ≈ 1 − 2⁻⁸ would be tried first)."""
    e = 2.0**-20
    t0 = 2.0 * (e + 2.0 * 3 * 2.0**-53) + 1e-300
    est = 1.0 + 2.0 * t0 * 4.0**5
    fc = certify_positive_definite_float(np.array([[1.0]]), e, estimate=est)
    assert fc.shift == est / 2
    assert fc.holds and fc.lower_bound is not None
    assert 0.5 < fc.lower_bound <= 1.0
    assert Fraction(fc.lower_bound) <= Fraction(est / 2) - Fraction(e)


def test_float_certificate_without_a_positive_estimate_tries_nothing():
    """est <= 0: no shift is positive and est/2 is not tried, so no factorisation is made
    (kills ``est >= 0``/``est > 1`` and ``holds=None`` in the fallback)."""
    fc = certify_positive_definite_float(np.eye(2), estimate=0.0)
    assert fc.holds is False and fc.lower_bound is None and fc.shift == 0.0
    assert np.isnan(fc.residual_bound) and fc.estimate == 0.0 and fc.entry_error_bound == 0.0
    assert fc.method == "shifted Cholesky + Weyl"
    assert fc.reason == (
        "no verified bound: the Cholesky factorisation of M - sI failed for every shift "
        "tried (float lambda_min = 0)"
    )
    ok = certify_positive_definite_float(np.eye(2), estimate=1.0)
    assert ok.holds is True and ok.method == "shifted Cholesky + Weyl"


def test_float_certificate_messages_in_full():
    with pytest.raises(TheoryError) as err:
        certify_positive_definite_float(np.ones((2, 3)))
    assert str(err.value) == (
        "certify_positive_definite_float needs a non-empty square matrix; got shape (2, 3). "
        "Pass an r x r float matrix."
    )
    for bad in (np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[np.inf]])):
        with pytest.raises(TheoryError) as err:
            certify_positive_definite_float(bad)
        assert str(err.value) == (
            "certify_positive_definite_float needs a finite, exactly symmetric float matrix. "
            "Symmetrise it first, e.g. (M + M.T) / 2."
        )


# ------------------------------------------------------------------ certificate: _norm2_bound
@pytest.mark.parametrize(
    ("B", "norm"),
    [
        (np.ones((1, 1)), Fraction(1)),
        (np.ones((3, 3)), Fraction(3)),
        # a column sum above every row sum: ‖B‖₂ = √2 > 1 (the largest row sum)
        (np.array([[1.0, 0.0], [1.0, 0.0]]), None),
        # the float row sums round down: ‖B‖₂ = 1 + 2⁻⁵⁴, fl(1 + 2⁻⁵⁴) = 1
        (np.array([[1.0, 2.0**-54], [2.0**-54, 1.0]]), Fraction(1) + Fraction(1, 2**54)),
    ],
)
def test_norm2_bound_is_at_least_the_exact_spectral_norm(B, norm):
    """Against ‖B‖₂ exactly (Perron root of a nonnegative matrix); √2 compared by squares."""
    got = Fraction(_norm2_bound(B))
    if norm is None:
        assert got * got >= 2 and got >= 1
    else:
        assert got >= norm
    assert got <= 2 * max(np.sum(B, axis=0).max(), np.sum(B, axis=1).max())


# --------------------------------------------------------------- certificate: _residual_bound
def test_residual_bound_is_the_documented_bound_inflated_a_little():
    """Between the documented |R̂| + u(|t| + |R̂|) + γ_r(1+γ_r)Ĥ + 2⁻⁹⁰⁰, evaluated exactly
    (γ_r = ru/(1−ru), on the computed floats t, R̂, Ĥ), and 1.02 times that value + 2⁻⁸⁹⁹
    (the code takes 1.01ru >= γ_r): the float evaluation must not fall below the documented
    bound, nor be much looser. The factors
    L̃ of nearly exact products make R̂ ≈ 0, so the product term dominates. Kills a doubled
    bound (``2.0 + …``) and ``gam = 2.01ru``."""
    rng = np.random.default_rng(1919)
    u = Fraction(1, 2**53)
    for _ in range(6):
        r = int(rng.integers(2, 6))
        L = np.tril(rng.standard_normal((r, r)))
        A = L @ L.T
        A = (A + A.T) / 2
        s = float(rng.choice([0.0, 2.0**-30]))
        got = _residual_bound(A, L, s)
        G = L @ L.T
        H = np.abs(L) @ np.abs(L).T
        T = A - G
        Rh = T.copy()
        Rh[np.diag_indices(r)] -= s
        gam = r * u / (1 - r * u)
        for i in range(r):
            for j in range(r):
                F = lambda x: Fraction(float(x))  # noqa: E731
                doc = (abs(F(Rh[i, j])) + u * (abs(F(T[i, j])) + abs(F(Rh[i, j])))
                       + gam * (1 + gam) * F(H[i, j]) + Fraction(2.0**-900))  # fmt: skip
                assert doc <= F(got[i, j]) <= doc * Fraction(102, 100) + Fraction(2.0**-899)


# ------------------------------------------------------- certificate: the exact LDLᵀ's input
def test_exact_certificate_reads_python_bools_and_refuses_strings_in_full():
    """A nested list is read as Python objects: ``True``/``False`` are the integers 1/0 (a
    numpy bool array would be refused); a string entry is named as the string it is."""
    cert = certify_positive_definite([[True, False], [False, True]])
    assert cert.holds and cert.pivots == (1, 1) and cert.minors == (1, 1)
    with pytest.raises(TheoryError) as err:
        certify_positive_definite([["1", "2"], ["2", "5"]])
    assert str(err.value) == (
        "an exact certificate needs rational entries; entry (0, 0) is '1'. Pass integers, "
        "fractions.Fraction or sympy Rationals (convert a float x exactly with "
        "Fraction(str(x)))."
    )
    with pytest.raises(TheoryError) as err:
        certify_positive_definite([[1, 0.5], [0.5, 1]])
    assert "entry (0, 1) is 0.5" in str(err.value)
    cert = certify_positive_definite(np.array([[2.0, 1.0], [1.0, 2.0]]))  # integral floats
    assert cert.holds and cert.pivots == (2, sp.Rational(3, 2))


def test_exact_certificate_shape_and_symmetry_messages_in_full():
    cases = [
        ([1, 2, 3], "certify_positive_definite needs a square matrix; got an array of shape "
         "(3,). Pass an r x r sympy Matrix or integer array."),
        ([[1, 2, 3], [4, 5, 6]], "certify_positive_definite needs a non-empty square matrix; "
         "got shape (2, 3). Pass an r x r matrix."),
        ([[1, 2], [3, 4]], "a positive-definiteness certificate needs a symmetric matrix; "
         "entry (1, 0) = 3 differs from (0, 1) = 2. Pass a symmetric matrix such as P Σ Pᵀ."),
    ]  # fmt: skip
    for M, msg in cases:
        with pytest.raises(TheoryError) as err:
            certify_positive_definite(M)
        assert str(err.value) == msg
    one = certify_positive_definite([[3]])
    assert one.holds and one.pivots == (3,) and one.minors == (3,)


def test_exact_certificate_refutation_fields():
    """M = [[2, 1, 1], [1, 2, 1], [1, 1, 2/3]]: Δ = 2, 3, 0, so pivot 2 is 0; the witness
    solves the leading block and Mu = 0 (checked here by multiplying). Kills ``method=None``
    in the refutation."""
    M = [[2, 1, 1], [1, 2, 1], [1, 1, Fraction(2, 3)]]
    cert = certify_positive_definite(M)
    assert cert.holds is False and cert.method == "LDL^T" and cert.failed_at == 2
    assert cert.minors == (2, 3, 0) and cert.pivots == (2, sp.Rational(3, 2), 0)
    u = cert.kernel_direction
    assert u is not None and u[2] != 0
    assert all(sum(Fraction(M[i][j]) * u[j] for j in range(3)) == 0 for i in range(3))
    assert cert.quadratic_form == 0
    assert cert.reason == (
        f"pivot 2 of the exact LDLᵀ factorisation is 0 <= 0; the integer vector u = {list(u)} "
        "has uᵀMu = 0"
    )


def test_ar1_transform_of_a_block_is_its_rows_transformed_one_by_one():
    """Rows of X are independent (overlap_enclosure transforms them in blocks of any size):
    the values and bounds of a block are those of each row alone. With ρ < 0 the recursion
    alternates in sign, so a bound that took |f̃| over the whole block (``f.min(axis=None)``)
    would differ in the row of small counts."""
    X = np.array([[0.0, 9.0, 0.0, 7.0, 0.0, 8.0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    for rho in (-0.75, 0.5):
        V, E = _transform(X, "ar1", _param(rho), 6)
        for a in range(2):
            Va, Ea = _transform(X[a : a + 1], "ar1", _param(rho), 6)
            assert np.array_equal(V[a], Va[0]) and np.array_equal(E[a], Ea[0])


# ------------------------------------------------------------ enclosure: the diagonal case
def test_diag_enclosure_covers_both_roundings_of_a_single_product():
    """n = 1, 40 patches reading coordinate 0, d = 0x1.dd150108eecfcp+0 exactly (a Fraction:
    radius 0): Ṽ = fl(40d), M̃ = fl(40Ṽ), M = 1600d. The two roundings err by 1.545u·M
    together; B = (u + γ₁ + u)·M̃ (the first product, the second, the symmetrisation) =
    3.01u·M̃. Without the first product's u|Ṽ|, or with it subtracted (``X·δ − u|Ṽ|``:
    1.01u·M̃), the enclosure is false."""
    d = Fraction(float.fromhex("0x1.dd150108eecfcp+0"))
    Mt, B = overlap_enclosure(np.zeros((40, 1), dtype=np.int64), 1, "diag", [d])
    exact = 1600 * d
    err = abs(exact - Fraction(float(Mt[0, 0])))
    assert err > Fraction(3, 2) * Fraction(_U) * exact  # the input is adversarial
    assert err <= Fraction(float(B[0, 0])) <= 4 * Fraction(_U) * exact


# --------------------------------------------------------------- enclosure: parameters, ρ
def test_param_encloses_each_kind_of_number():
    """(value, radius) with the true value within the radius, against exact rationals."""
    third = Fraction(1, 3)
    for v in (third, sp.Rational(1, 3), "1/3", " 1/3 "):
        f, rad = _param(v)
        assert f == float(third) and Fraction(rad) >= abs(third - Fraction(f)) > 0
        assert Fraction(rad) <= Fraction(1, 2**54)  # the rounding error, rounded up: tiny
    assert _param(sp.Rational(-7, 4)) == (-1.75, 0.0)
    assert _param(3) == (3.0, 0.0) and _param(np.int64(-2)) == (-2.0, 0.0)
    assert _param(0.1) == (0.1, 0.1 * 2.0**-53 + 2.0**-1074)
    for bad in (True, np.inf, float("nan"), "x", "1/0", sp.pi, Fraction(10**400), None):
        assert _param(bad) is None


def test_ar1_with_rho_zero_is_exact_and_rho_one_is_not_enclosed():
    """ρ = 0 with no radius is Σ = I: the transform XΣ = X is exact and its bound 0 (only the
    product C Ṽᵀ then rounds); |ρ| = 1 has no geometric bound min(n, 1/(1 − |ρ|)) to offer:
    no enclosure (None)."""
    X = np.array([[1.0, 0.0, 2.0, 1.0], [0.0, 3.0, 0.0, 1.0]])
    V, E = _transform(X, "ar1", _param(Fraction(0)), 4)
    assert np.array_equal(V, X) and not np.any(E)
    idx = np.asarray([[0, 1, 2], [2, 3, 4], [1, 1, 0]])
    M_exact = _exact_overlap(idx, 5, "diag", [Fraction(1)] * 5)
    Mt = overlap_enclosure(idx, 5, "ar1", "0")[0]
    assert [[Fraction(float(v)) for v in row] for row in Mt] == M_exact
    for rho in (Fraction(1), Fraction(-1), 1, "1"):
        assert overlap_enclosure(idx, 5, "ar1", rho) is None
