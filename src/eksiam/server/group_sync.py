"""Group commit for writes made on the event loop: one fsync acknowledges every write before it.

Requests on a local store run on the loop inside ``Store.deferred_sync`` (storage/sql.py rule 4):
their writes commit without syncing, and the response waits here for a ``Store.sync`` that began
after the commit. A sync starts at the end of the loop step that asked for it, so every request
answered in that step shares it; while it runs, requests that commit meanwhile wait together for
the next one (CreateRole/DeleteRole in benchmarks/server.py).

Rules:

1. ``wait`` returns only after a sync that started after the caller's commit has finished; a sync
   that fails fails every waiter of that sync (the server answers an error, never a success for a
   write that may not be durable).
2. Everything here runs on the event loop's thread except the sync itself, which runs on its own
   thread, so a queue of requests offloaded to the worker pool never delays an acknowledgement.
3. Waiters are shielded: one request going away does not cancel the sync others wait for.
4. A waiter is a coroutine (``wait``) or a callback (``notify``, for the HTTP protocol's direct
   answers, aws_http.py); both are served in the order they asked, from the same syncs.
5. Before a sync starts, ``commit`` (``Store.commit_batch``) commits the writes the loop batched
   since the last one (storage/sql.py rule 8), on the loop's thread; when that fails, the sync's
   waiters fail with it, since none of their writes landed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from eksiam.server.worker_pool import WorkerPool

log = logging.getLogger("eksiam.server")


class GroupSync:
    def __init__(self, sync: Callable[[], None], commit: Callable[[], None] = lambda: None) -> None:
        self._sync = sync
        self._commit = commit
        self._pool = WorkerPool(1, "eksiam-sync")
        self._waiting: list[_Waiter] = []  # waiters for the next sync to start
        self._running = False

    async def wait(self) -> None:
        """Return once everything committed before this call is durable (rule 1). Each waiter
        has its own future (rule 3), which costs less than shielding one shared future."""
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()
        self._enqueue(loop, functools.partial(_copy, target=mine))
        await mine

    def notify(self, callback: Callable[[BaseException | None], None]) -> None:
        """``wait`` for code that is not a coroutine: ``callback`` runs on the loop with None once
        everything committed before this call is durable, or with the failure of the sync."""
        self._enqueue(asyncio.get_running_loop(), lambda done: callback(_failure(done)))

    def _enqueue(self, loop: asyncio.AbstractEventLoop, waiter: _Waiter) -> None:
        if not self._waiting and not self._running:
            loop.call_soon(self._start)  # after this loop step: its other commits ride along
        self._waiting.append(waiter)

    def _start(self) -> None:
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        self._running = True
        try:
            self._commit()  # rule 5: on the loop, where the batched writes were made
        except Exception as failure:
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(failure)
            self._finished(failed, batch)
            return
        running = asyncio.ensure_future(self._pool.run(self._sync))
        running.add_done_callback(lambda done: self._finished(done, batch))

    def _finished(self, done: asyncio.Future[None], batch: list[_Waiter]) -> None:
        for waiter in batch:
            try:
                waiter(done)
            except Exception:  # one waiter's failure must not keep the others from their answer
                log.exception("a group sync waiter failed")
        self._running = False
        self._start()

    def shutdown(self) -> None:
        self._pool.shutdown()


_Waiter = Callable[["asyncio.Future[None]"], None]


def _failure(done: asyncio.Future[None]) -> BaseException | None:
    if done.cancelled():
        return asyncio.CancelledError()
    return done.exception()


def _copy(source: asyncio.Future[None], target: asyncio.Future[None]) -> None:
    if target.done():  # its waiter went away
        return
    if source.cancelled():
        target.cancel()
        return
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(None)
