"""Statistics of ``convotron verify``: the one-sided exact binomial test and its bound.

See :mod:`convotron.glue.verify` ("Statistics") for why these and the significance level.
"""

from __future__ import annotations

from ..._errors import ConvotronError

__all__ = ["DEFAULT_SIGNIFICANCE", "binomial_p_value", "clopper_pearson_upper"]

#: Significance level of the one-sided binomial test (see :mod:`convotron.glue.verify`).
DEFAULT_SIGNIFICANCE = 1e-3


def binomial_p_value(fails: int, runs: int, delta: float) -> float:
    """One-sided exact binomial p-value of ``fails`` failures in ``runs`` against ``p ≤ δ``.

    ``P[Binomial(runs, δ) ≥ fails]`` (:func:`scipy.stats.binomtest`, ``alternative="greater"``).
    Small values are evidence that the failure probability exceeds ``δ``.
    """
    from scipy.stats import binomtest

    if runs < 1 or not 0 <= fails <= runs:
        raise ConvotronError(
            f"need 0 <= fails <= runs and runs >= 1; got fails={fails}, runs={runs}. "
            "Count the failures among at least one run."
        )
    return float(binomtest(int(fails), int(runs), float(delta), alternative="greater").pvalue)


def clopper_pearson_upper(fails: int, runs: int, confidence: float) -> float:
    """One-sided Clopper-Pearson upper confidence bound of a failure probability."""
    from scipy.stats import beta as beta_dist

    if fails >= runs:
        return 1.0
    return float(beta_dist.ppf(confidence, fails + 1, runs - fails))
