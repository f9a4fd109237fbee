"""Every error term of the verified float certificate and of the enclosure is needed (issue 19).

Each test feeds an adversarial input on which the bound *without* one term is false, checked
against an exact oracle (``Fraction`` arithmetic on the floats themselves, ``mpmath`` at 50
digits): either the entrywise bound on the residual / on ``M − M̃`` fails, or the
certificate claims a false λ_min (positive definite, or a lower bound above the true λ_min).
The tests assert that the real bound holds; most also assert, in the test, that the weakened
bound fails on the same input, so that the input stays adversarial. Dropping the term from
the code makes the test fail (checked by hand, see the report of issue 19).

Terms (``convotron_theory.spectra.certificate._residual_bound``,
``certify_positive_definite_float``,
``convotron_theory.spectra.enclosure``):

* ``γ_r(1+γ_r) Ĥ``: the rounding of ``fl(L̃ L̃ᵀ)``, invisible to the computed residual
  (and the "row sums of |R̂| alone" mutant): a false λ_min with a factor L̃ whose product
  rounds, and entrywise on Cholesky factors of random matrices;
* ``u(|t| + |R̂|)``: the roundings of ``t = fl(M̃ − Ĝ)`` and ``t − s``, entrywise (1 x 1);
* ``2^-900``: underflow, entrywise on subnormal matrices;
* ``‖M − M̃‖`` (forming M): a singular M whose float M̃ is positive definite;
* the exact rounding down of ``s − ‖R‖ − ‖E‖`` (``_lower``);
* the AR(1) recursion error ``(‖z_f‖ + ‖z_g‖) min(n, 1/(1-|ρ|))``: with an inaccurate
  ``lfilter`` (the bound claims independence of how it computes), a singular M is refused and
  the enclosure holds;
* ``γ_n |Ṽ|`` (forming ``M = C Ṽᵀ``): entrywise, a long diagonal-Σ sum.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from convotron_theory.spectra import certify_positive_definite_float
from convotron_theory.spectra.certificate import _ABS, _U, _lower, _residual_bound
from convotron_theory.spectra.check import _exact_overlap
from convotron_theory.spectra.enclosure import overlap_enclosure


def _exact_residual(A: np.ndarray, L: np.ndarray, s: float) -> list[list[Fraction]]:
    """R = Ã − sI − L̃L̃ᵀ exactly (every float is a rational)."""
    r = A.shape[0]
    Af = [[Fraction(float(v)) for v in row] for row in A]
    Lf = [[Fraction(float(v)) for v in row] for row in L]
    return [[Af[i][j] - (Fraction(s) if i == j else 0) - sum(Lf[i][k] * Lf[j][k]
             for k in range(r)) for j in range(r)] for i in range(r)]  # fmt: skip


def _violations(R: list[list[Fraction]], bound: np.ndarray) -> int:
    r = len(R)
    return sum(abs(R[i][j]) > Fraction(float(bound[i, j])) for i in range(r) for j in range(r))


def _pieces(A: np.ndarray, L: np.ndarray, s: float) -> dict[str, np.ndarray]:
    """The bound of ``_residual_bound`` with one term dropped at a time (the mutants)."""
    r = A.shape[0]
    gam = 1.01 * r * _U
    G = L @ L.T
    H = np.abs(L) @ np.abs(L).T
    T = A - G
    Rh = T.copy()
    Rh[np.diag_indices(r)] -= s
    inflate = 1.0 + 4.0 * (2 * r + 10) * _U
    uT = _U * (np.abs(T) + np.abs(Rh))
    prod = (gam * (1.0 + gam)) * H
    return {
        "no product rounding": (np.abs(Rh) + uT) * inflate + _ABS,
        "row sums of |R^| alone": np.abs(Rh),
        "no subtraction rounding": (np.abs(Rh) + prod) * inflate + _ABS,
        "no underflow term": (np.abs(Rh) + uT + prod) * inflate,
    }


# ----------------------------------------------------------------- the product rounding
def test_product_rounding_term_prevents_a_false_lambda_min(monkeypatch):
    """L̃ = [[2²⁶, 0], [2²⁶ + 1/2, 2⁻³⁰]]: fl(L̃L̃ᵀ) loses 1/4 + 2⁻⁶⁰ in its (2,2) entry and
    is indefinite (det = −2⁵⁰). M̃ = fl(L̃L̃ᵀ) + I has λ_min ≈ 0.875, yet the computed
    residual M̃ − I − fl(L̃L̃ᵀ) is 0: without γ_r Ĥ the certificate claims λ_min >= 1."""
    K, b, eps = 2.0**26, 2.0**26 + 0.5, 2.0**-30
    L = np.array([[K, 0.0], [b, eps]])
    G = L @ L.T
    assert G[1, 1] == 2.0**52 + 2.0**26  # b² = 2⁵² + 2²⁶ + 1/4 rounded down
    M = G + np.eye(2)
    assert np.array_equal(M - np.eye(2), G)  # every entry exact
    with mpmath.workdps(50):
        lam = min(mpmath.eigsy(mpmath.matrix(M.tolist()), eigvals_only=True))
    assert 0.87 < lam < 0.88
    # the certificate's factor is any float matrix (its docstring): here this one
    monkeypatch.setattr(np.linalg, "cholesky", lambda X: L.copy())
    r, scale = 2, float(np.max(np.abs(M)))
    t = 2.0 * (2.0 * (r + 2) * _U * r * scale) + 1e-300
    fc = certify_positive_definite_float(M, estimate=1.0 + t)  # first shift s = 1
    assert fc.shift == pytest.approx(1.0, abs=1e-12)
    assert fc.lower_bound is not None and mpmath.mpf(fc.lower_bound) <= lam
    # the weakened bounds claim λ_min >= s − res ≈ 1 > 0.875 (a false lower bound)
    for name, bound in _pieces(M, L, fc.shift).items():
        if name in ("no product rounding", "row sums of |R^| alone"):
            res = float(np.max(np.sum(bound, axis=1)))
            assert mpmath.mpf(_lower(fc.shift, res, 0.0)) > lam, name


def test_residual_bound_holds_entrywise_on_cholesky_factors():
    """Cholesky factors of random matrices: the product rounding is in R, not in R̂."""
    rng = np.random.default_rng(20261207)
    weak = 0
    for _ in range(25):
        r = int(rng.integers(3, 9))
        B = rng.standard_normal((r, r))
        A = B @ B.T
        A = (A + A.T) / 2
        s = 0.5 * float(np.linalg.eigvalsh(A)[0])
        L = np.linalg.cholesky(A - s * np.eye(r))
        R = _exact_residual(A, L, s)
        assert _violations(R, _residual_bound(A, L, s)) == 0
        weak += _violations(R, _pieces(A, L, s)["no product rounding"]) > 0
    assert weak >= 5  # the inputs are adversarial: without γ_r Ĥ the bound fails


# --------------------------------------------------------------- the subtraction roundings
def test_subtraction_rounding_term_holds_entrywise():
    """1 x 1, s close to a: t = fl(a − fl(l²)) ≈ s is rounded, R̂ = t − s is ~0, Ĥ = l² tiny."""
    rng = np.random.default_rng(7)
    weak = 0
    for _ in range(200):
        a = float(rng.uniform(1.0, 2.0))
        s = a * (1.0 - 10 ** float(rng.uniform(-14, -1)))
        A = np.array([[a]])
        L = np.linalg.cholesky(A - s * np.eye(1))  # a square root: correctly rounded
        R = _exact_residual(A, L, s)
        assert _violations(R, _residual_bound(A, L, s)) == 0
        weak += _violations(R, _pieces(A, L, s)["no subtraction rounding"]) > 0
    assert weak >= 20


# ----------------------------------------------------------------------------- underflow
def test_underflow_term_holds_entrywise_on_subnormal_matrices():
    rng = np.random.default_rng(11)
    weak = 0
    for _ in range(60):
        B = rng.standard_normal((3, 3))
        A = np.ldexp(B @ B.T, -int(rng.integers(1020, 1060)))
        A = (A + A.T) / 2
        lam = float(np.linalg.eigvalsh(A)[0])
        s = 0.5 * lam if lam > 0 else 0.0
        try:
            L = np.linalg.cholesky(A - s * np.eye(3))
        except np.linalg.LinAlgError:
            continue
        R = _exact_residual(A, L, s)
        assert _violations(R, _residual_bound(A, L, s)) == 0
        weak += _violations(R, _pieces(A, L, s)["no underflow term"]) > 0
    assert weak >= 10


def test_underflow_term_prevents_a_false_lambda_min(monkeypatch):
    """Subnormal products round by a whole 2⁻¹⁰⁷⁴, not by u: L̃ = 2⁻⁵³⁷[[1, 0], [3/2, 2⁻⁶³]]
    gives fl(L̃L̃ᵀ) = 2⁻¹⁰⁷⁴[[1, 2], [2, 2]] (indefinite). M̃ = fl(L̃L̃ᵀ) + 2⁻¹⁰⁷⁴ I has
    λ_min = (5 − √17)/2 · 2⁻¹⁰⁷⁴ ≈ 0.438 · 2⁻¹⁰⁷⁴, but every relative term underflows to 0:
    without 2⁻⁹⁰⁰ the certificate claims λ_min >= 2⁻¹⁰⁷⁴."""
    tiny = 2.0**-1074
    L = np.array([[2.0**-537, 0.0], [1.5 * 2.0**-537, 2.0**-600]])
    G = L @ L.T
    assert np.array_equal(G, tiny * np.array([[1.0, 2.0], [2.0, 2.0]]))
    M = G + tiny * np.eye(2)
    assert np.array_equal(M - tiny * np.eye(2), G)
    lam = (5 - mpmath.sqrt(17)) / 2 * mpmath.mpf(2) ** -1074  # M̃ = 2⁻¹⁰⁷⁴[[2, 2], [2, 3]]
    monkeypatch.setattr(np.linalg, "cholesky", lambda X: L.copy())
    fc = certify_positive_definite_float(M, estimate=2 * tiny)  # the shift est/2 = 2⁻¹⁰⁷⁴
    assert fc.shift == tiny
    assert not fc.holds and mpmath.mpf(fc.lower_bound) <= lam
    weak = _pieces(M, L, fc.shift)["no underflow term"]
    res = float(np.max(np.sum(weak, axis=1)))
    assert res == 0.0 and mpmath.mpf(_lower(fc.shift, res, 0.0)) > lam  # a false bound


# ---------------------------------------------------------------------------- forming M
@pytest.mark.parametrize("as_matrix", [True, False])
def test_entry_error_term_prevents_certifying_a_singular_matrix(as_matrix):
    """M = [[1, 1], [1, 1]] is singular; its float M̃ = M + 10⁻³ I is positive definite.
    With |M − M̃| <= 10⁻³ on the diagonal (or ‖M − M̃‖ <= 10⁻³) nothing is proven."""
    Mt = np.array([[1.001, 1.0], [1.0, 1.001]])
    error = np.diag([1e-3, 1e-3]) * (1 + 1e-12) if as_matrix else 1e-3 * (1 + 1e-12)
    fc = certify_positive_definite_float(Mt, error)
    assert not fc.holds and fc.lower_bound is not None and fc.lower_bound <= 0
    assert certify_positive_definite_float(Mt).holds  # without the term: a false "PD"


def test_lower_rounds_the_final_subtraction_down():
    """s − ‖R‖ − ‖E‖ in floats can round up past the exact value; _lower never does."""
    assert 1.0 - 2.0**-60 == 1.0  # the float subtraction rounds up to s itself
    assert _lower(1.0, 2.0**-60, 0.0) < 1.0
    rng = np.random.default_rng(3)
    up = 0
    for _ in range(500):
        s, a, b = (float(x) for x in rng.uniform(0, 1, 3) * [1.0, 1e-8, 1e-12])
        exact = Fraction(s) - Fraction(a) - Fraction(b)
        assert Fraction(_lower(s, a, b)) <= exact
        up += Fraction(s - a - b) > exact
    assert up > 50  # plain float arithmetic would overstate the bound
    # and the certificate reports a bound <= s − ‖R‖ − ‖E‖ exactly, from the fields it shows
    rng = np.random.default_rng(5)
    for _ in range(60):
        B = rng.standard_normal((4, 4))
        A = B @ B.T + 0.1 * np.eye(4)
        fc = certify_positive_definite_float((A + A.T) / 2, float(rng.uniform(0, 1e-3)))
        assert fc.lower_bound is not None
        exact = Fraction(fc.shift) - Fraction(fc.residual_bound) - Fraction(fc.entry_error_bound)
        assert Fraction(fc.lower_bound) <= exact


# --------------------------------------------------------------- the AR(1) recursion error
def test_ar1_recursion_error_term_with_an_inaccurate_recursion(monkeypatch):
    """The enclosure holds however ``lfilter`` computes (its docstring). With a recursion off
    by a relative 10⁻⁵ (more in later rows), M̃ of a near-singular AR(1) scheme (ρ = 1023/1024,
    λ_min ≈ 9.76e-4) has a larger float λ_min: without the residual term the certificate
    would prove λ_min >= 0.001, above the true value."""
    import scipy.signal

    real = scipy.signal.lfilter

    def inaccurate(b, a, x, axis=-1):
        out = real(b, a, x, axis=axis)
        return out * (1.0 + 1e-5 * np.arange(1, out.shape[0] + 1))[:, None]

    n, r, d = 16, 4, 2
    idx = np.asarray([[i * d + a for a in range(r)] for i in range((n - r) // d + 1)])
    rho = Fraction(1023, 1024)  # dyadic: the float and its decimal are the same number
    M = _exact_overlap(idx, n, "ar1", rho)
    with mpmath.workdps(50):
        A = mpmath.matrix([[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in M])
        lam = min(mpmath.eigsy(A, eigvals_only=True))
    assert 9.7e-4 < lam < 9.8e-4
    monkeypatch.setattr(scipy.signal, "lfilter", inaccurate)
    Mt, B = overlap_enclosure(idx, n, "ar1", 1023 / 1024)
    for a in range(r):
        for b in range(r):
            assert abs(M[a][b] - Fraction(float(Mt[a, b]))) <= Fraction(float(B[a, b]))
    fc = certify_positive_definite_float(Mt, B)
    assert fc.lower_bound is None or mpmath.mpf(fc.lower_bound) <= lam
    blind = certify_positive_definite_float(Mt)  # the same M̃ with no entry error
    assert blind.holds and mpmath.mpf(blind.lower_bound) > lam  # a false lower bound


# ------------------------------------------------------------- forming M = C Ṽᵀ (γ_n |Ṽ|)
def test_product_term_of_forming_m_holds_entrywise_on_long_sums():
    """M_ab = Σ_j C_aj C_bj d_j over thousands of j: the sum's rounding is γ_n C|Ṽ|ᵀ.

    The other terms allow about 3u M here; BLAS's sums of 1500-3000 terms err by more on
    6 of these 40 seeds (on OpenBLAS), so dropping γ_n|Ṽ| fails this test there."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n, r = int(rng.integers(1500, 3000)), 2
        k = n - r + 1
        idx = np.asarray([[i + a for a in range(r)] for i in range(k)])
        d = rng.uniform(0.5, 2.0, size=n)
        Mt, B = overlap_enclosure(idx, n, "diag", list(d))
        dF = [Fraction(float(x)) for x in d]
        for a in range(r):
            for b in range(r):
                exact = sum(dF[max(a, b) : min(a, b) + k], Fraction(0))
                assert abs(exact - Fraction(float(Mt[a, b]))) <= Fraction(float(B[a, b]))
