r"""Experiment ``disjoint-patch``: updating along one disjoint patch is enough.

Claim under test ([paper] scope; constants [derived], label ``thm-disjoint``): if the
patch :math:`P_1` shares no input coordinate with any other patch and
:math:`x \sim N(0, I_n)`, the update :math:`G_t = (y_t - f_{w_t}(x_t))\, P_1 x_t` has drift
:math:`\mathbb{E}[G_t \mid w_t] = \tfrac{1+\alpha}{2k}(w^* - w_t)` *whatever the other
patches are*, with :math:`a_1 = (1+\alpha)/k`, :math:`\beta_1 = r + 2/k`,
:math:`\eta = a_1/(2\beta_1)` and
:math:`T = 4\beta_1 k^2/(1+\alpha)^2 \cdot \ln(\|w^*\|^2/(\varepsilon\delta))`.

Design. Schemes with a *disjoint head* (patch 0 = coordinates ``0..r-1``) followed by
other patches that overlap arbitrarily: windows of stride ``d`` over the remaining
coordinates, plus optionally ``extra_random`` patches of ``r`` distinct coordinates drawn
at random from them. For each scheme, ``runs`` teachers; on each, Convotron with full
updates (step size of ``thm-convotron``) and with updates along patch 0 only (step size of
``thm-disjoint``, ``only_patch=0``), with the same budget of updates. Reported: median
iterations to reach ε, median final error and both theorems' ``T``. The follow-up
literature's setting ``n = 160, r = 16`` is included: tail strides 9, 12 and 16 (16 is the
plain ``1d:160,16,16``, all patches disjoint), Gaussian and uniform inputs (uniform inputs
are outside ``thm-disjoint``'s Gaussian hypothesis: the run shows what happens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    ExperimentConfig,
    ExperimentResult,
    Findings,
    Table,
    experiment,
    median_or_none,
    noiseless_problem,
    outcome_record,
    progress_bar,
    run_convotron,
    spawn_generators,
    theorem_for,
)

__all__ = ["Config", "DSetting", "build_scheme", "plot", "run"]

NAME = "disjoint-patch"


@dataclass(frozen=True)
class DSetting:
    """A scheme with a disjoint head patch and arbitrary other patches.

    Attributes
    ----------
    label : str
    n, r : int
        Input size and patch size.
    tail_stride : int
        Stride of the windows over coordinates ``r..n-1`` (each window of ``r`` consecutive
        coordinates starting at ``r + j·tail_stride`` with ``start + r <= n``).
    law : str
        Input law.
    extra_random : int
        Extra patches of ``r`` distinct random coordinates from ``r..n-1``.
    alpha : float
        Leaky-ReLU slope.
    """

    label: str
    n: int
    r: int
    tail_stride: int
    law: str = "gaussian"
    extra_random: int = 0
    alpha: float = 0.0


def build_scheme(setting: DSetting, rng: np.random.Generator) -> Any:
    """Return the :class:`~convotron.geometry.patches.PatchScheme` of ``setting``.

    Patch 0 disjoint.

    Raises
    ------
    ConvotronError
        If ``n < 2r`` (no room for a tail) or ``tail_stride < 1``.
    """
    from ..._errors import ConvotronError
    from ...geometry.patches import PatchScheme

    n, r, d = setting.n, setting.r, setting.tail_stride
    if n < 2 * r or d < 1:
        raise ConvotronError(
            f"disjoint-patch setting {setting.label!r} needs n >= 2r and tail_stride >= 1; got "
            f"n={n}, r={r}, tail_stride={d}. Use e.g. n=160, r=16, tail_stride=12."
        )
    rows = [list(range(r))]
    start = r
    while start + r <= n:
        rows.append(list(range(start, start + r)))
        start += d
    for _ in range(setting.extra_random):
        rows.append(sorted(int(c) for c in rng.choice(np.arange(r, n), size=r, replace=False)))
    return PatchScheme.from_indices(n, np.array(rows, dtype=np.int64))


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``disjoint-patch``: schemes, runs per scheme, budget, ε and δ.

    The defaults are the quick settings: two small schemes and ``n=160, r=16`` with tail
    strides 16 and 12.
    """

    settings: tuple[DSetting, ...] = (
        DSetting("n16 r4 tail stride 1", 16, 4, 1),
        DSetting("n16 r4 tail stride 2 + 3 random", 16, 4, 2, extra_random=3),
        DSetting("n160 r16 s16 gauss", 160, 16, 16),
        DSetting("n160 r16 tail s12 gauss", 160, 16, 12),
    )
    runs: int = 3
    iters: int = 50_000
    records: int = 100

    @classmethod
    def full(cls) -> Config:
        """Full settings: small schemes and ``n=160, r=16``, tail strides 9, 12, 16, two laws."""
        lit = tuple(
            DSetting(f"n160 r16 tail s{d} {law[:5]}", 160, 16, d, law)
            for d in (9, 12, 16)
            for law in ("gaussian", "uniform")
        )
        return cls(settings=(*cls().settings[:2], *lit), runs=5, iters=400_000)


