"""Shared command-line plumbing: one-line errors, exit statuses, JSON on stdout."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .._errors import ConvotronError
from .._interrupts import Terminated, interrupts_as_exceptions
from .._io import to_jsonable

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_ENVIRONMENT",
    "EXIT_FAIL",
    "EXIT_OK",
    "PROBLEM_OPTIONS",
    "ConvotronArgumentParser",
    "add_json_option",
    "add_problem_options",
    "add_subcommand",
    "as_number",
    "emit_json",
    "flag_for",
    "guard_streams",
    "parse_integer",
    "parse_number",
    "render_error",
    "run_guarded",
    "switches",
    "to_jsonable",
]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2
#: The environment failed, not the input: a full disk, an I/O error, an unreachable or lost
#: Dask scheduler, a standard stream that cannot be written.
EXIT_ENVIRONMENT = 3
#: Library parameters that a command spells with another flag: ``runs`` is ``verify``'s
#: ``--seeds``, a noise model's ``level`` is part of ``--noise``.
_PARAM_ALIASES = {"runs": "seeds", "level": "noise"}


#: The options that describe a problem and the theorem's targets, one help text each
#: (``run``, ``bounds`` and ``check`` add those they take with :func:`add_problem_options`).
PROBLEM_OPTIONS: dict[str, dict[str, Any]] = {
    "scheme": {
        "metavar": "SPEC",
        "help": "1d:N,R,STRIDE | 2d:H,W,PH,PW,SH,SW | 2d:C,H,W,PH,PW,SH,SW | "
        "conv1d:C,L,K[,stride=S][,padding=P|same|valid][,dilation=D] | "
        "conv2d:C,H,W,KH,KW[,stride=..][,padding=..][,dilation=..] | file:PATH",
    },
    "alpha": {
        "metavar": "A",
        "default": "0",
        "help": "leaky-ReLU slope in [0, 1] (0 = ReLU, the default)",
    },
    "dist": {
        "metavar": "D",
        "default": "gaussian",
        "help": "input law: gaussian, rademacher, uniform, mixture, student-t, "
        "exponential (asymmetric) (default gaussian)",
    },
    "cov": {
        "metavar": "C",
        "default": "identity",
        "help": "input covariance: identity, ar1:RHO or dense:FILE.npy (an (n, n) symmetric "
        "PSD matrix saved with numpy.save) (default identity)",
    },
    "noise": {
        "metavar": "S",
        "default": "0",
        "help": "label noise: 0, S (= gaussian:S), gaussian:S, uniform:S, hetero:S (default 0)",
    },
    "eps": {
        "metavar": "E",
        "default": "0.01",
        "help": "accuracy epsilon > 0: the target squared error ||w - w*||^2 (default 0.01)",
    },
    "delta": {
        "metavar": "D",
        "default": "0.1",
        "help": "failure probability delta in (0, 1] (default 0.1)",
    },
    "w-norm": {
        "metavar": "W",
        "default": "1",
        "help": "norm of the teacher filter w* (or a bound on it), > 0 (default 1)",
    },
    "only-patch": {
        "metavar": "I",
        "default": None,
        "help": "the disjoint-patch variant: update along patch I only (0-based; thm-disjoint)",
    },
}


def add_problem_options(
    parser: argparse.ArgumentParser, *names: str, scheme_default: str | None = None
) -> None:
    """Add the options ``names`` of :data:`PROBLEM_OPTIONS` to ``parser``, in that order.

    ``--scheme`` is required unless ``scheme_default`` is given.
    """
    for name in names:
        kwargs = dict(PROBLEM_OPTIONS[name])
        if name == "scheme" and scheme_default is None:
            kwargs["required"] = True
        elif name == "scheme":
            kwargs["default"] = scheme_default
            kwargs["help"] += f" (default {scheme_default})"
        parser.add_argument(f"--{name}", **kwargs)


def add_subcommand(subparsers: Any, name: str, module: Any) -> argparse.ArgumentParser:
    """Register the subcommand ``name`` from its module and return its parser.

    Every subcommand module declares ``HELP`` (its line in ``convotron --help``),
    ``DESCRIPTION`` (its own ``--help``'s), ``add_arguments(parser)`` and ``main(args) -> int``,
    the handler that :func:`run_guarded` runs.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=module.HELP, description=module.DESCRIPTION
    )
    module.add_arguments(parser)
    parser.set_defaults(handler=module.main)
    return parser


