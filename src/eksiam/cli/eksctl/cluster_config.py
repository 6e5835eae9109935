"""eksctl's ClusterConfig file (``apiVersion: eksctl.io/v1alpha5``, ``kind: ClusterConfig``).

Rules (eksctl ``pkg/apis/eksctl.io/v1alpha5/{types,iam,defaults,validation}.go``;
irsa-and-eksctl.md 2.2, 2.7):

1. Decoding is strict, as eksctl's: a key the schema does not know is an error naming its full path
   (``iam.serviceAccounts[0].atachPolicyARNs``), and so is a value of the wrong type.
2. The schema (config_schema.py) is the part eksiam acts on, plus eksctl's other top-level
   sections accepted as opaque values so that real eksctl files load (``vpc``, ``addons``...).
3. Defaults are eksctl's: namespace ``default``, ``withOIDC`` false, ``vpcResourceControllerPolicy``
   true; the region falls back to the caller's (the CLI passes it in).
4. Every error is a :class:`ConfigError` whose message names the field and says what is expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eksiam.cli.eksctl.config_schema import SCHEMA, ConfigError, check

API_VERSION = "eksctl.io/v1alpha5"


def _strs(value: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """One ``iam.serviceAccounts[]`` entry (ClusterIAMServiceAccount)."""

    name: str
    namespace: str = "default"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    attach_policy_arns: tuple[str, ...] = ()
    well_known_policies: tuple[str, ...] = ()
    attach_policy: dict[str, Any] | None = None
    attach_role_arn: str = ""
    permissions_boundary: str = ""
    role_name: str = ""
    role_only: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    subject_pattern: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def has_policies(self) -> bool:
        return bool(self.attach_policy_arns or self.well_known_policies or self.attach_policy)


@dataclass(frozen=True, slots=True)
class PodIdentityAssociation:
    """One ``iam.podIdentityAssociations[]`` entry."""

    namespace: str
    service_account_name: str
    role_arn: str = ""
    create_service_account: bool = False
    role_name: str = ""
    permissions_boundary_arn: str = ""
    permission_policy_arns: tuple[str, ...] = ()
    permission_policy_name: str = "Policy1"
    permission_policy: dict[str, Any] | None = None
    well_known_policies: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    target_role_arn: str = ""
    disable_session_tags: bool = False
    policy: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.service_account_name}"


@dataclass(frozen=True, slots=True)
class NodeGroup:
    """A ``nodeGroups[]`` (self-managed) or ``managedNodeGroups[]`` entry and its ``iam``."""

    name: str
    managed: bool
    instance_types: tuple[str, ...] = ("m5.large",)
    desired_capacity: int = 2
    min_size: int | None = None
    max_size: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    attach_policy_arns: tuple[str, ...] = ()
    attach_policy: dict[str, Any] | None = None
    instance_role_arn: str = ""
    instance_role_name: str = ""
    instance_role_permissions_boundary: str = ""
    addon_policies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FargateProfile:
    name: str
    selectors: tuple[dict[str, Any], ...] = ()
    pod_execution_role_arn: str = ""


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    name: str
    region: str
    version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    with_oidc: bool = False
    service_role_arn: str = ""
    service_role_permissions_boundary: str = ""
    fargate_pod_execution_role_arn: str = ""
    vpc_resource_controller_policy: bool = True
    service_accounts: tuple[ServiceAccount, ...] = ()
    pod_identity_associations: tuple[PodIdentityAssociation, ...] = ()
    node_groups: tuple[NodeGroup, ...] = ()
    fargate_profiles: tuple[FargateProfile, ...] = ()
    has_vpc_cni_addon: bool = False
    source: str = ""


def _enabled(flags: Mapping[str, Any] | None) -> tuple[str, ...]:
    return tuple(name for name, on in (flags or {}).items() if on)


def service_account(entry: Mapping[str, Any], where: str) -> ServiceAccount:
    meta = entry.get("metadata") or {}
    if not meta.get("name"):
        raise ConfigError(f"{where}.name must be set")
    account = ServiceAccount(
        name=meta["name"],
        namespace=meta.get("namespace") or "default",
        labels=_strs(meta.get("labels")),
        annotations=_strs(meta.get("annotations")),
        attach_policy_arns=tuple(entry.get("attachPolicyARNs") or ()),
        well_known_policies=_enabled(entry.get("wellKnownPolicies")),
        attach_policy=dict(entry["attachPolicy"]) if entry.get("attachPolicy") else None,
        attach_role_arn=entry.get("attachRoleARN") or "",
        permissions_boundary=entry.get("permissionsBoundary") or "",
        role_name=entry.get("roleName") or "",
        role_only=bool(entry.get("roleOnly")),
        tags=_strs(entry.get("tags")),
        subject_pattern=entry.get("subjectPattern") or "",
    )
    if account.attach_role_arn and (account.has_policies or account.role_name):
        raise ConfigError(
            f"{where}: attachRoleARN cannot be combined with attachPolicyARNs, attachPolicy, "
            "wellKnownPolicies or roleName"
        )
    if not account.attach_role_arn and not account.has_policies:
        raise ConfigError(
            f"{where}: at least one of attachPolicyARNs, attachPolicy, wellKnownPolicies or attachRoleARN "
            "must be set"
        )
    return account


def _pod_identity(entry: Mapping[str, Any], where: str) -> PodIdentityAssociation:
    for required in ("namespace", "serviceAccountName"):
        if not entry.get(required):
            raise ConfigError(f"{where}.{required} must be set")
    association = PodIdentityAssociation(
        namespace=entry["namespace"],
        service_account_name=entry["serviceAccountName"],
        role_arn=entry.get("roleARN") or "",
        create_service_account=bool(entry.get("createServiceAccount")),
        role_name=entry.get("roleName") or "",
        permissions_boundary_arn=entry.get("permissionsBoundaryARN") or "",
        permission_policy_arns=tuple(entry.get("permissionPolicyARNs") or ()),
        permission_policy_name=entry.get("permissionPolicyName") or "Policy1",
        permission_policy=dict(entry["permissionPolicy"]) if entry.get("permissionPolicy") else None,
        well_known_policies=_enabled(entry.get("wellKnownPolicies")),
        tags=_strs(entry.get("tags")),
        target_role_arn=entry.get("targetRoleARN") or "",
        disable_session_tags=bool(entry.get("disableSessionTags")),
        policy=dict(entry["policy"]) if entry.get("policy") else None,
    )
    has_policies = (
        association.permission_policy_arns or association.permission_policy or association.well_known_policies
    )
    if association.role_arn and has_policies:
        raise ConfigError(
            f"{where}: roleARN cannot be combined with permission policies or wellKnownPolicies"
        )
    if not association.role_arn and not has_policies:
        raise ConfigError(
            f"{where}: at least one of roleARN, permissionPolicyARNs, permissionPolicy or wellKnownPolicies "
            "must be set"
        )
    return association


def _node_group(entry: Mapping[str, Any], where: str, managed: bool) -> NodeGroup:
    if not entry.get("name"):
        raise ConfigError(f"{where}.name must be set")
    node_iam = entry.get("iam") or {}
    types = entry.get("instanceTypes") or (
        [entry["instanceType"]] if entry.get("instanceType") else ["m5.large"]
    )
    desired = entry.get("desiredCapacity", 2)
    return NodeGroup(
        name=entry["name"],
        managed=managed,
        instance_types=tuple(types),
        desired_capacity=desired,
        min_size=entry.get("minSize"),
        max_size=entry.get("maxSize"),
        labels=_strs(entry.get("labels")),
        tags=_strs(entry.get("tags")),
        attach_policy_arns=tuple(node_iam.get("attachPolicyARNs") or ()),
        attach_policy=dict(node_iam["attachPolicy"]) if node_iam.get("attachPolicy") else None,
        instance_role_arn=node_iam.get("instanceRoleARN") or "",
        instance_role_name=node_iam.get("instanceRoleName") or "",
        instance_role_permissions_boundary=node_iam.get("instanceRolePermissionsBoundary") or "",
        addon_policies=_enabled(node_iam.get("withAddonPolicies")),
    )


def parse_config(document: Any, source: str, default_region: str) -> ClusterConfig:
    """Validate a decoded ClusterConfig document and build the values eksiam acts on."""
    if not isinstance(document, Mapping):
        raise ConfigError("the file must hold one ClusterConfig mapping (apiVersion, kind, metadata, ...)")
    check(document, SCHEMA, "")
    if document.get("apiVersion") != API_VERSION:
        raise ConfigError(f'apiVersion: must be "{API_VERSION}", got {document.get("apiVersion")!r}')
    if document.get("kind") != "ClusterConfig":
        raise ConfigError(f'kind: must be "ClusterConfig", got {document.get("kind")!r}')
    meta = document.get("metadata") or {}
    if not meta.get("name"):
        raise ConfigError("metadata.name must be set")
    cluster_iam = document.get("iam") or {}
    accounts = tuple(
        service_account(entry, f"iam.serviceAccounts[{i}]")
        for i, entry in enumerate(cluster_iam.get("serviceAccounts") or [])
    )
    with_oidc = bool(cluster_iam.get("withOIDC"))
    if accounts and not with_oidc:
        raise ConfigError("iam.withOIDC must be enabled explicitly for iam.serviceAccounts to be created")
    seen: set[str] = set()
    for index, account in enumerate(accounts):
        if account.key in seen:
            raise ConfigError(f'iam.serviceAccounts[{index}]: "{account.key}" is defined more than once')
        seen.add(account.key)
    associations = tuple(
        _pod_identity(entry, f"iam.podIdentityAssociations[{i}]")
        for i, entry in enumerate(cluster_iam.get("podIdentityAssociations") or [])
    )
    groups = tuple(
        _node_group(entry, f"{section}[{i}]", managed=section == "managedNodeGroups")
        for section in ("nodeGroups", "managedNodeGroups")
        for i, entry in enumerate(document.get(section) or [])
    )
    names = [group.name for group in groups]
    if len(set(names)) != len(names):
        raise ConfigError(f"nodeGroups/managedNodeGroups: node group names must be unique, got {names}")
    profiles = tuple(
        FargateProfile(
            name=entry.get("name") or "",
            selectors=tuple(entry.get("selectors") or ()),
            pod_execution_role_arn=entry.get("podExecutionRoleARN") or "",
        )
        for entry in document.get("fargateProfiles") or []
    )
    for index, profile in enumerate(profiles):
        if not profile.name:
            raise ConfigError(f"fargateProfiles[{index}].name must be set")
        if not profile.selectors:
            raise ConfigError(f"fargateProfiles[{index}].selectors must have at least one selector")
    addons = document.get("addons") or []
    return ClusterConfig(
        name=meta["name"],
        region=meta.get("region") or default_region,
        version=meta.get("version"),
        tags=_strs(meta.get("tags")),
        with_oidc=with_oidc,
        service_role_arn=cluster_iam.get("serviceRoleARN") or "",
        service_role_permissions_boundary=cluster_iam.get("serviceRolePermissionsBoundary") or "",
        fargate_pod_execution_role_arn=cluster_iam.get("fargatePodExecutionRoleARN") or "",
        vpc_resource_controller_policy=cluster_iam.get("vpcResourceControllerPolicy", True),
        service_accounts=accounts,
        pod_identity_associations=associations,
        node_groups=groups,
        fargate_profiles=profiles,
        has_vpc_cni_addon=any(isinstance(a, Mapping) and a.get("name") == "vpc-cni" for a in addons),
        source=source,
    )


def load_config(path: str, default_region: str) -> ClusterConfig:
    """Read and validate a ClusterConfig file; every problem is a ConfigError naming file and field."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f'reading config file "{path}": {err.strerror}') from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f'loading config file "{path}": not valid YAML: {err}') from None
    try:
        return parse_config(document, path, default_region)
    except ConfigError as err:
        raise ConfigError(f'loading config file "{path}": {err}') from None
