"""Experiment runners: ``convotron experiment NAME`` (glue: may use :mod:`convotron_theory`).

Each experiment reproduces one practical claim of Goel, Klivans and Meka (ICML 2018) or
probes where the theory's hypotheses stop holding:

============================  ==============================================================
``sgd-vs-convotron``          no initialisation / learning-rate tuning, unlike SGD [paper]
``noise``                     error floor against label noise vs the theorem's ``2ηρ/a`` [derived]
``disjoint-patch``            updates along one disjoint patch (``thm-disjoint``) [derived]
``assumptions``               asymmetric inputs, singular and nearly singular schemes
``scaling``                   iterations to reach ε vs k, r, λ_min against the theorem's exponents
``real-images``               scikit-learn's 8×8 digits as inputs, with and without symmetrisation
``precondition``              T against cond(M), Algorithm 1 vs ``H = M⁻¹`` (thm-precond) [derived]
============================  ==============================================================

Every runner is deterministic for a given seed, writes PNG figures and one JSON file (the
numbers behind them) under its output folder, and has quick settings (each well under a
minute on 2 cores) and full settings (minutes).
"""

from __future__ import annotations

import contextlib
import importlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ..._errors import ConvotronError
from ..._io import atomic_write_json, check_output_dir, locked_dir
from ._common import SEED, ExperimentResult, Table

__all__ = [
    "EXPERIMENTS",
    "ExperimentInfo",
    "ExperimentResult",
    "Table",
    "get_experiment",
    "load_module",
    "run_experiment",
]


@dataclass(frozen=True)
class ExperimentInfo:
    """Registry entry of one experiment.

    Attributes
    ----------
    name : str
        Command-line name.
    module : str
        Module in this package holding ``Config``, ``run`` and ``plot``.
    summary : str
        One line for ``convotron experiment list``.
    full_time : str
        Rough duration of the full run on 2 cores.
    """

    name: str
    module: str
    summary: str
    full_time: str


EXPERIMENTS: dict[str, ExperimentInfo] = {
    e.name: e
    for e in (
        ExperimentInfo(
            "sgd-vs-convotron",
            "sgd_vs_convotron",
            "Convotron (theorem step, x10, x100) vs SGD over learning rates and starts",
            "about 3-5 minutes",
        ),
        ExperimentInfo(
            "noise",
            "noise",
            "error floor vs label-noise level against 2*eta*rho/a",
            "about 2 minutes",
        ),
        ExperimentInfo(
            "disjoint-patch",
            "disjoint_patch",
            "full updates vs updates along one disjoint patch (n=160, r=16 included)",
            "about 3 minutes",
        ),
        ExperimentInfo(
            "assumptions",
            "assumptions",
            "asymmetric inputs, singular and nearly singular schemes vs controls",
            "about 2 minutes",
        ),
        ExperimentInfo(
            "scaling",
            "scaling",
            "iterations to reach eps vs k, r, lambda_min: fitted slopes vs the theorem",
            "about 5 minutes",
        ),
        ExperimentInfo(
            "real-images",
            "real_images",
            "8x8 digits (scikit-learn) through a 2D filter, with/without sign symmetrisation",
            "about 2 minutes",
        ),
        ExperimentInfo(
            "precondition",
            "precondition",
            "T vs cond(M), Algorithm 1 vs H = M^-1 (thm-precond [derived]): theorem and measured",
            "about 1 minute",
        ),
    )
}


def get_experiment(name: str) -> ExperimentInfo:
    """Return the registry entry of ``name``.

    Raises
    ------
    ConvotronError
        If ``name`` is not an experiment.
    """
    try:
        return EXPERIMENTS[name]
    except (KeyError, TypeError):
        raise ConvotronError(
            f"experiment NAME must be one of {', '.join(EXPERIMENTS)} (or 'list'); got {name!r}. "
            "Run 'convotron experiment list' to see them."
        ) from None


def load_module(name: str) -> ModuleType:
    """Import and return the module implementing experiment ``name``."""
    return importlib.import_module(f"{__name__}.{get_experiment(name).module}")


def run_experiment(
    name: str,
    *,
    quick: bool = True,
    seed: int = 0,
    out: str | Path | None = None,
    progress: bool = False,
    config: Any = None,
    figures: bool = True,
) -> ExperimentResult:
    """Run experiment ``name``, write its figures and JSON under ``out``, return the result.

    Parameters
    ----------
    name : str
        One of :data:`EXPERIMENTS`.
    quick : bool, default True
        Quick settings (ignored when ``config`` is given).
    seed : int, default 0
        Root seed; the numbers (``result.data``) are a deterministic function of it.
    out : path, optional
        Output folder (created if missing); nothing is written when None.
    progress : bool, default False
        Show tqdm progress bars on stderr.
    config : the experiment's ``Config``, optional
        Custom settings (e.g. tiny ones for tests).
    figures : bool, default True
        Write the PNG figures (the JSON file is always written when ``out`` is given).

    Raises
    ------
    ConvotronError
        Unknown ``name``, negative ``seed``, or an ``out`` that cannot be a writable folder
        (an existing file, a path under a file, a read-only place), checked before the work;
        or an ``out`` locked by another run writing there.
    """
    info = get_experiment(name)
    SEED(seed)
    # the folder is checked before the work, then locked for the whole run (one writer)
    out_dir = None if out is None else check_output_dir(out, what="--out folder")
    module = load_module(name)
    with contextlib.ExitStack() as stack:
        if out_dir is not None:
            stack.enter_context(locked_dir(out_dir, what="--out folder"))
        t0 = time.perf_counter()
        result: ExperimentResult = module.run(config, quick=quick, seed=seed, progress=progress)
        if out_dir is not None:
            paths = tuple(module.plot(result, out_dir)) if figures else ()
            result = replace(result, figures=paths, json_path=out_dir / f"{info.name}.json")
            result = replace(result, seconds=time.perf_counter() - t0)
            atomic_write_json(out_dir / f"{info.name}.json", result.to_json())
    return result