def add_precondition_option(
    parser: argparse.ArgumentParser, help: str, default: str | None = "none"
) -> None:
    """Add ``--precondition {none,exact,plugin}`` (``help`` says what it does to the command)."""
    parser.add_argument(
        "--precondition", choices=("none", "exact", "plugin"), default=default, help=help
    )


def add_json_option(parser: argparse.ArgumentParser, what: str = "instead") -> None:
    """Add ``--json``: print one JSON object on stdout (``what`` ends the help text)."""
    parser.add_argument("--json", action="store_true", help=f"print one JSON object {what}")


def parse_integer(text: str, flag: str, low: int, fix: str) -> int:
    """Return the option's text as an integer ``>= low``.

    Raises
    ------
    ConvotronError
        ``{flag} must be an integer >= {low}; got {text!r}. {fix}`` when it is not.
    """
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = low - 1
    if value < low:
        raise ConvotronError(f"{flag} must be an integer >= {low}; got {text!r}. {fix}")
    return value


def as_number(text: str, kind: Callable[[str], Any] = float) -> Any:
    """Return the option's text as a number (``kind``: float or int), or the text itself.

    For options the library checks: a text that is not a number reaches the library's
    check as is, whose error names the parameter (shown as the flag) and quotes the text.
    """
    try:
        return kind(text)
    except (TypeError, ValueError):
        return text


def parse_number(
    text: str, flag: str, rule: str, ok: Callable[[float], bool], fix: str, *, finite: bool = True
) -> float:
    """Return the option's text as a number for which ``ok`` holds (finite unless ``finite=False``).

    Raises
    ------
    ConvotronError
        ``{flag} must be {rule}; got {text!r}. {fix}`` when it is not.
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not ((math.isfinite(value) or not finite) and ok(value)):
        raise ConvotronError(f"{flag} must be {rule}; got {text!r}. {fix}")
    return value


class ConvotronArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message (see prog --help)`` and exit 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """Return the project's bad-input errors: the numerical half's and the symbolic half's."""
    from convotron_theory._errors import (
        TheoryError,  # imported when an error is caught, not at start
    )

    return (ConvotronError, TheoryError)


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
    message = switches(str(exc), args)
    param = getattr(exc, "param", None)
    flag = flag_for(param, args)
    if flag is not None and param is not None and message.startswith(param + " "):
        return flag + message[len(param) :]
    alias = _PARAM_ALIASES.get(param or "")
    if (
        flag is None
        and alias is not None
        and param is not None
        and hasattr(args, alias)
        and message.startswith(param + " ")
    ):
        flag = "--" + alias
        if alias == "noise":  # a part of --noise: "--noise level (the noise level...) ..."
            return f"{flag} {message}"
        return flag + message[len(param) :].replace(f"<= {param} <=", f"<= {flag} <=")
    return message


_SETTING = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=(True|False|None)\b")
_TURN_OFF = re.compile(
    r"\b([Uu]se|[Pp]ass|or) ([A-Za-z_][A-Za-z0-9_]*)=(?:False|None)"
    r"(?: \([^)]*\))?(?: or \2=(?:False|None)(?: \([^)]*\))?)?"
)


