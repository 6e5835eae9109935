"""ARN condition operators (IAM User Guide, "Condition operators", "Amazon Resource Name (ARN)
condition operators").

ArnEquals and ArnLike behave alike: "Each of the six colon-delimited components of the ARN is checked
separately and each can include multi-character match wildcards (*) or single-character match
wildcards (?)", case-sensitively (wildcards.arn_matcher).
"""

from __future__ import annotations

from typing import Any

from eksiam.policy.operators.family import Family, identity
from eksiam.policy.wildcards import arn_matcher


def _like(value: str, matcher: Any) -> bool:
    return bool(matcher(value))


FAMILIES = {
    name: Family(name, name in ("ArnNotEquals", "ArnNotLike"), arn_matcher, identity, _like)
    for name in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
}
