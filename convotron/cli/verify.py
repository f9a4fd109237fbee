"""``convotron verify``: run Convotron with the theorem's ``η`` and ``T`` on a suite of cases.

Usage::

    convotron verify [--quick | --full] [--out DIR] [--json] [--wide] [--seeds N]
                     [--workers W] [--scheduler ADDRESS|local|inline]
                     [--precondition none|exact|plugin] [--rng numpy|fast]

``--precondition exact`` (``H = M⁻¹``) or ``plugin`` (``H = M̂⁻¹``) runs the preconditioned
suite instead (:func:`convotron.glue.verify.preconditioned_cases`: AR(1) ρ ∈ {0.5, 0.9, 0.99},
a dense badly conditioned Σ, non-Gaussian laws), each case with thm-precond's ``η`` and ``T``
and the ``H`` analogues of the lemma checks ([derived], this project's extension, not the
paper's).

``--rng fast`` draws every run's samples from the fast stream (:mod:`convotron._compiled._rng`:
xoshiro256++ and a block ziggurat; the same laws, other numbers) instead of numpy's.

Prints a table that fits 100 columns, with a key (``--wide``: every column), or, with
``--json``, one JSON object ``{"cases": [...], "all_pass": ...}``; with ``--out DIR`` it
writes ``report.md`` (every column, each case's lemma checks, the multiple-testing rule),
``report.json`` and one PNG figure per case. The run ends by naming the report, its figures
and the next commands to try.
The folder is checked before the work and locked for the whole run
(:func:`convotron._io.locked_dir`): a second ``verify`` to the same folder is refused at once,
so the files of two runs are never mixed.
Exit status 0 when no case fails, 1 when a case FAILs (a negative control reported as
ASSUMPTION VIOLATED, or a case NOT RUN for its size, is not a failure), 2 on bad input, 3
when the environment fails (an unreachable or lost scheduler, a full disk).

The report folder is replaced as a whole (:func:`convotron._io.replaced_dir`): the files are
written into a new folder beside ``--out``, which then takes its place, so a run interrupted
while writing leaves the previous report whole. ``--out`` must therefore hold nothing but a
previous report (``report.md``, ``report.json``, ``fig-*.png``); any other file is refused
before the work.
See :mod:`convotron.glue.verify` for the statistics and what PASS and FAIL mean.

Without ``--scheduler`` each case's runs use ``--workers`` threads here. With it they go to
Dask in chunks, with the executor of ``convotron sweep`` (:mod:`convotron.glue.dask`): a
running scheduler ``tcp://HOST:PORT``, ``local`` (an embedded ``LocalCluster`` with
``--workers`` processes) or ``inline`` (no Dask). The report is the same either way: run ``j``
of a case is seeded by ``SeedSequence(s, spawn_key=(j,))`` wherever it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._errors import ConvotronError
from . import _common
from ._common import EXIT_FAIL, EXIT_OK, add_json_option, emit_json, parse_integer, parse_number

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "main"]


#: The subcommand's line in ``convotron --help``.
HELP = "verify runs against the theorem's (eps, delta) guarantee on a suite of cases"
#: The description of ``convotron verify --help``.
DESCRIPTION = (
    "Run Convotron with the theorem's own step size eta and iteration count T on a "
    "suite of cases (1D/2D schemes, covariances, input laws, activations, noise, the "
    "disjoint-patch variant and negative controls) and test the fraction of runs with "
    "|w - w*|^2 > eps against delta with a one-sided exact binomial test."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron verify`` to its parser."""
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        action="store_true",
        help="the default cases with 200 runs per case (make verify; under two minutes)",
    )
    size.add_argument(
        "--full",
        action="store_true",
        help="add larger schemes, e.g. n=160, r=16 at strides 9, 12, 16 and 1d:64,8,2, every "
        "case with 200 runs (about 13 minutes on 2 cores; spread it with --scheduler)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write report.md, report.json and figures here; the folder is locked for the "
        "whole run, so a second verify to the same folder is refused instead of mixing files",
    )
    add_json_option(p, "instead of a table")
    p.add_argument(
        "--wide",
        action="store_true",
        help="show every column of the table (the default fits 100 columns; report.md "
        "always has every column)",
    )
    p.add_argument(
        "--seeds",
        metavar="N",
        type=str,
        default=None,
        help="independent runs per case (default: 200 with --quick and --full, 500 otherwise)",
    )
    p.add_argument(
        "--workers",
        metavar="W",
        type=str,
        default="2",
        help="threads per case (default 2); with --scheduler local, worker processes",
    )
    p.add_argument("--seed", metavar="S", type=str, default="0", help="master seed (default 0)")
    p.add_argument(
        "--max-updates",
        metavar="U",
        type=str,
        default=None,
        help="budget of T x runs per case; larger cases are reported NOT RUN "
        "(default: 5e7 quick, 4e8 default, 1e10 full)",
    )
    p.add_argument(
        "--verbose", action="store_true", help="show the Dask cluster's log messages on stderr"
    )
    _common.add_precondition_option(
        p,
        "none (default): Algorithm 1's suite; exact (H = M⁻¹) or plugin (H = M̂⁻¹ from "
        "50 r samples per case): the preconditioned suite, with the preconditioned "
        "theorem's eta and T [derived, not the paper's]",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="send each case's runs to Dask in chunks: a scheduler address tcp://HOST:PORT, "
        "'local' (an embedded LocalCluster with --workers processes) or 'inline' (no Dask); "
        "the results are the same as without it",
    )
    p.add_argument(
        "--rng",
        choices=("numpy", "fast"),
        default=None,
        help="random stream of the runs: the fast xoshiro256++/ziggurat stream (default) or "
        "numpy's (bitwise as numpy's own Generator; same laws, other numbers)",
    )


