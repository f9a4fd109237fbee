"""The ``convotron`` command line.

Subcommands live in one module each (``run``, ``check``, ``bounds``, ``verify``,
``experiment``); every module exposes ``add_parser(subparsers)`` and ``main(args) -> int``.
Bad input of any kind exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._common import ConvotronArgumentParser, run_guarded

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: Subcommand modules, in the order ``convotron --help`` lists them.
SUBCOMMANDS = ("run", "check", "bounds", "verify", "experiment")


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
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except (
            ModuleNotFoundError
        ) as exc:  # pragma: no cover - only while a module is being written
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``convotron`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_guarded(args.handler, args, command=args.command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
