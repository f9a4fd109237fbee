"""A grid of problems for ``convotron sweep``: from a TOML file or from command-line ranges.

A grid is the Cartesian product of its axes; each point is one **cell**: a problem (scheme,
α, input law, covariance, noise), an accuracy target (ε, δ, ‖w*‖) and a number of
independent runs. The TOML form (the format ``pyproject.toml`` users know)::

    # sweep.toml
    runs = 1000            # independent runs per cell and teacher
    seed = 0               # root seed; each cell's seeds derive from it
    chunk = 250            # runs per worker task (changes no result)
    teachers = 3           # teacher directions per cell: the hardest (λ_min
                           # eigenvector of M = PΣPᵀ), the easiest, then random
    fractions = [0.125, 0.25, 0.5, 1.0]   # fail rates also at these shares of T
    max_updates = 1e9      # costlier cells (teachers x runs x T) are "not run"
    precondition = "none"  # "exact" (H = M⁻¹) or "plugin" (H = M̂⁻¹): the
                           # preconditioned theorem's η and T ([derived])
    rng = "numpy"          # the runs' random stream: "numpy" or "fast" (other numbers)

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

Limits, all checked before anything of that size is built: at most :data:`MAX_CELLS` cells
(the product of the axes' lengths, a family counted as the product of its value counts),
:data:`MAX_FRACTIONS` fractions, :data:`MAX_TEACHERS` teachers, a grid file of at most 1 MB
nested at most :data:`MAX_TOML_DEPTH` arrays or tables deep. A family template names its
values as ``{name}`` only (no index, attribute, conversion or format spec); a value is a
number or a string.

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
import string
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import ConvotronError
from ..._io import pick
from ..._limits import MAX_RUNS
from ..._validate import DEFAULT_STREAM, Interval, Param

__all__ = [
    "AXES",
    "MAX_CELLS",
    "MAX_FRACTIONS",
    "MAX_TASKS",
    "MAX_TEACHERS",
    "MAX_TOML_DEPTH",
    "PRECONDITIONS",
    "Cell",
    "Grid",
    "fraction_label",
    "grid_from_args",
    "load_grid",
    "parse_axis",
    "parse_fractions",
]

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
MAX_CELLS = 10**5
_MAX_CELLS = MAX_CELLS
#: Largest number of fractions of T at which the fail rate is reported (a run records 64
#: points, so more fractions would repeat columns).
MAX_FRACTIONS = 64
#: Largest number of teacher directions per cell.
MAX_TEACHERS = 16
#: Largest number of tasks (chunks of runs) of one sweep: each is an object here and, on Dask,
#: a future and a task on the scheduler.
MAX_TASKS = 10**6
#: Deepest nesting of arrays and inline tables in a grid file (``tomllib`` recurses).
MAX_TOML_DEPTH = 32
#: Default teacher directions per cell: the hardest, the easiest and one random.
DEFAULT_TEACHERS = 3
DEFAULT_FRACTIONS = (0.125, 0.25, 0.5, 1.0)
_TOP_KEYS = {
    "runs", "seed", "chunk", "fractions", "axes", "family", "max_updates", "teachers",
    "precondition", "rng",
}  # fmt: skip
#: The values of ``rng`` (``--rng``): numpy's stream, or the fast one
#: (:mod:`convotron._compiled._rng`).
RNGS = ("numpy", "fast")
#: The values of ``precondition`` (``--precondition``): Algorithm 1, ``H = M⁻¹``, ``H = M̂⁻¹``.
PRECONDITIONS = ("none", "exact", "plugin")


def fraction_label(f: float) -> str:
    """Return the column suffix of a fraction: ``%g`` when it names ``f`` exactly, else its repr.

    ``0.1`` -> ``0.1``, ``1.0`` -> ``1``, ``0.1000001`` -> ``0.1000001`` (``%g`` would give
    ``0.1``, two columns of one name); distinct fractions always get distinct labels.
    """
    short = f"{f:g}"
    return short if float(short) == f else repr(float(f))


def parse_fractions(values: Any, what: str) -> tuple[float, ...]:
    """Check a list of fractions of T: numbers in (0, 1], at most MAX_FRACTIONS, no repeats."""
    if not isinstance(values, list | tuple) or not values:
        raise _bad(what, "a non-empty list of numbers in (0, 1]", values, "E.g. 0.25,0.5,1.")
    if len(values) > MAX_FRACTIONS:
        raise _bad(
            what,
            f"at most {MAX_FRACTIONS} numbers (a run records 64 points of its curve)",
            f"{len(values)} numbers",
            "Give fewer fractions.",
        )
    out = []
    for f in values:
        if (
            isinstance(f, bool)
            or not isinstance(f, int | float)
            or not math.isfinite(f)
            or not 0 < f <= 1
        ):
            raise _bad(what, "numbers in (0, 1]", f, "E.g. 0.25,0.5,1.")
        out.append(float(f))
    fr = tuple(sorted(out))
    if len(set(fr)) != len(fr):
        dup = next(f for f in fr if fr.count(f) > 1)
        raise _bad(what, "distinct numbers", dup, "Remove the repeated fraction.")
    return fr


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


#: The checks of a grid's sizes (convotron._validate), made before the product of the axes.
_RUNS = Param("runs", Interval(int, 1, MAX_RUNS), meaning="the independent runs per cell",
              fix="Use fewer runs (the binomial interval narrows as 1/sqrt(runs)).")  # fmt: skip
_TEACHERS = Param("teachers", Interval(int, 1, MAX_TEACHERS),
                  meaning="the teacher directions per cell",
                  fix="E.g. 3: the hardest, the easiest and one random direction.")  # fmt: skip


@dataclass(frozen=True)
class Grid:
    """A grid of cells and the settings that apply to all of them."""

    axes: dict[str, list[Any]]
    runs: int
    seed: int = 0
    chunk: int = 250
    fractions: tuple[float, ...] = DEFAULT_FRACTIONS
    max_updates: float = math.inf
    teachers: int = DEFAULT_TEACHERS
    precondition: str = "none"
    # the runs' random stream (convotron.learning.algorithm.fit's ``stream``)
    rng: str = DEFAULT_STREAM
    cells: tuple[Cell, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.axes.get("scheme"):
            raise ConvotronError(
                "a sweep grid needs at least one scheme; got none. Give axes.scheme (TOML) "
                "or --scheme (e.g. --scheme 1d:16,4,2)."
            )
        names = list(AXES)
        # sizes checked before the product is formed (each axis may hold 10⁴ values)
        runs, teachers = _RUNS(self.runs), _TEACHERS(self.teachers)
        object.__setattr__(self, "runs", runs)
        object.__setattr__(self, "teachers", teachers)
        if self.precondition not in PRECONDITIONS:
            raise _bad("precondition", f"one of {', '.join(PRECONDITIONS)}", self.precondition,
                       'E.g. precondition = "exact" (H = M⁻¹).')  # fmt: skip
        if self.rng not in RNGS:
            raise _bad("rng", f"one of {', '.join(RNGS)}", self.rng,
                       'E.g. rng = "fast" (the xoshiro256++/ziggurat stream).')  # fmt: skip
        object.__setattr__(self, "fractions", parse_fractions(list(self.fractions), "fractions"))
        if isinstance(self.max_updates, bool) or not (
            isinstance(self.max_updates, int | float) and self.max_updates > 0
        ):  # NaN fails the comparison
            raise _bad("max_updates", "a positive number (or inf)", self.max_updates, "E.g. 1e9.")
        n_cells = math.prod(len(self.axes[a]) for a in names)
        if n_cells > _MAX_CELLS:
            raise _bad("the number of cells (the product of the axes' lengths)",
                       f"at most {_MAX_CELLS}", n_cells, "Use shorter axes.")  # fmt: skip
        chunk = _positive_int(self.chunk, "chunk", "E.g. chunk = 250.")
        tasks = n_cells * teachers * -(-runs // chunk)
        if tasks > MAX_TASKS:
            raise _bad("the number of tasks (cells x teachers x runs/chunk)",
                       f"at most {MAX_TASKS}",
                       f"{n_cells} x {teachers} x ceil({runs}/{chunk}) = {tasks}",
                       "Use a larger chunk (it changes no result) or fewer cells.")  # fmt: skip
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
            **pick(self, "axes", "runs", "seed", "chunk"),
            "fractions": list(self.fractions),
            "teachers": self.teachers,
            "max_updates": None if math.isinf(self.max_updates) else self.max_updates,
            "precondition": self.precondition,
            "rng": self.rng,
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


_FAMILY_VALUE_LIMIT = 10_000


def _template_names(template: str, source: str) -> list[str]:
    """Return the ``{name}`` fields of a family template, each a plain identifier."""
    fix = 'Write each field as {name}, e.g. "1d:{n},4,{d}" (no index, !conversion or :format).'
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise _bad(f"{source} family.template", "a valid template", template,
                   f"{fix} ({exc}).") from None  # fmt: skip
    names: list[str] = []
    for _, name, spec, conv in fields:
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            raise _bad(f"{source} family.template field", "a plain name {name}", shown, fix)
        if name not in names:
            names.append(name)
    if not names:
        raise _bad(f"{source} family.template", "a template with {name} fields", template, fix)
    return names


def _family_ranges(spec: Any, source: str) -> tuple[str, dict[str, list[Any]], int]:
    """Check a ``[family]`` table; return its template, value lists and the product's size.

    The size is the product of the value counts, computed before a single scheme is formed.
    """
    if not isinstance(spec, dict):
        raise _bad(f"{source} [family]", "a table", spec,
                   'Write [family] then template = "1d:{n},4,2" and n = [...].')  # fmt: skip
    template = spec.get("template")
    if not isinstance(template, str):
        raise _bad(f"{source} family.template", "a string", template, 'E.g. "1d:{n},4,{d}".')
    if len(template) > 1000:
        raise _bad(f"{source} family.template", "at most 1000 characters",
                   f"{len(template)} characters", "Shorten it.")  # fmt: skip
    names = _template_names(template, source)
    unknown = set(spec) - {"template", *names}
    if unknown:
        raise _bad(f"{source} family keys", f"the template's fields {names}", sorted(unknown),
                   "Remove them or use them in the template.")  # fmt: skip
    ranges: dict[str, list[Any]] = {}
    size = 1
    for nm in names:
        vals = spec.get(nm)
        if not isinstance(vals, list) or not vals:
            raise _bad(f"{source} family.{nm}", "a non-empty list", vals, f"Give {nm} = [...].")
        if len(vals) > _FAMILY_VALUE_LIMIT:
            raise _bad(f"{source} family.{nm}", f"at most {_FAMILY_VALUE_LIMIT} values",
                       f"{len(vals)} values", "Use fewer values.")  # fmt: skip
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise _bad(f"{source} family.{nm}", "a list of numbers or strings", v,
                           f"Give {nm} = [16, 20, 24].")  # fmt: skip
            if isinstance(v, str) and len(v) > 100:
                raise _bad(f"{source} family.{nm}", "values of at most 100 characters",
                           f"{len(v)} characters", "Shorten them.")  # fmt: skip
            if isinstance(v, int) and abs(v) > 10**18:
                raise _bad(f"{source} family.{nm}", "numbers of at most 19 digits", v,
                           "Use smaller numbers.")  # fmt: skip
        ranges[nm] = vals
        size *= len(vals)
    return template, ranges, size


def _family(template: str, ranges: dict[str, list[Any]]) -> list[str]:
    names = list(ranges)
    return [
        template.format(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*(ranges[nm] for nm in names))
    ]


def _check_toml_depth(text: str, source: str) -> None:
    """Refuse arrays or inline tables nested deeper than MAX_TOML_DEPTH, before parsing.

    ``tomllib`` parses nested values recursively, so 50,000 ``[`` would raise
    ``RecursionError``; this scan counts ``[``/``{`` outside strings and comments.
    """
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "\"'":
            triple = text.startswith(c * 3, i)
            close = c * 3 if triple else c
            j = i + len(close)
            while j < n and not text.startswith(close, j):
                if c == '"' and text[j] == "\\":
                    j += 1
                elif not triple and text[j] == "\n":
                    break
                j += 1
            i = j + len(close)
            continue
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_TOML_DEPTH:
                raise _bad(f"{source}", f"nested at most {MAX_TOML_DEPTH} arrays or tables deep",
                           f"deeper at character {i}", "Flatten the lists.")  # fmt: skip
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1


def load_grid(path: str | Path) -> Grid:
    """Read a grid from a TOML file (see the module docstring for the format)."""
    from ..._io import read_small_file

    p = Path(path)
    fix = "Pass a TOML file of at most 1 MB (see convotron sweep --help)."
    raw = read_small_file(p, limit=1024**2, what="grid file", fix=fix)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the grid file", "UTF-8 text", str(p), "Save it as UTF-8 TOML.") from None
    _check_toml_depth(text, f"the grid file {str(p)!r}")
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
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
        if isinstance(values, list) and len(values) > _FAMILY_VALUE_LIMIT:
            raise _bad(f"{source} axes.{name}", f"at most {_FAMILY_VALUE_LIMIT} values",
                       f"{len(values)} values", "Use fewer values.")  # fmt: skip
        axes[name] = _validate_axis(name, values, source)
    if "family" in data:
        template, ranges, size = _family_ranges(data["family"], source)
        others = math.prod(len(axes[a]) for a in AXES if a != "scheme")
        total = (len(axes["scheme"]) + size) * others
        if total > MAX_CELLS:
            raise _bad(f"{source}: the number of cells (the axes' product, the family counted "
                       "as the product of its value counts)", f"at most {MAX_CELLS}", total,
                       "Use fewer family values or shorter axes.")  # fmt: skip
        axes["scheme"] = axes["scheme"] + _family(template, ranges)
    runs = _positive_int(data.get("runs", 100), f"{source} runs", "E.g. runs = 1000.")
    teachers = _positive_int(data.get("teachers", DEFAULT_TEACHERS), f"{source} teachers",
                             "E.g. teachers = 3.")  # fmt: skip
    chunk = _positive_int(data.get("chunk", 250), f"{source} chunk", "E.g. chunk = 250.")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _bad(f"{source} seed", "a non-negative integer", seed, "E.g. seed = 0.")
    fractions = parse_fractions(data.get("fractions", list(DEFAULT_FRACTIONS)),
                                f"{source} fractions")  # fmt: skip
    max_updates = data.get("max_updates", math.inf)
    if (
        isinstance(max_updates, bool)
        or not isinstance(max_updates, int | float)
        or not max_updates > 0  # NaN fails the comparison
    ):
        raise _bad(f"{source} max_updates", "a positive number", max_updates, "E.g. 1e9.")
    precondition = data.get("precondition", "none")
    if precondition not in PRECONDITIONS:
        raise _bad(f"{source} precondition", f"one of {', '.join(PRECONDITIONS)}",
                   precondition, 'E.g. precondition = "exact".')  # fmt: skip
    rng = data.get("rng", DEFAULT_STREAM)
    if rng not in RNGS:
        raise _bad(f"{source} rng", f"one of {', '.join(RNGS)}", rng, 'E.g. rng = "fast".')
    return Grid(
        axes=axes,
        runs=runs,
        seed=seed,
        chunk=chunk,
        fractions=fractions,
        max_updates=float(max_updates),
        teachers=teachers,
        precondition=precondition,
        rng=rng,
    )


def grid_from_args(
    axes_text: dict[str, str | None],
    *,
    runs: int,
    seed: int,
    chunk: int,
    fractions: str | None = None,
    max_updates: float = math.inf,
    teachers: int = DEFAULT_TEACHERS,
    precondition: str = "none",
    rng: str = DEFAULT_STREAM,
) -> Grid:
    """Build a grid from command-line axis strings (``None`` keeps an axis's default)."""
    axes = {name: list(default) for name, default in AXES.items()}
    for name, text in axes_text.items():
        if text is not None:
            axes[name] = parse_axis(name, text)
    fr: tuple[float, ...] = DEFAULT_FRACTIONS
    if fractions is not None:
        fr = fractions_from_text(fractions)
    return Grid(axes=axes, runs=runs, seed=seed, chunk=chunk, fractions=fr,
                max_updates=max_updates, teachers=teachers,
                precondition=precondition, rng=rng)  # fmt: skip


def fractions_from_text(text: str) -> tuple[float, ...]:
    """Parse ``--fractions F,F,...`` (the count checked before the list is split)."""
    if text.count(",") >= MAX_FRACTIONS:
        raise _bad("--fractions", f"at most {MAX_FRACTIONS} numbers", f"{text.count(',') + 1} "
                   "numbers", "Give fewer fractions.")  # fmt: skip
    return parse_fractions([_number(f, "--fractions") for f in text.split(",")], "--fractions")
