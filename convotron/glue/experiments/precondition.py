r"""Experiment ``precondition``: the iteration count against cond(M), with and without ``H = M⁻¹``.

Claim under test ([derived], this project's extension, not GKM18's; ``thm-precond``,
``cor-precond-whitened``): Algorithm 1's theorem needs
:math:`T = \frac{4\beta}{a^2}\ln\frac{\|w^*\|^2}{\epsilon\delta}` with :math:`a =
(1+\alpha)\lambda_{\min}(M)/k`, which grows like :math:`\operatorname{cond}(M)^2`; the
preconditioned update with :math:`H = M^{-1}` needs :math:`T = \frac{4\beta_Hk^2}{(1+\alpha)^2}
\ln\frac{\lambda_{\max}(H)\Phi_1}{\epsilon\delta}`, where :math:`\beta_H` stays of order ``r``
and the condition number enters through the logarithm only.

Design. ``1d:16,4,2`` (``k = 7``, ``r = 4``), ReLU, Gaussian inputs with AR(1) correlation
``ρ`` over a grid (``cond(M)`` from 1 to about 10⁴). For each ``ρ``: the exact constants of
both theorems (:func:`convotron_theory.precondition.preconditioned_constants`: ``H = I`` gives
Algorithm 1's ``μ = λ_min(M)``, ``β = λ_max(K)``; ``H = M⁻¹`` gives ``μ_H = 1`` and
``β_H``), both theorems' ``T`` (worst teacher of norm 1 for each: ``Φ₁ ≤ λ_max(M)`` for
``H = M⁻¹``), and one run of each algorithm at its theorem's step with ``w*`` along the
bottom eigenvector of ``M`` (Algorithm 1's slowest direction), recording the first time
``‖w − w*‖² ≤ ε``. The preconditioned run gets its theorem's ``T``; Algorithm 1's run gets
``min(T, cap)`` updates. An algorithm is *feasible* at a ``ρ`` when its theorem's ``T`` is
at most ``budget`` updates (the default budget, ``10⁸``, is about a minute of one core for
this scheme). ``book/preconditioned.md`` draws its figure from this experiment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ._common import (
    ExperimentConfig,
    ExperimentResult,
    Findings,
    Table,
    experiment,
    progress_bar,
)

__all__ = ["Config", "plot", "run"]

NAME = "precondition"
SCHEME = "1d:16,4,2"


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``precondition``: the AR(1) ``ρ`` grid, the cap on Algorithm 1's runs.

    The defaults are the quick settings (five ``ρ``, cap ``2·10⁵``); the full settings are the
    book's (eight ``ρ``, cap ``2·10⁶``).
    """

    rhos: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.99)
    cap: int = 200_000
    budget: float = 1e8

    FULL: ClassVar[Mapping[str, Any]] = {
        "rhos": (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99),
        "cap": 2_000_000,
    }


def _cov(rho: float) -> Any:
    return "identity" if rho == 0 else ("ar1", float(rho))


