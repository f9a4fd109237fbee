r"""Experiment ``scaling``: iterations to reach ε against ``k``, ``r`` and ``λ_min``.

The theorem ([derived] explicit-constant version of the paper's main theorem,
``thm-convotron`` / ``cor-realizable``) needs

.. math:: T = \frac{4\beta}{a^2}\ln\frac{\|w^*\|^2}{\varepsilon\delta}
          = \frac{4\beta k^2}{(1+\alpha)^2\lambda_{\min}^2}\ln\frac{\|w^*\|^2}{\varepsilon\delta},

and with :math:`\beta \approx rk` (Gaussian, Σ = I: :math:`\beta = rk + 2\lambda_{\max}(PP^\top)`)
this grows like :math:`k^3`, :math:`r^1` and :math:`\lambda_{\min}^{-2}`. Three series, each
varying one quantity with the others fixed:

- ``k``: 1D schemes ``r = 4``, stride ``d = 3`` (``r/2 < d < r``, so
  :math:`\lambda_{\min}(PP^\top) = 1` exactly for every ``k >= 2``, Lemma 1D);
- ``r``: disjoint patches (``d = r``), ``k = 3`` (:math:`PP^\top = kI`, so
  :math:`\lambda_{\min} = k` stays fixed; here :math:`T \propto (r + 2)`);
- ``λ_min``: disjoint patches ``k = 2, r = 4`` with a diagonal covariance whose first
  coordinate in each patch has variance ``s`` (so :math:`\lambda_{\min}(M) = ks` while
  :math:`\lambda_{\max}` and :math:`\operatorname{tr} M` barely move).

Each point: Convotron at the theorem's step size, ``runs`` teachers, budget
``budget_factor × T``; measured = the median first update with :math:`\|w_t-w^*\|^2 \le ε`.
Reported: fitted log-log slopes of the measured iterations and of the theorem's ``T``,
next to the nominal exponents 3, 1, −2. Measured iterations need not follow the
worst-case exponents: ``T`` is an upper bound (with the worst-case β and the Markov
factor 1/δ), and the first hitting time also depends on how much of ``w*`` lies along the
slowest direction.
"""

from __future__ import annotations

import math
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
    loglog_slope,
    median_or_none,
    noiseless_problem,
    progress_bar,
    run_convotron,
    spawn_generators,
    theorem_for,
)

__all__ = ["NOMINAL_EXPONENTS", "Config", "plot", "run"]

NAME = "scaling"

