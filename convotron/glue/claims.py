"""GLUE: run-time resolution of the code objects named by the claims registry.

:mod:`convotron_theory.claims` names, for each claim of the book, the code objects that state or
check
it as plain dotted strings (``"convotron.learning.algorithm.convotron"``,
``"convotron_theory.bounds.T_REALIZABLE"``) and never imports them: :mod:`convotron_theory`
does not import :mod:`convotron`. Importing those objects joins the two halves, so it lives here.

Examples
--------
>>> from convotron.glue.claims import check_objects, resolve
>>> resolve("convotron_theory.bounds.T_REALIZABLE").label
'cor-realizable'
>>> check_objects()
"""

from __future__ import annotations

import importlib
from typing import Any

from convotron_theory._errors import TheoryError
from convotron_theory.claims import CLAIMS, Claim

__all__ = ["check_objects", "resolve"]


def resolve(path: str) -> Any:
    """Import the object named by a dotted path (``"convotron_theory.bounds.T_REALIZABLE"``).

    The longest importable module prefix is imported; the rest are attributes.

    Raises
    ------
    convotron_theory.TheoryError
        Naming the path and the part that does not exist.
    """
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise TheoryError(
                    f"object path {path!r} does not resolve: {module_name!r} has no attribute "
                    f"{attr!r}. Fix the path in convotron_theory.claims.CLAIMS or add the object."
                )
            obj = getattr(obj, attr)
        return obj
    raise TheoryError(
        f"object path {path!r} does not resolve: no importable module {parts[0]!r}. "
        "Fix the path in convotron_theory.claims.CLAIMS."
    )


def check_objects(claims: dict[str, Claim] | None = None) -> None:
    """Import every object named by the registry (``convotron_theory.claims.CLAIMS`` by default).

    Raises
    ------
    convotron_theory.TheoryError
        At the first path that does not resolve (see :func:`resolve`).
    """
    for c in (CLAIMS if claims is None else claims).values():
        for path in c.objects:
            resolve(path)
