"""A decoded template plus parameter values -> what a stack operation will do.

``prepare`` runs every check CloudFormation makes before it starts an operation (structure,
parameters and their constraints, conditions, references, cycles), so a template that fails them
is refused synchronously with a ValidationError and no stack changes. Resources whose
``Condition`` is false are left out ("Conditions": "resources ... are created only if ... true").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksiam.services.cloudformation.template.conditions import Conditions
from eksiam.services.cloudformation.template.errors import TemplateError
from eksiam.services.cloudformation.template.intrinsics import Scope, resolve
from eksiam.services.cloudformation.template.ordering import (
    PSEUDO_PARAMETERS,
    creation_order,
    dependencies,
    references,
)
from eksiam.services.cloudformation.template.parameters import (
    ParameterValue,
    declared_types_ok,
    resolve_parameters,
)


@dataclass(frozen=True, slots=True)
class Pseudo:
    account: str
    region: str
    partition: str
    stack_name: str
    stack_id: str
    notification_arns: tuple[str, ...] = ()

    def refs(self) -> dict[str, Any]:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": suffix,
            "AWS::NotificationARNs": list(self.notification_arns),
        }


@dataclass(frozen=True, slots=True)
class Plan:
    template: Mapping[str, Any]
    parameters: Mapping[str, ParameterValue]
    conditions: Mapping[str, bool]
    resources: Mapping[str, Mapping[str, Any]]  # active resources, template order
    depends_on: Mapping[str, list[str]]
    order: list[str]
    base_refs: Mapping[str, Any]  # parameters and pseudo parameters
    exports: Mapping[str, str]  # export name -> value, from the Region's other stacks

    def scope(self, refs: Mapping[str, Any], attribute: Any) -> Scope:
        return Scope(
            refs={**self.base_refs, **refs},
            attribute=attribute,
            conditions=self.conditions,
            mappings=self.template.get("Mappings") or {},
            region=str(self.base_refs["AWS::Region"]),
            exports=self.exports,
        )

    def outputs(self, scope: Scope) -> list[dict[str, str]]:
        out = []
        for key, output in (self.template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition is not None and not self.conditions.get(condition, False):
                continue
            value = resolve(output["Value"], scope)
            entry = {"OutputKey": key, "OutputValue": _text(value)}
            if "Description" in output:
                entry["Description"] = str(resolve(output["Description"], scope))
            export = output.get("Export")
            if isinstance(export, dict) and "Name" in export:
                entry["ExportName"] = str(resolve(export["Name"], scope))
            out.append(entry)
        return out


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resource_conditions(resources: Mapping[str, Any], values: Mapping[str, bool]) -> None:
    for resource in resources.values():
        name = resource.get("Condition")
        if name is not None and name not in values:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{name}]. Cannot reference resources "
                f"in the Conditions block of the template"
            )


PLACEHOLDER_PSEUDO = Pseudo("123456789012", "us-east-1", "aws", "stack", "stack-id").refs()


def check_references(template: Mapping[str, Any]) -> None:
    """The checks of ``prepare`` that need no parameter values (ValidateTemplate). Conditions are
    evaluated with each parameter's default (or an empty value) to check their structure."""
    section = template.get("Parameters") or {}
    declared_types_ok(section)
    creation_order(dependencies(template["Resources"], section))
    placeholders = {k: spec.get("Default", "") for k, spec in section.items()}
    conditions = Conditions(
        template.get("Conditions") or {},
        {**PLACEHOLDER_PSEUDO, **placeholders},
        template.get("Mappings") or {},
    )
    _resource_conditions(template["Resources"], conditions.evaluate_all())
    _outputs_resolve(template, set(template["Resources"]) | set(section) | set(PSEUDO_PARAMETERS))


def _outputs_resolve(template: Mapping[str, Any], known: set[str]) -> None:
    outputs = template.get("Outputs") or {}
    for name in sorted(references(list(outputs.values()))):
        if name not in known:
            raise TemplateError(
                f"Template format error: Unresolved resource dependencies [{name}] in the Outputs "
                f"block of the template"
            )


def prepare(
    template: Mapping[str, Any],
    given: Mapping[str, str],
    pseudo: Pseudo,
    previous: Mapping[str, str] | None = None,
    use_previous: frozenset[str] = frozenset(),
    exports: Mapping[str, str] | None = None,
) -> Plan:
    section = template.get("Parameters") or {}
    parameters = resolve_parameters(section, given, previous, use_previous)
    base_refs: dict[str, Any] = {**pseudo.refs(), **{k: v.value for k, v in parameters.items()}}
    conditions = Conditions(template.get("Conditions") or {}, base_refs, template.get("Mappings") or {})
    values = conditions.evaluate_all()
    all_resources: dict[str, Any] = template["Resources"]
    _resource_conditions(all_resources, values)
    active = {k: v for k, v in all_resources.items() if v.get("Condition") is None or values[v["Condition"]]}
    graph = dependencies(all_resources, section)
    graph = {k: [d for d in v if d in active] for k, v in graph.items() if k in active}
    order = creation_order(graph)
    _outputs_resolve(template, set(all_resources) | set(base_refs))
    if "Transform" in template:
        raise TemplateError("Template format error: transforms (macros) are not supported by eksiam.")
    return Plan(template, parameters, values, active, graph, order, base_refs, dict(exports or {}))
