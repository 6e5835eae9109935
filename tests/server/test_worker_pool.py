"""The worker pool: results and exceptions reach the awaiting coroutine; shutdown drains the queue."""

from __future__ import annotations

import asyncio
import threading

import pytest

from eksiam.server.worker_pool import WorkerPool


def test_results_come_back_from_worker_threads() -> None:
    pool = WorkerPool(3)
    try:

        async def main() -> list[tuple[int, str]]:
            return await asyncio.gather(
                *(pool.run(lambda i: (i * i, threading.current_thread().name), i) for i in range(50))
            )

        results = asyncio.run(main())
    finally:
        pool.shutdown()
    assert [value for value, _ in results] == [i * i for i in range(50)]
    assert all(name.startswith("eksiam-worker-") for _, name in results)
    assert threading.current_thread().name not in {name for _, name in results}


def test_an_exception_in_a_job_is_raised_in_the_caller() -> None:
    pool = WorkerPool(1)

    def fail() -> None:
        raise ValueError("boom")

    try:
        with pytest.raises(ValueError, match="boom"):
            asyncio.run(pool.run(fail))
        assert asyncio.run(pool.run(lambda: "still serving")) == "still serving"
    finally:
        pool.shutdown()


def test_shutdown_finishes_queued_jobs_first() -> None:
    pool = WorkerPool(1)
    release = threading.Event()
    done: list[int] = []

    def job(i: int) -> None:
        release.wait(5)
        done.append(i)

    async def main() -> None:
        tasks = [asyncio.ensure_future(pool.run(job, i)) for i in range(5)]
        await asyncio.sleep(0)  # the jobs are queued; the first one blocks the only thread
        stopping = asyncio.ensure_future(asyncio.to_thread(pool.shutdown))
        release.set()
        await stopping
        assert done == [0, 1, 2, 3, 4]  # shutdown returned only after every queued job ran
        await asyncio.gather(*tasks)

    asyncio.run(main())
