"""Every Bound has a sharp check, it passes, and it kills hand-made mutants of the formula.

mutmut (``make mutation``) does not mutate module-level declarations such as the
:class:`convotron_theory.bounds.Bound` objects, so their formulas are mutated here by hand: each
expression scaled by 1.1 and by 0.9 (a constant 10% off), negated, and shifted by 1; the
sharp check of :mod:`tests.theory.sharp` must fail on every mutant.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from convotron_theory import bounds as TB
from convotron_theory._errors import TheoryError

from .sharp import SHARP_CHECKS

MUTATIONS = {
    "times 1.1": lambda e: sp.Rational(11, 10) * e,
    "times 0.9": lambda e: sp.Rational(9, 10) * e,
    "negated": lambda e: -e,
    "plus 1": lambda e: e + 1,
}


def _mutant(bound: TB.Bound, mutate) -> TB.Bound:
    return dataclasses.replace(bound, expr=mutate(bound.expr), numeric_expr=None)


def test_every_bound_has_a_sharp_check() -> None:
    assert set(SHARP_CHECKS) == set(TB.ALL_BOUNDS)


@pytest.mark.parametrize("name", sorted(TB.ALL_BOUNDS))
def test_sharp_check_passes(name: str) -> None:
    SHARP_CHECKS[name](TB.ALL_BOUNDS[name])


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("name", sorted(TB.ALL_BOUNDS))
def test_sharp_check_kills_the_mutant(name: str, mutation: str) -> None:
    mutant = _mutant(TB.ALL_BOUNDS[name], MUTATIONS[mutation])
    with pytest.raises((AssertionError, TheoryError)):
        SHARP_CHECKS[name](mutant)


#: The rounded iteration counts, each ``Max(1, ceiling(continuous))`` (``bounds._iterations``,
#: evaluated at import, so mutmut's mutants of it never run): the floor at 1 mutated by hand.
ROUNDED = ("T_realizable", "T_noisy", "disjoint_T")
FLOOR_MUTATIONS = {
    "floor 2": lambda e: sp.Max(2, e.args[1] if e.args[0] == 1 else e.args[0]),
    "no floor": lambda e: e.args[1] if e.args[0] == 1 else e.args[0],
    "floor instead of ceiling": lambda e: sp.Max(1, sp.floor(_continuous(e))),
}


def _continuous(e: sp.Expr) -> sp.Expr:
    ceiling = e.args[1] if e.args[0] == 1 else e.args[0]
    assert isinstance(ceiling, sp.ceiling)
    return ceiling.args[0]


@pytest.mark.parametrize("mutation", sorted(FLOOR_MUTATIONS))
@pytest.mark.parametrize("name", ROUNDED)
def test_sharp_check_kills_the_rounding_mutants(name: str, mutation: str) -> None:
    bound = TB.ALL_BOUNDS[name]
    assert isinstance(bound.expr, sp.Max) and 1 in bound.expr.args  # Max(1, ceiling(...))
    mutant = _mutant(bound, FLOOR_MUTATIONS[mutation])
    with pytest.raises((AssertionError, TheoryError)):
        SHARP_CHECKS[name](mutant)
