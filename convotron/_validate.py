"""Declarative parameter checks: one constraint, one rule, one message.

In the style of scikit-learn's ``_param_validation``: a constraint is a value
(:class:`Interval`, :class:`Options`, :class:`InstanceOf`, :class:`Callable_`) that says
whether a value satisfies it and how to describe its rule; :func:`validate` (or a
:class:`Param`, a table row: name, constraint, meaning and fix) checks one value and raises
one :class:`~convotron._errors.ConvotronError` whose message reads::

    {name} ({meaning}) must be {rule}; got {value!r}. {fix}

e.g. ``eta (the step size) must be a finite number > 0; got 0.0. Pass a positive eta,
e.g. 0.01.`` The error carries ``param=name``: messages speak of the library's parameter
names and the command line maps them to its flags (:mod:`convotron.cli._common`).

**One table per public entry point** (scikit-learn's ``_parameter_constraints``): a mapping
from parameter name to its :class:`Param`, built by :func:`table` and applied in one way,
:func:`validate_params` (a decorator on a function, as scikit-learn's) or
:func:`check_params` (a constructor's ``__post_init__``). The table is the entry point's
``_parameter_constraints`` attribute; ``tests/convotron/test_tables.py`` walks every name of
``convotron.__all__`` and checks that each row is enforced. Checks that need context (a
filter's length ``r``, ``only_patch < k``, the rows' width) stay in the body.

**The shared rules** (counts, seeds, the step size, the slope, probabilities,
``only_patch``, ``stream``, ``workers``, ...) are defined once, below, and reused by every
table that takes them.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from ._errors import ConvotronError
from ._limits import MAX_RUNS

__all__ = [
    "ALPHA",
    "BATCH",
    "CHUNK",
    "DEFAULT_STREAM",
    "EPS",
    "ITERS",
    "ON_DIVERGENCE",
    "RECORD_EVERY",
    "RNG",
    "RUNS",
    "SEED",
    "SEEDS",
    "STREAM",
    "WORKERS",
    "AnyOf",
    "Callable_",
    "Constraint",
    "InstanceOf",
    "Interval",
    "Options",
    "Param",
    "Seeds",
    "check_fields",
    "check_params",
    "count",
    "fail",
    "only_patch_param",
    "probability",
    "step_size",
    "table",
    "validate",
    "validate_params",
]


class Constraint:
    """A rule a value must satisfy."""

    def convert(self, value: Any) -> tuple[bool, Any]:
        """Return ``(True, converted)`` if ``value`` satisfies the rule, else ``(False, None)``."""
        raise NotImplementedError  # pragma: no cover

    def describe(self, name: str) -> str:
        """Describe the rule, as it reads after ``"{name} must be "``."""
        raise NotImplementedError  # pragma: no cover

    def show(self, value: Any) -> str:
        """How the offending value is shown after ``"got "``."""
        return repr(value)


def _fmt(x: float) -> str:
    whole = float(x).is_integer() and abs(x) < 1e16
    return str(int(x)) if whole else repr(float(x))


@dataclass(frozen=True)
class Interval(Constraint):
    """A real (``type=float``) or integer (``type=int``) number in an interval.

    ``lo``/``hi`` of None mean unbounded on that side; ``closed`` is ``"both"``, ``"left"``,
    ``"right"`` or ``"neither"``. Booleans are never numbers here; float intervals also
    require a finite value (NaN and infinities are refused).
    """

    type: type
    lo: float | None
    hi: float | None
    closed: Literal["both", "left", "right", "neither"] = "both"

    def convert(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False, None
        if self.type is int:
            if not isinstance(value, numbers.Integral):
                return False, None
            v: float = int(value)
        else:
            v = float(value)
            if not math.isfinite(v):
                return False, None
        lo_ok = self.lo is None or (
            v >= self.lo if self.closed in ("both", "left") else v > self.lo
        )
        hi_ok = self.hi is None or (
            v <= self.hi if self.closed in ("both", "right") else v < self.hi
        )
        return (True, v) if lo_ok and hi_ok else (False, None)

    def describe(self, name: str) -> str:
        lo_op = "<=" if self.closed in ("both", "left") else "<"
        hi_op = "<=" if self.closed in ("both", "right") else "<"
        if self.type is int:
            if self.lo is not None and self.hi is not None:
                rule = f"{_fmt(self.lo)} {lo_op} {name} {hi_op} {_fmt(self.hi)}"
            elif self.lo is not None:
                rule = f"{name} {'>=' if lo_op == '<=' else '>'} {_fmt(self.lo)}"
            elif self.hi is not None:
                rule = f"{name} {hi_op} {_fmt(self.hi)}"
            else:
                return "an integer"
            return f"an integer with {rule}"
        if self.lo is not None and self.hi is not None:
            left = "[" if lo_op == "<=" else "("
            right = "]" if hi_op == "<=" else ")"
            return f"a number in {left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"
        if self.lo is not None:
            return f"a finite number {'>=' if lo_op == '<=' else '>'} {_fmt(self.lo)}"
        if self.hi is not None:
            return f"a finite number {hi_op} {_fmt(self.hi)}"
        return "a finite number"


_Item = TypeVar("_Item")


@dataclass(frozen=True, init=False)
class _Variadic(Constraint, Generic[_Item]):
    """A constraint built from any number of positional items (``Options("a", "b")``).

    A subclass declares one field, a tuple, which receives the items in the order given.
    """

    def __init__(self, *items: _Item) -> None:
        (only,) = fields(self)
        object.__setattr__(self, only.name, items)


class _ShownByType(Constraint):
    """A constraint described by its own phrase ``what``; the value shown by its type name."""

    what: str

    def describe(self, name: str) -> str:
        return self.what

    def show(self, value: Any) -> str:
        return type(value).__name__


@dataclass(frozen=True, init=False)
class Options(_Variadic[Any]):
    """One of a fixed set of values (compared with ``==``)."""

    values: tuple[Any, ...]

    def convert(self, value: Any) -> tuple[bool, Any]:
        ok = any(type(value) is type(v) and value == v for v in self.values)
        return (True, value) if ok else (False, None)

    def describe(self, name: str) -> str:
        shown = [repr(v) for v in self.values]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


@dataclass(frozen=True)
class InstanceOf(_ShownByType):
    """An instance of ``cls``, described as ``what``; the value is shown by its type name."""

    cls: type | tuple[type, ...]
    what: str

    def convert(self, value: Any) -> tuple[bool, Any]:
        return (True, value) if isinstance(value, self.cls) else (False, None)


@dataclass(frozen=True)
class Callable_(_ShownByType):
    """A callable, described as ``what``; the value is shown by its type name."""

    what: str

    def convert(self, value: Any) -> tuple[bool, Any]:
        return (True, value) if callable(value) else (False, None)


@dataclass(frozen=True, init=False)
class AnyOf(_Variadic[Constraint]):
    """One of several constraints (the first satisfied converts); the rules joined by "or"."""

    alternatives: tuple[Constraint, ...]

    def convert(self, value: Any) -> tuple[bool, Any]:
        for constraint in self.alternatives:
            ok, converted = constraint.convert(value)
            if ok:
                return True, converted
        return False, None

    def describe(self, name: str) -> str:
        return " or ".join(c.describe(name) for c in self.alternatives)

    def show(self, value: Any) -> str:
        return self.alternatives[0].show(value)


def fail(
    name: str, rule: str, shown: str, fix: str, *, meaning: str | None = None
) -> ConvotronError:
    """Build the one message ``"{name} ({meaning}) must be {rule}; got {shown}. {fix}"``."""
    label = f"{name} ({meaning})" if meaning else name
    return ConvotronError(f"{label} must be {rule}; got {shown}. {fix}", param=name)


def validate(
    name: str,
    value: Any,
    *constraints: Constraint,
    fix: str,
    meaning: str | None = None,
    allow_none: bool = False,
) -> Any:
    """Return ``value`` (converted) if it satisfies one of ``constraints``; else raise.

    Parameters
    ----------
    name : str
        The parameter's name, as the caller spells it (``"eta"``).
    value
        The value received.
    *constraints : Constraint
        Alternatives; the first one satisfied wins (its conversion is returned).
    fix : str
        How to fix it, e.g. ``"Pass a positive eta, e.g. 0.01."``.
    meaning : str, optional
        A gloss shown after the name, e.g. ``"the step size"``.
    allow_none : bool, default False
        Accept None (returned as is); the rule then reads ``"... or None"``.

    Raises
    ------
    ConvotronError
        With ``param=name`` and the message
        ``"{name} ({meaning}) must be {rule}; got {value!r}. {fix}"``.
    """
    if allow_none and value is None:
        return None
    for constraint in constraints:
        ok, converted = constraint.convert(value)
        if ok:
            return converted
    rule = " or ".join(c.describe(name) for c in constraints)
    if allow_none:
        rule += " or None"
    return_shown = constraints[0].show(value) if constraints else repr(value)
    raise fail(name, rule, return_shown, fix, meaning=meaning)


@dataclass(frozen=True)
class Param:
    """A row of a validation table: a parameter's name, its constraint, meaning and fix."""

    name: str
    constraint: Constraint
    fix: str
    meaning: str | None = None
    allow_none: bool = False

    def __call__(self, value: Any) -> Any:
        """Validate ``value`` (see :func:`validate`) and return it converted."""
        return validate(
            self.name,
            value,
            self.constraint,
            fix=self.fix,
            meaning=self.meaning,
            allow_none=self.allow_none,
        )


