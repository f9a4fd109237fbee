"""Invariants of convotron_theory.overlap: the definition, and the closed forms checked against it.

Everything here is exact (sympy integers/rationals): equality, never a tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory import TheoryError
from convotron_theory.overlap import (
    MAX_EXACT_N,
    as_indices,
    covariance_matrix,
    overlap_1d_blocks,
    overlap_1d_closed_form,
    overlap_2d_channels_closed_form,
    overlap_2d_closed_form,
    overlap_matrix,
    patch_operators,
    patch_sum,
    stride_1d_indices,
    stride_2d_channels_indices,
    stride_2d_indices,
    to_exact,
    toeplitz_block,
)


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------
@st.composite
def arbitrary_schemes(draw, max_n=12, max_k=5, max_r=5):
    """Any scheme: k patches, each r distinct coordinates of [0, n), overlapping arbitrarily."""
    n = draw(st.integers(1, max_n))
    r = draw(st.integers(1, min(n, max_r)))
    k = draw(st.integers(1, max_k))
    rows = [draw(st.permutations(range(n)))[:r] for _ in range(k)]
    return n, np.asarray(rows, dtype=np.int64)


@st.composite
def stride_1d(draw, max_r=7, max_d=5, max_k=7):
    r = draw(st.integers(1, max_r))
    d = draw(st.integers(1, max_d))
    k = draw(st.integers(1, max_k))
    return (k - 1) * d + r, r, d


# --------------------------------------------------------------------------------------------
# the definition
# --------------------------------------------------------------------------------------------
@given(arbitrary_schemes())
def test_patch_operators_select_the_indexed_coordinates(scheme):
    n, idx = scheme
    x = sp.Matrix(sp.symbols(f"x0:{n}"))
    for i, Pi in enumerate(patch_operators(n, idx)):
        assert Pi * Pi.T == sp.eye(idx.shape[1])  # P_i P_iᵀ = I_r
        assert list(Pi * x) == [x[int(j)] for j in idx[i]]  # P_i x = x[idx[i]]


@given(arbitrary_schemes())
def test_overlap_identity_is_sum_over_patch_pairs_with_diagonal_k(scheme):
    n, idx = scheme
    k, r = idx.shape
    M = overlap_matrix(n, idx)
    ops = patch_operators(n, idx)
    pairs = sp.zeros(r, r)
    for Pi in ops:
        for Pj in ops:
            pairs += Pi * Pj.T
    assert M == pairs
    assert M == M.T
    # P counts: entry (a, j) = #{i : idx[i, a] = j}
    P = patch_sum(n, idx)
    for a in range(r):
        for j in range(n):
            assert P[a, j] == int(np.sum(idx[:, a] == j))
    # diagonal: M_aa = Σ_j P_aj² >= k, = k exactly when position a never reads a coordinate twice
    for a in range(r):
        assert M[a, a] == sum(P[a, j] ** 2 for j in range(n))
        assert (M[a, a] == k) == (len(set(idx[:, a].tolist())) == k)


@given(arbitrary_schemes(max_n=6, max_k=3, max_r=3), st.fractions("-8/9", "8/9", max_denominator=9))
def test_overlap_ar1_symbolic_rho_substitutes_to_rational_rho(scheme, rho):
    n, idx = scheme
    rho_s = sp.Symbol("rho")
    M_sym = overlap_matrix(n, idx, ("ar1", rho_s))
    M_rat = overlap_matrix(n, idx, ("ar1", rho))
    assert M_sym.subs(rho_s, sp.Rational(rho.numerator, rho.denominator)).expand() == M_rat
    assert M_sym.subs(rho_s, 0) == overlap_matrix(n, idx)


@given(arbitrary_schemes(max_n=7), st.data())
def test_overlap_diag_and_dense_match_pairwise_definition(scheme, data):
    n, idx = scheme
    d = data.draw(st.lists(st.fractions(0, 5, max_denominator=7), min_size=n, max_size=n))
    D = sp.diag(*[sp.Rational(v.numerator, v.denominator) for v in d])
    ops = patch_operators(n, idx)
    expected = sp.zeros(idx.shape[1], idx.shape[1])
    for Pi in ops:
        for Pj in ops:
            expected += Pi * D * Pj.T
    assert overlap_matrix(n, idx, ("diag", d)) == expected
    assert overlap_matrix(n, idx, D) == expected


def test_covariance_float_is_read_exactly_with_a_note():
    Sigma, notes = covariance_matrix(3, ("ar1", 0.3))
    assert Sigma[0, 2] == sp.Rational(9, 100)
    assert notes == [
        "rho=0.3 given as a float, read as the decimal it prints as: the rational 3/10 (the "
        "float itself is 5404319552844595/18014398509481984; the exact results are for the "
        "decimal)"
    ]
    assert covariance_matrix(2, ("ar1", 0.25))[1] == [
        "rho=0.25 given as a float, exactly the rational 1/4"
    ]
    assert covariance_matrix(2, "ar1:1/2")[0][0, 1] == sp.Rational(1, 2)
    assert covariance_matrix(2, ("diag", 2))[0] == 2 * sp.eye(2)


# --------------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------------
def test_toeplitz_block_values_and_symbolic_k():
    assert toeplitz_block(3, 2) == sp.Matrix([[2, 1, 0], [1, 2, 1], [0, 1, 2]])
    assert toeplitz_block(4, 1) == sp.eye(4)
    k = sp.Symbol("k", integer=True, positive=True)
    A = toeplitz_block(5, k)
    assert A[0, 1] == k - 1  # k >= 1 decides the sign
    for value in range(1, 8):
        assert A.subs(k, value) == toeplitz_block(5, value)


def test_toeplitz_block_symbolic_size_is_a_function_of_entries():
    m = sp.Symbol("m", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    F = toeplitz_block(m, k)
    assert F.shape == (m, m)
    for mm in range(1, 6):
        for kk in range(1, 6):
            assert F.subs({m: mm, k: kk}).as_explicit() == toeplitz_block(mm, kk)


@pytest.mark.claim("lem-1d-structure")
@given(stride_1d())
def test_1d_closed_form_equals_definition(params):
    n, r, d = params
    M = overlap_1d_closed_form(n, r, d)
    assert M == overlap_matrix(n, stride_1d_indices(n, r, d))
    k = (n - r) // d + 1
    assert all(M[a, a] == k for a in range(r))  # diag(PPᵀ) = k, tr(PPᵀ) = rk
    assert M.trace() == r * k


@pytest.mark.claim("lem-1d-structure")
@given(stride_1d(max_r=8, max_d=4, max_k=6))
def test_1d_residue_blocks_are_toeplitz_and_carry_the_extreme_eigenvalues(params):
    n, r, d = params
    k = (n - r) // d + 1
    M = overlap_1d_closed_form(n, r, d)
    blocks = overlap_1d_blocks(n, r, d)
    assert sorted(a for _, pos, _ in blocks for a in pos) == list(range(r))
    for c, pos, size in blocks:
        assert size == -(-(r - c) // d)
        assert M.extract(pos, pos) == toeplitz_block(size, k)
        others = [a for a in range(r) if a % d != c]
        assert M.extract(pos, others) == sp.zeros(len(pos), len(others))
    # extreme eigenvalues of PPᵀ are those of A_{ceil(r/d)}(k): exact divisibility of
    # characteristic polynomials plus the extremes in floating point
    m = -(-r // d)
    lam = sp.Symbol("lambda")
    A = toeplitz_block(m, k)
    assert sp.rem(M.charpoly(lam).as_expr(), A.charpoly(lam).as_expr(), lam) == 0
    evM = np.linalg.eigvalsh(np.asarray(M, dtype=float))
    evA = np.linalg.eigvalsh(np.asarray(A, dtype=float))
    assert evM[0] == pytest.approx(evA[0], abs=1e-9)
    assert evM[-1] == pytest.approx(evA[-1], abs=1e-9)


@st.composite
def stride_2d(draw):
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k1, k2 = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (k1 - 1) * sh + ph, (k2 - 1) * sw + pw, ph, pw, sh, sw


@pytest.mark.claim("lem-2d-kron")
@given(stride_2d())
def test_2d_kronecker_closed_form_equals_definition(params):
    h, w = params[:2]
    idx = stride_2d_indices(*params)
    assert overlap_2d_closed_form(*params) == overlap_matrix(h * w, idx)


@pytest.mark.claim("lem-2d-kron")
@given(stride_2d(), st.integers(1, 2))
def test_2d_channels_closed_form_equals_definition(params, channels):
    h, w = params[:2]
    idx = stride_2d_channels_indices(channels, *params)
    got = overlap_matrix(channels * h * w, idx)
    assert overlap_2d_channels_closed_form(channels, *params) == got


def test_stride_index_conventions():
    assert stride_1d_indices(7, 3, 2).tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    idx = stride_2d_indices(4, 5, 2, 3, 2, 2)  # k1 = 2, k2 = 2
    # patch (s, t) = s * k2 + t, entry (dy, dx) = dy * patch_w + dx reads (s*2+dy)*5 + t*2+dx
    for s in range(2):
        for t in range(2):
            for dy in range(2):
                for dx in range(3):
                    assert idx[s * 2 + t, dy * 3 + dx] == (s * 2 + dy) * 5 + t * 2 + dx
    idc = stride_2d_channels_indices(2, 4, 5, 2, 3, 2, 2)
    assert idc.shape == (4, 12)
    assert idc[3, 6:].tolist() == (idx[3] + 20).tolist()  # channel-major, c * H * W + ...


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "indices", "match"),
    [
        (0, [[0]], r"n must be a positive integer; got 0\. Pass the input dimension"),
        (4, [0, 1], r"indices must be a non-empty 2D array of shape \(k, r\).*got shape \(2,\)"),
        (4, [[0, 4]], r"indices must lie in \[0, n\) = \[0, 4\); got 4\. Use 0-based"),
        (4, [[-2, 2]], r"indices must lie in \[0, n\) = \[0, 4\); got -2"),
        (4, [[0, 1], [2, 2]], r"patch 1 reads coordinate 2 twice\. Remove the repeated"),
        (4, [[0.5, 1]], r"indices must hold integer input coordinates; got dtype float64"),
    ],
)
def test_bad_scheme_errors(n, indices, match):
    with pytest.raises(TheoryError, match=match):
        as_indices(n, indices)


def test_float_integer_indices_are_accepted():
    assert as_indices(3, [[0.0, 2.0]]).tolist() == [[0, 2]]


@pytest.mark.parametrize(
    ("cov", "match"),
    [
        ("ar2:0.5", r"cov must be 'identity', 'ar1:RHO'.*got 'ar2:0.5'\. Pass one of these"),
        (("ar1", 1), r"AR\(1\) needs \|rho\| < 1 .*got rho=1\. Pass a correlation"),
        (("diag", [1, 2]), r"\('diag', d\) needs one variance per input coordinate \(n=3\); got 2"),
        (("diag", [1, -1, 2]), r"needs variances d\[j\] >= 0; got d\[1\]=-1"),
        (sp.eye(2), r"a covariance matrix must be n x n = 3 x 3; got shape \(2, 2\)"),
        (sp.Matrix([[1, 0, 0], [1, 1, 0], [0, 0, 1]]), r"must be symmetric \(Σ = Σᵀ\)"),
        (("ar1", float("nan")), r"rho must be a finite number; got nan"),
        (42, r"cov must be .* or an n x n matrix; got 42"),
    ],
)
def test_bad_covariance_errors(cov, match):
    with pytest.raises(TheoryError, match=match):
        covariance_matrix(3, cov)


def test_closed_form_and_size_errors():
    with pytest.raises(
        TheoryError, match=r"needs n = \(k-1\)\*stride \+ r .*got n=10, r=4, stride=4"
    ):
        overlap_1d_closed_form(10, 4, 4)
    with pytest.raises(TheoryError, match=r"needs n = \(k-1\)\*stride \+ r .*got n=3, r=4"):
        stride_1d_indices(3, 4, 1)
    with pytest.raises(TheoryError, match=r"stride must be a positive integer; got 0"):
        stride_2d_indices(4, 4, 2, 2, 0, 1)
    with pytest.raises(TheoryError, match=r"toeplitz_block needs k to be a positive integer"):
        toeplitz_block(3, sp.Rational(1, 2))
    with pytest.raises(
        TheoryError, match=rf"limited to n <= {MAX_EXACT_N}; got n={MAX_EXACT_N + 1}"
    ):
        patch_operators(MAX_EXACT_N + 1, [[0]])
    with pytest.raises(
        TheoryError, match=r"value must be a number or a sympy expression; got list"
    ):
        to_exact([1])
