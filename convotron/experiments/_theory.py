"""The theorem's numbers for an experiment setting, through :mod:`convotron.bridge`.

A thin adapter: :func:`theorem` calls :func:`convotron.bridge.theorem_parameters` and
returns plain floats, so that the runners can put them in their JSON files. The numbers
are the [derived] explicit-constant version of the paper's main theorem (label
``thm-convotron``; ``thm-disjoint`` with ``only_patch``), never the paper's own constants.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["theorem"]


def _float(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def theorem(
    scheme: Any,
    alpha: float,
    law: Any,
    cov: Any,
    noise: Any,
    *,
    eps: float,
    delta: float,
    w_norm: float,
    only_patch: int | None = None,
) -> dict[str, Any]:
    """Return the theorem's numbers for one setting as a dict of plain values.

    Keys: ``lambda_min``, ``lambda_max`` (of ``M = P Σ Pᵀ``), ``a``, ``beta``, ``rho``,
    ``eta`` (the [derived] step size), ``T`` (iterations for the (ε, δ) guarantee),
    ``applies`` (every hypothesis holds) and ``violations`` (reasons when one fails).
    Non-finite numbers (e.g. ``T`` when ``λ_min = 0``) are kept as ``nan``/``inf`` here and
    become ``null`` in JSON; if the bridge raises
    :class:`~convotron.AssumptionViolation`, every number is ``nan`` (``T = inf``) and the
    message is the one violation.
    """
    from ..bridge import theorem_parameters

    tp = theorem_parameters(
        scheme, alpha, law, cov, noise, eps, delta, w_norm, only_patch=only_patch
    )
    violations = [str(v) for v in (getattr(tp, "violations", None) or ())]
    return {
        "lambda_min": _float(tp.lambda_min),
        "lambda_max": _float(tp.lambda_max),
        "a": _float(tp.a),
        "beta": _float(tp.beta),
        "rho": _float(tp.rho),
        "eta": _float(tp.eta),
        "T": _float(tp.T),
        "applies": bool(getattr(tp, "applies", not violations)),
        "violations": violations,
    }
