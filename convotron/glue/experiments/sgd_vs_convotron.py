r"""Experiment ``sgd-vs-convotron``: no initialisation or learning-rate tuning needed.

Claim under test ([paper]): Convotron needs no special initialisation and
no learning-rate tuning, unlike (stochastic) gradient descent on the square loss
:math:`\tfrac12 (y - f_w(x))^2`, whose update

.. math:: w_{t+1} = w_t + \mathrm{lr}\,(y_t - f_{w_t}(x_t))\,\tfrac1k \textstyle\sum_i
          \sigma'(w_t^\top P_i x_t)\, P_i x_t

carries :math:`\sigma'`. With ReLU (:math:`\alpha = 0`) and :math:`w_1 = 0` every
pre-activation is 0 and :math:`\sigma'(0) = \alpha = 0` (the left derivative that
deep-learning frameworks use, the default of :func:`convotron.learning.baselines.sgd`), so SGD from
zero never moves: its weights stay *exactly* zero, while Convotron (no :math:`\sigma'`)
starts at the same :math:`w_1 = 0` and converges. A leaky ReLU SGD from zero moves (its
first step is scaled by :math:`\alpha`).

Design. For every setting (scheme, activation slope, input law):

- Convotron with the theorem's step size :math:`\eta = a/(2\beta)` ([derived],
  ``thm-convotron``, from :func:`convotron.glue.parameters.theorem_parameters`) and with 10 and 100
  times it (outside the theorem: how much slack the worst-case constant leaves);
- SGD over learning rates ``1e-1 … 1e-5`` and three starts: zero, small random
  (``‖w_1‖ ≈ 0.01``) and large random (``‖w_1‖ ≈ 10``), ``‖w*‖ = 1``;
- every run gets the same budget of updates; recorded: final ``‖w − w*‖²``, the first
  update with ``‖w_t − w*‖² <= ε``, the error curve. A run whose weights become non-finite
  (:class:`~convotron.DivergenceError`) is recorded as *diverged*.

Settings: 1D and 2D patch-and-stride schemes with ReLU and a leaky ReLU (α = 0.2), and the
follow-up literature's setting ``n = 160, r = 16`` (Du and Goel 2018) with strides 9, 12, 16
and Gaussian and uniform inputs (full run; the quick run keeps stride 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    ExperimentConfig,
    ExperimentResult,
    Findings,
    Table,
    experiment,
    fmt,
    noiseless_problem,
    outcome_record,
    progress_bar,
    run_convotron,
    safe_run,
    spawn_generators,
    theorem_for,
)

__all__ = ["Config", "Setting", "plot", "run"]

NAME = "sgd-vs-convotron"


@dataclass(frozen=True)
class Setting:
    """One scheme/activation/law combination.

    Attributes
    ----------
    label : str
        Short name used in tables and figures.
    spec : str
        Patch scheme (:func:`convotron.geometry.patches.parse_spec` syntax).
    alpha : float
        Leaky-ReLU slope (0: ReLU).
    law : str
        Input law name (:data:`convotron.data.laws.LAWS`).
    """

    label: str
    spec: str
    alpha: float
    law: str = "gaussian"


_SMALL = (
    Setting("1D ReLU", "1d:8,4,2", 0.0),
    Setting("1D leaky 0.2", "1d:8,4,2", 0.2),
    Setting("2D ReLU", "2d:4,4,2,2,1,1", 0.0),
    Setting("2D leaky 0.2", "2d:4,4,2,2,1,1", 0.2),
)


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``sgd-vs-convotron``.

    Attributes
    ----------
    settings : tuple of Setting
    lrs : tuple of float
        SGD learning rates.
    inits : tuple of (str, float)
        SGD starts: ``(name, init_scale)``; scale 0 means ``init="zero"``, otherwise
        ``init="random"`` with ``E‖w_1‖² = init_scale²``.
    eta_factors : tuple of float
        Multiples of the theorem's step size for Convotron.
    iters : int
        Updates per run (the same budget for every run).
    records : int
        Points per recorded error curve.
    """

    settings: tuple[Setting, ...] = _SMALL
    lrs: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
    inits: tuple[tuple[str, float], ...] = (
        ("zero", 0.0),
        ("small random", 0.01),
        ("large random", 10.0),
    )
    eta_factors: tuple[float, ...] = (1.0, 10.0, 100.0)
    iters: int = 20_000
    records: int = 100
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def quick(cls) -> Config:
        """Quick settings: small schemes plus ``n=160, r=16``, stride 12 (Gaussian, uniform)."""
        return cls(
            settings=(
                *_SMALL,
                Setting("n160 s12 gauss", "1d:160,16,12", 0.0, "gaussian"),
                Setting("n160 s12 unif", "1d:160,16,12", 0.0, "uniform"),
            ),
            iters=20_000,
        )

    @classmethod
    def full(cls) -> Config:
        """Full settings: strides 9, 12, 16 at ``n=160, r=16``, 200 000 updates per run."""
        lit = tuple(
            Setting(f"n160 s{d} {law[:5]}", f"1d:160,16,{d}", 0.0, law)
            for d in (9, 12, 16)
            for law in ("gaussian", "uniform")
        )
        return cls(settings=(*_SMALL, *lit), iters=200_000)


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    from ...geometry.patches import parse_spec
    from ...learning.baselines import sgd

    every = max(1, cfg.iters // cfg.records)
    per_setting = len(cfg.eta_factors) + len(cfg.lrs) * len(cfg.inits)
    bar = progress_bar(len(cfg.settings) * per_setting, desc=NAME, enabled=progress)
    results = []
    for setting, srng in zip(cfg.settings, spawn_generators(seed, len(cfg.settings)), strict=True):
        scheme = parse_spec(setting.spec)
        problem = noiseless_problem(scheme, setting.alpha, setting.law)
        teacher = problem.random_teacher(srng, w_norm=cfg.w_norm)
        tp = theorem_for(cfg, problem)
        rngs = iter(spawn_generators(int(srng.integers(2**31)), per_setting))
        conv = []
        history_t: list[int] | None = None
        for factor in cfg.eta_factors:
            eta = factor * tp.eta
            o = run_convotron(teacher.sample, scheme, setting.alpha, eta=eta, iters=cfg.iters,
                              rng=next(rngs), w_star=teacher.w_star, record_every=every,
                              eps=cfg.eps)  # fmt: skip
            history_t = history_t if o.history_t is None else o.history_t.tolist()
            conv.append({"factor": factor, "eta": eta, **outcome_record(o)})
            bar.update(1)
        sg = []
        for init_name, scale in cfg.inits:
            for lr in cfg.lrs:
                o = safe_run(
                    partial(
                        sgd, teacher.sample, scheme, setting.alpha, lr=lr, iters=cfg.iters,
                        rng=next(rngs), init="zero" if scale == 0 else "random",
                        init_scale=scale or 1.0, w_star=teacher.w_star, record_every=every,
                        eps=cfg.eps,
                    )
                )  # fmt: skip
                history_t = history_t if o.history_t is None else o.history_t.tolist()
                entry = {"init": init_name, "init_scale": scale, "lr": lr, **outcome_record(o)}
                entry["final_w_norm"] = None if o.w is None else float(np.linalg.norm(o.w))
                entry["exactly_zero"] = bool(o.w is not None and np.all(o.w == 0.0))
                sg.append(entry)
                bar.update(1)
        results.append(
            {
                "label": setting.label,
                "spec": setting.spec,
                "alpha": setting.alpha,
                "law": setting.law,
                "n": scheme.n,
                "k": scheme.k,
                "r": scheme.r,
                "w_star": teacher.w_star.tolist(),
                "theorem": tp.summary(),
                "history_t": history_t,
                "convotron": conv,
                "sgd": sg,
            }
        )
    bar.close()
    conclusions = _conclusions(results, cfg)
    return Findings({"settings": results}, conclusions, _table(results), _notes(conclusions, cfg))


def _conclusions(results: list[dict[str, Any]], cfg: Config) -> dict[str, Any]:
    relu_zero = [
        e for s in results if s["alpha"] == 0.0 for e in s["sgd"] if e["init_scale"] == 0.0
    ]
    thm = (
        {s["label"]: next(c for c in s["convotron"] if c["factor"] == 1.0) for s in results}
        if (1.0 in cfg.eta_factors)
        else {}
    )
    leaky_zero = [
        e
        for s in results
        if s["alpha"] > 0.0
        for e in s["sgd"]
        if e["init_scale"] == 0.0 and e["status"] == "ok"
    ]
    sgd_total = sum(len(s["sgd"]) for s in results)
    sgd_div = sum(e["status"] == "diverged" for s in results for e in s["sgd"])
    sgd_reached = sum(e["first_hit"] is not None for s in results for e in s["sgd"])
    return {
        "relu_sgd_from_zero_runs": len(relu_zero),
        "relu_sgd_from_zero_exactly_zero": bool(relu_zero)
        and all(e["exactly_zero"] for e in relu_zero),
        "leaky_sgd_from_zero_runs": len(leaky_zero),
        "leaky_sgd_from_zero_moved": sum(not e["exactly_zero"] for e in leaky_zero),
        "leaky_sgd_from_zero_reached_eps": sum(e["first_hit"] is not None for e in leaky_zero),
        "convotron_theorem_step_reached_eps": {
            k: v["first_hit"] is not None for k, v in thm.items()
        },
        "convotron_theorem_step_diverged": any(v["status"] == "diverged" for v in thm.values()),
        "convotron_diverged_by_factor": {
            str(f): sum(
                c["status"] == "diverged"
                for s in results
                for c in s["convotron"]
                if c["factor"] == f
            )
            for f in cfg.eta_factors
        },
        "sgd_runs": sgd_total,
        "sgd_diverged": sgd_div,
        "sgd_reached_eps": sgd_reached,
    }


def _best_sgd(s: dict[str, Any]) -> dict[str, Any] | None:
    ok = [e for e in s["sgd"] if e["status"] == "ok"]
    return min(ok, key=lambda e: e["final_sq_error"]) if ok else None


def _table(results: list[dict[str, Any]]) -> Table:
    rows = []
    for s in results:
        conv = {c["factor"]: c for c in s["convotron"]}
        c1 = conv.get(1.0)
        best = _best_sgd(s)
        zero = [e for e in s["sgd"] if e["init_scale"] == 0.0 and e["status"] == "ok"]
        zero_norm = max((e["final_w_norm"] for e in zero), default=None)
        rows.append(
            (
                s["label"],
                s["k"],
                s["theorem"]["eta"],
                s["theorem"]["T"],
                "/".join(
                    "div" if c["status"] == "diverged" else fmt(c["final_sq_error"])
                    for c in s["convotron"]
                ),
                None if c1 is None else c1["first_hit"],
                None
                if best is None
                else f"{fmt(best['final_sq_error'])} (lr {best['lr']:g}, {best['init']})",
                zero_norm,
                f"{sum(e['status'] == 'diverged' for e in s['sgd'])}/{len(s['sgd'])}",
            )
        )
    return Table(
        (
            "setting",
            "k",
            "eta_thm",
            "T_thm",
            "Convotron err (eta x1/x10/x100)",
            "iters to eps (x1)",
            "best SGD err",
            "max ||w|| SGD from 0",
            "SGD diverged",
        ),
        tuple(rows),
    )


def _notes(c: dict[str, Any], cfg: Config) -> tuple[str, ...]:
    notes = [
        f"Every run: {cfg.iters} updates, eps = {cfg.eps:g}, ||w*|| = {cfg.w_norm:g}.",
    ]
    if c["relu_sgd_from_zero_runs"]:
        state = (
            "stayed exactly at w = 0"
            if c["relu_sgd_from_zero_exactly_zero"]
            else "MOVED (unexpected)"
        )
        notes.append(
            f"ReLU SGD from w_1 = 0 ({c['relu_sgd_from_zero_runs']} runs, every learning rate): "
            f"{state} (sigma'(0) = alpha = 0, the frameworks' left derivative); Convotron from "
            "the same start has no sigma' and moves."
        )
    if c["leaky_sgd_from_zero_runs"]:
        notes.append(
            f"Leaky-ReLU SGD from w_1 = 0 (sigma'(0) = alpha > 0): "
            f"{c['leaky_sgd_from_zero_moved']}/{c['leaky_sgd_from_zero_runs']} runs moved off "
            f"w = 0, {c['leaky_sgd_from_zero_reached_eps']} reached eps."
        )
    missed = [k for k, v in c["convotron_theorem_step_reached_eps"].items() if not v]
    if missed:
        notes.append(
            "Convotron at the theorem's step size did not reach eps within the budget in: "
            + ", ".join(missed)
            + " (the [derived] step size is worst-case conservative; see T_thm)."
        )
    notes.append(
        f"SGD: {c['sgd_diverged']}/{c['sgd_runs']} runs diverged, "
        f"{c['sgd_reached_eps']} reached eps (SGD works once lr and start are tuned)."
    )
    return tuple(notes)


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``final_error_heatmaps.png``, ``iterations_heatmaps.png`` and ``curves.png``."""
    from ._plots import annotated_heatmap, panel_grid, save, semilogy_curve

    settings = result.data["settings"]
    paths = []
    for what, fname, title in (
        ("final_sq_error", "final_error_heatmaps.png", "final ||w - w*||^2"),
        ("first_hit", "iterations_heatmaps.png", "iterations to reach eps"),
    ):
        # one panel a row: at the book's page width the labels stay readable
        fig, axes = panel_grid(len(settings), size=(6.4, 2.3), max_cols=1)
        any_missing = False
        for ax, s in zip(axes.flat, settings, strict=False):
            inits = list(dict.fromkeys(e["init"] for e in s["sgd"]))
            lrs = list(dict.fromkeys(e["lr"] for e in s["sgd"]))
            grid = [
                [next(e for e in s["sgd"] if e["init"] == i and e["lr"] == lr)[what] for lr in lrs]
                for i in inits
            ]
            any_missing = any_missing or any(v is None for row in grid for v in row)
            conv = ", ".join(
                f"x{c['factor']:g}: " + ("div" if c["status"] == "diverged" else fmt(c[what]))
                for c in s["convotron"]
            )
            annotated_heatmap(
                ax,
                grid,
                row_labels=[f"SGD {i}" for i in inits],
                col_labels=[f"lr {lr:g}" for lr in lrs],
                title=f"{s['label']} (k={s['k']}): {title}\nConvotron eta_thm {conv}",
                missing="div" if what == "final_sq_error" else "never",
                cbar_label="log10",
            )
        # the legend names grey cells only when some cell is grey
        grey = ("diverged" if what == "final_sq_error" else "never") if any_missing else None
        fig.suptitle(
            f"SGD vs Convotron: {title}" + (f" (grey: {grey})" if grey else ""), fontsize=10
        )
        paths.append(save(fig, out, fname))

    fig, axes = panel_grid(len(settings), size=(5.0, 3.4))
    for ax, s in zip(axes.flat, settings, strict=False):
        t = s["history_t"]
        for c in s["convotron"]:
            if c["history"] is not None:
                semilogy_curve(
                    ax, t, c["history"], label=f"Convotron {c['factor']:g} eta_thm", lw=2
                )
        for init in dict.fromkeys(e["init"] for e in s["sgd"]):
            ok = [e for e in s["sgd"] if e["init"] == init and e["status"] == "ok"]
            if ok:
                b = min(ok, key=lambda e: e["final_sq_error"])
                semilogy_curve(
                    ax,
                    t,
                    np.maximum(b["history"], 1e-300),
                    label=f"SGD {init}, lr {b['lr']:g}",
                    ls="--",
                )
        ax.axhline(result.config["eps"], color="grey", lw=0.8, ls=":")
        ax.set_title(s["label"], fontsize=9)
        ax.set_xlabel("updates t")
        ax.set_ylabel("||w_t - w*||^2")
        ax.legend(fontsize=6)
    fig.suptitle(
        "Error curves: Convotron (3 step sizes) and the best SGD learning rate per start",
        fontsize=10,
    )
    paths.append(save(fig, out, "curves.png"))
    return paths
