r"""Fresh samples drawn inside the compiled loop: Convotron on a teacher, sample by sample.

:func:`convotron._compiled._kernels.run_draws` (driven by :func:`fused_convotron`, and by
:func:`convotron.learning.algorithm.fit` for a teacher) runs the updates of Convotron (or of
the SGD baseline) on samples of the teacher :math:`y = f_{w^*}(x) + \xi`, :math:`x = L z`
(:mod:`convotron.data.laws`), drawing every sample's inputs and noise *inside* the compiled loop
with numba's compiled ``numpy.random.Generator`` methods, which consume the generator's bit
stream exactly as numpy does. Nothing is materialised per sample beyond two length-``n``
scratch vectors (``z`` and ``x``), so a run costs the draws plus the arithmetic, with no
``(chunk, n)`` arrays in memory.

Order of the draws (one sample after the other; each sample entirely before the next):

1. the ``n`` standardised coordinates ``z`` of the input law, drawn as
   ``law.draw(rng, (1, n))`` draws them (:data:`convotron.data.laws.LAWS`, the compiled
   branch ``_kernels._draw_z`` of each law's ``code``): ``gaussian``
   ``standard_normal``; ``rademacher`` ``integers(0, 2, int8)`` (one 32-bit draw per four
   coordinates, the top bit of each byte, exactly numpy's buffered bounded ``int8`` path);
   ``uniform`` ``uniform(-√3, √3)``; ``mixture`` ``n`` normals then ``n`` signs;
   ``student-t`` ``standard_t(5) · √(3/5)``; ``exponential`` ``standard_exponential − 1``;
2. ``x = L z`` (identity; diagonal ``z √s``; AR(1) ``x_1 = z_1``,
   ``x_j = ρ x_{j−1} + √(1−ρ²) z_j`` in ``O(n)``; dense ``x = L z`` with the factor ``L`` of
   :meth:`convotron.data.covariance.Covariance.factor`; the covariance's ``code`` names it);
3. the label noise ``ξ`` of that sample (none: no draw; ``gaussian`` ``S · N(0,1)``;
   ``uniform`` ``uniform(−S√3, S√3)``; ``hetero`` ``S‖x‖/√tr Σ · N(0,1)``).

**This order differs from the chunked path** (:meth:`convotron.model.problem.Teacher.sample` drawing
``chunk`` rows at a time): there all inputs of a chunk are drawn first, then all their noise,
and the ``int8`` draws of the Rademacher and mixture laws share 32-bit words across rows. So a
fused run and a chunked run with the same seed see different (equally distributed) samples;
they agree in distribution, not bitwise (tested through the mean recursion).

**Two streams** (``stream`` of :func:`fused_convotron` and
:func:`convotron.learning.algorithm.fit`): ``"fast"`` (the default since issue 25:
:mod:`convotron._compiled._rng`, xoshiro256++ lanes and a block ziggurat, seeded from four words
of the run's generator drawn after ``w_1``; its oracle is ``fused_reference(..., stream="fast")``)
or ``"numpy"`` (above: numba's compiled ``Generator`` methods, numpy's own numbers); the same
laws and the same order, other numbers.

Every arithmetic operation is done in a fixed order (``fastmath=False``, no contraction into
FMA), so a run is bitwise reproducible for a seed and bitwise identical to the readable
per-sample numpy oracle :func:`fused_reference`, which draws in the same order (tested for
each law, covariance and noise). Compiled with ``nogil=True`` (several runs in threads) and
``cache=True``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .._codes import (
    CovCode,
    DrawSource,
    LawCode,
    Model,
    NoiseCode,
    SourceCodes,
    Step,
    start_recorder,
)
from .._compiled import _kernels, _rng
from .._interrupts import holding_interrupts
from .._validate import (
    ALPHA,
    BATCH,
    DEFAULT_STREAM,
    EPS,
    ITERS,
    RECORD_EVERY,
    RNG,
    STREAM,
    step_size,
    table,
    validate_params,
)
from ..data.covariance import Covariance
from ..data.laws import LAWS, NOISE_CODES

if TYPE_CHECKING:
    from .rules import Rule

__all__ = [
    "LAW_CODES",
    "NOISE_CODES",
    "FusedRun",
    "NotFusable",
    "SourceCodes",
    "draw_source",
    "fused_convotron",
    "fused_stream",
    "source_codes",
]

#: Law codes of the compiled draws, by name (each law of :data:`convotron.data.laws.LAWS` carries
#: its own ``code``, a :class:`~convotron._codes.LawCode`).
LAW_CODES: dict[str, int] = {name: law.code for name, law in LAWS.items() if law.code is not None}


class NotFusable(Exception):
    """The compiled loop cannot draw this law, covariance or noise (use the chunked path).

    Deliberately *not* a ``ValueError``: :func:`convotron.learning.algorithm.fit` falls back to the
    chunked path on this exception only, so a real validation error (a
    :class:`~convotron.ConvotronError`, which is a ``ValueError``) raised while the fused
    run is prepared still reaches the caller.
    """


def source_codes(law: Any, cov: Covariance, noise: Any) -> SourceCodes:
    """Translate an :class:`~convotron.data.laws.InputLaw`, a covariance and a noise model.

    ``law`` is an ``InputLaw`` (its ``code``) or a law's name; ``cov`` a
    :class:`~convotron.data.covariance.Covariance` (its ``code`` and its public accessors
    ``sqrt_diagonal()``, ``rho``, ``factor()``); ``noise`` a
    :class:`~convotron.data.laws.NoiseModel` or a kind.

    Raises
    ------
    NotFusable
        For a law, covariance or noise kind the fused loop does not draw (a custom law or
        covariance: use the chunked path).
    """
    name = getattr(law, "name", law)
    code = getattr(law, "code", None) if not isinstance(law, str) else LAW_CODES.get(law)
    if code is None:
        raise NotFusable(f"the fused sampler has no law {name!r}; use the chunked path")
    cov_code = getattr(cov, "code", None)
    if cov_code is None:
        raise NotFusable(f"the fused sampler has no covariance {type(cov).__name__}")
    kind = getattr(noise, "kind", noise)
    if kind not in NOISE_CODES:
        raise NotFusable(f"the fused sampler has no noise kind {kind!r}")
    n = cov.n
    vec = np.zeros(0)
    mat = np.zeros((0, 0))
    rho = 0.0
    if cov_code == CovCode.DIAGONAL:
        vec = np.array(cov.sqrt_diagonal(), dtype=np.float64, order="C")  # writable: one type
    elif cov_code == CovCode.AR1:
        rho = float(cov.rho)  # type: ignore[attr-defined]
    elif cov_code == CovCode.DENSE:
        mat = np.array(cov.factor(), dtype=np.float64, order="C")
    level = float(getattr(noise, "level", 0.0))
    trace = float(cov.trace()) if kind == "hetero" else float(n)
    return SourceCodes(
        int(LawCode(code)),
        int(CovCode(cov_code)),
        vec,
        rho,
        mat,
        int(NoiseCode(NOISE_CODES[kind])),
        level,
        math.sqrt(trace),
    )


def draw_source(
    rng: np.random.Generator, n: int, teacher_w: np.ndarray, codes: SourceCodes
) -> DrawSource:
    """Return the :class:`~convotron._codes.DrawSource` of a teacher, typed as the kernel wants."""
    c = SourceCodes(
        int(codes.law), int(codes.cov), np.ascontiguousarray(codes.cov_vec, dtype=np.float64),
        float(codes.rho), np.ascontiguousarray(codes.cov_L, dtype=np.float64), int(codes.noise),
        float(codes.level), float(codes.sqrt_trace),
    )  # fmt: skip
    # a writable copy of w*: the kernel sees one array type whatever the caller's flags
    return DrawSource(rng, int(n), np.array(teacher_w, dtype=np.float64, order="C"), c)


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


def initial_filter(
    rule: Rule | None, r: int, alpha: float, rng: np.random.Generator, w0: np.ndarray | None
) -> tuple[Any, np.ndarray]:
    """Return the rule (Convotron by default) and ``w_1``: ``w0``, else the rule's start."""
    if rule is None:
        from .rules import ConvotronRule

        rule = ConvotronRule()
    if w0 is not None:
        return rule, np.array(w0, dtype=np.float64, copy=True)
    return rule, np.array(rule.start(r, rng), dtype=np.float64, copy=True)


