"""Numeric condition operators (IAM User Guide, "Condition operators", "Numeric condition operators").

Request values arrive as strings and are read as integers or decimals; text that is not a number
matches nothing.
"""

from __future__ import annotations

import re

from eksiam.policy.operators.family import ordered_families
from eksiam.policy.wildcards import unmark

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def read_number(text: str) -> float | None:
    text = unmark(text).strip()
    return float(text) if _NUMBER.match(text) else None


FAMILIES = ordered_families("Numeric", read_number)
