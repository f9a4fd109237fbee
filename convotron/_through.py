"""Read-only attributes read through another attribute: a record carried by reference.

A :class:`~convotron.model.problem.Teacher` reads its scheme, slope, law, covariance and noise
through its :class:`~convotron.model.problem.Problem`; a problem its sizes through its scheme; the
verification suite's ``CaseResult`` the theorem's numbers through its ``params``. Each such
attribute is one line of a table, ``name = Through("problem")``, instead of a property
written out per name; nothing is copied, so the record read through stays the one source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["Through"]

T = TypeVar("T")


class Through(Generic[T]):
    """``obj.name`` is ``convert(obj.<via>.name)``: a read-only attribute read through ``via``.

    Parameters
    ----------
    via : str
        The attribute (dotted for a chain, e.g. ``"params.problem"``) that holds the value.
    convert : callable, optional
        Applied to the value read (e.g. :class:`float`); the value itself when omitted.
    doc : str, optional
        The attribute's docstring.

    Examples
    --------
    >>> class Inner:
    ...     size = 3
    >>> class Outer:
    ...     inner = Inner()
    ...     size = Through[float]("inner", float, "The size of ``inner``.")
    >>> Outer().size
    3.0
    """

    def __init__(
        self, via: str, convert: Callable[[Any], T] | None = None, doc: str | None = None
    ) -> None:
        self._via = tuple(via.split("."))
        self._convert = convert
        self._name = ""
        self.__doc__ = doc

    @property
    def via(self) -> str:
        """The attribute the value is read through (dotted for a chain)."""
        return ".".join(self._via)

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Through[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj
        for part in self._via:
            value = getattr(value, part)
        value = getattr(value, self._name)
        return value if self._convert is None else self._convert(value)

    def __set__(self, obj: object, value: Any) -> None:
        raise AttributeError(f"{self._name!r} is read through {self.via!r} and cannot be set")
