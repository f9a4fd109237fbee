r"""The theorem's numbers of a concrete problem, from plain numbers ([derived]).

:func:`theorem_parameters` takes the spectral data of a problem (:math:`\lambda_{\min}(M)`,
:math:`\lambda_{\max}(M)`, :math:`\operatorname{tr} M`, :math:`k`, the slope, the law's
constants, the noise) and evaluates the :class:`~convotron_theory.bounds.Bound` objects of
:mod:`convotron_theory.bounds` on them: :math:`a`, :math:`\beta` (by default the exact
:math:`\lambda_{\max}(K)`, else a closed-form rule), :math:`\rho`, :math:`\eta`, :math:`T`
and the sample count; :func:`disjoint_parameters` does the same for the disjoint-patch
variant. The numbers come only from the Bound objects, so the book, the tests and the
command line evaluate one expression each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from . import notation as N
from ._errors import HypothesisFailed, TheoryError
from .bounds import (
    BETA_BOUNDED,
    BETA_EXACT,
    BETA_FOURTH,
    BETA_GAUSSIAN,
    BETA_GAUSSIAN_IDENTITY,
    BETA_GAUSSIAN_STRIDE,
    BETA_RULES,
    DISJOINT_A,
    DISJOINT_BETA,
    DISJOINT_RHO,
    ETA_NOISY,
    ETA_REALIZABLE,
    RHO_GENERAL,
    RHO_INDEPENDENT,
    SAMPLES,
    T_NOISY,
    T_REALIZABLE,
    A,
    _check_value,
)

__all__ = ["disjoint_parameters", "gaussian_norm_product_moment", "theorem_parameters"]


# --------------------------------------------------------------------------------------------
# From plain numbers to the theorem's numbers
# --------------------------------------------------------------------------------------------
def _need(name: str, value: Any, rule: str) -> Any:
    if value is None:
        raise TheoryError(
            f"theorem_parameters: {name} is required for beta_rule={rule!r}; got None. "
            f"Pass {name}=..., or choose another rule from {sorted(BETA_RULES)}."
        )
    return value


def _positive(name: str, value: Any) -> float:
    return _check_value(sp.Symbol(name, positive=True), value, "theorem_parameters")


def theorem_parameters(
    *,
    lambda_min: float,
    lambda_max: float,
    tr_M: float,
    k: int,
    r: int,
    alpha: float,
    eps: float,
    delta: float,
    w_norm: float,
    beta_rule: str | None = None,
    lambda_max_Sigma: float | None = None,
    lambda_max_PPT: float | None = None,
    lambda_max_K: float | None = None,
    tr_PPT: float | None = None,
    B: float | None = None,
    E_x4: float | None = None,
    varsigma: float = 0.0,
    xi_moment: float | None = None,
) -> dict[str, Any]:
    r"""Every number of the theorem from plain numbers, through the :class:`Bound` objects.

    [derived] explicit-constant version of GKM18's main theorem (thm-convotron, with
    cor-realizable when :math:`\rho = 0` and cor-noisy otherwise).

    Parameters
    ----------
    lambda_min, lambda_max, tr_M : float
        :math:`\lambda_{\min}(M)`, :math:`\lambda_{\max}(M)` and :math:`\operatorname{tr} M`,
        :math:`M = P\Sigma P^\top`. ``lambda_min`` must be positive (the theorem's hypothesis).
    k, r : int
        Number of patches and patch size.
    alpha : float
        Leaky ReLU slope, :math:`0 \le \alpha \le 1`.
    eps, delta : float
        Accuracy :math:`\epsilon > 0` and failure probability :math:`0 < \delta \le 1`.
    w_norm : float
        :math:`\|w^*\| > 0` (a bound on it is fine: every formula increases with it).
    beta_rule : str, optional
        One of ``"exact"``, ``"gaussian"``, ``"gaussian-identity"``, ``"gaussian-stride"``,
        ``"bounded"``, ``"fourth-moment"``: which admissible β to use. Default:
        ``"exact"`` (:data:`BETA_EXACT`, λ_max(K) of :mod:`convotron_theory.second_moment`) when
        ``lambda_max_K`` is given, else ``"gaussian"``.
        ``"exact"`` needs ``lambda_max_K``; ``"gaussian"`` needs ``lambda_max_Sigma``,
        ``"gaussian-identity"`` needs ``tr_PPT`` and ``lambda_max_PPT`` (Σ = I),
        ``"gaussian-stride"`` needs ``lambda_max_PPT`` (Σ = I and a patch-and-stride scheme,
        tr PPᵀ = rk; the caller checks the scheme), ``"bounded"`` needs
        ``lambda_max_PPT``, ``B`` and ``lambda_max_Sigma``, ``"fourth-moment"`` needs
        ``lambda_max_PPT`` and ``E_x4``.
    varsigma : float
        Standard deviation of noise independent of x (ρ = ς² tr M).
    xi_moment : float, optional
        :math:`\mathbb{E}[\xi^2\|Px\|^2]` for noise that is not independent of x; when given
        it is ρ and ``varsigma`` must be 0.

    Returns
    -------
    dict
        ``a, beta, beta_rule, rho, rho_rule, realizable, eta, T, samples`` (floats; ``T`` and
        ``samples`` ints), ``eta_bound`` and ``T_bound`` (the :class:`Bound` used),
        ``formulas`` (LaTeX of ``eta`` and ``T``), and the inputs.

    Raises
    ------
    HypothesisFailed
        ``lambda_min <= 0`` (claim ``thm-convotron``).
    TheoryError
        Any value out of range or a quantity the chosen rule needs missing.
    """
    if not isinstance(lambda_min, int | float | np.integer | np.floating) or isinstance(
        lambda_min, bool
    ):
        raise TheoryError(
            f"theorem_parameters: lambda_min must be a real number; got {lambda_min!r}. "
            "Pass the smallest eigenvalue of M = P Σ Pᵀ."
        )
    if not float(lambda_min) > 0:
        raise HypothesisFailed(
            f"lambda_min(P Σ Pᵀ) must be positive for the theorem (thm-convotron) to apply; "
            f"got {float(lambda_min):.6g}. Choose a scheme whose patches cover every filter "
            "direction (see `convotron check`).",
            "thm-convotron",
        )
    if float(lambda_max) < float(lambda_min):
        raise TheoryError(
            f"theorem_parameters: lambda_max must be >= lambda_min; got lambda_max={lambda_max!r} "
            f"< lambda_min={lambda_min!r}. Pass the extreme eigenvalues of M in the right order."
        )
    if beta_rule is None:
        beta_rule = "exact" if lambda_max_K is not None else "gaussian"
    if beta_rule not in BETA_RULES:
        raise TheoryError(
            f"theorem_parameters: beta_rule must be one of {sorted(BETA_RULES)}; "
            f"got {beta_rule!r}. Pick the rule that matches the input law."
        )
    if xi_moment is not None and varsigma:
        raise TheoryError(
            f"theorem_parameters: pass either varsigma (independent noise) or xi_moment "
            f"(general noise), not both; got varsigma={varsigma!r}, xi_moment={xi_moment!r}. "
            "Set varsigma=0 when giving xi_moment."
        )
    a = A(alpha=alpha, lambda_min=lambda_min, k=k)
    if beta_rule == "exact":
        beta = BETA_EXACT(lambda_max_K=_need("lambda_max_K", lambda_max_K, beta_rule))
    elif beta_rule == "gaussian":
        beta = BETA_GAUSSIAN(
            lambda_max_Sigma=_need("lambda_max_Sigma", lambda_max_Sigma, beta_rule),
            tr_M=tr_M,
            lambda_max=lambda_max,
        )
    elif beta_rule == "gaussian-identity":
        beta = BETA_GAUSSIAN_IDENTITY(
            tr_PPT=_need("tr_PPT", tr_PPT, beta_rule),
            lambda_max_PPT=_need("lambda_max_PPT", lambda_max_PPT, beta_rule),
        )
    elif beta_rule == "gaussian-stride":
        beta = BETA_GAUSSIAN_STRIDE(
            r=r, k=k, lambda_max_PPT=_need("lambda_max_PPT", lambda_max_PPT, beta_rule)
        )
    elif beta_rule == "bounded":
        beta = BETA_BOUNDED(
            lambda_max_PPT=_need("lambda_max_PPT", lambda_max_PPT, beta_rule),
            B=_need("B", B, beta_rule),
            lambda_max_Sigma=_need("lambda_max_Sigma", lambda_max_Sigma, beta_rule),
        )
    else:
        beta = BETA_FOURTH(
            lambda_max_PPT=_need("lambda_max_PPT", lambda_max_PPT, beta_rule),
            E_x4=_need("E_x4", E_x4, beta_rule),
        )
    if xi_moment is not None:
        rho, rho_rule = RHO_GENERAL(xi_moment=xi_moment), "general"
    else:
        rho, rho_rule = RHO_INDEPENDENT(varsigma=varsigma, tr_M=tr_M), "independent"
    out = _finish(a, beta, rho, eps, delta, w_norm)
    out.update(
        beta_rule=beta_rule,
        rho_rule=rho_rule,
        lambda_min=float(lambda_min),
        lambda_max=float(lambda_max),
        tr_M=float(tr_M),
        k=int(k),
        r=int(r),
        alpha=float(alpha),
    )
    return out


def _finish(a: float, beta: float, rho: float, eps: float, delta: float, w_norm: float) -> dict:
    """η, T and samples from a, β, ρ: realizable formulas when ρ = 0, noisy ones otherwise."""
    _positive("eps", eps)
    _check_value(N.delta, delta, "theorem_parameters")
    _positive("w_norm", w_norm)
    realizable = rho == 0
    if realizable:
        eta_b, t_b = ETA_REALIZABLE, T_REALIZABLE
        eta = eta_b(a=a, beta=beta)
        T = t_b(a=a, beta=beta, w_norm=w_norm, epsilon=eps, delta=delta)
    else:
        eta_b, t_b = ETA_NOISY, T_NOISY
        eta = eta_b(a=a, beta=beta, rho=rho, epsilon=eps, delta=delta)
        T = t_b(a=a, beta=beta, rho=rho, w_norm=w_norm, epsilon=eps, delta=delta)
    return {
        "a": a,
        "beta": beta,
        "rho": rho,
        "realizable": realizable,
        "eta": eta,
        "T": T,
        "samples": SAMPLES(T=T),
        "eta_bound": eta_b,
        "T_bound": t_b,
        "formulas": {"eta": eta_b.latex(), "T": t_b.latex()},
        "eps": float(eps),
        "delta": float(delta),
        "w_norm": float(w_norm),
    }


def disjoint_parameters(
    *, k: int, r: int, alpha: float, eps: float, delta: float, w_norm: float, varsigma: float = 0.0
) -> dict[str, Any]:
    r"""Compute the theorem's numbers for the disjoint-patch variant (thm-disjoint) [derived].

    Hypotheses (checked by the caller, e.g. :mod:`convotron.glue.parameters`): x ~ N(0, I_n) and the
    patch updated shares no input coordinate with any other patch. Then
    :math:`a_1 = (1+\alpha)/k`, :math:`\beta_1 = r + 2/k`, :math:`\rho_1 = \varsigma^2 r`,
    plugged into the realizable or noisy step size and iteration count.

    Returns
    -------
    dict
        Same keys as :func:`theorem_parameters` (``beta_rule="disjoint"``,
        ``rho_rule="disjoint"``).
    """
    a = DISJOINT_A(alpha=alpha, k=k)
    beta = DISJOINT_BETA(r=r, k=k)
    rho = DISJOINT_RHO(varsigma=varsigma, r=r)
    out = _finish(a, beta, rho, eps, delta, w_norm)
    out.update(
        beta_rule="disjoint",
        rho_rule="disjoint",
        k=int(k),
        r=int(r),
        alpha=float(alpha),
        lambda_min=1.0,
        lambda_max=1.0,
        tr_M=float(r),
    )
    return out


def gaussian_norm_product_moment(trace_Sigma: float, tr_M: float, tr_P_Sigma2_Pt: float) -> float:
    r"""Exact :math:`\mathbb{E}[\|x\|^2\|Px\|^2]` for Gaussian :math:`x \sim N(0,\Sigma)` [derived].

    By Isserlis' theorem, with :math:`Q = P^\top P`,
    :math:`\mathbb{E}[x^\top x \; x^\top Q x] = \operatorname{tr}\Sigma \operatorname{tr}(Q\Sigma)
    + 2\operatorname{tr}(Q\Sigma^2) = \operatorname{tr}\Sigma\,\operatorname{tr}M
    + 2\operatorname{tr}(P\Sigma^2P^\top)`; for :math:`\Sigma = I` it is
    :math:`(n+2)\operatorname{tr}(PP^\top)`, which is :math:`(n+2)rk` only for patch-and-stride
    schemes (the scheme ``[[0,1,2,3],[0,1,4,5],[6,7,2,3]]``, n = 8: 200, not 120). For other
    laws (κ ≠ 3) see :func:`convotron_theory.second_moment.norm_product_moment`.

    Parameters
    ----------
    trace_Sigma, tr_M, tr_P_Sigma2_Pt : float
        :math:`\operatorname{tr}\Sigma`, :math:`\operatorname{tr}(P\Sigma P^\top)` and
        :math:`\operatorname{tr}(P\Sigma^2P^\top) = \|\Sigma P^\top\|_F^2`.
    """
    for name, v in (
        ("trace_Sigma", trace_Sigma),
        ("tr_M", tr_M),
        ("tr_P_Sigma2_Pt", tr_P_Sigma2_Pt),
    ):
        _positive(name, v)
    return float(trace_Sigma) * float(tr_M) + 2.0 * float(tr_P_Sigma2_Pt)
