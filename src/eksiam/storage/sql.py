"""The one Store implementation, over SQLAlchemy Core, for SQLite and PostgreSQL.

Rules (the interface's rules, and how they hold here):

1. A unit of work is one connection inside one transaction; it refuses use once its transaction ended,
   so a caller cannot keep a handle and write outside ``write``.
2. ``write`` retries ``fn`` when the database reports a conflict (``Backend.retryable``) or a pooled
   connection turns out dead before commit, at most ``MAX_ATTEMPTS`` times with jittered exponential
   backoff, then gives up with ``Unavailable``. A connection lost *during* commit is not retried: the
   write may have landed, and running ``fn`` again could apply it twice. A database error that ``fn``
   catches and swallows still fails the attempt: on PostgreSQL the transaction is already aborted,
   and committing it would silently drop the write.
3. Prefix listing is a key range ``prefix <= key < successor(prefix)`` (``_prefix_end``), an index
   range scan on both databases; ``LIKE`` would need escaping and, on PostgreSQL, a pattern index.
4. Deferred durability (``deferred_sync``, file SQLite only): inside the scope, write transactions
   commit with ``synchronous=NORMAL``, which appends to the WAL without syncing it, and the scope
   reports that a sync is due; ``sync`` then fsyncs the WAL file, making every commit before it as
   durable as ``FULL`` would have (https://www.sqlite.org/pragma.html#pragma_synchronous: with
   NORMAL the WAL is synced before each checkpoint and the database after it, so a commit is always
   in a synced WAL or a synced database). The caller acknowledges nothing before ``sync`` returned;
   one fsync then serves every commit made meanwhile (group commit). Every write transaction sets
   its ``synchronous`` level before it begins (when the connection's differs), so a pooled
   connection never carries NORMAL into a plain write.
5. Units of work take connections from a small stack of their own (last in, first out) before the
   pool: a connection that ended its transaction goes back on the stack, so a request does not pay
   the pool's checkout and checkin, and a hot connection keeps its SQLite page cache. Invalidated
   connections, and any beyond ``IDLE_CONNECTIONS``, go back to the pool.
6. Records are stored as JSON text, written and read by orjson (ten times faster than ``json`` at
   writing a record, four times at reading one). Values must be JSON types: datetimes and
   dataclasses are refused, not converted, and so are NaN and the infinities, which orjson would
   write as ``null`` (a record whose text holds ``null`` is also given to ``json``, which refuses
   them). A record orjson cannot write, such as one with a lone surrogate in a ``str`` or an
   integer beyond 64 bits, is written by ``json`` with ASCII escapes and a leading space, and a
   text with that space is read back by ``json`` too (orjson would refuse the escaped surrogate
   and read the integer as a float), so any Python ``str`` and ``int`` round-trips.
7. ``read_cached`` (file SQLite only; elsewhere it is ``read``) answers with the result an earlier
   call with the same key got, while the database has provably not changed since: the stamp of a
   result is the wal-index header (wal_index.py), which every commit of any connection, in this
   process or another, rewrites; it is read before the result's read transaction begins, so a
   commit that lands between the two only costs a miss later, and a result never outlives a change.
   A scope that reads through the write batch (rule 8) neither uses nor fills the cache.
8. Batched writes (``deferred_sync(batch=True)``, file SQLite only; the server's event loop): the
   first write of a batched scope opens one ``BEGIN IMMEDIATE`` transaction on a writer connection
   and keeps it, with the write lock, until ``commit_batch``; every batched write, of any scope of
   that thread, runs in it as a savepoint, so a write that fails rolls back alone and the others
   stay. One transaction then pays for many writes: its locks, its WAL frames (pages that several
   writes touch are written once) and its commit. Until the commit the batch is invisible to other
   connections, so nothing in it may be acknowledged before ``commit_batch`` and ``sync`` have
   returned, which the group sync does (server/group_sync.py); a scope that joined the batch reads
   through the batch's connection, and so sees its own writes. A database error that breaks the
   transaction rolls back the whole batch, and ``commit_batch`` then raises for all who joined.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import (
    ClauseElement,
    Dialect,
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool, PoolProxiedConnection

from eksiam.storage import migrations
from eksiam.storage.backends import Backend, connect, describe
from eksiam.storage.errors import AlreadyExists, ReadOnly, StorageError, Unavailable
from eksiam.storage.interface import Deferral, Record, Store
from eksiam.storage.schema import records
from eksiam.storage.wal_index import WalIndex

T = TypeVar("T")
log = logging.getLogger("eksiam.storage")
MAX_ATTEMPTS = 40
IDLE_CONNECTIONS = 16
"""Connections a store keeps checked out between units of work (module rule 5)."""
CACHED_READS = 4096
"""Results ``read_cached`` keeps (module rule 7); all are dropped when it is full."""
BACKOFF_BASE_S = 0.001
BACKOFF_CAP_S = 0.05

_IDENTITY = and_(
    records.c.kind == bindparam("kind"),
    records.c.account == bindparam("account"),
    records.c.key == bindparam("key"),
)
_GET = select(records.c.data).where(_IDENTITY)
_DELETE = records.delete().where(_IDENTITY)
# ON CONFLICT is spelled the same by SQLite (3.24+, RETURNING 3.35+) and PostgreSQL. The statements are
# text because SQLAlchemy 2.0 cannot cache the dialects' own Insert constructs (``inherit_cache =
# False``): compiling the upsert on every put cost more than executing it.
_INSERT = f"INSERT INTO {records.name} (kind, account, key, data) VALUES (:kind, :account, :key, :data)"
_UPSERT = text(f"{_INSERT} ON CONFLICT (kind, account, key) DO UPDATE SET data = excluded.data")
_CREATE = text(f"{_INSERT} ON CONFLICT (kind, account, key) DO NOTHING RETURNING kind")


def _prefix_end(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``; None when there is none.

    Code point order is UTF-8 byte order, so bumping the last code point that can be bumped (skipping
    the surrogate block) gives the exclusive upper end of the prefix's key range.
    """
    chars = list(prefix)
    while chars:
        following = ord(chars.pop()) + 1
        if 0xD800 <= following <= 0xDFFF:
            following = 0xE000
        if following <= 0x10FFFF:
            return "".join(chars) + chr(following)
    return None


