r"""Experiment ``assumptions``: what goes wrong when a hypothesis of the theorem fails.

The theorem (``thm-convotron``, [derived] explicit-constant version of the paper's main
theorem) assumes (i) a *symmetric* input law (``lem-symmetric``, the paper's Lemma 1:
:math:`\mathbb{E}[\sigma(u^\top x)\, v^\top x] = \tfrac{1+\alpha}{2} u^\top \Sigma v` needs
:math:`x \overset{d}{=} -x`) and (ii) :math:`\lambda_{\min}(P\Sigma P^\top) > 0`. Three parts,
each against a control where the hypothesis holds:

1. **Input law.** Gaussian (control); the centred exponential (asymmetric, mean 0); a
   *nonnegative* law :math:`|z|` (like pixel intensities); the two asymmetric laws after
   random sign flips (:func:`convotron.data.laws.symmetrize`), which restore symmetry. All arms
   use the control's theorem step size and the same budget. With nonnegative inputs and a
   nonpositive filter :math:`w^*` the labels are all zero: Convotron never moves from
   :math:`w_1 = 0`, a perfect predictor with :math:`\|w - w^*\|^2 = \|w^*\|^2`; the filter is
   not identifiable from this law at all. Symmetrised inputs identify it.
   The centred exponential law breaks the *proof* but, in our runs, not necessarily the
   convergence: symmetry is sufficient, not necessary (the output says what happened).
2. **Singular scheme.** ``n = r``, two patches: the identity and the reversal :math:`J`. Then
   :math:`P = I + J`, :math:`PP^\top = 2(I + J)` is singular with kernel the antisymmetric
   vectors (:math:`Ju = -u`). Every update :math:`G_t \propto Px_t` is symmetric, so the
   antisymmetric part of :math:`w_t` stays exactly 0 and :math:`\|w_t - w^*\|^2` cannot go
   below :math:`\|\Pi_{\mathrm{anti}} w^*\|^2`. (The theorem's :math:`\eta = 0` here; the run uses
   the step computed from :math:`\lambda_{\max}` instead.) Control: ``1d:12,6,3``.
3. **Nearly singular scheme.** ``1d:9,8,1`` (``k = 2 < ⌈r/d⌉ = 8``: Lemma 1D's hypothesis
   fails, :math:`\lambda_{\min}(PP^\top) ≈ 0.1206`) against ``1d:12,8,4`` (also ``k = 2``, but
   ``k >= ⌈r/d⌉ = 2``: :math:`\lambda_{\min} = 1`), each with its own theorem step size:
   the small :math:`\lambda_{\min}` makes the step tiny
   and the weak direction slow.
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
    median_or_none,
    noiseless_problem,
    outcome_record,
    progress_bar,
    run_convotron,
    spawn_generators,
    theorem_for,
    unit_filter,
)

__all__ = ["Config", "mirror_scheme", "plot", "run"]

NAME = "assumptions"

#: Input-law arms of part 1: (label, law, sign flips, nonpositive w*).
LAW_ARMS: tuple[tuple[str, str, bool, bool], ...] = (
    ("gaussian (control)", "gaussian", False, False),
    ("exponential (asymmetric)", "exponential", False, False),
    ("exponential + sign flips", "exponential", True, False),
    ("nonnegative |z|", "nonnegative", False, False),
    ("nonnegative + sign flips", "nonnegative", True, False),
    ("nonnegative |z|, w* <= 0", "nonnegative", False, True),
    ("nonnegative + flips, w* <= 0", "nonnegative", True, True),
)


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``assumptions``.

    Attributes
    ----------
    law_spec : str
        Scheme of part 1.
    mirror_r : int
        Filter size of the singular mirror scheme (part 2).
    singular_control, near_singular, near_control : str
        Schemes of parts 2 and 3.
    runs : int
        Teachers per arm.
    iters : int
        Updates per run (parts 1 and 2); part 3 uses ``iters_near``.
    """

    law_spec: str = "1d:8,4,2"
    alpha: float = 0.0
    mirror_r: int = 6
    singular_control: str = "1d:12,6,3"
    near_singular: str = "1d:9,8,1"
    near_control: str = "1d:12,8,4"
    runs: int = 3
    iters: int = 20_000
    iters_near: int = 60_000
    records: int = 100

    #: Full settings: 10 teachers per arm, longer budgets (the defaults, the quick settings:
    #: 3 teachers per arm).
    FULL: ClassVar[Mapping[str, Any]] = dict(runs=10, iters=100_000, iters_near=400_000)


