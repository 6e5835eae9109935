"""The model's input constraints, checked as AWS's front end does, with AWS's message text.

Message grammar (observed in AWS answers, e.g. IAM's ``ValidationError`` for a long role name)::

    N validation error(s) detected: <violation>; <violation>
    <violation> = Value '<value>' at '<path>' failed to satisfy constraint: <rule>
                | Value null at '<path>' failed to satisfy constraint: Member must not be null
    <path>      = lowerCamel member names joined by '.', list items as '<list>.<n>.member' (1-based)
    <rule>      = Member must have length less than or equal to <max>
                | Member must have length greater than or equal to <min>
                | Member must have value less than or equal to <max>     (numbers)
                | Member must have value greater than or equal to <min>  (numbers)
                | Member must satisfy regular expression pattern: <model pattern, verbatim>
                | Member must satisfy enum value set: [<a>, <b>]

Members marked ``sensitive`` print as ``Value at '<path>'`` so a secret never reaches a message.
Values print as Java's ``toString`` would (lists ``[a, b]``, maps ``{k=v}``), since the text
comes from AWS's Java validators. Patterns use Java's ``matches()`` (whole-string) semantics and
Java's ASCII ``\\w``/``\\d``; ``\\p{L}``-style classes need the ``regex`` module.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

import regex  # type: ignore[import-untyped]
from botocore.model import ListShape, MapShape, Shape, StructureShape

from eksiam.protocol.models import lower_camel
from eksiam.protocol.shape_walk import ShapeCompiler, bind, generated

Check = Callable[[Any, str, list[str]], None]


class Matcher(Protocol):
    def fullmatch(self, string: str) -> object | None: ...


_JAVA_CLASS_ESCAPES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}


def java_pattern(pattern: str) -> Matcher:
    """Compile a model (Java) pattern: ``\\w``, ``\\d``, ``\\s`` become their ASCII classes.
    The standard ``re`` takes every pattern it can read (it matches a policy document's character
    class four times faster); ``regex`` the rest (``\\p{L}`` classes). A pattern ``re`` reads with a
    warning (a possible nested set) goes to ``regex`` too, so no pattern changes meaning."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _JAVA_CLASS_ESCAPES:
                body = _JAVA_CLASS_ESCAPES[nxt]
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    translated = "".join(out)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return re.compile(translated)
    except (re.error, FutureWarning):
        return cast(Matcher, regex.compile(translated))


def java_repr(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_repr(k)}={java_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    return str(value)


def _violation(value: Any, path: str, rule: str, sensitive: bool) -> str:
    shown = "" if sensitive else ("null " if value is None else f"'{java_repr(value)}' ")
    return f"Value {shown}at '{path}' failed to satisfy constraint: {rule}"


@dataclass(frozen=True, slots=True)
class _Limits:
    """A scalar shape's own rules, read once from its model; ``None`` where it has no such rule."""

    numeric: bool
    low: float | None
    high: float | None
    pattern: str | None
    compiled: Matcher | None
    allowed: tuple[str, ...] | None

    @classmethod
    def of(cls, shape: Shape) -> _Limits:
        meta = shape.metadata
        pattern = meta["pattern"] if "pattern" in meta and shape.type_name == "string" else None
        listed = getattr(shape, "enum", None) or meta.get("enum")
        return cls(
            numeric=shape.type_name in ("integer", "long", "float", "double"),
            low=meta.get("min"),
            high=meta.get("max"),
            pattern=pattern,
            compiled=java_pattern(pattern) if pattern is not None else None,
            allowed=tuple(listed) if listed else None,
        )

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.low, self.high, self.pattern, self.allowed))


def _fits_source(limits: _Limits, names: dict[str, Any]) -> str:
    """One expression that is true when a value ``v`` breaks none of the rules (the rules
    themselves, ``_leaf_rules``, one call each, are run only to name what a value broke). Objects
    it needs are bound in ``names``, so a structure's generated checker can inline it."""
    measure = "v" if limits.numeric else "len(v)"
    # integers as literals; any other bound (a float, whose repr may be ``inf``) by name
    low, high = (
        None if bound is None else repr(bound) if type(bound) is int else bind(names, bound)
        for bound in (limits.low, limits.high)
    )
    terms = []
    if low is not None and high is not None:
        terms.append(f"{low} <= {measure} <= {high}")
    elif low is not None:
        terms.append(f"{low} <= {measure}")
    elif high is not None:
        terms.append(f"{measure} <= {high}")
    if limits.compiled is not None and not limits.numeric:
        terms.append(f"{bind(names, limits.compiled.fullmatch)}(v) is not None")
    if limits.allowed is not None:
        terms.append(f"v in {bind(names, frozenset(limits.allowed))}")
    return " and ".join(terms) if terms else "True"


def _fits(limits: _Limits) -> Callable[[Any], bool]:
    """``_fits_source`` as a function, for a scalar checked on its own (a list item, a map value)."""
    names: dict[str, Any] = {}
    source = f"def fits(v): return {_fits_source(limits, names)}"
    test: Callable[[Any], bool] = generated("fits", [source], names)
    return test


