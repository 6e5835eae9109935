"""Policy documents as IAM accepts them: grammar checks by the engine, sizes by IAM's quotas.

The engine (``eksiam.policy.parse_policy``) decides whether a document is well formed for its use:
``TRUST`` for AssumeRolePolicyDocument (no Resource, a Principal), ``IDENTITY`` for managed and
inline policies (also when the managed policy later serves as a permissions boundary). Its
``MalformedPolicyDocument`` becomes IAM's error of the same name with the engine's message.

Sizes are characters without whitespace (``names.policy_size``), each with the quota text AWS
sends (iam-rules.md 3.2).
"""

from __future__ import annotations

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
