r"""Data sources as values: where the samples of a run come from.

- :class:`Sampler` — fresh i.i.d. samples, ``sample(rng, m) -> (X (m, n), y (m,))`` drawn
  a chunk at a time (Algorithm 1 draws a fresh sample per step [paper]). When ``sample`` is
  a teacher's own (``teacher.sample``, a :class:`~convotron.model.problem.TeacherSample`), the
  chunks are :meth:`TeacherSample.compiled <convotron.model.problem.TeacherSample.compiled>`: the
  inputs and noise ``teacher.sample`` draws, labelled by the compiled forward pass.
- :class:`Rows` — a fixed dataset, one pass in row order (``x_t = X[t−1]``).

A :class:`convotron.model.problem.Teacher` passed to :func:`convotron.learning.algorithm.fit` is not
a source of this module: ``fit`` draws its samples inside the compiled loop
(:mod:`convotron.learning._sampling`), and only a teacher that loop cannot draw (a custom law or
covariance, or a run on another scheme or slope) is sampled here, as
``Sampler(teacher.sample)`` (:func:`as_source`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._errors import ConvotronError
from .._limits import MAX_DATA_VALUE, read_array
from .._validate import Callable_, Param, check_fields, fail, table

__all__ = ["Rows", "Sampler", "Source", "as_source", "check_rows"]

#: ``sample(rng, m) -> (X (m, n), y (m,))``, e.g. :meth:`convotron.model.problem.Teacher.sample`.
SampleFn = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
NextChunk = Callable[[int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Sampler:
    """Fresh samples from ``sample(rng, m) -> (X (m, n), y (m,))``.

    Examples
    --------
    >>> Sampler(5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convotron._errors.ConvotronError: sample must be a callable ...
    """

    sample: SampleFn

    #: The constructor's table (convotron._validate).
    _parameter_constraints: ClassVar[dict[str, Param]] = table(
        Param("sample", Callable_("a callable sample(rng, m) -> (X, y)"),
              fix="Pass e.g. teacher.sample.")
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self, Sampler._parameter_constraints)

    def _chunks(self, rng: np.random.Generator, n: int, batch: int) -> NextChunk:
        """``next_chunk(u)``: ``u · batch`` fresh rows, shape-checked."""
        from ..model.problem import TeacherSample

        sample = self.sample
        draw = sample.compiled() if isinstance(sample, TeacherSample) else sample

        def next_chunk(u: int) -> tuple[np.ndarray, np.ndarray]:
            m = u * batch
            X, y = _check_drawn(draw(rng, m), m, n)
            if X.shape != (m, n) or y.shape != (m,):
                raise ConvotronError(
                    f"sample(rng, {m}) must return X of shape ({m}, {n}) and y of shape ({m},); "
                    f"got {X.shape} and {y.shape}. Fix the sampler so it matches the scheme "
                    f"(n={n}).",
                    param="sample",
                )
            return X, y

        return next_chunk


def _describe(value: Any) -> str:
    """Describe briefly what a sampler returned, for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _check_drawn(drawn: Any, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Check that ``sample(rng, m)`` returned a pair ``(X, y)`` of real arrays; return float64."""
    fix = f"Fix the sampler so that sample(rng, {m}) returns (X, y) of shapes ({m}, {n}), ({m},)."
    if not isinstance(drawn, tuple | list) or len(drawn) != 2:
        what = (
            f"a {type(drawn).__name__} of {len(drawn)} items"
            if isinstance(drawn, tuple | list)
            else _describe(drawn)
        )
        raise ConvotronError(
            f"sample(rng, m) must return a pair (X, y); got {what}. {fix}", param="sample"
        )
    out = []
    for name, value in zip(("X", "y"), drawn, strict=True):
        arr = read_array(value, f"sample(rng, m) must return real arrays (X, y); its {name} "
                         "could not be read as an array", fix, param="sample")  # fmt: skip
        if arr.dtype == bool or not (
            np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
        ):
            raise ConvotronError(
                f"sample(rng, m) must return arrays of real numbers (X, y); its {name} is "
                f"{_describe(value)}. {fix}",
                param="sample",
            )
        out.append(np.ascontiguousarray(arr, dtype=np.float64))
    return out[0], out[1]


@dataclass(frozen=True, eq=False)
class Rows:
    """A fixed dataset ``X (T B, n)``, ``y (T B,)``, used once in row order.

    The shapes and values are checked when the scheme and the batch are known
    (:func:`check_rows`): finite reals, one label per row, ``T B`` a multiple of ``B``.
    """

    X: Any
    y: Any

    def _chunks(self, n: int, batch: int) -> tuple[NextChunk, int]:
        """``(next_chunk, T)``: the checked rows served ``u · batch`` at a time, in order."""
        X, y = check_rows(self.X, self.y, n, batch)
        pos = [0]

        def next_chunk(u: int) -> tuple[np.ndarray, np.ndarray]:
            s = pos[0]
            pos[0] = s + u * batch
            return X[s : s + u * batch], y[s : s + u * batch]

        return next_chunk, X.shape[0] // batch


#: What :func:`convotron.learning.algorithm.fit` runs on.
Source = Sampler | Rows


def as_source(source: Any) -> Sampler | Rows:
    """Return ``source`` as a :class:`Sampler` or :class:`Rows` (a ``Teacher`` as its sampler)."""
    from ..model.problem import Teacher

    if isinstance(source, Sampler | Rows):
        return source
    if isinstance(source, Teacher):
        return Sampler(source.sample)
    raise fail(
        "source",
        "a Sampler, Rows or Teacher",
        type(source).__name__,
        "Wrap a sampler as Sampler(sample) or a dataset as Rows(X, y), or pass a Teacher.",
    )


def check_rows(X: Any, y: Any, n: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a fixed dataset: X (T, n), y (T,), finite, T a positive multiple of batch."""
    Xa = np.asarray(X)
    ya = np.asarray(y)
    if Xa.ndim != 2 or Xa.shape[1] != n:
        raise ConvotronError(
            f"X must be a 2-D array of shape (T, n) with n={n} (the scheme's input "
            f"dimension); got shape {Xa.shape}. Pass one sample per row.",
            param="X",
        )
    if ya.shape != (Xa.shape[0],):
        raise ConvotronError(
            f"y must have shape (T,) = ({Xa.shape[0]},), one label per row of X; got shape "
            f"{ya.shape}. Pass as many labels as samples.",
            param="y",
        )
    for name, arr in (("X", Xa), ("y", ya)):
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise ConvotronError(
                f"{name} must hold real numbers; got dtype {arr.dtype}. Convert it to float64.",
                param=name,
            )
    Xa = np.ascontiguousarray(Xa, dtype=np.float64)
    ya = np.ascontiguousarray(ya, dtype=np.float64)
    for name, arr in (("X", Xa), ("y", ya)):
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            raise ConvotronError(
                f"{name} must be finite; got NaN or infinite values in {rows.size} row(s), "
                f"first row {int(rows[0])}. Remove or impute those rows.",
                param=name,
            )
    for name, arr in (("X", Xa), ("y", ya)):
        top = float(np.max(np.abs(arr))) if arr.size else 0.0
        if top > MAX_DATA_VALUE:
            raise ConvotronError(
                f"{name} must hold values of magnitude at most {MAX_DATA_VALUE:g} (products "
                f"and fourth powers of the data must stay finite); got {top:g}. Rescale the "
                "data.",
                param=name,
            )
    T = Xa.shape[0]
    if T < batch or T % batch:
        detail = (
            f"got T={T}, fewer than one batch. Pass at least {batch} row(s) or a smaller batch."
            if T < batch
            else f"got T={T}. Drop the last {T % batch} row(s) or choose a batch that divides T."
        )
        raise ConvotronError(
            f"the number of samples T must be a positive multiple of batch={batch} (each "
            f"update uses batch samples); {detail}",
            param="batch",
        )
    return Xa, ya
