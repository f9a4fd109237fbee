"""Tests added for the survivors of `make mutation` in theory/second_moment.py and its helpers.

Each compares with a computation written here independently of the code under test (the
closed form of lem-exact-k from a factor ``L`` built in the test, the fourth-moment tensor of
``q = Px``, hand-computed factors) or pins an error path by its full message. They cover what
the property tests reach only by chance: κ = 4 on every covariance kind, a zero covariance
(ρ = 0 must not divide by tr Σ = 0), the boundaries of the input checks and of ``record``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from convotron_theory import second_moment as SM
from convotron_theory._errors import TheoryError

from .sharp import _P, COUNTER, STRIDE_8_4_2, q_fourth_moment

N6 = 6
IDX6 = [[0, 1, 2], [2, 3, 4], [5, 1, 3]]  # overlapping patches, a coordinate read twice


def _ar1_sigma(n: int, rho: float) -> np.ndarray:
    return rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))


def _dense_sigma(n: int) -> np.ndarray:
    G = np.random.default_rng(7).standard_normal((n, n))
    return G @ G.T + 0.5 * np.eye(n)


def _covs(n: int) -> list[tuple[object, np.ndarray]]:
    """(cov as the code reads it, a factor L with LLᵀ = Σ built here)."""
    d = np.linspace(0.5, 2.0, n)
    S = _dense_sigma(n)
    Lc = np.linalg.qr(np.random.default_rng(3).standard_normal((n, n)))[0] @ np.diag(d)
    return [
        ("identity", np.eye(n)),
        (None, np.eye(n)),
        (("diag", d), np.diag(np.sqrt(d))),
        ("ar1:0.6", np.linalg.cholesky(_ar1_sigma(n, 0.6))),
        (("ar1", -0.5), np.linalg.cholesky(_ar1_sigma(n, -0.5))),
        (S, np.linalg.cholesky(S)),
        (("chol", Lc), Lc),  # a factor that is not triangular
    ]


def _K_formula(n: int, idx, L: np.ndarray, kappa: float) -> np.ndarray:
    """K = (1/k) Σ_i P_i L (tr(G) I + 2G + (κ−3) diag(G)) Lᵀ P_iᵀ, G = Lᵀ PᵀP L."""
    Ps = _P(n, idx)
    P = sum(Ps)
    G = L.T @ P.T @ P @ L
    H = np.trace(G) * np.eye(n) + 2 * G + (kappa - 3) * np.diag(np.diag(G))
    return sum(Pi @ L @ H @ L.T @ Pi.T for Pi in Ps) / len(Ps)


def _norm_product_formula(n: int, idx, L: np.ndarray, kappa: float) -> float:
    P = sum(_P(n, idx))
    D = L.T @ L
    C = L.T @ P.T @ P @ L
    return float(
        np.trace(D) * np.trace(C) + 2 * np.trace(D @ C) + (kappa - 3) * np.diag(D) @ np.diag(C)
    )


def _mse_tensor(n: int, idx, L: np.ndarray, kappa: float, eta: float, level: float, w, T: int):
    """tr S_t, t = 0..T, batch 1, independent noise: S ↦ E[(I − η/k qqᵀ)S(·)ᵀ] + η²ς²M."""
    Ps = _P(n, idx)
    k = len(Ps)
    B = sum(Ps) @ L
    M = B @ B.T
    Tq = q_fourth_moment(B, kappa)
    S = np.outer(w, w)
    out = [np.trace(S)]
    for _ in range(T):
        E4 = np.einsum("acdb,cd->ab", Tq, S)
        S = S - eta / k * (M @ S + S @ M) + (eta / k) ** 2 * E4 + eta**2 * level**2 * M
        out.append(np.trace(S))
    return np.array(out)


def _raises(message: str, f, *args, **kwargs) -> None:
    with pytest.raises(TheoryError) as exc:
        f(*args, **kwargs)
    assert str(exc.value) == message


# -- K and E[‖x‖²‖Px‖²] for κ ≠ 1, 3 on every covariance kind ------------------------------------
@pytest.mark.parametrize("kappa", [4.0, 3.0, 1.0])
def test_K_and_norm_product_on_every_kind(kappa) -> None:
    for cov, L in _covs(N6):
        expected = _K_formula(N6, IDX6, L, kappa)
        K = SM.second_moment_matrix(N6, IDX6, cov, kappa)
        np.testing.assert_allclose(K, expected, rtol=1e-11, atol=1e-11 * np.abs(expected).max())
        npm = SM.norm_product_moment(N6, IDX6, cov, kappa)
        assert npm == pytest.approx(_norm_product_formula(N6, IDX6, L, kappa), rel=1e-11)


def test_exact_diag_and_factor_entries() -> None:
    """Exact entries (fractions) of a diagonal Σ or of L read as numbers."""
    d = [Fraction(1, 2), Fraction(3, 2), 2, 1, Fraction(5, 4), 3]
    L = np.diag(np.sqrt(np.array(d, dtype=float)))
    np.testing.assert_allclose(
        SM.second_moment_matrix(N6, IDX6, ("diag", d), 4.0), _K_formula(N6, IDX6, L, 4.0)
    )
    Lf = [[Fraction(int(i >= j), 1 + i + j) for j in range(N6)] for i in range(N6)]
    Lnum = np.array(Lf, dtype=float)
    np.testing.assert_allclose(
        SM.second_moment_matrix(N6, IDX6, ("chol", Lf), 4.0), _K_formula(N6, IDX6, Lnum, 4.0)
    )


def test_sympy_with_sigma_given() -> None:
    S = sp.Matrix([[2, 1, 0], [1, 2, 1], [0, 1, 2]])
    idx = [[0, 1], [1, 2]]
    L = np.linalg.cholesky(np.array(S, dtype=float))
    K = SM.second_moment_matrix_exact(3, idx, Sigma=S, kappa=4)
    np.testing.assert_allclose(np.array(K, dtype=float), _K_formula(3, idx, L, 4.0), rtol=1e-12)
    npm = SM.norm_product_moment_exact(3, idx, Sigma=S, kappa=4)
    assert float(npm) == pytest.approx(_norm_product_formula(3, idx, L, 4.0), rel=1e-12)


def test_sympy_with_a_symbolic_sigma() -> None:
    """Gaussian K depends on Σ only: (1/k) Σ_i [tr(PΣPᵀ) P_iΣP_iᵀ + 2 P_iΣPᵀPΣP_iᵀ]."""
    a, b, c = sp.symbols("a b c")  # no assumptions: a conjugating factorisation would show
    S = sp.Matrix([[a, b], [b, c]])
    idx = [[0, 1], [1, 0]]
    Ps = [sp.Matrix(Pi) for Pi in _P(2, idx)]
    P = Ps[0] + Ps[1]
    expected = sum(
        ((P * S * P.T).trace() * Pi * S * Pi.T + 2 * Pi * S * P.T * P * S * Pi.T for Pi in Ps),
        sp.zeros(2, 2),
    ) / len(Ps)
    K = SM.second_moment_matrix_exact(2, idx, Sigma=S, kappa=3)
    assert (K - expected).applyfunc(sp.simplify) == sp.zeros(2, 2)


def test_beta_exact_of_a_sympy_matrix() -> None:
    assert SM.beta_exact(sp.Matrix([[2, 1], [1, 2]])) == pytest.approx(3.0, rel=1e-15)


def test_cholesky_factor_exact_entries_and_indefinite() -> None:
    S = [[Fraction(4), Fraction(2)], [Fraction(2), Fraction(5)]]
    np.testing.assert_allclose(SM.cholesky_factor(S), [[2.0, 0.0], [1.0, 2.0]], rtol=1e-15)
    # indefinite: the negative eigenvalue is clipped to 0 (the PSD part is diag(4, 0))
    L = SM.cholesky_factor(np.diag([4.0, -1.0]))
    np.testing.assert_allclose(L @ L.T, np.diag([4.0, 0.0]), atol=1e-15)


# -- a zero covariance: ρ = 0 and no noise term, never 0/0 ---------------------------------------
@pytest.mark.parametrize("noise", [None, 0, 0.0, ("hetero", 0.0), ("independent", 0.0)])
def test_zero_covariance_without_noise(noise) -> None:
    zero = ("diag", 0.0)
    assert SM.rho_exact(N6, IDX6, zero, 3, noise) == 0.0
    rec = SM.MseRecursion(N6, IDX6, zero, 4.0, eta=0.1, noise=noise)
    np.testing.assert_array_equal(rec.N, np.zeros((3, 3)))
    S = np.diag([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(rec.step(S), S)  # M = 0: nothing moves


def test_rho_independent_levels() -> None:
    for level in (1.0, 1, 0.5, -2.0):
        tr_M = float(np.trace(sum(_P(8, COUNTER)) @ sum(_P(8, COUNTER)).T))
        assert SM.rho_exact(8, COUNTER, noise=level) == pytest.approx(level**2 * tr_M)


# -- the recursion against the tensor form ---------------------------------------------------
def test_linear_mse_curve_defaults_and_every_step() -> None:
    cov, L = _covs(N6)[3]  # AR(1)
    w = np.array([1.0, -0.5, 2.0])
    expected = _mse_tensor(N6, IDX6, L, 4.0, 0.05, 0.3, w, 4)
    ts, mse = SM.linear_mse_curve(N6, IDX6, cov, 4.0, 0.05, w, 0.3, 4)
    assert list(ts) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(mse, expected, rtol=1e-12)
    _, mse_col = SM.MseRecursion(N6, IDX6, cov, 4.0, 0.05, 0.3).curve(w.reshape(3, 1), 4)
    np.testing.assert_allclose(mse_col, expected, rtol=1e-12)  # w* as a column reads flat
    ts2, mse2 = SM.linear_mse_curve(N6, IDX6, cov, 4.0, 0.05, w, 0.3, 4, np.array([[1], [4]]))
    assert ts2.tolist() == [1, 4]  # a column of times reads flat
    np.testing.assert_allclose(mse2, expected[[1, 4]], rtol=1e-12)


def test_record_period_boundaries_and_dtype() -> None:
    rec = SM.MseRecursion(8, STRIDE_8_4_2, "identity", 3, 0.02)
    w = np.ones(4)
    assert list(rec.curve(w, 3, 1)[0]) == [0, 1, 2, 3]
    assert list(rec.curve(w, 5, 2)[0]) == [0, 2, 4, 5]
    assert list(rec.curve(w, 4, 5)[0]) == [0, 4]
    for record in ([0.0, 2.0, 5.0], []):
        ts, _ = rec.curve(w, 5, record)
        assert ts.dtype == np.int64 and list(ts) == [int(t) for t in record]
    assert list(rec.curve(w, 5, [5, 5])[0]) == [5, 5]


# -- the input checks, by their full messages -----------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(n=0, indices=[[0]]),
            "n must be a positive integer; got 0. Pass the input dimension.",
        ),
        (
            dict(n=True, indices=[[0]]),
            "n must be a positive integer; got True. Pass the input dimension.",
        ),
        (
            dict(n=2.5, indices=[[0]]),
            "n must be a positive integer; got 2.5. Pass the input dimension.",
        ),
        (
            dict(n=3, indices=np.zeros((0, 2), dtype=int)),
            "indices must be a k x r array of input coordinates; got shape (0, 2). "
            "Pass one row of r indices per patch.",
        ),
        (
            dict(n=3, indices=np.zeros((2, 0), dtype=int)),
            "indices must be a k x r array of input coordinates; got shape (2, 0). "
            "Pass one row of r indices per patch.",
        ),
        (
            dict(n=3, indices=[0, 1]),
            "indices must be a k x r array of input coordinates; got shape (2,). "
            "Pass one row of r indices per patch.",
        ),
        (
            dict(n=3, indices=[[0.0, 1.0]]),
            "indices must be integers; got dtype float64. Pass integers.",
        ),
        (
            dict(n=3, indices=[[0, 3]]),
            "indices must lie in 0..n-1 = 0..2; got values in 0..3. Check n and the scheme.",
        ),
        (
            dict(n=3, indices=[[-1, 1]]),
            "indices must lie in 0..n-1 = 0..2; got values in -1..1. Check n and the scheme.",
        ),
        (
            dict(n=3, indices=[[0, 1]], kappa="cauchy"),
            "kappa must be a number >= 1 or one of ['gaussian', 'rademacher', 'uniform']; "
            "got 'cauchy'.",
        ),
        (
            dict(n=3, indices=[[0, 1]], kappa=0.5),
            "kappa must be a finite number >= 1 (E z^4 >= (E z^2)^2 = 1); got 0.5.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov="foo"),
            "cov must be 'identity', 'ar1:RHO', ('diag', d), ('ar1', rho), ('chol', L) or an "
            "n x n matrix; got 'foo'.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov=("ar1", -1.0)),
            "the AR(1) coefficient must lie in (-1, 1); got -1.0.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov="ar1:1"),
            "the AR(1) coefficient must lie in (-1, 1); got 1.0.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov=("diag", [1.0, -1.0, 1.0])),
            "a diagonal covariance must be finite and nonnegative.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov=("diag", [1.0, np.inf, 1.0])),
            "a diagonal covariance must be finite and nonnegative.",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov=("chol", np.eye(2))),
            "L must be n x n = 3 x 3; got shape (2, 2).",
        ),
        (
            dict(n=3, indices=[[0, 1]], cov=np.eye(2)),
            "a covariance matrix must be n x n = 3 x 3; got shape (2, 2).",
        ),
    ],
)
def test_input_messages(kwargs, message) -> None:
    _raises(message, SM.second_moment_matrix, **kwargs)


def test_boundary_inputs_accepted() -> None:
    # ρ just inside (−1, 1), a zero variance, κ = 1, one patch of one coordinate
    for cov, L in [
        (("ar1", -0.999), np.linalg.cholesky(_ar1_sigma(3, -0.999))),
        (("diag", [0.0, 1.0, 2.0]), np.diag(np.sqrt([0.0, 1.0, 2.0]))),
    ]:
        np.testing.assert_allclose(
            SM.second_moment_matrix(3, [[0, 2], [1, 2]], cov, 1.0),
            _K_formula(3, [[0, 2], [1, 2]], L, 1.0),
            atol=1e-12,
        )
    assert SM.second_moment_matrix(1, [[0]], "identity", 1.0)[0, 0] == pytest.approx(1.0)


def test_sympy_factor_shape_message() -> None:
    _raises(
        "L must be n x n = 3 x 3; got shape (2, 2).",
        SM.second_moment_matrix_exact,
        3,
        [[0, 1]],
        L=sp.eye(2),
    )


NOISE_MSG = "noise must be None, a level ς, ('independent', ς) or ('hetero', ς); got {}."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(eta=0.0), "eta must be a positive finite number; got 0.0."),
        (dict(eta=float("inf")), "eta must be a positive finite number; got inf."),
        (dict(batch=0), "batch must be a positive integer; got 0."),
        (dict(batch=True), "batch must be a positive integer; got True."),
        (dict(noise="loud"), NOISE_MSG.format("'loud'")),
        (dict(noise=["hetero", 0.5]), NOISE_MSG.format("['hetero', 0.5]")),
        (dict(noise=("hetero", 0.5, 9)), NOISE_MSG.format("('hetero', 0.5, 9)")),
        (dict(noise=("loud", 0.5)), NOISE_MSG.format("('loud', 0.5)")),
        (dict(noise=("hetero", -1.0)), "the noise level must be finite and >= 0; got -1.0."),
        (
            dict(noise=("independent", float("nan"))),
            "the noise level must be finite and >= 0; got nan.",
        ),
    ],
)
def test_recursion_messages(kwargs, message) -> None:
    _raises(message, SM.MseRecursion, 8, STRIDE_8_4_2, **kwargs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones(3), 5), "w_star must have r = 4 entries; got shape (3,)."),
        ((np.ones(4), -1), "T must be a nonnegative integer; got -1."),
        ((np.ones(4), 5, True), "record must be a period, a sequence of times or None; got True."),
        ((np.ones(4), 5, 0), "record must be a positive period; got 0."),
        ((np.ones(4), 5, [3, 1]), "record times must be nondecreasing and lie in 0..T."),
        ((np.ones(4), 5, [0, 6]), "record times must be nondecreasing and lie in 0..T."),
    ],
)
def test_curve_messages(args, message) -> None:
    _raises(message, SM.MseRecursion(8, STRIDE_8_4_2).curve, *args)
