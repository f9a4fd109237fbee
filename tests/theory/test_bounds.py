"""Invariants of convotron_theory.bounds: symbolic identities, numeric = exact, admissible β,
errors.

Oracles: exact Isserlis sums over four indices (Gaussian), exhaustive enumeration over sign
vectors (Rademacher), and a Monte Carlo estimate with a CLT tolerance. None of them uses the
closed forms under test.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from convotron_theory import HypothesisFailed, TheoryError
from convotron_theory import notation as N
from convotron_theory.bounds import (
    ALL_BOUNDS,
    BETA_BOUNDED,
    BETA_FOURTH,
    BETA_GAUSSIAN,
    BETA_GAUSSIAN_IDENTITY,
    BETA_GAUSSIAN_STRIDE,
    DISJOINT_A,
    DISJOINT_BETA,
    DISJOINT_ETA,
    DISJOINT_T,
    ETA_NOISY,
    ETA_REALIZABLE,
    ONE_STEP_FACTOR,
    ONE_STEP_FACTOR_BOUND,
    SAMPLES,
    T_1D_INSTANTIATED,
    T_NOISY,
    T_NOISY_CONTINUOUS,
    T_REALIZABLE,
    T_REALIZABLE_CONTINUOUS,
    THEOREM_CURVE,
    A,
    Bound,
)
from convotron_theory.instantiate import (
    disjoint_parameters,
    gaussian_norm_product_moment,
    theorem_parameters,
)
from tests.budget import examples
from tests.reference import stride_indices


# ----------------------------------------------------------------------------------- helpers
def p_sum(n: int, indices: np.ndarray) -> np.ndarray:
    P = np.zeros((indices.shape[1], n))
    for row in indices:
        P[np.arange(len(row)), row] += 1
    return P


def patch_ops(n: int, indices: np.ndarray) -> list[np.ndarray]:
    ops = []
    for row in indices:
        Pi = np.zeros((len(row), n))
        Pi[np.arange(len(row)), row] = 1
        ops.append(Pi)
    return ops


def isserlis_norm_product(Sigma: sp.Matrix, Q: sp.Matrix) -> sp.Expr:
    """E[(xᵀx)(xᵀQx)] for x ~ N(0, Σ) by summing Isserlis' four-index formula (exact)."""
    n = Sigma.shape[0]
    total = sp.Integer(0)
    for a, b, c in itertools.product(range(n), repeat=3):
        if Q[b, c] == 0:
            continue
        m4 = Sigma[a, a] * Sigma[b, c] + 2 * Sigma[a, b] * Sigma[a, c]
        total += Q[b, c] * m4
    return total


