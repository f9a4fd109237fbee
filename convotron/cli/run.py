"""``convotron run``: one run of Convotron (or SGD) on a synthetic teacher or a dataset.

Usage::

    convotron run [--scheme SPEC] [--alpha A] [--dist D] [--cov C] [--noise S]
                  [--eta X|auto] [--iters N|auto] [--seed S] [--plot FILE] [--json]
                  [--algorithm convotron|sgd] [--init zero|random] [--batch B]
                  [--only-patch I] [--data FILE.npz] [--eps E] [--delta D] [--w-norm W]
                  [--rng numpy|fast]

Synthetic mode (default): a teacher ``y = f_{w*}(x) + ξ`` with ``w*`` uniform on the sphere
of radius ``--w-norm``, inputs of law ``--dist`` and covariance ``--cov``, noise ``--noise``;
``SeedSequence(--seed).spawn(2)`` seeds the teacher and the run. ``--eta auto`` and
``--iters auto`` take the theorem's step size ``a/(2β)`` (noisy: ``min{a/(2β), εδa/(4ρ)}``)
and iteration count for ``(--eps, --delta)`` from
:func:`convotron.glue.parameters.theorem_parameters`
([derived] explicit-constant version of the paper's main theorem).

Data mode (``--data FILE.npz`` with arrays ``X`` (T, n), ``y`` (T,), optional ``w_star``
(r,)): one pass of Algorithm 1 over the rows in order, ``T / batch`` updates. ``--eta`` is
required; ``--eta auto`` is the theorem's ``a/(2β)`` at plug-in estimates of ``λ_min(M)`` and
``β = λ_max(K)`` from the rows (:func:`convotron.estimation.plugin.plugin_constants`, the same code
as ``ConvotronRegressor(eta="auto")``), printed (JSON key ``plugin``) with their CLT intervals;
the theorem's guarantee holds for the population constants, not for the estimates.
Only the members ``X``, ``y`` and ``w_star`` are read, each after its ``.npy`` header's shape
and dtype are checked (real numbers, at most ``convotron._limits.MAX_DATA_ENTRIES`` values);
the path must be a regular file.

A run whose weights become non-finite or exceed ``1e150`` has diverged: exit 2 with one line
that names a step that works (on a teacher, the theorem's ``a/(2β)`` for this problem; with
``--data``, ``--eta auto``'s plug-in value), never a result.

Output: a human-readable summary, or with ``--json`` exactly one JSON object on stdout with
the keys ``n, r, k, alpha, eta, iters, w, final_sq_error, seconds, updates_per_second``
and more (see :func:`main`), among them ``filter_shape``: the filter's shape in the
frameworks' layout ``(1, C, kernel...)``; ``--save-filter PATH`` writes the learned filter
(and ``w*``) with that shape to ``.npy``/``.npz``. ``--plot FILE`` writes the convergence curve
``‖w_t − w*‖²`` as a PNG, atomically. Every option is validated before the run; bad input
exits 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ConvotronError
from .._validate import DEFAULT_STREAM
from . import _common
from ._common import (
    EXIT_OK,
    add_json_option,
    add_problem_options,
    as_number,
    emit_json,
    parse_integer,
    parse_number,
)
from ._data import load_data

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "main"]

_DEFAULT_ITERS = 100_000
_CURVE_POINTS = 500
#: The keys of the ``theorem`` object of ``--json`` (``TheoremParameters.summary``).
_THEOREM_KEYS = ("lambda_min", "a", "beta", "rho", "eta", "T")


#: The subcommand's line in ``convotron --help``.
HELP = "run Convotron (or SGD) on a synthetic teacher or a dataset"
#: The description of ``convotron run --help``.
DESCRIPTION = (
    "Run Convotron (Algorithm 1 of Goel, Klivans, Meka 2018) or the SGD baseline on "
    "fresh samples of a synthetic teacher, or once over the rows of a dataset."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron run`` to its parser."""
    add_problem_options(p, "scheme", "alpha", "dist", "cov", "noise", scheme_default="1d:64,8,2")
    p.add_argument(
        "--eta",
        metavar="X|auto",
        default=None,
        help="step size (learning rate for sgd), or auto: the theorem's a/(2β) (default auto "
        "for Convotron on a synthetic teacher; required with --algorithm sgd or --data)",
    )
    p.add_argument(
        "--iters",
        metavar="N|auto",
        default=None,
        help=f"number of updates T, or auto: the theorem's T for (--eps, --delta) "
        f"(default {_DEFAULT_ITERS}; with --data: rows/batch)",
    )
    p.add_argument("--seed", metavar="S", default="0", help="root seed (default 0)")
    p.add_argument("--plot", metavar="FILE", help="write the convergence curve as a PNG")
    add_json_option(p)
    p.add_argument(
        "--save-filter",
        metavar="PATH",
        help="save the learned filter (and w*) in the frameworks' layout (1, C, kernel...) "
        "to a .npy (filter only) or .npz file ('weight', 'w_star')",
    )
    p.add_argument(
        "--algorithm",
        choices=("convotron", "sgd"),
        default="convotron",
        help="convotron (default) or sgd on the square loss",
    )
    p.add_argument(
        "--init",
        choices=("zero", "random"),
        default=None,
        help="initial filter of sgd (default zero)",
    )
    p.add_argument(
        "--batch",
        metavar="B",
        default="1",
        help="mini-batch size; --iters counts updates (default 1)",
    )
    p.add_argument(
        "--data",
        metavar="FILE.npz",
        help="run once over the rows of X (T, n), y (T,), optional w_star (r,)",
    )
    p.add_argument(
        "--rng",
        choices=("numpy", "fast"),
        default=None,
        help="random stream of the teacher's samples: the fast xoshiro256++/ziggurat stream "
        "(default) or numpy's (bitwise as numpy's own Generator; same laws, other numbers)",
    )
    add_problem_options(p, "only-patch", "eps", "delta", "w-norm")
    _common.add_precondition_option(
        p,
        "the preconditioned Convotron [derived, not the paper's]: w += η (y − f) H Σ P_i x "
        "with H = M⁻¹ of the teacher (exact) or M̂⁻¹ from 50 r set-aside samples (plugin); "
        "--eta/--iters auto then take the preconditioned theorem's values (default none)",
    )


