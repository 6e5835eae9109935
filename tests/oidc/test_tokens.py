"""Service-account tokens: the claims Kubernetes projects, signed by the cluster's current key."""

from __future__ import annotations

import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.oidc import TokenRequestError, issue_service_account_token, service_account_uid
from eksiam.services.oidc_issuers import IssuerRegistry, issuer_id_of
from eksiam.storage import Store


@pytest.fixture
def registry(store: Store) -> IssuerRegistry:
    return IssuerRegistry(store, ManualClock(), Settings())


def decode(registry: IssuerRegistry, issuer: str, token: str) -> jwt.Token:
    issuer_id = issuer_id_of(issuer)
    assert issuer_id is not None
    keys = KeySet.import_key_set({"keys": registry.public_keys(issuer_id) or []})
    return jwt.decode(token, keys, algorithms=["RS256"])


def test_a_token_carries_the_projected_token_claims(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-east-1", "demo")
    issued = issue_service_account_token(
        registry,
        issuer,
        namespace="apps",
        service_account="s3-reader",
        expiration_seconds=7200,
        pod_name="web-0",
    )
    token = decode(registry, issuer, issued.token)
    assert token.header == {"alg": "RS256", "kid": registry.signing_key(issuer).kid}
    claims = token.claims
    assert claims["iss"] == issuer
    assert claims["sub"] == "system:serviceaccount:apps:s3-reader"
    assert claims["aud"] == ["sts.amazonaws.com"]
    assert claims["exp"] - claims["iat"] == 7200
    assert claims["nbf"] == claims["iat"]
    assert int(issued.expiration.timestamp()) == claims["exp"]
    uuid.UUID(claims["jti"])
    k8s = claims["kubernetes.io"]
    assert k8s["namespace"] == "apps"
    assert k8s["serviceaccount"] == {
        "name": "s3-reader",
        "uid": service_account_uid(issuer, "apps", "s3-reader"),
    }
    assert k8s["pod"]["name"] == "web-0"
    uuid.UUID(k8s["pod"]["uid"])


def test_without_a_pod_there_is_no_pod_claim_and_audiences_are_kept(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-east-1", "demo")
    issued = issue_service_account_token(
        registry, issuer, namespace="ns", service_account="sa", audiences=["pods.eks.amazonaws.com", "x"]
    )
    claims = decode(registry, issuer, issued.token).claims
    assert "pod" not in claims["kubernetes.io"]
    assert claims["aud"] == ["pods.eks.amazonaws.com", "x"]
    assert claims["exp"] - claims["iat"] == 3600


def test_two_tokens_differ_in_jti(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-east-1", "demo")
    one = issue_service_account_token(registry, issuer, namespace="ns", service_account="sa")
    two = issue_service_account_token(registry, issuer, namespace="ns", service_account="sa")
    assert (
        decode(registry, issuer, one.token).claims["jti"] != decode(registry, issuer, two.token).claims["jti"]
    )


@pytest.mark.parametrize("seconds", [599, 86401, 0, -5])
def test_expiration_outside_kubernetes_bounds_is_refused(registry: IssuerRegistry, seconds: int) -> None:
    issuer = registry.create_issuer("123456789012", "us-east-1", "demo")
    with pytest.raises(TokenRequestError, match="expirationSeconds"):
        issue_service_account_token(
            registry, issuer, namespace="ns", service_account="sa", expiration_seconds=seconds
        )


def test_an_empty_audience_is_refused(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-east-1", "demo")
    with pytest.raises(TokenRequestError):
        issue_service_account_token(registry, issuer, namespace="ns", service_account="sa", audiences=[""])
