r"""The type of :mod:`convotron_theory.bounds`' constants: :class:`Bound`, and its input check.

A :class:`Bound` joins a sympy expression, the numeric function built once from it, the
book label of its claim and its provenance; :func:`_check_value` holds numbers to the ranges
of :mod:`convotron_theory.notation`. Private: both are re-exported by
:mod:`convotron_theory.bounds`, which
defines every constant of the analysis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from . import notation as N
from ._errors import TheoryError

__all__ = ["Bound"]

#: Upper ends of ranges that sympy assumptions cannot express (validated on input).
_UPPER: dict[str, float] = {"alpha": 1.0, "delta": 1.0}


def _check_value(sym: sp.Symbol, value: Any, where: str) -> float:
    """Validate one numeric value against the symbol's assumptions; return it as float."""
    name = sym.name
    if isinstance(value, bool) or not isinstance(
        value, int | float | Fraction | np.integer | np.floating | sp.Number
    ):
        raise TheoryError(
            f"{where}: {name} must be a real number; got {value!r} of type "
            f"{type(value).__name__}. Pass a plain number, e.g. {name}=1."
        )
    v = float(value)
    if not math.isfinite(v):
        raise TheoryError(f"{where}: {name} must be finite; got {v}. Pass a finite number.")
    if sym.is_integer and v != int(v):
        raise TheoryError(
            f"{where}: {name} must be an integer; got {value!r}. Pass a whole number."
        )
    if sym.is_positive and not v > 0:
        raise TheoryError(
            f"{where}: {name} must be positive ({name} > 0); got {value!r}. Pass a positive value."
        )
    if sym.is_nonnegative and not v >= 0:
        raise TheoryError(
            f"{where}: {name} must be nonnegative ({name} >= 0); got {value!r}. Pass a value >= 0."
        )
    if name in _UPPER and v > _UPPER[name]:
        raise TheoryError(
            f"{where}: {name} must be at most {_UPPER[name]:g}; got {value!r}. "
            f"Pass a value in the allowed range (see convotron_theory.notation.NOTATION)."
        )
    return v


@functools.lru_cache(maxsize=1024)
def _latex_of(expr: sp.Expr) -> str:
    return N.latex(expr)


