"""``create|get|delete podidentityassociation``, ``--subject-pattern``, config-file ``wellKnownPolicies``
and the commands' failures, against a real server. Expectations: irsa-and-eksctl.md 2.2, 2.6, 2.7, 5.1."""

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

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def run(server, *args, check=True, env=None):
    result = subprocess.run(
        list(args),
        cwd=server.workdir,
        env=env or server.kube_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def eksiam(server, *args, check=True, env=None):
    return run(server, sys.executable, "-m", "eksiam", *args, check=check, env=env)


def document(value):
    return json.loads(unquote(value)) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def cluster(eksiam_server):
    server = eksiam_server
    server.kube_env = server.cli_env(KUBECONFIG=str(server.workdir / "kubeconfig"))
    eksiam(server, "create", "cluster", "--name", "pid", "--with-oidc", "--without-nodegroup")
    return server


def test_with_oidc_creates_the_provider_and_the_aws_node_role(cluster):
    issuer = cluster.client("eks").describe_cluster(name="pid")["cluster"]["identity"]["oidc"]["issuer"]
    arn = f"arn:aws:iam::{cluster.account_id}:oidc-provider/{issuer.removeprefix('https://')}"
    assert cluster.client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=arn)[
        "ClientIDList"
    ] == ["sts.amazonaws.com"]
    listed = json.loads(eksiam(cluster, "get", "iamserviceaccount", "--cluster=pid", "-o", "json").stdout)
    assert [(e["metadata"]["namespace"], e["metadata"]["name"]) for e in listed] == [
        ("kube-system", "aws-node")
    ]


def test_pod_identity_association_round_trip(cluster):
    eksiam(
        cluster,
        "create",
        "podidentityassociation",
        "--cluster=pid",
        "--namespace=apps",
        "--service-account-name=worker",
        f"--permission-policy-arns={READ_ONLY}",
        "--create-service-account",
    )
    found = json.loads(eksiam(cluster, "get", "podidentityassociation", "--cluster=pid", "-o", "json").stdout)
    assert [(a["namespace"], a["serviceAccount"]) for a in found] == [("apps", "worker")]
    role_arn = found[0]["roleArn"]
    role_name = role_arn.rsplit("/", 1)[1]
    assert role_name.startswith("eksctl-pid-podidentityrole-apps-worker")
    iam = cluster.client("iam")
    trust = document(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"])
    statement = trust["Statement"][0]
    assert statement["Principal"]["Service"] in (["pods.eks.amazonaws.com"], "pods.eks.amazonaws.com")
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role_name)["Tags"]}
    assert tags["alpha.eksctl.io/podidentityassociation-name"] == "apps/worker"
    table = eksiam(cluster, "get", "podidentityassociation", "--cluster=pid").stdout
    assert re.search(r"ASSOCIATION ARN\s+NAMESPACE\s+SERVICE ACCOUNT NAME\s+IAM ROLE ARN", table)

    run(
        cluster,
        "kubectl",
        "run",
        "job",
        "-n",
        "apps",
        "--image=x",
        "--overrides",
        json.dumps({"spec": {"serviceAccountName": "worker"}}),
    )
    identity = json.loads(
        eksiam(
            cluster,
            "run-pod",
            "job",
            "-n",
            "apps",
            "--cluster",
            "pid",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ).stdout
    )
    assert identity["Arn"].startswith(f"arn:aws:sts::{cluster.account_id}:assumed-role/{role_name}/")

    eksiam(
        cluster,
        "delete",
        "podidentityassociation",
        "--cluster=pid",
        "--namespace=apps",
        "--service-account-name=worker",
    )
    assert (
        json.loads(eksiam(cluster, "get", "podidentityassociation", "--cluster=pid", "-o", "json").stdout)
        == []
    )
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=role_name)


def test_subject_pattern_trusts_matching_service_accounts(cluster):
    eksiam(
        cluster,
        "create",
        "iamserviceaccount",
        "--cluster=pid",
        "--name=batch",
        "--namespace=jobs",
        "--subject-pattern=batch-*",
        "--role-only",
        "--role-name=batch-jobs",
        f"--attach-policy-arn={READ_ONLY}",
        "--approve",
    )
    condition = document(
        cluster.client("iam").get_role(RoleName="batch-jobs")["Role"]["AssumeRolePolicyDocument"]
    )["Statement"][0]["Condition"]
    (host_path,) = {key.rsplit(":", 1)[0] for block in condition.values() for key in block}
    assert condition == {
        "StringEquals": {f"{host_path}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host_path}:sub": "system:serviceaccount:jobs:batch-*"},
    }


