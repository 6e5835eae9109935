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
4. Records are stored as JSON text with ASCII escapes (``ensure_ascii``), so any Python ``str``,
   including lone surrogates, round-trips; values must be JSON types (no datetimes, no NaN).
"""

from __future__ import annotations

import functools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    CursorResult,
    Executable,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from eksiam.storage import migrations
from eksiam.storage.backends import Backend, connect, describe
from eksiam.storage.errors import AlreadyExists, ReadOnly, StorageError, Unavailable
from eksiam.storage.interface import Record, Store
from eksiam.storage.schema import records

T = TypeVar("T")
MAX_ATTEMPTS = 40
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


def _checked(**parts: str) -> dict[str, str]:
    """Address parts as bind values; PostgreSQL text cannot hold NUL, so no backend accepts it."""
    for name, value in parts.items():
        if not isinstance(value, str):
            raise TypeError(f"{name} must be str, not {type(value).__name__}")
        if "\x00" in value:
            raise ValueError(f"{name} must not contain NUL")
    return parts


class SqlUnitOfWork:
    __slots__ = ("_conn", "_writable", "failure")

    def __init__(self, conn: Connection, *, writable: bool) -> None:
        self._conn: Connection | None = conn
        self._writable = writable
        self.failure: DBAPIError | None = None

    def _live(self) -> Connection:
        if self._conn is None:
            raise StorageError("this unit of work has ended; use the uow passed to the running fn")
        return self._conn

    def _execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        conn = self._live()
        try:
            return conn.execute(statement, params)
        except DBAPIError as exc:
            self.failure = exc
            raise

    def _require_writable(self) -> None:
        if not self._writable:
            raise ReadOnly("Store.read gives a read-only unit of work; use Store.write to change records")

    def end(self) -> None:
        self._conn = None

    def get(self, kind: str, account: str, key: str) -> Record | None:
        row = self._execute(_GET, _checked(kind=kind, account=account, key=key)).first()
        return None if row is None else json.loads(row[0])

    def put(self, kind: str, account: str, key: str, data: Record, *, create: bool = False) -> None:
        self._require_writable()
        if not isinstance(data, Mapping):
            raise TypeError(f"a record is a dict, not {type(data).__name__}")
        values = _checked(kind=kind, account=account, key=key)
        params = {**values, "data": json.dumps(data, separators=(",", ":"), allow_nan=False)}
        if not create:
            self._execute(_UPSERT, params)
        elif self._execute(_CREATE, params).first() is None:  # RETURNING: INSERT rowcounts vary by driver
            raise AlreadyExists(kind, account, key)

    def delete(self, kind: str, account: str, key: str) -> bool:
        self._require_writable()
        return bool(self._execute(_DELETE, _checked(kind=kind, account=account, key=key)).rowcount)

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
        rows = self._execute(_range_query("list", *shape, limit=limit is not None), params)
        return [(key, json.loads(data)) for key, data in rows]

    def count(self, kind: str, account: str, *, prefix: str = "") -> int:
        shape, params = _key_range(kind, account, prefix, None)
        return int(self._execute(_range_query("count", *shape, limit=False), params).scalar_one())

    def accounts(self, kind: str) -> Iterator[str]:
        """Walks the index one distinct account at a time, so its cost follows accounts, not records."""
        found: list[str] = []
        account = self._execute(_FIRST_ACCOUNT, _checked(kind=kind)).scalar()
        while account is not None:
            found.append(account)
            account = self._execute(_NEXT_ACCOUNT, {"kind": kind, "after": account}).scalar()
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
        self._backend = backend
        self._writing = threading.local()

    def __repr__(self) -> str:
        return f"SqlStore({describe(self.url)!r})"

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

    def _write(self, fn: Callable[[SqlUnitOfWork], T]) -> T:
        backend = self._backend
        for attempt in range(1, MAX_ATTEMPTS + 1):
            committing = False
            try:
                with backend.write_lock, backend.writer.connect() as conn, conn.begin():
                    uow = SqlUnitOfWork(conn, writable=True)
                    try:
                        result = fn(uow)
                        if uow.failure is not None:
                            raise uow.failure
                    finally:
                        uow.end()
                    committing = True
                return result
            except DBAPIError as exc:
                if exc.connection_invalidated and committing:
                    raise Unavailable(
                        "the database connection failed during commit; the outcome is unknown"
                    ) from exc
                if not (backend.retryable(exc) or exc.connection_invalidated):
                    if isinstance(exc, OperationalError):
                        raise _unavailable(exc) from exc
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise Unavailable(
                        f"gave up after {MAX_ATTEMPTS} attempts that conflicted or lost the database"
                    ) from exc
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, fn: Callable[[SqlUnitOfWork], T]) -> T:
        backend = self._backend
        for attempt in (1, 2):  # once more on a fresh connection when a pooled one was found dead
            try:
                with backend.read_lock, backend.reader.connect() as conn, conn.begin():
                    uow = SqlUnitOfWork(conn, writable=False)
                    try:
                        return fn(uow)
                    finally:
                        uow.end()
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt == 1:
                    continue
                if exc.connection_invalidated or isinstance(exc, OperationalError):
                    raise _unavailable(exc) from exc
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for engine in self._backend.engines:
            engine.dispose()


def _unavailable(exc: DBAPIError) -> Unavailable:
    return Unavailable(f"the database failed: {type(exc.orig).__name__}")


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
            raise Unavailable(f"cannot open the store at {describe(url)}: {type(exc.orig).__name__}") from exc
        raise
    return SqlStore(url, backend)
