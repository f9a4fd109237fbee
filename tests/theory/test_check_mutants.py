"""Sharp checks of the verdict's helpers that mutation testing found unchecked (issue 19).

Each test compares with exact values (``Fraction``, IEEE-754 neighbours computed here), so a
mutant that rounds the wrong way or drops a term fails it; MUTATION.md lists what each kills.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from theory.spectra.check import _float_down


def _largest_float_at_most(q: Fraction) -> float:
    """The largest float <= q, by stepping from float(q) (round-to-nearest) in exact arithmetic."""
    f = float(q)
    while Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def test_float_down_of_a_rational_is_the_largest_float_below_it() -> None:
    """1/10 rounds up in binary (float(1/10) > 1/10): the result is the float just below.

    1/3 rounds down (float(1/3) < 1/3): the result is float(1/3) itself; 1/2 is exact.
    Kills rounding towards +inf, dropping the step, and comparing the wrong way.
    """
    for q in (
        Fraction(1, 10),
        Fraction(1, 3),
        Fraction(1, 2),
        Fraction(-1, 10),
        Fraction(63, 399999874),
    ):
        got = _float_down(sp.Rational(q.numerator, q.denominator))
        assert got == _largest_float_at_most(q), q
        assert Fraction(got) <= q
    assert Fraction(float(Fraction(1, 10))) > Fraction(1, 10)  # the case that must step down
    assert _float_down(sp.Rational(1, 10)) == float(np.nextafter(0.1, -np.inf))
    assert _float_down(sp.Rational(1, 3)) == 1 / 3


def test_float_down_of_an_irrational_steps_two_floats_below_its_30_digit_value() -> None:
    """sqrt(2) and -pi/7: two ulps below the 30-digit value's float, hence below the number."""
    for x in (sp.sqrt(2), -sp.pi / 7, 1 - sp.cos(sp.pi / 9)):
        f = float(sp.N(x, 30))
        want = float(np.nextafter(np.nextafter(f, -np.inf), -np.inf))
        got = _float_down(x)
        assert got == want, x
        assert sp.Rational(Fraction(got)) < x
