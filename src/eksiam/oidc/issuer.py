"""The documents an EKS OIDC issuer serves, as EKS serves them.

Sources: EKS User Guide "Fetch signing keys to validate OIDC tokens" and irsa-and-eksctl.md section 3.

- ``<issuer>/.well-known/openid-configuration``: ``issuer`` (the issuer URL), ``jwks_uri``
  (``<issuer>/keys``), ``authorization_endpoint`` = ``urn:kubernetes:programmatic_authorization``,
  ``response_types_supported`` = ``["id_token"]``, ``subject_types_supported`` = ``["public"]``,
  ``id_token_signing_alg_values_supported`` = ``["RS256"]``, ``claims_supported`` = ``["sub", "iss"]``.
- ``<issuer>/keys``: ``{"keys": [{"kty", "kid", "use", "alg", "n", "e"}, ...]}``, the active key
  first, then retired keys whose tokens may still be valid.

Both name the real EKS host (``oidc.eks.<region>.amazonaws.com``): the documents are byte-for-byte
what a verifier expects, and local clients reach them on eksiam's port under ``/id/<ID>/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.services.oidc_issuers import ALGORITHM

DISCOVERY_PATH = "/.well-known/openid-configuration"
KEYS_PATH = "/keys"


def discovery_document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "jwks_uri": issuer + KEYS_PATH,
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
    }


def jwks_document(keys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"keys": [dict(k) for k in keys]}