def second_moment_operator_gaussian(Sigma: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """K with uᵀKu = (1/k) Σ_i E[(uᵀP_i x)² ‖Px‖²], x ~ N(0, Σ), via E[xxᵀ xᵀQx] (Isserlis)."""
    n = Sigma.shape[0]
    P = p_sum(n, indices)
    Q = P.T @ P
    inner = Sigma * np.trace(Q @ Sigma) + 2 * Sigma @ Q @ Sigma
    ops = patch_ops(n, indices)
    return sum(Pi @ inner @ Pi.T for Pi in ops) / len(ops)


def second_moment_operator_rademacher(indices: np.ndarray, n: int) -> np.ndarray:
    """The same K for Rademacher x by exhaustive enumeration of the 2ⁿ sign vectors."""
    P = p_sum(n, indices)
    X = np.array(list(itertools.product((-1.0, 1.0), repeat=n)))
    px2 = ((X @ P.T) ** 2).sum(axis=1)
    K = np.zeros((indices.shape[1],) * 2)
    for row in indices:
        Z = X[:, row]
        K += (Z * px2[:, None]).T @ Z / len(X)
    return K / len(indices)


positive = st.fractions(min_value=Fraction(1, 50), max_value=50)


# ------------------------------------------------------------------------- structure of bounds
def test_every_bound_is_tagged_and_built_once() -> None:
    for b in ALL_BOUNDS.values():
        assert b.provenance.startswith(("[paper]", "[derived]")), b.name
        assert set(b.names) == {s.name for s in b.expr.free_symbols}
        assert callable(b.func)
        assert b.latex().startswith(b.lhs)
    assert SAMPLES.provenance.startswith("[paper]")
    derived = [b for b in ALL_BOUNDS.values() if b is not SAMPLES]
    assert all(b.provenance.startswith("[derived]") for b in derived)


def test_main_theorem_constants_say_they_are_the_explicit_constant_version() -> None:
    for b in (ETA_REALIZABLE, T_REALIZABLE, ETA_NOISY, T_NOISY, THEOREM_CURVE):
        assert "explicit-constant version of GKM18's main theorem" in b.provenance


def test_bound_rejects_untagged_provenance() -> None:
    with pytest.raises(TheoryError, match=r"provenance must start with '\[paper\]'"):
        Bound("x", "thm-convotron", "derived somewhere", N.a, "x")


def test_latex_uses_book_names() -> None:
    assert r"\lambda_{\min}" in A.latex()
    assert A.latex().startswith("a = ")
    assert r"\ln" in T_REALIZABLE.latex()
    assert r"\lceil" in T_REALIZABLE.latex()
    assert THEOREM_CURVE.latex().startswith(r"\mathbb{E}\|w_{t+1} - w^*\|^2 \le")


# ------------------------------------------------------------------------ symbolic identities
@pytest.mark.claim("lem-one-step")
def test_factor_bound_holds_for_every_admissible_step() -> None:
    """1 − ηa + η²β ≤ 1 − ηa/2 for η = s·a/(2β), 0 < s ≤ 1 (write s = 1/(1+v), v ≥ 0)."""
    v = sp.Symbol("v", nonnegative=True)
    eta = N.a / (2 * N.beta * (1 + v))
    diff = sp.factor((ONE_STEP_FACTOR.expr - ONE_STEP_FACTOR_BOUND.expr).subs(N.eta, eta))
    assert diff.is_nonpositive
    at_max = (ONE_STEP_FACTOR.expr - ONE_STEP_FACTOR_BOUND.expr).subs(N.eta, ETA_REALIZABLE.expr)
    assert sp.simplify(at_max) == 0


def test_one_minus_x_below_exp_minus_x() -> None:
    """1 − x ≤ e^{−x} for x ≥ 0: g = e^{−x} − 1 + x has g(0) = 0 and g' = 1 − e^{−x} ≥ 0."""
    x = sp.Symbol("x", nonnegative=True)
    g = sp.exp(-x) - 1 + x
    assert g.subs(x, 0) == 0
    y = sp.Symbol("y", nonnegative=True)  # x = ln(1 + y) ranges over x >= 0
    derivative = sp.diff(g, x).subs(x, sp.log(1 + y))
    assert sp.simplify(derivative).is_nonnegative


@pytest.mark.claim("cor-realizable")
def test_realizable_T_makes_first_term_eps_delta() -> None:
    """exp(−ηaT/2)‖w*‖² = εδ exactly at η = a/(2β), T = (4β/a²) ln(‖w*‖²/(εδ))."""
    e = sp.exp(-ETA_REALIZABLE.expr * N.a * T_REALIZABLE_CONTINUOUS.expr / 2) * N.w_norm**2
    assert sp.simplify(e - N.epsilon * N.delta) == 0


@pytest.mark.claim("cor-noisy")
def test_noisy_choice_makes_each_term_at_most_half_eps_delta() -> None:
    """Both branches of the min/max give exp(−ηaT/2)‖w*‖² = εδ/2, and 2ηρ/a ≤ εδ/2."""
    log2 = sp.log(2 * N.w_norm**2 / (N.epsilon * N.delta))
    branches = [
        (N.a / (2 * N.beta), 4 * N.beta / N.a**2 * log2),
        (
            N.epsilon * N.delta * N.a / (4 * N.rho),
            8 * N.rho / (N.epsilon * N.delta * N.a**2) * log2,
        ),
    ]
    for eta, T in branches:
        first = sp.exp(-eta * N.a * T / 2) * N.w_norm**2
        assert sp.simplify(first - N.epsilon * N.delta / 2) == 0
    eta_small = N.epsilon * N.delta * N.a / (4 * N.rho)
    assert sp.simplify(2 * eta_small * N.rho / N.a - N.epsilon * N.delta / 2) == 0
    # the objects are the min of the two steps and the max of the two iteration counts
    assert ETA_NOISY.expr == sp.Min(*(b[0] for b in branches))
    assert (
        sp.simplify(T_NOISY_CONTINUOUS.expr - sp.Max(*(b[1] / log2 for b in branches)) * log2) == 0
    )


@pytest.mark.claim("thm-convotron")
@given(
    a=st.floats(1e-3, 5.0),
    ratio=st.floats(0.25, 50.0),
    rho=st.floats(0.0, 10.0),
    eps=st.floats(1e-4, 0.5),
    delta=st.floats(1e-3, 1.0),
    w_norm=st.floats(0.05, 20.0),
)
def test_curve_at_T_is_at_most_eps_delta(a, ratio, rho, eps, delta, w_norm) -> None:
    """The theorem's curve at the computed T is ≤ εδ (Markov then gives the (ε, δ) claim).

    β ≥ a²/4 for every admissible β (Cauchy-Schwarz on L3 and L4), so β = ratio·a² with
    ratio ≥ 1/4. A failure means T or η is too small for the curve to reach εδ.
    """
    beta = ratio * a**2
    if rho == 0:
        eta = ETA_REALIZABLE(a=a, beta=beta)
        T = T_REALIZABLE(a=a, beta=beta, w_norm=w_norm, epsilon=eps, delta=delta)
    else:
        eta = ETA_NOISY(a=a, beta=beta, rho=rho, epsilon=eps, delta=delta)
        T = T_NOISY(a=a, beta=beta, rho=rho, w_norm=w_norm, epsilon=eps, delta=delta)
    assert isinstance(T, int) and T >= 1
    # the claim, evaluated stably: (1 − x)^T with x = ηa/2 tiny loses digits in 1 − x
    x = eta * a / 2
    assert 0 < x <= 1 + 1e-12  # β ≥ a²/4 and η ≤ a/(2β) give ηa/2 ≤ a²/(4β) ≤ 1
    first = 0.0 if x >= 1 else math.exp(T * math.log1p(-x)) * w_norm**2
    assert first + 2 * eta * rho / a <= eps * delta * (1 + 1e-12)
    # the Bound object evaluates the same curve
    value = THEOREM_CURVE(a=a, eta=eta, rho=rho, t=T, w_norm=w_norm)
    assert value == pytest.approx(first + 2 * eta * rho / a, rel=1e-9, abs=1e-14 * w_norm**2)
    if rho > 0:
        assert 2 * eta * rho / a <= eps * delta / 2 * (1 + 1e-12)


def test_T_is_an_integer_at_least_one() -> None:
    T = T_REALIZABLE(a=1.0, beta=1.0, w_norm=0.01, epsilon=0.5, delta=1.0)  # log < 0
    assert T == 1 and isinstance(T, int)
    T = T_REALIZABLE(a=1.0, beta=1.0, w_norm=1.0, epsilon=0.01, delta=0.1)
    assert T == math.ceil(4 * math.log(1000))
    assert SAMPLES(T=T) == T


def test_noisy_formulas_with_zero_noise_reduce_to_the_realizable_step() -> None:
    assert ETA_NOISY(a=0.3, beta=2.0, rho=0.0, epsilon=0.1, delta=0.1) == pytest.approx(0.3 / 4)
    assert T_NOISY(a=0.3, beta=2.0, rho=0.0, w_norm=1, epsilon=0.1, delta=0.1) == math.ceil(
        4 * 2.0 / 0.09 * math.log(2 / 0.01)
    )


def test_numeric_forms_equal_the_displayed_expressions() -> None:
    """numeric_expr (used for floats only) equals expr: with 1 − ηa/2 = y > 0 both are yᵗ."""
    y = sp.Symbol("y", positive=True)
    for b in ALL_BOUNDS.values():
        if b.numeric_expr is None:
            continue
        sub = {N.eta: 2 * (1 - y) / N.a}
        diff = b.numeric_expr.rewrite(sp.log).subs(sub) - b.expr.subs(sub)
        assert sp.simplify(diff) == 0, b.name


def test_curve_is_accurate_for_tiny_steps() -> None:
    """(1 − x)^t with x = 1e-12 and t = 1e12 is e^{-1} to 12 digits (naive float: ~1e-4 off)."""
    value = THEOREM_CURVE(a=1.0, eta=2e-12, rho=0.0, t=10**12, w_norm=1.0)
    assert value == pytest.approx(math.exp(-1), rel=1e-9)


def test_curve_is_vectorised_over_t() -> None:
    t = np.arange(5)
    values = THEOREM_CURVE(a=0.5, eta=0.1, rho=0.0, t=t, w_norm=2.0)
    np.testing.assert_allclose(values, 4.0 * (1 - 0.025) ** t)


# --------------------------------------------------------------- numeric = exact substitution
@examples(0.375)  # each example substitutes into all the bounds exactly
@given(data=st.data())
def test_lambdified_equals_exact_substitution(data) -> None:
    """For every bound and rational values in range, func(values) = float(subs(values))."""
    for b in ALL_BOUNDS.values():
        values = {}
        for s in b.symbols:
            if s.is_integer:
                values[s.name] = data.draw(st.integers(1 if s.is_positive else 0, 40))
            elif s.name in ("alpha", "delta"):
                values[s.name] = data.draw(st.fractions(Fraction(1, 100), 1))
            elif s.is_positive:
                values[s.name] = data.draw(positive)
            else:
                values[s.name] = data.draw(st.fractions(0, 50))
        if b.name.startswith("T_noisy") or b.name == "eta_noisy":
            values["rho"] = data.draw(positive)
        numeric = b(**values)
        exact = b.subs(**values)
        assert exact.free_symbols == set()
        if b.is_integer:
            assert isinstance(numeric, int)
            ceilings = b.expr.atoms(sp.ceiling)
            if ceilings:
                inner = next(iter(ceilings)).args[0]
                exact_values = {s: sp.Rational(values[s.name]) for s in b.symbols}
                cont = float(sp.N(inner.subs(exact_values), 30))
                if abs(cont - round(cont)) < 1e-9 * max(1.0, abs(cont)):
                    continue  # float rounding at an exact integer is not a disagreement
            assert numeric == int(exact)
        else:
            assert numeric == pytest.approx(float(exact), rel=1e-12, abs=1e-300)


def test_subs_is_exact_and_partial() -> None:
    assert A.subs(alpha=Fraction(1, 2), lambda_min=1, k=3) == sp.Rational(1, 2)
    partial = ETA_REALIZABLE.subs(beta=2)
    assert partial == N.a / 4
    assert BETA_GAUSSIAN_STRIDE.subs(r=4, k=7, lambda_max_PPT=13) == 54
    assert BETA_GAUSSIAN_IDENTITY.subs(tr_PPT=28, lambda_max_PPT=13) == 54


# --------------------------------------------------------------------------- input validation
def test_missing_value_is_named() -> None:
    with pytest.raises(TheoryError, match=r"eta_realizable: missing value\(s\) for beta"):
        ETA_REALIZABLE(a=1.0)


def test_unknown_value_is_named() -> None:
    with pytest.raises(TheoryError, match=r"unknown value\(s\) gamma; this bound depends on a"):
        ETA_REALIZABLE(a=1.0, beta=1.0, gamma=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.5, "lambda_min": 1, "k": 2}, r"alpha must be at most 1; got 1.5"),
        ({"alpha": -0.1, "lambda_min": 1, "k": 2}, r"alpha must be nonnegative \(alpha >= 0\)"),
        ({"alpha": 0, "lambda_min": 1, "k": 2.5}, r"k must be an integer; got 2.5"),
        ({"alpha": 0, "lambda_min": 0, "k": 2}, r"lambda_min must be positive \(lambda_min > 0\)"),
        ({"alpha": 0, "lambda_min": float("nan"), "k": 2}, r"lambda_min must be finite; got nan"),
        ({"alpha": "0", "lambda_min": 1, "k": 2}, r"alpha must be a real number; got '0'"),
    ],
)
def test_out_of_range_values_are_rejected(kwargs, message) -> None:
    with pytest.raises(TheoryError, match=message):
        A(**kwargs)