def _nothing(value: Any, path: str, out: list[str]) -> None:
    return None


_NOTHING: Check = _nothing


class ConstraintCompiler(ShapeCompiler[Check]):
    """Compiles a checker per shape; shapes with nothing to check anywhere below compile to a no-op
    that the parent drops, so an unconstrained input costs nothing per request."""

    def __init__(self) -> None:
        super().__init__()
        self._limits_of: dict[Check, _Limits] = {}  # a scalar's check -> its rules, to inline

    def _leaf_rules(self, limits: _Limits) -> list[Callable[[Any], str | None]]:
        rules: list[Callable[[Any], str | None]] = []
        numeric = limits.numeric
        what = "value" if numeric else "length"

        def measure(v: Any) -> float:
            return v if numeric else len(v)

        low, high, compiled, allowed = limits.low, limits.high, limits.compiled, limits.allowed
        if low is not None:
            rules.append(
                lambda v: None
                if measure(v) >= low
                else f"Member must have {what} greater than or equal to {low}"
            )
        if high is not None:
            rules.append(
                lambda v: None
                if measure(v) <= high
                else f"Member must have {what} less than or equal to {high}"
            )
        if compiled is not None:
            text = limits.pattern
            rules.append(
                lambda v: None
                if compiled.fullmatch(v)
                else f"Member must satisfy regular expression pattern: {text}"
            )
        if allowed is not None:
            allowed_set = frozenset(allowed)
            rule = "Member must satisfy enum value set: [" + ", ".join(allowed) + "]"
            rules.append(lambda v: None if v in allowed_set else rule)
        return rules

    def _compile_scalar(self, shape: Shape) -> Check:
        limits = _Limits.of(shape)
        if not limits.any:
            return _NOTHING
        rules, fits = self._leaf_rules(limits), _fits(limits)
        sensitive = bool(shape.metadata.get("sensitive"))

        def check(value: Any, path: str, out: list[str]) -> None:
            if fits(value):
                return
            for rule in rules:
                broken = rule(value)
                if broken is not None:
                    out.append(_violation(value, path, broken, sensitive))

        self._limits_of[check] = limits
        return check

    def _compile_structure(self, shape: StructureShape) -> Check:
        # Generated source (shape_walk rule 4), one block per member, in the model's order (the
        # order of the violations): a missing required member is reported; a scalar member's value
        # is tried against its rules inline, so a value that keeps them costs no path text and no
        # call; any other member is handed to its own check.
        required = set(shape.required_members)
        names: dict[str, Any] = {"_violation": _violation}
        lines = ["def check(value, path, out):"]
        for name, member in shape.members.items():
            inner = self.compile(member)
            if inner is _NOTHING and name not in required:
                continue
            label = lower_camel(name)
            where = f"path + {'.' + label!r} if path else {label!r}"
            lines.append(f"    v = value.get({name!r})")
            checked = ""
            if inner is not _NOTHING:
                checked = f"{bind(names, inner)}(v, {where}, out)"
                limits = self._limits_of.get(inner)
                fits = "" if limits is None else f"not ({_fits_source(limits, names)})"
            if name in required:
                sensitive = bool(member.metadata.get("sensitive"))
                lines.append("    if v is None:")
                null = f"_violation(None, {where}, 'Member must not be null', {sensitive!r})"
                lines.append(f"        out.append({null})")
                if checked:
                    lines.append(f"    elif {fits}:" if fits else "    else:")
                    lines.append(f"        {checked}")
            else:
                lines.append(f"    if v is not None and {fits}:" if fits else "    if v is not None:")
                lines.append(f"        {checked}")
        if len(lines) == 1:
            return _NOTHING
        check: Check = generated("check", lines, names)
        return check

    def _compile_list(self, shape: ListShape) -> Check:
        own = self._compile_scalar(shape)
        item = self.compile(shape.member)
        if own is _NOTHING and item is _NOTHING:
            return _NOTHING

        def check(value: Any, path: str, out: list[str]) -> None:
            own(value, path, out)
            if item is not _NOTHING:
                for i, element in enumerate(value, 1):
                    if element is not None:
                        item(element, f"{path}.{i}.member", out)

        return check

    def _compile_map(self, shape: MapShape) -> Check:
        own = self._compile_scalar(shape)
        key_check = self.compile(shape.key)
        value_check = self.compile(shape.value)
        if own is _NOTHING and key_check is _NOTHING and value_check is _NOTHING:
            return _NOTHING

        def check(value: Any, path: str, out: list[str]) -> None:
            own(value, path, out)
            for k, v in value.items():
                key_check(k, f"{path}.{k}", out)
                if v is not None:
                    value_check(v, f"{path}.{k}.member", out)

        return check

    def checker(self, shape: StructureShape | None) -> Callable[[Mapping[str, Any]], list[str]] | None:
        """A function returning the violations of an input dict, or None when the shape has no rules."""
        if shape is None:
            return None
        check = self.compile(shape)
        if check is _NOTHING:
            return None

        def violations(params: Mapping[str, Any]) -> list[str]:
            out: list[str] = []
            check(params, "", out)
            return out

        return violations
