"""Hypothesis strategies and statistical helpers of the property suite.

The basic strategies (schemes, laws, ``α``, noise, teachers) live in
:mod:`convotron.testing`; this module adds what the property tests need on top:

- parameter strategies for 1D and 2D patch-and-stride schemes, optionally restricted to
  the hypotheses of the spectral lemmas (``k ≥ ⌈r/d⌉`` per axis, ``lem-1d``, ``lem-2d``);
- arbitrary overlapping index schemes, small enough for exact (sympy) arithmetic and prone
  to singular overlap matrices (repeated permutations of one coordinate set);
- schemes with one patch disjoint from all others (``thm-disjoint``);
- ``seeds()``: a numpy seed drawn by Hypothesis, so a failing Monte Carlo check shrinks and
  replays;
- :func:`assert_clt_close` / :func:`assert_clt_below`: Monte Carlo comparisons with a
  tolerance of ``Z`` standard errors (sample standard deviation over ``sqrt(m)``).

Statistical tolerance. A CLT check fails when a sample mean lies more than ``Z = 5``
estimated standard errors from (or, one-sided, above) the exact value. If the claim and the
code are right, that happens with probability about ``6e-7`` per coordinate, so a failure
means that the implementation disagrees with the claim (or the sample is far too small for
the normal approximation), not bad luck.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "Z",
    "alphas",
    "assert_clt_below",
    "assert_clt_close",
    "bridge_teachers",
    "covs",
    "disjoint_first_schemes",
    "index_schemes",
    "laws",
    "noises",
    "schemes",
    "seeds",
    "stride_1d_params",
    "stride_2d_params",
    "symmetric_laws",
]

#: Number of standard errors of every CLT tolerance.
Z = 5.0

SYMMETRIC_LAWS = ("gaussian", "rademacher", "uniform", "mixture", "student-t")


def seeds() -> st.SearchStrategy[int]:
    """A numpy seed drawn by Hypothesis (shrinks towards 0, replays exactly)."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def symmetric_laws() -> st.SearchStrategy[str]:
    """Names of the symmetric input laws (the hypothesis of ``lem-symmetric``)."""
    return st.sampled_from(SYMMETRIC_LAWS)


def laws() -> st.SearchStrategy[str]:
    """Symmetric laws and the asymmetric ``exponential``."""
    return st.sampled_from((*SYMMETRIC_LAWS, "exponential"))


@st.composite
def stride_1d_params(
    draw: st.DrawFn,
    *,
    max_r: int = 6,
    max_k: int = 6,
    lemma: bool = False,
    max_stride: int | None = None,
) -> tuple[int, int, int]:
    """``(n, r, d)`` of a 1D scheme, ``n = (k−1)d + r``; with ``lemma``: ``k ≥ ⌈r/d⌉``."""
    r = draw(st.integers(1, max_r))
    d = draw(st.integers(1, r if max_stride is None else max(1, min(r, max_stride))))
    kmin = math.ceil(r / d) if lemma else 1
    k = draw(st.integers(kmin, max(kmin, max_k)))
    return (k - 1) * d + r, r, d


@st.composite
def stride_2d_params(
    draw: st.DrawFn, *, max_r: int = 3, max_k: int = 3, lemma: bool = False
) -> tuple[int, int, int, int, int, int]:
    """``(H, W, ph, pw, sh, sw)`` of a 2D scheme; with ``lemma``: ``k_j ≥ ⌈r_j/d_j⌉``."""
    h, ph, sh = draw(stride_1d_params(max_r=max_r, max_k=max_k, lemma=lemma))
    w, pw, sw = draw(stride_1d_params(max_r=max_r, max_k=max_k, lemma=lemma))
    return h, w, ph, pw, sh, sw


@st.composite
def index_schemes(
    draw: st.DrawFn, *, max_n: int = 7, max_k: int = 4, max_r: int = 4
) -> tuple[int, np.ndarray]:
    """``(n, indices)`` of an arbitrary overlapping scheme (distinct indices per patch).

    Half of the time every patch is a permutation of one coordinate set, which often makes
    ``M = PΣPᵀ`` singular (e.g. ``[0, 1], [1, 0]``): both outcomes of a PD test are drawn.
    """
    n = draw(st.integers(1, max_n))
    r = draw(st.integers(1, min(n, max_r)))
    k = draw(st.integers(1, max_k))
    if draw(st.booleans()):
        base = draw(st.permutations(range(n)))[:r]
        rows = [list(draw(st.permutations(base))) for _ in range(k)]
    else:
        rows = [list(draw(st.permutations(range(n)))[:r]) for _ in range(k)]
    return n, np.asarray(rows, dtype=np.int64)