@dataclass(frozen=True)
class Bound:
    r"""A constant or bound of the analysis: expression, numeric function, label, provenance.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"eta_realizable"``.
    label : str
        Book label of the claim it belongs to (see :mod:`convotron_theory.claims`).
    provenance : str
        ``"[paper] ..."`` or ``"[derived] ..."``, as tagged in the specification.
    expr : sympy.Expr
        The expression, in the symbols of :mod:`convotron_theory.notation`.
    lhs : str
        LaTeX of the left-hand side, e.g. ``r"\eta"``.
    description : str
        One sentence in words.
    relation : str
        LaTeX of the relation between ``lhs`` and ``expr`` (``"="`` or ``r"\le"``).
    numeric_expr : sympy.Expr, optional
        A mathematically equal form used only to build ``func``, for floating-point
        accuracy (e.g. :math:`e^{t\,\mathrm{log1p}(-x)}` for :math:`(1-x)^t` with tiny
        :math:`x`, where ``1 - x`` alone loses digits); the tests prove it equals ``expr``.

    Attributes
    ----------
    symbols : tuple of sympy.Symbol
        The free symbols of ``expr``, sorted by name: the keyword arguments of ``__call__``.
    func : callable
        ``sympy.lambdify(symbols, expr, "numpy")``, built once at construction.
    """

    name: str
    label: str
    provenance: str
    expr: sp.Expr
    lhs: str
    description: str = ""
    relation: str = "="
    numeric_expr: sp.Expr | None = field(default=None, repr=False, compare=False)
    symbols: tuple[sp.Symbol, ...] = field(init=False)
    func: Callable[..., Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.provenance.startswith(("[paper]", "[derived]")):
            raise TheoryError(
                f"Bound {self.name!r}: provenance must start with '[paper]' or '[derived]'; "
                f"got {self.provenance!r}. Tag it as in convotron-theory.md."
            )
        syms = tuple(sorted(self.expr.free_symbols, key=lambda s: str(s)))
        object.__setattr__(self, "symbols", syms)
        numeric = self.expr if self.numeric_expr is None else self.numeric_expr
        if not numeric.free_symbols <= set(syms):
            raise TheoryError(
                f"Bound {self.name!r}: numeric_expr has symbols "
                f"{sorted(map(str, numeric.free_symbols - set(syms)))} that expr lacks; "
                "it must be the same function of the same symbols."
            )
        object.__setattr__(self, "func", sp.lambdify(syms, numeric, modules="numpy"))

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the free symbols (the keyword arguments of ``__call__``)."""
        return tuple(s.name for s in self.symbols)

    @property
    def is_integer(self) -> bool:
        """Whether the bound is integer-valued (iteration and sample counts)."""
        return bool(self.expr.is_integer)

    def _values(self, values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise TheoryError(
                f"{self.name}: unknown value(s) {', '.join(unknown)}; this bound depends on "
                f"{', '.join(self.names) or 'nothing'}. Pass only those."
            )
        missing = [s for s in self.names if s not in values]
        if missing and not partial:
            raise TheoryError(
                f"{self.name}: missing value(s) for {', '.join(missing)}; this bound depends on "
                f"{', '.join(self.names)}. Pass every one as a keyword argument."
            )
        return dict(values)

    def __call__(self, **values: Any) -> Any:
        """Evaluate numerically (floats; an ``int`` for integer-valued bounds).

        Every free symbol must be given, by name, with a value in its range (positive
        integers for ``k``, ``0 <= alpha <= 1``, ...). Array values are evaluated
        elementwise (e.g. the curve over ``t``), without range checks on the arrays.

        Raises
        ------
        TheoryError
            Naming any missing, unknown or out-of-range value, or when the result is not
            finite (overflow).
        """
        vals = self._values(values, partial=False)
        args: list[Any] = []
        for s in self.symbols:
            v = vals[s.name]
            if isinstance(v, np.ndarray):
                args.append(v.astype(float))
            else:
                args.append(np.float64(_check_value(s, v, self.name)))
        # a branch of a min/max may divide by rho = 0 or overflow; only the result matters
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            out = self.func(*args)
        if isinstance(out, np.ndarray) and out.ndim > 0:
            return out
        f = float(out)
        if not math.isfinite(f):
            given = ", ".join(f"{key}={vals[key]!r}" for key in self.names)
            raise TheoryError(
                f"{self.name}: the value is not a finite number ({f}) for {given}. "
                "Check the inputs' scale (e.g. a tiny lambda_min or eps)."
            )
        return int(f) if self.is_integer else f

    def subs(self, **values: Any) -> sp.Expr:
        """Substitute values exactly (ints and fractions stay rational); partial is allowed.

        Python floats are kept as sympy ``Float``; pass ``fractions.Fraction`` or sympy
        numbers to stay exact. Returns the simplified sympy expression.
        """
        vals = self._values(values, partial=True)
        sub: dict[sp.Symbol, sp.Expr] = {}
        for s in self.symbols:
            if s.name not in vals:
                continue
            v = vals[s.name]
            if isinstance(v, sp.Basic) and not isinstance(v, sp.Number):
                sub[s] = v  # a symbolic substitution
                continue
            _check_value(s, v, self.name)
            if isinstance(v, Fraction):
                sub[s] = sp.Rational(v.numerator, v.denominator)
            else:
                sub[s] = sp.sympify(v)
        out = self.expr.subs(sub)
        return sp.simplify(out) if out.free_symbols else out

    def latex(self, *, with_lhs: bool = True) -> str:
        """LaTeX of the expression (``lhs = ...`` unless ``with_lhs=False``), book names.

        Printed once per bound (the expression is immutable): a sweep instantiates the
        theorem for every cell, and printing was most of that cost.
        """
        body = _latex_of(self.expr)
        return f"{self.lhs} {self.relation} {body}" if with_lhs else body
