"""String condition operators (IAM User Guide, "Condition operators", "String condition operators").

StringEquals/StringNotEquals compare exactly and case-sensitively; the IgnoreCase forms compare
case-insensitively; StringLike/StringNotLike allow ``*`` and ``?`` anywhere in the policy value.
"""

from __future__ import annotations

import operator
from typing import Any

from eksiam.policy.operators.family import Family, identity
from eksiam.policy.wildcards import string_like_matcher, unmark


def _fold(text: str) -> str:
    return unmark(text).casefold()


def _casefold(text: str) -> str:
    return text.casefold()


def _like(value: str, matcher: Any) -> bool:
    return bool(matcher(value))


FAMILIES = {
    "StringEquals": Family("StringEquals", False, unmark, identity, operator.eq),
    "StringNotEquals": Family("StringNotEquals", True, unmark, identity, operator.eq),
    "StringEqualsIgnoreCase": Family("StringEqualsIgnoreCase", False, _fold, _casefold, operator.eq),
    "StringNotEqualsIgnoreCase": Family("StringNotEqualsIgnoreCase", True, _fold, _casefold, operator.eq),
    "StringLike": Family("StringLike", False, string_like_matcher, identity, _like),
    "StringNotLike": Family("StringNotLike", True, string_like_matcher, identity, _like),
}
