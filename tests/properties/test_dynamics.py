"""Whole runs of Convotron against the theory: the exact mean recursion and the (ε, δ) claim.

- ``lem-drift`` (L2) [derived] implies that the *mean* of the iterates follows gradient
  descent on a quadratic exactly, ``E[w_{t+1}] − w* = (I − η(1+α)/(2k) M)(E[w_t] − w*)``
  from ``w_1 = 0``. Averaging ``R`` independent runs of :func:`convotron.learning.many.run_many`
  must reproduce ``w* + (I − η(1+α)/(2k) M)^t (0 − w*)`` within ``Z = 5`` standard errors per
  coordinate: a sharp, non-flaky check of the whole compiled loop against the drift.
  The disjoint-patch variant (``thm-disjoint``) has the drift ``((1+α)/(2k))(w* − w)``, so
  its mean follows ``(1 − η(1+α)/(2k))^t``.
- ``thm-convotron`` with ``cor-realizable`` / ``cor-noisy`` [derived]: runs of exactly the
  theorem's ``T`` iterations at its ``η`` end with ``‖w − w*‖² > ε`` with probability at most
  ``δ``. Checked with ``R`` runs and a one-sided exact binomial test at level ``1e-3``
  (a failure means the fraction of failed runs is significantly above ``δ``). Only on
  generated *small* problems (``T ≤ 20 000``): theorem-length runs on larger schemes are too
  long for CI and are the job of ``convotron verify``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import binomtest

import convotron.testing as ct
from convotron.geometry.patches import PatchScheme
from convotron.glue.parameters import theorem_parameters
from convotron.learning.many import run_many
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Teacher
from tests.budget import examples

from .strategies import (
    assert_clt_close,
    bridge_teachers,
    disjoint_first_schemes,
    seeds,
    stride_1d_params,
)

# the glue that joins the two halves; these tests run once it exists


RUNS_MEAN = 300
MAX_T_MEAN = 1500
RUNS_THEOREM = 40
MAX_T_THEOREM = 20_000
LEVEL = 1e-3


def _small_schemes() -> st.SearchStrategy[PatchScheme]:
    return st.one_of(
        stride_1d_params(max_r=4, max_k=4, lemma=True).map(lambda p: PatchScheme.stride_1d(*p)),
        ct.index_schemes(max_n=6, max_k=3),
    )


@pytest.mark.claim("lem-drift")
@given(bridge_teachers(_small_schemes()), seeds())
@examples(0.2)
def test_mean_of_runs_follows_the_exact_recursion(teacher: Teacher, seed: int) -> None:
    tp = theorem_parameters(
        teacher.problem, eps=0.1, delta=0.1, w_norm=max(float(np.linalg.norm(teacher.w_star)), 1e-3)
    )
    assume(tp.applies)
    k, alpha, eta = teacher.scheme.k, teacher.alpha, float(tp.eta)
    M = np.asarray(teacher.scheme.overlap_matrix(teacher.cov), dtype=float)
    c = (1.0 + alpha) / (2.0 * k)
    t = min(MAX_T_MEAN, math.ceil(2.0 / (eta * c * float(tp.lambda_max))))
    many = run_many(ConvotronRule(), teacher, eta=eta, iters=t, runs=RUNS_MEAN, seed=seed)
    A = np.eye(teacher.scheme.r) - eta * c * M
    predicted = teacher.w_star + np.linalg.matrix_power(A, t) @ (-teacher.w_star)
    assert_clt_close(many.w, predicted, f"mean of {RUNS_MEAN} runs after {t} updates, {teacher!r}")


@pytest.mark.claim("thm-disjoint")
@given(disjoint_first_schemes(max_k=3), ct.alphas(), seeds())
@examples(0.15)
def test_disjoint_variant_mean_recursion(nidx, alpha: float, seed: int) -> None:
    n, idx = nidx
    scheme = PatchScheme.from_indices(n, idx)
    rng = np.random.default_rng(seed)
    teacher = Teacher.random(scheme, alpha, rng, noise="gaussian:0.2")
    tp = theorem_parameters(teacher.problem, eps=0.1, delta=0.1, w_norm=1.0, only_patch=0)
    assert tp.applies
    eta = float(tp.eta)
    c = (1.0 + alpha) / (2.0 * scheme.k)
    t = min(MAX_T_MEAN, math.ceil(1.0 / (eta * c)))
    many = run_many(ConvotronRule(only_patch=0), teacher, eta=eta, iters=t, runs=RUNS_MEAN,
                    seed=seed)  # fmt: skip
    predicted = teacher.w_star * (1.0 - (1.0 - eta * c) ** t)
    assert_clt_close(
        many.w, predicted, f"disjoint-variant mean after {t} updates on {idx.tolist()}"
    )


def _theorem_runs(teacher: Teacher, eps: float, delta: float, seed: int) -> None:
    tp = theorem_parameters(
        teacher.problem, eps=eps, delta=delta, w_norm=float(np.linalg.norm(teacher.w_star))
    )
    assume(tp.applies and tp.T <= MAX_T_THEOREM)
    T = math.ceil(tp.T)
    many = run_many(ConvotronRule(), teacher, eta=float(tp.eta), iters=T, runs=RUNS_THEOREM,
                    seed=seed)  # fmt: skip
    fails = int(np.count_nonzero(~(many.final_sq_errors <= eps)))
    p = binomtest(fails, RUNS_THEOREM, delta, alternative="greater").pvalue
    assert p >= LEVEL, (
        f"{fails}/{RUNS_THEOREM} runs of T={T} iterations ended with |w - w*|^2 > eps={eps}: "
        f"significantly more than delta={delta} (p={p:.3g}) for {teacher!r}"
    )


@st.composite
def _small_teachers(draw, noisy: bool) -> Teacher:
    scheme = PatchScheme.stride_1d(*draw(stride_1d_params(max_r=4, max_k=3, lemma=True)))
    noise = (
        draw(st.sampled_from(["gaussian:0.1", "uniform:0.1", "hetero:0.1"])) if noisy else "none"
    )
    return Teacher.random(
        scheme,
        draw(ct.alphas()),
        np.random.default_rng(draw(seeds())),
        law=draw(ct.laws(symmetric_only=True)),
        cov=draw(st.sampled_from(["identity", "ar1:0.3"])),
        noise=noise,
        w_norm=draw(st.floats(0.5, 2.0)),
    )


@pytest.mark.claim("thm-convotron")
@pytest.mark.claim("cor-realizable")
@given(_small_teachers(noisy=False), st.sampled_from([0.01, 0.05]), seeds())
@examples(0.15)
def test_theorem_runs_meet_eps_delta_realizable(teacher: Teacher, eps: float, seed: int) -> None:
    _theorem_runs(teacher, eps, 0.1, seed)


@pytest.mark.claim("thm-convotron")
@pytest.mark.claim("cor-noisy")
@given(_small_teachers(noisy=True), seeds())
@examples(0.15)
def test_theorem_runs_meet_eps_delta_noisy(teacher: Teacher, seed: int) -> None:
    _theorem_runs(teacher, 0.2, 0.25, seed)
