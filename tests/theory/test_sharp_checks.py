"""Every Bound has a sharp check, it passes, and it kills hand-made mutants of the formula.

mutmut (``make mutation``) does not mutate module-level declarations such as the
:class:`theory.bounds.Bound` objects, so their formulas are mutated here by hand: each
expression scaled by 1.1 and by 0.9 (a constant 10% off), negated, and shifted by 1; the
sharp check of :mod:`tests.theory.sharp` must fail on every mutant.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from theory import bounds as TB
from theory._errors import TheoryError

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