def _run_setting(
    cfg: Config, setting: DSetting, g: np.random.Generator, every: int, bar: Any
) -> dict[str, Any]:
    """Run one setting: full Convotron and the one-patch variant on the same teachers."""
    scheme = build_scheme(setting, g)
    problem = noiseless_problem(scheme, setting.alpha, setting.law)
    tp_full = theorem_for(cfg, problem)
    tp_one = theorem_for(cfg, problem, only_patch=0)
    th_full, th_one = tp_full.summary(), tp_one.summary()
    eta_source = "thm-disjoint"
    if not (math.isfinite(tp_one.eta) and tp_one.eta > 0):
        violations = th_one["violations"]
        tp_one = theorem_for(cfg, noiseless_problem(scheme, setting.alpha), only_patch=0)
        th_one = {**tp_one.summary(), "applies": False, "violations": violations}
        eta_source = "thm-disjoint Gaussian formula (hypothesis fails for this law)"
    runs: dict[str, list[dict[str, Any]]] = {"full": [], "one_patch": []}
    history_t = None
    for rg in spawn_generators(int(g.integers(2**31)), cfg.runs):
        teacher = problem.random_teacher(rg, w_norm=cfg.w_norm)
        for variant, eta, op in (
            ("full", tp_full.eta, None),
            ("one_patch", tp_one.eta, 0),
        ):
            o = run_convotron(teacher.sample, scheme, setting.alpha, eta=eta, iters=cfg.iters,
                              rng=rg, only_patch=op, w_star=teacher.w_star,
                              record_every=every, eps=cfg.eps)  # fmt: skip
            if o.history_t is not None:
                history_t = o.history_t.tolist()
            runs[variant].append(outcome_record(o))
            bar.update(1)
    return {
        "label": setting.label,
        "law": setting.law,
        "n": scheme.n,
        "r": scheme.r,
        "k": scheme.k,
        "indices": scheme.indices.tolist(),
        "patch0_disjoint": bool(scheme.is_disjoint(0)),
        "theorem_full": th_full,
        "theorem_one_patch": th_one,
        "one_patch_eta_source": eta_source,
        "history_t": history_t,
        "runs": runs,
        "median_first_hit": {
            v: median_or_none([r["first_hit"] for r in rs]) for v, rs in runs.items()
        },
        "median_final": {
            v: median_or_none([r["final_sq_error"] for r in rs]) for v, rs in runs.items()
        },
    }


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    every = max(1, cfg.iters // cfg.records)
    bar = progress_bar(len(cfg.settings) * cfg.runs * 2, desc=NAME, enabled=progress)
    out = []
    for setting, g in zip(cfg.settings, spawn_generators(seed, len(cfg.settings)), strict=True):
        out.append(_run_setting(cfg, setting, g, every, bar))
    bar.close()
    conclusions = {
        "one_patch_reached_eps": {
            s["label"]: s["median_first_hit"]["one_patch"] is not None for s in out
        },
        "full_reached_eps": {s["label"]: s["median_first_hit"]["full"] is not None for s in out},
        "patch0_disjoint": all(s["patch0_disjoint"] for s in out),
        "diverged": sum(
            r["status"] == "diverged" for s in out for rs in s["runs"].values() for r in rs
        ),
    }
    rows = tuple(
        (
            s["label"],
            s["k"],
            s["theorem_one_patch"]["eta"],
            s["theorem_one_patch"]["T"],
            s["median_first_hit"]["one_patch"],
            s["median_final"]["one_patch"],
            s["theorem_full"]["eta"],
            s["theorem_full"]["T"],
            s["median_first_hit"]["full"],
            s["median_final"]["full"],
        )
        for s in out
    )
    table = Table(
        ("scheme", "k", "eta_1", "T_1 (thm)", "iters to eps", "final err",
         "eta_full", "T_full (thm)", "iters to eps", "final err"),
        rows,
    )  # fmt: skip
    notes = (
        f"{cfg.runs} teachers per scheme, {cfg.iters} updates per run, eps = {cfg.eps:g}; medians "
        "('-': not reached within the budget by most runs).",
        "Columns 3-6: updates along patch 0 only (thm-disjoint, [derived]); columns 7-10: full "
        "Convotron updates (thm-convotron, [derived]). Both step sizes are the theorems' own.",
    )
    return Findings({"settings": out}, conclusions, table, notes)


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``disjoint_curves.png``: error curves of both variants, one panel per scheme."""
    from ._plots import panel_grid, save, semilogy_curve

    settings = result.data["settings"]
    fig, axes = panel_grid(len(settings), size=(4.8, 3.4))
    colors = {"full": "tab:blue", "one_patch": "tab:red"}
    names = {"full": "full updates", "one_patch": "patch 0 only"}
    for ax, s in zip(axes.flat, settings, strict=False):
        for variant, rs in s["runs"].items():
            for j, r in enumerate(rs):
                if r["history"] is not None:
                    label = names[variant] if j == 0 else None
                    semilogy_curve(
                        ax, s["history_t"], r["history"], color=colors[variant], label=label
                    )
        ax.axhline(result.config["eps"], color="grey", ls=":", lw=0.8)
        ax.set_title(f"{s['label']} (k={s['k']})", fontsize=9)
        ax.set_xlabel("updates t")
        ax.set_ylabel("||w_t - w*||^2")
        ax.legend(fontsize=7)
    fig.suptitle("One disjoint patch (thm-disjoint) vs full updates (thm-convotron)", fontsize=10)
    return [save(fig, out, "disjoint_curves.png")]
