"""Group commit for writes made on the event loop: one fsync acknowledges every write before it.

Requests on a local store run on the loop inside ``Store.deferred_sync`` (storage/sql.py rule 4):
their writes commit without syncing, and the response waits here for a ``Store.sync`` that began
after the commit. While one sync runs, requests that committed meanwhile wait together for the next
one, so a burst of writes costs two fsyncs, not one each (CreateRole/DeleteRole in
benchmarks/server.py).

Rules:

1. ``wait`` returns only after a sync that started after the caller's commit has finished; a sync
   that fails fails every waiter of that sync (the server answers an error, never a success for a
   write that may not be durable).
2. Everything here runs on the event loop's thread except the sync itself, which runs on its own
   thread, so a queue of requests offloaded to the worker pool never delays an acknowledgement.
3. Waiters are shielded: one request going away does not cancel the sync others wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from eksiam.server.worker_pool import WorkerPool


class GroupSync:
    def __init__(self, sync: Callable[[], None]) -> None:
        self._sync = sync
        self._pool = WorkerPool(1, "eksiam-sync")
        self._running: asyncio.Future[None] | None = None
        self._next: asyncio.Future[None] | None = None

    async def wait(self) -> None:
        """Return once everything committed before this call is durable (rule 1)."""
        if self._running is None:
            self._running = self._start()
            await asyncio.shield(self._running)
            return
        if self._next is None:  # the running sync may have begun before our commit: take the next
            self._next = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._next)

    def _start(self) -> asyncio.Future[None]:
        running = asyncio.ensure_future(self._pool.run(self._sync))
        running.add_done_callback(self._finished)
        return running

    def _finished(self, done: asyncio.Future[None]) -> None:
        following, self._next = self._next, None
        if following is None:
            self._running = None
            return
        self._running = self._start()
        self._running.add_done_callback(lambda result: _copy(result, following))

    def shutdown(self) -> None:
        self._pool.shutdown()


def _copy(source: asyncio.Future[None], target: asyncio.Future[None]) -> None:
    if target.cancelled():
        return
    if source.cancelled():
        target.cancel()
        return
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(None)
