"""Published keys of eksiam's own cluster issuers, as STS reads them for every web identity token.

Keys change only when an issuer rotates (every 7 days) or is deleted, while every
AssumeRoleWithWebIdentity needs them, so each server keeps an issuer's record for ``TTL`` seconds,
as verifiers cache a JWKS. Rule: a token whose ``kid`` the cached record does not publish makes
STS read the record again before refusing, so a key another server just rotated in is never
refused; a deleted cluster's tokens stop verifying within ``TTL`` seconds.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from eksiam.services.oidc_issuers import issuer_id_of, issuer_record, published_keys
from eksiam.storage.interface import Record, Store

TTL = timedelta(seconds=5)


class LocalIssuerKeys:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[datetime, Record | None]] = {}

    def keys(self, issuer: str, kid: object, now: datetime) -> list[dict[str, Any]] | None:
        """The issuer's published JWKs, or None when ``issuer`` is not an eksiam issuer."""
        if issuer_id_of(issuer) is None:
            return None
        with self._lock:
            cached = self._cache.get(issuer)
        if cached is not None and now - cached[0] < TTL:
            record = cached[1]
            if record is None or _publishes(record, kid, now):
                return published_keys(record, now) if record is not None else None
        record = self._store.read(lambda uow: issuer_record(uow, issuer))
        with self._lock:
            self._cache[issuer] = (now, record)
        return published_keys(record, now) if record is not None else None


def _publishes(record: Record, kid: object, now: datetime) -> bool:
    return kid is None or any(jwk.get("kid") == kid for jwk in published_keys(record, now))
