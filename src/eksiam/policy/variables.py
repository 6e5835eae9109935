"""Policy variables: ``${aws:username}``-style placeholders in Resource and Condition values.

Rules (IAM User Guide, "IAM policy elements: Variables and tags"):

1. Variables are substituted only in policies whose Version is ``2012-10-17``; under ``2008-10-17``
   (or no Version) the text ``${aws:username}`` is matched literally.
2. ``${key}`` takes the request's value of the condition key ``key`` (key names are case-insensitive);
   ``${key, 'default'}`` supplies a value when the key is absent.
3. ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters ``*``, ``?`` and ``$``; a literal
   ``*``/``?`` never acts as a wildcard, and neither does one inside a substituted value.
4. A variable whose key has no single value in the request (absent with no default, or a
   multivalued key) has no value: the Resource entry or condition value holding it matches
   nothing. A negated operator therefore holds against it, as the "Policy variables with no
   value" table says, while a positive one fails.

Templates are parsed once per distinct string (cached); substitution is a join over prepared parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from eksiam.policy.wildcards import LITERAL_QMARK, LITERAL_STAR

_ESCAPES = {"*": LITERAL_STAR, "?": LITERAL_QMARK, "$": "$"}
_VARIABLE = re.compile(r"\$\{(?:([*?$])|([A-Za-z0-9_.:/\-]+)(?:\s*,\s*'([^']*)')?\s*)\}")


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower-cased condition key name
    default: str | None


TemplatePart = str | Variable
Lookup = Callable[[str], "str | Sequence[str] | None"]


@dataclass(frozen=True, slots=True)
class Template:
    """A string with its variables located; ``parts`` alternate literal text and variables."""

    text: str
    parts: tuple[TemplatePart, ...]
    is_static: bool
    static_text: str  # the text with escapes resolved, meaningful when is_static

    def substitute(self, lookup: Lookup) -> str | None:
        """The text with variables replaced, or None when a variable has no value (rule 4)."""
        if self.is_static:
            return self.static_text
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            values = lookup(part.key)
            if isinstance(values, str):
                out.append(_literal(values))
            elif values and len(values) == 1:
                out.append(_literal(values[0]))
            elif not values and part.default is not None:
                out.append(_literal(part.default))
            else:
                return None
        return "".join(out)


def _literal(value: str) -> str:
    if "*" in value or "?" in value:
        return value.replace("*", LITERAL_STAR).replace("?", LITERAL_QMARK)
    return value


@lru_cache(maxsize=65536)
def parse_template(text: str, substitute: bool) -> Template:
    """Locate variables in ``text``; with ``substitute=False`` (2008-10-17) everything is literal."""
    if not substitute or "${" not in text:
        return Template(text, (text,), True, text)
    parts: list[TemplatePart] = []
    position = 0
    for found in _VARIABLE.finditer(text):
        if found.start() > position:
            parts.append(text[position : found.start()])
        escape, key, default = found.groups()
        if escape is not None:
            parts.append(_ESCAPES[escape])
        else:
            parts.append(Variable(key.lower(), default))
        position = found.end()
    if position < len(text):
        parts.append(text[position:])
    merged: list[TemplatePart] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    static = all(isinstance(part, str) for part in merged)
    return Template(text, tuple(merged), static, "".join(p for p in merged if isinstance(p, str)))
