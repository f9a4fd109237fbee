r"""The compiled loop's interface: its integer codes and its named bundles (no numba here).

The one update loop (:func:`convotron._compiled._kernels._updates`) branches on small integers
(which rule, which input law, which covariance, which noise) and takes a few named bundles instead
of a long positional list. Both live here, in plain Python, so that the light modules
(:mod:`convotron.learning.rules`, :mod:`convotron.data.covariance`, :mod:`convotron.data.laws`) can
name them without importing numba, and the compiled code compares against the very same constants
(numba reads an ``IntEnum`` member as its integer).

Codes (each ``IntEnum`` is the one table from a name to its branch):

- :class:`RuleCode` — the update of a rule (:mod:`convotron.learning.rules`);
- :class:`LawCode` — the input law of the standardised coordinates :math:`z`
  (:data:`convotron.data.laws.LAWS`, each law carries its code);
- :class:`CovCode` — the transform :math:`x = Lz` (:class:`convotron.data.covariance.Covariance`
  subclasses carry their code);
- :class:`NoiseCode` — the label noise (:class:`convotron.data.laws.NoiseModel` kinds);
- :class:`Status` — what a call of the loop returns.

Bundles (``NamedTuple``: numba passes them as plain structs, fields read by name):

========================  ===============================================================
:class:`Model`            the problem's arrays: ``indices`` ``(k, r)`` int64, slope ``alpha``
:class:`RowSource`        fixed rows ``X (m, n)``, ``y (m,)``, consumed in order
:class:`SourceCodes`      a teacher's law, covariance and noise as codes and their numbers
:class:`DrawSource`       fresh samples: the generator, ``n``, the teacher's ``w*``, the codes
:class:`RuleStep`         a rule's compiled step: its code and parameters
:class:`Step`             ``eta``, ``batch`` and the :class:`RuleStep`
:class:`Recorder`         what is recorded: ``‖w_t − w*‖²`` every ``every`` updates, first hit
========================  ===============================================================

:func:`start_recorder` builds a :class:`Recorder` and its initial distance
:math:`\|w_1 - w^*\|^2`, the one place that sum is written.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "NO_PRECONDITIONER",
    "CovCode",
    "DrawSource",
    "LawCode",
    "Model",
    "NoiseCode",
    "Recorder",
    "RowSource",
    "RuleCode",
    "RuleStep",
    "SourceCodes",
    "Status",
    "Step",
    "start_recorder",
]


class RuleCode(IntEnum):
    """The update a rule's compiled step performs (the branch of ``_kernels._updates``)."""

    #: Algorithm 1, ``g = (y − f_w(x)) Σ_i P_i x`` (or ``P_j x`` with ``only_patch = j``).
    CONVOTRON = 0
    #: SGD on ``½(y − f_w(x))²``, ``g = (y − f_w(x)) (1/k) Σ_i σ′(wᵀP_i x) P_i x``.
    SGD = 1


class LawCode(IntEnum):
    """The law of the standardised input coordinates drawn in the compiled loop."""

    GAUSSIAN = 0
    RADEMACHER = 1
    UNIFORM = 2
    MIXTURE = 3
    STUDENT_T = 4
    EXPONENTIAL = 5


class CovCode(IntEnum):
    """The compiled transform ``x = L z`` of a covariance."""

    IDENTITY = 0  # x = z
    DIAGONAL = 1  # x_j = √s_j z_j (SourceCodes.cov_vec = √s)
    AR1 = 2  # x_1 = z_1, x_j = ρ x_{j−1} + √(1−ρ²) z_j (SourceCodes.rho)
    DENSE = 3  # x = L z (SourceCodes.cov_L = L)


class NoiseCode(IntEnum):
    """The label noise drawn in the compiled loop (the kinds of ``NoiseModel``)."""

    NONE = 0
    GAUSSIAN = 1
    UNIFORM = 2
    HETERO = 3


class Status(IntEnum):
    """What a call of the compiled loop returns first."""

    OK = 0
    #: the weights became non-finite or larger than ``DIVERGENCE_LIMIT`` (step too large)
    DIVERGED = 1
    #: a sample ``(x, y)`` is non-finite while the weights are finite (fixed rows only)
    BAD_SAMPLE = 2


