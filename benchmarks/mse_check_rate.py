"""False-rejection rate of the α = 1 curve check (``lem-linear-mse``) per step factor.

For each step factor and each seed, runs the ``linear-mse-curve`` case of ``convotron verify``
(its teacher, its 1000 runs of 1500 iterations, the exact recursion with the correct
constants) and applies both statistics to the same runs:

* ``check``: the check as shipped (:func:`convotron.glue.verify.mse.curve_statistics`: a
  deviation rejects when both the group-mean t and the single-run z exceed their limits);
* ``groups`` alone (group means, Student t with ``GROUPS − 1`` df, limit ``Z_LIMIT``);
* ``per-run z`` alone: the former statistic (the z of the mean of single runs with their
  standard deviation, limit 5).

Every rejection here is a false rejection (the curve is exact). Usage::

    PYTHONPATH=. python benchmarks/mse_check_rate.py --seeds 50 --factors 1,8,16,32,48

Prints one line per factor and, with ``--json FILE``, writes the counts.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    from convotron.glue.verify import default_cases, mse
    from convotron.glue.verify.suite import _case_seed, _parameters

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--factors", default="1,8,16,32,48")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--groups", type=int, default=mse.GROUPS, help="groups of runs (default: the check's)"
    )
    args = ap.parse_args()
    case = next(c for c in default_cases("quick") if c.name == "linear-mse-curve")
    tp = _parameters(case)
    problem = tp.problem
    out = {}
    for factor in [float(f) for f in args.factors.split(",")]:
        t0 = time.perf_counter()
        rej: dict[str, list[int]] = {"check": [], "groups": [], "per-run z": []}
        worst = 0.0
        for seed in range(args.seeds):
            teacher_ss, runs_ss, _, _ = _case_seed(seed, case.name).spawn(4)
            teacher = problem.random_teacher(np.random.default_rng(teacher_ss), w_norm=1.0)
            _, _, exact, H = mse._curve_runs(teacher, tp, runs_ss, runs=mse.MIN_RUNS,
                                             workers=args.workers, eta_factor=factor)  # fmt: skip
            st = mse.curve_statistics(H, exact)
            worst = max(worst, st.score)
            if st.rejected:
                rej["check"].append(seed)
            if max(st.group_max_t, abs(st.group_average_t)) >= mse.Z_LIMIT:
                rej["groups"].append(seed)
            if max(st.run_max_z, abs(st.run_average_z)) >= mse.RUN_Z_LIMIT:
                rej["per-run z"].append(seed)
        out[factor] = {"seeds": args.seeds, "rejected": rej, "largest_score": worst,
                       "seconds": time.perf_counter() - t0}  # fmt: skip
        print(
            f"eta factor {factor:g}: check {len(rej['check'])}/{args.seeds} rejected (largest "
            f"score {worst:.2f}, rejected at 1); groups alone {len(rej['groups'])}, per-run z "
            f"alone {len(rej['per-run z'])}; {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
