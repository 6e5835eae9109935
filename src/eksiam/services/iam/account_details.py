"""GetAccountAuthorizationDetails: every user, group, role and managed policy of the account with
their relations and documents in one paged listing (IAM API reference); GetAccountSummary: entity
counts next to their quotas.

Filter values ``User``, ``Group``, ``Role``, ``LocalManagedPolicy``, ``AWSManagedPolicy`` choose the
sections; without a filter all are returned. AWS managed policies appear when this account uses
them (attached or as a boundary), as the real API reports policies "in use". Pages run through the
sections in that order; the marker is the section number and the last key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, quotas, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.documents import INLINE_POLICY_MAX, MANAGED_POLICY_MAX, TRUST_POLICY_MAX
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import DEFAULT_MAX_ITEMS, decode_marker, encode_marker
from eksiam.storage import Record, UnitOfWork

_SECTIONS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")
_OUTPUT = {
    "User": "UserDetailList",
    "Group": "GroupDetailList",
    "Role": "RoleDetailList",
    "LocalManagedPolicy": "Policies",
    "AWSManagedPolicy": "Policies",
}
_CHUNK = 200
# Values IAM reports for features eksiam does not model (no MFA, certificates or passwords).
_UNMODELLED_SUMMARY = {
    "ServerCertificates": 0,
    "ServerCertificatesQuota": 20,
    "SigningCertificatesPerUserQuota": 2,
    "MFADevices": 0,
    "MFADevicesInUse": 0,
    "AccountMFAEnabled": 0,
    "AccountAccessKeysPresent": 0,
    "AccountPasswordPresent": 0,
    "AccountSigningCertificatesPresent": 0,
    "PolicyVersionsInUseQuota": 10000,
    "GlobalEndpointTokenVersion": 1,
}


def _inline(uow: UnitOfWork, account: str, entity_type: str, name: str) -> list[dict[str, str]]:
    return [
        {"PolicyName": p["PolicyName"], "PolicyDocument": views.encode_document(p["PolicyDocument"])}
        for _k, p in uow.list(r.INLINE_POLICY, account, prefix=r.entity_ref(entity_type, name) + "|")
    ]


def _attached(uow: UnitOfWork, account: str, entity_type: str, name: str) -> list[dict[str, str]]:
    prefix = r.entity_ref(entity_type, name) + "|"
    return [views.attached_policy(p) for _k, p in uow.list(r.ATTACHED_POLICY, account, prefix=prefix)]


class AccountDetails(IamBase):
    def _user_detail(self, uow: UnitOfWork, account: str, user: Record) -> dict[str, Any]:
        out = views.user(user)
        name = user["UserName"]
        out["UserPolicyList"] = _inline(uow, account, r.USER, name)
        out["GroupList"] = [
            g["GroupName"] for _k, g in uow.list(r.USER_GROUP, account, prefix=r.name_key(name) + "|")
        ]
        out["AttachedManagedPolicies"] = _attached(uow, account, r.USER, name)
        return out

    def _group_detail(self, uow: UnitOfWork, account: str, group: Record) -> dict[str, Any]:
        out = views.group(group)
        out["GroupPolicyList"] = _inline(uow, account, r.GROUP, group["GroupName"])
        out["AttachedManagedPolicies"] = _attached(uow, account, r.GROUP, group["GroupName"])
        return out

    def _role_detail(self, uow: UnitOfWork, account: str, role: Record) -> dict[str, Any]:
        out = views.role(role)
        out.pop("Description", None)
        out.pop("MaxSessionDuration", None)
        name = role["RoleName"]
        profiles = []
        for key, _v in uow.list(r.ROLE_INSTANCE_PROFILE, account, prefix=r.name_key(name) + "|"):
            profile = uow.get(r.INSTANCE_PROFILE, account, key.split("|", 1)[1])
            if profile is not None:
                roles = [x for x in (uow.get(r.ROLE, account, k) for k in profile.get("roles", [])) if x]
                profiles.append(views.instance_profile(profile, roles))
        out["InstanceProfileList"] = profiles
        out["RolePolicyList"] = _inline(uow, account, r.ROLE, name)
        out["AttachedManagedPolicies"] = _attached(uow, account, r.ROLE, name)
        return out

    def _policy_detail(self, uow: UnitOfWork, account: str, policy: Record) -> dict[str, Any]:
        out = views.policy(policy, tags=False)
        if lookup.parse_policy_arn(policy["Arn"])[0] == r.AWS_MANAGED_ACCOUNT:
            versions = list(self.catalog.versions(policy["Arn"]))
        else:
            prefix = r.name_key(policy["PolicyName"]) + "|"
            versions = [v for _k, v in uow.list(r.POLICY_VERSION, account, prefix=prefix)]
        out["PolicyVersionList"] = [
            views.policy_version(v, default_version=policy["DefaultVersionId"]) for v in versions
        ]
        return out

    def _section(
        self, uow: UnitOfWork, account: str, section: str, after: str | None
    ) -> Iterator[tuple[str, Any]]:
        """``(key, detail)`` of one section in key order after ``after``."""
        if section == "AWSManagedPolicy":
            for aws in self.catalog.policies():
                key = r.name_key(aws["PolicyName"])
                if after is not None and key <= after:
                    continue
                policy = lookup.find_policy(uow, account, aws["Arn"], self.catalog)
                if policy and (policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount")):
                    yield key, self._policy_detail(uow, account, policy)
            return
        kind, build = {
            "User": (r.USER, self._user_detail),
            "Group": (r.GROUP, self._group_detail),
            "Role": (r.ROLE, self._role_detail),
            "LocalManagedPolicy": (r.POLICY, self._policy_detail),
        }[section]
        detail: Callable[[UnitOfWork, str, Record], Any] = build
        while True:
            chunk = uow.list(kind, account, after=after, limit=_CHUNK)
            for key, record in chunk:
                yield key, detail(uow, account, record)
            if len(chunk) < _CHUNK:
                return
            after = chunk[-1][0]

    @validated
    def get_account_authorization_details(
        self,
        ctx: CallContext,
        *,
        filter: list[str] | None = None,
        max_items: int | None = None,
        marker: str | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "GetAccountAuthorizationDetails", "*")
        chosen = [s for s in _SECTIONS if not filter or s in filter]
        limit = max_items or DEFAULT_MAX_ITEMS
        start = decode_marker(marker)
        start_section, start_key = (
            (int(start.split("|", 1)[0]), start.split("|", 1)[1]) if start else (0, None)
        )

        def run(uow: UnitOfWork) -> dict[str, Any]:
            out: dict[str, Any] = {name: [] for name in dict.fromkeys(_OUTPUT[s] for s in chosen)}
            taken, last = 0, (0, "")
            for index, section in enumerate(_SECTIONS):
                if section not in chosen or index < start_section:
                    continue
                after = start_key if index == start_section else None
                for key, detail in self._section(uow, ctx.account, section, after):
                    if taken == limit:
                        out["IsTruncated"] = True
                        out["Marker"] = encode_marker(f"{last[0]}|{last[1]}")
                        return out
                    out[_OUTPUT[section]].append(detail)
                    taken += 1
                    last = (index, key)
            out["IsTruncated"] = False
            return out

        return self._read(run)

    @validated
    def get_account_summary(self, ctx: CallContext) -> dict[str, Any]:
        """SummaryMap keys from the model's summaryKeyType; counts come from the quota usage records."""
        self._require(ctx, "GetAccountSummary", "*")
        q = self.quotas

        def run(uow: UnitOfWork) -> dict[str, int]:
            def used(kind: str) -> int:
                return quotas.usage(uow, ctx.account, kind)

            return {
                **_UNMODELLED_SUMMARY,
                "Users": used(r.USER),
                "UsersQuota": q.users,
                "Groups": used(r.GROUP),
                "GroupsQuota": q.groups,
                "Roles": used(r.ROLE),
                "RolesQuota": q.roles,
                "Policies": used(r.POLICY),
                "PoliciesQuota": q.policies,
                "InstanceProfiles": used(r.INSTANCE_PROFILE),
                "InstanceProfilesQuota": q.instance_profiles,
                "Providers": used(r.OIDC_PROVIDER),
                "PolicyVersionsInUse": uow.count(r.POLICY_VERSION, ctx.account),
                "VersionsPerPolicyQuota": q.versions_per_policy,
                "GroupsPerUserQuota": q.groups_per_user,
                "AccessKeysPerUserQuota": q.access_keys_per_user,
                "AttachedPoliciesPerGroupQuota": q.policies_per_group,
                "AttachedPoliciesPerRoleQuota": q.policies_per_role,
                "AttachedPoliciesPerUserQuota": q.policies_per_user,
                "PolicySizeQuota": MANAGED_POLICY_MAX,
                "AssumeRolePolicySizeQuota": TRUST_POLICY_MAX,
                "UserPolicySizeQuota": INLINE_POLICY_MAX["user"],
                "GroupPolicySizeQuota": INLINE_POLICY_MAX["group"],
                "RolePolicySizeQuota": INLINE_POLICY_MAX["role"],
            }

        return {"SummaryMap": self._read(run)}
