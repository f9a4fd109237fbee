r"""The preconditioned cases of ``convotron verify`` (thm-precond, [derived]; not GKM18's).

A case with ``precondition="exact"`` or ``"plugin"`` runs the preconditioned update
(``alg-precond``) ``w ← w + η (y − f_w(x)) H Σᵢ Pᵢx`` with a fixed ``H``: ``M⁻¹`` of the
problem, or ``M̂⁻¹`` with ``M̂ = (1/m) Σ q qᵀ`` from ``m = 50 r`` samples drawn once per case
from its own seed (:func:`plugin_seed`; the theorem then holds conditionally on ``M̂``, and
its constants are computed exactly for that very ``H``). Its numbers are those of
:func:`convotron.glue.precondition.preconditioned_parameters`: ``a_H = (1+α)μ_H/k``,
``β_H``, ``ρ_H``, ``η`` and ``T`` for the worst teacher of norm ``‖w*‖``
(``Φ₁ ≤ ‖w*‖²/λ_min(H)``). :class:`PreconditionedParameters` carries them in the fields the
suite reads (``a``, ``beta``, ``rho``, ``eta``, ``T``), so the (ε, δ) test, the report and
the lemma checks (:mod:`convotron.glue.verify.lemmas`, their ``H`` analogues) use the
preconditioned theorem's constants, never Algorithm 1's.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..parameters import TheoremParameters

__all__ = ["PreconditionedParameters", "plugin_seed", "preconditioned_theorem"]


@dataclass(frozen=True)
class PreconditionedParameters(TheoremParameters):
    r"""A :class:`TheoremParameters` whose ``a, beta, rho, eta, T`` are thm-precond's [derived].

    ``a`` is :math:`a_H = (1+\alpha)\mu_H/k`, ``beta`` is :math:`\beta_H`, ``rho`` is
    :math:`\rho_H`; ``lambda_min``/``lambda_max`` stay those of ``M``. Extra fields: the
    preconditioner ``H`` (r×r), ``precondition`` (``"exact"``/``"plugin"``), ``K_H``,
    ``mu_H``, ``lambda_max_H``, ``phi_1_bound`` (:math:`\|w^*\|^2/\lambda_{\min}(H)`),
    ``cond_M``, ``T_plain`` (Algorithm 1's ``T`` on the same problem) and ``plugin_samples``
    (``m``, plug-in only).
    """

    H: Any = field(default=None, repr=False, compare=False)
    precondition: str = "exact"
    K_H: Any = field(default=None, repr=False, compare=False)
    mu_H: float = math.nan
    lambda_max_H: float = math.nan
    phi_1_bound: float = math.nan
    cond_M: float = math.nan
    T_plain: int | float = math.inf
    plugin_samples: int | None = None

    def curve(self, t: Any) -> Any:
        r"""Evaluate thm-precond's bound on :math:`\mathbb{E}\|w_t - w^*\|^2` at ``t``.

        :math:`\lambda_{\max}(H)\,[(1 - \eta a_H/2)^t\Phi_1 + 2\eta\rho_H/a_H]`, at ``Φ₁``'s
        bound :math:`\|w^*\|^2/\lambda_{\min}(H)`: ``PRECOND_CURVE`` of
        :mod:`convotron_theory.precondition` (the bound on :math:`\mathbb{E}\,\Phi`) times
        :math:`\lambda_{\max}(H)`, since :math:`\|\Delta\|^2 \le \lambda_{\max}(H)\,
        \Delta^\top H^{-1}\Delta`. ``t`` an int or an integer array; NaN without a step.
        """
        from convotron_theory.precondition import PRECOND_CURVE

        if not self.eta > 0:
            return math.nan if np.ndim(t) == 0 else np.full(np.shape(t), math.nan)
        tt = np.asarray(t) if np.ndim(t) else int(t)
        phi = PRECOND_CURVE(eta=self.eta, a_H=self.a, rho_H=self.rho, Phi_1=self.phi_1_bound, t=tt)
        return self.lambda_max_H * phi


def plugin_seed(seed: int, name: str) -> np.random.SeedSequence:
    """Return the seed of a plug-in case's ``M̂``: its own stream, apart from the runs' four."""
    return np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8")), 0x9E37])


def _plugin_H(problem: Any, seed: int, name: str) -> tuple[np.ndarray, int]:
    """``M̂⁻¹`` from ``50 r`` samples of the case's input law (its own seed), and ``m``."""
    from ...learning.rules import ConvotronRule

    rng = np.random.default_rng(plugin_seed(seed, name))
    teacher = problem.teacher(np.zeros(problem.r))  # the inputs do not depend on w*
    rule, _ = ConvotronRule(precondition="plugin").bind(teacher, problem.scheme, rng)
    return np.asarray(rule.H, dtype=np.float64), 50 * int(problem.r)


def preconditioned_theorem(
    tp: TheoremParameters, precondition: str, *, seed: int = 0, name: str = ""
) -> PreconditionedParameters:
    """Return ``tp`` with thm-precond's constants for ``H = M⁻¹`` or a plug-in ``M̂⁻¹``."""
    from convotron_theory.precondition import preconditioned_constants

    from ..moments import cov_spec
    from ..precondition import preconditioned_parameters

    problem = tp.problem
    m: int | None = None
    H: Any = "exact"
    if precondition == "plugin":
        H, m = _plugin_H(problem, seed, name)
    d = preconditioned_parameters(problem, eps=tp.eps, delta=tp.delta, w_norm=tp.w_norm, H=H)
    scheme = problem.scheme
    pc = preconditioned_constants(
        scheme.n,
        scheme.indices,
        H,
        cov=cov_spec(problem.cov),
        kappa=float(problem.law.fourth_moment),
        noise=None,
    )  # fmt: skip  (K_H only: ρ_H comes from d)
    T = int(d["T"])
    flat = tp.replace(
        a=float(d["a_H"]),
        beta=float(d["beta_H"]),
        rho=float(d["rho_H"]),
        eta=float(d["eta"]),
        T=T,
        samples=T + (m or 0),
        claim="thm-precond",
        formulas=dict(d["formulas"]),
        beta_rule="exact-H",
        rho_rule="exact-H" if d["rho_H"] > 0 else "none",
        beta_exact=float(d["beta_H"]),
        beta_closed=math.nan,
        beta_closed_rule="",
        eta_closed=math.nan,
        T_closed=math.inf,
    )
    base = {f.name: getattr(flat, f.name) for f in dataclasses.fields(flat)}  # the records
    out = PreconditionedParameters(
        **base,
        H=np.asarray(pc.H, dtype=np.float64),
        precondition=precondition,
        K_H=np.asarray(pc.K_H, dtype=np.float64),
        mu_H=float(d["mu_H"]),
        lambda_max_H=float(d["lambda_max_H"]),
        phi_1_bound=float(d["phi_1_bound"]),
        cond_M=float(d["cond_M"]),
        T_plain=tp.T,
        plugin_samples=m,
    )
    return out