def test_delta_above_one_is_rejected() -> None:
    with pytest.raises(TheoryError, match=r"delta must be at most 1; got 2"):
        T_REALIZABLE(a=1.0, beta=1.0, w_norm=1.0, epsilon=0.1, delta=2)


# ------------------------------------------------------------------------ theorem_parameters
BASE = dict(lambda_min=1.0, lambda_max=13.0, tr_M=28.0, k=7, r=4, alpha=0.0, eps=0.01, delta=0.1)


def test_theorem_parameters_known_scheme() -> None:
    """n=16, r=4, d=2 (k=7), Σ = I: λ_min = 1, λ_max = 13, tr M = rk = 28, β = 28 + 26."""
    p = theorem_parameters(**BASE, w_norm=1.0, beta_rule="gaussian", lambda_max_Sigma=1.0)
    assert p["a"] == pytest.approx(1 / 7)
    assert p["beta"] == pytest.approx(54.0)
    assert p["eta"] == pytest.approx((1 / 7) / 108)
    assert p["T"] == math.ceil(4 * 54 * 49 * math.log(1000))
    assert p["samples"] == p["T"] and p["realizable"] and p["rho"] == 0
    q = theorem_parameters(
        **BASE, w_norm=1.0, beta_rule="gaussian-identity", lambda_max_PPT=13.0, tr_PPT=28.0
    )
    assert q["beta"] == p["beta"]
    q = theorem_parameters(**BASE, w_norm=1.0, beta_rule="gaussian-stride", lambda_max_PPT=13.0)
    assert q["beta"] == p["beta"]
    e = theorem_parameters(**BASE, w_norm=1.0, lambda_max_K=246 / 7)  # default: exact
    assert e["beta_rule"] == "exact" and e["beta"] == pytest.approx(246 / 7)
    assert p["formulas"]["eta"] == ETA_REALIZABLE.latex()


