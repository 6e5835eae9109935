"""Small builders shared by the policy tests: documents from statements, one-call decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.policy import Decision, Policy, PolicyKind, PolicySet, Request, evaluate, parse_policy

ALICE = "arn:aws:iam::111122223333:user/alice"
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"


def doc(*statements: Mapping[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def policy(*statements: Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY, name: str = "") -> Policy:
    return parse_policy(doc(*statements), kind, policy_id=name or kind.value)


def decide(
    statements: Sequence[Mapping[str, Any]] = (),
    *,
    principal: str = ALICE,
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::amzn-s3-demo-bucket/key",
    context: Mapping[str, str | Sequence[str]] | None = None,
    resource_account: str | None = None,
    resource_policy: Policy | None = None,
    **sets: Any,
) -> Decision:
    """Evaluate with identity ``statements`` (one policy) plus PolicySet fields given as keywords."""
    identity = [policy(*statements)] if statements else []
    policies = PolicySet(identity=identity, resource=resource_policy, **sets)
    request = Request(principal, action, resource, resource_account, dict(context or {}))
    return evaluate(request, policies)
