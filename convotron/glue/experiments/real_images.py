r"""Experiment ``real-images``: scikit-learn's 8×8 digits through a 2D convolutional teacher.

Real data comes from an installed package only (``sklearn.datasets.load_digits`` ships its
1797 images inside scikit-learn; nothing is downloaded). scikit-learn is the optional extra
``images`` (``pip install convotron[images]``).

Inputs. The images are cropped to their top-left 7×7 pixels (so that 3×3 patches with
stride 2 tile them: ``k = 3·3 = 9`` patches of ``r = 9`` pixels, neighbours overlapping by a
row or a column) and standardized in one of two ways:

- ``whitened``: centred per pixel and ZCA-whitened,
  :math:`x \mapsto (C + \epsilon\bar\lambda I)^{-1/2}(x - \bar x)` with the empirical
  covariance :math:`C`, :math:`\bar\lambda` its mean eigenvalue and ``ε = zca_eps``, then scaled
  to unit mean second moment per pixel: :math:`\Sigma \approx I`, but the law is still
  asymmetric (skewed);
- ``raw``: pixel intensities scaled to unit mean second moment: nonnegative, far from
  symmetric, and so strongly correlated that :math:`\lambda_{\min}(P\Sigma P^\top)` is tiny.

The teacher is :math:`y = f_{w^*}(x)` with a random 3×3 filter, ``‖w*‖ = 1``. Each sample
draws an image uniformly at random; with *sign flips* (:func:`convotron.data.laws.symmetrize`)
it is multiplied by an independent random sign before labelling, which makes the law
symmetric (the hypothesis of ``lem-symmetric``) without changing :math:`\Sigma`.

Step size. The data law is the empirical law of the images (with or without signs), so
:math:`M = \mathbb{E}[(Px)(Px)^\top]` and the *smallest admissible* β of ``lem-beta``,
:math:`\beta = \lambda_{\max}\big(\tfrac1k\sum_i \mathbb{E}[\|Px\|^2 P_i x x^\top P_i^\top]\big)`,
are computed exactly from the images; then :math:`a = (1+\alpha)\lambda_{\min}(M)/k`,
:math:`\eta = a/(2\beta)` and :math:`T = (4\beta/a^2)\ln(\|w^*\|^2/(\varepsilon\delta))`
([derived] explicit-constant theorem, ``thm-convotron``; it applies to the sign-flipped arms
only). ``eta_factor`` multiplies η (1 = the theorem's).

Expected: with whitening and sign flips Convotron recovers the filter; without flips the
theorem gives no guarantee (the output shows what happened); on raw pixels the
theorem's T is astronomically large because :math:`\lambda_{\min}(M)` is tiny.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..._errors import ConvotronError
from ..._validate import Interval, validate
from ._common import (
    ExperimentConfig,
    ExperimentResult,
    Findings,
    Table,
    experiment,
    outcome_record,
    progress_bar,
    run_convotron,
    spawn_generators,
    unit_filter,
)

__all__ = ["Config", "empirical_theorem", "load_images", "plot", "run"]

NAME = "real-images"

#: Arms: (label, preprocessing, sign flips).
ARMS: tuple[tuple[str, str, bool], ...] = (
    ("whitened + sign flips", "whitened", True),
    ("whitened, no flips", "whitened", False),
    ("raw pixels + sign flips", "raw", True),
    ("raw pixels, no flips", "raw", False),
)


@dataclass(frozen=True)
class Config(ExperimentConfig):
    """Settings of ``real-images``.

    Attributes
    ----------
    crop : int
        Side of the top-left crop (7: 3×3 patches with stride 2 tile it).
    patch, stride : int
        Square patch side and stride.
    zca_eps : float
        ZCA regularisation, relative to the mean eigenvalue of the pixel covariance.
    alpha : float
        Leaky-ReLU slope of the teacher.
    iters : int
        Updates per run; ``eta_factor`` multiplies the theorem's η.
    """

    crop: int = 7
    patch: int = 3
    stride: int = 2
    zca_eps: float = 0.01
    alpha: float = 0.0
    runs: int = 2
    iters: int = 800_000
    eta_factor: float = 1.0
    records: int = 200

    #: Full settings: 5 filters, 3 000 000 updates per run (the defaults, the quick settings:
    #: 2 filters, 800 000 updates per run at the theorem's step size).
    FULL: ClassVar[Mapping[str, Any]] = dict(runs=5, iters=3_000_000)


def load_images(crop: int = 7) -> np.ndarray:
    """Return the digits as an ``(1797, crop*crop)`` float array (pixels 0..16, row-major).

    Raises
    ------
    ConvotronError
        If scikit-learn is not installed, or ``crop`` is not in ``2..8``.
    """
    validate(
        "crop",
        crop,
        Interval(int, 2, 8),
        meaning="the side of the top-left crop; the digits are 8x8",
        fix="Pass e.g. crop=7.",
    )
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ConvotronError(
            "the real-images experiment needs scikit-learn (its 8x8 digits ship with it; nothing "
            "is downloaded), which is not installed; got ImportError. "
            "Install it with: pip install convotron[images]"
        ) from None
    images = np.asarray(load_digits().images, dtype=float)[:, :crop, :crop]
    return images.reshape(images.shape[0], crop * crop)


def standardize(X: np.ndarray, how: str, zca_eps: float) -> np.ndarray:
    """Return ``X`` whitened (``how="whitened"``) or scaled (``how="raw"``); see the module doc."""
    if how == "raw":
        return X / math.sqrt(float(np.mean(X**2)))
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / Xc.shape[0]
    ev, V = np.linalg.eigh(C)
    ev = np.clip(ev, 0.0, None)
    W = (V / np.sqrt(ev + zca_eps * ev.mean())) @ V.T
    Z = Xc @ W
    return Z / math.sqrt(float(np.mean(Z**2)))


def empirical_theorem(
    D: np.ndarray, scheme: Any, alpha: float, *, eps: float, delta: float, w_norm: float
) -> dict[str, float]:
    r"""Return the theorem's numbers for the empirical law of the rows of ``D`` (signs irrelevant).

    ``M = E[(Px)(Px)ᵀ]``; ``β = λ_max((1/k) Σ_i E[‖Px‖² P_i x xᵀ P_iᵀ])`` (the smallest β
    admissible in ``lem-beta`` for this law); ``a = (1+α) λ_min(M)/k``; ``η = a/(2β)``;
    ``T = (4β/a²) ln(‖w*‖²/(εδ))`` ([derived], ``thm-convotron``), evaluated by the
    :class:`~convotron_theory.bounds.Bound` objects ``A``, ``ETA_REALIZABLE`` and
    ``T_REALIZABLE_CONTINUOUS`` (``T`` before rounding up). Without a positive ``λ_min`` the
    theorem gives no step: ``a = η = 0`` and ``T`` is infinite.
    """
    from convotron_theory import bounds as tb

    P = scheme.patches(D)  # (N, k, r); a padded read (-1) is 0
    PX = P.sum(axis=1)
    M = PX.T @ PX / D.shape[0]
    lam = np.linalg.eigvalsh(M)
    sq = np.einsum("nr,nr->n", PX, PX)
    B = np.einsum("n,nki,nkj->ij", sq, P, P) / (D.shape[0] * scheme.k)
    beta = float(np.linalg.eigvalsh(B)[-1])
    if lam[0] > 0:  # the formulas of convotron_theory.bounds (A needs a positive λ_min)
        a = tb.A(alpha=alpha, lambda_min=float(lam[0]), k=scheme.k)
        eta = tb.ETA_REALIZABLE(a=a, beta=beta)
        T = tb.T_REALIZABLE_CONTINUOUS(a=a, beta=beta, w_norm=w_norm, epsilon=eps, delta=delta)
    else:  # no drift: the theorem gives no step size
        a, eta, T = 0.0, 0.0, math.inf
    return {"lambda_min": float(lam[0]), "lambda_max": float(lam[-1]), "a": a, "beta": beta,
            "eta": eta, "T": T}  # fmt: skip


def _run_arm(
    cfg: Config,
    scheme: Any,
    label: str,
    how: str,
    flips: bool,
    D: np.ndarray,
    theorem: dict[str, Any],
    filters: list[np.ndarray],
    gens: list[np.random.Generator],
    every: int,
    bar: Any,
) -> tuple[dict[str, Any], list[int] | None]:
    """Run one arm (preprocessing ``how``, with or without sign flips) on every filter.

    Returns the arm's record and the recorded update counts (None when nothing was recorded).
    """
    from ...data.laws import symmetrize
    from ...model.network import predict

    eta = cfg.eta_factor * theorem["eta"]
    recs = []
    history_t = None
    for w_star, rng in zip(filters, gens, strict=True):

        def sample(rng: np.random.Generator, m: int, D: Any = D, w_star: Any = w_star,
                   flips: bool = flips) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
            Xs = D[rng.integers(0, D.shape[0], size=m)]
            if flips:
                Xs = symmetrize(Xs, rng)
            return Xs, np.asarray(predict(w_star, Xs, scheme, cfg.alpha))

        o = run_convotron(sample, scheme, cfg.alpha, eta=eta, iters=cfg.iters, rng=rng,
                          w_star=w_star, record_every=every, eps=cfg.eps)  # fmt: skip
        if o.history_t is not None:
            history_t = o.history_t.tolist()
        pred_mse = None
        if o.w is not None:
            f_w = np.asarray(predict(o.w, D, scheme, cfg.alpha))
            f_star = np.asarray(predict(w_star, D, scheme, cfg.alpha))
            pred_mse = float(np.mean((f_w - f_star) ** 2))
        recs.append(outcome_record(o, w=True, prediction_mse=pred_mse))
        bar.update(1)
    finals: list[float] = [
        math.inf if r["final_sq_error"] is None else float(r["final_sq_error"]) for r in recs
    ]
    arm = {
        "label": label,
        "preprocessing": how,
        "sign_flips": flips,
        "theorem_applies": flips,
        "eta": eta,
        "theorem": theorem,
        "runs": recs,
        "max_final_sq_error": max(finals) if finals else None,
        "median_final_sq_error": float(np.median(finals)) if finals else None,
    }
    return arm, history_t


@experiment(NAME, Config)
def run(cfg: Config, seed: int, progress: bool) -> Findings:
    """Compute the numbers for the settings ``cfg``; called as ``run(config=None, *, seed=0)``."""
    from ...geometry.patches import PatchScheme

    X = load_images(cfg.crop)
    scheme = PatchScheme.stride_2d(cfg.crop, cfg.crop, cfg.patch, cfg.patch, cfg.stride, cfg.stride)
    data = {how: standardize(X, how, cfg.zca_eps) for how in ("whitened", "raw")}
    ths = {
        how: empirical_theorem(
            D, scheme, cfg.alpha, eps=cfg.eps, delta=cfg.delta, w_norm=cfg.w_norm
        )
        for how, D in data.items()
    }
    g_w, g_runs = spawn_generators(seed, 2)
    filters = [unit_filter(g_w, scheme.r, cfg.w_norm) for _ in range(cfg.runs)]
    every = max(1, cfg.iters // cfg.records)
    bar = progress_bar(len(ARMS) * cfg.runs, desc=NAME, enabled=progress)
    arms: list[dict[str, Any]] = []
    history_t = None
    run_gens = spawn_generators(int(g_runs.integers(2**31)), len(ARMS) * cfg.runs)
    for a_i, (label, how, flips) in enumerate(ARMS):
        gens = run_gens[a_i * cfg.runs : (a_i + 1) * cfg.runs]
        arm, t = _run_arm(cfg, scheme, label, how, flips, data[how], ths[how], filters, gens,
                          every, bar)  # fmt: skip
        history_t = t if t is not None else history_t
        arms.append(arm)
    bar.close()
    by = {a["label"]: a for a in arms}
    good = by["whitened + sign flips"]
    conclusions: dict[str, Any] = {
        "whitened_flipped_recovers_filter": all(
            r["final_sq_error"] is not None and r["final_sq_error"] <= cfg.eps for r in good["runs"]
        ),
        "whitened_unflipped_recovers_filter": all(
            r["final_sq_error"] is not None and r["final_sq_error"] <= cfg.eps
            for r in by["whitened, no flips"]["runs"]
        ),
        "raw_theorem_T": ths["raw"]["T"],
        "whitened_theorem_T": ths["whitened"]["T"],
        "raw_lambda_min": ths["raw"]["lambda_min"],
        "whitened_lambda_min": ths["whitened"]["lambda_min"],
        "raw_min_pixel": float(data["raw"].min()),
    }
    table = Table(
        ("arm", "lambda_min(M)", "eta", "T_thm", "median final ||w-w*||^2", "median pred. MSE"),
        tuple(
            (
                a["label"],
                a["theorem"]["lambda_min"],
                a["eta"],
                a["theorem"]["T"],
                a["median_final_sq_error"],
                float(
                    np.median(
                        [
                            r["prediction_mse"] if r["prediction_mse"] is not None else math.inf
                            for r in a["runs"]
                        ]
                    )
                ),
            )
            for a in arms
        ),
    )
    yes = {True: "yes", False: "no"}
    notes = (
        f"{X.shape[0]} digits cropped to {cfg.crop}x{cfg.crop}, {cfg.patch}x{cfg.patch} patches "
        f"stride {cfg.stride} (k={scheme.k}, r={scheme.r}); {cfg.runs} random filters; "
        f"{cfg.iters} updates per run at {cfg.eta_factor:g} x the theorem's eta.",
        "Whitened + sign flips recovers every filter to eps = "
        f"{cfg.eps:g}: {yes[conclusions['whitened_flipped_recovers_filter']]}. Without flips "
        "(asymmetric law, no guarantee): "
        f"{yes[conclusions['whitened_unflipped_recovers_filter']]}.",
        f"Raw pixels are nonnegative and highly correlated: lambda_min(M) = "
        f"{conclusions['raw_lambda_min']:.3g} against {conclusions['whitened_lambda_min']:.3g} "
        f"whitened, so the theorem's T is {conclusions['raw_theorem_T']:.3g} updates instead of "
        f"{conclusions['whitened_theorem_T']:.3g}.",
    )
    data_out = {
        "n": scheme.n,
        "k": scheme.k,
        "r": scheme.r,
        "history_t": history_t,
        "filters": [w.tolist() for w in filters],
        "arms": arms,
    }
    return Findings(data_out, conclusions, table, notes)


def plot(result: ExperimentResult, out: Path) -> list[Path]:
    """Write ``digits_curves.png`` (error curves) and ``digits_filters.png`` (w* vs learned w)."""
    from ._plots import new_figure, save, semilogy_curve

    d = result.data
    fig, axes = new_figure(1, 1, size=(6.0, 4.0))
    ax = axes[0, 0]
    colors = ["tab:green", "tab:orange", "tab:blue", "tab:red"]
    for a, c in zip(d["arms"], colors, strict=False):
        for j, r in enumerate(a["runs"]):
            if r["history"] is not None and d["history_t"] is not None:
                semilogy_curve(ax, d["history_t"], r["history"], color=c,
                               label=a["label"] if j == 0 else None)  # fmt: skip
    ax.axhline(result.config["eps"], color="grey", ls=":", lw=0.8)
    ax.set_xlabel("updates t")
    ax.set_ylabel("||w_t - w*||^2")
    ax.set_title(
        f"Digits through a 3x3 filter (k={d['k']}): sign flips restore symmetry", fontsize=9
    )
    ax.legend(fontsize=7)
    paths = [save(fig, out, "digits_curves.png")]

    side = round(math.sqrt(d["r"]))
    fig, axes = new_figure(1, 1 + len(d["arms"]), size=(2.4, 2.6))
    w0 = np.array(d["filters"][0]).reshape(side, side)
    lim = float(np.abs(w0).max())
    axes[0, 0].imshow(w0, cmap="RdBu", vmin=-lim, vmax=lim)
    axes[0, 0].set_title("teacher w*", fontsize=8)
    for ax, a in zip(axes.flat[1:], d["arms"], strict=True):
        w = a["runs"][0]["w"]
        if w is not None:
            ax.imshow(np.array(w).reshape(side, side), cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_title(a["label"], fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    paths.append(save(fig, out, "digits_filters.png"))
    return paths
