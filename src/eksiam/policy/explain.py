"""Decisions in words (CLI, Simulate* APIs) and as JSON.

The wording follows AWS's AccessDenied messages, which name the policy type at fault: "with an
explicit deny in a <type>" and "because no <type> allows the <action> action" (IAM User Guide,
"Troubleshoot access denied error messages").
"""

from __future__ import annotations

from typing import Any

from eksiam.policy.decision import Decision, DecisionKind, MatchedStatement
from eksiam.policy.validate import PolicyKind

KIND_LABELS = {
    PolicyKind.IDENTITY: "identity-based policy",
    PolicyKind.RESOURCE: "resource-based policy",
    PolicyKind.TRUST: "role trust policy",
    PolicyKind.BOUNDARY: "permissions boundary",
    PolicyKind.SESSION: "session policy",
    PolicyKind.SCP: "service control policy",
    PolicyKind.RCP: "resource control policy",
}


def _statement(matched: MatchedStatement) -> str:
    name = matched.sid if matched.sid else f"statement {matched.index}"
    return f"{KIND_LABELS[matched.policy_kind]} {matched.policy_id} ({name})"


def explain(decision: Decision) -> str:
    lines = [f"Decision: {decision.kind.value}"]
    if decision.kind is DecisionKind.EXPLICIT_DENY:
        lines.extend(f"  explicit deny in {_statement(m)}" for m in decision.matched)
        return "\n".join(lines)
    if decision.kind is DecisionKind.ALLOW:
        lines.extend(f"  allowed by {_statement(m)}" for m in decision.matched)
        if not decision.matched:
            lines.append("  allowed: the account root user has full access in its own account")
        return "\n".join(lines)
    allowed_kinds = [KIND_LABELS[m.policy_kind] for m in decision.matched]
    missing = [KIND_LABELS[kind] for kind in decision.missing]
    if allowed_kinds and missing:
        unique = ", ".join(dict.fromkeys(allowed_kinds))
        lines.append(f"  allowed by {unique}, not by {' or '.join(missing)}")
    for kind in missing:
        lines.append(f"  no {kind} allows the request")
    if not missing:
        lines.append("  no policy allows the request")
    lines.extend(f"  allow found in {_statement(m)}" for m in decision.matched)
    if decision.missing_context_keys:
        lines.append("  condition keys not in the request: " + ", ".join(decision.missing_context_keys))
    return "\n".join(lines)


def explain_json(decision: Decision) -> dict[str, Any]:
    return {**decision.to_dict(), "explanation": explain(decision)}
