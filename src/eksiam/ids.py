"""AWS-style identifiers and secrets.

IAM unique ids are a four-letter prefix naming the entity type and 17 characters of upper-case
letters and digits (21 in all); access key ids are a prefix and 16 more (20 in all). The prefixes
are AWS's (IAM User Guide, "Unique identifiers").

Secrets (secret access keys, tokens) come from ``secrets``, or, where a request draws them on the
hot path (session credentials and token nonces), from ``secret_bytes``: the kernel's generator
too (``os.urandom``), read 4 KiB at a time into one buffer, so that an
AssumeRoleWithWebIdentity makes no system call for them (``ssl.RAND_bytes`` would make one,
``getpid``, for its fork check). Each byte is handed out once; a forked child drops the buffer it
inherited, which its parent goes on handing out. Identifiers that guard nothing (request
ids, IAM unique ids, access key ids, authorization generations) come from one generator seeded
from ``secrets`` and reseeded in a forked child: ``secrets`` costs a system call per draw, and a
write request draws two or three of them. Uniqueness is what they need, and 88 random bits give it.
"""

from __future__ import annotations

import os
import random
import secrets
import string
import threading

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


_IDENTIFIERS = random.Random(secrets.randbits(128))
os.register_at_fork(after_in_child=lambda: _IDENTIFIERS.seed(secrets.randbits(128)))


def _random(chars: str, n: int, *, secret: bool) -> str:
    """``n`` characters drawn uniformly from ``chars``: one random number in base ``len(chars)``."""
    base = len(chars)
    value = secrets.randbelow(base**n) if secret else _IDENTIFIERS.randrange(base**n)
    out = []
    for _ in range(n):
        value, digit = divmod(value, base)
        out.append(chars[digit])
    return "".join(out)


def unique_id(kind: str) -> str:
    """A 21-character IAM unique id such as ``AROA...`` for a role."""
    return UNIQUE_ID_PREFIX[kind] + _random(_UPPER_DIGITS, 17, secret=False)


def access_key_id(temporary: bool = False) -> str:
    """A 20-character key id: ``AKIA`` for long-term keys, ``ASIA`` for session keys."""
    return ("ASIA" if temporary else "AKIA") + _random(_UPPER_DIGITS, 16, secret=False)


def secret_access_key() -> str:
    return _random(_SECRET_CHARS, 40, secret=True)


_DRAW_BYTES = 4096
_drawn = b""  # the kernel's random bytes read and not yet handed out, from _offset on
_offset = 0
_draw_lock = threading.Lock()


def _forget_drawn() -> None:
    global _drawn, _draw_lock
    _drawn, _draw_lock = b"", threading.Lock()  # a lock another thread held at the fork stays held


os.register_at_fork(after_in_child=_forget_drawn)


def secret_bytes(n: int) -> bytes:
    """``n`` bytes from the kernel's cryptographically strong generator, through the buffer."""
    global _drawn, _offset
    with _draw_lock:
        start = _offset
        end = start + n
        if end > len(_drawn):
            _drawn, start, end = os.urandom(max(_DRAW_BYTES, n)), 0, n
        _offset = end
        return _drawn[start:end]


def request_id() -> str:
    """A version-4 UUID, as AWS request ids are (formatted here: ``uuid.UUID`` costs more than
    drawing the number)."""
    h = f"{_IDENTIFIERS.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# RFC 4122 variant bits (10xx) in the first hex digit of the fourth group.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def generation() -> int:
    """A positive 62-bit number for a record whose only job is to differ from the previous one."""
    return _IDENTIFIERS.getrandbits(62) | 1


def hex_id(n_bytes: int = 16) -> str:
    """Upper-case hex, as in EKS OIDC issuer ids (32 characters for 16 bytes)."""
    return secrets.token_hex(n_bytes).upper()


def token(n_bytes: int = 32) -> str:
    return secrets.token_urlsafe(n_bytes)
