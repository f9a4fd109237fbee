r"""Running a sweep's cells: the theorem's numbers per cell, runs split into chunks, on Dask.

Determinism: run ``j`` of a cell uses
``numpy.random.default_rng(SeedSequence(cell.entropy, spawn_key=(j,)))``, which is the
``j``-th child of ``SeedSequence(cell.entropy).spawn(...)``, so a chunk of runs computes exactly
what the same runs compute anywhere else: results do not depend on the number of workers, the
chunk size, the scheduler or the order in which chunks finish.

Teachers: every cell runs ``teachers`` directions of ``w*`` (each of norm ``w_norm``), because
the number of updates a run needs varies by an order of magnitude with the direction of
``w*`` alone: teacher 0 is the **hardest** direction, the unit eigenvector of
:math:`\lambda_{\min}(M)`, :math:`M = P\Sigma P^\top` (the progress lemma's slowest direction,
``lem-progress``), teacher 1 the eigenvector of :math:`\lambda_{\max}(M)`, teachers ``j >= 2``
uniform on the sphere from ``SeedSequence(cell.entropy + [1, j])``. The sign of an
eigenvector is fixed (its largest-magnitude entry positive). Teacher ``t``'s runs use the
seed ``cell.entropy + [t]``.

Preconditioning (``precondition="exact"`` or ``"plugin"``; thm-precond, this project's
extension, **[derived]**, not GKM18's): the cell's ``η`` and ``T`` (and ``a``, ``β``, ``ρ``)
are the preconditioned theorem's, computed exactly for a fixed ``H``
(:func:`convotron.glue.verify.precond.preconditioned_theorem`), and every run updates with
``ConvotronRule(precondition=H)`` for that very ``H``: ``M⁻¹`` of the problem, or ``M̂⁻¹``
from ``50 r`` samples drawn once per cell from its own seed
(:func:`~convotron.glue.verify.precond.plugin_seed` of the root seed and the cell's id; the
theorem then holds given ``M̂``). The teacher directions stay ``M``'s eigenvectors: for
``H = M⁻¹`` the preconditioned theorem's worst direction (the largest
``Φ₁ = w*ᵀ H⁻¹ w*``) is ``easiest``, teacher 1, run by default.

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

from ..._validate import DEFAULT_STREAM
from ...data._ordered import norm_in_order
from ..directions import extreme_directions
from .grid import Cell

__all__ = [
    "CellPlan",
    "Chunk",
    "ChunkResult",
    "execute",
    "plan_cell",
    "run_chunk",
    "teacher_names",
]

#: The theorem's numbers of a cell that its plan carries and its row shows.
THEOREM_COLUMNS = ("lambda_min", "a", "beta", "beta_rule", "rho", "eta")


class _Numbers(dict[str, Any]):
    """A plain dict whose keys also read as attributes (``params.eta``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


#: Points recorded along each run (the fail rate at fractions of T reads them).
RECORDS = 64
#: Largest patch size r for which the hardest direction is computed (an r x r eigh).
MAX_EIG_R = 4096


def teacher_names(count: int) -> list[str]:
    """Names of a cell's teachers: ``hardest``, ``easiest``, ``random2``, ``random3``, ..."""
    return ["hardest", "easiest", *(f"random{j}" for j in range(2, max(2, count)))][:count]


@dataclass(frozen=True)
class CellPlan:
    """What a cell will run: the theorem's numbers, or why it does not run."""

    cell: Cell
    parameters: dict[str, Any]  # the theorem's numbers the table shows (THEOREM_COLUMNS)
    eta: float
    T: int
    record_every: int
    status: str  # "run" or "not run"
    reason: str = ""
    w_stars: tuple[np.ndarray, ...] = ()  # one per teacher (empty when not run)
    H: tuple[tuple[float, ...], ...] | None = None  # the preconditioner (None: Algorithm 1)

    @property
    def updates(self) -> float:
        """Updates the cell costs (teachers × runs × T), 0 when it does not run."""
        if self.status != "run":
            return 0.0
        return float(len(self.w_stars)) * self.cell.runs * self.T


@dataclass(frozen=True)
class Chunk:
    """Runs ``start .. stop - 1`` of one teacher of one cell."""

    plan: CellPlan
    start: int
    stop: int
    teacher: int = 0
    stream: str = DEFAULT_STREAM  # the runs' random stream (Grid.rng)

    @property
    def name(self) -> str:
        """File-name-safe label of the teacher and run range, e.g. ``t0-000000000-000000250``."""
        return f"t{self.teacher}-{self.start:09d}-{self.stop:09d}"


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
    from ...model.problem import Problem

    return Problem.from_specs(cell.scheme, cell.alpha, cell.law, cell.cov, cell.noise)


#: Per (scheme, covariance) of the cells planned in this process: the spectra of M (the exact
#: check and the extreme eigenvalues) and its eigenvectors, shared by the cells that differ
#: only in α, law, noise, ε, δ or ‖w*‖ (a plan is otherwise milliseconds of sympy per cell).
_SPECTRA: dict[tuple[str, str], Any] = {}
_EIGEN: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}