# --------------------------------------------------------------------------- parsing


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Validate every option before anything runs; return the parsed values."""
    from ..data.covariance import parse_cov
    from ..data.laws import get_law, parse_noise
    from ..geometry.patches import parse_spec
    from ..model.activations import check_alpha

    s: dict[str, Any] = {}
    scheme = parse_spec(args.scheme)
    s["scheme"] = scheme
    s["alpha"] = check_alpha(as_number(args.alpha))
    s["law"] = get_law(args.dist)
    s["cov"] = parse_cov(args.cov, scheme.n)
    s["noise"] = parse_noise(args.noise)
    s["seed"] = parse_integer(args.seed, "--seed", 0, "Pass a non-negative integer, e.g. --seed 0.")
    s["batch"] = parse_integer(args.batch, "--batch", 1, "Pass a positive mini-batch size.")
    s["eps"] = parse_number(
        args.eps, "--eps", "a number > 0", lambda v: v > 0, "Pass e.g. --eps 0.01."
    )
    s["delta"] = parse_number(
        args.delta, "--delta", "a number in (0, 1]", lambda v: 0 < v <= 1, "Pass e.g. --delta 0.1."
    )
    s["w_norm"] = parse_number(
        args.w_norm, "--w-norm", "a number > 0", lambda v: v > 0, "Pass e.g. --w-norm 1."
    )
    _rule_settings(args, s)
    _step_settings(args, s)
    _data_and_output_settings(args, s)
    _check_outputs_are_not_inputs(args, s)
    return s


def _rule_settings(args: argparse.Namespace, s: dict[str, Any]) -> None:
    """Check the rule's options (``--only-patch``, ``--init``, ``--precondition``) into ``s``."""
    scheme = s["scheme"]
    sgd = args.algorithm == "sgd"
    if args.only_patch is None:
        s["only_patch"] = None
    else:
        s["only_patch"] = parse_integer(
            args.only_patch, "--only-patch", 0, f"Patches are numbered 0..{scheme.k - 1}."
        )
        if s["only_patch"] >= scheme.k:
            raise ConvotronError(
                f"--only-patch must be a patch number in 0..{scheme.k - 1} (k={scheme.k}); got "
                f"{args.only_patch}. Pass one of them."
            )
        if sgd:
            raise ConvotronError(
                f"--only-patch is a variant of Convotron, not of SGD; got --only-patch "
                f"{args.only_patch} with --algorithm sgd. Drop one of them."
            )
    if args.init is not None and not sgd:
        raise ConvotronError(
            f"--init applies to --algorithm sgd only (Convotron starts at w_1 = 0, "
            f"Algorithm 1); got --init {args.init} with --algorithm convotron. Drop --init or "
            "add --algorithm sgd."
        )
    s["init"] = args.init or "zero"
    s["precondition"] = getattr(args, "precondition", "none") or "none"
    if s["precondition"] != "none" and sgd:
        raise ConvotronError(
            f"--precondition is a variant of Convotron, not of SGD; got --precondition "
            f"{s['precondition']} with --algorithm sgd. Drop one of them."
        )


