"""Start-up benchmark of the command line (issue 9, "fast start").

Requirement: ``convotron --help`` within 3x of ``python -c "import numpy"``. Each command is
run as a fresh subprocess (the same interpreter, the same environment), ``--runs`` times, the
two sides of each ratio alternately (so both see the same background load), after one untimed
warm-up run of each (the file-system and bytecode caches); the figure is the ratio of the
medians. ``convotron check --scheme 1d:16,4,2`` (which needs sympy, but neither numba nor
scipy) is reported too, against the same baseline. No timing is asserted in the tests;
``tests/test_startup.py`` checks deterministically which modules building the parser loads.

Run (from the repository root, with the package importable):
``PYTHONPATH=. .venv/bin/python benchmarks/bench_startup.py [--runs 21] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import numpy"]
#: What the ``convotron`` console script runs (``convotron.cli:main``), without the wrapper.
ENTRY = [sys.executable, "-c", "import sys; from convotron.cli import main; sys.exit(main())"]
COMMANDS = {
    "convotron --help": [*ENTRY, "--help"],
    "convotron check --scheme 1d:16,4,2": [*ENTRY, "check", "--scheme", "1d:16,4,2"],
}
#: The requirement on ``--help`` (ratio of medians).
HELP_LIMIT = 3.0


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median seconds of ``cmd`` and of the baseline, timed alternately after a warm-up."""
    _time(BASELINE)
    _time(cmd)
    base, this = [], []
    for _ in range(runs):
        base.append(_time(BASELINE))
        this.append(_time(cmd))
    return statistics.median(this), statistics.median(base)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when ``--help`` is not within ``HELP_LIMIT`` of the baseline."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21, help="timed runs of each side (default 21)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    print(f"# start-up, median of {args.runs} runs each, alternating ({platform.python_version()})")
    print(f"{'command':<38} {'median':>9} {'import numpy':>13} {'ratio':>7}")
    rows = {}
    for name, cmd in COMMANDS.items():
        med, base = measure(cmd, args.runs)
        rows[name] = {"median_s": med, "baseline_s": base, "ratio": med / base}
        print(f"{name:<38} {med * 1e3:7.0f}ms {base * 1e3:11.0f}ms {med / base:6.2f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"runs": args.runs, "limit_help": HELP_LIMIT, "results": rows}, fh, indent=2)
    ok = rows["convotron --help"]["ratio"] <= HELP_LIMIT
    print(f"--help within {HELP_LIMIT:g}x of import numpy: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
