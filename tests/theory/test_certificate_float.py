"""The verified float certificate, the exact path's cost model and the size limits (issue 13).

Soundness: the verified bound is at most the exact lambda_min (checked exactly, in rationals:
M - l I is positive semidefinite) on hundreds of generated schemes and covariances, and
positive on the well-conditioned positive definite ones; a singular M is never certified.
Routing: the AR(1) cases that took 53-90 s in the exact LDLᵀ go to the float certificate
(asserted by route, not timing). Limits: oversized schemes and bad covariances are refused
with a TheoryError before any allocation.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory import TheoryError
from convotron_theory.overlap import stride_1d_indices
from convotron_theory.spectra import (
    MAX_KR,
    MAX_N,
    MAX_R,
    certify_positive_definite,
    certify_positive_definite_float,
    check_scheme,
)
from convotron_theory.spectra.check import _exact_overlap
from convotron_theory.spectra.enclosure import overlap_enclosure
from convotron_theory.spectra.limits import AUTO_EXACT_MAX_SECONDS, exact_cost_seconds
from tests.budget import examples

from .test_overlap import arbitrary_schemes


def _det(A: list[list[Fraction]]) -> Fraction:
    A = [row[:] for row in A]
    n, det = len(A), Fraction(1)
    for c in range(n):
        p = next((i for i in range(c, n) if A[i][c] != 0), None)
        if p is None:
            return Fraction(0)
        if p != c:
            A[c], A[p] = A[p], A[c]
            det = -det
        det *= A[c][c]
        for i in range(c + 1, n):
            f = A[i][c] / A[c][c]
            for j in range(c, n):
                A[i][j] -= f * A[c][j]
    return det


def _is_psd(A: list[list[Fraction]]) -> bool:
    """Exact: every principal minor is >= 0 (r <= 5 here)."""
    r = len(A)
    for size in range(1, r + 1):
        for S in combinations(range(r), size):
            if _det([[A[i][j] for j in S] for i in S]) < 0:
                return False
    return True


@st.composite
def covariances(draw, n):
    kind = draw(st.sampled_from(["identity", "ar1", "ar1-float", "diag", "dense", "dense-float"]))
    if kind.startswith("dense"):
        A = np.asarray(
            [[draw(st.integers(-2, 2)) for _ in range(n)] for _ in range(n)], dtype=object
        )
        S = A @ A.T
        if kind == "dense":  # exact rationals
            exact = [[Fraction(int(v), 3) for v in row] for row in S]
            return np.asarray(exact, dtype=object), exact
        F = np.asarray(S, dtype=np.float64) * 0.1  # the floats themselves are the exact Σ
        return F, [[Fraction(float(v)) for v in row] for row in F]
    if kind == "identity":
        return "identity", None
    if kind == "ar1":
        q = draw(st.integers(1, 12))
        p = draw(st.integers(-q + 1, q - 1))
        return ("ar1", Fraction(p, q)), Fraction(p, q)
    if kind == "ar1-float":
        rho = draw(st.floats(-0.95, 0.95, allow_nan=False))
        return ("ar1", rho), Fraction(str(rho))
    d = [Fraction(draw(st.integers(0, 6)), draw(st.integers(1, 5))) for _ in range(n)]
    return ("diag", d), d


def _exact_m(idx, n, cov, payload):
    if cov == "identity":
        return _exact_overlap(idx, n, "diag", [Fraction(1)] * n)
    return _exact_overlap(idx, n, cov[0], payload)


@examples(7.5)
@given(data=st.data(), scheme=arbitrary_schemes(max_n=9, max_k=4, max_r=4))
def test_verified_bound_is_below_the_exact_lambda_min(data, scheme):
    n, idx = scheme
    cov, payload = data.draw(covariances(n))
    if isinstance(cov, np.ndarray):
        kind, param = "dense", cov
        M_exact = _exact_overlap(idx, n, "dense", payload)
    else:
        kind = "identity" if cov == "identity" else cov[0]
        param = None if kind == "identity" else cov[1]
        M_exact = _exact_m(idx, n, cov, payload)
    Mt, B = overlap_enclosure(idx, n, kind, param)
    # the enclosure is rigorous entrywise
    for a in range(len(M_exact)):
        for b in range(len(M_exact)):
            assert abs(M_exact[a][b] - Fraction(float(Mt[a, b]))) <= Fraction(float(B[a, b]))
    fc = certify_positive_definite_float(Mt, B)
    if fc.lower_bound is not None:
        low = Fraction(fc.lower_bound)
        shifted = [[v - (low if i == j else 0) for j, v in enumerate(row)]
                   for i, row in enumerate(M_exact)]  # fmt: skip
        assert _is_psd(shifted), (fc, M_exact)
    exact = certify_positive_definite(M_exact)
    if fc.holds:
        assert exact.holds  # never certifies a singular matrix
    lam = np.linalg.eigvalsh(np.asarray(Mt))
    if exact.holds and lam[0] > 1e-6 * max(1.0, lam[-1]):
        assert fc.holds and 0 < fc.lower_bound <= lam[0]


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("identity", None), ("ar1", "0.5"), ("ar1", -0.3), ("diag", [1.0, 2.0, 1.0, 0.5])],
)
def test_mirror_scheme_with_a_kernel_direction_is_refused(kind, payload):
    # patches read (0,1,2) and (2,1,0): columns 0 and 2 of M agree, u = e0 - e2 is a kernel
    # (Σ symmetric under 0 <-> 2 for AR(1) and this diagonal)
    idx = np.asarray([[0, 1, 2], [2, 1, 0]])
    Mt, B = overlap_enclosure(idx, 4, kind, payload)
    assert Mt[0, 0] == Mt[0, 2]
    fc = certify_positive_definite_float(Mt, B)
    assert not fc.holds
    assert fc.lower_bound is None or fc.lower_bound <= 0


def test_mirror_scheme_on_the_float_path_of_check_scheme():
    n = 2049  # over EXACT_COV_MAX_N: exact=None takes the float certificate
    idx = np.asarray([[0, 1, 2], [2, 1, 0], [5, 6, 7], [7, 6, 5]])
    res = check_scheme(n, idx, cov="ar1:0.5")
    assert res.verdict == "FAILS" and res.certificate == "kernel-witness"
    assert not res.condition_holds and res.proof == "exact kernel witness"
    assert res.kernel_direction is not None and res.kernel_direction.exact == (1, 0, -1)
    assert res.lambda_min_lower_bound is None or res.lambda_min_lower_bound <= 0
    ok = check_scheme(n, stride_1d_indices(n, 3, 1)[:50], cov="ar1:0.5")
    assert ok.certificate == "verified-float" and ok.condition_holds
    assert 0 < ok.lambda_min_lower_bound <= ok.lambda_min


@pytest.mark.parametrize(("n", "cov"), [(1024, "ar1:0.5"), (1024, "ar1:0"), (2048, "ar1:0.5")])
def test_cost_model_routes_large_ar1_to_the_float_certificate(n, cov):
    # issue 13 item 2: these took 90 s / 53 s / > 60 s in the exact LDLᵀ; assert the route
    idx = stride_1d_indices(n, 64, 1)
    res = check_scheme(n, idx, cov=cov)
    assert res.certificate == "verified-float" and res.condition_holds
    assert res.certificate_detail is None
    assert 0 < res.lambda_min_lower_bound <= res.lambda_min
    assert res.to_dict()["lambda_min_lower_bound"] == res.lambda_min_lower_bound
    if n <= 2048:
        assert any("estimated at" in note for note in res.notes)


def test_cost_model_keeps_cheap_cases_exact():
    idx = stride_1d_indices(16, 4, 1)
    assert check_scheme(16, idx).certificate == "exact"
    assert check_scheme(16, idx, cov="ar1:0.5").certificate == "exact"
    rho = Fraction(1, 2)
    big = stride_1d_indices(1024, 64, 1)
    assert exact_cost_seconds(big, 1024, "ar1", rho, 2e5) > AUTO_EXACT_MAX_SECONDS
    assert exact_cost_seconds(idx, 16, "identity", None, 4.0) < AUTO_EXACT_MAX_SECONDS


def test_forced_exact_refuses_what_would_not_finish_and_names_exact():
    idx = stride_1d_indices(1024, 64, 1)
    with pytest.raises(TheoryError, match=r"exact=True: the exact LDLᵀ certificate .* estimated"):
        check_scheme(1024, idx, cov="ar1:0.5", exact=True)


@pytest.mark.parametrize(
    ("n", "shape", "match"),
    [
        (2**40, (1, 2), r"input dimension n must be at most 10,000,000; got n=1,099,511,627,776"),
        (100_000, (1, 100_000), r"filter size r must be at most 4,096; got r=100,000"),
        (8192, (1, 8192), r"filter size r must be at most 4,096; got r=8,192"),
        (10**6, (15_000, 4000), r"at most 50,000,000 index entries k\*r"),
        (10**5, (1, 4096), r"r\^2 \* n must be at most 2\^37"),
    ],
)
def test_sizes_refused_before_allocating(n, shape, match):
    idx = np.broadcast_to(np.arange(shape[1], dtype=np.int64), shape)  # a view: no memory
    with pytest.raises(TheoryError, match=match):
        check_scheme(n, idx)
    assert MAX_N == 10**7 and MAX_R == 4096 and MAX_KR == 5 * 10**7


def test_huge_n_from_a_list_is_refused():
    with pytest.raises(TheoryError, match="input dimension n must be at most"):
        check_scheme(2**40, [[0, 1], [1, 2]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(indices=[[0, 1], [2, 3, 4]]), r"indices must be a rectangular \(k, r\) array"),
        (dict(geometry="1d"), r"geometry must be a dict .* got '1d' of type str"),
        (dict(cov=np.diag([1.0, np.nan, 1.0, 1.0, 1.0, 1.0])), r"must be finite; got Sigma\[1,1\]"),
        (dict(cov=np.diag([1.0, -1.0, 1.0, 1.0, 1.0, 1.0])), r"positive semidefinite; got lambda"),
        (dict(cov=np.eye(6) + np.triu(np.ones((6, 6)), 1) * 0.1), r"must be symmetric"),
    ],
)
def test_bad_input_is_a_clear_theory_error(kwargs, match):
    args = dict(n=6, indices=[[0, 1], [2, 3], [4, 5]])
    args.update(kwargs)
    with pytest.raises(TheoryError, match=match):
        check_scheme(args.pop("n"), args.pop("indices"), **args)


def test_float_certificate_argument_errors_and_example():
    with pytest.raises(TheoryError, match="square"):
        certify_positive_definite_float(np.ones((2, 3)))
    with pytest.raises(TheoryError, match="symmetric"):
        certify_positive_definite_float(np.array([[1.0, 2.0], [0.0, 1.0]]))
    fc = certify_positive_definite_float(np.array([[2.0, 1.0], [1.0, 2.0]]))
    assert fc.holds and 0.99 < fc.lower_bound <= 1.0 and "verified" in fc.reason
    bad = certify_positive_definite_float(np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert not bad.holds


@pytest.mark.parametrize("cov", [("ar1", "0.5"), ("diag", [1.0, 2.0, 3.0, 4.0, 5.0])])
def test_enclosure_with_zero_padding(cov):
    # index -1 (zero padding) reads nothing: the enclosure still contains the exact M
    idx = np.asarray([[-1, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, -1]])
    payload = Fraction(1, 2) if cov[0] == "ar1" else [Fraction(v) for v in (1, 2, 3, 4, 5)]
    M_exact = _exact_overlap(idx, 5, cov[0], payload)
    Mt, B = overlap_enclosure(idx, 5, cov[0], cov[1])
    for a in range(3):
        for b in range(3):
            assert abs(M_exact[a][b] - Fraction(float(Mt[a, b]))) <= Fraction(float(B[a, b]))
    fc = certify_positive_definite_float(Mt, B)
    assert fc.holds and exact_cost_seconds(idx, 5, cov[0], payload, 10.0) > 0
