"""The storage contract every service codes against.

Rules:

1. Records are JSON objects (``dict``) addressed by ``(kind, account, key)``. ``kind`` names a record
   family (``"role"``, ``"policy-version"``, ``"access-key"`` ...); ``account`` is the AWS account id,
   or ``""`` for records that are global (an index from access key id to its owner, say); ``key`` is
   unique within ``(kind, account)`` and orders listings (byte order of the UTF-8 text).
2. Every operation runs inside one unit of work, which is one database transaction: all of it is
   committed, or none of it. Services never see SQL.
3. ``Store.write(fn)`` runs ``fn(uow)`` in a serializable read-write transaction and returns what
   ``fn`` returns. When the database reports a conflict with a concurrent writer, the transaction is
   rolled back and ``fn`` runs again, so ``fn`` must have no effects outside ``uow``; an exception
   raised by ``fn`` rolls back and propagates unchanged. When conflicts persist past a bounded number
   of attempts, or the database cannot be reached, ``write`` raises ``Unavailable`` (services answer
   with a retryable error). A ``write`` inside another write's ``fn`` raises ``StorageError``.
4. ``Store.read(fn)`` runs ``fn(uow)`` against one consistent snapshot; writes through it raise.
5. Relations are records too: a key such as ``"<policy-arn>|role/<name>"`` under kind
   ``"attachment"`` is found again by ``list(..., prefix="<policy-arn>|")``. A prefix listing is an
   index range scan, so its cost does not grow with the number of other records.
6. Once ``write`` returns, the change is durable (it survives a killed process or a power cut),
   except inside a ``deferred_sync`` scope, where it is durable once ``sync`` has returned: a server
   acknowledges such writes only after that, and one sync serves every write made meanwhile.
7. ``Store.read_cached(key, fn)`` may answer with what ``fn`` returned for ``key`` before, but
   only while no write has committed since: it is never staler than ``read``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Record = dict[str, Any]


class UnitOfWork(Protocol):
    def get(self, kind: str, account: str, key: str) -> Record | None:
        """The record, or None."""
        ...

    def put(self, kind: str, account: str, key: str, data: Record, *, create: bool = False) -> None:
        """Insert or replace; with ``create=True`` raise ``AlreadyExists`` when the key is taken."""
        ...

    def delete(self, kind: str, account: str, key: str) -> bool:
        """Remove the record; True when there was one."""
        ...

    def list(
        self,
        kind: str,
        account: str,
        *,
        prefix: str = "",
        after: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[str, Record]]:
        """``(key, data)`` pairs in key order: keys starting with ``prefix``, greater than ``after``."""
        ...

    def count(self, kind: str, account: str, *, prefix: str = "") -> int: ...

    def accounts(self, kind: str) -> Iterator[str]:
        """The accounts that hold at least one record of ``kind``."""
        ...


class Deferral:
    """One ``deferred_sync`` scope: ``pending`` turns True when a write committed without a sync
    (or, with ``batch``, joined the batch that ``commit_batch`` commits)."""

    __slots__ = ("pending", "batch")

    def __init__(self, batch: bool = False) -> None:
        self.pending = False
        self.batch = batch


class Store(Protocol):
    url: str
    remote: bool
    """True when units of work wait on a network (PostgreSQL); False for a local file or memory."""

    def write(self, fn: Callable[[UnitOfWork], T]) -> T: ...

    def read(self, fn: Callable[[UnitOfWork], T]) -> T: ...

    def read_cached(self, key: Hashable, fn: Callable[[UnitOfWork], T]) -> T:
        """``read(fn)``, or the result of an earlier call with the same ``key`` when the store knows
        that nothing has changed since (rule 7). ``fn`` must depend on the records alone, and the
        result is shared: callers must not change it."""
        ...

    def deferred_sync(self, batch: bool = False) -> AbstractContextManager[Deferral]:
        """Within the scope, this thread's writes may commit before they are durable; whoever opened
        it must call ``sync`` before acknowledging them when ``pending`` says so. With ``batch``, a
        store may go further and leave them in one transaction shared with the other batched scopes
        of this thread, until ``commit_batch``; they are then invisible to other connections."""
        ...

    def commit_batch(self) -> None:
        """Commit the writes batched scopes of this thread left open (none: nothing to do); call it
        before ``sync``, on the thread that made them."""
        ...

    def sync(self) -> None:
        """Make every write committed so far durable."""
        ...

    def close(self) -> None: ...
