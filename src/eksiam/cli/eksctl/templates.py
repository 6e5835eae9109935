"""The CloudFormation stacks eksctl creates: names, tags, trust policies and templates.

Sources: eksctl ``pkg/cfn/builder/iam.go``, ``pkg/cfn/template/iam_helpers.go``, ``pkg/iam/oidc/api.go``,
``pkg/cfn/manager/api.go`` (irsa-and-eksctl.md 2.2, 2.7). The same template is handed to CloudFormation
or, where the server has none, applied resource by resource through IAM (``stacks.py``), so both paths
produce the same roles, policies and tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksiam import __version__
from eksiam.cli.eksctl.cluster_config import NodeGroup, PodIdentityAssociation, ServiceAccount
from eksiam.cli.eksctl.well_known import NODE_ADDON_POLICIES, WELL_KNOWN_POLICIES, resolve

CLUSTER_NAME_TAG = "alpha.eksctl.io/cluster-name"
OLD_CLUSTER_NAME_TAG = "eksctl.cluster.k8s.io/v1alpha1/cluster-name"
VERSION_TAG = "alpha.eksctl.io/eksctl-version"
IRSA_TAG = "alpha.eksctl.io/iamserviceaccount-name"
POD_IDENTITY_TAG = "alpha.eksctl.io/podidentityassociation-name"
NODEGROUP_TAG = "alpha.eksctl.io/nodegroup-name"
OIDC_ENABLED_TAG = "alpha.eksctl.io/cluster-oidc-enabled"
VERSION = __version__
AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True, slots=True)
class StackSpec:
    """What one eksctl stack is: its name, template, tags and the capabilities it needs."""

    name: str
    template: dict[str, Any]
    tags: dict[str, str]
    capabilities: tuple[str, ...]


def irsa_stack_name(cluster: str, namespace: str, name: str) -> str:
    return f"eksctl-{cluster}-addon-iamserviceaccount-{namespace}-{name}"


def pod_identity_stack_name(cluster: str, namespace: str, service_account: str) -> str:
    return f"eksctl-{cluster}-podidentityrole-{namespace}-{service_account}"


def cluster_stack_name(cluster: str) -> str:
    return f"eksctl-{cluster}-cluster"


def nodegroup_stack_name(cluster: str, nodegroup: str) -> str:
    return f"eksctl-{cluster}-nodegroup-{nodegroup}"


def stack_name_from_tags(tags: Mapping[str, str]) -> str | None:
    """The stack a resource carrying eksctl's stack tags belongs to (eksctl names stacks from these)."""
    cluster = tags.get(CLUSTER_NAME_TAG)
    if not cluster:
        return None
    if IRSA_TAG in tags:
        namespace, _, name = tags[IRSA_TAG].partition("/")
        return irsa_stack_name(cluster, namespace, name)
    if POD_IDENTITY_TAG in tags:
        namespace, _, name = tags[POD_IDENTITY_TAG].partition("/")
        return pod_identity_stack_name(cluster, namespace, name)
    if NODEGROUP_TAG in tags:
        return nodegroup_stack_name(cluster, tags[NODEGROUP_TAG])
    return cluster_stack_name(cluster)


def base_tags(cluster: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        CLUSTER_NAME_TAG: cluster,
        OLD_CLUSTER_NAME_TAG: cluster,
        VERSION_TAG: VERSION,
        **dict(extra or {}),
    }


def irsa_trust_policy(
    partition: str, account: str, issuer: str, namespace: str, name: str, pattern: str = ""
) -> dict[str, Any]:
    """The web-identity trust eksctl writes: StringEquals on ``<issuer>:aud`` and ``:sub`` (or StringLike
    ``:sub`` with a subject pattern); the issuer is named without scheme and port
    (EKS "Technical overview")."""
    host_path = issuer_host_path(issuer)
    subject = f"system:serviceaccount:{namespace}:{pattern or name}"
    condition: dict[str, Any] = {"StringEquals": {f"{host_path}:aud": AUDIENCE}}
    if pattern:
        condition["StringLike"] = {f"{host_path}:sub": subject}
    else:
        condition["StringEquals"] = {f"{host_path}:sub": subject, f"{host_path}:aud": AUDIENCE}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:{partition}:iam::{account}:oidc-provider/{host_path}"},
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": condition,
            }
        ],
    }