#: fused_convotron's table (convotron._validate): its scalars; its arrays are the caller's.
def fused_stream(stream: str | None, codes: SourceCodes) -> str:
    """Return the stream a teacher drawn in the compiled loop draws from.

    ``stream`` when named; else ``convotron._validate.DEFAULT_STREAM`` (the fast stream) where
    the fast stream draws the teacher's law (every law of ``convotron.data.laws.LAWS`` today),
    else numpy's.
    """
    if stream is not None:
        return stream
    return DEFAULT_STREAM if int(codes.law) in _rng.LAW_CODES.values() else "numpy"


FUSED_TABLE = table(ALPHA, step_size("eta"), ITERS, RNG, BATCH, RECORD_EVERY, EPS, STREAM)


@validate_params(FUSED_TABLE)
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
    rule: Rule | None = None,
    w0: np.ndarray | None = None,
    w_star: np.ndarray | None = None,
    record_every: int | None = None,
    eps: float | None = None,
    stream: str | None = None,
) -> FusedRun:
    """Run ``iters`` updates on fresh samples of a teacher, drawn inside the compiled loop.

    The fast path of ``fit`` for a :class:`~convotron.model.problem.Teacher` source; its scalars are
    checked by its table, its arrays are the caller's to check: ``codes`` is :func:`source_codes`
    ``(teacher.law, teacher.cov, teacher.noise)``, ``teacher_w`` the teacher's ``w*`` (used
    for the labels), ``w_star`` the filter to *record* distances to (usually the same; None
    records nothing). ``rule`` (default ``ConvotronRule()``) gives the compiled step
    (``rule.compiled(alpha)``) and ``w_1`` (``rule.start``, unless ``w0`` is given). For a
    progress bar or a time limit, call :func:`convotron._compiled._kernels.run_draws` in pieces
    (``t0``) with the same ``rng``: the result does not depend on the pieces.

    ``stream="numpy"`` draws with ``rng`` itself (numpy's stream, bitwise as numpy draws);
    ``stream="fast"`` draws from :func:`convotron._compiled._rng.stream_from_generator` ``(rng)``
    (taken after ``w_1``), the fast stream of :mod:`convotron._compiled._rng`, in the same order;
    None (the default) is :func:`fused_stream`'s choice, as in :func:`~convotron.fit`.

    Returns
    -------
    FusedRun
        Bitwise equal to :func:`fused_reference` with the same arguments and seed.
    """
    idx = np.ascontiguousarray(indices, dtype=np.int64)
    rule, w = initial_filter(rule, idx.shape[1], alpha, rng, w0)
    rec = start_recorder(w, w_star, iters, record_every, eps)
    model = Model(idx, float(alpha))
    kstep = Step(float(eta), int(batch), rule.compiled(float(alpha)))
    if fused_stream(stream, codes) == "fast":
        _rng.check_fast_law(codes.law)
        fast = _rng.stream_from_generator(rng)
        draws = draw_source(rng, n, teacher_w, codes)  # its rng is typed, not used
        with holding_interrupts():  # unboxing the generator: no Ctrl-C or kill mid-way
            status, t = _kernels.run_draws_fast(w, model, draws, fast, kstep, rec, 0, int(iters))
    else:
        draws = draw_source(rng, n, teacher_w, codes)
        with holding_interrupts():
            status, t = _kernels.run_draws(w, model, draws, kstep, rec, 0, int(iters))
    return FusedRun(w, int(status), int(t), rec.hist, int(rec.first_hit[0]))
