"""``convotron sweep``: the theorem checked over a grid of problems, on one machine or a cluster.

For each cell of a :class:`~convotron.glue.sweep.grid.Grid` (a problem, ε, δ, ‖w*‖, a number of
runs) the sweep computes the theorem's numbers once, runs Convotron ``runs`` times with the
theorem's own step size η and iteration count T (fresh samples, independent seeds), and reports
the failure rate at T with its binomial interval, the iterations the runs actually needed, the
tightness ``T / median`` and the failure rate at fractions of T (see :mod:`.table`).
With ``Grid(precondition="exact"|"plugin")`` the runs are the preconditioned Convotron's
with the preconditioned theorem's η and T (thm-precond, [derived], not the paper's:
:mod:`.engine`).

Each cell runs several teachers (the hardest direction, the λ_min eigenvector of
M = PΣPᵀ, first: :mod:`.engine`); the table shows the worst direction, and the grid's tests
are corrected for their number (Holm, :mod:`.table`). The runs are split into chunks that run
on Dask workers; every finished chunk is written atomically and every finished cell appended
to a cache keyed on all that determines it (:mod:`.store`), so a killed sweep resumes where
it stopped, its table equals an uninterrupted run's, and a changed setting or scheme file is
never answered from a stale result.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._validate import DEFAULT_STREAM, InstanceOf, Param, validate_params
from ..._validate import table as _table
from .engine import CellPlan, Chunk, ChunkResult, execute, plan_cell
from .grid import AXES, Cell, Grid, grid_from_args, load_grid
from .store import Store
from .table import cell_row

__all__ = [
    "Cell",
    "Grid",
    "SweepResult",
    "grid_from_args",
    "load_grid",
    "run_sweep",
]


@dataclass
class SweepResult:
    """What a sweep did: the table rows (grid order), where they went, what was reused and why.

    ``recomputed`` maps a reason (a part of the result key that changed, in words) to the
    number of cached cells recomputed for it; ``new`` counts cells with no earlier result.
    """

    rows: list[dict[str, Any]]
    seconds: float
    cells_resumed: int
    chunks_resumed: int
    updates: float
    files: list[Path] = field(default_factory=list)
    scheduler: str = ""
    recomputed: dict[str, int] = field(default_factory=dict)
    new: int = 0
    tests: int = 0
    rule: str = ""

    def reuse_summary(self) -> str:
        """One sentence: how many cells were reused, and why the others were not."""
        parts = [f"{self.cells_resumed} reused"]
        if self.new:
            parts.append(f"{self.new} new")
        for why, count in self.recomputed.items():
            parts.append(f"{count} recomputed ({why})")
        return ", ".join(parts)


def _chunks_of(
    plan: CellPlan, size: int, teachers: int, stream: str = DEFAULT_STREAM
) -> list[Chunk]:
    runs = plan.cell.runs
    return [
        Chunk(plan, s, min(s + size, runs), t, stream)
        for t in range(teachers)
        for s in range(0, runs, size)
    ]


#: run_sweep's table (convotron._validate); the scheduler and the workers are checked by
#: convotron.glue.dask (the cap is the cores of this machine), the grid's cells by their plans.
SWEEP_TABLE = _table(
    Param("grid", InstanceOf(Grid, "a Grid"),
          fix="Build one with convotron.glue.sweep.grid_from_args(...) or load_grid(path)."),
    *(Param(name, InstanceOf(bool, "True or False"), fix=f"Pass {name}=True or False.")
      for name in ("progress", "figures", "verbose")),
)  # fmt: skip


@dataclass
class _Ledger:
    """The cells of one sweep as they are run: rows made, chunks done and chunks needed.

    ``rows`` maps a cell to its table row once made; ``done[cell][teacher]`` the chunk
    results at hand and ``need[cell]`` how many chunks the cell has; ``failed`` a cell's
    error. A cell's row is made (and appended to the table's file) as soon as its last chunk
    is in, and its runs' outcomes are dropped then: memory stays that of the cells in flight.
    """

    grid: Grid
    store: Store
    fields: list[str]
    keys: dict[str, dict[str, Any]]
    plans: dict[str, CellPlan]
    rows: dict[str, dict[str, Any]]
    done: dict[str, dict[int, list[ChunkResult]]] = field(default_factory=dict)
    need: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    chunks_resumed: int = 0

    def resume(self) -> list[Chunk]:
        """Make the rows of cells that do not run, load the chunks on disk; return the rest."""
        grid, teachers = self.grid, self.grid.teachers
        pending: list[Chunk] = []
        finished: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for cid, plan in self.plans.items():
            if plan.status != "run":
                self.rows[cid] = cell_row(plan, None, grid.fractions, teachers=teachers)
                finished.append((self.keys[cid], self.rows[cid]))
                continue
            self.done[cid] = {t: [] for t in range(teachers)}
            chunks = _chunks_of(plan, grid.chunk, teachers, grid.rng)
            self.need[cid] = len(chunks)
            for ch in chunks:
                res = self.store.load_chunk(self.keys[cid], ch)
                if res is None:
                    pending.append(ch)
                else:
                    self.done[cid][ch.teacher].append(res)
                    self.chunks_resumed += 1
        if finished:
            self.store.append_rows([r for _, r in finished], self.fields,
                                   [k for k, _ in finished])  # fmt: skip
        for cid in list(self.done):  # cells whose chunks were all on disk already
            self._finish_if_complete(cid)
        return pending

    def take(self, chunk: Chunk, outcome: Any) -> None:
        """Record one chunk's result (or its error); finish its cell when it is complete."""
        cid = chunk.plan.cell.cell_id
        if isinstance(outcome, BaseException):
            self.failed[cid] = " ".join(f"{type(outcome).__name__}: {outcome}".split())
            self.need[cid] -= 1
        else:
            self.done[cid][chunk.teacher].append(outcome)
            if self._have(cid) < self.need[cid]:  # the last chunk goes into the row instead
                self.store.save_chunk(self.keys[cid], chunk, outcome)
        if cid in self.done:
            self._finish_if_complete(cid)

    def _have(self, cid: str) -> int:
        """Return how many of the cell's chunk results are at hand."""
        return sum(map(len, self.done[cid].values()))

    def _finish_if_complete(self, cid: str) -> None:
        if self._have(cid) != self.need[cid]:
            return
        err = self.failed.get(cid)
        self.rows[cid] = cell_row(self.plans[cid], self.done.pop(cid), self.grid.fractions,
                                  error=err, teachers=self.grid.teachers)  # fmt: skip
        self.store.append_rows([self.rows[cid]], self.fields, None if err else [self.keys[cid]])


