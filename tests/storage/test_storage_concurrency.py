"""Concurrent writers lose no update and break no invariant, on both backends (interface rule 3)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
import sqlalchemy
from store_worker import ACCOUNT, SLOTS, claim, in_threads, increment

from eksiam.storage import Store, Unavailable, UnitOfWork, open_store, sql

WORKER = Path(__file__).with_name("store_worker.py")


def _counter(store: Store) -> int:
    record = store.read(lambda uow: uow.get("counter", ACCOUNT, "c"))
    assert record is not None
    return int(record["n"])


def test_threads_incrementing_one_record_lose_no_update(store: Store) -> None:
    def work(_: int) -> None:
        for _ in range(20):
            store.write(increment)

    in_threads(8, work)
    assert _counter(store) == 160


def test_threads_racing_to_claim_slots_never_exceed_the_limit(store: Store) -> None:
    won: list[bool] = []

    def work(i: int) -> None:
        for j in range(3):
            won.append(store.write(claim(f"t{i}-{j}")))

    in_threads(12, work)
    assert won.count(True) == SLOTS
    assert store.read(lambda uow: uow.count("slot", ACCOUNT, prefix="s|")) == SLOTS


def _run_workers(args: list[list[str]]) -> list[str]:
    children = [
        subprocess.Popen([sys.executable, str(WORKER), *a], stdout=subprocess.PIPE, text=True) for a in args
    ]
    outputs = []
    for child in children:
        out, _ = child.communicate(timeout=300)
        assert child.returncode == 0
        outputs.append(out.strip())
    return outputs


def test_processes_incrementing_one_record_lose_no_update(store_url: str) -> None:
    assert _run_workers([["increment", store_url, "40"]] * 3) == ["done"] * 3
    store = open_store(store_url)
    try:
        assert _counter(store) == 120
    finally:
        store.close()


def test_processes_racing_to_claim_slots_never_exceed_the_limit(store_url: str) -> None:
    outputs = _run_workers([["claim", store_url, "4", f"p{i}"] for i in range(3)])
    assert sum(int(out) for out in outputs) == SLOTS
    store = open_store(store_url)
    try:
        assert store.read(lambda uow: uow.count("slot", ACCOUNT, prefix="s|")) == SLOTS
    finally:
        store.close()


def test_a_read_sees_one_snapshot_while_a_writer_commits(store: Store) -> None:
    store.write(lambda uow: uow.put("counter", ACCOUNT, "c", {"n": 0}))

    def reader(uow: UnitOfWork) -> tuple[object, object, int]:
        before = uow.get("counter", ACCOUNT, "c")
        writer = threading.Thread(target=lambda: store.write(increment))
        writer.start()
        writer.join()
        return before, uow.get("counter", ACCOUNT, "c"), uow.count("counter", ACCOUNT)

    assert store.read(reader) == ({"n": 0}, {"n": 0}, 1)
    assert _counter(store) == 1


def test_postgres_reruns_fn_when_a_concurrent_writer_committed_first(postgres_schema_url: str) -> None:
    store = open_store(postgres_schema_url)
    other_server = open_store(postgres_schema_url)  # within one store, writers queue on a lock
    try:
        store.write(lambda uow: uow.put("counter", ACCOUNT, "c", {"n": 0}))
        calls: list[int] = []

        def slow_increment(uow: UnitOfWork) -> int:
            calls.append(1)
            current = uow.get("counter", ACCOUNT, "c")
            if len(calls) == 1:  # another writer commits between our read and our write
                other = threading.Thread(target=lambda: other_server.write(increment))
                other.start()
                other.join()
            assert current is not None
            uow.put("counter", ACCOUNT, "c", {"n": int(current["n"]) + 10})
            return int(current["n"]) + 10

        assert store.write(slow_increment) == 11
        assert len(calls) == 2
        assert _counter(store) == 11
    finally:
        other_server.close()
        store.close()


def test_postgres_gives_up_with_unavailable_after_bounded_conflicts(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "BACKOFF_CAP_S", 0.0)
    store = open_store(postgres_schema_url)
    calls: list[int] = []

    def always_conflicts(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.put("counter", ACCOUNT, "c", {"n": len(calls)})
        failure = psycopg.errors.SerializationFailure("could not serialize access")
        raise sqlalchemy.exc.OperationalError("UPDATE", {}, failure)

    try:
        with pytest.raises(Unavailable, match="gave up"):
            store.write(always_conflicts)
        assert len(calls) == sql.MAX_ATTEMPTS
        assert store.read(lambda uow: uow.get("counter", ACCOUNT, "c")) is None
    finally:
        store.close()
