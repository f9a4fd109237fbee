"""``convotron sweep``: check the theorem over a grid of problems, locally or on a Dask cluster.

Usage::

    convotron sweep [GRID.toml] [--scheme S1,S2,...] [--alpha 0:1:0.25] [--law L,...]
                    [--cov C,...] [--noise N,...] [--eps E,...] [--delta D,...]
                    [--w-norm W,...] [--runs R] [--seed S] [--chunk C] [--fractions F,...]
                    [--teachers N] [--max-updates U] [--precondition none|exact|plugin]
                    [--out DIR]
                    [--scheduler local|inline|tcp://HOST:PORT] [--workers K] [--json]
                    [--no-progress] [--no-figures] [--verbose]

The grid comes from a TOML file (format: :mod:`convotron.glue.sweep.grid`) and/or from the
axis options (an option overrides the file's axis). Writes ``sweep.csv`` and ``sweep.jsonl``
(one row per cell: :mod:`convotron.glue.sweep.table`) and heat maps of the tightness under
``--out`` (default ``build/sweep``); a rerun with the same ``--out`` resumes, reusing a cell
only when everything that determines its result is unchanged (:mod:`convotron.glue.sweep.store`).
Without ``--scheduler`` (or with ``local``) an embedded Dask ``LocalCluster`` uses ``--workers``
processes (default and maximum: the cores); with ``--scheduler tcp://HOST:PORT`` the chunks go
to that cluster (started with ``dask scheduler`` and ``dask worker``; see the README).
``--precondition exact`` (``H = M⁻¹``) or ``plugin`` (``H = M̂⁻¹``, drawn once per cell from
its own seed) runs the preconditioned Convotron with the preconditioned theorem's η and T
(thm-precond, this project's extension, [derived], not the paper's); a grid file may say
``precondition = "exact"``, which the option overrides. It is part of the resume key.
Every cell runs ``--teachers`` directions of ``w*``, the hardest first; the table shows the
worst. Multiple testing: Holm's step-down over all (cell, teacher) tests at the family-wise
level 0.01 (:data:`convotron.glue.sweep.table.RULE`).
Exit status 0 when no cell is flagged, 1 when some cell's failure rate exceeds δ after
Holm's correction or a cell failed, 2 on bad input, 3 when the environment fails (an
unreachable scheduler, a full disk).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from .._validate import DEFAULT_STREAM
from . import _common
from ._common import EXIT_FAIL, EXIT_OK, add_json_option, emit_json, parse_integer, parse_number

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "main"]


#: The subcommand's line in ``convotron --help``.
HELP = "check the theorem over a grid of problems (TOML or ranges), on Dask"
#: The description of ``convotron sweep --help``.
DESCRIPTION = (
    "Run Convotron with the theorem's eta and T on every cell of a grid of problems "
    "and report, per cell, the failure rate at T with its binomial interval, the "
    "iterations the runs needed, the tightness T/median and the failure rate at "
    "fractions of T. Resumable; runs on a Dask cluster with --scheduler."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron sweep`` to its parser."""
    p.add_argument("grid", metavar="GRID.toml", nargs="?", help="grid file (TOML)")
    for name, example in [
        ("scheme", "1d:16,4,2,1d:24,4,2"),
        ("alpha", "0:1:0.5"),
        ("law", "gaussian,rademacher"),
        ("cov", "identity,ar1:0.3"),
        ("noise", "none,0.1"),
        ("eps", "0.1"),
        ("delta", "0.1"),
        ("w-norm", "1"),
    ]:
        p.add_argument(f"--{name}", metavar="LIST", help=f"axis values, e.g. {example}")
    p.add_argument("--runs", metavar="R", type=str, default=None, help="runs per cell (100)")
    p.add_argument("--seed", metavar="S", type=str, default=None, help="root seed (0)")
    p.add_argument("--chunk", metavar="C", type=str, default=None, help="runs per task (250)")
    p.add_argument(
        "--fractions", metavar="F", help="fractions of T to report (.125,.25,.5,1; at most 64)"
    )
    p.add_argument(
        "--teachers",
        metavar="N",
        help="teacher directions per cell: the hardest (lambda_min eigenvector of M), the "
        "easiest, then random ones (default 3, at most 16)",
    )
    p.add_argument("--max-updates", metavar="U", help="skip cells costing more runs x T")
    _common.add_precondition_option(
        p,
        "the preconditioned Convotron [derived, not the paper's]: w += η (y − f) H Σ P_i x "
        "with H = M⁻¹ (exact) or M̂⁻¹ from 50 r samples per cell (plugin), at the "
        "preconditioned theorem's η and T (default none, or the grid file's)",
        default=None,
    )
    p.add_argument(
        "--rng",
        choices=("numpy", "fast"),
        default=None,
        help="random stream of the runs: the fast xoshiro256++/ziggurat stream (default, or "
        "the grid file's) or numpy's (bitwise as numpy's own Generator; same laws, other "
        "numbers); part of the resume key",
    )
    p.add_argument("--out", metavar="DIR", default="build/sweep", help="output folder")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="'local' (an embedded cluster, the default), 'inline' (no Dask) or the address "
        "of a running scheduler, tcp://HOST:PORT (see the README)",
    )
    p.add_argument(
        "--workers", metavar="K", help="local worker processes (default and maximum: the cores)"
    )
    add_json_option(p, "on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-figures", action="store_true", help="no heat maps")
    p.add_argument(
        "--verbose", action="store_true", help="show the Dask cluster's log messages on stderr"
    )


