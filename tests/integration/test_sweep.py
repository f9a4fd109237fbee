"""``convotron sweep``: grids, determinism across schedulers and chunking, resume, Dask.

Every distributed test starts real components on localhost: an embedded ``LocalCluster``, or a
``dask scheduler`` and two ``dask worker`` processes started by the test (no mocks).
"""

from __future__ import annotations

import json
import os
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


# ------------------------------------------------------------------ resume keys (issue 23, item 3)
def _one_cell(**kw):
    base: dict[str, str | None] = {"scheme": "1d:8,4,2", "alpha": "0", "eps": "0.5", "delta": "0.5"}
    return grid_from_args(base, runs=kw.pop("runs", 6), seed=0, chunk=50, **kw)


def test_resume_recomputes_a_cell_when_max_updates_changes(tmp_path: Path) -> None:
    """A cell refused for max_updates = 100 is run when the budget allows it (no stale row)."""
    first = run_sweep(_one_cell(max_updates=100, teachers=1), tmp_path, scheduler="inline",
                      progress=False, figures=False)  # fmt: skip
    assert first.rows[0]["status"] == "not run" and "max_updates" in first.rows[0]["reason"]
    again = run_sweep(_one_cell(max_updates=1e12, teachers=1), tmp_path, scheduler="inline",
                      progress=False, figures=False)  # fmt: skip
    assert again.rows[0]["status"] == "done"
    assert again.cells_resumed == 0
    assert again.recomputed == {"max_updates changed": 1}
    assert "1 recomputed (max_updates changed)" in again.reuse_summary()


