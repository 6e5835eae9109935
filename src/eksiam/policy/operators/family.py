"""What one condition operator family is: how to read policy values and request values, and compare.

A family's ``prepare`` turns one policy value into the form its ``test`` compares against (a number,
a network, a compiled glob), once per policy; ``convert`` does the same for a request value, once per
request value. Either returns None for text it cannot read, and an unreadable value matches nothing,
as AWS documents for type mismatches ("Condition operators": a value of the wrong type fails the
comparison).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

RequestValue = str | Sequence[str]
"""A condition key's value in a request: one string, or a list for a multivalued key."""


def as_values(value: RequestValue) -> Sequence[str]:
    return (value,) if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    negated: bool
    prepare: Callable[[str], Any]
    convert: Callable[[str], Any]
    test: Callable[[Any, Any], bool]


def identity(text: str) -> str:
    return text


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "NotEquals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}


def ordered_families(prefix: str, read: Callable[[str], Any]) -> dict[str, Family]:
    """The six operators of an ordered type (Numeric*, Date*): both sides read alike, then compared."""
    return {
        prefix + suffix: Family(prefix + suffix, suffix == "NotEquals", read, read, compare)
        for suffix, compare in _ORDERINGS.items()
    }
