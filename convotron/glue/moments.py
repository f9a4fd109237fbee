r"""The core's covariance, law and noise as the plain data :mod:`convotron_theory` takes.

:mod:`convotron_theory` never imports :mod:`convotron`, so the glue translates: a
:class:`~convotron.data.covariance.Covariance` into theory's covariance description
(:func:`cov_for_theory`, :func:`cov_spec`, the factor ``L`` the sampler uses), a noise model
into theory's noise description (:func:`noise_spec`), and the traces and fourth moments the
closed-form rules need. :func:`exact_beta_cost` estimates the work of the exact
:math:`\lambda_{\max}(K)` so that :func:`~convotron.glue.parameters.theorem_parameters` can
fall back to a closed form, and say so, when it would not be interactive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._codes import CovCode
from ..data.covariance import Covariance
from ..geometry.patches import PatchScheme

__all__ = [
    "EXACT_COST_LIMIT",
    "cov_for_theory",
    "cov_spec",
    "exact_beta_cost",
    "fourth_moment_norm",
    "noise_spec",
    "trace_sigma_squared",
]


def cov_for_theory(cov: Covariance) -> Any:
    """Describe a covariance in the plain form :mod:`convotron_theory.spectra` accepts.

    ``"identity"``, ``("diag", d)``, ``("ar1", rho)`` or the dense matrix, by the
    covariance's structure (its ``code``, :class:`convotron._codes.CovCode`).
    """
    if cov.code == CovCode.IDENTITY:
        return "identity"
    if cov.code == CovCode.DIAGONAL:
        return ("diag", np.asarray(cov.diagonal(), dtype=float))
    if cov.code == CovCode.AR1:
        return ("ar1", float(cov.rho))  # type: ignore[attr-defined]
    return np.asarray(cov.dense(), dtype=float)


def trace_sigma_squared(cov: Covariance) -> float:
    r"""Return :math:`\operatorname{tr}(\Sigma^2)`, never forming ``n x n`` when structured.

    Identity: :math:`n`; diagonal: :math:`\sum_j d_j^2`; AR(1): :math:`\sum_{i,j}
    \rho^{2|i-j|} = n + 2\sum_{l=1}^{n-1}(n-l)\rho^{2l}` (:math:`O(n)`); dense:
    :math:`\|\Sigma\|_F^2` (:meth:`Covariance.trace_of_square
    <convotron.data.covariance.Covariance.trace_of_square>`).
    """
    return cov.trace_of_square()


def fourth_moment_norm(cov: Covariance, kappa: float) -> tuple[float, bool]:
    r"""Return :math:`\mathbb{E}\|x\|^4` (or an upper bound) for :math:`x = Lz`, and exactness.

    Parameters
    ----------
    cov : Covariance
    kappa : float
        :math:`\mathbb{E} z^4` of one standardized coordinate.

    Returns
    -------
    (float, bool)
        The value and whether it is exact (diagonal :math:`L`) rather than an upper bound
        (see the module docstring).
    """
    tr = cov.trace()
    tr2 = trace_sigma_squared(cov)
    if cov.is_diagonal:
        d = np.asarray(cov.diagonal(), dtype=float)
        return tr * tr + 2.0 * tr2 + (kappa - 3.0) * float(d @ d), True
    return tr * tr + 2.0 * tr2 + max(kappa - 3.0, 0.0) * tr2, False


def _trace_P_sigma2_Pt(scheme: PatchScheme, cov: Covariance) -> float:
    r""":math:`\operatorname{tr}(P\Sigma^2P^\top) = \|\Sigma P^\top\|_F^2`, one column at a time."""
    Ps = scheme.P_sparse()  # counts; a padded position (-1) reads nothing
    if cov.code == CovCode.IDENTITY:
        return float(Ps.multiply(Ps).sum())  # tr(PPᵀ): rk without padding, <= rk with it
    total = 0.0
    for a in range(scheme.r):
        col = Ps[[a], :].toarray().ravel().astype(float)
        v = cov.matvec(col)
        total += float(v @ v)
    return total


#: Largest cost estimate (floating-point operations, :func:`exact_beta_cost`) for which the
#: exact :math:`\lambda_{\max}(K)` is computed; above it the best closed form is used and
#: ``TheoremParameters.beta_note`` (:mod:`convotron.glue.parameters`) says so. About a second
#: on one core.
EXACT_COST_LIMIT = 2e9


def cov_spec(cov: Covariance, *, padded: bool = False) -> Any:
    r"""Describe ``cov`` as :mod:`convotron_theory.second_moment` reads it (the sampler's L).

    ``"identity"``, ``("diag", d)``, ``("ar1", rho)`` or ``("chol", L)`` with
    :meth:`Dense.factor <convotron.data.covariance.Dense.factor>`. With ``padded``, one more input
    coordinate of variance 0 (index ``n``) stands for the zero padding a ``-1`` index reads
    (``("diag", ...)`` or ``("chol", ...)`` of size ``n + 1``); None when that is not
    available cheaply (AR(1)).
    """
    if cov.code == CovCode.IDENTITY:
        return ("diag", np.r_[np.ones(cov.n), 0.0]) if padded else "identity"
    if cov.code == CovCode.DIAGONAL:
        d = np.asarray(cov.diagonal(), dtype=float)
        return ("diag", np.r_[d, 0.0]) if padded else ("diag", d)
    if cov.code == CovCode.AR1:
        return None if padded else ("ar1", float(cov.rho))  # type: ignore[attr-defined]
    L = cov.factor()  # Dense: the very factor it samples with; else Cholesky of dense()
    if padded:
        L = np.pad(L, ((0, 1), (0, 1)))
    return ("chol", np.asarray(L, dtype=float))


def noise_spec(noise: Any) -> Any:
    """Describe a :class:`~convotron.data.laws.NoiseModel` for ``second_moment.rho_exact``.

    None, ``("independent", ς)`` (ς² the variance) or ``("hetero", S)``.
    """
    if noise.level == 0.0:  # "none" has level 0 too
        return None
    if noise.independent:
        return ("independent", math.sqrt(float(noise.variance)))
    return ("hetero", float(noise.level))


def exact_beta_cost(scheme: PatchScheme, cov: Covariance, kappa: float) -> float:
    r"""Estimate the floating-point operations of the exact :math:`\lambda_{\max}(K)`.

    :func:`convotron_theory.second_moment.second_moment_matrix`: :math:`k r^3` for the products
    :math:`W_i^\top W_i` and :math:`r^3` for the eigenvalues; :math:`P\Sigma` costs
    :math:`k r` (identity, diagonal), :math:`n r` (AR(1), by its recursions) or
    :math:`k r n^2` (dense); :math:`\kappa \ne 3` adds :math:`k r n` for a diagonal factor
    and :math:`k r^2 n` otherwise.
    """
    k, r, n = float(scheme.k), float(scheme.r), float(scheme.n)
    cost = k * r**3 + r**3 + r * n
    diagonal = cov.is_diagonal
    if not diagonal:
        cost += n * r if cov.code == CovCode.AR1 else k * r * n * n
    if kappa != 3.0:
        cost += k * r * n if diagonal else k * r * r * n
    return cost
