"""The IRSA document's example ClusterConfig (seeds/003) with the keys the page drops restored
(``apiVersion``, ``metadata``, ``iam``, ``serviceAccounts``, ``attachPolicyARNs``, ``tags``,
``wellKnownPolicies``, ``nodeGroups``), used with ``eksiam create cluster -f`` and the documented
``--config-file`` commands against a real server.
Expectations: the document and irsa-and-eksctl.md 2.2-2.7."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from urllib.parse import unquote

import pytest
import yaml

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

EXAMPLE = """\
# An example of ClusterConfig with IAMServiceAccounts:
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig

metadata:
  name: cluster-13
  region: us-west-2

iam:
  withOIDC: true
  serviceAccounts:
  - metadata:
      name: s3-reader
      # if no namespace is set, "default" will be used;
      # the namespace will be created if it doesn't exist already
      namespace: backend-apps
      labels: {aws-usage: "application"}
    attachPolicyARNs:
    - "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    tags:
      Owner: "John Doe"
      Team: "Some Team"
  - metadata:
      name: cache-access
      namespace: backend-apps
      labels: {aws-usage: "application"}
    attachPolicyARNs:
    - "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    - "arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess"
  - metadata:
      name: cluster-autoscaler
      namespace: kube-system
      labels: {aws-usage: "cluster-ops"}
    wellKnownPolicies:
      autoScaler: true
    roleName: eksctl-cluster-autoscaler-role
    roleOnly: true
  - metadata:
      name: some-app
      namespace: default
    attachRoleARN: arn:aws:iam::123:role/already-created-role-for-app
nodeGroups:
  - name: "ng-1"
    tags:
      # EC2 tags required for cluster-autoscaler auto-discovery
      k8s.io/cluster-autoscaler/enabled: "true"
      k8s.io/cluster-autoscaler/cluster-13: "owned"
    desiredCapacity: 1
