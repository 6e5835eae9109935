"""Service-account tokens as the Kubernetes API server issues them for projected volumes.

Claims (Kubernetes "Managing Service Accounts", bound service account tokens; irsa-and-eksctl.md
section 3): ``iss`` (the cluster's issuer URL), ``sub`` = ``system:serviceaccount:<ns>:<name>``,
``aud`` (a list), ``exp`` = ``iat`` + expirationSeconds, ``iat``, ``nbf`` = ``iat``, ``jti`` (a UUID),
and ``kubernetes.io`` = {``namespace``, ``serviceaccount`` {``name``, ``uid``}, ``pod`` {``name``,
``uid``} when bound to a pod}. The header is ``{"alg": "RS256", "kid": <kid>}`` (no ``typ``).

expirationSeconds is 600 (the Kubernetes minimum) to 86400 (the longest token eksiam signs, which
is also how long a rotated-out key stays published). Service account uids are derived from the
issuer, namespace and name, so the same service account always has the same uid.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt

from eksiam.services.oidc_issuers import (
    ALGORITHM,
    MAX_TOKEN_SECONDS,
    MIN_TOKEN_SECONDS,
    IssuerRegistry,
)

DEFAULT_AUDIENCE = "sts.amazonaws.com"
DEFAULT_EXPIRATION = 3600


class TokenRequestError(ValueError):
    """A token request that Kubernetes would refuse (bad expiration, empty audience ...)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expiration: datetime


def service_account_uid(issuer: str, namespace: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}#serviceaccount/{namespace}/{name}"))


def issue_service_account_token(
    registry: IssuerRegistry,
    issuer: str,
    *,
    namespace: str,
    service_account: str,
    audiences: Sequence[str] = (DEFAULT_AUDIENCE,),
    expiration_seconds: int = DEFAULT_EXPIRATION,
    pod_name: str | None = None,
    pod_uid: str | None = None,
) -> IssuedToken:
    if not MIN_TOKEN_SECONDS <= expiration_seconds <= MAX_TOKEN_SECONDS:
        raise TokenRequestError(
            f"expirationSeconds must be between {MIN_TOKEN_SECONDS} and {MAX_TOKEN_SECONDS}, "
            f"got {expiration_seconds}"
        )
    if not audiences or not all(audiences):
        raise TokenRequestError("audiences must name at least one non-empty audience")
    if not namespace or not service_account:
        raise TokenRequestError("namespace and service account are required")
    key = registry.signing_key(issuer)
    now = int(registry.clock.now().timestamp())
    k8s: dict[str, Any] = {
        "namespace": namespace,
        "serviceaccount": {
            "name": service_account,
            "uid": service_account_uid(issuer, namespace, service_account),
        },
    }
    if pod_name:
        k8s["pod"] = {"name": pod_name, "uid": pod_uid or str(uuid.uuid4())}
    claims = {
        "aud": list(audiences),
        "exp": now + expiration_seconds,
        "iat": now,
        "iss": issuer,
        "jti": str(uuid.uuid4()),
        "kubernetes.io": k8s,
        "nbf": now,
        "sub": f"system:serviceaccount:{namespace}:{service_account}",
    }
    token = jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key.joserfc_key(), default_type=None)
    return IssuedToken(token=token, expiration=datetime.fromtimestamp(now + expiration_seconds, UTC))
