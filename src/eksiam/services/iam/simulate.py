"""SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the policy engine (IAM API
reference for both; IAM User Guide, "Testing IAM policies with the IAM policy simulator").

Rules:

1. The simulated request's context is exactly the ``ContextEntries`` given (the simulator does not
   invent aws:CurrentTime or aws:SourceIp); keys that conditions needed but did not get are listed
   in ``MissingContextValues``. Scalar ``ContextKeyType``s take the first value, ``...List`` types
   the whole list.
2. SimulatePrincipalPolicy uses the entity's policies as authorization would (principal_policies.py:
   a user's include its groups'), plus ``PolicyInputList``; ``PermissionsBoundaryPolicyInputList``
   replaces the entity's own boundary. SimulateCustomPolicy uses only the input lists, and
   evaluates as ``CallerArn`` or else as a plain user of the account (``SimulatedCaller``): the API
   caller's own identity plays no part, and a root principal would bypass the policies.
3. One ``EvaluationResult`` per action and resource (``ResourceArns`` defaults to ``*``), in request
   order, with the same result under ``ResourceSpecificResults``; pages of ``MaxItems`` (default
   100) with an opaque ``Marker``, as every IAM list does.
4. ``MatchedStatements`` name the policy as real responses do: ``SourcePolicyId`` is the policy name
   (``AdministratorAccess``) or the input's position (``PolicyInputList.1``), ``SourcePolicyType``
   is ``IAM Policy`` (``Resource Policy`` for the resource policy). Positions are 1-based line and
   column of the statement's opening brace and of the character after its closing brace.
5. GetContextKeysFor{Principal,Custom}Policy list the condition keys the same policies use, each
   once (keys are case-insensitive), so a caller knows which ContextEntries a simulation needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksiam.arn import Arn, InvalidArn
from eksiam.policy import (
    Decision,
    DecisionKind,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
    parse_policy,
)
from eksiam.policy import MalformedPolicyDocument as EngineMalformed
from eksiam.services.context import CallContext
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.errors import InvalidInput, MalformedPolicyDocument, NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import paginate_list
from eksiam.services.principal_policies import (
    PolicySource,
    PrincipalPolicies,
    group_policies,
    role_policies,
    user_policies,
)
from eksiam.storage.interface import UnitOfWork

_DECISIONS = {
    DecisionKind.ALLOW: "allowed",
    DecisionKind.EXPLICIT_DENY: "explicitDeny",
    DecisionKind.IMPLICIT_DENY: "implicitDeny",
}
SIMULATED_CALLER = "SimulatedCaller"
_GATHER: dict[str, Callable[[UnitOfWork, str, str], PrincipalPolicies]] = {
    r.USER: user_policies,
    r.GROUP: group_policies,
    r.ROLE: role_policies,
}


@dataclass(frozen=True, slots=True)
class _Simulation:
    policies: PolicySet
    sources: Mapping[str, tuple[PolicySource, str]]  # policy_id -> (source, SourcePolicyType)
    has_boundary: bool


def statement_spans(document: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) line/column of each statement object in ``document``'s ``Statement`` (rule 4)."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    depth, in_string, escaped, key, last_string = 0, False, False, "", ""
    start: tuple[int, int] | None = None
    statement_depth = -1
    line, col = 1, 0
    for ch in document:
        if ch == "\n":
            line, col = line + 1, 0
            continue
        col += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            else:
                key += ch
            continue
        if ch == '"':
            in_string, key = True, ""
        elif ch == ":":
            last_string = key
        elif ch in "{[":
            depth += 1
            if depth == 2 and last_string == "Statement" and statement_depth < 0:
                statement_depth = depth if ch == "[" else depth - 1
            if ch == "{" and statement_depth >= 0 and depth == statement_depth + 1:
                start = (line, col)
        elif ch in "}]":
            if ch == "}" and start is not None and depth == statement_depth + 1:
                spans.append((start, (line, col + 1)))
                start = None
            depth -= 1
            if depth < statement_depth:
                statement_depth = -2
        elif ch == ",":
            last_string = ""
    return spans


def context_keys(documents: Sequence[str]) -> list[str]:
    """Condition keys the documents use, first spelling kept, each once (case-insensitive)."""
    seen: dict[str, str] = {}
    for text in documents:
        _compile(text, PolicyKind.IDENTITY, "context-keys")
        statements = json.loads(text).get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            for block in (statement.get("Condition") or {}).values():
                for key in block:
                    seen.setdefault(key.lower(), key)
    return list(seen.values())


def _position(at: tuple[int, int]) -> dict[str, int]:
    return {"Line": at[0], "Column": at[1]}


def _context(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for entry in entries or ():
        values = [
            str(v).lower() if isinstance(v, bool) else str(v) for v in entry.get("ContextKeyValues") or ()
        ]
        kind = str(entry.get("ContextKeyType") or "string")
        name = str(entry["ContextKeyName"])
        if kind.endswith("List"):
            out[name] = values
        elif values:
            out[name] = values[0]
    return out


def _compile(document: str, kind: PolicyKind, policy_id: str) -> Policy:
    try:
        return parse_policy(document, kind, policy_id=policy_id)
    except EngineMalformed as exc:
        raise MalformedPolicyDocument(exc.message) from None


class Simulation(IamBase):
    @validated
    def simulate_principal_policy(
        self,
        ctx: CallContext,
        *,
        policy_source_arn: str,
        action_names: list[str],
        policy_input_list: list[str] | None = None,
        permissions_boundary_policy_input_list: list[str] | None = None,
        resource_arns: list[str] | None = None,
        resource_policy: str | None = None,
        resource_owner: str | None = None,
        caller_arn: str | None = None,
        context_entries: list[dict[str, Any]] | None = None,
        resource_handling_option: str | None = None,
        max_items: int | None = None,
        marker: str | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "SimulatePrincipalPolicy", policy_source_arn)
        kind, name = _entity_of(policy_source_arn, ctx.account)
        found = self._read(lambda uow: _gather(uow, ctx.account, kind, name))
        if not found.exists:
            raise NoSuchEntity.entity(kind, name)
        return _answer(
            found.identity,
            policy_input_list or (),
            permissions_boundary_policy_input_list,
            found.boundary,
            resource_policy,
            caller_arn or policy_source_arn,
            (action_names, resource_arns, resource_owner, context_entries, max_items, marker),
        )

    @validated
    def simulate_custom_policy(
        self,
        ctx: CallContext,
        *,
        policy_input_list: list[str],
        action_names: list[str],
        permissions_boundary_policy_input_list: list[str] | None = None,
        resource_arns: list[str] | None = None,
        resource_policy: str | None = None,
        resource_owner: str | None = None,
        caller_arn: str | None = None,
        context_entries: list[dict[str, Any]] | None = None,
        resource_handling_option: str | None = None,
        max_items: int | None = None,
        marker: str | None = None,
    ) -> dict[str, Any]:
        self._require(ctx, "SimulateCustomPolicy", "*")
        # Not the API caller (root would short-circuit): a plain user of the account stands in.
        return _answer(
            (),
            policy_input_list,
            permissions_boundary_policy_input_list,
            None,
            resource_policy,
            caller_arn or self._arn(ctx, "user", SIMULATED_CALLER),
            (action_names, resource_arns, resource_owner, context_entries, max_items, marker),
        )

    @validated
    def get_context_keys_for_principal_policy(
        self, ctx: CallContext, *, policy_source_arn: str, policy_input_list: list[str] | None = None
    ) -> dict[str, Any]:
        """Condition keys of the entity's policies (a user's include its groups') and the inputs."""
        self._require(ctx, "GetContextKeysForPrincipalPolicy", policy_source_arn)
        kind, name = _entity_of(policy_source_arn, ctx.account)
        found = self._read(lambda uow: _gather(uow, ctx.account, kind, name))
        if not found.exists:
            raise NoSuchEntity.entity(kind, name)
        documents = [s.document for s in found.identity] + list(policy_input_list or ())
        return {"ContextKeyNames": context_keys(documents)}

    @validated
    def get_context_keys_for_custom_policy(
        self, ctx: CallContext, *, policy_input_list: list[str]
    ) -> dict[str, Any]:
        self._require(ctx, "GetContextKeysForCustomPolicy", "*")
        return {"ContextKeyNames": context_keys(policy_input_list)}