def test_resume_recomputes_a_cell_when_fractions_change(tmp_path: Path) -> None:
    run_sweep(_one_cell(teachers=1), tmp_path, scheduler="inline", progress=False, figures=False)
    res = run_sweep(_one_cell(fractions="0.1,0.2", teachers=1), tmp_path, scheduler="inline",
                    progress=False, figures=False)  # fmt: skip
    row = _table(tmp_path)[0]
    assert "fail_at_0.1" in row and "fail_at_0.2" in row
    assert "fail_at_0.5" not in row and "fail_at_1" not in row
    assert res.recomputed == {"the fractions changed": 1}
    header = (tmp_path / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[-4:] == ["fail_at_0.1", "t_at_0.1", "fail_at_0.2", "t_at_0.2"]


def test_resume_recomputes_a_cell_when_its_scheme_file_is_edited(tmp_path: Path) -> None:
    """The key holds the scheme's contents, not its path: an edited file is never stale."""
    from convotron.geometry.patches import PatchScheme

    scheme_file = tmp_path / "s.json"
    scheme_file.write_text(json.dumps(PatchScheme.stride_1d(8, 4, 2).to_json()))
    out = tmp_path / "out"

    def grid():
        return grid_from_args({"scheme": f"file:{scheme_file}", "eps": "0.5", "delta": "0.5"},
                              runs=4, seed=0, chunk=50, teachers=1)  # fmt: skip

    first = run_sweep(grid(), out, scheduler="inline", progress=False, figures=False).rows[0]
    scheme_file.write_text(json.dumps(PatchScheme.stride_1d(6, 2, 2).to_json()))
    res = run_sweep(grid(), out, scheduler="inline", progress=False, figures=False)
    fresh = run_sweep(grid(), tmp_path / "fresh", scheduler="inline", progress=False,
                      figures=False).rows[0]  # fmt: skip
    assert res.cells_resumed == 0 and res.recomputed == {"the scheme's contents changed": 1}
    assert res.rows[0]["T"] == fresh["T"] != first["T"]
    assert res.rows[0]["hit_q50"] == fresh["hit_q50"]


def test_resume_recomputes_when_teachers_or_the_result_format_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from convotron.glue.sweep import store

    run_sweep(_one_cell(teachers=1), tmp_path, scheduler="inline", progress=False, figures=False)
    res = run_sweep(_one_cell(teachers=2), tmp_path, scheduler="inline", progress=False,
                    figures=False)  # fmt: skip
    assert res.recomputed == {"the number of teachers changed": 1}
    same = run_sweep(_one_cell(teachers=2), tmp_path, scheduler="inline", progress=False,
                     figures=False)  # fmt: skip
    assert same.cells_resumed == 1 and same.recomputed == {} and same.new == 0
    monkeypatch.setattr(store, "RESULT_FORMAT", store.RESULT_FORMAT + 1)
    res = run_sweep(_one_cell(teachers=2), tmp_path, scheduler="inline", progress=False,
                    figures=False)  # fmt: skip
    assert res.recomputed == {"the result format of the code changed": 1}


def test_summary_says_nothing_ran_without_claiming_resumed_cells(tmp_path: Path) -> None:
    res = run_sweep(_one_cell(max_updates=1, teachers=1), tmp_path, scheduler="inline",
                    progress=False, figures=False)  # fmt: skip
    assert res.cells_resumed == 0 and res.new == 1
    assert "resumed" not in res.scheduler and "nothing to run" in res.scheduler


# ------------------------------------------------------------------ incremental output (item 4)
def test_a_finished_cell_appends_rows_and_never_rewrites_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finishing a cell costs appended lines; the table is written twice whatever the cells."""
    from convotron.glue.sweep import store as store_mod

    writes: list[str] = []
    real = store_mod.atomic_write_text

    def counting(path, text):
        writes.append(Path(path).name)
        return real(path, text)

    monkeypatch.setattr(store_mod, "atomic_write_text", counting)
    grid = grid_from_args({"scheme": "1d:8,4,2", "eps": "0.5,0.6,0.7,0.8,0.9", "delta": "0.5,0.6"},
                          runs=1, seed=0, chunk=1, teachers=1)  # fmt: skip
    run_sweep(grid, tmp_path, scheduler="inline", progress=False, figures=False)
    assert writes.count("sweep.csv") == 2 and writes.count("sweep.jsonl") == 2  # start, end
    assert writes.count("cells.jsonl") == 1  # the final compaction
    cache = (tmp_path / "cells.jsonl").read_text().splitlines()
    assert len(cache) == 10 and len(_table(tmp_path)) == 10


def test_a_line_cut_short_in_the_cache_is_skipped(tmp_path: Path) -> None:
    g = _one_cell(teachers=1)
    ref = run_sweep(g, tmp_path, scheduler="inline", progress=False, figures=False).rows
    with open(tmp_path / "cells.jsonl", "a") as fh:
        fh.write('{"key": {"format": 2, "cell"')  # kill -9 in the middle of an append
    again = run_sweep(g, tmp_path, scheduler="inline", progress=False, figures=False)
    assert again.cells_resumed == 1 and again.rows == ref


# ------------------------------------------------------------------ teachers and Holm (issue 19, 5)
def test_the_first_teacher_is_the_hardest_direction() -> None:
    """Teacher 0 is the λ_min eigenvector of M = PΣPᵀ (of norm w_norm), teacher 1 λ_max's."""
    import numpy as np

    from convotron.glue.sweep.engine import _problem, teacher_directions

    cell = Cell("1d:10,4,2", 0.0, "gaussian", "ar1:0.5", "none", 0.1, 0.1, 2.0, 10, 0)
    problem = _problem(cell)
    M = np.asarray(problem.scheme.overlap_matrix(problem.cov), dtype=float)
    lam = np.linalg.eigvalsh(M)
    hard, easy, rand = teacher_directions(problem, cell, 3)
    for w, value in ((hard, lam[0]), (easy, lam[-1])):
        assert np.linalg.norm(w) == pytest.approx(2.0, rel=1e-12)
        assert w @ M @ w / (w @ w) == pytest.approx(value, rel=1e-10)
    assert rand @ M @ rand / (rand @ rand) > lam[0] * 1.01


def test_the_table_shows_the_worst_teacher(tmp_path: Path) -> None:
    res = run_sweep(_one_cell(teachers=3, runs=8), tmp_path, scheduler="inline",
                    progress=False, figures=False)  # fmt: skip
    row = res.rows[0]
    rates = {n: row[f"fail_rate_{n}"] for n in ("hardest", "easiest", "random2")}
    assert row["fail_rate"] == max(rates.values())
    worst = row["worst_teacher"]
    assert rates[worst] == row["fail_rate"]
    assert row["tightness"] == row[f"tightness_{worst}"]
    assert res.tests == 3 and "Holm" in res.rule


def test_holm_adjustment_by_hand() -> None:
    from convotron.glue.sweep.table import apply_holm, holm

    # sorted 0.001, 0.01, 0.02, 0.5 -> 4*0.001, max(.004, 3*.01), max(.03, 2*.02), max(.04, .5)
    assert holm([0.02, 0.001, 0.5, 0.01]) == pytest.approx([0.04, 0.004, 0.5, 0.03])
    rows = [
        {"status": "done", "teachers": 2, "p_value_hardest": 0.004, "p_value_easiest": 0.9},
        {"status": "done", "teachers": 2, "p_value_hardest": 0.002, "p_value_easiest": 0.5},
        {"status": "not run", "teachers": 2},
    ]
    assert apply_holm(rows) == 4
    # 0.002 * 4 = 0.008 <= 0.01: flagged; 0.004 * 3 = 0.012 > 0.01: not (uncorrected it was)
    assert rows[1]["p_holm"] == pytest.approx(0.008) and rows[1]["flagged"] is True
    assert rows[0]["p_holm"] == pytest.approx(0.012) and rows[0]["flagged"] is False
    assert rows[2]["flagged"] is None


def test_close_fractions_get_distinct_columns() -> None:
    g = _one_cell(fractions="0.1,0.1000001,1")
    from convotron.glue.sweep.table import columns

    cols = [c for c in columns(g.fractions, 1) if c.startswith("fail_at_")]
    assert cols == ["fail_at_0.1", "fail_at_0.1000001", "fail_at_1"]
    with pytest.raises(ConvotronError, match="distinct"):
        _one_cell(fractions="0.5,0.5")


# ------------------------------------------------------------------ README how-tos (issue 24, 5)
EXAMPLES = sorted((ROOT / "examples" / "grids").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_shipped_example_grids_run(tmp_path: Path, path: Path) -> None:
    """Each grid of examples/grids runs as shipped (inline) and every cell finishes."""
    from convotron.glue.sweep import load_grid

    grid = load_grid(path)
    res = run_sweep(grid, tmp_path, scheduler="inline", progress=False, figures=False)
    assert [r["status"] for r in res.rows] == ["done"] * len(grid.cells)
    assert not any(r["flagged"] for r in res.rows)


def test_examples_are_listed_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(EXAMPLES) >= 2
    for path in EXAMPLES:
        assert f"examples/grids/{path.name}" in readme or path.name == "family.toml"
    # the README's TOML block is a grid that loads (its family included)
    import re
    import tomllib

    from convotron.glue.sweep.grid import grid_from_mapping

    block = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert block is not None
    grid = grid_from_mapping(tomllib.loads(block.group(1)))
    assert len(grid.cells) == 6 * 2 * 2 and grid.teachers == 2


def test_readme_samples_npz_recipe_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's recipe for samples.npz runs and `run --data samples.npz` learns from it."""
    import re

    from convotron.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```py\n(.*?)```", readme, re.S)
    assert code is not None and "samples.npz" in code.group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {"__name__": "readme_recipe"})
    assert main(["run", "--scheme", "1d:16,4,2", "--data", "samples.npz", "--eta", "0.01",
                 "--json"]) == 0  # fmt: skip


# ------------------------------------------------------------------ a scheduler killed mid-sweep
def test_a_scheduler_killed_mid_sweep_prints_no_tracebacks(
    tmp_path: Path, cluster: tuple[str, list]
) -> None:
    """The table and exit 1 (cells in error), and no line of distributed's logging (issue 23)."""
    address, procs = cluster
    out = tmp_path / "o"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "convotron.cli", "sweep", "--scheme", "1d:8,4,2,1d:12,4,2",
         "--eps", "0.05", "--runs", "400", "--chunk", "5", "--teachers", "1", "--scheduler",
         address, "--out", str(out), "--no-figures"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list((out / "chunks").glob("*/*.npz"))) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    procs[0].kill()  # the scheduler
    stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 1, stderr
    assert stderr == "", stderr
    rows = _table(out)
    assert len(rows) == 2 and {r["status"] for r in rows} <= {"done", "error"}
    assert "error" in stdout


