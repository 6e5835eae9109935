"""Users: CreateUser, GetUser, UpdateUser, DeleteUser, ListUsers, Put/DeleteUserPermissionsBoundary.

GetUser without UserName answers for the caller: "If you do not specify a user name, IAM determines
the user name implicitly based on the AWS access key ID used to sign the request" (API reference,
GetUser); for the root user it returns the account's root identity. DeleteUser refuses while the
user has access keys, groups, managed or inline policies (API reference, DeleteUser lists what
must go first).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext, CallerKind
from eksiam.services.iam import boundaries, lookup, quotas, trust_references, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.errors import DeleteConflict, EntityAlreadyExists, ValidationError
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import paginate_by_path
from eksiam.services.iam.renames import rename_entity
from eksiam.services.iam.tags import check_new_tags
from eksiam.storage import AlreadyExists, Record, UnitOfWork

# (relation kind, keyed by name or entity ref, DeleteConflict message), checked in this order.
_USER_DELETE_BLOCKERS = (
    (
        r.USER_ACCESS_KEY,
        "name",
        "Cannot delete entity, must delete access keys first.",
    ),
    (
        r.USER_GROUP,
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


def caller_user_name(ctx: CallContext) -> str | None:
    """The IAM user name of a user caller (the last segment of its ARN), else None."""
    if ctx.caller is not None and ctx.caller.kind is CallerKind.USER:
        return ctx.caller.arn.rsplit("/", 1)[-1]
    return None


def implicit_user(ctx: CallContext, user_name: str | None) -> str:
    """UserName, or the calling user's; AWS's text when a non-user calls without one."""
    name = user_name or caller_user_name(ctx)
    if name is None:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    return name


class Users(IamBase):
    @validated
    def create_user(
        self,
        ctx: CallContext,
        *,
        user_name: str,
        path: str | None = None,
        permissions_boundary: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        path = path or "/"
        arn = self._arn(ctx, "user", user_name, path)
        self._require(ctx, "CreateUser", arn, request_tags(tags))
        record: Record = {
            "UserName": user_name,
            "UserId": ids.unique_id("user"),
            "Path": path,
            "Arn": arn,
            "CreateDate": r.timestamp(ctx.now),
            "Tags": check_new_tags(tags),
        }

        def run(uow: UnitOfWork) -> Record:
            entity = dict(record)
            if uow.get(r.USER, ctx.account, r.name_key(user_name)) is not None:
                raise EntityAlreadyExists.entity("user", user_name)
            quotas.consume(uow, ctx.account, r.USER, self.quotas)
            if permissions_boundary is not None:
                boundaries.set_boundary(
                    uow, ctx.account, r.USER, entity, permissions_boundary, self.catalog, creating=True
                )
            uow.put(r.USER, ctx.account, r.name_key(user_name), entity, create=True)
            return entity

        try:
            created = self._write(run)
        except AlreadyExists:
            raise EntityAlreadyExists.entity("user", user_name) from None
        return {"User": views.user(created)}

    @validated
    def get_user(self, ctx: CallContext, *, user_name: str | None = None) -> dict[str, Any]:
        name = user_name or caller_user_name(ctx)
        if name is None:
            root = {"UserId": ctx.account, "Arn": f"arn:{self.settings.partition}:iam::{ctx.account}:root"}
            self._require(ctx, "GetUser", root["Arn"])
            return {"User": {**root, "CreateDate": ctx.now}}
        return {"User": views.user(self._authorized_entity(ctx, "GetUser", r.USER, name))}

    @validated
    def update_user(
        self,
        ctx: CallContext,
        *,
        user_name: str,
        new_path: str | None = None,
        new_user_name: str | None = None,
    ) -> dict[str, Any]:
        self._require_named(ctx, "UpdateUser", r.USER, user_name)

        def run(uow: UnitOfWork) -> None:
            user = lookup.find_entity(uow, ctx.account, r.USER, user_name)
            name = new_user_name or user["UserName"]
            path = new_path or user["Path"]
            taken = uow.get(r.USER, ctx.account, r.name_key(name))
            if taken is not None and taken["UserId"] != user["UserId"]:
                raise EntityAlreadyExists.entity("user", name)
            rename_entity(uow, ctx.account, r.USER, user, name, path, self._arn(ctx, "user", name, path))

        self._write(run)
        return {}

    @validated
    def delete_user(self, ctx: CallContext, *, user_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteUser", r.USER, user_name)

        def run(uow: UnitOfWork) -> None:
            user = lookup.find_entity(uow, ctx.account, r.USER, user_name)
            for kind, keyed_by, message in _USER_DELETE_BLOCKERS:
                prefix = r.name_key(user_name) if keyed_by == "name" else r.entity_ref(r.USER, user_name)
                if uow.list(kind, ctx.account, prefix=prefix + "|", limit=1):
                    raise DeleteConflict(message)
            boundaries.clear_boundary(uow, ctx.account, r.USER, user, self.catalog)
            trust_references.principal_deleted(uow, ctx.account, user["Arn"], user["UserId"])
            uow.delete(r.USER, ctx.account, r.name_key(user_name))
            quotas.release(uow, ctx.account, r.USER)

        self._write(run)
        return {}

    @validated
    def list_users(
        self,
        ctx: CallContext,
        *,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "ListUsers", "*")
        page = self._read(
            lambda uow: paginate_by_path(uow, r.USER, ctx.account, path_prefix, marker, max_items)
        )
        return page.output(Users=[views.user(rec, listing=True) for _key, rec in page.items])

    @validated
    def put_user_permissions_boundary(
        self, ctx: CallContext, *, user_name: str, permissions_boundary: str
    ) -> dict[str, Any]:
        self._require_named(ctx, "PutUserPermissionsBoundary", r.USER, user_name)

        def run(uow: UnitOfWork) -> None:
            user = lookup.find_entity(uow, ctx.account, r.USER, user_name)
            boundaries.set_boundary(uow, ctx.account, r.USER, user, permissions_boundary, self.catalog)
            uow.put(r.USER, ctx.account, r.name_key(user_name), user)

        self._write(run)
        return {}

    @validated
    def delete_user_permissions_boundary(self, ctx: CallContext, *, user_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteUserPermissionsBoundary", r.USER, user_name)

        def run(uow: UnitOfWork) -> None:
            user = lookup.find_entity(uow, ctx.account, r.USER, user_name)
            boundaries.clear_boundary(uow, ctx.account, r.USER, user, self.catalog)
            uow.put(r.USER, ctx.account, r.name_key(user_name), user)

        self._write(run)
        return {}
