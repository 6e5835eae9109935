"""Groups and membership: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups,
AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

A user belongs to at most 10 groups (GroupsPerUser, iam-rules.md 3.1); adding a member twice
changes nothing. Membership is two records (``group-member`` and ``user-group``) so both
GetGroup's Users and ListGroupsForUser are prefix scans. DeleteGroup refuses while the group has
members, managed or inline policies (API reference, DeleteGroup).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, quotas, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import Page, paginate, paginate_by_path
from eksiam.services.iam.renames import rename_entity
from eksiam.storage import AlreadyExists, Record, UnitOfWork

_GROUP_DELETE_BLOCKERS = (
    (
        r.GROUP_MEMBER,
        "name",
        "Cannot delete entity, must remove users from group first.",
    ),
    (
        r.ATTACHED_POLICY,
        "ref",
        "Cannot delete entity, must detach all policies first.",
    ),
    (
        r.INLINE_POLICY,
        "ref",
        "Cannot delete entity, must delete policies first.",
    ),
)


class Groups(IamBase):
    @validated
    def create_group(self, ctx: CallContext, *, group_name: str, path: str | None = None) -> dict[str, Any]:
        path = path or "/"
        arn = self._arn(ctx, "group", group_name, path)
        self._require(ctx, "CreateGroup", arn)
        record: Record = {
            "GroupName": group_name,
            "GroupId": ids.unique_id("group"),
            "Path": path,
            "Arn": arn,
            "CreateDate": r.timestamp(ctx.now),
        }

        def run(uow: UnitOfWork) -> None:
            if uow.get(r.GROUP, ctx.account, r.name_key(group_name)) is not None:
                raise EntityAlreadyExists.entity("group", group_name)
            quotas.consume(uow, ctx.account, r.GROUP, self.quotas)
            uow.put(r.GROUP, ctx.account, r.name_key(group_name), record, create=True)

        try:
            self._write(run)
        except AlreadyExists:
            raise EntityAlreadyExists.entity("group", group_name) from None
        return {"Group": views.group(record)}

    @validated
    def get_group(
        self, ctx: CallContext, *, group_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        self._require_named(ctx, "GetGroup", r.GROUP, group_name)

        def run(uow: UnitOfWork) -> tuple[Record, Page, list[Record]]:
            group = lookup.find_entity(uow, ctx.account, r.GROUP, group_name)
            page = paginate(
                uow,
                r.GROUP_MEMBER,
                ctx.account,
                prefix=r.name_key(group_name) + "|",
                marker=marker,
                max_items=max_items,
            )
            users = [uow.get(r.USER, ctx.account, r.name_key(m["UserName"])) for _k, m in page.items]
            return group, page, [u for u in users if u is not None]

        group, page, users = self._read(run)
        return page.output(Group=views.group(group), Users=[views.user(u, listing=True) for u in users])

    @validated
    def update_group(
        self,
        ctx: CallContext,
        *,
        group_name: str,
        new_path: str | None = None,
        new_group_name: str | None = None,
    ) -> dict[str, Any]:
        self._require_named(ctx, "UpdateGroup", r.GROUP, group_name)

        def run(uow: UnitOfWork) -> None:
            group = lookup.find_entity(uow, ctx.account, r.GROUP, group_name)
            name = new_group_name or group["GroupName"]
            path = new_path or group["Path"]
            taken = uow.get(r.GROUP, ctx.account, r.name_key(name))
            if taken is not None and taken["GroupId"] != group["GroupId"]:
                raise EntityAlreadyExists.entity("group", name)
            rename_entity(uow, ctx.account, r.GROUP, group, name, path, self._arn(ctx, "group", name, path))

        self._write(run)
        return {}

    @validated
    def delete_group(self, ctx: CallContext, *, group_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteGroup", r.GROUP, group_name)

        def run(uow: UnitOfWork) -> None:
            lookup.find_entity(uow, ctx.account, r.GROUP, group_name)
            for kind, keyed_by, message in _GROUP_DELETE_BLOCKERS:
                prefix = r.name_key(group_name) if keyed_by == "name" else r.entity_ref(r.GROUP, group_name)
                if uow.list(kind, ctx.account, prefix=prefix + "|", limit=1):
                    raise DeleteConflict(message)
            uow.delete(r.GROUP, ctx.account, r.name_key(group_name))
            quotas.release(uow, ctx.account, r.GROUP)

        self._write(run)
        return {}

    @validated
    def list_groups(
        self,
        ctx: CallContext,
        *,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "ListGroups", "*")
        page = self._read(
            lambda uow: paginate_by_path(uow, r.GROUP, ctx.account, path_prefix, marker, max_items)
        )
        return page.output(Groups=[views.group(rec) for _key, rec in page.items])

    @validated
    def add_user_to_group(self, ctx: CallContext, *, group_name: str, user_name: str) -> dict[str, Any]:
        self._require_named(ctx, "AddUserToGroup", r.GROUP, group_name)

        def run(uow: UnitOfWork) -> None:
            group = lookup.find_entity(uow, ctx.account, r.GROUP, group_name)
            user = lookup.find_entity(uow, ctx.account, r.USER, user_name)
            user_key, group_key = r.name_key(user_name), r.name_key(group_name)
            if uow.get(r.USER_GROUP, ctx.account, r.pair_key(user_key, group_key)) is not None:
                return
            if uow.count(r.USER_GROUP, ctx.account, prefix=user_key + "|") >= self.quotas.groups_per_user:
                raise LimitExceeded.quota("GroupsPerUser", self.quotas.groups_per_user)
            data = {"GroupName": group["GroupName"], "UserName": user["UserName"]}
            uow.put(r.USER_GROUP, ctx.account, r.pair_key(user_key, group_key), data)
            uow.put(r.GROUP_MEMBER, ctx.account, r.pair_key(group_key, user_key), data)

        self._write(run)
        return {}

    @validated
    def remove_user_from_group(self, ctx: CallContext, *, group_name: str, user_name: str) -> dict[str, Any]:
        self._require_named(ctx, "RemoveUserFromGroup", r.GROUP, group_name)

        def run(uow: UnitOfWork) -> None:
            lookup.find_entity(uow, ctx.account, r.GROUP, group_name)
            lookup.find_entity(uow, ctx.account, r.USER, user_name)
            user_key, group_key = r.name_key(user_name), r.name_key(group_name)
            if not uow.delete(r.USER_GROUP, ctx.account, r.pair_key(user_key, group_key)):
                raise NoSuchEntity(f"User {user_name} is not in group {group_name}.")
            uow.delete(r.GROUP_MEMBER, ctx.account, r.pair_key(group_key, user_key))

        self._write(run)
        return {}

    @validated
    def list_groups_for_user(
        self, ctx: CallContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        self._require_named(ctx, "ListGroupsForUser", r.USER, user_name)

        def run(uow: UnitOfWork) -> tuple[Page, list[Record]]:
            lookup.find_entity(uow, ctx.account, r.USER, user_name)
            page = paginate(
                uow,
                r.USER_GROUP,
                ctx.account,
                prefix=r.name_key(user_name) + "|",
                marker=marker,
                max_items=max_items,
            )
            groups = [uow.get(r.GROUP, ctx.account, r.name_key(m["GroupName"])) for _k, m in page.items]
            return page, [g for g in groups if g is not None]

        page, groups = self._read(run)
        return page.output(Groups=[views.group(g) for g in groups])