def _geometry_key(problem: Any, cell: Cell) -> tuple[str, str]:
    """Return the resolved scheme (its indices: a ``file:`` may change) and Σ's spec."""
    import hashlib

    scheme = problem.scheme
    digest = hashlib.sha256(np.ascontiguousarray(scheme.indices).tobytes()).hexdigest()
    return (f"{scheme.n}:{scheme.indices.shape}:{digest}", cell.cov)


_CACHE_SIZE = 256


def _cached(cache: dict[tuple[str, str], Any], key: tuple[str, str], make: Any) -> Any:
    if key not in cache:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def teacher_directions(problem: Any, cell: Cell, teachers: int) -> tuple[np.ndarray, ...]:
    """Return the cell's ``w*`` of norm ``w_norm``: hardest, easiest, then random ones.

    The hardest and the easiest are the canonical eigenvectors of ``M`` at ``λ_min`` and
    ``λ_max`` (:func:`convotron.glue.directions.eigen_direction`: the same on every processor,
    also for a repeated eigenvalue); the random ones are normal draws scaled by a norm summed in
    a fixed order (``convotron.data._ordered.norm_in_order``), the same bits on every processor.
    """
    out: list[np.ndarray] = []
    if teachers >= 1:

        def eig() -> tuple[np.ndarray, np.ndarray]:
            M = np.asarray(problem.scheme.overlap_matrix(problem.cov), dtype=np.float64)
            return extreme_directions(M)

        hardest, easiest = _cached(_EIGEN, _geometry_key(problem, cell), eig)
        out.append(hardest)
        if teachers >= 2:
            out.append(easiest)
    for j in range(2, teachers):
        g = np.random.default_rng(np.random.SeedSequence([*cell.entropy, 1, j])).standard_normal(
            problem.r
        )
        out.append(g / norm_in_order(g))
    return tuple(cell.w_norm * v / norm_in_order(v) for v in out)