def _sleep_then(x: int) -> int:
    time.sleep(0.5)
    return x


def test_a_scheduler_lost_mid_batch_is_an_environment_failure(
    cluster: tuple[str, list],
) -> None:
    """verify's batches (lost="raise"): a killed scheduler raises SchedulerUnavailable (exit 3)."""
    from convotron.glue.dask import Executor, SchedulerUnavailable

    address, procs = cluster
    got = []
    with pytest.raises(SchedulerUnavailable, match="connection to the scheduler"):
        with Executor(address) as ex:
            for item, res in ex.run(_sleep_then, range(40), key=lambda i: f"sleep-{i}"):
                got.append((item, res))
                if len(got) == 2:
                    procs[0].kill()
    assert len(got) >= 2 and all(not isinstance(r, BaseException) for _, r in got[:2])
    assert issubclass(SchedulerUnavailable, OSError)


def test_a_window_of_tasks_and_a_lost_scheduler_end_the_batch(
    cluster: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """sweep's batches (lost="yield"): at most WINDOW tasks in flight; after a lost scheduler
    every remaining item is yielded with an exception, none is waited for forever."""
    from convotron.glue import dask as gd

    monkeypatch.setattr(gd, "WINDOW", 3)
    address, procs = cluster
    seen: list[tuple[int, object]] = []
    t0 = time.monotonic()
    with gd.Executor(address) as ex:
        for item, res in ex.run(_sleep_then, range(30), key=lambda i: f"w-{i}", lost="yield"):
            seen.append((item, res))
            if len(seen) == 4:
                procs[0].kill()
    assert sorted(i for i, _ in seen) == list(range(30))
    assert [r for _, r in seen[:4]] == [i for i, _ in seen[:4]]
    assert any(isinstance(r, BaseException) for _, r in seen[4:])
    assert time.monotonic() - t0 < 60


# ------------------------------------------------------------------ --precondition (issue 22)
def _ar1_cell(precondition: str, **kw):
    base: dict[str, str | None] = {"scheme": "1d:16,4,2", "cov": "ar1:0.9", "eps": "0.1",
                                   "delta": "0.1"}  # fmt: skip
    return grid_from_args(base, runs=kw.pop("runs", 4), seed=0, chunk=50,
                          teachers=kw.pop("teachers", 2), precondition=precondition,
                          **kw)  # fmt: skip


def test_precondition_exact_uses_the_preconditioned_theorem(tmp_path: Path) -> None:
    """AR(1) 0.9 (cond(M) ≈ 1287): T is thm-precond's (bounds --precondition exact's), and
    every run of both extreme teachers ends within ε at that T (runs with H = M⁻¹)."""
    from convotron.glue.precondition import preconditioned_parameters
    from convotron.model.problem import Problem

    problem = Problem.from_specs("1d:16,4,2", 0.0, "gaussian", "ar1:0.9", "none")
    d = preconditioned_parameters(problem, eps=0.1, delta=0.1, w_norm=1.0)
    res = run_sweep(_ar1_cell("exact"), tmp_path, scheduler="inline", progress=False,
                    figures=False)  # fmt: skip
    row = res.rows[0]
    assert row["T"] == d["T"] == 10194  # the value `bounds --precondition exact` prints
    assert row["eta"] == d["eta"] and row["beta"] == d["beta_H"]
    assert row["T"] < d["T_plain"] / 1000  # Algorithm 1's T is about 1e8
    assert row["status"] == "done" and not row["flagged"]
    assert row["fails"] == 0 and row["fail_rate_hardest"] == row["fail_rate_easiest"] == 0.0
    assert json.loads((tmp_path / "grid.json").read_text())["precondition"] == "exact"
    assert json.loads((tmp_path / "summary.json").read_text())["precondition"] == "exact"


def _problem_of(cell):
    from convotron.model.problem import Problem

    return Problem.from_specs(cell.scheme, cell.alpha, cell.law, cell.cov, cell.noise)


def test_precondition_plugin_draws_its_H_once_per_cell(tmp_path: Path) -> None:
    """plugin: M̂⁻¹ from the cell's own seed; T is thm-precond's for that very M̂."""
    from convotron.glue.parameters import theorem_parameters
    from convotron.glue.sweep.engine import plan_cell
    from convotron.glue.verify.precond import preconditioned_theorem

    grid = _ar1_cell("plugin", teachers=1)
    cell = grid.cells[0]
    plan = plan_cell(cell, teachers=1, precondition="plugin")
    tp = theorem_parameters(_problem_of(cell), eps=0.1, delta=0.1, w_norm=1.0)
    want = preconditioned_theorem(tp, "plugin", seed=cell.seed, name=cell.cell_id)
    assert plan.T == want.T and plan.eta == want.eta
    assert plan.H == tuple(tuple(float(v) for v in row) for row in want.H)
    exact = plan_cell(cell, teachers=1, precondition="exact")
    assert plan.H != exact.H and plan.T != exact.T  # an estimate, not M⁻¹
    res = run_sweep(grid, tmp_path, scheduler="inline", progress=False, figures=False)
    assert res.rows[0]["T"] == want.T and res.rows[0]["fails"] == 0


def test_the_preconditioner_is_part_of_the_resume_key(tmp_path: Path) -> None:
    from convotron.glue.sweep.store import chunk_key, key_changes, result_key

    first = run_sweep(_ar1_cell("none", max_updates=1e6), tmp_path, scheduler="inline",
                      progress=False, figures=False)  # fmt: skip
    assert first.rows[0]["status"] == "not run" and first.rows[0]["T"] > 10**7
    res = run_sweep(_ar1_cell("exact", max_updates=1e6), tmp_path, scheduler="inline",
                    progress=False, figures=False)  # fmt: skip
    assert res.cells_resumed == 0 and res.recomputed == {"the preconditioner changed": 1}
    assert "1 recomputed (the preconditioner changed)" in res.reuse_summary()
    assert res.rows[0]["status"] == "done" and res.rows[0]["T"] == 10194
    same = run_sweep(_ar1_cell("exact", max_updates=1e6), tmp_path, scheduler="inline",
                     progress=False, figures=False)  # fmt: skip
    assert same.cells_resumed == 1 and same.recomputed == {}
    assert (same.rows[0]["T"], same.rows[0]["fails"]) == (res.rows[0]["T"], res.rows[0]["fails"])
    # the keys: a key from before the option reads as Algorithm 1's; chunks apart per H
    cell = _ar1_cell("none").cells[0]
    keys = {p: result_key(cell.key(), "d", max_updates=1.0, fractions=(1.0,), teachers=1,
                          precondition=p) for p in ("none", "exact", "plugin")}  # fmt: skip
    old = {k: v for k, v in keys["none"].items() if k != "precondition"}
    assert key_changes(old, keys["none"]) == []
    assert key_changes(old, keys["exact"]) == ["precondition"]
    assert key_changes(keys["exact"], keys["plugin"]) == ["precondition"]
    assert chunk_key(old) == chunk_key(keys["none"])
    assert len({chunk_key(k) for k in keys.values()}) == 3


def test_precondition_in_the_grid_file_and_on_the_command_line(tmp_path: Path) -> None:
    from convotron.glue.sweep import load_grid

    f = tmp_path / "g.toml"
    f.write_text('runs = 2\nprecondition = "exact"\n[axes]\nscheme = ["1d:8,4,2"]\n')
    assert load_grid(f).precondition == "exact"
    assert load_grid(f).to_json()["precondition"] == "exact"
    with pytest.raises(ConvotronError, match="precondition must be one of none, exact, plugin"):
        grid_from_mapping({"precondition": "M^-1", "axes": {"scheme": ["1d:8,4,2"]}})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "convotron.cli",
        "sweep",
        str(f),
        "--eps",
        "0.5",
        "--delta",
        "0.5",
        "--teachers",
        "1",
        "--scheduler",
        "inline",
        "--no-figures",
        "--out",
        str(out),
    ]
    done = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["precondition"] == "exact"
    text = subprocess.run([*cmd, "--precondition", "none"], env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "preconditioned" not in text.stdout.splitlines()[0]
    assert "1 recomputed (the preconditioner changed)" in text.stdout
    again = subprocess.run([*cmd, "--precondition", "exact"], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert "preconditioned, H = M⁻¹" in again.stdout.splitlines()[0]
    bad = subprocess.run([*cmd, "--precondition", "yes"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--precondition" in bad.stderr


def test_a_cell_without_preconditioned_constants_is_not_run_with_the_reason() -> None:
    from convotron.glue.sweep.engine import plan_cell

    base: dict[str, str | None] = {"scheme": "conv1d:1,8,3,padding=1", "eps": "0.5",
                                   "delta": "0.5"}  # fmt: skip
    cell = grid_from_args(base, runs=2, seed=0, chunk=5, precondition="exact").cells[0]
    plan = plan_cell(cell, teachers=1, precondition="exact")
    assert plan.status == "not run" and plan.H is None
    assert plan.reason.startswith("precondition exact: precondition needs a scheme without zero")
    assert plan_cell(cell, teachers=1).status == "run"  # Algorithm 1 runs it
