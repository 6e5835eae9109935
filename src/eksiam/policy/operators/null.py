"""The Null operator (IAM User Guide, "Condition operators", "Condition operator to check
existence of condition keys").

``"Null": {"key": "true"}`` holds when the key is absent from the request, ``"false"`` when present.
A multivalued key holding the empty set counts as absent. Null has no IfExists form and no set
qualifier changes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from eksiam.policy.operators.boolean import read_bool


def null_matches(policy_values: Sequence[str], request_values: Sequence[str] | None) -> bool:
    absent = "true" if not request_values else "false"
    return any(read_bool(value) == absent for value in policy_values)