_Query = tuple[
    Sequence[str],
    Sequence[str] | None,
    str | None,
    Sequence[Mapping[str, Any]] | None,
    int | None,
    str | None,
]


def _answer(
    base: Sequence[PolicySource],
    inputs: Sequence[str],
    boundary_inputs: Sequence[str] | None,
    boundary: PolicySource | None,
    resource_policy: str | None,
    principal: str,
    query: _Query,
) -> dict[str, Any]:
    """The response for the entity's policies ``base`` plus the request's input lists (rule 2)."""
    sources = [(s, "IAM Policy") for s in base]
    sources += [
        (PolicySource(f"PolicyInputList.{i}", f"PolicyInputList.{i}", "input", doc), "IAM Policy")
        for i, doc in enumerate(inputs, start=1)
    ]
    simulation = _simulation(sources, _input_boundary(boundary_inputs) or boundary, resource_policy)
    actions, resources, owner, entries, max_items, marker = query
    return _results(
        simulation,
        principal=principal,
        actions=actions,
        resources=resources,
        owner=owner,
        context=_context(entries),
        max_items=max_items,
        marker=marker,
    )


def _entity_of(arn: str, account: str) -> tuple[str, str]:
    try:
        parsed = Arn.parse(arn)
    except InvalidArn:
        raise InvalidInput(f"Invalid ARN: {arn}") from None
    kind = parsed.resource_type
    if parsed.service != "iam" or kind not in _GATHER or not parsed.resource_id:
        raise InvalidInput(f"Invalid ARN: {arn}")
    if parsed.account != account:
        raise NoSuchEntity.entity(kind, parsed.resource_id.rsplit("/", 1)[-1])
    return kind, parsed.resource_id.rsplit("/", 1)[-1]


