"""Where a lockstep run-update's time goes: the kernel with its parts taken out (issue 25).

Copies the tree three times into a temporary folder and edits the copies' kernel
(``convotron/_compiled/_kernels.py``, :func:`run_lockstep`, the in-step path of the default
gaussian law on the fast stream):

- ``whole``: unchanged;
- ``no_refill``: the refill of a run's normal block (``_rng._refill_block``) removed, so
  the block is reused: everything but the ziggurat and its xoshiro256++ lanes;
- ``no_refill_no_forward``: also the forward pass (``_forward_block``) removed: the copy
  into the interleaved sample, residuals, gradient, update and checks.

Each variant is a child process (``PYTHONPATH`` = its copy) timing ``run_many`` of
``--runs`` runs × ``--iters`` updates on ``1d:64,8,2``, one worker, process CPU per
run-update; the variants alternated ``--repeats`` times, medians. The differences are the
parts' costs: refill = whole − no_refill, forward = no_refill − no_refill_no_forward.
The edited copies compute wrong numbers; only their time means something.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/lockstep_parts.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_rng import cpu_name

TREE = Path(__file__).resolve().parents[1]
KERNEL = Path("convotron/_compiled/_kernels.py")
REFILL = "_rng._refill_block(fb.lanes, fb.aux, RAW, MANT, FLAGS, NRM[b])\n"
FORWARD = "_forward_block(XT, idxp, Wf, v, alpha, PXf, ZSf, F, FT)\n"

CHILD = r"""
import json, sys, time
import numpy as np
import convotron as ct
iters, runs = int(sys.argv[1]), int(sys.argv[2])
scheme = ct.parse_spec("1d:64,8,2")
teacher = ct.Teacher.random(scheme, 0.0, np.random.default_rng(0))
def go(t):
    return ct.run_many(ct.ConvotronRule(), teacher, eta=0.5 / scheme.k, iters=t, runs=runs,
                       seed=1, workers=1)
go(max(100, iters // 50))  # compile and warm up
t0 = time.process_time()
go(iters)
print(json.dumps({"ns": (time.process_time() - t0) / (iters * runs) * 1e9}))
"""


def _variant(root: Path, name: str, cuts: list[str]) -> Path:
    """Copy the package into ``root/name`` and replace each line ending in ``cuts`` by ``pass``."""
    dest = root / name
    shutil.copytree(
        TREE / "convotron", dest / "convotron", ignore=shutil.ignore_patterns("__pycache__")
    )
    path = dest / KERNEL
    text = path.read_text()
    for cut in cuts:
        lines = [ln for ln in text.splitlines(keepends=True) if ln.strip() == cut.strip()]
        if len(lines) != 1:  # the kernel changed: this script must be brought up to date
            sys.exit(f"expected the line {cut.strip()!r} once in {KERNEL}, found {len(lines)}")
        indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
        text = text.replace(lines[0], f"{indent}pass\n")
    path.write_text(text)
    return dest


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=60_000)
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trees = {
            "whole": _variant(root, "whole", []),
            "no_refill": _variant(root, "no_refill", [REFILL]),
            "no_refill_no_forward": _variant(root, "no_refill_no_forward", [REFILL, FORWARD]),
        }
        times: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(args.iters), str(args.runs)],
                    env=dict(os.environ, PYTHONPATH=str(tree)),
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=tree,
                )
                times[name].append(json.loads(out.stdout.strip().splitlines()[-1])["ns"])
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"1d:64,8,2, {args.runs} runs x {args.iters} updates, fast stream, one worker, "
        f"process CPU ns per run-update, medians of {args.repeats}; {cpu_name()}"
    )
    for k, v in times.items():
        print(f"  {k:22s} {med[k]:7.1f}   {[round(x, 1) for x in v]}")
    parts = {
        "refill (ziggurat + lanes)": med["whole"] - med["no_refill"],
        "forward pass": med["no_refill"] - med["no_refill_no_forward"],
        "the rest": med["no_refill_no_forward"],
    }
    for k, v in parts.items():
        print(f"  {k:26s} {v:6.1f} ns  ({v / med['whole']:.0%})")
    if args.json:
        args.json.write_text(json.dumps({"times": times, "medians": med, "parts": parts}))


if __name__ == "__main__":
    main()
