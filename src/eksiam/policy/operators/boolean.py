"""The Bool operator (IAM User Guide, "Condition operators", "Boolean condition operators").

Only ``true`` and ``false`` (in any letter case) are booleans; any other request text matches nothing.
"""

from __future__ import annotations

import operator

from eksiam.policy.operators.family import Family
from eksiam.policy.wildcards import unmark


def read_bool(text: str) -> str | None:
    folded = unmark(text).strip().lower()
    return folded if folded in ("true", "false") else None


FAMILIES = {"Bool": Family("Bool", False, read_bool, read_bool, operator.eq)}
