"""AWS::IAM::User, Group, AccessKey, OIDCProvider and UserToGroupAddition over IamService.

Return values (template reference): User and Group: Ref name, GetAtt Arn. AccessKey: Ref the
access key id, GetAtt SecretAccessKey. OIDCProvider: Ref ARN, GetAtt Arn. Name limits: user 64,
group 128 characters. User.LoginProfile needs console passwords, which eksiam does not model: a
template that sets it fails that resource with a clear reason instead of silently ignoring it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.errors import ServiceError
from eksiam.services.cloudformation.errors import ValidationError
from eksiam.services.cloudformation.resources.base import (
    Provisioned,
    ResourceRequest,
    generated_name,
    ignore_missing,
    merged_tags,
    short_physical_id,
    undo_on_failure,
)
from eksiam.services.cloudformation.resources.iam_entities import (
    entity_name,
    sync_inline,
    sync_managed,
)
from eksiam.services.context import CallContext
from eksiam.services.iam import IamService


def _sync_tags(
    iam: IamService,
    kind: str,
    ctx: CallContext,
    name_args: dict[str, Any],
    new: list[dict[str, str]],
    old: list[dict[str, str]],
) -> None:
    gone = [t["Key"] for t in old if t["Key"] not in {n["Key"] for n in new}]
    if gone:
        getattr(iam, f"untag_{kind}")(ctx, **name_args, tag_keys=gone)
    if new and new != old:
        getattr(iam, f"tag_{kind}")(ctx, **name_args, tags=new)


def _missing(error: ServiceError) -> bool:
    return error.code == "NoSuchEntity"


class UserHandler:
    type_name: str = "AWS::IAM::User"
    name_property: str | None = "UserName"
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        if props.get("LoginProfile") is not None:
            raise ValidationError("LoginProfile (console passwords) is not supported by eksiam.")
        name = props.get("UserName") or generated_name(request.stack_name, request.logical_id, 64)
        user = self._iam.create_user(
            ctx,
            user_name=name,
            path=props.get("Path"),
            permissions_boundary=props.get("PermissionsBoundary"),
            tags=merged_tags(request) or None,
        )["User"]
        with undo_on_failure(lambda: self.delete(ctx, name, props)):
            for group in props.get("Groups") or []:
                self._iam.add_user_to_group(ctx, group_name=entity_name(group), user_name=name)
            sync_inline(self._iam, ctx, "Users", name, props, {})
            sync_managed(self._iam, ctx, "Users", name, props, {})
        return Provisioned(name, name, {"Arn": user["Arn"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, name = request.properties, request.ctx, old.physical_id
        if props.get("UserName") != old_properties.get("UserName") or props.get("Path") != old_properties.get(
            "Path"
        ):
            return None
        if props.get("LoginProfile") is not None:
            raise ValidationError("LoginProfile (console passwords) is not supported by eksiam.")
        new_groups = [entity_name(g) for g in props.get("Groups") or []]
        old_groups = [entity_name(g) for g in old_properties.get("Groups") or []]
        for group in old_groups:
            if group not in new_groups:
                ignore_missing(self._iam.remove_user_from_group, ctx, group_name=group, user_name=name)
        for group in new_groups:
            if group not in old_groups:
                self._iam.add_user_to_group(ctx, group_name=group, user_name=name)
        boundary = props.get("PermissionsBoundary")
        if boundary != old_properties.get("PermissionsBoundary"):
            if boundary:
                self._iam.put_user_permissions_boundary(ctx, user_name=name, permissions_boundary=boundary)
            else:
                self._iam.delete_user_permissions_boundary(ctx, user_name=name)
        _sync_tags(
            self._iam,
            "user",
            ctx,
            {"user_name": name},
            merged_tags(request),
            list(old_properties.get("Tags") or []),
        )
        sync_inline(self._iam, ctx, "Users", name, props, old_properties)
        sync_managed(self._iam, ctx, "Users", name, props, old_properties)
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        name = physical_id
        try:
            groups = self._iam.list_groups_for_user(ctx, user_name=name)["Groups"]
        except ServiceError as error:
            if _missing(error):
                return
            raise
        for group in groups:
            ignore_missing(
                self._iam.remove_user_from_group, ctx, group_name=group["GroupName"], user_name=name
            )
        for policy_name in self._iam.list_user_policies(ctx, user_name=name)["PolicyNames"]:
            ignore_missing(self._iam.delete_user_policy, ctx, user_name=name, policy_name=policy_name)
        for attached in self._iam.list_attached_user_policies(ctx, user_name=name)["AttachedPolicies"]:
            ignore_missing(
                self._iam.detach_user_policy, ctx, user_name=name, policy_arn=attached["PolicyArn"]
            )
        ignore_missing(self._iam.delete_user, ctx, user_name=name)


class GroupHandler:
    type_name: str = "AWS::IAM::Group"
    name_property: str | None = "GroupName"
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        name = props.get("GroupName") or generated_name(request.stack_name, request.logical_id, 128)
        group = self._iam.create_group(ctx, group_name=name, path=props.get("Path"))["Group"]
        with undo_on_failure(lambda: self.delete(ctx, name, props)):
            sync_inline(self._iam, ctx, "Groups", name, props, {})
            sync_managed(self._iam, ctx, "Groups", name, props, {})
        return Provisioned(name, name, {"Arn": group["Arn"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, name = request.properties, request.ctx, old.physical_id
        if props.get("GroupName") != old_properties.get("GroupName"):
            return None
        if props.get("Path") != old_properties.get("Path"):
            self._iam.update_group(ctx, group_name=name, new_path=props.get("Path") or "/")
        sync_inline(self._iam, ctx, "Groups", name, props, old_properties)
        sync_managed(self._iam, ctx, "Groups", name, props, old_properties)
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        name = physical_id
        try:
            members = self._iam.get_group(ctx, group_name=name)["Users"]
        except ServiceError as error:
            if _missing(error):
                return
            raise
        for user in members:
            ignore_missing(self._iam.remove_user_from_group, ctx, group_name=name, user_name=user["UserName"])
        for policy_name in self._iam.list_group_policies(ctx, group_name=name)["PolicyNames"]:
            ignore_missing(self._iam.delete_group_policy, ctx, group_name=name, policy_name=policy_name)
        for attached in self._iam.list_attached_group_policies(ctx, group_name=name)["AttachedPolicies"]:
            ignore_missing(
                self._iam.detach_group_policy, ctx, group_name=name, policy_arn=attached["PolicyArn"]
            )
        ignore_missing(self._iam.delete_group, ctx, group_name=name)


class AccessKeyHandler:
    type_name: str = "AWS::IAM::AccessKey"
    name_property: str | None = None
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        user = entity_name(str(props.get("UserName") or ""))
        key = self._iam.create_access_key(ctx, user_name=user)["AccessKey"]
        key_id = key["AccessKeyId"]
        with undo_on_failure(lambda: self.delete(ctx, key_id, props)):
            if props.get("Status") == "Inactive":
                self._iam.update_access_key(ctx, access_key_id=key_id, status="Inactive", user_name=user)
        return Provisioned(key_id, key_id, {"SecretAccessKey": key["SecretAccessKey"]})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props = request.properties
        if props.get("UserName") != old_properties.get("UserName") or props.get(
            "Serial"
        ) != old_properties.get("Serial"):
            return None
        self._iam.update_access_key(
            request.ctx,
            access_key_id=old.physical_id,
            status=str(props.get("Status") or "Active"),
            user_name=entity_name(str(props.get("UserName"))),
        )
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        user = entity_name(str(properties.get("UserName") or ""))
        ignore_missing(self._iam.delete_access_key, ctx, access_key_id=physical_id, user_name=user)


class OidcProviderHandler:
    type_name: str = "AWS::IAM::OIDCProvider"
    name_property: str | None = None
    capability_iam: bool = False

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props = request.properties
        arn = self._iam.create_open_id_connect_provider(
            request.ctx,
            url=str(props.get("Url") or ""),
            client_id_list=list(props.get("ClientIdList") or []),
            thumbprint_list=list(props.get("ThumbprintList") or []) or None,
            tags=merged_tags(request) or None,
        )["OpenIDConnectProviderArn"]
        return Provisioned(arn, arn, {"Arn": arn})

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        props, ctx, arn = request.properties, request.ctx, old.physical_id
        if props.get("Url") != old_properties.get("Url"):
            return None
        new_ids, old_ids = (
            list(props.get("ClientIdList") or []),
            list(old_properties.get("ClientIdList") or []),
        )
        for client_id in new_ids:
            if client_id not in old_ids:
                self._iam.add_client_id_to_open_id_connect_provider(
                    ctx, open_id_connect_provider_arn=arn, client_id=client_id
                )
        for client_id in old_ids:
            if client_id not in new_ids:
                self._iam.remove_client_id_from_open_id_connect_provider(
                    ctx, open_id_connect_provider_arn=arn, client_id=client_id
                )
        thumbprints = list(props.get("ThumbprintList") or [])
        if thumbprints and thumbprints != list(old_properties.get("ThumbprintList") or []):
            self._iam.update_open_id_connect_provider_thumbprint(
                ctx, open_id_connect_provider_arn=arn, thumbprint_list=thumbprints
            )
        _sync_tags(
            self._iam,
            "open_id_connect_provider",
            ctx,
            {"open_id_connect_provider_arn": arn},
            merged_tags(request),
            list(old_properties.get("Tags") or []),
        )
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        ignore_missing(
            self._iam.delete_open_id_connect_provider, ctx, open_id_connect_provider_arn=physical_id
        )


class UserToGroupAdditionHandler:
    """AWS::IAM::UserToGroupAddition: users added to an existing group; Ref is a physical id."""

    type_name: str = "AWS::IAM::UserToGroupAddition"
    name_property: str | None = None
    capability_iam: bool = True

    def __init__(self, iam: IamService) -> None:
        self._iam = iam

    def create(self, request: ResourceRequest) -> Provisioned:
        props, ctx = request.properties, request.ctx
        physical_id = short_physical_id(request.stack_name, request.logical_id)
        with undo_on_failure(lambda: self.delete(ctx, physical_id, props)):
            self._add(ctx, props, {})
        return Provisioned(physical_id, physical_id)

    def _add(self, ctx: CallContext, props: Mapping[str, Any], old: Mapping[str, Any]) -> None:
        group = entity_name(str(props.get("GroupName") or ""))
        before = set(old.get("Users") or []) if old.get("GroupName") == props.get("GroupName") else set()
        for user in props.get("Users") or []:
            if user not in before:
                self._iam.add_user_to_group(ctx, group_name=group, user_name=entity_name(user))

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None:
        self._add(request.ctx, request.properties, old_properties)
        kept = set(request.properties.get("Users") or [])
        same_group = request.properties.get("GroupName") == old_properties.get("GroupName")
        stale = [u for u in old_properties.get("Users") or [] if not (same_group and u in kept)]
        self.delete(request.ctx, old.physical_id, {**old_properties, "Users": stale})
        return old

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None:
        group = entity_name(str(properties.get("GroupName") or ""))
        for user in properties.get("Users") or []:
            ignore_missing(
                self._iam.remove_user_from_group, ctx, group_name=group, user_name=entity_name(user)
            )
