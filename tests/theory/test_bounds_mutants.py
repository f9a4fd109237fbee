"""Tests added for the real gaps that `make mutation` found in theory/bounds.py (MUTATION.md).

Surviving mutants there were mostly message strings; these kill the ones that changed a
returned value or a boundary: the returned metadata of theorem_parameters and
disjoint_parameters, λ_max = λ_min accepted, each rule's "required" message naming the
missing value and the rule, latex without the left-hand side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

from convotron_theory._errors import HypothesisFailed, TheoryError
from convotron_theory.bounds import ETA_REALIZABLE, T_NOISY, T_REALIZABLE, Bound
from convotron_theory.instantiate import (
    disjoint_parameters,
    gaussian_norm_product_moment,
    theorem_parameters,
)

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


# --------------------------------------------------------- second round (MUTATION.md, round 2)
def test_instantiate_messages_in_full() -> None:
    """Each input error of convotron_theory.instantiate, as the user reads it."""
    cases = [
        (dict(BASE, lambda_min=True), TheoryError,
         "theorem_parameters: lambda_min must be a real number; got True. Pass the smallest "
         "eigenvalue of M = P Σ Pᵀ."),
        (dict(BASE, lambda_min=0.0), HypothesisFailed,
         "lambda_min(P Σ Pᵀ) must be positive for the theorem (thm-convotron) to apply; got 0. "
         "Choose a scheme whose patches cover every filter direction (see `convotron check`)."),
        (dict(BASE, delta=1.5), TheoryError,
         "theorem_parameters: delta must be at most 1; got 1.5. Pass a value in the allowed "
         "range (see convotron_theory.notation.NOTATION)."),
        (dict(BASE, eps=-1.0), TheoryError,
         "theorem_parameters: eps must be positive (eps > 0); got -1.0. Pass a positive value."),
    ]  # fmt: skip
    for kw, error, message in cases:
        with pytest.raises(error) as info:
            theorem_parameters(**kw, w_norm=1.0, lambda_max_K=30.0)
        assert str(info.value) == message
    with pytest.raises(TheoryError) as info:
        theorem_parameters(**BASE, w_norm=0.0, lambda_max_K=30.0)
    assert str(info.value) == (
        "theorem_parameters: w_norm must be positive (w_norm > 0); got 0.0. Pass a positive value."
    )
    with pytest.raises(TheoryError) as info:
        theorem_parameters(**BASE, w_norm=1.0, lambda_max_K=30.0, varsigma=0.1, xi_moment=2.0)
    assert str(info.value) == (
        "theorem_parameters: pass either varsigma (independent noise) or xi_moment (general "
        "noise), not both; got varsigma=0.1, xi_moment=2.0. Set varsigma=0 when giving xi_moment."
    )


@pytest.mark.parametrize("name", ["trace_Sigma", "tr_M", "tr_P_Sigma2_Pt"])
def test_gaussian_norm_product_moment_names_the_bad_value(name) -> None:
    values = {"trace_Sigma": 8.0, "tr_M": 20.0, "tr_P_Sigma2_Pt": 20.0, name: -1.0}
    with pytest.raises(TheoryError) as info:
        gaussian_norm_product_moment(**values)
    assert str(info.value) == (
        f"theorem_parameters: {name} must be positive ({name} > 0); got -1.0. Pass a positive "
        "value."
    )
    # the counterexample scheme of the docstring: (n + 2) tr PPᵀ = 10 * 20 = 200 for Σ = I
    assert gaussian_norm_product_moment(8.0, 20.0, 20.0) == 200.0


x_, y_ = sp.symbols("x y", positive=True)


def test_bound_uses_its_numeric_form() -> None:
    """numeric_expr, not expr, builds the function: log1p keeps 1e-18 that log(1 + x) loses."""
    b = Bound("small", "lem-x", "[derived] test", sp.log(1 + x_), "f", numeric_expr=sp.log(1 + x_))
    assert b(x=1e-18) == 0.0  # the plain form loses it
    b = Bound("small", "lem-x", "[derived] test", sp.log(1 + x_), "f", numeric_expr=log1p(x_))
    assert b(x=1e-18) == 1e-18


def test_bound_refuses_a_numeric_form_with_other_symbols() -> None:
    with pytest.raises(TheoryError) as info:
        Bound("bad", "lem-x", "[derived] test", x_ + 1, "f", numeric_expr=x_ + sp.Symbol("z"))
    assert str(info.value) == (
        "Bound 'bad': numeric_expr has symbols ['z'] that expr lacks; it must be the same "
        "function of the same symbols."
    )


def test_bound_symbols_are_sorted_by_name() -> None:
    assert T_NOISY.names == ("a", "beta", "delta", "epsilon", "rho", "w_norm")
    with pytest.raises(TheoryError, match=r"missing value\(s\) for beta, delta, epsilon, rho, "):
        T_NOISY(a=1.0)


def test_bound_subs_simplifies_and_names_the_bound() -> None:
    b = Bound("ratio", "lem-x", "[derived] test", (x_**2 - 1) / (x_ - 1) * y_, "f")
    assert b.subs(y=2) == 2 * x_ + 2  # simplified, not 2(x² - 1)/(x - 1)
    with pytest.raises(TheoryError) as info:
        b.subs(y=-1)
    assert str(info.value) == ("ratio: y must be positive (y > 0); got -1. Pass a positive value.")


def test_bound_call_messages_in_full() -> None:
    with pytest.raises(TheoryError) as info:
        ETA_REALIZABLE(a=1.0, beta=2.0, rho=3.0)
    assert str(info.value) == (
        "eta_realizable: unknown value(s) rho; this bound depends on a, beta. Pass only those."
    )
    with pytest.raises(TheoryError) as info:
        ETA_REALIZABLE(a=1.0, beta=2.0, rho=3.0, t=1)
    assert str(info.value) == (
        "eta_realizable: unknown value(s) rho, t; this bound depends on a, beta. Pass only those."
    )
    with pytest.raises(TheoryError) as info:
        T_NOISY(a=1.0, beta=2.0)
    assert str(info.value) == (
        "T_noisy: missing value(s) for delta, epsilon, rho, w_norm; this bound depends on a, "
        "beta, delta, epsilon, rho, w_norm. Pass every one as a keyword argument."
    )
    with pytest.raises(TheoryError) as info:
        ETA_REALIZABLE(a="1", beta=2.0)
    assert str(info.value) == (
        "eta_realizable: a must be a real number; got '1' of type str. Pass a plain number, "
        "e.g. a=1."
    )
    with pytest.raises(TheoryError) as info:
        ETA_REALIZABLE(a=1e300, beta=1e-300)
    assert str(info.value) == (
        "eta_realizable: the value is not a finite number (inf) for a=1e+300, beta=1e-300. "
        "Check the inputs' scale (e.g. a tiny lambda_min or eps)."
    )
    constant = Bound("one", "lem-x", "[derived] test", sp.Integer(1), "c")
    with pytest.raises(TheoryError) as info:
        constant(x=1.0)
    assert str(info.value) == (
        "one: unknown value(s) x; this bound depends on nothing. Pass only those."
    )


def test_bound_evaluates_arrays_elementwise_and_scalars_as_floats() -> None:
    out = T_REALIZABLE(a=np.array([0.5, 1.0]), beta=2.0, w_norm=1.5, epsilon=0.01, delta=0.1)
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    one = ETA_REALIZABLE(a=np.array(1.0), beta=2.0)
    assert type(one) is float and one == 0.25
