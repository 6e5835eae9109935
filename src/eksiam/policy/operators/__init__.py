"""Condition operators: the registry, the ``...IfExists`` forms and the set qualifiers.

Rules (IAM User Guide, "IAM JSON policy elements: Condition operators", "Condition element",
"Multivalued context keys" and "Set operators for multivalued context keys"):

1. Values of one key are ORed; keys of one operator and operators of one Condition are ANDed
   (that AND lives in evaluation; this module decides one operator on one key).
2. A key missing from the request fails a positive operator and satisfies a negated one ("If the
   policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and
   the right key is not present, the condition is true").
3. ``...IfExists``: a missing key satisfies the condition; a present key is tested normally.
4. Without a qualifier, a positive operator holds when any request value matches any policy value; a
   negated operator holds when no request value matches any policy value.
5. ``ForAllValues:`` holds when every request value passes the operator; a missing key or the empty
   set holds. ``ForAnyValue:`` holds when at least one request value passes; a missing key or the
   empty set fails.
6. ``Null`` tests presence only (null.py).

An operator name not in the registry is refused when the policy is parsed (validate.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksiam.policy.operators import arns, binary, boolean, dates, ip, numeric, strings
from eksiam.policy.operators.family import Family, RequestValue, as_values, identity
from eksiam.policy.operators.null import null_matches

__all__ = [
    "OPERATOR_NAMES",
    "OperatorSpec",
    "RequestValue",
    "clause_holds",
    "key_test",
    "lookup_operator",
    "prepare_values",
]

_FAMILIES: dict[str, Family] = {
    **strings.FAMILIES,
    **numeric.FAMILIES,
    **dates.FAMILIES,
    **boolean.FAMILIES,
    **binary.FAMILIES,
    **ip.FAMILIES,
    **arns.FAMILIES,
}
NULL = "Null"
QUALIFIERS = ("ForAllValues", "ForAnyValue")
OPERATOR_NAMES = frozenset({*_FAMILIES, NULL})


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    name: str
    family: Family | None  # None: Null
    qualifier: str | None
    if_exists: bool


def lookup_operator(name: str) -> OperatorSpec | None:
    """Parse ``[ForAllValues:|ForAnyValue:]Base[IfExists]``; None when IAM would not know it."""
    qualifier: str | None = None
    base = name
    if ":" in name:
        qualifier, _, base = name.partition(":")
        if qualifier not in QUALIFIERS:
            return None
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    if base == NULL:
        return None if if_exists else OperatorSpec(name, None, qualifier, False)
    family = _FAMILIES.get(base)
    return OperatorSpec(name, family, qualifier, if_exists) if family is not None else None


def prepare_values(spec: OperatorSpec, values: Sequence[str]) -> tuple[Any, ...]:
    """Policy values in the form the operator compares; unreadable ones dropped (they match nothing)."""
    if spec.family is None:
        return tuple(values)
    prepare = spec.family.prepare
    prepared = (prepare(value) for value in values)
    return tuple(item for item in prepared if item is not None)


def clause_holds(spec: OperatorSpec, prepared: Sequence[Any], value: RequestValue | None) -> bool:
    request = None if value is None else as_values(value)
    family = spec.family
    if family is None:
        return null_matches(prepared, request)
    if not request:
        if spec.if_exists:
            return True
        if spec.qualifier == "ForAllValues":
            return True
        if spec.qualifier == "ForAnyValue":
            return False
        return family.negated
    convert, test = family.convert, family.test
    if spec.qualifier is None:
        for value in request:
            converted = convert(value)
            if converted is not None and any(test(converted, p) for p in prepared):
                return not family.negated
        return family.negated
    passes = (_value_passes(family, convert(value), prepared) for value in request)
    return all(passes) if spec.qualifier == "ForAllValues" else any(passes)


def _value_passes(family: Family, converted: Any, prepared: Sequence[Any]) -> bool:
    matched = converted is not None and any(family.test(converted, p) for p in prepared)
    return matched != family.negated


KeyValues = Mapping[str, RequestValue]


def key_test(spec: OperatorSpec, prepared: tuple[Any, ...], key: str) -> Callable[[KeyValues], bool]:
    """A test of one operator on one key with fixed policy values, specialised for the hot path.

    The common shape (no qualifier, an equality family such as StringEquals or Bool) becomes a set
    membership test; everything else goes through ``clause_holds`` with the same meaning.
    """
    family = spec.family
    if family is None or spec.qualifier is not None or family.test is not operator.eq:
        return lambda values: clause_holds(spec, prepared, values.get(key))
    accepted = frozenset(prepared)
    convert, negated, if_exists = family.convert, family.negated, spec.if_exists
    missing = True if if_exists else negated
    if convert is identity:  # StringEquals, StringNotEquals: the request's text as it is
        return _text_in(accepted, key, negated, missing)

    def holds(values: KeyValues) -> bool:
        request = values.get(key)
        if request is None:
            return missing
        if isinstance(request, str):
            return (convert(request) in accepted) is not negated
        if not request:
            return missing
        for value in request:
            if convert(value) in accepted:
                return not negated
        return negated

    return holds


def _text_in(accepted: frozenset[Any], key: str, negated: bool, missing: bool) -> Callable[[KeyValues], bool]:
    """``key_test`` for a family that compares request text as it is."""

    def holds(values: KeyValues) -> bool:
        request = values.get(key)
        if request is None:
            return missing
        if isinstance(request, str):
            return (request in accepted) is not negated
        if not request:
            return missing
        for value in request:
            if value in accepted:
                return not negated
        return negated

    return holds
