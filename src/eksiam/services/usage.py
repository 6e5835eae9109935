"""When access keys and roles were last used (GetAccessKeyLastUsed, GetRole's RoleLastUsed).

AWS reports last use after a delay (IAM User Guide, "Refine permissions using last accessed
information": tracking data can take hours to appear), so a use need not be written by the request
that made it. eksiam notes each use in memory and ``flush`` writes the newest use of each key and
role in one transaction; the server flushes every ``FLUSH_INTERVAL`` seconds and when it stops.

Rules:

1. A signed request notes its IAM user key (service = the signing name, region = the credential
   scope's); an issued role session notes its role (the call's region). Root keys and session keys
   have no last-used record.
2. A flush never moves a date backwards: a stored use newer than the noted one (another server
   sharing the database) is kept.
3. Last-used data is written to the untracked store: it feeds no authorization decision, so it
   must not invalidate the authorizer's cache. A crash loses at most the uses noted since the last
   flush, never a change a request acknowledged.
"""

from __future__ import annotations

import threading
from datetime import datetime

from eksiam.services.iam import records as r
from eksiam.storage.interface import Store, UnitOfWork

FLUSH_INTERVAL = 1.0


class UsageLog:
    """Thread-safe: requests note uses from any thread; one flusher writes them."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[datetime, str, str]] = {}
        self._roles: dict[tuple[str, str], tuple[datetime, str]] = {}

    def key_used(self, access_key_id: str, when: datetime, service: str, region: str) -> None:
        with self._lock:
            noted = self._keys.get(access_key_id)
            if noted is None or noted[0] <= when:
                self._keys[access_key_id] = (when, service, region)

    def role_used(self, account: str, role_name: str, when: datetime, region: str) -> None:
        key = (account, r.name_key(role_name))
        with self._lock:
            noted = self._roles.get(key)
            if noted is None or noted[0] <= when:
                self._roles[key] = (when, region)

    def flush(self) -> int:
        """Write what was noted since the last flush; returns how many records were noted."""
        with self._lock:
            keys, self._keys = self._keys, {}
            roles, self._roles = self._roles, {}
        if keys or roles:
            self._store.write(lambda uow: _write(uow, keys, roles))
        return len(keys) + len(roles)


def _write(
    uow: UnitOfWork,
    keys: dict[str, tuple[datetime, str, str]],
    roles: dict[tuple[str, str], tuple[datetime, str]],
) -> None:
    for key_id, (when, service, region) in keys.items():
        record = uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, key_id)
        if record is not None and _newer(when, record.get("LastUsed")):
            record["LastUsed"] = {"LastUsedDate": r.timestamp(when), "ServiceName": service, "Region": region}
            uow.put(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, key_id, record)
    for (account, name_key), (when, region) in roles.items():
        role = uow.get(r.ROLE, account, name_key)
        if role is not None and _newer(when, role.get("RoleLastUsed")):
            role["RoleLastUsed"] = {"LastUsedDate": r.timestamp(when), "Region": region}
            uow.put(r.ROLE, account, name_key, role)


def _newer(when: datetime, stored: dict[str, str] | None) -> bool:
    return not stored or r.parse_timestamp(stored["LastUsedDate"]) <= when
