"""A per-account generation that changes whenever anything authorization reads may have changed.

Rules:

1. ``authz-generation`` (acct, key ``"policies"``) holds ``{"Generation": n}``; no record means 0.
2. ``track_policy_changes(store)`` returns a store whose write transactions give every account in
   which they put or delete a record of a kind in ``AUTHZ_KINDS`` a new generation, inside the same
   transaction. A reader that sees generation ``n`` therefore sees every policy change made before
   ``n`` was written, and an Authorizer cache entry stamped ``n`` is stale the moment any later
   change commits. Services that write IAM records must be built on the tracked store
   (``build_services`` does this). A new generation is a fresh random positive 62-bit number
   (``ids.generation``), not the old one plus one: only equality matters, and writing it blind
   saves a read per write (two writes picking the same number is a 2**-62 event).
3. Global records (account ``""``: access keys, sessions) never move a counter: sessions are
   immutable and an access key's status is read on every lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

from eksiam import ids
from eksiam.services.iam import records as r
from eksiam.storage.interface import Deferral, Record, Store, UnitOfWork

T = TypeVar("T")

GENERATION = "authz-generation"
_KEY = "policies"
AUTHZ_KINDS = frozenset(
    {
        r.ROLE,
        r.USER,
        r.GROUP,
        r.GROUP_MEMBER,
        r.USER_GROUP,
        r.POLICY,
        r.POLICY_VERSION,
        r.ATTACHMENT,
        r.ATTACHED_POLICY,
        r.BOUNDARY_USAGE,
        r.INLINE_POLICY,
    }
)


def current_generation(uow: UnitOfWork, account: str) -> int:
    record = uow.get(GENERATION, account, _KEY)
    return int(record["Generation"]) if record else 0


class _TrackingUnitOfWork:
    """Forwards every call; remembers which accounts had authorization-relevant writes."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner
        self.touched: set[str] = set()

    def get(self, kind: str, account: str, key: str) -> Record | None:
        return self.inner.get(kind, account, key)

    def put(self, kind: str, account: str, key: str, data: Record, *, create: bool = False) -> None:
        self._note(kind, account)
        self.inner.put(kind, account, key, data, create=create)

    def delete(self, kind: str, account: str, key: str) -> bool:
        self._note(kind, account)
        return self.inner.delete(kind, account, key)

    def list(
        self, kind: str, account: str, *, prefix: str = "", after: str | None = None, limit: int | None = None
    ) -> list[tuple[str, Record]]:
        return self.inner.list(kind, account, prefix=prefix, after=after, limit=limit)

    def count(self, kind: str, account: str, *, prefix: str = "") -> int:
        return self.inner.count(kind, account, prefix=prefix)

    def accounts(self, kind: str) -> Iterator[str]:
        return self.inner.accounts(kind)

    def _note(self, kind: str, account: str) -> None:
        if kind in AUTHZ_KINDS and account:
            self.touched.add(account)

    def bump(self) -> None:
        for account in sorted(self.touched):
            self.inner.put(GENERATION, account, _KEY, {"Generation": ids.generation()})


class TrackedStore:
    """A ``Store`` that bumps generations as rule 2 says; reads pass straight through."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.url = inner.url
        self.remote = inner.remote

    def write(self, fn: Callable[[UnitOfWork], T]) -> T:
        def tracked(uow: UnitOfWork) -> T:
            wrapper = _TrackingUnitOfWork(uow)
            result = fn(wrapper)
            wrapper.bump()
            return result

        return self.inner.write(tracked)

    def read(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.inner.read(fn)

    def read_cached(self, key: Hashable, fn: Callable[[UnitOfWork], T]) -> T:
        return self.inner.read_cached(key, fn)

    def deferred_sync(self, batch: bool = False) -> AbstractContextManager[Deferral]:
        return self.inner.deferred_sync(batch)

    def commit_batch(self) -> None:
        self.inner.commit_batch()

    def sync(self) -> None:
        self.inner.sync()

    def close(self) -> None:
        self.inner.close()


def track_policy_changes(store: Store) -> Store:
    return store if isinstance(store, TrackedStore) else TrackedStore(store)
