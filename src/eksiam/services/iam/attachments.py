"""Managed policies attached to users, groups and roles: Attach*/Detach*Policy,
ListAttached*Policies, ListEntitiesForPolicy (IAM API reference; iam-rules.md 3.1, 5, 6.1).

- At most 10 managed policies per user, group or role (PoliciesPerRole ... quotas).
- ``aws-service-role/`` AWS managed policies attach only to their service-linked role: attaching
  one to a customer entity is PolicyNotAttachable, whatever IsAttachable says (iam-rules.md 6.1).
- A protected (service-linked) role's policies cannot change (UnmodifiableEntity).
- Attaching twice changes nothing. Each attach/detach of a customer policy rewrites the policy
  record's AttachmentCount, so it conflicts with a concurrent DeletePolicy in the store.
"""

from __future__ import annotations

from typing import Any

from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.boundaries import is_service_role_policy
from eksiam.services.iam.errors import LimitExceeded, NoSuchEntity, PolicyNotAttachable
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import Page, paginate, paginate_list
from eksiam.services.iam.quotas import Quotas
from eksiam.services.iam.roles import guard_modifiable
from eksiam.storage import Record, UnitOfWork

_QUOTA_NAMES = {r.ROLE: "PoliciesPerRole", r.USER: "PoliciesPerUser", r.GROUP: "PoliciesPerGroup"}
_ENTITY_OUTPUT = {r.GROUP: "PolicyGroups", r.USER: "PolicyUsers", r.ROLE: "PolicyRoles"}


def _count_change(uow: UnitOfWork, account: str, policy: Record, delta: int) -> None:
    if str(policy["Arn"]).split(":")[4] == account:
        policy["AttachmentCount"] = int(policy.get("AttachmentCount", 0)) + delta
        uow.put(r.POLICY, account, r.name_key(policy["PolicyName"]), policy)


def attach(
    uow: UnitOfWork, account: str, entity_type: str, entity: Record, policy: Record, quotas: Quotas
) -> None:
    """Attach ``policy`` to ``entity`` (no checks on protection or service-role paths: callers do)."""
    name = entity[f"{entity_type.capitalize()}Name"]
    ref, arn = r.entity_ref(entity_type, name), policy["Arn"]
    if uow.get(r.ATTACHED_POLICY, account, r.pair_key(ref, arn)) is not None:
        return
    limit = quotas.attached_policies(entity_type)
    if uow.count(r.ATTACHED_POLICY, account, prefix=ref + "|") >= limit:
        raise LimitExceeded.quota(_QUOTA_NAMES[entity_type], limit)
    uow.put(
        r.ATTACHED_POLICY,
        account,
        r.pair_key(ref, arn),
        {"PolicyArn": arn, "PolicyName": policy["PolicyName"]},
    )
    uow.put(
        r.ATTACHMENT,
        account,
        r.pair_key(arn, ref),
        {
            "PolicyArn": arn,
            "PolicyName": policy["PolicyName"],
            "EntityType": entity_type,
            "EntityName": name,
            "EntityId": entity[f"{entity_type.capitalize()}Id"],
        },
    )
    _count_change(uow, account, policy, 1)


def detach(
    uow: UnitOfWork, account: str, entity_type: str, entity_name: str, arn: str, policy: Record | None
) -> None:
    ref = r.entity_ref(entity_type, entity_name)
    if not uow.delete(r.ATTACHED_POLICY, account, r.pair_key(ref, arn)):
        raise NoSuchEntity(f"Policy {arn} was not attached.")
    uow.delete(r.ATTACHMENT, account, r.pair_key(arn, ref))
    if policy is not None:
        _count_change(uow, account, policy, -1)