# --------------------------------------------------------------------------- tables

Table = Mapping[str, Param]
F = TypeVar("F", bound=Callable[..., Any])


def table(*rows: Param) -> dict[str, Param]:
    """Return the table of an entry point: its rows by parameter name (in the given order)."""
    out: dict[str, Param] = {}
    for row in rows:
        if row.name in out:
            raise ValueError(f"parameter {row.name!r} twice in one table")  # a bug, not input
        out[row.name] = row
    return out


def check_params(rows: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check each value that has a row in ``rows``, in the table's order; return them converted.

    Names without a row are returned unchanged; rows without a value are skipped.
    """
    out = dict(values)
    for name, row in rows.items():
        if name in out:
            out[name] = row(out[name])
    return out


def check_fields(obj: Any, rows: Table) -> None:
    """Check a frozen dataclass's fields against its table, storing them converted.

    A constructor's form of :func:`validate_params`, called first in ``__post_init__``; the
    class's table is its ``_parameter_constraints``.
    """
    for name, row in rows.items():
        object.__setattr__(obj, name, row(getattr(obj, name)))


def validate_params(rows: Table) -> Callable[[F], F]:
    """Decorate a public function: its arguments are checked against ``rows`` before the call.

    scikit-learn's ``validate_params``: each argument the caller passed that has a row is
    checked (in the table's order) and passed on converted (``float`` for a real, ``int`` for an
    integer); an argument that *is* its default (``iters=None``) is not checked, as defaults
    are not: the body decides what None means there. The table is the function's
    ``_parameter_constraints``. A call Python itself refuses (a missing or unknown
    argument) reaches the function unchanged, so its ``TypeError`` is Python's own.
    """

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        unknown = [name for name in rows if name not in sig.parameters]
        if unknown:
            raise TypeError(f"{func.__qualname__} has no parameter {unknown}")  # a bug
        order = [(name, sig.parameters[name].default) for name in rows]

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)
            given = bound.arguments
            for name, default in order:
                if name in given and given[name] is not default:
                    given[name] = rows[name](given[name])
            return func(*bound.args, **bound.kwargs)

        checked._parameter_constraints = rows  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


# --------------------------------------------------------------------------- shared rules
# Each rule below is the one definition of its parameter; the tables of the entry points
# that take it reuse it (a parameter with another meaning gets another name or row).


@dataclass(frozen=True)
class Seeds(Constraint):
    """A non-negative integer or a non-empty sequence of them (a ``SeedSequence``'s entropy)."""

    def convert(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            words = [Interval(int, 0, None).convert(v) for v in value]
            ok = bool(words) and all(good for good, _ in words)
            return (True, [int(v) for _, v in words]) if ok else (False, None)
        return Interval(int, 0, None).convert(value)

    def describe(self, name: str) -> str:
        return "a non-negative integer or a non-empty list of them"


@dataclass(frozen=True)
class _SeedsParam(Param):
    """The entropy row: a list is checked word by word (each word with :data:`SEED`'s message)."""

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            if len(value) == 0:
                raise fail(self.name, self.constraint.describe(self.name), "[]", self.fix)
            return [int(SEED(v)) for v in value]
        return SEED(value)


def count(name: str, fix: str, *, meaning: str | None = None, hi: int | None = None,
          allow_none: bool = False) -> Param:  # fmt: skip
    """Return the rule of a count: an integer ``>= 1`` (and ``<= hi``)."""
    return Param(name, Interval(int, 1, hi), fix=fix, meaning=meaning, allow_none=allow_none)


def step_size(name: str) -> Param:
    """Return the rule of a step size (``eta``, or ``lr`` for SGD): a finite number ``> 0``."""
    return Param(
        name,
        Interval(float, 0.0, None, closed="neither"),
        meaning="the step size",
        fix=f"Pass a positive {name}, e.g. 0.01.",
    )


def probability(name: str, meaning: str, fix: str, *, closed: Any = "neither") -> Param:
    """Return the rule of a probability in ``(0, 1)`` (``closed`` as in :class:`Interval`)."""
    return Param(name, Interval(float, 0.0, 1.0, closed=closed), meaning=meaning, fix=fix)


def only_patch_param(k: int | None) -> Param:
    """Return the one rule for ``only_patch`` (the rule, ``fit`` and the theorem's numbers).

    An integer ``0 <= only_patch < k`` naming one of the ``k`` patches; ``k=None`` (the
    scheme not yet known): an integer ``>= 0`` or None (Algorithm 1).
    """
    if k is None:
        return Param("only_patch", Interval(int, 0, None), meaning="the disjoint patch",
                     fix="Pass a patch number (0-based) or None for Algorithm 1.",
                     allow_none=True)  # fmt: skip
    return Param("only_patch", Interval(int, 0, k, closed="left"), meaning="the disjoint patch",
                 fix=f"Pass the index of one of the k={k} patches, 0 to {k - 1}.")  # fmt: skip


#: The leaky-ReLU slope: the one check of ``alpha`` in the package, with its one message.
ALPHA = Param(
    "alpha",
    Interval(float, 0.0, 1.0, closed="both"),
    meaning="the leaky-ReLU slope",
    fix="Pass 0 for ReLU, 1 for a linear model, or a value in between.",
)
#: The random generator argument of every random function.
RNG = Param(
    "rng",
    InstanceOf(np.random.Generator, "a numpy.random.Generator"),
    fix="Pass numpy.random.default_rng(seed).",
)
#: Rows per draw of fresh samples (``Teacher.sample``, ``fit``'s sampler).
CHUNK = Param("chunk", Interval(int, 1, None), fix="Pass e.g. 8192 rows per draw.")
BATCH = count("batch", "Pass a positive mini-batch size (1 = Algorithm 1).")
ITERS = count("iters", "Pass the number of updates T, e.g. iters=10000.")
RUNS = count(
    "runs",
    "Pass the number of independent runs, e.g. 100 (each keeps its result in memory; "
    "for more, call run_many several times with different seeds).",
    hi=MAX_RUNS,
)
WORKERS = count("workers", "Pass 1 or more threads (2 uses both cores).")
SEED = Param("seed", Interval(int, 0, None), fix="Pass e.g. seed=0.")
#: A seed or the several words of a ``SeedSequence``'s entropy (``run_many``, ``run_range``).
SEEDS = _SeedsParam("seed", Seeds(), fix="Pass e.g. seed=0.")
#: The random stream of a teacher's fused loop when none is named (``fit``, ``run_many``,
#: ``run_range``, ``verify``, ``sweep``, ``--rng``): the fast stream, xoshiro256++ and a
#: ziggurat (``convotron._compiled._rng``), faster on every processor measured
#: (``benchmarks/README.md``, issue 25). ``"numpy"`` is numpy's own stream, bitwise as numpy.
DEFAULT_STREAM = "fast"
STREAM = Param(
    "stream",
    Options("numpy", "fast", None),
    meaning="the random stream of a teacher's fused loop",
    fix="Pass 'fast' (convotron._compiled._rng), 'numpy' (numpy's stream) or None (the "
    "default: the fast stream wherever the compiled loop draws the samples).",
)
RECORD_EVERY = Param(
    "record_every",
    Interval(int, 1, None),
    fix="Pass a positive period m (the distance is recorded every m updates) or None.",
)
EPS = Param(
    "eps",
    Interval(float, 0.0, None, closed="left"),
    meaning="the target squared error",
    fix="Pass e.g. eps=1e-3, or None.",
)
ON_DIVERGENCE = Param("on_divergence", Options("raise", "record"), fix="Pass one of them.")
