r"""Data: input laws, symmetrisation and label noise.

The teacher is :mod:`convotron.model.problem`'s.

Inputs [paper] (``def-model``): :math:`x = L z` with :math:`L L^\top = \Sigma`
(:meth:`convotron.data.covariance.Covariance.transform`) and :math:`z` of iid *standardized*
coordinates (mean 0, variance 1), so :math:`\mathbb{E}[x x^\top] = \Sigma`. The theory
needs :math:`x` symmetric (:math:`x \overset{d}{=} -x`); that holds when each coordinate
law of :math:`z` is symmetric (:data:`LAWS`).

Laws, with :math:`\mathbb{E} z^4` and :math:`\sup|z|`:

* ``gaussian``: :math:`N(0, 1)`; 3; unbounded.
* ``rademacher``: :math:`\pm 1` with probability 1/2; 1; 1.
* ``uniform``: :math:`U[-\sqrt3, \sqrt3]`; 9/5; :math:`\sqrt3`.
* ``mixture``: symmetric two-component :math:`N(\pm\mu, \tau^2)` with :math:`\mu = 0.9`,
  :math:`\tau^2 = 1 - \mu^2`; :math:`\mu^4 + 6\mu^2\tau^2 + 3\tau^4`; unbounded.
* ``student-t``: :math:`t_\nu \sqrt{(\nu-2)/\nu}` with :math:`\nu = 5` (heavy tailed, finite
  fourth moment); :math:`3(\nu-2)/(\nu-4) = 9`; unbounded.
* ``exponential``: :math:`\mathrm{Exp}(1) - 1`, **asymmetric** (``symmetric=False``: violates
  the hypothesis of ``lem-symmetric``; for counterexamples); 9; unbounded.

Label noise (:class:`NoiseModel`), always with :math:`\mathbb{E}[\xi \mid x] = 0` [paper]:
``none``; ``gaussian:S`` (:math:`\xi \sim N(0, S^2)`); ``uniform:S``
(:math:`U[-S\sqrt3, S\sqrt3]`, variance :math:`S^2`, bounded); ``hetero:S``
(:math:`\xi = S \,\|x\| / \sqrt{\operatorname{tr}\Sigma}\, g`, :math:`g \sim N(0,1)`
independent of :math:`x`: its scale grows with :math:`\|x\|`, :math:`\mathbb{E}\xi^2 = S^2`).

[derived] When :math:`\xi` is independent of :math:`x` with variance :math:`\varsigma^2`,
:math:`\rho = \mathbb{E}[\xi^2 \|Px\|^2] = \varsigma^2 \operatorname{tr} M`; ``hetero`` is not
independent of :math:`x` (:attr:`NoiseModel.independent` is False).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._codes import LawCode, NoiseCode
from .._errors import ConvotronError
from .._limits import MAX_NOISE_LEVEL, require_finite
from .._validate import (
    CHUNK,
    RNG,
    InstanceOf,
    Interval,
    Param,
    check_fields,
    table,
    validate,
    validate_params,
)
from .covariance import _N, Covariance

__all__ = [
    "LAWS",
    "NOISE_KINDS",
    "InputLaw",
    "NoiseModel",
    "get_law",
    "parse_noise",
    "symmetrize",
]

#: The noise level (a standard deviation), at most MAX_NOISE_LEVEL: its square, the noise
#: variance, and the theorem's rho = level^2 tr M must stay finite in floating point.
_LEVEL = Param(
    "level",
    Interval(float, 0.0, MAX_NOISE_LEVEL),
    meaning="the noise level, a standard deviation",
    fix="Pass a realistic level, e.g. 0.1.",
)

# The laws' constants, the one definition read by the numpy draws below and by the compiled
# draws (convotron._compiled._kernels._draw_z; the tests check the two bitwise).
SQRT3 = math.sqrt(3.0)  # uniform on [-√3, √3] has variance 1
MIX_MU = 0.9  # mixture: N(±μ, τ²), τ² = 1 − μ²
MIX_TAU = math.sqrt(1.0 - MIX_MU**2)
T_NU = 5.0  # student-t: t_ν √((ν − 2)/ν), ν = 5
T_SCALE = math.sqrt((T_NU - 2.0) / T_NU)


#: The random generator argument: the shared rule (convotron._validate.RNG).
_RNG = RNG
_M = Param("m", Interval(int, 0, None), meaning="the number of samples", fix="Pass e.g. 1000.")
#: Rows per chunk of fresh samples (the default ``chunk`` of ``Teacher.sample``).
SAMPLE_CHUNK = 8192
#: The ``chunk`` argument (rows per draw) of ``Teacher.sample`` and ``fit``: the shared rule.
_CHUNK = CHUNK
_COV = Param(
    "cov",
    InstanceOf(Covariance, "a Covariance"),
    fix="Pass e.g. convotron.data.covariance.Identity(n) or parse_cov('ar1:0.5', n).",
)


def _gaussian(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.standard_normal(shape)


def _rademacher(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.integers(0, 2, size=shape, dtype=np.int8).astype(float) * 2.0 - 1.0


def _uniform(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.uniform(-SQRT3, SQRT3, size=shape)


def _mixture(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    z = rng.standard_normal(shape)
    z *= MIX_TAU
    sign = rng.integers(0, 2, size=shape, dtype=np.int8).astype(float) * 2.0 - 1.0
    z += MIX_MU * sign
    return z


def _student_t(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.standard_t(T_NU, size=shape) * T_SCALE


def _exponential(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.standard_exponential(shape) - 1.0


@dataclass(frozen=True)
class InputLaw:
    r"""The law of one standardized input coordinate :math:`z_j` (mean 0, variance 1).

    Attributes
    ----------
    name : str
        Key in :data:`LAWS`.
    symmetric : bool
        Whether :math:`z \overset{d}{=} -z` (then :math:`x = Lz` is symmetric, the hypothesis
        of ``lem-symmetric``).
    fourth_moment : float
        :math:`\mathbb{E} z^4`.
    bound : float or None
        :math:`\sup |z|`, or None when unbounded.
    """

    name: str
    symmetric: bool
    fourth_moment: float
    bound: float | None
    draw: Callable[[np.random.Generator, tuple[int, int]], np.ndarray] = field(
        repr=False, compare=False
    )
    #: The compiled loop's draw of this law (:class:`convotron._codes.LawCode`), or None for
    #: a law it does not draw (a custom law: runs on it draw in chunks with :attr:`draw`).
    code: int | None = field(default=None, repr=False, compare=False)

    def standard(self, rng: np.random.Generator, m: int, n: int) -> np.ndarray:
        """Return ``(m, n)`` iid standardized coordinates ``z``."""
        return self.draw(_RNG(rng), (_M(m), _N(n)))

    def sample(self, rng: np.random.Generator, m: int, cov: Covariance) -> np.ndarray:
        r"""Return ``m`` inputs :math:`x = L z` as an ``(m, n)`` array, :math:`LL^\top = \Sigma`."""
        cov = _COV(cov)
        return cov.transform(self.standard(rng, m, cov.n))


LAWS: dict[str, InputLaw] = {
    "gaussian": InputLaw("gaussian", True, 3.0, None, _gaussian, LawCode.GAUSSIAN),
    "rademacher": InputLaw("rademacher", True, 1.0, 1.0, _rademacher, LawCode.RADEMACHER),
    "uniform": InputLaw("uniform", True, 9.0 / 5.0, SQRT3, _uniform, LawCode.UNIFORM),
    "mixture": InputLaw(
        "mixture",
        True,
        MIX_MU**4 + 6.0 * MIX_MU**2 * MIX_TAU**2 + 3.0 * MIX_TAU**4,
        None,
        _mixture,
        LawCode.MIXTURE,
    ),
    "student-t": InputLaw(
        "student-t", True, 3.0 * (T_NU - 2.0) / (T_NU - 4.0), None, _student_t, LawCode.STUDENT_T
    ),
    "exponential": InputLaw("exponential", False, 9.0, None, _exponential, LawCode.EXPONENTIAL),
}


def get_law(name: str | InputLaw) -> InputLaw:
    """Return the law called ``name`` (an :class:`InputLaw` is returned unchanged).

    Raises
    ------
    ConvotronError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, InputLaw):
        return name
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in LAWS:
        raise ConvotronError(
            f"unknown input law {name!r}; the known laws are {', '.join(LAWS)}. "
            "Pass one of these names."
        )
    return LAWS[key]