def _int(text: str | None, flag: str, default: int, low: int) -> int:
    return default if text is None else parse_integer(text, flag, low, f"E.g. {flag} 100.")


def _grid(args: argparse.Namespace) -> Any:
    from ..glue.sweep.grid import (
        AXES,
        DEFAULT_TEACHERS,
        Grid,
        fractions_from_text,
        grid_from_args,
        load_grid,
        parse_axis,
    )

    axes_text = {name: getattr(args, name) for name in AXES}
    max_updates = math.inf
    if args.max_updates is not None:
        max_updates = parse_number(
            args.max_updates,
            "--max-updates",
            "a positive number",
            lambda v: v > 0,
            "E.g. --max-updates 1e9.",
            finite=False,
        )
    teachers = None if args.teachers is None else _int(args.teachers, "--teachers", 1, 1)
    if args.grid is None:
        return grid_from_args(
            axes_text,
            runs=_int(args.runs, "--runs", 100, 1),
            seed=_int(args.seed, "--seed", 0, 0),
            chunk=_int(args.chunk, "--chunk", 250, 1),
            fractions=args.fractions,
            max_updates=max_updates,
            teachers=teachers or DEFAULT_TEACHERS,
            precondition=args.precondition or "none",
            rng=args.rng or DEFAULT_STREAM,
        )
    base = load_grid(args.grid)
    axes = dict(base.axes)
    for name, text in axes_text.items():
        if text is not None:
            axes[name] = parse_axis(name, text)
    fractions = base.fractions
    if args.fractions is not None:
        fractions = fractions_from_text(args.fractions)
    return Grid(
        axes=axes,
        runs=_int(args.runs, "--runs", base.runs, 1),
        seed=_int(args.seed, "--seed", base.seed, 0),
        chunk=_int(args.chunk, "--chunk", base.chunk, 1),
        fractions=fractions,
        max_updates=max_updates if args.max_updates is not None else base.max_updates,
        teachers=teachers or base.teachers,
        precondition=args.precondition or base.precondition,
        rng=args.rng or base.rng,
    )


