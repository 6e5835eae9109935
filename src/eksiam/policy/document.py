"""Policy JSON -> an immutable AST.

The builder checks only what the JSON shape itself must satisfy (IAM JSON policy grammar, IAM User
Guide "Grammar of the IAM JSON policy language"): element names, value types, string-or-list forms,
the pairs that exclude each other (Action/NotAction, Resource/NotResource, Principal/NotPrincipal).
A violation is reported with IAM's message for it (grammar.py) and the JSON path of the element;
what depends on the policy's kind (a Principal in an identity policy, a Resource in a trust policy)
is validate.py's business.

Invariants of the AST: every list element is a tuple of strings; condition values are strings
(JSON numbers and booleans become the text a request would carry, ``true``/``10``); operator names
and keys keep the case they were written in (keys are matched case-insensitively later).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from eksiam.policy import grammar
from eksiam.policy.errors import MalformedPolicyDocument


class Effect(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class PrincipalBlock:
    """A Principal or NotPrincipal element: ``"*"`` or ``{type: [values]}``."""

    wildcard: bool
    entries: tuple[tuple[str, str], ...]  # (AWS|Service|Federated|CanonicalUser, value)


@dataclass(frozen=True, slots=True)
class ConditionClause:
    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: PrincipalBlock | None
    not_principal: PrincipalBlock | None
    conditions: tuple[ConditionClause, ...]


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    statement_listed: bool = True  # Statement was a JSON list (paths say Statement[i]) or one object

    def statement_path(self, statement: Statement) -> str:
        return f"$.Statement[{statement.index}]" if self.statement_listed else "$.Statement"

    @property
    def substitutes_variables(self) -> bool:
        """Only ``2012-10-17`` policies substitute ``${...}`` (IAM User Guide, "Version")."""
        return self.version == grammar.VERSION_CURRENT


def load_json(document: str | bytes | Mapping[str, Any]) -> Any:
    """Decode policy text; anything that is not JSON is IAM's syntax error."""
    if isinstance(document, Mapping):
        return document
    try:
        text = document.decode("utf-8") if isinstance(document, bytes) else document
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR) from error


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def build(raw: Any) -> PolicyDocument:
    """Build the AST from decoded JSON, raising MalformedPolicyDocument with a JSON path."""
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, "$")
    for name in raw:
        if name not in grammar.TOP_LEVEL_ELEMENTS:
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"$.{name}")
    version = raw.get("Version")
    if version is not None and not isinstance(version, str):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, "$.Version")
    policy_id = raw.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, "$.Id")
    if "Statement" not in raw:
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, "$.Statement")
    body = raw["Statement"]
    listed = body if isinstance(body, list) else [body]
    statements = tuple(
        _statement(item, index, f"$.Statement[{index}]" if isinstance(body, list) else "$.Statement")
        for index, item in enumerate(listed)
    )
    return PolicyDocument(version, policy_id, statements, isinstance(body, list))


def _statement(raw: Any, index: int, path: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, path)
    for name in raw:
        if name not in grammar.STATEMENT_ELEMENTS:
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.{name}")
    for first, second in grammar.EXCLUSIVE_PAIRS:
        if first in raw and second in raw:
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.{second}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.Sid")
    if "Effect" not in raw:
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.Effect")
    effect_text = raw["Effect"]
    if effect_text not in (Effect.ALLOW.value, Effect.DENY.value):
        raise MalformedPolicyDocument(grammar.LEGACY_PARSING, f"{path}.Effect")
    return Statement(
        index=index,
        sid=sid,
        effect=Effect(effect_text),
        actions=_strings(raw, "Action", path),
        not_actions=_strings(raw, "NotAction", path),
        resources=_strings(raw, "Resource", path),
        not_resources=_strings(raw, "NotResource", path),
        principal=_principal(raw, "Principal", path),
        not_principal=_principal(raw, "NotPrincipal", path),
        conditions=_conditions(raw.get("Condition"), f"{path}.Condition"),
    )


def _strings(raw: Mapping[str, Any], name: str, path: str) -> tuple[str, ...] | None:
    if name not in raw:
        return None
    value = raw[name]
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.{name}")


def _principal(raw: Mapping[str, Any], name: str, path: str) -> PrincipalBlock | None:
    if name not in raw:
        return None
    value = raw[name]
    where = f"{path}.{name}"
    if value == "*":
        return PrincipalBlock(True, ())
    if not isinstance(value, Mapping) or not value:
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, where)
    entries: list[tuple[str, str]] = []
    for kind, names in value.items():
        if kind not in grammar.PRINCIPAL_TYPES:
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{where}.{kind}")
        listed = [names] if isinstance(names, str) else names
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{where}.{kind}")
        entries.extend((kind, item) for item in listed)
    wildcard = any(kind == "AWS" and item == "*" for kind, item in entries)
    return PrincipalBlock(wildcard, tuple(entries))


def _conditions(raw: Any, path: str) -> tuple[ConditionClause, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, path)
    clauses: list[ConditionClause] = []
    for operator, block in raw.items():
        if not isinstance(block, Mapping):
            raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, f"{path}.{operator}")
        for key, values in block.items():
            listed = values if isinstance(values, list) else [values]
            texts = tuple(_condition_value(item, f"{path}.{operator}.{key}") for item in listed)
            clauses.append(ConditionClause(operator, key, texts))
    return tuple(clauses)


def _condition_value(value: Any, path: str) -> str:
    """Condition values are strings; IAM also accepts JSON numbers and booleans and reads them as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise MalformedPolicyDocument(grammar.SYNTAX_ERROR, path)
