"""The issuer endpoints: discovery and JWKS documents as EKS serves them, through the ASGI app."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.oidc import issuer_app
from eksiam.services.oidc_issuers import IssuerRegistry, issuer_id_of
from eksiam.storage import Store


@pytest.fixture
def registry(store: Store) -> IssuerRegistry:
    return IssuerRegistry(store, ManualClock(), Settings())


def test_discovery_document_names_the_issuer_and_its_keys(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-west-2", "demo")
    issuer_id = issuer_id_of(issuer)
    with TestClient(issuer_app(registry)) as client:
        response = client.get(f"/{issuer_id}/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "max-age" in response.headers["cache-control"]
    assert response.json() == {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/keys",
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def test_keys_document_lists_the_published_keys(registry: IssuerRegistry) -> None:
    issuer = registry.create_issuer("123456789012", "us-west-2", "demo")
    issuer_id = issuer_id_of(issuer)
    assert issuer_id is not None
    registry.rotate(issuer_id)
    with TestClient(issuer_app(registry)) as client:
        response = client.get(f"/{issuer_id}/keys")
    assert response.status_code == 200
    assert response.json() == {"keys": registry.public_keys(issuer_id)}
    assert len(response.json()["keys"]) == 2


@pytest.mark.parametrize("path", ["/" + "0" * 32 + "/keys", "/nope/.well-known/openid-configuration"])
def test_an_unknown_issuer_is_not_found(registry: IssuerRegistry, path: str) -> None:
    with TestClient(issuer_app(registry)) as client:
        assert client.get(path).status_code == 404
