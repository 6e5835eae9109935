"""The EKS documents' workflows, typed as a user types them, against a real ``eksiam serve``:
the node role document (CLI, IPv4 and IPv6 CNI variants), the connector role document, a cluster and
node group that use them, and the failures AWS answers (EKS User Guide pages in ../shared/seeds)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

NODE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
CLUSTER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
IPV6_CNI = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AssignIpv6Addresses",
                "ec2:DescribeInstances",
                "ec2:DescribeTags",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeInstanceTypes",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": ["arn:aws:ec2:*:*:network-interface/*"],
        },
    ],
}
CONNECTOR_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ],
}
CONNECTOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SsmControlChannel",
            "Effect": "Allow",
            "Action": ["ssmmessages:CreateControlChannel"],
            "Resource": "arn:aws:eks:*:*:cluster/*",
        },
        {
            "Sid": "ssmDataplaneOperations",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenDataChannel",
                "ssmmessages:OpenControlChannel",
            ],
            "Resource": "*",
        },
    ],
}


def eksiam(server, *args):
    """Run the eksiam CLI as a user would, with the server's endpoint and credentials in the environment."""
    return subprocess.run(
        [sys.executable, "-m", "eksiam", *args],
        cwd=server.workdir,
        env=server.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(server, name, document):
    (server.workdir / name).write_text(json.dumps(document, indent=2))


def cluster_role(server, name="eksClusterRole"):
    write(server, "cluster-trust.json", CLUSTER_TRUST)
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        "file://cluster-trust.json",
    )
    server.aws(
        "iam",
        "attach-role-policy",
        "--role-name",
        name,
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    )
    return f"arn:aws:iam::{server.account_id}:role/{name}"


def create_cluster(server, name, role_arn):
    return server.aws_json(
        "eks",
        "create-cluster",
        "--name",
        name,
        "--role-arn",
        role_arn,
        "--resources-vpc-config",
        "subnetIds=subnet-1,subnet-2",
    )["cluster"]


def node_role_as_the_document_does(server, name, ipv6=False):
    write(server, "node-role-trust-relationship.json", NODE_TRUST)
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        "file://node-role-trust-relationship.json",
    )
    for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"):
        server.aws(
            "iam",
            "attach-role-policy",
            "--policy-arn",
            f"arn:aws:iam::aws:policy/{policy}",
            "--role-name",
            name,
        )
    if ipv6:
        write(server, "vpc-cni-ipv6-policy.json", IPV6_CNI)
        server.aws(
            "iam",
            "create-policy",
            "--policy-name",
            "AmazonEKS_CNI_IPv6_Policy",
            "--policy-document",
            "file://vpc-cni-ipv6-policy.json",
        )
        server.aws(
            "iam",
            "attach-role-policy",
            "--policy-arn",
            f"arn:aws:iam::{server.account_id}:policy/AmazonEKS_CNI_IPv6_Policy",
            "--role-name",
            name,
        )
    else:
        server.aws(
            "iam",
            "attach-role-policy",
            "--policy-arn",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "--role-name",
            name,
        )
    return f"arn:aws:iam::{server.account_id}:role/{name}"


def create_nodegroup(server, cluster, name, role_arn, check=True):
    return server.aws(
        "eks",
        "create-nodegroup",
        "--cluster-name",
        cluster,
        "--nodegroup-name",
        name,
        "--subnets",
        "subnet-1",
        "--node-role",
        role_arn,
        check=check,
    )


