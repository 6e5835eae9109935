"""Access key id -> secret and identity, for SigV4 verification (the server looks each key up once).

Rules:

1. Three kinds of keys, told apart by where they live, not by guessing from the prefix alone:
   - root keys of an account (``AKIA...``): for the default account, ``EKSIAM_ACCESS_KEY_ID`` /
     ``EKSIAM_SECRET_ACCESS_KEY`` through Settings when both are set; otherwise generated once by
     ``ensure_root_credentials`` and kept with the data (kinds below), so a restart signs the same;
   - IAM user access keys (``access-key`` records of IAM core, records.py);
   - STS session keys (``ASIA...``): the session sealed in the request's security token
     (sts/session_tokens.py); a session key without its token, or with another key's, is unknown.
2. A key that is unknown, ``Inactive`` (IAM API reference, UpdateAccessKey: "Inactive ... cannot be
   used for API calls") or whose user no longer exists resolves to None, which the verifier turns
   into ``InvalidClientTokenId`` ("The security token included in the request is invalid"), as AWS
   answers for a deactivated key. An expired session still resolves, with its ``expiration``, so the
   verifier answers ``ExpiredToken`` instead (sts/sessions.py rule 2).
3. Secrets never reach a repr or a log: ``repr=False`` on every secret field. The only secret this
   module compares is the configured root key id, with ``hmac.compare_digest``.

Kinds (``""`` = global)::

  root-credentials  ""    AccessKeyId       AccessKeyId SecretAccessKey Account CreateDate
  root-key          acct  "root"            AccessKeyId   (which root key the account has)
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from eksiam import ids
from eksiam.clock import Clock, SystemClock
from eksiam.config import Settings
from eksiam.services.context import Caller, CallerKind
from eksiam.services.iam import records as r
from eksiam.services.sts import sessions
from eksiam.services.sts.session_tokens import SessionTokens
from eksiam.storage import AlreadyExists
from eksiam.storage.interface import Record, Store, UnitOfWork

ROOT_CREDENTIALS = "root-credentials"
ROOT_KEY = "root-key"
_ROOT_KEY_NAME = "root"


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """What a signed request's key id stands for (fits protocol.sigv4's ``SigningKey``)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    caller: Caller
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


@dataclass(frozen=True, slots=True)
class RootCredentials:
    account: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


def root_caller(account: str, access_key_id: str | None = None, partition: str = "aws") -> Caller:
    return Caller(CallerKind.ROOT, f"arn:{partition}:iam::{account}:root", account, account, access_key_id)


class CredentialResolver:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock | None = None,
        *,
        tokens: SessionTokens | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock()
        self.tokens = tokens or SessionTokens(store)
        configured = self._configured_root()
        self._configured = None if configured is None else (configured, self._root_key(configured))

    def lookup(self, access_key_id: str, session_token: str | None = None) -> ResolvedKey | None:
        """The key a request was signed with; ``session_token`` is its X-Amz-Security-Token."""
        if session_token is not None:
            return self._session_key(access_key_id, session_token)
        if self._configured is not None and hmac.compare_digest(
            access_key_id.encode(), self._configured[0].access_key_id.encode()
        ):
            return self._configured[1]
        return self.store.read(lambda uow: self._from_store(uow, access_key_id))

    def _session_key(self, access_key_id: str, session_token: str) -> ResolvedKey | None:
        session = self.tokens.open(access_key_id, session_token)
        if session is None:
            return None
        return ResolvedKey(
            access_key_id,
            session["SecretAccessKey"],
            sessions.session_caller(session),
            session_token=session_token,
            expiration=sessions.session_expiration(session),
        )

    def ensure_root_credentials(self, account: str | None = None) -> RootCredentials:
        """The account's root keys: from Settings for the default account, else generated once."""
        account = account or self.settings.account_id
        configured = self._configured_root()
        if configured is not None and configured.account == account:
            return configured
        fresh = RootCredentials(account, ids.access_key_id(), ids.secret_access_key())

        def run(uow: UnitOfWork) -> RootCredentials:
            existing = _stored_root(uow, account)
            if existing is not None:
                return existing
            uow.put(ROOT_KEY, account, _ROOT_KEY_NAME, {"AccessKeyId": fresh.access_key_id}, create=True)
            uow.put(
                ROOT_CREDENTIALS,
                r.GLOBAL_ACCOUNT,
                fresh.access_key_id,
                {
                    "AccessKeyId": fresh.access_key_id,
                    "SecretAccessKey": fresh.secret_access_key,
                    "Account": account,
                    "CreateDate": r.timestamp(self.clock.now()),
                },
                create=True,
            )
            return fresh

        try:
            return self.store.write(run)
        except AlreadyExists:  # another process generated them first: use theirs
            stored = self.store.read(lambda uow: _stored_root(uow, account))
            if stored is None:
                raise
            return stored

    def _configured_root(self) -> RootCredentials | None:
        key, secret = self.settings.root_access_key_id, self.settings.root_secret_access_key
        if not key or not secret:
            return None
        return RootCredentials(self.settings.account_id, key, secret)

    def _root_key(self, root: RootCredentials) -> ResolvedKey:
        caller = root_caller(root.account, root.access_key_id, self.settings.partition)
        return ResolvedKey(root.access_key_id, root.secret_access_key, caller)

    def _from_store(self, uow: UnitOfWork, access_key_id: str) -> ResolvedKey | None:
        key = uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, access_key_id)
        if key is not None:
            return _user_key(uow, key)
        root = uow.get(ROOT_CREDENTIALS, r.GLOBAL_ACCOUNT, access_key_id)
        if root is not None:
            return self._root_key(RootCredentials(root["Account"], access_key_id, root["SecretAccessKey"]))
        return None


def _user_key(uow: UnitOfWork, key: Record) -> ResolvedKey | None:
    if key.get("Status") != "Active":
        return None
    user = uow.get(r.USER, key["Account"], r.name_key(key["UserName"]))
    if user is None:
        return None
    caller = Caller(CallerKind.USER, user["Arn"], key["Account"], user["UserId"], key["AccessKeyId"])
    return ResolvedKey(key["AccessKeyId"], key["SecretAccessKey"], caller)


def _stored_root(uow: UnitOfWork, account: str) -> RootCredentials | None:
    pointer = uow.get(ROOT_KEY, account, _ROOT_KEY_NAME)
    if pointer is None:
        return None
    record = uow.get(ROOT_CREDENTIALS, r.GLOBAL_ACCOUNT, pointer["AccessKeyId"])
    if record is None:
        return None
    return RootCredentials(account, record["AccessKeyId"], record["SecretAccessKey"])
