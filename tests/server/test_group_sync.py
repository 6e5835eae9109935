"""GroupSync (server/group_sync.py): a waiter is released only by a sync that began after it asked,
waiters of one loop step share one sync, and a failed sync fails its waiters."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from botocore.config import Config
from tests.server.conftest import LiveApp

from eksiam.server.group_sync import GroupSync


class Gate:
    """A sync that records when it starts and waits until the test opens it."""

    def __init__(self, fail: bool = False) -> None:
        self.started: list[float] = []
        self.release = threading.Event()
        self.fail = fail

    def __call__(self) -> None:
        self.started.append(time.monotonic())
        self.release.wait(5)
        self.release.clear()
        if self.fail:
            raise OSError("disk on fire")


def run(gate: Gate, sync: GroupSync, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """``main`` on a new event loop; the gate is left open and the sync thread stopped after it."""
    try:
        asyncio.run(main())
    finally:
        gate.release.set()
        sync.shutdown()


def test_waiters_of_one_step_share_one_sync() -> None:
    gate = Gate()
    sync = GroupSync(gate)

    async def main() -> None:
        waiters = [asyncio.ensure_future(sync.wait()) for _ in range(5)]
        await asyncio.sleep(0.05)
        assert len(gate.started) == 1 and not any(w.done() for w in waiters)
        gate.release.set()
        await asyncio.gather(*waiters)
        assert len(gate.started) == 1

    run(gate, sync, main)


def test_a_waiter_that_arrives_during_a_sync_waits_for_the_next() -> None:
    gate = Gate()
    sync = GroupSync(gate)

    async def main() -> None:
        first = asyncio.ensure_future(sync.wait())
        await asyncio.sleep(0.05)  # the first sync is running now
        asked = time.monotonic()
        second = asyncio.ensure_future(sync.wait())
        await asyncio.sleep(0.02)
        gate.release.set()
        await first
        assert not second.done()  # the running sync began before the second asked
        await asyncio.sleep(0.05)
        assert len(gate.started) == 2 and gate.started[1] >= asked
        gate.release.set()
        await second

    run(gate, sync, main)


def test_a_waiter_that_goes_away_leaves_the_sync_to_the_others() -> None:
    gate = Gate()
    sync = GroupSync(gate)

    async def main() -> None:
        leaving, staying = asyncio.ensure_future(sync.wait()), asyncio.ensure_future(sync.wait())
        await asyncio.sleep(0.05)
        leaving.cancel()
        await asyncio.sleep(0.01)
        assert not staying.done()
        gate.release.set()
        await staying
        assert leaving.cancelled() and len(gate.started) == 1
        third = asyncio.ensure_future(sync.wait())  # the group is usable afterwards
        await asyncio.sleep(0.05)
        gate.release.set()
        await third
        assert len(gate.started) == 2

    run(gate, sync, main)


def test_a_failed_sync_fails_its_waiters() -> None:
    gate = Gate(fail=True)
    sync = GroupSync(gate)

    async def main() -> None:
        waiters = [asyncio.ensure_future(sync.wait()) for _ in range(3)]
        await asyncio.sleep(0.02)
        gate.release.set()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert all(isinstance(r, OSError) for r in results)

    run(gate, sync, main)


def test_a_write_is_answered_only_after_the_sync(live_app: LiveApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the server: CreateRole's response waits for Store.sync; GetRole's does not."""
    gate = Gate()
    real_sync = live_app.app.runtime.store.sync

    def gated() -> None:
        gate()
        real_sync()

    monkeypatch.setattr(live_app.app.runtime.group_sync, "_sync", gated)
    iam = live_app.client("iam")
    trust = '{"Version":"2012-10-17","Statement":[]}'
    done = threading.Event()
    thread = threading.Thread(
        target=lambda: (iam.create_role(RoleName="synced", AssumeRolePolicyDocument=trust), done.set())
    )
    thread.start()
    try:
        assert not done.wait(0.5)  # committed, but not acknowledged before the sync
        assert len(gate.started) == 1
        assert live_app.client("iam").get_role(RoleName="synced")["Role"]["RoleName"] == "synced"
        gate.release.set()
        assert done.wait(5)
    finally:
        gate.release.set()
        thread.join(5)


def test_sync_failure_answers_an_error_not_success(
    live_app: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(live_app.app.runtime.group_sync, "_sync", broken)
    iam = live_app.client("iam", config=Config(retries={"max_attempts": 0}))
    with pytest.raises(iam.exceptions.ClientError) as caught:
        iam.create_role(RoleName="unsure", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_callbacks_and_coroutines_share_syncs_and_are_answered_in_order() -> None:
    gate = Gate()
    sync = GroupSync(gate)
    answered: list[object] = []

    async def main() -> None:
        waiter = asyncio.ensure_future(sync.wait())
        waiter.add_done_callback(lambda _: answered.append("coroutine"))
        await asyncio.sleep(0)  # the coroutine asks first, and the sync starts after this step
        sync.notify(lambda failure: answered.append(("first", failure)))
        sync.notify(lambda failure: answered.append(("last", failure)))
        await asyncio.sleep(0.05)
        assert len(gate.started) == 1 and answered == []
        gate.release.set()
        await waiter
        await asyncio.sleep(0)
        assert answered == [("first", None), ("last", None), "coroutine"]  # futures call back a step later
        assert len(gate.started) == 1

    run(gate, sync, main)


def test_a_failed_sync_reaches_callbacks_and_a_failing_callback_spares_the_rest() -> None:
    gate = Gate(fail=True)
    sync = GroupSync(gate)
    seen: list[BaseException | None] = []

    def broken(failure: BaseException | None) -> None:
        raise RuntimeError("a callback's own bug")

    async def main() -> None:
        sync.notify(broken)
        sync.notify(seen.append)
        waiter = asyncio.ensure_future(sync.wait())
        await asyncio.sleep(0.02)
        gate.release.set()
        with pytest.raises(OSError):
            await waiter
        assert len(seen) == 1 and isinstance(seen[0], OSError)
        gate.fail = False
        sync.notify(seen.append)  # the group still works
        await asyncio.sleep(0.05)
        gate.release.set()
        await asyncio.sleep(0.05)
        assert seen[1:] == [None]

    run(gate, sync, main)


def test_the_batch_is_committed_on_the_loop_before_its_sync_and_a_failed_commit_fails_it() -> None:
    gate = Gate()
    order: list[str] = []
    commits = iter([None, OSError("commit failed")])

    def commit() -> None:
        order.append(f"commit on {threading.current_thread().name}")
        failure = next(commits)
        if failure is not None:
            raise failure

    def sync() -> None:
        order.append("sync")
        gate()

    group = GroupSync(sync, commit)

    async def main() -> None:
        first = asyncio.ensure_future(group.wait())
        await asyncio.sleep(0.05)
        gate.release.set()
        await first
        with pytest.raises(OSError, match="commit failed"):
            await group.wait()
        assert order == ["commit on MainThread", "sync", "commit on MainThread"]  # no sync after it

    run(gate, group, main)
