"""Customer managed policies and their versions: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies,
CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion,
SetDefaultPolicyVersion (IAM API reference; iam-rules.md 3, 5, 8).

- CreatePolicy makes ``v1`` the default; later versions count up and numbers are not reused.
- At most 5 versions (LimitExceeded with AWS's text). Every new version rewrites the policy record
  (``nextVersion``), so two writers racing for the sixth version conflict in the store and the
  retried one sees five versions.
- DeletePolicy refuses while the policy is attached or used as a boundary, and while it has
  versions besides the default; the default version goes with the policy.
- AWS managed policies come from the catalogue and cannot be changed (UnmodifiableEntity).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, managed_policies, quotas, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.documents import check_managed_policy
from eksiam.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import DEFAULT_MAX_ITEMS, decode_marker, encode_marker, paginate_list
from eksiam.services.iam.tags import check_new_tags
from eksiam.storage import AlreadyExists, Record, UnitOfWork


def _version_number(version_id: str) -> int:
    return int(version_id[1:].split(".", 1)[0])


def _customer_policy(
    uow: UnitOfWork, ctx: CallContext, arn: str, catalog: r.ManagedPolicyCatalog, operation: str
) -> Record:
    """The customer managed policy at ``arn``; changing an AWS managed one is AccessDenied
    (managed_policies.py rule 3)."""
    refused = managed_policies.refusal(operation, arn)
    if refused is not None:
        raise refused
    return lookup.require_policy(uow, ctx.account, arn, catalog)


def _versions(
    uow: UnitOfWork, ctx: CallContext, policy: Record, catalog: r.ManagedPolicyCatalog
) -> list[Record]:
    """All versions, newest first (as ListPolicyVersions shows them)."""
    if str(policy["Arn"]).split(":")[4] == r.AWS_MANAGED_ACCOUNT:
        found = list(catalog.versions(policy["Arn"]))
    else:
        found = [
            v
            for _k, v in uow.list(
                r.POLICY_VERSION, ctx.account, prefix=r.name_key(policy["PolicyName"]) + "|"
            )
        ]
    return sorted(found, key=lambda v: _version_number(v["VersionId"]), reverse=True)


def _no_such_version(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


class Policies(IamBase):
    @validated
    def create_policy(
        self,
        ctx: CallContext,
        *,
        policy_name: str,
        policy_document: str,
        path: str | None = None,
        description: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        path = path or "/"
        arn = self._arn(ctx, "policy", policy_name, path)
        self._require(ctx, "CreatePolicy", arn, request_tags(tags))
        new_tags = check_new_tags(tags)
        check_managed_policy(policy_document)
        now = r.timestamp(ctx.now)
        record: Record = {
            "PolicyName": policy_name,
            "PolicyId": ids.unique_id("policy"),
            "Arn": arn,
            "Path": path,
            "DefaultVersionId": "v1",
            "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": now,
            "UpdateDate": now,
            "Tags": new_tags,
            "nextVersion": 2,
        }
        if description is not None:
            record["Description"] = description
        exists = EntityAlreadyExists(
            f"A policy called {policy_name} already exists. Duplicate names are not allowed."
        )

        def run(uow: UnitOfWork) -> None:
            key = r.name_key(policy_name)
            if uow.get(r.POLICY, ctx.account, key) is not None:
                raise exists
            quotas.consume(uow, ctx.account, r.POLICY, self.quotas)
            uow.put(r.POLICY, ctx.account, key, record, create=True)
            version = {"VersionId": "v1", "Document": policy_document, "CreateDate": now}
            uow.put(r.POLICY_VERSION, ctx.account, r.pair_key(key, "v1"), version, create=True)

        try:
            self._write(run)
        except AlreadyExists:
            raise exists from None
        return {"Policy": views.policy(record)}

    @validated
    def get_policy(self, ctx: CallContext, *, policy_arn: str) -> dict[str, Any]:
        self._require(ctx, "GetPolicy", policy_arn)
        policy = self._read(lambda uow: lookup.require_policy(uow, ctx.account, policy_arn, self.catalog))
        return {"Policy": views.policy(policy)}

    @validated
    def delete_policy(self, ctx: CallContext, *, policy_arn: str) -> dict[str, Any]:
        self._require(ctx, "DeletePolicy", policy_arn)

        def run(uow: UnitOfWork) -> None:
            policy = _customer_policy(uow, ctx, policy_arn, self.catalog, "DeletePolicy")
            if policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount"):
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            key = r.name_key(policy["PolicyName"])
            versions = uow.list(r.POLICY_VERSION, ctx.account, prefix=key + "|")
            if len(versions) > 1:
                raise DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy."
                )
            for version_key, _v in versions:
                uow.delete(r.POLICY_VERSION, ctx.account, version_key)
            uow.delete(r.POLICY, ctx.account, key)
            quotas.release(uow, ctx.account, r.POLICY)

        self._write(run)
        return {}

    @validated
    def list_policies(
        self,
        ctx: CallContext,
        *,
        scope: str | None = None,
        only_attached: bool | None = None,
        path_prefix: str | None = None,
        policy_usage_filter: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        """Scope All lists AWS managed policies first, then the account's (marker ``A|``/``L|`` + key)."""
        self._require(ctx, "ListPolicies", "*")
        scope = scope or "All"
        limit = max_items or DEFAULT_MAX_ITEMS
        after = decode_marker(marker) or ""
        prefix = path_prefix or "/"
        # PolicyUsageFilter keeps the policies in use that way; OnlyAttached alone, those in use at all.
        counters = {
            None: ("AttachmentCount", "PermissionsBoundaryUsageCount") if only_attached else (),
            "PermissionsPolicy": ("AttachmentCount",),
            "PermissionsBoundary": ("PermissionsBoundaryUsageCount",),
        }[policy_usage_filter]

        def wanted(policy: Record) -> bool:
            if not str(policy["Path"]).startswith(prefix):
                return False
            return not counters or any(policy.get(field) for field in counters)

        def run(uow: UnitOfWork) -> tuple[list[Record], str | None]:
            found: list[tuple[str, Record]] = []
            if scope in ("All", "AWS"):
                for aws in self.catalog.policies():
                    key = "A|" + r.name_key(aws["PolicyName"])
                    if key <= after:
                        continue
                    record = lookup.find_policy(uow, ctx.account, aws["Arn"], self.catalog)
                    if record is not None and wanted(record):
                        found.append((key, record))
                        if len(found) > limit:
                            break
            if scope in ("All", "Local") and len(found) <= limit:
                local_after = after[2:] if after.startswith("L|") else None
                while len(found) <= limit:
                    chunk = uow.list(r.POLICY, ctx.account, after=local_after, limit=limit + 1)
                    found.extend(("L|" + k, p) for k, p in chunk if wanted(p))
                    if len(chunk) < limit + 1:
                        break
                    local_after = chunk[-1][0]
            if len(found) > limit:
                return [p for _k, p in found[:limit]], encode_marker(found[limit - 1][0])
            return [p for _k, p in found], None

        policies, next_marker = self._read(run)
        out: dict[str, Any] = {
            "Policies": [views.policy(p, description=False, tags=False) for p in policies],
            "IsTruncated": next_marker is not None,
        }
        if next_marker is not None:
            out["Marker"] = next_marker
        return out

    @validated
    def create_policy_version(
        self, ctx: CallContext, *, policy_arn: str, policy_document: str, set_as_default: bool | None = None
    ) -> dict[str, Any]:
        self._require(ctx, "CreatePolicyVersion", policy_arn)
        check_managed_policy(policy_document)
        now = r.timestamp(ctx.now)

        def run(uow: UnitOfWork) -> Record:
            policy = _customer_policy(uow, ctx, policy_arn, self.catalog, "CreatePolicyVersion")
            key = r.name_key(policy["PolicyName"])
            if uow.count(r.POLICY_VERSION, ctx.account, prefix=key + "|") >= self.quotas.versions_per_policy:
                raise LimitExceeded(
                    f"A managed policy can have up to {self.quotas.versions_per_policy} versions. Before you "
                    "create a new version, you must delete an existing version."
                )
            version_id = f"v{policy['nextVersion']}"
            version = {"VersionId": version_id, "Document": policy_document, "CreateDate": now}
            uow.put(r.POLICY_VERSION, ctx.account, r.pair_key(key, version_id), version, create=True)
            policy["nextVersion"] += 1
            policy["UpdateDate"] = now
            if set_as_default:
                policy["DefaultVersionId"] = version_id
            uow.put(r.POLICY, ctx.account, key, policy)
            return views.policy_version(version, default_version=policy["DefaultVersionId"], document=False)

        return {"PolicyVersion": self._write(run)}

    @validated
    def get_policy_version(self, ctx: CallContext, *, policy_arn: str, version_id: str) -> dict[str, Any]:
        self._require(ctx, "GetPolicyVersion", policy_arn)

        def run(uow: UnitOfWork) -> dict[str, Any]:
            policy = lookup.require_policy(uow, ctx.account, policy_arn, self.catalog)
            for version in _versions(uow, ctx, policy, self.catalog):
                if version["VersionId"] == version_id:
                    return views.policy_version(version, default_version=policy["DefaultVersionId"])
            raise _no_such_version(policy_arn, version_id)

        return {"PolicyVersion": self._read(run)}

    @validated
    def list_policy_versions(
        self, ctx: CallContext, *, policy_arn: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        self._require(ctx, "ListPolicyVersions", policy_arn)

        def run(uow: UnitOfWork) -> list[dict[str, Any]]:
            policy = lookup.require_policy(uow, ctx.account, policy_arn, self.catalog)
            return [
                views.policy_version(v, default_version=policy["DefaultVersionId"], document=False)
                for v in _versions(uow, ctx, policy, self.catalog)
            ]

        page, more, next_marker = paginate_list(self._read(run), marker, max_items)
        out: dict[str, Any] = {"Versions": page, "IsTruncated": more}
        if next_marker is not None:
            out["Marker"] = next_marker
        return out

    @validated
    def delete_policy_version(self, ctx: CallContext, *, policy_arn: str, version_id: str) -> dict[str, Any]:
        self._require(ctx, "DeletePolicyVersion", policy_arn)

        def run(uow: UnitOfWork) -> None:
            policy = _customer_policy(uow, ctx, policy_arn, self.catalog, "DeletePolicyVersion")
            if policy["DefaultVersionId"] == version_id:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            key = r.name_key(policy["PolicyName"])
            if not uow.delete(r.POLICY_VERSION, ctx.account, r.pair_key(key, version_id)):
                raise _no_such_version(policy_arn, version_id)
            latest = max(
                (v for _k, v in uow.list(r.POLICY_VERSION, ctx.account, prefix=key + "|")),
                key=lambda v: _version_number(v["VersionId"]),
            )
            policy["UpdateDate"] = latest["CreateDate"]
            uow.put(r.POLICY, ctx.account, key, policy)

        self._write(run)
        return {}

    @validated
    def set_default_policy_version(
        self, ctx: CallContext, *, policy_arn: str, version_id: str
    ) -> dict[str, Any]:
        self._require(ctx, "SetDefaultPolicyVersion", policy_arn)

        def run(uow: UnitOfWork) -> None:
            policy = _customer_policy(uow, ctx, policy_arn, self.catalog, "SetDefaultPolicyVersion")
            key = r.name_key(policy["PolicyName"])
            if uow.get(r.POLICY_VERSION, ctx.account, r.pair_key(key, version_id)) is None:
                raise _no_such_version(policy_arn, version_id)
            policy["DefaultVersionId"] = version_id
            uow.put(r.POLICY, ctx.account, key, policy)

        self._write(run)
        return {}
