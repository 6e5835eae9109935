"""Published keys of eksiam's own cluster issuers, as STS reads them for every web identity token.

Keys change only when an issuer rotates (every 7 days) or is deleted, while every
AssumeRoleWithWebIdentity needs them, so each server keeps an issuer's record for ``TTL`` seconds,
as verifiers cache a JWKS. Rule: a token whose ``kid`` the cached record does not publish makes
STS read the record again before refusing, so a key another server just rotated in is never
refused; a deleted cluster's tokens stop verifying within ``TTL`` seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eksiam.services.oidc_issuers import issuer_id_of, issuer_record, published_keys
from eksiam.storage.interface import Record, Store

TTL = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class _Cached:
    keys: list[dict[str, Any]] | None  # None: no such issuer
    kids: frozenset[object]
    # read time + TTL, or earlier when the first published key retires: stale from then on
    until: datetime


class LocalIssuerKeys:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, _Cached] = {}

    def keys(self, issuer: str, kid: object, now: datetime) -> list[dict[str, Any]] | None:
        """The issuer's published JWKs, or None when ``issuer`` is not an eksiam issuer. The list
        is shared: callers must not change it."""
        if issuer_id_of(issuer) is None:
            return None
        with self._lock:
            cached = self._cache.get(issuer)
        if (
            cached is not None
            and now < cached.until
            and (cached.keys is None or kid is None or kid in cached.kids)
        ):
            return cached.keys
        record = self._store.read(lambda uow: issuer_record(uow, issuer))
        cached = _snapshot(record, now)
        with self._lock:
            self._cache[issuer] = cached
        return cached.keys


def _snapshot(record: Record | None, now: datetime) -> _Cached:
    if record is None:
        return _Cached(None, frozenset(), now + TTL)
    keys = published_keys(record, now)
    retire_times = (entry.get("RetireAfter") for entry in record.get("Keys", []))
    retiring = [when for when in map(datetime.fromisoformat, filter(None, retire_times)) if when > now]
    return _Cached(keys, frozenset(jwk.get("kid") for jwk in keys), min([now + TTL, *retiring]))
