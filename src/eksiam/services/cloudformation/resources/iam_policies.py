"""AWS::IAM::Policy (an inline policy on each listed role, user and group) and
AWS::IAM::ManagedPolicy over IamService ("Return values": Policy Ref is its physical id;
ManagedPolicy Ref is the ARN, GetAtt PolicyArn, PolicyId, DefaultVersionId, AttachmentCount,
IsAttachable, CreateDate, UpdateDate). A managed policy name is at most 128 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.services.cloudformation.resources.base import (
    Provisioned,
    ResourceRequest,
    document,
    generated_name,
    ignore_missing,
    short_physical_id,
    undo_on_failure,
)
from eksiam.services.cloudformation.resources.iam_entities import ENTITY_CALLS, entity_name
from eksiam.services.context import CallContext
from eksiam.services.iam import IamService


class PolicyHandler:
    """An inline policy put on every listed role, user and group ("AWS::IAM::Policy")."""

    type_name: str = "AWS::IAM::Policy"
    name_property: str | None = None
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        if not any(props.get(k) for k in ENTITY_CALLS):
            raise _invalid("At least one of [Groups,Roles,Users] must be non-empty.")
        physical_id = short_physical_id(request.stack_name, request.logical_id)
        with undo_on_failure(lambda: self.delete(ctx, physical_id, props)):
            self._put_all(ctx, props)
        return Provisioned(physical_id, physical_id)

    def _put_all(self, ctx: CallContext, props: Mapping[str, Any]) -> None:
        text = document(props.get("PolicyDocument"))
        for kind, (key, put, _d, _a, _t) in ENTITY_CALLS.items():
            for entity in props.get(kind) or []:
                getattr(self._iam, put)(
                    ctx,
                    **{key: entity_name(entity)},
                    policy_name=props.get("PolicyName"),
                    policy_document=text,
                )

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        self._put_all(request.ctx, request.properties)
        stale = dict(old_properties)
        for kind in ENTITY_CALLS:
            kept = (
                set(request.properties.get(kind) or [])
                if (request.properties.get("PolicyName") == old_properties.get("PolicyName"))
                else set()
            )
            stale[kind] = [e for e in old_properties.get(kind) or [] if e not in kept]
        self.delete(request.ctx, old.physical_id, stale)
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        for kind, (key, _p, delete, _a, _t) in ENTITY_CALLS.items():
            for entity in properties.get(kind) or []:
                ignore_missing(
                    getattr(self._iam, delete),
                    ctx,
                    **{key: entity_name(entity)},
                    policy_name=properties.get("PolicyName"),
                )


def _invalid(message: str) -> Exception:
    from eksiam.services.cloudformation.errors import ValidationError

    return ValidationError(message)


class ManagedPolicyHandler:
    type_name: str = "AWS::IAM::ManagedPolicy"
    name_property: str | None = "ManagedPolicyName"
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        name = props.get("ManagedPolicyName") or generated_name(request.stack_name, request.logical_id, 128)
        policy = self._iam.create_policy(
            ctx,
            policy_name=name,
            policy_document=document(props.get("PolicyDocument")),
            path=props.get("Path"),
            description=props.get("Description"),
        )["Policy"]
        arn = policy["Arn"]
        with undo_on_failure(lambda: self.delete(ctx, arn, props)):
            self._attach(ctx, arn, props, {})
        return Provisioned(arn, arn, self._attributes(policy))

    @staticmethod
    def _attributes(policy: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "PolicyArn": policy["Arn"],
            "PolicyId": policy["PolicyId"],
            "DefaultVersionId": policy["DefaultVersionId"],
            "IsAttachable": policy["IsAttachable"],
            "AttachmentCount": policy["AttachmentCount"],
            "CreateDate": str(policy["CreateDate"]),
            "UpdateDate": str(policy["UpdateDate"]),
        }

    def _attach(self, ctx: CallContext, arn: str, props: Mapping[str, Any], old: Mapping[str, Any]) -> None:
        for kind, (key, _p, _d, attach, detach) in ENTITY_CALLS.items():
            new = [entity_name(e) for e in props.get(kind) or []]
            before = [entity_name(e) for e in old.get(kind) or []]
            for entity in new:
                if entity not in before:
                    getattr(self._iam, attach)(ctx, **{key: entity}, policy_arn=arn)
            for entity in before:
                if entity not in new:
                    ignore_missing(getattr(self._iam, detach), ctx, **{key: entity}, policy_arn=arn)

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, arn = request.properties, request.ctx, old.physical_id
        for replaced in ("ManagedPolicyName", "Path", "Description"):
            if props.get(replaced) != old_properties.get(replaced):
                return None
        text = document(props.get("PolicyDocument"))
        if text != document(old_properties.get("PolicyDocument")):
            versions = self._iam.list_policy_versions(ctx, policy_arn=arn)["Versions"]
            if len(versions) >= 5:
                oldest = min(
                    (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
                )
                self._iam.delete_policy_version(ctx, policy_arn=arn, version_id=oldest["VersionId"])
            self._iam.create_policy_version(ctx, policy_arn=arn, policy_document=text, set_as_default=True)
        self._attach(ctx, arn, props, old_properties)
        policy = self._iam.get_policy(ctx, policy_arn=arn)["Policy"]
        return Provisioned(arn, arn, self._attributes(policy))

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        arn = physical_id
        try:
            entities = self._iam.list_entities_for_policy(ctx, policy_arn=arn)
        except Exception as error:  # noqa: BLE001
            if getattr(error, "code", "") == "NoSuchEntity":
                return
            raise
        for kind, field_name, member in (
            ("Roles", "PolicyRoles", "RoleName"),
            ("Users", "PolicyUsers", "UserName"),
            ("Groups", "PolicyGroups", "GroupName"),
        ):
            key, _p, _d, _a, detach = ENTITY_CALLS[kind]
            for entity in entities.get(field_name) or []:
                ignore_missing(getattr(self._iam, detach), ctx, **{key: entity[member]}, policy_arn=arn)
        for version in self._iam.list_policy_versions(ctx, policy_arn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                ignore_missing(
                    self._iam.delete_policy_version, ctx, policy_arn=arn, version_id=version["VersionId"]
                )
        ignore_missing(self._iam.delete_policy, ctx, policy_arn=arn)
