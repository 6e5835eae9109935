"""sts:AssumeRoleWithWebIdentity with real RS256 service-account tokens from eksiam cluster issuers,
and with an external identity provider served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from tests.services.sts.conftest import ACCOUNT, START, World, document, trust

from eksiam.oidc import HttpJwksSource, issue_service_account_token
from eksiam.services import CallContext, CallerKind
from eksiam.services.oidc_issuers import issuer_id_of
from eksiam.services.sts import (
    AccessDenied,
    ExpiredTokenException,
    IDPCommunicationError,
    InvalidIdentityToken,
    ValidationError,
)

SA_SUB = "system:serviceaccount:apps:reader"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Cluster:
    """An eksiam cluster issuer registered in IAM, and an IRSA role that trusts one service account."""

    def __init__(self, world: World, name: str = "demo", audience: str = "sts.amazonaws.com") -> None:
        self.world = world
        self.issuer = world.issuers.create_issuer(ACCOUNT, "us-east-1", name)
        self.host = self.issuer.removeprefix("https://")
        provider = world.iam.create_open_id_connect_provider(
            world.root(), url=self.issuer, client_id_list=[audience], thumbprint_list=["9" * 40]
        )
        self.provider_arn = provider["OpenIDConnectProviderArn"]

    def role(self, name: str = "irsa", condition: dict[str, Any] | None = None, **kwargs: Any) -> str:
        condition = condition or {
            "StringEquals": {f"{self.host}:sub": SA_SUB, f"{self.host}:aud": "sts.amazonaws.com"}
        }
        return self.world.role(
            name,
            trust({"Federated": self.provider_arn}, "sts:AssumeRoleWithWebIdentity", Condition=condition),
            **kwargs,
        )

    def token(self, namespace: str = "apps", service_account: str = "reader", **kwargs: Any) -> str:
        return issue_service_account_token(
            self.world.issuers, self.issuer, namespace=namespace, service_account=service_account, **kwargs
        ).token


@pytest.fixture
def cluster(world: World) -> Cluster:
    return Cluster(world)


def assume(
    world: World, role_arn: str, token: str, session: str = "botocore-session-1", **kwargs: Any
) -> Any:
    unsigned = CallContext(account=ACCOUNT, region="us-east-1", request_id="r", now=world.clock.now())
    return world.sts.assume_role_with_web_identity(
        unsigned, role_arn=role_arn, role_session_name=session, web_identity_token=token, **kwargs
    )


def test_a_service_account_token_becomes_a_role_session(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    response = assume(world, role_arn, cluster.token())
    role_id = world.iam.get_role(world.root(), role_name="irsa")["Role"]["RoleId"]
    assert response["SubjectFromWebIdentityToken"] == SA_SUB
    assert response["Audience"] == "sts.amazonaws.com"
    assert response["Provider"] == cluster.provider_arn
    assert response["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa/botocore-session-1",
        "AssumedRoleId": f"{role_id}:botocore-session-1",
    }
    assert response["Credentials"]["Expiration"] == START + timedelta(hours=1)
    session = world.session(response)
    assert session.caller is not None and session.caller.kind is CallerKind.ASSUMED_ROLE
    assert session.caller.session is not None
    assert session.caller.session["WebIdentity"]["Subject"] == SA_SUB
    assert world.sts.get_caller_identity(session)["Arn"] == response["AssumedRoleUser"]["Arn"]


def test_another_service_account_is_not_trusted(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    with pytest.raises(AccessDenied) as err:
        assume(world, role_arn, cluster.token(service_account="writer"))
    assert err.value.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    assert err.value.status == 403


def test_string_like_on_sub_and_a_condition_on_oaud(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role(
        condition={
            "StringLike": {f"{cluster.host}:sub": "system:serviceaccount:apps:*"},
            "StringEquals": {f"{cluster.host}:oaud": "sts.amazonaws.com"},
        }
    )
    assume(world, role_arn, cluster.token(service_account="anything"))
    with pytest.raises(AccessDenied):
        assume(world, role_arn, cluster.token(namespace="kube-system", service_account="anything"))


def test_iam_changes_apply_to_the_very_next_web_identity_call(world: World, cluster: Cluster) -> None:
    # STS keeps what it read for a role and provider only while the store says nothing changed.
    role_arn = cluster.role()
    token = cluster.token()
    assume(world, role_arn, token)
    other = {"StringEquals": {f"{cluster.host}:sub": "system:serviceaccount:apps:writer"}}
    world.iam.update_assume_role_policy(
        world.root(),
        role_name="irsa",
        policy_document=document(
            trust({"Federated": cluster.provider_arn}, "sts:AssumeRoleWithWebIdentity", Condition=other)
        ),
    )
    with pytest.raises(AccessDenied):
        assume(world, role_arn, token)
    assume(world, role_arn, cluster.token(service_account="writer"))
    world.iam.remove_client_id_from_open_id_connect_provider(
        world.root(), open_id_connect_provider_arn=cluster.provider_arn, client_id="sts.amazonaws.com"
    )
    with pytest.raises(InvalidIdentityToken):
        assume(world, role_arn, cluster.token(service_account="writer"))
    world.iam.delete_role(world.root(), role_name="irsa")
    with pytest.raises(AccessDenied):
        assume(world, role_arn, cluster.token(service_account="writer"))


def test_a_provider_missing_from_iam_is_an_invalid_token(world: World) -> None:
    issuer = world.issuers.create_issuer(ACCOUNT, "us-east-1", "unregistered")
    role_arn = world.role("irsa", trust({"Federated": "*"}, "sts:AssumeRoleWithWebIdentity"))
    token = issue_service_account_token(
        world.issuers, issuer, namespace="apps", service_account="reader"
    ).token
    with pytest.raises(InvalidIdentityToken) as err:
        assume(world, role_arn, token)
    assert err.value.message == f"No OpenIDConnect provider found in your account for {issuer}"


def test_a_token_for_another_audience_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    with pytest.raises(InvalidIdentityToken) as err:
        assume(world, role_arn, cluster.token(audiences=["pods.eks.amazonaws.com"]))
    assert err.value.message == "Incorrect token audience"


def test_an_expired_token_is_refused_with_aws_text(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    token = cluster.token(expiration_seconds=600)
    world.clock.advance(600 + 5 * 60 + 1)
    with pytest.raises(ExpiredTokenException) as err:
        assume(world, role_arn, token)
    assert err.value.message.startswith("Token expired: current date/time ")
    assert err.value.code == "ExpiredTokenException"


def test_a_missing_role_is_access_denied(world: World, cluster: Cluster) -> None:
    with pytest.raises(AccessDenied):
        assume(world, f"arn:aws:iam::{ACCOUNT}:role/missing", cluster.token())


def test_duration_is_bounded_by_the_role_maximum(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role(max_session_duration=3600)
    with pytest.raises(ValidationError):
        assume(world, role_arn, cluster.token(), duration_seconds=3601)
    response = assume(world, role_arn, cluster.token(), duration_seconds=900)
    assert response["Credentials"]["Expiration"] == START + timedelta(seconds=900)


def test_a_session_policy_is_packed_and_stored(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    policy = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    response = assume(world, role_arn, cluster.token(), policy=policy)
    assert 0 < response["PackedPolicySize"] < 100
    session = world.session(response)
    assert session.caller is not None and session.caller.session is not None
    assert session.caller.session["SessionPolicies"] == [policy]


def test_tokens_signed_before_a_rotation_still_work(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    before = cluster.token(expiration_seconds=86400)
    issuer_id = issuer_id_of(cluster.issuer)
    assert issuer_id is not None
    world.issuers.rotate(issuer_id)
    assume(world, role_arn, before)
    assume(world, role_arn, cluster.token())


# -- the attacks, through the whole operation -------------------------------------------------------


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(
        base64.urlsafe_b64decode(pad(payload))
    )


def test_alg_none_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    header, claims = parts(cluster.token())
    forged = f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}."
    with pytest.raises(InvalidIdentityToken):
        assume(world, role_arn, forged)


def test_hs256_keyed_with_the_published_public_key_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    issuer_id = issuer_id_of(cluster.issuer)
    assert issuer_id is not None
    jwk = (world.issuers.public_keys(issuer_id) or [])[0]
    header, claims = parts(cluster.token())
    signing_input = (
        f"{b64(json.dumps({**header, 'alg': 'HS256'}).encode())}.{b64(json.dumps(claims).encode())}"
    )
    for secret in (json.dumps(jwk).encode(), jwk["n"].encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        with pytest.raises(InvalidIdentityToken):
            assume(world, role_arn, f"{signing_input}.{b64(mac)}")


def test_an_unknown_kid_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    key = world.issuers.signing_key(cluster.issuer)
    _, claims = parts(cluster.token())
    forged = jwt.encode(
        {"alg": "RS256", "kid": "someone-elses"}, claims, key.joserfc_key(), default_type=None
    )
    with pytest.raises(InvalidIdentityToken) as err:
        assume(world, role_arn, forged)
    assert err.value.message.startswith("Couldn't retrieve verification key")


def test_another_clusters_key_with_this_clusters_kid_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role()
    other = Cluster(world, name="other")
    my_kid = world.issuers.signing_key(cluster.issuer).kid
    _, claims = parts(cluster.token())
    forged = jwt.encode(
        {"alg": "RS256", "kid": my_kid},
        claims,
        world.issuers.signing_key(other.issuer).joserfc_key(),
        default_type=None,
    )
    with pytest.raises(InvalidIdentityToken):
        assume(world, role_arn, forged)
    # And the other cluster's genuine token does not pass for this cluster's trust policy either.
    with pytest.raises(AccessDenied):
        assume(world, role_arn, other.token())


def test_a_tampered_payload_is_refused(world: World, cluster: Cluster) -> None:
    role_arn = cluster.role(
        condition={"StringEquals": {f"{cluster.host}:sub": "system:serviceaccount:apps:admin"}}
    )
    header, payload, signature = cluster.token().split(".")
    _, claims = parts(cluster.token())
    evil = b64(json.dumps({**claims, "sub": "system:serviceaccount:apps:admin"}).encode())
    with pytest.raises(InvalidIdentityToken):
        assume(world, role_arn, f"{header}.{evil}.{signature}")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJ9.eyJ9.x"])
def test_garbage_is_not_a_valid_jwt(world: World, cluster: Cluster, token: str) -> None:
    with pytest.raises(InvalidIdentityToken):
        assume(world, cluster.role(), token)


# -- an external identity provider over HTTP ------------------------------------------------------


@pytest.fixture
def external_idp() -> Iterator[tuple[str, ECKey, list[int]]]:
    key = ECKey.generate_key("P-256", private=True)
    hits: list[int] = []
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(1)
            docs = {
                "/.well-known/openid-configuration": {
                    "issuer": state["url"],
                    "jwks_uri": state["url"] + "/jwks",
                },
                "/jwks": {
                    "keys": [{**key.as_dict(private=False), "kid": "ec-1", "use": "sig", "alg": "ES256"}]
                },
            }
            body = json.dumps(docs.get(self.path, {})).encode()
            self.send_response(200 if self.path in docs else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["url"], key, hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_external_provider_is_trusted_through_its_published_keys(
    world: World, external_idp: tuple[str, ECKey, list[int]]
) -> None:
    url, key, hits = external_idp
    host = url.removeprefix("http://")
    provider = world.iam.create_open_id_connect_provider(
        world.root(), url=f"https://{host}", client_id_list=["my-app"], thumbprint_list=["9" * 40]
    )["OpenIDConnectProviderArn"]
    role_arn = world.role(
        "ci",
        trust(
            {"Federated": provider},
            "sts:AssumeRoleWithWebIdentity",
            Condition={"StringEquals": {f"{host}:sub": "repo:org/app:ref:refs/heads/main"}},
        ),
    )
    now = int(world.clock.now().timestamp())
    claims = {
        "iss": url,
        "sub": "repo:org/app:ref:refs/heads/main",
        "aud": "my-app",
        "iat": now,
        "exp": now + 300,
    }
    token = jwt.encode({"alg": "ES256", "kid": "ec-1"}, claims, key, algorithms=["ES256"])
    with pytest.raises(IDPCommunicationError):  # no JwksSource given yet: the network is off limits
        assume(world, role_arn, token)
    source = HttpJwksSource(world.clock)
    try:
        world.sts.use_jwks_source(source)
        response = assume(world, role_arn, token)
        assume(world, role_arn, token)
    finally:
        source.close()
    assert response["Provider"] == provider
    assert response["Audience"] == "my-app"
    assert len(hits) == 2  # discovery + keys once; the second call used the cache


def tagged_token(world: World, cluster: Cluster, tags: Any) -> str:
    key = world.issuers.signing_key(cluster.issuer)
    _, claims = parts(cluster.token())
    claims["https://aws.amazon.com/tags"] = tags
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key.joserfc_key(), default_type=None)


def test_session_tags_from_the_token_need_tag_session(world: World, cluster: Cluster) -> None:
    tags = {"principal_tags": {"team": ["blue"], "env": ["dev"]}, "transitive_tag_keys": ["team"]}
    plain = cluster.role("plain")
    with pytest.raises(AccessDenied) as err:
        assume(world, plain, tagged_token(world, cluster, tags))
    assert "sts:TagSession" in err.value.message
    tagging = world.role(
        "tagging",
        trust(
            {"Federated": cluster.provider_arn},
            ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            Condition={"StringEquals": {f"{cluster.host}:sub": SA_SUB, "aws:RequestTag/team": "blue"}},
        ),
    )
    response = assume(world, tagging, tagged_token(world, cluster, tags))
    assert 0 < response["PackedPolicySize"] <= 100
    session = world.session(response)
    assert session.caller is not None and session.caller.session is not None
    assert session.caller.session["Tags"] == [
        {"Key": "team", "Value": "blue"},
        {"Key": "env", "Value": "dev"},
    ]
    assert session.caller.session["TransitiveTagKeys"] == ["team"]


@pytest.mark.parametrize(
    "tags", ["x", {"principal_tags": {"team": "blue"}}, {"principal_tags": {"t": ["a", "b"]}}]
)
def test_a_malformed_tags_claim_is_an_invalid_token(world: World, cluster: Cluster, tags: Any) -> None:
    with pytest.raises(InvalidIdentityToken):
        assume(world, cluster.role(), tagged_token(world, cluster, tags))


def test_a_source_identity_in_the_token_needs_set_source_identity(world: World, cluster: Cluster) -> None:
    key = world.issuers.signing_key(cluster.issuer)
    _, claims = parts(cluster.token())
    claims["https://aws.amazon.com/source_identity"] = "alice@example.com"
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key.joserfc_key(), default_type=None)
    with pytest.raises(AccessDenied):
        assume(world, cluster.role("plain"), token)
    allowed = world.role(
        "with-source",
        trust(
            {"Federated": cluster.provider_arn},
            ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"],
            Condition={"StringEquals": {"sts:SourceIdentity": "alice@example.com"}},
        ),
    )
    response = assume(world, allowed, token)
    assert response["SourceIdentity"] == "alice@example.com"
    session = world.session(response)
    assert session.caller is not None and session.caller.session is not None
    assert session.caller.session["SourceIdentity"] == "alice@example.com"


def test_conditions_on_azp_and_amr_read_the_tokens_claims(world: World) -> None:
    """IAM User Guide, "Available keys for AWS OIDC federation": ``<provider>:azp`` and
    ``<provider>:amr`` hold the claims of the same names when the token carries them."""
    cluster = Cluster(world, "web", audience="web-client")
    role_arn = cluster.role(
        condition={
            "StringEquals": {f"{cluster.host}:azp": "web-client"},
            "ForAnyValue:StringEquals": {f"{cluster.host}:amr": "mfa"},
        }
    )
    key = world.issuers.signing_key(cluster.issuer)

    def token(**extra: Any) -> str:
        _, claims = parts(cluster.token(audiences=["web-client"]))
        claims.update(extra)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key.joserfc_key(), default_type=None)

    response = assume(world, role_arn, token(azp="web-client", amr=["pwd", "mfa"]))
    assert response["Audience"] == "web-client"
    with pytest.raises(AccessDenied):
        assume(world, role_arn, token(azp="web-client", amr=["pwd"]))
    with pytest.raises(AccessDenied):  # neither claim: the conditions have no key to read
        assume(world, role_arn, token())
