"""Deferred durability (sql.py rule 4): writes in a ``deferred_sync`` scope commit without a sync and
say so; ``sync`` makes them durable; writes outside the scope stay synchronous."""

from __future__ import annotations

import os
import threading

import pytest

from eksiam.storage import Store, open_store

ACCOUNT = "123456789012"


def _synchronous_levels(store: Store) -> list[int]:
    """``PRAGMA synchronous`` of every connection the store keeps (2 = FULL, 1 = NORMAL)."""
    idle = [pooled for stack in store._idle.values() for pooled in stack]  # type: ignore[attr-defined]
    return [c.driver_connection.execute("PRAGMA synchronous").fetchone()[0] for c in idle]


def test_writes_in_the_scope_are_visible_and_marked_pending(file_store: Store) -> None:
    with file_store.deferred_sync() as deferral:
        assert not deferral.pending
        file_store.read(lambda uow: uow.get("role", ACCOUNT, "a"))
        assert not deferral.pending  # reads owe nothing
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))
        assert deferral.pending
    assert file_store.read(lambda uow: uow.get("role", ACCOUNT, "a")) == {"v": 1}
    file_store.sync()


def test_a_failed_write_owes_no_sync(file_store: Store) -> None:
    def fail(uow: object) -> None:
        raise RuntimeError("nope")

    with file_store.deferred_sync() as deferral:
        with pytest.raises(RuntimeError):
            file_store.write(fail)
        assert not deferral.pending


def test_no_connection_keeps_normal_sync_after_the_scope(file_store: Store) -> None:
    with file_store.deferred_sync():
        for i in range(5):
            file_store.write(lambda uow, i=i: uow.put("role", ACCOUNT, f"r{i}", {"v": i}))
        assert _synchronous_levels(file_store) == [1]  # the reused connection commits with NORMAL
    file_store.write(lambda uow: uow.put("role", ACCOUNT, "after", {"v": 0}))
    assert _synchronous_levels(file_store) == [2]  # FULL again for a plain write


def test_the_scope_is_per_thread(file_store: Store) -> None:
    seen: list[bool] = []

    def other_thread() -> None:
        with file_store.deferred_sync() as deferral:
            seen.append(deferral.pending)

    with file_store.deferred_sync() as mine:
        thread = threading.Thread(target=lambda: file_store.write(lambda uow: uow.put("k", ACCOUNT, "x", {})))
        thread.start()
        thread.join()
        assert not mine.pending  # another thread's plain write is not this scope's
    other_thread()
    assert seen == [False]


def test_sync_fsyncs_the_write_ahead_log(file_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    with file_store.deferred_sync():
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))
    monkeypatch.setattr(os, "fsync", fsync)
    file_store.sync()
    assert len(synced) == 1 and synced[0].endswith("store.db-wal")


def test_memory_and_postgres_stores_have_nothing_to_defer(postgres_schema_url: str) -> None:
    for url in ("sqlite://", postgres_schema_url):
        store = open_store(url)
        try:
            with store.deferred_sync() as deferral:
                store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))
                assert not deferral.pending  # committed durably (or in memory): nothing owed
            store.sync()
        finally:
            store.close()