def _triage(
    grid: Grid, cache: dict[str, Any], keys: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, int], int, list[Cell]]:
    """Sort the grid's cells against the folder's cache.

    Returns the reused rows, the reused cells, the recomputed cells counted by reason (the
    parts of the result key that changed, in words), the number of new cells and the cells
    to run.
    """
    from .store import KEY_PARTS, key_changes

    rows: dict[str, dict[str, Any]] = {}
    reused: list[str] = []
    recomputed: dict[str, int] = {}
    new = 0
    todo: list[Cell] = []
    for cell in grid.cells:
        cid = cell.cell_id
        old = cache.get(cid)
        if old is not None and not key_changes(old[0], keys[cid]):
            rows[cid] = old[1]
            reused.append(cid)
            continue
        if old is None:
            new += 1
        else:
            why = "; ".join(KEY_PARTS[p] for p in key_changes(old[0], keys[cid]))
            recomputed[why] = recomputed.get(why, 0) + 1
        todo.append(cell)
    return rows, reused, recomputed, new, todo


def _execute_pending(
    pending: list[Chunk],
    ledger: _Ledger,
    *,
    scheduler: str | None,
    workers: int | None,
    verbose: bool,
    progress: bool,
) -> float:
    """Run the pending chunks on the scheduler, into the ledger; return the updates planned."""
    total = sum(float(ch.stop - ch.start) * ch.plan.T for ch in pending)
    bar = _bar(total, progress)
    try:
        for chunk, outcome in execute(
            pending,
            scheduler=scheduler,
            workers=workers,
            verbose=verbose,
            on_start=lambda addr: bar.set_postfix_str(addr) if bar is not None else None,
        ):
            if bar is not None:
                bar.update(float(chunk.stop - chunk.start) * chunk.plan.T)
            ledger.take(chunk, outcome)
    finally:
        if bar is not None:
            bar.close()
    return total


