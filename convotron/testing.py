r"""Hypothesis strategies for the objects of :mod:`convotron`, importable by users.

This is the only module of :mod:`convotron` that imports :mod:`hypothesis` (a test
dependency); nothing else imports it, so the package works without it.

Strategies
----------
* :func:`schemes_1d`, :func:`schemes_2d`, :func:`schemes_2d_channels`: patch-and-stride
  schemes, including strides larger than the patch (uncovered coordinates);
* :func:`index_schemes`: arbitrary overlapping index sets (distinct coordinates inside each
  patch, repeated patches allowed, coordinates possibly uncovered);
* :func:`schemes`: any of the above;
* :func:`alphas`: leaky-ReLU slopes in ``[0, 1]`` (the ends included);
* :func:`laws`: input laws (``symmetric_only=True`` excludes the asymmetric one);
* :func:`covariances`: identity, diagonal, AR(1) and dense covariances of a given ``n``;
* :func:`noise_models`: the four noise kinds with small levels;
* :func:`seeds`, :func:`rngs`: seeds and ``numpy.random.Generator`` objects;
* :func:`teachers`: a full :class:`~convotron.model.problem.Teacher`.

Example
-------
>>> from hypothesis import given
>>> from convotron.testing import schemes
>>> @given(schemes())
... def test_overlap_is_symmetric(scheme):
...     M = scheme.overlap_matrix()
...     assert (M == M.T).all()
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from .data.covariance import AR1, Covariance, Dense, Diagonal, Identity
from .data.laws import LAWS, InputLaw, NoiseModel
from .geometry.patches import PatchScheme
from .model.problem import Teacher

__all__ = [
    "alphas",
    "covariances",
    "index_schemes",
    "laws",
    "noise_models",
    "rngs",
    "schemes",
    "schemes_1d",
    "schemes_2d",
    "schemes_2d_channels",
    "seeds",
    "teachers",
]


@st.composite
def _axis(draw: Any, max_k: int, max_r: int, max_stride: int | None) -> tuple[int, int, int]:
    """Draw ``(n, r, stride)`` with ``n = (k-1)*stride + r``."""
    r = draw(st.integers(1, max_r))
    top = max_stride if max_stride is not None else r + 2
    d = draw(st.integers(1, max(1, top)))
    k = draw(st.integers(1, max_k))
    return (k - 1) * d + r, r, d


def schemes_1d(
    max_k: int = 8, max_r: int = 8, max_stride: int | None = None
) -> st.SearchStrategy[PatchScheme]:
    """1D patch-and-stride schemes; ``stride`` up to ``r + 2`` unless ``max_stride`` is given."""
    return _axis(max_k, max_r, max_stride).map(lambda t: PatchScheme.stride_1d(*t))


def schemes_2d(
    max_k: int = 4, max_r: int = 4, max_stride: int | None = None
) -> st.SearchStrategy[PatchScheme]:
    """2D row-major patch-and-stride schemes (each axis like :func:`schemes_1d`)."""
    ax = _axis(max_k, max_r, max_stride)
    return st.tuples(ax, ax).map(
        lambda t: PatchScheme.stride_2d(t[0][0], t[1][0], t[0][1], t[1][1], t[0][2], t[1][2])
    )


def schemes_2d_channels(
    max_channels: int = 3, max_k: int = 3, max_r: int = 3, max_stride: int | None = None
) -> st.SearchStrategy[PatchScheme]:
    """2D schemes with ``channels`` in ``2..max_channels`` (a patch spans all channels)."""
    ax = _axis(max_k, max_r, max_stride)
    return st.tuples(st.integers(2, max(2, max_channels)), ax, ax).map(
        lambda t: PatchScheme.stride_2d_channels(
            t[0], t[1][0], t[2][0], t[1][1], t[2][1], t[1][2], t[2][2]
        )
    )


@st.composite
def index_schemes(draw: Any, max_n: int = 12, max_k: int = 6) -> PatchScheme:
    """Arbitrary overlapping index sets: ``k`` patches of ``r`` distinct coordinates each."""
    n = draw(st.integers(1, max_n))
    r = draw(st.integers(1, n))
    k = draw(st.integers(1, max_k))
    rows = draw(
        st.lists(st.permutations(list(range(n))).map(lambda p: p[:r]), min_size=k, max_size=k)
    )
    return PatchScheme.from_indices(n, np.asarray(rows, dtype=np.int64).reshape(k, r))


def schemes() -> st.SearchStrategy[PatchScheme]:
    """Any scheme: 1D, 2D, 2D with channels or an arbitrary index set."""
    return st.one_of(schemes_1d(), schemes_2d(), schemes_2d_channels(), index_schemes())


def alphas() -> st.SearchStrategy[float]:
    """Leaky-ReLU slopes in ``[0, 1]``, the ends 0 (ReLU) and 1 (linear) included."""
    return st.one_of(
        st.sampled_from([0.0, 0.5, 1.0]),
        st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False),
    )


def laws(symmetric_only: bool = False) -> st.SearchStrategy[InputLaw]:
    """Input laws of :data:`convotron.data.laws.LAWS` (only the symmetric ones if asked)."""
    pool = [law for law in LAWS.values() if law.symmetric or not symmetric_only]
    return st.sampled_from(pool)


def covariances(n: int) -> st.SearchStrategy[Covariance]:
    """Covariances of dimension ``n``: identity, diagonal, AR(1) and, for ``n <= 12``, dense."""
    diag = st.lists(st.floats(0.1, 4.0), min_size=n, max_size=n).map(Diagonal)
    ar1 = st.floats(-0.9, 0.9).map(lambda rho: AR1(n, rho))

    def _dense(entries: list[int]) -> Dense:
        A = np.asarray(entries, dtype=float).reshape(n, n)
        return Dense(A @ A.T / n + 0.1 * np.eye(n))

    options = [st.just(Identity(n)), diag, ar1]
    if n <= 12:  # a dense matrix drawn entry by entry: small n only
        options.append(st.lists(st.integers(-3, 3), min_size=n * n, max_size=n * n).map(_dense))
    return st.one_of(*options)


def noise_models(max_level: float = 1.0) -> st.SearchStrategy[NoiseModel]:
    """Noise models of every kind with levels in ``[0, max_level]``."""
    level = st.floats(0.0, max_level)
    return st.one_of(
        st.just(NoiseModel("none")),
        st.builds(NoiseModel, st.sampled_from(["gaussian", "uniform", "hetero"]), level),
    )


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``numpy.random.default_rng`` (so a failing seed shrinks and replays)."""
    return st.integers(0, 2**32 - 1)


def rngs() -> st.SearchStrategy[np.random.Generator]:
    """``numpy.random.Generator`` objects seeded by :func:`seeds`."""
    return seeds().map(np.random.default_rng)


@st.composite
def teachers(
    draw: Any,
    scheme_strategy: st.SearchStrategy[PatchScheme] | None = None,
    symmetric_only: bool = True,
    structured_cov: bool = True,
) -> Teacher:
    """Draw a :class:`~convotron.model.problem.Teacher` with random ``w*`` of norm in ``[0.1, 3]``.

    ``structured_cov=True`` restricts the covariance to identity and AR(1).
    """
    scheme = draw(scheme_strategy if scheme_strategy is not None else schemes())
    if structured_cov:
        cov: Covariance = draw(
            st.one_of(
                st.just(Identity(scheme.n)),
                st.floats(-0.9, 0.9).map(lambda rho: AR1(scheme.n, rho)),
            )
        )
    else:
        cov = draw(covariances(scheme.n))
    return Teacher.random(
        scheme,
        draw(alphas()),
        np.random.default_rng(draw(seeds())),
        law=draw(laws(symmetric_only)),
        cov=cov,
        noise=draw(noise_models()),
        w_norm=draw(st.floats(0.1, 3.0)),
    )
