"""Turning a store URL into connection pools with each database's transaction settings.

Everything that differs between SQLite and PostgreSQL lives here (rows of ``_BACKENDS``), so ``sql.py``
stays one implementation.

SQLite (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html):

1. ``journal_mode=WAL``: readers never block the writer nor each other, and each reader sees one
   snapshot from its first read to its commit (``BEGIN DEFERRED``).
2. ``synchronous=FULL``: in WAL mode ``NORMAL`` may lose the last commits on power loss; ``FULL``
   syncs the WAL on every commit, so an acknowledged write survives (interface rule 6).
3. Writers open with ``BEGIN IMMEDIATE``, taking the write lock before their first read, so a
   read-modify-write cannot interleave with another writer; waits are bounded by ``busy_timeout``.
   Within one process writers also queue on a lock first, so threads wait in order instead of
   polling the file lock.
4. Python's sqlite3 module opens transactions on its own, too late and never for SELECT; the driver
   is put in autocommit mode and ``BEGIN`` is issued by us instead: ``begin_read``/``begin_write``
   for the store's units of work, SQLAlchemy's ``begin`` event for migrations (the recipe in
   SQLAlchemy's SQLite dialect documentation, "Serializable isolation / Savepoints").
5. ``sqlite://`` is one in-memory database behind one connection, so every unit of work, read or
   write, takes the same lock. It is for throwaway use, never for durability.

PostgreSQL (https://www.postgresql.org/docs/current/transaction-iso.html):

6. Readers and writers have a pool each, with the isolation level fixed per connection, so taking a
   connection costs no round trip to switch modes. There is no pre-ping either: a connection found
   dead fails its unit of work before commit, and the store runs it again on a fresh one.
7. ``write`` runs at SERIALIZABLE: a read-modify-write or a "count then insert" that races another
   fails with SQLSTATE 40001 (or 40P01 for a deadlock) and is retried by the store. Within one
   process writers first queue on a lock, as on SQLite: every IAM write updates its account's
   authorization generation and quota records, so a server's own concurrent writes would otherwise
   conflict with each other almost always; retries are left for other servers' writes.
8. ``read`` runs at REPEATABLE READ, READ ONLY: one snapshot, never a serialization failure.
9. Pools do not roll back connections they take back: every unit of work ends its transaction
   itself (commit, rollback, or the connection is discarded), so the reset would be a wasted call.
10. ``?schema=<name>`` keeps a store inside its own schema (created when missing) through
   ``search_path``, so test runs sharing one server never see each other's records.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from eksiam.storage.errors import Unavailable

BUSY_TIMEOUT_MS = 30_000
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_PG_RETRY_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


@dataclass(frozen=True, slots=True)
class Backend:
    """Pools and policies for one store.

    ``migrator`` runs schema upgrades: on PostgreSQL at READ COMMITTED, so a process that waited for
    another's migration lock sees the tables that one created (a SERIALIZABLE snapshot, taken before
    the wait, would not). ``engines`` are the pools to dispose of on close.
    """

    writer: Engine
    reader: Engine
    migrator: Engine
    engines: tuple[Engine, ...]
    write_lock: AbstractContextManager[Any]
    read_lock: AbstractContextManager[Any]
    retryable: Callable[[BaseException], bool]
    """Whether a driver exception (SQLAlchemy's wrapper already taken off) is a conflict to retry."""
    begin_write: str | None = None
    begin_read: str | None = None
    schema: str | None = None
    remote: bool = False
    wal_path: str | None = None

    @property
    def driver_error(self) -> type[Exception]:
        """The DB-API ``Error`` class of the driver: what a unit of work's statements raise."""
        error: type[Exception] = self.writer.dialect.loaded_dbapi.Error
        return error


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # rule 4: we issue BEGIN ourselves
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}").close()
    _enable_wal(dbapi_connection)
    for pragma in ("synchronous=FULL", "foreign_keys=ON"):
        dbapi_connection.execute(f"PRAGMA {pragma}").close()


def _enable_wal(connection: sqlite3.Connection) -> None:
    """``journal_mode=WAL``, retried while busy. On a database still in rollback mode the switch
    upgrades a read transaction to a write, and SQLite answers that upgrade SQLITE_BUSY at once,
    without the busy handler, while another connection holds the write lock (servers or threads
    opening a new database together); so the wait the busy timeout promises happens here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL").close()
            return
        except sqlite3.OperationalError as exc:
            if not _sqlite_retryable(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.005)


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("eksiam_write") else "BEGIN")


def _sqlite_retryable(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_BUSY


def _sqlite(url: URL) -> Backend:
    database = url.database or ""
    memory = database in ("", ":memory:")
    connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    options: dict[str, Any] = {"connect_args": connect_args, "pool_reset_on_return": None}
    if memory:
        options["poolclass"] = StaticPool
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        options.update(pool_size=8, max_overflow=56, pool_timeout=BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    write_lock: AbstractContextManager[Any] = threading.RLock() if memory else threading.Lock()
    writer = engine.execution_options(eksiam_write=True)
    return Backend(
        writer=writer,
        reader=engine,
        migrator=writer,
        engines=(engine,),
        write_lock=write_lock,
        read_lock=write_lock if memory else nullcontext(),
        retryable=_sqlite_retryable,
        begin_write="BEGIN IMMEDIATE",
        begin_read="BEGIN",
        wal_path=None if memory else f"{database}-wal",
    )


def _postgresql_retryable(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) in _PG_RETRY_STATES


def _postgresql(url: URL) -> Backend:
    schema = url.query.get("schema")
    if schema is not None and (not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema)):
        raise Unavailable("the schema in a PostgreSQL store URL must match [a-z_][a-z0-9_]{0,62}")
    url = url.difference_update_query(["schema"])
    options = "" if schema is None else f"-c search_path={schema}"

    def pool(isolation_level: str, options: str) -> Engine:
        return create_engine(
            url,
            isolation_level=isolation_level,
            pool_size=4,
            max_overflow=12,
            pool_reset_on_return=None,
            connect_args={"connect_timeout": 10, "options": options},
        )

    writer = pool("SERIALIZABLE", options)
    reader = pool("REPEATABLE READ", f"{options} -c default_transaction_read_only=on".strip())
    return Backend(
        writer=writer,
        reader=reader,
        migrator=writer.execution_options(isolation_level="READ COMMITTED"),
        engines=(writer, reader),
        write_lock=threading.Lock(),
        read_lock=nullcontext(),
        retryable=_postgresql_retryable,
        schema=schema,
        remote=True,
    )


_BACKENDS: dict[str, Callable[[URL], Backend]] = {"sqlite": _sqlite, "postgresql": _postgresql}


def connect(url: str) -> Backend:
    """The backend for ``url``; ``Unavailable`` for a URL no backend understands."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Unavailable("the store URL cannot be parsed") from None
    factory = _BACKENDS.get(parsed.get_backend_name())
    if factory is None:
        raise Unavailable(f"no store for URLs of the form {parsed.drivername}://; use sqlite or postgresql")
    return factory(parsed)


def describe(url: str) -> str:
    """The URL with any password hidden, for messages and reprs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"
