"""The policies that apply to a caller, read from the store: what IAM's evaluation logic calls the
identity-based policies, the permissions boundary and the session policies of a principal (IAM User
Guide, "Policy evaluation logic" and "Session policies").

Rules:

1. An IAM user: its inline policies, its attached managed policies, and the inline and attached
   policies of every group it belongs to; its boundary; its tags as ``aws:PrincipalTag/*``.
2. A role session: the role's inline and attached policies and its boundary, plus the session's
   policies (inline document and managed ARNs, sts/sessions.py rule 1); session tags override the
   role's tags of the same key (IAM User Guide, "Passing session tags in AWS STS"). A session whose
   role was deleted, or deleted and created again (a new RoleId), keeps no permissions.
3. A managed policy applies through its default version; AWS managed ones come from the shipped
   catalogue (iam/managed_policies.py). A policy that no longer exists contributes nothing.
4. Each policy keeps its source (name, type, document) so Simulate* can answer
   ``SourcePolicyId``/``SourcePolicyType`` and statement positions; ``policy_id`` is the managed
   policy ARN or ``<entity type>/<entity name>/<policy name>`` for inline ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eksiam.arn import Arn, InvalidArn
from eksiam.services.iam import managed_policies
from eksiam.services.iam import records as r
from eksiam.storage.interface import Record, UnitOfWork

# A valid policy that matches no action: stands in for a session policy ARN that no longer resolves.
_GRANTS_NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}'


@dataclass(frozen=True, slots=True)
class PolicySource:
    policy_id: str
    name: str
    source_type: str  # user | group | role | aws-managed | user-managed | session
    document: str


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    identity: tuple[PolicySource, ...] = ()
    boundary: PolicySource | None = None
    session: tuple[PolicySource, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    principal_arn: str | None = None  # aws:PrincipalArn: the role ARN (with path) for sessions
    exists: bool = True


def managed_document(uow: UnitOfWork, account: str, arn: str) -> PolicySource | None:
    """The default version of a managed policy, customer or AWS managed (rule 3)."""
    aws = managed_policies.lookup(arn)
    if aws is not None:
        return PolicySource(aws.arn, aws.name, "aws-managed", aws.default_document)
    try:
        parsed = Arn.parse(arn)
    except InvalidArn:
        return None
    if parsed.account != account or not parsed.resource.startswith("policy/"):
        return None
    name = parsed.resource.rsplit("/", 1)[-1]
    policy = uow.get(r.POLICY, account, r.name_key(name))
    if policy is None or policy["Arn"] != arn:
        return None
    version = uow.get(r.POLICY_VERSION, account, r.pair_key(r.name_key(name), policy["DefaultVersionId"]))
    if version is None:
        return None
    return PolicySource(arn, policy["PolicyName"], "user-managed", version["Document"])


def _entity_policies(uow: UnitOfWork, account: str, entity_type: str, name: str) -> list[PolicySource]:
    ref = r.entity_ref(entity_type, name)
    found = [
        PolicySource(
            f"{entity_type}/{name}/{p['PolicyName']}", p["PolicyName"], entity_type, p["PolicyDocument"]
        )
        for _key, p in uow.list(r.INLINE_POLICY, account, prefix=ref + "|")
    ]
    for _key, attached in uow.list(r.ATTACHED_POLICY, account, prefix=ref + "|"):
        source = managed_document(uow, account, attached["PolicyArn"])
        if source is not None:
            found.append(source)
    return found


def _boundary(uow: UnitOfWork, account: str, entity: Record) -> PolicySource | None:
    boundary = entity.get("PermissionsBoundary") or {}
    arn = boundary.get("PermissionsBoundaryArn")
    return managed_document(uow, account, arn) if arn else None


def _tags(tags: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags}


def user_policies(uow: UnitOfWork, account: str, user_name: str) -> PrincipalPolicies:
    user = uow.get(r.USER, account, r.name_key(user_name))
    if user is None:
        return PrincipalPolicies(exists=False)
    identity = _entity_policies(uow, account, r.USER, user["UserName"])
    for _key, membership in uow.list(r.USER_GROUP, account, prefix=r.name_key(user_name) + "|"):
        identity.extend(_entity_policies(uow, account, r.GROUP, membership["GroupName"]))
    return PrincipalPolicies(
        tuple(identity), _boundary(uow, account, user), (), _tags(r.tags_of(user)), user["Arn"]
    )


def group_policies(uow: UnitOfWork, account: str, group_name: str) -> PrincipalPolicies:
    group = uow.get(r.GROUP, account, r.name_key(group_name))
    if group is None:
        return PrincipalPolicies(exists=False)
    return PrincipalPolicies(tuple(_entity_policies(uow, account, r.GROUP, group["GroupName"])))


def role_policies(
    uow: UnitOfWork, account: str, role_name: str, role_id: str | None = None
) -> PrincipalPolicies:
    role = uow.get(r.ROLE, account, r.name_key(role_name))
    if role is None or (role_id is not None and role["RoleId"] != role_id):
        return PrincipalPolicies(exists=False)
    return PrincipalPolicies(
        tuple(_entity_policies(uow, account, r.ROLE, role["RoleName"])),
        _boundary(uow, account, role),
        (),
        _tags(r.tags_of(role)),
        role["Arn"],
    )


def session_policies(uow: UnitOfWork, account: str, session: Mapping[str, Any]) -> PrincipalPolicies:
    """Policies of an STS session record (sts/sessions.py layout) for an assumed role or a user."""
    if session.get("RoleName"):
        base = role_policies(uow, account, session["RoleName"], session.get("RoleId"))
    elif session.get("UserName"):
        base = user_policies(uow, account, session["UserName"])
    else:
        base = PrincipalPolicies()
    if not base.exists:
        return base
    sources = [
        PolicySource(f"session/{i}", f"SessionPolicy{i}", "session", document)
        for i, document in enumerate(session.get("SessionPolicies") or (), start=1)
    ]
    for arn in session.get("SessionPolicyArns") or ():
        found = managed_document(uow, account, arn)
        # An ARN that no longer resolves still limits the session: it grants nothing.
        sources.append(found or PolicySource(arn, arn, "session", _GRANTS_NOTHING))
    tags = {**base.tags, **_tags(session.get("Tags") or ())}
    return PrincipalPolicies(base.identity, base.boundary, tuple(sources), tags, base.principal_arn)
