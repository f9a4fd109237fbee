"""The ``convotron`` command line.

Subcommands live in one module each (``run``, ``check``, ``bounds``, ``verify``,
``experiment``); every module declares ``HELP``, ``DESCRIPTION``, ``add_arguments(parser)``
and ``main(args) -> int`` (registered by :func:`convotron.cli._common.add_subcommand`), and
imports only the standard library and numpy at module level, so that ``convotron --help`` starts
fast (``tests/test_startup.py`` checks that building the parser loads no numba, scipy, sympy or
matplotlib).
Bad input of any kind exits with status 2 and one line on stderr, never a traceback; an
environment failure (a full disk, an unreachable scheduler, an unwritable stdout) exits 3.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._common import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    ConvotronArgumentParser,
    add_subcommand,
    guard_streams,
    run_guarded,
    silence_stdout,
    watch_stdout,
)

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: Subcommand modules, in the order ``convotron --help`` lists them.
SUBCOMMANDS = ("run", "check", "bounds", "verify", "sweep", "experiment")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = ConvotronArgumentParser(
        prog="convotron",
        description=(
            "Convotron (Goel, Klivans, Meka, ICML 2018): run it, check a patch scheme's "
            "condition, compute the theorem's bounds, verify runs against the theorem."
        ),
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"convotron {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=ConvotronArgumentParser
    )
    sub.required = True
    for name in SUBCOMMANDS:
        # a subcommand module that fails to import is an error, never a missing subcommand;
        # the modules import their heavy dependencies (numba, scipy, sympy) inside ``main``
        add_subcommand(sub, name, importlib.import_module(f"{__name__}.{name}"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``convotron`` script; returns the exit status."""
    guard_streams()
    out = watch_stdout()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        try:
            sys.stdout.flush()
        except OSError:
            pass
        if out.failed:  # argparse swallows the write error itself
            silence_stdout()
            print("convotron: error: cannot write to standard output.", file=sys.stderr)
            return EXIT_ENVIRONMENT
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    del out
    return run_guarded(args.handler, args, command=args.command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
