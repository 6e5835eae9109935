"""Schema versions: applied once, idempotent on reopen, safe when several processes open at once."""

from __future__ import annotations

import functools
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy
from store_worker import in_threads

from eksiam.storage import Unavailable, UnitOfWork, open_store
from eksiam.storage.migrations import LATEST, STEPS

WORKER = Path(__file__).with_name("store_worker.py")


def _version_rows(sqlite_path: Path) -> list[tuple[int, str]]:
    engine = sqlalchemy.create_engine(f"sqlite:///{sqlite_path}", poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version, description FROM schema_version")
            return [(int(version), str(description)) for version, description in rows]
    finally:
        engine.dispose()


def test_steps_are_numbered_one_up_in_order() -> None:
    assert [step.version for step in STEPS] == list(range(1, len(STEPS) + 1))
    assert len(STEPS) == LATEST


def _put_role(uow: UnitOfWork, name: str) -> None:
    uow.put("role", "1", name, {})


def test_reopening_applies_each_step_once_and_keeps_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for name in ("r0", "r1", "r2"):
        store = open_store(url)
        store.write(functools.partial(_put_role, name=name))
        store.close()
    assert _version_rows(tmp_path / "x.db") == [(step.version, step.description) for step in STEPS]
    store = open_store(url)
    try:
        assert store.read(lambda uow: uow.count("role", "1")) == 3
    finally:
        store.close()


def test_opening_creates_missing_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "eksiam.db"
    open_store(f"sqlite:///{path}").close()
    assert path.exists()


def test_a_database_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    open_store(f"sqlite:///{path}").close()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schema_version VALUES (?, 'from the future', '2030-01-01')", (LATEST + 1,)
        )
    engine.dispose()
    with pytest.raises(Unavailable, match="newer|knows up to"):
        open_store(f"sqlite:///{path}")


def test_threads_opening_a_new_database_at_once_all_succeed(store_url: str) -> None:
    in_threads(6, lambda _: open_store(store_url).close())


def test_opening_waits_while_another_connection_writes_to_a_new_database(tmp_path: Path) -> None:
    """Switching a new database to WAL upgrades a read transaction to a write, and SQLite answers
    that upgrade SQLITE_BUSY at once, without its busy handler, while another connection holds
    the write lock (seen as a rare failure of the threads test above under load)."""
    path = tmp_path / "eksiam.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        open_store(f"sqlite:///{path}").close()
    finally:
        release.join()
        holder.close()


def test_processes_opening_a_new_database_at_once_all_succeed(store_url: str) -> None:
    children = [
        subprocess.Popen([sys.executable, str(WORKER), "open", store_url], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    assert [child.returncode for child in children] == [0] * 4
    assert outputs == ["open"] * 4


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@127.0.0.1/x",
        "not a url",
        "postgresql+psycopg://root@127.0.0.1:5432/test?schema=Bad;Name",
    ],
)
def test_unusable_urls_raise_unavailable(url: str) -> None:
    with pytest.raises(Unavailable):
        open_store(url)


def test_an_unreachable_postgres_raises_unavailable_without_the_password() -> None:
    with pytest.raises(Unavailable) as caught:
        open_store("postgresql+psycopg://root:s3cret-pw@127.0.0.1:1/test")
    assert "s3cret-pw" not in str(caught.value)


def test_sqlite_connections_use_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        store.write(lambda uow: uow.put("role", "1", "r", {}))
        for engine in store._backend.engines:  # type: ignore[attr-defined]
            with engine.connect() as conn:
                settings = [
                    conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
                ]
                conn.rollback()
            assert settings[:3] == ["wal", 2, 1]  # synchronous 2 is FULL
            assert settings[3] > 0
    finally:
        store.close()
    assert (tmp_path / "x.db").exists()
