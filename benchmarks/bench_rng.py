"""ns per standard normal and per exponential: numpy, numba's Generator, the fast stream (issue 25).

Three ways to draw the 64 normals of a ``1d:64,8,2`` sample, timed in one process,
alternated (f1, f2, f3, f1, ...) so all see the same background load, medians of
``--repeats``, after an untimed warm-up call each; thread CPU time and wall time:

- ``numpy``: ``Generator.standard_normal`` filling ``(4096, 64)`` chunks (today's floor);
- ``numba``: numba's compiled ``Generator.standard_normal`` in a compiled loop, 64 per sample
  into a scratch vector (the draw of today's fused loop);
- ``fast``: :mod:`convotron._compiled._rng` in a compiled loop, 64 per sample into the same vector.

and the same for the exponential law's ``E − 1`` (``_exp`` rows: numpy's
``standard_exponential((4096, 64)) − 1``, numba's compiled ``standard_exponential() − 1``,
the fast stream's exponential ziggurat through its ``_exp_chunk``). The fast stream's
former exponential, ``(g_1² + g_2²)/2 − 1`` from two of its normals, was a fourth row until
the ziggurat replaced it (its figures: benchmarks/README.md).

Usage::

    python benchmarks/bench_rng.py [--repeats 7] [--normals 12800000] [--json FILE]

No assertion: this measures and reports (figures in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numba
import numpy as np
from _timing import alternated, load_average, machine, write_json
from numba import njit

from convotron._codes import LawCode
from convotron._compiled import _kernels
from convotron._compiled import _rng as R

N = 64
CHUNK = 4096


@njit(cache=True, nogil=True)
def numba_loop(rng, samples, n):  # pragma: no cover - compiled
    """``samples`` times: ``n`` normals of numba's Generator into one scratch vector.

    Drawn by the fused loop's own draw, ``_kernels._draw_z``; also ``bench_sampling``'s
    compiled floor.
    """
    x = np.zeros(n)
    s = 0.0
    for _ in range(samples):
        _kernels._draw_z(rng, LawCode.GAUSSIAN, x, n)
        s += x[0]
    return s


@njit(cache=False, nogil=True)  # a cache would not see a change of _rng
def fast_loop(st, samples, n):  # pragma: no cover - compiled
    """``samples`` times: ``n`` normals of the fast stream into one scratch vector.

    The stream's arrays are read once and its block loop written out, as the fused loop's
    kernel does (``_rng.fill_normal(st, ...)`` per sample costs about twice as much); also
    ``bench_sampling``'s fast floor.
    """
    x = np.zeros(n)
    s = 0.0
    normals = st.normals
    pos = st.pos
    lanes, aux, raw, mant, flags = st.lanes, st.aux, st.raw, st.mant, st.flags
    for _ in range(samples):
        j = 0
        while j < n:
            p = pos[1]
            if p >= R.BLOCK:
                R._refill_block(lanes, aux, raw, mant, flags, normals)
                p = 0
            m = min(n - j, R.BLOCK - p)
            ju = np.uint64(j)  # unsigned, as the kernel's copy: vectorised
            pu = np.uint64(p)
            for c in range(np.uint64(m)):
                x[ju + c] = normals[pu + c]
            pos[1] = p + m
            j += m
        s += x[0]
    return s


@njit(cache=True, nogil=True)
def numba_exp_loop(rng, samples, n):  # pragma: no cover - compiled
    """``samples`` times: ``n`` values ``E − 1`` of numba's Generator into one scratch vector."""
    x = np.zeros(n)
    s = 0.0
    for _ in range(samples):
        for j in range(n):
            x[j] = rng.standard_exponential() - 1.0
        s += x[0]
    return s


@njit(cache=False, nogil=True)  # a cache would not see a change of _rng
def fast_exp_loop(st, samples, n):  # pragma: no cover - compiled
    """``samples`` times: ``n`` values ``E − 1`` of the fast stream into one scratch vector.

    Through the stream's own ``_rng._exp_chunk``, one call per refill chunk (the fused loop,
    ``_kernels._updates``, has that loop written out: 2.16 ns per value measured that way,
    2.20 through the call, in separate runs on one machine; benchmarks/README.md).
    """
    x = np.zeros(n)
    s = 0.0
    lanes, aux, words, pos = st.lanes, st.aux, st.words, st.pos
    for _ in range(samples):
        j = 0
        while j < n:  # the word queue refilled where empty, then a chunk of it
            if pos[0] >= R.BLOCK:
                R._refill(lanes, words)
                pos[0] = 0
            m = min(n - j, R.BLOCK - pos[0])
            R._exp_chunk(words, pos[0], m, aux, x, j)
            pos[0] += m
            j += m
        s += x[0]
    return s


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median)")
    parser.add_argument("--normals", type=int, default=12_800_000, help="normals per call")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    samples = args.normals // N
    total = samples * N
    rng_numpy = np.random.default_rng(1)
    rng_numba = np.random.default_rng(2)
    st = R.fast_stream(3)
    st_exp = R.fast_stream(4)

    def numpy_chunks():
        for s in range(0, samples, CHUNK):
            rng_numpy.standard_normal((min(CHUNK, samples - s), N))

    def numpy_exp_chunks():
        for s in range(0, samples, CHUNK):
            rng_numpy.standard_exponential((min(CHUNK, samples - s), N)) - 1.0

    fns = {
        "numpy": numpy_chunks,
        "numba": lambda: numba_loop(rng_numba, samples, N),
        "fast": lambda: fast_loop(st, samples, N),
        "numpy_exp": numpy_exp_chunks,
        "numba_exp": lambda: numba_exp_loop(rng_numba, samples, N),
        "fast_exp": lambda: fast_exp_loop(st_exp, samples, N),
    }
    load0 = load_average()
    wall, cpu = alternated(fns, args.repeats)
    load1 = load_average()
    name = cpu_name()
    print(f"processor: {name}; load average {load0} -> {load1}")
    print(f"{total} normals (or exponentials) per call, medians of {args.repeats}")
    print("| ns per value | wall | thread CPU |")
    print("|---|---:|---:|")
    for key in fns:
        print(f"| {key} | {wall[key] / total * 1e9:.2f} | {cpu[key] / total * 1e9:.2f} |")
    print("| ratio | wall | thread CPU |")
    print("|---|---:|---:|")
    pairs = [("numba", "fast"), ("numpy", "fast"), ("numpy", "numba")]
    pairs += [("numba_exp", "fast_exp"), ("numpy_exp", "fast_exp")]
    for a, b in pairs:
        print(f"| {a} / {b} | {wall[a] / wall[b]:.2f}x | {cpu[a] / cpu[b]:.2f}x |")
    if args.json:
        write_json(
            args.json,
            {
                "machine": machine(load0, numpy=np.__version__, numba=numba.__version__),
                "processor": name,
                "normals_per_call": total,
                "ns_per_normal_wall": {k: wall[k] / total * 1e9 for k in fns},
                "ns_per_normal_cpu": {k: cpu[k] / total * 1e9 for k in fns},
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