def test_theorem_parameters_noisy_uses_noisy_formulas() -> None:
    p = theorem_parameters(
        **BASE, w_norm=1.0, beta_rule="gaussian", lambda_max_Sigma=1.0, varsigma=0.1
    )
    assert p["rho"] == pytest.approx(0.01 * 28)
    assert not p["realizable"] and p["T_bound"] is T_NOISY
    assert p["eta"] == pytest.approx(min((1 / 7) / 108, 0.001 * (1 / 7) / (4 * 0.28)))
    g = theorem_parameters(
        **BASE, w_norm=1.0, beta_rule="gaussian", lambda_max_Sigma=1.0, xi_moment=0.28
    )
    assert g["rho_rule"] == "general" and g["T"] == p["T"]


def test_theorem_parameters_bounded_and_fourth() -> None:
    p = theorem_parameters(
        **BASE, w_norm=1.0, beta_rule="bounded", lambda_max_PPT=13.0, B=4.0, lambda_max_Sigma=1.0
    )
    assert p["beta"] == pytest.approx(13 * 16)
    q = theorem_parameters(
        **BASE, w_norm=1.0, beta_rule="fourth-moment", lambda_max_PPT=13.0, E_x4=256.0
    )
    assert q["beta"] == pytest.approx(13 * 256)


