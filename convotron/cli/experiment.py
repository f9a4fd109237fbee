"""``convotron experiment``: run one of the experiments of :mod:`convotron.glue.experiments`.

Usage::

    convotron experiment NAME [--quick] [--out DIR] [--seed S] [--json] [--no-progress]
    convotron experiment list

Writes PNG figures and ``NAME.json`` (the numbers behind them) under ``--out`` (default
``build/experiments/NAME``), prints a short table (with ``--json``: exactly one JSON object on
stdout) and shows tqdm progress bars on stderr. ``--quick`` runs in well under a minute on
2 cores; the full settings take minutes (the help and the output say how long).
Exit status 0 on success, 2 on bad input (one line on stderr), e.g. an unknown NAME.
"""

from __future__ import annotations

import argparse
import sys

from ._common import EXIT_OK, emit_json, parse_integer

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "main"]


def _epilog() -> str:
    from ..glue.experiments import EXPERIMENTS

    lines = ["experiments (full run time on 2 cores; --quick: under a minute each):"]
    lines += [f"  {e.name:18s} {e.summary} (full: {e.full_time})" for e in EXPERIMENTS.values()]
    return "\n".join(lines)


#: The subcommand's line in ``convotron --help``.
HELP = "run an experiment (SGD vs Convotron, noise, disjoint patch, ...) and write figures"
#: The description of ``convotron experiment --help``.
DESCRIPTION = (
    "Run one experiment, write its PNG figures and a JSON file of the numbers behind "
    "them under --out, and print a short table. Deterministic for a given --seed. "
    "Without --quick the full settings run, which takes minutes."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``convotron experiment`` to its parser, and the list of experiments."""
    p.epilog = _epilog()
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("name", metavar="NAME", help="experiment name, or 'list' to list them")
    p.add_argument(
        "--quick", action="store_true", help="small settings: well under a minute on 2 cores"
    )
    p.add_argument(
        "--out", metavar="DIR", default=None, help="output folder (default build/experiments/NAME)"
    )
    p.add_argument(
        "--seed", metavar="S", default="0", help="root seed, an integer >= 0 (default 0)"
    )
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def main(args: argparse.Namespace) -> int:
    """Run ``convotron experiment``; return the exit status."""
    from ..glue.experiments import EXPERIMENTS, get_experiment, run_experiment

    if args.name == "list":
        if args.json:
            emit_json(
                {
                    "experiments": [
                        {"name": e.name, "summary": e.summary, "full_time": e.full_time}
                        for e in EXPERIMENTS.values()
                    ]
                }
            )
        else:
            for e in EXPERIMENTS.values():
                print(
                    f"{e.name:18s} {e.summary} (full run: {e.full_time}; --quick: under a minute)"
                )
        return EXIT_OK
    info = get_experiment(args.name)
    seed = parse_integer(args.seed, "--seed", 0, "Pass e.g. --seed 0.")
    out = args.out if args.out is not None else f"build/experiments/{info.name}"
    if not args.quick and not args.json:
        print(
            f"running the full '{info.name}' experiment ({info.full_time} on 2 cores; "
            "--quick for a short run)"
        )
    result = run_experiment(
        info.name, quick=args.quick, seed=seed, out=out, progress=not args.no_progress
    )
    if args.json:
        emit_json(result.to_json())
        return EXIT_OK
    mode = "quick" if args.quick else "full"
    print(f"experiment {info.name} ({mode}, seed {seed}): {result.seconds:.1f} s")
    print(result.table.render())
    for note in result.notes:
        print(f"- {note}")
    print(f"wrote {result.json_path} and {len(result.figures)} figure(s) in {out}")
    sys.stdout.flush()
    return EXIT_OK