def issuer_host_path(issuer: str) -> str:
    rest = issuer.split("://", 1)[-1].rstrip("/")
    host, slash, path = rest.partition("/")
    return host.removesuffix(":443") + slash + path


def service_trust_policy(
    service: str, actions: tuple[str, ...] = ("sts:AssumeRole",), condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": [service]},
        "Action": list(actions),
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _role(
    trust: dict[str, Any],
    managed: list[str],
    boundary: str = "",
    role_name: str = "",
) -> dict[str, Any]:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": trust}
    if managed:
        properties["ManagedPolicyArns"] = managed
    if boundary:
        properties["PermissionsBoundary"] = boundary
    if role_name:
        properties["RoleName"] = role_name
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _inline(stack: str, suffix: str, document: dict[str, Any], role: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": f"{stack}-{suffix}",
            "PolicyDocument": document,
            "Roles": [{"Ref": role}],
        },
    }


def _template(description: str, resources: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{description} [created and managed by eksctl]",
        "Resources": resources,
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }


def _arn_of(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def irsa_stack(
    cluster: str,
    account: ServiceAccount,
    partition: str,
    account_id: str,
    issuer: str,
    metadata_tags: Mapping[str, str],
) -> StackSpec:
    name = irsa_stack_name(cluster, account.namespace, account.name)
    managed, inline = resolve(account.well_known_policies, WELL_KNOWN_POLICIES, partition)
    trust = irsa_trust_policy(
        partition, account_id, issuer, account.namespace, account.name, account.subject_pattern
    )
    resources: dict[str, Any] = {
        "Role1": _role(
            trust, [*account.attach_policy_arns, *managed], account.permissions_boundary, account.role_name
        )
    }
    if account.attach_policy:
        resources["Policy1"] = _inline(name, "Policy1", account.attach_policy, "Role1")
    for policy, document in inline.items():
        resources[policy] = _inline(name, policy, document, "Role1")
    tags = base_tags(cluster, {**metadata_tags, **account.tags, IRSA_TAG: account.key})
    return StackSpec(
        name=name,
        template=_template(
            f'IAM role for serviceaccount "{account.key}"', resources, {"Role1": _arn_of("Role1")}
        ),
        tags=tags,
        capabilities=("CAPABILITY_NAMED_IAM",) if account.role_name else ("CAPABILITY_IAM",),
    )


def pod_identity_stack(
    cluster: str, association: PodIdentityAssociation, partition: str, metadata_tags: Mapping[str, str]
) -> StackSpec:
    name = pod_identity_stack_name(cluster, association.namespace, association.service_account_name)
    managed, inline = resolve(association.well_known_policies, WELL_KNOWN_POLICIES, partition)
    trust = service_trust_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))
    resources: dict[str, Any] = {
        "Role1": _role(
            trust,
            [*association.permission_policy_arns, *managed],
            association.permissions_boundary_arn,
            association.role_name,
        )
    }
    if association.permission_policy:
        resources["Policy1"] = _inline(
            name, association.permission_policy_name, association.permission_policy, "Role1"
        )
    for policy, document in inline.items():
        resources[policy] = _inline(name, policy, document, "Role1")
    tags = base_tags(cluster, {**metadata_tags, **association.tags, POD_IDENTITY_TAG: association.key})
    return StackSpec(
        name=name,
        template=_template(
            f'IAM role for pod identity association "{association.key}"',
            resources,
            {"Role1": _arn_of("Role1")},
        ),
        tags=tags,
        capabilities=("CAPABILITY_NAMED_IAM",) if association.role_name else ("CAPABILITY_IAM",),
    )


