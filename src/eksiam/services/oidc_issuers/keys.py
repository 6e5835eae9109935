"""Signing keys of eksiam's OIDC issuers: RSA 2048, RS256, identified by their RFC 7638 thumbprint.

Rule 1 - a key id is the base64url SHA-256 JWK thumbprint (RFC 7638) of the public key, so the same
key has the same ``kid`` on every server and two different keys never share one.

Rule 2 - the private key leaves this module only as PKCS#8 PEM for the store and as a joserfc key
for signing; it never appears in a repr, a log line or an error message.

Rule 3 - published JWKs carry exactly the members EKS serves (``kty``, ``kid``, ``use``, ``alg``,
``n``, ``e``: EKS User Guide, "Fetch signing keys to validate OIDC tokens").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from joserfc.jwk import RSAKey

KEY_BITS = 2048
ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_pem: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key; about 0.1 s of CPU, so callers make it outside any store transaction."""
        key = RSAKey.generate_key(KEY_BITS, private=True)
        return cls(kid=key.thumbprint(), private_pem=key.as_pem(private=True))

    def joserfc_key(self) -> RSAKey:
        return _load_private(self.private_pem)

    def public_jwk(self) -> dict[str, Any]:
        public = self.joserfc_key().as_dict(private=False)
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
            "n": public["n"],
            "e": public["e"],
        }


@lru_cache(maxsize=256)
def _load_private(pem: bytes) -> RSAKey:
    return RSAKey.import_key(pem)


def public_key(jwk: Mapping[str, Any]) -> RSAKey:
    """The verification key for a published JWK; parsed keys are cached by their modulus."""
    return _load_public(str(jwk["kty"]), str(jwk["n"]), str(jwk["e"]))


@lru_cache(maxsize=1024)
def _load_public(kty: str, n: str, e: str) -> RSAKey:
    return RSAKey.import_key({"kty": kty, "n": n, "e": e})