def _parse_args(args: argparse.Namespace) -> dict[str, Any]:
    """Validate every option before any work is done."""
    from .._errors import ConvotronError
    from .._limits import MAX_RUNS
    from ..glue.verify import MODES, check_out_dir

    mode = "quick" if args.quick else "full" if args.full else "default"
    settings = MODES[mode]
    runs = (
        int(settings["runs"])
        if args.seeds is None
        else parse_integer(args.seeds, "--seeds", 1, "Pass e.g. --seeds 100.")
    )
    if runs > MAX_RUNS:  # checked here so the message names the flag, before any planning
        raise ConvotronError(
            f"--seeds must be an integer with 1 <= --seeds <= {MAX_RUNS} (the independent runs "
            f"per case, each keeping its result in memory); got {args.seeds!r}. "
            "Pass e.g. --seeds 500."
        )
    workers = parse_integer(args.workers, "--workers", 1, "Pass e.g. --workers 2.")
    seed = parse_integer(args.seed, "--seed", 0, "Pass e.g. --seed 0.")
    if args.max_updates is None:
        max_updates = float(settings["max_updates"])
    else:
        max_updates = parse_number(
            args.max_updates,
            "--max-updates",
            "a number > 0",
            lambda v: v > 0,
            "Pass e.g. --max-updates 1e9.",
            finite=False,
        )
    from ..glue.dask import check_scheduler, check_workers

    out = None if args.out is None else check_out_dir(args.out)
    if out is not None:
        _check_report_folder(out)
    scheduler = check_scheduler(args.scheduler)
    if scheduler == "local":
        check_workers(workers)
    return dict(
        stream=getattr(args, "rng", None),
        precondition=getattr(args, "precondition", "none") or "none",
        scheduler=scheduler,
        mode=mode,
        runs=runs,
        workers=workers,
        seed=seed,
        max_updates=max_updates,
        control_iters=int(settings["control_iters"]),
        out=out,
    )


def _is_report_file(name: str) -> bool:
    """Return whether ``name`` is a file of a verify report (or the folder's lock)."""
    return (
        name in ("report.md", "report.json", ".convotron.lock")
        or (name.startswith("fig-") and name.endswith(".png"))
        or (name.startswith(".") and name.endswith(".tmp"))
    )


