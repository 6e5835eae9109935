"""Trust policies name users and roles by ARN, but IAM keeps the principal's unique ID.

IAM User Guide, "IAM identifiers" (Unique identifiers): "If you delete a user and then create a new
user with the same name, the new user has a different unique ID ... a role's trust policy that
specified the deleted user ... shows the unique ID of the deleted user" - so the new entity with the
old name is not trusted (iam-rules.md 2). Renaming a user keeps its ID, and its trust entries follow
the new ARN.

We keep the ARN text and a ``trust-reference`` record per (principal ARN, trusting role), key
``"<principal arn>|<lower role name>"``. Deleting the principal rewrites each trusting role's
document, replacing the ARN with the deleted entity's ID; renaming it replaces the old ARN with the
new one. The document stays as the caller wrote it otherwise.
"""

from __future__ import annotations

import json

from eksiam.services.iam import records as r
from eksiam.services.iam.documents import named_principals
from eksiam.storage import Record, UnitOfWork

TRUST_REFERENCE = "trust-reference"


def _same_account_arns(account: str, document: str) -> set[str]:
    return {arn for arn, owner, _kind, _name in named_principals(document) if owner == account}


def record_references(uow: UnitOfWork, account: str, role_name: str, document: str) -> None:
    for arn in _same_account_arns(account, document):
        uow.put(TRUST_REFERENCE, account, r.pair_key(arn, r.name_key(role_name)), {"RoleName": role_name})


def drop_references(uow: UnitOfWork, account: str, role: Record) -> None:
    """Forget the references of ``role``'s current trust policy."""
    for arn in _same_account_arns(account, role["AssumeRolePolicyDocument"]):
        uow.delete(TRUST_REFERENCE, account, r.pair_key(arn, r.name_key(role["RoleName"])))


def _rewrite(uow: UnitOfWork, account: str, arn: str, replacement: str) -> list[str]:
    """Replace ``arn`` by ``replacement`` in every trusting role's document; their role names."""
    trusting = []
    for key, ref in uow.list(TRUST_REFERENCE, account, prefix=arn + "|"):
        uow.delete(TRUST_REFERENCE, account, key)
        role = uow.get(r.ROLE, account, r.name_key(ref["RoleName"]))
        if role is None:
            continue
        document = role["AssumeRolePolicyDocument"]
        role["AssumeRolePolicyDocument"] = document.replace(json.dumps(arn), json.dumps(replacement))
        uow.put(r.ROLE, account, r.name_key(ref["RoleName"]), role)
        trusting.append(ref["RoleName"])
    return trusting


def principal_deleted(uow: UnitOfWork, account: str, arn: str, unique_id: str) -> None:
    _rewrite(uow, account, arn, unique_id)


def principal_renamed(uow: UnitOfWork, account: str, old_arn: str, new_arn: str) -> None:
    for role_name in _rewrite(uow, account, old_arn, new_arn):
        uow.put(TRUST_REFERENCE, account, r.pair_key(new_arn, r.name_key(role_name)), {"RoleName": role_name})
