"""Clusters and the service-linked role EKS manages (EKS User Guide: "Using roles for Amazon EKS
clusters", "Amazon EKS cluster IAM role"; EKS API Reference: CreateCluster, DeleteCluster)."""

import json
import re

import pytest

from eksiam.errors import ServiceError

from .conftest import ACCOUNT, trust

SLR = "AWSServiceRoleForAmazonEKS"


def test_first_cluster_creates_the_service_linked_role_and_an_issuer(world):
    with pytest.raises(ServiceError):
        world.iam.get_role(world.ctx, role_name=SLR)
    cluster = world.cluster()
    assert cluster["status"] == "CREATING"
    role = world.iam.get_role(world.ctx, role_name=SLR)["Role"]
    assert role["Path"] == "/aws-service-role/eks.amazonaws.com/"
    issuer = cluster["identity"]["oidc"]["issuer"]
    assert re.fullmatch(r"https://oidc\.eks\.us-east-1\.amazonaws\.com/id/[0-9A-F]{32}", issuer)
    described = world.eks.describe_cluster(world.ctx, name="demo")["cluster"]
    assert described["status"] == "ACTIVE"
    assert described["arn"] == f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/demo"
    assert described["identity"]["oidc"]["issuer"] == issuer
    assert described["endpoint"].endswith("/_kube/" + described["endpoint"].rsplit("/", 1)[-1])
    assert "_uid" not in described
    assert world.eks.list_clusters(world.ctx)["clusters"] == ["demo"]


def test_cluster_role_must_trust_eks(world):
    wrong = world.role("NotForEks", "ec2.amazonaws.com", ["AmazonEKSClusterPolicy"])
    with pytest.raises(ServiceError) as err:
        world.cluster(role_arn=wrong)
    assert err.value.code == "InvalidParameterException"
    assert err.value.message == (
        f"Role with arn: {wrong}, could not be assumed because it does not exist "
        "or the trusted entity is not correct"
    )
    missing = f"arn:aws:iam::{ACCOUNT}:role/NoSuchRole"
    with pytest.raises(ServiceError) as err:
        world.cluster(role_arn=missing)
    assert "could not be assumed" in err.value.message
    assert world.eks.list_clusters(world.ctx)["clusters"] == []


def test_duplicate_cluster_name_is_in_use(world):
    role = world.cluster_role()
    world.cluster(role_arn=role)
    with pytest.raises(ServiceError) as err:
        world.cluster(role_arn=role)
    assert (err.value.code, err.value.status) == ("ResourceInUseException", 409)


def test_unknown_cluster_is_not_found(world):
    with pytest.raises(ServiceError) as err:
        world.eks.describe_cluster(world.ctx, name="nope")
    assert (err.value.code, err.value.status) == ("ResourceNotFoundException", 404)
    assert err.value.extra == {"clusterName": "nope"}


def test_service_linked_role_cannot_be_deleted_while_a_cluster_uses_it(world):
    cluster = world.cluster()
    status = world.deletion_status(SLR)
    assert status["Status"] == "FAILED"
    usage = status["Reason"]["RoleUsageList"]
    assert usage == [{"Region": "us-east-1", "Resources": [cluster["arn"]]}]
    assert world.iam.get_role(world.ctx, role_name=SLR)["Role"]["RoleName"] == SLR

    world.eks.delete_cluster(world.ctx, name="demo")
    assert world.deletion_status(SLR)["Status"] == "SUCCEEDED"
    with pytest.raises(ServiceError):
        world.iam.get_role(world.ctx, role_name=SLR)


def test_a_new_cluster_recreates_a_deleted_service_linked_role(world):
    role = world.cluster_role()
    world.cluster("one", role)
    world.eks.delete_cluster(world.ctx, name="one")
    assert world.deletion_status(SLR)["Status"] == "SUCCEEDED"
    world.cluster("two", role)
    assert world.iam.get_role(world.ctx, role_name=SLR)["Role"]["RoleName"] == SLR


def test_delete_cluster_refused_while_node_groups_remain(world):
    world.cluster()
    world.eks.create_nodegroup(
        world.ctx, cluster_name="demo", nodegroup_name="ng", subnets=["s"], node_role=world.node_role()
    )
    with pytest.raises(ServiceError) as err:
        world.eks.delete_cluster(world.ctx, name="demo")
    assert err.value.code == "ResourceInUseException" and "ng" in err.value.message
    world.eks.delete_nodegroup(world.ctx, cluster_name="demo", nodegroup_name="ng")
    assert world.eks.delete_cluster(world.ctx, name="demo")["cluster"]["status"] == "DELETING"
    assert world.eks.list_clusters(world.ctx)["clusters"] == []


