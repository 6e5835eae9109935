"""cfn-lint's findings, sorted into the two places CloudFormation reports such problems.

1. Template errors (cfn-lint E0 template, E1 functions, E2 parameters, E3001 resource entries,
   E3006 resource types, E6 outputs) are what ValidateTemplate refuses ("Template format error").
2. Property schema errors (E3002 unknown property, E3003 missing required property, E3012 wrong
   type) are found by CloudFormation only when it provisions the resource: the resource fails with
   "Properties validation failed for resource <id> with message: #: required key [X] not found"
   (the JSON-schema wording of the resource provider framework), and the stack rolls back.

Linting costs about 0.7 s per new template (1.5 s for the first, which imports cfn-lint), so
results are cached by (body, region); a cached CreateStack of the connector template takes ~15 ms.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_TEMPLATE_RULES = re.compile(r"^E(0\d{3}|1\d{3}|2\d{3}|3001|3006|6\d{3})$")
_PROPERTY_RULES = frozenset({"E3002", "E3003", "E3012"})
_JSON_TYPES = {
    "integer": "Integer",
    "number": "Number",
    "string": "String",
    "boolean": "Boolean",
    "object": "JSONObject",
    "array": "JSONArray",
}
_QUOTED = re.compile(r"'([^']*)'")
_LINT_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    message: str
    path: tuple[str | int, ...]


@lru_cache(maxsize=128)
def findings(body: str, region: str) -> tuple[Finding, ...]:
    from cfnlint.api import ManualArgs, lint  # imported on first use: a multi-second import

    with _LINT_LOCK:  # cfn-lint keeps module-level registries; one template at a time
        matches = lint(body, config=ManualArgs(regions=[region]))
    return tuple(
        Finding(m.rule.id, m.message, tuple(getattr(m, "path", None) or ()))
        for m in matches
        if m.rule.id.startswith("E")
    )


def template_errors(body: str, region: str) -> list[str]:
    return [f.message for f in findings(body, region) if _TEMPLATE_RULES.match(f.rule)]


def property_errors(body: str, region: str, template: Mapping[str, Any]) -> dict[str, str]:
    """logical id -> CloudFormation's "Properties validation failed" reason for that resource."""
    problems: dict[str, list[str]] = {}
    for finding in findings(body, region):
        path = finding.path
        if (
            finding.rule not in _PROPERTY_RULES
            or len(path) < 3
            or path[0] != "Resources"
            or path[2] != "Properties"
        ):
            continue
        logical_id = str(path[1])
        pointer = "#" + "".join(f"/{p}" for p in path[3:])
        problems.setdefault(logical_id, []).append(_wording(finding, pointer, template))
    return {logical_id: _reason(logical_id, items) for logical_id, items in problems.items()}


def _reason(logical_id: str, items: list[str]) -> str:
    """One problem follows ``message: `` on the same line; several are one per line after it
    (the resource provider framework's schema validation output)."""
    head = f"Properties validation failed for resource {logical_id} with message:"
    return f"{head} {items[0]}" if len(items) == 1 else head + "".join(f"\n{item}" for item in items)


def _wording(finding: Finding, pointer: str, template: Mapping[str, Any]) -> str:
    quoted = _QUOTED.findall(finding.message)
    if finding.rule == "E3003" and quoted:
        return f"{pointer}: required key [{quoted[0]}] not found"
    if finding.rule == "E3002" and quoted:
        parent = pointer.rsplit("/", 1)[0] if "/" in pointer else pointer
        return f"{parent}: extraneous key [{quoted[-1]}] is not permitted"
    if finding.rule == "E3012" and quoted:
        expected = _JSON_TYPES.get(quoted[-1], quoted[-1])
        return f"{pointer}: expected type: {expected}, found: {_found(template, finding.path)}"
    return f"{pointer}: {finding.message}"


def _found(template: Mapping[str, Any], path: tuple[str | int, ...]) -> str:
    node: Any = template
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return "Unknown"
    for kind, name in (
        (bool, "Boolean"),
        (int, "Integer"),
        (float, "Number"),
        (str, "String"),
        (dict, "JSONObject"),
        (list, "JSONArray"),
    ):
        if isinstance(node, kind):
            return name
    return "Unknown"
