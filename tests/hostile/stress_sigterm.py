"""Kill ``convotron sweep`` many times just after its first cell; count the exit statuses.

Every kill must exit 143 with the one line ``convotron sweep: terminated``. Before
:mod:`convotron._interrupts` held signals around the compiled calls, some did not: a
``SIGTERM`` handled while numba unboxed a generator came out as an ``AttributeError`` (the
sweep recorded a failed cell, ran to the end and exited 1) or as a segmentation fault. At
ad332b3, 9 of 150 kills (7 segmentation faults, 2 exits 1); at a9e6d4a, 6 of 150; after
the fix, 150 of 150 exited 143, twice. Too slow for the suite (about 2.5 s a kill):
``tests/convotron/test_interrupts.py`` tests the mechanism deterministically. Run by hand:

    PYTHONPATH=. .venv/bin/python tests/hostile/stress_sigterm.py --kills 150

Exit status 1 if any kill ended otherwise (each is printed, with the end of its stderr).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ["sweep", "--scheme", "1d:8,4,2", "--eps", "0.5:0.9:0.002", "--delta", "0.5",
         "--runs", "50", "--teachers", "1", "--scheduler", "inline", "--no-figures"]  # fmt: skip


def kill_once(out: Path) -> tuple[int, str]:
    """Start the sweep, send ``SIGTERM`` once its first cell is on disk; return (status, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "convotron.cli", *SWEEP, "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    cells = out / "cells.jsonl"
    while not cells.exists() or not cells.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=50)
    args = p.parse_args(argv)
    counts: collections.Counter[int] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.kills):
            out = Path(tmp) / f"s{k}"
            status, err = kill_once(out)
            counts[status] += 1
            if status != 143 or err.strip() != "convotron sweep: terminated":
                print(f"kill {k}: exit {status}; stderr ends {err[-1500:]!r}", flush=True)
            shutil.rmtree(out, ignore_errors=True)
    print(f"{args.kills} kills: " + ", ".join(f"exit {s}: {n}" for s, n in sorted(counts.items())))
    return 0 if set(counts) == {143} else 1


if __name__ == "__main__":
    sys.exit(main())
