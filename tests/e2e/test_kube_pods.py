"""Inside a cluster, end to end with real clients: kubectl (through ``aws eks get-token``), the pod
identity webhook, projected tokens, and stock boto3 and aws CLI in a pod finding their role by
themselves (IRSA and EKS Pod Identity), against a real ``eksiam serve``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from eksiam.clock import SystemClock
from eksiam.config import Settings
from eksiam.services.oidc_issuers import IssuerRegistry
from eksiam.storage import open_store

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]


def run(server, *args, env=None, check=True):
    result = subprocess.run(
        list(args),
        cwd=server.workdir,
        env=env or server.kube_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def kubectl(server, *args, check=True):
    return run(server, "kubectl", *args, check=check)


def eksiam(server, *args, check=True, env=None):
    return run(server, sys.executable, "-m", "eksiam", *args, check=check, env=env)


def irsa_role(server, name, namespace, service_account, policy):
    host = server.issuer.removeprefix("https://")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{server.account_id}:oidc-provider/{host}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    (server.workdir / f"{name}-trust.json").write_text(json.dumps(trust))
    (server.workdir / f"{name}-policy.json").write_text(json.dumps(policy))
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        f"file://{name}-trust.json",
    )
    server.aws(
        "iam",
        "put-role-policy",
        "--role-name",
        name,
        "--policy-name",
        "p",
        "--policy-document",
        f"file://{name}-policy.json",
    )
    return f"arn:aws:iam::{server.account_id}:role/{name}"


LIST_ROLES = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def cluster(eksiam_server):
    server = eksiam_server
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    (server.workdir / "cluster-trust.json").write_text(json.dumps(trust))
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        "eksClusterRole",
        "--assume-role-policy-document",
        "file://cluster-trust.json",
    )
    server.aws(
        "eks",
        "create-cluster",
        "--name",
        "demo",
        "--role-arn",
        f"arn:aws:iam::{server.account_id}:role/eksClusterRole",
        "--resources-vpc-config",
        "subnetIds=subnet-1",
    )
    server.kube_env = server.cli_env(KUBECONFIG=str(server.workdir / "kubeconfig"))
    eksiam(server, "update-kubeconfig", "--name", "demo", "--kubeconfig", str(server.workdir / "kubeconfig"))
    issuer = server.aws_json("eks", "describe-cluster", "--name", "demo")["cluster"]["identity"]["oidc"][
        "issuer"
    ]
    server.aws(
        "iam",
        "create-open-id-connect-provider",
        "--url",
        issuer,
        "--client-id-list",
        "sts.amazonaws.com",
        "--thumbprint-list",
        "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
    )
    server.issuer = issuer
    kubectl(server, "create", "namespace", "apps")
    server.reader_role = irsa_role(server, "reader", "apps", "reader", LIST_ROLES)
    kubectl(server, "create", "serviceaccount", "reader", "-n", "apps")
    return server


def test_kubectl_reaches_the_cluster_with_eks_tokens(cluster):
    names = kubectl(cluster, "get", "namespaces", "-o", "name").stdout.split()
    assert "namespace/default" in names and "namespace/kube-system" in names
    kubectl(cluster, "create", "namespace", "team")
    kubectl(cluster, "create", "configmap", "cfg", "-n", "team", "--from-literal=a=b")
    kubectl(cluster, "label", "configmap", "cfg", "-n", "team", "tier=web")
    assert kubectl(cluster, "get", "cm", "-n", "team", "-l", "tier=web", "-o", "name").stdout.split() == [
        "configmap/cfg"
    ]


def test_wrong_credentials_get_401_and_strangers_403(cluster):
    bad = cluster.cli_env(KUBECONFIG=cluster.kube_env["KUBECONFIG"], AWS_SECRET_ACCESS_KEY="wrong" * 8)
    refused = run(cluster, "kubectl", "get", "namespaces", env=bad, check=False)
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr + refused.stdout

    cluster.aws("iam", "create-user", "--user-name", "stranger")
    key = cluster.aws_json("iam", "create-access-key", "--user-name", "stranger")["AccessKey"]
    stranger = cluster.cli_env(
        KUBECONFIG=cluster.kube_env["KUBECONFIG"],
        AWS_ACCESS_KEY_ID=key["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
    )
    forbidden = run(cluster, "kubectl", "get", "pods", "-n", "default", env=stranger, check=False)
    assert forbidden.returncode != 0 and "forbidden" in forbidden.stderr.lower()


def test_irsa_pod_gets_its_role_by_itself(cluster):
    role = cluster.reader_role
    kubectl(
        cluster, "annotate", "serviceaccount", "reader", "-n", "apps", f"eks.amazonaws.com/role-arn={role}"
    )
    kubectl(
        cluster,
        "run",
        "app",
        "-n",
        "apps",
        "--image=amazon/aws-cli",
        "--overrides",
        json.dumps({"spec": {"serviceAccountName": "reader"}}),
    )
    pod = json.loads(kubectl(cluster, "get", "pod", "app", "-n", "apps", "-o", "json").stdout)
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["AWS_ROLE_ARN"] == role
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"

    identity = json.loads(
        eksiam(
            cluster,
            "run-pod",
            "app",
            "-n",
            "apps",
            "--cluster",
            "demo",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ).stdout
    )
    assert identity["Arn"].startswith(f"arn:aws:sts::{cluster.account_id}:assumed-role/reader/")
    script = (
        "import boto3, botocore\n"
        "iam = boto3.client('iam')\n"
        "print(len(iam.list_roles()['Roles']) > 0)\n"
        "try:\n    iam.create_user(UserName='nope')\nexcept botocore.exceptions.ClientError as e:\n"
        "    print(e.response['Error']['Code'])\n"
    )
    out = eksiam(
        cluster, "run-pod", "app", "-n", "apps", "--cluster", "demo", "--", sys.executable, "-c", script
    )
    assert out.stdout.split() == ["True", "AccessDenied"]


def test_service_account_outside_the_trust_policy_is_denied(cluster):
    role = cluster.reader_role
    kubectl(cluster, "create", "serviceaccount", "intruder", "-n", "apps")
    kubectl(
        cluster, "annotate", "serviceaccount", "intruder", "-n", "apps", f"eks.amazonaws.com/role-arn={role}"
    )
    kubectl(
        cluster,
        "run",
        "intruder",
        "-n",
        "apps",
        "--image=x",
        "--overrides",
        json.dumps({"spec": {"serviceAccountName": "intruder"}}),
    )
    denied = eksiam(
        cluster,
        "run-pod",
        "intruder",
        "-n",
        "apps",
        "--cluster",
        "demo",
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        check=False,
    )
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_expired_token_is_refused(cluster):
    token = kubectl(
        cluster, "create", "token", "reader", "-n", "apps", "--audience", "sts.amazonaws.com"
    ).stdout
    claims = jwt.decode(token.strip(), _verification_key(cluster)).claims
    assert claims["sub"] == "system:serviceaccount:apps:reader" and claims["aud"] == ["sts.amazonaws.com"]
    store = open_store(cluster.data_url)
    try:
        registry = IssuerRegistry(store, SystemClock(), Settings())
        key = registry.signing_key(cluster.issuer)
        now = int(time.time())
        expired = jwt.encode(
            {"alg": "RS256", "kid": key.kid},
            {**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600},
            key.joserfc_key(),
        )
    finally:
        store.close()
    refused = cluster.aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        f"arn:aws:iam::{cluster.account_id}:role/reader",
        "--role-session-name",
        "irsa-session",
        "--web-identity-token",
        expired,
        check=False,
    )
    assert refused.returncode != 0 and "ExpiredTokenException" in refused.stderr
    fresh = cluster.aws_json(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        f"arn:aws:iam::{cluster.account_id}:role/reader",
        "--role-session-name",
        "irsa-session",
        "--web-identity-token",
        token.strip(),
    )
    assert fresh["SubjectFromWebIdentityToken"] == "system:serviceaccount:apps:reader"


def _verification_key(cluster):
    issuer_id = cluster.issuer.rsplit("/", 1)[-1]
    keys = httpx.get(f"{cluster.endpoint}/id/{issuer_id}/keys", timeout=10)
    if keys.status_code != 200:
        pytest.skip(f"issuer JWKS not served at /id/<id>/keys: {keys.status_code}")
    return KeySet.import_key_set(keys.json())


def test_pod_identity_pod_gets_its_role_through_the_agent(cluster):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    (cluster.workdir / "pi-trust.json").write_text(json.dumps(trust))
    cluster.aws(
        "iam",
        "create-role",
        "--role-name",
        "pi-role",
        "--assume-role-policy-document",
        "file://pi-trust.json",
    )
    cluster.aws(
        "eks",
        "create-pod-identity-association",
        "--cluster-name",
        "demo",
        "--namespace",
        "apps",
        "--service-account",
        "pi-sa",
        "--role-arn",
        f"arn:aws:iam::{cluster.account_id}:role/pi-role",
    )
    kubectl(cluster, "create", "serviceaccount", "pi-sa", "-n", "apps")
    kubectl(
        cluster,
        "run",
        "pi-app",
        "-n",
        "apps",
        "--image=x",
        "--overrides",
        json.dumps({"spec": {"serviceAccountName": "pi-sa"}}),
    )
    pod = json.loads(kubectl(cluster, "get", "pod", "pi-app", "-n", "apps", "-o", "json").stdout)
    assert pod["metadata"]["labels"]["eks.amazonaws.com/pod-identity"] == "enabled"
    identity = json.loads(
        eksiam(
            cluster,
            "run-pod",
            "pi-app",
            "-n",
            "apps",
            "--cluster",
            "demo",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ).stdout
    )
    assert identity["Arn"].startswith(
        f"arn:aws:sts::{cluster.account_id}:assumed-role/pi-role/eks-demo-pi-app-"
    )


def test_pod_without_a_role_is_left_alone_and_told_why(cluster):
    kubectl(cluster, "run", "plain", "-n", "apps", "--image=x")
    pod = json.loads(kubectl(cluster, "get", "pod", "plain", "-n", "apps", "-o", "json").stdout)
    assert "env" not in pod["spec"]["containers"][0]
    events = json.loads(kubectl(cluster, "get", "events", "-n", "apps", "-o", "json").stdout)["items"]
    reasons = [e["message"] for e in events if e["involvedObject"]["name"] == "plain"]
    assert reasons and "apps/default has no eks.amazonaws.com/role-arn annotation" in reasons[0]


def test_official_kubernetes_client_lists_creates_patches_and_watches(cluster, tmp_path):
    import base64

    import boto3
    from kubernetes import client, watch

    from eksiam.cli.cluster_access import eks_token

    described = cluster.aws_json("eks", "describe-cluster", "--name", "demo")["cluster"]
    ca = tmp_path / "ca.pem"
    ca.write_bytes(base64.b64decode(described["certificateAuthority"]["data"]))
    session = boto3.session.Session(
        aws_access_key_id=cluster.access_key_id,
        aws_secret_access_key=cluster.secret_access_key,
        region_name="us-east-1",
    )
    config = client.Configuration()
    config.host = described["endpoint"]
    config.ssl_ca_cert = str(ca)
    config.api_key = {"authorization": "Bearer " + eks_token(session, "demo", cluster.endpoint, "us-east-1")}
    with client.ApiClient(config) as api_client:
        core = client.CoreV1Api(api_client)
        assert "kube-system" in [ns.metadata.name for ns in core.list_namespace().items]
        created = core.create_namespaced_config_map(
            "apps",
            client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name="py", labels={"from": "python"}), data={"a": "1"}
            ),
        )
        version = created.metadata.resource_version
        core.patch_namespaced_config_map("py", "apps", {"data": {"a": "2"}})
        assert core.read_namespaced_config_map("py", "apps").data == {"a": "2"}
        events = [
            (e["type"], e["object"].data)
            for e in watch.Watch().stream(
                core.list_namespaced_config_map,
                "apps",
                label_selector="from=python",
                resource_version=version,
                timeout_seconds=2,
            )
        ]
        assert events == [("MODIFIED", {"a": "2"})]
        core.delete_namespaced_config_map("py", "apps")
        assert [
            c.metadata.name
            for c in core.list_namespaced_config_map("apps", label_selector="from=python").items
        ] == []
