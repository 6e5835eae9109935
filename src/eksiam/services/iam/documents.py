"""Policy documents as IAM accepts them: grammar checks by the engine, sizes by IAM's quotas.

The engine (``eksiam.policy.parse_policy``) decides whether a document is well formed for its use:
``TRUST`` for AssumeRolePolicyDocument (no Resource, a Principal), ``IDENTITY`` for managed and
inline policies (also when the managed policy later serves as a permissions boundary). Its
``MalformedPolicyDocument`` becomes IAM's error of the same name with the engine's message.

A trust policy may name IAM users and roles as ``AWS`` principals; IAM refuses one that does not
exist (``Invalid principal in policy: "AWS":"<arn>"``, iam-rules.md 4). ``named_principals`` lists
the user and role ARNs so the role operations can check them against the store.

Sizes are characters without whitespace (``names.policy_size``), each with the quota text AWS
sends (iam-rules.md 3.2).
"""

from __future__ import annotations

import functools
import json

from eksiam.arn import Arn, InvalidArn
from eksiam.policy import MalformedPolicyDocument as EngineMalformed
from eksiam.policy import PolicyKind, parse_policy
from eksiam.services.iam.errors import LimitExceeded, MalformedPolicyDocument
from eksiam.services.iam.names import policy_size

TRUST_POLICY_MAX = 2048
MANAGED_POLICY_MAX = 6144
# Aggregate inline-policy size per entity type.
INLINE_POLICY_MAX = {"role": 10240, "user": 2048, "group": 5120}


def check_document(document: str, kind: PolicyKind = PolicyKind.IDENTITY) -> None:
    try:
        parse_policy(document, kind)
    except EngineMalformed as exc:
        raise MalformedPolicyDocument(exc.message) from None


def check_trust_policy(document: str) -> None:
    check_document(document, PolicyKind.TRUST)
    if policy_size(document) > TRUST_POLICY_MAX:
        raise LimitExceeded.quota("ACLSizePerRole", TRUST_POLICY_MAX)


def check_managed_policy(document: str) -> None:
    check_document(document)
    if policy_size(document) > MANAGED_POLICY_MAX:
        raise LimitExceeded.quota("PolicySize", MANAGED_POLICY_MAX)


def check_inline_total(entity_type: str, entity_name: str, documents: list[str]) -> None:
    limit = INLINE_POLICY_MAX[entity_type]
    if sum(policy_size(d) for d in documents) > limit:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {entity_type} {entity_name}")


@functools.lru_cache(maxsize=1024)
def named_principals(document: str) -> tuple[tuple[str, str, str, str], ...]:
    """``(arn, account, kind, name)`` of every IAM user or role ARN among the ``AWS`` principals.

    Wildcards, account ids, root ARNs and session ARNs name no stored entity and are left out.
    Kept per document: creating or deleting a role reads its trust policy's principals two or
    three times.
    """
    found = []
    statements = json.loads(document).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        aws = principal.get("AWS", []) if isinstance(principal, dict) else []
        for value in [aws] if isinstance(aws, str) else aws:
            try:
                arn = Arn.parse(value)
            except InvalidArn:
                continue
            kind = arn.resource_type
            if arn.service == "iam" and kind in ("user", "role") and "*" not in value and "?" not in value:
                found.append((value, arn.account, kind, arn.resource.rsplit("/", 1)[-1]))
    return tuple(found)
