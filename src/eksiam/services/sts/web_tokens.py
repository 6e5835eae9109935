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

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key
from joserfc.jws import CompactSignature

from eksiam.services.sts.errors import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
)

CLOCK_SKEW = timedelta(minutes=5)
ALGORITHM_FAMILY = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
}


@dataclass(frozen=True, slots=True)
class WebToken:
    """A token split into its parts; ``claims`` are trustworthy only after ``verify_signature``."""

    raw: str
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    compact: CompactSignature

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
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        return tuple(v for v in values if isinstance(v, str))


def parse_token(token: str) -> WebToken:
    """Split and decode once; the signature is checked later against this same parsed object."""
    if token.count(".") != 2:
        raise InvalidIdentityToken.not_a_jwt()
    try:
        compact = jws.extract_compact(token.encode())
        header = compact.headers()
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise InvalidIdentityToken.not_a_jwt() from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidIdentityToken.not_a_jwt()
    return WebToken(raw=token, header=header, claims=claims, compact=compact)


def verify_signature(token: WebToken, jwks: Sequence[Mapping[str, Any]]) -> None:
    alg = token.header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHM_FAMILY:
        raise InvalidIdentityToken.bad_signature()
    kid = token.header.get("kid")
    candidates = [
        jwk
        for jwk in jwks
        if jwk.get("kty") == ALGORITHM_FAMILY[alg]
        and jwk.get("alg", alg) == alg
        and jwk.get("use", "sig") == "sig"
        and (kid is None or jwk.get("kid") == kid)
    ]
    if not candidates:
        raise InvalidIdentityToken.no_key()
    for jwk in candidates:
        key = _verification_key(tuple((name, jwk.get(name)) for name in _PUBLIC_MEMBERS))
        try:
            if jws.validate_compact(token.compact, key, [alg]):
                return
        except (JoseError, ValueError):
            continue
    raise InvalidIdentityToken.bad_signature()


_PUBLIC_MEMBERS = ("kty", "n", "e", "crv", "x", "y")


@lru_cache(maxsize=1024)
def _verification_key(members: tuple[tuple[str, Any], ...]) -> Key:
    """Imported once per distinct public key (the JWK's public members are the cache key)."""
    return import_key({name: value for name, value in members if value is not None})


def matched_audience(token: WebToken, client_ids: Sequence[str]) -> str:
    """The client ID the token was issued to (``azp`` first), which must be registered."""
    azp = token.claims.get("azp")
    wanted = (azp,) if isinstance(azp, str) and azp else token.audiences
    for audience in wanted:
        if audience in client_ids:
            return audience
    raise InvalidIdentityToken.audience()


def check_times(token: WebToken, now: datetime) -> None:
    """Compared as numbers, so absurd values fail the check instead of overflowing a datetime."""
    current = now.timestamp()
    skew = CLOCK_SKEW.total_seconds()
    exp = _numeric(token, "exp", required=True)
    assert exp is not None
    if current - skew >= exp:
        raise ExpiredTokenException.web_identity(now, int(exp))
    for claim in ("nbf", "iat"):
        when = _numeric(token, claim, required=False)
        if when is not None and when > current + skew:
            raise IDPRejectedClaim.not_yet_valid(claim)


def _numeric(token: WebToken, claim: str, *, required: bool) -> float | None:
    value = token.claims.get(claim)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidIdentityToken.missing_claim(claim)
    return float(value)