def _one(rho: float, cfg: Config, rng_seed: int) -> dict[str, Any]:
    """Both theorems' numbers and one measured run of each algorithm at one ``ρ``."""
    from convotron_theory.precondition import precondition_parameters, preconditioned_constants

    from ...geometry.patches import parse_spec
    from ...learning.algorithm import fit
    from ...learning.rules import ConvotronRule
    from ...model.problem import Problem
    from ..directions import eigen_direction

    scheme = parse_spec(SCHEME)
    n, idx, k = scheme.n, np.asarray(scheme.indices), scheme.k
    wh = preconditioned_constants(n, idx, "exact", cov=_cov(rho))
    pl = preconditioned_constants(n, idx, "identity", cov=_cov(rho))
    ev = np.linalg.eigvalsh(wh.M)
    k_, eps, delta = int(k), float(cfg.eps), float(cfg.delta)
    w2 = cfg.w_norm**2
    par_w = precondition_parameters(mu_H=1.0, beta_H=wh.beta_H, lambda_max_H=wh.lambda_max_H,
                                    phi_1=float(ev[-1]) * w2, k=k_, alpha=0.0, eps=eps,
                                    delta=delta)  # fmt: skip
    par_p = precondition_parameters(mu_H=pl.mu_H, beta_H=pl.beta_H, lambda_max_H=1.0,
                                    phi_1=w2, k=k_, alpha=0.0, eps=eps, delta=delta)  # fmt: skip
    Tw, Tp = int(par_w["T"]), int(par_p["T"])
    cov_spec = "identity" if rho == 0 else f"ar1:{rho}"
    teacher = Problem.from_specs(SCHEME, 0.0, "gaussian", cov_spec).teacher(
        cfg.w_norm * eigen_direction(wh.M, "min")
    )
    hw = fit(ConvotronRule(precondition="exact"), teacher, scheme, 0.0, eta=float(par_w["eta"]),
             iters=Tw, rng=np.random.default_rng(rng_seed), w_star=teacher.w_star,
             eps=cfg.eps).first_hit  # fmt: skip
    hp = fit(ConvotronRule(), teacher, scheme, 0.0, eta=float(par_p["eta"]),
             iters=min(Tp, cfg.cap), rng=np.random.default_rng(rng_seed),
             w_star=teacher.w_star, eps=cfg.eps).first_hit  # fmt: skip
    return {
        "rho": float(rho),
        "cond_M": float(wh.cond_M),
        "beta": float(pl.beta_H),
        "beta_H": float(wh.beta_H),
        "T_plain": Tp,
        "T_precond": Tw,
        "eta_plain": float(par_p["eta"]),
        "eta_precond": float(par_w["eta"]),
        "measured_plain": None if hp is None else int(hp),
        "measured_precond": None if hw is None else int(hw),
        "feasible_plain": Tp <= cfg.budget,
        "feasible_precond": Tw <= cfg.budget,
    }


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    bar = progress_bar(len(cfg.rhos), desc=NAME, enabled=progress)
    rows = []
    for j, rho in enumerate(cfg.rhos):
        rows.append(_one(rho, cfg, int(seed) + j))
        bar.update(1)
    bar.close()

    def last(key: str) -> float | None:
        ok = [r["cond_M"] for r in rows if r[key]]
        return max(ok) if ok else None

    conclusions = {
        "precond_always_reached": all(
            r["measured_precond"] is not None and r["measured_precond"] <= r["T_precond"]
            for r in rows
        ),
        "plain_reached_within_T": all(
            r["measured_plain"] is None or r["measured_plain"] <= r["T_plain"] for r in rows
        ),
        "min_T_ratio_at_cond_1000": min(
            (r["T_plain"] / r["T_precond"] for r in rows if r["cond_M"] >= 1000), default=None
        ),
        "largest_cond_feasible_plain": last("feasible_plain"),
        "largest_cond_feasible_precond": last("feasible_precond"),
        "largest_cond_reached_plain": max(
            (r["cond_M"] for r in rows if r["measured_plain"] is not None), default=None
        ),
    }
    table = Table(
        ("rho", "cond(M)", "beta", "beta_H", "T (H = I)", "T (H = M^-1)", "measured (H = I)",
         "measured (H = M^-1)"),
        tuple((r["rho"], r["cond_M"], r["beta"], r["beta_H"], r["T_plain"], r["T_precond"],
               r["measured_plain"], r["measured_precond"]) for r in rows),
    )  # fmt: skip
    notes = (
        f"{SCHEME}, ReLU, Gaussian AR(1) inputs, eps = {cfg.eps:g}, delta = {cfg.delta:g}; w* "
        "along the bottom eigenvector of M; one run each at the theorem's step.",
        f"Algorithm 1's runs are capped at {cfg.cap:,} updates ('-': eps not reached); a "
        f"theorem is feasible when its T <= {cfg.budget:.0e} updates.",
        "thm-precond and cor-precond-whitened are this project's extension [derived], not the "
        "paper's.",
    )
    return Findings({"rows": rows}, conclusions, table, notes)


def figure(result: ExperimentResult) -> Any:
    """Return the log-log figure of ``T`` against ``cond(M)`` (both theorems, both measured)."""
    import matplotlib.pyplot as plt

    rows = result.data["rows"]
    cfg = result.config
    cond = [r["cond_M"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    ax.loglog(cond, [r["T_plain"] for r in rows], "o-", color="C0",
              label="Algorithm 1 (H = I): the theorem's T")  # fmt: skip
    ax.loglog(cond, [r["T_precond"] for r in rows], "s-", color="C1",
              label=r"$H = M^{-1}$: the theorem's T")  # fmt: skip
    for r in rows:
        hw, hp = r["measured_precond"], r["measured_plain"]
        if hw is not None:
            ax.loglog([r["cond_M"]], [hw], "s", color="C1", mfc="white")
        ax.loglog([r["cond_M"]], [hp if hp is not None else cfg["cap"]], "o", color="C0",
                  mfc="C0" if hp is not None else "white")  # fmt: skip
    ax.axhline(cfg["cap"], color="grey", lw=0.5, ls=":")
    ax.axhline(cfg["budget"], color="red", lw=0.8, ls="--",
               label=f"feasibility budget ({cfg['budget']:.0e} updates)")  # fmt: skip
    ax.set_xlabel(f"cond$(M)$, AR(1) inputs on {SCHEME}")
    ax.set_ylabel(r"updates until $\|w - w^*\|^2 \leq \epsilon$")
    ax.set_title("markers: measured first hit (open circle: not reached within the cap)",
                 fontsize=8)  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``precondition_T_vs_cond.png``."""
    from ._plots import save

    return [save(figure(result), out, "precondition_T_vs_cond.png")]