def switches(message: str, args: argparse.Namespace) -> str:
    """Name the command's on/off flags in a library message (``exact=True`` -> ``--exact``).

    Only parameters that are switches of this command (``store_true`` options, whose value
    is a bool) are rewritten: ``NAME=True`` becomes ``--NAME``, ``use NAME=False (...)`` (or
    ``NAME=None``) becomes ``drop --NAME`` (``or NAME=False``: ``or drop --NAME``) and a
    bare ``NAME=False`` becomes ``no --NAME``.
    """

    def is_switch(name: str) -> bool:
        return name.isidentifier() and isinstance(getattr(args, name, None), bool)

    def flag(name: str) -> str:
        return "--" + name.replace("_", "-")

    def off(m: re.Match[str]) -> str:
        if not is_switch(m.group(2)):
            return m.group(0)
        verb = {"or": "or drop"}.get(m.group(1), "Drop" if m.group(1)[0].isupper() else "drop")
        return f"{verb} {flag(m.group(2))}"

    def setting(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2)
        if not is_switch(name):
            return m.group(0)
        return flag(name) if value == "True" else f"no {flag(name)}"

    return _SETTING.sub(setting, _TURN_OFF.sub(off, message))


def run_guarded(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, *, command: str
) -> int:
    """Run a subcommand: bad input exits 2, an environment failure 3, one stderr line each.

    Bad input (a project error: :class:`~convotron._errors.ConvotronError` or
    ``convotron_theory``'s ``TheoryError``) is the user's to fix: status :data:`EXIT_BAD_INPUT`. An
    operating-system error that escapes (a full disk, an I/O error, an unreachable
    scheduler, a standard output that cannot be written) is the environment's: status
    :data:`EXIT_ENVIRONMENT`. Ctrl-C exits 130 and ``kill`` (``SIGTERM``) 143, both unwound
    as exceptions (:mod:`convotron._interrupts`: held while a compiled call unboxes its
    arguments, where raising them is unsafe). Never a traceback.
    """
    guard_streams()
    watch_stdout()
    with interrupts_as_exceptions():  # SIGTERM (and Ctrl-C) raise, held in compiled calls
        try:
            status = int(handler(args))
            sys.stdout.flush()
            return status
        except _bad_input_types() as exc:
            print(f"convotron {command}: error: {render_error(exc, args)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Terminated:
            print(f"convotron {command}: terminated", file=sys.stderr)
            return 143
        except KeyboardInterrupt:
            print(f"convotron {command}: interrupted", file=sys.stderr)
            return 130
        except OSError as exc:
            print(f"convotron {command}: error: {_describe_os_error(exc)}", file=sys.stderr)
            return EXIT_ENVIRONMENT


class _NullStream:
    """A text stream standing for a closed standard stream (``2>&-``): writes go nowhere."""

    closed_stream = True

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(9, "Bad file descriptor (the stream was closed when the command started)")


class _ClosedStdout(_NullStream):
    """Standard output closed at start (``>&-``): the first write fails like a broken pipe."""

    def write(self, text: str) -> int:
        raise OSError(9, "Bad file descriptor (standard output is closed)")

    def flush(self) -> None:
        return None


def guard_streams() -> None:
    """Replace a standard stream that was closed when Python started (``None``).

    A closed stderr (``2>&-``) becomes a sink, so that progress bars and messages do not
    crash; a closed stdout (``>&-``) becomes a stream whose writes fail, so that the command
    reports it (status :data:`EXIT_ENVIRONMENT`) instead of an ``AttributeError``.
    """
    if sys.stderr is None:
        sys.stderr = _NullStream()
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()


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
    current: Any = sys.stdout
    if not isinstance(current, _WatchedStream):
        current = _WatchedStream(current)
        sys.stdout = current
    return current


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
    import errno

    reason = exc.strerror or str(exc)
    if isinstance(sys.stdout, _WatchedStream) and sys.stdout.failed:
        silence_stdout()
        return f"cannot write to standard output ({reason}). Redirect it to a writable file."
    if type(exc).__name__ == "SchedulerUnavailable" or isinstance(exc, TimeoutError):
        return str(exc)
    where = f" {exc.filename!s}" if exc.filename is not None else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the disk is full: no space left to write{where or ' a file'} ({reason}). Free "
            "some space or choose another folder; the inputs were fine."
        )
    if exc.errno == errno.EIO:
        return f"an input/output error on{where or ' the disk'} ({reason}). Check the device."
    if exc.errno == errno.EROFS:
        return f"the file system of{where or ' the output'} is read-only ({reason})."
    return f"the environment failed: an operating-system error on{where or ' a file'}: {reason}."


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()