@st.composite
def disjoint_first_schemes(
    draw: st.DrawFn, *, max_r: int = 4, max_k: int = 4, max_extra: int = 4
) -> tuple[int, np.ndarray]:
    """``(n, indices)`` whose patch 0 reads ``0..r−1`` and shares them with no other patch.

    The other ``k − 1`` patches read arbitrary (overlapping) coordinates in ``r..n−1``.
    """
    r = draw(st.integers(1, max_r))
    k = draw(st.integers(1, max_k))
    extra = draw(st.integers(r, r + max_extra))
    n = r + extra
    rows = [list(range(r))]
    for _ in range(k - 1):
        perm = draw(st.permutations(range(r, n)))
        rows.append(list(perm[:r]))
    return n, np.asarray(rows, dtype=np.int64)


def _se(samples: np.ndarray) -> np.ndarray:
    m = samples.shape[0]
    return samples.std(axis=0, ddof=1) / math.sqrt(m)


def assert_clt_close(
    samples: np.ndarray, expected: np.ndarray | float, what: str, z: float = Z
) -> None:
    """Assert ``|mean − expected| ≤ z·SE + 1e-12·scale`` per coordinate (two-sided).

    ``samples`` has shape ``(m,)`` or ``(m, d)``; ``SE`` is the sample standard error.
    """
    samples = np.asarray(samples, dtype=np.float64)
    mean = samples.mean(axis=0)
    se = _se(samples)
    exp = np.asarray(expected, dtype=np.float64)
    scale = 1e-12 * (1.0 + np.abs(exp))
    dev = np.abs(mean - exp)
    bad = dev > z * se + scale
    assert not np.any(bad), (
        f"{what}: Monte Carlo mean {mean} differs from the exact value {exp} by {dev}, more "
        f"than {z} standard errors {z * se} (m={samples.shape[0]})"
    )


def assert_clt_below(samples: np.ndarray, bound: float, what: str, z: float = Z) -> None:
    """Assert ``mean − z·SE ≤ bound`` (one-sided: the expectation is at most ``bound``)."""
    samples = np.asarray(samples, dtype=np.float64)
    mean = float(samples.mean())
    se = float(_se(samples))
    assert mean - z * se <= bound + 1e-12 * (1.0 + abs(bound)), (
        f"{what}: Monte Carlo mean {mean} exceeds the bound {bound} by more than {z} standard "
        f"errors ({z * se}; m={samples.shape[0]})"
    )


@st.composite
def schemes(draw: st.DrawFn, *, max_n: int = 10) -> object:
    """A :class:`convotron.geometry.patches.PatchScheme`.

    1D stride, 2D stride or arbitrary indices.
    """
    from convotron.geometry.patches import PatchScheme

    kind = draw(st.sampled_from(("1d", "2d", "indices")))
    if kind == "1d":
        n, r, d = draw(stride_1d_params(max_r=4, max_k=4))
        return PatchScheme.stride_1d(n, r, d)
    if kind == "2d":
        h, w, ph, pw, sh, sw = draw(stride_2d_params(max_r=2, max_k=2))
        return PatchScheme.stride_2d(h, w, ph, pw, sh, sw)
    n, idx = draw(index_schemes(max_n=max_n))
    return PatchScheme.from_indices(n, idx)


def covs() -> st.SearchStrategy[str]:
    """Covariance specs: the identity and AR(1) with a few correlations."""
    return st.sampled_from(("identity", "identity", "ar1:0.5", "ar1:-0.4", "ar1:0.8"))


def noises() -> st.SearchStrategy[str]:
    """Noise specs with ``E[ξ | x] = 0``: none, Gaussian, bounded uniform, heteroscedastic."""
    return st.sampled_from(("none", "gaussian:0.3", "uniform:0.3", "hetero:0.3"))


def alphas() -> st.SearchStrategy[float]:
    """Leaky ReLU slopes in ``[0, 1]`` with the ends (ReLU, linear) drawn often."""
    return st.one_of(st.sampled_from((0.0, 1.0, 0.5)), st.floats(0.0, 1.0))


@st.composite
def bridge_teachers(draw: st.DrawFn, scheme_strategy: st.SearchStrategy | None = None) -> object:
    """A symmetric-law :class:`convotron.model.problem.Teacher` whose covariance is the identity or
    AR(1) with a short rational ``ρ`` (0.5, −0.4, 0.3).

    Used where :func:`convotron.glue.parameters.theorem_parameters` is called: its exact eigenvalue
    step can stall on AR(1) matrices with long float ``ρ`` (reported to the theory's owner).
    """
    import convotron.testing as ct
    from convotron.data.covariance import parse_cov
    from convotron.model.problem import Teacher

    scheme = draw(scheme_strategy if scheme_strategy is not None else ct.schemes())
    cov = parse_cov(draw(st.sampled_from(("identity", "ar1:0.5", "ar1:-0.4", "ar1:0.3"))), scheme.n)
    return Teacher.random(
        scheme,
        draw(ct.alphas()),
        np.random.default_rng(draw(seeds())),
        law=draw(ct.laws(symmetric_only=True)),
        cov=cov,
        noise=draw(ct.noise_models()),
        w_norm=draw(st.floats(0.1, 3.0)),
    )
