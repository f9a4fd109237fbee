"""Sweep scaling: many one-run cells, with constant cost per cell (issue 23, item 4).

Runs ``convotron sweep``'s engine (:func:`convotron.glue.sweep.run_sweep`, inline: no Dask, so
the figures are the sweep's own cost, not the scheduler's) on a grid of ``--cells`` cells of
one run and one teacher each (``1d:8,4,2``, ε, δ and ‖w*‖ varied), and records

- the wall time in total and per cell, and the cost of a finished cell (rows appended to
  ``sweep.jsonl``) in the first and the last fifth of the rows, as wall time and as the
  process's CPU time (``time.process_time``: the wall rate moves with the machine's load,
  the CPU cost does not): equal costs mean the cost per cell does not grow with the number
  of finished cells (it grew linearly before: every finished cell rewrote the whole table);
- the peak resident memory of the process (``ru_maxrss``).

Usage::

    nice python benchmarks/bench_sweep.py [--cells 100000] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path


def _grid(cells: int):
    from convotron.glue.sweep import grid_from_args

    w = 10 if cells >= 1000 else 1
    d = 100 if cells >= 10_000 else 10 if cells >= 100 else 1
    e = max(1, cells // (w * d))

    def values(lo: float, hi: float, count: int) -> str:
        if count == 1:
            return f"{lo}"
        return ",".join(f"{lo + (hi - lo) * i / (count - 1):.12g}" for i in range(count))

    axes: dict[str, str | None] = {
        "scheme": "1d:8,4,2",
        "eps": values(0.3, 0.9, e),
        "delta": values(0.2, 0.9, d),
        "w_norm": values(0.5, 1.0, w),
    }
    return grid_from_args(axes, runs=1, seed=0, chunk=1, teachers=1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, default=100_000)
    p.add_argument("--out", default=None, help="sweep folder (default: a temporary folder)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE (JSON)")
    args = p.parse_args(argv)

    from convotron.glue.sweep import run_sweep

    t0 = time.perf_counter()
    grid = _grid(args.cells)
    t_grid = time.perf_counter() - t0
    tmp = None if args.out else tempfile.TemporaryDirectory(prefix="bench-sweep-")
    out = Path(args.out or tmp.name)  # type: ignore[union-attr]
    samples: list[tuple[float, int, float]] = []
    stop = threading.Event()

    def watch() -> None:  # count appended rows once a second (reads only new bytes)
        path, seen, pos = out / "sweep.jsonl", 0, 0
        while not stop.wait(1.0):
            try:
                with open(path, "rb") as fh:
                    fh.seek(pos)
                    chunk = fh.read()
            except OSError:
                continue
            seen += chunk.count(b"\n")
            pos += len(chunk)
            samples.append((time.perf_counter() - t0, seen, time.process_time()))

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    res = run_sweep(grid, out, scheduler="inline", progress=False, figures=False)
    stop.set()
    th.join()
    total = time.perf_counter() - t0
    n = len(res.rows)
    # rate of appended rows in the first and the last fifth of the rows
    rates: dict[str, float] = {}
    cpu_ms: dict[str, float] = {}
    ran = [s for s in samples if 0 < s[1] < n]
    if len(ran) >= 10:
        for name, lo, hi in (("first_fifth", 0.0, 0.2), ("last_fifth", 0.8, 1.0)):
            part = [s for s in ran if lo * n <= s[1] <= hi * n]
            rows = part[-1][1] - part[0][1] if len(part) >= 2 else 0
            if rows > 0 and part[-1][0] > part[0][0]:
                rates[name] = rows / (part[-1][0] - part[0][0])
                cpu_ms[name] = 1000 * (part[-1][2] - part[0][2]) / rows
    first_row = next((t for t, c, _ in samples if c > 0), math.nan)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    done = sum(1 for r in res.rows if r["status"] == "done")
    result = {
        "cells": n,
        "cells_done": done,
        "seconds_total": round(total, 1),
        "seconds_grid": round(t_grid, 2),
        "seconds_to_first_row": round(first_row, 1),
        "ms_per_cell": round(1000 * total / max(1, n), 2),
        "rows_per_second": {k: round(v, 1) for k, v in rates.items()},
        "cpu_ms_per_row": {k: round(v, 3) for k, v in cpu_ms.items()},
        "cpu_seconds": round(time.process_time(), 1),
        "peak_rss_mib": round(peak_mib),
        "table_bytes": (out / "sweep.csv").stat().st_size,
    }
    if tmp is not None:
        tmp.cleanup()
    for k, v in result.items():
        print(f"{k:24s} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if done == n else 1


if __name__ == "__main__":
    sys.exit(main())
