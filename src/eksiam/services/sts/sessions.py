"""Temporary credentials: how STS stores a session and how a signed request finds it again.

Record layout (storage interface rules; ``""`` = global)::

  sts-session         ""  <AccessKeyId>
      AccessKeyId SecretAccessKey SessionToken Expiration IssuedAt (ISO-8601 UTC)
      Type            "assumed-role" | "session-token"
      Account Arn UserId                 what GetCallerIdentity answers for these credentials
      PrincipalKind   "assumed-role" | "user" | "root"  (CallerKind value of the caller)
      RoleArn RoleName RoleId            assumed-role only
      SessionName
      SessionPolicies [document text]    inline Policy, kept as sent
      SessionPolicyArns [arn]            PolicyArns
      Tags [{Key, Value}]                session tags, inherited transitive ones included
      TransitiveTagKeys [key]            lower-cased keys that pass on when chaining
      SourceIdentity?                    sticky across role chaining
      Chained (bool)                     assumed with temporary credentials (1-hour cap)
      WebIdentity? {Provider, Issuer, Subject, Audience}
      MfaPresent (bool) UserName?        session-token only

Rule 1 - the authorizer applies a session's policies as AWS does (IAM "Session policies"): the
effective permissions are the intersection of the principal's policies and the session policies
(inline document and each ARN's default version), so ``SessionPolicies``/``SessionPolicyArns``
are stored exactly as requested and resolved at authorization time.

Rule 2 - a session is never deleted when it expires: signed requests with it must answer
ExpiredToken, not InvalidClientTokenId. Records are purged one day after expiry by sampling: each
transaction that creates sessions also looks at a few stored sessions after a new (random) key id and deletes
those long expired, so every old session is eventually found without an expiry index to maintain.

Rule 3 - sessions are written by group commit (``SessionWriter``): requests that arrive while a
transaction is committing wait and go into the next one, together. Each caller still returns only
after the transaction holding its session has committed, so no credentials are handed out that a
crash could forget; one durable commit (an fsync on SQLite) then serves many sessions.

Rule 4 - access key ids encode the account (``ASIA`` + base32 of 10 bytes whose bits 46..7 hold the
account id, the layout AWS keys have), so sts:GetAccessKeyInfo answers for any such key.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eksiam.services.context import Caller, CallerKind
from eksiam.storage.interface import Record, Store, UnitOfWork

SESSION = "sts-session"
GLOBAL = ""
PURGE_AFTER = timedelta(days=1)
PURGE_SAMPLE = 8

_ACCOUNT_MASK = 0x7FFFFFFFFF80


@dataclass(frozen=True, slots=True)
class NewCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)

    @classmethod
    def generate(cls, account: str) -> NewCredentials:
        return cls(
            access_key_id=encode_key_id("ASIA", account),
            secret_access_key=base64.b64encode(secrets.token_bytes(30)).decode(),
            session_token=base64.b64encode(secrets.token_bytes(192)).decode(),
        )


def encode_key_id(prefix: str, account: str) -> str:
    bits = (int(account) << 7) | secrets.randbits(7) | (secrets.randbits(1) << 47)
    raw = bits.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode()


def account_of_key_id(access_key_id: str) -> str | None:
    """The 12-digit account an AWS-shaped key id carries, or None when it has another shape."""
    body = access_key_id[4:]
    if len(access_key_id) != 20 or len(body) != 16:
        return None
    try:
        raw = base64.b32decode(body)
    except ValueError:
        return None
    account = (int.from_bytes(raw[:6], "big") & _ACCOUNT_MASK) >> 7
    return f"{account:012d}"


def store_sessions(uow: UnitOfWork, records: Sequence[Record], now: datetime) -> None:
    """Insert the sessions and purge a sample of those that expired more than a day ago (rule 2)."""
    # A new key id is a random point among its account's keys: sample the sessions just after it.
    start = records[0]["AccessKeyId"] if records else ""
    for akid, old in uow.list(SESSION, GLOBAL, after=start, limit=PURGE_SAMPLE):
        if session_expiration(old) + PURGE_AFTER <= now:
            uow.delete(SESSION, GLOBAL, akid)
    for record in records:
        uow.put(SESSION, GLOBAL, record["AccessKeyId"], record, create=True)


class SessionWriter:
    """Group commit of new sessions (rule 3); one per store, shared by every request thread.

    The first thread to find no commit in progress becomes the leader: it takes everything queued,
    writes it in one transaction, wakes the waiters of that batch, and leads again while more has
    queued meanwhile. A failed transaction fails every session of its batch with the same error.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._leading = False

    def write(self, record: Record, now: datetime) -> None:
        mine = _Pending(record, now)
        with self._cond:
            self._queue.append(mine)
            while not mine.done and self._leading:
                self._cond.wait()
            if not mine.done:
                self._leading = True
        if not mine.done:
            self._lead()
        if mine.error is not None:
            raise mine.error

    def _lead(self) -> None:
        while True:
            with self._cond:
                batch, self._queue = self._queue, []
                if not batch:
                    self._leading = False
                    self._cond.notify_all()
                    return
            error = self._commit(batch)
            with self._cond:
                for pending in batch:
                    pending.error = error
                    pending.done = True
                self._cond.notify_all()

    def _commit(self, batch: Sequence[_Pending]) -> BaseException | None:
        records = [p.record for p in batch]
        latest = max(p.now for p in batch)
        try:
            self._store.write(lambda uow: store_sessions(uow, records, latest))
        except BaseException as exc:  # handed to every waiter of the batch, re-raised there
            return exc
        return None


@dataclass(slots=True)
class _Pending:
    record: Record = field(repr=False)
    now: datetime
    done: bool = False
    error: BaseException | None = None


def find_session(uow: UnitOfWork, access_key_id: str) -> Record | None:
    return uow.get(SESSION, GLOBAL, access_key_id)


def session_expiration(record: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(record["Expiration"])


_CALLER_KIND = {"assumed-role": CallerKind.ASSUMED_ROLE, "user": CallerKind.USER, "root": CallerKind.ROOT}


def session_caller(record: Mapping[str, Any]) -> Caller:
    """The ``Caller`` a request signed with these credentials acts as (for CredentialResolver)."""
    return Caller(
        kind=_CALLER_KIND[record["PrincipalKind"]],
        arn=record["Arn"],
        account=record["Account"],
        user_id=record["UserId"],
        access_key_id=record["AccessKeyId"],
        session=record,
    )


def credentials_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Credentials`` structure every STS operation returns (STS API Reference, "Credentials")."""
    return {
        "AccessKeyId": record["AccessKeyId"],
        "SecretAccessKey": record["SecretAccessKey"],
        "SessionToken": record["SessionToken"],
        "Expiration": session_expiration(record),
    }
