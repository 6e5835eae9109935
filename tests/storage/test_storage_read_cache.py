"""``Store.read_cached`` (interface rule 7, sql.py rule 7): a result may be reused only while no
write has committed anywhere, whoever made it: this store, another store on the same database in
this process, another process, or the very connection that served the cached read."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from store_worker import ACCOUNT, in_threads, increment

from eksiam.storage import Store, UnitOfWork, open_store

WORKER = Path(__file__).with_name("store_worker.py")


class Counting:
    """A read function that counts how often it really ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, uow: UnitOfWork) -> int:
        self.calls += 1
        record = uow.get("counter", ACCOUNT, "c")
        return int(record["n"]) if record else 0


def test_an_unchanged_database_answers_from_the_cache_on_sqlite_only(store: Store, store_url: str) -> None:
    fn = Counting()
    assert [store.read_cached("c", fn) for _ in range(5)] == [0] * 5
    assert fn.calls == (1 if store_url.startswith("sqlite") else 5)


def test_keys_are_separate(sqlite_store: Store) -> None:
    store = sqlite_store
    store.write(increment)
    assert store.read_cached("a", lambda uow: "first") == "first"
    assert store.read_cached("b", lambda uow: "second") == "second"
    assert store.read_cached("a", lambda uow: "other") == "first"


def test_a_write_through_the_same_store_is_seen_at_once(store: Store) -> None:
    fn = Counting()
    for expected in range(1, 6):
        store.write(increment)
        assert store.read_cached("c", fn) == expected


def test_a_write_through_another_store_on_the_same_database_is_seen(store_url: str) -> None:
    mine, theirs = open_store(store_url), open_store(store_url)
    try:
        fn = Counting()
        assert mine.read_cached("c", fn) == 0
        for expected in range(1, 4):
            theirs.write(increment)
            assert mine.read_cached("c", fn) == expected
    finally:
        mine.close()
        theirs.close()


def test_a_write_by_another_process_is_seen(store: Store, store_url: str) -> None:
    fn = Counting()
    assert store.read_cached("c", fn) == 0
    for expected in (3, 6):
        done = subprocess.run(
            [sys.executable, str(WORKER), "increment", store_url, "3"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert store.read_cached("c", fn) == expected


def test_a_write_on_the_connection_that_served_the_read_is_seen(sqlite_store: Store) -> None:
    # One idle connection serves the read and then the write: the stamp must move for a commit
    # made on the very connection the cached read used (SQLite's data_version would not).
    store = sqlite_store
    fn = Counting()
    for expected in range(3):
        assert store.read_cached("c", fn) == expected
        store.write(increment)
    assert fn.calls == 3


def test_an_in_memory_store_does_not_cache() -> None:
    store = open_store("sqlite://")
    try:
        fn = Counting()
        assert [store.read_cached("c", fn) for _ in range(3)] == [0, 0, 0]
        store.write(increment)
        assert store.read_cached("c", fn) == 1
        assert fn.calls == 4
    finally:
        store.close()


def test_a_checkpoint_and_a_restarted_wal_are_seen(tmp_path: Path) -> None:
    # A full checkpoint truncates the WAL; the next commit starts it again from its first frame,
    # with new salts: a header from before must not come back.
    path = tmp_path / "restart.db"
    store = open_store(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        fn = Counting()
        for expected in range(1, 5):
            store.write(increment)
            other.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
            assert store.read_cached("c", fn) == expected
    finally:
        other.close()
        store.close()


def test_the_mapped_wal_index_stays_the_live_one_when_the_pool_lets_go(tmp_path: Path) -> None:
    # SQLite's last connection to close deletes the -shm file, and the next one creates another,
    # which a mapping of the old one never sees. The store keeps a connection of its own open, so
    # however many of its pooled connections close, a writer elsewhere cannot be the last.
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    store = open_store(url)
    try:
        fn = Counting()
        assert store.read_cached("c", fn) == 0
        _close_pooled_connections(store)
        done = subprocess.run(
            [sys.executable, str(WORKER), "increment", url, "2"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert store.read_cached("c", fn) == 2
    finally:
        store.close()


def _close_pooled_connections(store: Store) -> None:
    """Every connection the store's pool and idle stack hold, closed (as after invalidations)."""
    for idle in store._idle.values():  # type: ignore[attr-defined]
        while idle:
            idle.pop().close()
    for engine in store._backend.engines:  # type: ignore[attr-defined]
        engine.pool.dispose()


def test_a_failed_write_keeps_the_cache(sqlite_store: Store) -> None:
    store = sqlite_store
    fn = Counting()
    store.read_cached("c", fn)

    def fails(uow: UnitOfWork) -> None:
        increment(uow)
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        store.write(fails)
    assert store.read_cached("c", fn) == 0


def test_no_cached_read_is_older_than_an_acknowledged_write(sqlite_store: Store) -> None:
    # Writers acknowledge by publishing the value their write returned; a reader that has seen an
    # acknowledgement must never get an older value from read_cached afterwards.
    store = sqlite_store
    acknowledged = [0]
    lock = threading.Lock()
    stale: list[tuple[int, int]] = []

    def work(i: int) -> None:
        for _ in range(150):
            if i % 2:
                value = store.write(increment)
                with lock:
                    acknowledged[0] = max(acknowledged[0], value)
            else:
                with lock:
                    floor = acknowledged[0]
                seen = store.read_cached("c", Counting())
                if seen < floor:
                    stale.append((seen, floor))

    in_threads(6, work)
    assert stale == []
    assert store.read_cached("c", Counting()) == 3 * 150
