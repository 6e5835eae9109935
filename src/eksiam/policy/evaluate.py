"""The decision algorithm, in the order AWS documents it.

Sources: IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic.html), "How
AWS enforcement code logic evaluates requests to allow or deny access" (..._policy-eval-denyallow),
"Policy evaluation for requests within a single account" (..._policy-eval-basics), "Cross-account
policy evaluation logic" (..._evaluation-logic-cross-account), "Permissions boundaries for IAM
entities" and "Session policies".

1. Explicit deny: a Deny statement that applies, in any policy that applies to the request (SCPs,
   RCPs, the resource-based policy, identity-based policies, the permissions boundary, session
   policies), decides ExplicitDeny.
2. SCPs apply to IAM principals of the member account (users, roles, sessions, the root user; not
   service principals or federated web identities). Every organization level, root first, needs an
   Allow; a level without one decides ImplicitDeny.
3. RCPs apply to the resource's account, level by level, the same way.
4. Same account: a resource-based policy Allow that names the user, the session, a federated user,
   or ``*`` decides Allow by itself; one that names the role ARN still needs the permissions
   boundary and session policies to allow; one that names only the account delegates to the
   identity-based policies. Otherwise identity-based policies must allow, then the boundary (if
   any), then the session policies (if any).
5. Cross account: the resource-based policy must allow the principal (an account principal is
   enough) *and* the caller's identity-based side must allow as in 4.
6. A role trust policy (kind ``trust``) must always allow the caller; within the account it then
   grants like any resource-based policy (4).
7. Service principals and federated identity providers have no identity-based policies: only the
   resource-based policy (or trust policy) can allow them.
8. The root user has full access in its own account; only a Deny, an SCP or an RCP stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from eksiam.policy import reference
from eksiam.policy.context import Request, RequestContext, build_context
from eksiam.policy.decision import Decision, DecisionKind, MatchedStatement
from eksiam.policy.document import Effect, Statement
from eksiam.policy.parsed import Policy
from eksiam.policy.principals import IAM_KINDS, Grant, PrincipalKind
from eksiam.policy.validate import PolicyKind

Matching = Callable[[Policy, RequestContext], Iterable[tuple[Statement, Grant]]]
Found = list[tuple[Policy, Statement, Grant]]


@dataclass(frozen=True, slots=True)
class PolicySet:
    identity: Sequence[Policy] = ()
    boundary: Policy | None = None
    session: Sequence[Policy] = ()
    resource: Policy | None = None
    scps: Sequence[Sequence[Policy]] = ()
    rcps: Sequence[Sequence[Policy]] = ()


def _compiled(policy: Policy, context: RequestContext) -> Iterable[tuple[Statement, Grant]]:
    return policy.compiled.matching(context)


def _reference(policy: Policy, context: RequestContext) -> Iterable[tuple[Statement, Grant]]:
    return reference.matching(policy.document, context)


def _matched(policy: Policy, statement: Statement) -> MatchedStatement:
    return MatchedStatement(
        policy.policy_id, policy.kind, statement.sid, statement.index, statement.effect.value
    )


class _Scan:
    """Collects the statements that apply, Deny ones in one list and Allow ones per policy group."""

    __slots__ = ("context", "matching", "denies", "allows")

    def __init__(self, context: RequestContext, matching: Matching) -> None:
        self.context = context
        self.matching = matching
        self.denies: list[MatchedStatement] = []
        self.allows: Found = []

    def group(self, policies: Iterable[Policy]) -> Found:
        found: Found = []
        for policy in policies:
            for statement, grant in self.matching(policy, self.context):
                if statement.effect is Effect.DENY:
                    self.denies.append(_matched(policy, statement))
                else:
                    found.append((policy, statement, grant))
        self.allows.extend(found)
        return found


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide a request against a set of parsed policies (compiled, indexed path)."""
    return decide(request, policies, _compiled)


