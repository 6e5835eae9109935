"""Which resources depend on which, and an order that creates each after what it uses.

A resource depends on every resource it names in ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (``${Res}``,
``${Res.Attr}``) and ``DependsOn`` ("DependsOn attribute": "resources that are referenced with Ref
or Fn::GetAtt are created first"). Both branches of Fn::If count. Order is topological; among
resources free at the same time the template's order is kept, so runs are reproducible. Deletion
uses the reverse.

Errors are CloudFormation's: a name that is no resource, parameter or pseudo parameter ->
"Template format error: Unresolved resource dependencies [X] in the Resources block of the template";
a cycle -> "Circular dependency between resources: [A, B]".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eksiam.services.cloudformation.template.errors import TemplateError
from eksiam.services.cloudformation.template.intrinsics import get_att_target, sub_names, sub_parts

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)


def references(value: Any) -> set[str]:
    """Every logical name (resource or parameter) ``value`` refers to."""
    found: set[str] = set()
    _walk(value, found)
    return found


def _walk(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        name, argument = next(iter(value.items()))
        if name == "Ref" and isinstance(argument, str):
            found.add(argument)
            return
        if name == "Fn::GetAtt":
            logical_id, attribute = get_att_target(argument)
            found.add(logical_id)
            _walk(attribute, found)
            return
        if name == "Fn::Sub":
            text, variables = sub_parts(argument)
            for variable in sub_names(text):
                if variable not in variables:
                    found.add(variable.partition(".")[0] if "." in variable else variable)
            _walk(list(variables.values()), found)
            return
    for item in value.values():
        _walk(item, found)


def dependencies(
    resources: Mapping[str, Any], parameters: Iterable[str], where: str = "Resources"
) -> dict[str, list[str]]:
    """logical id -> the resources it depends on, in template order."""
    known = set(parameters) | PSEUDO_PARAMETERS
    out: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for logical_id, resource in resources.items():
        named = references(resource.get("Properties", {}))
        depends = resource.get("DependsOn", [])
        explicit = [depends] if isinstance(depends, str) else list(depends or [])
        for name in explicit:
            if name not in resources:
                raise TemplateError(
                    f"Template format error: Unresolved resource dependencies [{name}] in the "
                    f"Resources block of the template"
                )
        for name in sorted(named):
            if name not in resources and name not in known and name not in unresolved:
                unresolved.append(name)
        out[logical_id] = [r for r in resources if r in named or r in explicit]
    if unresolved:
        raise TemplateError(
            f"Template format error: Unresolved resource dependencies [{', '.join(unresolved)}] in "
            f"the {where} block of the template"
        )
    return out


def creation_order(graph: Mapping[str, list[str]]) -> list[str]:
    """Topological order, template order among equals; a cycle is a TemplateError."""
    done: list[str] = []
    placed: set[str] = set()
    remaining = list(graph)
    while remaining:
        ready = [r for r in remaining if all(d in placed for d in graph[r])]
        if not ready:
            raise TemplateError(f"Circular dependency between resources: [{', '.join(remaining)}]")
        for r in ready:
            done.append(r)
            placed.add(r)
        remaining = [r for r in remaining if r not in placed]
    return done
