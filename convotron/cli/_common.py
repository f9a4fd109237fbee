"""Shared command-line plumbing: one-line errors, exit statuses, JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .._errors import ConvotronError
from .._io import to_jsonable

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAIL",
    "EXIT_OK",
    "ConvotronArgumentParser",
    "emit_json",
    "run_guarded",
    "to_jsonable",
]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2


class ConvotronArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message (see prog --help)`` and exit 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """Return the project's bad-input errors: the numerical half's and the symbolic half's."""
    from theory._errors import TheoryError  # imported when an error is caught, not at start

    return (ConvotronError, TheoryError)


def run_guarded(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, *, command: str
) -> int:
    """Run a subcommand; project errors become one stderr line and exit status 2."""
    try:
        return int(handler(args))
    except _bad_input_types() as exc:
        print(f"convotron {command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"convotron {command}: interrupted", file=sys.stderr)
        return 130


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()