def _address(kind: str, account: str, key: str) -> dict[str, str]:
    """``_checked(kind=, account=, key=)`` for the three-part address of every get, put and delete,
    without building keyword dictionaries."""
    plain = type(kind) is str and type(account) is str and type(key) is str  # noqa: E721
    if plain and "\x00" not in kind and "\x00" not in account and "\x00" not in key:
        return {"kind": kind, "account": account, "key": key}
    return _checked(kind=kind, account=account, key=key)  # refuses it, naming the part


def _checked(**parts: str) -> dict[str, str]:
    """Address parts as bind values; PostgreSQL text cannot hold NUL, so no backend accepts it."""
    for name, value in parts.items():
        if not isinstance(value, str):
            raise TypeError(f"{name} must be str, not {type(value).__name__}")
        if "\x00" in value:
            raise ValueError(f"{name} must not contain NUL")
    return parts


class Compiled:
    """A statement compiled once for one dialect: its SQL text and how to lay out bind values.

    Units of work run these on the driver's own cursor: SQLAlchemy's Connection layer (events,
    result proxies, per-execute compiled-cache lookups) cost ten times what SQLite takes to answer a
    point read, and every store call paid it.
    """

    __slots__ = ("sql", "_defaults", "_order")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:
            raise StorageError(f"statement needs per-execution rendering: {self.sql!r}")
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self._order = tuple(getattr(compiled, "positiontup", None) or ()) if dialect.positional else None

    def bind(self, params: Mapping[str, Any]) -> tuple[Any, ...] | Mapping[str, Any]:
        values = {**self._defaults, **params} if self._defaults else params
        return values if self._order is None else tuple(map(values.__getitem__, self._order))


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dump(data: Record) -> str:
    """A record as JSON text (rule 6)."""
    try:
        text = orjson.dumps(data, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, a huge int, or a non-JSON type
        return " " + json.dumps(data, separators=(",", ":"), allow_nan=False)
    if text.find(b"null") >= 0:  # find: CPython 3.11's ``in`` on bytes builds a TypeError first
        json.dumps(data, allow_nan=False)  # refuses the NaN or infinity that orjson wrote as null
    return text.decode()


def _load(text: str) -> Any:
    if text.startswith(" "):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # escaped lone surrogates, in rows written before orjson
        return json.loads(text)


class SqlUnitOfWork:
    __slots__ = ("_cursor", "_compile", "_writable", "_driver_error", "failure")

    def __init__(
        self,
        cursor: Any,
        compile_: Callable[[ClauseElement], Compiled],
        driver_error: type[Exception],
        *,
        writable: bool,
    ) -> None:
        self._cursor: Any = cursor
        self._compile = compile_
        self._driver_error = driver_error
        self._writable = writable
        self.failure: Exception | None = None

    def _execute(self, statement: ClauseElement, params: Mapping[str, Any]) -> Any:
        cursor = self._cursor
        if cursor is None:
            raise StorageError("this unit of work has ended; use the uow passed to the running fn")
        compiled = self._compile(statement)
        try:
            cursor.execute(compiled.sql, compiled.bind(params))
        except self._driver_error as exc:
            self.failure = exc
            raise
        return cursor

    def _fetch(self, statement: ClauseElement, params: Mapping[str, Any], how: str) -> Any:
        cursor = self._execute(statement, params)
        try:
            return cursor.fetchall() if how == "all" else cursor.fetchone()
        except self._driver_error as exc:
            self.failure = exc
            raise

    def _require_writable(self) -> None:
        if not self._writable:
            raise ReadOnly("Store.read gives a read-only unit of work; use Store.write to change records")

    def end(self) -> None:
        self._cursor = None

    def get(self, kind: str, account: str, key: str) -> Record | None:
        row = self._fetch(_GET, _address(kind, account, key), "one")
        return None if row is None else _load(row[0])

    def put(self, kind: str, account: str, key: str, data: Record, *, create: bool = False) -> None:
        self._require_writable()
        if not isinstance(data, Mapping):
            raise TypeError(f"a record is a dict, not {type(data).__name__}")
        values = _address(kind, account, key)
        params = {**values, "data": _dump(data)}
        if not create:
            self._execute(_UPSERT, params)
        elif self._fetch(_CREATE, params, "one") is None:  # RETURNING: INSERT rowcounts vary by driver
            raise AlreadyExists(kind, account, key)

    def delete(self, kind: str, account: str, key: str) -> bool:
        self._require_writable()
        return bool(self._execute(_DELETE, _address(kind, account, key)).rowcount)

    def list(
        self,
        kind: str,
        account: str,
        *,
        prefix: str = "",
        after: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[str, Record]]:
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        shape, params = _key_range(kind, account, prefix, after)
        if limit is not None:
            params["limit"] = limit
        rows = self._fetch(_range_query("list", *shape, limit=limit is not None), params, "all")
        return [(key, _load(data)) for key, data in rows]

    def count(self, kind: str, account: str, *, prefix: str = "") -> int:
        shape, params = _key_range(kind, account, prefix, None)
        return int(self._fetch(_range_query("count", *shape, limit=False), params, "one")[0])

    def accounts(self, kind: str) -> Iterator[str]:
        """Walks the index one distinct account at a time, so its cost follows accounts, not records."""
        found: list[str] = []
        row = self._fetch(_FIRST_ACCOUNT, _checked(kind=kind), "one")
        while row is not None:
            found.append(row[0])
            row = self._fetch(_NEXT_ACCOUNT, {"kind": kind, "after": row[0]}, "one")
        return iter(found)


def _key_range(
    kind: str, account: str, prefix: str, after: str | None
) -> tuple[tuple[str | None, bool], dict[str, Any]]:
    """The bounds of a listing as (lower bound operator, has upper bound) and bind values.

    One lower bound only: given two, SQLite may seek by the prefix and filter up to ``after``, which
    makes a late page cost as much as every page before it. Python compares str by code point,
    which is UTF-8 byte order, the order the database uses.
    """
    params: dict[str, Any] = _checked(kind=kind, account=account)
    _checked(prefix=prefix, after=after or "")
    lower: str | None = None
    if after is not None and after >= prefix:
        lower, params["lower"] = ">", after
    elif prefix:
        lower, params["lower"] = ">=", prefix
    end = _prefix_end(prefix) if prefix else None
    if end is not None:
        params["upper"] = end
    return (lower, end is not None), params


@functools.cache
def _range_query(what: str, lower: str | None, upper: bool, *, limit: bool) -> Select[Any]:
    """Built once per shape, so a listing costs no statement construction or compilation."""
    key = records.c.key
    conditions = [records.c.kind == bindparam("kind"), records.c.account == bindparam("account")]
    if lower is not None:
        conditions.append(key > bindparam("lower") if lower == ">" else key >= bindparam("lower"))
    if upper:
        conditions.append(key < bindparam("upper"))
    if what == "count":
        return select(func.count()).select_from(records).where(*conditions)
    query = select(key, records.c.data).where(*conditions).order_by(key)
    return query.limit(bindparam("limit", type_=Integer)) if limit else query


_ACCOUNTS = select(records.c.account).where(records.c.kind == bindparam("kind")).order_by(records.c.account)
_FIRST_ACCOUNT = _ACCOUNTS.limit(1)
_NEXT_ACCOUNT = _ACCOUNTS.where(records.c.account > bindparam("after")).limit(1)


class SqlStore:
    """A Store over one database; safe to share between threads and processes."""

    def __init__(self, url: str, backend: Backend) -> None:
        self.url = url
        self.remote = backend.remote
        self._backend = backend
        self._writing = threading.local()
        self._deferred = threading.local()
        self._dialect = backend.writer.dialect
        self._driver_error = backend.driver_error
        self._operational_error: type[Exception] = self._dialect.loaded_dbapi.OperationalError
        self._compiled: dict[ClauseElement, Compiled] = {}
        self._begin_read: tuple[str, ...] = (backend.begin_read,) if backend.begin_read else ()
        self._idle: dict[Pool, list[PoolProxiedConnection]] = {e.pool: [] for e in backend.engines}
        self._cached: dict[Hashable, tuple[bytes, Any]] = {}
        self._wal_index: WalIndex | None = None
        self._wal_index_lock = threading.Lock()
        self._wal_index_failed = False
        self._batch: _Batch | None = None
        self._batch_thread = 0

    def __repr__(self) -> str:
        return f"SqlStore({describe(self.url)!r})"

    def _compile(self, statement: ClauseElement) -> Compiled:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = Compiled(statement, self._dialect)
        return compiled

    def write(self, fn: Callable[[SqlUnitOfWork], T]) -> T:
        """See the module rules; a write started from inside another write's fn is refused, since it
        would commit apart from the outer one (and on SQLite wait for the outer one's lock forever)."""
        if getattr(self._writing, "active", False):
            raise StorageError("Store.write called inside a running write; use the uow it was given")
        self._writing.active = True
        try:
            return self._write(fn)
        finally:
            self._writing.active = False

    def deferred_sync(self, batch: bool = False) -> _DeferredScope:
        """Writes of this thread inside the scope commit without syncing (module rule 4), or join
        one batch transaction (rule 8)."""
        return _DeferredScope(self._deferred if self._backend.wal_path is not None else None, batch)

    def commit_batch(self) -> None:
        """Commit the open batch (rule 8); a batch that failed, or fails to commit, raises
        Unavailable: none of its writes landed."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            if batch.failure is not None:
                raise Unavailable("the batched writes were rolled back") from batch.failure
            try:
                batch.pooled.driver_connection.commit()  # type: ignore[union-attr]
            except BaseException as exc:
                replacement = self._failed(batch.pooled, exc, committing=True, writable=True)
                if isinstance(replacement, _Retry):
                    raise _unavailable(replacement.cause) from exc
                raise replacement from exc
        finally:
            self._release_batch(batch)

    def _release_batch(self, batch: _Batch) -> None:
        try:
            batch.cursor.close()
        finally:
            self._checkin(self._backend.writer, batch.pooled)
            self._backend.write_lock.__exit__(None, None, None)

    def _write_in_batch(self, fn: Callable[[SqlUnitOfWork], T], deferral: Deferral) -> T:
        """One write as a savepoint of the open batch transaction, opened first if need be (rule 8)."""
        batch = self._batch or self._open_batch()
        if batch.failure is not None:
            raise Unavailable("the batched writes were rolled back") from batch.failure
        cursor = batch.cursor
        deferral.pending = True  # from here the scope has a stake in the batch's commit
        try:
            cursor.execute("SAVEPOINT eksiam_write")
        except self._driver_error as exc:
            raise self._abort_batch(batch, exc) from exc
        uow = SqlUnitOfWork(cursor, self._compile, self._driver_error, writable=True)
        try:
            result = fn(uow)
            if uow.failure is not None:
                raise uow.failure
        except BaseException as exc:
            uow.end()
            try:
                cursor.execute("ROLLBACK TO eksiam_write")
                cursor.execute("RELEASE eksiam_write")
            except self._driver_error as failure:
                raise self._abort_batch(batch, failure) from exc
            if isinstance(exc, self._driver_error):
                raise _unavailable(exc) from exc
            raise
        uow.end()
        try:
            cursor.execute("RELEASE eksiam_write")
        except self._driver_error as exc:
            raise self._abort_batch(batch, exc) from exc
        return result

    def _open_batch(self) -> _Batch:
        backend = self._backend
        backend.write_lock.__enter__()
        pooled: PoolProxiedConnection | None = None
        try:
            pooled = self._checkout(backend.writer)
            cursor = cast(Any, pooled.driver_connection).cursor()
            _use_synchronous(pooled, cursor, "NORMAL")
            cursor.execute(backend.begin_write)
        except BaseException as exc:
            if pooled is not None:
                self._failed(pooled, exc, committing=False, writable=True)
                self._checkin(backend.writer, pooled)
            backend.write_lock.__exit__(None, None, None)
            cause = _orig(exc)
            if isinstance(cause, self._driver_error):
                raise _unavailable(cause) from exc
            raise
        self._batch = _Batch(pooled, cursor)
        self._batch_thread = threading.get_ident()
        return self._batch

    def _abort_batch(self, batch: _Batch, cause: BaseException) -> Unavailable:
        """Roll the whole batch back; ``commit_batch`` then fails it for every scope that joined."""
        batch.failure = cause
        try:
            batch.pooled.driver_connection.rollback()  # type: ignore[union-attr]
        except Exception as failure:
            batch.pooled.invalidate(failure)
        return Unavailable("the database failed in the middle of batched writes")

    def sync(self) -> None:
        """Make every write committed so far durable (module rule 4); blocks for one fsync."""
        path = self._backend.wal_path
        if path is None:
            return
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # no WAL: the last connection checkpointed it into the database
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write(self, fn: Callable[[SqlUnitOfWork], T]) -> T:
        backend = self._backend
        deferral: Deferral | None = getattr(self._deferred, "current", None)
        if deferral is not None and deferral.batch:
            return self._write_in_batch(fn, deferral)
        if self._batch is not None and self._batch_thread == threading.get_ident():
            # it would wait for the write lock this thread's own batch holds, forever
            raise StorageError("a write outside batched scopes while this thread holds a batch")
        begin: tuple[str, ...] = (backend.begin_write,) if backend.begin_write else ()
        synchronous = None if backend.wal_path is None else "NORMAL" if deferral is not None else "FULL"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with backend.write_lock:
                    result = self._transaction(
                        backend.writer, begin, fn, writable=True, synchronous=synchronous
                    )
                if deferral is not None:
                    deferral.pending = True
                return result
            except _Retry as retry:
                if attempt == MAX_ATTEMPTS:
                    raise Unavailable(
                        f"gave up after {MAX_ATTEMPTS} attempts that conflicted or lost the database"
                    ) from retry.cause
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    def read_cached(self, key: Hashable, fn: Callable[[SqlUnitOfWork], T]) -> T:
        """``read(fn)``, or the result it gave for ``key`` while nothing has changed (rule 7)."""
        index = self._wal_index or self._open_wal_index()
        if index is None or self._batch_of_scope() is not None:
            return self.read(fn)
        stamp = index.stamp()
        hit = self._cached.get(key)
        if hit is not None and hit[0] == stamp:
            kept: T = hit[1]  # typed by annotation: typing.cast is a call at run time
            return kept
        result = self.read(fn)
        if len(self._cached) >= CACHED_READS:
            self._cached.clear()
        self._cached[key] = (stamp, result)
        return result

    def _open_wal_index(self) -> WalIndex | None:
        """The database's wal-index, mapped on first use, with a connection of its own that keeps
        it in place (wal_index.py rule 3); None on a database without one (in memory), or when it
        cannot be mapped: then nothing is cached."""
        path = self._backend.wal_path
        if path is None or self._wal_index_failed:
            return None
        with self._wal_index_lock:
            if self._wal_index is None and not self._wal_index_failed:
                keeper = self._checkout(self._backend.reader)
                try:
                    cast(Any, keeper.driver_connection).execute("PRAGMA data_version").close()
                    self._wal_index = WalIndex.open(path.removesuffix("-wal") + "-shm", keeper)
                except (OSError, ValueError) as exc:
                    keeper.close()
                    self._wal_index_failed = True
                    log.warning("read_cached will not cache: the wal-index cannot be mapped (%s)", exc)
                except self._driver_error as exc:
                    keeper.close()
                    raise _unavailable(exc) from exc
            return self._wal_index

    def _batch_of_scope(self) -> _Batch | None:
        """The open batch when this thread's scope has written in it (rule 8), else None."""
        batch = self._batch
        if batch is not None and batch.failure is None:
            deferral: Deferral | None = getattr(self._deferred, "current", None)
            if deferral is not None and deferral.batch and deferral.pending:
                return batch
        return None

    def read(self, fn: Callable[[SqlUnitOfWork], T]) -> T:
        batch = self._batch_of_scope()
        if batch is not None:
            return self._read_in_batch(batch, fn)  # rule 8: a scope reads its own writes
        backend = self._backend
        for attempt in (1, 2):  # once more on a fresh connection when a pooled one was found dead
            try:
                with backend.read_lock:
                    return self._transaction(backend.reader, self._begin_read, fn, writable=False)
            except _Retry as retry:
                if attempt == 2 or not retry.disconnected:
                    raise _unavailable(retry.cause) from retry.cause
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_in_batch(self, batch: _Batch, fn: Callable[[SqlUnitOfWork], T]) -> T:
        uow = SqlUnitOfWork(batch.cursor, self._compile, self._driver_error, writable=False)
        try:
            result = fn(uow)
            if uow.failure is not None:
                raise _unavailable(uow.failure)
            return result
        finally:
            uow.end()

    def _transaction(
        self,
        engine: Engine,
        begin: Sequence[str],
        fn: Callable[[SqlUnitOfWork], T],
        *,
        writable: bool,
        synchronous: str | None = None,
    ) -> T:
        """Run ``fn`` in one transaction on a pooled driver connection; commit, or roll back and
        raise. Conflicts and connections found dead before commit surface as ``_Retry``.
        ``synchronous`` is the SQLite sync level the commit must have (rule 4); the connection's
        current level is remembered in its ``info``, so the PRAGMA runs only when it changes."""
        pooled = self._checkout(engine)
        committing = False
        try:
            connection: Any = pooled.driver_connection
            cursor = connection.cursor()
            try:
                if synchronous is not None:
                    _use_synchronous(pooled, cursor, synchronous)
                for statement in begin:
                    cursor.execute(statement)
                uow = SqlUnitOfWork(cursor, self._compile, self._driver_error, writable=writable)
                try:
                    result = fn(uow)
                    if uow.failure is not None:
                        raise uow.failure
                finally:
                    uow.end()
                committing = True
                connection.commit()
                return result
            finally:
                cursor.close()
        except BaseException as exc:
            replacement = self._failed(pooled, exc, committing=committing, writable=writable)
            if replacement is exc:
                raise
            raise replacement from exc
        finally:
            self._checkin(engine, pooled)

    def _checkout(self, engine: Engine) -> PoolProxiedConnection:
        """A connection from the store's own stack, else from the pool (module rule 5)."""
        try:
            return self._idle[engine.pool].pop()
        except IndexError:
            try:
                return engine.raw_connection()
            except DBAPIError as exc:  # the database cannot be reached at all
                raise _unavailable(_orig(exc)) from exc

    def _checkin(self, engine: Engine, pooled: PoolProxiedConnection) -> None:
        idle = self._idle[engine.pool]
        if pooled.is_valid and len(idle) < IDLE_CONNECTIONS:
            idle.append(pooled)
        else:
            pooled.close()

    def _failed(
        self, pooled: PoolProxiedConnection, exc: BaseException, *, committing: bool, writable: bool
    ) -> BaseException:
        """Clean up after a failed transaction and say what to raise (module rule 2)."""
        cause = _orig(exc)
        database_error = isinstance(cause, self._driver_error)
        disconnected = database_error and self._dialect.is_disconnect(
            cast(Any, cause), pooled.dbapi_connection, None
        )
        if disconnected:
            pooled.invalidate(cause)
        else:
            try:
                pooled.driver_connection.rollback()  # type: ignore[union-attr]
            except Exception as failure:  # a connection that cannot roll back is not handed out again
                pooled.invalidate(failure)
                disconnected = database_error
        if not database_error:
            return exc
        if disconnected and committing:
            return Unavailable("the database connection failed during commit; the outcome is unknown")
        if disconnected or (writable and self._backend.retryable(cause)):
            return _Retry(cause, disconnected=disconnected)
        if isinstance(cause, self._operational_error):
            return _unavailable(cause)
        return exc

    def close(self) -> None:
        if self._wal_index is not None:
            self._wal_index.close()
            self._wal_index = None
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        for engine in self._backend.engines:
            engine.dispose()


def _use_synchronous(pooled: PoolProxiedConnection, cursor: Any, level: str) -> None:
    """SQLite's sync level for the next commit (rule 4), set only when the connection's differs."""
    if pooled.info.get("synchronous") != level:
        cursor.execute(f"PRAGMA synchronous={level}")
        pooled.info["synchronous"] = level


class _Batch:
    """The open batch transaction (rule 8): its connection, and the error that doomed it, if any."""

    __slots__ = ("pooled", "cursor", "failure")

    def __init__(self, pooled: PoolProxiedConnection, cursor: Any) -> None:
        self.pooled = pooled
        self.cursor = cursor
        self.failure: BaseException | None = None


class _DeferredScope:
    """``deferred_sync``'s context manager: a class, since it runs around every request."""

    __slots__ = ("_local", "_outer", "deferral")

    def __init__(self, local: threading.local | None, batch: bool = False) -> None:
        self._local = local
        self._outer: Deferral | None = None
        self.deferral = Deferral(batch and local is not None)

    def __enter__(self) -> Deferral:
        if self._local is not None:  # None: nothing to defer (memory, PostgreSQL)
            self._outer = getattr(self._local, "current", None)
            self._local.current = self.deferral
        return self.deferral

    def __exit__(self, *exc: object) -> None:
        if self._local is not None:
            self._local.current = self._outer


class _Retry(Exception):
    """A transaction that may run again: it conflicted, or its connection was found dead."""

    def __init__(self, cause: BaseException, *, disconnected: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.disconnected = disconnected


def _orig(exc: BaseException) -> BaseException:
    """The driver's own exception, also when SQLAlchemy wrapped it."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def _unavailable(exc: BaseException) -> Unavailable:
    return Unavailable(f"the database failed: {type(exc).__name__}")


def open_store(url: str) -> Store:
    """Open (creating when missing) the store at ``url`` and bring its schema to the newest version.

    URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, ``sqlite://`` (in memory),
    ``postgresql+psycopg://user@host:5432/db`` with an optional ``?schema=<name>``.
    """
    backend = connect(url)
    try:
        with backend.write_lock, backend.migrator.connect() as conn, conn.begin():
            migrations.upgrade(conn, backend.schema)
    except BaseException as exc:
        for engine in backend.engines:
            engine.dispose()
        if isinstance(exc, DBAPIError):
            failure = type(_orig(exc)).__name__
            raise Unavailable(f"cannot open the store at {describe(url)}: {failure}") from exc
        raise
    return SqlStore(url, backend)