def test_theorem_parameters_rejects_zero_lambda_min_citing_the_theorem() -> None:
    kwargs = {**BASE, "lambda_min": 0.0}
    with pytest.raises(
        HypothesisFailed, match=r"lambda_min\(P Σ Pᵀ\) must be positive .*thm-convotron.*got 0"
    ) as info:
        theorem_parameters(**kwargs, w_norm=1.0, lambda_max_Sigma=1.0)
    assert info.value.claim == "thm-convotron"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"beta_rule": "laplace"}, r"beta_rule must be one of \['bounded', .*got 'laplace'"),
        (
            {"beta_rule": "bounded", "lambda_max_PPT": 13.0},
            r"B is required for beta_rule='bounded'; got None",
        ),
        ({"lambda_max_Sigma": None}, r"lambda_max_Sigma is required for beta_rule='gaussian'"),
        (
            {"lambda_max_Sigma": 1.0, "varsigma": 0.1, "xi_moment": 1.0},
            r"either varsigma .* or xi_moment",
        ),
        ({"lambda_max_Sigma": 1.0, "eps": 0.0}, r"eps must be positive \(eps > 0\); got 0.0"),
        ({"lambda_max_Sigma": 1.0, "lambda_max": 0.5}, r"lambda_max must be >= lambda_min"),
    ],
)
def test_theorem_parameters_errors(extra, message) -> None:
    kwargs = {**BASE, "w_norm": 1.0, **extra}
    with pytest.raises(TheoryError, match=message):
        theorem_parameters(**kwargs)


