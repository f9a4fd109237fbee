"""The closed-form β and ρ rules against the exact ``K`` and ρ (lem-beta, lem-exact-k).

Each closed form must be an upper bound on ``λ_max(K)`` (never below the exact value) on
generated schemes, covariances and laws; the rules stated wrongly before 2026-11-30 are shown
to fail on the counterexample schemes (``tr PPᵀ ≠ rk``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory import bounds as TB
from convotron_theory import second_moment as SM
from tests.budget import examples

from .test_second_moment import COUNTER, TWINS, factors, small_schemes

LAWS = {"gaussian": (3.0, None), "rademacher": (1.0, 1.0), "uniform": (1.8, math.sqrt(3.0))}


def _P(n, idx):
    idx = np.asarray(idx)
    P = np.zeros((idx.shape[1], n))
    for row in idx:
        P[np.arange(idx.shape[1]), row] += 1.0
    return P


@pytest.mark.claim("lem-beta")
@given(small_schemes(max_n=8), st.data(), st.sampled_from(sorted(LAWS)))
@examples(1.5)
def test_closed_form_rules_bound_the_exact_K(scheme, data, law) -> None:
    n, idx = scheme
    cov, L = data.draw(factors(n))
    kappa, bound = LAWS[law]
    Sigma = L @ L.T
    P = _P(n, idx)
    M = P @ Sigma @ P.T
    ppt = np.linalg.eigvalsh(P @ P.T)[-1]
    lmax_sigma = np.linalg.eigvalsh(Sigma)[-1]
    top = SM.beta_exact(SM.second_moment_matrix(n, idx, cov, kappa))
    tol = 1 + 1e-9
    D = L.T @ L
    E_x4 = np.trace(D) ** 2 + 2 * np.trace(D @ D) + (kappa - 3) * np.sum(np.diag(D) ** 2)
    assert top <= TB.BETA_FOURTH(lambda_max_PPT=ppt, E_x4=E_x4) * tol
    if bound is not None:
        B = math.sqrt(lmax_sigma * n) * bound
        assert top <= TB.BETA_BOUNDED(lambda_max_PPT=ppt, B=B, lambda_max_Sigma=lmax_sigma) * tol
    if law == "gaussian":
        ev = np.linalg.eigvalsh(M)
        assert (
            top
            <= TB.BETA_GAUSSIAN(lambda_max_Sigma=lmax_sigma, tr_M=np.trace(M), lambda_max=ev[-1])
            * tol
        )
        if isinstance(cov, str) and cov == "identity":
            assert (
                top <= TB.BETA_GAUSSIAN_IDENTITY(tr_PPT=np.trace(P @ P.T), lambda_max_PPT=ppt) * tol
            )


@pytest.mark.claim("lem-beta")
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.sampled_from(sorted(LAWS)))
@examples(1)
def test_stride_rule_bounds_the_exact_K(r, d, k, law) -> None:
    n = (k - 1) * d + r
    idx = [[i * d + j for j in range(r)] for i in range(k)]
    P = _P(n, idx)
    assert np.trace(P @ P.T) == r * k  # the stride rule's hypothesis holds
    top = SM.beta_exact(SM.second_moment_matrix(n, idx, "identity", LAWS[law][0]))
    assert top <= TB.BETA_GAUSSIAN_STRIDE(
        r=r, k=k, lambda_max_PPT=np.linalg.eigvalsh(P @ P.T)[-1]
    ) * (1 + 1e-9)


#: The counterexample schemes (``tr PPᵀ ≠ rk``), each with ``(exact, old)`` for ``λ_max(K)``
#: (against the ``rk + 2λ`` rule) and for the heteroscedastic ρ (against ``tr(PΣ²Pᵀ) = rk``).
COUNTEREXAMPLES = pytest.mark.parametrize(
    ("n", "idx", "beta", "rho"),
    [(8, COUNTER, (26.0, 22.0), (25.0, 23.0)), (4, TWINS, (16.0, 12.0), (12.0, 10.0))],
)


@pytest.mark.claim("lem-exact-k")
@COUNTEREXAMPLES
def test_rk_shortcut_is_not_admissible_off_stride(n, idx, beta, rho) -> None:
    (exact, old_rule), P, r, k = beta, _P(n, idx), len(idx[0]), len(idx)
    lm = np.linalg.eigvalsh(P @ P.T)[-1]
    top = SM.beta_exact(SM.second_moment_matrix(n, idx))
    assert top == pytest.approx(exact, rel=1e-12)
    assert TB.BETA_GAUSSIAN_STRIDE(r=r, k=k, lambda_max_PPT=lm) == pytest.approx(old_rule)
    assert TB.BETA_GAUSSIAN_STRIDE(r=r, k=k, lambda_max_PPT=lm) < top  # rk + 2λ fails here
    assert TB.BETA_GAUSSIAN_IDENTITY(tr_PPT=np.trace(P @ P.T), lambda_max_PPT=lm) >= top


@pytest.mark.claim("lem-second-moment")
@COUNTEREXAMPLES
def test_hetero_rho_exact_on_the_counterexamples(n, idx, beta, rho) -> None:
    (exact, old), P, r, k = rho, _P(n, idx), len(idx[0]), len(idx)
    trppt = float(np.trace(P @ P.T))
    rho = TB.RHO_HETERO_GAUSSIAN(varsigma=1.0, tr_Sigma=n, tr_M=trppt, tr_PSigma2PT=trppt)
    assert rho == pytest.approx(exact, rel=1e-12)
    assert SM.rho_exact(n, idx, noise=("hetero", 1.0)) == pytest.approx(exact, rel=1e-12)
    assert TB.RHO_HETERO(
        varsigma=1.0, E_x2_Px2=SM.norm_product_moment(n, idx), tr_Sigma=n
    ) == pytest.approx(exact)
    # the formula with tr(PΣ²Pᵀ) = rk (the bridge before the fix) is too small
    assert TB.RHO_HETERO_GAUSSIAN(
        varsigma=1.0, tr_Sigma=n, tr_M=trppt, tr_PSigma2PT=r * k
    ) == pytest.approx(old)
