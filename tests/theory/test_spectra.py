"""Invariants of convotron_theory.spectra: scalable floats against the exact definition,
certificates
against Sylvester's criterion and eigenvalues, the lemmas against actual spectra, and the
known numbers of convotron-theory.md §5 and §7."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import convotron_theory.spectra as spectra
from convotron_theory import HypothesisFailed, TheoryError
from convotron_theory.overlap import (
    overlap_matrix,
    stride_1d_indices,
    stride_2d_channels_indices,
    stride_2d_indices,
    toeplitz_block,
)
from convotron_theory.spectra import (
    EXACT_COV_MAX_N,
    LEMMA_1D,
    LEMMA_2D,
    LEMMA_COV_TRANSFER,
    certify_positive_definite,
    check_scheme,
    covariance_spectrum_bounds,
    exact_eigenvalues,
    extreme_eigenvalues,
    kernel_direction,
    leading_principal_minors,
    lemma_1d,
    lemma_2d,
    lemma_cov_transfer,
    overlap_numeric,
    sos_identity,
    sos_identity_holds,
    sos_inequality_holds,
    toeplitz_decomposition_holds,
)

from .test_overlap import arbitrary_schemes, stride_1d, stride_2d


def geom_1d(n, r, d):
    return {"kind": "1d", "n": n, "r": r, "stride": d}


def geom_2d(h, w, ph, pw, sh, sw):
    return dict(kind="2d", height=h, width=w, patch_h=ph, patch_w=pw, stride_h=sh, stride_w=sw)


# --------------------------------------------------------------------------------------------
# overlap_numeric: oracle = the exact definition
# --------------------------------------------------------------------------------------------
@given(arbitrary_schemes())
def test_overlap_numeric_identity_is_exact_int64(scheme):
    n, idx = scheme
    M = overlap_numeric(n, idx)
    assert M.dtype == np.int64
    assert M.tolist() == np.asarray(overlap_matrix(n, idx), dtype=np.int64).tolist()


@given(
    arbitrary_schemes(max_n=8, max_k=4, max_r=4), st.fractions("-9/10", "9/10", max_denominator=10)
)
def test_overlap_numeric_ar1_matches_exact_definition(scheme, rho):
    n, idx = scheme
    exact = np.asarray(overlap_matrix(n, idx, ("ar1", rho)), dtype=float)
    got = overlap_numeric(n, idx, ("ar1", float(rho)))
    np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-12)


@given(arbitrary_schemes(max_n=8), st.data())
def test_overlap_numeric_diag_and_dense_match_exact_definition(scheme, data):
    n, idx = scheme
    d = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    exact = np.asarray(overlap_matrix(n, idx, ("diag", d)), dtype=float)
    np.testing.assert_allclose(overlap_numeric(n, idx, ("diag", d)), exact, rtol=1e-13)
    np.testing.assert_allclose(overlap_numeric(n, idx, np.diag(d)), exact, rtol=1e-13)


def test_overlap_numeric_blocked_path_equals_one_shot(monkeypatch):
    n, r, d = 40, 7, 3
    n = (n - r) // d * d + r
    idx = stride_1d_indices(n, r, d)
    full = {c: overlap_numeric(n, idx, c) for c in ("identity", ("ar1", 0.4))}
    monkeypatch.setattr(spectra.numeric, "_COUNT_BUDGET", 16 * n * 2)  # two rows per block
    assert overlap_numeric(n, idx).tolist() == full["identity"].tolist()
    np.testing.assert_allclose(overlap_numeric(n, idx, ("ar1", 0.4)), full[("ar1", 0.4)])


def test_extreme_eigenvalues_match_dense_eigvalsh():
    idx = stride_2d_indices(9, 10, 3, 4, 2, 3)
    ev = np.linalg.eigvalsh(np.asarray(overlap_matrix(90, idx), dtype=float))
    assert extreme_eigenvalues(90, idx) == pytest.approx((ev[0], ev[-1]), abs=1e-10)


# --------------------------------------------------------------------------------------------
# exact certificate vs Sylvester and vs float eigenvalues
# --------------------------------------------------------------------------------------------
@st.composite
def symmetric_integer_matrices(draw, max_r=6):
    r = draw(st.integers(1, max_r))
    B = np.asarray(draw(st.lists(st.integers(-3, 3), min_size=r * r, max_size=r * r)))
    B = B.reshape(r, r)
    shift = draw(st.integers(-4, 4))
    return sp.Matrix(B @ B.T) + shift * sp.eye(r)


@given(symmetric_integer_matrices())
def test_certificate_agrees_with_sylvester_and_its_witness_is_exact(M):
    cert = certify_positive_definite(M)
    minors = leading_principal_minors(M)
    assert list(cert.minors) == minors[: len(cert.minors)]
    assert cert.holds == all(m > 0 for m in minors)
    prod = sp.Integer(1)
    for p in cert.pivots:
        prod *= p
    assert prod == cert.minors[-1]  # product of the LDLᵀ pivots = leading minor
    if cert.holds:
        assert cert.kernel_direction is None
        assert cert.minors[-1] == M.det()
    else:
        u = sp.Matrix(cert.kernel_direction)
        q = (u.T * M * u)[0, 0]
        assert q == cert.quadratic_form
        assert q <= 0
        assert q == cert.pivots[-1] * u[cert.failed_at] ** 2
        assert np.linalg.eigvalsh(np.asarray(M, dtype=float))[0] <= 1e-9


@given(arbitrary_schemes(max_n=10, max_k=4, max_r=5))
def test_certificate_agrees_with_float_eigenvalues_on_schemes(scheme):
    n, idx = scheme
    M = overlap_numeric(n, idx)
    cert = certify_positive_definite(M)
    lmin = np.linalg.eigvalsh(M.astype(float))[0]
    assert cert.holds == (lmin > 1e-9)
    if not cert.holds:  # PSD and singular: the witness is an exact kernel vector
        u = np.asarray(cert.kernel_direction, dtype=np.int64)
        assert (M @ u).tolist() == [0] * len(u)


def test_certificate_on_rationals_and_pivots():
    half, third, quarter = sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(1, 4)
    cert = certify_positive_definite(sp.Matrix([[half, third], [third, quarter]]))
    assert cert.holds
    assert cert.pivots == (sp.Rational(1, 2), sp.Rational(1, 4) - sp.Rational(2, 9))
    frac = certify_positive_definite([[Fraction(1, 2), 1], [1, 2]])
    assert not frac.holds
    assert frac.failed_at == 1
    assert frac.pivots[-1] == 0
    assert "pivot 1 of the exact LDLᵀ factorisation is 0 <= 0" in frac.reason


@pytest.mark.parametrize(
    ("M", "match"),
    [
        (sp.Matrix([[1, 2], [3, 4]]), r"needs a symmetric matrix; entry \(1, 0\) = 3 differs"),
        (sp.Matrix([[1, 0, 0]]), r"needs a non-empty square matrix; got shape \(1, 3\)"),
        (sp.Matrix([[sp.sqrt(2)]]), r"needs rational entries; entry \(0, 0\) is sqrt\(2\)"),
        (np.array([[0.5]]), r"needs rational entries; entry \(0, 0\) is 0\.5.*Fraction\(str"),
        (np.zeros(3), r"needs a square matrix; got an array of shape \(3,\)"),
    ],
)
def test_certificate_errors(M, match):
    with pytest.raises(TheoryError, match=match):
        certify_positive_definite(M)


# --------------------------------------------------------------------------------------------
# exact eigenvalues and the known numbers (§5, §7)
# --------------------------------------------------------------------------------------------
@pytest.mark.claim("lem-1d")
def test_lambda_min_of_A_m_m_for_m_1_to_6():
    expected = {
        1: sp.Integer(1),
        2: sp.Integer(1),
        3: (7 - sp.sqrt(33)) / 2,
        4: 2 - sp.sqrt(2),
        6: 4 - 2 * sp.sqrt(3),  # = 0.53590.. (§5 gives the decimal)
    }
    for m in range(1, 7):
        lmin = exact_eigenvalues(toeplitz_block(m, m))[0]
        if m in expected:
            assert sp.simplify(lmin - expected[m]) == 0
        approx = {5: 0.54843, 6: 0.53590}.get(m)
        if approx is not None:
            assert float(lmin) == pytest.approx(approx, abs=5e-6)
        assert float(lmin) >= 0.5  # lem-1d with k = m


def test_exact_eigenvalues_match_floats_with_multiplicity():
    M = sp.diag(toeplitz_block(5, 7), toeplitz_block(3, 7), sp.Matrix([[2]]))
    ex = exact_eigenvalues(M)
    np.testing.assert_allclose(
        [float(v) for v in ex], np.linalg.eigvalsh(np.asarray(M, dtype=float)), atol=1e-10
    )
    assert exact_eigenvalues(sp.eye(3) * 2) == [2, 2, 2]
    with pytest.raises(TheoryError, match=r"limited to r <= 16; got r=17\. Use extreme_eig"):
        exact_eigenvalues(sp.eye(17))


def test_exact_eigenvalues_with_huge_rational_coefficients():
    """AR(1) with a long decimal rho: the factors' integer coefficients overflow a float.

    Ordering the CRootOf roots used float coefficients of the primitive integer factors,
    which became inf/NaN (numpy LinAlgError, a traceback from ``convotron check --exact``).
    """
    rho = sp.Rational(3333333333, 10**10)
    M = overlap_matrix(64, np.array([[2 * i + a for a in range(8)] for i in range(29)]),
                       cov=("ar1", rho))  # fmt: skip
    ex = exact_eigenvalues(M)
    np.testing.assert_allclose(
        [float(v) for v in ex], np.linalg.eigvalsh(np.asarray(M, dtype=float)), rtol=1e-9
    )


def test_known_numbers_section_7():
    res = check_scheme(16, stride_1d_indices(16, 4, 2), geometry=geom_1d(16, 4, 2))
    assert (res.k, res.exact_lambda_min, res.exact_lambda_max) == (7, 1, 13)
    assert res.lambda_min == pytest.approx(1) and res.lambda_max == pytest.approx(13)
    res = check_scheme(64, stride_1d_indices(64, 8, 2), geometry=geom_1d(64, 8, 2))
    assert res.k == 29
    assert sp.simplify(res.exact_lambda_min - (2 - sp.sqrt(2))) == 0
    params = (9, 10, 3, 4, 2, 3)
    res = check_scheme(90, stride_2d_indices(*params), geometry=geom_2d(*params))
    assert (res.exact_lambda_min, res.exact_lambda_max) == (1, 35)
    assert res.lemma == "lem-2d"
    assert (res.lemma_lower_bound, res.lemma_upper_bound) == (1, 35)  # both exact here


def test_short_input_k_below_ceil_r_over_d():
    res = check_scheme(9, stride_1d_indices(9, 8, 1), geometry=geom_1d(9, 8, 1))
    assert res.k == 2
    assert res.lambda_min == pytest.approx(0.1206, abs=1e-4)
    assert float(res.exact_lambda_min) == pytest.approx(res.lambda_min, abs=1e-12)
    assert res.condition_holds and res.certificate == "exact"
    assert res.lemma is None and res.lemma_lower_bound is None
    assert "needs k >= ceil(r/d); got k=2 < ceil(r/d)=8" in res.lemma_reason


# --------------------------------------------------------------------------------------------
# lemmas against actual spectra
# --------------------------------------------------------------------------------------------
def _check_bounds(M, bounds):
    ev = np.linalg.eigvalsh(np.asarray(M, dtype=float))
    lo, hi = float(bounds.lower), float(bounds.upper)
    assert ev[0] >= lo - 1e-9
    assert ev[-1] <= hi + 1e-9
    if bounds.lower_exact:
        assert ev[0] == pytest.approx(lo, abs=1e-9)
    if bounds.upper_exact:
        assert ev[-1] == pytest.approx(hi, abs=1e-9)


@pytest.mark.claim("lem-1d")
@given(stride_1d(max_r=9, max_d=4, max_k=9))
def test_lemma_1d_bounds_hold_exactly_when_hypotheses_hold(params):
    n, r, d = params
    k, m = (n - r) // d + 1, -(-r // d)
    M = overlap_numeric(n, stride_1d_indices(n, r, d))
    try:
        bounds = lemma_1d(n, r, d)
    except HypothesisFailed as exc:
        assert exc.claim == "lem-1d"
        assert k < m and 2 * d < r
        assert f"got k={k} < ceil(r/d)={m}" in str(exc)
        return
    assert bounds.claim == "lem-1d" and bounds.statement is LEMMA_1D
    assert bounds.lower >= sp.Rational(1, 2) and bounds.upper <= k * m
    _check_bounds(M, bounds)
    if bounds.lower == sp.Rational(1, 2):  # general case: exact certificate of M - I/2 ⪰ 0
        shifted = sp.Matrix(M) - sp.eye(r) / 2
        assert certify_positive_definite(shifted).holds  # strictly, even


@pytest.mark.claim("lem-1d")
def test_lemma_1d_exact_case_includes_half_stride():
    # d = r/2: every residue block is A_2(k), eigenvalues 1 and 2k - 1 (k = 7 here); the lemma
    # used to give only the general lower bound 1/2 at d = r/2
    bounds = lemma_1d(16, 4, 2)
    assert (bounds.lower, bounds.upper) == (1, 13)
    assert bounds.lower_exact and bounds.upper_exact
    assert "r/2 <= d < r" in bounds.case
    # d = r/2 with k = 1 < ceil(r/d) = 2: exact too (PPᵀ = I), not a failed hypothesis
    assert (lemma_1d(4, 4, 2).lower, lemma_1d(4, 4, 2).upper) == (1, 1)


@pytest.mark.claim("lem-1d")
def test_lemma_1d_exact_case_against_brute_force_for_all_r_up_to_40():
    # every r <= 40, every r/2 <= d < r, k = 1..5: brute-force λ_min = 1, λ_max = 2k - 1
    for r in range(2, 41):
        for d in range(-(-r // 2), r):
            for k in range(1, 6):
                n = (k - 1) * d + r
                ev = np.linalg.eigvalsh(
                    overlap_numeric(n, stride_1d_indices(n, r, d)).astype(float)
                )
                bounds = lemma_1d(n, r, d)
                assert bounds.lower_exact and bounds.upper_exact, (r, d, k)
                assert (bounds.lower, bounds.upper) == (1, 2 * k - 1), (r, d, k)
                assert ev[0] == pytest.approx(1.0, abs=1e-9), (r, d, k)
                assert ev[-1] == pytest.approx(2 * k - 1, abs=1e-9), (r, d, k)
        # just below r/2 the exact case no longer applies (a residue block of size 3 appears)
        if r >= 3:
            d, m = (r - 1) // 2, -(-r // ((r - 1) // 2))
            assert m >= 3 and not lemma_1d((m - 1) * d + r, r, d).lower_exact


@pytest.mark.claim("lem-2d")
@given(stride_2d())
def test_lemma_2d_bounds_hold(params):
    M = overlap_numeric(params[0] * params[1], stride_2d_indices(*params))
    try:
        bounds = lemma_2d(*params)
    except HypothesisFailed as exc:
        assert exc.claim == "lem-2d"
        assert "needs k_j >= ceil(r_j/d_j) on both axes" in str(exc)
        return
    assert bounds.lower >= sp.Rational(1, 4)
    k1 = (params[0] - params[2]) // params[4] + 1
    k2 = (params[1] - params[3]) // params[5] + 1
    assert bounds.upper <= k1 * k2 * -(-params[2] // params[4]) * -(-params[3] // params[5])
    _check_bounds(M, bounds)


def test_lemma_errors_name_the_failing_hypothesis():
    with pytest.raises(HypothesisFailed, match=r"Lemma 1D \(lem-1d\) needs k >= ceil\(r/d\); "
                       r"got k=2 < ceil\(r/d\)=8 \(n=9, r=8, stride d=1\).*n >= 15"):  # fmt: skip
        lemma_1d(9, 8, 1)
    with pytest.raises(HypothesisFailed, match=r"on the horizontal axis k=2 < ceil\(r/d\)=4"):
        lemma_2d(5, 5, 2, 4, 1, 1)
    with pytest.raises(HypothesisFailed, match=r"needs Σ positive semidefinite"):
        lemma_cov_transfer(lemma_1d(16, 4, 2), -1, 2)


@pytest.mark.claim("lem-cov-transfer")
@given(stride_1d(max_r=6, max_d=3, max_k=6), st.floats(-0.9, 0.9))
def test_cov_transfer_bounds_hold_for_ar1(params, rho):
    n, r, d = params
    try:
        ppt = lemma_1d(n, r, d)
    except HypothesisFailed:
        return
    lo, hi, _ = covariance_spectrum_bounds(n, ("ar1", rho))
    evS = np.linalg.eigvalsh(np.asarray(rho) ** np.abs(np.subtract.outer(range(n), range(n))))
    assert float(lo) <= evS[0] + 1e-12 and evS[-1] <= float(hi) + 1e-12
    bounds = lemma_cov_transfer(ppt, lo, hi)
    _check_bounds(overlap_numeric(n, stride_1d_indices(n, r, d), ("ar1", rho)), bounds)


def test_lemma_statements_are_sympy_relations():
    assert isinstance(LEMMA_1D.statement, sp.Implies)
    assert "ceiling" in str(LEMMA_1D.hypotheses)
    assert r"\lambda_{\min}(PP^\top)" in LEMMA_2D.latex()
    assert LEMMA_COV_TRANSFER.hypotheses != sp.true


# --------------------------------------------------------------------------------------------
# sum-of-squares identity (lem-1d-sos)
# --------------------------------------------------------------------------------------------
@pytest.mark.claim("lem-1d-sos")
@pytest.mark.parametrize("m", range(1, 9))
def test_sos_identity_and_inequality(m):
    assert sos_identity_holds(m)
    assert sos_inequality_holds(m)
    assert toeplitz_decomposition_holds(m)


def test_sos_identity_is_falsifiable():
    lhs, rhs = sos_identity(3)
    x1 = sorted(lhs.free_symbols, key=str)[0]
    assert sp.expand(lhs + x1**2 - rhs) != 0  # a wrong quadratic form is detected
    with pytest.raises(TheoryError, match=r"needs an integer block size m >= 1; got 0"):
        sos_identity(0)


# --------------------------------------------------------------------------------------------
# kernel direction and check_scheme
# --------------------------------------------------------------------------------------------
def test_kernel_direction_duplicate_positions():
    kd = kernel_direction(2, [[0, 1], [1, 0]])
    assert kd.exact == (1, -1)
    assert kd.residual == pytest.approx(0, abs=1e-12)
    assert "filter positions 0 and 1 read exactly the same input coordinates" in kd.explanation


def test_kernel_direction_linear_dependence_from_ldlt():
    idx = [[0, 1, 2, 3], [1, 2, 3, 0]]  # rows of P: {0,1} - {1,2} + {2,3} - {3,0} = 0
    res = check_scheme(4, idx)
    assert not res.condition_holds and res.certificate == "exact"
    kd = res.kernel_direction
    assert kd is not None and kd.exact is not None
    assert (overlap_numeric(4, idx) @ np.asarray(kd.exact)).tolist() == [0, 0, 0, 0]
    assert "linearly dependent" in kd.explanation
    assert "Pᵀu = 0" in kd.explanation


def test_kernel_direction_zero_variance_coordinates():
    res = check_scheme(3, [[0, 1], [2, 1]], cov=("diag", [0, 1, 0]))
    assert not res.condition_holds
    assert res.kernel_direction.exact == (1, 0)
    assert "filter position 0 reads only input coordinates of zero variance" in (
        res.kernel_direction.explanation
    )


@given(arbitrary_schemes(max_n=9, max_k=4, max_r=4))
def test_check_scheme_exact_and_numeric_agree(scheme):
    n, idx = scheme
    ex = check_scheme(n, idx, exact=True)
    nu = check_scheme(n, idx, exact=False)
    assert ex.certificate == "exact" and nu.certificate != "exact"
    assert ex.verdict in ("HOLDS", "FAILS")
    # without the exact LDLᵀ of M the verdict comes from other proofs; for Σ = I (integer M)
    # the float certificate and the integer kernel witness of PPᵀ always decide
    assert nu.verdict == ex.verdict
    assert ex.condition_holds == nu.condition_holds
    assert (ex.kernel_direction is None) == ex.condition_holds
    if ex.exact_lambda_min is not None:
        assert float(ex.exact_lambda_min) == pytest.approx(ex.lambda_min, abs=1e-9)


def test_check_scheme_2d_channels_and_json():
    params = (2, 6, 7, 3, 3, 1, 2)
    g = dict(geom_2d(*params[1:]), kind="2d-channels", channels=2)
    res = check_scheme(2 * 6 * 7, stride_2d_channels_indices(*params), geometry=g)
    plain = check_scheme(42, stride_2d_indices(*params[1:]), geometry=geom_2d(*params[1:]))
    assert res.r == 18 and res.lemma == "lem-2d"
    assert res.lambda_min == pytest.approx(plain.lambda_min)
    assert res.exact_lambda_min == plain.exact_lambda_min
    d = json.loads(json.dumps(res.to_dict()))
    for key in ("n", "r", "k", "lambda_min", "lambda_max", "condition_holds", "certificate",
                "lemma_lower_bound", "lemma_upper_bound", "kernel_direction"):  # fmt: skip
        assert key in d
    assert d["kernel_direction"] is None and d["certificate"] == "exact"


def test_check_scheme_rational_ar1_exact_matches_definition():
    n, r, dd = 10, 3, 1
    idx = stride_1d_indices(n, r, dd)
    res = check_scheme(n, idx, cov=("ar1", 0.5), exact=True, geometry=geom_1d(n, r, dd))
    assert "rho=0.5 given as a float, exactly the rational 1/2" in res.notes
    M = overlap_matrix(n, idx, ("ar1", sp.Rational(1, 2)))
    assert res.certificate_detail.minors[-1] == M.det()
    assert res.lemma == "lem-cov-transfer"
    # λ_min(Σ) >= (1-ρ)/(1+ρ) = 1/3 and λ_min(PPᵀ) >= 1/2 (k = 8 >= ceil(r/d) = 3)
    assert res.lemma_lower_bound == sp.Rational(1, 6)
    assert res.lambda_min >= float(res.lemma_lower_bound)
    # diagonal and dense rational Σ: exact pivots reproduce the exact determinant
    d = [Fraction(j + 1, 3) for j in range(n)]
    for cov in (("diag", d), sp.diag(*[sp.Rational(v.numerator, v.denominator) for v in d])):
        res = check_scheme(n, idx, cov=cov, exact=True)
        assert res.certificate_detail.minors[-1] == overlap_matrix(n, idx, cov).det()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(cov=("ar1", sp.sqrt(2) / 2), exact=True), r"rho = sqrt\(2\)/2 is not rational"),
        (dict(cov=("ar1", sp.Symbol("rho"))), r"needs a number for the AR\(1\) correlation"),
        (dict(cov="ar1:abc"), r"must be a number with \|rho\| < 1; got 'abc'"),
        (dict(geometry=geom_1d(10, 2, 1)), r"does not describe these indices"),
        (dict(geometry={"kind": "1d", "n": 10}), r"misses the key 'r'"),
        (dict(geometry={"kind": "3d"}), r"geometry\['kind'\] must be '1d', '2d' or"),
    ],
)
def test_check_scheme_errors(kwargs, match):
    with pytest.raises(TheoryError, match=match):
        check_scheme(10, stride_1d_indices(10, 3, 1), **kwargs)


def test_check_scheme_exact_refused_for_large_n_with_ar1():
    n = EXACT_COV_MAX_N + 1
    idx = stride_1d_indices(n, 2, 1)
    with pytest.raises(TheoryError, match=rf"needs n <= {EXACT_COV_MAX_N}; got n={n}"):
        check_scheme(n, idx, cov=("ar1", 0.5), exact=True)
    res = check_scheme(n, idx, cov=("ar1", 0.5))  # exact=None: verified float bound, says why
    assert res.certificate == "verified-float" and res.condition_holds
    assert 0 < res.lambda_min_lower_bound <= res.lambda_min
    assert any("by default the exact LDLᵀ is tried only" in note for note in res.notes)


# --------------------------------------------------------------------------------------------
# the package: one concern per module, the same public names as the single module it replaced
# --------------------------------------------------------------------------------------------
def test_package_reexports_the_public_names():
    assert set(spectra.__all__) == {
        "EXACT_COV_MAX_N", "EXACT_MAX_R", "LEMMA_1D", "LEMMA_2D", "LEMMA_COV_TRANSFER",
        "MAX_KR", "MAX_N", "MAX_OVERLAP_WORK", "MAX_R", "FloatCertificate",
        "certify_positive_definite_float", "Certificate", "KernelDirection", "LemmaBounds",
        "LemmaStatement", "SchemeCheck",
        # issue 19: the three verdicts, the proven bounds, the exact kernel witness, and
        # lemma_conv (moved here from convotron_theory.conv to break an import cycle)
        "HOLDS", "FAILS", "UNDECIDED", "ProvedBound", "exact_kernel_witness", "lemma_conv",
        "certify_positive_definite", "check_scheme", "covariance_spectrum_bounds",
        "exact_eigenvalues", "extreme_eigenvalues", "kernel_direction",
        "leading_principal_minors", "lemma_1d", "lemma_2d", "lemma_cov_transfer",
        "overlap_numeric", "sos_identity", "sos_identity_holds", "sos_inequality_holds",
        "toeplitz_decomposition_holds",
    }  # fmt: skip
    homes = {"numeric", "certificate", "exact", "lemmas", "kernel", "check", "limits", "result"}
    for name in spectra.__all__:
        obj = getattr(spectra, name)
        home = getattr(obj, "__module__", None)
        if callable(obj) and home is not None:
            # spectra.__name__ is convotron_theory.spectra (theory.spectra in mutmut's copy)
            assert home.rsplit(".", 1)[-1] in homes and home.startswith(spectra.__name__ + "."), (
                name
            )


def test_trace_is_rk_only_when_positions_read_distinct_coordinates():
    # tr PPᵀ = Σ_{a,j} P_aj² >= rk; equal for stride schemes, not in general (issue 10, item 1)
    assert check_scheme(16, stride_1d_indices(16, 4, 2)).trace == 4 * 7
    assert check_scheme(8, [[0, 1, 2, 3], [0, 1, 4, 5], [6, 7, 2, 3]]).trace == 20  # rk = 12
    assert check_scheme(4, [[0, 1], [0, 1]]).trace == 8  # rk = 4
