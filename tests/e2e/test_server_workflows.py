"""The node role document's AWS CLI workflow, typed as a user would, against a real ``eksiam serve``.

Commands and files are the ones in the Amazon EKS node IAM role page (the node role document):
``node-role-trust-relationship.json``, ``vpc-cni-ipv6-policy.json``, create-role, attach-role-policy,
create-policy; plus put-role-policy, get-role, list-roles paging and sts get-caller-identity.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from .conftest import RunningServer

pytestmark = pytest.mark.e2e

NODE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
IPV6_POLICY = {
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


def test_node_role_document_workflow_with_the_aws_cli(eksiam_server: RunningServer) -> None:
    server = eksiam_server
    (server.workdir / "node-role-trust-relationship.json").write_text(json.dumps(NODE_TRUST, indent=2))
    (server.workdir / "vpc-cni-ipv6-policy.json").write_text(json.dumps(IPV6_POLICY, indent=4))

    created = server.aws_json(
        "iam",
        "create-role",
        "--role-name",
        "AmazonEKSNodeRole",
        "--assume-role-policy-document",
        "file://node-role-trust-relationship.json",
    )
    assert created["Role"]["Arn"] == f"arn:aws:iam::{server.account_id}:role/AmazonEKSNodeRole"
    assert created["Role"]["RoleId"].startswith("AROA")

    for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"):
        server.aws(
            "iam",
            "attach-role-policy",
            "--policy-arn",
            f"arn:aws:iam::aws:policy/{policy}",
            "--role-name",
            "AmazonEKSNodeRole",
        )
    ipv6 = server.aws_json(
        "iam",
        "create-policy",
        "--policy-name",
        "AmazonEKS_CNI_IPv6_Policy",
        "--policy-document",
        "file://vpc-cni-ipv6-policy.json",
    )
    ipv6_arn = ipv6["Policy"]["Arn"]
    assert ipv6_arn == f"arn:aws:iam::{server.account_id}:policy/AmazonEKS_CNI_IPv6_Policy"
    server.aws("iam", "attach-role-policy", "--policy-arn", ipv6_arn, "--role-name", "AmazonEKSNodeRole")

    attached = server.aws_json("iam", "list-attached-role-policies", "--role-name", "AmazonEKSNodeRole")
    names = {p["PolicyName"] for p in attached["AttachedPolicies"]}
    assert names == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKS_CNI_Policy",
        "AmazonEKS_CNI_IPv6_Policy",
    }

    inline = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    (server.workdir / "inline.json").write_text(json.dumps(inline))
    server.aws(
        "iam",
        "put-role-policy",
        "--role-name",
        "AmazonEKSNodeRole",
        "--policy-name",
        "read-objects",
        "--policy-document",
        "file://inline.json",
    )
    fetched = server.aws_json(
        "iam", "get-role-policy", "--role-name", "AmazonEKSNodeRole", "--policy-name", "read-objects"
    )
    document = fetched["PolicyDocument"]
    # The CLI decodes IAM's URL-encoded documents into JSON; accept either form, compare content.
    parsed = json.loads(unquote(document)) if isinstance(document, str) else document
    assert parsed == inline

    role = server.aws_json("iam", "get-role", "--role-name", "AmazonEKSNodeRole")["Role"]
    assert role["RoleName"] == "AmazonEKSNodeRole"
    assert role["AssumeRolePolicyDocument"] == NODE_TRUST


def test_list_roles_pages_through_every_role(eksiam_server: RunningServer) -> None:
    server = eksiam_server
    iam = server.client("iam")
    wanted = {f"paging-role-{i:02d}" for i in range(7)}
    for name in sorted(wanted):
        iam.create_role(RoleName=name, Path="/paging/", AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        kwargs = {"PathPrefix": "/paging/", "MaxItems": 3}
        if marker:
            kwargs["Marker"] = marker
        page = iam.list_roles(**kwargs)
        pages += 1
        seen += [r["RoleName"] for r in page["Roles"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert pages == 3
    assert seen == sorted(wanted)
    # The AWS CLI pages by itself (--page-size) and must return the same set.
    listed = server.aws_json("iam", "list-roles", "--path-prefix", "/paging/", "--page-size", "2")
    assert sorted(r["RoleName"] for r in listed["Roles"]) == sorted(wanted)


def test_get_caller_identity_names_the_root_caller(eksiam_server: RunningServer) -> None:
    identity = eksiam_server.aws_json("sts", "get-caller-identity")
    assert identity["Account"] == eksiam_server.account_id
    assert identity["Arn"] == f"arn:aws:iam::{eksiam_server.account_id}:root"
    assert eksiam_server.client("sts").get_caller_identity()["Arn"] == identity["Arn"]
