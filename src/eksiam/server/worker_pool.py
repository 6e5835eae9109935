"""A fixed pool of threads that runs blocking request handlers for the event loop.

``loop.run_in_executor`` with a ``ThreadPoolExecutor`` costs about 25 us of GIL time per call on
this kind of machine (a ``concurrent.futures.Future`` with its Condition, the executor's idle
semaphore, ``wrap_future`` chaining two futures); the AWS endpoint pays it on every request. This
pool hands the loop's own future to a thread through a ``SimpleQueue`` and resolves it with one
``call_soon_threadsafe``: about 6 us (benchmarks/server.py measures the whole request).

Rules: jobs run in submission order across ``threads`` threads; an exception raised by a job is
re-raised in the awaiting coroutine; a future cancelled meanwhile is left alone; ``shutdown`` lets
queued jobs finish, then joins the threads (graceful shutdown must not drop acknowledged work).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


class WorkerPool:
    def __init__(self, threads: int, name: str = "eksiam-worker") -> None:
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, fn, args = job
            try:
                result = fn(*args)
            except BaseException as error:  # handed to the awaiting coroutine, never lost
                loop.call_soon_threadsafe(_fail, future, error)
            else:
                loop.call_soon_threadsafe(_resolve, future, result)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return await future

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
