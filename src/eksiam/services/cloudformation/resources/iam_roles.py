"""AWS::IAM::Role, ServiceLinkedRole and InstanceProfile over IamService.

Return values ("Return values" of each type in the CloudFormation template reference):
Role: Ref RoleName, GetAtt Arn, RoleId. ServiceLinkedRole: Ref RoleName. InstanceProfile: Ref
name, GetAtt Arn. Name limits: role 64, instance profile 128 characters (IAM quotas).
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
    undo_on_failure,
)
from eksiam.services.cloudformation.resources.iam_entities import entity_name, sync_inline, sync_managed
from eksiam.services.context import CallContext
from eksiam.services.iam import IamService

_DELETION_POLLS = 10


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
