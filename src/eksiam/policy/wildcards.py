"""``*`` and ``?`` matching for actions, resources and ARNs, compiled once and cached.

Rules (IAM User Guide, "IAM JSON policy elements: Action" and "IAM JSON policy elements: Resource",
and "Condition operators", section "Amazon Resource Name (ARN) condition operators"):

1. ``*`` matches any run of characters (including none), ``?`` exactly one character.
2. Actions match case-insensitively; resources, ARN conditions and ``StringLike`` case-sensitively.
3. In an ARN pattern each of the first five colon-separated segments is matched on its own: a ``*``
   inside a segment stays within it, but a ``*`` that ends a segment may run past the colon
   ("If the * wildcard is the last character of a resource ARN segment, it can expand to match
   beyond the colon boundaries"). The sixth segment, the resource id, may itself hold colons.
4. Pattern characters that came from the escapes ``${*}``/``${?}`` or from a policy variable's value
   are literal: variables.py writes them as ``LITERAL_STAR``/``LITERAL_QMARK`` (private-use code
   points) and this module matches those as the plain characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], object]
"""A matcher's result is truthy on a match (a bool or an ``re.Match``): callers test truthiness only."""

# Characters that stand for a literal ``*`` / ``?`` (from ``${*}``, ``${?}`` or a variable's value).
LITERAL_STAR = "\ue000"
LITERAL_QMARK = "\ue001"
_LITERALS = {LITERAL_STAR: re.escape("*"), LITERAL_QMARK: re.escape("?")}


def _glob_body(pattern: str) -> str:
    return "".join(
        ".*" if ch == "*" else "." if ch == "?" else _LITERALS.get(ch) or re.escape(ch) for ch in pattern
    )


def _arn_body(pattern: str) -> str:
    parts: list[str] = []
    colons = 0
    length = len(pattern)
    for i, ch in enumerate(pattern):
        if ch == ":":
            colons += 1
            parts.append(":")
        elif ch == "*":
            ends_segment = i + 1 == length or pattern[i + 1] == ":"
            parts.append(".*" if colons >= 5 or ends_segment else "[^:]*")
        elif ch == "?":
            parts.append("." if colons >= 5 else "[^:]")
        else:
            parts.append(_LITERALS.get(ch) or re.escape(ch))
    return "".join(parts)


@lru_cache(maxsize=65536)
def action_matcher(pattern: str) -> Matcher:
    """Case-insensitive matcher for one Action/NotAction entry."""
    if pattern == "*":
        return lambda _text: True
    if "*" not in pattern and "?" not in pattern:
        folded = unmark(pattern).lower()
        return lambda text: text.lower() == folded
    return re.compile(_glob_body(pattern), re.IGNORECASE | re.DOTALL).fullmatch


@lru_cache(maxsize=65536)
def string_like_matcher(pattern: str, ignore_case: bool = False) -> Matcher:
    """Matcher for ``StringLike``-style globs over arbitrary strings."""
    if "*" not in pattern and "?" not in pattern:
        plain = unmark(pattern)
        if ignore_case:
            folded = plain.casefold()
            return lambda text: text.casefold() == folded
        return plain.__eq__
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_glob_body(pattern), flags).fullmatch


@lru_cache(maxsize=65536)
def arn_matcher(pattern: str) -> Matcher:
    """Case-sensitive segment-aware matcher for Resource entries and ``Arn*`` operators."""
    if pattern == "*":
        return lambda _text: True
    if "*" not in pattern and "?" not in pattern:
        return unmark(pattern).__eq__
    return re.compile(_arn_body(pattern), re.DOTALL).fullmatch


def unmark(text: str) -> str:
    """The plain text of a substituted value, for operators that compare without wildcards."""
    if LITERAL_STAR in text or LITERAL_QMARK in text:
        return text.replace(LITERAL_STAR, "*").replace(LITERAL_QMARK, "?")
    return text


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text
