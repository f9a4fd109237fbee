"""Tasks on Dask, shared by ``convotron sweep`` and ``convotron verify --scheduler``.

One executor for both commands: :class:`Executor` opens the backend once (an embedded
``distributed.LocalCluster`` with one single-threaded worker process per core, a running
cluster at ``tcp://HOST:PORT`` started with ``dask scheduler`` / ``dask worker``, or
``"inline"``: this process, no Dask) and :meth:`Executor.run` submits a pure function over
items and yields ``(item, result or exception)`` as they finish. A task whose worker dies is
retried by the scheduler (:data:`RETRIES`); a task that keeps failing is yielded with its
exception, for the caller to report. The callers make each task a pure function of its item
(the runs of a chunk are seeded by their run index), so results never depend on the backend,
the number of workers or the order in which tasks finish.

The address is checked by one function for both commands (:func:`check_scheduler`); a
connection is tried with a deadline of :data:`CONNECT_TIMEOUT` seconds, and a server that
answers but is not a Dask scheduler (it does not send Dask's handshake) is recognised within
the same deadline (:func:`probe_scheduler`), instead of hanging. An unreachable scheduler is an
environment failure, :class:`SchedulerUnavailable` (an ``OSError``: the command line exits 3,
never 2, which is for bad input). ``distributed``'s log messages (a lost worker, a closed
connection, a cluster shut down by Ctrl-C) stay out of the terminal unless ``verbose``; an
interrupt closes the embedded cluster before it propagates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .._errors import ConvotronError
from .._interrupts import interrupt_requested

__all__ = [
    "CONNECT_TIMEOUT",
    "RETRIES",
    "Executor",
    "SchedulerUnavailable",
    "check_scheduler",
    "check_workers",
    "execute",
    "max_workers",
    "probe_scheduler",
    "set_verbose",
]

#: How often the scheduler retries a task whose worker died or that raised.
RETRIES = 2
#: Tasks in flight on a cluster at a time (more are submitted as these finish).
WINDOW = 1000
_END: Any = object()
#: Seconds to reach a scheduler and receive its handshake before giving up.
CONNECT_TIMEOUT = 20.0

_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$")


class SchedulerUnavailable(ConnectionError):
    """The scheduler could not be reached or is not a Dask scheduler (an environment failure)."""


def check_scheduler(text: str | None, *, flag: str = "--scheduler") -> str | None:
    """Return a valid scheduler choice: ``None``, ``"local"``, ``"inline"`` or an address.

    An address is ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` with ``1 <= PORT <= 65535``
    (``dask scheduler`` prints it when it starts). The same check serves ``sweep`` and
    ``verify``, before any work.

    Raises
    ------
    ConvotronError
        For anything else (``''``, ``garbage``, ``udp://...``, ``http://...``, a missing port).
    """
    if text is None or text in ("local", "inline"):
        return text
    fix = (
        f"Pass {flag} local (an embedded cluster), {flag} inline (no Dask), or the address "
        "that `dask scheduler` prints, e.g. tcp://127.0.0.1:8786."
    )
    m = _ADDRESS.match(text) if isinstance(text, str) and len(text) <= 300 else None
    if m is None or not 1 <= int(m.group(3)) <= 65535:
        raise ConvotronError(
            f"{flag} must be 'local', 'inline' or a Dask scheduler address tcp://HOST:PORT "
            f"(or tls://HOST:PORT) with 1 <= PORT <= 65535; got {text!r}. {fix}"
        )
    return text


def max_workers() -> int:
    """Return the cores this process may use (the cap of ``--workers`` for an embedded cluster)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_workers(workers: Any, *, flag: str = "--workers") -> int | None:
    """Return ``workers`` checked: ``None`` (all cores) or an integer in ``1..max_workers()``.

    More processes than cores only add memory (each worker process holds numpy, numba and the
    compiled loop: about 250 MB) and time-slicing; the cap is checked before any starts.
    """
    if workers is None:
        return None
    cap = max_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= cap:
        raise ConvotronError(
            f"{flag} must be an integer with 1 <= {flag} <= {cap} (the cores available here; "
            f"each worker is a process of about 250 MB); got {workers!r}. Pass at most "
            f"{flag} {cap}, or start workers on other machines with `dask worker` and "
            "--scheduler."
        )
    return workers


def probe_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Connect to ``tcp://HOST:PORT`` and wait for the Dask handshake, within ``timeout`` s.

    A Dask scheduler sends its handshake (a msgpack frame naming ``compression``,
    ``python`` and ``pickle-protocol``) as soon as a connection is accepted; a server that
    sends nothing (an HTTP server) or something else is not one. ``tls://`` is not probed.

    Raises
    ------
    SchedulerUnavailable
        Unreachable (refused, no route, timed out) or not a Dask scheduler.
    """
    m = _ADDRESS.match(address)
    if m is None or m.group(1) != "tcp":
        return
    host, port = m.group(2).strip("[]"), int(m.group(3))
    deadline = time.monotonic() + timeout
    fix = (
        "Start one with `dask scheduler --port PORT` and workers with `dask worker ADDRESS`, "
        "or pass --scheduler local."
    )
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            while b"pickle-protocol" not in data and len(data) < 4096:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except TimeoutError:
        raise SchedulerUnavailable(
            f"the scheduler {address} did not answer as a Dask scheduler within {timeout:g} s "
            f"(something listens there but sends no Dask handshake). {fix}"
        ) from None
    except OSError as exc:
        raise SchedulerUnavailable(
            f"the scheduler {address} cannot be reached ({exc.strerror or exc}). {fix}"
        ) from None
    if b"pickle-protocol" not in data:
        raise SchedulerUnavailable(
            f"the server at {address} is not a Dask scheduler (its first bytes are not Dask's "
            f"handshake: {data[:24]!r}). {fix}"
        )


_VERBOSE = [False]

Item = TypeVar("Item")


def set_verbose(flag: bool) -> None:
    """Let ``distributed``'s log messages through for every executor (``--verbose``)."""
    _VERBOSE[0] = bool(flag)


@contextlib.contextmanager
def quiet_logs(verbose: bool = False) -> Iterator[None]:
    """Keep ``distributed``'s (and tornado's) log messages off the terminal unless ``verbose``.

    ``logging.disable`` for the duration: ``distributed`` gives its child loggers
    (``distributed.client``, ``distributed.worker``...) their own levels and handlers, so
    raising the level of the ``distributed`` logger alone lets a killed scheduler's 36 lines
    of tracebacks through. The package itself reports with ``print``, never ``logging``.
    """
    if verbose:
        yield
        return
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def _close_stray_clusters() -> None:
    """Close every embedded cluster of this process quietly, and drop distributed's exit hook.

    A ``LocalCluster`` interrupted while it starts is not returned to us, yet ``distributed``
    registered it for an ``atexit`` close that then fails on workers still starting
    ("Exception ignored in atexit callback ... AssertionError"). Closing it here, with the
    errors of a half-built cluster suppressed, and unregistering that hook keeps the
    terminal clean; the worker processes end with this process (they are its daemons).
    """
    import atexit
    import sys

    spec = sys.modules.get("distributed.deploy.spec")  # never import here: Ctrl-C may have
    if spec is None or not hasattr(spec, "close_clusters"):  # cut that import short
        return
    for cluster in list(getattr(spec.SpecCluster, "_instances", ())):
        with contextlib.suppress(BaseException):
            cluster.close(timeout=5)
    with contextlib.suppress(Exception):
        atexit.unregister(spec.close_clusters)


class Executor:
    """A Dask backend held open for several batches of tasks (a context manager).

    Parameters
    ----------
    scheduler : str or None
        ``None``: an embedded ``LocalCluster`` with ``workers`` processes (default: the
        cores); ``"tcp://HOST:PORT"``: a running Dask scheduler; ``"inline"``: no Dask, the
        tasks run here one after the other.
    workers : int or None
        Worker processes of the embedded cluster (ignored otherwise).
    """

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, *, verbose: bool = False
    ) -> None:
        self.scheduler = check_scheduler(scheduler)
        # --workers sizes an embedded cluster only; a running cluster has its own workers
        self.workers = check_workers(workers) if self.scheduler in (None, "local") else workers
        self.verbose = verbose or _VERBOSE[0]
        self._client: Any = None
        self._cluster: Any = None
        self._quiet: Any = None

    @property
    def address(self) -> str:
        """The scheduler's address (``"inline"`` without Dask)."""
        if self.scheduler == "inline":
            return "inline"
        if self._cluster is not None:
            return str(self._cluster.scheduler_address)
        return str(self.scheduler)

    def __enter__(self) -> Executor:
        if self.scheduler == "inline":
            return self
        self._quiet = quiet_logs(self.verbose)
        self._quiet.__enter__()
        try:
            self._open()
        except BaseException:
            self.__exit__(None, None, None)
            _close_stray_clusters()  # a cluster interrupted half-built (Ctrl-C at start)
            raise
        return self

    def _open(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler in (None, "local"):
            self._cluster = LocalCluster(
                n_workers=self.workers or max_workers(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: 8787 may be taken (a warning)
                silence_logs=logging.CRITICAL + 1 if not self.verbose else logging.WARNING,
            )
            self._client = Client(self._cluster)
        else:
            assert self.scheduler is not None
            probe_scheduler(self.scheduler)
            try:
                self._client = Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT:g}s")
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnavailable(
                    f"the scheduler {self.scheduler} cannot be reached ({exc}). Check that "
                    "`dask scheduler` runs there, or pass --scheduler local."
                ) from None

    def __exit__(self, *exc: object) -> None:
        """Close the client and the embedded cluster, quietly, also after Ctrl-C."""
        interrupted = isinstance(exc[1] if len(exc) > 1 else None, KeyboardInterrupt)
        try:
            for obj in (self._client, self._cluster):
                if obj is None:
                    continue
                try:
                    obj.close(timeout=10) if obj is self._cluster else obj.close()
                except BaseException:
                    with contextlib.suppress(BaseException):
                        obj.close()
            if interrupted:
                _close_stray_clusters()
        finally:
            self._client = self._cluster = None
            if self._quiet is not None:
                self._quiet.__exit__(None, None, None)
                self._quiet = None

    def run(
        self,
        fn: Callable[[Item], Any],
        items: Iterable[Item],
        *,
        key: Callable[[Item], str],
        lost: str = "raise",
    ) -> Iterator[tuple[Item, Any]]:
        """Run ``fn(item)`` for every item; yield ``(item, result or exception)`` as they finish.

        ``key(item)`` names the task on the scheduler (unique per item). When the connection
        to the scheduler is lost (it was killed, its machine went away), ``lost="raise"``
        raises :class:`SchedulerUnavailable` (an environment failure, not the task's);
        ``lost="yield"`` yields the exception for each remaining item, as for a failed task.
        """
        if self._client is None:  # inline
            for item in items:
                try:
                    yield item, fn(item)
                except Exception as exc:  # a failing task is reported, not hidden
                    interrupt = interrupt_requested()
                    if interrupt is not None:  # Ctrl-C or kill, disguised by C code on its way
                        raise interrupt from exc
                    yield item, exc
            return
        from distributed import as_completed

        # at most WINDOW tasks in flight: 10^5 futures at once cost the client and the
        # scheduler gigabytes; a new one is submitted as each finishes
        todo = iter(items)
        keyed: dict[Any, Item] = {}
        done = as_completed()

        def submit_one() -> bool:
            item = next(todo, _END)
            if item is _END:
                return False
            fut = self._client.submit(fn, item, key=key(item), retries=RETRIES, pure=False)
            keyed[fut.key] = item
            done.add(fut)
            return True

        for _ in range(WINDOW):
            if not submit_one():
                break
        gone: BaseException | None = None
        for fut in done:
            item = keyed.pop(fut.key)
            try:
                result = fut.result()
            except Exception as exc:
                if self._scheduler_lost(exc):
                    gone = SchedulerUnavailable(
                        f"the connection to the scheduler {self.address} was lost while tasks "
                        f"were running ({type(exc).__name__}: {exc}). Check that the scheduler "
                        "still runs, then rerun."
                    )
                    if lost == "raise":
                        raise gone from None
                result = exc
            fut.release()
            if gone is None:
                submit_one()
            yield item, result
        for item in todo:  # never submitted: the scheduler went away first
            yield item, gone

    def _scheduler_lost(self, exc: BaseException) -> bool:
        import asyncio
        import concurrent.futures

        if not isinstance(
            exc, OSError | asyncio.CancelledError | concurrent.futures.CancelledError
        ) and type(exc).__name__ not in ("CommClosedError", "FutureCancelledError"):
            return False
        status = str(getattr(self._client, "status", "running"))
        return status != "running"


def execute(
    fn: Callable[[Item], Any],
    items: list[Item],
    *,
    key: Callable[[Item], str],
    scheduler: str | None = None,
    workers: int | None = None,
    on_start: Callable[[str], None] | None = None,
    verbose: bool = False,
) -> Iterator[tuple[Item, Any]]:
    """Open an :class:`Executor`, run ``fn`` over ``items`` and close it (one batch).

    ``on_start(address)`` is called once the cluster is up (not for ``"inline"``).
    """
    if not items:
        return
    with Executor(scheduler, workers, verbose=verbose) as ex:
        if on_start is not None and scheduler != "inline":
            on_start(ex.address)
        yield from ex.run(fn, items, key=key, lost="yield")