def evaluate_reference(request: Request, policies: PolicySet) -> Decision:
    """The same decision through the reference interpreter; tests compare the two."""
    return decide(request, policies, _reference)


def decide(request: Request, policies: PolicySet, matching: Matching) -> Decision:
    context = build_context(request)
    info = context.principal
    scan = _Scan(context, matching)
    iam_caller = info.kind in IAM_KINDS
    identity_side = iam_caller and info.kind is not PrincipalKind.ROOT
    scp_levels = [scan.group(level) for level in policies.scps] if iam_caller else []
    rcp_levels = [scan.group(level) for level in policies.rcps]
    resource_allows = scan.group((policies.resource,)) if policies.resource is not None else []
    identity_allows = scan.group(policies.identity) if identity_side else []
    boundary_allows = scan.group((policies.boundary,)) if identity_side and policies.boundary else []
    session_allows = scan.group(policies.session) if identity_side else []

    if scan.denies:
        return Decision(DecisionKind.EXPLICIT_DENY, tuple(scan.denies))

    def implicit(*missing: PolicyKind) -> Decision:
        return Decision(
            DecisionKind.IMPLICIT_DENY,
            tuple(_matched(p, s) for p, s, _ in scan.allows),
            missing,
            _absent_keys(policies, context),
        )

    if any(not level for level in scp_levels):
        return implicit(PolicyKind.SCP)
    if any(not level for level in rcp_levels):
        return implicit(PolicyKind.RCP)

    allowed = Decision(DecisionKind.ALLOW, tuple(_matched(p, s) for p, s, _ in scan.allows))
    grant = max((g for _, _, g in resource_allows), default=Grant.NONE)
    resource_kind = policies.resource.kind if policies.resource is not None else PolicyKind.RESOURCE
    if not iam_caller:
        return allowed if grant is not Grant.NONE else implicit(resource_kind)

    boundary_ok = not identity_side or policies.boundary is None or bool(boundary_allows)
    session_ok = not identity_side or not policies.session or bool(session_allows)
    identity_ok = not identity_side or bool(identity_allows)
    if resource_kind is PolicyKind.TRUST and grant is Grant.NONE:
        return implicit(PolicyKind.TRUST)
    if context.same_account:
        if grant is Grant.DIRECT:
            return allowed
        if grant is Grant.ROLE and boundary_ok and session_ok:
            return allowed
        if identity_ok and boundary_ok and session_ok:
            return allowed
        identity_missing = not identity_ok and grant is not Grant.ROLE
        return implicit(*_failed(identity_missing, boundary_ok, session_ok))
    if grant is not Grant.NONE and identity_ok and boundary_ok and session_ok:
        return allowed
    resource_missing = (resource_kind,) if grant is Grant.NONE else ()
    return implicit(*resource_missing, *_failed(not identity_ok, boundary_ok, session_ok))


def _failed(identity_missing: bool, boundary_ok: bool, session_ok: bool) -> tuple[PolicyKind, ...]:
    failed: list[PolicyKind] = []
    if identity_missing:
        failed.append(PolicyKind.IDENTITY)
    if not boundary_ok:
        failed.append(PolicyKind.BOUNDARY)
    if not session_ok:
        failed.append(PolicyKind.SESSION)
    return tuple(failed)


def _absent_keys(policies: PolicySet, context: RequestContext) -> tuple[str, ...]:
    """Condition keys that Allow statements for this action and resource test but the request lacks."""
    every: list[Policy] = [*policies.identity, *policies.session]
    every.extend(policy for policy in (policies.boundary, policies.resource) if policy is not None)
    every.extend(policy for level in (*policies.scps, *policies.rcps) for policy in level)
    absent: dict[str, None] = {}
    for policy in every:
        for compiled in policy.compiled.candidates(context.action, context.service):
            if compiled.deny or (compiled.resource_test is not None and not compiled.resource_test(context)):
                continue
            for clause in compiled.statement.conditions:
                if clause.key.lower() not in context.values:
                    absent.setdefault(clause.key)
    return tuple(absent)