def test_well_known_policies_and_inline_policy_from_a_config_file(cluster):
    (cluster.workdir / "known.yaml").write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: pid, region: us-east-1}\n"
        "iam:\n  withOIDC: true\n  serviceAccounts:\n"
        "  - metadata: {name: dns, namespace: kube-system}\n    roleName: pid-dns\n    roleOnly: true\n"
        "    wellKnownPolicies: {externalDNS: true, ebsCSIController: true}\n"
        "    attachPolicy:\n      Version: '2012-10-17'\n      Statement:\n"
        "      - {Effect: Allow, Action: 's3:GetObject', Resource: '*'}\n"
    )
    eksiam(cluster, "create", "iamserviceaccount", "-f", "known.yaml", "--approve")
    iam = cluster.client("iam")
    stack = "eksctl-pid-addon-iamserviceaccount-kube-system-dns"
    assert sorted(iam.list_role_policies(RoleName="pid-dns")["PolicyNames"]) == [
        f"{stack}-Policy1",
        f"{stack}-PolicyExternalDNSChangeSet",
        f"{stack}-PolicyExternalDNSHostedZones",
    ]
    attached = [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="pid-dns")["AttachedPolicies"]
    ]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    change_set = document(
        iam.get_role_policy(RoleName="pid-dns", PolicyName=f"{stack}-PolicyExternalDNSChangeSet")[
            "PolicyDocument"
        ]
    )
    assert change_set["Statement"][0]["Resource"] == "arn:aws:route53:::hostedzone/*"


def test_failures_say_what_went_wrong_and_what_to_do(cluster):
    missing = eksiam(cluster, "get", "iamserviceaccount", "--cluster=nope", check=False)
    assert missing.returncode == 1 and 'Error: cluster "nope" not found' in missing.stderr
    assert "Hint:" in missing.stderr and "Traceback" not in missing.stderr
    unreachable = eksiam(
        cluster, "get", "iamserviceaccount", "--cluster=pid", "--endpoint-url=http://127.0.0.1:9", check=False
    )
    assert unreachable.returncode == 1 and "cannot reach the eksiam server" in unreachable.stderr
    stranger = cluster.client("iam")
    stranger.create_user(UserName="nobody")
    key = stranger.create_access_key(UserName="nobody")["AccessKey"]
    env = cluster.cli_env(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    denied = eksiam(cluster, "get", "iamserviceaccount", "--cluster=pid", check=False, env=env)
    assert denied.returncode == 1 and "AccessDenied" in denied.stderr and "Traceback" not in denied.stderr


def test_names_too_long_for_iam_fail_cleanly(cluster):
    """eksctl issues #4242/#5614: with long names the inline policy name (stack name + suffix) passes IAM's
    128 characters, creation fails and CloudFormation rolls back; nothing is left and no SA is made."""
    name = "a" * 70
    (cluster.workdir / "long.yaml").write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: pid, region: us-east-1}\n"
        f"iam:\n  withOIDC: true\n  serviceAccounts:\n  - metadata: {{name: {name}}}\n"
        "    wellKnownPolicies: {autoScaler: true}\n"
    )
    failed = eksiam(cluster, "create", "iamserviceaccount", "-f", "long.yaml", "--approve", check=False)
    assert failed.returncode == 1 and "Error: failed to create iamserviceaccount(s)" in failed.stderr
    assert "Traceback" not in failed.stderr
    listed = json.loads(eksiam(cluster, "get", "iamserviceaccount", "--cluster=pid", "-o", "json").stdout)
    assert name not in [e["metadata"]["name"] for e in listed]
    roles = cluster.client("iam").list_roles()["Roles"]
    assert not [r for r in roles if "iamserviceaccount-default-aaaa" in r["RoleName"]]
    result = run(cluster, "kubectl", "get", "serviceaccount", name, check=False)
    assert result.returncode != 0


def test_delete_with_wait_removes_the_stack(cluster):
    eksiam(
        cluster,
        "create",
        "iamserviceaccount",
        "--cluster=pid",
        "--name=waited",
        f"--attach-policy-arn={READ_ONLY}",
        "--role-name=pid-waited",
        "--approve",
    )
    eksiam(cluster, "delete", "iamserviceaccount", "--cluster=pid", "--name=waited", "--wait")
    stacks = cluster.client("cloudformation").describe_stacks()["Stacks"]
    assert "eksctl-pid-addon-iamserviceaccount-default-waited" not in [s["StackName"] for s in stacks]
    iam = cluster.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="pid-waited")
