"""Calls that differ only by entity kind (role, user, group): inline policies and managed policy
attachments, shared by the Role/User/Group handlers and the Policy/ManagedPolicy handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.services.cloudformation.resources.base import document, ignore_missing
from eksiam.services.context import CallContext
from eksiam.services.iam import IamService

ENTITY_CALLS = {
    "Roles": (
        "role_name",
        "put_role_policy",
        "delete_role_policy",
        "attach_role_policy",
        "detach_role_policy",
    ),
    "Users": (
        "user_name",
        "put_user_policy",
        "delete_user_policy",
        "attach_user_policy",
        "detach_user_policy",
    ),
    "Groups": (
        "group_name",
        "put_group_policy",
        "delete_group_policy",
        "attach_group_policy",
        "detach_group_policy",
    ),
}


def entity_name(value: str) -> str:
    """Roles/Users/Groups lists take names; an ARN names the entity by its last path segment."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def sync_inline(
    iam: IamService, ctx: CallContext, kind: str, name: str, props: Mapping[str, Any], old: Mapping[str, Any]
) -> None:
    """Inline ``Policies`` of a role/user/group brought from ``old`` to ``props``."""
    key, put, delete, _attach, _detach = ENTITY_CALLS[kind]
    new = {p["PolicyName"]: document(p["PolicyDocument"]) for p in props.get("Policies") or []}
    before = {p["PolicyName"]: document(p["PolicyDocument"]) for p in old.get("Policies") or []}
    for policy_name, text in new.items():
        if before.get(policy_name) != text:
            getattr(iam, put)(ctx, **{key: name}, policy_name=policy_name, policy_document=text)
    for policy_name in before.keys() - new.keys():
        ignore_missing(getattr(iam, delete), ctx, **{key: name}, policy_name=policy_name)


def sync_managed(
    iam: IamService, ctx: CallContext, kind: str, name: str, props: Mapping[str, Any], old: Mapping[str, Any]
) -> None:
    key, _put, _delete, attach, detach = ENTITY_CALLS[kind]
    new, before = set(props.get("ManagedPolicyArns") or []), set(old.get("ManagedPolicyArns") or [])
    for arn in sorted(new - before):
        getattr(iam, attach)(ctx, **{key: name}, policy_arn=arn)
    for arn in sorted(before - new):
        ignore_missing(getattr(iam, detach), ctx, **{key: name}, policy_arn=arn)