class Model(NamedTuple):
    """The problem's arrays: patch indices (``-1`` reads a padded 0) and the slope ``α``."""

    indices: np.ndarray
    alpha: float


class RowSource(NamedTuple):
    """Fixed rows: update ``t`` uses rows ``(t − t0 − 1) B .. (t − t0) B − 1`` of ``X``, ``y``."""

    X: np.ndarray
    y: np.ndarray


class SourceCodes(NamedTuple):
    """A teacher's law, covariance and noise as the plain values the compiled draws take.

    Attributes
    ----------
    law : int
        :class:`LawCode`.
    cov : int
        :class:`CovCode`.
    cov_vec : (n,) float64
        ``√s`` for a diagonal covariance, else empty.
    rho : float
        The AR(1) correlation (0 otherwise).
    cov_L : (n, n) float64
        The factor ``L`` of a dense covariance (``L Lᵀ = Σ``), else ``(0, 0)``.
    noise : int
        :class:`NoiseCode`.
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


class DrawSource(NamedTuple):
    """Fresh teacher samples drawn in the loop: ``x = L z``, ``y = f_{teacher_w}(x) + ξ``."""

    rng: Any
    n: int
    teacher_w: np.ndarray
    codes: SourceCodes


#: No preconditioner: the ``(0, 0)`` array :class:`RuleStep` carries by default.
NO_PRECONDITIONER = np.zeros((0, 0))


class RuleStep(NamedTuple):
    """A rule's compiled step: its :class:`RuleCode` and the parameters its branch reads.

    ``only_patch`` (Convotron: the patch to update along, ``-1`` for all),
    ``deriv_at_zero`` (SGD: ``σ′(0)``) and ``precond`` (Convotron: the fixed r×r
    preconditioner ``H`` of the preconditioned update ``g = (y − f_w(x)) H Σ_i P_i x``,
    [derived], C-contiguous float64; ``(0, 0)`` for none); a rule leaves the others at their
    defaults.
    """

    code: int
    only_patch: int = -1
    deriv_at_zero: float = 0.0
    precond: np.ndarray = NO_PRECONDITIONER


class Step(NamedTuple):
    """The step size ``η``, the mini-batch size ``B`` and the rule's compiled step."""

    eta: float
    batch: int
    rule: RuleStep


class Recorder(NamedTuple):
    """What the loop records, against ``w_star`` (empty: nothing).

    ``hist[t // every] = ‖w_t − w*‖²`` when ``every`` (``> 0``) divides ``t``;
    ``first_hit[0] = t`` at the first update with ``‖w_t − w*‖² <= eps`` (``eps >= 0``).
    """

    w_star: np.ndarray
    every: int
    hist: np.ndarray
    eps: float
    first_hit: np.ndarray


def start_recorder(
    w: np.ndarray,
    w_star: np.ndarray | None,
    iters: int,
    record_every: int | None,
    eps: float | None,
) -> Recorder:
    r"""Return the :class:`Recorder` of a run of ``iters`` updates from ``w`` (``w_1``).

    ``hist`` has ``iters // record_every + 1`` slots (one without recording), NaN where not
    recorded; with ``w_star`` its slot 0 is :math:`\|w_1 - w^*\|^2` (numpy's sum) and
    ``first_hit`` is 0 when that is already ``<= eps``.
    """
    # a writable copy: the kernel sees one array type whatever the caller's flags
    ws = np.zeros(0) if w_star is None else np.array(w_star, dtype=np.float64, order="C")
    rec = int(record_every or 0)
    hist = np.full(iters // rec + 1 if rec else 1, np.nan)
    first = np.full(1, -1, dtype=np.int64)
    if w_star is not None:
        d0 = float(np.sum((w - ws) ** 2))
        hist[0] = d0
        if eps is not None and d0 <= eps:
            first[0] = 0
    return Recorder(ws, rec, hist, -1.0 if eps is None else float(eps), first)
