"""The ClusterConfig schema eksiam reads, as data, and the strict check eksctl's decoder makes.

A key the schema does not know is an error naming its full path (``iam.serviceAccounts[0].foo``),
as eksctl's strict unmarshalling rejects unknown fields; a value of the wrong type names its path and
the expected type. eksctl's other top-level sections are accepted as opaque values so real files load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.cli.eksctl.well_known import NODE_ADDON_POLICIES, WELL_KNOWN_POLICIES


class ConfigError(Exception):
    """A ClusterConfig that cannot be used; the message names the field."""


STR, BOOL, INT, DOC, ANY = str, bool, int, "document", "any"
MAP_STR, LIST_STR = "map[string]string", "[]string"


def _bools(names: Any) -> dict[str, Any]:
    return {name: BOOL for name in names}


_SA_METADATA = {"name": STR, "namespace": STR, "labels": MAP_STR, "annotations": MAP_STR}
_SERVICE_ACCOUNT = {
    "metadata": _SA_METADATA,
    "attachPolicyARNs": LIST_STR,
    "wellKnownPolicies": _bools(WELL_KNOWN_POLICIES),
    "attachPolicy": DOC,
    "attachRoleARN": STR,
    "permissionsBoundary": STR,
    "roleName": STR,
    "roleOnly": BOOL,
    "tags": MAP_STR,
    "subjectPattern": STR,
    "status": ANY,
}
_POD_IDENTITY = {
    "namespace": STR,
    "serviceAccountName": STR,
    "roleARN": STR,
    "createServiceAccount": BOOL,
    "roleName": STR,
    "permissionsBoundaryARN": STR,
    "permissionPolicyARNs": LIST_STR,
    "permissionPolicyName": STR,
    "permissionPolicy": DOC,
    "wellKnownPolicies": _bools(WELL_KNOWN_POLICIES),
    "tags": MAP_STR,
    "targetRoleARN": STR,
    "disableSessionTags": BOOL,
    "policy": DOC,
}
_NODE_IAM = {
    "attachPolicy": DOC,
    "attachPolicyARNs": LIST_STR,
    "instanceProfileARN": STR,
    "instanceRoleARN": STR,
    "instanceRoleName": STR,
    "instanceRolePermissionsBoundary": STR,
    "withAddonPolicies": _bools(NODE_ADDON_POLICIES),
}
_NODE_GROUP = {
    "name": STR,
    "iam": _NODE_IAM,
    "instanceType": STR,
    "instanceTypes": LIST_STR,
    "desiredCapacity": INT,
    "minSize": INT,
    "maxSize": INT,
    "volumeSize": INT,
    "amiFamily": STR,
    "labels": MAP_STR,
    "tags": MAP_STR,
    "taints": ANY,
    "ssh": ANY,
    "privateNetworking": BOOL,
    "availabilityZones": LIST_STR,
    "subnets": LIST_STR,
    "spot": BOOL,
}
_FARGATE_PROFILE = {
    "name": STR,
    "podExecutionRoleARN": STR,
    "selectors": [{"namespace": STR, "labels": MAP_STR}],
    "subnets": LIST_STR,
    "tags": MAP_STR,
}
_IAM = {
    "serviceRoleARN": STR,
    "serviceRolePermissionsBoundary": STR,
    "fargatePodExecutionRoleARN": STR,
    "fargatePodExecutionRolePermissionsBoundary": STR,
    "withOIDC": BOOL,
    "serviceAccounts": [_SERVICE_ACCOUNT],
    "podIdentityAssociations": [_POD_IDENTITY],
    "vpcResourceControllerPolicy": BOOL,
}
SCHEMA: dict[str, Any] = {
    "apiVersion": STR,
    "kind": STR,
    "metadata": {"name": STR, "region": STR, "version": STR, "tags": MAP_STR, "annotations": MAP_STR},
    "iam": _IAM,
    "nodeGroups": [_NODE_GROUP],
    "managedNodeGroups": [_NODE_GROUP],
    "fargateProfiles": [_FARGATE_PROFILE],
    **{
        opaque: ANY
        for opaque in (
            "vpc",
            "addons",
            "addonsConfig",
            "cloudWatch",
            "availabilityZones",
            "kubernetesNetworkConfig",
            "accessConfig",
            "secretsEncryption",
            "privateCluster",
            "identityProviders",
            "iamIdentityMappings",
            "karpenter",
            "autoModeConfig",
            "zonalShiftConfig",
            "remoteNetworkConfig",
            "outpost",
            "gitops",
        )
    },
}

_TYPE_NAMES = {STR: "a string", BOOL: "true or false", INT: "an integer"}


def check(value: Any, schema: Any, path: str) -> None:
    if schema == ANY:
        return
    if isinstance(schema, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: must be a mapping of fields, got {type(value).__name__}")
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in schema:
                raise ConfigError(f'unknown field "{where}"')
            check(item, schema[key], where)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            raise ConfigError(f"{path}: must be a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            check(item, schema[0], f"{path}[{index}]")
    elif schema == DOC:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: must be a policy document (a mapping with Version and Statement)")
    elif schema == MAP_STR:
        if not isinstance(value, Mapping) or not all(
            isinstance(v, str | int | float) for v in value.values()
        ):
            raise ConfigError(f"{path}: must be a mapping of strings (key: value)")
    elif schema == LIST_STR:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: must be a list of strings")
    elif (
        schema is BOOL
        and not isinstance(value, bool)
        or schema in (STR, INT)
        and (not isinstance(value, schema) or isinstance(value, bool))
    ):
        raise ConfigError(f"{path}: must be {_TYPE_NAMES[schema]}, got {value!r}")
