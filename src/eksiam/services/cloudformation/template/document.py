"""Template text -> a plain dict, with CloudFormation's "Template format error" messages.

Decoding is cfn-lint's (``cfnlint.decode.decode_str``): it reads JSON and YAML alike and turns the
YAML short forms (``!Ref``, ``!Sub``, ``!GetAtt A.B`` ...) into their long forms, as CloudFormation
does before anything else ("Intrinsic function reference", short form syntax). Its node classes are
dict/str subclasses carrying line marks; they are copied into plain values here so stored templates
and resolved properties are ordinary JSON.

Rules:

1. A template is a mapping with a non-empty ``Resources`` mapping whose entries each have a
   ``Type`` (AWS: "Template format error: At least one Resources member must be defined." and
   "Every Resources object must contain a Type member.").
2. Only the documented top-level sections are allowed ("Template anatomy").
3. YAML timestamps (``AWSTemplateFormatVersion: 2010-09-09`` unquoted) read back as the text given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from eksiam.services.cloudformation.template.errors import TemplateError

SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
    }
)
MAX_BODY_BYTES = 51_200
"""TemplateBody limit (CloudFormation quotas: "Template body size in a request: 51,200 bytes")."""


def plain(value: Any) -> Any:
    """cfn-lint nodes (and YAML dates) -> plain JSON-compatible values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def decode(body: str) -> dict[str, Any]:
    """The template as a plain dict, or TemplateError with CloudFormation's wording."""
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise TemplateError(
            f"1 validation error detected: Value '{body[:20]}...' at 'templateBody' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_BODY_BYTES}"
        )
    from cfnlint.decode import decode_str  # a 2-4 s import: paid on first template, not at start

    stripped = body.lstrip()
    kind = "JSON" if stripped.startswith("{") else "YAML"
    decoded, matches = decode_str(body)
    if matches or decoded is None:
        first = matches[0] if matches else None
        where = f" (line {first.linenumber}, column {first.columnnumber})" if first else ""
        raise TemplateError(f"Template format error: {kind} not well-formed.{where}")
    template = plain(decoded)
    if not isinstance(template, dict):
        raise TemplateError("Template format error: unsupported structure.")
    check_structure(template)
    return template


def check_structure(template: Mapping[str, Any]) -> None:
    unknown = sorted(k for k in template if k not in SECTIONS)
    if unknown:
        raise TemplateError(f"Template format error: Unrecognized template section(s): {unknown}")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError("Template format error: Every Resources object must contain a Type member.")
        if not logical_id.isalnum():
            raise TemplateError(f"Template format error: Resource name {logical_id} is non alphanumeric.")
        _check_attributes(logical_id, resource)
    for section in ("Parameters", "Outputs", "Conditions", "Mappings"):
        if section in template and not isinstance(template[section], dict):
            raise TemplateError(f"Template format error: {section} must be a JSON object.")
    for name, output in (template.get("Outputs") or {}).items():
        if not isinstance(output, dict) or "Value" not in output:
            raise TemplateError(
                f"Template format error: Every Outputs member must contain a Value object, "
                f"the Outputs member {name} is missing a Value"
            )


def _check_attributes(logical_id: str, resource: Mapping[str, Any]) -> None:
    """Resource attributes have fixed shapes ("Resource attribute reference")."""
    where = f"Template format error: [/Resources/{logical_id}"
    if not isinstance(resource.get("Properties", {}), dict):
        raise TemplateError(f"{where}/Properties] must be a JSON object.")
    depends = resource.get("DependsOn", [])
    if not isinstance(depends, str) and not (
        isinstance(depends, list) and all(isinstance(d, str) for d in depends)
    ):
        raise TemplateError(f"{where}/DependsOn] must be a string or a list of strings.")
    for attribute in ("Condition", "DeletionPolicy", "UpdateReplacePolicy"):
        if attribute in resource and not isinstance(resource[attribute], str):
            raise TemplateError(f"{where}/{attribute}] must be a string.")
