"""Shared machinery of the experiment runners: results, tables, seeds, safe runs.

Every experiment module (``sgd_vs_convotron``, ``noise``, ...) provides

- a frozen ``Config`` dataclass derived from :class:`ExperimentConfig`, whose defaults are the
  quick settings and whose ``FULL`` names the fields the full settings change
  (``Config.quick()``, ``Config.full()``);
- ``run(config=None, *, quick=True, seed=0, progress=False) -> ExperimentResult``,
  which computes the numbers (deterministic for a given ``seed``: every run draws its
  generator from ``numpy.random.SeedSequence(seed).spawn``), which
  :func:`experiment` makes of the module's ``(cfg, seed, progress) -> Findings``;
- ``plot(result, out) -> list[pathlib.Path]``, which writes the PNG figures.

:func:`convotron.glue.experiments.run_experiment` joins them and writes the JSON file.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self

import numpy as np

from ..._errors import ConvotronError, DivergenceError
from ..._io import pick, to_jsonable
from ..._validate import Interval, Param
from ...data._ordered import norm_in_order

__all__ = [
    "SEED",
    "ExperimentConfig",
    "ExperimentResult",
    "Findings",
    "Outcome",
    "Table",
    "config_dict",
    "experiment",
    "finish",
    "first_hit_or_none",
    "fmt",
    "loglog_slope",
    "median_or_none",
    "noiseless_problem",
    "outcome_record",
    "progress_bar",
    "resolve_config",
    "run_convotron",
    "safe_run",
    "spawn_generators",
    "theorem_for",
    "unit_filter",
]

#: An experiment's seed: the one check of it (run_experiment and spawn_generators).
SEED = Param("seed", Interval(int, 0, None), fix="Pass e.g. seed=0 (--seed 0).")


@dataclass(frozen=True)
class ExperimentConfig:
    """Base of the experiments' ``Config``: the theorem's targets, the quick and full settings.

    A subclass is a frozen dataclass whose defaults are the quick settings (each run well under
    a minute on 2 cores) and whose class attribute ``FULL`` maps the fields that the full
    settings change to their full values; one whose settings are computed overrides
    :meth:`quick` or :meth:`full`. Its own fields come after the three below (in ``config``
    of the findings too).

    Attributes
    ----------
    eps, delta : float
        The theorem's accuracy ``ε`` (also the level of "updates to reach ε") and failure
        probability ``δ``: :func:`theorem_for` gives the runs the theorem's ``η`` and ``T``
        for them.
    w_norm : float
        ``‖w*‖`` of the teachers (the theorem's bound on it).
    """

    eps: float = 1e-2
    delta: float = 0.1
    w_norm: float = 1.0

    #: The fields of the full settings that differ from the defaults, and their values.
    FULL: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def quick(cls) -> Self:
        """Return the quick settings: the defaults."""
        return cls()

    @classmethod
    def full(cls) -> Self:
        """Return the full settings: the defaults with ``FULL``'s values."""
        return cls(**cls.FULL)


@dataclass(frozen=True)
class Table:
    """A short text table printed by ``convotron experiment``.

    Parameters
    ----------
    headers : tuple of str
        Column titles.
    rows : tuple of tuple
        Cell values (already formatted strings, or numbers formatted by :func:`fmt`).
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def render(self) -> str:
        """Return the table as aligned plain text (one header line, a rule, the rows)."""
        cells = [list(self.headers)] + [[fmt(c) for c in row] for row in self.rows]
        widths = [max(len(str(row[j])) for row in cells) for j in range(len(self.headers))]
        lines = [
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def to_json(self) -> dict[str, Any]:
        """Return ``{"headers": [...], "rows": [[...], ...]}`` with plain JSON values."""
        return {"headers": list(self.headers), "rows": to_jsonable([list(r) for r in self.rows])}


@dataclass(frozen=True)
class ExperimentResult:
    """Everything one experiment computed.

    Attributes
    ----------
    name : str
        Experiment name, e.g. ``"noise"``.
    seed : int
        Root seed; the result is a deterministic function of ``(config, seed)``.
    quick : bool
        Whether the quick settings were used.
    config : dict
        The settings, as plain JSON values.
    data : dict
        The numbers behind the figures (plain JSON values, no timings: deterministic).
    conclusions : dict
        Named findings (booleans and numbers) that the tests assert.
    table : Table
        The short table printed on the command line.
    notes : tuple of str
        Plain-language remarks printed under the table (what the figures show, caveats).
    seconds : float
        Wall-clock time of the computation (not part of ``data``: not deterministic).
    figures : tuple of Path
        PNG files written by ``plot`` (empty until written).
    json_path : Path or None
        The JSON file written by :func:`convotron.glue.experiments.run_experiment`.
    """

    name: str
    seed: int
    quick: bool
    config: dict[str, Any]
    data: dict[str, Any]
    conclusions: dict[str, Any]
    table: Table
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    figures: tuple[Path, ...] = field(default_factory=tuple)
    json_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON document written to ``NAME.json`` and printed by ``--json``."""
        return to_jsonable(
            {
                "experiment": self.name,
                "seed": self.seed,
                "quick": self.quick,
                "config": self.config,
                "conclusions": self.conclusions,
                "table": self.table.to_json(),
                "notes": list(self.notes),
                "data": self.data,
                "figures": [str(p) for p in self.figures],
                "json": None if self.json_path is None else str(self.json_path),
                "elapsed_seconds": round(self.seconds, 3),
            }
        )


@dataclass(frozen=True)
class Outcome:
    """The outcome of one run that may diverge.

    Attributes
    ----------
    status : str
        ``"ok"`` or ``"diverged"`` (a :class:`~convotron.DivergenceError`, or non-finite weights).
    w : ndarray or None
        Final weights (``None`` when diverged).
    sq_error : float or None
        ``‖w_{T+1} − w*‖²`` (``None`` when diverged).
    first_hit : int or None
        First recorded iteration with ``‖w_t − w*‖² <= ε`` (``None`` if never or diverged).
    history_t, history : ndarray or None
        Recorded iterations and squared distances (``None`` when diverged).
    """

    status: str
    w: np.ndarray | None
    sq_error: float | None
    first_hit: int | None
    history_t: np.ndarray | None
    history: np.ndarray | None

    @property
    def diverged(self) -> bool:
        """Whether the run diverged."""
        return self.status == "diverged"


def safe_run(fn: Callable[[], Any]) -> Outcome:
    """Call ``fn()`` (a run returning a ``RunResult``) and record divergence instead of raising.

    A :class:`~convotron.DivergenceError`, a ``FloatingPointError`` or non-finite final
    weights or distances all give ``Outcome(status="diverged")``: a divergent learning rate
    is a result of the experiment, not a crash.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            res = fn()
    except (DivergenceError, FloatingPointError, OverflowError):
        return Outcome("diverged", None, None, None, None, None)
    w = np.asarray(res.w, dtype=float)
    sq = res.sq_error
    if not np.all(np.isfinite(w)) or (sq is not None and not math.isfinite(sq)):
        return Outcome("diverged", None, None, None, None, None)
    hist = None if res.history is None else np.asarray(res.history, dtype=float)
    if hist is not None and not np.all(np.isfinite(hist)):
        return Outcome("diverged", None, None, None, None, None)
    ht = None if res.history_t is None else np.asarray(res.history_t)
    return Outcome(
        "ok", w, None if sq is None else float(sq), first_hit_or_none(res.first_hit), ht, hist
    )


def first_hit_or_none(value: Any) -> int | None:
    """Normalise a first-hit value (``None`` or negative means never) to ``int | None``."""
    if value is None:
        return None
    v = int(value)
    return None if v < 0 else v


def spawn_generators(seed: int, count: int) -> list[np.random.Generator]:
    """Return ``count`` independent generators from ``SeedSequence(seed).spawn(count)``.

    Raises
    ------
    ConvotronError
        If ``seed`` is negative.
    """
    root = SEED(seed)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(root).spawn(count)]


def loglog_slope(x: Sequence[float], y: Sequence[float | None]) -> float | None:
    """Least-squares slope of ``log y`` against ``log x``, over the points where ``y`` is known.

    Returns ``None`` when fewer than two points are usable (``y`` missing or non-positive).
    """
    pts = [(math.log(a), math.log(b)) for a, b in zip(x, y, strict=True) if b is not None and b > 0]
    if len(pts) < 2:
        return None
    lx, ly = np.array(pts).T
    return float(np.polyfit(lx, ly, 1)[0])


def fmt(value: Any) -> str:
    """Format a table cell: floats in 3 significant digits, ``None`` as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        v = float(value)
        if v == 0.0:
            return "0"
        if not math.isfinite(v):
            return str(v)
        return f"{v:.3g}"
    return str(value)


def config_dict(config: Any) -> dict[str, Any]:
    """Return a dataclass config as plain JSON values."""
    if not is_dataclass(config) or isinstance(config, type):
        raise ConvotronError(
            f"config must be an experiment Config dataclass instance; got {type(config).__name__}. "
            "Build one with Config.quick() or Config.full()."
        )
    return to_jsonable(asdict(config))


def progress_bar(total: int, *, desc: str, enabled: bool) -> Any:
    """Return a ``tqdm`` bar on stderr (a no-op bar when ``enabled`` is false)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)


def resolve_config(config_cls: Any, config: Any, quick: bool) -> Any:
    """Return ``config``, or ``config_cls.quick()`` / ``config_cls.full()`` when it is None."""
    if config is not None:
        return config
    return config_cls.quick() if quick else config_cls.full()


def finish(
    name: str,
    *,
    seed: int,
    quick: bool,
    config: Any,
    cfg: Any,
    data: dict[str, Any],
    conclusions: dict[str, Any],
    table: Table,
    notes: tuple[str, ...],
    t0: float,
) -> ExperimentResult:
    """Return the :class:`ExperimentResult` of a run started at ``t0`` (``time.perf_counter``).

    ``config`` is what the caller passed (None: the quick or full settings, ``quick`` says
    which), ``cfg`` the settings actually used.
    """
    return ExperimentResult(
        name=name,
        seed=seed,
        quick=config is None and quick,
        config=config_dict(cfg),
        data=data,
        conclusions=conclusions,
        table=table,
        notes=notes,
        seconds=time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class Findings:
    """What an experiment's computation finds: the fields of :class:`ExperimentResult` it makes."""

    data: dict[str, Any]
    conclusions: dict[str, Any]
    table: Table
    notes: tuple[str, ...]


class Runner(Protocol):
    """An experiment's ``run``: what :func:`experiment` makes of its computation."""

    def __call__(
        self, config: Any = None, *, quick: bool = True, seed: int = 0, progress: bool = False
    ) -> ExperimentResult: ...


def experiment(
    name: str, config_cls: Any
) -> Callable[[Callable[[Any, int, bool], Findings]], Runner]:
    """Make an experiment's ``run`` from its computation ``compute(cfg, seed, progress)``.

    ``run(config=None, *, quick=True, seed=0, progress=False) -> ExperimentResult`` takes the
    settings ``config`` (None: ``config_cls``'s quick or full ones, ``quick`` says which),
    times the computation on them and returns the :class:`ExperimentResult` of its
    :class:`Findings`. Deterministic for a given ``seed``.
    """

    def make(compute: Callable[[Any, int, bool], Findings]) -> Runner:
        def run(
            config: Any = None, *, quick: bool = True, seed: int = 0, progress: bool = False
        ) -> ExperimentResult:
            cfg = resolve_config(config_cls, config, quick)
            t0 = time.perf_counter()
            found = compute(cfg, seed, progress)
            return finish(name, seed=seed, quick=quick, config=config, cfg=cfg, t0=t0,
                          **pick(found))  # fmt: skip

        run.__doc__ = (
            f"Run the experiment ``{name}``; see the module docstring. Deterministic for a "
            "given ``seed``."
        )
        run.__module__, run.__qualname__ = compute.__module__, compute.__qualname__
        return run

    return make


def outcome_record(o: Outcome, *, w: bool = False, **extra: Any) -> dict[str, Any]:
    """Return one run's JSON record: status, final error, first hit, ``extra``, history (, w)."""
    rec: dict[str, Any] = {
        "status": o.status,
        "final_sq_error": o.sq_error,
        "first_hit": o.first_hit,
        **extra,
        "history": None if o.history is None else o.history.tolist(),
    }
    if w:
        rec["w"] = None if o.w is None else o.w.tolist()
    return rec


def median_or_none(values: Sequence[Any]) -> float | None:
    """Median where ``None`` (never reached / diverged) counts as +infinity; None if > half."""
    v = [math.inf if x is None else float(x) for x in values]
    m = float(np.median(v)) if v else math.inf
    return m if math.isfinite(m) else None


def unit_filter(rng: np.random.Generator, r: int, w_norm: float) -> np.ndarray:
    """Return a filter of norm ``w_norm`` drawn uniformly on the sphere (``r`` normal draws)."""
    w = rng.standard_normal(r)
    return w_norm * w / norm_in_order(w)


def noiseless_problem(scheme: Any, alpha: float, law: str = "gaussian", cov: Any = None) -> Any:
    """Return the noiseless :class:`~convotron.model.problem.Problem` (``cov`` None: Σ = I)."""
    from ...data.covariance import Identity
    from ...data.laws import get_law, parse_noise
    from ...model.problem import Problem

    cov = Identity(scheme.n) if cov is None else cov
    return Problem(scheme, alpha, get_law(law), cov, parse_noise("none"))


def theorem_for(cfg: Any, problem: Any, *, only_patch: int | None = None) -> Any:
    """Return the theorem's parameters of ``problem`` at the settings' ``eps, delta, w_norm``."""
    from ..parameters import theorem_parameters

    return theorem_parameters(
        problem, eps=cfg.eps, delta=cfg.delta, w_norm=cfg.w_norm, only_patch=only_patch
    )


def run_convotron(sample: Any, scheme: Any, alpha: float, **kwargs: Any) -> Outcome:
    """Run :func:`convotron.learning.algorithm.convotron` under :func:`safe_run`.

    Divergence recorded.
    """
    from ...learning.algorithm import convotron

    return safe_run(partial(convotron, sample, scheme, alpha, **kwargs))
