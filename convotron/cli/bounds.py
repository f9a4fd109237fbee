r"""``convotron bounds``: the theorem's step size, iteration count and sample size.

Imports :mod:`convotron_theory` through :mod:`convotron.glue.parameters`. Prints each formula with
its
value: :math:`\lambda_{\min}(M)`, :math:`a`, :math:`\beta` (the exact :math:`\lambda_{\max}(K)` by
default, and the best closed form with the :math:`T` it would give),
:math:`\rho`, :math:`\eta`, :math:`T` and samples, all [derived]: the explicit-constant
version of GKM18's main theorem (``thm-convotron``; ``thm-disjoint`` with
``--only-patch``), never the paper's own constants.

Defaults: ``--alpha 0 --dist gaussian --cov identity --noise 0 --eps 0.01 --delta 0.1
--w-norm 1``. Exit status: 0 when every hypothesis holds, 1 when one fails (the numbers
are still printed, with the reasons), 2 on bad input.

JSON keys (``--json``): ``scheme, n, r, k, dist, cov, noise, only_patch, lambda_min,
lambda_max, trace_M, lambda_max_Sigma, lambda_max_PPT, certificate, verdict`` (of the
condition λ_min(M) > 0: HOLDS, FAILS, UNDECIDED)``, lambda_min_used, lambda_min_note`` (the
λ_min in a, and why: a lemma's proven bound when only the lemma proves the condition, 0 when
it fails or is undecided)``, a, beta, beta_rule,
beta_candidates, beta_exact`` (λ_max(K), null when not computed)``, beta_closed,
beta_closed_rule, eta_closed, T_closed`` (the best closed-form β and the η, T it gives)``,
beta_note`` (why the exact β was not computed, else empty)``, rho, rho_rule, eta, T,
samples, realizable, applies, violations, claim,
formulas`` (LaTeX of ``eta`` and ``T``)``, eps, delta, w_norm, alpha`` (``T`` and
``samples`` are null when there is no finite T: then a = 0 and eta = 0).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from . import _common
from ._common import EXIT_FAIL, EXIT_OK, add_json_option, add_problem_options, emit_json

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "format_bounds", "main"]


#: The subcommand's line in ``convotron --help``.
HELP = "the theorem's step size, iterations and samples for a problem"
#: The description of ``convotron bounds --help``.
DESCRIPTION = (
    "Print the formulas and values of the explicit-constant version of the main "
    "theorem of Goel, Klivans, Meka (2018) [derived]: a, beta, rho, eta, T and "
    "samples. Exit status 0 when every hypothesis holds, 1 when one fails, 2 on bad "
    "input."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron bounds`` to its parser."""
    add_problem_options(
        p, "scheme", "alpha", "dist", "cov", "noise", "eps", "delta", "w-norm", "only-patch"
    )
    add_json_option(p)
    _common.add_precondition_option(
        p,
        "also print the preconditioned theorem [derived, not the paper's] for H = M⁻¹ "
        "(exact), and for plugin the price of M̂⁻¹ and the samples it needs (default none)",
    )


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    from ..data.covariance import parse_cov
    from ..data.laws import get_law, parse_noise
    from ..geometry.patches import parse_spec
    from ..model.activations import check_alpha
    from ._common import as_number

    # The numbers are parsed here and checked by the library (check_alpha and
    # theorem_parameters), whose errors name the parameter that run_guarded shows as a flag.
    alpha = check_alpha(as_number(args.alpha))
    eps, delta, w_norm = as_number(args.eps), as_number(args.delta), as_number(args.w_norm)
    scheme = parse_spec(args.scheme)
    only_patch = None if args.only_patch is None else as_number(args.only_patch, int)
    return {
        "scheme": scheme,
        "alpha": alpha,
        "law": get_law(args.dist),
        "cov": parse_cov(args.cov, scheme.n),
        "noise": parse_noise(args.noise),
        "eps": eps,
        "delta": delta,
        "w_norm": w_norm,
        "only_patch": only_patch,
    }