def plan_cell(
    cell: Cell, *, max_updates: float = math.inf, teachers: int = 1, precondition: str = "none"
) -> CellPlan:
    """Compute the theorem's numbers of a cell (once) and decide whether it runs.

    With ``precondition`` ``"exact"``/``"plugin"`` the numbers are thm-precond's ([derived])
    for the ``H`` the plan carries to the runs (see the module docstring); a cell whose
    preconditioned constants cannot be computed (a padded scheme, a law without a finite
    fourth moment) is "not run", with the reason.
    """
    from ..._errors import ConvotronError
    from .._constants import Spectrum
    from ..parameters import theorem_parameters

    problem = _problem(cell)
    spectrum = _cached(_SPECTRA, _geometry_key(problem, cell), lambda: Spectrum.of(problem))
    full = theorem_parameters(
        problem, eps=cell.eps, delta=cell.delta, w_norm=cell.w_norm, spectrum=spectrum
    )
    H: tuple[tuple[float, ...], ...] | None = None
    if precondition != "none" and full.applies and full.lambda_min > 0:
        from ..verify.precond import preconditioned_theorem

        try:
            pre = preconditioned_theorem(full, precondition, seed=cell.seed, name=cell.cell_id)
        except ConvotronError as exc:
            params = _Numbers({name: getattr(full, name) for name in THEOREM_COLUMNS})
            params.update(applies=False, violations=[str(exc)], T=math.inf)
            return CellPlan(cell, params, math.nan, 0, 1, "not run",
                            f"precondition {precondition}: {exc}")  # fmt: skip
        H = tuple(tuple(float(v) for v in row) for row in np.asarray(pre.H))
        full = pre
    # only the numbers the table shows travel with the plan (to workers, and in memory for
    # every cell of a 100,000-cell grid), not the whole parameters object
    params = _Numbers({name: getattr(full, name) for name in THEOREM_COLUMNS})
    params.update(applies=full.applies, violations=list(full.violations), T=full.T)
    T = params.T
    if not params.applies or not (math.isfinite(params.eta) and params.eta > 0):
        why = "; ".join(params.violations) or "no finite step size"
        return CellPlan(cell, params, params.eta, 0, 1, "not run", why)
    if not math.isfinite(T):
        return CellPlan(cell, params, params.eta, 0, 1, "not run", "no finite T")
    T = int(T)
    cost = float(teachers) * cell.runs * T
    if cost > max_updates:
        return CellPlan(
            cell,
            params,
            params.eta,
            T,
            1,
            "not run",
            f"teachers x runs x T = {cost:.3g} updates exceeds max_updates = {max_updates:.3g}",
        )
    if problem.r > MAX_EIG_R:
        return CellPlan(cell, params, params.eta, T, 1, "not run",
                        f"r = {problem.r} > {MAX_EIG_R}: the hardest teacher direction (an "
                        "r x r eigenvector) is not computed")  # fmt: skip
    w_stars = teacher_directions(problem, cell, teachers)
    return CellPlan(cell, params, float(params.eta), T, max(1, T // RECORDS), "run", "", w_stars,
                    H)  # fmt: skip


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run the chunk's runs (a pure function of the chunk: any worker gives the same arrays).

    The runs are :func:`convotron.learning.many.run_range`'s with the cell's entropy as the seed; a
    diverged run's final error and records are ``inf``.
    """
    from ...learning.many import collect_runs, run_range
    from ...learning.rules import ConvotronRule

    plan, cell = chunk.plan, chunk.plan.cell
    teacher = _problem(cell).teacher(plan.w_stars[chunk.teacher])
    rule = ConvotronRule() if plan.H is None else ConvotronRule(precondition=plan.H)
    each = run_range(rule, teacher, eta=plan.eta, iters=plan.T,
                     seed=[*cell.entropy, chunk.teacher], start=chunk.start, stop=chunk.stop,
                     record_every=plan.record_every, eps=cell.eps,
                     stream=chunk.stream)  # fmt: skip
    runs = collect_runs(each, 0.0)
    assert runs.diverged is not None and runs.histories is not None
    assert runs.history_t is not None
    final = np.where(runs.diverged, math.inf, runs.final_sq_errors)
    hist = np.where(runs.diverged[:, None], math.inf, runs.histories)
    history_t = np.asarray(runs.history_t, dtype=np.int64)
    return ChunkResult(chunk.start, chunk.stop, final, runs.first_hits, history_t, hist)


def _key(chunk: Chunk) -> str:
    return f"convotron-{chunk.plan.cell.cell_id}-{chunk.stream}-{chunk.name}"


def execute(
    chunks: list[Chunk],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_start: Callable[[str], None] | None = None,
    verbose: bool = False,
) -> Iterator[tuple[Chunk, ChunkResult | BaseException]]:
    """Run chunks and yield ``(chunk, result or exception)`` as they finish.

    The executor is :func:`convotron.glue.dask.execute`, shared with ``convotron verify``.
    """
    from ..dask import execute as run_tasks

    yield from run_tasks(
        run_chunk,
        chunks,
        key=_key,
        scheduler=scheduler,
        workers=workers,
        on_start=on_start,
        verbose=verbose,
    )
