"""OIDC issuers per cluster on the wire: discovery documents, JWKS, service-account tokens, and the
keys of external identity providers for STS. Key material and rotation live in
``eksiam.services.oidc_issuers`` because EKS and STS (services) need them too.
"""

from __future__ import annotations

from eksiam.oidc.issuer import discovery_document, jwks_document
from eksiam.oidc.remote import HttpJwksSource
from eksiam.oidc.routes import issuer_app, mount_issuers
from eksiam.oidc.tokens import (
    DEFAULT_AUDIENCE,
    DEFAULT_EXPIRATION,
    IssuedToken,
    TokenRequestError,
    issue_service_account_token,
    service_account_uid,
)

__all__ = [
    "DEFAULT_AUDIENCE",
    "DEFAULT_EXPIRATION",
    "HttpJwksSource",
    "IssuedToken",
    "TokenRequestError",
    "discovery_document",
    "issue_service_account_token",
    "issuer_app",
    "jwks_document",
    "mount_issuers",
    "service_account_uid",
]
