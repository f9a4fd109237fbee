"""Monte Carlo checks of the exact second moments (lem-exact-k, lem-second-moment, lem-one-step).

Every check here is *sharp*: the sample mean is compared (two-sided, ``Z = 5`` standard
errors, :mod:`tests.properties.strategies`) with an exact value of
:mod:`convotron_theory.second_moment`, never with a loose bound, so a constant 10% off fails (the
samples are sized for a relative standard error well below 2%). The samples come from the
core's own sampler (:class:`convotron.model.problem.Teacher`), an implementation independent of the
closed forms.

- ``lem-exact-k``: ``(1/k) Σ_i E[(vᵀP_i x)² ‖Px‖²] = λ_max(K)`` for ``v`` the top
  eigenvector of ``K`` (the maximum over directions, not a few random directions);
- ``lem-second-moment``: at ``w = w*``, ``E‖G‖² = ρ`` exactly, for every noise model;
- ``lem-one-step`` (α = 1): ``E‖Δ + ηG‖² = tr(𝒯(ΔΔᵀ))``, the exact one-step map of the
  linear case (:class:`convotron_theory.second_moment.MseRecursion`).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convotron.testing as ct
from convotron.data.covariance import AR1, Diagonal, Identity
from convotron.data.laws import LAWS, NoiseModel
from convotron.model.network import predict
from convotron.model.problem import Teacher
from convotron_theory import second_moment as SM
from tests.budget import examples

from .strategies import assert_clt_close, schemes, seeds

M_SAMPLES = 200_000

#: laws with a finite eighth moment (the CLT on fourth-order products needs it)
CLT_LAWS = ("gaussian", "rademacher", "uniform", "mixture")


def cov_spec(cov) -> object:
    """The :mod:`convotron_theory.second_moment` description of a core covariance (same L)."""
    if isinstance(cov, Identity):
        return "identity"
    if isinstance(cov, AR1):
        return ("ar1", cov.rho)
    if isinstance(cov, Diagonal):
        return ("diag", np.asarray(cov.diag, dtype=float))
    # Dense, and any other class: the factor L of its transform (x = L z, LLᵀ = Σ)
    return ("chol", cov.factor())


def noise_spec(noise: NoiseModel) -> object:
    if noise.kind == "none" or noise.level == 0:
        return None
    if noise.kind == "hetero":
        return ("hetero", noise.level)
    return ("independent", float(np.sqrt(noise.variance)))


@st.composite
def teachers(draw, alpha=None):
    scheme = draw(schemes(max_n=10))
    cov = draw(ct.covariances(scheme.n))
    law = LAWS[draw(st.sampled_from(CLT_LAWS))]
    return Teacher.random(
        scheme,
        draw(ct.alphas()) if alpha is None else alpha,
        np.random.default_rng(draw(seeds())),
        law=law,
        cov=cov,
        noise=draw(ct.noise_models()),
        w_norm=draw(st.floats(0.1, 2.0)),
    )


@pytest.mark.claim("lem-exact-k")
@given(teachers(), seeds())
@examples(0.5)
def test_quadratic_form_in_the_top_direction_is_lambda_max_K(teacher: Teacher, seed) -> None:
    s = teacher.scheme
    K = SM.second_moment_matrix(s.n, s.indices, cov_spec(teacher.cov), teacher.law.fourth_moment)
    ev, V = np.linalg.eigh(K)
    v = V[:, -1]
    X, _ = teacher.sample(np.random.default_rng(seed), M_SAMPLES)
    PiX = s.patches(X)  # (m, k, r)
    px2 = np.einsum("mr,mr->m", PiX.sum(axis=1), PiX.sum(axis=1))
    values = np.mean((PiX @ v) ** 2, axis=1) * px2
    assert_clt_close(values, ev[-1], f"λ_max(K) for {teacher!r}")


@pytest.mark.claim("lem-second-moment")
@given(teachers(), seeds())
@examples(0.5)
def test_second_moment_at_the_optimum_is_rho(teacher: Teacher, seed) -> None:
    s = teacher.scheme
    rho = SM.rho_exact(
        s.n, s.indices, cov_spec(teacher.cov), teacher.law.fourth_moment, noise_spec(teacher.noise)
    )
    X, y = teacher.sample(np.random.default_rng(seed), M_SAMPLES)
    G = (y - predict(teacher.w_star, X, s, teacher.alpha))[:, None] * s.patches(X).sum(axis=1)
    values = np.einsum("mr,mr->m", G, G)
    if rho == 0.0:
        assert np.all(values == 0.0)
    else:
        assert_clt_close(values, rho, f"ρ for {teacher!r}")


@pytest.mark.claim("lem-one-step")
@pytest.mark.claim("lem-linear-mse")
@given(teachers(alpha=1.0), seeds(), st.floats(0.2, 1.0))
@examples(0.5)
def test_one_step_of_the_linear_case_is_exact(teacher: Teacher, seed, scale) -> None:
    s = teacher.scheme
    rng = np.random.default_rng(seed)
    w = teacher.w_star + rng.standard_normal(s.r)
    delta = w - teacher.w_star
    rec = SM.MseRecursion(
        s.n,
        s.indices,
        cov_spec(teacher.cov),
        teacher.law.fourth_moment,
        eta=1.0,
        noise=noise_spec(teacher.noise),
    )
    eta = scale * s.k / max(float(np.linalg.eigvalsh(rec.M)[-1]), 1e-12)  # a sizeable step
    rec.eta = eta
    X, y = teacher.sample(rng, M_SAMPLES)
    G = (y - predict(w, X, s, 1.0))[:, None] * s.patches(X).sum(axis=1)
    nxt = delta[None, :] + eta * G
    exact = float(np.trace(rec.step(np.outer(delta, delta))))
    assert_clt_close(np.einsum("mr,mr->m", nxt, nxt), exact, f"one step (α = 1) for {teacher!r}")