_BETA_TEXT = {
    "exact": "λ_max(K), K the exact second moment of x = Lz  [lem-exact-k]",
    "gaussian": "λ_max(Σ)(tr M + 2 λ_max(M))  [Gaussian x, Isserlis]",
    "bounded": "λ_max(PPᵀ) B² λ_max(Σ), B² = λ_max(Σ) n sup|z|²  [bounded law]",
    "fourth-moment": "λ_max(PPᵀ) E‖x‖⁴  [finite fourth moment]",
    "disjoint": "β_1 = r + 2/k  [one disjoint patch, x ~ N(0, I)]",
}
_RHO_TEXT = {
    "none": "0  [no noise: realizable]",
    "independent": "ς² tr M  [noise independent of x]",
    "exact": "E[ξ² ‖Px‖²], exact for this noise model and law  [lem-second-moment]",
    "exact-gaussian": "S² (tr Σ tr M + 2 tr(PΣ²Pᵀ)) / tr Σ  [hetero, Gaussian x, exact]",
    "fourth-moment-bound": "S² λ_max(PPᵀ) E‖x‖⁴ / tr Σ  [hetero noise, upper bound]",
    "disjoint": "ρ_1 = ς² r  [one disjoint patch]",
}


def _v(x: Any) -> str:
    if isinstance(x, int):
        return str(x)
    x = float(x)
    return "inf" if math.isinf(x) else ("nan" if math.isnan(x) else f"{x:.6g}")


