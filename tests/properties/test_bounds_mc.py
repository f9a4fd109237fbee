"""Monte Carlo checks of the admissible ``β``, ``ρ`` and the one-step inequality (spec §3-4).

The constants come from :func:`convotron.glue.parameters.theorem_parameters` (the theory's
:class:`theory.bounds.Bound` objects evaluated on the scheme), the expectations from fresh
samples of the core's :class:`convotron.problem.Teacher`. One-sided CLT tolerance of ``Z = 5``
standard errors (:mod:`tests.properties.strategies`): a failure means the bound is not an
upper bound for this law/scheme (a wrong constant, or a wrong update), not bad luck.

- ``lem-beta`` [derived]: ``(1/k) Σ_i E[(uᵀP_i x)² ‖Px‖²] ≤ β ‖u‖²``;
- ``lem-second-moment`` (L4) [derived]: ``E[‖G‖² | w] ≤ β ‖Δ‖² + ρ``;
- ``lem-one-step`` (L5) [derived]: ``E‖Δ + ηG‖² ≤ (1 − ηa + η²β) ‖Δ‖² + η²ρ`` at the
  theorem's ``η``, estimated with many samples at a fixed ``w_t``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given

from convotron.glue.parameters import theorem_parameters
from convotron.model import predict
from convotron.problem import Teacher
from tests.budget import examples

from .strategies import assert_clt_below, bridge_teachers, seeds

# the glue that joins the two halves; these tests run once it exists


M_SAMPLES = 20_000


def _params(teacher: Teacher):
    tp = theorem_parameters(
        teacher.problem,
        eps=0.1,
        delta=0.1,
        w_norm=max(float(np.linalg.norm(teacher.w_star)), 1e-3),
    )
    assume(tp.applies)
    return tp


def _draw(teacher: Teacher, seed: int):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(teacher.scheme.r) * rng.uniform(0.0, 1.5)
    X, y = teacher.sample(rng, M_SAMPLES)
    PiX = teacher.scheme.patches(X)  # (m, k, r)
    return rng, w, X, y, PiX


def _updates(teacher: Teacher, w, X, y, PiX):
    """Convotron's update directions ``G = (y - f_w(x)) Σ_i P_i x``, one row per sample."""
    return (y - predict(w, X, teacher.scheme, teacher.alpha))[:, None] * PiX.sum(axis=1)


@pytest.mark.claim("lem-beta")
@given(bridge_teachers(), seeds())
@examples(0.75)
def test_beta_is_admissible(teacher: Teacher, seed: int) -> None:
    tp = _params(teacher)
    rng, _, _, _, PiX = _draw(teacher, seed)
    u = rng.standard_normal(teacher.scheme.r)
    norm_px2 = np.einsum("mr,mr->m", PiX.sum(axis=1), PiX.sum(axis=1))
    values = np.mean((PiX @ u) ** 2, axis=1) * norm_px2
    assert_clt_below(values, tp.beta * float(u @ u), f"beta ({tp.beta_rule}) for {teacher!r}")


@pytest.mark.claim("lem-second-moment")
@given(bridge_teachers(), seeds())
@examples(0.75)
def test_second_moment_bound(teacher: Teacher, seed: int) -> None:
    tp = _params(teacher)
    _, w, X, y, PiX = _draw(teacher, seed)
    delta = w - teacher.w_star
    G = _updates(teacher, w, X, y, PiX)
    bound = tp.beta * float(delta @ delta) + tp.rho
    assert_clt_below(np.einsum("mr,mr->m", G, G), bound, f"L4 for {teacher!r}")


@pytest.mark.claim("lem-one-step")
@given(bridge_teachers(), seeds())
@examples(0.75)
def test_one_step_inequality(teacher: Teacher, seed: int) -> None:
    tp = _params(teacher)
    _, w, X, y, PiX = _draw(teacher, seed)
    delta = w - teacher.w_star
    eta = tp.eta
    G = _updates(teacher, w, X, y, PiX)
    nxt = delta[None, :] + eta * G
    bound = (1 - eta * tp.a + eta**2 * tp.beta) * float(delta @ delta) + eta**2 * tp.rho
    assert 1 - eta * tp.a + eta**2 * tp.beta <= 1 - eta * tp.a / 2 + 1e-15  # η ≤ a/(2β)
    assert_clt_below(np.einsum("mr,mr->m", nxt, nxt), bound, f"L5 for {teacher!r}")
