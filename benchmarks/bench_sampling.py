"""Benchmark of samples drawn inside the compiled loop (issue 11 item 1) on 1d:64,8,2.

Four things, timed in one process, alternated (f1, f2, f3, f4, f1, ...) so that all see the
same background load, medians of ``--repeats``, after an untimed warm-up call each:

- ``floor``: numpy drawing the same Gaussian inputs in the same 4096-row chunks as today's
  chunked path (today's draw-only floor);
- ``chunked``: today's whole run, ``convotron(teacher.sample, ...)`` (numpy draws in chunks,
  compiled labels and updates);
- ``fused``: the whole run with every sample drawn inside the compiled loop,
  :func:`convotron.learning._sampling.fused_convotron` on numpy's stream (``stream="numpy"``;
  draws, labels, updates);
- ``compiled_floor``: a compiled loop that only draws the same 64 Gaussians per sample into a
  scratch vector (the new floor), ``bench_rng.numba_loop``;
- ``fused_fast`` and ``compiled_floor_fast`` (issue 25): the same two on the fast stream
  (``stream="fast"``, :mod:`convotron._compiled._rng`: xoshiro256++ lanes and a block ziggurat),
  the fast floor ``bench_rng.fast_loop``.

Both the wall-clock time and the CPU time of the calling thread are reported: on a shared
machine (more runnable threads than cores) wall time includes the time the thread waited for
a core, the thread's CPU time does not. Also reported: the compiled labels and updates of
today's kernels alone on one pre-drawn 4096-row chunk (``_kernels.predict_rows`` and
``_kernels.run_updates``), to say where the time of ``fused`` beyond the new floor goes.

Usage::

    python benchmarks/bench_sampling.py [--repeats 9] [--iters 1000000] [--json FILE]

No assertion: this measures and reports. Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys

import numba
import numpy as np
from _timing import alternated, draw_floor, load_average, machine, write_json
from bench_rng import fast_loop, numba_loop

from convotron._compiled import _kernels, _rng
from convotron.geometry.patches import parse_spec
from convotron.learning import _sampling as S
from convotron.learning.algorithm import convotron
from convotron.model.problem import Teacher

SPEC = "1d:64,8,2"
ALPHA = 0.0
ETA = 1e-3
CHUNK = 4096


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed repeats (median)")
    parser.add_argument("--iters", type=int, default=1_000_000, help="updates per timed call")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--per-law",
        action="store_true",
        help="also time the fused run of each law (gaussian noise 0.1) on both streams",
    )
    args = parser.parse_args(argv)
    iters = args.iters
    scheme = parse_spec(SPEC)
    n = scheme.n
    teacher = Teacher.random(scheme, ALPHA, np.random.default_rng(0))
    codes = S.source_codes(teacher.law, teacher.cov, teacher.noise)

    floor = draw_floor(n, iters, CHUNK)

    def chunked():
        convotron(teacher.sample, scheme, ALPHA, eta=ETA, iters=iters,
                  rng=np.random.default_rng(2), chunk=CHUNK)  # fmt: skip

    def fused():
        S.fused_convotron(n, scheme.indices, ALPHA, teacher.w_star, codes, eta=ETA,
                          iters=iters, rng=np.random.default_rng(2), stream="numpy")  # fmt: skip

    def compiled_floor():
        numba_loop(np.random.default_rng(2), iters, n)

    def fused_fast():
        S.fused_convotron(n, scheme.indices, ALPHA, teacher.w_star, codes, eta=ETA,
                          iters=iters, rng=np.random.default_rng(2), stream="fast")  # fmt: skip

    def compiled_floor_fast():
        fast_loop(_rng.fast_stream(2), iters, n)

    fns = {"floor": floor, "chunked": chunked, "fused": fused, "compiled_floor": compiled_floor,
           "fused_fast": fused_fast, "compiled_floor_fast": compiled_floor_fast}  # fmt: skip
    load0 = load_average()
    wall, cpu = alternated(fns, args.repeats)
    load1 = load_average()

    # today's compiled labels and updates alone, on one pre-drawn chunk (in cache)
    X = np.random.default_rng(1).standard_normal((CHUNK, n))
    idx = np.ascontiguousarray(scheme.indices)
    y = np.empty(CHUNK)

    def labels():
        _kernels.predict_rows(teacher.w_star, X, idx, ALPHA, y)

    def updates():
        _kernels.run_updates(
            np.zeros(scheme.r), X, y, idx, ALPHA, ETA, 1, -1, _kernels.MODE_CONVOTRON, 0.0,
            np.zeros(0), 0, 0, np.zeros(1), -1.0, np.full(1, -1, dtype=np.int64),
        )  # fmt: skip

    _, cpu_k = alternated({"labels": labels, "updates": updates}, 101)

    ns = {k: {"wall": 1e9 * wall[k] / iters, "cpu": 1e9 * cpu[k] / iters} for k in fns}
    per = {k: 1e9 * v / CHUNK for k, v in cpu_k.items()}
    results = {
        "scheme": SPEC,
        "iters": iters,
        "repeats": args.repeats,
        "machine": machine([load0, load1], numba=numba.__version__),
        "ns_per_update": ns,
        "fused_speedup_over_floor": {c: ns["floor"][c] / ns["fused"][c] for c in ("wall", "cpu")},
        "fused_over_compiled_floor": {
            c: ns["fused"][c] / ns["compiled_floor"][c] for c in ("wall", "cpu")
        },
        "chunked_over_floor": {c: ns["chunked"][c] / ns["floor"][c] for c in ("wall", "cpu")},
        "kernels_alone_cpu_ns_per_sample": per,
        "fused_updates_per_second_per_core": 1e9 / ns["fused"]["cpu"],
        "fused_fast_speedup_over_floor": {
            c: ns["floor"][c] / ns["fused_fast"][c] for c in ("wall", "cpu")
        },
        "fused_over_fused_fast": {c: ns["fused"][c] / ns["fused_fast"][c] for c in ("wall", "cpu")},
        "fused_fast_updates_per_second_per_core": 1e9 / ns["fused_fast"]["cpu"],
        "target": "floor / fused >= 1.15",
    }
    print(f"bench_sampling on {SPEC}, {iters} updates per call, median of {args.repeats} "
          f"(load average {load0} -> {load1})")  # fmt: skip
    print(f"{'':16}{'wall ns/update':>16}{'cpu ns/update':>16}")
    for k in fns:
        print(f"{k:16}{ns[k]['wall']:16.0f}{ns[k]['cpu']:16.0f}")
    sp = results["fused_speedup_over_floor"]
    fc = results["fused_over_compiled_floor"]
    cf = results["chunked_over_floor"]
    print(f"floor / fused (target >= 1.15): wall {sp['wall']:.2f}x, cpu {sp['cpu']:.2f}x")
    print(f"fused / compiled floor: wall {fc['wall']:.2f}x, cpu {fc['cpu']:.2f}x")
    print(f"chunked / floor: wall {cf['wall']:.2f}x, cpu {cf['cpu']:.2f}x")
    print(f"today's kernels alone (cpu ns/sample): labels {per['labels']:.0f}, "
          f"updates {per['updates']:.0f}")  # fmt: skip
    print(f"fused updates/s per core (cpu): {results['fused_updates_per_second_per_core']:.3g}")
    ff = results["fused_fast_speedup_over_floor"]
    nf = results["fused_over_fused_fast"]
    print(f"floor / fused_fast: wall {ff['wall']:.2f}x, cpu {ff['cpu']:.2f}x")
    print(f"fused (numpy stream) / fused_fast: wall {nf['wall']:.2f}x, cpu {nf['cpu']:.2f}x")
    print(f"fused_fast updates/s per core (cpu): "
          f"{results['fused_fast_updates_per_second_per_core']:.3g}")  # fmt: skip
    if args.per_law:
        results["per_law_cpu_ns_per_update"] = _per_law(scheme, teacher.w_star, iters // 5,
                                                        args.repeats)  # fmt: skip
    write_json(args.json, results)
    return 0


def _per_law(scheme, w_star, iters, repeats):
    """CPU ns per update of the fused run per law (gaussian noise 0.1), numpy vs fast stream."""
    from convotron.data.covariance import Identity
    from convotron.data.laws import LAWS, NoiseModel

    out = {}
    print(f"per law ({iters} updates per call, gaussian noise 0.1, cpu ns/update):")
    print(f"{'':12}{'numpy':>8}{'fast':>8}{'ratio':>8}")
    for law in ("gaussian", "uniform", "rademacher", "mixture", "student-t", "exponential"):
        codes = S.source_codes(LAWS[law], Identity(scheme.n), NoiseModel("gaussian", 0.1))

        def run(stream, codes=codes):
            S.fused_convotron(scheme.n, scheme.indices, ALPHA, w_star, codes, eta=ETA,
                              iters=iters, rng=np.random.default_rng(2), stream=stream)  # fmt: skip

        _, cpu = alternated({"numpy": lambda: run("numpy"), "fast": lambda: run("fast")}, repeats)
        ns = {k: 1e9 * v / iters for k, v in cpu.items()}
        out[law] = ns
        print(f"{law:12}{ns['numpy']:8.0f}{ns['fast']:8.0f}{ns['numpy'] / ns['fast']:7.2f}x")
    return out


if __name__ == "__main__":
    sys.exit(main())
