"""Timing helpers shared by the benchmark scripts (``bench_core``, ``bench_sampling``).

The scripts run as ``python benchmarks/bench_*.py``, so this module is imported by name
(the script's folder is first on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

import numpy as np


def alternated(fns, repeats):
    """Median wall and thread-CPU seconds of each ``fn()``, calls interleaved, after a warm-up.

    ``fns`` maps names to functions. Interleaving (f1, f2, ..., f1, f2, ...) exposes every
    function to the same background load, so their ratios are more stable than those of
    separate series on a shared machine. Returns ``(wall, cpu)``, two dicts keyed like ``fns``.
    """
    for fn in fns.values():
        fn()
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            c0, w0 = time.thread_time(), time.perf_counter()
            fn()
            wall[key].append(time.perf_counter() - w0)
            cpu[key].append(time.thread_time() - c0)
    return (
        {k: statistics.median(v) for k, v in wall.items()},
        {k: statistics.median(v) for k, v in cpu.items()},
    )


def draw_floor(n, iters, chunk):
    """Return a function drawing ``iters`` Gaussian rows of width ``n`` in ``chunk``-row blocks.

    The draw-only floor of a run on fresh Gaussian samples (numpy, seed 2, as the runs timed).
    """

    def floor():
        rng = np.random.default_rng(2)
        for s in range(0, iters, chunk):
            rng.standard_normal((min(chunk, iters - s), n))

    return floor


def load_average():
    """The 1-minute load average, or None where the platform has none."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def machine(load_average_1min, **versions):
    """The ``machine`` entry of a benchmark's JSON: Python, numpy, ``versions``, CPUs, load."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
        "cpus": os.cpu_count(),
        "load_average_1min": load_average_1min,
    }


def write_json(path, results):
    """Write ``results`` as indented JSON to ``path`` (nothing when ``path`` is None)."""
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
            fh.write("\n")
