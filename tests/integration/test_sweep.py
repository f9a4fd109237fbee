"""``convotron sweep``: grids, determinism across schedulers and chunking, resume, Dask.

Every distributed test starts real components on localhost: an embedded ``LocalCluster``, or a
``dask scheduler`` and two ``dask worker`` processes started by the test (no mocks).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convotron._errors import ConvotronError
from convotron.glue.sweep import grid_from_args, run_sweep
from convotron.glue.sweep.grid import Cell, grid_from_mapping, parse_axis

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def _small_grid(chunk: int = 7, runs: int = 24):
    return grid_from_args(
        {"scheme": "1d:6,2,2,1d:8,4,2", "alpha": "0,1", "eps": "0.5", "delta": "0.5"},
        runs=runs,
        seed=3,
        chunk=chunk,
    )


def _table(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]


# ------------------------------------------------------------------ grid
def test_ranges_lists_and_scheme_lists() -> None:
    assert parse_axis("alpha", "0:1:0.25") == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert parse_axis("alpha", "0,0.5") == [0.0, 0.5]
    assert parse_axis("scheme", "1d:16,4,2,2d:4,4,2,2,1,1") == ["1d:16,4,2", "2d:4,4,2,2,1,1"]
    with pytest.raises(ConvotronError, match="STEP > 0"):
        parse_axis("alpha", "1:0:0.5")
    with pytest.raises(ConvotronError, match="a number"):
        parse_axis("eps", "x")


def test_toml_grid_with_a_family(tmp_path: Path) -> None:
    f = tmp_path / "g.toml"
    f.write_text(
        "runs = 10\nseed = 1\n[axes]\nalpha = [0.0, 1.0]\n"
        '[family]\ntemplate = "1d:{n},4,{d}"\nn = [8, 12]\nd = [2, 4]\n'
    )
    from convotron.glue.sweep import load_grid

    g = load_grid(f)
    assert g.axes["scheme"] == ["1d:8,4,2", "1d:8,4,4", "1d:12,4,2", "1d:12,4,4"]
    assert len(g.cells) == 8
    with pytest.raises(ConvotronError, match="keys"):
        grid_from_mapping({"run": 3})


def test_cell_identity_does_not_depend_on_the_grid() -> None:
    a = _small_grid().cells
    b = grid_from_args(
        {"scheme": "1d:8,4,2,1d:6,2,2", "alpha": "1,0", "eps": "0.5", "delta": "0.5"},
        runs=24,
        seed=3,
        chunk=5,
    ).cells
    assert {c.cell_id for c in a} == {c.cell_id for c in b}
    c = Cell("1d:6,2,2", 0.0, "gaussian", "identity", "none", 0.5, 0.5, 1.0, 24, 4)
    assert c.cell_id not in {x.cell_id for x in a}  # another root seed, another cell


# ------------------------------------------------------------------ determinism
@pytest.fixture(scope="module")
def inline_table(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("inline")
    run_sweep(_small_grid(chunk=24), out, scheduler="inline", progress=False, figures=True)
    assert list(out.glob("fig-tightness-*.png"))
    return _table(out)


def test_inline_table_is_sane(inline_table: list[dict]) -> None:
    assert len(inline_table) == 4
    for row in inline_table:
        assert row["status"] == "done"
        assert 0 <= row["fails"] <= row["runs"] == 24
        assert row["fail_lo"] <= row["fail_rate"] <= row["fail_hi"]
        assert row["tightness"] is None or row["tightness"] > 0
        assert row["fail_at_1"] == row["fail_rate"]


def test_chunking_does_not_change_results(tmp_path: Path, inline_table: list[dict]) -> None:
    run_sweep(_small_grid(chunk=5), tmp_path, scheduler="inline", progress=False, figures=False)
    assert _table(tmp_path) == inline_table


def test_local_cluster_equals_inline(tmp_path: Path, inline_table: list[dict]) -> None:
    run_sweep(_small_grid(chunk=7), tmp_path, workers=2, progress=False, figures=False)
    assert _table(tmp_path) == inline_table


def test_real_scheduler_and_two_workers(
    tmp_path: Path, cluster: tuple[str, list], inline_table: list[dict]
) -> None:
    address, _ = cluster
    out = tmp_path / "out"
    res = run_sweep(_small_grid(chunk=4), out, scheduler=address, progress=False, figures=False)
    assert res.scheduler == address
    assert _table(out) == inline_table


def test_a_lost_worker_is_retried(tmp_path: Path, cluster: tuple[str, list]) -> None:
    address, procs = cluster
    grid = grid_from_args(
        {"scheme": "1d:16,4,2", "eps": "0.3", "delta": "0.3"}, runs=24, seed=0, chunk=2
    )
    ref = tmp_path / "ref"
    run_sweep(grid, ref, scheduler="inline", progress=False, figures=False)
    out = tmp_path / "out"
    import threading

    def _kill_one_worker() -> None:
        while not list((out / "chunks").glob("*/*.npz")):
            time.sleep(0.05)
        procs[1].send_signal(signal.SIGKILL)

    killer = threading.Thread(target=_kill_one_worker, daemon=True)
    killer.start()
    run_sweep(grid, out, scheduler=address, progress=False, figures=False)
    killer.join(timeout=5)
    assert procs[1].poll() is not None  # the worker really died during the sweep
    assert _table(out) == _table(ref)


# ------------------------------------------------------------------ resume
def _cli(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "convotron.cli", "sweep", "--scheme", "1d:16,4,2,1d:8,4,2",
        "--alpha", "0,0.5", "--eps", "0.3", "--delta", "0.3", "--runs", "16", "--chunk", "2",
        "--scheduler", "inline", "--no-figures", "--out", str(out), *extra,
    ]  # fmt: skip


def test_resume_after_kill_9_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ref = tmp_path / "ref"
    subprocess.run(_cli(ref), check=True, env=env, capture_output=True)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((out / "chunks").glob("*/*.npz"))) < 3:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stderr is not None
    proc.stderr.close()
    assert not (out / "sweep.jsonl").exists() or len(_table(out)) < 4
    done = subprocess.run(_cli(out, "--json"), env=env, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    summary = json.loads(done.stdout)
    assert summary["chunks_resumed"] + summary["cells_resumed"] >= 1
    assert _table(out) == _table(ref)
    assert not list(out.rglob("*.tmp"))


def test_cli_sweep_bad_input_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad = subprocess.run(
        [sys.executable, "-m", "convotron.cli", "sweep", "--scheme", "1d:16,4,2",
         "--alpha", "1:0:1", "--out", str(tmp_path)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "STEP" in bad.stderr


def test_resume_reuses_finished_cells(tmp_path: Path) -> None:
    g = _small_grid(chunk=24)
    run_sweep(g, tmp_path, scheduler="inline", progress=False, figures=False)
    first = _table(tmp_path)
    again = run_sweep(g, tmp_path, scheduler="inline", progress=False, figures=False)
    assert again.cells_resumed == 4
    assert _table(tmp_path) == first
    (tmp_path / "cells.jsonl").unlink()
    run_sweep(g, tmp_path, scheduler="inline", progress=False, figures=False)
    assert _table(tmp_path) == first