def _gather(uow: UnitOfWork, account: str, kind: str, name: str) -> PrincipalPolicies:
    return _GATHER[kind](uow, account, name)


def _input_boundary(documents: Sequence[str] | None) -> PolicySource | None:
    if not documents:
        return None
    return PolicySource(
        "PermissionsBoundaryPolicyInputList.1", "PermissionsBoundaryPolicyInputList.1", "input", documents[0]
    )


def _simulation(
    sources: Sequence[tuple[PolicySource, str]], boundary: PolicySource | None, resource_policy: str | None
) -> _Simulation:
    by_id = {s.policy_id: (s, kind) for s, kind in sources}
    identity = tuple(_compile(s.document, PolicyKind.IDENTITY, s.policy_id) for s, _ in sources)
    compiled_boundary = None
    if boundary is not None:
        by_id[boundary.policy_id] = (boundary, "IAM Policy")
        compiled_boundary = _compile(boundary.document, PolicyKind.BOUNDARY, boundary.policy_id)
    resource = None
    if resource_policy is not None:
        by_id["ResourcePolicy"] = (
            PolicySource("ResourcePolicy", "ResourcePolicy", "resource", resource_policy),
            "Resource Policy",
        )
        resource = _compile(resource_policy, PolicyKind.RESOURCE, "ResourcePolicy")
    return _Simulation(
        PolicySet(identity=identity, boundary=compiled_boundary, resource=resource),
        by_id,
        boundary is not None,
    )


def _matched(simulation: _Simulation, decision: Decision) -> list[dict[str, Any]]:
    out = []
    for m in decision.matched:
        found = simulation.sources.get(m.policy_id)
        if found is None:
            continue
        source, source_type = found
        item: dict[str, Any] = {"SourcePolicyId": source.name, "SourcePolicyType": source_type}
        spans = statement_spans(source.document)
        if 0 <= m.index < len(spans):
            item["StartPosition"], item["EndPosition"] = (_position(p) for p in spans[m.index])
        out.append(item)
    return out


def _evaluate(
    simulation: _Simulation,
    principal: str,
    action: str,
    resource: str,
    owner: str | None,
    context: Mapping[str, str | list[str]],
) -> dict[str, Any]:
    request = Request(
        principal=principal, action=action, resource=resource, resource_account=owner, context=context
    )
    decision = evaluate(request, simulation.policies)
    result: dict[str, Any] = {
        "EvalResourceName": resource,
        "EvalResourceDecision": _DECISIONS[DecisionKind(decision.kind)],
        "MatchedStatements": _matched(simulation, decision),
        "MissingContextValues": list(decision.missing_context_keys),
    }
    if simulation.has_boundary:
        allowed = PolicyKind.BOUNDARY not in decision.missing and not any(
            m.policy_kind == PolicyKind.BOUNDARY and str(getattr(m.effect, "value", m.effect)) == "Deny"
            for m in decision.matched
        )
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
    return result


def _results(
    simulation: _Simulation,
    *,
    principal: str,
    actions: Sequence[str],
    resources: Sequence[str] | None,
    owner: str | None,
    context: Mapping[str, str | list[str]],
    max_items: int | None,
    marker: str | None,
) -> dict[str, Any]:
    pairs = [(a, res) for a in actions for res in (resources or ["*"])]
    page, truncated, next_marker = paginate_list(pairs, marker, max_items)
    results = []
    for action, resource in page:
        one = _evaluate(simulation, principal, action, resource, owner, context)
        entry: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": one["EvalResourceDecision"],
            "MatchedStatements": one["MatchedStatements"],
            "MissingContextValues": one["MissingContextValues"],
            "ResourceSpecificResults": [one],
        }
        if "PermissionsBoundaryDecisionDetail" in one:
            entry["PermissionsBoundaryDecisionDetail"] = one["PermissionsBoundaryDecisionDetail"]
        results.append(entry)
    out: dict[str, Any] = {"EvaluationResults": results, "IsTruncated": truncated}
    if next_marker is not None:
        out["Marker"] = next_marker
    return out
