"""The IAM policy engine: pure functions over immutable policy data (no I/O, clock or randomness).

Parse once (``parse_policy``: validated, compiled, cached by content), evaluate many (``evaluate``),
explain (``explain``). ``validate_policy`` lists findings without raising.
"""

from eksiam.policy.context import LowerCaseContext, Request
from eksiam.policy.decision import Decision, DecisionKind, MatchedStatement
from eksiam.policy.errors import MalformedPolicyDocument, PolicyError
from eksiam.policy.evaluate import PolicySet, allowed, evaluate
from eksiam.policy.explain import explain, explain_json
from eksiam.policy.grammar import policy_size
from eksiam.policy.parsed import Policy, parse_policy
from eksiam.policy.validate import Finding, PolicyKind, validate_policy

__all__ = [
    "Decision",
    "DecisionKind",
    "Finding",
    "LowerCaseContext",
    "MalformedPolicyDocument",
    "MatchedStatement",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "Request",
    "allowed",
    "evaluate",
    "explain",
    "explain_json",
    "parse_policy",
    "policy_size",
    "validate_policy",
]