def _step_settings(args: argparse.Namespace, s: dict[str, Any]) -> None:
    """Check ``--eta`` and ``--iters`` (numbers or ``auto``) into ``s``."""
    sgd = args.algorithm == "sgd"
    if args.eta is None:
        # auto is only defined for Convotron on a teacher whose law the theorem knows
        if sgd or args.data is not None:
            what = "--algorithm sgd" if sgd else "--data"
            why = (
                "SGD has no theorem step size"
                if sgd
                else "a dataset does not state the theorem's assumptions"
            )
            fix = " or --eta auto (plug-in estimates from the rows)" if not sgd else ""
            raise ConvotronError(
                f"--eta is required with {what} (the default, auto, is the theorem's step size "
                f"for Convotron on a synthetic teacher, and {why}); got no --eta. Pass a step "
                f"size, e.g. --eta 0.01{fix}."
            )
        args.eta = "auto"
    s["eta_auto"] = args.eta == "auto"
    if s["eta_auto"]:
        if sgd:
            raise ConvotronError(
                "--eta auto is the theorem's step size for Convotron; got --eta auto with "
                "--algorithm sgd, which has no such step size. Pass a learning rate, e.g. "
                "--eta 0.01."
            )
        s["eta"] = None
    else:
        s["eta"] = parse_number(
            args.eta,
            "--eta",
            "a number > 0 or 'auto'",
            lambda v: v > 0,
            "Pass a positive step size, e.g. --eta 0.01, or --eta auto.",
        )
    s["iters_auto"] = args.iters == "auto"
    if s["iters_auto"]:
        s["iters"] = None
    elif args.iters is None:
        s["iters"] = _DEFAULT_ITERS
    else:
        s["iters"] = parse_integer(
            args.iters, "--iters", 1, "Pass the number of updates, e.g. --iters 100000, or auto."
        )


