"""Monte Carlo checks of the lemmas behind the theorem (spec §4), with CLT tolerances.

Each test draws a problem and a numpy seed with Hypothesis, estimates an expectation from
``m`` fresh samples and compares it with the exact value (two-sided) or the bound
(one-sided) within ``Z = 5`` sample standard errors (:mod:`tests.properties.strategies`).
A failure means that the code disagrees with the claim named in the test's ``claim``
marker; with a correct implementation it happens with probability about ``6e-7`` per
coordinate.

The update studied is Convotron's, ``G = (y − f_w(x)) Σ_i P_i x`` (Algorithm 1, [paper]),
computed here from :func:`convotron.model.network.predict` and
:meth:`convotron.geometry.patches.PatchScheme.patches`; the algorithm module is compared with the
same formula step for step in the core's own tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convotron.testing as ct
from convotron.data.covariance import parse_cov
from convotron.geometry.patches import PatchScheme
from convotron.model.activations import leaky_relu
from convotron.model.network import predict
from convotron.model.problem import Teacher
from tests.budget import examples

from .strategies import (
    alphas,
    assert_clt_close,
    disjoint_first_schemes,
    noises,
    seeds,
)

M_SAMPLES = 20_000


def _updates(teacher: Teacher, w: np.ndarray, rng: np.random.Generator, m: int) -> np.ndarray:
    """``m`` independent Convotron updates ``G = (y − f_w(x)) Px`` at the filter ``w``."""
    X, y = teacher.sample(rng, m)
    resid = y - predict(w, X, teacher.scheme, teacher.alpha)
    PX = teacher.scheme.patches(X).sum(axis=1)
    return resid[:, None] * PX


def _problem(scheme, alpha, law, cov, noise, seed):
    rng = np.random.default_rng(seed)
    teacher = Teacher.random(
        scheme, alpha, rng, law=law, cov=parse_cov(cov, scheme.n), noise=noise, w_norm=1.0
    )
    w = rng.standard_normal(scheme.r) * rng.uniform(0.0, 1.5)
    return teacher, w, rng


def _at_random_filter(teacher: Teacher, seed: int) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(teacher.scheme.r) * rng.uniform(0.0, 1.5)
    return w, rng


@pytest.mark.claim("lem-symmetric")
@given(st.data(), st.integers(1, 8), ct.alphas(), ct.laws(symmetric_only=True), seeds())
def test_lemma1_symmetric_identity(data, n: int, alpha: float, law, seed: int) -> None:
    """L1 [paper, Lemma 1]: E[σ(uᵀx)(vᵀx)] = ((1+α)/2) uᵀΣv for symmetric x."""
    C = data.draw(ct.covariances(n))
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    X = law.sample(rng, M_SAMPLES, C)
    values = leaky_relu(X @ u, alpha) * (X @ v)
    exact = (1.0 + alpha) / 2.0 * u @ C.dense() @ v
    assert_clt_close(values, exact, f"L1 with law {law.name}, cov {C!r}, alpha {alpha}")


@pytest.mark.claim("lem-drift")
@given(ct.teachers(symmetric_only=True, structured_cov=False), seeds())
def test_drift_equals_half_slope_times_M(teacher: Teacher, seed: int) -> None:
    """L2 [derived]: E[G | w] = ((1+α)/(2k)) M (w* − w), any scheme, symmetric law, E[ξ|x]=0."""
    w, rng = _at_random_filter(teacher, seed)
    scheme, alpha = teacher.scheme, teacher.alpha
    G = _updates(teacher, w, rng, M_SAMPLES)
    M = np.asarray(scheme.overlap_matrix(teacher.cov), dtype=float)
    expected = (1.0 + alpha) / (2.0 * scheme.k) * M @ (teacher.w_star - w)
    assert_clt_close(G, expected, f"drift on {teacher!r}")


@pytest.mark.claim("lem-progress")
@given(ct.teachers(symmetric_only=True, structured_cov=False), seeds(), st.floats(0.1, 1.5))
@examples(0.625)
def test_progress_is_attained_in_the_bottom_direction(teacher: Teacher, seed: int, s) -> None:
    """L3 [derived]: E[Δᵀ G | w] ≤ −(a/2)‖Δ‖², a = (1+α)λ_min(M)/k, with equality when Δ is
    a bottom eigenvector of M (two-sided CLT: a 10% wrong a fails)."""
    _, rng = _at_random_filter(teacher, seed)
    scheme, alpha = teacher.scheme, teacher.alpha
    M = np.asarray(scheme.overlap_matrix(teacher.cov), dtype=float)
    ev, V = np.linalg.eigh(M)
    delta = s * V[:, 0]
    w = teacher.w_star + delta
    G = _updates(teacher, w, rng, M_SAMPLES)
    a = (1.0 + alpha) * ev[0] / scheme.k
    assert_clt_close(G @ delta, -(a / 2.0) * float(delta @ delta), f"progress on {teacher!r}")


@pytest.mark.claim("thm-disjoint")
@given(disjoint_first_schemes(), alphas(), noises(), seeds())
@examples(0.75)
def test_disjoint_patch_drift(nidx, alpha, noise, seed) -> None:
    """Disjoint patch [derived]: x ~ N(0, I), P_1 disjoint from the others:
    E[(y − f_w(x)) P_1 x | w] = ((1+α)/(2k)) (w* − w) whatever the other patches are."""
    n, idx = nidx
    scheme = PatchScheme.from_indices(n, idx)
    assert scheme.is_disjoint(0)
    teacher, w, rng = _problem(scheme, alpha, "gaussian", "identity", noise, seed)
    X, y = teacher.sample(rng, M_SAMPLES)
    resid = y - predict(w, X, scheme, alpha)
    G1 = resid[:, None] * X[:, idx[0]]
    expected = (1.0 + alpha) / (2.0 * scheme.k) * (teacher.w_star - w)
    assert_clt_close(G1, expected, f"disjoint-patch drift on {idx.tolist()}")
