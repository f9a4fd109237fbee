"""Covariances: structured operations against the dense matrix, eigenvalues, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError
from convotron.data.covariance import (
    AR1,
    DENSE_LIMIT,
    Dense,
    Diagonal,
    Identity,
    as_covariance,
    parse_cov,
)
from tests import reference as ref
from tests.budget import examples
from tests.strategies import covariances

cov_and_n = st.integers(1, 10).flatmap(lambda n: covariances(n))

#: The contract tests of every class of ``convotron.testing.covariances`` (a new covariance
#: joins them by its line there): milliseconds each, so 7.5 times the profile's examples (300
#: under ``ci``). The ``ci`` profile's 40 missed a trial class wrong only at n = 1
#: (equicorrelation with λ_min = 1 − c); 300 caught it.
CONTRACT = examples(7.5)


@CONTRACT
@given(cov_and_n, st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_matvec_equals_dense_product(cov, m, seed):
    rng = np.random.default_rng(seed)
    S = cov.dense()
    V = rng.standard_normal((cov.n, m))
    np.testing.assert_allclose(
        cov.matvec(V), S @ V, rtol=0, atol=1e-12 * max(1, np.abs(S).max()) * cov.n
    )
    np.testing.assert_allclose(
        cov.matvec(V[:, 0]), S @ V[:, 0], rtol=0, atol=1e-12 * max(1, np.abs(S).max()) * cov.n
    )


@CONTRACT
@given(cov_and_n, st.data())
def test_block_equals_dense_submatrix(cov, data):
    rows = np.asarray(data.draw(st.lists(st.integers(0, cov.n - 1), min_size=1, max_size=5)))
    cols = np.asarray(data.draw(st.lists(st.integers(0, cov.n - 1), min_size=1, max_size=5)))
    np.testing.assert_allclose(cov.block(rows, cols), cov.dense()[np.ix_(rows, cols)], atol=1e-15)


@CONTRACT
@given(cov_and_n)
def test_transform_factor_reproduces_sigma(cov):
    # rows of transform(I) are L e_j, i.e. transform(I) = Lᵀ, so transform(I)ᵀ transform(I) = L Lᵀ
    T = cov.transform(np.eye(cov.n))
    np.testing.assert_allclose(T.T @ T, cov.dense(), atol=1e-12 * max(1.0, cov.lambda_max()))


@CONTRACT
@given(cov_and_n)
def test_extreme_eigenvalues_and_trace(cov):
    ev = np.linalg.eigvalsh(cov.dense())
    tol = 1e-9 * max(1.0, ev[-1])
    assert cov.lambda_min() == pytest.approx(max(ev[0], 0.0), abs=tol)
    assert cov.lambda_max() == pytest.approx(ev[-1], abs=tol)
    assert cov.trace() == pytest.approx(np.trace(cov.dense()), rel=1e-12)
    np.testing.assert_allclose(cov.diagonal(), np.diag(cov.dense()), atol=1e-15)


@given(st.integers(1, 30), st.floats(-0.95, 0.95))
def test_ar1_matches_definition_and_kms_eigenvalue_bounds(n, rho):
    cov = AR1(n, rho)
    np.testing.assert_allclose(cov.dense(), ref.ar1_matrix(n, rho), rtol=1e-14, atol=0)
    a = abs(rho)
    # Kac-Murdock-Szegő: the spectrum lies in [(1-|ρ|)/(1+|ρ|), (1+|ρ|)/(1-|ρ|)]
    assert cov.lambda_min() >= (1 - a) / (1 + a) - 1e-12
    assert cov.lambda_max() <= (1 + a) / (1 - a) + 1e-12


def test_ar1_is_linear_time_for_large_n():
    n = 200_000
    cov = AR1(n, 0.7)
    v = np.zeros(n)
    v[n // 2] = 1.0
    col = cov.matvec(v)  # column n/2 of Σ: ρ^|i - n/2|
    i = np.arange(n // 2 - 5, n // 2 + 6)
    np.testing.assert_allclose(col[i], 0.7 ** np.abs(i - n // 2), rtol=1e-13)
    assert 0.17 < cov.lambda_min() < 0.18 and 5.6 < cov.lambda_max() < 5.7  # (1∓ρ)/(1±ρ) limits


def test_identity_transform_returns_samples_unchanged():
    Z = np.random.default_rng(0).standard_normal((3, 4))
    assert Identity(4).transform(Z) is Z


def test_dense_singular_covariance_uses_eigen_factor():
    u = np.array([1.0, 2.0, -1.0])
    cov = Dense(np.outer(u, u))
    T = cov.transform(np.eye(3))
    np.testing.assert_allclose(T.T @ T, np.outer(u, u), atol=1e-12)
    assert cov.lambda_min() == 0.0


@pytest.mark.parametrize("spec", ["identity", " Identity ", "ar1:0.5", "AR1:-0.25", "ar1: 0"])
def test_parse_cov_forms_and_name_round_trip(spec):
    cov = parse_cov(spec, 7)
    assert cov.n == 7
    assert parse_cov(cov.name, 7).name == cov.name


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: parse_cov("ar1:1", 4),
            r"\|rho\| < 1\) must be a number in \(-1, 1\); got 1\.0\. Pass a value in \(-1, 1\)",
        ),
        (lambda: parse_cov("ar1:nan", 4), r"\|rho\| < 1\) must be .* got nan"),
        (
            lambda: parse_cov("ar1:x", 4),
            r"'ar1:RHO' needs a number RHO with \|RHO\| < 1; got 'ar1:x'",
        ),
        (
            lambda: parse_cov("toeplitz", 4),
            r"unknown covariance spec 'toeplitz'; the accepted forms",
        ),
        (lambda: parse_cov(3, 4), r"^spec \(a covariance spec\) must be a string; got int\."),
        (
            lambda: parse_cov("identity", 0),
            r"n \(the input dimension\) must be an integer with 1 <= n .* got 0",
        ),
        (
            lambda: AR1(4, True),
            r"rho \(the AR\(1\) correlation.*\) must be a number in \(-1, 1\); got True",
        ),
        (lambda: Diagonal([1.0, -1.0]), r"variances must be finite and >= 0; got -1\.0"),
        (lambda: Diagonal([]), r"non-empty 1-D array of variances; got shape \(0,\)"),
        (lambda: Diagonal(["a"]), r"variances \(real numbers\); got dtype <U1"),
        (lambda: Dense([[1.0, 2.0], [0.0, 1.0]]), r"must be symmetric; got max \|S - S\^T\| = 2"),
        (
            lambda: Dense([[1.0, 2.0], [2.0, 1.0]]),
            r"positive semi-definite; got smallest eigenvalue -1",
        ),
        (lambda: Dense([[1.0, np.nan], [np.nan, 1.0]]), r"entries must be finite"),
        (lambda: Dense(np.ones((2, 3))), r"non-empty square \(n, n\) matrix; got shape \(2, 3\)"),
        (
            lambda: Identity(3).matvec(np.ones(4)),
            r"V of shape \(n,\) or \(n, m\) with n=3; got shape \(4,\)",
        ),
        (
            lambda: Identity(3).transform(np.ones(3)),
            r"Z of shape \(m, n\) with n=3; got shape \(3,\)",
        ),
        (lambda: AR1(3, 0.1).block([0, 3], [0]), r"rows must lie in 0\.\.n-1 \(n=3\); got 3"),
        (lambda: AR1(3, 0.1).block([0], [0.5]), r"cols must be a 1-D array of integer"),
        (
            lambda: Identity(DENSE_LIMIT + 1).dense(),
            r"limited to n <= 4096; got n=4097\. Use block",
        ),
        (lambda: as_covariance(AR1(3, 0.1), 4), r"dimension 3 but the input has n=4"),
        (
            lambda: as_covariance(np.eye(3), 3),
            r"cov must be a Covariance, a spec string or None; got ndarray",
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ConvotronError, match=match):
        call()