def _data_and_output_settings(args: argparse.Namespace, s: dict[str, Any]) -> None:
    """Check ``--data`` (and what it rules out), ``--plot`` and ``--save-filter`` into ``s``."""
    from .._io import check_output_path

    scheme, sgd = s["scheme"], args.algorithm == "sgd"
    s["data"] = None
    if args.data is not None:
        if args.iters is not None:
            raise ConvotronError(
                f"--iters does not apply with --data (one pass over the rows: T = rows / "
                f"batch); got --iters {args.iters}. Drop --iters."
            )
        if s["eta_auto"] and s["precondition"] != "none":
            raise ConvotronError(
                "--eta auto with --data estimates the constants of Algorithm 1 without a "
                f"preconditioner; got --eta auto with --precondition {s['precondition']}. Pass "
                "a step size, e.g. --eta 0.01, or drop --precondition."
            )
        if s["eta_auto"] and s["only_patch"] is not None:
            raise ConvotronError(
                "--eta auto with --data estimates the constants of Algorithm 1 (all patches) "
                f"from the rows; got --eta auto with --only-patch {s['only_patch']}. Pass a step "
                "size, e.g. --eta 0.001, or drop --only-patch."
            )
        s["data"] = load_data(args.data, scheme.n, scheme.r)
        if not sgd:
            s["init"] = "zero"
    if args.plot is not None:
        s["plot"] = check_output_path(args.plot, what="--plot file")
        if s["data"] is not None and s["data"][2] is None:
            raise ConvotronError(
                "--plot draws ‖w_t − w*‖², which needs w*; got --data without a w_star array. "
                "Add w_star to the .npz file or drop --plot."
            )
    else:
        s["plot"] = None
    if getattr(args, "save_filter", None) is not None:
        from ..geometry.conv import check_filter_path

        s["save_filter"] = check_filter_path(args.save_filter)


def _check_outputs_are_not_inputs(args: argparse.Namespace, s: dict[str, Any]) -> None:
    """Refuse an output (``--plot``, ``--save-filter``) that is an input or the other output."""
    from .._io import refuse_same_file

    scheme_file = args.scheme[5:] if str(args.scheme).startswith("file:") else None
    refuse_same_file(
        {"--save-filter": s.get("save_filter"), "--plot": s.get("plot")},
        {"--data": args.data, "--scheme file": scheme_file},
    )


def _theorem(s: dict[str, Any], problem: Any) -> Any:
    """Return the theorem's parameters for ``problem`` and the target of ``s``."""
    from ..glue.parameters import theorem_parameters

    params = theorem_parameters(
        problem, eps=s["eps"], delta=s["delta"], w_norm=s["w_norm"], only_patch=s["only_patch"]
    )
    if not params.applies:
        reasons = "; ".join(str(v).rstrip(".") for v in params.violations)
        reasons = reasons or "an assumption fails"
        raise ConvotronError(
            f"--eta auto / --iters auto take the theorem's values, but its hypotheses fail for "
            f"this problem: {reasons}. Pass --eta X and --iters N explicitly."
        )
    return params


def _precond_theorem(s: dict[str, Any], problem: Any, H: Any) -> dict[str, Any]:
    """Return the preconditioned theorem's numbers (thm-precond, [derived]) for ``H``."""
    from ..glue.precondition import preconditioned_parameters

    out = preconditioned_parameters(
        problem, eps=s["eps"], delta=s["delta"], w_norm=s["w_norm"], H=H
    )
    if not out["applies"]:
        reasons = "; ".join(v.rstrip(".") for v in out["violations"]) or "an assumption fails"
        raise ConvotronError(
            f"--eta auto / --iters auto take the preconditioned theorem's values, but its "
            f"hypotheses fail for this problem: {reasons}. Pass --eta X and --iters N explicitly."
        )
    return out


