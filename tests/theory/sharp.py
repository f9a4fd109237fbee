"""Sharp checks of every :class:`convotron_theory.bounds.Bound`: each fails if its constant is 10%
off.

A check compares a bound with an *independently computed exact* value (Rademacher
enumeration over all sign vectors, Isserlis summed over index quadruples), or with an exact
identity of the proof that pins it down (η = a/(2β) makes L5's factor equal to 1 − ηa/2;
T is the smallest integer with e^{−a²T/(4β)}‖w*‖² ≤ εδ; ...). Upper bounds (the closed-form
β rules, the instantiated 1D bound) are checked on a family where they are admissible
(``≥`` the exact value) *and* on an instance where they are attained (``=``), so scaling
them by 1.1 or 0.9 fails one of the two.

:data:`SHARP_CHECKS` maps each bound's name to its check ``check(bound)``, which raises
``AssertionError`` on a wrong constant. ``tests/theory/test_sharp_checks.py`` runs each on the
real bounds and on hand-made mutants (mutmut does not mutate module-level declarations).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from convotron_theory import bounds as TB
from convotron_theory import second_moment as SM

REL = 1e-9

STRIDE_8_4_2 = [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]
COUNTER = [[0, 1, 2, 3], [0, 1, 4, 5], [6, 7, 2, 3]]
TWINS = [[0, 1], [0, 1]]
ADMISSIBLE_SCHEMES = [
    (8, STRIDE_8_4_2),
    (8, COUNTER),
    (4, TWINS),
    (6, [[0, 1, 2], [1, 2, 3], [3, 4, 5]]),
    (5, [[0, 1], [1, 2], [2, 3], [3, 4]]),
    (3, [[0, 1, 2]]),
    (6, [[0, 1], [1, 0], [2, 3], [4, 5]]),
]


def _close(x: float, y: float, what: str) -> None:
    assert math.isclose(float(x), float(y), rel_tol=REL, abs_tol=1e-12), f"{what}: {x} != {y}"


def _P(n: int, idx) -> list[np.ndarray]:
    idx = np.asarray(idx)
    out = []
    for row in idx:
        Pi = np.zeros((idx.shape[1], n))
        Pi[np.arange(idx.shape[1]), row] = 1.0
        out.append(Pi)
    return out


def _signs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def _isserlis_K(n: int, idx, Sigma: np.ndarray, only: int | None = None) -> np.ndarray:
    """(1/k) Σ_i E[P_i x xᵀ P_iᵀ ‖Qx‖²] for x ~ N(0, Σ), brute force; Q = P, or P_only."""
    Ps = _P(n, idx)
    Q = Ps[only] if only is not None else sum(Ps)
    W = Q.T @ Q
    E = np.trace(Sigma @ W) * Sigma + 2 * Sigma @ W @ Sigma  # E[x xᵀ xᵀWx], Isserlis
    return sum(Pi @ E @ Pi.T for Pi in Ps) / len(Ps)


def q_fourth_moment(B: np.ndarray, kappa: float) -> np.ndarray:
    """E[q_a q_b q_c q_d] for q = Bz, z iid standardised with E z⁴ = κ (Isserlis + (κ−3) term)."""
    M = B @ B.T
    return (
        np.einsum("ab,cd->abcd", M, M)
        + np.einsum("ac,bd->abcd", M, M)
        + np.einsum("ad,bc->abcd", M, M)
        + (kappa - 3.0) * np.einsum("aj,bj,cj,dj->abcd", B, B, B, B)
    )


def _lmax(K: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(K)[-1])


def _enum_K(n: int, idx) -> np.ndarray:
    """K for Rademacher x by enumeration of all 2ⁿ sign vectors."""
    X = _signs(n)
    Ps = _P(n, idx)
    P = sum(Ps)
    w = np.einsum("mr,mr->m", X @ P.T, X @ P.T)
    return sum((X @ Pi.T).T @ ((X @ Pi.T) * w[:, None]) for Pi in Ps) / (len(Ps) * len(X))


def _enum_drift(n: int, idx, alpha: float, only: int | None = None) -> np.ndarray:
    """D with E[G | w = 0] = D w*, Rademacher x, leaky ReLU, by enumeration (exact)."""
    X = _signs(n)
    Ps = _P(n, idx)
    r = Ps[0].shape[0]
    Q = Ps[only] if only is not None else sum(Ps)
    D = np.zeros((r, r))
    for j in range(r):
        ws = np.eye(r)[j]
        pre = np.stack([X @ Pi.T @ ws for Pi in Ps], axis=1)
        y = np.mean(np.where(pre > 0, pre, alpha * pre), axis=1)
        D[:, j] = np.mean(y[:, None] * (X @ Q.T), axis=0)
    return D


# -- β rules ------------------------------------------------------------------------------------
def check_beta_exact(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        _close(
            b(lambda_max_K=_lmax(SM.second_moment_matrix(n, idx))),
            _lmax(_isserlis_K(n, idx, np.eye(n))),
            "exact β (Gaussian)",
        )
        _close(
            b(lambda_max_K=_lmax(SM.second_moment_matrix(n, idx, "identity", 1))),
            _lmax(_enum_K(n, idx)),
            "exact β (Rademacher)",
        )


def _ppt(n, idx):
    P = sum(_P(n, idx))
    G = P @ P.T
    return float(np.trace(G)), _lmax(G)


def check_beta_gaussian(b: TB.Bound) -> None:
    rng = np.random.default_rng(0)
    for n, idx in ADMISSIBLE_SCHEMES:
        G = rng.standard_normal((n, n))
        for Sigma in (np.eye(n), G @ G.T / n + 0.2 * np.eye(n), 2.5 * np.eye(n)):
            P = sum(_P(n, idx))
            M = P @ Sigma @ P.T
            beta = b(lambda_max_Sigma=_lmax(Sigma), tr_M=np.trace(M), lambda_max=_lmax(M))
            assert beta >= _lmax(_isserlis_K(n, idx, Sigma)) * (1 - REL), (
                "Gaussian β below λ_max(K)"
            )
    # attained: one patch reading all n = r coordinates, Σ = cI: K = c²(r + 2) I
    n, c = 3, 2.5
    _close(
        b(lambda_max_Sigma=c, tr_M=c * n, lambda_max=c),
        _lmax(_isserlis_K(n, [[0, 1, 2]], c * np.eye(n))),
        "Gaussian β attained",
    )


def check_beta_gaussian_identity(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        tr, lm = _ppt(n, idx)
        assert b(tr_PPT=tr, lambda_max_PPT=lm) >= _lmax(_isserlis_K(n, idx, np.eye(n))) * (1 - REL)
    _close(b(tr_PPT=3, lambda_max_PPT=1), _lmax(_isserlis_K(3, [[0, 1, 2]], np.eye(3))), "attained")


def check_beta_gaussian_stride(b: TB.Bound) -> None:
    for n, r, d in ((8, 4, 2), (16, 4, 2), (9, 3, 3), (7, 3, 1), (10, 4, 3)):
        k = (n - r) // d + 1
        idx = [[i * d + j for j in range(r)] for i in range(k)]
        tr, lm = _ppt(n, idx)
        assert tr == r * k  # the rule's hypothesis
        assert b(r=r, k=k, lambda_max_PPT=lm) >= _lmax(_isserlis_K(n, idx, np.eye(n))) * (1 - REL)
    _close(b(r=3, k=1, lambda_max_PPT=1), _lmax(_isserlis_K(3, [[0, 1, 2]], np.eye(3))), "attained")


def check_beta_bounded(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        _, lm = _ppt(n, idx)
        assert b(lambda_max_PPT=lm, B=math.sqrt(n), lambda_max_Sigma=1) >= _lmax(
            _enum_K(n, idx)
        ) * (1 - REL)
    # attained: one coordinate, Rademacher: K = E x⁴ = 1 = B²
    _close(
        b(lambda_max_PPT=1, B=1, lambda_max_Sigma=1), _lmax(_enum_K(1, [[0]])), "bounded β attained"
    )


def check_beta_fourth(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        _, lm = _ppt(n, idx)
        assert b(lambda_max_PPT=lm, E_x4=n * (n + 2)) >= _lmax(_isserlis_K(n, idx, np.eye(n))) * (
            1 - REL
        )
    _close(
        b(lambda_max_PPT=1, E_x4=3), _lmax(_isserlis_K(1, [[0]], np.eye(1))), "fourth β attained"
    )


# -- ρ ------------------------------------------------------------------------------------------
def _enum_norm_product(n: int, idx) -> float:
    X = _signs(n)
    P = sum(_P(n, idx))
    return float(np.mean(np.einsum("mj,mj->m", X, X) * np.einsum("mr,mr->m", X @ P.T, X @ P.T)))


def check_rho_independent(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        P = sum(_P(n, idx))
        X = _signs(n)
        exact = 0.09 * float(np.mean(np.einsum("mr,mr->m", X @ P.T, X @ P.T)))  # E ξ² E‖Px‖²
        _close(b(varsigma=0.3, tr_M=np.trace(P @ P.T)), exact, "independent ρ")


def check_rho_hetero(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        # Rademacher x: ρ = ς² E[‖x‖²‖Px‖²]/n by enumeration
        _close(
            b(varsigma=0.5, E_x2_Px2=SM.norm_product_moment(n, idx, "identity", 1), tr_Sigma=n),
            0.25 * _enum_norm_product(n, idx) / n,
            "hetero ρ",
        )


def check_rho_hetero_gaussian(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES:
        P = sum(_P(n, idx))
        Q = P.T @ P
        T = np.eye(n)
        exact = float(np.trace(T) * np.trace(Q @ T) + 2 * np.trace(Q @ T @ T))  # Isserlis
        _close(
            b(varsigma=1.0, tr_Sigma=n, tr_M=np.trace(Q), tr_PSigma2PT=np.trace(Q)),
            exact / n,
            "hetero Gaussian ρ",
        )
    _close(b(varsigma=1.0, tr_Sigma=8, tr_M=20, tr_PSigma2PT=20), 25.0, "hetero ρ counterexample")
    _close(b(varsigma=1.0, tr_Sigma=4, tr_M=8, tr_PSigma2PT=8), 12.0, "hetero ρ twins")


def check_rho_general(b: TB.Bound) -> None:
    _close(b(xi_moment=SM.rho_exact(8, COUNTER, noise=("hetero", 1.0))), 25.0, "general ρ")


# -- drift --------------------------------------------------------------------------------------
def check_a(b: TB.Bound) -> None:
    for n, idx in ADMISSIBLE_SCHEMES[:5]:
        for alpha in (0.0, 0.5, 1.0):
            D = _enum_drift(n, idx, alpha)
            _close(
                b(alpha=alpha, lambda_min=float(np.linalg.eigvalsh(_ppt_M(n, idx))[0]), k=len(idx)),
                2 * float(np.linalg.eigvalsh((D + D.T) / 2)[0]),
                "a = 2 λ_min(drift)",
            )


def _ppt_M(n, idx):
    P = sum(_P(n, idx))
    return P @ P.T


# -- step size, iterations, curve ---------------------------------------------------------------
_CASES = [dict(a=1 / 7, beta=246 / 7), dict(a=0.5, beta=3.0), dict(a=2.0, beta=5.5)]


def check_eta_realizable(b: TB.Bound) -> None:
    for c in _CASES:
        eta = b(**c)
        # the proof's identity: at η = a/(2β) L5's factor is exactly 1 − ηa/2
        _close(1 - eta * c["a"] + eta**2 * c["beta"], 1 - eta * c["a"] / 2, "η = a/(2β)")


def _T_minimal(T: float, c: dict, w2: float, ed: float, rounded: bool) -> None:
    rate = c["a"] ** 2 / (4 * c["beta"])
    assert math.exp(-rate * T) * w2 <= ed * (1 + REL), "T too small"
    if rounded:
        assert math.exp(-rate * (T - 1)) * w2 > ed, "T not the smallest integer"
    else:
        _close(math.exp(-rate * T) * w2, ed, "continuous T")


def check_T_realizable_continuous(b: TB.Bound) -> None:
    for c in _CASES:
        T = b(**c, w_norm=1.5, epsilon=0.01, delta=0.1)
        _T_minimal(T, c, 2.25, 0.001, rounded=False)


def check_T_realizable(b: TB.Bound) -> None:
    for c in _CASES:
        T = b(**c, w_norm=1.5, epsilon=0.01, delta=0.1)
        _T_minimal(T, c, 2.25, 0.001, rounded=True)
    assert b(a=1.0, beta=1.0, w_norm=0.1, epsilon=1.0, delta=1.0) == 1


def check_eta_noisy(b: TB.Bound) -> None:
    for c in _CASES:
        for rho in (1e-6, 0.1, 10.0):
            eta = b(**c, rho=rho, epsilon=0.01, delta=0.1)
            _close(eta, min(c["a"] / (2 * c["beta"]), 0.001 * c["a"] / (4 * rho)), "η noisy")
            assert 2 * eta * rho / c["a"] <= 0.001 / 2 * (1 + REL)  # the noise floor ≤ εδ/2
            assert 1 - eta * c["a"] + eta**2 * c["beta"] <= 1 - eta * c["a"] / 2 + 1e-15


def _noisy_T_ok(T: float, c: dict, rho: float, rounded: bool) -> None:
    ed, w2 = 0.001, 2.25
    eta = min(c["a"] / (2 * c["beta"]), ed * c["a"] / (4 * rho))
    lhs = math.exp(-eta * c["a"] / 2 * T) * w2
    assert lhs <= ed / 2 * (1 + REL), "noisy T too small"
    if rounded:
        assert math.exp(-eta * c["a"] / 2 * (T - 1)) * w2 > ed / 2, "noisy T not minimal"
    else:
        _close(lhs, ed / 2, "noisy continuous T")


def check_T_noisy_continuous(b: TB.Bound) -> None:
    for c in _CASES:
        for rho in (1e-6, 0.1, 10.0):
            _noisy_T_ok(b(**c, rho=rho, w_norm=1.5, epsilon=0.01, delta=0.1), c, rho, False)


def check_T_noisy(b: TB.Bound) -> None:
    for c in _CASES:
        for rho in (1e-6, 0.1, 10.0):
            _noisy_T_ok(b(**c, rho=rho, w_norm=1.5, epsilon=0.01, delta=0.1), c, rho, True)
    # 2‖w*‖² <= εδ: the guarantee holds at once; T is floored at 1 (one sample is drawn)
    assert b(a=1.0, beta=1.0, rho=0.1, w_norm=0.1, epsilon=1.0, delta=1.0) == 1


def check_samples(b: TB.Bound) -> None:
    for T in (1, 7, 12345):
        assert b(T=T) == T


def check_one_step_factor(b: TB.Bound) -> None:
    # exact in the scalar case: r = n = k = 1, α = 1, Gaussian x: Δ' = (1 − ηx²)Δ,
    # E(1 − ηx²)² = 1 − 2η + 3η², a = 2, β = λ_max(K) = 3
    for eta in (0.05, 0.2, 0.5):
        _close(b(eta=eta, a=2.0, beta=3.0), 1 - 2 * eta + 3 * eta**2, "L5 factor (scalar, exact)")


def check_one_step_factor_bound(b: TB.Bound) -> None:
    for c in _CASES:
        eta = c["a"] / (2 * c["beta"])
        _close(b(eta=eta, a=c["a"]), 1 - eta * c["a"] + eta**2 * c["beta"], "factor bound attained")


def check_theorem_curve(b: TB.Bound) -> None:
    # the solution u_t of u_{t+1} = q u_t + η²ρ, u_0 = ‖w*‖², q = 1 − ηa/2, is the curve minus
    # (2ηρ/a) qᵗ: so the curve is the L5 recursion's bound with its exact floor 2ηρ/a
    eta, a, rho, w = 0.01, 0.5, 2.0, 1.5
    q = 1 - eta * a / 2
    u = w**2
    for t in range(0, 200):
        _close(
            b(t=t, eta=eta, a=a, rho=rho, w_norm=w), u + 2 * eta * rho / a * q**t, f"curve at t={t}"
        )
        u = q * u + eta**2 * rho


# -- disjoint patch -----------------------------------------------------------------------------
DISJ_N, DISJ = 11, [[0, 1, 2], [3, 4, 5], [5, 6, 7], [8, 9, 10]]


def check_disjoint_beta(b: TB.Bound) -> None:
    _close(b(r=3, k=4), _lmax(_isserlis_K(DISJ_N, DISJ, np.eye(DISJ_N), only=0)), "β_1")


def check_disjoint_rho(b: TB.Bound) -> None:
    _close(b(varsigma=0.5, r=3), 0.25 * 3, "ρ_1 = ς² E‖P_1x‖²")


def check_disjoint_a(b: TB.Bound) -> None:
    n, idx = 7, [[0, 1], [2, 3], [3, 4], [5, 6]]
    for alpha in (0.0, 0.5, 1.0):
        D = _enum_drift(n, idx, alpha, only=0)
        _close(b(alpha=alpha, k=4), 2 * float(np.linalg.eigvalsh((D + D.T) / 2)[0]), "a_1")


def check_disjoint_eta(b: TB.Bound) -> None:
    for alpha, k, r in ((0.0, 4, 3), (1.0, 2, 5)):
        eta = b(alpha=alpha, k=k, r=r)
        a1, b1 = (1 + alpha) / k, r + 2 / k
        _close(1 - eta * a1 + eta**2 * b1, 1 - eta * a1 / 2, "η_1 = a_1/(2β_1)")


def check_disjoint_T(b: TB.Bound) -> None:
    for alpha, k, r in ((0.0, 4, 3), (1.0, 2, 5)):
        c = dict(a=(1 + alpha) / k, beta=r + 2 / k)
        T = b(alpha=alpha, k=k, r=r, w_norm=1.5, epsilon=0.01, delta=0.1)
        _T_minimal(T, c, 2.25, 0.001, rounded=True)
    assert b(alpha=0.0, k=2, r=3, w_norm=0.1, epsilon=1.0, delta=1.0) == 1  # floored at 1


def check_T_1d_instantiated(b: TB.Bound) -> None:
    common = dict(w_norm=1.0, epsilon=0.01, delta=0.1)
    for n, r, d in ((16, 4, 2), (20, 4, 1), (30, 6, 4), (25, 5, 5)):
        k = (n - r) // d + 1
        P = sum(_P(n, [[i * d + j for j in range(r)] for i in range(k)]))
        ev = np.linalg.eigvalsh(P @ P.T)
        for alpha in (0.0, 1.0):
            T = TB.T_REALIZABLE_CONTINUOUS(
                a=(1 + alpha) * ev[0] / k, beta=r * k + 2 * ev[-1], **common
            )
            assert T <= b(alpha=alpha, k=k, r=r, d=d, **common) * (1 + REL)
    # attained at the lemmas' worst case λ_min = 1/2, λ_max = k⌈r/d⌉ (k = 3, r = 4, d = 2)
    worst = TB.T_REALIZABLE_CONTINUOUS(a=0.5 / 3, beta=12 + 2 * 6, **common)
    _close(b(alpha=0.0, k=3, r=4, d=2, **common), worst, "instantiated bound at the lemma's ends")
    assert b(alpha=0.0, k=3, r=4, d=2, w_norm=1.0, epsilon=2.0, delta=0.5) == 1


SHARP_CHECKS: dict[str, Callable[[TB.Bound], None]] = {
    "a": check_a,
    "beta_exact": check_beta_exact,
    "beta_gaussian": check_beta_gaussian,
    "beta_gaussian_identity": check_beta_gaussian_identity,
    "beta_gaussian_stride": check_beta_gaussian_stride,
    "beta_bounded": check_beta_bounded,
    "beta_fourth": check_beta_fourth,
    "rho_independent": check_rho_independent,
    "rho_hetero": check_rho_hetero,
    "rho_hetero_gaussian": check_rho_hetero_gaussian,
    "rho_general": check_rho_general,
    "eta_realizable": check_eta_realizable,
    "T_realizable_continuous": check_T_realizable_continuous,
    "T_realizable": check_T_realizable,
    "eta_noisy": check_eta_noisy,
    "T_noisy_continuous": check_T_noisy_continuous,
    "T_noisy": check_T_noisy,
    "samples": check_samples,
    "one_step_factor": check_one_step_factor,
    "one_step_factor_bound": check_one_step_factor_bound,
    "theorem_curve": check_theorem_curve,
    "disjoint_beta": check_disjoint_beta,
    "disjoint_rho": check_disjoint_rho,
    "disjoint_a": check_disjoint_a,
    "disjoint_eta": check_disjoint_eta,
    "disjoint_T": check_disjoint_T,
    "T_1d_instantiated": check_T_1d_instantiated,
}
