"""Parameter values: given, previous or default, checked against the declared constraints
("Parameters syntax": Type, Default, AllowedValues, AllowedPattern, MinLength, MaxLength, MinValue,
MaxValue, ConstraintDescription, NoEcho).

Messages are CloudFormation's: a parameter without value and default -> "Parameters: [A, B] must
have values"; a parameter the template does not declare -> "Parameters: [X] do not exist in the
template"; a failed constraint -> "Parameter 'X' must ...", or "Parameter 'X' failed to satisfy
constraint: <ConstraintDescription>" when the template gives one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksiam.services.cloudformation.template.errors import TemplateError

_LIST_TYPES = ("CommaDelimitedList", "List<")
_PLAIN_TYPES = ("String", "Number", "CommaDelimitedList", "List<Number>")
_AWS_TYPE = re.compile(r"^(List<)?AWS::EC2::[A-Za-z]+::[A-Za-z]+(>)?$")


@dataclass(frozen=True, slots=True)
class ParameterValue:
    key: str
    text: str
    value: str | list[str]
    no_echo: bool


def declared_types_ok(section: Mapping[str, Any]) -> None:
    for name, spec in section.items():
        kind = spec.get("Type") if isinstance(spec, dict) else None
        if not isinstance(kind, str):
            raise TemplateError(
                "Template format error: Every Parameters object must contain a Type member."
                if not isinstance(spec, dict) or "Type" not in spec
                else f"Template format error: Unrecognized parameter type: {kind}"
            )
        if kind not in _PLAIN_TYPES and not _AWS_TYPE.match(kind):
            raise TemplateError(f"Template format error: Unrecognized parameter type: {kind}")
        if not name.isalnum():
            raise TemplateError(f"Template format error: Parameter name {name} is non alphanumeric.")


def resolve_parameters(
    section: Mapping[str, Any],
    given: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    use_previous: frozenset[str] = frozenset(),
) -> dict[str, ParameterValue]:
    """Every declared parameter's value; raises TemplateError as CloudFormation does."""
    declared_types_ok(section)
    unknown = [k for k in given if k not in section]
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing, out = [], {}
    for name, spec in section.items():
        if name in use_previous and previous is not None and name in previous:
            text: Any = previous[name]
        elif name in given:
            text = given[name]
        elif "Default" in spec:
            text = spec["Default"]
        else:
            missing.append(name)
            continue
        text = _as_text(text)
        check(name, spec, text)
        kind = spec["Type"]
        value: str | list[str] = (
            [v.strip() for v in text.split(",")] if kind.startswith(_LIST_TYPES) and text else text
        )
        if kind.startswith(_LIST_TYPES) and not text:
            value = []
        out[name] = ParameterValue(name, text, value, _truthy(spec.get("NoEcho")))
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def check(name: str, spec: Mapping[str, Any], text: str) -> None:
    """The first failed constraint of ``spec`` for ``text`` as CloudFormation words it."""
    try:
        problem = _problem(spec, text)
    except (ValueError, TypeError, re.error):
        raise TemplateError(f"Template format error: Invalid constraints on parameter '{name}'") from None
    if problem is None:
        return
    description = spec.get("ConstraintDescription")
    if description:
        raise TemplateError(f"Parameter '{name}' failed to satisfy constraint: {description}")
    raise TemplateError(f"Parameter '{name}' {problem}")


def _problem(spec: Mapping[str, Any], text: str) -> str | None:
    kind = spec.get("Type", "String")
    items = [v.strip() for v in text.split(",")] if kind.startswith(_LIST_TYPES) else [text]
    for item in items:
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                return "must be a number"
            if "MinValue" in spec and number < float(spec["MinValue"]):
                return f"must be a number not less than {spec['MinValue']}"
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                return f"must be a number not greater than {spec['MaxValue']}"
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and item not in [_as_text(a) for a in allowed]:
            return "must be one of AllowedValues"
        pattern = spec.get("AllowedPattern")
        if isinstance(pattern, str) and re.fullmatch(pattern, item) is None:
            return f"must match pattern {pattern}"
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            return f"must contain at least {spec['MinLength']} characters"
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            return f"must contain at most {spec['MaxLength']} characters"
    return None