# -------------------------------------------------------------------------- admissible β
@pytest.mark.claim("lem-beta")
@pytest.mark.parametrize(("n", "r", "d"), [(8, 3, 1), (9, 3, 2), (10, 4, 3), (12, 4, 4)])
def test_gaussian_beta_is_admissible(n, r, d) -> None:
    """λ_max(K) ≤ β for x ~ N(0, Σ) (identity and a random Σ), K from Isserlis."""
    rng = np.random.default_rng(n * 100 + r * 10 + d)
    idx = stride_indices(n, r, d)
    P = p_sum(n, idx)
    G = rng.standard_normal((n, n))
    for Sigma in (np.eye(n), G @ G.T / n + 0.1 * np.eye(n)):
        M = P @ Sigma @ P.T
        K = second_moment_operator_gaussian(Sigma, idx)
        beta = BETA_GAUSSIAN(
            lambda_max_Sigma=np.linalg.eigvalsh(Sigma)[-1],
            tr_M=np.trace(M),
            lambda_max=np.linalg.eigvalsh(M)[-1],
        )
        assert np.linalg.eigvalsh(K)[-1] <= beta * (1 + 1e-12)
    beta_id = BETA_GAUSSIAN_IDENTITY(
        tr_PPT=np.trace(P @ P.T), lambda_max_PPT=np.linalg.eigvalsh(P @ P.T)[-1]
    )
    assert np.linalg.eigvalsh(second_moment_operator_gaussian(np.eye(n), idx))[-1] <= beta_id * (
        1 + 1e-12
    )


@pytest.mark.claim("lem-beta")
@pytest.mark.parametrize(("n", "r", "d"), [(6, 3, 1), (8, 3, 2), (9, 4, 1)])
def test_bounded_and_fourth_moment_beta_are_admissible_for_rademacher(n, r, d) -> None:
    """Rademacher x (Σ = I, ‖x‖² = n): K by enumerating all 2ⁿ sign vectors."""
    idx = stride_indices(n, r, d)
    P = p_sum(n, idx)
    lmax_ppt = np.linalg.eigvalsh(P @ P.T)[-1]
    top = np.linalg.eigvalsh(second_moment_operator_rademacher(idx, n))[-1]
    assert top <= BETA_BOUNDED(lambda_max_PPT=lmax_ppt, B=math.sqrt(n), lambda_max_Sigma=1) * (
        1 + 1e-12
    )
    assert top <= BETA_FOURTH(lambda_max_PPT=lmax_ppt, E_x4=n**2) * (1 + 1e-12)


# ------------------------------------------------------------------- E[‖x‖²‖Px‖²] (Gaussian)
@pytest.mark.parametrize(("n", "r", "d"), [(5, 2, 1), (6, 3, 1), (7, 3, 2)])
def test_gaussian_norm_product_moment_identity_exact(n, r, d) -> None:
    """Isserlis summed index by index gives (n+2)rk for Σ = I, as the closed form."""
    idx = stride_indices(n, r, d)
    k = idx.shape[0]
    P = sp.Matrix(p_sum(n, idx).astype(int))
    exact = isserlis_norm_product(sp.eye(n), P.T * P)
    assert exact == (n + 2) * r * k
    assert gaussian_norm_product_moment(n, r * k, r * k) == (n + 2) * r * k


def test_gaussian_norm_product_moment_general_sigma_exact() -> None:
    n, idx = 5, stride_indices(5, 2, 1)
    rng = np.random.default_rng(3)
    L = sp.Matrix(rng.integers(-2, 3, size=(n, n)).tolist())
    Sigma = L * L.T + sp.eye(n)
    P = sp.Matrix(p_sum(n, idx).astype(int))
    exact = isserlis_norm_product(Sigma, P.T * P)
    closed = gaussian_norm_product_moment(
        float(Sigma.trace()), float((P * Sigma * P.T).trace()), float((P * Sigma**2 * P.T).trace())
    )
    assert closed == pytest.approx(float(exact), rel=1e-12)