def _divergence_hint(exc: Exception, s: dict[str, Any], rule: Any) -> str:
    """Return the library's divergence message in the command's words, with a step that works.

    On a synthetic teacher, Convotron's hint is the theorem's step size ``a/(2β)`` for this
    very problem (computed; ``--eta auto``). With ``--data``, ``--eta auto`` is the same
    formula at plug-in estimates from the rows (not with ``--only-patch``). SGD has no
    theorem step size: the library's hint (from the samples) stays.
    """
    from .._errors import ConvotronError
    from ..learning.rules import SGDRule

    message = str(exc).replace("eta=", "--eta ")
    if isinstance(rule, SGDRule) or s["eta_auto"]:
        return message
    try:
        if s["data"] is None:
            from ..model.problem import Problem

            problem = Problem(s["scheme"], s["alpha"], s["law"], s["cov"], s["noise"])
            params = _theorem(s, problem)
            eta = float(params.eta)
            return (
                f"{message} The theorem's step size for this problem is a/(2β) = {eta:.3g}: "
                f"pass --eta {eta:.3g} or --eta auto."
            )
        if s["only_patch"] is not None:
            return message
        from ..estimation.plugin import plugin_constants

        X = s["data"][0]
        eta = float(plugin_constants(X, s["scheme"], s["alpha"]).eta.value)
    except (ConvotronError, ValueError, ArithmeticError):  # TheoryError is a ValueError
        return message
    if not (math.isfinite(eta) and eta > 0):
        return message
    return (
        f"{message} Or pass --eta auto: the theorem's a/(2β) at plug-in estimates from the "
        f"rows, here {eta:.3g} (an estimate, not a guarantee)."
    )


def _stop_report(
    res: Any, params: Any, diagnosis: Any, s: dict[str, Any], w_star: Any
) -> dict[str, Any]:
    """Say whether the run stopped before the theorem's ``T`` and, with ``w*``, above ε.

    ``T`` is the theorem's (``--eta auto`` / ``--iters auto`` on a teacher: ``T`` for
    ``(--eps, --delta)``) or, with ``--data --eta auto``, the plug-in one
    (:func:`convotron.estimation.plugin.diagnose_step`: ``E‖w − w*‖² <= 1% ‖w*‖²`` with probability
    0.9, an estimate); otherwise None. The JSON object ``stop`` has ``T``, ``T_source``
    (``"theorem"``, ``"plug-in"`` or None), ``before_T``, ``above_eps`` (None without ``w*``),
    ``notes`` (the sentences printed as ``NOTE:``) and ``short`` (the same, in a few words).
    """
    T: float | None = None
    source: str | None = None
    notes: list[str] = []
    short: list[str] = []
    if params is not None:
        T, source = float(params.T), "theorem"
    elif diagnosis is not None:
        T, source = float(diagnosis.T), "plug-in"
    before = None if T is None else bool(res.iterations < T)
    if before and T is not None and source == "theorem":
        notes.append(
            f"the run stopped after {res.iterations:,} updates, before the theorem's "
            f"T = {math.ceil(T):,} for eps = {s['eps']:g}, delta = {s['delta']:g} (thm-convotron, "
            "[derived]): its guarantee E‖w_T − w*‖² <= eps does not cover this filter; "
            "--iters auto runs T updates"
        )
        short.append(f"stopped before the theorem's T = {math.ceil(T):,}")
    elif before and T is not None and source == "plug-in":
        if diagnosis.far:
            notes.append(diagnosis.message(f"{res.iterations:,} updates of one pass over the rows"))
        else:
            notes.append(
                f"the pass made {res.iterations:,} updates, before the plug-in T = {T:.3g} "
                "(E‖w − w*‖² <= 1% of ‖w*‖² with probability 0.9 at the plug-in constants; "
                "an estimate)"
            )
        short.append(f"stopped before the plug-in T = {T:.3g}")
    above = None
    if w_star is not None and res.sq_error is not None:
        above = bool(res.sq_error > s["eps"])
        if above:
            notes.append(
                f"the final ‖w − w*‖² = {res.sq_error:.3g} is above eps = {s['eps']:g}: the "
                "filter has not reached the target"
            )
            short.append(f"ended above eps (‖w − w*‖² = {res.sq_error:.3g} > {s['eps']:g})")
    return {
        "T": T,
        "T_source": source,
        "before_T": before,
        "above_eps": above,
        "notes": notes,
        "short": short,
    }


# --------------------------------------------------------------------------- output


