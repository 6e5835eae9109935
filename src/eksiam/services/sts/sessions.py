"""Temporary credentials: what a session holds and how a signed request's caller is rebuilt from it.

Session layout (sealed into the session token, session_tokens.py; nothing is stored)::

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

Rule 2 - expiry travels in the token: a signed request with an expired session answers
ExpiredToken, not InvalidClientTokenId, however long ago it expired.

Rule 3 - the secret access key is random and travels only inside the sealed token and the
response that hands it out.

Rule 4 - access key ids encode the account (``ASIA`` + base32 of 10 bytes whose bits 46..7 hold the
account id, the layout AWS keys have), so sts:GetAccessKeyInfo answers for any such key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import pybase64

from eksiam.ids import secret_bytes
from eksiam.services.context import Caller, CallerKind

_ACCOUNT_MASK = 0x7FFFFFFFFF80
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 section 6


@dataclass(slots=True)
class NewCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)

    @classmethod
    def generate(cls, account: str) -> NewCredentials:
        random, secret = _drawn_credentials()
        return cls(encode_key_id("ASIA", account, random), secret)


_BATCH = 64  # credentials drawn and encoded at a time
_batch: list[tuple[bytes, str]] = []  # (the key id's 8 random bytes, the secret), drawn ahead


def _drawn_credentials() -> tuple[bytes, str]:
    """The random bytes of one new key id (``encode_key_id``) and its secret (40 characters of
    base64 from 30 bytes), drawn and encoded ``_BATCH`` at a time: one draw and one base64 pass
    for all of them (30 bytes make 40 characters exactly, so each secret is a slice) cost less
    than a draw and an encoding per credential. ``list.pop`` hands each out once, whatever the
    threads; a fork forgets what the parent drew (``_forget_batch``)."""
    try:
        return _batch.pop()
    except IndexError:
        pass
    random = secret_bytes(_BATCH * 38)
    texts = pybase64.b64encode(random[_BATCH * 8 :]).decode("ascii")
    drawn = list(zip(map(random.__getitem__, _KEY_BYTES), map(texts.__getitem__, _SECRETS), strict=True))
    _batch.extend(drawn[1:])
    return drawn[0]


# Where each credential's parts lie in a draw: sliced in C (map), not by a loop in Python.
_KEY_BYTES = [slice(8 * i, 8 * i + 8) for i in range(_BATCH)]
_SECRETS = [slice(40 * i, 40 * i + 40) for i in range(_BATCH)]


def _forget_batch() -> None:
    _batch.clear()


os.register_at_fork(after_in_child=_forget_batch)


def encode_key_id(prefix: str, account: str, random: bytes) -> str:
    """``prefix`` + base32 of 10 bytes whose bits 46..7 hold the account and whose other 40 bits are
    random: from the first 8 bytes of ``random``, the low 5 bits of each.

    In base32's 5-bit groups the account fills characters 1-7 alone and shares 0 and 8 with 5
    random bits, so the first 9 characters are looked up per account and those bits (the first
    byte's low 5: bit 47, then bits 6..3); the other 7 characters are wholly random, one per byte
    (``translate``: 256 is a multiple of 32, so each is uniform)."""
    heads = _account_characters(prefix, account)
    return heads[random[0] & 31] + random[1:8].translate(_BASE32_OF_BYTE).decode("ascii")


_BASE32_OF_BYTE = bytes(ord(_BASE32[byte & 31]) for byte in range(256))


@lru_cache(maxsize=256)
def _account_characters(prefix: str, account: str) -> tuple[str, ...]:
    """``prefix`` + characters 0-8 for each value of the 5 random bits they hold (bit 47 as the
    high one, bits 6..3)."""
    number = int(account)
    heads = []
    for bits in range(32):
        value = (bits >> 4) << 47 | number << 7 | (bits & 15) << 3
        heads.append(prefix + base64.b32encode(value.to_bytes(6, "big") + bytes(4)).decode()[:9])
    return tuple(heads)


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


def session_expiration(record: Mapping[str, Any]) -> datetime:
    return _parsed_time(record["Expiration"])


@lru_cache(maxsize=1024)
def _parsed_time(text: str) -> datetime:
    """ISO 8601 text as a datetime, kept: sessions issued in one second share their expiry, and
    every request signed with a session reads it (datetimes are immutable)."""
    return datetime.fromisoformat(text)


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
