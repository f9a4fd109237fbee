"""``convotron sweep``: the theorem checked over a grid of problems, on one machine or a cluster.

For each cell of a :class:`~convotron.glue.sweep.grid.Grid` (a problem, ε, δ, ‖w*‖, a number of
runs) the sweep computes the theorem's numbers once, runs Convotron ``runs`` times with the
theorem's own step size η and iteration count T (fresh samples, independent seeds), and reports
the failure rate at T with its binomial interval, the iterations the runs actually needed, the
tightness ``T / median`` and the failure rate at fractions of T (see :mod:`.table`).

The runs of a cell are split into chunks that run on Dask workers (:mod:`.engine`); every
finished chunk and cell is written atomically (:mod:`.store`), so a killed sweep resumes where
it stopped and its table equals an uninterrupted run's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """What a sweep did: the table rows (grid order) and where they went."""

    rows: list[dict[str, Any]]
    seconds: float
    cells_resumed: int
    chunks_resumed: int
    updates: float
    files: list[Path] = field(default_factory=list)
    scheduler: str = ""


def _chunks_of(plan: CellPlan, size: int) -> list[Chunk]:
    runs = plan.cell.runs
    return [Chunk(plan, s, min(s + size, runs)) for s in range(0, runs, size)]


def run_sweep(
    grid: Grid,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    figures: bool = True,
) -> SweepResult:
    """Run (or resume) a sweep into the folder ``out``; return its table.

    Parameters
    ----------
    grid : Grid
        The cells and settings.
    out : path
        The sweep's folder (created; finished cells there are reused).
    scheduler : str or None
        ``None``: an embedded ``LocalCluster`` with ``workers`` processes (default: the
        cores); ``"tcp://HOST:PORT"``: a running Dask scheduler; ``"inline"``: no Dask.
    progress : bool
        A progress bar over updates, with the estimated time left (stderr).
    """
    from ..._io import locked_dir

    start = time.perf_counter()
    store = Store(out)
    with locked_dir(out, what="sweep folder"):
        store.prepare(grid.to_json())
        plans = [plan_cell(c, max_updates=grid.max_updates) for c in grid.cells]
        rows: dict[str, dict[str, Any]] = {}
        pending: list[Chunk] = []
        done_chunks: dict[str, list[ChunkResult]] = {}
        cells_resumed = chunks_resumed = 0
        for plan in plans:
            cid = plan.cell.cell_id
            old = store.load_row(cid)
            if old is not None:
                rows[cid] = old
                cells_resumed += 1
                continue
            if plan.status != "run":
                rows[cid] = cell_row(plan, None, grid.fractions)
                store.save_row(rows[cid])
                continue
            done_chunks[cid] = []
            for ch in _chunks_of(plan, grid.chunk):
                res = store.load_chunk(ch)
                if res is None:
                    pending.append(ch)
                else:
                    done_chunks[cid].append(res)
                    chunks_resumed += 1
        by_id = {p.cell.cell_id: p for p in plans}
        need = {cid: len(_chunks_of(by_id[cid], grid.chunk)) for cid in done_chunks}
        failed: dict[str, str] = {}
        total = sum(float(ch.stop - ch.start) * ch.plan.T for ch in pending)

        def _finish(cid: str) -> None:
            plan = by_id[cid]
            err = failed.get(cid)
            rows[cid] = cell_row(plan, done_chunks[cid], grid.fractions, error=err)
            store.save_row(rows[cid]) if err is None else None
            store.write_table([rows[p.cell.cell_id] for p in plans if p.cell.cell_id in rows])

        for cid in list(done_chunks):  # cells whose chunks were all on disk already
            if len(done_chunks[cid]) == need[cid]:
                _finish(cid)
        bar = _bar(total, progress)
        try:
            for chunk, outcome in execute(
                pending,
                scheduler=scheduler,
                workers=workers,
                on_start=lambda addr: bar.set_postfix_str(addr) if bar is not None else None,
            ):
                cid = chunk.plan.cell.cell_id
                if bar is not None:
                    bar.update(float(chunk.stop - chunk.start) * chunk.plan.T)
                if isinstance(outcome, BaseException):
                    failed[cid] = f"{type(outcome).__name__}: {outcome}"
                    need[cid] -= 1
                else:
                    store.save_chunk(chunk, outcome)
                    done_chunks[cid].append(outcome)
                if len(done_chunks[cid]) == need[cid]:
                    _finish(cid)
        finally:
            if bar is not None:
                bar.close()
        used = scheduler or f"LocalCluster({workers or 'all cores'})"
        ordered = [rows[p.cell.cell_id] for p in plans]
        files = store.write_table(ordered)
        if figures:
            from .plots import tightness_figures

            files += tightness_figures(ordered, list(AXES), Path(out))
    return SweepResult(
        rows=ordered,
        seconds=time.perf_counter() - start,
        cells_resumed=cells_resumed,
        chunks_resumed=chunks_resumed,
        updates=total,
        files=files,
        scheduler=used if pending else "none (all resumed)",
    )


def _bar(total: float, progress: bool) -> Any:
    if not progress or total <= 0 or not math.isfinite(total):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="upd", unit_scale=True, desc="sweep", leave=False)
