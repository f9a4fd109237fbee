"""Monte Carlo checks of the lemmas behind the theorem (spec §4), with CLT tolerances.

Each test draws a problem and a numpy seed with Hypothesis, estimates an expectation from
``m`` fresh samples and compares it with the exact value (two-sided) or the bound
(one-sided) within ``Z = 5`` sample standard errors (:mod:`tests.properties.strategies`).
A failure means that the code disagrees with the claim named in the test's ``claim``
marker; with a correct implementation it happens with probability about ``6e-7`` per
coordinate.

The update studied is Convotron's, ``G = (y − f_w(x)) Σ_i P_i x`` (Algorithm 1, [paper]),
computed here from :func:`convotron.model.predict` and
:meth:`convotron.patches.PatchScheme.patches`; the algorithm module is compared with the
same formula step for step in the core's own tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convotron.activations import leaky_relu
from convotron.covariance import parse_cov
from convotron.data import Teacher, get_law
from convotron.model import predict
from convotron.patches import PatchScheme

from .strategies import (
    alphas,
    assert_clt_below,
    assert_clt_close,
    covs,
    disjoint_first_schemes,
    noises,
    schemes,
    seeds,
    symmetric_laws,
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


@pytest.mark.claim("lem-symmetric")
@given(st.integers(1, 8), alphas(), symmetric_laws(), covs(), seeds())
@settings(max_examples=40)
def test_lemma1_symmetric_identity(n: int, alpha: float, law: str, cov: str, seed: int) -> None:
    """L1 [paper, Lemma 1]: E[σ(uᵀx)(vᵀx)] = ((1+α)/2) uᵀΣv for symmetric x."""
    rng = np.random.default_rng(seed)
    C = parse_cov(cov, n)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    X = get_law(law).sample(rng, M_SAMPLES, C)
    values = leaky_relu(X @ u, alpha) * (X @ v)
    exact = (1.0 + alpha) / 2.0 * u @ C.dense() @ v
    assert_clt_close(values, exact, f"L1 with law {law}, cov {cov}, alpha {alpha}")


@pytest.mark.claim("lem-drift")
@given(schemes(), alphas(), symmetric_laws(), covs(), noises(), seeds())
@settings(max_examples=40)
def test_drift_equals_half_slope_times_M(scheme, alpha, law, cov, noise, seed) -> None:
    """L2 [derived]: E[G | w] = ((1+α)/(2k)) M (w* − w), any scheme, symmetric law, E[ξ|x]=0."""
    teacher, w, rng = _problem(scheme, alpha, law, cov, noise, seed)
    G = _updates(teacher, w, rng, M_SAMPLES)
    M = np.asarray(scheme.overlap_matrix(teacher.cov), dtype=float)
    expected = (1.0 + alpha) / (2.0 * scheme.k) * M @ (teacher.w_star - w)
    assert_clt_close(G, expected, f"drift on {scheme!r}, law {law}, cov {cov}, noise {noise}")


@pytest.mark.claim("lem-progress")
@given(schemes(), alphas(), symmetric_laws(), covs(), noises(), seeds())
@settings(max_examples=25)
def test_progress_inequality(scheme, alpha, law, cov, noise, seed) -> None:
    """L3 [derived]: E[Δᵀ G | w] ≤ −(a/2)‖Δ‖², a = (1+α)λ_min(M)/k (one-sided CLT)."""
    teacher, w, rng = _problem(scheme, alpha, law, cov, noise, seed)
    delta = w - teacher.w_star
    G = _updates(teacher, w, rng, M_SAMPLES)
    M = np.asarray(scheme.overlap_matrix(teacher.cov), dtype=float)
    a = (1.0 + alpha) * max(float(np.linalg.eigvalsh(M)[0]), 0.0) / scheme.k
    assert_clt_below(G @ delta, -(a / 2.0) * float(delta @ delta), f"progress on {scheme!r}")


@pytest.mark.claim("thm-disjoint")
@given(disjoint_first_schemes(), alphas(), noises(), seeds())
@settings(max_examples=30)
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
