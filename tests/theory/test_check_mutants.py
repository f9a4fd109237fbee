"""Sharp checks of the verdict's helpers that mutation testing found unchecked (issue 19).

Each test compares with exact values (``Fraction``, IEEE-754 neighbours computed here), so a
mutant that rounds the wrong way or drops a term fails it; MUTATION.md lists what each kills.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from convotron_theory.spectra.check import _float_down


def _largest_float_at_most(q: Fraction) -> float:
    """The largest float <= q, by stepping from float(q) (round-to-nearest) in exact arithmetic."""
    f = float(q)
    while Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def test_float_down_of_a_rational_is_the_largest_float_below_it() -> None:
    """1/10 rounds up in binary (float(1/10) > 1/10): the result is the float just below.

    1/3 rounds down (float(1/3) < 1/3): the result is float(1/3) itself; 1/2 is exact.
    Kills rounding towards +inf, dropping the step, and comparing the wrong way.
    """
    for q in (
        Fraction(1, 10),
        Fraction(1, 3),
        Fraction(1, 2),
        Fraction(-1, 10),
        Fraction(63, 399999874),
    ):
        got = _float_down(sp.Rational(q.numerator, q.denominator))
        assert got == _largest_float_at_most(q), q
        assert Fraction(got) <= q
    assert Fraction(float(Fraction(1, 10))) > Fraction(1, 10)  # the case that must step down
    assert _float_down(sp.Rational(1, 10)) == float(np.nextafter(0.1, -np.inf))
    assert _float_down(sp.Rational(1, 3)) == 1 / 3


def test_float_down_of_an_irrational_steps_two_floats_below_its_30_digit_value() -> None:
    """sqrt(2) and -pi/7: two ulps below the 30-digit value's float, hence below the number."""
    for x in (sp.sqrt(2), -sp.pi / 7, 1 - sp.cos(sp.pi / 9)):
        f = float(sp.N(x, 30))
        want = float(np.nextafter(np.nextafter(f, -np.inf), -np.inf))
        got = _float_down(x)
        assert got == want, x
        assert sp.Rational(Fraction(got)) < x


# ------------------------------------------------------------------ rayleigh_upper_bound
def _smallest_float_at_least(q: Fraction) -> float:
    f = float(q)
    while Fraction(f) < q:
        f = float(np.nextafter(f, np.inf))
    return f


def _rayleigh_oracle(A: np.ndarray, E, u: np.ndarray) -> float:
    """(uᵀÃu + |u|ᵀB|u|) / uᵀu in Fractions (B = E·I·‖·‖ for a scalar E), rounded up."""
    r = len(u)
    xs = [Fraction(float(v)) for v in u]
    num = sum(
        (xs[a] * Fraction(float(A[a, b])) * xs[b] for a in range(r) for b in range(r)),
        Fraction(0),
    )
    den = sum((v * v for v in xs), Fraction(0))
    if np.ndim(E) == 0:
        num += Fraction(float(E)) * den
    else:
        num += sum(
            (
                abs(xs[a]) * Fraction(float(E[a, b])) * abs(xs[b])
                for a in range(r)
                for b in range(r)
            ),
            Fraction(0),
        )
    return _smallest_float_at_least(num / den)


def test_rayleigh_upper_bound_is_the_exact_quotient_rounded_up() -> None:
    """Random float matrices, signed trial vectors with a zero entry, scalar and entrywise
    errors: the result equals the exact rational quotient rounded up to the next float, and
    at least one case needs the upward step (so rounding down or not at all fails)."""
    from convotron_theory.spectra.certificate import rayleigh_upper_bound

    rng = np.random.default_rng(19)
    for trial in range(12):
        r = 2 + trial % 4
        B = rng.standard_normal((r, r))
        A = (B + B.T) / 3
        u = rng.standard_normal(r)
        u[trial % r] = 0.0
        E = 0.0 if trial % 3 == 0 else (1e-3 * abs(rng.standard_normal()) if trial % 3 == 1 else
                                        1e-3 * np.abs(rng.standard_normal((r, r))))  # fmt: skip
        got = rayleigh_upper_bound(A, E, u)
        want = _rayleigh_oracle(A, E, u)
        assert got == want, trial
    # an exactly representable quotient is returned as is: diag(2, 3), u = (1, 0) -> 2 (+ E)
    assert rayleigh_upper_bound(np.diag([2.0, 3.0]), 0.0, [1.0, 0.0]) == 2.0
    assert rayleigh_upper_bound(np.diag([2.0, 3.0]), 0.25, [1.0, 1.0]) == 2.75
    # a quotient that is not a float is rounded up: u = (1, 1, 1), Ã = diag(0, 0, 1) -> 1/3
    assert rayleigh_upper_bound(np.diag([0.0, 0.0, 1.0]), 0.0, [1.0, 1.0, 1.0]) == float(
        np.nextafter(1 / 3, np.inf)
    )
    # |u| in the entrywise term: u = (1, -1), B = all ones -> (1·1·1 + 1·1·1 + 2) / 2 = 2
    assert rayleigh_upper_bound(np.zeros((2, 2)), np.ones((2, 2)), [1.0, -1.0]) == 2.0