def cluster_stack(
    cluster: str,
    region: str,
    account_id: str,
    partition: str,
    metadata_tags: Mapping[str, str],
    *,
    service_role: bool,
    service_role_boundary: str,
    vpc_resource_controller: bool,
    fargate_role: bool,
) -> StackSpec:
    """The IAM part of ``eksctl-<cluster>-cluster``: ServiceRole (and FargatePodExecutionRole)."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    if service_role:
        managed = [f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy"]
        if vpc_resource_controller:
            managed.append(f"arn:{partition}:iam::aws:policy/AmazonEKSVPCResourceController")
        trust = service_trust_policy("eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))
        resources["ServiceRole"] = _role(trust, managed, service_role_boundary)
        outputs["ServiceRoleARN"] = _arn_of("ServiceRole")
    if fargate_role:
        condition = {
            "ArnLike": {
                "aws:SourceArn": f"arn:{partition}:eks:{region}:{account_id}:fargateprofile/{cluster}/*"
            }
        }
        trust = service_trust_policy("eks-fargate-pods.amazonaws.com", condition=condition)
        managed = [f"arn:{partition}:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"]
        resources["FargatePodExecutionRole"] = _role(trust, managed)
        outputs["FargatePodExecutionRoleARN"] = _arn_of("FargatePodExecutionRole")
    return StackSpec(
        name=cluster_stack_name(cluster),
        template=_template(f"EKS cluster (IAM roles) for {cluster}", resources, outputs),
        tags=base_tags(cluster, metadata_tags),
        capabilities=("CAPABILITY_IAM",),
    )


MANAGED_GROUP_REGISTRY_POLICY = "AmazonEC2ContainerRegistryReadOnly"


def node_role_policies(group: NodeGroup, partition: str, with_oidc: bool) -> list[str]:
    """Managed policies of a generated node role (irsa-and-eksctl.md 2.7, ``nodeGroups[].iam``).

    Deviation: current eksctl gives managed groups AmazonEC2ContainerRegistryPullOnly; eksiam's
    CreateNodegroup follows the node role page (seeds/002), which requires the permissions of
    AmazonEC2ContainerRegistryReadOnly, so managed groups get ReadOnly, as eksctl did before PullOnly.
    """
    if group.attach_policy_arns:
        return list(group.attach_policy_arns)
    names = ["AmazonEKSWorkerNodePolicy"]
    if not with_oidc:
        names.append("AmazonEKS_CNI_Policy")
    if group.managed:
        names.append(MANAGED_GROUP_REGISTRY_POLICY)
    names.append("AmazonSSMManagedInstanceCore")
    if not group.managed:
        names.append(
            "AmazonEC2ContainerRegistryPowerUser"
            if "imageBuilder" in group.addon_policies
            else "AmazonEC2ContainerRegistryPullOnly"
        )
    return [f"arn:{partition}:iam::aws:policy/{n}" for n in dict.fromkeys(names)]


def nodegroup_stack(
    cluster: str, group: NodeGroup, partition: str, with_oidc: bool, metadata_tags: Mapping[str, str]
) -> StackSpec:
    name = nodegroup_stack_name(cluster, group.name)
    managed, inline = resolve(group.addon_policies, NODE_ADDON_POLICIES, partition)
    policies = [
        *node_role_policies(group, partition, with_oidc),
        *(m for m in managed if m not in node_role_policies(group, partition, with_oidc)),
    ]
    trust = service_trust_policy("ec2.amazonaws.com")
    role = _role(trust, policies, group.instance_role_permissions_boundary, group.instance_role_name)
    role["Properties"]["Path"] = "/"
    resources: dict[str, Any] = {"NodeInstanceRole": role}
    outputs: dict[str, Any] = {"InstanceRoleARN": _arn_of("NodeInstanceRole")}
    if group.attach_policy:
        resources["Policy1"] = _inline(name, "Policy1", group.attach_policy, "NodeInstanceRole")
    for policy, document in inline.items():
        resources[policy] = _inline(name, policy, document, "NodeInstanceRole")
    if not group.managed:
        resources["NodeInstanceProfile"] = {
            "Type": "AWS::IAM::InstanceProfile",
            "Properties": {"Path": "/", "Roles": [{"Ref": "NodeInstanceRole"}]},
        }
        outputs["InstanceProfileARN"] = _arn_of("NodeInstanceProfile")
    kind = "Managed" if group.managed else "Self-managed"
    return StackSpec(
        name=name,
        template=_template(f'EKS {kind} Nodes (IAM) for nodegroup "{group.name}"', resources, outputs),
        tags=base_tags(cluster, {**metadata_tags, NODEGROUP_TAG: group.name}),
        capabilities=("CAPABILITY_NAMED_IAM",) if group.instance_role_name else ("CAPABILITY_IAM",),
    )
