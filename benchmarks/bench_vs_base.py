"""``run_many`` updates per second per core: this tree against another checkout (issue 25, item 3).

The issue's target is ``run_many`` at >= 3x "today's" updates per second per core, today being
the commit the issue was filed against (e461165). Two versions of one package cannot be
imported in one process, so each measurement is a child process (``PYTHONPATH`` = a tree),
the trees alternated ``--repeats`` times (the machine is shared and noisy: medians of the
alternated pairs, and each pair's ratio). Each child compiles and warms up first (a short
run_many of the same shape), then times one ``run_many`` of ``--runs`` runs of ``--iters``
updates with ``workers=1`` in process CPU time (all of the process's threads, so a second
thread would be counted). Only the public API, the same call on both trees, with the
defaults of each tree (its default stream and lockstep setting) unless ``--stream`` is given.

Usage::

    git worktree add --detach /tmp/base e461165
    PYTHONPATH=. .venv/bin/python benchmarks/bench_vs_base.py --base /tmp/base --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import numpy as np
import convotron as ct
spec, iters, runs, stream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
scheme = ct.parse_spec(spec)
teacher = ct.Teacher.random(scheme, 0.0, np.random.default_rng(0))
eta = 0.5 / scheme.k
kw = {} if stream == "default" else {"stream": stream}
def go(t, n):
    return ct.run_many(ct.ConvotronRule(), teacher, eta=eta, iters=t, runs=n, seed=1,
                       workers=1, **kw)
go(max(100, iters // 50), runs)  # compile and warm up
t0 = time.process_time()
res = go(iters, runs)
cpu = time.process_time() - t0
print(json.dumps({"ns": cpu / (iters * runs) * 1e9,
                  "w0": float(np.asarray(res.w)[0, 0]) if np.ndim(res.w) == 2 else None}))
"""


def _child(tree: Path, python: str, spec: str, iters: int, runs: int, stream: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [python, "-c", CHILD, spec, str(iters), str(runs), stream],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["ns"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", type=Path, required=True, help="the other checkout (e.g. e461165)")
    p.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    p.add_argument("--scheme", default="1d:64,8,2")
    p.add_argument("--iters", type=int, default=60_000)
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--stream", default="default", help="pass stream= to this tree's run_many")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    a = p.parse_args()
    base, new, ratios = [], [], []
    for i in range(a.repeats):
        order = [(a.base, base, "default"), (a.tree, new, a.stream)]
        if i % 2:
            order.reverse()
        for tree, acc, stream in order:
            acc.append(_child(tree, a.python, a.scheme, a.iters, a.runs, stream))
        ratios.append(base[-1] / new[-1])
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(
        f"{a.scheme}, {a.runs} runs x {a.iters} updates, workers=1, process CPU ns per update,"
        f" medians of {a.repeats} alternated pairs; {cpu}"
    )
    print(f"  base {a.base}: {statistics.median(base):8.1f}   {[round(x) for x in base]}")
    print(
        f"  this {a.tree} (stream {a.stream}): {statistics.median(new):8.1f}   "
        f"{[round(x) for x in new]}"
    )
    print(
        f"  speed-up (base / this, per pair): median {statistics.median(ratios):.2f}x  "
        f"{[round(x, 2) for x in ratios]}"
    )
    if a.json is not None:
        figures = {
            "cpu": cpu,
            "scheme": a.scheme,
            "runs": a.runs,
            "iters": a.iters,
            "stream": a.stream,
            "base_ns": base,
            "this_ns": new,
            "ratios": ratios,
            "median_ratio": statistics.median(ratios),
        }
        a.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
