"""Encoded authorization messages: what AccessDenied may carry, and sts:DecodeAuthorizationMessage.

Some AWS services end an AccessDenied message with "Encoded authorization failure message: <blob>";
only a principal allowed ``sts:DecodeAuthorizationMessage`` in the same account can read it (STS API
Reference "DecodeAuthorizationMessage"). The blob is opaque and tamper-proof: eksiam encrypts and
authenticates it with Fernet (AES-128-CBC + HMAC-SHA256) under a key kept in the store, so every
server sharing the database can decode what another encoded.

The decoded document has AWS's shape: ``allowed``, ``explicitDeny``, ``matchedStatements.items``,
``failures.items`` and ``context`` {``principal`` {``id``, ``name``, ``arn``}, ``action``,
``resource``, ``conditions.items`` [{``key``, ``values.items`` [{``value``}]}]}.

Record layout::

  sts-message-key  ""  "fernet"   Key (urlsafe base64, 32 bytes)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from eksiam.services.context import CallContext, Caller
from eksiam.services.sts.base import StsBase
from eksiam.services.sts.errors import InvalidAuthorizationMessage
from eksiam.storage import AlreadyExists
from eksiam.storage.interface import Store, UnitOfWork

MESSAGE_KEY = "sts-message-key"
_KEY_NAME = "fernet"


def _fernet(store: Store) -> Fernet:
    found = store.read(lambda uow: uow.get(MESSAGE_KEY, "", _KEY_NAME))
    if found is None:
        candidate = Fernet.generate_key().decode()

        def create(uow: UnitOfWork) -> str:
            existing = uow.get(MESSAGE_KEY, "", _KEY_NAME)
            if existing is not None:
                return str(existing["Key"])
            uow.put(MESSAGE_KEY, "", _KEY_NAME, {"Key": candidate}, create=True)
            return candidate

        try:
            key = store.write(create)
        except AlreadyExists:
            again = store.read(lambda uow: uow.get(MESSAGE_KEY, "", _KEY_NAME))
            if again is None:
                raise
            key = str(again["Key"])
    else:
        key = str(found["Key"])
    return Fernet(key.encode())


def authorization_document(
    caller: Caller,
    action: str,
    resource: str,
    *,
    explicit_deny: bool,
    matched: Sequence[Mapping[str, Any]] = (),
    conditions: Mapping[str, str | Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The decoded form of a denial, as AWS lays it out."""
    items = []
    for key, value in (conditions or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        items.append({"key": key, "values": {"items": [{"value": v} for v in values]}})
    return {
        "allowed": False,
        "explicitDeny": explicit_deny,
        "matchedStatements": {"items": [dict(m) for m in matched]},
        "failures": {"items": []},
        "context": {
            "principal": {"id": caller.user_id, "name": caller.arn.rsplit("/", 1)[-1], "arn": caller.arn},
            "action": action,
            "resource": resource,
            "conditions": {"items": items},
        },
    }


def encode_authorization_message(store: Store, account: str, document: Mapping[str, Any]) -> str:
    """The opaque text to append to an AccessDenied message (for services/authorize.py)."""
    payload = json.dumps({"account": account, "message": document}, separators=(",", ":"))
    return _fernet(store).encrypt(payload.encode()).decode()


class AuthorizationMessageOperations(StsBase):
    def decode_authorization_message(self, ctx: CallContext, *, encoded_message: str) -> dict[str, Any]:
        try:
            payload = json.loads(_fernet(self.store).decrypt(encoded_message.encode()))
        except (InvalidToken, ValueError):
            raise InvalidAuthorizationMessage.undecodable() from None
        if payload.get("account") != ctx.account:
            raise InvalidAuthorizationMessage.undecodable()
        return {"DecodedMessage": json.dumps(payload["message"], separators=(",", ":"))}