def test_gaussian_norm_product_moment_monte_carlo(rng) -> None:
    """A sample mean within 5 standard errors of (n+2)rk (CLT; fails with prob. < 1e-6)."""
    n, r, d = 6, 3, 1
    idx = stride_indices(n, r, d)
    P = p_sum(n, idx)
    X = rng.standard_normal((200_000, n))
    vals = (X**2).sum(1) * ((X @ P.T) ** 2).sum(1)
    se = vals.std(ddof=1) / math.sqrt(len(vals))
    assert abs(vals.mean() - (n + 2) * r * idx.shape[0]) < 5 * se


# ---------------------------------------------------------------------- disjoint patch, 1D
@pytest.mark.claim("thm-disjoint")
def test_disjoint_constants_are_the_general_formulas_at_a1_beta1() -> None:
    sub = {N.a: DISJOINT_A.expr, N.beta: DISJOINT_BETA.expr}
    assert sp.simplify(ETA_REALIZABLE.expr.subs(sub) - DISJOINT_ETA.expr) == 0
    assert sp.simplify(T_REALIZABLE.expr.subs(sub) - DISJOINT_T.expr) == 0
    p = disjoint_parameters(k=4, r=3, alpha=0.5, eps=0.01, delta=0.1, w_norm=1.0)
    assert p["eta"] == pytest.approx(1.5 / (2 * 14))
    assert p["beta"] == pytest.approx(3.5) and p["beta_rule"] == "disjoint"


@pytest.mark.claim("thm-disjoint")
def test_disjoint_beta_is_exact_for_gaussian_identity() -> None:
    """Updating along P_1 only: K = (1/k) Σ_i P_i (r I + 2 P_1ᵀP_1) P_iᵀ = (r + 2/k) I."""
    n = 11
    idx = np.array([[0, 1, 2], [3, 4, 5], [5, 6, 7], [8, 9, 10]])  # patch 0 disjoint
    ops = patch_ops(n, idx)
    Q = ops[0].T @ ops[0]
    inner = np.eye(n) * np.trace(Q) + 2 * Q
    K = sum(Pi @ inner @ Pi.T for Pi in ops) / len(ops)
    np.testing.assert_allclose(K, DISJOINT_BETA(r=3, k=4) * np.eye(3), atol=1e-12)


@pytest.mark.claim("cor-1d-instantiated")
@pytest.mark.parametrize(
    ("n", "r", "d"), [(16, 4, 2), (20, 4, 1), (30, 6, 4), (64, 8, 2), (25, 5, 5)]
)
def test_instantiated_1d_bound_dominates_the_realizable_T(n, r, d) -> None:
    idx = stride_indices(n, r, d)
    k = idx.shape[0]
    assert k >= math.ceil(r / d)
    P = p_sum(n, idx)
    ev = np.linalg.eigvalsh(P @ P.T)
    a = A(alpha=0.25, lambda_min=ev[0], k=k)
    beta = BETA_GAUSSIAN_STRIDE(r=r, k=k, lambda_max_PPT=ev[-1])
    common = dict(w_norm=1.0, epsilon=0.01, delta=0.1)
    T = T_REALIZABLE_CONTINUOUS(a=a, beta=beta, **common)
    assert T <= T_1D_INSTANTIATED(alpha=0.25, k=k, r=r, d=d, **common)


@pytest.mark.claim("cor-1d-instantiated")
def test_instantiated_1d_bound_carries_its_condition() -> None:
    """εδ < ‖w*‖² is the condition; otherwise T = 1 suffices (w_1 = 0 is already ε-close)."""
    v = dict(alpha=0.0, k=7, r=4, d=2)
    assert T_1D_INSTANTIATED(**v, w_norm=1.0, epsilon=2.0, delta=0.5) == 1
    assert T_1D_INSTANTIATED(**v, w_norm=1.0, epsilon=1.0, delta=1.0) == 1
    inside = T_1D_INSTANTIATED(**v, w_norm=1.0, epsilon=0.01, delta=0.1)
    assert inside == pytest.approx(16 * 343 * 8 * math.log(1000), rel=1e-12)
