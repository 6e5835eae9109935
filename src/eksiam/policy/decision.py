"""The result of an evaluation: the decision, the statements that decided it, and what was missing.

As Cedar's authorizer does, a decision carries its reasons: for Allow the allowing statements of
every policy type that had to allow; for ExplicitDeny every Deny statement that applied; for
ImplicitDeny the allows that were found plus ``missing``, the policy types that lacked one (AWS's
AccessDenied text says "because no identity-based policy allows ..." from the same fact).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from eksiam.policy.validate import PolicyKind


class DecisionKind(str, Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    policy_id: str
    policy_kind: PolicyKind
    sid: str | None
    index: int
    effect: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "policy_kind": self.policy_kind.value,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect,
        }


@dataclass(slots=True)
class Decision:
    """Not frozen only for speed (built on every evaluation, see policy/context.py); never mutated."""

    kind: DecisionKind
    matched: tuple[MatchedStatement, ...] = ()
    missing: tuple[PolicyKind, ...] = ()
    missing_context_keys: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.kind is _ALLOW

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.kind.value,
            "allowed": self.allowed,
            "matched": [statement.to_dict() for statement in self.matched],
            "missing": [kind.value for kind in self.missing],
            "missing_context_keys": list(self.missing_context_keys),
        }


_ALLOW = DecisionKind.ALLOW  # bound once: Enum attribute access is slow, and every request asks