def _check_report_folder(out: Path) -> None:
    """Refuse an ``--out`` folder holding anything but a previous report (it is replaced whole)."""
    if not out.is_dir():
        return
    try:
        names = [e.name for e in os.scandir(out)]
    except OSError as exc:
        raise ConvotronError(
            f"the --out folder {str(out)!r} cannot be listed ({exc.strerror}). Choose another."
        ) from None
    other = sorted(n for n in names if not _is_report_file(n))
    if other:
        raise ConvotronError(
            f"the --out folder must be empty or hold a previous verify report only (it is "
            f"replaced as a whole); got {str(out)!r}, which also holds {other[:3]}. Choose "
            "an empty or new folder, e.g. build/verify."
        )


@contextlib.contextmanager
def _locked_out(out: Path | None) -> Iterator[None]:
    """Hold the ``--out`` folder's lock for the whole run (one writer per folder).

    A second ``verify`` to the same folder is refused at once, before its work; a folder
    created here is removed again if the run fails or is interrupted before writing.
    """
    if out is None:
        yield
        return
    from .._io import locked_dir

    created = []  # the folders this run makes, innermost first
    p = out.absolute()
    while not os.path.lexists(p) and p.parent != p:
        created.append(p)
        p = p.parent
    try:
        with locked_dir(out, what="--out folder"):
            yield
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.unlink(created[0] / ".convotron.lock")
                for folder in created:
                    folder.rmdir()  # only empty folders: stops at anything written
        raise


def _closing(report: Any, out: Path | None, written: list[Path]) -> str:
    """Return the last lines: where the report and its figures are, what to try next."""
    lines = []
    if out is not None:
        figs = [p for p in written if p.suffix == ".png"]
        lines += [
            f"report: {out / 'report.md'}",
            "  (every column, each case's lemma checks, the multiple-testing rule; also as JSON)",
        ]
        if figs:
            lines.append(f"figures: {len(figs)} PNG files {out / 'fig-<case>.png'}")
    else:
        lines.append("no files written: pass --out DIR for report.md, report.json and the "
                     "figures; --wide shows every column here")  # fmt: skip
    first = next((c for c in report.cases if c.case.scheme != "indices"), None)
    scheme = first.case.scheme if first is not None else "1d:16,4,2"
    lines += [
        "next:",
        f"  convotron check --scheme {scheme}              is lambda_min(M) > 0 proved?",
        f"  convotron bounds --scheme {scheme}             the theorem's a, beta, eta, T",
        f"  convotron run --scheme {scheme} --iters auto   one run with the theorem's T",
    ]
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    """Run the suite; return 0 if no case fails, 1 otherwise."""
    from ..glue.verify import default_cases, preconditioned_cases, run_suite, write_report

    opts = _parse_args(args)
    if args.verbose:
        from ..glue.dask import set_verbose

        set_verbose(True)
    if opts["precondition"] == "none":
        cases = default_cases(opts["mode"])
    else:
        cases = preconditioned_cases(opts["mode"], opts["precondition"])
    if args.seeds is not None:  # --seeds N: N runs for every case, the largest included
        cases = [dataclasses.replace(c, runs=None) for c in cases]
    with _locked_out(opts["out"]):
        report = run_suite(
            cases,
            runs=opts["runs"],
            seed=opts["seed"],
            workers=opts["workers"],
            max_updates=opts["max_updates"],
            control_iters=opts["control_iters"],
            progress=sys.stderr.isatty(),
            scheduler=opts["scheduler"],
            stream=opts["stream"],
        )
        written: list[Path] = []
        if opts["out"] is not None:
            from .._io import replaced_dir

            with replaced_dir(opts["out"]) as stage:
                staged = write_report(report, stage, lock=False)
            written = [opts["out"] / p.relative_to(stage) for p in staged]
    if args.json:
        obj = report.to_json()
        obj["mode"] = opts["mode"]
        obj["rng"] = opts["stream"]
        obj["precondition"] = opts["precondition"]
        obj["files"] = [str(p) for p in written]
        emit_json(obj)
    else:
        sys.stdout.write(report.table(wide=bool(getattr(args, "wide", False))))
        sys.stdout.write(_closing(report, opts["out"], written))
        sys.stdout.flush()
    return EXIT_OK if report.all_pass else EXIT_FAIL