@validate_params(table(RNG))
def symmetrize(X: Any, rng: np.random.Generator) -> np.ndarray:
    r"""Multiply each row of ``X`` by an independent uniform random sign.

    The result :math:`\varepsilon x` is symmetric whatever the law of :math:`x`, with the
    same :math:`\mathbb{E}[xx^\top]`; apply the same signs to the labels only if the
    target is odd (it is not for ReLU), so use this on inputs before labelling.

    Returns
    -------
    numpy.ndarray, shape (m, n)
        A new array.
    """
    XX = np.asarray(X, dtype=float)
    if XX.ndim != 2:
        raise ConvotronError(
            f"symmetrize needs X of shape (m, n); got shape {XX.shape}. Pass one input per row."
        )
    require_finite(XX, "X", "Remove those rows.")
    signs = rng.integers(0, 2, size=XX.shape[0]).astype(float) * 2.0 - 1.0
    return XX * signs[:, None]


NOISE_KINDS = ("none", "gaussian", "uniform", "hetero")
#: The compiled loop's code of each noise kind (:class:`convotron._codes.NoiseCode`).
NOISE_CODES = {
    "none": NoiseCode.NONE,
    "gaussian": NoiseCode.GAUSSIAN,
    "uniform": NoiseCode.UNIFORM,
    "hetero": NoiseCode.HETERO,
}


