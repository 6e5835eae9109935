"""Intrinsic functions, evaluated over plain template values ("Intrinsic function reference").

Rules:

1. A mapping with exactly one key naming a function (``Ref``, ``Fn::*``, or ``Condition`` inside
   condition functions) is a call; anything else is data, resolved member by member.
2. ``Ref`` to ``AWS::NoValue`` removes the property (or list item) it stands for ("Pseudo
   parameters reference": "Removes the corresponding resource property when specified as a return
   value in the Fn::If intrinsic function").
3. ``Fn::Sub`` replaces ``${Name}`` by a parameter, pseudo parameter or resource Ref, ``${A.B}`` by
   ``Fn::GetAtt``, and writes ``${!Literal}`` as ``${Literal}``; its second form adds variables.
4. Refs and attributes come from a ``Scope`` the caller builds: parameters, pseudo parameters and
   the Ref/attribute values of resources created so far.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from eksiam.services.cloudformation.template.errors import TemplateError

NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Removed:
    """What ``Ref: AWS::NoValue`` resolves to before its container drops it."""


REMOVED = _Removed()


@dataclass(frozen=True, slots=True)
class Scope:
    refs: Mapping[str, Any]
    attribute: Callable[[str, str], Any]
    conditions: Mapping[str, bool] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    region: str = "us-east-1"
    exports: Mapping[str, str] = field(default_factory=dict)


def availability_zones(region: str) -> list[str]:
    """Fn::GetAZs: the Region's zones in alphabetical order (three letters here)."""
    return [f"{region}{letter}" for letter in "abc"]


def is_call(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def resolve(value: Any, scope: Scope) -> Any:
    """The value with every intrinsic evaluated and every AWS::NoValue removed."""
    if isinstance(value, dict):
        if is_call(value):
            name, argument = next(iter(value.items()))
            return FUNCTIONS[name](argument, scope)
        out = {}
        for key, item in value.items():
            resolved = resolve(item, scope)
            if resolved is not REMOVED:
                out[key] = resolved
        return out
    if isinstance(value, list):
        return [r for r in (resolve(item, scope) for item in value) if r is not REMOVED]
    return value


def _ref(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, str):
        raise TemplateError("Template error: every Ref object must have a single String value.")
    if argument == NO_VALUE:
        return REMOVED
    if argument not in scope.refs:
        raise TemplateError(f"Template format error: Unresolved resource dependencies [{argument}]")
    return scope.refs[argument]


def _get_att(argument: Any, scope: Scope) -> Any:
    logical_id, attribute = get_att_target(argument)
    attribute = resolve(attribute, scope)
    return scope.attribute(logical_id, str(attribute))


def get_att_target(argument: Any) -> tuple[str, Any]:
    if isinstance(argument, str) and "." in argument:
        logical_id, _, attribute = argument.partition(".")
        return logical_id, attribute
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        return argument[0], argument[1]
    raise TemplateError(
        "Template error: every Fn::GetAtt object requires two non-empty parameters, "
        "the resource name and the resource attribute"
    )


def sub_parts(argument: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(argument, str):
        return argument, {}
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], dict)
    ):
        return argument[0], argument[1]
    raise TemplateError(
        "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. "
        "Specify a string as first argument, and an optional second argument to specify a mapping "
        "of values to replace in the string"
    )


def sub_names(text: str) -> list[str]:
    """The variable names of a Fn::Sub string, literals (``${!x}``) excluded."""
    return [m.group(1).strip() for m in _SUB_VARIABLE.finditer(text) if not m.group(1).startswith("!")]


