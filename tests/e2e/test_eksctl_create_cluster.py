"""``eksiam create cluster`` with flags and with a ClusterConfig naming managed node groups, Fargate
profiles, an existing cluster role and pod identity associations (irsa-and-eksctl.md 2.7)."""

from __future__ import annotations

import json
import re
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

CONFIG = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: full
  region: us-east-1
  tags: {env: test}
iam:
  serviceRoleARN: arn:aws:iam::123456789012:role/existing-cluster-role
  podIdentityAssociations:
  - namespace: web
    serviceAccountName: frontend
    permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
managedNodeGroups:
- name: workers
  instanceType: t3.large
  desiredCapacity: 3
  labels: {role: worker}
  iam:
    withAddonPolicies: {ebs: true, xRay: true}
fargateProfiles:
- name: fp-default
  selectors:
  - namespace: serverless
"""
EKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def eksiam(server, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "eksiam", *args],
        cwd=server.workdir,
        env=server.kube_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"eksiam {' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def server(eksiam_server):
    eksiam_server.kube_env = eksiam_server.cli_env(KUBECONFIG=str(eksiam_server.workdir / "kubeconfig"))
    return eksiam_server


def test_flags_create_a_managed_nodegroup_with_eksctls_node_role(server):
    out = eksiam(
        server,
        "create",
        "cluster",
        "--name",
        "flags",
        "--nodes",
        "3",
        "--node-type",
        "t3.small",
        "-o",
        "yaml",
    )
    created = yaml.safe_load(out.stdout)
    (group,) = created["nodegroups"]
    assert re.fullmatch(r"ng-[0-9a-f]{8}", group["name"]) and group["managed"] is True
    eks = server.client("eks")
    described = eks.describe_nodegroup(clusterName="flags", nodegroupName=group["name"])["nodegroup"]
    assert described["scalingConfig"]["desiredSize"] == 3 and described["instanceTypes"] == ["t3.small"]
    role_name = described["nodeRole"].rsplit("/", 1)[1]
    assert role_name.startswith(f"eksctl-flags-nodegroup-{group['name']}")
    attached = server.client("iam").list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == [
        "AmazonEC2ContainerRegistryReadOnly",  # eksctl now: PullOnly; eksiam's EKS wants ReadOnly
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonSSMManagedInstanceCore",
    ]
    again = eksiam(server, "create", "cluster", "--name", "flags", check=False)
    assert again.returncode == 1 and 'cluster "flags" already exists' in again.stderr


def test_config_with_existing_role_managed_groups_fargate_and_pod_identity(server):
    iam = server.client("iam")
    iam.create_role(RoleName="existing-cluster-role", AssumeRolePolicyDocument=json.dumps(EKS_TRUST))
    (server.workdir / "full.yaml").write_text(CONFIG)
    eksiam(server, "create", "cluster", "-f", "full.yaml")
    eks = server.client("eks")
    cluster = eks.describe_cluster(name="full")["cluster"]
    assert cluster["roleArn"] == "arn:aws:iam::123456789012:role/existing-cluster-role"
    assert cluster["tags"]["env"] == "test"

    group = eks.describe_nodegroup(clusterName="full", nodegroupName="workers")["nodegroup"]
    assert group["labels"] == {"role": "worker"} and group["instanceTypes"] == ["t3.large"]
    node_role = group["nodeRole"].rsplit("/", 1)[1]
    attached = sorted(
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=node_role)["AttachedPolicies"]
    )
    assert "AmazonEBSCSIDriverPolicy" in attached and "AmazonEKSWorkerNodePolicy" in attached
    assert any(
        name.endswith("-PolicyXRay") for name in iam.list_role_policies(RoleName=node_role)["PolicyNames"]
    )

    profile = eks.describe_fargate_profile(clusterName="full", fargateProfileName="fp-default")[
        "fargateProfile"
    ]
    assert (
        profile["selectors"] == [{"namespace": "serverless"}]
        or profile["selectors"][0]["namespace"] == "serverless"
    )
    pod_role = profile["podExecutionRoleArn"].rsplit("/", 1)[1]
    assert pod_role.startswith("eksctl-full-cluster-FargatePodExecutionRole")
    trust = iam.get_role(RoleName=pod_role)["Role"]["AssumeRolePolicyDocument"]
    statement = (json.loads(unquote(trust)) if isinstance(trust, str) else trust)["Statement"][0]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:eks:us-east-1:123456789012:fargateprofile/full/*"}
    }

    (association,) = eks.list_pod_identity_associations(clusterName="full")["associations"]
    assert (association["namespace"], association["serviceAccount"]) == ("web", "frontend")
