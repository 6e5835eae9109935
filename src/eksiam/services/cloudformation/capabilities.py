"""Which capabilities a template needs ("Acknowledging IAM resources in CloudFormation templates").

CAPABILITY_IAM for templates with AWS::IAM::AccessKey, Group, InstanceProfile, ManagedPolicy,
Policy, Role, User or UserToGroupAddition; CAPABILITY_NAMED_IAM when any of them has a custom
name. Without them CreateStack, UpdateStack and CreateChangeSet answer
InsufficientCapabilitiesException "Requires capabilities : [CAPABILITY_NAMED_IAM]".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eksiam.services.cloudformation.errors import InsufficientCapabilitiesException

IAM_TYPES: Mapping[str, str | None] = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}


def required(resources: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The capability the template's resources need, or None."""
    need: str | None = None
    for resource in resources.values():
        kind = str(resource.get("Type"))
        if kind not in IAM_TYPES:
            continue
        need = need or "CAPABILITY_IAM"
        name_property = IAM_TYPES[kind]
        if name_property and (resource.get("Properties") or {}).get(name_property) is not None:
            return "CAPABILITY_NAMED_IAM"
    return need


def check(resources: Mapping[str, Mapping[str, Any]], given: Iterable[str] | None) -> None:
    need = required(resources)
    have = set(given or ())
    if need is None or need in have or (need == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in have):
        return
    raise InsufficientCapabilitiesException(f"Requires capabilities : [{need}]")
