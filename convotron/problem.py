r"""The problem: a patch scheme, a slope, an input law, a covariance and a noise model.

A :class:`Problem` is everything about the learning task except the target filter
:math:`w^*` [paper] (``def-model``): inputs :math:`x = Lz` with :math:`LL^\top = \Sigma` and
:math:`z` of iid coordinates of law ``law``, labels :math:`y = f_{w^*}(x) + \xi` with the
leaky-ReLU slope ``alpha`` and noise :math:`\xi` of ``noise``, patches ``scheme``. The teacher
(:class:`~convotron.problem.Teacher`) is a problem together with :math:`w^*`; the theorem's
numbers (:func:`convotron.glue.parameters.theorem_parameters`) are a problem together with
:math:`(\epsilon, \delta, \|w^*\|)`.

Example
-------
>>> import numpy as np
>>> from convotron.problem import Problem
>>> problem = Problem.from_specs("1d:16,4,2", alpha=0.0, noise="gaussian:0.1")
>>> (problem.n, problem.r, problem.k)
(16, 4, 7)
>>> teacher = problem.random_teacher(np.random.default_rng(0), w_norm=1.0)
>>> round(float(np.linalg.norm(teacher.w_star)), 12)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import ConvotronError
from ._limits import MAX_SAMPLE_ENTRIES, MAX_W_NORM, chunk_rows, gib, real_vector
from ._validate import InstanceOf, Interval, Param, validate
from .activations import check_alpha
from .covariance import Covariance, as_covariance
from .data import _M, _RNG, InputLaw, NoiseModel, get_law, parse_noise
from .model import _activate_mean, _check_inputs, _preacts
from .patches import _SCHEME, PatchScheme, parse_spec

__all__ = ["Problem", "Teacher"]

# The checks of Problem and Teacher's own arguments (convotron._validate); the scheme's,
# the slope's, the law's, the covariance's and the noise's live with them.
_W_NORM = Param(
    "w_norm",
    Interval(float, 0.0, MAX_W_NORM),
    meaning="the norm of w*",
    fix="Pass e.g. 1.0.",
)
_CHUNK = Param("chunk", Interval(int, 1, None), fix="Pass e.g. 8192.")


@dataclass(frozen=True)
class Problem:
    r"""A learning problem without its target: scheme, slope, input law, covariance, noise.

    Attributes
    ----------
    scheme : PatchScheme
    alpha : float
        Leaky-ReLU slope in ``[0, 1]``.
    law : InputLaw
        Law of the standardized input coordinates.
    cov : Covariance
        :math:`\Sigma`, of dimension ``scheme.n``.
    noise : NoiseModel
        Label noise.

    The constructor takes the five values (a law name, a covariance spec or ``None`` and a
    noise spec are converted too); :meth:`from_specs` also takes a scheme spec string and
    has defaults (ReLU, Gaussian inputs, identity covariance, no noise).
    """

    scheme: PatchScheme
    alpha: float
    law: InputLaw
    cov: Covariance
    noise: NoiseModel

    def __post_init__(self) -> None:
        _SCHEME(self.scheme)
        object.__setattr__(self, "alpha", check_alpha(self.alpha))
        object.__setattr__(self, "law", get_law(self.law))
        object.__setattr__(self, "cov", as_covariance(self.cov, self.scheme.n))
        object.__setattr__(self, "noise", parse_noise(self.noise))

    @classmethod
    def from_specs(
        cls,
        scheme: PatchScheme | str,
        alpha: float = 0.0,
        law: InputLaw | str = "gaussian",
        cov: Covariance | str | None = None,
        noise: NoiseModel | str | float = "none",
    ) -> Problem:
        """Build a problem from objects or spec strings.

        ``scheme`` a :class:`PatchScheme` or a spec (``"1d:16,4,2"``, :func:`parse_spec`);
        ``law`` a name (:func:`~convotron.data.get_law`); ``cov`` ``None`` (identity) or a spec
        (:func:`~convotron.covariance.parse_cov`); ``noise`` a spec
        (:func:`~convotron.data.parse_noise`).
        """
        if isinstance(scheme, str):
            scheme = parse_spec(scheme)
        return cls(scheme, alpha, law, cov, noise)  # type: ignore[arg-type]

    @property
    def n(self) -> int:
        """Input dimension."""
        return int(self.scheme.n)

    @property
    def r(self) -> int:
        """Patch size (the length of ``w``)."""
        return int(self.scheme.r)

    @property
    def k(self) -> int:
        """Number of patches."""
        return int(self.scheme.k)

    def teacher(self, w_star: Any) -> Teacher:
        r"""Return the teacher :math:`y = f_{w^*}(x) + \xi` of this problem with ``w_star``."""
        return Teacher(self, w_star)

    def random_teacher(self, rng: np.random.Generator, w_norm: float = 1.0) -> Teacher:
        r"""Return a teacher with :math:`w^*` uniform on the sphere of radius ``w_norm``.

        Draws ``r`` standard normals from ``rng`` and scales them to norm ``w_norm``.
        """
        rng = _RNG(rng)
        w_norm = _W_NORM(w_norm)
        g = rng.standard_normal(self.r)
        return self.teacher(w_norm * g / np.linalg.norm(g))


@dataclass(frozen=True)
class Teacher:
    r"""The data source :math:`y = f_{w^*}(x) + \xi`, :math:`x = Lz` [paper] (``def-model``).

    A :class:`~convotron.problem.Problem` together with the target filter. Build one with
    ``problem.teacher(w_star)``, ``problem.random_teacher(rng, w_norm)`` or
    :meth:`Teacher.random`.

    Attributes
    ----------
    problem : Problem
        Scheme, slope, input law, covariance and noise (also readable as ``teacher.scheme``,
        ``teacher.alpha``, ``teacher.law``, ``teacher.cov``, ``teacher.noise``).
    w_star : numpy.ndarray, shape (r,)
        The target filter (read-only copy).
    """

    problem: Problem
    w_star: np.ndarray

    def __post_init__(self) -> None:
        validate(
            "problem",
            self.problem,
            InstanceOf(Problem, "a Problem"),
            fix="Build one with Problem.from_specs('1d:64,8,2', alpha=0.0).",
        )
        r = self.problem.scheme.r
        w = real_vector(self.w_star, "w_star", r, "Pass one finite weight per patch position.")
        w.setflags(write=False)
        object.__setattr__(self, "w_star", w)

    @property
    def scheme(self) -> PatchScheme:
        """The patch scheme of :attr:`problem`."""
        return self.problem.scheme

    @property
    def alpha(self) -> float:
        """The leaky-ReLU slope of :attr:`problem`."""
        return self.problem.alpha

    @property
    def law(self) -> InputLaw:
        """The input law of :attr:`problem`."""
        return self.problem.law

    @property
    def cov(self) -> Covariance:
        """The covariance of :attr:`problem`."""
        return self.problem.cov

    @property
    def noise(self) -> NoiseModel:
        """The noise model of :attr:`problem`."""
        return self.problem.noise

    def predict(self, X: Any) -> np.ndarray:
        r"""Return :math:`f_{w^*}(x)` for each row of ``X``, shape ``(m,)``."""
        ww, XX, _ = _check_inputs(self.w_star, X, self.scheme)
        return _activate_mean(_preacts(ww, XX, self.scheme), self.alpha)

    def sample(
        self, rng: np.random.Generator, m: int, *, chunk: int = 8192
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Draw ``m`` fresh samples, vectorised in chunks of ``chunk`` rows.

        A chunk holds at most :data:`~convotron._limits.MAX_CHUNK_ENTRIES` values (fewer rows
        for a large ``n``), and ``m x n`` is limited to
        :data:`~convotron._limits.MAX_SAMPLE_ENTRIES`, checked before anything is drawn.

        Returns
        -------
        X : numpy.ndarray, shape (m, n)
        y : numpy.ndarray, shape (m,)
            :math:`y = f_{w^*}(x) + \xi`.
        """
        rng = _RNG(rng)
        m = _M(m)
        chunk = _CHUNK(chunk)
        n = self.scheme.n
        if m * n > MAX_SAMPLE_ENTRIES:
            raise ConvotronError(
                f"the number of samples m is too large: m x n = {m} x {n} = {m * n} values "
                f"({gib(m * n)}) would be allocated, above the limit of {MAX_SAMPLE_ENTRIES} "
                f"({gib(MAX_SAMPLE_ENTRIES)}) for one call. Draw at most "
                f"{max(1, MAX_SAMPLE_ENTRIES // n)} samples per call (a loop of calls, or "
                "convotron.fit, which draws in chunks).",
                param="m",
            )
        step = chunk_rows(int(chunk), n)
        if m <= step:  # the common case: one chunk, no copy
            return self._draw(rng, m)
        X = np.empty((m, n))
        y = np.empty(m)
        for s in range(0, m, step):
            e = min(m, s + step)
            X[s:e], y[s:e] = self._draw(rng, e - s)
        return X, y

    def _draw(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        """One chunk of ``m`` samples: ``X = L z``, then the labels and the noise."""
        Xc = self.cov.transform(self.law.draw(rng, (m, self.scheme.n)))
        yc = _activate_mean(_preacts(self.w_star, Xc, self.scheme), self.alpha)
        if self.noise.kind != "none":
            yc += self.noise.sample(rng, Xc, self.cov)
        return Xc, yc

    @classmethod
    def random(
        cls,
        scheme: PatchScheme,
        alpha: float,
        rng: np.random.Generator,
        law: str | InputLaw = "gaussian",
        cov: Covariance | str | None = None,
        noise: str | float | NoiseModel = "none",
        w_norm: float = 1.0,
    ) -> Teacher:
        r"""Build a teacher with :math:`w^*` uniform on the sphere of radius ``w_norm``.

        The same as ``Problem.from_specs(scheme, alpha, law, cov, noise).random_teacher(rng,
        w_norm)`` (:class:`~convotron.problem.Problem`): ``cov`` None means the identity;
        strings go through :func:`~convotron.covariance.parse_cov`, ``noise`` through
        :func:`parse_noise`, ``law`` through :func:`get_law`.
        """
        rng = _RNG(rng)
        return Problem.from_specs(scheme, alpha, law, cov, noise).random_teacher(rng, w_norm)
