"""The notation module: symbols carry their assumptions; the table is complete and typesets."""

from __future__ import annotations

import pytest
import sympy as sp

from theory import notation as N


def test_sizes_are_positive_integers() -> None:
    for s in (N.n, N.r, N.k, N.d, N.m, N.T, N.k1, N.k2, N.r1, N.r2, N.d1, N.d2, N.n1, N.n2):
        assert s.is_integer and s.is_positive, s


def test_ranges_held_by_sympy() -> None:
    assert N.alpha.is_real and N.alpha.is_nonnegative
    for s in (N.eta, N.epsilon, N.delta, N.w_norm, N.lambda_min, N.a, N.beta, N.B, N.kappa):
        assert s.is_positive, s
    for s in (N.rho, N.varsigma, N.xi_moment, N.lambda_min_PPT):
        assert s.is_nonnegative, s
    assert N.t.is_integer and N.t.is_nonnegative
    # consequences sympy can draw from them
    assert (1 + N.alpha).is_positive
    assert sp.log(N.w_norm**2).is_real


def test_table_is_complete_and_unique() -> None:
    names = [e.name for e in N.NOTATION]
    assert len(names) == len(set(names))
    required = (
        "n r k d alpha eta epsilon delta lambda_min lambda_max a beta rho w_norm varsigma B T t"
    )
    for name in required.split():
        assert name in N.SYMBOLS
    for e in N.NOTATION:
        assert e.latex and e.meaning and e.assumptions
        assert e.provenance in ("[paper]", "[derived]")
    assert "α ≤ 1" in next(e for e in N.NOTATION if e.name == "alpha").assumptions
    assert "δ ≤ 1" in next(e for e in N.NOTATION if e.name == "delta").assumptions


def test_latex_uses_the_book_names() -> None:
    assert N.latex(N.lambda_min / N.k) == r"\frac{\lambda_{\min}}{k}"
    assert r"\varsigma" in N.latex(N.varsigma**2)
    assert N.latex(sp.log(N.epsilon)) == r"\ln{\left(\epsilon \right)}"


def test_unknown_symbol_is_named() -> None:
    assert N.symbol("rho") is N.rho
    with pytest.raises(
        KeyError, match=r"no notation symbol named 'lamda'; the known symbols are: .*lambda_min"
    ):
        N.symbol("lamda")
