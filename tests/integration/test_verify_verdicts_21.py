"""The three FAIL verdicts of a case whose hypotheses disagree with its expectation, word for word.

A negative control whose hypotheses all hold, a case expected to satisfy the theorem whose
law is asymmetric, and one whose scheme is singular: each note names ``theorem_parameters``
(the glue's function that decided, not the package's old name "bridge") and gives its
reasons whole. Issue 21, finding 6.
"""

from __future__ import annotations

import math

import pytest

import convotron.glue.verify as V
from convotron.glue.parameters import theorem_parameters
from convotron.glue.verify import suite
from convotron.glue.verify.cases import Case
from convotron.model.problem import Problem

OBSERVED = "0/2 runs ended with |w - w*|^2 > eps=0.01 (fail rate 0.000, one-sided binomial p = 1"


def _violations(case: Case) -> list[str]:
    problem = Problem.from_specs(case.scheme, alpha=case.alpha, law=case.dist)
    return list(theorem_parameters(problem, eps=0.01, delta=0.1, w_norm=1.0).violations)


def test_a_negative_control_whose_hypotheses_hold_fails_and_says_why() -> None:
    control = "a hypothesis that in fact holds"
    case = Case("fake-control", "1d:8,4,2", control=control, claim="thm-convotron")
    c = V.run_case(case, runs=2, seed=0)
    head = (
        f"negative control expected an assumption to fail ({control}) but theorem_parameters "
        "reports that the theorem applies; "
    )
    assert c.status == V.STATUS_FAIL and math.isfinite(c.T) and c.iters_run == math.ceil(c.T)
    assert c.note.startswith(head + OBSERVED), c.note


def test_an_expected_case_with_an_asymmetric_law_fails_with_the_violation() -> None:
    case = Case("asym-expected", "1d:8,4,2", dist="exponential")
    (violation,) = _violations(case)
    assert violation.startswith("input law 'exponential' is not symmetric")
    c = V.run_case(case, runs=2, seed=0)
    head = f"the case expects the theorem to apply but theorem_parameters reports: {violation}; "
    assert c.status == V.STATUS_FAIL and c.iters_run == math.ceil(c.T)
    assert c.note.startswith(head + OBSERVED), c.note


SINGULAR = Case("singular-expected", "indices", n=2, indices=((0, 1), (1, 0)))
NO_T = "the theorem gives no finite T (T=inf, eta=0.0) although the case expects it to apply: "


def test_an_expected_case_with_a_singular_scheme_is_not_run_and_says_why() -> None:
    c = V.run_case(SINGULAR, runs=2, seed=0)
    assert c.status == V.STATUS_FAIL and c.iters_run == 0 and not math.isfinite(c.T)
    assert c.note.startswith(NO_T + "lambda_min(P Σ Pᵀ) = 0 exactly"), c.note
    assert c.note == NO_T + "; ".join(c.violations)


def test_no_finite_T_without_a_violation_says_that_no_reason_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = suite.theorem_parameters
    monkeypatch.setattr(
        suite, "theorem_parameters", lambda *a, **k: real(*a, **k).replace(violations=())
    )
    c = V.run_case(SINGULAR, runs=2, seed=0)
    assert c.note == NO_T + "no reason given by theorem_parameters"
