"""Exact checks of :mod:`convotron_theory.second_moment` (lem-exact-k) against independent
computations.

Independent of the closed forms under test:

- Rademacher inputs (κ = 1) on small n: expectations are averages over all 2ⁿ sign vectors
  (exact, no sampling), for ``K``, ``E[‖x‖²‖Px‖²]`` and one step of the α = 1 recursion;
- Gaussian inputs: Isserlis' theorem summed brute-force over index quadruples (``einsum``
  over the n⁴ tensor of fourth moments), also with the (κ − 3) cumulant for general κ;
- the sympy exact matrices against the float ones, and the spec's numbers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory import second_moment as SM
from convotron_theory._errors import TheoryError
from tests.budget import examples

from .sharp import _P, COUNTER, STRIDE_8_4_2, TWINS, q_fourth_moment

STRIDE_16_4_2 = [[2 * i + j for j in range(4)] for i in range(7)]


def _fourth_tensor(L: np.ndarray, kappa: float) -> np.ndarray:
    """E[x_a x_b x_c x_d] for x = Lz: Isserlis pairings of Σ plus the cumulant term."""
    S = L @ L.T
    T = (
        np.einsum("ab,cd->abcd", S, S)
        + np.einsum("ac,bd->abcd", S, S)
        + np.einsum("ad,bc->abcd", S, S)
    )
    T += (kappa - 3.0) * np.einsum("aj,bj,cj,dj->abcd", L, L, L, L)
    return T


def _K_brute(n: int, idx, L: np.ndarray, kappa: float) -> np.ndarray:
    Ps = _P(n, idx)
    P = sum(Ps)
    Q = P.T @ P
    T = _fourth_tensor(L, kappa)
    E = np.einsum("abcd,cd->ab", T, Q)  # E[x xᵀ ‖Px‖²]
    return sum(Pi @ E @ Pi.T for Pi in Ps) / len(Ps)


def _signs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def _K_rademacher_enum(n: int, idx, L: np.ndarray) -> np.ndarray:
    Z = _signs(n)
    X = Z @ L.T
    Ps = _P(n, idx)
    P = sum(Ps)
    w = np.einsum("mr,mr->m", X @ P.T, X @ P.T)
    return sum((X @ Pi.T).T @ ((X @ Pi.T) * w[:, None]) for Pi in Ps) / (len(Ps) * len(Z))


@st.composite
def small_schemes(draw, max_n: int = 7):
    n = draw(st.integers(2, max_n))
    r = draw(st.integers(1, min(3, n)))
    k = draw(st.integers(1, 3))
    # distinct coordinates within a patch (the package's hypothesis P_iP_iᵀ = I); patches may
    # repeat each other or share coordinates at any position
    idx = [
        draw(st.lists(st.integers(0, n - 1), min_size=r, max_size=r, unique=True)) for _ in range(k)
    ]
    return n, idx


@st.composite
def factors(draw, n: int):
    kind = draw(st.sampled_from(("identity", "diag", "ar1", "dense")))
    if kind == "identity":
        return "identity", np.eye(n)
    if kind == "diag":
        d = np.array(draw(st.lists(st.sampled_from((0.5, 1.0, 2.0, 3.0)), min_size=n, max_size=n)))
        return ("diag", d), np.diag(np.sqrt(d))
    if kind == "ar1":
        rho = draw(st.sampled_from((0.5, -0.4, 0.8)))
        S = rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
        return f"ar1:{rho}", np.linalg.cholesky(S)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    G = rng.standard_normal((n, n))
    S = G @ G.T + 0.5 * np.eye(n)
    return S, np.linalg.cholesky(S)


# -- the spec's numbers ----------------------------------------------------------------------
@pytest.mark.claim("lem-exact-k")
@pytest.mark.parametrize(
    ("n", "idx", "kappa", "expected"),
    [
        (8, STRIDE_8_4_2, 3, sp.Integer(18)),
        (8, STRIDE_8_4_2, 1, sp.Rational(44, 3)),
        (8, STRIDE_8_4_2, sp.Rational(9, 5), sp.Integer(16)),
        (8, COUNTER, 3, sp.Integer(26)),
        (4, TWINS, 3, sp.Integer(16)),
    ],
)
def test_spec_values_exact(n, idx, kappa, expected) -> None:
    K = SM.second_moment_matrix_exact(n, idx, kappa=kappa)
    assert sp.simplify(SM.beta_exact_sympy(K) - expected) == 0
    assert SM.beta_exact(SM.second_moment_matrix(n, idx, "identity", float(kappa))) == (
        pytest.approx(float(expected), rel=1e-12)
    )


def test_spec_value_16_4_2() -> None:
    beta = SM.beta_exact(SM.second_moment_matrix(16, STRIDE_16_4_2))
    assert round(beta, 2) == 35.14
    assert beta == pytest.approx(
        float(SM.beta_exact_sympy(SM.second_moment_matrix_exact(16, STRIDE_16_4_2))), rel=1e-12
    )


def test_spec_rho_hetero_and_trace() -> None:
    # tr PPᵀ = 20 on the counterexample (not rk = 12), ρ(hetero:1) = (n+2)/n · 20 = 25
    P = sum(_P(8, COUNTER))
    assert np.trace(P @ P.T) == 20
    assert SM.rho_exact(8, COUNTER, noise=("hetero", 1.0)) == pytest.approx(25.0, rel=1e-14)
    assert SM.rho_exact(4, TWINS, noise=("hetero", 1.0)) == pytest.approx(12.0, rel=1e-14)
    assert SM.norm_product_moment_exact(8, COUNTER) == 200
    assert SM.rho_exact(8, COUNTER, noise=0.5) == pytest.approx(0.25 * 20, rel=1e-14)
    assert SM.rho_exact(8, COUNTER, noise=None) == 0.0


def test_symbolic_kappa_is_affine_and_matches() -> None:
    kappa = sp.Symbol("kappa")
    K = SM.second_moment_matrix_exact(8, STRIDE_8_4_2, kappa=kappa)
    for value in (1, sp.Rational(9, 5), 3, 7):
        Kv = K.subs(kappa, value)
        assert Kv == SM.second_moment_matrix_exact(8, STRIDE_8_4_2, kappa=value)


# -- float vs sympy vs brute force ---------------------------------------------------------------
@pytest.mark.claim("lem-exact-k")
@given(small_schemes(), st.data(), st.sampled_from((1.0, 1.8, 3.0, 6.0)))
@examples(1)
def test_K_float_equals_isserlis_brute_force(scheme, data, kappa) -> None:
    n, idx = scheme
    cov, L = data.draw(factors(n))
    K = SM.second_moment_matrix(n, idx, cov, kappa)
    expected = _K_brute(n, idx, L, kappa)
    np.testing.assert_allclose(K, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.claim("lem-exact-k")
@given(small_schemes(max_n=8), st.data())
@examples(0.625)
def test_K_equals_rademacher_enumeration(scheme, data) -> None:
    n, idx = scheme
    cov, L = data.draw(factors(n))
    K = SM.second_moment_matrix(n, idx, cov, 1.0)
    expected = _K_rademacher_enum(n, idx, L)
    np.testing.assert_allclose(K, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@given(small_schemes(), st.sampled_from((1, sp.Rational(9, 5), 3)))
@examples(0.625)
def test_K_float_equals_sympy(scheme, kappa) -> None:
    n, idx = scheme
    Ke = np.array(SM.second_moment_matrix_exact(n, idx, kappa=kappa), dtype=float)
    np.testing.assert_allclose(
        SM.second_moment_matrix(n, idx, "identity", float(kappa)), Ke, atol=1e-10
    )


@given(small_schemes(max_n=8), st.data(), st.sampled_from((1.0, 1.8, 3.0)))
@examples(0.75)
def test_norm_product_moment(scheme, data, kappa) -> None:
    n, idx = scheme
    cov, L = data.draw(factors(n))
    P = sum(_P(n, idx))
    T = _fourth_tensor(L, kappa)
    expected = float(np.einsum("aacd,cd->", T, P.T @ P))
    assert SM.norm_product_moment(n, idx, cov, kappa) == pytest.approx(expected, rel=1e-10)
    if kappa == 1.0:
        X = _signs(n) @ L.T
        enum = np.mean(np.einsum("mj,mj->m", X, X) * np.einsum("mr,mr->m", X @ P.T, X @ P.T))
        assert SM.norm_product_moment(n, idx, cov, 1.0) == pytest.approx(enum, rel=1e-10)
    exact = SM.norm_product_moment_exact(n, idx, L=sp.Matrix(L), kappa=kappa)
    assert float(exact) == pytest.approx(expected, rel=1e-9)


# -- the α = 1 recursion ---------------------------------------------------------------------
def _step_tensor(S, n, idx, L, kappa, eta, noise_level):
    """One step from the fourth-moment tensor of q = Px (independent of MseRecursion.step)."""
    Ps = _P(n, idx)
    k = len(Ps)
    P = sum(Ps)
    B = P @ L
    M = B @ B.T
    Tq = q_fourth_moment(B, kappa)
    E4 = np.einsum("acdb,cd->ab", Tq, S)  # E[q qᵀ S q qᵀ]
    return S - eta / k * (M @ S + S @ M) + (eta / k) ** 2 * E4 + eta**2 * noise_level**2 * M


@given(small_schemes(), st.data(), st.sampled_from((1.0, 3.0, 1.8, 4.0)))
@examples(0.75)
def test_mse_step_equals_tensor_form(scheme, data, kappa) -> None:
    n, idx = scheme
    cov, L = data.draw(factors(n))
    r = len(idx[0])
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    G = rng.standard_normal((r, r))
    S = G @ G.T
    rec = SM.MseRecursion(n, idx, cov, kappa, eta=0.07, noise=0.3)
    np.testing.assert_allclose(
        rec.step(S), _step_tensor(S, n, idx, L, kappa, 0.07, 0.3), rtol=1e-10, atol=1e-10
    )


def test_mse_step_equals_rademacher_enumeration() -> None:
    n, idx = 6, [[0, 1, 2], [2, 3, 4], [1, 4, 5]]
    P = sum(_P(n, idx))
    k = 3
    X = _signs(n)
    Q = X @ P.T
    eta = 0.05
    rng = np.random.default_rng(1)
    D0 = rng.standard_normal(3)
    # exact expectation over the signs of (I − η/k q qᵀ) D0, for S = D0 D0ᵀ (rank one, linear)
    nxt = D0[None, :] - eta / k * Q * (Q @ D0)[:, None]
    expected = float(np.mean(np.einsum("mr,mr->m", nxt, nxt)))
    rec = SM.MseRecursion(n, idx, "identity", 1.0, eta=eta)
    assert float(np.trace(rec.step(np.outer(D0, D0)))) == pytest.approx(expected, rel=1e-12)


def test_mse_curve_hetero_noise_term() -> None:
    # one step from S = 0 isolates η² E[ξ² q qᵀ]; its trace is η² ρ
    rec = SM.MseRecursion(8, COUNTER, "identity", 3, eta=0.1, noise=("hetero", 1.0))
    assert float(np.trace(rec.step(np.zeros((4, 4))))) == pytest.approx(0.01 * 25.0, rel=1e-13)


def test_mse_curve_records_and_batch() -> None:
    ts, mse = SM.linear_mse_curve(8, STRIDE_8_4_2, "identity", 3, 0.02, np.ones(4), None, 10, 4)
    assert list(ts) == [0, 4, 8, 10]
    assert mse[0] == 4.0 and np.all(np.diff(mse) < 0)
    # batch b: the fourth-moment term shrinks towards the deterministic gradient step
    rec = SM.MseRecursion(8, STRIDE_8_4_2, "identity", 3, eta=0.02, batch=10**9)
    S = np.outer(np.ones(4), np.ones(4))
    M = rec.M
    G = np.eye(4) - 0.02 / 3 * M
    np.testing.assert_allclose(rec.step(S), G @ S @ G.T, atol=1e-9)


@pytest.mark.parametrize(
    "bad",
    [
        dict(n=0, indices=[[0]]),
        dict(n=3, indices=[[0, 3]]),
        dict(n=3, indices=[0, 1]),
        dict(n=3, indices=[[0, 1]], kappa=0.5),
        dict(n=3, indices=[[0, 1]], cov="ar1:1.5"),
        dict(n=3, indices=[[0, 1]], cov=np.eye(2)),
        dict(n=3, indices=[[0, 1]], kappa="cauchy"),
    ],
)
def test_bad_inputs(bad) -> None:
    with pytest.raises(TheoryError):
        SM.second_moment_matrix(**bad)


# -- killing the survivors of `make mutation` -----------------------------------------------------
@given(small_schemes(), st.data(), st.sampled_from((1.0, 1.8, 3.0, 4.0)))
@examples(0.75)
def test_hetero_noise_term_and_rho_general_law(scheme, data, kappa) -> None:
    """N = E[ξ² q qᵀ] = ς²/trΣ · E[‖x‖² q qᵀ] and ρ = tr N, from the fourth-moment tensor."""
    n, idx = scheme
    cov, L = data.draw(factors(n))
    level = 0.7
    P = sum(_P(n, idx))
    T = _fourth_tensor(L, kappa)
    trS = float(np.trace(L @ L.T))
    Nb = level**2 / trS * np.einsum("ccab,pa,qb->pq", T, P, P)
    rec = SM.MseRecursion(n, idx, cov, kappa, eta=0.1, noise=("hetero", level))
    r = len(idx[0])
    np.testing.assert_allclose(rec.step(np.zeros((r, r))), 0.01 * Nb, rtol=1e-10, atol=1e-12)
    rho = SM.rho_exact(n, idx, cov, kappa, noise=("hetero", level))
    assert rho == pytest.approx(float(np.trace(Nb)), rel=1e-10)
    indep = SM.rho_exact(n, idx, cov, kappa, noise=("independent", level))
    assert indep == pytest.approx(level**2 * float(np.trace(P @ L @ L.T @ P.T)), rel=1e-10)
    assert SM.rho_exact(n, idx, cov, kappa, noise=level) == indep
    assert SM.rho_exact(n, idx, cov, kappa, noise=0.0) == 0.0
    assert SM.rho_exact(n, idx, cov, kappa, noise=("hetero", 0.0)) == 0.0


def test_defaults_are_the_standard_gaussian() -> None:
    base = SM.second_moment_matrix(8, STRIDE_8_4_2)
    np.testing.assert_array_equal(base, SM.second_moment_matrix(8, STRIDE_8_4_2, "identity", 3))
    assert SM.norm_product_moment(8, COUNTER) == 200.0
    assert SM.rho_exact(8, COUNTER) == 0.0
    rec = SM.MseRecursion(8, STRIDE_8_4_2)
    assert rec.eta == 0.01 and rec.kappa == 3.0 and rec.batch == 1
    np.testing.assert_array_equal(rec.N, np.zeros((4, 4)))
    S = np.eye(4)
    np.testing.assert_allclose(
        rec.step(S), SM.MseRecursion(8, STRIDE_8_4_2, "identity", 3, 0.01, None, 1).step(S)
    )
    assert SM.second_moment_matrix(8, STRIDE_8_4_2, kappa="gaussian")[0, 0] == base[0, 0]
    assert SM.second_moment_matrix_exact(8, STRIDE_8_4_2, kappa="rademacher") == (
        SM.second_moment_matrix_exact(8, STRIDE_8_4_2, kappa=1)
    )


def test_beta_exact_sympy_one_by_one_and_repeated_roots() -> None:
    assert SM.beta_exact_sympy(sp.Matrix([[7]])) == 7
    assert SM.beta_exact_sympy(sp.Matrix([[2, 0], [0, 2]])) == 2
    assert SM.beta_exact_sympy(sp.Matrix([[2, 1], [1, 2]])) == 3


def test_record_times() -> None:
    rec = SM.MseRecursion(8, STRIDE_8_4_2, "identity", 3, 0.02)
    w = np.ones(4)
    ts, mse = rec.curve(w, 5)
    assert list(ts) == [0, 1, 2, 3, 4, 5] and mse[0] == 4.0
    ts2, mse2 = rec.curve(w, 5, [0, 2, 2, 5])
    assert list(ts2) == [0, 2, 2, 5]
    np.testing.assert_allclose(mse2, mse[[0, 2, 2, 5]])
    ts3, _ = rec.curve(w, 6, 3)
    assert list(ts3) == [0, 3, 6]
    ts4, _ = rec.curve(w, 7, 3)
    assert list(ts4) == [0, 3, 6, 7]
    ts5, mse5 = rec.curve(w, 0)
    assert list(ts5) == [0] and mse5[0] == 4.0
    _, m1 = SM.linear_mse_curve(8, STRIDE_8_4_2, "identity", 3, 0.02, w, None, 4, 2, batch=3)
    _, m2 = SM.MseRecursion(8, STRIDE_8_4_2, "identity", 3, 0.02, None, 3).curve(w, 4, 2)
    np.testing.assert_array_equal(m1, m2)
    for bad in (0, -1, True):
        with pytest.raises(TheoryError):
            rec.curve(w, 5, bad)
    for bad in ([3, 1], [-1, 2], [0, 6]):
        with pytest.raises(TheoryError):
            rec.curve(w, 5, bad)
    for badT in (-1, 2.5, True):
        with pytest.raises(TheoryError):
            rec.curve(w, badT)
    with pytest.raises(TheoryError):
        rec.curve(np.ones(3), 5)


@pytest.mark.parametrize(
    "kwargs",
    [dict(eta=0.0), dict(eta=-1.0), dict(eta=float("inf")), dict(batch=0), dict(batch=True),
     dict(batch=1.5), dict(noise="loud"), dict(noise=("hetero", -1.0)),
     dict(noise=("independent", float("nan")))],
)  # fmt: skip
def test_recursion_bad_inputs(kwargs) -> None:
    with pytest.raises(TheoryError):
        SM.MseRecursion(8, STRIDE_8_4_2, **kwargs)


def test_batch_divides_the_noise_and_fourth_moment_terms() -> None:
    for b in (1, 4):
        rec = SM.MseRecursion(8, COUNTER, "identity", 3, eta=0.1, noise=0.5, batch=b)
        assert float(np.trace(rec.step(np.zeros((4, 4))))) == pytest.approx(0.01 * 5.0 / b)


def test_cholesky_factor_of_a_singular_covariance() -> None:
    v = np.array([1.0, 2.0, -1.0])
    S = np.outer(v, v) + np.diag([0.0, 1.0, 0.0])  # PSD, singular
    L = SM.cholesky_factor(S)
    np.testing.assert_allclose(L @ L.T, S, atol=1e-12)
    K = SM.second_moment_matrix(3, [[0, 1], [1, 2]], S, 3)
    np.testing.assert_allclose(
        K,
        np.array(SM.second_moment_matrix_exact(3, [[0, 1], [1, 2]], L=sp.Matrix(L)), float),
        atol=1e-9,
    )
