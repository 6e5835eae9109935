"""Who may become a role: the role's trust policy, and for signed callers their own policies too.

AWS evaluates a role assumption as a cross-principal request whose resource-based policy is the
role's trust policy (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation
logic" and "IAM role trust policies"): the caller's identity policies, permissions boundary, session
policies and SCPs form the identity side, the trust policy the resource side, and the engine applies
the same-account and cross-account rules. Web identity and service principals have no identity side.

Condition keys added here are the ones the STS operation itself defines (IAM "Available keys for
AWS STS" and "Available keys for AWS web identity federation"); the caller's global keys
(``aws:PrincipalTag/*``, ``aws:SourceIp`` ...) come from the authorizer's ``PrincipalPolicies``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from eksiam.policy import (
    MalformedPolicyDocument as PolicyMalformed,
)
from eksiam.policy import (
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
    parse_policy,
)
from eksiam.services.context import CallContext
from eksiam.services.sts.errors import MalformedPolicyDocument

ContextValues = Mapping[str, str | Sequence[str]]


class PrincipalPolicies(Protocol):
    """What services/authorize.py knows about a signed caller (see ``Authorizer``)."""

    def policy_set(self, ctx: CallContext) -> PolicySet:
        """The caller's identity policies, boundary, session policies and SCPs; ``resource`` unset."""
        ...

    def request_context(self, ctx: CallContext) -> dict[str, str | list[str]]:
        """The global condition keys of the caller's request (principal tags, source IP, time ...)."""
        ...


def trust_policy(document: str, role_arn: str) -> Policy:
    """The stored trust policy, parsed once per content (the engine caches by hash)."""
    return parse_policy(document, PolicyKind.TRUST, policy_id=f"{role_arn}#trust")


def session_policy(document: str) -> Policy:
    """A Policy parameter; its parse errors are the caller's MalformedPolicyDocument."""
    try:
        return parse_policy(document, PolicyKind.SESSION, policy_id="session-policy")
    except PolicyMalformed as err:
        raise MalformedPolicyDocument(err.message) from None


def allows(
    principal: str,
    action: str,
    role_arn: str,
    role_account: str,
    trust: Policy,
    context: ContextValues,
    caller_policies: PolicySet | None = None,
) -> bool:
    base = caller_policies or PolicySet()
    policies = PolicySet(
        identity=base.identity,
        boundary=base.boundary,
        session=base.session,
        resource=trust,
        scps=base.scps,
        rcps=base.rcps,
    )
    request = Request(
        principal=principal, action=action, resource=role_arn, resource_account=role_account, context=context
    )
    return evaluate(request, policies).allowed


def request_tag_context(
    tags: Sequence[Mapping[str, str]], transitive_keys: Sequence[str]
) -> dict[str, str | list[str]]:
    """``aws:RequestTag/<k>``, ``aws:TagKeys`` and ``sts:TransitiveTagKeys`` for requested tags."""
    context: dict[str, str | list[str]] = {f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags}
    if tags:
        context["aws:TagKeys"] = [t["Key"] for t in tags]
    if transitive_keys:
        context["sts:TransitiveTagKeys"] = list(transitive_keys)
    return context