def _sub(argument: Any, scope: Scope) -> str:
    text, variables = sub_parts(argument)
    values = {k: resolve(v, scope) for k, v in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        name = name.strip()
        if name in values:
            value = values[name]
        elif name in scope.refs:
            value = scope.refs[name]
        elif "." in name:
            logical_id, _, attribute = name.partition(".")
            value = scope.attribute(logical_id, attribute)
        else:
            raise TemplateError(f"Template format error: Unresolved resource dependencies [{name}]")
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        return _text(value)

    return _SUB_VARIABLE.sub(replace, text)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pair(name: str, argument: Any, scope: Scope) -> tuple[Any, Any]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(f"Template error: {name} requires a list of exactly two arguments")
    return resolve(argument[0], scope), resolve(argument[1], scope)


def _join(argument: Any, scope: Scope) -> str:
    delimiter, values = _pair("Fn::Join", argument, scope)
    if not isinstance(values, list):
        raise TemplateError(
            "Template error: every Fn::Join object requires two parameters, "
            "(1) a string delimiter and (2) a list of strings to be joined"
        )
    return str(delimiter).join(_text(v) for v in values)


def _select(argument: Any, scope: Scope) -> Any:
    index, values = _pair("Fn::Select", argument, scope)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise TemplateError("Template error: Fn::Select requires a numeric index") from None
    if not isinstance(values, list) or not 0 <= position < len(values):
        raise TemplateError(f"Template error: Fn::Select cannot select nonexistent value at index {index}")
    return values[position]


def _split(argument: Any, scope: Scope) -> list[str]:
    delimiter, text = _pair("Fn::Split", argument, scope)
    return str(text).split(str(delimiter))


def _if(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
        raise TemplateError("Template error: Fn::If requires a list argument with three elements")
    name = argument[0]
    if name not in scope.conditions:
        raise TemplateError(f"Template format error: Unresolved condition dependency {name} in Fn::If")
    return resolve(argument[1] if scope.conditions[name] else argument[2], scope)


def _equals(argument: Any, scope: Scope) -> bool:
    left, right = _pair("Fn::Equals", argument, scope)
    return _text(left) == _text(right)


def _truths(name: str, argument: Any, scope: Scope) -> list[bool]:
    if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
        raise TemplateError(f"Template error: {name} requires between 2 and 10 conditions")
    return [_truth(resolve(item, scope)) for item in argument]


def _truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TemplateError("Template error: condition functions must evaluate to true or false")
    return value


def _not(argument: Any, scope: Scope) -> bool:
    if not isinstance(argument, list) or len(argument) != 1:
        raise TemplateError("Template error: Fn::Not requires a list argument with one element")
    return not _truth(resolve(argument[0], scope))


def _condition(argument: Any, scope: Scope) -> bool:
    if not isinstance(argument, str) or argument not in scope.conditions:
        raise TemplateError(f"Template format error: Unresolved condition dependency {argument}")
    return scope.conditions[argument]


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    region = resolve(argument, scope)
    return availability_zones(str(region) if region else scope.region)


def _base64(argument: Any, scope: Scope) -> str:
    return base64.b64encode(_text(resolve(argument, scope)).encode("utf-8")).decode("ascii")


def _find_in_map(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 3:
        raise TemplateError("Template error: Fn::FindInMap requires a list argument with three elements")
    keys = [_text(resolve(a, scope)) for a in argument]
    node: Any = scope.mappings
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            raise TemplateError(f"Template error: Unable to get mapping for {'::'.join(keys)}")
        node = node[key]
    return node


def _import_value(argument: Any, scope: Scope) -> str:
    """Fn::ImportValue: an output another stack of the account and Region exports."""
    name = _text(resolve(argument, scope))
    if name not in scope.exports:
        raise TemplateError(f"No export named {name} found.")
    return scope.exports[name]


def imported_names(value: Any, scope: Scope) -> set[str]:
    """The export names ``value`` imports (arguments resolved; unresolvable ones skipped), so a stack
    can record what it uses ("an exported value ... can't be deleted while another stack imports it")."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1 and "Fn::ImportValue" in value:
            with suppress(TemplateError):
                found.add(_text(resolve(value["Fn::ImportValue"], scope)))
            return found
        for item in value.values():
            found |= imported_names(item, scope)
    elif isinstance(value, list):
        for item in value:
            found |= imported_names(item, scope)
    return found


FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": lambda a, s: all(_truths("Fn::And", a, s)),
    "Fn::Or": lambda a, s: any(_truths("Fn::Or", a, s)),
    "Fn::Not": _not,
    "Condition": _condition,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
}
