"""Shared command-line plumbing: one-line errors, exit statuses, JSON on stdout."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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


def run_guarded(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, *, command: str
) -> int:
    """Run a subcommand; project errors become one stderr line and exit status 2."""
    watch_stdout()
    try:
        status = int(handler(args))
        sys.stdout.flush()
        return status
    except _bad_input_types() as exc:
        print(f"convotron {command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"convotron {command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"convotron {command}: error: {_describe_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


class _WatchedStream:
    """A proxy of a text stream that remembers whether a write or flush failed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def watch_stdout() -> _WatchedStream:
    """Replace ``sys.stdout`` by a proxy that records a failed write (see ``run_guarded``)."""
    if not isinstance(sys.stdout, _WatchedStream):
        sys.stdout = _WatchedStream(sys.stdout)  # type: ignore[assignment]
    return sys.stdout  # type: ignore[return-value]


def silence_stdout() -> None:
    """Point file descriptor 1 at ``/dev/null`` so that Python's exit-time flush stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error that escaped a subcommand (never a traceback).

    A broken or full standard output is silenced (so that Python's exit-time flush does not
    print a second error) and named as such.
    """
    reason = exc.strerror or str(exc)
    if isinstance(sys.stdout, _WatchedStream) and sys.stdout.failed:
        silence_stdout()
        return f"cannot write to standard output ({reason}). Redirect it to a writable file."
    where = f" {exc.filename!s}" if exc.filename is not None else " a file"
    return f"an operating-system operation failed on{where}: {reason}."


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
