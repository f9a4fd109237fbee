"""Exception types of the numerical half.

Every message follows one rule: it names *what* was wrong, the *rule* it broke, the
*value received* and *how to fix it*, e.g.::

    stride must be an integer with 1 <= stride <= r (r=4); got 0. Pass a stride between 1 and 4.

Assumption violations of the theory get their own type, which records the label of the
claim (as in the book and :mod:`convotron_theory.claims`) whose hypothesis fails.
"""

from __future__ import annotations

__all__ = ["AssumptionViolation", "ConvotronError", "DivergenceError"]


class ConvotronError(ValueError):
    """Invalid input to a :mod:`convotron` function or the command line.

    The command line turns it into one line on stderr and exit status 2.

    Parameters
    ----------
    message : str
        What was wrong, the rule, the value received and the fix.
    param : str, optional
        The library parameter the message is about (e.g. ``"eta"``); the command line
        renders it as its flag (``--eta``). Messages speak of parameters, never of flags.
    """

    def __init__(self, message: str = "", *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class AssumptionViolation(ConvotronError):
    """Input that is valid to run on but breaks a hypothesis of a claim.

    Parameters
    ----------
    message : str
        What is violated, the value received and what to do instead.
    claim : str
        Book label of the claim whose hypothesis fails, e.g. ``"thm-convotron"``.
    """

    def __init__(self, message: str, claim: str) -> None:
        super().__init__(message)
        self.claim = claim


class DivergenceError(ConvotronError):
    """A run whose weights became non-finite (the step size is too large)."""