def test_rayleigh_upper_bound_limits() -> None:
    """r = RAYLEIGH_MAX_R is evaluated, r + 1 is not; u = 0, a shape mismatch and a
    non-finite matrix give None."""
    from convotron_theory.spectra.certificate import RAYLEIGH_MAX_R, rayleigh_upper_bound

    r = RAYLEIGH_MAX_R
    u = np.zeros(r)
    u[0] = 1.0
    assert rayleigh_upper_bound(np.eye(r), 0.0, u) == 1.0
    assert rayleigh_upper_bound(np.eye(r + 1), 0.0, np.ones(r + 1)) is None
    assert rayleigh_upper_bound(np.eye(2), 0.0, [0.0, 0.0]) is None
    assert rayleigh_upper_bound(np.eye(3), 0.0, [1.0, 0.0]) is None
    assert rayleigh_upper_bound(np.array([[np.inf, 0], [0, 1.0]]), 0.0, [0.0, 1.0]) is None


# ------------------------------------------------------------------------ exact eigenvalues
def test_quadratic_factor_roots_both_formulas() -> None:
    """[[2, 1], [1, 3]]: (5 ∓ √5)/2; a huge discriminant (the unsimplified branch): the two
    roots of λ² − Nλ + 1 sum to N and multiply to 1, smaller first."""
    from convotron_theory.spectra.exact import (
        _SURD_SIMPLIFY_LIMIT,
        _low_degree_roots,
        exact_eigenvalues,
    )

    lo, hi = exact_eigenvalues([[2, 1], [1, 3]])
    assert sp.simplify(lo - (5 - sp.sqrt(5)) / 2) == 0
    assert sp.simplify(hi - (5 + sp.sqrt(5)) / 2) == 0
    lam = sp.Symbol("lam")
    N = 10**13
    assert N**2 - 4 >= _SURD_SIMPLIFY_LIMIT
    # 3λ² − Nλ + 1: roots sum to N/3 and multiply to 1/3 (checked at 60 digits)
    r1, r2 = _low_degree_roots(sp.Poly(3 * lam**2 - N * lam + 1, lam))
    assert abs(sp.N(r1 + r2, 60) - sp.Rational(N, 3)) < sp.Rational(1, 10**30)
    assert abs(sp.N(r1 * r2, 60) - sp.Rational(1, 3)) < sp.Rational(1, 10**30)
    assert 0 < sp.N(r1, 60) < sp.N(r2, 60)
    # a = 3, b = -7, c = 2 (3λ² − 7λ + 2 = (3λ − 1)(λ − 2)) in the unsimplified branch too
    s1, s2 = _low_degree_roots(sp.Poly(3 * lam**2 - 7 * lam + 2, lam))
    assert (sp.nsimplify(s1), sp.nsimplify(s2)) == (sp.Rational(1, 3), 2)


def test_exact_eigenvalues_size_limit() -> None:
    """r = EXACT_EIG_MAX_R is computed (identity: all ones), r + 1 raises naming both."""
    from convotron_theory._errors import TheoryError
    from convotron_theory.spectra.exact import EXACT_EIG_MAX_R, exact_eigenvalues

    m = EXACT_EIG_MAX_R
    assert exact_eigenvalues(np.eye(m, dtype=int)) == [1] * m
    try:
        exact_eigenvalues(np.eye(m + 1, dtype=int))
    except TheoryError as exc:
        assert f"limited to r <= {m}; got r={m + 1}" in str(exc)
    else:
        raise AssertionError("no error")


