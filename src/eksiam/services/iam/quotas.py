"""IAM quotas (IAM User Guide, "IAM and AWS STS quotas"; iam-rules.md 3.1) and per-account usage.

Defaults are AWS's default values; an account's quota can be raised to the adjustable maximum in
AWS, and ``Quotas`` can be built with other values for the same reason (benchmarks create 100,000
roles). Entity counts per account live in ``quota-usage`` records (key = entity kind, field
``Count``), changed in the same transaction as the entity, so checking a quota costs one read
instead of a count over every entity. Service-linked roles consume the role count without being
limited by it ([SLR]: "only SLRs may exceed it").
"""

from __future__ import annotations

from dataclasses import dataclass

from eksiam.services.iam.errors import LimitExceeded
from eksiam.storage import UnitOfWork

QUOTA_USAGE = "quota-usage"


@dataclass(frozen=True, slots=True)
class Quotas:
    roles: int = 1000
    users: int = 5000
    groups: int = 300
    policies: int = 1500
    instance_profiles: int = 1000
    oidc_providers: int = 100
    policies_per_role: int = 10
    policies_per_user: int = 10
    policies_per_group: int = 10
    groups_per_user: int = 10
    access_keys_per_user: int = 2
    versions_per_policy: int = 5
    client_ids_per_oidc_provider: int = 100
    thumbprints_per_oidc_provider: int = 5

    def attached_policies(self, entity_type: str) -> int:
        return {
            "role": self.policies_per_role,
            "user": self.policies_per_user,
            "group": self.policies_per_group,
        }[entity_type]


# Entity kind -> (Quotas field, AWS quota name in the LimitExceeded text).
ENTITY_QUOTAS = {
    "role": ("roles", "RolesPerAccount"),
    "user": ("users", "UsersPerAccount"),
    "group": ("groups", "GroupsPerAccount"),
    "policy": ("policies", "PoliciesPerAccount"),
    "instance-profile": ("instance_profiles", "InstanceProfilesPerAccount"),
    "oidc-provider": ("oidc_providers", "OpenIdConnectProvidersPerAccount"),
}


def usage(uow: UnitOfWork, account: str, kind: str) -> int:
    record = uow.get(QUOTA_USAGE, account, kind)
    return int(record["Count"]) if record else 0


def consume(uow: UnitOfWork, account: str, kind: str, quotas: Quotas, *, limited: bool = True) -> None:
    """Count one more ``kind`` entity; LimitExceeded when the account is at its quota."""
    field, name = ENTITY_QUOTAS[kind]
    count = usage(uow, account, kind)
    limit = int(getattr(quotas, field))
    if limited and count >= limit:
        raise LimitExceeded.quota(name, limit)
    uow.put(QUOTA_USAGE, account, kind, {"Count": count + 1})


def release(uow: UnitOfWork, account: str, kind: str) -> None:
    uow.put(QUOTA_USAGE, account, kind, {"Count": max(usage(uow, account, kind) - 1, 0)})
