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
   Allow; a level without one decides ImplicitDeny. "SCPs do not affect service-linked roles"
   (AWS Organizations User Guide, "Service control policies").
3. RCPs apply to the resource's account, level by level, the same way; they do not apply to
   service-linked roles either (AWS Organizations User Guide, "Resource control policies").
4. Same account: a resource-based policy Allow that names the user, the session, a federated user,
   or ``*`` decides Allow by itself; one that names the role ARN still needs the permissions
   boundary and session policies to allow; one that names only the account delegates to the
   identity-based policies. Otherwise identity-based policies must allow, then the boundary (if
   any), then the session policies (if any).
5. Cross account: the resource-based policy must allow the principal (an account principal is
   enough) *and* the caller's identity-based side must allow as in 4.
6. A role trust policy (kind ``trust``) and a KMS key policy must always allow the caller; within
   the account they then grant like any resource-based policy (4).
7. Service principals and federated identity providers have no identity-based policies: only the
   resource-based policy (or trust policy) can allow them.
8. The root user has full access in its own account; only a Deny, an SCP or an RCP stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from eksiam.policy import reference
from eksiam.policy.context import Request, RequestContext, build_context
from eksiam.policy.decision import Decision, DecisionKind, MatchedStatement
from eksiam.policy.document import Effect
from eksiam.policy.parsed import Policy
from eksiam.policy.plan import SetPlan, Slot, matched_statement, slotted
from eksiam.policy.principals import IAM_KINDS, Grant, PrincipalKind
from eksiam.policy.validate import PolicyKind


class Judged(Protocol):
    """A statement as decide() consumes it: whether it is a Deny, and its grant for a request."""

    @property
    def deny(self) -> bool: ...

    def applies(self, context: RequestContext) -> Grant: ...


Candidate = tuple[Slot, int, MatchedStatement, Judged]
Matching = Callable[["PolicySet", RequestContext], Iterable[Candidate]]


@dataclass(frozen=True)
class PolicySet:
    """The policies that bear on one request; build it once per principal and reuse it."""

    identity: Sequence[Policy] = ()
    boundary: Policy | None = None
    session: Sequence[Policy] = ()
    resource: Policy | None = None
    scps: Sequence[Sequence[Policy]] = ()
    rcps: Sequence[Sequence[Policy]] = ()

    def placed(self) -> list[tuple[Slot, int, Policy]]:
        return slotted(self.identity, self.boundary, self.session, self.resource, self.scps, self.rcps)

    @cached_property
    def plan(self) -> SetPlan:
        return SetPlan(self.placed())

    @cached_property
    def resource_alone(self) -> bool:
        """A resource-based policy and nothing else (a role's trust policy, as STS evaluates it for
        a web identity or a service)."""
        return self.resource is not None and not (
            self.identity or self.boundary is not None or self.session or self.scps or self.rcps
        )


def _compiled(policies: PolicySet, context: RequestContext) -> Iterable[Candidate]:
    """The set's statements whose Action matches; decide() asks each whether it applies."""
    return policies.plan.candidates(context.action, context.service)


@dataclass(frozen=True, slots=True)
class _Decided:
    """A statement the reference interpreter has already found to apply."""

    deny: bool
    grant: Grant

    def applies(self, context: RequestContext) -> Grant:
        return self.grant