@dataclass(frozen=True)
class NoiseModel:
    r"""Label noise :math:`\xi = y - f_{w^*}(x)` with :math:`\mathbb{E}[\xi \mid x] = 0`.

    Attributes
    ----------
    kind : str
        ``"none"``, ``"gaussian"``, ``"uniform"`` or ``"hetero"``.
    level : float
        Scale :math:`\varsigma \ge 0`; :math:`\mathbb{E}\xi^2 = \varsigma^2` for every kind
        (``hetero``: as :math:`\mathbb{E}\|x\|^2 = \operatorname{tr}\Sigma`).
    """

    kind: str
    level: float = 0.0

    #: The constructor's table (convotron._validate); ``kind`` is checked with its own message.
    _parameter_constraints: ClassVar[dict[str, Param]] = {"level": _LEVEL}

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise ConvotronError(
                f"unknown noise kind {self.kind!r}; the kinds are {', '.join(NOISE_KINDS)}. "
                "Pass one of these."
            )
        check_fields(self, NoiseModel._parameter_constraints)
        value = self.level
        if self.kind == "none" and value != 0.0:
            raise ConvotronError(
                f"noise kind 'none' has level 0; got level {value!r}. "
                "Use kind 'gaussian' for a positive level."
            )
        object.__setattr__(self, "level", value)

    @property
    def independent(self) -> bool:
        r"""Whether :math:`\xi` is independent of :math:`x`.

        Then [derived] :math:`\rho = \varsigma^2 \operatorname{tr} M`.
        """
        return self.kind != "hetero"

    @property
    def variance(self) -> float:
        r""":math:`\mathbb{E}\xi^2 = \varsigma^2`."""
        return self.level**2

    @property
    def spec(self) -> str:
        """Canonical spec string, e.g. ``"gaussian:0.1"`` or ``"none"``."""
        return "none" if self.kind == "none" else f"{self.kind}:{self.level!r}"

    def sample(self, rng: np.random.Generator, X: Any, cov: Covariance | None = None) -> np.ndarray:
        r"""Draw :math:`\xi` for each row of ``X`` (shape ``(m, n)``); returns ``(m,)``.

        ``cov`` is used only by ``hetero`` for :math:`\operatorname{tr}\Sigma`; without it
        :math:`\operatorname{tr}\Sigma = n` (unit variances, as for identity and AR(1)).
        """
        rng = _RNG(rng)
        XX = np.asarray(X)
        if XX.ndim != 2:
            raise ConvotronError(
                f"noise needs X of shape (m, n); got shape {XX.shape}. Pass one input per row."
            )
        m = XX.shape[0]
        if self.kind == "none":
            return np.zeros(m)
        if self.kind == "gaussian":
            return np.asarray(self.level * rng.standard_normal(m))
        if self.kind == "uniform":
            return np.asarray(rng.uniform(-self.level * SQRT3, self.level * SQRT3, size=m))
        trace = float(XX.shape[1]) if cov is None else cov.trace()
        if not trace > 0:
            raise ConvotronError(
                f"hetero noise scales by ||x|| / sqrt(tr Sigma) and needs tr Sigma > 0; got "
                f"{trace!r}. Use a covariance with positive variances."
            )
        norms = np.sqrt(np.einsum("ij,ij->i", XX, XX, dtype=float))
        return self.level * norms / math.sqrt(trace) * rng.standard_normal(m)


def parse_noise(spec: str | float | NoiseModel) -> NoiseModel:
    """Parse a noise spec into a :class:`NoiseModel`.

    Forms: ``"0"``, ``"none"``, ``"S"`` (= ``gaussian:S``), ``"gaussian:S"``,
    ``"uniform:S"`` or ``"hetero:S"`` with ``S >= 0`` finite.

    A :class:`NoiseModel` is returned unchanged; a real number ``S`` means ``gaussian:S``
    (``0`` means ``none``).
    """
    if isinstance(spec, NoiseModel):
        return spec
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        value = float(spec)
        return NoiseModel("none") if value == 0.0 else NoiseModel("gaussian", value)
    fix = "Pass 'none', 'S', 'gaussian:S', 'uniform:S' or 'hetero:S'."
    text = validate("spec", spec, InstanceOf(str, "a string"), meaning="a noise spec", fix=fix)
    text = text.strip().lower()
    if text in ("none", "0"):
        return NoiseModel("none")
    kind, sep, raw = text.partition(":")
    if not sep:
        kind, raw = "gaussian", text
    kind = kind.strip()
    if kind not in NOISE_KINDS[1:]:
        raise ConvotronError(
            f"unknown noise spec {spec!r}; the forms are 'none', 'S', 'gaussian:S', "
            "'uniform:S' and 'hetero:S' with S >= 0. Pass e.g. 'gaussian:0.1'."
        )
    try:
        level = float(raw.strip())
    except ValueError:
        raise ConvotronError(
            f"the noise spec {spec!r} needs a number S >= 0 (a standard deviation); got "
            f"{raw.strip()!r}. Pass e.g. '{kind}:0.1'."
        ) from None
    return NoiseModel(kind, level)
