"""The IRSA document's eksctl commands (seeds/003, "IAM Roles for Service Accounts" in the eksctl docs),
run as written with ``eksiam`` in place of ``eksctl`` against a real ``eksiam serve``; expectations come
from that document and irsa-and-eksctl.md section 2 (eksctl's names, tags, trust policy, messages)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from urllib.parse import unquote

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def run(server, *args, check=True):
    result = subprocess.run(
        list(args), cwd=server.workdir, env=server.kube_env, capture_output=True, text=True, timeout=180
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def eksiam(server, *args, check=True):
    return run(server, sys.executable, "-m", "eksiam", *args, check=check)


def kubectl(server, *args, check=True):
    return run(server, "kubectl", *args, check=check)


def service_account(server, namespace, name):
    result = kubectl(server, "get", "serviceaccount", name, "-n", namespace, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def role(server, name):
    iam = server.client("iam")
    found = iam.get_role(RoleName=name)["Role"]
    trust = found["AssumeRolePolicyDocument"]
    found["Trust"] = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    found["Attached"] = sorted(
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    )
    found["TagMap"] = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    return found


def role_exists(server, name):
    iam = server.client("iam")
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


@pytest.fixture(scope="module")
def cluster(eksiam_server):
    server = eksiam_server
    server.kube_env = server.cli_env(KUBECONFIG=str(server.workdir / "kubeconfig"))
    eksiam(server, "create", "cluster", "--name", "demo", "--without-nodegroup")
    described = server.client("eks").describe_cluster(name="demo")["cluster"]
    server.issuer = described["identity"]["oidc"]["issuer"]
    server.host_path = server.issuer.removeprefix("https://")
    return server


def test_create_cluster_makes_eksctls_cluster_role_and_a_kubeconfig(cluster):
    role_arn = cluster.client("eks").describe_cluster(name="demo")["cluster"]["roleArn"]
    name = role_arn.rsplit("/", 1)[1]
    assert re.fullmatch(r"eksctl-demo-cluster-ServiceRole-[A-Z0-9]{12,13}", name)
    found = role(cluster, name)
    statement = found["Trust"]["Statement"][0]
    assert statement["Principal"]["Service"] in (["eks.amazonaws.com"], "eks.amazonaws.com")
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert found["Attached"] == [
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController",
    ]
    assert found["TagMap"]["alpha.eksctl.io/cluster-name"] == "demo"
    assert "namespace/default" in kubectl(cluster, "get", "namespaces", "-o", "name").stdout.split()


def test_iamserviceaccount_needs_the_oidc_provider_first(cluster):
    result = eksiam(
        cluster,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=early",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
        check=False,
    )
    assert result.returncode == 1
    assert "no IAM OIDC provider associated with cluster" in result.stderr
    assert "Error: unable to create iamserviceaccount(s) without IAM OIDC provider enabled" in result.stderr
    assert service_account(cluster, "default", "early") is None


def test_associate_iam_oidc_provider_plans_then_creates(cluster):
    iam = cluster.client("iam")
    arn = f"arn:aws:iam::{cluster.account_id}:oidc-provider/{cluster.host_path}"
    planned = eksiam(cluster, "utils", "associate-iam-oidc-provider", "--cluster=demo")
    assert "no changes were applied, run again with '--approve' to apply the changes" in planned.stderr
    assert arn not in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]

    eksiam(cluster, "utils", "associate-iam-oidc-provider", "--cluster=demo", "--approve")
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert re.fullmatch(r"[0-9a-f]{40}", provider["ThumbprintList"][0])
    assert provider["Url"] == cluster.host_path
    tags = {t["Key"]: t["Value"] for t in provider["Tags"]}
    assert tags["alpha.eksctl.io/cluster-name"] == "demo" and "alpha.eksctl.io/eksctl-version" in tags

    again = eksiam(cluster, "utils", "associate-iam-oidc-provider", "--cluster=demo", "--approve")
    assert "already associated" in again.stderr


@pytest.fixture(scope="module")
def with_oidc(cluster):
    eksiam(cluster, "utils", "associate-iam-oidc-provider", "--cluster=demo", "--approve")
    return cluster


def test_documented_command_as_written_only_plans(with_oidc):
    result = eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=planned-only",
        f"--attach-policy-arn={S3_READ}",
    )
    assert "no changes were applied, run again with '--approve' to apply the changes" in result.stderr
    assert service_account(with_oidc, "default", "planned-only") is None
    assert "planned-only" not in eksiam(with_oidc, "get", "iamserviceaccount", "--cluster=demo").stdout


def test_s3_read_only_service_account_in_default_namespace(with_oidc):
    server = with_oidc
    eksiam(
        server,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=s3-read-only",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    sa = service_account(server, "default", "s3-read-only")
    assert sa["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "eksctl"
    role_arn = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    name = role_arn.rsplit("/", 1)[1]
    # CloudFormation's generated name: the stack name (cut to fit IAM's 64 characters), then a random suffix
    assert len(name) <= 64 and name.startswith("eksctl-demo-addon-iamserviceaccount-default-s3-")
    found = role(server, name)
    assert found["Attached"] == [S3_READ]
    assert found["Trust"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Federated": f"arn:aws:iam::{server.account_id}:oidc-provider/{server.host_path}"
                },
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": {
                    "StringEquals": {
                        f"{server.host_path}:sub": "system:serviceaccount:default:s3-read-only",
                        f"{server.host_path}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    assert found["TagMap"]["alpha.eksctl.io/iamserviceaccount-name"] == "default/s3-read-only"
    assert found["TagMap"]["alpha.eksctl.io/cluster-name"] == "demo"
    assert found["TagMap"]["eksctl.cluster.k8s.io/v1alpha1/cluster-name"] == "demo"

    table = eksiam(server, "get", "iamserviceaccount", "--cluster=demo").stdout
    assert re.search(r"NAMESPACE\s+NAME\s+ROLE ARN", table)
    assert re.search(rf"default\s+s3-read-only\s+{re.escape(role_arn)}", table)
    listed = json.loads(eksiam(server, "get", "iamserviceaccount", "--cluster=demo", "-o", "json").stdout)
    entry = next(e for e in listed if e["metadata"]["name"] == "s3-read-only")
    assert entry["status"]["roleARN"] == role_arn
    assert entry["status"]["stackName"] == "eksctl-demo-addon-iamserviceaccount-default-s3-read-only"


def test_other_namespace_is_created_if_missing(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=s3-read-only",
        "--namespace=s3-app",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    assert "namespace/s3-app" in kubectl(with_oidc, "get", "namespaces", "-o", "name").stdout.split()
    sa = service_account(with_oidc, "s3-app", "s3-read-only")
    name = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].rsplit("/", 1)[1]
    sub = role(with_oidc, name)["Trust"]["Statement"][0]["Condition"]["StringEquals"][
        f"{with_oidc.host_path}:sub"
    ]
    assert sub == "system:serviceaccount:s3-app:s3-read-only"


def test_tags_role_name_and_repeated_policies(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=tagged",
        "--tags",
        "Owner=John Doe,Team=Some Team",
        "--role-name",
        "custom-role-name",
        f"--attach-policy-arn={S3_READ}",
        f"--attach-policy-arn={READ_ONLY}",
        "--approve",
    )
    found = role(with_oidc, "custom-role-name")
    assert found["TagMap"]["Owner"] == "John Doe" and found["TagMap"]["Team"] == "Some Team"
    assert found["Attached"] == sorted([S3_READ, READ_ONLY])
    annotation = service_account(with_oidc, "default", "tagged")["metadata"]["annotations"]
    assert (
        annotation["eks.amazonaws.com/role-arn"]
        == f"arn:aws:iam::{with_oidc.account_id}:role/custom-role-name"
    )


def test_role_only_creates_no_service_account(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=helm-managed",
        "--role-only",
        "--role-name=helm-managed-role",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    assert role_exists(with_oidc, "helm-managed-role")
    assert service_account(with_oidc, "default", "helm-managed") is None


def test_attach_role_arn_uses_the_role_and_is_not_listed(with_oidc):
    arn = f"arn:aws:iam::{with_oidc.account_id}:role/already-created"
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=byo",
        f"--attach-role-arn={arn}",
        "--approve",
    )
    sa = service_account(with_oidc, "default", "byo")
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == arn
    assert "byo" not in eksiam(with_oidc, "get", "iamserviceaccount", "--cluster=demo").stdout


def test_existing_service_account_needs_override(with_oidc):
    kubectl(with_oidc, "create", "serviceaccount", "pre-existing")
    kubectl(with_oidc, "label", "serviceaccount", "pre-existing", "team=a")
    first = eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=pre-existing",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    assert "1 existing iamserviceaccount(s) (default/pre-existing) will be excluded" in first.stderr
    assert "eks.amazonaws.com/role-arn" not in (
        service_account(with_oidc, "default", "pre-existing")["metadata"].get("annotations") or {}
    )

    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=pre-existing",
        f"--attach-policy-arn={S3_READ}",
        "--override-existing-serviceaccounts",
        "--approve",
    )
    meta = service_account(with_oidc, "default", "pre-existing")["metadata"]
    assert meta["labels"]["team"] == "a" and meta["labels"]["app.kubernetes.io/managed-by"] == "eksctl"
    assert meta["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        f"arn:aws:iam::{with_oidc.account_id}:role/"
    )


def test_update_replaces_the_policy_set(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=updatable",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    arn = service_account(with_oidc, "default", "updatable")["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"
    ]
    eksiam(
        with_oidc,
        "update",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=updatable",
        f"--attach-policy-arn={READ_ONLY}",
        "--approve",
    )
    assert role(with_oidc, arn.rsplit("/", 1)[1])["Attached"] == [READ_ONLY]
    missing = eksiam(
        with_oidc,
        "update",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=nobody",
        f"--attach-policy-arn={READ_ONLY}",
        "--approve",
        check=False,
    )
    assert "cannot update IAMServiceAccount default/nobody as it does not exist" in missing.stderr


def test_delete_removes_role_and_the_service_account_it_created(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=short-lived",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    arn = service_account(with_oidc, "default", "short-lived")["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"
    ]
    eksiam(with_oidc, "delete", "iamserviceaccount", "--cluster=demo", "--name=short-lived")
    assert not role_exists(with_oidc, arn.rsplit("/", 1)[1])
    assert service_account(with_oidc, "default", "short-lived") is None
    assert "short-lived" not in eksiam(with_oidc, "get", "iamserviceaccount", "--cluster=demo").stdout


def test_delete_keeps_a_service_account_eksctl_did_not_create(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=foreign",
        "--role-only",
        f"--attach-policy-arn={S3_READ}",
        "--approve",
    )
    kubectl(with_oidc, "create", "serviceaccount", "foreign")
    result = eksiam(with_oidc, "delete", "iamserviceaccount", "--cluster=demo", "foreign")
    assert 'serviceaccount "default/foreign" was not created by eksctl; will not be deleted' in result.stderr
    assert service_account(with_oidc, "default", "foreign") is not None
    assert "foreign" not in eksiam(with_oidc, "get", "iamserviceaccount", "--cluster=demo").stdout


def test_pod_with_the_service_account_gets_the_role_through_webhook_and_sts(with_oidc):
    eksiam(
        with_oidc,
        "create",
        "iamserviceaccount",
        "--cluster=demo",
        "--name=reader",
        "--namespace=apps",
        f"--attach-policy-arn={READ_ONLY}",
        "--role-name=apps-reader",
        "--approve",
    )
    kubectl(
        with_oidc,
        "run",
        "app",
        "-n",
        "apps",
        "--image=amazon/aws-cli",
        "--overrides",
        json.dumps({"spec": {"serviceAccountName": "reader"}}),
    )
    pod = json.loads(kubectl(with_oidc, "get", "pod", "app", "-n", "apps", "-o", "json").stdout)
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["AWS_ROLE_ARN"] == f"arn:aws:iam::{with_oidc.account_id}:role/apps-reader"
    identity = json.loads(
        eksiam(
            with_oidc,
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
    assert identity["Arn"].startswith(f"arn:aws:sts::{with_oidc.account_id}:assumed-role/apps-reader/")
