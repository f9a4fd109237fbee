r"""Update rules as values: what one step of a run does.

A rule is a small frozen value passed to :func:`convotron.algorithm.fit` (and
:func:`convotron.many.run_many`); the compiled loop
(:func:`convotron._kernels.run_updates`) runs every rule.

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
from typing import Any, ClassVar

import numpy as np

from ._limits import MAX_W_NORM
from ._validate import Interval, Options, Param, fail, validate

__all__ = ["ConvotronRule", "Rule", "SGDRule"]


@dataclass(frozen=True)
class _Start:
    """What a rule fixes before the first update (private to :mod:`convotron.algorithm`)."""

    mode: int
    only_patch: int | None
    w0: np.ndarray
    deriv_at_zero: float


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

    def _check_patch(self, k: int) -> int | None:
        if self.only_patch is None:
            return None
        return int(
            validate(
                "only_patch",
                self.only_patch,
                Interval(int, 0, k - 1),
                fix=f"Patches are numbered 0..{k - 1} (k={k}); pass one of them or None for all.",
            )
        )

    def _start(self, r: int, alpha: float, rng: np.random.Generator | None) -> _Start:
        from . import _kernels

        return _Start(_kernels.MODE_CONVOTRON, self.only_patch, np.zeros(r), 0.0)


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

    def _initial_filter(self, r: int, rng: np.random.Generator | None) -> np.ndarray:
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

    def _start(self, r: int, alpha: float, rng: np.random.Generator | None) -> _Start:
        from . import _kernels

        s0 = float(alpha) if self.sigma_prime_at_zero is None else float(self.sigma_prime_at_zero)
        return _Start(_kernels.MODE_SGD, None, self._initial_filter(r, rng), s0)


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

#: The update rules :func:`convotron.algorithm.fit` runs.
Rule = ConvotronRule | SGDRule
