"""Sharp checks of ``check_scheme``, ``exact_eigenvalues`` and ``overlap_numeric`` that
mutation testing found unchecked (issue 19, the extended scope; second sample, seed 2026).

Every test compares with an exact value or an independent construction (the overlap matrix
from its definition in ``Fraction``, eigenvalues at 60 digits, messages in full), never with
the code's own formula; MUTATION.md lists the mutants each one kills.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import convotron_theory.spectra.check as check_module
from convotron_theory import HypothesisFailed, TheoryError
from convotron_theory.spectra.check import check_scheme
from convotron_theory.spectra.exact import exact_eigenvalues
from convotron_theory.spectra.kernel import _WHY
from convotron_theory.spectra.lemmas import lemma_2d, lemma_conv
from convotron_theory.spectra.limits import MAX_N
from convotron_theory.spectra.numeric import overlap_numeric

from .test_verdicts import exact_overlap, lambda_min


def _stride(n: int, r: int, d: int) -> list[list[int]]:
    return [[i * d + a for a in range(r)] for i in range((n - r) // d + 1)]


# --------------------------------------------------------------------------- the verdict
def test_lemma_beats_a_weaker_float_certificate_and_says_only_why() -> None:
    """n = 16, r = 4, d = 2: lem-1d gives λ_min >= 1 exactly (λ_min = 1), the float
    certificate a hair below 1; the lemma decides, and its reason does not claim that the
    float certificate failed (it holds). Both proofs are listed under their names."""
    n, r, d = 16, 4, 2
    geometry = {"kind": "1d", "n": n, "r": r, "stride": d}
    res = check_scheme(n, _stride(n, r, d), exact=False, geometry=geometry)
    assert res.verdict == "HOLDS" and res.proof == "lemma lem-1d" and res.certificate == "lemma"
    assert res.verdict_reason == (
        "proven by the lemma lem-1d: lambda_min(M) >= 1 > 0 (r/2 <= d < r: blocks A_1(k), "
        "A_2(k); λ_min = 1, λ_max = 2k-1 exactly)"
    )
    assert [(b.side, b.proof, b.exact) for b in res.proved_bounds] == [
        ("lower", "verified float certificate", None),
        ("lower", "lemma lem-1d", "1"),
    ]
    fl = res.proved_bounds[0]
    assert 1 - 1e-12 < fl.value < 1  # proven, so below the true λ_min = 1
    assert fl.text() == f"lambda_min >= {fl.value:.6g} (verified float certificate)"
    assert res.lambda_min_lower_bound == 1.0
    assert res.geometry == geometry
    assert res.cov == "identity"


def _undecided() -> tuple[int, list[list[int]], Fraction]:
    """ρ = 1 − 10⁻¹³ on the 1d:12,4,2 scheme: λ_min ≈ 1e-13, below the float resolution."""
    return 12, _stride(12, 4, 2), Fraction("0.9999999999999")


def test_undecided_reports_the_rayleigh_bound_and_what_decides_in_full() -> None:
    """Without a geometry and with exact=False nothing decides; the verdict lists the
    verified Rayleigh upper bound (above the true λ_min, computed at 60 digits from M built
    in Fractions) and says in full what would decide it."""
    n, idx, rho = _undecided()
    res = check_scheme(n, idx, ("ar1", rho), exact=False)
    assert res.verdict == "UNDECIDED" and res.proof is None
    lam = lambda_min(exact_overlap(n, idx, ("ar1", rho)))
    uppers = [b for b in res.proved_bounds if b.side == "upper"]
    assert [(b.proof, b.exact) for b in uppers] == [("Rayleigh quotient", None)]
    ub = uppers[0].value
    assert lam <= ub <= lam + res.float_certificate.resolution  # proven, and informative
    assert res.lambda_min_upper_bound == ub
    fc = res.float_certificate
    m = re.fullmatch(
        r"the float certificate resolves lambda_min only above about (\S+) \(its rounding and "
        r"enclosure errors\) and the float lambda_min\(M\) = (\S+) is below that; pass "
        r"exact=True: the exact LDLᵀ decides it \(estimated (\S+) s\)",
        res.to_decide,
    )
    assert m is not None, res.to_decide
    assert m.group(1) == f"{fc.resolution:.3g}" and m.group(2) == f"{res.lambda_min:.3g}"
    assert 0 < float(m.group(3)) < 10
    assert res.lemma_reason == (
        "no stride geometry given: the 1D/2D lemmas need a patch-and-stride scheme"
    )
    assert res.cov == "ar1:9999999999999/10000000000000"


def test_irrational_covariance_is_undecided_with_its_reasons_in_full() -> None:
    """ρ = √2/2: no enclosure, no exact path; the note and the hint say so in full."""
    res = check_scheme(4, [[0, 1], [2, 3]], ("ar1", sp.sqrt(2) / 2), exact=False)
    assert res.verdict == "UNDECIDED"
    assert res.notes == (
        "no verified float bound: Σ's parameters could not be enclosed (irrational or overflowing)",
    )
    assert res.to_decide == (
        "no verified float bound could be formed; the exact LDLᵀ is not available (Σ's "
        "parameters are not rational): decide it in higher precision (a smaller or rational "
        "instance for exact=True, or interval arithmetic beyond float64)"
    )
    assert res.cov == "ar1:sqrt(2)/2"


@pytest.mark.parametrize("form", ["dense", "diag"])
def test_exact_rerun_keeps_the_lemma_bound(form: str) -> None:
    """Σ = diag(0, 1, 1e-17, 1) (dense or diagonal), positions reading {0, 2} and {1, 3}:
    M = diag(1e-17, 2) exactly. The float certificate cannot resolve 1e-17, lem-cov-transfer
    gives 0 (λ_min(Σ) = 0), no kernel witness exists; with exact=None the exact LDLᵀ is then
    run (1e-17 has a denominator over the default limit) and decides HOLDS, the lemma's bound
    still listed beside it."""
    n, idx = 4, [[0, 1], [2, 3]]
    geometry = {"kind": "1d", "n": 4, "r": 2, "stride": 2}
    d = [0.0, 1.0, 1e-17, 1.0]
    cov = np.diag(d) if form == "dense" else ("diag", d)
    res = check_scheme(n, idx, cov, geometry=geometry)
    assert res.verdict == "HOLDS" and res.certificate == "exact" and res.proof == "exact LDLᵀ"
    lemma = [b for b in res.proved_bounds if b.proof == "lemma lem-cov-transfer"]
    assert [(b.side, b.value, b.exact) for b in lemma] == [("lower", 0.0, "0")]
    assert res.proved_bounds[0].proof == "verified float certificate"
    assert res.proved_bounds[0].value <= 1e-17
    ran = [note for note in res.notes if note.startswith("the exact LDLᵀ was run")]
    assert len(ran) == 1
    assert re.fullmatch(
        r"the exact LDLᵀ was run \(estimated \S+ s\) because no other proof decided the "
        r"condition",
        ran[0],
    )
    assert res.cov == ("dense" if form == "dense" else "diag")


def test_exact_kernel_direction_explanation_in_full() -> None:
    """Rank-one dense Σ = aaᵀ: the exact LDLᵀ refutes the condition and its integer vector
    u = (0, 1) is the kernel direction (a = (1, -1, 2, 0, 1): position 1 reads coordinates 1
    and 3, i.e. a_1 = -1 and a_3 = 0; Σ^{1/2}Pᵀu ... uᵀMu = 0 computed here in Fractions)."""
    a = [Fraction(v) for v in (1, -1, 2, 0, 1)]
    S = [[a[i] * a[j] for j in range(5)] for i in range(5)]
    idx = [[0, 1], [2, 3], [3, 4]]
    M = exact_overlap(5, idx, ("dense", S))
    assert M[1][1] == 0  # uᵀMu = 0 for u = (0, 1)
    res = check_scheme(5, np.asarray(idx), np.asarray(S, dtype=object))
    assert res.verdict == "FAILS" and res.certificate == "exact"
    kd = res.kernel_direction
    assert kd.exact == (0, 1)
    assert kd.explanation == (
        "the exact LDLᵀ of M gives the integer u = [0, 1] with uᵀMu = 0. " + _WHY
    )
    assert res.cov == "dense"


# -------------------------------------------------------------------- the scheme's input
def test_size_limit_is_checked_before_the_indices() -> None:
    """n over MAX_N is refused for its size even when the indices are also bad (a repeated
    coordinate): the limit comes first, before anything n-sized could be built."""
    for idx in ([[0, 0]], np.asarray([[0, 0]])):
        with pytest.raises(TheoryError) as err:
            check_scheme(MAX_N + 1, idx)
        assert str(err.value) == (
            f"scheme too large to check: the input dimension n must be at most {MAX_N:,}; got "
            f"n={MAX_N + 1:,} (a count row of P alone takes 8n bytes). Use a smaller scheme "
            "(fewer patch positions or a smaller input), or check a scaled-down version of it."
        )


def test_non_numeric_indices_message_in_full() -> None:
    with pytest.raises(TheoryError) as err:
        check_scheme(4, [[0, None]])
    assert str(err.value) == (
        "indices must be a rectangular (k, r) array of integers; got rows of unequal length or "
        "non-numbers. Pass a list of k rows of equal length r."
    )


def test_symbolic_dense_covariance_message_in_full() -> None:
    S = np.asarray([[sp.Symbol("s"), 0], [0, 1]], dtype=object)
    with pytest.raises(TheoryError) as err:
        check_scheme(2, [[0, 1]], S)
    assert str(err.value) == (
        "a dense covariance must hold real numbers; got entries that are not (e.g. a symbol). "
        "Pass a numeric n x n matrix, or ('ar1', rho) / ('diag', d)."
    )


def test_exact_true_over_the_time_limit_names_the_covariance(monkeypatch) -> None:
    monkeypatch.setattr(check_module, "EXACT_MAX_SECONDS", 0.0)
    with pytest.raises(TheoryError) as err:
        check_scheme(4, [[0, 1], [2, 3]], ("ar1", Fraction(1, 2)), exact=True)
    assert re.fullmatch(
        r"exact=True: the exact LDLᵀ certificate for this scheme \(r=2, n=4, Σ = ar1:1/2\) is "
        r"estimated at \S+ s, over the limit of 0 s\. Use exact=None \(a verified "
        r"floating-point bound on lambda_min\), or a smaller scheme\.",
        str(err.value),
    ), str(err.value)


def test_non_eligible_covariance_builds_m_once_from_the_enclosure(monkeypatch) -> None:
    """exact=None with Σ outside the exact path (a denominator over the default limit): M is
    taken from the enclosure, built once, and never recomputed by ``_overlap_from``."""
    calls = {"enclosure": 0, "overlap": 0}
    enclosure, overlap = check_module.overlap_enclosure, check_module._overlap_from

    def count_enclosure(*args, **kwargs):
        calls["enclosure"] += 1
        return enclosure(*args, **kwargs)

    def count_overlap(*args, **kwargs):
        calls["overlap"] += 1
        return overlap(*args, **kwargs)

    monkeypatch.setattr(check_module, "overlap_enclosure", count_enclosure)
    monkeypatch.setattr(check_module, "_overlap_from", count_overlap)
    res = check_scheme(16, _stride(16, 4, 2), ("ar1", 0.1234567))
    assert res.verdict == "HOLDS" and res.certificate == "verified-float"
    assert calls == {"enclosure": 1, "overlap": 0}


# ------------------------------------------------------------------------ the geometries
def test_2d_geometry_gets_lem_2d_of_one_channel() -> None:
    """4x4 image, 2x2 patches, stride 1: lem-2d gives λ_min >= 1 and λ_max <= 25 (k = 3 on
    each axis, λ_max(A) = 2k - 1 = 5); a plain 2d geometry has one channel."""
    g = {"kind": "2d", "height": 4, "width": 4, "patch_h": 2, "patch_w": 2,
         "stride_h": 1, "stride_w": 1}  # fmt: skip
    idx = [[(y + dy) * 4 + x + dx for dy in range(2) for dx in range(2)]
           for y in range(3) for x in range(3)]  # fmt: skip
    res = check_scheme(16, idx, geometry=g)
    lb = res.lemma_bounds
    assert (lb.lower, lb.upper) == (1, 25)
    assert lb.values["channels"] == 1
    assert lb == lemma_2d(4, 4, 2, 2, 1, 1)
    assert res.exact_lambda_min == 1 and res.exact_lambda_max == 25  # 1·1 and 5·5


def test_conv1d_geometry_is_reduced_to_lem_1d() -> None:
    """conv1d, length 8, kernel 3, stride 1, no padding: the 1d:8,3,1 stride scheme, for which
    lem-1d proves λ_min >= 1/2 (true λ_min = 0.6515..., at 60 digits here)."""
    g = {"kind": "conv1d", "channels": 1, "length": 8, "kernel": 3, "stride": 1,
         "pad_left": 0, "pad_right": 0, "dilation": 1, "k": 6}  # fmt: skip
    idx = _stride(8, 3, 1)
    res = check_scheme(8, idx, geometry=g)
    assert res.lemma == "lem-1d" and res.lemma_lower_bound == sp.Rational(1, 2)
    assert res.lemma_reason.endswith("(lem-conv-reduction: 1d n=8, r=3, stride=1, channels=1)")
    lam = lambda_min(exact_overlap(8, idx, ("identity", None)))
    assert abs(res.lambda_min - float(lam)) < 1e-12
    assert res.geometry == g


# ------------------------------------------------------------------ exact eigenvalues
@pytest.mark.parametrize(("n", "expect"), [(64, True), (65, False)])
def test_exact_eigenvalues_of_a_non_identity_sigma_up_to_n_64_and_r_8(n, expect) -> None:
    """One patch reading 8 coordinates with variances 1..8: M = diag(1, ..., 8) exactly, so
    the exact extremes are 1 and 8; computed for n <= 64 (r = 8 <= 8), not above."""
    d = [Fraction(j + 1) if j < 8 else Fraction(1) for j in range(n)]
    res = check_scheme(n, [list(range(8))], ("diag", d), exact=True)
    if expect:
        assert (res.exact_lambda_min, res.exact_lambda_max) == (1, 8)
    else:
        assert res.exact_lambda_min is None and res.exact_lambda_max is None
    assert res.cov == "diag" and res.verdict == "HOLDS"


@pytest.mark.parametrize(
    "r", [check_module.AUTO_EXACT_EIG_MAX_R, check_module.AUTO_EXACT_EIG_MAX_R + 1]
)
@pytest.mark.parametrize(
    ("cov", "exact"), [("identity", True), ("identity", False), (("diag", "rational"), True)]
)
def test_exact_eigenvalues_without_a_closed_form_up_to_r_8(r, cov, exact) -> None:
    """One patch over coordinates 0..r-1 and no geometry (so no closed form): M = I_r for
    Σ = I, diag(1, ..., r) for Σ = diag(1, ..., r, 1, ...); exact extremes for r <= 8 (the
    named limit, not a literal) from the exact M (exact=True) or the int64 M (Σ = I,
    exact=False), none for r = 9; the verdict HOLDS either way."""
    assert check_module.AUTO_EXACT_EIG_MAX_R == 8
    n = 12
    if cov != "identity":
        cov = ("diag", [Fraction(j + 1) if j < r else Fraction(1) for j in range(n)])
    res = check_scheme(n, [list(range(r))], cov, exact=exact)
    if r <= 8:
        expect = (1, 1) if cov == "identity" else (1, r)
        assert (res.exact_lambda_min, res.exact_lambda_max) == expect
    else:
        assert res.exact_lambda_min is None and res.exact_lambda_max is None
    assert res.verdict == "HOLDS" and res.certificate == ("exact" if exact else "verified-float")


def test_exact_eigenvalues_of_linear_factors_with_a_leading_coefficient() -> None:
    """diag(1/2, 3) and [[1/3]]: the characteristic polynomial's rational factors 2λ - 1 and
    3λ - 1 (primitive over ℤ) have roots 1/2 and 1/3."""
    assert exact_eigenvalues([[Fraction(1, 2), 0], [0, 3]]) == [sp.Rational(1, 2), 3]
    assert exact_eigenvalues([[Fraction(1, 3)]]) == [sp.Rational(1, 3)]
    half = Fraction(1, 2)
    assert exact_eigenvalues([[5 * half, half], [half, 5 * half]]) == [2, 3]


def test_quadratic_factors_give_surds_not_root_objects() -> None:
    """[[1, 1], [1, 2]] has λ² − 3λ + 1: eigenvalues (3 ∓ √5)/2 as surds (the docstring's
    promise for factors of degree <= 2); [[2, 1, 0], [1, 2, 1], [0, 1, 3]] has the irreducible
    λ³ − 7λ² + 14λ − 7, whose roots come as ``CRootOf`` in increasing order."""
    got = exact_eigenvalues([[1, 1], [1, 2]])
    assert not any(isinstance(e, sp.CRootOf) for e in got)
    want = [(3 - sp.sqrt(5)) / 2, (3 + sp.sqrt(5)) / 2]
    assert [sp.simplify(e - w) for e, w in zip(got, want, strict=True)] == [0, 0]
    cubic = exact_eigenvalues([[2, 1, 0], [1, 2, 1], [0, 1, 3]])
    x = sp.Symbol("x")
    assert all(isinstance(e, sp.CRootOf) for e in cubic)
    assert [
        sp.simplify(e.expr.subs(e.poly.gen, x) - (x**3 - 7 * x**2 + 14 * x - 7)) for e in cubic
    ] == [0] * 3
    numeric = np.linalg.eigvalsh(np.asarray([[2, 1, 0], [1, 2, 1], [0, 1, 3]], dtype=float))
    assert np.allclose([float(e) for e in cubic], numeric, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ overlap_numeric's Σ
def test_ar1_correlation_given_as_a_fraction_string() -> None:
    """'ar1:1/2' reads ρ = 1/2 (``Fraction``, not ``float``): M equals its definition
    PΣPᵀ computed here in Fractions."""
    idx = [[0, 1], [1, 2], [2, 3]]
    want = exact_overlap(4, idx, ("ar1", Fraction(1, 2)))
    got = overlap_numeric(4, idx, "ar1:1/2")
    assert np.allclose(got, [[float(v) for v in row] for row in want], rtol=1e-15, atol=0)
    assert check_scheme(4, idx, "ar1:1/2").cov == "ar1:1/2"


@pytest.mark.parametrize("cov", ["ar1:abc", ("ar1", "abc"), ("ar1", None)])
def test_ar1_correlation_that_is_not_a_number_message_in_full(cov) -> None:
    rho = "abc" if cov != ("ar1", None) else None
    with pytest.raises(TheoryError) as err:
        overlap_numeric(3, [[0, 1]], cov)
    assert str(err.value) == (
        f"the AR(1) correlation must be a number with |rho| < 1; got {rho!r}. "
        "Pass e.g. ('ar1', 0.5) or 'ar1:0.5'."
    )


def test_conv_geometry_outside_lem_1d_names_the_reduced_scheme() -> None:
    """conv1d, length 7, kernel 5, stride 2: k = 2 < ⌈5/2⌉ = 3 patches, so lem-1d does not
    apply; the refusal names the reduced stride scheme and keeps lem-1d's reason, and
    ``check_scheme`` reports it as the lemma's reason (no lemma bound)."""
    g = {"kind": "conv1d", "channels": 1, "length": 7, "kernel": 5, "stride": 2,
         "pad_left": 0, "pad_right": 0, "dilation": 1, "k": 2}  # fmt: skip
    with pytest.raises(HypothesisFailed) as err:
        lemma_conv(g)
    assert err.value.claim == "lem-1d"
    assert str(err.value).startswith(
        "on the reduced stride scheme (lem-conv-reduction: 1d n=7, r=5, stride=2, channels=1): "
        "Lemma 1D (lem-1d) needs k >= ceil(r/d); got k=2 < ceil(r/d)=3 (n=7, r=5, stride d=2)."
    )
    res = check_scheme(7, _stride(7, 5, 2), geometry=g)
    assert res.lemma_bounds is None and res.lemma_reason == str(err.value)