def test_creator_gets_a_cluster_admin_access_entry(world):
    world.cluster()
    entries = world.eks.list_access_entries(world.ctx, cluster_name="demo")["accessEntries"]
    assert entries == [f"arn:aws:iam::{ACCOUNT}:root"]
    policies = world.eks.list_associated_access_policies(
        world.ctx, cluster_name="demo", principal_arn=entries[0]
    )
    assert [p["policyArn"] for p in policies["associatedAccessPolicies"]] == [
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    ]


def test_connector_registration_needs_an_ssm_trusting_agent_role(world):
    agent_policy = (
        '{"Version":"2012-10-17","Statement":[{"Sid":"SsmControlChannel","Effect":"Allow",'
        '"Action":["ssmmessages:CreateControlChannel"],"Resource":"arn:aws:eks:*:*:cluster/*"},'
        '{"Sid":"ssmDataplaneOperations","Effect":"Allow","Action":["ssmmessages:CreateDataChannel",'
        '"ssmmessages:OpenDataChannel","ssmmessages:OpenControlChannel"],"Resource":"*"}]}'
    )
    role = world.role("AmazonEKSConnectorAgentRole", "ssm.amazonaws.com")
    world.iam.put_role_policy(
        world.ctx,
        role_name="AmazonEKSConnectorAgentRole",
        policy_name="AmazonEKSConnectorAgentPolicy",
        policy_document=agent_policy,
    )
    cluster = world.eks.register_cluster(
        world.ctx, name="onprem", connector_config={"roleArn": role, "provider": "OTHER"}
    )["cluster"]
    assert cluster["status"] == "PENDING"
    assert cluster["connectorConfig"]["roleArn"] == role and cluster["connectorConfig"]["activationId"]
    slr = world.iam.get_role(world.ctx, role_name="AWSServiceRoleForAmazonEKSConnector")["Role"]
    assert slr["Path"] == "/aws-service-role/eks-connector.amazonaws.com/"

    no_policy = world.role("BareAgent", "ssm.amazonaws.com")
    with pytest.raises(ServiceError) as err:
        world.eks.register_cluster(
            world.ctx, name="other", connector_config={"roleArn": no_policy, "provider": "OTHER"}
        )
    assert err.value.code == "InvalidParameterException" and "ssmmessages" in err.value.message


def test_failed_create_changes_nothing(world):
    world.iam.create_role(world.ctx, role_name="r", assume_role_policy_document=trust("ec2.amazonaws.com"))
    with pytest.raises(ServiceError):
        world.cluster(role_arn=f"arn:aws:iam::{ACCOUNT}:role/r")
    with pytest.raises(ServiceError):
        world.iam.get_role(world.ctx, role_name=SLR)


def test_caller_needs_pass_role_for_the_cluster_role(world):
    from eksiam.services.context import Caller, CallerKind

    role = world.cluster_role()
    world.iam.create_user(world.ctx, user_name="dev")
    allow_eks = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]}
    )
    world.iam.put_user_policy(world.ctx, user_name="dev", policy_name="eks", policy_document=allow_eks)
    user = world.iam.get_user(world.ctx, user_name="dev")["User"]
    dev = world.context(Caller(CallerKind.USER, user["Arn"], ACCOUNT, user["UserId"]))
    with pytest.raises(ServiceError) as err:
        world.eks.create_cluster(dev, name="demo", role_arn=role, resources_vpc_config={"subnetIds": ["s"]})
    assert (err.value.code, err.value.status) == ("AccessDeniedException", 403)
    assert f"is not authorized to perform: iam:PassRole on resource: {role}" in err.value.message
    assert world.eks.list_clusters(world.ctx)["clusters"] == []

    pass_to_eks = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": role,
                    "Condition": {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}},
                }
            ],
        }
    )
    world.iam.put_user_policy(world.ctx, user_name="dev", policy_name="pass", policy_document=pass_to_eks)
    with pytest.raises(ServiceError) as err:  # EKS creates its service-linked role for the caller
        world.eks.create_cluster(dev, name="demo", role_arn=role, resources_vpc_config={"subnetIds": ["s"]})
    assert "iam:CreateServiceLinkedRole" in err.value.message
    create_slr = {
        "Effect": "Allow",
        "Action": "iam:CreateServiceLinkedRole",
        "Resource": "*",
        "Condition": {"StringLike": {"iam:AWSServiceName": "eks.amazonaws.com"}},
    }
    world.iam.put_user_policy(
        world.ctx,
        user_name="dev",
        policy_name="slr",
        policy_document=json.dumps({"Version": "2012-10-17", "Statement": [create_slr]}),
    )
    assert (
        world.eks.create_cluster(dev, name="demo", role_arn=role, resources_vpc_config={"subnetIds": ["s"]})[
            "cluster"
        ]["roleArn"]
        == role
    )
