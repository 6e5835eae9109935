"""Roles: CreateRole, GetRole, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole,
ListRoles, Put/DeleteRolePermissionsBoundary (IAM API reference; rules in iam-rules.md 1-5).

- The trust policy is checked as a TRUST policy and against ACLSizePerRole (2048 characters
  without whitespace).
- A role marked ``protected`` (service-linked, records.py rule 4) changes only its description and
  tags; everything else answers UnmodifiableEntity (``guard_modifiable``).
- DeleteRole refuses while the role has managed policies, inline policies or an instance profile,
  in that order of messages (DeleteConflict texts from iam-rules.md 5).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.errors import ServiceError
from eksiam.services.context import CallContext
from eksiam.services.iam import boundaries, lookup, quotas, trust_references, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.documents import check_trust_policy, named_principals
from eksiam.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    MalformedPolicyDocument,
    UnmodifiableEntity,
)
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import paginate_by_path
from eksiam.services.iam.tags import check_new_tags
from eksiam.storage import AlreadyExists, Record, UnitOfWork

DEFAULT_MAX_SESSION_DURATION = 3600


def guard_modifiable(role: Record) -> None:
    if r.is_protected(role):
        raise UnmodifiableEntity.protected_role(role["RoleName"])


def role_delete_conflict(uow: UnitOfWork, account: str, role: Record) -> str | None:
    """The DeleteConflict message that blocks deleting ``role``, or None."""
    ref = r.entity_ref(r.ROLE, role["RoleName"])
    if uow.list(r.ATTACHED_POLICY, account, prefix=ref + "|", limit=1):
        return "Cannot delete entity, must detach all policies first."
    if uow.list(r.INLINE_POLICY, account, prefix=ref + "|", limit=1):
        return "Cannot delete entity, must delete policies first."
    if uow.list(r.ROLE_INSTANCE_PROFILE, account, prefix=r.name_key(role["RoleName"]) + "|", limit=1):
        return "Cannot delete entity, must remove roles from instance profile first."
    return None


def check_principals_exist(uow: UnitOfWork, account: str, document: str) -> None:
    """Users and roles a trust policy names must exist, when their account is this one."""
    for arn, owner, kind, name in named_principals(document):
        if owner != account:
            continue
        entity = uow.get(kind, owner, r.name_key(name))
        if entity is None or entity["Arn"] != arn:
            raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')


def remove_role(uow: UnitOfWork, account: str, role: Record, catalog: r.ManagedPolicyCatalog) -> None:
    """Delete a role that holds no policies or instance profiles (checked by the caller): its
    boundary usage, trust references and quota count go with it. DeleteServiceLinkedRole's task
    ends here too, after removing the SLR's own policies."""
    boundaries.clear_boundary(uow, account, r.ROLE, role, catalog)
    trust_references.drop_references(uow, account, role)
    trust_references.principal_deleted(uow, account, role["Arn"], role["RoleId"])
    uow.delete(r.ROLE, account, r.name_key(role["RoleName"]))
    quotas.release(uow, account, r.ROLE)


