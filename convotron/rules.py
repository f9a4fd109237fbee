r"""Update rules as values: what one step of a run does, and the protocol a rule follows.

A rule is a small frozen value passed to :func:`convotron.algorithm.fit` (and
:func:`convotron.many.run_many`); the compiled loop (:func:`convotron._kernels._updates`)
runs every rule, on the branch its :meth:`~Rule.compiled` step names. What a rule provides
is the :class:`Rule` protocol: its name, its checks against the scheme, its start ``w_1``,
its compiled step (a :class:`~convotron._codes.RuleStep`: a
:class:`~convotron._codes.RuleCode` and its parameters) and its readable step (the oracle
the compiled branch is compared with, bitwise, by
:func:`convotron._sampling_reference.fused_reference`). Nothing outside this module reads a
rule's private attributes.

- :class:`ConvotronRule` — Algorithm 1 of Goel, Klivans and Meka (ICML 2018) [paper]
  (label ``alg-convotron``): ``w_1 = 0`` and
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) Σ_i P_i x_t`` (no ``σ′``). With
  ``only_patch = j`` it is the one-disjoint-patch variant (``thm-disjoint``):
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) P_j x_t``.
- :class:`SGDRule` — SGD on the square loss ``½ (y − f_w(x))²`` (the paper's contrast):
  ``w_{t+1} = w_t + η (y_t − f_{w_t}(x_t)) (1/k) Σ_i σ′(w_tᵀ P_i x_t) P_i x_t`` with
  ``σ′(0) := α`` by default (the left derivative, as deep-learning frameworks compute it);
  see :mod:`convotron.baselines` for the readable version and the convention's discussion.

With a mini-batch of ``B`` rows each update averages the ``B`` per-sample steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ._codes import RuleCode, RuleStep
from ._limits import MAX_W_NORM
from ._validate import Interval, Options, Param, fail, validate

__all__ = ["ConvotronRule", "Rule", "SGDRule"]


@runtime_checkable
class Rule(Protocol):
    r"""What :func:`convotron.algorithm.fit` needs of an update rule.

    With ``P_i x`` the patches of a sample ``x``, ``z_i = wᵀ P_i x`` and the residual
    ``res = y − f_w(x)``, an update is ``w ← w + η (1/B) Σ_b g(x_b, y_b)`` with the rule's
    per-sample step ``g``.

    Attributes
    ----------
    algorithm : str
        The rule's name in results and messages (``RunResult.algorithm``).
    only_patch : int or None
        The patch the step is restricted to (recorded in ``RunResult.only_patch``); None
        for every patch.
    """

    algorithm: ClassVar[str]

    @property
    def only_patch(self) -> int | None: ...  # noqa: D102

    def check(self, k: int) -> None:
        """Check the rule against a scheme of ``k`` patches (raise ``ConvotronError``)."""

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """Return ``w_1`` (length ``r``); may draw from ``rng`` (before any sample)."""

    def compiled(self, alpha: float) -> RuleStep:
        """Return the compiled step: a :class:`~convotron._codes.RuleCode` and its parameters.

        The branch of that code in :func:`convotron._kernels._updates` is the rule's compiled
        step; :meth:`step` is its readable twin.
        """

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """Return ``G + g``: the readable step ``g`` of one sample added to the batch's ``G``.

        ``patches`` ``(k, r)`` (row ``i`` is ``P_i x``), ``z`` ``(k,)``. Every sum is
        written left to right in the compiled branch's order (the oracle is compared with
        it bitwise).
        """

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """Return the linearised step at residual 1 and ``σ′ ≡ 1`` for rows ``(m, k, r)``.

        ``(m, r)``; the divergence message's step-size hint uses it.
        """


def _seq_rows(rows: np.ndarray) -> np.ndarray:
    """``rows[0] + rows[1] + ...`` left to right (the compiled loop's order)."""
    total = np.zeros(rows.shape[1])
    for row in rows:
        total = total + row
    return total


@dataclass(frozen=True)
class ConvotronRule:
    """Convotron's update (Algorithm 1, [paper]); ``only_patch=j`` updates along ``P_j x`` only.

    Parameters
    ----------
    only_patch : int, optional
        The disjoint-patch variant (``thm-disjoint``): ``G_t = (y_t − f_{w_t}(x_t)) P_j x_t``
        with ``j = only_patch`` (0-based, ``j < k`` checked when the scheme is known). Any
        patch is accepted; the result's ``only_patch_disjoint`` says whether ``P_j`` is
        disjoint from the others (the theorem's hypothesis). None: Algorithm 1.

    Examples
    --------
    >>> ConvotronRule()
    ConvotronRule(only_patch=None)
    >>> ConvotronRule(only_patch=-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convotron._errors.ConvotronError: only_patch must be an integer ...
    """

    only_patch: int | None = None

    algorithm: ClassVar[str] = "convotron"

    def __post_init__(self) -> None:
        op = validate(
            "only_patch",
            self.only_patch,
            Interval(int, 0, None),
            fix="Pass a patch number (0-based) or None for Algorithm 1.",
            allow_none=True,
        )
        object.__setattr__(self, "only_patch", op)

    def check(self, k: int) -> None:
        """Check that ``only_patch`` names one of the ``k`` patches."""
        if self.only_patch is not None:
            validate(
                "only_patch",
                self.only_patch,
                Interval(int, 0, k - 1),
                fix=f"Patches are numbered 0..{k - 1} (k={k}); pass one of them or None for all.",
            )

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """``w_1 = 0`` (Algorithm 1); draws nothing."""
        return np.zeros(r)

    def compiled(self, alpha: float) -> RuleStep:
        """``RuleCode.CONVOTRON`` with the patch (``-1``: all)."""
        op = -1 if self.only_patch is None else int(self.only_patch)
        return RuleStep(int(RuleCode.CONVOTRON), op, 0.0)

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """``G + res Σ_i P_i x`` (``Σ_i`` in order), or ``G + res P_j x``."""
        if self.only_patch is None:
            return G + residual * _seq_rows(patches)
        return G + residual * patches[self.only_patch]

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """``Σ_i P_i x`` (or ``P_j x``) for each row."""
        if self.only_patch is None:
            return np.asarray(patches.sum(axis=1))
        return np.asarray(patches[:, self.only_patch, :])


_INIT_FIX = "Pass 'zero', 'random' or a finite filter of length r."


@dataclass(frozen=True)
class SGDRule:
    r"""SGD on ``½ (y − f_w(x))²``: ``w ← w + η (y − f_w(x)) (1/k) Σ_i σ′(wᵀ P_i x) P_i x``.

    Parameters
    ----------
    init : {"zero", "random"} or (r,) array, default "zero"
        ``w_1``: zeros; ``init_scale · g / √r`` with ``g ~ N(0, I_r)`` drawn from the run's
        ``rng`` before any sample; or the given vector (stored as a tuple of floats).
    init_scale : float, default 1.0
        Scale of the random start (``E‖w_1‖² = init_scale²``), a finite number ``>= 0``.
    sigma_prime_at_zero : float in [0, 1] or None, default None
        The derivative convention ``σ′(0)``; None means ``σ′(0) := α`` (the left derivative,
        as in deep-learning frameworks: ReLU SGD from ``w = 0`` then never moves).

    Examples
    --------
    >>> SGDRule()
    SGDRule(init='zero', init_scale=1.0, sigma_prime_at_zero=None)
    """

    init: str | tuple[float, ...] | np.ndarray = "zero"  # an array is stored as a tuple
    init_scale: float = 1.0
    sigma_prime_at_zero: float | None = None

    algorithm: ClassVar[str] = "sgd"
    only_patch: ClassVar[None] = None  # every patch

    def __post_init__(self) -> None:
        init: Any = self.init
        if isinstance(init, str):
            validate("init", init, Options("zero", "random"), fix=_INIT_FIX)
        else:
            w0 = np.asarray(init, dtype=np.float64) if _is_array_like(init) else None
            if (
                w0 is None
                or w0.ndim != 1
                or not np.all(np.isfinite(w0))
                or np.any(np.abs(w0) > MAX_W_NORM)
            ):
                shown = f"an array of shape {w0.shape}" if w0 is not None else repr(init)
                raise fail(
                    "init",
                    f"'zero', 'random' or a finite vector of shape (r,), entries <= {MAX_W_NORM:g}",
                    shown,
                    _INIT_FIX,
                )
            object.__setattr__(self, "init", tuple(float(v) for v in w0))
        object.__setattr__(self, "init_scale", _INIT_SCALE(self.init_scale))
        if self.init_scale > MAX_W_NORM:  # w_1 and ‖w_1 − w*‖² must stay finite
            raise fail("init_scale", f"at most {MAX_W_NORM:g}", repr(self.init_scale),
                       "Pass e.g. init_scale=1.0.")  # fmt: skip
        object.__setattr__(self, "sigma_prime_at_zero", _SIGMA0(self.sigma_prime_at_zero))

    def check(self, k: int) -> None:
        """Nothing to check against the scheme (``init``'s length is checked by :meth:`start`)."""

    def start(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
        """``w_1`` for a filter of length ``r`` (draws from ``rng`` for ``init="random"``)."""
        if self.init == "zero":
            return np.zeros(r)
        if self.init == "random":
            if rng is None:
                raise fail(
                    "rng",
                    "a numpy.random.Generator with init='random' (to draw w_1)",
                    "None",
                    "Pass rng=numpy.random.default_rng(seed).",
                )
            return float(self.init_scale) * rng.standard_normal(r) / math.sqrt(r)
        w0 = np.array(self.init, dtype=np.float64)
        if w0.shape != (r,):
            raise fail(
                "init",
                f"'zero', 'random' or a finite vector of shape (r,) = ({r},)",
                f"an array of shape {w0.shape}",
                f"Pass a finite filter of length {r}.",
            )
        return w0

    def deriv_at_zero(self, alpha: float) -> float:
        """Return the convention ``σ′(0)``: ``sigma_prime_at_zero``, or ``α`` when None."""
        return float(alpha) if self.sigma_prime_at_zero is None else float(self.sigma_prime_at_zero)

    def compiled(self, alpha: float) -> RuleStep:
        """``RuleCode.SGD`` with ``σ′(0)``."""
        return RuleStep(int(RuleCode.SGD), -1, self.deriv_at_zero(alpha))

    def step(
        self, G: np.ndarray, patches: np.ndarray, z: np.ndarray, residual: float, alpha: float
    ) -> np.ndarray:
        """``G + Σ_i (res σ′(z_i) / k) P_i x``, each term added to ``G`` in order of ``i``.

        A term with ``σ′(z_i) = 0`` is skipped (as the compiled branch does).
        """
        inv_k = 1.0 / patches.shape[0]
        s0 = self.deriv_at_zero(alpha)
        for i in range(patches.shape[0]):
            zi = z[i]
            d = 1.0 if zi > 0.0 else (alpha if zi < 0.0 else s0)
            if d != 0.0:
                G = G + (residual * d * inv_k) * patches[i]
        return G

    def direction(self, patches: np.ndarray) -> np.ndarray:
        """``(1/k) Σ_i P_i x`` for each row."""
        return np.asarray(patches.sum(axis=1) / patches.shape[1])


def _is_array_like(value: Any) -> bool:
    if isinstance(value, np.ndarray | list | tuple):
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return True
    return False


_INIT_SCALE = Param(
    "init_scale",
    Interval(float, 0.0, None, closed="left"),
    meaning="the expected norm of the random start",
    fix="Pass e.g. init_scale=1.0.",
)
_SIGMA0 = Param(
    "sigma_prime_at_zero",
    Interval(float, 0.0, 1.0),
    meaning="the derivative convention σ′(0); None means σ′(0) := α",
    fix="Pass None, 0.0 or 1.0.",
    allow_none=True,
)
