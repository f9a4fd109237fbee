"""Tests added for the real gaps that `make mutation` found in theory/bounds.py (MUTATION.md).

Surviving mutants there were mostly message strings; these kill the ones that changed a
returned value or a boundary: the returned metadata of theorem_parameters and
disjoint_parameters, λ_max = λ_min accepted, each rule's "required" message naming the
missing value and the rule, latex without the left-hand side.
"""

from __future__ import annotations

import math

import pytest

from theory._errors import TheoryError
from theory.bounds import ETA_REALIZABLE, T_NOISY, T_REALIZABLE
from theory.instantiate import disjoint_parameters, theorem_parameters

BASE = dict(lambda_min=1.0, lambda_max=13.0, tr_M=28.0, k=7, r=4, alpha=0.5, eps=0.01, delta=0.1)


def test_theorem_parameters_returns_its_inputs_and_bounds() -> None:
    p = theorem_parameters(**BASE, w_norm=2.0, lambda_max_K=246 / 7, varsigma=0.1)
    assert (p["lambda_min"], p["lambda_max"], p["tr_M"]) == (1.0, 13.0, 28.0)
    assert (p["k"], p["r"], p["alpha"]) == (7, 4, 0.5)
    assert (p["eps"], p["delta"], p["w_norm"]) == (0.01, 0.1, 2.0)
    assert p["rho_rule"] == "independent" and p["T_bound"] is T_NOISY
    assert p["eta_bound"].name == "eta_noisy"
    assert set(p["formulas"]) == {"eta", "T"}
    assert p["formulas"]["T"] == T_NOISY.latex()


def test_disjoint_parameters_returns_its_metadata() -> None:
    p = disjoint_parameters(k=4, r=3, alpha=0.0, eps=0.01, delta=0.1, w_norm=1.0)
    assert (p["k"], p["r"], p["alpha"]) == (4, 3, 0.0)
    assert (p["lambda_min"], p["lambda_max"], p["tr_M"]) == (1.0, 1.0, 3.0)
    assert p["rho_rule"] == "disjoint" and p["beta_rule"] == "disjoint"
    assert (p["eps"], p["delta"], p["w_norm"]) == (0.01, 0.1, 1.0)
    assert p["eta_bound"] is ETA_REALIZABLE and p["T_bound"] is T_REALIZABLE
    assert p["formulas"] == {"eta": ETA_REALIZABLE.latex(), "T": T_REALIZABLE.latex()}


def test_equal_extreme_eigenvalues_are_accepted() -> None:
    p = theorem_parameters(**{**BASE, "lambda_max": 1.0}, w_norm=1.0, lambda_max_K=5.0)
    assert p["a"] == pytest.approx(1.5 / 7) and math.isfinite(p["T"])


@pytest.mark.parametrize(
    ("rule", "given", "missing"),
    [
        ("exact", {}, "lambda_max_K"),
        ("gaussian", {}, "lambda_max_Sigma"),
        ("gaussian-identity", {"lambda_max_PPT": 13.0}, "tr_PPT"),
        ("gaussian-identity", {"tr_PPT": 28.0}, "lambda_max_PPT"),
        ("gaussian-stride", {}, "lambda_max_PPT"),
        ("bounded", {"B": 4.0, "lambda_max_Sigma": 1.0}, "lambda_max_PPT"),
        ("bounded", {"lambda_max_PPT": 13.0, "B": 4.0}, "lambda_max_Sigma"),
        ("fourth-moment", {"E_x4": 256.0}, "lambda_max_PPT"),
        ("fourth-moment", {"lambda_max_PPT": 13.0}, "E_x4"),
    ],
)
def test_each_rule_names_the_missing_value(rule, given, missing) -> None:
    with pytest.raises(
        TheoryError, match=rf"{missing} is required for beta_rule='{rule}'; got None"
    ):
        theorem_parameters(**BASE, w_norm=1.0, beta_rule=rule, **given)


def test_latex_without_lhs() -> None:
    body = ETA_REALIZABLE.latex(with_lhs=False)
    assert ETA_REALIZABLE.latex() == r"\eta = " + body and not body.startswith(r"\eta")


def test_subs_keeps_symbolic_values_and_checks_numbers() -> None:
    import sympy as sp

    x = sp.Symbol("x", positive=True)
    out = ETA_REALIZABLE.subs(a=x, beta=2)
    assert sp.simplify(out - x / 4) == 0
    assert ETA_REALIZABLE.subs(beta=x, a=1) == 1 / (2 * x)
    with pytest.raises(TheoryError):
        ETA_REALIZABLE.subs(a=-1, beta=x)


def test_lambda_min_must_be_a_real_number() -> None:
    with pytest.raises(TheoryError, match="lambda_min must be a real number"):
        theorem_parameters(**{**BASE, "lambda_min": "1"}, w_norm=1.0, lambda_max_K=5.0)
    with pytest.raises(TheoryError, match="lambda_min must be a real number"):
        theorem_parameters(**{**BASE, "lambda_min": True}, w_norm=1.0, lambda_max_K=5.0)
