"""Web identity tokens (OIDC ID tokens, Kubernetes service-account tokens): parse, verify, check.

Rules, in the order sts:AssumeRoleWithWebIdentity applies them (irsa-and-eksctl.md section 4):

1. The token is a JWS compact serialization whose header and payload are JSON objects; anything
   else is "not a valid JWT". The payload is read before verification only to learn ``iss``, which
   names the key set to verify with; no other claim is trusted before the signature checks.
2. Only asymmetric algorithms are accepted (RS256/384/512, ES256/384/512; IAM "Create an OpenID
   Connect (OIDC) identity provider"): ``alg: none`` and every HMAC algorithm are refused before any
   key is touched, so a token "signed" with the public key as an HMAC secret never verifies.
3. The key is chosen by ``kid`` from the key set of the token's own issuer, and must be of the
   algorithm's family (RSA for RS*, EC for ES*) and, when the JWK says so, of that ``alg`` and
   ``use: sig``. A ``kid`` taken from another issuer is unknown here. Without a ``kid``, each key of
   the right family is tried.
4. ``aud`` (a string or a list) must contain one of the provider's client IDs; when ``azp`` is present
   it is the audience that counts (IAM "Available keys for AWS web identity federation").
5. ``exp`` is required and may be at most 5 minutes in the past; ``nbf`` and ``iat`` may be at most 5
   minutes in the future (IAM allows 5 minutes of clock skew).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import orjson
import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc.errors import JoseError
from joserfc.jwk import import_key

from eksiam.services.sts.errors import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
)

CLOCK_SKEW = timedelta(minutes=5)
_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
ALGORITHM_FAMILY = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
}


@dataclass(slots=True)
class WebToken:
    """A token split into its parts; ``claims`` are trustworthy only after ``verify_signature``.
    ``signing_input`` is the ASCII of ``header.payload`` as it arrived (RFC 7515 section 5.2)."""

    raw: str
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def issuer(self) -> str:
        iss = self.claims.get("iss")
        if not isinstance(iss, str) or not iss:
            raise InvalidIdentityToken.missing_claim("iss")
        return iss

    @property
    def subject(self) -> str:
        sub = self.claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidIdentityToken.missing_claim("sub")
        return sub

    @property
    def audiences(self) -> tuple[str, ...]:
        aud = self.claims.get("aud")
        if isinstance(aud, str):
            return (aud,)
        if not isinstance(aud, list):
            return ()
        if len(aud) == 1 and aud[0].__class__ is str:  # what Kubernetes issues: no generator
            return (aud[0],)
        return tuple(v for v in aud if isinstance(v, str))


_PADDING = (b"", b"===", b"==", b"=")  # by length modulo 4; a remainder of 1 never decodes


def _base64url(raw: bytes) -> bytes:
    """Unpadded base64url (RFC 7515 section 2) of a segment already known to hold no ``+``, ``/``
    or ``=`` (``parse_token`` looks once for the whole token), strictly: ``pybase64`` with
    ``validate`` refuses every other character outside both alphabets. CPython's ``binascii``
    decodes a character at a time, a quarter of a request's Python-side cost for a
    service-account token. Arguments go by position: keywords cost the call a third more."""
    return pybase64.b64decode(raw + _PADDING[len(raw) & 3], b"-_", True)


def _json_object(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # what orjson refuses and json reads (1e400 is inf there)
        return json.loads(raw)


_KEPT_HEADER = 512  # the longest header segment whose decoding is kept (the cache's bound)


@lru_cache(maxsize=256)
def _kept_header(segment: bytes) -> Any:
    """The JOSE header of a short segment: one issuer key signs every token with the same header,
    so its text repeats and is decoded once. Callers only read the (shared) result."""
    return _json_object(_base64url(segment))


def parse_token(token: str) -> WebToken:
    """Split and decode once; the signature is checked later against this same parsed object."""
    first = token.find(".")  # finds, not split: a one-character find runs memchr, split a byte loop
    second = token.find(".", first + 1) if first >= 0 else -1
    if second < 0 or token.find(".", second + 1) >= 0:
        raise InvalidIdentityToken.not_a_jwt()
    # base64, not base64url; searched in the text, before encoding: ``in`` on bytes costs 5 times more
    if "+" in token or "/" in token or "=" in token:
        raise InvalidIdentityToken.not_a_jwt()
    try:
        raw = token.encode("ascii")
        segment = raw[:first]
        header = _kept_header(segment) if first <= _KEPT_HEADER else _json_object(_base64url(segment))
        claims = _json_object(_base64url(raw[first + 1 : second]))
        signature = _base64url(raw[second + 1 :])
    except (ValueError, RecursionError):  # binascii.Error and UnicodeError are ValueErrors
        raise InvalidIdentityToken.not_a_jwt() from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidIdentityToken.not_a_jwt()
    return WebToken(token, header, claims, raw[:second], signature)


def verify_signature(token: WebToken, jwks: Sequence[Mapping[str, Any]]) -> None:
    header = token.header
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHM_FAMILY or "crit" in header:
        raise InvalidIdentityToken.bad_signature()  # "crit": no JWS extension is understood (RFC 7515 4.1.11)
    family = ALGORITHM_FAMILY[alg]
    kid = header.get("kid")
    required, check = _VERIFIERS[alg]
    signature, data = token.signature, token.signing_input
    usable = False
    for jwk in jwks:
        if (
            (kid is not None and jwk.get("kid") != kid)
            or jwk.get("kty") != family
            or jwk.get("alg", alg) != alg
            or jwk.get("use", "sig") != "sig"
        ):
            continue
        usable = True
        found = _verification_key(tuple(map(jwk.get, _PUBLIC_MEMBERS)))
        if found is not None and found[0] == required and check(found[1], signature, data):
            return
    if not usable:
        raise InvalidIdentityToken.no_key()
    raise InvalidIdentityToken.bad_signature()


_PUBLIC_MEMBERS = ("kty", "n", "e", "crv", "x", "y")


@lru_cache(maxsize=1024)
def _verification_key(values: tuple[Any, ...]) -> tuple[str, Any] | None:
    """The public key a JWK describes and what it is (``RSA``, or an EC key's curve), imported once
    per distinct key (the values of its public members, in ``_PUBLIC_MEMBERS`` order, are the
    cache key); None for a JWK that does not import or is neither."""
    members = {name: value for name, value in zip(_PUBLIC_MEMBERS, values, strict=True) if value is not None}
    try:
        key = import_key(members).get_op_key("verify")
    except (JoseError, ValueError, TypeError):
        return None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name, key
    return None


Verifier = Callable[[Any, bytes, bytes], bool]


def _rsa(digest: Callable[[bytes], Any], digest_info: str) -> tuple[str, Verifier]:
    """RSASSA-PKCS1-v1_5 (RFC 7518 section 3.3), with an RSA key, checked as RFC 8017 section 8.2.2
    states it: the public operation recovers the encoded message (OpenSSL checks its ``00 01 FF..FF
    00`` padding), and what follows the padding must equal, byte for byte, the DER DigestInfo of the
    signing input's hash. ``key.verify`` does the same but also sets up a digest context per call,
    an eighth of a verification; hashlib hashes with the same OpenSSL."""
    prefix = bytes.fromhex(digest_info)
    pkcs1 = padding.PKCS1v15()  # a stateless parameter object, built once

    def check(key: Any, signature: bytes, data: bytes) -> bool:
        if len(signature) != (key.key_size + 7) >> 3:  # RFC 8017 8.2.2 step 1: k octets
            return False
        try:
            recovered = key.recover_data_from_signature(signature, pkcs1, None)
        except (InvalidSignature, ValueError):
            return False
        return hmac.compare_digest(recovered, prefix + digest(data).digest())

    return "RSA", check


def _ecdsa(curve: str, size: int, digest: type[hashes.HashAlgorithm]) -> tuple[str, Verifier]:
    """ECDSA with the signature as R || S, each ``size`` bytes (RFC 7518 section 3.4), with a key
    on the algorithm's own curve."""
    scheme = ec.ECDSA(digest())

    def check(key: Any, signature: bytes, data: bytes) -> bool:
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        try:
            key.verify(encode_dss_signature(r, s), data, scheme)
        except InvalidSignature:
            return False
        return True

    return curve, check


# alg -> (the key it needs: RSA or the EC curve, the check)
_VERIFIERS: dict[str, tuple[str, Verifier]] = {
    # DigestInfo prefixes: RFC 8017 section 9.2, note 1.
    "RS256": _rsa(hashlib.sha256, "3031300d060960864801650304020105000420"),
    "RS384": _rsa(hashlib.sha384, "3041300d060960864801650304020205000430"),
    "RS512": _rsa(hashlib.sha512, "3051300d060960864801650304020305000440"),
    "ES256": _ecdsa("secp256r1", 32, hashes.SHA256),
    "ES384": _ecdsa("secp384r1", 48, hashes.SHA384),
    "ES512": _ecdsa("secp521r1", 66, hashes.SHA512),
}


def matched_audience(token: WebToken, client_ids: Sequence[str], audiences: tuple[str, ...]) -> str:
    """The client ID the token was issued to (``azp`` first, else one of ``audiences``, the token's
    own), which must be registered."""
    azp = token.claims.get("azp")
    wanted = (azp,) if isinstance(azp, str) and azp else audiences
    for audience in wanted:
        if audience in client_ids:
            return audience
    raise InvalidIdentityToken.audience()


def check_times(token: WebToken, now: datetime, current: float) -> None:
    """Compared as numbers (``current`` is ``now`` in epoch seconds), so absurd values fail the
    check instead of overflowing a datetime. Integers, what issuers write, pass without a call."""
    claims = token.claims
    value: Any = claims.get("exp")
    exp: float = value if value.__class__ is int else _numeric(value, "exp")
    if current - _SKEW_SECONDS >= exp:
        raise ExpiredTokenException.web_identity(now, int(exp))
    latest = current + _SKEW_SECONDS
    for claim in ("nbf", "iat"):
        when = claims.get(claim)
        if when is not None and (when if when.__class__ is int else _numeric(when, claim)) > latest:
            raise IDPRejectedClaim.not_yet_valid(claim)


def _numeric(value: Any, claim: str) -> int | float:
    """A NumericDate (RFC 7519 section 2): a JSON number, finite; ``true`` is no number."""
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return cast(int | float, value)
    raise InvalidIdentityToken.missing_claim(claim)
