"""Session tokens that carry their session, sealed, so STS writes nothing when it issues credentials.

AWS's session tokens are opaque blobs that hold the session; STS does not look them up. eksiam does
the same: the token is the session record (sessions.py layout, without the token itself) as JSON,
sealed with AES-256-GCM, with the access key id as associated data, so a token only
opens for the key it was issued with and any change to it fails authentication.

Rules:

1. Layout: base64 of ``0x01 | 12-byte nonce | AES-GCM(JSON record)``, canonical (encoded and
   strictly decoded by ``pybase64``: CPython's ``binascii`` spends a loop step per character). A
   token that does not decode, open or parse is no session at all (``open`` answers None; the
   verifier then answers InvalidClientTokenId, as AWS does for a malformed token).
2. The key is 32 random bytes kept in the store (``sts-token-key``, global, ``"1"``), created by the
   first server that needs it, so every server on one database accepts every other's tokens.
3. Nothing is stored per session: expiry is inside the token (the verifier answers ExpiredToken
   after it), and issuing credentials costs no transaction and no fsync.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Mapping
from typing import Any

import orjson
import pybase64
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eksiam.ids import secret_bytes
from eksiam.storage import AlreadyExists
from eksiam.storage.interface import Record, Store

TOKEN_KEY = "sts-token-key"
_KEY_ID = "1"
_GLOBAL = ""
_FORMAT = b"\x01"
_NONCE_BYTES = 12


class SessionTokens:
    """Seals sessions into tokens and opens them again; one per store, safe to share between threads."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._aead: AESGCM | None = None

    def seal(self, session: Mapping[str, Any]) -> str:
        """The token for ``session`` (its ``SessionToken`` member, if any, is left out)."""
        if "SessionToken" in session or not isinstance(session, dict):
            session = {k: v for k, v in session.items() if k != "SessionToken"}
        plain = orjson.dumps(session)
        nonce = secret_bytes(_NONCE_BYTES)
        sealed = self._key().encrypt(nonce, plain, _FORMAT + str(session["AccessKeyId"]).encode())
        return pybase64.b64encode_as_string(_FORMAT + nonce + sealed)

    def open(self, access_key_id: str, token: str) -> Record | None:
        """The session ``token`` holds when it was issued for ``access_key_id``; None otherwise."""
        try:
            raw = pybase64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
        if len(raw) <= 1 + _NONCE_BYTES or raw[:1] != _FORMAT:
            return None
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            plain = self._key().decrypt(nonce, sealed, _FORMAT + access_key_id.encode())
            session = orjson.loads(plain)
        except (InvalidTag, ValueError, UnicodeEncodeError):  # orjson.JSONDecodeError is a ValueError
            return None
        if not isinstance(session, dict) or session.get("AccessKeyId") != access_key_id:
            return None
        session["SessionToken"] = token
        return session

    def _key(self) -> AESGCM:
        aead = self._aead
        if aead is None:
            with self._lock:
                if self._aead is None:
                    self._aead = AESGCM(self._load_or_create())
                aead = self._aead
        return aead

    def _load_or_create(self) -> bytes:
        stored = self._store.read(lambda uow: uow.get(TOKEN_KEY, _GLOBAL, _KEY_ID))
        if stored is None:
            fresh = {"Key": base64.b64encode(secrets.token_bytes(32)).decode("ascii")}
            try:
                self._store.write(lambda uow: uow.put(TOKEN_KEY, _GLOBAL, _KEY_ID, fresh, create=True))
                stored = fresh
            except AlreadyExists:  # another server created it first: use theirs
                stored = self._store.read(lambda uow: uow.get(TOKEN_KEY, _GLOBAL, _KEY_ID))
        if stored is None:
            raise RuntimeError("the session token key vanished from the store")
        return base64.b64decode(stored["Key"])
