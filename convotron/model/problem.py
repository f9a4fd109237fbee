r"""The problem: a patch scheme, a slope, an input law, a covariance and a noise model.

A :class:`Problem` is everything about the learning task except the target filter
:math:`w^*` [paper] (``def-model``): inputs :math:`x = Lz` with :math:`LL^\top = \Sigma` and
:math:`z` of iid coordinates of law ``law``, labels :math:`y = f_{w^*}(x) + \xi` with the
leaky-ReLU slope ``alpha`` and noise :math:`\xi` of ``noise``, patches ``scheme``. The teacher
(:class:`~convotron.model.problem.Teacher`) is a problem together with :math:`w^*`; the theorem's
numbers (:func:`convotron.glue.parameters.theorem_parameters`) are a problem together with
:math:`(\epsilon, \delta, \|w^*\|)`.

Example
-------
>>> import numpy as np
>>> from convotron.model.problem import Problem
>>> problem = Problem.from_specs("1d:16,4,2", alpha=0.0, noise="gaussian:0.1")
>>> (problem.n, problem.r, problem.k)
(16, 4, 7)
>>> teacher = problem.random_teacher(np.random.default_rng(0), w_norm=1.0)
>>> round(float(np.linalg.norm(teacher.w_star)), 12)
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, overload

import numpy as np

from .._errors import ConvotronError
from .._limits import MAX_SAMPLE_ENTRIES, MAX_W_NORM, chunk_rows, gib, real_vector
from .._through import Through
from .._validate import ALPHA, InstanceOf, Interval, Param, check_fields, table
from ..data._ordered import norm_in_order
from ..data.covariance import Covariance, as_covariance
from ..data.laws import _CHUNK, _M, _RNG, SAMPLE_CHUNK, InputLaw, NoiseModel, get_law, parse_noise
from ..geometry.patches import _SCHEME, PatchScheme, parse_spec
from .network import _activate_mean, _check_inputs, _preacts

__all__ = ["Problem", "Teacher", "TeacherSample"]

# The checks of Problem and Teacher's own arguments (convotron._validate); the scheme's,
# the slope's, the law's, the covariance's and the noise's live with them.
_W_NORM = Param(
    "w_norm",
    Interval(float, 0.0, MAX_W_NORM),
    meaning="the norm of w*",
    fix="Pass e.g. 1.0.",
)


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

    #: The constructor's table (convotron._validate); the law, the covariance (against
    #: ``scheme.n``) and the noise are converted by their own parsers.
    _parameter_constraints: ClassVar[dict[str, Param]] = table(_SCHEME, ALPHA)

    def __post_init__(self) -> None:
        check_fields(self, Problem._parameter_constraints)
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
        ``law`` a name (:func:`~convotron.data.laws.get_law`); ``cov`` ``None`` (identity) or a spec
        (:func:`~convotron.data.covariance.parse_cov`); ``noise`` a spec
        (:func:`~convotron.data.laws.parse_noise`).
        """
        if isinstance(scheme, str):
            scheme = parse_spec(scheme)
        return cls(scheme, alpha, law, cov, noise)  # type: ignore[arg-type]

    n = Through[int]("scheme", int, "Input dimension.")
    r = Through[int]("scheme", int, "Patch size (the length of ``w``).")
    k = Through[int]("scheme", int, "Number of patches.")

    def teacher(self, w_star: Any) -> Teacher:
        r"""Return the teacher :math:`y = f_{w^*}(x) + \xi` of this problem with ``w_star``."""
        return Teacher(self, w_star)

    def random_teacher(self, rng: np.random.Generator, w_norm: float = 1.0) -> Teacher:
        r"""Return a teacher with :math:`w^*` uniform on the sphere of radius ``w_norm``.

        Draws ``r`` standard normals from ``rng`` and scales them to norm ``w_norm`` (the norm
        summed in a fixed order, ``convotron.data._ordered.norm_in_order``: the same bits
        on every processor).
        """
        rng = _RNG(rng)
        w_norm = _W_NORM(w_norm)
        g = rng.standard_normal(self.r)
        return self.teacher(w_norm * g / norm_in_order(g))


