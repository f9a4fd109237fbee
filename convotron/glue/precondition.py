r"""The preconditioned theorem's numbers of a problem (thm-precond, [derived]; not GKM18's).

Joins a :class:`~convotron.model.problem.Problem` (the core's scheme, law, covariance and noise) to
:mod:`convotron_theory.precondition`: the exact :math:`\mu_H`, :math:`\beta_H`, :math:`\rho_H` of a
preconditioner ``H`` (``"exact"`` = :math:`M^{-1}`, the identity, or a given matrix such as a
plug-in :math:`\hat M^{-1}` already drawn), then the step :math:`\eta` and the iteration count
:math:`T` of the preconditioned theorem for :math:`P[\|w_{T+1} - w^*\|^2 > \epsilon] \le
\delta` with the worst teacher of norm ``w_norm``
(:math:`\lambda_{\max}(H)\Phi_1 \le \operatorname{cond}(H)\|w^*\|^2`).

The hypotheses are those of the main theorem (symmetric law of the form :math:`x = Lz`,
:math:`\lambda_{\min}(M) > 0`): :func:`preconditioned_parameters` takes the violations from
:func:`convotron.glue.parameters.theorem_parameters` and adds none of its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._io import pick
from . import moments as gm

__all__ = ["preconditioned_parameters"]


def preconditioned_parameters(
    problem: Any,
    *,
    eps: float,
    delta: float,
    w_norm: float,
    H: Any = "exact",
) -> dict[str, Any]:
    r"""Return the numbers of thm-precond for ``problem`` and a preconditioner ``H`` [derived].

    Parameters
    ----------
    problem : convotron.model.problem.Problem
    eps, delta, w_norm : float
        The target and ``‖w*‖`` (the worst direction of that norm is assumed).
    H : "exact", "identity" or (r, r) array
        ``"exact"``: :math:`M^{-1}` of the problem; an array: that fixed ``H`` (e.g. a bound
        plug-in rule's ``rule.H``).

    Returns
    -------
    dict
        ``applies, violations, mu_H, beta_H, rho_H, a_H, eta, T, lambda_max_H, cond_H,
        cond_M, phi_1_bound`` and ``theory`` (the dict of
        :func:`convotron_theory.precondition.precondition_parameters`).

    Raises
    ------
    ConvotronError
        A padded scheme (the exact moments read no padding here) or a law without a finite
        fourth moment.
    """
    from convotron_theory.precondition import precondition_parameters, preconditioned_constants

    from .parameters import theorem_parameters

    scheme = problem.scheme
    if bool((scheme.indices < 0).any()):
        raise ConvotronError(
            "precondition needs a scheme without zero padding (the exact preconditioned "
            f"moments read real coordinates only); got {scheme.spec or 'a padded scheme'}. "
            "Drop the padding or the preconditioner.",
            param="precondition",
        )
    kappa = float(problem.law.fourth_moment)
    if not math.isfinite(kappa):
        raise ConvotronError(
            f"precondition's exact constants need a finite fourth moment of the law; got "
            f"{problem.law.name} (E z⁴ = {kappa}). Choose another law (--dist).",
            param="precondition",
        )
    tp = theorem_parameters(problem, eps=eps, delta=delta, w_norm=w_norm)
    pc = preconditioned_constants(
        scheme.n,
        scheme.indices,
        H,
        cov=gm.cov_spec(problem.cov),
        kappa=kappa,
        noise=gm.noise_spec(problem.noise),
    )
    lam_min_H = float(np.linalg.eigvalsh(pc.H)[0])
    phi_1 = float(w_norm) ** 2 / lam_min_H  # Φ_1 ≤ ‖w*‖²/λ_min(H): the worst direction
    par = precondition_parameters(
        **pick(pc, "mu_H", "beta_H", "rho_H", "lambda_max_H"),
        k=scheme.k,
        alpha=problem.alpha,
        eps=eps,
        delta=delta,
        phi_1=phi_1,
    )
    return {
        "applies": bool(tp.applies),
        "violations": [str(v) for v in tp.violations],
        "H": "M^-1" if isinstance(H, str) and H == "exact" else "given",
        "mu_H": pc.mu_H,
        "beta_H": pc.beta_H,
        "rho_H": pc.rho_H,
        "a_H": par["a_H"],
        "eta": par["eta"],
        "T": int(par["T"]),
        "lambda_max_H": pc.lambda_max_H,
        "cond_H": pc.cond_H,
        "cond_M": pc.cond_M,
        "phi_1_bound": phi_1,
        "formulas": par["formulas"],
        "T_plain": int(tp.T) if tp.T is not None else None,
    }