"""
REGION = "us-west-2"


def run(server, *args, check=True):
    result = subprocess.run(
        list(args), cwd=server.workdir, env=server.kube_env, capture_output=True, text=True, timeout=180
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def eksiam(server, *args, check=True):
    return run(server, sys.executable, "-m", "eksiam", *args, check=check)


def service_account(server, namespace, name):
    result = run(server, "kubectl", "get", "serviceaccount", name, "-n", namespace, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def attached(server, role_name):
    policies = server.client("iam").list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    return sorted(p["PolicyArn"] for p in policies)


def listed(server):
    out = eksiam(
        server, "get", "iamserviceaccount", "--cluster=cluster-13", f"--region={REGION}", "-o", "json"
    )
    return {f"{e['metadata']['namespace']}/{e['metadata']['name']}": e for e in json.loads(out.stdout)}


@pytest.fixture(scope="module")
def cluster(eksiam_server):
    server = eksiam_server
    server.kube_env = server.cli_env(KUBECONFIG=str(server.workdir / "kubeconfig"))
    (server.workdir / "cluster.yaml").write_text(EXAMPLE)
    server.created = eksiam(server, "create", "cluster", "-f", "cluster.yaml")
    return server


def test_cluster_is_created_in_the_files_region(cluster):
    eks = cluster.client("eks", region_name=REGION)
    assert eks.describe_cluster(name="cluster-13")["cluster"]["status"] == "ACTIVE"
    assert "cluster-13" not in cluster.client("eks").list_clusters()["clusters"]


def test_service_accounts_are_annotated_and_labelled(cluster):
    for name in ("s3-reader", "cache-access"):
        meta = service_account(cluster, "backend-apps", name)["metadata"]
        assert meta["labels"] == {"aws-usage": "application", "app.kubernetes.io/managed-by": "eksctl"}
        assert meta["annotations"]["eks.amazonaws.com/role-arn"].startswith(
            f"arn:aws:iam::{cluster.account_id}:role/"
        )
    s3_role = service_account(cluster, "backend-apps", "s3-reader")["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"
    ]
    role_name = s3_role.rsplit("/", 1)[1]
    tags = {t["Key"]: t["Value"] for t in cluster.client("iam").list_role_tags(RoleName=role_name)["Tags"]}
    assert tags["Owner"] == "John Doe" and tags["Team"] == "Some Team"
    assert tags["alpha.eksctl.io/iamserviceaccount-name"] == "backend-apps/s3-reader"
    assert attached(cluster, role_name) == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    cache_role = service_account(cluster, "backend-apps", "cache-access")["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"
    ]
    assert attached(cluster, cache_role.rsplit("/", 1)[1]) == [
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess",
    ]


def test_role_only_autoscaler_gets_the_well_known_inline_policy_and_no_service_account(cluster):
    iam = cluster.client("iam")
    names = iam.list_role_policies(RoleName="eksctl-cluster-autoscaler-role")["PolicyNames"]
    stack = "eksctl-cluster-13-addon-iamserviceaccount-kube-system-cluster-autoscaler"
    assert names == [f"{stack}-PolicyAutoScaling"]
    document = iam.get_role_policy(RoleName="eksctl-cluster-autoscaler-role", PolicyName=names[0])[
        "PolicyDocument"
    ]
    document = json.loads(unquote(document)) if isinstance(document, str) else document
    actions = {a for s in document["Statement"] for a in s["Action"]}
    assert {"autoscaling:SetDesiredCapacity", "eks:DescribeNodegroup", "autoscaling:DescribeTags"} <= actions
    assert service_account(cluster, "kube-system", "cluster-autoscaler") is None


def test_attach_role_arn_service_account_uses_that_role(cluster):
    meta = service_account(cluster, "default", "some-app")["metadata"]
    assert (
        meta["annotations"]["eks.amazonaws.com/role-arn"]
        == "arn:aws:iam::123:role/already-created-role-for-app"
    )


def test_get_lists_stacks_only_including_the_implicit_aws_node(cluster):
    found = listed(cluster)
    assert set(found) == {
        "backend-apps/s3-reader",
        "backend-apps/cache-access",
        "kube-system/cluster-autoscaler",
        "kube-system/aws-node",
    }
    aws_node = found["kube-system/aws-node"]["status"]["roleARN"].rsplit("/", 1)[1]
    assert attached(cluster, aws_node) == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]


def test_self_managed_node_group_role_has_eksctls_default_policies(cluster):
    iam = cluster.client("iam")
    roles = [
        r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("eksctl-cluster-13-nodegroup-ng-1")
    ]
    assert len(roles) == 1
    name = roles[0]["RoleName"]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"]["Service"] in (["ec2.amazonaws.com"], "ec2.amazonaws.com")
    # withOIDC is on, so AmazonEKS_CNI_Policy goes to aws-node's role instead of the nodes
    assert attached(cluster, name) == sorted(
        f"arn:aws:iam::aws:policy/{p}"
        for p in (
            "AmazonEKSWorkerNodePolicy",
            "AmazonSSMManagedInstanceCore",
            "AmazonEC2ContainerRegistryPullOnly",
        )
    )
    assert iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]
    entries = cluster.client("eks", region_name=REGION).list_access_entries(clusterName="cluster-13")[
        "accessEntries"
    ]
    assert roles[0]["Arn"] in entries  # self-managed nodes join through an EC2_LINUX access entry


def test_documented_follow_up_commands_find_everything_in_place(cluster):
    again = eksiam(cluster, "utils", "associate-iam-oidc-provider", "--config-file=cluster.yaml")
    assert "already associated" in again.stderr
    existing = eksiam(cluster, "create", "iamserviceaccount", "--config-file=cluster.yaml", "--approve")
    assert "existing iamserviceaccount(s)" in existing.stderr and "will be excluded" in existing.stderr
    clash = eksiam(
        cluster,
        "create",
        "iamserviceaccount",
        "--config-file=cluster.yaml",
        "--include",
        "backend-apps/s3-reader",
        check=False,
    )
    assert clash.returncode == 1
    assert (
        'existing iamserviceaccount "backend-apps/s3-reader" should be excluded, but matches include filter'
        in clash.stderr
    )


def test_update_with_config_file_sets_the_complete_policy_set(cluster):
    updated = EXAMPLE.replace(
        '    - "arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess"\n',
        '    - "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"\n',
    )
    (cluster.workdir / "updated.yaml").write_text(updated)
    planned = eksiam(cluster, "update", "iamserviceaccount", "-f", "updated.yaml", "--include=*/cache-access")
    assert "no changes were applied" in planned.stderr
    eksiam(
        cluster, "update", "iamserviceaccount", "-f", "updated.yaml", "--include=*/cache-access", "--approve"
    )
    out = eksiam(
        cluster, "get", "iamserviceaccount", "--cluster=cluster-13", f"--region={REGION}", "-o", "yaml"
    )
    entries = {e["metadata"]["name"]: e for e in yaml.safe_load(out.stdout)}
    role_name = entries["cache-access"]["status"]["roleARN"].rsplit("/", 1)[1]
    assert attached(cluster, role_name) == [
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ]
    s3_role = entries["s3-reader"]["status"]["roleARN"].rsplit("/", 1)[1]
    assert attached(cluster, s3_role) == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]


def test_delete_with_config_file_plans_then_deletes_the_included_ones(cluster):
    planned = eksiam(
        cluster, "delete", "iamserviceaccount", "--config-file=cluster.yaml", "--include=backend-apps/*"
    )
    assert "no changes were applied" in planned.stderr
    assert "backend-apps/s3-reader" in listed(cluster)
    eksiam(
        cluster,
        "delete",
        "iamserviceaccount",
        "--config-file=cluster.yaml",
        "--include=backend-apps/*",
        "--approve",
    )
    remaining = listed(cluster)
    assert "backend-apps/s3-reader" not in remaining and "backend-apps/cache-access" not in remaining
    assert service_account(cluster, "backend-apps", "s3-reader") is None
    assert "kube-system/cluster-autoscaler" in remaining


def test_only_missing_deletes_what_the_file_no_longer_declares(cluster):
    eksiam(
        cluster, "delete", "iamserviceaccount", "--config-file=cluster.yaml", "--only-missing", "--approve"
    )
    assert {"kube-system/cluster-autoscaler", "kube-system/aws-node"} <= set(listed(cluster))
    trimmed = EXAMPLE.replace("    roleName: eksctl-cluster-autoscaler-role\n", "").split(
        "  - metadata:\n      name: cluster-autoscaler"
    )[0]
    (cluster.workdir / "trimmed.yaml").write_text(trimmed)
    eksiam(
        cluster, "delete", "iamserviceaccount", "--config-file=trimmed.yaml", "--only-missing", "--approve"
    )
    remaining = set(listed(cluster))
    assert "kube-system/cluster-autoscaler" not in remaining and "kube-system/aws-node" in remaining
    iam = cluster.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="eksctl-cluster-autoscaler-role")
