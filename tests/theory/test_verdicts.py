"""The verdict of ``check_scheme`` is never wrong (issue 19).

Oracle, independent of ``convotron_theory.spectra``: the count matrix ``C`` built by loops from the
index rows, the exact rational Σ (identity, AR(1) ρ^|i-j|, diagonal, dense A Aᵀ), the exact
``M = C Σ Cᵀ`` in ``Fraction``, positive definiteness by a plain rational elimination and
λ_min by ``mpmath.eigsy`` at 60 digits. The rules asserted:

* HOLDS only when λ_min(M) > 0 exactly, FAILS only when λ_min(M) = 0 exactly (M ⪰ 0);
* UNDECIDED only when λ_min(M) is below the float certificate's resolution;
* every proven bound printed beside the verdict holds;
* with ``exact=None`` a rational instance is decided (the exact LDLᵀ), never UNDECIDED.

Schemes: Hypothesis over small arbitrary schemes and covariances (AR(1) with ρ up to
1 − 10⁻⁸), and hand-made near-singular cases (AR(1) ρ → 1 with and without the lemma,
padded conv layers, repeated patches and positions, rank-deficient Σ).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory.spectra import check_scheme
from tests.budget import examples

from .test_overlap import arbitrary_schemes


# ------------------------------------------------------------------------------ the oracle
def _counts(n: int, idx) -> list[list[int]]:
    r = len(idx[0])
    C = [[0] * n for _ in range(r)]
    for row in idx:
        for a, j in enumerate(row):
            if j >= 0:  # -1: a read of zero padding
                C[a][int(j)] += 1
    return C


def _sigma(n: int, cov) -> list[list[Fraction]]:
    kind, p = cov
    if kind == "identity":
        return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    if kind == "ar1":
        return [[p ** abs(i - j) for j in range(n)] for i in range(n)]
    if kind == "diag":
        return [[p[i] if i == j else Fraction(0) for j in range(n)] for i in range(n)]
    return p  # dense, already exact


def exact_overlap(n: int, idx, cov) -> list[list[Fraction]]:
    C, S = _counts(n, idx), _sigma(n, cov)
    r = len(C)
    CS = [[sum(C[a][i] * S[i][j] for i in range(n) if C[a][i]) for j in range(n)]
          for a in range(r)]  # fmt: skip
    return [[sum(CS[a][j] * C[b][j] for j in range(n) if C[b][j]) for b in range(r)]
            for a in range(r)]  # fmt: skip


def is_positive_definite(M: list[list[Fraction]]) -> bool:
    """Plain symmetric elimination: PD iff every pivot is > 0."""
    A = [[Fraction(v) for v in row] for row in M]
    r = len(A)
    for c in range(r):
        if A[c][c] <= 0:
            return False
        for i in range(c + 1, r):
            f = A[i][c] / A[c][c]
            for j in range(c, r):
                A[i][j] -= f * A[c][j]
    return True


def lambda_min(M: list[list[Fraction]]) -> mpmath.mpf:
    with mpmath.workdps(60):
        A = mpmath.matrix([[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in M])
        return min(mpmath.eigsy(A, eigvals_only=True))


def as_cov(cov):
    """The covariance as check_scheme reads it."""
    kind, p = cov
    if kind == "identity":
        return "identity"
    if kind == "dense":
        return np.asarray(p, dtype=object)
    return (kind, p)


def assert_never_wrong(n: int, idx, cov, exact=None, geometry=None):
    res = check_scheme(n, idx, as_cov(cov), exact=exact, geometry=geometry)
    M = exact_overlap(n, idx, cov)
    pd = is_positive_definite(M)
    lam = lambda_min(M)
    tol = mpmath.mpf(10) ** -40
    assert res.verdict in ("HOLDS", "FAILS", "UNDECIDED")
    assert res.condition_holds == (res.verdict == "HOLDS")
    if res.verdict == "HOLDS":
        assert pd, (res.verdict_reason, lam)
        assert res.proof is not None
    elif res.verdict == "FAILS":
        assert not pd and abs(lam) < tol, (res.verdict_reason, lam)
        assert res.proof is not None and res.kernel_direction is not None
        u = res.kernel_direction.exact
        assert u is not None  # the exact witness is shown
        Mu = [sum(M[a][b] * u[b] for b in range(len(u))) for a in range(len(u))]
        assert all(v == 0 for v in Mu)
    else:
        assert res.proof is None and res.to_decide
        fc = res.float_certificate
        assert fc is not None and not fc.holds
        assert lam <= 2 * fc.resolution, (lam, fc)  # the margin is below the resolution
    for b in res.proved_bounds:  # every bound printed beside the verdict is true
        if b.side == "lower":
            assert mpmath.mpf(b.value) <= lam + tol, (b, lam)
        else:
            assert lam <= mpmath.mpf(b.value) + tol, (b, lam)
    return res, pd, lam


# ------------------------------------------------------------------------------ Hypothesis
@st.composite
def covariances(draw, n: int):
    kind = draw(st.sampled_from(["identity", "ar1", "ar1-near-1", "diag", "dense"]))
    if kind == "identity":
        return ("identity", None)
    if kind == "ar1":
        q = draw(st.integers(1, 12))
        return ("ar1", Fraction(draw(st.integers(-q + 1, q - 1)), q))
    if kind == "ar1-near-1":
        j = draw(st.integers(2, 8))
        sign = draw(st.sampled_from([1, -1]))
        return ("ar1", sign * (1 - Fraction(1, 10**j)))
    if kind == "diag":
        return ("diag", [Fraction(draw(st.integers(0, 3)), draw(st.integers(1, 3)))
                         for _ in range(n)])  # fmt: skip
    m = draw(st.integers(1, n))  # rank <= m: singular Σ when m < n
    A = [[Fraction(draw(st.integers(-2, 2))) for _ in range(m)] for _ in range(n)]
    return ("dense", [[sum(A[i][t] * A[j][t] for t in range(m)) for j in range(n)]
                      for i in range(n)])  # fmt: skip


@examples(5)
@given(data=st.data(), scheme=arbitrary_schemes(max_n=8, max_k=4, max_r=4))
def test_verdict_is_never_wrong_on_small_schemes(data, scheme):
    n, idx = scheme
    cov = data.draw(covariances(n))
    exact = data.draw(st.sampled_from([None, False]))
    res, _, _ = assert_never_wrong(n, idx, cov, exact=exact)
    if exact is None:  # small rational instances: the exact LDLᵀ when nothing else decides
        assert res.verdict != "UNDECIDED"


# ------------------------------------------------------------------------------ hand-made
def _stride(n: int, r: int, d: int) -> np.ndarray:
    return np.asarray([[i * d + a for a in range(r)] for i in range((n - r) // d + 1)])


@pytest.mark.parametrize("j", [2, 4, 6, 8, 10])
def test_ar1_rho_to_one(j):
    """ρ = 1 − 10⁻ʲ: λ_min(M) ~ 10⁻ʲ; the lemma proves it with the geometry, else the float
    certificate decides above its resolution and says UNDECIDED below it."""
    n, r, d = 16, 4, 2
    idx = _stride(n, r, d)
    rho = 1 - Fraction(1, 10**j)
    geometry = {"kind": "1d", "n": n, "r": r, "stride": d}
    for exact in (None, False):
        res, pd, lam = assert_never_wrong(n, idx, ("ar1", rho), exact=exact, geometry=geometry)
        assert pd and res.verdict == "HOLDS"  # the lemma (or the exact LDLᵀ) proves it
        plain, _, _ = assert_never_wrong(n, idx, ("ar1", rho), exact=exact)
        if exact is None:  # nothing else decides below the resolution: the exact LDLᵀ does
            assert plain.verdict == "HOLDS"
    # the lemma alone, through the covariance transfer: λ_min >= (1-ρ)/(1+ρ) λ_min(PPᵀ)
    res = check_scheme(n, idx, ("ar1", rho), exact=False, geometry=geometry)
    if res.certificate == "lemma":
        assert res.proof == "lemma lem-cov-transfer"
        assert res.lambda_min_lower_bound <= float(lam)


def test_issue_19_reproduction_is_never_contradicted():
    """`check --scheme 1d:60,8,2 --cov ar1:0.99999937` printed FAILS while proving λ_min > 0.

    Now the verified float certificate proves it (the AR(1) recursion bound uses
    min(n, 1/(1-|ρ|))), with a lower bound within 0.3% of the true λ_min 3.4656e-7; the
    lemma's bound 63/399999874 is printed beside it and is true too.
    """
    n, r, d = 60, 8, 2
    idx = _stride(n, r, d)
    geometry = {"kind": "1d", "n": n, "r": r, "stride": d}
    res = check_scheme(n, idx, ("ar1", 0.99999937), geometry=geometry)
    lam = lambda_min(exact_overlap(n, idx, ("ar1", Fraction("0.99999937"))))
    assert 3.4655e-7 < lam < 3.4657e-7  # the true λ_min
    assert res.verdict == "HOLDS" and res.proof == "verified float certificate"
    assert str(res.lemma_lower_bound) == "63/399999874"
    assert 0.997 * float(lam) < res.lambda_min_lower_bound <= lam
    lows = {b.proof: b.value for b in res.proved_bounds}
    assert lows["lemma lem-cov-transfer"] <= lam
    assert check_scheme(n, idx, ("ar1", 0.99999937), exact=True).verdict == "HOLDS"


def test_the_lemma_decides_below_the_float_resolution():
    """ρ = 1 - 10⁻⁹: λ_min ≈ 5.5e-10 is below the float certificate's resolution; the lemma
    proves it (HOLDS), the theorem's numbers use its bound; without the geometry and with
    exact=False nothing decides (UNDECIDED, saying that exact=True would)."""
    n, r, d = 60, 8, 2
    idx = _stride(n, r, d)
    rho = Fraction("0.999999999")
    geometry = {"kind": "1d", "n": n, "r": r, "stride": d}
    res, pd, lam = assert_never_wrong(n, idx, ("ar1", rho), exact=False, geometry=geometry)
    assert pd and res.verdict == "HOLDS" and res.proof == "lemma lem-cov-transfer"
    assert res.lemma_lower_bound == sp.Rational(1, 2) * (1 - rho) / (1 + rho)
    fl, _, _ = assert_never_wrong(n, idx, ("ar1", rho), exact=False)
    assert fl.verdict == "UNDECIDED" and "pass exact=True" in fl.to_decide
    assert fl.float_certificate.resolution > lam  # below the certificate's resolution
    # exact=None: nothing else decides and the exact LDLᵀ is cheap, so it runs
    plain = check_scheme(n, idx, ("ar1", rho))
    assert plain.verdict == "HOLDS" and plain.certificate == "exact"
    assert any("because no other proof decided" in note for note in plain.notes)


@pytest.mark.parametrize(
    ("n", "rows"),
    [
        (3, [[-1, 0, 1], [0, 1, 2], [1, 2, -1]]),  # padded conv1d, kernel 3, padding 1
        (2, [[-1, 0], [-1, 1]]),  # position 0 reads only padding: FAILS
        (4, [[-1, -1, 0], [-1, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, -1]]),
        (4, [[0, 1, 2], [0, 1, 2], [1, 2, 3]]),  # a repeated patch
        (3, [[0, 1, 2], [2, 1, 0]]),  # mirrored positions 0 and 2: FAILS
        (4, [[0, 1, 2, 3], [1, 2, 3, 0]]),  # dependent rows of P: FAILS
        (5, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]),  # a cycle: PD
    ],
)
@pytest.mark.parametrize(
    "cov",
    [
        ("identity", None),
        ("ar1", Fraction(1, 2)),
        ("ar1", 1 - Fraction(1, 10**7)),
        ("diag", None),  # zero variances, filled in below
    ],
)
def test_padded_and_repeated_schemes(n, rows, cov):
    if cov[0] == "diag":
        cov = ("diag", [Fraction(j % 2) for j in range(n)])  # every other coordinate silent
    for exact in (None, False):
        assert_never_wrong(n, np.asarray(rows), cov, exact=exact)


def test_rank_deficient_dense_covariance():
    n = 5
    a = [Fraction(v) for v in (1, -1, 2, 0, 1)]
    S = [[a[i] * a[j] for j in range(n)] for i in range(n)]  # rank one
    for rows in ([[0, 1], [2, 3], [3, 4]], [[0, 1, 2], [2, 3, 4]]):
        for exact in (None, False):
            res, pd, _ = assert_never_wrong(n, np.asarray(rows), ("dense", S), exact=exact)
            assert not pd and res.verdict != "HOLDS"


def test_a_lemma_bound_of_zero_decides_nothing():
    """lem-cov-transfer with a zero variance gives λ_min >= 0: no proof of HOLDS. Here M is
    singular (position 0 reads only the silent coordinates 0 and 2): FAILS by the witness."""
    n, idx = 4, np.asarray([[0, 1], [2, 3]])
    geometry = {"kind": "1d", "n": 4, "r": 2, "stride": 2}
    cov = ("diag", [Fraction(0), Fraction(1), Fraction(0), Fraction(1)])
    for exact in (None, False):
        res, pd, _ = assert_never_wrong(n, idx, cov, exact=exact, geometry=geometry)
        assert not pd and res.verdict == "FAILS" and res.lemma_lower_bound == 0


def test_kernel_witnesses_are_checked_in_integers():
    from convotron_theory.spectra.kernel import _verified, exact_kernel_witness

    idx = np.asarray([[0, 1, 2], [2, 1, 0]])
    assert _verified(idx, 3, "identity", None, (1, 0, -1))  # Pᵀu = 0
    assert not _verified(idx, 3, "identity", None, (1, -1, 0))  # Pᵀu != 0
    assert not _verified(idx, 3, "identity", None, (0, 0, 0))
    # a diagonal Σ: Pᵀu may be nonzero on coordinates of exactly zero variance only
    assert _verified(idx, 3, "diag", [0.0, 1.0, 0.0], (1, 0, 0))
    assert not _verified(idx, 3, "diag", ["1e-400", 1.0, 0.0], (1, 0, 0))  # 0.0 as a float,
    # but not as the decimal it is: not exactly zero in every reading
    assert exact_kernel_witness(3, [[0, 1, 2], [1, 2, 0]]) is None  # a PD scheme: none


def test_an_exact_holds_at_the_rounding_level_says_so():
    """Σ = XᵀX/3 from three rows, in floats: M = PΣPᵀ (r = 4) is singular for the exact
    estimate, but the floats read as decimals give a positive definite M, which the exact
    LDLᵀ certifies (true for M as read). The verdict stays HOLDS, and a note says that its
    float λ_min is at the rounding level and how to check the exact estimate; the exact
    estimate in Fractions FAILS. A well-conditioned HOLDS has no such note."""
    idx = [[2 * i + a for a in range(4)] for i in range(3)]
    X = np.random.default_rng(0).standard_normal((3, 8))
    res = check_scheme(8, idx, X.T @ X / 3)
    assert (res.verdict, res.proof) == ("HOLDS", "exact LDLᵀ")
    (note,) = [t for t in res.notes if "rounding level" in t]
    assert note.startswith(
        f"the condition holds exactly for M as read, but the float lambda_min(M) = "
        f"{res.lambda_min:.3g} is at the rounding level of its entries (lambda_max(M) = "
        f"{res.lambda_max:.3g}): "
    )
    F = [[Fraction(float(v)) for v in row] for row in X]
    exact = np.array(
        [[sum(r[a] * r[b] for r in F) / 3 for b in range(8)] for a in range(8)], dtype=object
    )
    assert check_scheme(8, idx, exact).verdict == "FAILS"
    assert not any("rounding level" in t for t in check_scheme(8, idx, np.eye(8)).notes)
    well = check_scheme(8, idx, X.T @ X / 3 + 1e-9 * np.eye(8), exact=True)
    assert (well.verdict, well.proof) == ("HOLDS", "exact LDLᵀ")
    assert well.lambda_min > 1e-12 * well.lambda_max  # λ_min ≈ 1e-9: above the level
    assert not any("rounding level" in t for t in well.notes)
    tiny = check_scheme(8, idx, X.T @ X / 3 + 1e-14 * np.eye(8), exact=True)
    assert tiny.verdict == "HOLDS" and 0 < tiny.lambda_min < 1e-12 * tiny.lambda_max
    assert any("rounding level" in t for t in tiny.notes)
