r"""Experiment ``noise``: the error floor against the label-noise level.

Claim under test ([derived], ``thm-convotron`` / ``cor-noisy``): for any step size
:math:`0 < \eta \le a/(2\beta)`,

.. math:: \mathbb{E}\|w_{T+1} - w^*\|^2 \le (1 - \eta a/2)^T \|w^*\|^2 + \frac{2\eta\rho}{a},
          \qquad \rho = \mathbb{E}[\xi^2 \|Px\|^2],

so after the transient the error settles on a *floor* of at most :math:`2\eta\rho/a`, which
grows like the noise variance :math:`\varsigma^2` (``ρ = ς² tr M`` for noise independent
of x). The noise only needs :math:`\mathbb{E}[\xi\mid x] = 0` [paper]; the heteroscedastic
model ``hetero:S`` (scale growing with ``‖x‖``) is *not* independent of x, and ``ρ`` then
comes from :func:`convotron.glue.parameters.theorem_parameters`.

Design. One scheme and law, the realizable theorem step :math:`\eta = a/(2\beta)` fixed
for every noise level (so the floors are comparable; the noisy corollary's smaller
:math:`\eta` would lower the floor with it). For each noise kind and level ς: ``runs``
independent runs of ``burn + window`` updates; the measured floor is the mean over runs and
over the recorded points after ``burn`` of ``‖w_t − w*‖²``, where ``burn`` makes the
transient :math:`(1-\eta a/2)^{t}` smaller than ``1e-6``. Reported: measured floor,
:math:`2\eta\rho/a`, their ratio (at most 1 when the bound holds), and the fitted log-log
slope of the floor against ς (2 for a floor proportional to ς²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

from ._common import (
    ExperimentConfig,
    ExperimentResult,
    Findings,
    Table,
    experiment,
    loglog_slope,
    noiseless_problem,
    progress_bar,
    spawn_generators,
    theorem_for,
    unit_filter,
)

__all__ = ["Config", "plot", "run"]

NAME = "noise"


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``noise``.

    Attributes
    ----------
    spec, alpha, law :
        Scheme (parse_spec syntax), leaky-ReLU slope and input law.
    kinds : tuple of str
        Noise models (``"gaussian"``, ``"hetero"``, ``"uniform"``).
    levels : tuple of float
        Noise scales ς (> 0).
    runs : int
        Independent runs per (kind, level).
    window_factor : float
        Averaging window after the burn-in, as a multiple of the burn-in length.
    max_iters : int
        Cap on ``burn + window`` (a note says when it binds).
    records : int
        Recorded points per run.
    """

    spec: str = "1d:8,4,2"
    alpha: float = 0.0
    law: str = "gaussian"
    kinds: tuple[str, ...] = ("gaussian", "hetero")
    levels: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
    runs: int = 8
    window_factor: float = 1.0
    max_iters: int = 60_000
    records: int = 200

    #: Full settings: 2D scheme ``2d:4,4,2,2,1,1`` (k = 9), 7 levels, 16 runs each (the
    #: defaults, the quick settings: 1D scheme ``1d:8,4,2`` (k = 3), 5 levels, 8 runs each).
    FULL: ClassVar[Mapping[str, Any]] = dict(
        spec="2d:4,4,2,2,1,1",
        kinds=("gaussian", "hetero", "uniform"),
        levels=(0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6),
        runs=16,
        max_iters=600_000,
    )


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    from ...data.laws import parse_noise
    from ...geometry.patches import parse_spec
    from ...learning.many import run_many
    from ...learning.rules import ConvotronRule

    scheme = parse_spec(cfg.spec)
    problem0 = noiseless_problem(scheme, cfg.alpha, cfg.law)
    tp0 = theorem_for(cfg, problem0)
    eta, a = tp0.eta, tp0.a
    rate = eta * a / 2.0
    burn = math.ceil(math.log(1e6) / rate)
    iters = min(cfg.max_iters, math.ceil(burn * (1.0 + cfg.window_factor)))
    burn = min(burn, iters // 2)
    every = max(1, iters // cfg.records)
    gens = spawn_generators(seed, 1 + len(cfg.kinds) * len(cfg.levels))
    w_star = unit_filter(gens[0], scheme.r, cfg.w_norm)
    bar = progress_bar(len(cfg.kinds) * len(cfg.levels), desc=NAME, enabled=progress)
    series = []
    j = 1
    for kind in cfg.kinds:
        points = []
        for level in cfg.levels:
            noise = parse_noise(f"{kind}:{level!r}")
            problem = replace(problem0, noise=noise)
            teacher = problem.teacher(w_star)
            tp = theorem_for(cfg, problem)
            res = run_many(
                ConvotronRule(),
                teacher,
                eta=eta,
                iters=iters,
                runs=cfg.runs,
                seed=int(gens[j].integers(2**31)),
                record_every=every,
            )
            j += 1
            assert res.histories is not None and res.history_t is not None
            tail = res.history_t >= burn
            per_run = res.histories[:, tail].mean(axis=1)
            floor = float(per_run.mean())
            bound = 2.0 * eta * tp.rho / a
            points.append(
                {
                    "level": level,
                    "rho": tp.rho,
                    "bound_2_eta_rho_over_a": bound,
                    "floor": floor,
                    "floor_stderr": float(per_run.std(ddof=1) / math.sqrt(cfg.runs))
                    if cfg.runs > 1
                    else None,
                    "ratio": floor / bound if bound > 0 else None,
                    "mean_history": res.histories.mean(axis=0).tolist(),
                }
            )
            bar.update(1)
        series.append({"kind": kind, "points": points})
    bar.close()
    history_t = list(range(0, iters, every))
    if history_t[-1] != iters:
        history_t.append(iters)
    data = {
        "spec": cfg.spec,
        "n": scheme.n,
        "k": scheme.k,
        "r": scheme.r,
        "w_star": w_star.tolist(),
        "theorem_realizable": tp0.summary(),
        "eta": eta,
        "iters": iters,
        "burn": burn,
        "history_t": history_t,
        "series": series,
    }
    conclusions = _conclusions(series)
    return Findings(data, conclusions, _table(series), _notes(conclusions, eta, iters, burn, cfg))


def _conclusions(series: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "floor_increases_with_noise": {},
        "max_ratio_floor_to_bound": {},
        "slope": {},
    }
    for s in series:
        floors = [p["floor"] for p in s["points"]]
        out["floor_increases_with_noise"][s["kind"]] = bool(all(b > a for a, b in pairwise(floors)))
        ratios = [p["ratio"] for p in s["points"] if p["ratio"] is not None]
        out["max_ratio_floor_to_bound"][s["kind"]] = max(ratios) if ratios else None
        out["slope"][s["kind"]] = loglog_slope([p["level"] for p in s["points"]], floors)
    out["bound_holds"] = all(
        r is not None and r <= 1.0 for r in out["max_ratio_floor_to_bound"].values()
    )
    return out


def _table(series: list[dict[str, Any]]) -> Table:
    rows = []
    for s in series:
        for p in s["points"]:
            rows.append(
                (
                    s["kind"],
                    p["level"],
                    p["rho"],
                    p["floor"],
                    p["bound_2_eta_rho_over_a"],
                    p["ratio"],
                )
            )
    return Table(
        ("noise", "level", "rho", "measured floor", "2 eta rho / a", "floor / bound"), tuple(rows)
    )


def _notes(c: dict[str, Any], eta: float, iters: int, burn: int, cfg: Config) -> tuple[str, ...]:
    slopes = ", ".join(
        f"{k}: {v:.2f}" if v is not None else f"{k}: -" for k, v in c["slope"].items()
    )
    notes = [
        f"eta = a/(2 beta) = {eta:.3g} (realizable theorem step, [derived]) for every level; "
        f"{iters} updates per run, floor averaged after {burn} updates over {cfg.runs} runs.",
        f"log-log slope of the floor against the noise level: {slopes} "
        "(2 = proportional to the variance).",
        "The bound 2 eta rho / a "
        + ("holds at every level." if c["bound_holds"] else "is EXCEEDED somewhere."),
    ]
    return tuple(notes)


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``floor_vs_noise.png`` and ``noise_curves.png``."""
    from ._plots import new_figure, save, semilogy_curve

    d = result.data
    fig, axes = new_figure(1, 1, size=(5.5, 4.0))
    ax = axes[0, 0]
    for s in d["series"]:
        lv = [p["level"] for p in s["points"]]
        (line,) = ax.loglog(
            lv, [p["floor"] for p in s["points"]], "o", label=f"{s['kind']}: measured floor"
        )
        bounds = [p["bound_2_eta_rho_over_a"] for p in s["points"]]
        ax.loglog(lv, bounds, "-", color=line.get_color(), label=f"{s['kind']}: 2 eta rho / a")
    ax.set_xlabel("noise level (std dev scale)")
    ax.set_ylabel("E ||w - w*||^2 after the transient")
    ax.set_title(
        f"Error floor vs noise, {d['spec']} (k={d['k']}), eta = {d['eta']:.3g}", fontsize=9
    )
    ax.legend(fontsize=7)
    paths = [save(fig, out, "floor_vs_noise.png")]

    fig, axes = new_figure(1, len(d["series"]), size=(4.6, 3.6))
    for ax, s in zip(axes.flat, d["series"], strict=False):
        for p in s["points"]:
            semilogy_curve(ax, d["history_t"], p["mean_history"], label=f"level {p['level']:g}")
        ax.axvline(d["burn"], color="grey", ls=":", lw=0.8)
        ax.set_title(f"{s['kind']} noise: mean ||w_t - w*||^2 over runs", fontsize=9)
        ax.set_xlabel("updates t")
        ax.legend(fontsize=6)
    paths.append(save(fig, out, "noise_curves.png"))
    return paths