class Roles(IamBase):
    @validated
    def create_role(
        self,
        ctx: CallContext,
        *,
        role_name: str,
        assume_role_policy_document: str,
        path: str | None = None,
        description: str | None = None,
        max_session_duration: int | None = None,
        permissions_boundary: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        path = path or "/"
        arn = self._arn(ctx, "role", role_name, path)
        self._require(ctx, "CreateRole", arn, request_tags(tags))
        new_tags = check_new_tags(tags)
        check_trust_policy(assume_role_policy_document)
        record: Record = {
            "RoleName": role_name,
            "RoleId": ids.unique_id("role"),
            "Path": path,
            "Arn": arn,
            "CreateDate": r.timestamp(ctx.now),
            "AssumeRolePolicyDocument": assume_role_policy_document,
            "MaxSessionDuration": max_session_duration or DEFAULT_MAX_SESSION_DURATION,
            "Tags": new_tags,
        }
        if description is not None:
            record["Description"] = description

        def run(uow: UnitOfWork) -> Record:
            entity = dict(record)
            try:
                check_principals_exist(uow, ctx.account, assume_role_policy_document)
                trust_references.record_references(uow, ctx.account, role_name, assume_role_policy_document)
                quotas.consume(uow, ctx.account, r.ROLE, self.quotas)
                if permissions_boundary is not None:
                    boundaries.set_boundary(
                        uow, ctx.account, r.ROLE, entity, permissions_boundary, self.catalog, creating=True
                    )
            except ServiceError:  # an existing role is the error to give, as when checked first
                if uow.get(r.ROLE, ctx.account, r.name_key(role_name)) is not None:
                    raise EntityAlreadyExists.entity("role", role_name) from None
                raise
            # A taken name fails here (AlreadyExists) and rolls back everything above.
            uow.put(r.ROLE, ctx.account, r.name_key(role_name), entity, create=True)
            return entity

        try:
            created = self._write(run)
        except AlreadyExists:
            raise EntityAlreadyExists.entity("role", role_name) from None
        return {"Role": views.role(created, last_used=False)}

    @validated
    def get_role(self, ctx: CallContext, *, role_name: str) -> dict[str, Any]:
        return {"Role": views.role(self._authorized_entity(ctx, "GetRole", r.ROLE, role_name))}

    def _update(self, ctx: CallContext, role_name: str, action: str, change: Any) -> Record:
        self._require_named(ctx, action, r.ROLE, role_name)

        def run(uow: UnitOfWork) -> Record:
            role = lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            change(uow, role)
            uow.put(r.ROLE, ctx.account, r.name_key(role_name), role)
            return role

        return self._write(run)

    @validated
    def update_role(
        self,
        ctx: CallContext,
        *,
        role_name: str,
        description: str | None = None,
        max_session_duration: int | None = None,
    ) -> dict[str, Any]:
        def change(_uow: UnitOfWork, role: Record) -> None:
            if max_session_duration is not None:
                guard_modifiable(role)
                role["MaxSessionDuration"] = max_session_duration
            if description is not None:
                role["Description"] = description

        self._update(ctx, role_name, "UpdateRole", change)
        return {}

    @validated
    def update_role_description(
        self, ctx: CallContext, *, role_name: str, description: str
    ) -> dict[str, Any]:
        def change(_uow: UnitOfWork, role: Record) -> None:
            role["Description"] = description

        return {"Role": views.role(self._update(ctx, role_name, "UpdateRoleDescription", change))}

    @validated
    def update_assume_role_policy(
        self, ctx: CallContext, *, role_name: str, policy_document: str
    ) -> dict[str, Any]:
        def change(uow: UnitOfWork, role: Record) -> None:
            guard_modifiable(role)
            check_trust_policy(policy_document)
            check_principals_exist(uow, ctx.account, policy_document)
            trust_references.drop_references(uow, ctx.account, role)
            trust_references.record_references(uow, ctx.account, role["RoleName"], policy_document)
            role["AssumeRolePolicyDocument"] = policy_document

        self._update(ctx, role_name, "UpdateAssumeRolePolicy", change)
        return {}

    @validated
    def put_role_permissions_boundary(
        self, ctx: CallContext, *, role_name: str, permissions_boundary: str
    ) -> dict[str, Any]:
        def change(uow: UnitOfWork, role: Record) -> None:
            guard_modifiable(role)
            boundaries.set_boundary(uow, ctx.account, r.ROLE, role, permissions_boundary, self.catalog)

        self._update(ctx, role_name, "PutRolePermissionsBoundary", change)
        return {}

    @validated
    def delete_role_permissions_boundary(self, ctx: CallContext, *, role_name: str) -> dict[str, Any]:
        def change(uow: UnitOfWork, role: Record) -> None:
            guard_modifiable(role)
            boundaries.clear_boundary(uow, ctx.account, r.ROLE, role, self.catalog)

        self._update(ctx, role_name, "DeleteRolePermissionsBoundary", change)
        return {}

    @validated
    def delete_role(self, ctx: CallContext, *, role_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteRole", r.ROLE, role_name)

        def run(uow: UnitOfWork) -> None:
            role = lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            guard_modifiable(role)
            conflict = role_delete_conflict(uow, ctx.account, role)
            if conflict:
                raise DeleteConflict(conflict)
            remove_role(uow, ctx.account, role, self.catalog)

        self._write(run)
        return {}

    @validated
    def list_roles(
        self,
        ctx: CallContext,
        *,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "ListRoles", "*")
        page = self._read(
            lambda uow: paginate_by_path(uow, r.ROLE, ctx.account, path_prefix, marker, max_items)
        )
        return page.output(Roles=[views.role(rec, listing=True) for _key, rec in page.items])
