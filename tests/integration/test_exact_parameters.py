"""The glue's default β = λ_max(K) and exact ρ (issue 10): never above a closed form, the
counterexample schemes, padding, the cost fallback (lem-exact-k, lem-beta)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.data.laws import LAWS
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.glue import moments as gm
from convotron.glue import parameters as gp
from convotron.model.problem import Problem
from convotron_theory.second_moment import beta_exact, rho_exact, second_moment_matrix

SYMMETRIC_OR_NOT = sorted(LAWS)


def _random_problem(rng: np.random.Generator) -> Problem:
    n = int(rng.integers(2, 10))
    r = int(rng.integers(1, min(n, 4) + 1))
    k = int(rng.integers(1, 5))
    indices = np.array([rng.choice(n, size=r, replace=False) for _ in range(k)])
    scheme = PatchScheme.from_indices(n, indices)
    kind = rng.integers(4)
    if kind == 0:
        cov = Identity(n)
    elif kind == 1:
        cov = AR1(n, float(rng.uniform(-0.8, 0.8)))
    elif kind == 2:
        cov = Diagonal(rng.uniform(0.2, 2.0, size=n))
    else:
        A = rng.normal(size=(n, n))
        cov = Dense(A @ A.T / n + 0.1 * np.eye(n))
    law = SYMMETRIC_OR_NOT[int(rng.integers(len(SYMMETRIC_OR_NOT)))]
    noise = ["none", "gaussian:0.3", "uniform:0.2", "hetero:0.5"][int(rng.integers(4))]
    return Problem.from_specs(scheme, float(rng.uniform(0, 1)), law, cov, noise)


@pytest.mark.claim("lem-beta")
@pytest.mark.claim("lem-exact-k")
def test_exact_beta_never_above_a_closed_form_on_many_problems() -> None:
    """Every closed-form β (lem-beta) is an upper bound of λ_max(K), on 300 problems."""
    rng = np.random.default_rng(20261130)
    for _ in range(300):
        problem = _random_problem(rng)
        tp = gp.theorem_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0)
        assert tp.beta_rule == "exact" and tp.beta_exact is not None
        closed = {k: v for k, v in tp.beta_candidates.items() if k != "exact"}
        assert closed and min(closed.values()) == tp.beta_closed
        for rule, value in closed.items():
            assert tp.beta_exact <= value * (1 + 1e-9), (rule, value, tp.beta_exact, problem)
        if math.isfinite(tp.T):
            assert tp.T <= tp.T_closed
        # the same K as convotron_theory.second_moment with the sampler's own factor
        K = second_moment_matrix(
            problem.n, problem.scheme.indices, gm.cov_spec(problem.cov), problem.law.fourth_moment
        )
        assert tp.beta == pytest.approx(beta_exact(K), rel=1e-12)


def test_cov_spec_uses_the_sampler_factor() -> None:
    S = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]])
    spec = gm.cov_spec(Dense(S))
    assert spec[0] == "chol" and np.allclose(spec[1] @ spec[1].T, S)
    z = np.random.default_rng(0).normal(size=(5, 3))
    assert np.allclose(Dense(S).transform(z), z @ spec[1].T)
    assert gm.cov_spec(Identity(3)) == "identity" and gm.cov_spec(AR1(3, 0.5)) == ("ar1", 0.5)
    assert gm.cov_spec(AR1(3, 0.5), padded=True) is None
    d = gm.cov_spec(Identity(3), padded=True)
    assert d[0] == "diag" and list(d[1]) == [1, 1, 1, 0]
    assert not Dense(S).factor().flags.writeable


@pytest.mark.claim("lem-second-moment")
def test_rho_exact_on_the_counterexample_schemes() -> None:
    """hetero:1 on [[0,1,2,3],[0,1,4,5],[6,7,2,3]] (n = 8): ρ = 25, not rk-based 23."""
    scheme = PatchScheme.from_indices(8, np.array([[0, 1, 2, 3], [0, 1, 4, 5], [6, 7, 2, 3]]))
    tp = gp.theorem_parameters(
        Problem.from_specs(scheme, 0.0, "gaussian", None, "hetero:1"),
        eps=0.1,
        delta=0.2,
        w_norm=1.0,
    )
    assert tp.rho_rule == "exact" and tp.rho == pytest.approx(25.0, rel=1e-12)
    assert tp.beta == pytest.approx(26.0, rel=1e-12)  # the exact quotient of the issue
    two = PatchScheme.from_indices(4, np.array([[0, 1], [0, 1]]))
    tp2 = gp.theorem_parameters(
        Problem.from_specs(two, 0.0, "gaussian", None, "hetero:1"), eps=0.1, delta=0.2, w_norm=1.0
    )
    assert tp2.rho == pytest.approx(12.0, rel=1e-12) and tp2.beta == pytest.approx(16.0)
    # non-Gaussian hetero: exact, not the fourth-moment bound
    tp3 = gp.theorem_parameters(
        Problem.from_specs(scheme, 0.0, "uniform", None, "hetero:0.5"),
        eps=0.1,
        delta=0.2,
        w_norm=1.0,
    )
    want = rho_exact(8, scheme.indices, "identity", 9 / 5, ("hetero", 0.5))
    assert tp3.rho_rule == "exact" and tp3.rho == pytest.approx(want, rel=1e-12)


def test_padding_reads_a_zero_coordinate() -> None:
    """conv padding (-1 indices): K of the scheme with an extra zero-variance coordinate."""
    scheme = parse_spec("conv1d:1,6,3,padding=same")
    assert (scheme.indices < 0).any()
    tp = gp.theorem_parameters(
        Problem.from_specs(scheme, 0.0, "rademacher", None, "hetero:0.3"),
        eps=0.1,
        delta=0.2,
        w_norm=1.0,
    )
    # brute force: P_i as 0/1 matrices with zero rows for the padding
    idx = scheme.indices
    k, r = idx.shape
    n = scheme.n
    Pi = np.zeros((k, r, n))
    for i in range(k):
        for a in range(r):
            if idx[i, a] >= 0:
                Pi[i, a, idx[i, a]] = 1.0
    x = np.array(np.meshgrid(*[[-1.0, 1.0]] * n)).reshape(n, -1).T  # all sign vectors
    Px = x @ Pi.sum(axis=0).T
    norms = np.sum(Px**2, axis=1)
    K = sum((x @ Pi[i].T).T @ ((x @ Pi[i].T) * norms[:, None]) for i in range(k)) / (k * len(x))
    assert tp.beta_rule == "exact" and tp.beta == pytest.approx(np.linalg.eigvalsh(K)[-1])
    rho = 0.09 * float(np.mean(np.sum(x**2, axis=1) * norms)) / n
    assert tp.rho == pytest.approx(rho, rel=1e-12)


def test_cost_fallback_says_so(monkeypatch) -> None:
    monkeypatch.setattr(gm, "EXACT_COST_LIMIT", 10.0)
    tp = gp.theorem_parameters(
        Problem.from_specs("1d:16,4,2", 0.0, "gaussian", None, "hetero:0.2"),
        eps=0.1,
        delta=0.2,
        w_norm=1.0,
    )
    assert tp.beta_rule == "gaussian" and tp.beta == 54.0 and tp.beta_exact is None
    assert "cost estimate" in tp.beta_note and "EXACT_COST_LIMIT" in tp.beta_note
    assert tp.rho_rule == "exact-gaussian"
    assert tp.rho == pytest.approx(0.04 * (16 + 2) / 16 * 28)  # ς²(n+2)/n tr PPᵀ
    assert tp.T == tp.T_closed
    assert "exact" not in tp.beta_candidates


def test_exact_cost_estimate_keeps_large_schemes_interactive() -> None:
    big = parse_spec("1d:1024,64,1")
    assert gm.exact_beta_cost(big, Identity(1024), 3.0) < gm.EXACT_COST_LIMIT
    assert gm.exact_beta_cost(big, AR1(1024, 0.5), 3.0) < gm.EXACT_COST_LIMIT
    assert gm.exact_beta_cost(big, AR1(1024, 0.5), 1.8) > gm.EXACT_COST_LIMIT


@pytest.mark.claim("thm-disjoint")
def test_disjoint_beta_is_the_exact_second_moment_of_the_variant() -> None:
    """β₁ = r + 2/k is λ_max of K₁ = (1/k) Σ_i E[P_i x xᵀ P_iᵀ ‖P_1 x‖²], x ~ N(0, I).

    By Isserlis E[x xᵀ Q x xᵀ] = tr(Q) I + 2Q with Q = P_1ᵀP_1, so K₁ = (1/k) Σ_i
    (r I + 2 P_iP_1ᵀP_1P_iᵀ) = (r + 2/k) I when P_1 is disjoint from the others: the
    variant's β₁ is already exact (it is not the main theorem's single-patch K, r + 2).
    """
    idx = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9], [8, 9, 10, 11]])
    k, r, n = 4, 4, 12
    Pi = np.zeros((k, r, n))
    for i in range(k):
        Pi[i, np.arange(r), idx[i]] = 1.0
    Q = Pi[0].T @ Pi[0]
    K1 = sum(Pi[i] @ (np.trace(Q) * np.eye(n) + 2 * Q) @ Pi[i].T for i in range(k)) / k
    scheme = PatchScheme.from_indices(n, idx)
    tp = gp.theorem_parameters(Problem.from_specs(scheme), eps=0.01, delta=0.1, w_norm=1.0,
                               only_patch=0)  # fmt: skip
    assert tp.beta_rule == "disjoint" and np.allclose(K1, (r + 2 / k) * np.eye(r))
    assert tp.beta == pytest.approx(np.linalg.eigvalsh(K1)[-1], rel=1e-12)
    assert tp.T_closed == tp.T and tp.beta_closed == tp.beta