def _fmt(v: Any, spec: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return format(v, spec)


#: The files the sweep writes in its folder (an input may not be one of them).
_OUTPUTS = ("grid.json", "cells.jsonl", "sweep.csv", "sweep.jsonl", "summary.json")


def main(args: argparse.Namespace) -> int:
    """Run ``convotron sweep``; return the exit status."""
    from .._io import check_output_dir, refuse_same_file
    from ..glue.dask import check_scheduler, check_workers
    from ..glue.sweep import run_sweep
    from ..glue.sweep.table import RULE

    # every option is checked before the folder is touched (a refused sweep writes nothing)
    out = check_output_dir(args.out, what="--out folder")
    scheduler = check_scheduler(args.scheduler)
    workers = None if args.workers is None else _int(args.workers, "--workers", 1, 1)
    if scheduler in (None, "local"):
        workers = check_workers(workers)
    if args.grid is not None:
        refuse_same_file({f"--out file {name}": out / name for name in _OUTPUTS},
                         {"GRID.toml": args.grid})  # fmt: skip
    grid = _grid(args)
    result = run_sweep(
        grid,
        out,
        scheduler=scheduler,
        workers=workers,
        progress=not args.no_progress and sys.stderr is not None and sys.stderr.isatty(),
        figures=not args.no_figures,
        verbose=args.verbose,
    )
    bad = [r for r in result.rows if r["status"] == "error" or r.get("flagged")]
    if args.json:
        from ..glue.sweep.table import _plain

        emit_json(
            {
                "rows": [{k: _plain(v) for k, v in r.items()} for r in result.rows],
                "seconds": result.seconds,
                "cells_resumed": result.cells_resumed,
                "cells_new": result.new,
                "cells_recomputed": result.recomputed,
                "chunks_resumed": result.chunks_resumed,
                "scheduler": result.scheduler,
                "multiple_testing": RULE,
                "precondition": grid.precondition,
                "tests": result.tests,
                "files": [str(f) for f in result.files],
            }
        )
    else:
        pre = (
            "" if grid.precondition == "none"
            else f"; preconditioned, H = {'M⁻¹' if grid.precondition == 'exact' else 'M̂⁻¹'} "
            "(thm-precond's η and T, [derived], not the paper's)"
        )  # fmt: skip
        print(f"# worst of {grid.teachers} teacher direction(s) per cell; {RULE}; "
              f"{result.tests} tests{pre}")  # fmt: skip
        print(
            f"{'scheme':<16} {'alpha':>5} {'law':<10} {'eps':>6} {'T':>10} {'worst':<8} "
            f"{'fail':>7} {'95% CI':>15} {'hit q50':>9} {'T/q50':>7} {'p_holm':>8} status"
        )
        for r in result.rows:
            ci = f"[{r['fail_lo']:.3f},{r['fail_hi']:.3f}]" if r["fail_lo"] is not None else "-"
            flag = " FLAGGED" if r.get("flagged") else ""
            print(
                f"{r['scheme']:<16} {r['alpha']:>5g} {r['law']:<10} {r['eps']:>6g} "
                f"{_fmt(r['T'], 'd'):>10} {r.get('worst_teacher') or '-':<8} "
                f"{_fmt(r['fail_rate'], '.4f'):>7} {ci:>15} "
                f"{_fmt(r['hit_q50'], '.0f'):>9} {_fmt(r['tightness'], '.2f'):>7} "
                f"{_fmt(r.get('p_holm'), '.2g'):>8} "
                f"{r['status']}{flag}{' (' + r['reason'] + ')' if r['reason'] else ''}"
            )
        print(
            f"{len(result.rows)} cells ({result.reuse_summary()}; {result.chunks_resumed} "
            f"chunks resumed) in {result.seconds:.1f} s on {result.scheduler}; wrote "
            f"{out}/sweep.csv, sweep.jsonl, summary.json and "
            f"{sum(1 for f in result.files if f.suffix == '.png')} figure(s)"
        )
    return EXIT_FAIL if bad else EXIT_OK
