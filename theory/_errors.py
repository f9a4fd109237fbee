"""Exception types of the symbolic half (independent of :mod:`convotron`)."""

from __future__ import annotations

__all__ = ["HypothesisFailed", "TheoryError"]


class TheoryError(ValueError):
    """Invalid input to :mod:`theory`: names what, the rule, the value received and the fix."""


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
