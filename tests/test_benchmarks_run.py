"""Every benchmark still runs (on tiny sizes): they reach into private modules, which move.

Timing is never asserted here (speed is measured in ``benchmarks/``, not in tests); this only
runs each script to the end in a subprocess, so that a benchmark that no longer compiles or
imports fails the build instead of the next person who measures. It caught
``bench_sampling.py`` calling ``_sampling._draw_z`` after the draws moved to ``_kernels``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMOKE = {
    "bench_core.py": ["--quick", "--repeats", "1"],
    "bench_estimator_data.py": ["--quick"],
    "bench_lockstep.py": ["--repeats", "1", "--runs", "9", "--scale", "0.01"],
    "bench_plugin_coverage.py": ["--reps", "4", "--rows", "2000"],
    "bench_precondition_estimator.py": ["--quick"],
    "bench_rng.py": ["--repeats", "1", "--normals", "64000"],
    "bench_sampling.py": ["--iters", "20000", "--repeats", "1"],
    "bench_scaling.py": ["--repeats", "1", "--runs", "4", "--chunk", "2"],
    "bench_startup.py": ["--runs", "1"],
    "bench_sweep.py": ["--cells", "40"],
    "bench_theory.py": ["--repeat", "1"],
    "bench_vs_base.py": ["--base", ".", "--repeats", "1", "--iters", "300", "--runs", "2"],
}


#: Benchmarks that exit 1 when a speed target is missed (a verdict on this machine's speed,
#: which a test must not depend on); a crash is told apart by its traceback.
TIMING_VERDICT = {"bench_startup.py", "bench_theory.py"}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert set(SMOKE) == {p.name for p in (ROOT / "benchmarks").glob("bench_*.py")}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *SMOKE[script],
         "--json", str(tmp_path / "out.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    allowed = {0, 1} if script in TIMING_VERDICT else {0}
    assert out.returncode in allowed, out.stdout[-2000:] + out.stderr[-2000:]
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert (tmp_path / "out.json").stat().st_size > 0


def test_lockstep_parts_finds_the_lines_it_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """``benchmarks/lockstep_parts.py`` cuts exact lines out of copies of the kernel.

    Each must stand in the kernel once. (Running the script compiles three copies of the
    package: too slow for the suite. It exits with a message when a line is missing; this
    catches that before anyone measures.)
    """
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import lockstep_parts

    kernel = (ROOT / lockstep_parts.KERNEL).read_text().splitlines()
    for cut in (lockstep_parts.REFILL, lockstep_parts.FORWARD):
        assert sum(ln.strip() == cut.strip() for ln in kernel) == 1, cut