def _reference(policies: PolicySet, context: RequestContext) -> list[Candidate]:
    return [
        (slot, level, matched_statement(policy, statement), _Decided(statement.effect is Effect.DENY, grant))
        for slot, level, policy in policies.placed()
        for statement, grant in reference.matching(policy.document, context)
    ]


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide a request against a set of parsed policies (compiled, indexed path)."""
    return decide(request, policies, _compiled)


def allowed(request: Request, policies: PolicySet) -> bool:
    """``evaluate(request, policies).allowed``, for a caller that needs only the answer.

    A resource-based policy alone, asked about a caller that is no IAM principal (a web identity
    provider, a service), is answered without the decision's record: no identity side, boundary,
    session policy or SCP takes part, so the request is allowed when an Allow statement applies and
    no Deny does (``decide``'s rules for such a caller). Every other question is decided in full."""
    if policies.resource_alone:
        context = build_context(request)
        if context.principal.kind not in IAM_KINDS:
            allow = False
            candidates = policies.plan.candidates(context.action, context.service)
            for _slot, _level, _matched, statement in candidates:
                if statement.applies(context):
                    if statement.deny:
                        return False
                    allow = True
            return allow
    return decide(request, policies, _compiled).allowed


def evaluate_reference(request: Request, policies: PolicySet) -> Decision:
    """The same decision through the reference interpreter; tests compare the two."""
    return decide(request, policies, _reference)


# Enum members bound once: attribute access on an Enum class costs several times a global lookup.
_IDENTITY, _BOUNDARY, _SESSION, _RESOURCE, _SCP, _RCP = (
    Slot.IDENTITY, Slot.BOUNDARY, Slot.SESSION, Slot.RESOURCE, Slot.SCP, Slot.RCP
)  # fmt: skip
_NONE, _ROLE, _DIRECT = Grant.NONE, Grant.ROLE, Grant.DIRECT
_ALLOW, _EXPLICIT_DENY, _IMPLICIT_DENY = (
    DecisionKind.ALLOW,
    DecisionKind.EXPLICIT_DENY,
    DecisionKind.IMPLICIT_DENY,
)
_ROOT = PrincipalKind.ROOT
_NO_LEVELS: list[bool] = []  # shared, never written: a set without SCPs or RCPs has no level to mark

# Services whose resource-based policy must allow even within the account, as a role trust policy
# must: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to
# a KMS key" (AWS KMS Developer Guide, "Key policies in AWS KMS"). Applies when the key policy is given.
MANDATORY_RESOURCE_POLICY = frozenset({"kms"})


def decide(request: Request, policies: PolicySet, matching: Matching) -> Decision:
    context = build_context(request, policies.boundary is not None)
    kind = context.principal.kind
    iam_caller = kind in IAM_KINDS
    identity_side = iam_caller and kind is not _ROOT
    service_linked = context.principal.service_linked
    scp_applies = iam_caller and not service_linked
    scps, rcps = policies.scps, policies.rcps
    scp_allowed = [False] * len(scps) if scps else _NO_LEVELS  # most sets have neither
    rcp_allowed = [False] * len(rcps) if rcps else _NO_LEVELS
    grant = _NONE
    identity_found = boundary_found = session_found = False
    denies: list[MatchedStatement] = []
    allows: list[MatchedStatement] = []
    for slot, level, matched, statement in matching(policies, context):
        if slot is _SCP:
            if not scp_applies:
                continue
        elif slot <= _SESSION:
            if not identity_side:
                continue
        elif slot is _RCP and service_linked:
            continue
        statement_grant = statement.applies(context)
        if not statement_grant:
            continue
        if statement.deny:
            denies.append(matched)
            continue
        allows.append(matched)
        if slot is _IDENTITY:
            identity_found = True
        elif slot is _SCP:
            scp_allowed[level] = True
        elif slot is _RCP:
            rcp_allowed[level] = True
        elif slot is _RESOURCE:
            if statement_grant > grant:
                grant = statement_grant
        elif slot is _BOUNDARY:
            boundary_found = True
        else:
            session_found = True

    if denies:
        return Decision(_EXPLICIT_DENY, tuple(denies))
    if scp_applies and scps and not all(scp_allowed):
        return _implicit(policies, context, allows, PolicyKind.SCP)
    if rcps and not service_linked and not all(rcp_allowed):
        return _implicit(policies, context, allows, PolicyKind.RCP)
    resource_kind = policies.resource.kind if policies.resource is not None else PolicyKind.RESOURCE
    if not iam_caller:
        return (
            Decision(_ALLOW, tuple(allows)) if grant else _implicit(policies, context, allows, resource_kind)
        )

    identity_ok = not identity_side or identity_found
    boundary_ok = not identity_side or policies.boundary is None or boundary_found
    session_ok = not identity_side or not policies.session or session_found
    if not grant and (resource_kind is PolicyKind.TRUST or context.service in MANDATORY_RESOURCE_POLICY):
        return _implicit(policies, context, allows, resource_kind)
    if context.same_account:
        if (
            grant is _DIRECT
            or (grant is _ROLE and boundary_ok and session_ok)
            or (identity_ok and boundary_ok and session_ok)
        ):
            return Decision(_ALLOW, tuple(allows))
        identity_missing = not identity_ok and grant is not _ROLE
        return _implicit(policies, context, allows, *_FAILED[identity_missing, boundary_ok, session_ok])
    if grant and identity_ok and boundary_ok and session_ok:
        return Decision(_ALLOW, tuple(allows))
    resource_missing = (resource_kind,) if not grant else ()
    failed = _FAILED[not identity_ok, boundary_ok, session_ok]
    return _implicit(policies, context, allows, *resource_missing, *failed)


def _implicit(
    policies: PolicySet, context: RequestContext, allows: list[MatchedStatement], *missing: PolicyKind
) -> Decision:
    values = context.values
    keys = policies.plan.condition_keys(context.action, context.service)
    absent = tuple(key for key, lowered in keys if lowered not in values)
    return Decision(_IMPLICIT_DENY, tuple(allows), missing, absent)


def _failure(identity_missing: bool, boundary_ok: bool, session_ok: bool) -> tuple[PolicyKind, ...]:
    failed: tuple[PolicyKind, ...] = (PolicyKind.IDENTITY,) if identity_missing else ()
    failed += () if boundary_ok else (PolicyKind.BOUNDARY,)
    return failed + (() if session_ok else (PolicyKind.SESSION,))


# The identity side's failures for each combination, computed once.
_FAILED = {
    (identity, boundary, session): _failure(identity, boundary, session)
    for identity in (False, True)
    for boundary in (False, True)
    for session in (False, True)
}
