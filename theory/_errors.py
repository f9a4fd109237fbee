"""Exception types of the symbolic half (independent of :mod:`convotron`); one shared check."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["HypothesisFailed", "TheoryError", "check_positive_int"]


class TheoryError(ValueError):
    """Invalid input to :mod:`convotron_theory`: names what, the rule, the value and the fix."""


class HypothesisFailed(TheoryError):
    """A lemma or theorem was asked for where one of its hypotheses fails.

    Parameters
    ----------
    message : str
        Which hypothesis fails, with the values involved.
    claim : str
        Book label of the claim, e.g. ``"lem-1d"``.
    """

    def __init__(self, message: str, claim: str) -> None:
        super().__init__(message)
        self.claim = claim


def check_positive_int(name: str, value: Any, fix: str = "") -> int:
    """Return ``value`` as an int, or raise :class:`TheoryError` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 1:
        raise TheoryError(
            f"{name} must be a positive integer; got {value!r}. "
            f"{fix or f'Pass {name} as an int >= 1.'}"
        )
    return int(value)