#: The theorem's nominal exponents of T in k, r and λ_min (with β ~ r k) [derived].
NOMINAL_EXPONENTS = {"k": 3.0, "r": 1.0, "lambda_min": -2.0}


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``scaling``: the values of each series, runs, ε, δ and the budget factor."""

    ks: tuple[int, ...] = (2, 3, 4, 6)
    rs: tuple[int, ...] = (2, 4, 8, 16)
    variances: tuple[float, ...] = (1.0, 0.5, 0.25, 0.125)
    k_series_r: int = 4
    k_series_d: int = 3
    r_series_k: int = 3
    lam_series_k: int = 2
    lam_series_r: int = 4
    runs: int = 3
    alpha: float = 0.0
    budget_factor: float = 1.5
    max_iters: int = 400_000

    #: Full settings: 6 points per series, 9 runs each (the defaults, the quick settings: 4
    #: points per series, 3 runs each).
    FULL: ClassVar[Mapping[str, Any]] = dict(
        ks=(2, 3, 4, 6, 8, 12),
        rs=(2, 4, 8, 16, 32, 64),
        variances=(1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125),
        runs=9,
        max_iters=3_000_000,
    )


def _points(cfg: Config) -> list[tuple[str, float, Any, Any]]:
    """``(series, x, scheme, covariance)`` for every point."""
    from ...data.covariance import Diagonal, Identity
    from ...geometry.patches import PatchScheme

    pts: list[tuple[str, float, Any, Any]] = []
    r, d = cfg.k_series_r, cfg.k_series_d
    for k in cfg.ks:
        s = PatchScheme.stride_1d((k - 1) * d + r, r, d)
        pts.append(("k", float(k), s, Identity(s.n)))
    for rr in cfg.rs:
        s = PatchScheme.stride_1d(cfg.r_series_k * rr, rr, rr)
        pts.append(("r", float(rr), s, Identity(s.n)))
    k, rr = cfg.lam_series_k, cfg.lam_series_r
    s = PatchScheme.stride_1d(k * rr, rr, rr)
    for v in cfg.variances:
        diag = np.ones(s.n)
        diag[::rr] = v
        pts.append(("lambda_min", math.nan, s, Diagonal(diag)))
    return pts


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    pts = _points(cfg)
    bar = progress_bar(len(pts) * cfg.runs, desc=NAME, enabled=progress)
    series: dict[str, list[dict[str, Any]]] = {"k": [], "r": [], "lambda_min": []}
    for (name, x, scheme, cov), g in zip(pts, spawn_generators(seed, len(pts)), strict=True):
        problem = noiseless_problem(scheme, cfg.alpha, cov=cov)
        tp = theorem_for(cfg, problem)
        if name == "lambda_min":
            x = tp.lambda_min
        iters = int(min(cfg.max_iters, math.ceil(cfg.budget_factor * tp.T)))
        hits = []
        for rg in spawn_generators(int(g.integers(2**31)), cfg.runs):
            teacher = problem.random_teacher(rg, w_norm=cfg.w_norm)
            o = run_convotron(teacher.sample, scheme, cfg.alpha, eta=tp.eta, iters=iters, rng=rg,
                              w_star=teacher.w_star, eps=cfg.eps)  # fmt: skip
            hits.append(o.first_hit)
            bar.update(1)
        series[name].append(
            {
                "x": x,
                "n": scheme.n,
                "k": scheme.k,
                "r": scheme.r,
                "theorem": tp.summary(),
                "budget": iters,
                "first_hits": hits,
                "median_first_hit": median_or_none(hits),
            }
        )
    bar.close()
    fits = {}
    for name, ps in series.items():
        xs = [p["x"] for p in ps]
        fits[name] = {
            "nominal": NOMINAL_EXPONENTS[name],
            "theorem_T": loglog_slope(xs, [p["theorem"]["T"] for p in ps]),
            "measured": loglog_slope(xs, [p["median_first_hit"] for p in ps]),
        }
    conclusions = {
        "slopes": fits,
        "all_points_measured": all(
            p["median_first_hit"] is not None for ps in series.values() for p in ps
        ),
        "measured_below_theorem_T": all(
            p["median_first_hit"] is not None and p["median_first_hit"] <= p["theorem"]["T"]
            for ps in series.values()
            for p in ps
        ),
    }
    table = Table(
        ("vary", "nominal exponent", "slope of theorem T", "measured slope", "points"),
        tuple(
            (name, f["nominal"], f["theorem_T"], f["measured"], len(series[name]))
            for name, f in fits.items()
        ),
    )
    notes = (
        f"Convotron at the theorem's step size, {cfg.runs} teachers per point, eps = {cfg.eps:g}; "
        "measured = median first update with ||w_t - w*||^2 <= eps.",
        "The theorem's T is a worst-case upper bound ([derived]); measured iterations need not "
        "follow its exponents. Nominal exponents assume beta ~ r k; the r series has "
        "T ~ (r + 2), hence a slope below 1 at small r.",
        "Measured median below the theorem's T at every point: "
        + ("yes." if conclusions["measured_below_theorem_T"] else "no."),
    )
    return Findings({"series": series, "fits": fits}, conclusions, table, notes)


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``scaling.png``: measured iterations and the theorem's T, log-log, per series."""
    from ._plots import new_figure, save

    d = result.data
    labels = {"k": "k (patches)", "r": "r (filter size)", "lambda_min": "lambda_min(M)"}
    fig, axes = new_figure(1, 3, size=(4.4, 3.6))
    for ax, (name, ps) in zip(axes.flat, d["series"].items(), strict=True):
        f = d["fits"][name]
        xs = [p["x"] for p in ps]
        label = f"theorem T (slope {_s(f['theorem_T'])}; nominal {f['nominal']:g})"
        ax.loglog(xs, [p["theorem"]["T"] for p in ps], "-", color="tab:red", label=label)
        for p in ps:
            pts = [h for h in p["first_hits"] if h is not None]
            ax.loglog([p["x"]] * len(pts), pts, ".", color="tab:blue", alpha=0.4)
        ok = [(p["x"], p["median_first_hit"]) for p in ps if p["median_first_hit"] is not None]
        if ok:
            ax.loglog(*zip(*ok, strict=True), "o-", color="tab:blue",
                      label=f"measured median (slope {_s(f['measured'])})")  # fmt: skip
        ax.set_xlabel(labels[name])
        ax.set_ylabel("iterations to reach eps")
        ax.legend(fontsize=7)
    fig.suptitle("Iterations to reach eps: measured vs the theorem's T", fontsize=10)
    return [save(fig, out, "scaling.png")]


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"
