"""Tests written against the survivors of a mutation sample of ``plugin.py`` after its split.

``plugin_constants`` was cut into steps (issue 21); a fresh sample of 60 of its mutants
(``random.seed(2112)``, MUTATION.md) left survivors that were gaps of the tests: the
eigenvalue-gap flag at ``r = 2``, the upper end of η under heavy tails, and two refusals'
messages in full. Each test names the mutant it kills.
"""

from __future__ import annotations

import numpy as np
import pytest

from convotron import AssumptionViolation, ConvotronError, PatchScheme
from convotron.estimation.plugin import plugin_constants

INDICES = np.array([[0, 1, 2], [2, 3, 4], [1, 5, 6], [4, 6, 0]])
SCHEME = PatchScheme.from_indices(7, INDICES)
PAIR = PatchScheme.from_indices(2, np.array([[0, 1]]))  # one patch, r = 2: M̂ = Σ̂


@pytest.mark.parametrize("seed", range(3))
def test_the_gap_flag_at_r_2(seed) -> None:
    """r = 2 is the smallest size with a gap: iid coordinates (Σ = I, a repeated eigenvalue)
    flag every constant, variances 1 and 4 (gap 3) none. Kills ``r > 2`` for ``r > 1``."""
    X = np.random.default_rng(seed).standard_normal((2000, 2))
    assert plugin_constants(X, PAIR, 0.0).near_repeated == (
        "lambda_min", "lambda_max", "beta", "a", "eta",
    )  # fmt: skip
    assert plugin_constants(X * np.array([1.0, 2.0]), PAIR, 0.0).near_repeated == ()


def test_the_upper_end_of_eta_under_heavy_tails() -> None:
    """Student-t ν = 3 rows: both tails heavy, so η's interval comes from its ends,
    η_high = c λ_min,high / β_low with c = (1+α)/(2k), finite since β_low > 0 (here β_low is
    below 1 on the rescaled rows X / 2^j, where it is computed). Kills ``β_low > 1.0``."""
    X = np.random.default_rng(1).standard_t(3.0, size=(5000, 7))
    pc = plugin_constants(X, SCHEME, 0.0)
    assert pc.tail is not None and pc.tail.heavy_lambda and pc.tail.heavy_beta
    assert pc.eta.method == "tail bound" and pc.beta.low > 0
    c = 1.0 / (2 * 4)
    assert pc.eta.high == pytest.approx(c * pc.lambda_min.high / pc.beta.low, rel=1e-12)
    assert pc.eta.low == pytest.approx(c * pc.lambda_min.low / pc.beta.high, rel=1e-12)


def test_the_round_off_refusal_gives_the_threshold_at_the_data_scale() -> None:
    """Constant rows 3·1: Px = 3k·1_r, so M̂ = 9k²·11ᵀ, λ_max = 9k²r = 1764 for 1d:16,4,2,
    and the threshold printed is 64 eps r λ_max at the data's scale (the rows are divided
    by 2 inside). Kills ``tiny / sc**2`` for ``tiny * sc**2``."""
    scheme = PatchScheme.stride_1d(16, 4, 2)
    with pytest.raises(AssumptionViolation) as err:
        plugin_constants(np.full((50, 16), 3.0), scheme, 0.0)
    tiny = 64 * np.finfo(float).eps * 4 * 1764.0
    assert (
        f"at the round-off level of lambda_max(P Σ̂ Pᵀ) = 1.76e+03 (below 64 eps r "
        f"lambda_max = {tiny:.3g}: cond(P Σ̂ Pᵀ) >= "
    ) in str(err.value)


def test_the_scale_refusal_in_full() -> None:
    """β̂ ∝ max|X|⁴ underflows for max|X| ≈ 1e-80. Kills the mutant of the message's end."""
    X = np.random.default_rng(0).standard_normal((2000, 7)) * 1e-80
    with pytest.raises(ConvotronError) as err:
        plugin_constants(X, SCHEME, 0.0)
    assert str(err.value).endswith(
        "so the step eta = a/(2 beta) would be numerically meaningless; the rows are not rank "
        "deficient. Rescale X (e.g. divide it by its standard deviation, or StandardScaler) "
        "and y with it."
    )


def test_the_tail_bound_at_its_edges() -> None:
    """``γ_l = 1`` exactly (the cap at 1) gives no finite bound (``γ_l/(γ_l − 1)`` would
    divide by 0): kills ``g_low < 1.0``. A body of one value has no spread (its standard
    deviation is taken as 0, not numpy's nan for ddof=1): kills ``body.size > 1 or True``."""
    from convotron.estimation.plugin import _tail_upper

    w = np.array([1.0, 1.0, 1.0, 2.0, 2.0 * np.exp(0.05), 2.0 * np.exp(0.1)])
    assert _tail_upper(w, 0.0, 1.0, 2, cap=1.0) == np.inf
    v = np.array([2.0, 2.0 * np.exp(0.05), 2.0 * np.exp(0.1)])  # τ = 2, the body is [2.0]
    g = 2 / (np.log(v[1] / 2) + np.log(v[2] / 2))
    gl = g * (1 - 0.5 / np.sqrt(2))
    expect = 2.0 / 3 + (2 / 3) * 2.0 * gl / (gl - 1)
    assert _tail_upper(v, 0.0, 0.5, 2) == pytest.approx(expect, rel=1e-14)
