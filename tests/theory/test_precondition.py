"""Exact checks of :mod:`convotron_theory.precondition` (the preconditioned Convotron, [derived]).

Independent of the closed forms under test:

- Isserlis' theorem summed brute-force over index quadruples (the n⁴ tensor of fourth
  moments of x = Lz, with the (κ − 3) cumulant), for every covariance kind and several κ;
- Rademacher inputs (κ = 1): averages over all 2ⁿ sign vectors (exact, no sampling);
- the sympy exact matrices (rational H, Σ) against the floats; H = I against
  :mod:`convotron_theory.second_moment` and :func:`convotron_theory.instantiate.theorem_parameters`;
- Monte Carlo with CLT tolerances (five standard errors, and a standard error below 2% of the
  value, so a constant 10% off fails), the mean recursion of many runs, and whole runs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg as sla
import sympy as sp
from scipy.stats import binom

from convotron_theory import instantiate as INST
from convotron_theory import precondition as PC
from convotron_theory import second_moment as SM
from convotron_theory._errors import HypothesisFailed, TheoryError
from convotron_theory._precond_moments import sympy_setup
from convotron_theory._structured_sigma import cholesky_factor

STRIDE_16_4_2 = [[2 * i + j for j in range(4)] for i in range(7)]
STRIDE_8_4_2 = [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]
SMALL = [[0, 1, 2], [2, 3, 4], [3, 4, 5]]  # n = 6, overlapping, irregular
COUNTER = [[0, 1, 2, 3], [0, 1, 4, 5], [6, 7, 2, 3]]


# ---------------------------------------------------------------------------------------------
# independent constructions
# ---------------------------------------------------------------------------------------------
def _L(n: int, cov) -> np.ndarray:
    """The factor x = Lz the package samples with, built from Σ (not from convotron_theory's
    structure)."""
    if isinstance(cov, np.ndarray):
        return cholesky_factor(cov)
    if cov == "identity":
        return np.eye(n)
    if isinstance(cov, str) and cov.startswith("ar1:"):
        rho = float(cov[4:])
        S = rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
        return np.linalg.cholesky(S)  # the unique lower-triangular factor
    if isinstance(cov, tuple) and cov[0] == "diag":
        return np.diag(np.sqrt(np.asarray(cov[1], float)))
    if isinstance(cov, tuple) and cov[0] == "chol":
        return np.asarray(cov[1], float)
    return cholesky_factor(cov)


def _Ps(n: int, idx) -> list[np.ndarray]:
    return [np.eye(n)[list(row)] for row in idx]


def _fourth_tensor(L: np.ndarray, kappa: float) -> np.ndarray:
    """E[x_a x_b x_c x_d] for x = Lz by brute force over the index quadruples of z."""
    n = L.shape[1]
    m4 = np.zeros((n, n, n, n))
    for a, b, c, d in itertools.product(range(n), repeat=4):
        if a == b == c == d:
            m4[a, b, c, d] = kappa
        elif (a == b and c == d) or (a == c and b == d) or (a == d and b == c):
            m4[a, b, c, d] = 1.0
    return np.einsum("pa,qb,sc,td,abcd->pqst", L, L, L, L, m4, optimize=True)


def _brute(n: int, idx, cov, kappa: float, H: np.ndarray) -> dict[str, np.ndarray | float]:
    """K_H, E[(qᵀHq)qqᵀ] and E[‖x‖²qᵀHq] from the fourth-moment tensor of x."""
    L = _L(n, cov)
    T = _fourth_tensor(L, kappa)
    Ps = _Ps(n, idx)
    P = sum(Ps)
    Q = P.T @ H @ P  # qᵀHq = xᵀQx
    E = np.einsum("abcd,cd->ab", T, Q)  # E[x xᵀ qᵀHq]
    return {
        "K": sum(Pi @ E @ Pi.T for Pi in Ps) / len(Ps),
        "Q": P @ E @ P.T,
        "norm": float(np.trace(E)),
    }


def _spd(r: int, rng: np.random.Generator) -> np.ndarray:
    A = rng.standard_normal((r, r))
    return A @ A.T + 0.3 * np.eye(r)


def _signs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


COVS_6 = [
    "identity",
    "ar1:0.7",
    ("diag", [0.5, 1.0, 2.0, 1.5, 0.8, 1.2]),
    np.array([[1.0 if i == j else 0.3 ** abs(i - j) * (-1) ** (i + j) for j in range(6)]
              for i in range(6)]),
    ("chol", np.tril(np.arange(1, 37, dtype=float).reshape(6, 6) % 5 + 1) / 3),
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# lem-exact-kh: K_H, Q_H and ρ_H exactly
# ---------------------------------------------------------------------------------------------
@pytest.mark.claim("lem-exact-kh")
@pytest.mark.parametrize("cov_i", range(len(COVS_6)))
@pytest.mark.parametrize("kappa", [3.0, 1.0, 1.8, 5.0])
def test_K_H_equals_isserlis_enumeration(cov_i: int, kappa: float) -> None:
    """Every covariance kind, four kurtoses, a random H and H = M⁻¹ (a 10% error fails)."""
    cov = COVS_6[cov_i]
    rng = np.random.default_rng(cov_i)
    M = PC.overlap_float(6, SMALL, cov)
    for H in (_spd(3, rng), np.linalg.inv(M)):
        got = PC.preconditioned_second_moment_matrix(6, SMALL, H, cov, kappa)
        ref = _brute(6, SMALL, cov, kappa, H)
        assert np.allclose(got, ref["K"], rtol=1e-10, atol=1e-10 * np.abs(ref["K"]).max())
        Q = PC.quartic_q_moment(6, SMALL, H, cov, kappa)
        assert np.allclose(Q, ref["Q"], rtol=1e-10, atol=1e-10 * np.abs(ref["Q"]).max())
        trS = float(np.trace(_L(6, cov) @ _L(6, cov).T))
        rho = PC.rho_preconditioned(6, SMALL, H, cov, kappa, ("hetero", 0.7))
        assert rho == pytest.approx(0.49 * ref["norm"] / trS, rel=1e-10)


@pytest.mark.claim("lem-exact-kh")
@pytest.mark.parametrize("cov", ["identity", "ar1:0.5", ("diag", np.linspace(0.5, 2, 8))])
def test_K_H_rademacher_exhaustive(cov) -> None:
    """κ = 1: the average over all 2⁸ sign vectors z, x = Lz, is the exact expectation."""
    n, idx = 8, STRIDE_8_4_2
    rng = np.random.default_rng(8)
    L = _L(n, cov)
    X = _signs(n) @ L.T
    Ps = _Ps(n, idx)
    PX = X @ sum(Ps).T
    for H in (_spd(4, rng), "exact"):
        Hm = np.linalg.inv(PC.overlap_float(n, idx, cov)) if isinstance(H, str) else H
        w = np.einsum("sa,ab,sb->s", PX, Hm, PX)  # qᵀHq per sign vector
        K_enum = sum((X @ Pi.T).T @ ((X @ Pi.T) * w[:, None]) for Pi in Ps) / (3 * len(X))
        got = PC.preconditioned_second_moment_matrix(n, idx, H, cov, "rademacher")
        assert np.allclose(got, K_enum, rtol=1e-12, atol=1e-12)
        Q_enum = PX.T @ (PX * w[:, None]) / len(X)
        assert np.allclose(PC.quartic_q_moment(n, idx, H, cov, 1), Q_enum, atol=1e-11)
        norm_enum = float(np.mean((X**2).sum(1) * w))
        trS = float(np.trace(L @ L.T))
        assert PC.rho_preconditioned(n, idx, H, cov, 1, ("hetero", 1.0)) == pytest.approx(
            norm_enum / trS, rel=1e-12
        )
        assert PC.rho_preconditioned(n, idx, H, cov, 1, 0.5) == pytest.approx(
            0.25 * float(np.mean(w)), rel=1e-12
        )


@pytest.mark.claim("lem-exact-kh")
@pytest.mark.parametrize("cov", ["identity", "ar1:0.9", ("diag", np.linspace(0.2, 3, 16))])
@pytest.mark.parametrize("kappa", [3, 1, 1.8])
def test_identity_H_is_the_unpreconditioned_K_and_rho(cov, kappa) -> None:
    K = PC.preconditioned_second_moment_matrix(16, STRIDE_16_4_2, "identity", cov, kappa)
    assert np.allclose(K, SM.second_moment_matrix(16, STRIDE_16_4_2, cov, kappa), rtol=1e-12)
    for noise in (0.3, ("hetero", 0.4)):
        assert PC.rho_preconditioned(
            16, STRIDE_16_4_2, "identity", cov, kappa, noise
        ) == pytest.approx(SM.rho_exact(16, STRIDE_16_4_2, cov, kappa, noise), rel=1e-12)


@pytest.mark.claim("lem-exact-kh")
def test_sympy_exact_K_H_and_beta_H_agree_with_floats() -> None:
    H = sp.Matrix(
        [[2, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, sp.Rational(1, 2)], [0, 0, sp.Rational(1, 2), 3]]
    )
    for kappa in (3, 1, sp.Rational(9, 5)):
        K = PC.preconditioned_second_moment_matrix_exact(8, STRIDE_8_4_2, H, kappa=kappa)
        Kf = PC.preconditioned_second_moment_matrix(
            8, STRIDE_8_4_2, np.array(H, float), kappa=float(kappa)
        )
        assert np.allclose(np.array(K, float), Kf, atol=1e-12)
        beta = PC.beta_preconditioned_exact(K, H)
        assert float(beta) == pytest.approx(
            PC.beta_preconditioned(Kf, np.array(H, float)), rel=1e-12
        )
    # H = M⁻¹ exactly (Σ = I, 1d:8,4,2): rational K_H; μ_H = 1 and β_H the largest root
    K = PC.preconditioned_second_moment_matrix_exact(8, STRIDE_8_4_2, "exact")
    M = sp.Matrix(PC.overlap_float(8, STRIDE_8_4_2).round().astype(int))
    beta = PC.beta_preconditioned_exact(K, M.inv())
    pc = PC.preconditioned_constants(8, STRIDE_8_4_2, "exact")
    assert float(beta) == pytest.approx(pc.beta_H, rel=1e-12)
    assert pc.mu_H == 1.0
    # a rational AR(1)-like Σ with an exact Cholesky factor passed as L
    Lr = sp.Matrix(4, 4, lambda i, j: sp.Rational(1, 2) ** (i - j) if i >= j else 0)
    K = PC.preconditioned_second_moment_matrix_exact(
        4, [[0, 1], [1, 2], [2, 3]], sp.eye(2) * 2, L=Lr
    )
    Kf = PC.preconditioned_second_moment_matrix(
        4, [[0, 1], [1, 2], [2, 3]], 2 * np.eye(2), ("chol", np.array(Lr, float))
    )
    assert np.allclose(np.array(K, float), Kf, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# lem-whitened: the Gaussian identity and the sandwich of β at H = M⁻¹
# ---------------------------------------------------------------------------------------------
@pytest.mark.claim("lem-whitened")
@pytest.mark.parametrize(
    "cov", ["identity", "ar1:0.9", "ar1:-0.6", ("diag", np.linspace(0.1, 5, 16))]
)
def test_gaussian_whitened_identity(cov) -> None:
    """E[(qᵀM⁻¹q) qqᵀ] = (r + 2) M for Gaussian x, whatever Σ; + (κ−3) B diag(Π) Bᵀ else."""
    M = PC.overlap_float(16, STRIDE_16_4_2, cov)
    Q = PC.quartic_q_moment(16, STRIDE_16_4_2, "exact", cov, 3)
    assert np.allclose(Q, 6 * M, rtol=1e-9, atol=1e-9 * np.abs(M).max())
    # κ ≠ 3: the correction (κ−3) B diag(Π) Bᵀ, Π the projector onto B's row space
    from convotron_theory import _structured_sigma as S

    kind, payload = S.cov_kind(16, cov)
    B = S.B_matrix(kind, payload, 16, np.array(STRIDE_16_4_2))
    Pi = B.T @ np.linalg.solve(B @ B.T, B)
    assert np.allclose(Pi @ Pi, Pi, atol=1e-9) and np.trace(Pi) == pytest.approx(4)
    for kappa in (1.0, 1.8, 6.0):
        Qk = PC.quartic_q_moment(16, STRIDE_16_4_2, "exact", cov, kappa)
        expected = 6 * M + (kappa - 3) * (B * np.diag(Pi)) @ B.T
        assert np.allclose(Qk, expected, rtol=1e-9, atol=1e-9 * np.abs(M).max())


@pytest.mark.claim("lem-whitened")
def test_gaussian_whitened_identity_symbolic() -> None:
    """Exactly, in sympy, for the scheme 1d:8,4,2 and a rational Σ: Q = (r + 2) M."""
    Sigma = sp.Matrix(8, 8, lambda i, j: sp.Rational(1, 2) ** abs(i - j))
    A, Lm, B, _ = sympy_setup(8, STRIDE_8_4_2, Sigma, None, 3)
    M = B * B.T
    C = B.T * M.inv() * B  # the projector Π
    assert (C * C - C).applyfunc(sp.simplify) == sp.zeros(8, 8)
    Q = B * (C.trace() * sp.eye(8) + 2 * C) * B.T  # Isserlis for x = Lz, κ = 3
    assert (Q - 6 * M).applyfunc(sp.simplify) == sp.zeros(4, 4)
    del A, Lm


@pytest.mark.claim("lem-whitened")
@pytest.mark.parametrize(
    ("n", "idx", "cov", "kappa"),
    [
        (16, STRIDE_16_4_2, "ar1:0.9", 3),
        (16, STRIDE_16_4_2, "identity", 1),
        (16, STRIDE_16_4_2, "ar1:0.5", 1.8),
        (8, COUNTER, "ar1:0.3", 6.0),
        (6, SMALL, ("diag", [0.5, 1, 2, 1.5, 0.8, 1.2]), 3),
    ],
)
def test_whitened_beta_sandwich(n, idx, cov, kappa) -> None:
    pc = PC.preconditioned_constants(n, idx, "exact", cov=cov, kappa=kappa)
    from convotron_theory import _structured_sigma as S

    kind, payload = S.cov_kind(n, cov)
    k, r = np.array(idx).shape
    S_bar = sum(S.sigma_block(kind, payload, np.array(row)) for row in idx) / k
    s_bar = float(sla.eigh(S_bar, pc.M, eigvals_only=True)[-1])
    lo = (r - max(3 - kappa, 0)) * s_bar
    hi = PC.BETA_WHITENED_GAUSSIAN_UPPER(r=r, kappa=kappa, s_bar=s_bar)
    assert lo - 1e-9 <= pc.beta_H <= hi + 1e-9
    Q = PC.quartic_q_moment(n, idx, "exact", cov, kappa)
    jensen = float(sla.eigh(Q, pc.M, eigvals_only=True)[-1]) / k**2
    assert pc.beta_H >= jensen - 1e-9
    if kappa == 3:
        assert jensen == pytest.approx((r + 2) / k**2, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Monte Carlo: β_H and ρ_H with the CLT
# ---------------------------------------------------------------------------------------------
def _sample_x(rng, m, L, law):
    n = L.shape[0]
    if law == "gaussian":
        Z = rng.standard_normal((m, n))
    elif law == "rademacher":
        Z = rng.choice((-1.0, 1.0), size=(m, n))
    else:  # uniform on [−√3, √3]
        Z = rng.uniform(-math.sqrt(3), math.sqrt(3), size=(m, n))
    return Z @ L.T


@pytest.mark.claim("lem-exact-kh")
@pytest.mark.parametrize(
    ("cov", "law", "kappa", "H"),
    [
        ("ar1:0.9", "gaussian", 3, "exact"),
        ("ar1:0.5", "rademacher", 1, "exact"),
        ("ar1:0.7", "uniform", 1.8, "random"),
    ],
)
def test_beta_H_monte_carlo(cov, law, kappa, H) -> None:
    """In the top generalised eigenvector v: (1/k)Σ E[(vᵀP_ix)² qᵀHq] / vᵀH⁻¹v = β_H."""
    n, idx = 16, np.array(STRIDE_16_4_2)
    rng = np.random.default_rng(22)
    if H == "random":
        H = _spd(4, rng)
    pc = PC.preconditioned_constants(n, idx, H, cov=cov, kappa=kappa)
    ev, V = sla.eigh(pc.K_H, np.linalg.inv(pc.H))
    v = V[:, -1]
    assert ev[-1] == pytest.approx(pc.beta_H, rel=1e-9)
    X = _sample_x(rng, 400_000, _L(n, cov), law)
    PX = X @ sum(_Ps(n, idx)).T
    vals = np.mean((X[:, idx] @ v) ** 2, axis=1) * np.einsum("sa,ab,sb->s", PX, pc.H, PX)
    vals /= v @ np.linalg.solve(pc.H, v)
    se = vals.std() / math.sqrt(len(vals))
    assert abs(vals.mean() - pc.beta_H) < 5 * se
    assert se < 0.02 * pc.beta_H  # so a β_H 10% off is outside five standard errors


@pytest.mark.claim("lem-exact-kh")
@pytest.mark.parametrize(
    ("cov", "law", "kappa"), [("ar1:0.9", "gaussian", 3), ("ar1:0.6", "uniform", 1.8)]
)
def test_rho_H_monte_carlo(cov, law, kappa) -> None:
    """At w = w*: E[GᵀHG] = ρ_H, for independent (Gaussian and Rademacher ξ) and hetero noise."""
    n, idx = 16, np.array(STRIDE_16_4_2)
    rng = np.random.default_rng(5)
    H = PC.preconditioned_constants(n, idx, "exact", cov=cov).H
    X = _sample_x(rng, 400_000, _L(n, cov), law)
    PX = X @ sum(_Ps(n, idx)).T
    qHq = np.einsum("sa,ab,sb->s", PX, H, PX)
    trS = float(n)
    for noise, xi in (
        (0.5, 0.5 * rng.standard_normal(len(X))),
        (0.5, 0.5 * rng.choice((-1.0, 1.0), len(X))),
        (
            ("hetero", 0.8),
            0.8 * np.linalg.norm(X, axis=1) / math.sqrt(trS) * rng.standard_normal(len(X)),
        ),
    ):
        rho = PC.rho_preconditioned(n, idx, H, cov, kappa, noise)
        vals = xi**2 * qHq
        se = vals.std() / math.sqrt(len(vals))
        assert abs(vals.mean() - rho) < 5 * se, (noise, vals.mean(), rho)
        assert se < 0.02 * rho
    assert PC.rho_preconditioned(n, idx, H, cov, kappa, 0.5) == pytest.approx(0.25 * 4, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# lem-precond-one-step
# ---------------------------------------------------------------------------------------------
@pytest.mark.claim("lem-precond-one-step")
def test_one_step_exact_for_alpha_1_and_bounded_for_relu() -> None:
    """α = 1: E Φ(Δ') = Φ − 2ηcΔᵀMΔ + η²(ΔᵀQ_HΔ/k² + ρ_H) exactly; α = 0: E[GᵀHG] ≤ ΔᵀK_HΔ + ρ_H."""
    n, idx, cov = 16, np.array(STRIDE_16_4_2), "ar1:0.9"
    rng = np.random.default_rng(9)
    pc = PC.preconditioned_constants(n, idx, "exact", cov=cov, noise=0.3)
    k, H, M = 7, pc.H, pc.M
    Q = PC.quartic_q_moment(n, idx, "exact", cov)
    w_star = rng.standard_normal(4)
    w = w_star + 0.3 * rng.standard_normal(4)
    D = w - w_star
    eta = 0.5  # the identity holds for every η; a large one makes the η² term visible
    X = _sample_x(rng, 400_000, _L(n, cov), "gaussian")
    PX = X @ sum(_Ps(n, idx)).T
    xi = 0.3 * rng.standard_normal(len(X))
    Hinv = np.linalg.inv(H)
    phi = D @ Hinv @ D
    y = PX @ w_star / k + xi
    G = (y - PX @ w / k)[:, None] * PX
    Dn = D + eta * G @ H
    vals = np.einsum("sa,ab,sb->s", Dn, Hinv, Dn)
    exact = phi - 2 * eta / k * D @ M @ D + eta**2 * (D @ Q @ D / k**2 + pc.rho_H)
    se = vals.std() / math.sqrt(len(vals))
    assert abs(vals.mean() - exact) < 5 * se
    # a 10% error in either term would be seen (here 18 and 55 standard errors)
    assert 0.1 * eta**2 * (D @ Q @ D / k**2 + pc.rho_H) > 10 * se
    assert 0.1 * 2 * eta / k * (D @ M @ D) > 10 * se
    bound = (1 - eta * PC.A_H(alpha=1, mu_H=1, k=k) + eta**2 * pc.beta_H) * phi + eta**2 * pc.rho_H
    assert exact <= bound + 1e-12
    # α = 0 (ReLU): E[GᵀHG] ≤ ΔᵀK_HΔ + ρ_H (one-sided, Monte Carlo)
    pre_s = np.einsum("sia,a->si", X[:, idx], w_star)
    pre_w = np.einsum("sia,a->si", X[:, idx], w)
    g = np.maximum(pre_s, 0).mean(1) - np.maximum(pre_w, 0).mean(1)
    GHG = (g + xi) ** 2 * np.einsum("sa,ab,sb->s", PX, H, PX)
    assert GHG.mean() < D @ pc.K_H @ D + pc.rho_H + 5 * GHG.std() / math.sqrt(len(GHG))


# ---------------------------------------------------------------------------------------------
# thm-precond and cor-precond-whitened
# ---------------------------------------------------------------------------------------------
@pytest.mark.claim("thm-precond")
@pytest.mark.parametrize("varsigma", [0.0, 0.2])
def test_H_identity_recovers_the_papers_algorithm_theorem(varsigma: float) -> None:
    """H = I: a_H = a, β_H = λ_max(K), ρ_H = ρ, and η, T equal thm-convotron's exactly."""
    n, idx, cov = 16, STRIDE_16_4_2, "ar1:0.9"
    pc = PC.preconditioned_constants(n, idx, "identity", cov=cov, noise=varsigma or None)
    ev = np.linalg.eigvalsh(pc.M)
    ref = INST.theorem_parameters(
        lambda_min=ev[0], lambda_max=ev[-1], tr_M=np.trace(pc.M), k=7, r=4, alpha=0.3,
        eps=0.01, delta=0.1, w_norm=1.5, varsigma=varsigma,
        lambda_max_K=SM.beta_exact(SM.second_moment_matrix(n, idx, cov)),
    )  # fmt: skip
    got = PC.precondition_parameters(
        mu_H=pc.mu_H, beta_H=pc.beta_H, rho_H=pc.rho_H, k=7, alpha=0.3, eps=0.01, delta=0.1,
        lambda_max_H=1.0, phi_1=1.5**2,
    )  # fmt: skip
    assert got["a_H"] == pytest.approx(ref["a"], rel=1e-12)
    assert got["beta_H"] == pytest.approx(ref["beta"], rel=1e-12)
    assert got["eta"] == pytest.approx(ref["eta"], rel=1e-12)
    assert got["T"] == ref["T"]


@pytest.mark.claim("cor-precond-whitened")
def test_issue_22_numbers() -> None:
    """1d:16,4,2, AR(1) ρ = 0.9, Gaussian, α = 0, ε = 0.01, δ = 0.1, ‖w*‖ = 1, worst direction."""
    n, idx, cov = 16, STRIDE_16_4_2, "ar1:0.9"
    pc = PC.preconditioned_constants(n, idx, "exact", cov=cov)
    assert pc.cond_M == pytest.approx(1287.028, abs=1e-3)
    assert pc.beta_H == pytest.approx(4.42051775, rel=1e-8)  # the issue's Monte Carlo: ≈ 4.4
    ev = np.linalg.eigvalsh(pc.M)
    whitened = PC.precondition_parameters(
        mu_H=1.0, beta_H=pc.beta_H, k=7, alpha=0, eps=0.01, delta=0.1,
        lambda_max_H=pc.lambda_max_H, phi_1=ev[-1],
    )  # fmt: skip
    assert whitened["T"] == 12189  # the issue's sketch: ≈ 12,190
    assert whitened["T"] == PC.T_WHITENED(
        beta_H=pc.beta_H, k=7, alpha=0, lambda_H=1 / ev[0], Phi_1=ev[-1], epsilon=0.01, delta=0.1
    )
    assert whitened["eta"] == pytest.approx(1 / 14 / pc.beta_H, rel=1e-12)  # η = c/β_H
    plain = PC.preconditioned_constants(n, idx, "identity", cov=cov)
    assert plain.beta_H == pytest.approx(1103.582076, rel=1e-9)
    unpre = PC.precondition_parameters(
        mu_H=plain.mu_H, beta_H=plain.beta_H, k=7, alpha=0, eps=0.01, delta=0.1,
        lambda_max_H=1.0, phi_1=1.0,
    )  # fmt: skip
    # the project's theorem: a = λ_min/k = 0.01396, T = 1.565e8 (the issue's 6.3e8 used a/2)
    assert unpre["a_H"] == pytest.approx(0.0139569, rel=1e-5)
    assert unpre["T"] == 156_539_001
    assert unpre["T"] / whitened["T"] > 12_000


@pytest.mark.claim("alg-precond")
@pytest.mark.claim("thm-precond")
def test_mean_recursion_of_the_readable_oracle() -> None:
    """E[w_{t+1}] − w* = (I − ηc HM)(E[w_t] − w*) for α = 0: 2,000 runs, five standard errors."""
    n, idx, cov = 8, np.array(STRIDE_8_4_2), "ar1:0.6"
    rng = np.random.default_rng(4)
    pc = PC.preconditioned_constants(n, idx, "exact", cov=cov)
    k, alpha, runs, T = 3, 0.0, 2000, 12
    eta = 0.5 / pc.beta_H
    w_star = np.array([1.0, -0.5, 0.3, 0.8])
    L = _L(n, cov)
    W = np.array(
        [
            [PC.precond_reference(X[:t], np.maximum(X[:t, idx] @ w_star, 0).mean(1), idx,
                                  alpha, eta, pc.H)
             for t in (T // 2, T)]
            for X in (_sample_x(rng, T, L, "gaussian") for _ in range(runs))
        ]
    )  # fmt: skip
    A = np.eye(4) - eta * (1 + alpha) / (2 * k) * pc.H @ pc.M
    for j, t in enumerate((T // 2, T)):
        pred = w_star - np.linalg.matrix_power(A, t) @ w_star
        mean, se = W[:, j].mean(0), W[:, j].std(0) / math.sqrt(runs)
        assert np.all(np.abs(mean - pred) < 5 * se + 1e-12), (t, mean, pred)
    # the recursion is visibly the preconditioned one: Algorithm 1's would be far
    A1 = np.eye(4) - eta * (1 + alpha) / (2 * k) * pc.M
    wrong = w_star - np.linalg.matrix_power(A1, T) @ w_star
    assert np.any(np.abs(W[:, 1].mean(0) - wrong) > 10 * W[:, 1].std(0) / math.sqrt(runs))


@pytest.mark.claim("cor-precond-whitened")
def test_whitened_runs_reach_eps_within_T() -> None:
    """Twenty runs of T_whitened updates on 1d:16,4,2, AR(1) 0.9 (vectorised over runs): the
    failure rate is within a binomial test of δ (here every run ends far below ε)."""
    n, idx, cov = 16, np.array(STRIDE_16_4_2), "ar1:0.9"
    rng = np.random.default_rng(22)
    pc = PC.preconditioned_constants(n, idx, "exact", cov=cov)
    V = np.linalg.eigh(pc.M)[1]
    w_star = V[:, -1]  # the hardest direction for the logarithm: Φ_1 = λ_max(M)
    par = PC.precondition_parameters(
        mu_H=1.0, beta_H=pc.beta_H, k=7, alpha=0, eps=0.01, delta=0.1,
        lambda_max_H=pc.lambda_max_H, phi_1=pc.phi_1(w_star),
    )  # fmt: skip
    runs, L = 20, _L(n, cov)
    W = np.zeros((runs, 4))
    for _ in range(par["T"]):
        X = rng.standard_normal((runs, n)) @ L.T
        Xi = X[:, idx]  # runs x k x r
        y = np.maximum(Xi @ w_star, 0).mean(1)
        f = np.maximum(np.einsum("sir,sr->si", Xi, W), 0).mean(1)
        W += par["eta"] * (y - f)[:, None] * (Xi.sum(1) @ pc.H)
    err = ((W - w_star) ** 2).sum(1)
    failures = int(np.sum(err > 0.01))
    assert binom.sf(failures - 1, runs, 0.1) > 1e-3, failures
    assert err.max() < 1e-6  # the bound is loose: the runs are far below ε


# ---------------------------------------------------------------------------------------------
# thm-precond-plugin
# ---------------------------------------------------------------------------------------------
@pytest.mark.claim("thm-precond-plugin")
def test_plugin_inequalities_on_estimated_M() -> None:
    """For M̂ from a few samples: μ_H = ℓ, β_H ≤ u²β_*, ρ_H ≤ uρ_*,
    λ_max(H)Φ_1 ≤ (u/ℓ) λ_max(M⁻¹)Φ_1*."""
    n, idx, cov = 16, np.array(STRIDE_16_4_2), "ar1:0.9"
    rng = np.random.default_rng(1)
    star = PC.preconditioned_constants(n, idx, "exact", cov=cov, noise=0.4)
    L = _L(n, cov)
    w_star = rng.standard_normal(4)
    for m in (20, 60, 400):
        PX = (rng.standard_normal((m, n)) @ L.T) @ sum(_Ps(n, idx)).T
        M_hat = PX.T @ PX / m
        ell, u = PC.plugin_range(star.M, M_hat)
        pc = PC.preconditioned_constants(n, idx, np.linalg.inv(M_hat), cov=cov, noise=0.4)
        assert pc.mu_H == pytest.approx(ell, rel=1e-9)
        assert pc.beta_H <= PC.PLUGIN_BETA(u=u, beta_star=star.beta_H) * (1 + 1e-9)
        assert pc.rho_H <= u * star.rho_H * (1 + 1e-9)
        assert pc.lambda_max_H * pc.phi_1(w_star) <= (u / ell) * star.lambda_max_H * star.phi_1(
            w_star
        ) * (1 + 1e-9)
        eta = PC.PLUGIN_ETA(alpha=0, ell=ell, k=7, u=u, beta_star=star.beta_H)
        # the rate constant 2/(η a_H) of thm-precond is the price times the whitened one's
        # (equality, as μ_H = ℓ): a price 10% off fails
        rate = 2 / (eta * PC.A_H(alpha=0, mu_H=pc.mu_H, k=7))
        whitened_rate = 4 * star.beta_H / PC.A_WHITENED(alpha=0, k=7) ** 2
        assert rate == pytest.approx(PC.PLUGIN_PRICE(u=u, ell=ell) * whitened_rate, rel=1e-9)
        assert eta <= PC.ETA_PRECOND_REALIZABLE(
            a_H=PC.A_H(alpha=0, mu_H=pc.mu_H, k=7), beta_H=pc.beta_H
        )


@pytest.mark.claim("thm-precond-plugin")
def test_plugin_gaussian_range_covers_with_probability_1_minus_delta() -> None:
    """2,000 estimates M̂ from m = 200 Gaussian samples: the range holds in ≥ 1 − δ' of them."""
    n, idx, cov = 16, np.array(STRIDE_16_4_2), "ar1:0.9"
    rng = np.random.default_rng(2)
    M = PC.overlap_float(n, idx, cov)
    Lq = np.linalg.cholesky(M)  # q = Px ~ N(0, M) for Gaussian x
    m, dp, reps = 200, 0.2, 2000
    ell, u = PC.plugin_range_gaussian(4, m, dp)
    misses = 0
    for _ in range(reps):
        Qs = rng.standard_normal((m, 4)) @ Lq.T
        lo, hi = PC.plugin_range(M, Qs.T @ Qs / m)
        misses += not (ell <= lo and hi <= u)
    assert binom.sf(misses - 1, reps, dp) > 1e-3, misses


@pytest.mark.claim("thm-precond-plugin")
def test_plugin_sample_counts_invert_the_ranges() -> None:
    for r, price, dp in ((4, 2.0, 0.01), (9, 10.0, 0.05), (16, 1.5, 0.001)):
        m = PC.plugin_samples(r, price, dp)
        lo, hi = PC.plugin_range_gaussian(r, m, dp)
        assert (hi / lo) ** 2 <= price * (1 + 1e-12)
        lo1, hi1 = PC.plugin_range_gaussian(r, m - 1, dp)
        assert (hi1 / lo1) ** 2 > price  # the count is the smallest the formula allows
        R = 3.0 * 16
        mb = PC.plugin_samples(r, price, dp, R=R)
        g = (math.sqrt(price) - 1) / (math.sqrt(price) + 1)
        f_lo = g + (1 - g) * math.log(1 - g)  # −ln of Tropp's lower factor
        f_hi = (1 + g) * math.log(1 + g) - g  # −ln of the upper factor
        assert f_lo > f_hi > 0
        assert r * (math.exp(-f_lo * mb / R) + math.exp(-f_hi * mb / R)) <= dp
        assert 2 * r * math.exp(-f_hi * (mb - 1) / R) > dp
        assert ((1 + g) / (1 - g)) ** 2 == pytest.approx(price, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def test_errors_name_the_rule_and_the_fix() -> None:
    with pytest.raises(
        TheoryError, match=r"H must be symmetric .*got max \|H − Hᵀ\| = 1.*\(H \+ Hᵀ\)/2"
    ):
        PC.preconditioned_constants(8, STRIDE_8_4_2, np.triu(np.ones((4, 4))))
    with pytest.raises(TheoryError, match=r"H must be positive definite; got lambda_min\(H\) = -1"):
        PC.preconditioned_constants(8, STRIDE_8_4_2, -np.eye(4))
    with pytest.raises(TheoryError, match=r"H must be r x r = 4 x 4 .*got shape \(3, 3\)"):
        PC.preconditioned_second_moment_matrix(8, STRIDE_8_4_2, np.eye(3))
    with pytest.raises(TheoryError, match=r"'identity' or 'exact' \(M⁻¹\); got 'plugin'"):
        PC.rho_preconditioned(8, STRIDE_8_4_2, "plugin", noise=1.0)
    with pytest.raises(HypothesisFailed, match=r"H = M⁻¹ needs lambda_min\(M\) > 0") as info:
        PC.preconditioned_constants(4, [[0, 1], [0, 1]], "exact", cov=("diag", [1, 0, 1, 1]))
    assert info.value.claim == "thm-precond"
    with pytest.raises(TheoryError, match=r"m = 10 samples give gamma = .* >= 1.*Pass m >= 28"):
        PC.plugin_range_gaussian(4, 10, 0.01)
    with pytest.raises(TheoryError, match=r"target_price .* must be > 1; got 1"):
        PC.plugin_samples(4, 1, 0.01)
    with pytest.raises(TheoryError, match=r"beta_H must be positive"):
        PC.precondition_parameters(
            mu_H=1, beta_H=0, k=7, alpha=0, eps=0.1, delta=0.1, lambda_max_H=1, phi_1=1
        )
