"""Managed node groups and Fargate profiles, with the role rules of the node role and Fargate pages.

Node role (EKS User Guide, "Amazon EKS node IAM role"): it must trust ``ec2.amazonaws.com``, must not
be "the same role that is used to create any clusters", and must carry the permissions of
AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryReadOnly, attached or through a custom
policy. EKS creates AWSServiceRoleForAmazonEKSNodegroup and an instance profile for the node role.

Fargate pod execution role ("Amazon EKS Pod execution IAM role"): it trusts
``eks-fargate-pods.amazonaws.com`` and holds AmazonEKSFargatePodExecutionRolePolicy's permissions;
EKS creates AWSServiceRoleForAmazonEKSForFargate.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.services.context import CallContext
from eksiam.services.eks import records as rec
from eksiam.services.eks.base import EksBase
from eksiam.services.eks.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from eksiam.services.iam import quotas as iam_quotas
from eksiam.services.iam import records as iam_records
from eksiam.storage import Record, UnitOfWork

NODEGROUP_SERVICE = "eks-nodegroup.amazonaws.com"
FARGATE_SERVICE = "eks-fargate.amazonaws.com"
AMI_TYPES = (
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2_ARM_64",
    "CUSTOM",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "WINDOWS_CORE_2019_x86_64",
    "WINDOWS_FULL_2019_x86_64",
    "WINDOWS_CORE_2022_x86_64",
    "WINDOWS_FULL_2022_x86_64",
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NEURON",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
)


def _view(record: Record) -> dict[str, Any]:
    return rec.with_datetimes(record, "createdAt", "modifiedAt")


class Nodegroups(EksBase):
    def _node_role_problems(self, ctx: CallContext, cluster_name: str, node_role: str) -> None:
        role = self._role(ctx, node_role, "nodeRole")
        if role is None:
            raise InvalidParameterException(
                f"The role with name {node_role.rsplit('/', 1)[-1]} cannot be found.",
                clusterName=cluster_name,
            )
        report = self.check("node-role", role)
        if not report.trusts_service:
            raise InvalidParameterException(
                f"Following required service principals [ec2.amazonaws.com] were not found in the trust "
                f"relationships of nodeRole {node_role}",
                clusterName=cluster_name,
            )
        cluster_roles = self._read(
            lambda uow: {c["roleArn"] for _, c in uow.list(rec.CLUSTER, ctx.account) if "roleArn" in c}
        )
        if node_role in cluster_roles:
            raise InvalidParameterException(
                f"The node role {node_role} is the role used to create a cluster. "
                "Amazon EKS node groups need a role of their own: "
                "you can't use the same role that is used to create any clusters.",
                clusterName=cluster_name,
            )
        if report.missing_policies:
            raise InvalidParameterException(
                "The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please "
                f"ensure the following policies [{', '.join(report.missing_policies)}] are attached",
                clusterName=cluster_name,
            )

    def create_nodegroup(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        nodegroup_name: str,
        subnets: Sequence[str],
        node_role: str,
        scaling_config: Mapping[str, Any] | None = None,
        disk_size: int | None = None,
        instance_types: Sequence[str] | None = None,
        ami_type: str | None = None,
        remote_access: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        taints: Sequence[Mapping[str, Any]] | None = None,
        tags: Mapping[str, str] | None = None,
        client_request_token: str | None = None,
        launch_template: Mapping[str, Any] | None = None,
        update_config: Mapping[str, Any] | None = None,
        node_repair_config: Mapping[str, Any] | None = None,
        capacity_type: str | None = None,
        version: str | None = None,
        release_version: str | None = None,
        warm_pool_config: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._check_name(nodegroup_name, "nodegroupName")
        cluster = self._require_cluster(ctx, cluster_name)
        if "connectorConfig" in cluster:
            raise InvalidRequestException(
                "Node groups cannot be created on a registered cluster.", clusterName=cluster_name
            )
        if not subnets:
            raise InvalidParameterException("Subnets are required", clusterName=cluster_name)
        if ami_type is not None and ami_type not in AMI_TYPES:
            raise InvalidParameterException(f"amiType {ami_type} is not valid", clusterName=cluster_name)
        scaling = {"minSize": 1, "maxSize": 2, "desiredSize": 2, **dict(scaling_config or {})}
        if not scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"] or scaling["maxSize"] < 1:
            raise InvalidParameterException(
                "Minimum capacity must be less than or equal to desired capacity, "
                "and desired capacity less than or equal to maximum capacity; "
                "maximum capacity must be at least 1.",
                clusterName=cluster_name,
                nodegroupName=nodegroup_name,
            )
        self._node_role_problems(ctx, cluster_name, node_role)
        self._pass_role(ctx, node_role, "eks.amazonaws.com")
        self._ensure_service_linked_role(ctx, NODEGROUP_SERVICE)
        key = rec.key(ctx.region, cluster_name, nodegroup_name)
        uid = uuid.uuid4()
        record: Record = {
            "nodegroupName": nodegroup_name,
            "nodegroupArn": self._arn(ctx, f"nodegroup/{cluster_name}/{nodegroup_name}/{uid}"),
            "clusterName": cluster_name,
            "version": version or cluster.get("version", "1.33"),
            "releaseVersion": release_version or f"{version or cluster.get('version', '1.33')}.0-20261101",
            "createdAt": rec.stamp(ctx.now),
            "modifiedAt": rec.stamp(ctx.now),
            "status": "ACTIVE",
            "capacityType": capacity_type or "ON_DEMAND",
            "scalingConfig": scaling,
            "instanceTypes": list(instance_types or ["t3.medium"]),
            "subnets": list(subnets),
            "amiType": ami_type or "AL2023_x86_64_STANDARD",
            "nodeRole": node_role,
            "labels": dict(labels or {}),
            "resources": {"autoScalingGroups": [{"name": f"eks-{nodegroup_name}-{uid}"}]},
            "diskSize": disk_size or 20,
            "health": {"issues": []},
            "updateConfig": dict(update_config or {"maxUnavailable": 1}),
            "tags": dict(tags or {}),
        }
        optional = {
            "remoteAccess": remote_access,
            "taints": taints,
            "launchTemplate": launch_template,
            "nodeRepairConfig": node_repair_config,
            "warmPoolConfig": warm_pool_config,
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        role_name = node_role.rsplit("/", 1)[-1]

        def run(uow: UnitOfWork) -> Record:
            self._cluster(uow, ctx, cluster_name)
            if uow.get(rec.NODEGROUP, ctx.account, key) is not None:
                raise ResourceInUseException(
                    f"NodeGroup already exists with name {nodegroup_name} and cluster name {cluster_name}",
                    clusterName=cluster_name,
                    nodegroupName=nodegroup_name,
                )
            uow.put(rec.NODEGROUP, ctx.account, key, record, create=True)
            self._ensure_instance_profile(uow, ctx, role_name, nodegroup_name, str(uid))
            return record

        created = _view(self._write(run))
        created["status"] = "CREATING"
        return {"nodegroup": created}

    def _ensure_instance_profile(
        self, uow: UnitOfWork, ctx: CallContext, role_name: str, nodegroup: str, uid: str
    ) -> None:
        """EKS makes an instance profile for the node role (named ``eks-<uuid>``) holding that role."""
        role_key = role_name.lower()
        if uow.list(iam_records.ROLE_INSTANCE_PROFILE, ctx.account, prefix=role_key + "|", limit=1):
            return
        name = f"eks-{uid}"
        profile: Record = {
            "InstanceProfileName": name,
            "InstanceProfileId": "AIPA" + uid.replace("-", "").upper()[:17],
            "Path": "/",
            "Arn": f"arn:{self.settings.partition}:iam::{ctx.account}:instance-profile/{name}",
            "CreateDate": iam_records.timestamp(ctx.now),
            "Tags": [],
            "roles": [role_key],
        }
        iam_quotas.consume(uow, ctx.account, iam_records.INSTANCE_PROFILE, self.iam.quotas)
        uow.put(iam_records.INSTANCE_PROFILE, ctx.account, name.lower(), profile, create=True)
        uow.put(
            iam_records.ROLE_INSTANCE_PROFILE,
            ctx.account,
            iam_records.pair_key(role_key, name.lower()),
            {"InstanceProfileName": name},
        )

    def _nodegroup(self, uow: UnitOfWork, ctx: CallContext, cluster_name: str, name: str) -> Record:
        self._cluster(uow, ctx, cluster_name)
        found = uow.get(rec.NODEGROUP, ctx.account, rec.key(ctx.region, cluster_name, name))
        if found is None:
            raise ResourceNotFoundException(
                f"No node group found for name: {name}.", clusterName=cluster_name, nodegroupName=name
            )
        return found

    def describe_nodegroup(
        self, ctx: CallContext, *, cluster_name: str, nodegroup_name: str
    ) -> dict[str, Any]:
        return {
            "nodegroup": _view(
                self._read(lambda uow: self._nodegroup(uow, ctx, cluster_name, nodegroup_name))
            )
        }

    def list_nodegroups(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> list[str]:
            self._cluster(uow, ctx, cluster_name)
            prefix = rec.key(ctx.region, cluster_name) + "|"
            return [r["nodegroupName"] for _, r in uow.list(rec.NODEGROUP, ctx.account, prefix=prefix)]

        page, token = self._page(self._read(run), max_results, next_token)
        return {"nodegroups": page, **({"nextToken": token} if token else {})}

    def delete_nodegroup(self, ctx: CallContext, *, cluster_name: str, nodegroup_name: str) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            found = self._nodegroup(uow, ctx, cluster_name, nodegroup_name)
            uow.delete(rec.NODEGROUP, ctx.account, rec.key(ctx.region, cluster_name, nodegroup_name))
            return found

        deleted = _view(self._write(run))
        deleted["status"] = "DELETING"
        return {"nodegroup": deleted}

    # -- Fargate ---------------------------------------------------------------------------------
    def create_fargate_profile(
        self,
        ctx: CallContext,
        *,
        fargate_profile_name: str,
        cluster_name: str,
        pod_execution_role_arn: str,
        subnets: Sequence[str] | None = None,
        selectors: Sequence[Mapping[str, Any]] | None = None,
        client_request_token: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        self._check_name(fargate_profile_name, "fargateProfileName")
        self._require_cluster(ctx, cluster_name)
        if not selectors or len(selectors) > 5:
            raise InvalidParameterException(
                "A Fargate profile needs between 1 and 5 selectors.",
                clusterName=cluster_name,
                fargateProfileName=fargate_profile_name,
            )
        for selector in selectors:
            if not selector.get("namespace"):
                raise InvalidParameterException(
                    "Each selector must specify a namespace.",
                    clusterName=cluster_name,
                    fargateProfileName=fargate_profile_name,
                )
        role = self._role(ctx, pod_execution_role_arn, "podExecutionRoleArn")
        if role is None:
            raise InvalidParameterException(
                f"Role {pod_execution_role_arn} does not exist.",
                clusterName=cluster_name,
                fargateProfileName=fargate_profile_name,
            )
        arn = self._arn(ctx, f"fargateprofile/{cluster_name}/{fargate_profile_name}/{uuid.uuid4()}")
        report = self.check("fargate-role", role, {"aws:SourceAccount": ctx.account, "aws:SourceArn": arn})
        if not report.trusts_service:
            raise InvalidParameterException(
                "Following required service principals [eks-fargate-pods.amazonaws.com] were not found "
                f"in the trust relationships of podExecutionRoleArn {pod_execution_role_arn}",
                clusterName=cluster_name,
                fargateProfileName=fargate_profile_name,
            )
        if report.missing_policies:
            raise InvalidParameterException(
                "The provided pod execution role doesn't have the permissions of "
                f"[{', '.join(report.missing_policies)}]. "
                "Attach the policy or a custom policy with those permissions.",
                clusterName=cluster_name,
                fargateProfileName=fargate_profile_name,
            )
        self._pass_role(ctx, pod_execution_role_arn, "eks-fargate-pods.amazonaws.com")
        self._ensure_service_linked_role(ctx, FARGATE_SERVICE)
        key = rec.key(ctx.region, cluster_name, fargate_profile_name)
        record: Record = {
            "fargateProfileName": fargate_profile_name,
            "fargateProfileArn": arn,
            "clusterName": cluster_name,
            "createdAt": rec.stamp(ctx.now),
            "podExecutionRoleArn": pod_execution_role_arn,
            "subnets": list(subnets or []),
            "selectors": [dict(s) for s in selectors],
            "status": "ACTIVE",
            "tags": dict(tags or {}),
            "health": {"issues": []},
        }

        def run(uow: UnitOfWork) -> Record:
            self._cluster(uow, ctx, cluster_name)
            if uow.get(rec.FARGATE_PROFILE, ctx.account, key) is not None:
                raise ResourceInUseException(
                    "A Fargate Profile already exists with this name in this cluster.",
                    clusterName=cluster_name,
                )
            uow.put(rec.FARGATE_PROFILE, ctx.account, key, record, create=True)
            return record

        created = _view(self._write(run))
        created["status"] = "CREATING"
        return {"fargateProfile": created}

    def _profile(self, uow: UnitOfWork, ctx: CallContext, cluster_name: str, name: str) -> Record:
        self._cluster(uow, ctx, cluster_name)
        found = uow.get(rec.FARGATE_PROFILE, ctx.account, rec.key(ctx.region, cluster_name, name))
        if found is None:
            raise ResourceNotFoundException(
                f"No Fargate Profile found with name: {name}.",
                clusterName=cluster_name,
                fargateProfileName=name,
            )
        return found

    def describe_fargate_profile(
        self, ctx: CallContext, *, cluster_name: str, fargate_profile_name: str
    ) -> dict[str, Any]:
        return {
            "fargateProfile": _view(
                self._read(lambda uow: self._profile(uow, ctx, cluster_name, fargate_profile_name))
            )
        }

    def list_fargate_profiles(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> list[str]:
            self._cluster(uow, ctx, cluster_name)
            prefix = rec.key(ctx.region, cluster_name) + "|"
            return [
                r["fargateProfileName"] for _, r in uow.list(rec.FARGATE_PROFILE, ctx.account, prefix=prefix)
            ]

        page, token = self._page(self._read(run), max_results, next_token)
        return {"fargateProfileNames": page, **({"nextToken": token} if token else {})}

    def delete_fargate_profile(
        self, ctx: CallContext, *, cluster_name: str, fargate_profile_name: str
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            found = self._profile(uow, ctx, cluster_name, fargate_profile_name)
            uow.delete(
                rec.FARGATE_PROFILE, ctx.account, rec.key(ctx.region, cluster_name, fargate_profile_name)
            )
            return found

        deleted = _view(self._write(run))
        deleted["status"] = "DELETING"
        return {"fargateProfile": deleted}