@validate_params(SWEEP_TABLE)
def run_sweep(
    grid: Grid,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    figures: bool = True,
    verbose: bool = False,
) -> SweepResult:
    """Run (or resume) a sweep into the folder ``out``; return its table.

    Every input is checked before a file of the folder is written (the scheduler's address,
    the workers, each scheme, law, covariance and noise through the cells' plans), so a
    refused sweep leaves an earlier sweep's folder as it was.

    Parameters
    ----------
    grid : Grid
        The cells and settings.
    out : path
        The sweep's folder (created; finished cells there are reused when their result key,
        :func:`.store.result_key`, is unchanged).
    scheduler : str or None
        ``None`` or ``"local"``: an embedded ``LocalCluster`` with ``workers`` processes
        (default and maximum: the cores); ``"tcp://HOST:PORT"``: a running Dask scheduler;
        ``"inline"``: no Dask.
    progress : bool
        A progress bar over updates, with the estimated time left (stderr).
    verbose : bool
        Let ``distributed``'s log messages through (they are hidden otherwise).
    """
    from ..._io import atomic_write_json, locked_dir
    from ..dask import check_scheduler, check_workers
    from .store import result_key, scheme_digest
    from .table import RULE, apply_holm, columns

    start = time.perf_counter()
    scheduler = check_scheduler(scheduler, flag="scheduler")
    if scheduler in (None, "local"):
        workers = check_workers(workers, flag="workers")
    digests = {s: scheme_digest(s) for s in dict.fromkeys(grid.axes["scheme"])}
    fields = columns(grid.fractions, grid.teachers)
    teachers = grid.teachers
    store = Store(out)
    with locked_dir(out, what="sweep folder"):
        store.check()
        cache = store.load_cache()
        keys = {
            c.cell_id: result_key(c.key(), digests[c.scheme], max_updates=grid.max_updates,
                                  fractions=grid.fractions, teachers=teachers,
                                  precondition=grid.precondition, rng=grid.rng)
            for c in grid.cells
        }  # fmt: skip
        rows, reused, recomputed, new, todo = _triage(grid, cache, keys)
        # every plan (and so every spec) is checked before the folder is written
        plans = {
            c.cell_id: plan_cell(c, max_updates=grid.max_updates, teachers=teachers,
                                 precondition=grid.precondition)
            for c in todo
        }  # fmt: skip
        store.prepare(grid.to_json(), fields)
        store.append_rows([rows[c] for c in reused], fields)
        ledger = _Ledger(grid, store, fields, keys, plans, rows)
        pending = ledger.resume()
        total = _execute_pending(pending, ledger, scheduler=scheduler, workers=workers,
                                 verbose=verbose, progress=progress)  # fmt: skip
        used = (
            "inline" if scheduler == "inline"
            else scheduler if scheduler not in (None, "local")
            else f"LocalCluster({workers or 'all cores'})"
        )  # fmt: skip
        ordered = [rows[c.cell_id] for c in grid.cells]
        tests = apply_holm(ordered)
        files = store.write_table(ordered, fields)
        merged = {cid: kr for cid, kr in cache.items()}
        for c in grid.cells:
            if c.cell_id in rows and ledger.failed.get(c.cell_id) is None:
                merged[c.cell_id] = (keys[c.cell_id], rows[c.cell_id])
        store.compact_cache(merged.values())
        summary = {
            "cells": len(ordered),
            "reused": len(reused),
            "new": new,
            "recomputed": recomputed,
            "chunks_resumed": ledger.chunks_resumed,
            "tests": tests,
            "multiple_testing": RULE,
            "precondition": grid.precondition,
            "rng": grid.rng,
            "flagged": sum(1 for r in ordered if r.get("flagged")),
            "errors": sum(1 for r in ordered if r.get("status") == "error"),
        }
        files.append(atomic_write_json(Path(out) / "summary.json", summary))
        if figures:
            from .plots import tightness_figures

            files += tightness_figures(ordered, list(AXES), Path(out))
    return SweepResult(
        rows=ordered,
        seconds=time.perf_counter() - start,
        cells_resumed=len(reused),
        chunks_resumed=ledger.chunks_resumed,
        updates=total,
        files=files,
        scheduler=used if pending else "nothing to run (every cell reused or not run)",
        recomputed=recomputed,
        new=new,
        tests=tests,
        rule=RULE,
    )


def _bar(total: float, progress: bool) -> Any:
    if not progress or total <= 0 or not math.isfinite(total):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="upd", unit_scale=True, desc="sweep", leave=False)
