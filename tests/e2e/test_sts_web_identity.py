"""IRSA end to end: a cluster issuer served over HTTP, a token from ``eksiam token``, boto3 (and the
SDK's own web identity credential provider) exchanging it for role credentials on the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from eksiam.clock import SystemClock
from eksiam.config import Settings
from eksiam.services.oidc_issuers import IssuerRegistry, issuer_id_of
from eksiam.storage import open_store

from .conftest import RunningServer

pytestmark = pytest.mark.e2e

SUB = "system:serviceaccount:apps:reader"


def create_issuer(server: RunningServer, cluster: str) -> str:
    store = open_store(server.data_url)
    try:
        return IssuerRegistry(store, SystemClock(), Settings()).create_issuer(
            server.account_id, server.region, cluster
        )
    finally:
        store.close()


def eksiam_token(server: RunningServer, cluster: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKSIAM_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "eksiam", "token", "--data", server.data_url, "--cluster", cluster, *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def irsa(eksiam_server: RunningServer) -> dict[str, Any]:
    issuer = create_issuer(eksiam_server, "e2e-irsa")
    host = issuer.removeprefix("https://")
    iam = eksiam_server.client("iam")
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:sub": SUB, f"{host}:aud": "sts.amazonaws.com"}},
            }
        ],
    }
    role = iam.create_role(RoleName="e2e-irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    return {"issuer": issuer, "provider": provider, "role": role}


def unsigned_sts(server: RunningServer) -> Any:
    return server.client("sts", config=Config(signature_version=UNSIGNED))


def test_the_issuer_documents_are_served_and_verify_the_token(
    eksiam_server: RunningServer, irsa: dict[str, Any]
) -> None:
    issuer_id = issuer_id_of(irsa["issuer"])
    base = f"{eksiam_server.endpoint}/id/{issuer_id}"
    discovery = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == irsa["issuer"]
    assert discovery["jwks_uri"] == irsa["issuer"] + "/keys"
    keys = httpx.get(f"{base}/keys").json()
    token = eksiam_token(eksiam_server, "e2e-irsa", "--namespace", "apps", "--service-account", "reader")
    claims = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"]).claims
    assert claims["sub"] == SUB
    assert httpx.get(f"{eksiam_server.endpoint}/id/{'0' * 32}/keys").status_code == 404


def test_boto3_exchanges_a_service_account_token_for_role_credentials(
    eksiam_server: RunningServer, irsa: dict[str, Any]
) -> None:
    token = eksiam_token(eksiam_server, "e2e-irsa", "--namespace", "apps", "--service-account", "reader")
    response = unsigned_sts(eksiam_server).assume_role_with_web_identity(
        RoleArn=irsa["role"]["Arn"], RoleSessionName="pod-1", WebIdentityToken=token, DurationSeconds=900
    )
    assert response["SubjectFromWebIdentityToken"] == SUB
    assert response["Audience"] == "sts.amazonaws.com"
    assert response["Provider"] == irsa["provider"]
    arn = f"arn:aws:sts::{eksiam_server.account_id}:assumed-role/e2e-irsa/pod-1"
    assert response["AssumedRoleUser"] == {"Arn": arn, "AssumedRoleId": f"{irsa['role']['RoleId']}:pod-1"}
    creds = response["Credentials"]
    session = eksiam_server.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert session.get_caller_identity()["Arn"] == arn


def test_the_sdk_web_identity_provider_works_as_in_a_pod(
    eksiam_server: RunningServer, irsa: dict[str, Any], tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(
        eksiam_token(eksiam_server, "e2e-irsa", "--namespace", "apps", "--service-account", "reader")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN=irsa["role"]["Arn"],
        AWS_ROLE_SESSION_NAME="sdk-session",
        AWS_ENDPOINT_URL=eksiam_server.endpoint,
        AWS_REGION=eksiam_server.region,
        AWS_DEFAULT_REGION=eksiam_server.region,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"arn:aws:sts::{eksiam_server.account_id}:assumed-role/e2e-irsa/sdk-session"


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        (("--namespace", "apps", "--service-account", "writer"), "AccessDenied", 403),
        (
            ("--namespace", "apps", "--service-account", "reader", "--audience", "other"),
            "InvalidIdentityToken",
            400,
        ),
    ],
)
def test_refusals_arrive_as_aws_errors(
    eksiam_server: RunningServer, irsa: dict[str, Any], args: tuple[str, ...], code: str, status: int
) -> None:
    token = eksiam_token(eksiam_server, "e2e-irsa", *args)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        unsigned_sts(eksiam_server).assume_role_with_web_identity(
            RoleArn=irsa["role"]["Arn"], RoleSessionName="pod-1", WebIdentityToken=token
        )
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_tampered_token_is_refused_on_the_wire(eksiam_server: RunningServer, irsa: dict[str, Any]) -> None:
    header, payload, signature = eksiam_token(
        eksiam_server, "e2e-irsa", "--namespace", "apps", "--service-account", "reader"
    ).split(".")
    forged = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        unsigned_sts(eksiam_server).assume_role_with_web_identity(
            RoleArn=irsa["role"]["Arn"], RoleSessionName="pod-1", WebIdentityToken=forged
        )
    assert err.value.response["Error"]["Code"] == "InvalidIdentityToken"


def test_an_external_identity_provider_is_read_over_http(eksiam_server: RunningServer) -> None:
    key = ECKey.generate_key("P-256", private=True)
    state: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            docs = {
                "/.well-known/openid-configuration": {
                    "issuer": state["url"],
                    "jwks_uri": state["url"] + "/jwks",
                },
                "/jwks": {
                    "keys": [{**key.as_dict(private=False), "kid": "ci-1", "use": "sig", "alg": "ES256"}]
                },
            }
            body = json.dumps(docs.get(self.path, {})).encode()
            self.send_response(200 if self.path in docs else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    idp = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{idp.server_address[1]}"
    thread = threading.Thread(target=idp.serve_forever, daemon=True)
    thread.start()
    try:
        host = state["url"].removeprefix("http://")
        iam = eksiam_server.client("iam")
        provider = iam.create_open_id_connect_provider(
            Url=f"https://{host}", ClientIDList=["ci"], ThumbprintList=["9" * 40]
        )["OpenIDConnectProviderArn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {f"{host}:sub": "repo:org/*"}},
                }
            ],
        }
        role = iam.create_role(RoleName="e2e-ci", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        now = int(time.time())
        claims = {"iss": state["url"], "sub": "repo:org/app", "aud": "ci", "iat": now, "exp": now + 600}
        token = jwt.encode({"alg": "ES256", "kid": "ci-1"}, claims, key, algorithms=["ES256"])
        response = unsigned_sts(eksiam_server).assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName="ci-run", WebIdentityToken=token
        )
        assert response["Provider"] == provider
        assert response["SubjectFromWebIdentityToken"] == "repo:org/app"
    finally:
        idp.shutdown()
        idp.server_close()
        thread.join()


def test_irsa_for_a_cluster_created_through_the_eks_api(eksiam_server: RunningServer) -> None:
    iam = eksiam_server.client("iam")
    eks_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    cluster_role = iam.create_role(RoleName="e2e-eks-cluster", AssumeRolePolicyDocument=json.dumps(eks_trust))
    iam.attach_role_policy(
        RoleName="e2e-eks-cluster", PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    eks = eksiam_server.client("eks")
    eks.create_cluster(
        name="e2e-eks",
        roleArn=cluster_role["Role"]["Arn"],
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
    )
    issuer = eks.describe_cluster(name="e2e-eks")["cluster"]["identity"]["oidc"]["issuer"]
    assert issuer_id_of(issuer) is not None
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    host = issuer.removeprefix("https://")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:sub": "system:serviceaccount:default:app"}},
            }
        ],
    }
    role = iam.create_role(RoleName="e2e-eks-irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    token = eksiam_token(eksiam_server, "e2e-eks", "--namespace", "default", "--service-account", "app")
    response = unsigned_sts(eksiam_server).assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="app", WebIdentityToken=token
    )
    assert response["AssumedRoleUser"]["Arn"].endswith(":assumed-role/e2e-eks-irsa/app")
