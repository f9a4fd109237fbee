"""A grid of problems for ``convotron sweep``: from a TOML file or from command-line ranges.

A grid is the Cartesian product of its axes; each point is one **cell**: a problem (scheme,
α, input law, covariance, noise), an accuracy target (ε, δ, ‖w*‖) and a number of
independent runs. The TOML form (the format ``pyproject.toml`` users know)::

    # sweep.toml
    runs = 1000            # independent runs per cell
    seed = 0               # root seed; each cell's seeds derive from it
    chunk = 250            # runs per worker task (changes no result)
    fractions = [0.125, 0.25, 0.5, 1.0]   # fail rate also at these shares of T

    [axes]
    scheme = ["1d:16,4,2", "1d:24,4,2"]
    alpha = [0.0, 0.5, 1.0]
    law = ["gaussian", "rademacher"]
    cov = ["identity"]
    noise = ["none"]
    eps = [0.1]
    delta = [0.1]
    w_norm = [1.0]

    # optional: schemes from a template and ranges (added to axes.scheme)
    [family]
    template = "1d:{n},4,{d}"
    n = [16, 20, 24]
    d = [2, 4]

On the command line each axis takes a comma list or a range ``START:STOP:STEP`` (inclusive
of STOP when it falls on the grid), e.g. ``--alpha 0:1:0.25 --scheme 1d:16,4,2,1d:24,4,2``
(a scheme list is split at ``,1d:``/``,2d:``/``,file:``/``,conv``, since specs hold commas).

A cell is identified by the SHA-256 of its canonical JSON, so its seeds, its file on disk and
its results do not depend on the order of the axes or on the other cells of the grid.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import ConvotronError
from ..._limits import MAX_RUNS
from ..._validate import Interval, validate

__all__ = ["AXES", "Cell", "Grid", "grid_from_args", "load_grid", "parse_axis"]

#: The axes of a grid, in the order the table lists them, with their defaults.
AXES: dict[str, list[Any]] = {
    "scheme": [],
    "alpha": [0.0],
    "law": ["gaussian"],
    "cov": ["identity"],
    "noise": ["none"],
    "eps": [0.1],
    "delta": [0.1],
    "w_norm": [1.0],
}
_FLOAT_AXES = ("alpha", "eps", "delta", "w_norm")
#: Largest number of cells of one grid (checked before the cells are formed).
_MAX_CELLS = 10**5
_TOP_KEYS = {"runs", "seed", "chunk", "fractions", "axes", "family", "max_updates"}


@dataclass(frozen=True)
class Cell:
    """One point of a grid: a problem, an accuracy target and a number of runs."""

    scheme: str
    alpha: float
    law: str
    cov: str
    noise: str
    eps: float
    delta: float
    w_norm: float
    runs: int
    seed: int

    def key(self) -> dict[str, Any]:
        """Return the canonical description (what the cell's identity and seeds derive from)."""
        return asdict(self)

    @property
    def cell_id(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of :meth:`key`."""
        text = json.dumps(self.key(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def entropy(self) -> list[int]:
        """Entropy of the cell's ``SeedSequence``: the root seed and the cell's hash."""
        return [self.seed, int(self.cell_id, 16)]


@dataclass(frozen=True)
class Grid:
    """A grid of cells and the settings that apply to all of them."""

    axes: dict[str, list[Any]]
    runs: int
    seed: int = 0
    chunk: int = 250
    fractions: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
    max_updates: float = math.inf
    cells: tuple[Cell, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.axes.get("scheme"):
            raise ConvotronError(
                "a sweep grid needs at least one scheme; got none. Give axes.scheme (TOML) "
                "or --scheme (e.g. --scheme 1d:16,4,2)."
            )
        names = list(AXES)
        # sizes checked before the product is formed (each axis may hold 10⁴ values)
        runs = validate(
            "runs",
            self.runs,
            Interval(int, 1, MAX_RUNS),
            meaning="the independent runs per cell",
            fix="Use fewer runs (the binomial interval narrows as 1/sqrt(runs)).",
        )
        object.__setattr__(self, "runs", runs)
        n_cells = math.prod(len(self.axes[a]) for a in names)
        if n_cells > _MAX_CELLS:
            raise _bad("the number of cells (the product of the axes' lengths)",
                       f"at most {_MAX_CELLS}", n_cells, "Use shorter axes.")  # fmt: skip
        cells = []
        for values in itertools.product(*(self.axes[a] for a in names)):
            point = dict(zip(names, values, strict=True))
            cells.append(Cell(**point, runs=self.runs, seed=self.seed))
        ids = [c.cell_id for c in cells]
        if len(set(ids)) != len(ids):
            raise ConvotronError(
                "the grid lists the same cell twice (a value repeated on an axis). "
                "Remove the duplicate value."
            )
        object.__setattr__(self, "cells", tuple(cells))

    def to_json(self) -> dict[str, Any]:
        """Return the grid's description (saved beside the results)."""
        return {
            "axes": self.axes,
            "runs": self.runs,
            "seed": self.seed,
            "chunk": self.chunk,
            "fractions": list(self.fractions),
            "max_updates": None if math.isinf(self.max_updates) else self.max_updates,
        }


def _bad(what: str, rule: str, got: Any, fix: str) -> ConvotronError:
    return ConvotronError(f"{what} must be {rule}; got {got!r}. {fix}")


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(what, "a number", text, "Write e.g. 0.5.") from None
    if not math.isfinite(value):
        raise _bad(what, "a finite number", text, "Write e.g. 0.5.")
    return value


_SCHEME_SPLIT = re.compile(r",(?=(?:1d|2d|file|conv1d|conv2d):)")


def parse_axis(name: str, text: str) -> list[Any]:
    """Parse one command-line axis: a comma list, or ``START:STOP:STEP`` for numbers."""
    if name not in AXES:
        raise _bad("a sweep axis", f"one of {sorted(AXES)}", name, "Use one of those names.")
    text = text.strip()
    if not text:
        raise _bad(f"--{name.replace('_', '-')}", "a non-empty list", text, "Give a value.")
    if name == "scheme":
        return [s.strip() for s in _SCHEME_SPLIT.split(text)]
    if name not in _FLOAT_AXES:
        return [s.strip() for s in text.split(",")]
    if text.count(":") == 2:
        parts = text.split(":")
        start, stop, step = (_number(p, f"--{name} range") for p in parts)
        if step <= 0 or stop < start:
            raise _bad(
                f"--{name} range START:STOP:STEP",
                "increasing with STEP > 0",
                text,
                "Write e.g. 0:1:0.25.",
            )
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > 10_000:
            raise _bad(f"--{name} range", "at most 10000 values", text, "Use a larger STEP.")
        return [round(start + i * step, 12) for i in range(count)]
    return [_number(s, f"--{name}") for s in text.split(",")]


def _validate_axis(name: str, values: Any, source: str) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise _bad(f"{source} {name}", "a non-empty list", values, f'Write e.g. {name} = ["…"].')
    out: list[Any] = []
    for v in values:
        if name in _FLOAT_AXES:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise _bad(f"{source} {name}", "a list of finite numbers", values, "Fix it.")
            out.append(float(v))
        else:
            if not isinstance(v, str) or not v:
                raise _bad(f"{source} {name}", "a list of strings", values, "Quote each value.")
            out.append(v)
    return out


def _positive_int(value: Any, what: str, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(what, "a positive integer", value, fix)
    return int(value)


def _family(spec: dict[str, Any], source: str) -> list[str]:
    template = spec.get("template")
    if not isinstance(template, str):
        raise _bad(f"{source} family.template", "a string", template, 'E.g. "1d:{n},4,{d}".')
    names = re.findall(r"{(\w+)}", template)
    ranges = {}
    for nm in names:
        vals = spec.get(nm)
        if not isinstance(vals, list) or not vals:
            raise _bad(f"{source} family.{nm}", "a non-empty list", vals, f"Give {nm} = [...].")
        ranges[nm] = vals
    return [
        template.format(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*(ranges[nm] for nm in names))
    ]


def load_grid(path: str | Path) -> Grid:
    """Read a grid from a TOML file (see the module docstring for the format)."""
    p = Path(path)
    if not p.is_file():
        raise _bad("the grid file", "an existing TOML file", str(p), "Check the path.")
    if p.stat().st_size > 1024**2:
        raise _bad("the grid file", "at most 1 MB", f"{p.stat().st_size} bytes", "Shorten it.")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad("the grid file", "valid TOML", str(p), f"Fix it ({exc}).") from None
    return grid_from_mapping(data, source=str(p))


def grid_from_mapping(data: dict[str, Any], *, source: str = "grid") -> Grid:
    """Build a grid from a parsed TOML mapping."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _bad(f"{source} keys", f"among {sorted(_TOP_KEYS)}", sorted(unknown), "Rename.")
    raw_axes = data.get("axes", {})
    if not isinstance(raw_axes, dict):
        raise _bad(f"{source} [axes]", "a table", raw_axes, "Write [axes] then one list per axis.")
    bad_axes = set(raw_axes) - set(AXES)
    if bad_axes:
        raise _bad(f"{source} axes", f"among {list(AXES)}", sorted(bad_axes), "Rename them.")
    axes = {name: list(default) for name, default in AXES.items()}
    for name, values in raw_axes.items():
        axes[name] = _validate_axis(name, values, source)
    if "family" in data:
        axes["scheme"] = axes["scheme"] + _family(data["family"], source)
    runs = _positive_int(data.get("runs", 100), f"{source} runs", "E.g. runs = 1000.")
    chunk = _positive_int(data.get("chunk", 250), f"{source} chunk", "E.g. chunk = 250.")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _bad(f"{source} seed", "a non-negative integer", seed, "E.g. seed = 0.")
    fractions = data.get("fractions", [0.125, 0.25, 0.5, 1.0])
    if (
        not isinstance(fractions, list)
        or not fractions
        or not all(isinstance(f, int | float) and 0 < f <= 1 for f in fractions)
    ):
        raise _bad(
            f"{source} fractions", "a list of numbers in (0, 1]", fractions, "E.g. [0.5, 1]."
        )
    max_updates = data.get("max_updates", math.inf)
    if (
        isinstance(max_updates, bool)
        or not isinstance(max_updates, int | float)
        or max_updates <= 0
    ):
        raise _bad(f"{source} max_updates", "a positive number", max_updates, "E.g. 1e9.")
    return Grid(
        axes=axes,
        runs=runs,
        seed=seed,
        chunk=chunk,
        fractions=tuple(sorted(float(f) for f in fractions)),
        max_updates=float(max_updates),
    )


def grid_from_args(
    axes_text: dict[str, str | None],
    *,
    runs: int,
    seed: int,
    chunk: int,
    fractions: str | None = None,
    max_updates: float = math.inf,
) -> Grid:
    """Build a grid from command-line axis strings (``None`` keeps an axis's default)."""
    axes = {name: list(default) for name, default in AXES.items()}
    for name, text in axes_text.items():
        if text is not None:
            axes[name] = parse_axis(name, text)
    fr: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
    if fractions is not None:
        fr = tuple(sorted(_number(f, "--fractions") for f in fractions.split(",")))
        if not all(0 < f <= 1 for f in fr):
            raise _bad("--fractions", "numbers in (0, 1]", fractions, "E.g. 0.25,0.5,1.")
    return Grid(axes=axes, runs=runs, seed=seed, chunk=chunk, fractions=fr, max_updates=max_updates)
