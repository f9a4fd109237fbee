"""False-rejection rate of the α = 1 curve check (``lem-linear-mse``) per step factor.

For each step factor and each seed, runs the ``linear-mse-curve`` case of ``convotron verify``
(its teacher, its 1000 runs of 1500 iterations, the exact recursion with the correct
constants) and applies both statistics to the same runs:

* ``groups``: the check as shipped (:func:`convotron.glue.verify.mse.curve_statistics`,
  group means, Student t with ``GROUPS − 1`` df, limit ``Z_LIMIT``);
* ``per-run z``: the former statistic (the z of the mean of single runs with their standard
  deviation, limit 5).

Every rejection here is a false rejection (the curve is exact). Usage::

    PYTHONPATH=. python benchmarks/mse_check_rate.py --seeds 50 --factors 1,8,16,32,48

Prints one line per factor and, with ``--json FILE``, writes the counts.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np


def _old_statistics(H: np.ndarray, exact: np.ndarray) -> float:
    mean, se = H.mean(0), H.std(0, ddof=1) / math.sqrt(H.shape[0])
    z = np.abs((mean[1:] - exact[1:]) / se[1:])
    half = H.shape[1] // 2
    per_run = H[:, half:].mean(1)
    z_avg = (per_run.mean() - exact[half:].mean()) / (per_run.std(ddof=1) / math.sqrt(len(H)))
    return float(max(np.max(z), abs(z_avg)))


def main() -> None:
    from convotron.glue.verify import default_cases, mse
    from convotron.glue.verify.suite import _case_seed, _parameters

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--factors", default="1,8,16,32,48")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    case = next(c for c in default_cases("quick") if c.name == "linear-mse-curve")
    tp = _parameters(case)
    problem = tp.problem
    out = {}
    for factor in [float(f) for f in args.factors.split(",")]:
        t0 = time.perf_counter()
        new_rej, old_rej, worst = [], [], 0.0
        for seed in range(args.seeds):
            teacher_ss, runs_ss, _, _ = _case_seed(seed, case.name).spawn(4)
            teacher = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=1.0)
            _, _, exact, H = mse._curve_runs(teacher, tp, runs_ss, runs=mse.MIN_RUNS,
                                             workers=args.workers, eta_factor=factor)  # fmt: skip
            max_t, t_avg = mse.curve_statistics(H, exact)
            stat = max(max_t, abs(t_avg))
            worst = max(worst, stat)
            if stat >= mse.Z_LIMIT:
                new_rej.append(seed)
            if _old_statistics(H, exact) >= 5.0:
                old_rej.append(seed)
        out[factor] = {"seeds": args.seeds, "groups_rejected": new_rej,
                       "per_run_z_rejected": old_rej, "groups_max_abs_t": worst,
                       "seconds": time.perf_counter() - t0}  # fmt: skip
        print(
            f"eta factor {factor:g}: groups {len(new_rej)}/{args.seeds} rejected "
            f"(largest |t| {worst:.2f}, limit {mse.Z_LIMIT:g}); per-run z {len(old_rej)}/"
            f"{args.seeds} rejected (limit 5); {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