def deletion_status(server, role_name):
    task = server.aws_json("iam", "delete-service-linked-role", "--role-name", role_name)["DeletionTaskId"]
    for _ in range(20):
        status = server.aws_json("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task)
        if status["Status"] in ("SUCCEEDED", "FAILED"):
            return status
        time.sleep(0.1)
    pytest.fail(f"deletion task {task} did not finish")


@pytest.mark.e2e
@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4-cni", "ipv6-cni"])
def test_node_role_document_then_cluster_and_node_group(start_eksiam, ipv6):
    server = start_eksiam()
    role = node_role_as_the_document_does(server, "AmazonEKSNodeRole", ipv6=ipv6)
    cluster = create_cluster(server, "demo", cluster_role(server))
    assert cluster["status"] == "CREATING"
    assert cluster["identity"]["oidc"]["issuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    nodegroup = json.loads(create_nodegroup(server, "demo", "workers", role).stdout)["nodegroup"]
    assert nodegroup["nodeRole"] == role
    described = server.aws_json(
        "eks", "describe-nodegroup", "--cluster-name", "demo", "--nodegroup-name", "workers"
    )
    assert described["nodegroup"]["status"] == "ACTIVE"
    for slr, path in (
        ("AWSServiceRoleForAmazonEKS", "/aws-service-role/eks.amazonaws.com/"),
        ("AWSServiceRoleForAmazonEKSNodegroup", "/aws-service-role/eks-nodegroup.amazonaws.com/"),
    ):
        assert server.aws_json("iam", "get-role", "--role-name", slr)["Role"]["Path"] == path
    profiles = server.aws_json("iam", "list-instance-profiles-for-role", "--role-name", "AmazonEKSNodeRole")
    assert len(profiles["InstanceProfiles"]) == 1


@pytest.mark.e2e
def test_the_documented_failures(start_eksiam):
    server = start_eksiam()
    cluster_arn = cluster_role(server)
    create_cluster(server, "demo", cluster_arn)

    # A node role that trusts the wrong service.
    write(
        server,
        "wrong-trust.json",
        {
            **NODE_TRUST,
            "Statement": [{**NODE_TRUST["Statement"][0], "Principal": {"Service": "lambda.amazonaws.com"}}],
        },
    )
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        "WrongTrust",
        "--assume-role-policy-document",
        "file://wrong-trust.json",
    )
    wrong = create_nodegroup(
        server, "demo", "ng1", f"arn:aws:iam::{server.account_id}:role/WrongTrust", check=False
    )
    assert wrong.returncode != 0
    assert "InvalidParameterException" in wrong.stderr and "ec2.amazonaws.com" in wrong.stderr

    # The cluster role reused as node role.
    reused = create_nodegroup(server, "demo", "ng2", cluster_arn, check=False)
    assert reused.returncode != 0 and "InvalidParameterException" in reused.stderr

    # A missing managed policy.
    write(server, "node-role-trust-relationship.json", NODE_TRUST)
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        "HalfNode",
        "--assume-role-policy-document",
        "file://node-role-trust-relationship.json",
    )
    server.aws(
        "iam",
        "attach-role-policy",
        "--role-name",
        "HalfNode",
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    )
    half = create_nodegroup(
        server, "demo", "ng3", f"arn:aws:iam::{server.account_id}:role/HalfNode", check=False
    )
    assert half.returncode != 0 and "AmazonEC2ContainerRegistryReadOnly" in half.stderr
    assert server.aws_json("eks", "list-nodegroups", "--cluster-name", "demo")["nodegroups"] == []

    # Deleting the service-linked role while a cluster exists.
    status = deletion_status(server, "AWSServiceRoleForAmazonEKS")
    assert status["Status"] == "FAILED"
    assert status["Reason"]["RoleUsageList"][0]["Resources"] == [
        f"arn:aws:eks:us-east-1:{server.account_id}:cluster/demo"
    ]
    server.aws("eks", "delete-cluster", "--name", "demo")
    assert deletion_status(server, "AWSServiceRoleForAmazonEKS")["Status"] == "SUCCEEDED"

    # The cluster role must trust eks.amazonaws.com.
    bad = server.aws(
        "eks",
        "create-cluster",
        "--name",
        "other",
        "--role-arn",
        f"arn:aws:iam::{server.account_id}:role/WrongTrust",
        "--resources-vpc-config",
        "subnetIds=subnet-1",
        check=False,
    )
    assert "could not be assumed because it does not exist or the trusted entity is not correct" in bad.stderr


@pytest.mark.e2e
def test_connector_role_document_and_register_cluster(start_eksiam):
    server = start_eksiam()
    write(server, "eks-connector-agent-trust-policy.json", CONNECTOR_TRUST)
    write(server, "eks-connector-agent-policy.json", CONNECTOR_POLICY)
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        "AmazonEKSConnectorAgentRole",
        "--assume-role-policy-document",
        "file://eks-connector-agent-trust-policy.json",
    )
    server.aws(
        "iam",
        "put-role-policy",
        "--role-name",
        "AmazonEKSConnectorAgentRole",
        "--policy-name",
        "AmazonEKSConnectorAgentPolicy",
        "--policy-document",
        "file://eks-connector-agent-policy.json",
    )
    role = f"arn:aws:iam::{server.account_id}:role/AmazonEKSConnectorAgentRole"
    cluster = server.aws_json(
        "eks", "register-cluster", "--name", "onprem", "--connector-config", f"roleArn={role},provider=OTHER"
    )["cluster"]
    assert cluster["status"] == "PENDING" and cluster["connectorConfig"]["roleArn"] == role
    slr = server.aws_json("iam", "get-role", "--role-name", "AWSServiceRoleForAmazonEKSConnector")["Role"]
    assert slr["Path"] == "/aws-service-role/eks-connector.amazonaws.com/"
    checked = eksiam(server, "check", "connector-role", "AmazonEKSConnectorAgentRole", "-o", "json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True


@pytest.mark.e2e
def test_check_command_explains_a_broken_node_role(start_eksiam):
    server = start_eksiam()
    write(server, "node-role-trust-relationship.json", NODE_TRUST)
    server.aws(
        "iam",
        "create-role",
        "--role-name",
        "HalfNode",
        "--assume-role-policy-document",
        "file://node-role-trust-relationship.json",
    )
    server.aws(
        "iam",
        "attach-role-policy",
        "--role-name",
        "HalfNode",
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    )
    result = eksiam(server, "check", "node-role", "HalfNode", "-o", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["missingPolicies"] == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
    assert report["trustsService"] is True
    node_role_as_the_document_does(server, "AmazonEKSNodeRole")
    assert eksiam(server, "check", "node-role", "AmazonEKSNodeRole").returncode == 0
