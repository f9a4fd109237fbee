"""Print the planned cost of every case of a verify mode, without running any.

Usage::

    python benchmarks/plan_verify.py --mode full

For each case: the theorem's ``T`` (or the fixed iterations of a control), the runs, the
updates (``T x runs``) and the modelled work of one run against the per-run limit
(:func:`convotron.glue.verify.suite.plan_suite`, which ``verify`` itself calls before its
first run). Nothing is drawn or run.
"""

from __future__ import annotations

import argparse

from convotron._limits import MAX_RUN_WORK
from convotron.glue import verify as V
from convotron.glue.verify import suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sorted(V.MODES), default="full")
    args = ap.parse_args()
    mode = V.MODES[args.mode]
    planned = suite.plan_suite(
        V.default_cases(args.mode),
        runs=int(mode["runs"]),
        max_updates=mode["max_updates"],
        control_iters=int(mode["control_iters"]),
    )
    print(f"{'case':26s} {'T':>10s} {'runs':>5s} {'updates':>10s} {'run/limit':>9s}  refusal")
    total = 0.0
    for p in planned:
        total += p.updates
        iters = "-" if p.iters is None else str(p.iters)
        print(f"{p.case.name:26s} {iters:>10s} {p.runs:5d} {p.updates:10.3g} "
              f"{p.run_work / MAX_RUN_WORK:9.2%}  {p.refusal or ''}")  # fmt: skip
    print(f"total updates {total:.4g}")


if __name__ == "__main__":
    main()
