"""Clusters: CreateCluster, DescribeCluster, ListClusters, DeleteCluster, RegisterCluster,
DeregisterCluster (EKS API Reference), with the IAM checks EKS makes.

- The cluster role must exist and trust ``eks.amazonaws.com``; otherwise InvalidParameterException
  "Role with arn: <arn>, could not be assumed because it does not exist or the trusted entity is not
  correct" (the text EKS answers, as quoted in public reports).
- The caller needs iam:PassRole on it (iam:PassedToService = eks.amazonaws.com).
- The first cluster of an account creates AWSServiceRoleForAmazonEKS, and creates it again after it
  was deleted; a cluster gets an OIDC issuer and a Kubernetes endpoint on eksiam's port.
- The creator gets an access entry with AmazonEKSClusterAdminPolicy unless
  ``accessConfig.bootstrapClusterCreatorAdminPermissions`` is false.
- DeleteCluster fails with ResourceInUseException while node groups or Fargate profiles remain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from eksiam import ids
from eksiam.offload import may_block
from eksiam.services.context import CallContext
from eksiam.services.eks import records as rec
from eksiam.services.eks.access_entries import CLUSTER_ADMIN_POLICY, creator_principal, put_access_entry
from eksiam.services.eks.base import EksBase
from eksiam.services.eks.certificates import cluster_ca
from eksiam.services.eks.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
    cluster_not_found,
)
from eksiam.services.iam.service_linked_roles import RoleUsage
from eksiam.services.oidc_issuers import SigningKey, add_issuer, remove_issuer
from eksiam.storage import Record, UnitOfWork

DEFAULT_VERSION = "1.33"
SUPPORTED_VERSIONS = ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33")
KUBE_PREFIX = "/_kube"
EKS_SERVICE = "eks.amazonaws.com"
CONNECTOR_SERVICE = "eks-connector.amazonaws.com"
# CreateCluster members that DescribeCluster returns as given (Cluster shape), by parameter name.
PASSED_THROUGH = {
    "encryption_config": "encryptionConfig",
    "outpost_config": "outpostConfig",
    "upgrade_policy": "upgradePolicy",
    "zonal_shift_config": "zonalShiftConfig",
    "remote_network_config": "remoteNetworkConfig",
    "compute_config": "computeConfig",
    "storage_config": "storageConfig",
    "deletion_protection": "deletionProtection",
    "control_plane_scaling_config": "controlPlaneScalingConfig",
}
CONNECTOR_PROVIDERS = (
    "EKS_ANYWHERE",
    "ANTHOS",
    "GKE",
    "AKS",
    "OPENSHIFT",
    "TANZU",
    "RANCHER",
    "EC2",
    "OTHER",
)


def cluster_view(record: Record) -> dict[str, Any]:
    view = rec.with_datetimes(record, "createdAt")
    if "connectorConfig" in view:
        config = dict(view["connectorConfig"])
        if isinstance(config.get("activationExpiry"), str):
            config["activationExpiry"] = datetime.fromisoformat(config["activationExpiry"])
        view["connectorConfig"] = config
    return view


class Clusters(EksBase):
    def _unassumable(self, role_arn: str) -> InvalidParameterException:
        return InvalidParameterException(
            f"Role with arn: {role_arn}, could not be assumed because it does not exist "
            "or the trusted entity is not correct"
        )

    def create_cluster(
        self,
        ctx: CallContext,
        *,
        name: str,
        role_arn: str,
        resources_vpc_config: Mapping[str, Any],
        version: str | None = None,
        kubernetes_network_config: Mapping[str, Any] | None = None,
        logging: Mapping[str, Any] | None = None,
        client_request_token: str | None = None,
        tags: Mapping[str, str] | None = None,
        access_config: Mapping[str, Any] | None = None,
        bootstrap_self_managed_addons: bool | None = None,
        encryption_config: Sequence[Mapping[str, Any]] | None = None,
        outpost_config: Mapping[str, Any] | None = None,
        upgrade_policy: Mapping[str, Any] | None = None,
        zonal_shift_config: Mapping[str, Any] | None = None,
        remote_network_config: Mapping[str, Any] | None = None,
        compute_config: Mapping[str, Any] | None = None,
        storage_config: Mapping[str, Any] | None = None,
        deletion_protection: bool | None = None,
        control_plane_scaling_config: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        given = {
            "encryption_config": encryption_config,
            "outpost_config": outpost_config,
            "upgrade_policy": upgrade_policy,
            "zonal_shift_config": zonal_shift_config,
            "remote_network_config": remote_network_config,
            "compute_config": compute_config,
            "storage_config": storage_config,
            "deletion_protection": deletion_protection,
            "control_plane_scaling_config": control_plane_scaling_config,
        }
        may_block()  # the cluster's issuer key is a 2048-bit RSA key generation
        self._check_name(name, "name")
        if version is not None and version not in SUPPORTED_VERSIONS:
            raise InvalidParameterException(f"unsupported Kubernetes version {version}", clusterName=name)
        role = self._role(ctx, role_arn, "roleArn")
        if role is None:
            raise self._unassumable(role_arn)
        context = {"aws:SourceAccount": ctx.account, "aws:SourceArn": self._arn(ctx, f"cluster/{name}")}
        report = self.check("cluster-role", role, context)
        if not report.trusts_service:
            raise self._unassumable(role_arn)
        self._pass_role(ctx, role_arn, EKS_SERVICE)
        network = dict(kubernetes_network_config or {})
        if network.get("ipFamily", "ipv4") not in ("ipv4", "ipv6"):
            raise InvalidParameterException("ipFamily must be ipv4 or ipv6", clusterName=name)
        access = dict(access_config or {})
        mode = access.get("authenticationMode", "API_AND_CONFIG_MAP")
        if mode not in ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP"):
            raise InvalidParameterException(f"Unsupported authenticationMode {mode}", clusterName=name)
        existing = self._read(lambda uow: uow.get(rec.CLUSTER, ctx.account, rec.key(ctx.region, name)))
        if existing is not None:
            raise ResourceInUseException(f"Cluster already exists with name: {name}", clusterName=name)

        self._ensure_service_linked_role(ctx, EKS_SERVICE)
        key, issuer_id = SigningKey.generate(), ids.hex_id(16)
        uid = uuid.uuid4().hex
        vpc = dict(resources_vpc_config)
        record: Record = {
            "name": name,
            "arn": self._arn(ctx, f"cluster/{name}"),
            "createdAt": rec.stamp(ctx.now),
            "version": version or DEFAULT_VERSION,
            "endpoint": f"{self.settings.endpoint_url.replace('http://', 'https://', 1)}{KUBE_PREFIX}/{uid}",
            "roleArn": role_arn,
            "resourcesVpcConfig": {
                "subnetIds": list(vpc.get("subnetIds") or []),
                "securityGroupIds": list(vpc.get("securityGroupIds") or []),
                "clusterSecurityGroupId": "sg-" + uid[:17],
                "vpcId": "vpc-" + uid[17:],
                "endpointPublicAccess": vpc.get("endpointPublicAccess", True),
                "endpointPrivateAccess": vpc.get("endpointPrivateAccess", False),
                "publicAccessCidrs": list(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]),
            },
            "kubernetesNetworkConfig": {
                "serviceIpv4Cidr": network.get("serviceIpv4Cidr", "10.100.0.0/16"),
                "ipFamily": network.get("ipFamily", "ipv4"),
                "elasticLoadBalancing": {"enabled": False},
            },
            "logging": dict(
                logging
                or {
                    "clusterLogging": [
                        {
                            "types": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                            "enabled": False,
                        }
                    ]
                }
            ),
            "identity": {"oidc": {"issuer": ""}},
            "status": "ACTIVE",
            "certificateAuthority": {"data": ""},
            "platformVersion": "eks.1",
            "tags": dict(tags or {}),
            "accessConfig": {"authenticationMode": mode},
            "health": {"issues": []},
            "upgradePolicy": {"supportType": "EXTENDED"},
            "_uid": uid,
        }
        record.update({PASSED_THROUGH[k]: v for k, v in given.items() if v is not None})
        if client_request_token:
            record["clientRequestToken"] = client_request_token
        bootstrap = access.get("bootstrapClusterCreatorAdminPermissions", True)

        def run(uow: UnitOfWork) -> Record:
            if uow.get(rec.CLUSTER, ctx.account, rec.key(ctx.region, name)) is not None:
                raise ResourceInUseException(f"Cluster already exists with name: {name}", clusterName=name)
            issuer = add_issuer(
                uow,
                account=ctx.account,
                region=ctx.region,
                cluster_name=name,
                key=key,
                issuer_id=issuer_id,
                now=ctx.now,
            )
            record["identity"] = {"oidc": {"issuer": issuer}}
            record["certificateAuthority"] = {"data": cluster_ca(uow, ctx.now).data}
            uow.put(rec.CLUSTER, ctx.account, rec.key(ctx.region, name), record, create=True)
            uow.put(rec.CLUSTER_UID, "", uid, {"account": ctx.account, "region": ctx.region, "name": name})
            principal = creator_principal(ctx)
            if bootstrap and mode != "CONFIG_MAP" and principal is not None:
                put_access_entry(uow, ctx, record, principal, policies=[CLUSTER_ADMIN_POLICY])
            return record

        created = cluster_view(self._write(run))
        created["status"] = "CREATING"
        return {"cluster": created}

    def describe_cluster(self, ctx: CallContext, *, name: str) -> dict[str, Any]:
        return {"cluster": cluster_view(self._require_cluster(ctx, name))}

    def list_clusters(
        self,
        ctx: CallContext,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
        include: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        rows = self._read(lambda uow: uow.list(rec.CLUSTER, ctx.account, prefix=ctx.region + "|"))
        wanted = set(include or [])
        names = [
            record["name"]
            for _, record in rows
            if "connectorConfig" not in record or "all" in wanted or "ALL" in wanted
        ]
        page, token = self._page(names, max_results, next_token)
        return {"clusters": page, **({"nextToken": token} if token else {})}

    def delete_cluster(self, ctx: CallContext, *, name: str) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            cluster = self._cluster(uow, ctx, name)
            if "connectorConfig" in cluster:
                raise ResourceNotFoundException(f"No cluster found for name: {name}.", clusterName=name)
            if cluster.get("deletionProtection"):
                raise InvalidRequestException(
                    f"Cluster {name} has deletion protection enabled. Disable it with UpdateClusterConfig "
                    "before deleting the cluster.",
                    clusterName=name,
                )
            base = rec.key(ctx.region, name) + "|"
            nodegroups = [r["nodegroupName"] for _, r in uow.list(rec.NODEGROUP, ctx.account, prefix=base)]
            if nodegroups:
                raise ResourceInUseException(
                    f"Cluster has nodegroups attached: {', '.join(nodegroups)}. Delete them first.",
                    clusterName=name,
                )
            profiles = [
                r["fargateProfileName"] for _, r in uow.list(rec.FARGATE_PROFILE, ctx.account, prefix=base)
            ]
            if profiles:
                raise ResourceInUseException(
                    f"Cluster has Fargate profiles attached: {', '.join(profiles)}. Delete them first.",
                    clusterName=name,
                )
            self._remove_cluster(uow, ctx, cluster)
            return cluster

        deleted = cluster_view(self._write(run))
        deleted["status"] = "DELETING"
        return {"cluster": deleted}

    def _remove_cluster(self, uow: UnitOfWork, ctx: CallContext, cluster: Record) -> None:
        base = rec.key(ctx.region, cluster["name"]) + "|"
        for kind in rec.CHILD_KINDS:
            for key, _ in uow.list(kind, ctx.account, prefix=base):
                uow.delete(kind, ctx.account, key)
        remove_issuer(uow, account=ctx.account, region=ctx.region, cluster_name=cluster["name"])
        uow.delete(rec.CLUSTER_UID, "", cluster["_uid"])
        uow.delete(rec.CLUSTER, ctx.account, rec.key(ctx.region, cluster["name"]))

    # -- EKS Connector -------------------------------------------------------------------------
    def register_cluster(
        self,
        ctx: CallContext,
        *,
        name: str,
        connector_config: Mapping[str, Any],
        client_request_token: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        self._check_name(name, "name")
        role_arn = str(connector_config.get("roleArn", ""))
        provider = str(connector_config.get("provider", ""))
        if provider not in CONNECTOR_PROVIDERS:
            raise InvalidParameterException(
                f"provider must be one of {', '.join(CONNECTOR_PROVIDERS)}", clusterName=name
            )
        role = self._role(ctx, role_arn, "connectorConfig.roleArn")
        if role is None:
            raise InvalidParameterException(f"Role {role_arn} does not exist.", clusterName=name)
        report = self.check("connector-role", role)
        if not report.ok:
            problems = " ".join(f.message for f in report.findings if f.severity == "error")
            raise InvalidParameterException(f"The connector role is not usable: {problems}", clusterName=name)
        self._pass_role(ctx, role_arn, "ssm.amazonaws.com")
        self._ensure_service_linked_role(ctx, CONNECTOR_SERVICE)
        uid = uuid.uuid4().hex
        record: Record = {
            "name": name,
            "arn": self._arn(ctx, f"cluster/{name}"),
            "createdAt": rec.stamp(ctx.now),
            "status": "PENDING",
            "tags": dict(tags or {}),
            "connectorConfig": {
                "activationId": str(uuid.uuid4()),
                "activationCode": ids.token(24),
                "activationExpiry": rec.stamp(ctx.now.replace(microsecond=0) + timedelta(days=3)),
                "provider": provider,
                "roleArn": role_arn,
            },
            "_uid": uid,
        }
        if client_request_token:
            record["clientRequestToken"] = client_request_token

        def run(uow: UnitOfWork) -> Record:
            if uow.get(rec.CLUSTER, ctx.account, rec.key(ctx.region, name)) is not None:
                raise ResourceInUseException(f"Cluster already exists with name: {name}", clusterName=name)
            uow.put(rec.CLUSTER, ctx.account, rec.key(ctx.region, name), record, create=True)
            uow.put(rec.CLUSTER_UID, "", uid, {"account": ctx.account, "region": ctx.region, "name": name})
            return record

        return {"cluster": cluster_view(self._write(run))}

    def deregister_cluster(self, ctx: CallContext, *, name: str) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            cluster = self._cluster(uow, ctx, name)
            if "connectorConfig" not in cluster:
                raise cluster_not_found(name)
            self._remove_cluster(uow, ctx, cluster)
            return cluster

        deleted = cluster_view(self._write(run))
        deleted["status"] = "DELETING"
        return {"cluster": deleted}

    # -- service-linked role usage (IAM's GetServiceLinkedRoleDeletionStatus asks) ---------------
    def role_usage(self, service: str) -> Callable[[str, str], list[RoleUsage]]:
        kinds: dict[str, tuple[str, Callable[[Record], bool], str]] = {
            EKS_SERVICE: (rec.CLUSTER, lambda r: "connectorConfig" not in r, "arn"),
            CONNECTOR_SERVICE: (rec.CLUSTER, lambda r: "connectorConfig" in r, "arn"),
            "eks-nodegroup.amazonaws.com": (rec.NODEGROUP, lambda r: True, "nodegroupArn"),
            "eks-fargate.amazonaws.com": (rec.FARGATE_PROFILE, lambda r: True, "fargateProfileArn"),
        }
        kind, wanted, arn_field = kinds[service]

        def usage(account: str, role_arn: str) -> list[RoleUsage]:
            rows = self._read(lambda uow: uow.list(kind, account))
            by_region: dict[str, list[str]] = {}
            for key, record in rows:
                if wanted(record):
                    by_region.setdefault(key.split("|", 1)[0], []).append(record[arn_field])
            return [RoleUsage(region, tuple(arns)) for region, arns in sorted(by_region.items())]

        return usage

    SERVICE_LINKED_ROLE_SERVICES = (
        EKS_SERVICE,
        CONNECTOR_SERVICE,
        "eks-nodegroup.amazonaws.com",
        "eks-fargate.amazonaws.com",
    )
