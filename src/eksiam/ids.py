"""AWS-style identifiers and secrets.

IAM unique ids are a four-letter prefix naming the entity type and 17 characters of upper-case
letters and digits (21 in all); access key ids are a prefix and 16 more (20 in all). The prefixes
are AWS's (IAM User Guide, "Unique identifiers"). Everything random here comes from ``secrets``,
but request ids, which are not secrets.
"""

from __future__ import annotations

import random
import secrets
import string
import uuid

UNIQUE_ID_PREFIX = {
    "user": "AIDA",
    "role": "AROA",
    "group": "AGPA",
    "policy": "ANPA",
    "instance-profile": "AIPA",
    "access-key": "AKIA",
    "session-key": "ASIA",
    "server-certificate": "ASCA",
    "public-key": "APKA",
}

_UPPER_DIGITS = string.ascii_uppercase + string.digits
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


def _random(chars: str, n: int) -> str:
    """``n`` characters drawn uniformly from ``chars``: one random number in base ``len(chars)``."""
    base = len(chars)
    value = secrets.randbelow(base**n)
    out = []
    for _ in range(n):
        value, digit = divmod(value, base)
        out.append(chars[digit])
    return "".join(out)


def unique_id(kind: str) -> str:
    """A 21-character IAM unique id such as ``AROA...`` for a role."""
    return UNIQUE_ID_PREFIX[kind] + _random(_UPPER_DIGITS, 17)


def access_key_id(temporary: bool = False) -> str:
    """A 20-character key id: ``AKIA`` for long-term keys, ``ASIA`` for session keys."""
    return ("ASIA" if temporary else "AKIA") + _random(_UPPER_DIGITS, 16)


def secret_access_key() -> str:
    return _random(_SECRET_CHARS, 40)


_REQUEST_IDS = random.Random(secrets.randbits(128))


def request_id() -> str:
    """A version-4 UUID, as AWS request ids are. Request ids name requests, they guard nothing, so
    they come from a seeded generator: ``uuid4`` costs a system call on every request."""
    return str(uuid.UUID(int=_REQUEST_IDS.getrandbits(128), version=4))


def hex_id(n_bytes: int = 16) -> str:
    """Upper-case hex, as in EKS OIDC issuer ids (32 characters for 16 bytes)."""
    return secrets.token_hex(n_bytes).upper()


def token(n_bytes: int = 32) -> str:
    return secrets.token_urlsafe(n_bytes)
