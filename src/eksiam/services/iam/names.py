"""Input constraints of every IAM operation, read from the botocore model rather than retyped.

Names, paths, ARNs, descriptions, tags, MaxItems, MaxSessionDuration ... all carry ``min``, ``max``,
``pattern`` and ``enum`` in ``botocore/data/iam/2010-05-08/service-2.json`` (iam-rules.md 1.1).
``@validated`` checks a method's keyword arguments against its operation's input shape before the
method runs, and reports every failure in AWS's ValidationError text::

    1 validation error detected: Value 'a/b' at 'roleName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]+

Patterns are Java regexes matched against the whole value, compiled with ``regex`` (which knows
Java's ``\\p{L}`` classes, used by the tag patterns). Java's ``\\w`` is ASCII-only, so patterns without
``\\p{`` classes are compiled ASCII.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import botocore.session
import regex  # type: ignore[import-untyped]
from botocore import xform_name

from eksiam.services.iam.errors import ValidationError

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def iam_model() -> Any:
    return botocore.session.get_session().get_service_model("iam")


@functools.cache
def _pattern(text: str) -> regex.Pattern[str]:
    return regex.compile(text, 0 if "\\p{" in text else regex.ASCII)


def _wire_name(member: str) -> str:
    return member[:1].lower() + member[1:]


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check(shape: Any, value: Any, where: str, out: list[str]) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if isinstance(value, Mapping) and value.get(name) is not None:
                _check(member, value[name], f"{where}.{_wire_name(name)}" if where else _wire_name(name), out)
        return
    failures: list[str] = []
    if kind in ("string", "list"):
        if "min" in meta and len(value) < meta["min"]:
            failures.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            failures.append(f"Member must have length less than or equal to {meta['max']}")
    if kind in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            failures.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            failures.append(f"Member must have value less than or equal to {meta['max']}")
    if kind == "string" and "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
        failures.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if kind == "string" and "enum" in meta and value not in meta["enum"]:
        failures.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    out.extend(f"Value '{_render(value)}' at '{where}' failed to satisfy constraint: {f}" for f in failures)
    if kind == "list":
        for i, item in enumerate(value, start=1):
            _check(shape.member, item, f"{where}.{i}.member", out)


def validation_failures(operation: str, params: Mapping[str, Any]) -> list[str]:
    """Constraint failures for ``params`` keyed by the model's member names (``RoleName``)."""
    out: list[str] = []
    shape = iam_model().operation_model(operation).input_shape
    if shape is not None:
        _check(shape, params, "", out)
    return out


def raise_for(failures: list[str]) -> None:
    if failures:
        noun = "error" if len(failures) == 1 else "errors"
        raise ValidationError(f"{len(failures)} validation {noun} detected: " + "; ".join(failures))


@functools.lru_cache(maxsize=1)
def _operations() -> dict[str, tuple[str, dict[str, str]]]:
    """``create_role`` -> (``CreateRole``, {``role_name``: ``RoleName``, ...})."""
    model = iam_model()
    table = {}
    for op in model.operation_names:
        shape = model.operation_model(op).input_shape
        members = {xform_name(m): m for m in shape.members} if shape is not None else {}
        table[xform_name(op)] = (op, members)
    return table


def validated(method: F) -> F:
    """Check the operation's input constraints before ``method`` (named ``xform_name(Op)``) runs,
    unless the caller's endpoint has checked them (``CallContext.input_checked``)."""
    operation, members = _operations()[method.__name__]

    @functools.wraps(method)
    def wrapper(self: Any, ctx: Any, **kwargs: Any) -> Any:
        if ctx.input_checked:
            return method(self, ctx, **kwargs)
        params = {members.get(k, k): v for k, v in kwargs.items() if v is not None}
        raise_for(validation_failures(operation, params))
        return method(self, ctx, **kwargs)

    return cast(F, wrapper)


def policy_size(document: str) -> int:
    """IAM counts policy size in characters, whitespace excluded (IAM quotas page, iam-rules.md 3.2)."""
    return sum(map(len, document.split()))  # split() drops exactly what str.isspace() calls space
