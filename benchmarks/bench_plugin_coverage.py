"""Coverage of the plug-in intervals of ``convotron.estimation.plugin`` (issue 19, item 6).

For each input law (standardised coordinates, Σ = I) on the scheme
``n = 7, patches [[0,1,2],[2,3,4],[1,5,6],[4,6,0]]``, ``--reps`` independent data sets of
``--rows`` rows are drawn and :func:`convotron.estimation.plugin.plugin_constants` is called on each
(the package's code, nothing re-implemented); the table gives, per law:

- how often the 95% intervals of ``λ_min(M)``, ``β = λ_max(K)`` and ``η = a/(2β)`` cover the
  true value, with a 95% Wilson interval for that frequency;
- how often ``eta_conservative`` exceeds the true ``η`` (the requirement: at most 5%);
- how often the heavy-tail diagnostic switched ``β`` to the Pareto-tail bound, and the median
  Hill estimate of the tail index of ``‖x‖``.

True values are exact: ``λ_min(PPᵀ)`` (Σ = I) and ``β = λ_max(K)`` from
:func:`convotron_theory.second_moment.second_moment_matrix` with the law's kurtosis ``κ = E z⁴``
(the kurtosis term included), ``η = (1+α) λ_min/(2kβ)``. Student-t with ``ν`` degrees of
freedom is scaled to unit variance, ``κ = 3(ν−2)/(ν−4)``; ``E‖x‖⁸ < ∞`` iff ``ν > 8``.

Run: ``python benchmarks/bench_plugin_coverage.py [--reps 400] [--rows 20000] [--json PATH]
[--check]`` (``--check``: exit 1 when ``eta_conservative`` exceeds the true η in more than 5%
of the repetitions for some law; meaningful with many repetitions only).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np

from convotron.estimation.plugin import plugin_constants
from convotron.geometry.patches import PatchScheme
from convotron_theory.second_moment import beta_exact, second_moment_matrix

INDICES = np.array([[0, 1, 2], [2, 3, 4], [1, 5, 6], [4, 6, 0]], dtype=np.int64)
N = 7


def _t(nu: float):
    scale = math.sqrt((nu - 2.0) / nu)
    return lambda rng, shape: rng.standard_t(nu, size=shape) * scale


#: name -> (draw(rng, shape) of standardised coordinates, kurtosis E z⁴)
LAWS = {
    "gaussian": (lambda rng, shape: rng.standard_normal(shape), 3.0),
    "rademacher": (lambda rng, shape: rng.integers(0, 2, size=shape) * 2.0 - 1.0, 1.0),
    "uniform": (lambda rng, shape: rng.uniform(-math.sqrt(3), math.sqrt(3), size=shape), 1.8),
    "student-t nu=9": (_t(9.0), 3.0 * 7.0 / 5.0),
    "student-t nu=5": (_t(5.0), 3.0 * 3.0 / 1.0),
}


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of a binomial proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def truth(kappa: float, alpha: float) -> dict[str, float]:
    scheme = PatchScheme.from_indices(N, INDICES)
    P = scheme.P()
    lam_min = float(np.linalg.eigvalsh(P @ P.T)[0])
    beta = beta_exact(second_moment_matrix(N, INDICES, "identity", kappa))
    k = INDICES.shape[0]
    return {"lambda_min": lam_min, "beta": beta, "eta": (1 + alpha) * lam_min / (2 * k * beta)}


def run_law(name: str, reps: int, rows: int, alpha: float, seed: int) -> dict:
    draw, kappa = LAWS[name]
    scheme = PatchScheme.from_indices(N, INDICES)
    true = truth(kappa, alpha)
    cover = {key: 0 for key in true}
    exceed = heavy = 0
    tail_index = []
    t0 = time.perf_counter()
    for child in np.random.SeedSequence([seed, list(LAWS).index(name)]).spawn(reps):
        X = draw(np.random.default_rng(child), (rows, N))
        pc = plugin_constants(X, scheme, alpha)
        for key, value in true.items():
            e = getattr(pc, key)
            cover[key] += e.low <= value <= e.high
        exceed += pc.eta_conservative > true["eta"]
        heavy += pc.beta.method != "CLT"
        tail_index.append(pc.tail.index if pc.tail is not None else math.nan)
    out = {"law": name, "kappa": kappa, "reps": reps, "rows": rows, "true": true}
    for key, hits in cover.items():
        out[f"cover_{key}"] = hits / reps
        out[f"cover_{key}_ci"] = wilson(hits, reps)
    out["eta_conservative_exceeds"] = exceed / reps
    out["eta_conservative_exceeds_ci"] = wilson(exceed, reps)
    out["tail_bound_used"] = heavy / reps
    out["tail_index_median"] = float(np.nanmedian(tail_index)) if reps else math.nan
    out["seconds"] = time.perf_counter() - t0
    return out


def table(results: list[dict]) -> str:
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    ci = lambda v: f"{100 * v[0]:.0f}-{100 * v[1]:.0f}"  # noqa: E731
    lines = [
        "| law | covers λ_min | covers β | covers η | eta_conservative > η | tail bound used "
        "| Hill index of ‖x‖ (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['law']} | {pct(r['cover_lambda_min'])} ({ci(r['cover_lambda_min_ci'])}) "
            f"| {pct(r['cover_beta'])} ({ci(r['cover_beta_ci'])}) "
            f"| {pct(r['cover_eta'])} ({ci(r['cover_eta_ci'])}) "
            f"| {pct(r['eta_conservative_exceeds'])} ({ci(r['eta_conservative_exceeds_ci'])}) "
            f"| {pct(r['tail_bound_used'])} | {r['tail_index_median']:.3g} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=400)
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--alpha", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--laws", default=",".join(LAWS), help="comma-separated subset of the laws")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument(
        "--check", action="store_true", help="exit 1 when eta_conservative exceeds in > 5%%"
    )
    args = p.parse_args()
    results = []
    for name in args.laws.split(","):
        results.append(run_law(name, args.reps, args.rows, args.alpha, args.seed))
        print(f"{name}: {results[-1]['seconds']:.1f} s", flush=True)
    print(table(results))
    fails = [r["law"] for r in results if r["eta_conservative_exceeds"] > 0.05]
    print(
        "eta_conservative exceeds the true eta in at most 5% of repetitions for every law: "
        + ("yes" if not fails else f"NO ({', '.join(fails)})")
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {"results": results, "args": vars(args), "python": platform.python_version()},
                fh,
                indent=1,
            )
    return 1 if fails and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