def mirror_scheme(r: int) -> Any:
    """Return the singular scheme ``n = r`` with patches ``identity`` and ``reversal``."""
    from ...geometry.patches import PatchScheme

    idx = np.array([np.arange(r), np.arange(r)[::-1]], dtype=np.int64)
    return PatchScheme.from_indices(r, idx)


def _draw(law: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    from ...data.laws import get_law

    if law == "nonnegative":
        return np.abs(rng.standard_normal(shape))
    return np.asarray(get_law(law).draw(rng, shape))


def _sampler(scheme: Any, alpha: float, w_star: np.ndarray, law: str, flips: bool) -> Any:
    """``sample(rng, m)``: inputs from ``law`` (optionally sign-flipped), noiseless labels."""
    from ...data.laws import symmetrize
    from ...model.network import predict

    def sample(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        X = _draw(law, rng, (m, scheme.n))
        if flips:
            X = symmetrize(X, rng)
        return X, np.asarray(predict(w_star, X, scheme, alpha))

    return sample


def _runs(recs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return an arm's runs and their medians (``None``: not reached by most runs)."""
    return {
        "runs": recs,
        "median_final": median_or_none([r["final_sq_error"] for r in recs]),
        "median_first_hit": median_or_none([r["first_hit"] for r in recs]),
    }


def _law_part(
    cfg: Config, seed: int, g_law: Any, go: Any, history_t: dict[str, Any]
) -> tuple[Any, Any, list[dict[str, Any]]]:
    """Part 1, input laws: the theorem for the Gaussian and the exponential law, and the arms."""
    from ...geometry.patches import parse_spec

    scheme = parse_spec(cfg.law_spec)
    tp = theorem_for(cfg, noiseless_problem(scheme, cfg.alpha))
    tp_exp = theorem_for(cfg, noiseless_problem(scheme, cfg.alpha, "exponential"))
    laws = []
    teachers = [
        unit_filter(g, scheme.r, cfg.w_norm)
        for g in spawn_generators(int(g_law.integers(2**31)), cfg.runs)
    ]
    for label, law, flips, nonpos in LAW_ARMS:
        recs = []
        for j, w_star in enumerate(teachers):
            ws = -np.abs(w_star) if nonpos else w_star
            rng = np.random.default_rng([int(seed), j, LAW_ARMS.index((label, law, flips, nonpos))])
            o = go(scheme, _sampler(scheme, cfg.alpha, ws, law, flips), tp.eta, cfg.iters, ws, rng)
            history_t["laws"] = None if o.history_t is None else o.history_t.tolist()
            rec = outcome_record(o, w=True)
            rec["exactly_zero"] = bool(o.w is not None and np.all(o.w == 0.0))
            rec["w_star_sq_norm"] = float(ws @ ws)
            recs.append(rec)
        laws.append(
            {
                "label": label,
                "law": law,
                "sign_flips": flips,
                "nonpositive_w_star": nonpos,
                **_runs(recs),
            }
        )

    return tp, tp_exp, laws


def _singular_part(
    cfg: Config, g_sing: Any, go: Any, history_t: dict[str, Any]
) -> list[dict[str, Any]]:
    """Part 2: the singular mirror scheme against a control."""
    from ...geometry.patches import parse_spec

    singular: list[dict[str, Any]] = []
    for label, sch in (
        (f"mirror (identity + reversal), r={cfg.mirror_r}", mirror_scheme(cfg.mirror_r)),
        (f"control {cfg.singular_control}", parse_spec(cfg.singular_control)),
    ):
        tps = theorem_for(cfg, noiseless_problem(sch, cfg.alpha))
        ths = tps.summary()
        eta = tps.eta
        eta_rule = "theorem"
        if not (math.isfinite(eta) and eta > 0):
            # λ_min = 0: the step a/(2β) with a from λ_max in place of λ_min, and the Gaussian,
            # Σ = I β = tr PPᵀ + 2 λ_max(PPᵀ) [derived]
            from convotron_theory import bounds as tb

            ppt = np.asarray(sch.overlap_matrix(), dtype=float)
            lam = np.linalg.eigvalsh(ppt)
            ths = {**ths, "lambda_min": float(lam[0]), "lambda_max": float(lam[-1])}
            beta = tb.BETA_GAUSSIAN_IDENTITY(tr_PPT=float(np.trace(ppt)),
                                             lambda_max_PPT=float(lam[-1]))  # fmt: skip
            a_max = tb.A(alpha=cfg.alpha, lambda_min=float(lam[-1]), k=sch.k)
            eta = tb.ETA_REALIZABLE(a=a_max, beta=beta)
            eta_rule = "a_max/(2 beta) with a_max = (1+alpha) lambda_max/k (theorem eta is 0)"
        recs = []
        for g in spawn_generators(int(g_sing.integers(2**31)) + len(singular), cfg.runs):
            w_star = unit_filter(g, sch.r, cfg.w_norm)
            anti = 0.5 * (w_star - w_star[::-1])
            o = go(
                sch, _sampler(sch, cfg.alpha, w_star, "gaussian", False), eta, cfg.iters, w_star, g
            )
            history_t["singular"] = None if o.history_t is None else o.history_t.tolist()
            rec = outcome_record(o, w=True)
            rec["anti_w_star_sq"] = float(anti @ anti)
            rec["anti_w_final_norm"] = (
                None if o.w is None else float(np.linalg.norm(0.5 * (o.w - o.w[::-1])))
            )
            recs.append(rec)
        singular.append(
            {
                "label": label,
                "k": sch.k,
                "r": sch.r,
                "theorem": ths,
                "eta": eta,
                "eta_rule": eta_rule,
                **_runs(recs),
            }
        )

    return singular


def _near_part(
    cfg: Config, g_near: Any, go: Any, history_t: dict[str, Any]
) -> list[dict[str, Any]]:
    """Part 3: a nearly singular scheme against a well-conditioned one."""
    from ...geometry.patches import parse_spec

    near: list[dict[str, Any]] = []
    for label, spec in (("nearly singular", cfg.near_singular), ("control", cfg.near_control)):
        sch = parse_spec(spec)
        tps = theorem_for(cfg, noiseless_problem(sch, cfg.alpha))
        recs = []
        for g in spawn_generators(int(g_near.integers(2**31)) + len(near), cfg.runs):
            w_star = unit_filter(g, sch.r, cfg.w_norm)
            sample = _sampler(sch, cfg.alpha, w_star, "gaussian", False)
            o = go(sch, sample, tps.eta, cfg.iters_near, w_star, g)
            history_t["near"] = None if o.history_t is None else o.history_t.tolist()
            recs.append(outcome_record(o, w=True))
        near.append({"label": f"{label} {spec}", "k": sch.k, "theorem": tps.summary(),
                     **_runs(recs)})  # fmt: skip
    return near


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    g_law, g_sing, g_near = spawn_generators(seed, 3)
    bar = progress_bar((len(LAW_ARMS) + 4) * cfg.runs, desc=NAME, enabled=progress)

    def go(scheme: Any, sample: Any, eta: float, iters: int, w_star: np.ndarray, rng: Any) -> Any:
        o = run_convotron(sample, scheme, cfg.alpha, eta=eta, iters=iters, rng=rng, w_star=w_star,
                          record_every=max(1, iters // cfg.records), eps=cfg.eps)  # fmt: skip
        bar.update(1)
        return o

    history_t: dict[str, Any] = {}
    tp, tp_exp, laws = _law_part(cfg, seed, g_law, go, history_t)
    singular = _singular_part(cfg, g_sing, go, history_t)
    near = _near_part(cfg, g_near, go, history_t)
    bar.close()
    data = {
        "law_spec": cfg.law_spec,
        "theorem_gaussian": tp.summary(),
        "theorem_exponential": tp_exp.summary(),
        "laws": laws,
        "singular": singular,
        "near": near,
        "history_t": history_t,
    }
    conclusions = _conclusions(data)
    return Findings(data, conclusions, _table(data), _notes(conclusions, data))


def _conclusions(d: dict[str, Any]) -> dict[str, Any]:
    arms = {a["label"]: a for a in d["laws"]}
    ctrl = arms["gaussian (control)"]
    dead = arms["nonnegative |z|, w* <= 0"]
    dead_flip = arms["nonnegative + flips, w* <= 0"]
    mirror, sctrl = d["singular"]
    near, nctrl = d["near"]

    def med(a: dict[str, Any]) -> float:
        return math.inf if a["median_final"] is None else a["median_final"]

    return {
        "control_reached_eps": ctrl["median_first_hit"] is not None,
        "nonnegative_error_larger_than_control": med(arms["nonnegative |z|"]) > med(ctrl),
        "exponential_reached_eps": arms["exponential (asymmetric)"]["median_first_hit"] is not None,
        "nonpositive_filter_never_moves": all(r["exactly_zero"] for r in dead["runs"]),
        "nonpositive_filter_error_equals_norm": all(
            r["final_sq_error"] is not None
            and abs(r["final_sq_error"] - r["w_star_sq_norm"]) < 1e-12
            for r in dead["runs"]
        ),
        "sign_flips_recover_nonpositive_filter": dead_flip["median_first_hit"] is not None,
        "mirror_antisymmetric_part_stays_zero": all(
            r["anti_w_final_norm"] is not None and r["anti_w_final_norm"] < 1e-12
            for r in mirror["runs"]
        ),
        "mirror_error_at_least_antisymmetric_part": all(
            r["final_sq_error"] is not None
            and r["final_sq_error"] >= r["anti_w_star_sq"] * (1 - 1e-9)
            for r in mirror["runs"]
        ),
        "mirror_lambda_min": mirror["theorem"]["lambda_min"],
        "singular_control_reached_small_error": med(sctrl) < med(mirror),
        "near_singular_lambda_min": near["theorem"]["lambda_min"],
        "near_singular_slower_than_control": (near["median_first_hit"] or math.inf)
        > (nctrl["median_first_hit"] or math.inf)
        or med(near) > med(nctrl),
    }


def _table(d: dict[str, Any]) -> Table:
    rows: list[tuple[Any, ...]] = []
    th = d["theorem_gaussian"]
    for a in d["laws"]:
        rows.append(
            (
                "1 law",
                a["label"],
                th["lambda_min"],
                th["eta"],
                a["median_first_hit"],
                a["median_final"],
            )
        )
    for s in d["singular"]:
        rows.append(
            (
                "2 singular",
                s["label"],
                s["theorem"]["lambda_min"],
                s["eta"],
                s["median_first_hit"],
                s["median_final"],
            )
        )
    for s in d["near"]:
        rows.append(("3 conditioning", s["label"], s["theorem"]["lambda_min"], s["theorem"]["eta"],
                     s["median_first_hit"], s["median_final"]))  # fmt: skip
    return Table(("part", "arm", "lambda_min(M)", "eta", "iters to eps", "final err"), tuple(rows))


def _notes(c: dict[str, Any], d: dict[str, Any]) -> tuple[str, ...]:
    yes = {True: "yes", False: "no"}
    return (
        "Part 1 (law): every arm uses the Gaussian control's theorem step size and budget. "
        f"Nonnegative inputs end with a larger error than the control: "
        f"{yes[c['nonnegative_error_larger_than_control']]}. Centred exponential (asymmetric) "
        f"reached eps: {yes[c['exponential_reached_eps']]} "
        "(symmetry is sufficient, not necessary).",
        "Nonnegative inputs with w* <= 0: every label is 0, Convotron never moves from w = 0 "
        f"(exactly: {yes[c['nonpositive_filter_never_moves']]}), error = ||w*||^2; with sign "
        f"flips it recovers w*: {yes[c['sign_flips_recover_nonpositive_filter']]}.",
        f"Part 2 (singular, lambda_min = {c['mirror_lambda_min']:.3g}): the antisymmetric part "
        f"of w stays exactly 0: {yes[c['mirror_antisymmetric_part_stays_zero']]}; the error "
        "stays >= ||antisymmetric part of w*||^2.",
        f"Part 3 (lambda_min = {c['near_singular_lambda_min']:.3g}): slower than the "
        f"well-conditioned control: {yes[c['near_singular_slower_than_control']]}.",
    )


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``assumption_curves.png``: one panel per part, median error curves per arm."""
    from ._plots import new_figure, save, semilogy_curve

    d = result.data
    fig, axes = new_figure(1, 3, size=(5.0, 3.8))
    parts = (("laws", d["laws"], "1: input law (same eta)"),
             ("singular", d["singular"], "2: singular scheme vs control"),
             ("near", d["near"], "3: nearly singular vs control"))  # fmt: skip
    for ax, (key, arms, title) in zip(axes.flat, parts, strict=True):
        t = d["history_t"].get(key)
        for a in arms:
            hs = [r["history"] for r in a["runs"] if r["history"] is not None]
            if t is not None and hs:
                semilogy_curve(ax, t, np.median(np.array(hs), axis=0), label=a["label"])
        ax.axhline(result.config["eps"], color="grey", ls=":", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("updates t")
        ax.set_ylabel("median ||w_t - w*||^2")
        ax.legend(fontsize=6)
    fig.suptitle("When the theorem's hypotheses fail", fontsize=10)
    return [save(fig, out, "assumption_curves.png")]