def test_dense_enclosure_of_integers_has_zero_radius() -> None:
    """An integer Σ is exact (radius 0); a float Σ gets |Σ|·2⁻⁵³ + 2⁻¹⁰⁷⁴."""
    from convotron_theory.spectra.enclosure import dense_enclosure

    out = dense_enclosure(2, np.array([[2, 1], [1, 3]]))
    assert out is not None
    S, dS = out
    assert S.tolist() == [[2.0, 1.0], [1.0, 3.0]] and not dS.any()
    F = np.array([[0.1, 0.0], [0.0, 3.0]])
    out = dense_enclosure(2, F)
    assert out is not None
    S, dS = out
    assert (S == F).all() and (dS == np.abs(F) * 2.0**-53 + 2.0**-1074).all()


# ------------------------------------------------------------------------- verdict reasons
def test_verdict_reasons_name_the_deciding_proof() -> None:
    """HOLDS by the float certificate: its reason is the certificate's; HOLDS by the lemma
    below the float resolution: 'proven by the lemma ...; the verified float certificate
    could not resolve it'; the lemma's printed bound carries its exact rational."""
    from convotron_theory.spectra import check_scheme

    n, r, d = 60, 8, 2
    idx = [[d * i + a for a in range(r)] for i in range((n - r) // d + 1)]
    geometry = {"kind": "1d", "n": n, "r": r, "stride": d}
    fl = check_scheme(n, idx, ("ar1", 0.5), exact=False)
    assert fl.proof == "verified float certificate"
    assert fl.float_certificate is not None
    assert fl.verdict_reason == fl.float_certificate.reason
    lem = check_scheme(n, idx, ("ar1", "0.999999999"), exact=False, geometry=geometry)
    assert lem.proof == "lemma lem-cov-transfer"
    assert lem.verdict_reason.startswith(
        f"proven by the lemma lem-cov-transfer: lambda_min(M) >= {lem.lemma_lower_bound} > 0 ("
    )
    assert lem.verdict_reason.endswith("; the verified float certificate could not resolve it")
    (b,) = [b for b in lem.proved_bounds if b.proof == "lemma lem-cov-transfer"]
    assert b.exact == str(lem.lemma_lower_bound) == "1/3999999998"
    assert any(note.startswith("lemma bounds on PΣPᵀ use ") for note in lem.notes)


def test_exact_extremes_from_the_closed_form_blocks() -> None:
    """1D 12, r = 6, stride 2 (a 3×3 block) and 2D: the exact extremes equal the float ones."""
    from convotron_theory.spectra import check_scheme

    idx = [[2 * i + a for a in range(6)] for i in range(4)]
    res = check_scheme(12, idx, geometry={"kind": "1d", "n": 12, "r": 6, "stride": 2})
    assert res.exact_lambda_min is not None and res.exact_lambda_max is not None
    assert abs(float(res.exact_lambda_max) - res.lambda_max) < 1e-9
    assert abs(float(res.exact_lambda_min) - res.lambda_min) < 1e-9
    from convotron_theory._stride import stride_2d_indices

    g = {"kind": "2d", "height": 6, "width": 5, "patch_h": 4, "patch_w": 3,
         "stride_h": 2, "stride_w": 1}  # fmt: skip
    idx2 = stride_2d_indices(6, 5, 4, 3, 2, 1)
    res2 = check_scheme(30, idx2, geometry=g)
    assert res2.exact_lambda_min is not None and res2.exact_lambda_max is not None
    assert abs(float(res2.exact_lambda_min) - res2.lambda_min) < 1e-9
    assert abs(float(res2.exact_lambda_max) - res2.lambda_max) < 1e-9


# ------------------------------------------------------------------------ memory blocking
def _blocking_cases():
    rng = np.random.default_rng(3)
    n = 11
    A = rng.standard_normal((n, n))
    idx = np.array([[2 * i + a for a in range(5)] for i in range(4)])
    idx[1, 4] = -1  # a padded position
    return n, idx, [("ar1", 0.5), ("diag", list(rng.uniform(0.5, 2.0, n))), A @ A.T / n]


def test_overlap_enclosure_is_the_same_in_small_blocks(monkeypatch) -> None:
    """The row blocks bound memory only: with a budget of two rows per block (and one row per
    inner block) M̃ and its error bound equal the one-block result to rounding."""
    from convotron_theory.spectra import enclosure
    from convotron_theory.spectra.numeric import _cov_kind

    n, idx, covs = _blocking_cases()
    for cov in covs:
        kind, payload = _cov_kind(n, cov)
        one = enclosure.overlap_enclosure(idx, n, kind, payload)
        with monkeypatch.context() as mp:
            mp.setattr(enclosure, "_BLOCK_BUDGET", 8 * 3 * n * 2)
            small = enclosure.overlap_enclosure(idx, n, kind, payload)
        assert one is not None and small is not None
        np.testing.assert_allclose(small[0], one[0], rtol=1e-13, atol=0)
        np.testing.assert_allclose(small[1], one[1], rtol=1e-13, atol=0)


def test_overlap_numeric_is_the_same_in_small_blocks(monkeypatch) -> None:
    """numeric._overlap_from with a one-row block budget equals the one-block result."""
    from convotron_theory.spectra import numeric

    n, idx, covs = _blocking_cases()
    for cov in ["identity", *covs]:
        kind, payload = numeric._cov_kind(n, cov)
        one = np.asarray(numeric._overlap_from(idx, n, kind, payload), dtype=float)
        with monkeypatch.context() as mp:
            mp.setattr(numeric, "_COUNT_BUDGET", 1)
            small = np.asarray(numeric._overlap_from(idx, n, kind, payload), dtype=float)
        np.testing.assert_allclose(small, one, rtol=1e-13, atol=1e-15)


def test_exact_eigenvalues_limit_message_in_full() -> None:
    from convotron_theory._errors import TheoryError
    from convotron_theory.spectra.exact import EXACT_EIG_MAX_R, exact_eigenvalues

    m = EXACT_EIG_MAX_R + 1
    want = (
        f"exact_eigenvalues factors a characteristic polynomial and is limited to r <= "
        f"{EXACT_EIG_MAX_R}; got r={m}. Use extreme_eigenvalues (floats), or the closed "
        "form blocks (toeplitz_block) of a stride scheme."
    )
    try:
        exact_eigenvalues(np.eye(m, dtype=int))
    except TheoryError as exc:
        assert str(exc) == want
    else:
        raise AssertionError("no error")


def test_diag_covariance_names_the_first_bad_variance() -> None:
    """A negative finite variance is refused, and the message names the first entry that is
    negative or not finite (a zero variance before it is fine)."""
    from convotron_theory._errors import TheoryError
    from convotron_theory.spectra.numeric import _cov_kind

    assert _cov_kind(3, ("diag", [1.0, 0.0, 2.0]))[0] == "diag"
    for d, j in (([1.0, 0.0, -1.0], 2), ([0.0, float("nan"), 1.0], 1)):
        try:
            _cov_kind(3, ("diag", d))
        except TheoryError as exc:
            assert str(exc) == (
                f"('diag', d) needs finite variances d[j] >= 0; got d[{j}]={d[j]!r}. "
                "Pass finite nonnegative variances."
            )
        else:
            raise AssertionError(d)
    assert _cov_kind(4, "ar1:0.5") == _cov_kind(4, ("ar1", "0.5"))


def test_check_scheme_messages_and_notes_in_full() -> None:
    """The geometry errors, the note of a covariance the default exact path skips, and an
    identity Σ certified exactly above EXACT_COV_MAX_N (the limit is for a non-identity Σ)."""
    from convotron_theory._errors import TheoryError
    from convotron_theory.spectra import check_scheme
    from convotron_theory.spectra.check import EXACT_COV_MAX_N

    cases = [
        (
            dict(n=4, indices=[[0, 1]], geometry=5),
            "geometry must be a dict such as {'kind': '1d', 'n': 16, 'r': 4, 'stride': 2} or "
            "None; got 5 of type int. Pass the PatchScheme.geometry dict of a stride scheme, "
            "or geometry=None.",
        ),
        (
            dict(
                n=8, indices=[[0, 1], [2, 3]], geometry={"kind": "1d", "n": 8, "r": 2, "stride": 3}
            ),
            "geometry {'kind': '1d', 'n': 8, 'r': 2, 'stride': 3} does not describe these "
            "indices (shape (2, 2), geometry gives (3, 2) or different coordinates). Pass the "
            "geometry of the same scheme, or geometry=None.",
        ),
    ]
    for kwargs, want in cases:
        try:
            check_scheme(**kwargs)  # type: ignore[arg-type]
        except TheoryError as exc:
            assert str(exc) == want
        else:
            raise AssertionError(kwargs)
    res = check_scheme(8, [[0, 1, 2], [2, 3, 4]], ("ar1", "0.1234567"))
    assert res.notes[0] == (
        "no exact certificate: by default the exact LDLᵀ is tried only for r <= 64 with Σ = I, "
        "or with n <= 2048 and Σ's entries rationals of denominator <= 1000000; pass "
        "exact=True to force it"
    )
    big = check_scheme(EXACT_COV_MAX_N + 952, [[0, 1], [1, 2]], exact=True)
    assert big.verdict == "HOLDS" and big.certificate == "exact"
