"""Batched writes (sql.py rule 8): the batched scopes of one thread share one transaction until
``commit_batch``; each write is a savepoint, so a failing one rolls back alone; nothing is visible
to other connections before the commit; a scope reads its own writes."""

from __future__ import annotations

import threading

import pytest

from eksiam.storage import AlreadyExists, StorageError, Store, open_store

ACCOUNT = "123456789012"


def elsewhere(store: Store, key: str) -> object:
    """What another thread (another connection) reads for ``key``."""
    seen: list[object] = []
    thread = threading.Thread(
        target=lambda: seen.append(store.read(lambda uow: uow.get("role", ACCOUNT, key)))
    )
    thread.start()
    thread.join(10)
    return seen[0]


def test_batched_writes_are_invisible_elsewhere_until_committed(file_store: Store) -> None:
    for key in ("a", "b"):
        with file_store.deferred_sync(batch=True) as deferral:
            file_store.write(lambda uow, key=key: uow.put("role", ACCOUNT, key, {"v": key}))
            assert deferral.pending
    assert elsewhere(file_store, "a") is None and elsewhere(file_store, "b") is None
    file_store.commit_batch()
    assert elsewhere(file_store, "a") == {"v": "a"} and elsewhere(file_store, "b") == {"v": "b"}
    file_store.sync()


def test_a_scope_reads_its_own_batched_writes(file_store: Store) -> None:
    with file_store.deferred_sync(batch=True):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "mine", {"v": 1}))
        assert file_store.read(lambda uow: uow.get("role", ACCOUNT, "mine")) == {"v": 1}
        assert file_store.read_cached("k", lambda uow: uow.get("role", ACCOUNT, "mine")) == {"v": 1}
    with file_store.deferred_sync(batch=True):  # a scope that has not written reads committed state
        assert file_store.read(lambda uow: uow.get("role", ACCOUNT, "mine")) is None
    file_store.commit_batch()
    assert file_store.read_cached("k", lambda uow: uow.get("role", ACCOUNT, "mine")) == {"v": 1}


def test_a_failing_write_rolls_back_alone(file_store: Store) -> None:
    def half_then_fail(uow: object) -> None:
        uow.put("role", ACCOUNT, "half", {"v": 1})  # type: ignore[attr-defined]
        raise ValueError("the service refused")

    with file_store.deferred_sync(batch=True):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "kept", {"v": 1}, create=True))
    with file_store.deferred_sync(batch=True), pytest.raises(ValueError):
        file_store.write(half_then_fail)
    with file_store.deferred_sync(batch=True), pytest.raises(AlreadyExists):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "kept", {"v": 2}, create=True))
    with file_store.deferred_sync(batch=True):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "after", {"v": 1}))
    file_store.commit_batch()
    assert elsewhere(file_store, "kept") == {"v": 1}
    assert elsewhere(file_store, "half") is None
    assert elsewhere(file_store, "after") == {"v": 1}


def test_another_threads_write_waits_for_the_batch_and_lands_after_it(file_store: Store) -> None:
    with file_store.deferred_sync(batch=True):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "order", {"v": "batch"}))
    done = threading.Event()

    def other() -> None:
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "order", {"v": "other"}))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert not done.wait(0.3)  # the batch holds the write lock
    file_store.commit_batch()
    assert done.wait(10)
    thread.join(10)
    assert file_store.read(lambda uow: uow.get("role", ACCOUNT, "order")) == {"v": "other"}


def test_a_plain_write_on_the_batch_thread_is_refused_not_deadlocked(file_store: Store) -> None:
    with file_store.deferred_sync(batch=True):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))
    with pytest.raises(StorageError):
        file_store.write(lambda uow: uow.put("role", ACCOUNT, "b", {"v": 1}))
    file_store.commit_batch()
    file_store.write(lambda uow: uow.put("role", ACCOUNT, "b", {"v": 1}))
    assert elsewhere(file_store, "a") == {"v": 1}


def test_commit_batch_without_a_batch_does_nothing(file_store: Store) -> None:
    file_store.commit_batch()
    with file_store.deferred_sync(batch=True) as deferral:
        file_store.read(lambda uow: uow.get("role", ACCOUNT, "a"))
        assert not deferral.pending
    file_store.commit_batch()
    file_store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))


def test_memory_and_postgres_stores_do_not_batch(postgres_schema_url: str) -> None:
    for url in ("sqlite://", postgres_schema_url):
        store = open_store(url)
        try:
            with store.deferred_sync(batch=True) as deferral:
                store.write(lambda uow: uow.put("role", ACCOUNT, "a", {"v": 1}))
                assert not deferral.pending and not deferral.batch
            assert elsewhere(store, "a") == {"v": 1}
            store.commit_batch()
        finally:
            store.close()
