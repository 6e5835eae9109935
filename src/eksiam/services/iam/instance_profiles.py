"""Instance profiles: Create/Get/Delete/ListInstanceProfiles, Add/RemoveRoleToInstanceProfile,
ListInstanceProfilesForRole (IAM API reference; iam-rules.md 3.1).

- One role per instance profile, fixed: a second add answers LimitExceeded
  ``Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1``.
- DeleteInstanceProfile refuses while it holds a role; DeleteRole refuses while the role is in one.
- A protected (service-linked) role cannot be added or removed (UnmodifiableEntity).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, quotas, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import Page, paginate, paginate_by_path
from eksiam.services.iam.roles import guard_modifiable
from eksiam.services.iam.tags import check_new_tags
from eksiam.storage import AlreadyExists, Record, UnitOfWork

ROLES_PER_INSTANCE_PROFILE = 1


def _with_roles(uow: UnitOfWork, account: str, profile: Record) -> dict[str, Any]:
    roles = [uow.get(r.ROLE, account, key) for key in profile.get("roles", [])]
    return views.instance_profile(profile, [role for role in roles if role is not None])


class InstanceProfiles(IamBase):
    @validated
    def create_instance_profile(
        self,
        ctx: CallContext,
        *,
        instance_profile_name: str,
        path: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        path = path or "/"
        arn = self._arn(ctx, "instance-profile", instance_profile_name, path)
        self._require(ctx, "CreateInstanceProfile", arn, request_tags(tags))
        record: Record = {
            "InstanceProfileName": instance_profile_name,
            "InstanceProfileId": ids.unique_id("instance-profile"),
            "Path": path,
            "Arn": arn,
            "CreateDate": r.timestamp(ctx.now),
            "Tags": check_new_tags(tags),
            "roles": [],
        }
        exists = EntityAlreadyExists(f"Instance Profile {instance_profile_name} already exists.")

        def run(uow: UnitOfWork) -> None:
            key = r.name_key(instance_profile_name)
            if uow.get(r.INSTANCE_PROFILE, ctx.account, key) is not None:
                raise exists
            quotas.consume(uow, ctx.account, r.INSTANCE_PROFILE, self.quotas)
            uow.put(r.INSTANCE_PROFILE, ctx.account, key, record, create=True)

        try:
            self._write(run)
        except AlreadyExists:
            raise exists from None
        return {"InstanceProfile": views.instance_profile(record, [])}

    @validated
    def get_instance_profile(self, ctx: CallContext, *, instance_profile_name: str) -> dict[str, Any]:
        self._require_named(ctx, "GetInstanceProfile", r.INSTANCE_PROFILE, instance_profile_name)

        def run(uow: UnitOfWork) -> dict[str, Any]:
            profile = lookup.find_instance_profile(uow, ctx.account, instance_profile_name)
            return _with_roles(uow, ctx.account, profile)

        return {"InstanceProfile": self._read(run)}

    @validated
    def delete_instance_profile(self, ctx: CallContext, *, instance_profile_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteInstanceProfile", r.INSTANCE_PROFILE, instance_profile_name)

        def run(uow: UnitOfWork) -> None:
            profile = lookup.find_instance_profile(uow, ctx.account, instance_profile_name)
            if profile.get("roles"):
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            uow.delete(r.INSTANCE_PROFILE, ctx.account, r.name_key(instance_profile_name))
            quotas.release(uow, ctx.account, r.INSTANCE_PROFILE)

        self._write(run)
        return {}

    @validated
    def list_instance_profiles(
        self,
        ctx: CallContext,
        *,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "ListInstanceProfiles", "*")

        def run(uow: UnitOfWork) -> tuple[Page, list[dict[str, Any]]]:
            page = paginate_by_path(uow, r.INSTANCE_PROFILE, ctx.account, path_prefix, marker, max_items)
            return page, [_with_roles(uow, ctx.account, rec) for _k, rec in page.items]

        page, profiles = self._read(run)
        return page.output(InstanceProfiles=profiles)

    @validated
    def add_role_to_instance_profile(
        self, ctx: CallContext, *, instance_profile_name: str, role_name: str
    ) -> dict[str, Any]:
        self._require_named(ctx, "AddRoleToInstanceProfile", r.INSTANCE_PROFILE, instance_profile_name)

        def run(uow: UnitOfWork) -> None:
            profile = lookup.find_instance_profile(uow, ctx.account, instance_profile_name)
            role = lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            guard_modifiable(role)
            if len(profile.get("roles", [])) >= ROLES_PER_INSTANCE_PROFILE:
                raise LimitExceeded.quota("InstanceSessionsPerInstanceProfile", ROLES_PER_INSTANCE_PROFILE)
            role_key, profile_key = r.name_key(role_name), r.name_key(instance_profile_name)
            profile["roles"] = [*profile.get("roles", []), role_key]
            uow.put(r.INSTANCE_PROFILE, ctx.account, profile_key, profile)
            uow.put(
                r.ROLE_INSTANCE_PROFILE,
                ctx.account,
                r.pair_key(role_key, profile_key),
                {"InstanceProfileName": profile["InstanceProfileName"]},
            )

        self._write(run)
        return {}

    @validated
    def remove_role_from_instance_profile(
        self, ctx: CallContext, *, instance_profile_name: str, role_name: str
    ) -> dict[str, Any]:
        self._require_named(ctx, "RemoveRoleFromInstanceProfile", r.INSTANCE_PROFILE, instance_profile_name)

        def run(uow: UnitOfWork) -> None:
            profile = lookup.find_instance_profile(uow, ctx.account, instance_profile_name)
            role = lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            guard_modifiable(role)
            role_key, profile_key = r.name_key(role_name), r.name_key(instance_profile_name)
            if role_key not in profile.get("roles", []):
                raise NoSuchEntity(
                    f"Role {role_name} in Instance Profile {instance_profile_name} cannot be found."
                )
            profile["roles"] = [k for k in profile["roles"] if k != role_key]
            uow.put(r.INSTANCE_PROFILE, ctx.account, profile_key, profile)
            uow.delete(r.ROLE_INSTANCE_PROFILE, ctx.account, r.pair_key(role_key, profile_key))

        self._write(run)
        return {}

    @validated
    def list_instance_profiles_for_role(
        self, ctx: CallContext, *, role_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        self._require_named(ctx, "ListInstanceProfilesForRole", r.ROLE, role_name)

        def run(uow: UnitOfWork) -> tuple[Page, list[dict[str, Any]]]:
            lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            page = paginate(
                uow,
                r.ROLE_INSTANCE_PROFILE,
                ctx.account,
                prefix=r.name_key(role_name) + "|",
                marker=marker,
                max_items=max_items,
            )
            profiles = [
                uow.get(r.INSTANCE_PROFILE, ctx.account, key.split("|", 1)[1]) for key, _v in page.items
            ]
            return page, [_with_roles(uow, ctx.account, p) for p in profiles if p is not None]

        page, profiles = self._read(run)
        return page.output(InstanceProfiles=profiles)
