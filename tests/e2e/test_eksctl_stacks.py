"""The two stack backends against a real server: the same eksctl template through CloudFormation and
through IAM (used when a server has no CloudFormation) gives a role with the same trust, policies and
tags; both are found by eksctl's tag, updated in place and deleted completely, and a failed IAM-applied
creation leaves nothing behind (CloudFormation rolls back)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from eksiam.cli.eksctl.cluster_config import ServiceAccount
from eksiam.cli.eksctl.iam_stacks import IamStacks
from eksiam.cli.eksctl.stack_record import StackError
from eksiam.cli.eksctl.stacks import CloudFormationStacks
from eksiam.cli.eksctl.templates import IRSA_TAG, irsa_stack

pytestmark = pytest.mark.e2e

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def shape(iam, role_arn):
    name = role_arn.rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    return {
        "trust": json.loads(unquote(trust)) if isinstance(trust, str) else trust,
        "managed": sorted(
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        ),
        "inline": sorted(p.rsplit("-", 1)[1] for p in iam.list_role_policies(RoleName=name)["PolicyNames"]),
        "tags": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]},
    }


def spec(cluster, policies=(S3_READ,)):
    account = ServiceAccount(
        name="app",
        namespace="ns",
        attach_policy_arns=policies,
        well_known_policies=("externalDNS",),
        tags={"Team": "a"},
    )
    return irsa_stack(cluster, account, "aws", "123456789012", ISSUER, {})


@pytest.mark.parametrize("backend", ["cloudformation", "iam"])
def test_backends_create_find_update_and_delete_the_same_role(eksiam_server, backend):
    iam = eksiam_server.client("iam")
    stacks = (
        CloudFormationStacks(eksiam_server.client("cloudformation"), protect=False)
        if backend == "cloudformation"
        else IamStacks(iam)
    )
    cluster = f"c-{backend}"
    created = stacks.create(spec(cluster))
    role_arn = created.outputs["Role1"]
    got = shape(iam, role_arn)
    assert got["managed"] == [S3_READ]
    assert got["inline"] == ["PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones"]
    assert got["tags"][IRSA_TAG] == "ns/app" and got["tags"]["Team"] == "a"
    assert got["trust"]["Statement"][0]["Principal"]["Federated"].endswith(ISSUER.removeprefix("https://"))

    (found,) = stacks.find(IRSA_TAG, cluster)
    assert (
        found.name == f"eksctl-{cluster}-addon-iamserviceaccount-ns-app"
        and found.outputs["Role1"] == role_arn
    )
    assert stacks.find(IRSA_TAG, "other-cluster") == []

    stacks.update(spec(cluster, policies=(READ_ONLY,)))
    assert shape(iam, role_arn)["managed"] == [READ_ONLY]

    stacks.delete(found)
    if backend == "cloudformation":
        cfn = eksiam_server.client("cloudformation")
        cfn.get_waiter("stack_delete_complete").wait(StackName=found.name, WaiterConfig={"Delay": 1})
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])
    assert stacks.find(IRSA_TAG, cluster) == []


def test_iam_applied_stack_rolls_back_on_failure(eksiam_server):
    iam = eksiam_server.client("iam")
    before = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    broken = spec("c-broken", policies=("arn:aws:iam::aws:policy/NoSuchPolicy",))
    with pytest.raises(StackError, match="rolled back"):
        IamStacks(iam).create(broken)
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} == before
