"""Node groups and Fargate profiles with the roles the EKS User Guide prescribes ("Amazon EKS node IAM
role", "Amazon EKS Pod execution IAM role"); the workflows of the node role document."""

import json

import pytest

from eksiam.errors import ServiceError

from .conftest import ACCOUNT

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


def nodegroup(world, role, name="ng"):
    return world.eks.create_nodegroup(
        world.ctx, cluster_name="demo", nodegroup_name=name, subnets=["subnet-1"], node_role=role
    )["nodegroup"]


def test_node_role_as_the_document_creates_it_works_and_gets_an_instance_profile(world):
    world.cluster()
    role = world.node_role()
    ng = nodegroup(world, role)
    assert ng["nodeRole"] == role and ng["status"] == "CREATING"
    assert (
        world.eks.describe_nodegroup(world.ctx, cluster_name="demo", nodegroup_name="ng")["nodegroup"][
            "status"
        ]
        == "ACTIVE"
    )
    slr = world.iam.get_role(world.ctx, role_name="AWSServiceRoleForAmazonEKSNodegroup")["Role"]
    assert slr["Path"] == "/aws-service-role/eks-nodegroup.amazonaws.com/"
    profiles = world.iam.list_instance_profiles_for_role(world.ctx, role_name="AmazonEKSNodeRole")[
        "InstanceProfiles"
    ]
    assert len(profiles) == 1 and profiles[0]["Roles"][0]["Arn"] == role
    assert world.eks.list_nodegroups(world.ctx, cluster_name="demo")["nodegroups"] == ["ng"]


def test_ipv6_variant_with_the_custom_cni_policy_works(world):
    world.cluster()
    policy = world.iam.create_policy(
        world.ctx, policy_name="AmazonEKS_CNI_IPv6_Policy", policy_document=json.dumps(IPV6_CNI)
    )["Policy"]["Arn"]
    assert policy == f"arn:aws:iam::{ACCOUNT}:policy/AmazonEKS_CNI_IPv6_Policy"
    role = world.node_role(cni=False)
    world.iam.attach_role_policy(world.ctx, role_name="AmazonEKSNodeRole", policy_arn=policy)
    assert nodegroup(world, role)["nodegroupName"] == "ng"


def test_node_role_trusting_the_wrong_service_is_refused(world):
    world.cluster()
    role = world.role(
        "WrongTrust",
        "lambda.amazonaws.com",
        ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"],
    )
    with pytest.raises(ServiceError) as err:
        nodegroup(world, role)
    assert err.value.code == "InvalidParameterException"
    assert err.value.message == (
        "Following required service principals [ec2.amazonaws.com] were not found in the trust "
        f"relationships of nodeRole {role}"
    )
    assert world.eks.list_nodegroups(world.ctx, cluster_name="demo")["nodegroups"] == []


def test_cluster_role_cannot_be_the_node_role(world):
    both = world.role(
        "BothRoles",
        "eks.amazonaws.com",
        ["AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"],
    )
    world.iam.update_assume_role_policy(
        world.ctx,
        role_name="BothRoles",
        policy_document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": ["eks.amazonaws.com", "ec2.amazonaws.com"]},
                    }
                ],
            }
        ),
    )
    world.cluster(role_arn=both)
    with pytest.raises(ServiceError) as err:
        nodegroup(world, both)
    assert err.value.code == "InvalidParameterException"
    assert "can't use the same role that is used to create any clusters" in err.value.message


def test_missing_managed_policy_is_named(world):
    world.cluster()
    role = world.role("HalfNode", "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy"])
    with pytest.raises(ServiceError) as err:
        nodegroup(world, role)
    assert err.value.code == "InvalidParameterException"
    assert "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" in err.value.message
    assert "AmazonEKSWorkerNodePolicy" not in err.value.message.split("[", 1)[1]


def test_custom_policy_with_the_same_permissions_is_enough(world):
    world.cluster()
    role = world.role("CustomNode", "ec2.amazonaws.com")
    everything = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:Describe*",
                    "eks:DescribeCluster",
                    "eks-auth:AssumeRoleForPodIdentity",
                    "ecr:*",
                ],
                "Resource": "*",
            }
        ],
    }
    world.iam.put_role_policy(
        world.ctx, role_name="CustomNode", policy_name="node", policy_document=json.dumps(everything)
    )
    assert nodegroup(world, role)["nodeRole"] == role


def test_nodegroup_needs_an_existing_cluster_and_unique_name(world):
    role = world.node_role()
    with pytest.raises(ServiceError) as err:
        world.eks.create_nodegroup(
            world.ctx, cluster_name="ghost", nodegroup_name="ng", subnets=["s"], node_role=role
        )
    assert err.value.code == "ResourceNotFoundException"
    world.cluster()
    nodegroup(world, role)
    with pytest.raises(ServiceError) as err:
        nodegroup(world, role)
    assert err.value.code == "ResourceInUseException"


def test_nodegroup_slr_deletion_fails_while_nodegroups_exist(world):
    world.cluster()
    ng = nodegroup(world, world.node_role())
    status = world.deletion_status("AWSServiceRoleForAmazonEKSNodegroup")
    assert status["Status"] == "FAILED"
    assert status["Reason"]["RoleUsageList"][0]["Resources"] == [ng["nodegroupArn"]]


def test_fargate_profile_role_rules(world):
    world.cluster()
    good = world.role(
        "AmazonEKSFargatePodExecutionRole",
        "eks-fargate-pods.amazonaws.com",
        ["AmazonEKSFargatePodExecutionRolePolicy"],
    )
    profile = world.eks.create_fargate_profile(
        world.ctx,
        fargate_profile_name="fp",
        cluster_name="demo",
        pod_execution_role_arn=good,
        selectors=[{"namespace": "default"}],
    )["fargateProfile"]
    assert profile["podExecutionRoleArn"] == good
    assert world.iam.get_role(world.ctx, role_name="AWSServiceRoleForAmazonEKSForFargate")["Role"]
    wrong = world.role("NotFargate", "ec2.amazonaws.com", ["AmazonEKSFargatePodExecutionRolePolicy"])
    with pytest.raises(ServiceError) as err:
        world.eks.create_fargate_profile(
            world.ctx,
            fargate_profile_name="fp2",
            cluster_name="demo",
            pod_execution_role_arn=wrong,
            selectors=[{"namespace": "x"}],
        )
    assert "eks-fargate-pods.amazonaws.com" in err.value.message
    with pytest.raises(ServiceError) as err:
        world.eks.delete_cluster(world.ctx, name="demo")
    assert err.value.code == "ResourceInUseException"
    world.eks.delete_fargate_profile(world.ctx, cluster_name="demo", fargate_profile_name="fp")
    world.eks.delete_cluster(world.ctx, name="demo")


def test_pull_only_ecr_policy_is_accepted_instead_of_read_only(world):
    world.cluster()
    role = world.role(
        "PullOnlyNode",
        "ec2.amazonaws.com",
        ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
    )
    assert nodegroup(world, role)["nodeRole"] == role
