"""Shared command-line plumbing: one-line errors, exit statuses, JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .._errors import ConvotronError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAIL",
    "EXIT_OK",
    "ConvotronArgumentParser",
    "emit_json",
    "flag_for",
    "render_error",
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
    types: list[type[BaseException]] = [ConvotronError]
    try:  # the symbolic half has its own error type; the glue accepts both
        from theory._errors import TheoryError

        types.append(TheoryError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


def flag_for(param: str | None, args: argparse.Namespace) -> str | None:
    """Return the command's flag for a library parameter (``eta`` -> ``--eta``), or None.

    A parameter maps to ``--name`` with ``_`` spelled ``-`` when the subcommand has that
    option (argparse stores ``--only-patch`` as ``only_patch``); otherwise it has no flag.
    """
    if not param or not param.isidentifier() or not hasattr(args, param):
        return None
    return "--" + param.replace("_", "-")


def render_error(exc: BaseException, args: argparse.Namespace) -> str:
    """Return a project error's message, its parameter named as the command's flag.

    Library messages speak of parameters (``eta (the step size) must be ...``); when the
    error carries ``param`` and the message starts with it, the command line shows the flag
    (``--eta (the step size) must be ...``).
    """
    message = str(exc)
    param = getattr(exc, "param", None)
    flag = flag_for(param, args)
    if flag is not None and param is not None and message.startswith(param + " "):
        message = flag + message[len(param) :]
    return message


def run_guarded(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, *, command: str
) -> int:
    """Run a subcommand; project errors become one stderr line and exit status 2."""
    try:
        return int(handler(args))
    except _bad_input_types() as exc:
        print(f"convotron {command}: error: {render_error(exc, args)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"convotron {command}: interrupted", file=sys.stderr)
        return 130


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and non-finite floats to plain JSON values."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()
