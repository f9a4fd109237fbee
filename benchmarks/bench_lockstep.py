"""Benchmark of runs in lockstep (issue 25, item 2): ``run_many`` with and without lockstep.

For each scheme and each stream, in one process, alternated (so that both see the same
background load), medians of ``--repeats`` after an untimed warm-up call each:

- ``one_by_one``: ``run_many(..., lockstep=False)``, the path before lockstep (one fused
  run after the other, :func:`convotron._compiled._kernels.run_draws`): the baseline;
- ``lockstep``: ``run_many(...)`` (blocks of ``LOCKSTEP_RUNS`` runs advanced together by
  :func:`convotron._compiled._kernels.run_lockstep`);
- ``draws``: only the draws of the same runs. numpy stream: as lockstep makes them (each
  run's generator through ``_kernels._updates`` in draw-only mode, into the block's
  buffer), the part of ``lockstep`` that lockstep does not vectorise. Fast stream: each
  run's stream's draw-only loop (``n`` normals per update into one vector, as
  ``compiled_floor_fast`` of ``bench_sampling.py``), the floor of lockstep's direct fast
  path, which copies each run's normals from its stream's block straight into the
  interleaved sample. In both, ``lockstep - draws`` is about the forward pass and the
  update of the block.

Both ``run_many`` calls use ``workers=1`` (the runs on the calling thread), so the thread's
CPU time is the work of one core; the two results are checked bitwise equal. Gaussian
inputs, identity covariance, no noise, ReLU, ``eta = 1e-3``.

Usage::

    python benchmarks/bench_lockstep.py [--repeats 5] [--runs 16] [--schemes S ...] [--json FILE]

No assertion: this measures and reports. Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numba
import numpy as np
from _timing import alternated, load_average, machine, write_json
from bench_rng import fast_loop
from numba import njit

from convotron._codes import Model, Recorder, RuleCode, RuleStep, Step
from convotron._compiled import _kernels, _rng
from convotron.geometry.patches import parse_spec
from convotron.learning import _sampling as S
from convotron.learning.many import _BUFFER_BYTES, LOCKSTEP_RUNS, run_many
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Teacher

#: (scheme, updates per run): the runs' length is set so that a call takes about a second.
SCHEMES = [("1d:16,4,2", 200_000), ("1d:64,8,2", 60_000), ("2d:32,32,5,5,1,1", 600)]


@njit(cache=True, nogil=True)
def _draw_blocks(wd, model, draws, fast, step, rec, iters, block, X, xi):  # pragma: no cover
    """Make a run's draws ``block`` updates at a time, as ``run_lockstep`` makes them."""
    done = 0
    while done < iters:
        u = min(block, iters - done)
        _kernels._updates(wd, model, None, draws, fast, step, rec, 0, u, (X, xi))
        done += u


def _draws_only(teacher, runs, iters, stream):
    """Return a function making only the draws of ``runs`` runs as lockstep makes them."""
    sc = teacher.scheme
    codes = S.source_codes(teacher.law, teacher.cov, teacher.noise)
    model = Model(np.ascontiguousarray(sc.indices, dtype=np.int64), 0.0)
    step = Step(1e-3, 1, RuleStep(int(RuleCode.CONVOTRON)))
    block = max(1, _BUFFER_BYTES // ((sc.n + 1) * 8 * LOCKSTEP_RUNS))
    X = np.zeros((LOCKSTEP_RUNS, block, sc.n + 1))
    xi = np.zeros((LOCKSTEP_RUNS, block))
    rec = Recorder(np.zeros(0), 0, np.zeros(1), -1.0, np.full(1, -1, np.int64))
    wd = np.zeros(sc.r)

    def go():
        seqs = np.random.SeedSequence(0).spawn(runs)
        for j, seq in enumerate(seqs):
            rng = np.random.default_rng(seq)
            fast = _rng.stream_from_generator(rng) if stream == "fast" else None
            if fast is not None:
                fast_loop(fast, iters, sc.n)  # the stream's draw-only loop, 64 per sample
                continue
            draws = S.draw_source(rng, sc.n, teacher.w_star, codes)
            b = j % LOCKSTEP_RUNS
            _draw_blocks(wd, model, draws, fast, step, rec, iters, block, X[b], xi[b])

    return go


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the runs' lengths")
    ap.add_argument("--schemes", nargs="*", help="only these schemes (default: all)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    load0 = load_average()
    try:
        cpu_name = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["lscpu"], capture_output=True, text=True
            ).stdout.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        cpu_name = "unknown"
    results = {"processor": cpu_name, "runs": args.runs, "lockstep_runs": LOCKSTEP_RUNS,
               "cases": []}  # fmt: skip
    print(f"processor: {cpu_name}; {args.runs} runs per call, blocks of {LOCKSTEP_RUNS}")
    print(f"{'scheme':>18} {'stream':>6} | ns/update (thread CPU): one-by-one  lockstep  draws"
          "  | speed-up  [wall speed-up]")  # fmt: skip
    for spec, iters in SCHEMES:
        if args.schemes and spec not in args.schemes:
            continue
        iters = max(1, int(iters * args.scale))
        teacher = Teacher.random(parse_spec(spec), 0.0, np.random.default_rng(1))
        for stream in ("numpy", "fast"):
            kw = dict(eta=1e-3, iters=iters, runs=args.runs, seed=0, workers=1, stream=stream)
            got = {}

            def run(lockstep, kw=kw, got=got, teacher=teacher):
                got[lockstep] = run_many(ConvotronRule(), teacher, lockstep=lockstep, **kw)

            fns = {"one_by_one": lambda: run(False), "lockstep": lambda: run(True),
                   "draws": _draws_only(teacher, args.runs, iters, stream)}  # fmt: skip
            wall, cpu = alternated(fns, args.repeats)
            assert np.array_equal(got[True].w, got[False].w), "lockstep is not bitwise"
            updates = args.runs * iters
            ns = {k: v / updates * 1e9 for k, v in cpu.items()}
            nsw = {k: v / updates * 1e9 for k, v in wall.items()}
            row = {"scheme": spec, "stream": stream, "iters": iters, "cpu_ns": ns,
                   "wall_ns": nsw, "speedup_cpu": ns["one_by_one"] / ns["lockstep"],
                   "speedup_wall": nsw["one_by_one"] / nsw["lockstep"]}  # fmt: skip
            results["cases"].append(row)
            print(f"{spec:>18} {stream:>6} | {ns['one_by_one']:26.1f} {ns['lockstep']:9.1f} "
                  f"{ns['draws']:6.1f}  | {row['speedup_cpu']:7.2f}x  [{row['speedup_wall']:.2f}x]",
                  flush=True)  # fmt: skip
    load1 = load_average()
    print(f"load average {load0} -> {load1}")
    results["machine"] = machine(load1, numba=numba.__version__)
    results["machine"]["load_average_start"] = load0
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
