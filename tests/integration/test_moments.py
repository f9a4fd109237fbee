"""The glue's translation of covariances, laws and noise for :mod:`convotron_theory`
(:mod:`convotron.glue.moments`), each against an independent computation: dense matrices,
enumeration over all sign vectors, and the sampler's own factor. Written against the
survivors of ``make mutation`` over the glue (MUTATION.md).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from convotron.data.covariance import AR1, Covariance, Dense, Diagonal, Identity
from convotron.data.laws import parse_noise
from convotron.geometry.patches import PatchScheme
from convotron.glue import moments as gm

N = 5
_A = np.random.default_rng(11).normal(size=(N, N))
COVS = [
    Identity(N),
    Diagonal(np.array([0.5, 1.0, 2.0, 3.0, 0.25])),
    AR1(N, -0.6),
    Dense(_A @ _A.T / N + 0.1 * np.eye(N)),
]


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)


def test_cov_for_theory_forms() -> None:
    identity, diagonal, ar1, dense = (gm.cov_for_theory(c) for c in COVS)
    assert identity == "identity"
    assert diagonal[0] == "diag" and np.array_equal(diagonal[1], COVS[1].diagonal())
    assert ar1 == ("ar1", -0.6)
    assert isinstance(dense, np.ndarray) and np.array_equal(dense, COVS[3].dense())


@pytest.mark.parametrize("cov", COVS, ids=lambda c: c.name)
@pytest.mark.parametrize("padded", [False, True])
def test_cov_spec_is_the_samplers_factor(cov, padded) -> None:
    spec = gm.cov_spec(cov, padded=padded)
    S = cov.dense()
    if padded:
        S = np.pad(S, ((0, 1), (0, 1)))  # the padding coordinate: variance 0
    if isinstance(cov, AR1):
        assert spec == (None if padded else ("ar1", -0.6))
        return
    if isinstance(cov, Identity) and not padded:
        assert spec == "identity"
        return
    kind, payload = spec
    if isinstance(cov, Identity | Diagonal):
        assert kind == "diag" and np.array_equal(np.diag(payload), S)
    else:
        assert kind == "chol" and np.allclose(payload @ payload.T, S, atol=1e-12)
        L = cov.factor()
        assert np.array_equal(payload[:N, :N], L)  # the sampler's own factor, bit for bit
        if padded:
            assert not payload[N].any() and not payload[:, N].any()


def test_cov_spec_of_another_covariance_is_its_cholesky_factor() -> None:
    """A Covariance subclass of none of the four kinds: L = cholesky(Σ), padded with a zero."""

    class Tridiagonal(Covariance):
        n, name = 3, "tridiagonal"

        def block(self, rows, cols):
            S = np.array([[2.0, 0.5, 0.0], [0.5, 2.0, 0.5], [0.0, 0.5, 2.0]])
            return S[np.ix_(rows, cols)]

    cov = Tridiagonal()
    kind, L = gm.cov_spec(cov)
    assert kind == "chol" and np.array_equal(L, np.linalg.cholesky(cov.dense()))
    kind, Lp = gm.cov_spec(cov, padded=True)
    assert kind == "chol" and np.array_equal(Lp[:3, :3], L) and Lp.shape == (4, 4)
    assert not Lp[3].any() and not Lp[:, 3].any()


@pytest.mark.parametrize("cov", COVS, ids=lambda c: c.name)
def test_trace_sigma_squared(cov) -> None:
    S = cov.dense()
    assert math.isclose(gm.trace_sigma_squared(cov), float(np.trace(S @ S)), rel_tol=1e-12)


def _enumerated_fourth_moment(L: np.ndarray) -> float:
    """E‖Lz‖⁴ for Rademacher z, over all 2ⁿ sign vectors."""
    Z = np.array(list(itertools.product((-1.0, 1.0), repeat=L.shape[1])))
    return float(np.mean(np.sum((Z @ L.T) ** 2, axis=1) ** 2))


@pytest.mark.parametrize("cov", COVS, ids=lambda c: c.name)
def test_fourth_moment_norm_exact_for_diagonal_factors_else_an_upper_bound(cov) -> None:
    S = cov.dense()
    value, exact = gm.fourth_moment_norm(cov, 1.0)  # Rademacher: κ = 1
    L = (
        np.diag(np.sqrt(np.diag(S)))
        if isinstance(cov, Identity | Diagonal)
        else np.linalg.cholesky(S)
    )
    truth = _enumerated_fourth_moment(L)
    assert exact == isinstance(cov, Identity | Diagonal)
    if exact:
        assert math.isclose(value, truth, rel_tol=1e-12)
    else:
        assert value >= truth * (1 - 1e-12)
        # and it is the stated bound (tr Σ)² + 2 tr Σ² (κ - 3 < 0 drops the last term)
        assert math.isclose(value, np.trace(S) ** 2 + 2 * np.trace(S @ S), rel_tol=1e-12)
    # Gaussian (κ = 3): exact for every covariance, (tr Σ)² + 2 tr Σ²
    g, _ = gm.fourth_moment_norm(cov, 3.0)
    assert math.isclose(g, np.trace(S) ** 2 + 2 * np.trace(S @ S), rel_tol=1e-12)
    # κ > 3 with a non-diagonal factor: bounded by Σ_j G_jj² <= tr Σ²
    heavy, _ = gm.fourth_moment_norm(cov, 9.0)
    G = L.T @ L
    assert heavy >= np.trace(S) ** 2 + 2 * np.trace(S @ S) + 6 * np.sum(np.diag(G) ** 2) - 1e-9


def test_trace_P_sigma2_Pt_with_padding() -> None:
    scheme = PatchScheme.from_indices(N, np.array([[-1, 0, 1], [1, 2, 3], [3, 4, -1]]))
    P = np.zeros((3, N))
    for row in scheme.indices:
        for a, j in enumerate(row):
            if j >= 0:
                P[a, j] += 1.0
    for cov in COVS:
        S = cov.dense()
        expected = float(np.trace(P @ S @ S @ P.T))
        assert math.isclose(gm._trace_P_sigma2_Pt(scheme, cov), expected, rel_tol=1e-12), cov


def test_noise_spec() -> None:
    assert gm.noise_spec(parse_noise("none")) is None
    assert gm.noise_spec(parse_noise("gaussian:0")) is None
    assert gm.noise_spec(parse_noise("hetero:0.5")) == ("hetero", 0.5)
    kind, sd = gm.noise_spec(parse_noise("uniform:0.2"))
    assert kind == "independent" and _close(sd, 0.2)  # the standard deviation ς
    assert gm.noise_spec(parse_noise("gaussian:0.3")) == ("independent", 0.3)


def test_exact_beta_cost_is_the_documented_count() -> None:
    """k r³ + r³ + r n, plus the Σ term (AR(1) n r, dense k r n²) and the κ ≠ 3 term."""
    scheme = PatchScheme.from_indices(N, np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    k, r, n = 4.0, 2.0, 5.0
    base = k * r**3 + r**3 + r * n
    assert gm.exact_beta_cost(scheme, COVS[0], 3.0) == base
    assert gm.exact_beta_cost(scheme, COVS[1], 3.0) == base
    assert gm.exact_beta_cost(scheme, COVS[2], 3.0) == base + n * r
    assert gm.exact_beta_cost(scheme, COVS[3], 3.0) == base + k * r * n * n
    assert gm.exact_beta_cost(scheme, COVS[0], 1.0) == base + k * r * n
    assert gm.exact_beta_cost(scheme, COVS[2], 1.0) == base + n * r + k * r * r * n
    assert gm.exact_beta_cost(scheme, COVS[3], 9.0) == base + k * r * n * n + k * r * r * n


def test_fourth_moment_bound_for_heavy_tails_is_the_stated_formula() -> None:
    """κ > 3 with a non-diagonal factor: (tr Σ)² + 2 tr Σ² + (κ − 3) tr Σ² exactly."""
    for cov in COVS[2:]:
        S = cov.dense()
        tr, tr2 = np.trace(S), np.trace(S @ S)
        value, exact = gm.fourth_moment_norm(cov, 9.0)
        assert not exact and math.isclose(value, tr**2 + 2 * tr2 + 6 * tr2, rel_tol=1e-12)


def test_cov_spec_of_a_singular_dense_covariance_is_the_samplers_factor() -> None:
    """Σ PSD but singular: no Cholesky factor exists; the sampler's own factor is used."""
    cov = Dense(np.array([[1.0, 1.0], [1.0, 1.0]]))
    kind, L = gm.cov_spec(cov)
    assert kind == "chol" and np.array_equal(L, cov.factor())
    assert np.allclose(L @ L.T, cov.dense(), atol=1e-15)
