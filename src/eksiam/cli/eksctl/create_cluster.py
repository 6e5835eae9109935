"""``create cluster``: what eksctl creates for a ClusterConfig, through eksiam's IAM and EKS APIs.

Order (eksctl ``pkg/ctl/create/cluster.go``, ``pkg/cfn/builder/{cluster,nodegroup,managed_nodegroup}.go``):

1. stack ``eksctl-<cluster>-cluster``: ``ServiceRole`` (trusted by eks.amazonaws.com, AmazonEKSClusterPolicy
   and AmazonEKSVPCResourceController) unless ``iam.serviceRoleARN``; ``FargatePodExecutionRole`` when
   Fargate profiles need one;
2. EKS CreateCluster with that role (eksiam has no EC2: subnets are the config's or placeholders);
3. per node group, stack ``eksctl-<cluster>-nodegroup-<name>`` with ``NodeInstanceRole`` (trusted by
   ec2.amazonaws.com, eksctl's default managed policies) and, for self-managed groups, an instance
   profile; managed groups are then created with EKS CreateNodegroup (self-managed ones have no EKS API);
4. ``withOIDC``: the IAM OIDC provider, then ``iam.serviceAccounts`` (plus ``kube-system/aws-node`` with
   AmazonEKS_CNI_Policy unless a ``vpc-cni`` addon is declared);
5. ``iam.podIdentityAssociations`` and ``fargateProfiles``;
   (self-managed node roles get an ``EC2_LINUX`` access entry, as eksctl creates in API auth mode);
6. a kubeconfig entry, as eksctl writes one.
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import ClientError

from eksiam.cli.eksctl import iamserviceaccount, podidentity
from eksiam.cli.eksctl.cluster_config import ClusterConfig
from eksiam.cli.eksctl.oidc import associate
from eksiam.cli.eksctl.output import CommandError, info, progress, success
from eksiam.cli.eksctl.stack_record import StackError
from eksiam.cli.eksctl.stacks import open_stacks
from eksiam.cli.eksctl.target import Target, aws_message
from eksiam.cli.eksctl.templates import StackSpec, cluster_stack, nodegroup_stack


def _placeholder_subnets() -> list[str]:
    return [f"subnet-{secrets.token_hex(9)[:17]}" for _ in range(2)]


def _eks(call: Any, what: str, **params: Any) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = call(**params)
    except ClientError as err:
        raise CommandError(f"{what}: {aws_message(err)}") from None
    return answer


def steps(config: ClusterConfig) -> int:
    return 2 + len(config.node_groups) + len(config.fargate_profiles) + (2 if config.with_oidc else 0) + 1


def create_cluster(where: Target, config: ClusterConfig) -> dict[str, Any]:
    where.identity  # noqa: B018 (credentials and reachability first)
    try:
        where.eks.describe_cluster(name=config.name)
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise CommandError(f"checking cluster {config.name}: {aws_message(err)}") from None
    else:
        raise CommandError(
            f'cluster "{config.name}" already exists in region {where.region}',
            f"pick another name, or delete it with `aws eks delete-cluster --name {config.name}`",
        )
    stacks = open_stacks(where.session, where.endpoint, where.region)
    info(f"using region {where.region}; stacks kept via {stacks.kind}")

    def deploy(spec: StackSpec) -> dict[str, str]:
        info(f'deploying stack "{spec.name}"')
        try:
            return stacks.create(spec).outputs
        except StackError as err:
            raise CommandError(f"creating cluster {config.name}: {err}") from None

    subnets = _placeholder_subnets()
    created: dict[str, Any] = {
        "cluster": config.name,
        "region": where.region,
        "nodegroups": [],
        "serviceAccounts": [],
    }
    with progress(steps(config)) as step:
        step("cluster IAM roles")
        needs_fargate_role = (
            bool(config.fargate_profiles)
            and not config.fargate_pod_execution_role_arn
            and any(not p.pod_execution_role_arn for p in config.fargate_profiles)
        )
        outputs: dict[str, str] = {}
        if not config.service_role_arn or needs_fargate_role:
            outputs = deploy(
                cluster_stack(
                    config.name,
                    where.region,
                    where.account,
                    where.partition,
                    config.tags,
                    service_role=not config.service_role_arn,
                    service_role_boundary=config.service_role_permissions_boundary,
                    vpc_resource_controller=config.vpc_resource_controller_policy,
                    fargate_role=needs_fargate_role,
                )
            )
        role_arn = config.service_role_arn or outputs["ServiceRoleARN"]
        step(f"EKS cluster {config.name}")
        info(f'creating EKS cluster "{config.name}" in "{where.region}" region')
        params: dict[str, Any] = {
            "name": config.name,
            "roleArn": role_arn,
            "resourcesVpcConfig": {"subnetIds": subnets},
        }
        if config.version:
            params["version"] = config.version
        if config.tags:
            params["tags"] = config.tags
        cluster = _eks(where.eks.create_cluster, f"creating cluster {config.name}", **params)["cluster"]
        created["arn"] = cluster["arn"]
        for group in config.node_groups:
            step(f"nodegroup {group.name}")
            node_role = group.instance_role_arn
            if not node_role:
                node_role = deploy(
                    nodegroup_stack(config.name, group, where.partition, config.with_oidc, config.tags)
                )["InstanceRoleARN"]
            if group.managed:
                scaling = {
                    "desiredSize": group.desired_capacity,
                    "minSize": group.min_size
                    if group.min_size is not None
                    else min(group.desired_capacity, 1),
                    "maxSize": group.max_size
                    if group.max_size is not None
                    else max(group.desired_capacity, 1),
                }
                _eks(
                    where.eks.create_nodegroup,
                    f"creating nodegroup {group.name}",
                    clusterName=config.name,
                    nodegroupName=group.name,
                    subnets=subnets,
                    nodeRole=node_role,
                    scalingConfig=scaling,
                    instanceTypes=list(group.instance_types),
                    **{k: v for k, v in (("labels", group.labels), ("tags", group.tags)) if v},
                )
            else:  # self-managed nodes join through an EC2_LINUX access entry (EKS makes managed ones)
                _eks(
                    where.eks.create_access_entry,
                    f"creating the access entry of nodegroup {group.name}",
                    clusterName=config.name,
                    principalArn=node_role,
                    type="EC2_LINUX",
                )
            success(
                f'created {"managed" if group.managed else "self-managed"} nodegroup "{group.name}" '
                f"(role {node_role})"
            )
            created["nodegroups"].append(
                {"name": group.name, "managed": group.managed, "nodeRole": node_role}
            )
        if config.with_oidc:
            step("IAM OIDC provider")
            associate(where, config.name, approve=True)
            step("iamserviceaccounts")
            accounts = list(config.service_accounts)
            if not config.has_vpc_cni_addon:
                accounts.append(iamserviceaccount.aws_node(where.partition))
            created["serviceAccounts"] = iamserviceaccount.create(
                where, config.name, accounts, override_existing=True, approve=True, metadata_tags=config.tags
            )
        if config.pod_identity_associations:
            created["podIdentityAssociations"] = [
                a["associationArn"]
                for a in podidentity.create(where, config.name, config.pod_identity_associations, config.tags)
            ]
        for profile in config.fargate_profiles:
            step(f"fargate profile {profile.name}")
            pod_role = (
                profile.pod_execution_role_arn
                or config.fargate_pod_execution_role_arn
                or outputs["FargatePodExecutionRoleARN"]
            )
            _eks(
                where.eks.create_fargate_profile,
                f"creating Fargate profile {profile.name}",
                fargateProfileName=profile.name,
                clusterName=config.name,
                podExecutionRoleArn=pod_role,
                subnets=subnets,
                selectors=list(profile.selectors),
            )
            success(f'created Fargate profile "{profile.name}"')
        step("done")
    success(f'EKS cluster "{config.name}" in "{where.region}" region is ready')
    return created
