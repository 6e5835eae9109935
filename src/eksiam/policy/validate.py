"""Checks per policy kind: IAM's MalformedPolicyDocument errors and catalogue warnings.

Which rule applies to which kind (IAM User Guide, "IAM JSON policy element reference", "Permissions
boundaries", "Session policies", AWS Organizations "SCP syntax" and "RCP syntax"):

* identity, boundary, session, scp: no Principal/NotPrincipal; Action/NotAction and
  Resource/NotResource required.
* resource, rcp: Principal/NotPrincipal required; Action and Resource required.
* trust: Principal/NotPrincipal required; Resource/NotResource prohibited; Action required.
* IAM-stored kinds (identity, boundary, session, trust) require alphanumeric Sids and only the
  characters tab, LF, CR and U+0020-U+00FF.
* A wildcard inside an AWS principal ARN is refused in every kind.

Errors come first in the order IAM reports them (syntax, version, Sid, actions, resources,
principal, formats); ``parse_policy`` raises the first. Unknown actions, services and condition keys
are WARNING findings only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from eksiam.policy import catalog, grammar
from eksiam.policy.document import PolicyDocument, Statement, build, load_json
from eksiam.policy.errors import MalformedPolicyDocument
from eksiam.policy.operators import lookup_operator
from eksiam.policy.wildcards import action_matcher, has_wildcard


class PolicyKind(str, Enum):
    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"


PRINCIPAL_REQUIRED = frozenset({PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP})
SID_ALPHANUMERIC = frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.TRUST})


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "ERROR" | "WARNING"
    message: str
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "message": self.message, "path": self.path}


def _path(document: PolicyDocument, statement: Statement, element: str) -> str:
    return f"{document.statement_path(statement)}.{element}"


def _texts(document: PolicyDocument) -> Iterator[str]:
    yield from (text for text in (document.version, document.id) if text is not None)
    for statement in document.statements:
        yield from (statement.sid or "", *(statement.actions or ()), *(statement.not_actions or ()))
        yield from (*(statement.resources or ()), *(statement.not_resources or ()))
        for block in (statement.principal, statement.not_principal):
            yield from (value for _, value in (block.entries if block is not None else ()))
        for clause in statement.conditions:
            yield from (clause.operator, clause.key, *clause.values)


def _errors(document: PolicyDocument, kind: PolicyKind) -> Iterator[Finding]:
    if kind in SID_ALPHANUMERIC and any(grammar.characters_problem(text) for text in _texts(document)):
        yield Finding("ERROR", grammar.SYNTAX_ERROR, "$")
    version = grammar.version_problem(document.version)
    if version:
        yield Finding("ERROR", version, "$.Version")
    seen: set[str] = set()
    for statement in document.statements:
        if statement.sid is not None and statement.sid != "":
            if statement.sid in seen:
                yield Finding("ERROR", grammar.DUPLICATE_SID, _path(document, statement, "Sid"))
            seen.add(statement.sid)
            if kind in SID_ALPHANUMERIC and grammar.sid_problem(statement.sid):
                yield Finding("ERROR", grammar.SID_NOT_ALPHANUMERIC, _path(document, statement, "Sid"))
    for statement in document.statements:
        yield from _statement_errors(document, statement, kind)


def _statement_errors(document: PolicyDocument, statement: Statement, kind: PolicyKind) -> Iterator[Finding]:
    actions = statement.actions if statement.actions is not None else statement.not_actions
    if not actions:
        yield Finding("ERROR", grammar.NO_ACTIONS, _path(document, statement, "Action"))
    resources = statement.resources if statement.resources is not None else statement.not_resources
    if kind is PolicyKind.TRUST:
        if resources is not None:
            yield Finding("ERROR", grammar.RESOURCE_PROHIBITED, _path(document, statement, "Resource"))
    elif not resources:
        yield Finding("ERROR", grammar.NO_RESOURCES, _path(document, statement, "Resource"))
    has_principal = statement.principal is not None or statement.not_principal is not None
    for block in (statement.principal, statement.not_principal):
        for principal_type, value in block.entries if block is not None else ():
            problem = grammar.principal_problem(principal_type, value)
            if problem:
                yield Finding("ERROR", problem, _path(document, statement, "Principal"))
    if kind in PRINCIPAL_REQUIRED and not has_principal:
        yield Finding("ERROR", grammar.NO_PRINCIPAL, _path(document, statement, "Principal"))
    if kind not in PRINCIPAL_REQUIRED and has_principal:
        yield Finding("ERROR", grammar.PRINCIPAL_NOT_ALLOWED, _path(document, statement, "Principal"))
    for action in actions or ():
        problem = grammar.action_problem(action)
        if problem:
            yield Finding("ERROR", problem, _path(document, statement, "Action"))
    for resource in resources or ():
        problem = grammar.resource_problem(resource)
        if problem:
            yield Finding("ERROR", problem, _path(document, statement, "Resource"))
    for clause in statement.conditions:
        key_problem = grammar.condition_key_problem(clause.key)
        if key_problem:
            yield Finding("ERROR", key_problem, _path(document, statement, f"Condition.{clause.operator}"))
        if lookup_operator(clause.operator) is None:
            yield Finding(
                "ERROR", grammar.SYNTAX_ERROR, _path(document, statement, f"Condition.{clause.operator}")
            )


def _warnings(document: PolicyDocument) -> Iterator[Finding]:
    for statement in document.statements:
        for action in statement.actions or statement.not_actions or ():
            message = _action_warning(action)
            if message:
                yield Finding("WARNING", message, _path(document, statement, "Action"))
        for clause in statement.conditions:
            if catalog.condition_key_known(clause.key) is False:
                yield Finding(
                    "WARNING",
                    f"Unknown condition key {clause.key}.",
                    _path(document, statement, f"Condition.{clause.operator}.{clause.key}"),
                )


def _action_warning(action: str) -> str | None:
    vendor, colon, name = action.partition(":")
    if not colon or has_wildcard(vendor) or grammar.action_problem(action):
        return None
    if not catalog.service_known(vendor):
        return f"Unknown service prefix {vendor} in action {action}."
    if has_wildcard(name):
        matcher = action_matcher(action)
        if not any(matcher(f"{vendor}:{known}") for known in catalog.service_actions(vendor)):
            return f"Action pattern {action} matches no known {vendor} action."
        return None
    if not catalog.action_known(vendor, name):
        return f"Unknown action {action}."
    return None


def check_document(document: PolicyDocument, kind: PolicyKind) -> list[Finding]:
    """Errors only: what IAM would refuse the document for."""
    return list(_errors(document, kind))


def validate_policy(
    document: str | bytes | Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY
) -> list[Finding]:
    """Every finding for a document: errors (IAM's messages) then warnings."""
    try:
        parsed = build(load_json(document))
    except MalformedPolicyDocument as error:
        return [Finding("ERROR", error.message, error.path)]
    errors = check_document(parsed, PolicyKind(kind))
    return [*errors, *_warnings(parsed)]