class Attachments(IamBase):
    def _attach(self, ctx: CallContext, entity_type: str, name: str, arn: str, action: str) -> dict[str, Any]:
        self._require_named(ctx, action, entity_type, name)

        def run(uow: UnitOfWork) -> None:
            entity = lookup.find_entity(uow, ctx.account, entity_type, name)
            if entity_type == r.ROLE:
                guard_modifiable(entity)
            policy = lookup.find_policy(uow, ctx.account, arn, self.catalog)
            if policy is None:
                raise NoSuchEntity.not_attachable(arn)
            if (
                is_service_role_policy(policy)
                or policy.get("IsAttachable") is False
                or policy.get("attachableToIdentities") is False
            ):
                raise PolicyNotAttachable.service_role_policy()
            attach(uow, ctx.account, entity_type, entity, policy, self.quotas)

        self._write(run)
        return {}

    def _detach(self, ctx: CallContext, entity_type: str, name: str, arn: str, action: str) -> dict[str, Any]:
        self._require_named(ctx, action, entity_type, name)

        def run(uow: UnitOfWork) -> None:
            entity = lookup.find_entity(uow, ctx.account, entity_type, name)
            if entity_type == r.ROLE:
                guard_modifiable(entity)
            policy = lookup.find_policy(uow, ctx.account, arn, self.catalog)
            detach(uow, ctx.account, entity_type, name, arn, policy)

        self._write(run)
        return {}

    def _list_attached(
        self,
        ctx: CallContext,
        entity_type: str,
        name: str,
        path_prefix: str | None,
        marker: str | None,
        max_items: int | None,
        action: str,
    ) -> dict[str, Any]:
        self._require_named(ctx, action, entity_type, name)
        prefix = path_prefix or "/"

        def in_path(record: Record) -> bool:
            return lookup.parse_policy_arn(record["PolicyArn"])[1].startswith(prefix)

        def run(uow: UnitOfWork) -> Page:
            lookup.find_entity(uow, ctx.account, entity_type, name)
            return paginate(
                uow,
                r.ATTACHED_POLICY,
                ctx.account,
                prefix=r.entity_ref(entity_type, name) + "|",
                marker=marker,
                max_items=max_items,
                keep=None if prefix == "/" else in_path,
            )

        page = self._read(run)
        return page.output(AttachedPolicies=[views.attached_policy(rec) for _k, rec in page.items])

    @validated
    def attach_role_policy(self, ctx: CallContext, *, role_name: str, policy_arn: str) -> dict[str, Any]:
        return self._attach(ctx, r.ROLE, role_name, policy_arn, "AttachRolePolicy")

    @validated
    def attach_user_policy(self, ctx: CallContext, *, user_name: str, policy_arn: str) -> dict[str, Any]:
        return self._attach(ctx, r.USER, user_name, policy_arn, "AttachUserPolicy")

    @validated
    def attach_group_policy(self, ctx: CallContext, *, group_name: str, policy_arn: str) -> dict[str, Any]:
        return self._attach(ctx, r.GROUP, group_name, policy_arn, "AttachGroupPolicy")

    @validated
    def detach_role_policy(self, ctx: CallContext, *, role_name: str, policy_arn: str) -> dict[str, Any]:
        return self._detach(ctx, r.ROLE, role_name, policy_arn, "DetachRolePolicy")

    @validated
    def detach_user_policy(self, ctx: CallContext, *, user_name: str, policy_arn: str) -> dict[str, Any]:
        return self._detach(ctx, r.USER, user_name, policy_arn, "DetachUserPolicy")

    @validated
    def detach_group_policy(self, ctx: CallContext, *, group_name: str, policy_arn: str) -> dict[str, Any]:
        return self._detach(ctx, r.GROUP, group_name, policy_arn, "DetachGroupPolicy")

    @validated
    def list_attached_role_policies(
        self,
        ctx: CallContext,
        *,
        role_name: str,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        return self._list_attached(
            ctx, r.ROLE, role_name, path_prefix, marker, max_items, "ListAttachedRolePolicies"
        )

    @validated
    def list_attached_user_policies(
        self,
        ctx: CallContext,
        *,
        user_name: str,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        return self._list_attached(
            ctx, r.USER, user_name, path_prefix, marker, max_items, "ListAttachedUserPolicies"
        )

    @validated
    def list_attached_group_policies(
        self,
        ctx: CallContext,
        *,
        group_name: str,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        return self._list_attached(
            ctx, r.GROUP, group_name, path_prefix, marker, max_items, "ListAttachedGroupPolicies"
        )

    @validated
    def list_entities_for_policy(
        self,
        ctx: CallContext,
        *,
        policy_arn: str,
        entity_filter: str | None = None,
        path_prefix: str | None = None,
        policy_usage_filter: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        """Entities that use the policy: as a permissions policy, as a boundary, or (no
        PolicyUsageFilter: "all policies are returned", API reference) either way, each entity once."""
        self._require(ctx, "ListEntitiesForPolicy", policy_arn)
        kinds = {
            None: (r.ATTACHMENT, r.BOUNDARY_USAGE),
            "PermissionsPolicy": (r.ATTACHMENT,),
            "PermissionsBoundary": (r.BOUNDARY_USAGE,),
        }[policy_usage_filter]
        wanted_type = {"User": r.USER, "Role": r.ROLE, "Group": r.GROUP}.get(entity_filter or "")
        prefix = path_prefix or "/"

        def run(uow: UnitOfWork) -> list[tuple[str, Record]]:
            lookup.require_policy(uow, ctx.account, policy_arn, self.catalog)
            uses = {
                key.split("|", 1)[1]: rec
                for kind in kinds
                for key, rec in uow.list(kind, ctx.account, prefix=policy_arn + "|")
            }
            found = []
            for _ref, rec in sorted(uses.items()):
                if wanted_type is not None and rec["EntityType"] != wanted_type:
                    continue
                entity = uow.get(rec["EntityType"], ctx.account, r.name_key(rec["EntityName"]))
                if entity is not None and str(entity["Path"]).startswith(prefix):
                    found.append((rec["EntityType"], entity))
            return found

        page, more, next_marker = paginate_list(self._read(run), marker, max_items)
        out: dict[str, Any] = {v: [] for v in _ENTITY_OUTPUT.values()}
        for entity_type, entity in page:
            label = entity_type.capitalize()
            out[_ENTITY_OUTPUT[entity_type]].append(
                {f"{label}Name": entity[f"{label}Name"], f"{label}Id": entity[f"{label}Id"]}
            )
        out["IsTruncated"] = more
        if next_marker is not None:
            out["Marker"] = next_marker
        return out
