"""Running a sweep's cells: the theorem's numbers per cell, runs split into chunks, on Dask.

Determinism: run ``j`` of a cell uses
``numpy.random.default_rng(SeedSequence(cell.entropy, spawn_key=(j,)))``, which is the
``j``-th child of ``SeedSequence(cell.entropy).spawn(...)``, so a chunk of runs computes exactly
what the same runs compute anywhere else: results do not depend on the number of workers, the
chunk size, the scheduler or the order in which chunks finish. The teacher ``w*`` of a cell is
drawn from ``SeedSequence(cell.entropy + [1])`` with ``‖w*‖ = w_norm``.

Backends: ``scheduler=None`` starts an embedded ``distributed.LocalCluster`` with one
single-threaded worker process per core; an address (``tcp://host:port``) connects to a
running cluster (``dask scheduler`` / ``dask worker``); ``"inline"`` runs the chunks in this
process without Dask (for debugging). A chunk whose worker dies is retried by the scheduler
(``retries``); a chunk that keeps failing marks its cell as failed, with the error, in the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .grid import Cell

__all__ = ["CellPlan", "Chunk", "ChunkResult", "execute", "plan_cell", "run_chunk"]

#: Points recorded along each run (the fail rate at fractions of T reads them).
RECORDS = 64


@dataclass(frozen=True)
class CellPlan:
    """What a cell will run: the theorem's numbers, or why it does not run."""

    cell: Cell
    parameters: Any  # the theorem-parameters object (carried by reference)
    eta: float
    T: int
    record_every: int
    status: str  # "run" or "not run"
    reason: str = ""

    @property
    def updates(self) -> float:
        """Updates the cell costs (runs × T), 0 when it does not run."""
        return float(self.cell.runs) * self.T if self.status == "run" else 0.0


@dataclass(frozen=True)
class Chunk:
    """Runs ``start .. stop - 1`` of one cell."""

    plan: CellPlan
    start: int
    stop: int

    @property
    def name(self) -> str:
        """File-name-safe label of the run range, e.g. ``000000000-000000250``."""
        return f"{self.start:09d}-{self.stop:09d}"


@dataclass(frozen=True)
class ChunkResult:
    """Per-run outcomes of one chunk, in run order."""

    start: int
    stop: int
    final: np.ndarray  # ‖w_{T+1} − w*‖², inf when diverged
    first_hit: np.ndarray  # first update with error ≤ ε, −1 when never
    history_t: np.ndarray  # recorded update counts (shared)
    history: np.ndarray  # (runs, records) errors at history_t

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays to save (``np.savez``)."""
        return {
            "range": np.array([self.start, self.stop], dtype=np.int64),
            "final": self.final,
            "first_hit": self.first_hit,
            "history_t": self.history_t,
            "history": self.history,
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> ChunkResult:
        """Rebuild a chunk result from :meth:`to_arrays`."""
        start, stop = (int(v) for v in a["range"])
        return cls(start, stop, a["final"], a["first_hit"], a["history_t"], a["history"])


def _problem(cell: Cell) -> Any:
    from ...problem import Problem

    return Problem.from_specs(cell.scheme, cell.alpha, cell.law, cell.cov, cell.noise)


def plan_cell(cell: Cell, *, max_updates: float = math.inf) -> CellPlan:
    """Compute the theorem's numbers of a cell (once) and decide whether it runs."""
    from ..parameters import theorem_parameters

    params = theorem_parameters(_problem(cell), eps=cell.eps, delta=cell.delta, w_norm=cell.w_norm)
    T = params.T
    if not params.applies or not (math.isfinite(params.eta) and params.eta > 0):
        why = "; ".join(params.violations) or "no finite step size"
        return CellPlan(cell, params, params.eta, 0, 1, "not run", why)
    if not math.isfinite(T):
        return CellPlan(cell, params, params.eta, 0, 1, "not run", "no finite T")
    T = int(T)
    if float(cell.runs) * T > max_updates:
        return CellPlan(
            cell,
            params,
            params.eta,
            T,
            1,
            "not run",
            f"runs x T = {cell.runs * T:.3g} updates exceeds max_updates = {max_updates:.3g}",
        )
    return CellPlan(cell, params, float(params.eta), T, max(1, T // RECORDS), "run")


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run the chunk's runs (a pure function of the chunk: any worker gives the same arrays).

    The runs are :func:`convotron.many.run_range`'s with the cell's entropy as the seed; a
    diverged run's final error and records are ``inf``.
    """
    from ...many import collect_runs, run_range
    from ...rules import ConvotronRule

    plan, cell = chunk.plan, chunk.plan.cell
    teacher = _problem(cell).random_teacher(
        np.random.default_rng(np.random.SeedSequence([*cell.entropy, 1])), w_norm=cell.w_norm
    )
    each = run_range(ConvotronRule(), teacher, eta=plan.eta, iters=plan.T, seed=cell.entropy,
                     start=chunk.start, stop=chunk.stop, record_every=plan.record_every,
                     eps=cell.eps)  # fmt: skip
    runs = collect_runs(each, 0.0)
    assert runs.diverged is not None and runs.histories is not None
    assert runs.history_t is not None
    final = np.where(runs.diverged, math.inf, runs.final_sq_errors)
    hist = np.where(runs.diverged[:, None], math.inf, runs.histories)
    history_t = np.asarray(runs.history_t, dtype=np.int64)
    return ChunkResult(chunk.start, chunk.stop, final, runs.first_hits, history_t, hist)


def _key(chunk: Chunk) -> str:
    return f"convotron-{chunk.plan.cell.cell_id}-{chunk.name}"


def execute(
    chunks: list[Chunk],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Iterator[tuple[Chunk, ChunkResult | BaseException]]:
    """Run chunks and yield ``(chunk, result or exception)`` as they finish.

    The executor is :func:`convotron.glue.dask.execute`, shared with ``convotron verify``.
    """
    from ..dask import execute as run_tasks

    yield from run_tasks(
        run_chunk, chunks, key=_key, scheduler=scheduler, workers=workers, on_start=on_start
    )
