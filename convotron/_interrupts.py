"""Ctrl-C and ``kill`` as exceptions, held back while a compiled call unboxes its arguments.

The command line turns ``SIGTERM`` into :class:`Terminated` and ``SIGINT`` into
:class:`KeyboardInterrupt` (:func:`convotron.cli._common.run_guarded` installs
:func:`on_signal`), so that ``kill`` unwinds like Ctrl-C: clusters closed, staged files
removed, one line, exit 143 (130 for Ctrl-C).

Python runs a signal's handler in the main thread between two bytecodes, and that can be
*inside* a C routine that calls back into Python. numba's dispatcher is one: unboxing a
``numpy.random.Generator`` argument reads its bit generator's ``ctypes`` property, a Python
call. An exception raised by the handler there does not unwind as itself. Measured with
``convotron sweep ... --scheduler inline`` killed a moment after its first cell (about
one ``kill`` in 20): it came out as ``AttributeError: 'numpy.random._pcg64.PCG64' object has
no attribute 'ctypes'``, which the sweep recorded as a failed cell before running on to the
end and exiting 1, or the process died of a segmentation fault inside
``_kernels.run_lockstep``'s call.

So the calls into compiled kernels that take generators run inside
:func:`holding_interrupts`. A signal arriving there is remembered, and its exception is
raised when the block ends. A compiled kernel runs without the GIL and cannot be
interrupted anyway, so holding adds no wait beyond the unboxing, except when the call first
compiles the kernel (once per process and signature; a cached kernel loads in well under a
second).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Terminated",
    "holding_interrupts",
    "interrupt_requested",
    "interrupts_as_exceptions",
    "on_signal",
]


class Terminated(KeyboardInterrupt):
    """``SIGTERM`` received: unwound like Ctrl-C (clusters closed, stages removed), exit 143."""


_held = 0  # depth of holding_interrupts blocks on the main thread
_pending: type[KeyboardInterrupt] | None = None  # a signal's exception, held back
_requested: type[KeyboardInterrupt] | None = None  # the last signal's exception, ever


def _exception_for(signum: int) -> type[KeyboardInterrupt]:
    return Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def on_signal(signum: int, frame: Any) -> None:
    """Raise :class:`Terminated` for ``SIGTERM``, ``KeyboardInterrupt`` for ``SIGINT`` (a handler).

    Inside :func:`holding_interrupts` the exception is held and raised when the block ends.
    """
    global _pending, _requested
    exc = _exception_for(signum)
    _requested = exc
    if _held:
        _pending = exc
        return
    raise exc


def interrupt_requested() -> type[KeyboardInterrupt] | None:
    """Return the exception of the last ``SIGTERM``/``SIGINT`` handled here (None if none).

    For code that turns a task's exception into a result (a failed cell): an exception
    after an interrupt may be that interrupt, disguised by C code it passed through.
    """
    return _requested


@contextmanager
def holding_interrupts() -> Iterator[None]:
    """Hold a ``SIGTERM``/``SIGINT`` that arrives in the block; raise its exception at the end.

    On a thread other than the main one this does nothing (signals are handled on the main
    thread). Nested blocks raise at the end of the outermost. If the block raises too, the
    signal's exception replaces it (the block's stays attached as ``__context__``): the
    user asked to stop.
    """
    global _held, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending is not None:
            exc, _pending = _pending, None
            raise exc  # on purpose in finally: the interrupt wins over the block's error


@contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """For the block, let :func:`on_signal` handle ``SIGTERM``, and ``SIGINT`` where Python does.

    ``SIGINT`` is taken over only from Python's own handler (``signal.default_int_handler``):
    a process started with ``SIGINT`` ignored (in the background of a non-interactive shell)
    keeps ignoring it. The previous handlers come back when the block ends, and the record
    of a signal (:func:`interrupt_requested`) starts empty. Outside the main thread (where
    handlers cannot be set) this does nothing.
    """
    global _requested, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested = _pending = None
    previous: dict[int, Any] = {}
    try:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_signal)
    except (ValueError, OSError):  # pragma: no cover - no signals here (an embedding host)
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            try:
                signal.signal(signum, handler)
            except (ValueError, OSError, TypeError):  # pragma: no cover
                pass
