"""AWS::EKS::Cluster, Nodegroup, FargateProfile and PodIdentityAssociation over EksService.

Property names are the API's members in PascalCase (``ResourcesVpcConfig.SubnetIds`` ->
``resourcesVpcConfig.subnetIds``), except where the template reference says otherwise: cluster
``Logging.ClusterLogging.EnabledTypes`` lists ``{Type}`` objects, Fargate selector ``Labels`` and
the Tags of Cluster, FargateProfile and PodIdentityAssociation are ``[{Key, Value}]`` lists, and
Nodegroup ``Tags`` and ``Labels`` are JSON maps.

Return values (template reference): Cluster Ref name, GetAtt Arn, Endpoint,
CertificateAuthorityData, ClusterSecurityGroupId, OpenIdConnectIssuerUrl, EncryptionConfigKeyArn;
Nodegroup Ref ``<cluster>/<nodegroup>``, GetAtt Arn, ClusterName, NodegroupName; FargateProfile Ref
``<cluster>|<profile>``, GetAtt Arn; PodIdentityAssociation Ref and GetAtt AssociationArn, and
AssociationId. Only PodIdentityAssociation updates in place; other changes replace the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.services.cloudformation.resources.base import (
    Provisioned,
    ResourceRequest,
    as_bool,
    as_int,
    generated_name,
    ignore_missing,
    merged_tags,
)
from eksiam.services.context import CallContext
from eksiam.services.eks import EksService

_CLUSTER_NAME_LIMIT = 100
_NODEGROUP_NAME_LIMIT = 63


def camel(value: Any) -> Any:
    """Template structures -> API structures: keys from PascalCase to lowerCamelCase, recursively."""
    if isinstance(value, Mapping):
        return {k[:1].lower() + k[1:]: camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def tag_map(request: ResourceRequest) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in merged_tags(request)}


def _logging(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    enabled = [t.get("Type") for t in (value.get("ClusterLogging") or {}).get("EnabledTypes") or []]
    return {"clusterLogging": [{"types": enabled, "enabled": True}]} if enabled else None


def _scaling(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {camel_key: as_int(v) for camel_key, v in camel(value).items()}


class ClusterHandler:
    type_name: str = "AWS::EKS::Cluster"
    name_property: str | None = "Name"
    capability_iam: bool = False

    def __init__(self, eks: EksService) -> None:
        self._eks = eks

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        name = props.get("Name") or generated_name(
            request.stack_name, request.logical_id, _CLUSTER_NAME_LIMIT
        )
        optional = {
            "kubernetes_network_config": camel(props.get("KubernetesNetworkConfig")),
            "access_config": camel(props.get("AccessConfig")),
            "encryption_config": camel(props.get("EncryptionConfig")),
            "outpost_config": camel(props.get("OutpostConfig")),
            "upgrade_policy": camel(props.get("UpgradePolicy")),
            "zonal_shift_config": camel(props.get("ZonalShiftConfig")),
            "remote_network_config": camel(props.get("RemoteNetworkConfig")),
            "compute_config": camel(props.get("ComputeConfig")),
            "storage_config": camel(props.get("StorageConfig")),
            "bootstrap_self_managed_addons": as_bool(props.get("BootstrapSelfManagedAddons")),
            "deletion_protection": as_bool(props.get("DeletionProtection")),
            "logging": _logging(props.get("Logging")),
            "version": props.get("Version"),
        }
        cluster = self._eks.create_cluster(
            request.ctx,
            name=name,
            role_arn=str(props.get("RoleArn") or ""),
            resources_vpc_config=camel(props.get("ResourcesVpcConfig") or {}),
            tags=tag_map(request) or None,
            **{k: v for k, v in optional.items() if v is not None},
        )["cluster"]
        encryption = cluster.get("encryptionConfig") or [{}]
        attributes = {
            "Arn": cluster["arn"],
            "Endpoint": cluster["endpoint"],
            "CertificateAuthorityData": cluster["certificateAuthority"]["data"],
            "ClusterSecurityGroupId": cluster["resourcesVpcConfig"]["clusterSecurityGroupId"],
            "OpenIdConnectIssuerUrl": cluster["identity"]["oidc"]["issuer"],
            "EncryptionConfigKeyArn": (encryption[0].get("provider") or {}).get("keyArn", ""),
        }
        return Provisioned(name, name, attributes)

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        return None

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        ignore_missing(self._eks.delete_cluster, ctx, name=physical_id)


class NodegroupHandler:
    type_name: str = "AWS::EKS::Nodegroup"
    name_property: str | None = "NodegroupName"
    capability_iam: bool = False

    def __init__(self, eks: EksService) -> None:
        self._eks = eks

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        cluster = str(props.get("ClusterName") or "")
        name = props.get("NodegroupName") or generated_name("", request.logical_id, _NODEGROUP_NAME_LIMIT)[1:]
        tags = {**{t["Key"]: t["Value"] for t in request.stack_tags}, **dict(props.get("Tags") or {})}
        optional = {
            "scaling_config": _scaling(props.get("ScalingConfig")),
            "disk_size": as_int(props.get("DiskSize")),
            "instance_types": props.get("InstanceTypes"),
            "ami_type": props.get("AmiType"),
            "remote_access": camel(props.get("RemoteAccess")),
            "labels": props.get("Labels"),
            "taints": camel(props.get("Taints")),
            "launch_template": camel(props.get("LaunchTemplate")),
            "update_config": camel(props.get("UpdateConfig")),
            "node_repair_config": camel(props.get("NodeRepairConfig")),
            "capacity_type": props.get("CapacityType"),
            "version": props.get("Version"),
            "release_version": props.get("ReleaseVersion"),
        }
        group = self._eks.create_nodegroup(
            request.ctx,
            cluster_name=cluster,
            nodegroup_name=name,
            subnets=list(props.get("Subnets") or []),
            node_role=str(props.get("NodeRole") or ""),
            tags=tags or None,
            **{k: v for k, v in optional.items() if v is not None},
        )["nodegroup"]
        ref = f"{cluster}/{name}"
        return Provisioned(
            ref, ref, {"Arn": group["nodegroupArn"], "ClusterName": cluster, "NodegroupName": name}
        )

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        return None

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        cluster, _, name = physical_id.partition("/")
        ignore_missing(self._eks.delete_nodegroup, ctx, cluster_name=cluster, nodegroup_name=name)


class FargateProfileHandler:
    type_name: str = "AWS::EKS::FargateProfile"
    name_property: str | None = "FargateProfileName"
    capability_iam: bool = False

    def __init__(self, eks: EksService) -> None:
        self._eks = eks

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        cluster = str(props.get("ClusterName") or "")
        name = props.get("FargateProfileName") or generated_name("", request.logical_id, 63)[1:]
        selectors = [
            {
                "namespace": s.get("Namespace"),
                **(
                    {"labels": {label["Key"]: label["Value"] for label in s["Labels"]}}
                    if s.get("Labels")
                    else {}
                ),
            }
            for s in props.get("Selectors") or []
        ]
        profile = self._eks.create_fargate_profile(
            request.ctx,
            fargate_profile_name=name,
            cluster_name=cluster,
            pod_execution_role_arn=str(props.get("PodExecutionRoleArn") or ""),
            subnets=props.get("Subnets"),
            selectors=selectors,
            tags=tag_map(request) or None,
        )["fargateProfile"]
        ref = f"{cluster}|{name}"
        return Provisioned(ref, ref, {"Arn": profile["fargateProfileArn"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        return None

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        cluster, _, name = physical_id.partition("|")
        ignore_missing(self._eks.delete_fargate_profile, ctx, cluster_name=cluster, fargate_profile_name=name)


class PodIdentityAssociationHandler:
    type_name: str = "AWS::EKS::PodIdentityAssociation"
    name_property: str | None = None
    capability_iam: bool = False

    def __init__(self, eks: EksService) -> None:
        self._eks = eks

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        association = self._eks.create_pod_identity_association(
            request.ctx,
            cluster_name=str(props.get("ClusterName") or ""),
            namespace=str(props.get("Namespace") or ""),
            service_account=str(props.get("ServiceAccount") or ""),
            role_arn=str(props.get("RoleArn") or ""),
            tags=tag_map(request) or None,
            target_role_arn=props.get("TargetRoleArn"),
            disable_session_tags=as_bool(props.get("DisableSessionTags")),
        )["association"]
        arn = association["associationArn"]
        return Provisioned(arn, arn, {"AssociationArn": arn, "AssociationId": association["associationId"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props = request.properties
        for fixed in ("ClusterName", "Namespace", "ServiceAccount"):
            if props.get(fixed) != old_properties.get(fixed):
                return None
        self._eks.update_pod_identity_association(
            request.ctx,
            cluster_name=str(props["ClusterName"]),
            association_id=str(old.attributes["AssociationId"]),
            role_arn=props.get("RoleArn"),
            target_role_arn=props.get("TargetRoleArn"),
            disable_session_tags=as_bool(props.get("DisableSessionTags")),
        )
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        association_id = physical_id.rsplit("/", 1)[-1]
        ignore_missing(
            self._eks.delete_pod_identity_association,
            ctx,
            cluster_name=str(properties.get("ClusterName") or ""),
            association_id=association_id,
        )
