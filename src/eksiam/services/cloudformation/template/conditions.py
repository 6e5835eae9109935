"""The Conditions section: each condition evaluated once, on first use, in terms of parameters and
other conditions ("Conditions syntax": a condition may reference another with ``Condition``).

A condition that (directly or through others) refers to itself is a template error, as is a
condition function other than Fn::And/Equals/If/Not/Or/Condition at the top of a condition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from eksiam.services.cloudformation.template.errors import TemplateError
from eksiam.services.cloudformation.template.intrinsics import Scope, resolve

_CONDITION_FUNCTIONS = frozenset({"Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Condition"})


class Conditions(Mapping[str, bool]):
    def __init__(
        self, section: Mapping[str, Any], refs: Mapping[str, Any], mappings: Mapping[str, Any]
    ) -> None:
        self._section = section
        self._values: dict[str, bool] = {}
        self._pending: set[str] = set()
        self._scope = Scope(refs=refs, attribute=_no_attributes, conditions=self, mappings=mappings)

    def __getitem__(self, name: str) -> bool:
        if name in self._values:
            return self._values[name]
        if name not in self._section:
            raise KeyError(name)
        if name in self._pending:
            raise TemplateError(f"Template error: Circular condition dependency found for {name}")
        definition = self._section[name]
        if not (
            isinstance(definition, dict)
            and len(definition) == 1
            and next(iter(definition)) in _CONDITION_FUNCTIONS
        ):
            raise TemplateError(
                f"Template error: Condition {name} must be an Fn::And, Fn::Equals, Fn::Not, Fn::Or "
                "or Condition function"
            )
        self._pending.add(name)
        try:
            value = resolve(definition, self._scope)
        finally:
            self._pending.discard(name)
        if not isinstance(value, bool):
            raise TemplateError(f"Template error: Condition {name} does not evaluate to a boolean")
        self._values[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._section

    def __iter__(self) -> Iterator[str]:
        return iter(self._section)

    def __len__(self) -> int:
        return len(self._section)

    def evaluate_all(self) -> dict[str, bool]:
        return {name: self[name] for name in self._section}


def _no_attributes(logical_id: str, attribute: str) -> Any:
    raise TemplateError(
        f"Template error: Fn::GetAtt of {logical_id}.{attribute} cannot be used in a condition"
    )