def _plot(path: Path, res: Any, params: Any, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .._io import save_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    t = res.history_t
    ax.semilogy(t, np.maximum(res.history, 1e-300), label=f"{res.algorithm}: ‖w_t − w*‖²")
    if params is not None:
        curve = np.array([float(params.curve(int(v))) for v in t])
        ax.semilogy(t, curve, "--", label="theorem bound on E‖w_t − w*‖² [derived]")
    ax.set_xlabel("updates t")
    ax.set_ylabel("squared distance to w*")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


@dataclass
class _Plan:
    """What ``run`` will do, before it runs: the rule, the source of samples and the settings.

    ``params`` (the theorem's constants) when ``--eta``/``--iters`` is ``auto`` without
    preconditioning; ``precond`` (``thm-precond``'s) with it; ``plugin`` and ``diagnosis`` (the
    plug-in constants) for ``--data`` with ``--eta auto``.
    """

    rule: Any
    source: Any
    eta: float
    iters: int | None
    record_every: int | None
    eps: float | None
    w_star: np.ndarray | None
    params: Any = None
    precond: dict[str, Any] | None = None
    plugin: Any = None
    diagnosis: Any = None


def _plan(s: dict[str, Any], args: argparse.Namespace, teacher_seq: Any, run_rng: Any) -> _Plan:
    """Build the rule and the source, and resolve ``auto`` step and iterations."""
    from ..learning.rules import ConvotronRule, SGDRule
    from ..learning.sources import Rows
    from ..model.problem import Problem

    scheme = s["scheme"]
    rule: Any = (
        SGDRule(init=s["init"])
        if args.algorithm == "sgd"
        else ConvotronRule(only_patch=s["only_patch"], precondition=s["precondition"])
    )
    if s["data"] is not None:
        X, y, w_star = s["data"]
        plan = _Plan(rule, Rows(X, y), s["eta"], None, None, None, w_star)
        if s["eta_auto"]:
            # the theorem's a/(2β) at plug-in estimates from the rows (convotron.estimation.plugin)
            from ..estimation.plugin import diagnose_step, plugin_constants

            plan.plugin = plugin_constants(X, scheme, s["alpha"])
            plan.eta = plan.plugin.eta.value
            plan.diagnosis = diagnose_step(plan.plugin, X.shape[0] // s["batch"],
                                           eta_name="--eta ")  # fmt: skip
        if w_star is not None:
            plan.record_every = max(1, X.shape[0] // s["batch"] // _CURVE_POINTS)
            plan.eps = s["eps"]
        return plan
    problem = Problem(scheme, s["alpha"], s["law"], s["cov"], s["noise"])
    teacher = problem.random_teacher(np.random.default_rng(teacher_seq), w_norm=s["w_norm"])
    plan = _Plan(rule, teacher, s["eta"], s["iters"], None, s["eps"], teacher.w_star)
    if s["precondition"] != "none":
        # H now (plugin: its samples are the run generator's first draws), then the
        # preconditioned theorem for that H (thm-precond, conditionally on M̂ for plugin)
        plan.rule, _ = rule.bind(teacher, scheme, run_rng)
        if s["eta_auto"] or s["iters_auto"]:
            plan.precond = _precond_theorem(s, problem, plan.rule.H)
            plan.eta = plan.precond["eta"] if s["eta_auto"] else plan.eta
            plan.iters = plan.precond["T"] if s["iters_auto"] else plan.iters
    elif s["eta_auto"] or s["iters_auto"]:
        plan.params = _theorem(s, problem)
        plan.eta = float(plan.params.eta) if s["eta_auto"] else plan.eta
        plan.iters = math.ceil(float(plan.params.T)) if s["iters_auto"] else plan.iters
    assert plan.iters is not None
    plan.record_every = max(1, plan.iters // _CURVE_POINTS)
    return plan


def _record(
    args: argparse.Namespace, s: dict[str, Any], spec: str, res: Any, plan: _Plan
) -> dict[str, Any]:
    """Return the JSON object of a run (the keys :func:`main` documents)."""
    from ..geometry.conv import filter_shape, save_filter

    scheme, w_star = s["scheme"], plan.w_star
    out: dict[str, Any] = {
        "n": scheme.n,
        "r": scheme.r,
        "k": scheme.k,
        "alpha": s["alpha"],
        "eta": res.eta,
        "iters": res.iterations,
        "w": res.w,
        "final_sq_error": res.sq_error,
        "seconds": res.seconds,
        "updates_per_second": res.updates_per_second,
        "scheme": spec,
        "algorithm": res.algorithm,
        "batch": res.batch,
        "samples": res.samples,
        "only_patch": res.only_patch,
        "only_patch_disjoint": res.only_patch_disjoint,
        "init": s["init"] if res.algorithm == "sgd" else "zero",
        "seed": s["seed"],
        "rng": args.rng or (None if args.data else DEFAULT_STREAM),
        "data": args.data,
        "dist": None if args.data else s["law"].name,
        "cov": None if args.data else args.cov,
        "noise": None if args.data else args.noise,
        "eta_source": "auto" if s["eta_auto"] else "given",
        "iters_source": "auto" if s["iters_auto"] else ("data" if args.data else "given"),
        "w_star": w_star,
        "eps": s["eps"] if w_star is not None else None,
        "first_hit": res.first_hit,
        "history_t": res.history_t,
        "history": res.history,
    }
    out["stop"] = _stop_report(res, plan.params, plan.diagnosis, s, w_star)
    out["filter_shape"] = list(filter_shape(scheme))  # (1, C, kernel...): w.reshape(shape)
    if s.get("save_filter") is not None:
        save_filter(s["save_filter"], res.w, filter_shape(scheme), w_star)
        out["save_filter"] = str(s["save_filter"])
    if plan.params is not None:
        out["theorem"] = plan.params.summary(_THEOREM_KEYS)
    out["precondition"] = s["precondition"]
    if plan.precond is not None:
        out["precondition_theorem"] = {
            k_: v_ for k_, v_ in plan.precond.items() if k_ != "formulas"
        }
    if plan.plugin is not None:
        out["plugin"] = plan.plugin.to_json()
        out["plugin"]["diagnosis"] = plan.diagnosis.to_json()
    return out


def _text(
    args: argparse.Namespace,
    s: dict[str, Any],
    spec: str,
    res: Any,
    plan: _Plan,
    out: dict[str, Any],
) -> list[str]:
    """Return the human-readable report of a run, line by line."""
    scheme, w_star, precond, plugin = s["scheme"], plan.w_star, plan.precond, plan.plugin
    source = (
        "data " + str(args.data)
        if args.data
        else (f"{s['law'].name} inputs, covariance {args.cov}, noise {args.noise}")
    )
    lines = [
        f"convotron run: {spec} (n={scheme.n}, r={scheme.r}, k={scheme.k}), "
        f"alpha={s['alpha']:g}, {source}",
        f"  {res.algorithm}: eta={res.eta:.6g} ({out['eta_source']}), T={res.iterations} "
        f"updates ({out['iters_source']}), batch {res.batch}, {res.samples} samples"
        + (
            f", only patch {res.only_patch} (disjoint: {res.only_patch_disjoint})"
            if res.only_patch is not None
            else ""
        ),
    ]
    if s["precondition"] != "none":
        what = (
            "M⁻¹ of the teacher"
            if s["precondition"] == "exact"
            else f"M̂⁻¹ from {50 * scheme.r} set-aside samples (plug-in)"
        )
        line = f"  preconditioned with H = {what} [derived: this project's, not the paper's]"
        if precond is not None:
            line += (
                f"; thm-precond: beta_H = {precond['beta_H']:.6g}, mu_H = {precond['mu_H']:.6g},"
                f" eta = {precond['eta']:.6g}, T = {precond['T']} (Algorithm 1's theorem: "
                f"T = {precond['T_plain']})"
            )
        lines.append(line)
    if res.sq_error is not None and w_star is not None:
        hit = "never" if res.first_hit is None else f"after {res.first_hit} updates"
        lines.append(
            f"  final ‖w − w*‖² = {res.sq_error:.6g}  (‖w*‖² = {float(np.sum(w_star**2)):.6g}; "
            f"‖w − w*‖² <= {s['eps']:g} first reached {hit})"
        )
    else:
        lines.append("  final ‖w − w*‖²: unknown (no w_star in the data)")
    lines.append(f"  w = {np.array2string(res.w, precision=4, max_line_width=96)}")
    lines.append(f"  {res.seconds:.3f} s, {res.updates_per_second:,.0f} updates/s")
    if plugin is not None:
        lines.append("  " + plugin.summary().replace("\n", "\n  "))
    notes = out["stop"]["notes"]
    lines.extend(f"  NOTE: {note}" for note in notes)
    if s["plot"] is not None:
        lines.append(f"  convergence curve written to {s['plot']}")
    if s.get("save_filter") is not None:
        shape = tuple(out["filter_shape"])
        lines.append(f"  filter written to {s['save_filter']} with shape {shape}")
        if notes:  # said again where the filter is: it is not what the theorem promises
            lines.append(
                "  NOTE: this filter is from a run that "
                + " and ".join(out["stop"]["short"])
                + " (see above)"
            )
    return lines


def main(args: argparse.Namespace) -> int:
    """Run the ``run`` subcommand; return the exit status.

    The JSON object has the keys ``n, r, k, alpha, eta, iters, w, final_sq_error, seconds,
    updates_per_second`` (``final_sq_error`` is null without a known ``w*``) and also
    ``scheme, algorithm, batch, samples, only_patch, only_patch_disjoint, init, seed, dist,
    cov, noise, eta_source, iters_source, w_star, first_hit, eps, history_t, history`` and,
    with ``auto``, ``theorem`` (``lambda_min, a, beta, rho, eta, T``); with ``--data`` and
    ``--eta auto``, ``plugin`` (:meth:`convotron.estimation.plugin.PluginConstants.to_json`, with
    ``diagnosis``: :meth:`convotron.estimation.plugin.StepDiagnosis.to_json`); always ``stop``
    (:func:`_stop_report`: whether the run stopped before the theorem's ``T`` and, with a
    known ``w*``, above ``--eps``; the same sentences are printed as ``NOTE:`` lines, and
    again after ``--save-filter``'s line).
    """
    from .._errors import DivergenceError
    from ..learning.algorithm import fit

    s = _settings(args)
    scheme = s["scheme"]
    teacher_seq, run_seq = np.random.SeedSequence(s["seed"]).spawn(2)
    run_rng = np.random.default_rng(run_seq)
    plan = _plan(s, args, teacher_seq, run_rng)
    try:
        res = fit(
            plan.rule,
            plan.source,
            scheme,
            s["alpha"],
            eta=plan.eta,
            iters=plan.iters,
            rng=run_rng,
            batch=s["batch"],
            w_star=plan.w_star,
            record_every=plan.record_every,
            eps=plan.eps,
            progress=not args.json and s["data"] is None,
            stream=args.rng,
        )
    except DivergenceError as exc:
        raise DivergenceError(_divergence_hint(exc, s, plan.rule), param=exc.param) from None
    spec = scheme.spec or f"indices (n={scheme.n}, k={scheme.k}, r={scheme.r})"
    if s["plot"] is not None:
        _plot(s["plot"], res, plan.params, f"{spec}, α={s['alpha']:g}, η={res.eta:.3g}")
    out = _record(args, s, spec, res, plan)
    if args.json:
        emit_json(out)
        return EXIT_OK
    sys.stdout.write("\n".join(_text(args, s, spec, res, plan, out)) + "\n")
    return EXIT_OK
