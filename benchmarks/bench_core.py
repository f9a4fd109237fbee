"""Benchmark of the numerical core on the scheme 1d:64,8,2 (n=64, r=8, k=29).

Measured in one process, median of ``--repeats`` timings each, after a warm-up call that
excludes numba's compilation / cache loading:

(a) the compiled loop (``convotron_on_data``) against the readable per-sample numpy loop
    (``convotron_reference``), both fed the same pre-drawn samples; target >= 30x;
(b) a whole run on fresh Gaussian samples against the time only to draw the same Gaussian
    inputs with numpy in 4096-row chunks (the floor): both the chunked path
    (``convotron(teacher.sample, ...)``, a ``Sampler``: numpy draws in chunks, compiled labels
    and updates; target <= 1.5x the floor) and the default path of a ``Teacher``
    (``fit(ConvotronRule(), teacher, ...)``: the samples drawn inside the compiled loop,
    sample by sample, :mod:`convotron.learning._sampling`; below the floor);
(c) ``run_many`` (the default, fused path) with 1 and with 2 worker threads on the same
    seeds; target near-linear scaling (speed-up close to 2 on two free cores).

Usage::

    python benchmarks/bench_core.py [--repeats 5] [--quick] [--json FILE]

No assertion: this measures and reports. Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import alternated, draw_floor, load_average, machine, write_json

from convotron.geometry.patches import parse_spec
from convotron.learning.algorithm import convotron, convotron_on_data, convotron_reference, fit
from convotron.learning.many import run_many
from convotron.learning.rules import ConvotronRule
from convotron.model.problem import Teacher

SPEC = "1d:64,8,2"
ALPHA = 0.0
ETA = 1e-3
CHUNK = 4096


def median_times(fns, repeats):
    """Median wall time of each ``fn()``, the calls interleaved, after one untimed warm-up each."""
    wall, _ = alternated(dict(enumerate(fns)), repeats)
    return list(wall.values())


def bench_a(scheme, teacher, repeats, m_ref):
    X, y = teacher.sample(np.random.default_rng(1), m_ref)
    t_ref, t_fast = median_times(
        [
            lambda: convotron_reference(X, y, scheme, ALPHA, eta=ETA),
            lambda: convotron_on_data(X, y, scheme, ALPHA, eta=ETA),
        ],
        repeats,
    )
    ref = convotron_reference(X, y, scheme, ALPHA, eta=ETA)[-1]
    fast = convotron_on_data(X, y, scheme, ALPHA, eta=ETA).w
    assert np.max(np.abs(ref - fast)) <= 1e-12, "compiled and readable loops disagree"
    return {
        "samples": m_ref,
        "reference_ns_per_update": 1e9 * t_ref / m_ref,
        "compiled_ns_per_update": 1e9 * t_fast / m_ref,
        "speedup": t_ref / t_fast,
        "target": ">= 30",
    }


def bench_b(scheme, teacher, repeats, iters):
    floor = draw_floor(scheme.n, iters, CHUNK)

    def whole():
        convotron(teacher.sample, scheme, ALPHA, eta=ETA, iters=iters,
                  rng=np.random.default_rng(2), chunk=CHUNK)  # fmt: skip

    def fused():
        fit(ConvotronRule(), teacher, scheme, ALPHA, eta=ETA, iters=iters,
            rng=np.random.default_rng(2))  # fmt: skip

    t_floor, t_run, t_fused = median_times([floor, whole, fused], repeats)
    return {
        "iters": iters,
        "draw_only_ns_per_sample": 1e9 * t_floor / iters,
        "whole_run_ns_per_update": 1e9 * t_run / iters,
        "ratio_to_floor": t_run / t_floor,
        "fused_run_ns_per_update": 1e9 * t_fused / iters,
        "fused_ratio_to_floor": t_fused / t_floor,
        "target": "<= 1.5",
    }


def bench_c(teacher, repeats, runs, iters):
    kw = dict(eta=ETA, iters=iters, runs=runs, seed=7)
    t1, t2 = median_times(
        [
            lambda: run_many(ConvotronRule(), teacher, workers=1, **kw),
            lambda: run_many(ConvotronRule(), teacher, workers=2, **kw),
        ],
        repeats,
    )
    same = np.array_equal(
        run_many(ConvotronRule(), teacher, workers=1, **kw).w,
        run_many(ConvotronRule(), teacher, workers=2, **kw).w,
    )
    return {
        "runs": runs,
        "iters_per_run": iters,
        "one_worker_s": t1,
        "two_workers_s": t2,
        "speedup": t1 / t2,
        "identical_results": bool(same),
        "target": "close to 2",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (median)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    scheme = parse_spec(SPEC)
    teacher = Teacher.random(scheme, ALPHA, np.random.default_rng(0))
    results = {
        "scheme": SPEC,
        "machine": machine(load_average()),
        "repeats": args.repeats,
        "a_compiled_vs_readable": bench_a(scheme, teacher, args.repeats, 20_000 // scale),
        "b_whole_run_vs_draw_floor": bench_b(scheme, teacher, args.repeats, 1_000_000 // scale),
        "c_run_many_1_vs_2_workers": bench_c(teacher, args.repeats, 8, 200_000 // scale),
    }
    a, b, c = (results[k] for k in list(results)[3:])
    rows = [
        ("(a) compiled vs readable loop", f"{a['reference_ns_per_update']:.0f} ns vs "
         f"{a['compiled_ns_per_update']:.0f} ns per update", f"{a['speedup']:.1f}x", ">= 30x"),
        ("(b) whole run vs draw-only floor", f"{b['whole_run_ns_per_update']:.0f} ns vs "
         f"{b['draw_only_ns_per_sample']:.0f} ns per sample", f"{b['ratio_to_floor']:.2f}x",
         "<= 1.5x"),
        ("(b') default fused run vs floor", f"{b['fused_run_ns_per_update']:.0f} ns vs "
         f"{b['draw_only_ns_per_sample']:.0f} ns per sample", f"{b['fused_ratio_to_floor']:.2f}x",
         "< 1x"),
        ("(c) run_many 1 vs 2 workers", f"{c['one_worker_s']:.2f} s vs {c['two_workers_s']:.2f} s"
         f" ({c['runs']} runs x {c['iters_per_run']})", f"{c['speedup']:.2f}x", "~2x"),
    ]  # fmt: skip
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"bench_core on {SPEC}, median of {args.repeats} (load average "
          f"{results['machine']['load_average_1min']})")  # fmt: skip
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, width, strict=True)))
    print(f"run_many results identical for 1 and 2 workers: {c['identical_results']}")
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
