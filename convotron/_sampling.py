r"""Fresh samples drawn inside the compiled loop: Convotron on a teacher, sample by sample.

:func:`fused_updates` runs the updates of Convotron (or of the SGD baseline) on samples of the
teacher :math:`y = f_{w^*}(x) + \xi`, :math:`x = L z` (:mod:`convotron.data`), drawing every
sample's inputs and noise *inside* the compiled loop with numba's compiled
``numpy.random.Generator`` methods, which consume the generator's bit stream exactly as numpy
does. Nothing is materialised per sample beyond two length-``n`` scratch vectors (``z`` and
``x``), so a run costs the draws plus the arithmetic, with no ``(chunk, n)`` arrays in memory.

Order of the draws (one sample after the other; each sample entirely before the next):

1. the ``n`` standardised coordinates ``z`` of the input law, drawn as
   ``law.draw(rng, (1, n))`` draws them (:data:`convotron.data.LAWS`): ``gaussian``
   ``standard_normal``; ``rademacher`` ``integers(0, 2, int8)`` (one 32-bit draw per four
   coordinates, the top bit of each byte, exactly numpy's buffered bounded ``int8`` path);
   ``uniform`` ``uniform(-√3, √3)``; ``mixture`` ``n`` normals then ``n`` signs;
   ``student-t`` ``standard_t(5) · √(3/5)``; ``exponential`` ``standard_exponential − 1``;
2. ``x = L z`` (identity; diagonal ``z √s``; AR(1) ``x_1 = z_1``,
   ``x_j = ρ x_{j−1} + √(1−ρ²) z_j`` in ``O(n)``; dense ``x = L z`` with the factor ``L`` of
   :class:`convotron.covariance.Dense`);
3. the label noise ``ξ`` of that sample (none: no draw; ``gaussian`` ``S · N(0,1)``;
   ``uniform`` ``uniform(−S√3, S√3)``; ``hetero`` ``S‖x‖/√tr Σ · N(0,1)``).

**This order differs from the chunked path** (:meth:`convotron.problem.Teacher.sample` drawing
``chunk`` rows at a time): there all inputs of a chunk are drawn first, then all their noise,
and the ``int8`` draws of the Rademacher and mixture laws share 32-bit words across rows. So a
fused run and a chunked run with the same seed see different (equally distributed) samples;
they agree in distribution, not bitwise (tested through the mean recursion).

Every arithmetic operation is done in a fixed order (``fastmath=False``, no contraction into
FMA), so a run is bitwise reproducible for a seed and bitwise identical to the readable
per-sample numpy oracle :func:`fused_reference`, which draws in the same order (tested for
each law, covariance and noise). Compiled with ``nogil=True`` (several runs in threads) and
``cache=True``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from . import _kernels
from .covariance import AR1, Covariance, Dense, Diagonal, Identity

__all__ = [
    "COV_CODES",
    "LAW_CODES",
    "NOISE_CODES",
    "FusedRun",
    "SourceCodes",
    "fused_convotron",
    "fused_updates",
    "source_codes",
]

#: Law codes of :func:`fused_updates` (the names of :data:`convotron.data.LAWS`).
LAW_CODES = {
    "gaussian": 0,
    "rademacher": 1,
    "uniform": 2,
    "mixture": 3,
    "student-t": 4,
    "exponential": 5,
}
#: Covariance codes: identity, diagonal (``cov_vec = √s``), AR(1) (``rho``), dense (``cov_L``).
COV_CODES = {"identity": 0, "diag": 1, "ar1": 2, "dense": 3}
#: Noise codes (the kinds of :class:`convotron.data.NoiseModel`).
NOISE_CODES = {"none": 0, "gaussian": 1, "uniform": 2, "hetero": 3}


class SourceCodes(NamedTuple):
    """A teacher's law, covariance and noise as the plain values :func:`fused_updates` takes.

    Attributes
    ----------
    law : int
        :data:`LAW_CODES`.
    cov : int
        :data:`COV_CODES`.
    cov_vec : (n,) float64
        ``√s`` for a diagonal covariance, else empty.
    rho : float
        The AR(1) correlation (0 otherwise).
    cov_L : (n, n) float64
        The factor ``L`` of a dense covariance (``L Lᵀ = Σ``), else ``(0, 0)``.
    noise : int
        :data:`NOISE_CODES`.
    level : float
        The noise scale ``S``.
    sqrt_trace : float
        ``√tr Σ`` (used by ``hetero`` only).
    """

    law: int
    cov: int
    cov_vec: np.ndarray
    rho: float
    cov_L: np.ndarray
    noise: int
    level: float
    sqrt_trace: float


def source_codes(law: Any, cov: Covariance, noise: Any) -> SourceCodes:
    """Translate an :class:`~convotron.data.InputLaw`, a covariance and a noise model.

    Raises
    ------
    ValueError
        For a law, covariance class or noise kind the fused loop does not know (a custom
        law or covariance: use the chunked path).
    """
    name = getattr(law, "name", law)
    if name not in LAW_CODES:
        raise ValueError(f"the fused sampler has no law {name!r}; use the chunked path")
    n = cov.n
    vec = np.zeros(0)
    mat = np.zeros((0, 0))
    rho = 0.0
    if type(cov) is Identity:
        code = COV_CODES["identity"]
    elif type(cov) is Diagonal:
        code = COV_CODES["diag"]
        vec = np.ascontiguousarray(cov._sqrt, dtype=np.float64)
    elif type(cov) is AR1:
        code = COV_CODES["ar1"]
        rho = float(cov.rho)
    elif type(cov) is Dense:
        code = COV_CODES["dense"]
        mat = np.ascontiguousarray(cov._L, dtype=np.float64)
    else:
        raise ValueError(f"the fused sampler has no covariance {type(cov).__name__}")
    kind = getattr(noise, "kind", noise)
    if kind not in NOISE_CODES:
        raise ValueError(f"the fused sampler has no noise kind {kind!r}")
    level = float(getattr(noise, "level", 0.0))
    trace = float(cov.trace()) if kind == "hetero" else float(n)
    return SourceCodes(
        LAW_CODES[name], code, vec, rho, mat, NOISE_CODES[kind], level, math.sqrt(trace)
    )


# --------------------------------------------------------------------------- compiled


@njit(cache=True, nogil=True, fastmath=False)
def fused_updates(  # pragma: no cover - compiled
    rng,
    n_updates,
    t0,
    n,
    law,
    cov,
    cov_vec,
    rho,
    cov_L,
    noise,
    level,
    sqrt_trace,
    indices,
    alpha,
    teacher_w,
    w,
    eta,
    batch,
    only_patch,
    mode,
    deriv_at_zero,
    w_star,
    record_every,
    hist,
    eps,
    first_hit,
):
    """Perform ``n_updates`` updates on fresh teacher samples drawn in the loop, ``w`` in place.

    Update ``t = t0 + 1, ..., t0 + n_updates``: draw ``batch`` samples one after the other
    (inputs ``x = L z``, then the noise ``ξ``; the module docstring gives the draws), label
    each ``y = f_{teacher_w}(x) + ξ`` and apply exactly the update of
    :func:`convotron._kernels.run_updates` (same ``mode``, ``only_patch``, ``deriv_at_zero``,
    recording into ``hist`` every ``record_every`` updates against ``w_star`` (empty: no
    record) and ``first_hit`` for ``eps >= 0``): both are the one loop
    ``convotron._kernels._updates``, so the arithmetic order is the same. The draws are
    compiled there too (``_kernels._draw_z``, ``_transform``, ``_draw_noise``).

    The teacher's and the student's pre-activations are computed in the same pass over the
    patches (each sum keeps its order, so the results are those of two separate passes).

    The arguments ``law .. sqrt_trace`` are the fields of :class:`SourceCodes` in order, so a
    driver calls ``fused_updates(rng, u, t0, n, *source_codes(law, cov, noise), indices, ...)``;
    the other arguments and the results are those of :func:`convotron._kernels.run_updates`,
    so the same driver (chunks of updates for a progress bar, divergence handling) serves both.
    A call with ``n_updates = 0`` compiles or loads the kernel without drawing.

    Returns
    -------
    status : int
        ``_kernels.STATUS_OK`` or ``_kernels.STATUS_DIVERGED``.
    t : int
        Updates done in total, or the update at which the weights became non-finite.
    """
    return _kernels._updates(
        np.empty((0, n)), np.empty(0), rng, n, law, cov, cov_vec, rho, cov_L, noise, level,
        sqrt_trace, teacher_w, indices, alpha, w, eta, batch, only_patch, mode, deriv_at_zero,
        w_star, record_every, t0, n_updates, hist, eps, first_hit,
    )  # fmt: skip


# --------------------------------------------------------------------------- Python side


class FusedRun(NamedTuple):
    """Outcome of :func:`fused_convotron` and :func:`fused_reference`.

    Attributes
    ----------
    w : (r,) float64
        The final filter (NaN-free up to the update where the run stopped).
    status : int
        ``_kernels.STATUS_OK`` or ``_kernels.STATUS_DIVERGED``.
    t : int
        Updates done (``iters`` on success), or the update at which the run diverged.
    hist : (iters // record_every + 1,) float64
        ``‖w_t − w*‖²`` at ``t = 0, m, 2m, ...`` (``m = record_every``); NaN where not
        recorded, a single NaN without recording.
    first_hit : int
        First update after which ``‖w_t − w*‖² <= eps``, or ``-1``.
    """

    w: np.ndarray
    status: int
    t: int
    hist: np.ndarray
    first_hit: int


def _start(
    r: int,
    w0: np.ndarray | None,
    w_star: np.ndarray | None,
    iters: int,
    record_every: int | None,
    eps: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, float]:
    w = np.zeros(r) if w0 is None else np.array(w0, dtype=np.float64, copy=True)
    ws = np.zeros(0) if w_star is None else np.ascontiguousarray(w_star, dtype=np.float64)
    rec = int(record_every or 0)
    hist = np.full(iters // rec + 1 if rec else 1, np.nan)
    first = np.full(1, -1, dtype=np.int64)
    if w_star is not None:
        d0 = 0.0
        for v in ((w - ws) * (w - ws)).tolist():
            d0 += v
        hist[0] = d0
        if eps is not None and d0 <= eps:
            first[0] = 0
    return w, ws, hist, first, rec, -1.0 if eps is None else float(eps)


def fused_convotron(
    n: int,
    indices: np.ndarray,
    alpha: float,
    teacher_w: np.ndarray,
    codes: SourceCodes,
    *,
    eta: float,
    iters: int,
    rng: np.random.Generator,
    batch: int = 1,
    only_patch: int | None = None,
    mode: int = _kernels.MODE_CONVOTRON,
    deriv_at_zero: float = 0.0,
    w0: np.ndarray | None = None,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
) -> FusedRun:
    """Run ``iters`` updates on fresh samples of a teacher, drawn inside the compiled loop.

    The fast path of ``fit`` for a :class:`~convotron.problem.Teacher` source: ``codes`` is
    :func:`source_codes` ``(teacher.law, teacher.cov, teacher.noise)``, ``teacher_w`` the
    teacher's ``w*`` (used for the labels), ``w_star`` the filter to *record* distances to
    (usually the same; None records nothing). No validation here (the caller validates);
    ``mode``, ``only_patch`` and ``deriv_at_zero`` as in :func:`convotron._kernels.run_updates`.
    For a progress bar or a time limit, call :func:`fused_updates` in pieces (``t0``) with
    the same ``rng``: the result does not depend on the pieces.

    Returns
    -------
    FusedRun
        Bitwise equal to :func:`fused_reference` with the same arguments and seed.
    """
    idx = np.ascontiguousarray(indices, dtype=np.int64)
    r = idx.shape[1]
    w, ws, hist, first, rec, e = _start(r, w0, w_star, iters, record_every, eps)
    status, t = fused_updates(
        rng, int(iters), 0, int(n), codes.law, codes.cov, codes.cov_vec, float(codes.rho),
        codes.cov_L, codes.noise, float(codes.level), float(codes.sqrt_trace), idx,
        float(alpha), np.ascontiguousarray(teacher_w, dtype=np.float64),
        w, float(eta), int(batch), -1 if only_patch is None else int(only_patch), int(mode),
        float(deriv_at_zero), ws, rec, hist, e, first,
    )  # fmt: skip
    return FusedRun(w, int(status), int(t), hist, int(first[0]))
