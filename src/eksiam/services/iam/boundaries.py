"""Permissions boundaries of users and roles (IAM User Guide, "Permissions boundaries for IAM
entities"; API reference, PutRolePermissionsBoundary).

A boundary is one managed policy, customer or AWS managed, never an ``aws-service-role/`` policy
(PolicyNotAttachable, iam-rules.md 5). Setting one records a ``boundary-usage`` relation and, for a
customer policy, bumps its ``PermissionsBoundaryUsageCount`` in the policy record, so deleting the
policy at the same time is a write-write conflict the store serializes.
"""

from __future__ import annotations

from eksiam.services.iam import lookup
from eksiam.services.iam import records as r
from eksiam.services.iam.errors import InvalidInput, NoSuchEntity, PolicyNotAttachable
from eksiam.storage import Record, UnitOfWork

SERVICE_ROLE_POLICY_PATH = "/aws-service-role/"


def is_service_role_policy(policy: Record) -> bool:
    return str(policy["Arn"]).split(":")[4] == r.AWS_MANAGED_ACCOUNT and str(
        policy.get("Path", "")
    ).startswith(SERVICE_ROLE_POLICY_PATH)


def _bump(uow: UnitOfWork, account: str, policy: Record, delta: int) -> None:
    if str(policy["Arn"]).split(":")[4] == account:
        policy["PermissionsBoundaryUsageCount"] = int(policy.get("PermissionsBoundaryUsageCount", 0)) + delta
        uow.put(r.POLICY, account, r.name_key(policy["PolicyName"]), policy)


def set_boundary(
    uow: UnitOfWork,
    account: str,
    entity_type: str,
    entity: Record,
    arn: str,
    catalog: r.ManagedPolicyCatalog,
    *,
    creating: bool = False,
) -> None:
    """Make ``arn`` the entity's boundary (the caller writes ``entity`` afterwards).

    CreateRole/CreateUser do not list NoSuchEntity, so an unknown policy there is InvalidInput.
    """
    try:
        policy = lookup.find_policy(uow, account, arn, catalog)
    except InvalidInput:
        raise InvalidInput(f"ARN {arn} is not valid.") from None
    if policy is None:
        message = f"Scope ARN: {arn} does not exist or is not attachable."
        raise (InvalidInput(message) if creating else NoSuchEntity(message))
    if is_service_role_policy(policy):
        raise PolicyNotAttachable.service_role_policy()
    clear_boundary(uow, account, entity_type, entity, catalog)
    name = entity[f"{entity_type.capitalize()}Name"]
    ref = r.entity_ref(entity_type, name)
    uow.put(
        r.BOUNDARY_USAGE,
        account,
        r.pair_key(arn, ref),
        {
            "PolicyArn": arn,
            "EntityType": entity_type,
            "EntityName": name,
            "EntityId": entity[f"{entity_type.capitalize()}Id"],
        },
    )
    _bump(uow, account, policy, 1)
    entity["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def clear_boundary(
    uow: UnitOfWork, account: str, entity_type: str, entity: Record, catalog: r.ManagedPolicyCatalog
) -> None:
    current = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not current:
        return
    name = entity[f"{entity_type.capitalize()}Name"]
    uow.delete(r.BOUNDARY_USAGE, account, r.pair_key(current, r.entity_ref(entity_type, name)))
    policy = lookup.find_policy(uow, account, current, catalog)
    if policy is not None:
        _bump(uow, account, policy, -1)
    entity.pop("PermissionsBoundary", None)
