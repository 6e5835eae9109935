"""Who may become a role: the role's trust policy, and for signed callers their own policies too.

AWS evaluates a role assumption as a cross-principal request whose resource-based policy is the
role's trust policy (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation
logic" and "IAM role trust policies"): the caller's identity policies, permissions boundary, session
policies and SCPs form the identity side, the trust policy the resource side, and the engine applies
the same-account and cross-account rules. Web identity and service principals have no identity side.

Condition keys added here are the ones the STS operation itself defines (IAM "Available keys for
AWS STS" and "Available keys for AWS web identity federation"); the caller's global keys
(``aws:PrincipalTag/*``, ``aws:SourceIp`` ...) come from the authorizer (``TrustDecider``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from eksiam.policy import (
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    allowed,
    parse_policy,
)
from eksiam.policy import (
    MalformedPolicyDocument as PolicyMalformed,
)
from eksiam.services.context import CallContext
from eksiam.services.sts.errors import MalformedPolicyDocument

ContextValues = Mapping[str, str | Sequence[str]]


class TrustDecider(Protocol):
    """``services/authorize.Authorizer.decide``: the caller's policies and global condition keys,
    with the trust policy as the resource-based policy of the request."""

    def decide(
        self,
        ctx: CallContext,
        action: str,
        resource_arn: str,
        context: ContextValues | None = None,
        *,
        resource_policy: Policy | None = None,
    ) -> Decision: ...


@lru_cache(maxsize=4096)
def trust_policy(document: str, role_arn: str) -> Policy:
    """The stored trust policy, parsed once per content and role (a ``Policy`` is immutable)."""
    return parse_policy(document, PolicyKind.TRUST, policy_id=f"{role_arn}#trust")


def session_policy(document: str) -> Policy:
    """A Policy parameter; its parse errors are the caller's MalformedPolicyDocument."""
    try:
        return parse_policy(document, PolicyKind.SESSION, policy_id="session-policy")
    except PolicyMalformed as err:
        raise MalformedPolicyDocument(err.message) from None


def allows(
    principal: str, action: str, role_arn: str, role_account: str, trust: Policy, context: ContextValues
) -> bool:
    """For principals without identity policies (web identity providers, AWS services)."""
    request = Request(principal, action, role_arn, role_account, context)  # positional: built per call
    return allowed(request, _trust_only(trust))


_TRUST_SETS: dict[tuple[str, str], PolicySet] = {}
_TRUST_SETS_MAX = 4096


def _trust_only(trust: Policy) -> PolicySet:
    """The policy set of a trust policy alone, kept per content, so its evaluation plan is built
    once rather than on every AssumeRoleWithWebIdentity."""
    key = (trust.digest, trust.policy_id)
    found = _TRUST_SETS.get(key)
    if found is None:
        if len(_TRUST_SETS) >= _TRUST_SETS_MAX:
            _TRUST_SETS.clear()
        found = _TRUST_SETS[key] = PolicySet(resource=trust)
    return found


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