class TeacherSample:
    r"""``teacher.sample``: draw ``m`` fresh samples of one teacher, and name that teacher.

    What :meth:`Teacher.sample` is on an instance: called as ``teacher.sample(rng, m, *,
    chunk=SAMPLE_CHUNK)`` it returns ``(X (m, n), y (m,))`` with :math:`y = f_{w^*}(x) +
    \xi`, drawn in chunks of ``chunk`` rows (at most
    :data:`~convotron._limits.MAX_CHUNK_ENTRIES` values each; ``m x n`` at most
    :data:`~convotron._limits.MAX_SAMPLE_ENTRIES`, checked before anything is drawn).
    Being a value that knows its teacher, ``Sampler(teacher.sample)`` (e.g.
    ``convotron(teacher.sample, ...)``) draws the very same inputs and noise and computes the
    labels with the compiled forward pass (:meth:`compiled`).
    """

    __slots__ = ("teacher",)

    def __init__(self, teacher: Teacher) -> None:
        self.teacher = teacher

    def __call__(
        self, rng: np.random.Generator, m: int, *, chunk: int = SAMPLE_CHUNK
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``m`` samples ``(X, y)`` (see the class)."""
        return self.teacher._sample(rng, m, chunk=chunk)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TeacherSample) and other.teacher is self.teacher

    def __hash__(self) -> int:
        return id(self.teacher)

    def __repr__(self) -> str:
        return f"<bound method Teacher.sample of {self.teacher!r}>"

    def compiled(self) -> Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]:
        """Return ``draw(rng, m)``: :meth:`Teacher.draw_chunk` with compiled labels.

        It consumes ``rng`` exactly as ``teacher.sample(rng, m)`` does (``m`` up to one
        chunk of :data:`SAMPLE_CHUNK` rows; beyond, it is ``teacher.sample`` itself), so
        ``X`` and the noise are bitwise those of :meth:`Teacher.sample`; the labels
        :math:`f_{w^*}(x)` come from :func:`convotron._compiled._kernels.predict_rows` and agree
        with numpy's to rounding (the order of the sum over the ``k`` patches).
        """
        from .._compiled import _kernels

        tch = self.teacher
        n = int(tch.scheme.n)
        limit = chunk_rows(SAMPLE_CHUNK, n)  # the rows of one chunk of sample()
        w_star = np.ascontiguousarray(tch.w_star, dtype=np.float64)
        indices = np.ascontiguousarray(tch.scheme.indices, dtype=np.int64)
        alpha = float(tch.alpha)
        _kernels.predict_rows(w_star, np.zeros((0, n)), indices, alpha, np.empty(0))  # load it

        def label(X: np.ndarray) -> np.ndarray:
            out: np.ndarray = _kernels.predict_rows(w_star, X, indices, alpha, np.empty(len(X)))
            return out

        def draw(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
            return self(rng, m) if m > limit else tch.draw_chunk(rng, m, label)

        return draw


class _SampleMethod:
    """The descriptor behind :attr:`Teacher.sample` (a :class:`TeacherSample` per instance)."""

    __doc__ = TeacherSample.__doc__

    @overload
    def __get__(self, teacher: None, owner: type | None = None) -> _SampleMethod: ...

    @overload
    def __get__(self, teacher: Teacher, owner: type | None = None) -> TeacherSample: ...

    def __get__(
        self, teacher: Teacher | None, owner: type | None = None
    ) -> TeacherSample | _SampleMethod:
        return self if teacher is None else TeacherSample(teacher)

    def __call__(
        self, teacher: Teacher, rng: np.random.Generator, m: int, *, chunk: int = SAMPLE_CHUNK
    ) -> tuple[np.ndarray, np.ndarray]:
        """``Teacher.sample(teacher, rng, m)``, the unbound form."""
        return teacher._sample(rng, m, chunk=chunk)


@dataclass(frozen=True)
class Teacher:
    r"""The data source :math:`y = f_{w^*}(x) + \xi`, :math:`x = Lz` [paper] (``def-model``).

    A :class:`~convotron.model.problem.Problem` together with the target filter. Build one with
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

    #: ``teacher.sample(rng, m, *, chunk=8192) -> (X (m, n), y (m,))``: fresh samples,
    #: :math:`y = f_{w^*}(x) + \xi` (a :class:`TeacherSample`).
    sample = _SampleMethod()

    #: The constructor's table (convotron._validate); ``w_star`` is checked against ``r``.
    _parameter_constraints: ClassVar[dict[str, Param]] = table(
        Param("problem", InstanceOf(Problem, "a Problem"),
              fix="Build one with Problem.from_specs('1d:64,8,2', alpha=0.0).")
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self, Teacher._parameter_constraints)
        r = self.problem.scheme.r
        w = real_vector(self.w_star, "w_star", r, "Pass one finite weight per patch position.")
        w.setflags(write=False)
        object.__setattr__(self, "w_star", w)

    scheme = Through[PatchScheme]("problem", doc="The patch scheme of :attr:`problem`.")
    alpha = Through[float]("problem", doc="The leaky-ReLU slope of :attr:`problem`.")
    law = Through[InputLaw]("problem", doc="The input law of :attr:`problem`.")
    cov = Through[Covariance]("problem", doc="The covariance of :attr:`problem`.")
    noise = Through[NoiseModel]("problem", doc="The noise model of :attr:`problem`.")

    def predict(self, X: Any) -> np.ndarray:
        r"""Return :math:`f_{w^*}(x)` for each row of ``X``, shape ``(m,)``."""
        ww, XX, _ = _check_inputs(self.w_star, X, self.scheme)
        return _activate_mean(_preacts(ww, XX, self.scheme), self.alpha)

    def _sample(
        self, rng: np.random.Generator, m: int, *, chunk: int = SAMPLE_CHUNK
    ) -> tuple[np.ndarray, np.ndarray]:
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
            return self.draw_chunk(rng, m)
        X = np.empty((m, n))
        y = np.empty(m)
        for s in range(0, m, step):
            e = min(m, s + step)
            X[s:e], y[s:e] = self.draw_chunk(rng, e - s)
        return X, y

    def draw_chunk(
        self,
        rng: np.random.Generator,
        m: int,
        label: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Draw one chunk of ``m`` samples (no checks): ``X = L z``, labels, then the noise.

        The teacher's one sampling routine (:meth:`sample` calls it chunk by chunk): all
        the inputs ``x = L z`` of the chunk (:meth:`InputLaw.standard
        <convotron.data.laws.InputLaw.standard>`, :meth:`Covariance.transform
        <convotron.data.covariance.Covariance.transform>`), the labels
        :math:`f_{w^*}(x)` (numpy's :func:`~convotron.model.network.predict`, or ``label(X)``: the
        compiled labeller of :meth:`TeacherSample.compiled`), then the noise of every row.
        """
        Xc = np.ascontiguousarray(self.cov.transform(self.law.draw(rng, (m, self.scheme.n))))
        if label is None:
            yc = _activate_mean(_preacts(self.w_star, Xc, self.scheme), self.alpha)
        else:
            yc = label(Xc)
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
        w_norm)`` (:class:`~convotron.model.problem.Problem`): ``cov`` None means the identity;
        strings go through :func:`~convotron.data.covariance.parse_cov`, ``noise`` through
        :func:`parse_noise`, ``law`` through :func:`get_law`.
        """
        rng = _RNG(rng)
        return Problem.from_specs(scheme, alpha, law, cov, noise).random_teacher(rng, w_norm)
