"""Scaling of ``convotron sweep`` from 1 to 2 local Dask workers (issue 11, item 6).

Runs the same grid with ``run_sweep(..., workers=1)`` and ``run_sweep(..., workers=2)`` (an
embedded ``LocalCluster`` of single-threaded worker processes each time, started inside the
timing, so the figures include the cluster's start-up), alternated, ``--repeats`` times each,
into fresh folders; checks that the two tables are identical; reports the median wall time,
the updates per second and the updates per second per worker (one worker = one core).

Usage::

    python benchmarks/bench_scaling.py [--repeats 3] [--runs 32] [--json FILE]

No assertion: this measures and reports. Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from convotron.glue.sweep import grid_from_args, run_sweep

AXES = {"scheme": "1d:16,4,2,1d:12,4,2", "alpha": "0,0.5", "eps": "0.01", "delta": "0.1"}


def _table(out: Path) -> list[dict]:
    rows = [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if "seconds" not in k} for row in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (median)")
    parser.add_argument("--runs", type=int, default=32, help="runs per cell")
    parser.add_argument("--chunk", type=int, default=4, help="runs per task")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    grid = grid_from_args(AXES, runs=args.runs, seed=11, chunk=args.chunk)
    times: dict[int, list[float]] = {1: [], 2: []}
    tables: dict[int, list[dict]] = {}
    updates = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for workers in (1, 2):
                out = Path(tmp) / f"w{workers}-{rep}"
                t0 = time.perf_counter()
                res = run_sweep(grid, out, workers=workers, progress=False, figures=False)
                times[workers].append(time.perf_counter() - t0)
                updates = res.updates
                tables[workers] = _table(out)
    identical = tables[1] == tables[2]
    med = {w: statistics.median(ts) for w, ts in times.items()}
    results = {
        "grid": AXES,
        "runs_per_cell": args.runs,
        "cells": len(grid.cells),
        "updates": updates,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
        "seconds": {str(w): ts for w, ts in times.items()},
        "median_seconds": {str(w): m for w, m in med.items()},
        "updates_per_second": {str(w): updates / m for w, m in med.items()},
        "updates_per_second_per_worker": {str(w): updates / m / w for w, m in med.items()},
        "speedup": med[1] / med[2],
        "identical_tables": identical,
    }
    load = results["machine"]["load_average_1min"]
    print(f"sweep of {len(grid.cells)} cells x {args.runs} runs = {updates:.3g} updates, "
          f"median of {args.repeats} (load average {load:.1f})")  # fmt: skip
    for w in (1, 2):
        each = ", ".join(f"{t:.1f}" for t in times[w])
        print(f"  {w} worker(s): {med[w]:7.2f} s  {updates / med[w]:.3g} updates/s  "
              f"{updates / med[w] / w:.3g} per worker   (all: {each})")  # fmt: skip
    print(f"  speed-up 1 -> 2 workers: {med[1] / med[2]:.2f}x; identical tables: {identical}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
