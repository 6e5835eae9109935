"""OIDC issuers of eksiam clusters: issuer URLs, signing keys in the store, rotation.

These live in the services layer (not ``eksiam.oidc``) because two services need them: EKS creates
an issuer with each cluster, and STS verifies web identity tokens against the published keys.
``eksiam.oidc`` builds the HTTP documents and mints service-account tokens on top of this package.
"""

from __future__ import annotations

from eksiam.services.oidc_issuers.keys import ALGORITHM, SigningKey, public_key
from eksiam.services.oidc_issuers.registry import (
    MAX_TOKEN_SECONDS,
    MIN_TOKEN_SECONDS,
    ROTATION_PERIOD,
    IssuerRegistry,
    UnknownCluster,
    add_issuer,
    issuer_id_of,
    issuer_record,
    issuer_url,
    published_keys,
    remove_issuer,
)

__all__ = [
    "ALGORITHM",
    "MAX_TOKEN_SECONDS",
    "MIN_TOKEN_SECONDS",
    "ROTATION_PERIOD",
    "IssuerRegistry",
    "SigningKey",
    "UnknownCluster",
    "add_issuer",
    "issuer_id_of",
    "issuer_record",
    "issuer_url",
    "public_key",
    "published_keys",
    "remove_issuer",
]