def format_bounds(s: dict[str, Any], tp: Any) -> str:
    """Human-readable report: each formula with its value, then the hypotheses."""
    from convotron_theory.bounds import DISJOINT_A, A

    scheme = s["scheme"]
    head = (
        f"scheme {scheme.spec or '(indices)'}: n = {scheme.n}, r = {scheme.r}, k = {scheme.k}; "
        f"alpha = {s['alpha']:g}, law {s['law'].name}, Σ = {s['cov'].name}, noise "
        f"{s['noise'].spec}, eps = {s['eps']:g}, delta = {s['delta']:g}, ‖w*‖ = {s['w_norm']:g}"
    )
    claim = tp.claim
    lines = [
        head,
        f"[derived] explicit-constant version of GKM18's main theorem ({claim}); not the "
        "paper's own constants",
    ]
    if claim == "thm-disjoint":
        lines.append(f"  one disjoint patch (only_patch = {s['only_patch']}): P_1 Σ P_1ᵀ = I")
        lines.append(f"  a = a_1 = (1+α)/k = {_v(tp.a)}    [{DISJOINT_A.label}]")
    else:
        proof = tp.check.proof if tp.check is not None and tp.check.proof else "no proof"
        lines.append(
            f"  lambda_min(M) = {_v(tp.lambda_min)}, lambda_max(M) = {_v(tp.lambda_max)}, "
            f"tr M = {_v(tp.trace_M)} (condition λ_min > 0 {tp.verdict}: {proof})"
        )
        if tp.lambda_min_note:
            lines.append(f"    λ_min used = {_v(tp.lambda_min_used)}: {tp.lambda_min_note}")
        lines.append(f"  a = (1+α) λ_min / k = {_v(tp.a)}    [{A.label}]")
    others = ", ".join(f"{k} {_v(v)}" for k, v in tp.beta_candidates.items() if k != tp.beta_rule)
    lines.append(
        f"  β = {_BETA_TEXT.get(tp.beta_rule, tp.beta_rule)} = {_v(tp.beta)}    [used]"
        + (f" (admissible values: {others})" if others else "")
    )
    if tp.beta_rule != tp.beta_closed_rule:
        lines.append(
            f"    best closed form ({tp.beta_closed_rule}, lem-beta, an upper bound of λ_max(K)): "
            f"β = {_v(tp.beta_closed)}, giving η = {_v(tp.eta_closed)}, T = {_v(tp.T_closed)}"
        )
    if tp.beta_note:
        lines.append(f"    note: {tp.beta_note}")
    lines.append(f"  ρ = {_RHO_TEXT.get(tp.rho_rule, tp.rho_rule)} = {_v(tp.rho)}")
    if tp.realizable:
        lines.append(f"  η = a/(2β) = {_v(tp.eta)}    [cor-realizable]")
        lines.append(f"  T = ⌈(4β/a²) ln(‖w*‖²/(εδ))⌉ = {_v(tp.T)}")
    else:
        lines.append(f"  η = min{{a/(2β), εδa/(4ρ)}} = {_v(tp.eta)}    [cor-noisy]")
        lines.append(f"  T = ⌈max{{4β/a², 8ρ/(εδa²)}} ln(2‖w*‖²/(εδ))⌉ = {_v(tp.T)}")
    lines.append(f"  samples = T = {_v(tp.samples)}    (one fresh sample per iteration [paper])")
    lines.append(f"  LaTeX: {tp.formulas.get('eta', '')} ; {tp.formulas.get('T', '')}")
    if tp.applies:
        lines.append(
            f"hypotheses: all hold; then P[‖w_(T+1) − w*‖² > {s['eps']:g}] <= {s['delta']:g}"
        )
    else:
        lines.append("hypotheses FAIL, the guarantee does not apply:")
        lines.extend(f"  - {v}" for v in tp.violations)
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run ``convotron bounds``; return 0 (hypotheses hold) or 1 (one fails)."""
    from ..glue.parameters import theorem_parameters
    from ..model.problem import Problem

    s = _settings(args)
    problem = Problem(s["scheme"], s["alpha"], s["law"], s["cov"], s["noise"])
    tp = theorem_parameters(
        problem, eps=s["eps"], delta=s["delta"], w_norm=s["w_norm"], only_patch=s["only_patch"]
    )
    from convotron_theory.conv import applicability_report

    conv_data, conv_text = applicability_report(s["scheme"].geometry)  # conv layers only
    pre = getattr(args, "precondition", "none") or "none"
    pre_data, pre_text = _precondition_report(problem, s, pre) if pre != "none" else ({}, "")
    if args.json:
        scheme = s["scheme"]
        emit_json(
            {
                "scheme": scheme.spec or args.scheme,
                "n": scheme.n,
                "r": scheme.r,
                "k": scheme.k,
                "dist": s["law"].name,
                "cov": s["cov"].name,
                "noise": s["noise"].spec,
                "only_patch": s["only_patch"],
                **tp.to_dict(),
                **conv_data,
                **pre_data,
            }
        )
    else:
        from convotron_theory.claims import (
            annotate_labels,  # the book's number and name beside a label
        )

        print(annotate_labels(format_bounds(s, tp)))
        if conv_text:
            print(conv_text)
        if pre_text:
            print(annotate_labels(pre_text))
    return EXIT_OK if tp.applies else EXIT_FAIL


def _precondition_report(problem: Any, s: dict[str, Any], pre: str) -> tuple[dict, str]:
    """Return the preconditioned theorem's block (thm-precond, [derived]): JSON and text."""
    from convotron_theory.precondition import plugin_samples

    from ..glue.precondition import preconditioned_parameters

    d = preconditioned_parameters(problem, eps=s["eps"], delta=s["delta"], w_norm=s["w_norm"])
    data: dict[str, Any] = {
        "precondition": pre,
        "precondition_theorem": {k: v for k, v in d.items() if k != "formulas"},
    }
    lines = [
        "preconditioned Convotron, H = M⁻¹ (thm-precond, cor-precond-whitened) [derived: this "
        "project's extension, not the paper's]",
        f"  cond(M) = {_v(d['cond_M'])}; μ_H = {_v(d['mu_H'])}, a_H = (1+α)/k = {_v(d['a_H'])}",
        f"  β_H = λ_max(M^(-1/2) K_H M^(-1/2)) = {_v(d['beta_H'])}, ρ_H = {_v(d['rho_H'])}",
        f"  η = {_v(d['eta'])}, T = {_v(d['T'])} (worst direction: λ_max(H)Φ_1 = cond(M)‖w*‖²)"
        f"; Algorithm 1's T = {_v(d['T_plain'])}",
    ]
    if pre == "plugin":
        r, law = problem.scheme.r, problem.law.name
        bounded = {"rademacher": 1.0, "uniform": 3.0}
        if law == "gaussian":
            m = plugin_samples(r, 2.0, s["delta"])
            how = "Gaussian inputs, Davidson-Szarek"
        elif law in bounded:
            m = plugin_samples(r, 2.0, s["delta"], R=bounded[law] * problem.scheme.n)
            how = f"{law} inputs, ‖M^(-1/2)q‖² ≤ {bounded[law]:g} n, matrix Chernoff"
        else:
            m, how = None, f"{law} inputs: no sample count is proved (thm-precond-plugin)"
        data["plugin_samples_price_2"] = m
        lines.append(
            "  plug-in H = M̂⁻¹ (thm-precond-plugin): T grows at most by (u/ℓ)², "
            "λ(M̂^(-1/2) M M̂^(-1/2)) ⊂ [ℓ, u]; "
            + (
                f"m = {m} set-aside samples make (u/ℓ)² ≤ 2 with probability ≥ 1 − "
                f"{s['delta']:g} ({how})"
                if m is not None
                else how
            )
        )
    return data, "\n".join(lines)
