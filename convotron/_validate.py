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
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal

from ._errors import ConvotronError

__all__ = [
    "Callable_",
    "Constraint",
    "InstanceOf",
    "Interval",
    "Options",
    "Param",
    "fail",
    "validate",
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


@dataclass(frozen=True, init=False)
class Options(Constraint):
    """One of a fixed set of values (compared with ``==``)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def convert(self, value: Any) -> tuple[bool, Any]:
        ok = any(type(value) is type(v) and value == v for v in self.values)
        return (True, value) if ok else (False, None)

    def describe(self, name: str) -> str:
        shown = [repr(v) for v in self.values]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of ``cls``, described as ``what``; the value is shown by its type name."""

    cls: type | tuple[type, ...]
    what: str

    def convert(self, value: Any) -> tuple[bool, Any]:
        return (True, value) if isinstance(value, self.cls) else (False, None)

    def describe(self, name: str) -> str:
        return self.what

    def show(self, value: Any) -> str:
        return type(value).__name__


@dataclass(frozen=True)
class Callable_(Constraint):
    """A callable, described as ``what``; the value is shown by its type name."""

    what: str

    def convert(self, value: Any) -> tuple[bool, Any]:
        return (True, value) if callable(value) else (False, None)

    def describe(self, name: str) -> str:
        return self.what

    def show(self, value: Any) -> str:
        return type(value).__name__


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
