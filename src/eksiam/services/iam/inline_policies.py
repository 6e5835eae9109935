"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Polic{y,ies}.

- A name is unique only within its entity (IAM quotas page); Put with an existing name replaces it.
- The entity's inline policies together may hold 2048 (user), 5120 (group) or 10240 (role)
  characters without whitespace (iam-rules.md 3.2), counted after the replacement.
- A protected (service-linked) role's inline policies cannot change (UnmodifiableEntity).
- Get* returns the document URL-encoded (views.py).
"""

from __future__ import annotations

from typing import Any

from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.documents import check_document, check_inline_total
from eksiam.services.iam.errors import NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import Page, paginate
from eksiam.services.iam.roles import guard_modifiable
from eksiam.storage import Record, UnitOfWork

_OWNER_MEMBER = {r.USER: "UserName", r.GROUP: "GroupName", r.ROLE: "RoleName"}


class InlinePolicies(IamBase):
    def _put(
        self, ctx: CallContext, kind: str, name: str, policy_name: str, document: str, action: str
    ) -> None:
        self._require_named(ctx, action, kind, name)
        check_document(document)

        def run(uow: UnitOfWork) -> None:
            entity = lookup.find_entity(uow, ctx.account, kind, name)
            if kind == r.ROLE:
                guard_modifiable(entity)
            ref = r.entity_ref(kind, name)
            others = [
                rec["PolicyDocument"]
                for _k, rec in uow.list(r.INLINE_POLICY, ctx.account, prefix=ref + "|")
                if rec["PolicyName"] != policy_name
            ]
            check_inline_total(kind, entity[_OWNER_MEMBER[kind]], [*others, document])
            record = {
                "PolicyName": policy_name,
                "PolicyDocument": document,
                "EntityType": kind,
                "EntityName": entity[_OWNER_MEMBER[kind]],
            }
            uow.put(r.INLINE_POLICY, ctx.account, r.pair_key(ref, policy_name), record)

        self._write(run)

    def _get(self, ctx: CallContext, kind: str, name: str, policy_name: str, action: str) -> dict[str, Any]:
        self._require_named(ctx, action, kind, name)

        def run(uow: UnitOfWork) -> Record:
            lookup.find_entity(uow, ctx.account, kind, name)
            record = uow.get(r.INLINE_POLICY, ctx.account, r.pair_key(r.entity_ref(kind, name), policy_name))
            if record is None:
                raise NoSuchEntity.inline_policy(kind, policy_name)
            return record

        return views.inline_policy(self._read(run), _OWNER_MEMBER[kind])

    def _delete(self, ctx: CallContext, kind: str, name: str, policy_name: str, action: str) -> None:
        self._require_named(ctx, action, kind, name)

        def run(uow: UnitOfWork) -> None:
            entity = lookup.find_entity(uow, ctx.account, kind, name)
            if kind == r.ROLE:
                guard_modifiable(entity)
            if not uow.delete(
                r.INLINE_POLICY, ctx.account, r.pair_key(r.entity_ref(kind, name), policy_name)
            ):
                raise NoSuchEntity.inline_policy(kind, policy_name)

        self._write(run)

    def _list(
        self, ctx: CallContext, kind: str, name: str, marker: str | None, max_items: int | None, action: str
    ) -> dict[str, Any]:
        self._require_named(ctx, action, kind, name)

        def run(uow: UnitOfWork) -> Page:
            lookup.find_entity(uow, ctx.account, kind, name)
            return paginate(
                uow,
                r.INLINE_POLICY,
                ctx.account,
                prefix=r.entity_ref(kind, name) + "|",
                marker=marker,
                max_items=max_items,
            )

        page = self._read(run)
        return page.output(PolicyNames=[rec["PolicyName"] for _k, rec in page.items])

    @validated
    def put_role_policy(
        self, ctx: CallContext, *, role_name: str, policy_name: str, policy_document: str
    ) -> dict[str, Any]:
        self._put(ctx, r.ROLE, role_name, policy_name, policy_document, "PutRolePolicy")
        return {}

    @validated
    def put_user_policy(
        self, ctx: CallContext, *, user_name: str, policy_name: str, policy_document: str
    ) -> dict[str, Any]:
        self._put(ctx, r.USER, user_name, policy_name, policy_document, "PutUserPolicy")
        return {}

    @validated
    def put_group_policy(
        self, ctx: CallContext, *, group_name: str, policy_name: str, policy_document: str
    ) -> dict[str, Any]:
        self._put(ctx, r.GROUP, group_name, policy_name, policy_document, "PutGroupPolicy")
        return {}

    @validated
    def get_role_policy(self, ctx: CallContext, *, role_name: str, policy_name: str) -> dict[str, Any]:
        return self._get(ctx, r.ROLE, role_name, policy_name, "GetRolePolicy")

    @validated
    def get_user_policy(self, ctx: CallContext, *, user_name: str, policy_name: str) -> dict[str, Any]:
        return self._get(ctx, r.USER, user_name, policy_name, "GetUserPolicy")

    @validated
    def get_group_policy(self, ctx: CallContext, *, group_name: str, policy_name: str) -> dict[str, Any]:
        return self._get(ctx, r.GROUP, group_name, policy_name, "GetGroupPolicy")

    @validated
    def delete_role_policy(self, ctx: CallContext, *, role_name: str, policy_name: str) -> dict[str, Any]:
        self._delete(ctx, r.ROLE, role_name, policy_name, "DeleteRolePolicy")
        return {}

    @validated
    def delete_user_policy(self, ctx: CallContext, *, user_name: str, policy_name: str) -> dict[str, Any]:
        self._delete(ctx, r.USER, user_name, policy_name, "DeleteUserPolicy")
        return {}

    @validated
    def delete_group_policy(self, ctx: CallContext, *, group_name: str, policy_name: str) -> dict[str, Any]:
        self._delete(ctx, r.GROUP, group_name, policy_name, "DeleteGroupPolicy")
        return {}

    @validated
    def list_role_policies(
        self, ctx: CallContext, *, role_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list(ctx, r.ROLE, role_name, marker, max_items, "ListRolePolicies")

    @validated
    def list_user_policies(
        self, ctx: CallContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list(ctx, r.USER, user_name, marker, max_items, "ListUserPolicies")

    @validated
    def list_group_policies(
        self, ctx: CallContext, *, group_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list(ctx, r.GROUP, group_name, marker, max_items, "ListGroupPolicies")
