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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["RETRIES", "Executor", "execute"]

#: How often the scheduler retries a task whose worker died or that raised.
RETRIES = 2

Item = TypeVar("Item")


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

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None

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
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            self._cluster = LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: 8787 may be taken (a warning)
                silence_logs=50,
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.scheduler, timeout="20s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(
        self, fn: Callable[[Item], Any], items: Iterable[Item], *, key: Callable[[Item], str]
    ) -> Iterator[tuple[Item, Any]]:
        """Run ``fn(item)`` for every item; yield ``(item, result or exception)`` as they finish.

        ``key(item)`` names the task on the scheduler (unique per item).
        """
        items = list(items)
        if self._client is None:  # inline
            for item in items:
                try:
                    yield item, fn(item)
                except Exception as exc:  # a failing task is reported, not hidden
                    yield item, exc
            return
        from distributed import as_completed

        keyed: dict[Any, Item] = {}
        pending = []
        for item in items:
            fut = self._client.submit(fn, item, key=key(item), retries=RETRIES, pure=False)
            keyed[fut.key] = item
            pending.append(fut)
        for fut in as_completed(pending):
            item = keyed[fut.key]
            try:
                yield item, fut.result()
            except Exception as exc:
                yield item, exc
            fut.release()


def execute(
    fn: Callable[[Item], Any],
    items: list[Item],
    *,
    key: Callable[[Item], str],
    scheduler: str | None = None,
    workers: int | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Iterator[tuple[Item, Any]]:
    """Open an :class:`Executor`, run ``fn`` over ``items`` and close it (one batch).

    ``on_start(address)`` is called once the cluster is up (not for ``"inline"``).
    """
    if not items:
        return
    with Executor(scheduler, workers) as ex:
        if on_start is not None and scheduler != "inline":
            on_start(ex.address)
        yield from ex.run(fn, items, key=key)
