"""AWS::IAM::Role, Policy, ManagedPolicy, ServiceLinkedRole and InstanceProfile over IamService.

Return values ("Return values" of each type in the CloudFormation template reference):
Role: Ref RoleName, GetAtt Arn, RoleId. Policy: Ref physical id. ManagedPolicy: Ref ARN, GetAtt
PolicyArn, PolicyId, DefaultVersionId, AttachmentCount, IsAttachable, CreateDate, UpdateDate.
ServiceLinkedRole: Ref RoleName. InstanceProfile: Ref name, GetAtt Arn.
Name limits: role 64, managed policy 128, instance profile 128 characters (IAM quotas).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.errors import DynamicError, ServiceError
from eksiam.services.cloudformation.resources.base import (
    Provisioned,
    ResourceRequest,
    as_int,
    document,
    generated_name,
    ignore_missing,
    merged_tags,
    short_physical_id,
    undo_on_failure,
)
from eksiam.services.context import CallContext
from eksiam.services.iam import IamService

_DELETION_POLLS = 10
_ENTITY_CALLS = {
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


class RoleHandler:
    type_name: str = "AWS::IAM::Role"
    name_property: str | None = "RoleName"
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        name = props.get("RoleName") or generated_name(request.stack_name, request.logical_id, 64)
        out = self._iam.create_role(
            ctx,
            role_name=name,
            assume_role_policy_document=document(props.get("AssumeRolePolicyDocument")),
            path=props.get("Path"),
            description=props.get("Description"),
            max_session_duration=as_int(props.get("MaxSessionDuration")),
            permissions_boundary=props.get("PermissionsBoundary"),
            tags=merged_tags(request) or None,
        )["Role"]
        with undo_on_failure(lambda: self.delete(ctx, name, props)):
            for policy in props.get("Policies") or []:
                self._iam.put_role_policy(
                    ctx,
                    role_name=name,
                    policy_name=policy["PolicyName"],
                    policy_document=document(policy["PolicyDocument"]),
                )
            for arn in props.get("ManagedPolicyArns") or []:
                self._iam.attach_role_policy(ctx, role_name=name, policy_arn=arn)
        return Provisioned(name, name, {"Arn": out["Arn"], "RoleId": out["RoleId"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, name = request.properties, request.ctx, old.physical_id
        if props.get("RoleName") != old_properties.get("RoleName") or props.get("Path") != old_properties.get(
            "Path"
        ):
            return None
        trust = document(props.get("AssumeRolePolicyDocument"))
        if trust != document(old_properties.get("AssumeRolePolicyDocument")):
            self._iam.update_assume_role_policy(ctx, role_name=name, policy_document=trust)
        self._iam.update_role(
            ctx,
            role_name=name,
            description=props.get("Description") or "",
            max_session_duration=as_int(props.get("MaxSessionDuration")) or 3600,
        )
        if props.get("PermissionsBoundary") != old_properties.get("PermissionsBoundary"):
            if props.get("PermissionsBoundary"):
                self._iam.put_role_permissions_boundary(
                    ctx, role_name=name, permissions_boundary=props["PermissionsBoundary"]
                )
            else:
                self._iam.delete_role_permissions_boundary(ctx, role_name=name)
        new_tags, old_tags = (
            merged_tags(request),
            [t for t in old_properties.get("Tags") or [] if isinstance(t, dict)],
        )
        gone = [t["Key"] for t in old_tags if t["Key"] not in {n["Key"] for n in new_tags}]
        if gone:
            self._iam.untag_role(ctx, role_name=name, tag_keys=gone)
        if new_tags:
            self._iam.tag_role(ctx, role_name=name, tags=new_tags)
        sync_inline(self._iam, ctx, "Roles", name, props, old_properties)
        sync_managed(self._iam, ctx, "Roles", name, props, old_properties)
        return Provisioned(name, name, old.attributes)

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        name = physical_id
        try:
            inline = self._iam.list_role_policies(ctx, role_name=name)["PolicyNames"]
        except Exception as error:  # noqa: BLE001 - a role that is gone is deleted
            if getattr(error, "code", "") == "NoSuchEntity":
                return
            raise
        for policy_name in inline:
            ignore_missing(self._iam.delete_role_policy, ctx, role_name=name, policy_name=policy_name)
        for attached in self._iam.list_attached_role_policies(ctx, role_name=name)["AttachedPolicies"]:
            ignore_missing(
                self._iam.detach_role_policy, ctx, role_name=name, policy_arn=attached["PolicyArn"]
            )
        for profile in self._iam.list_instance_profiles_for_role(ctx, role_name=name)["InstanceProfiles"]:
            ignore_missing(
                self._iam.remove_role_from_instance_profile,
                ctx,
                instance_profile_name=profile["InstanceProfileName"],
                role_name=name,
            )
        ignore_missing(self._iam.delete_role, ctx, role_name=name)


def sync_inline(
    iam: IamService, ctx: CallContext, kind: str, name: str, props: Mapping[str, Any], old: Mapping[str, Any]
) -> None:
    """Inline ``Policies`` of a role/user/group brought from ``old`` to ``props``."""
    key, put, delete, _attach, _detach = _ENTITY_CALLS[kind]
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
    key, _put, _delete, attach, detach = _ENTITY_CALLS[kind]
    new, before = set(props.get("ManagedPolicyArns") or []), set(old.get("ManagedPolicyArns") or [])
    for arn in sorted(new - before):
        getattr(iam, attach)(ctx, **{key: name}, policy_arn=arn)
    for arn in sorted(before - new):
        ignore_missing(getattr(iam, detach), ctx, **{key: name}, policy_arn=arn)


class PolicyHandler:
    """An inline policy put on every listed role, user and group ("AWS::IAM::Policy")."""

    type_name: str = "AWS::IAM::Policy"
    name_property: str | None = None
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        if not any(props.get(k) for k in _ENTITY_CALLS):
            raise _invalid("At least one of [Groups,Roles,Users] must be non-empty.")
        physical_id = short_physical_id(request.stack_name, request.logical_id)
        with undo_on_failure(lambda: self.delete(ctx, physical_id, props)):
            self._put_all(ctx, props)
        return Provisioned(physical_id, physical_id)

    def _put_all(self, ctx: CallContext, props: Mapping[str, Any]) -> None:
        text = document(props.get("PolicyDocument"))
        for kind, (key, put, _d, _a, _t) in _ENTITY_CALLS.items():
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
        for kind in _ENTITY_CALLS:
            kept = (
                set(request.properties.get(kind) or [])
                if (request.properties.get("PolicyName") == old_properties.get("PolicyName"))
                else set()
            )
            stale[kind] = [e for e in old_properties.get(kind) or [] if e not in kept]
        self.delete(request.ctx, old.physical_id, stale)
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        for kind, (key, _p, delete, _a, _t) in _ENTITY_CALLS.items():
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
        for kind, (key, _p, _d, attach, detach) in _ENTITY_CALLS.items():
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
            key, _p, _d, _a, detach = _ENTITY_CALLS[kind]
            for entity in entities.get(field_name) or []:
                ignore_missing(getattr(self._iam, detach), ctx, **{key: entity[member]}, policy_arn=arn)
        for version in self._iam.list_policy_versions(ctx, policy_arn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                ignore_missing(
                    self._iam.delete_policy_version, ctx, policy_arn=arn, version_id=version["VersionId"]
                )
        ignore_missing(self._iam.delete_policy, ctx, policy_arn=arn)


class ServiceLinkedRoleHandler:
    type_name: str = "AWS::IAM::ServiceLinkedRole"
    name_property: str | None = None
    capability_iam: bool = False

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        role = self._iam.create_service_linked_role(
            request.ctx,
            aws_service_name=str(props.get("AWSServiceName") or ""),
            description=props.get("Description"),
            custom_suffix=props.get("CustomSuffix"),
        )["Role"]
        name = role["RoleName"]
        return Provisioned(name, name, {"RoleName": name, "Arn": role["Arn"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        if request.properties.get("AWSServiceName") != old_properties.get(
            "AWSServiceName"
        ) or request.properties.get("CustomSuffix") != old_properties.get("CustomSuffix"):
            return None
        self._iam.update_role_description(
            request.ctx, role_name=old.physical_id, description=request.properties.get("Description") or ""
        )
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        """DeleteServiceLinkedRole starts a deletion task; CloudFormation waits for its outcome
        (GetServiceLinkedRoleDeletionStatus) and fails the resource when IAM refuses."""
        try:
            task = self._iam.delete_service_linked_role(ctx, role_name=physical_id)["DeletionTaskId"]
        except ServiceError as error:
            if error.code == "NoSuchEntity":
                return
            raise
        for _ in range(_DELETION_POLLS):
            status = self._iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task)
            if status["Status"] == "SUCCEEDED":
                return
            if status["Status"] == "FAILED":
                reason = status.get("Reason") or {}
                raise DynamicError(
                    "DeleteConflict",
                    f"Service-linked role {physical_id} deletion failed: {reason.get('Reason', 'in use')}",
                    status=409,
                )
        raise DynamicError(
            "ServiceFailure", f"Service-linked role {physical_id} deletion did not finish.", status=500
        )


class InstanceProfileHandler:
    type_name: str = "AWS::IAM::InstanceProfile"
    name_property: str | None = "InstanceProfileName"
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        name = props.get("InstanceProfileName") or generated_name(request.stack_name, request.logical_id, 128)
        profile = self._iam.create_instance_profile(ctx, instance_profile_name=name, path=props.get("Path"))
        with undo_on_failure(lambda: self.delete(ctx, name, props)):
            for role in props.get("Roles") or []:
                self._iam.add_role_to_instance_profile(
                    ctx, instance_profile_name=name, role_name=entity_name(role)
                )
        return Provisioned(name, name, {"Arn": profile["InstanceProfile"]["Arn"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, name = request.properties, request.ctx, old.physical_id
        if props.get("InstanceProfileName") != old_properties.get("InstanceProfileName") or props.get(
            "Path"
        ) != old_properties.get("Path"):
            return None
        new, before = list(props.get("Roles") or []), list(old_properties.get("Roles") or [])
        for role in before:
            if role not in new:
                ignore_missing(
                    self._iam.remove_role_from_instance_profile,
                    ctx,
                    instance_profile_name=name,
                    role_name=entity_name(role),
                )
        for role in new:
            if role not in before:
                self._iam.add_role_to_instance_profile(
                    ctx, instance_profile_name=name, role_name=entity_name(role)
                )
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        try:
            profile = self._iam.get_instance_profile(ctx, instance_profile_name=physical_id)[
                "InstanceProfile"
            ]
        except Exception as error:  # noqa: BLE001
            if getattr(error, "code", "") == "NoSuchEntity":
                return
            raise
        for role in profile.get("Roles") or []:
            ignore_missing(
                self._iam.remove_role_from_instance_profile,
                ctx,
                instance_profile_name=physical_id,
                role_name=role["RoleName"],
            )
        ignore_missing(self._iam.delete_instance_profile, ctx, instance_profile_name=physical_id)
