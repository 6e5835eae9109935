"""What a resource handler is: create, update in place (or say it cannot), delete, by calling the
IAM and EKS services in-process with the caller's context, so every IAM/EKS rule, quota, error
and authorization check applies exactly as for a direct API call (CloudFormation acts with the
caller's credentials when no service role is given: "AWS CloudFormation service role").

Rules:

1. ``create`` either provisions the resource completely or leaves nothing behind and raises the
   service's error; its message becomes the resource's ResourceStatusReason.
2. ``delete`` of a resource that is already gone succeeds (CloudFormation treats a missing
   resource as deleted).
3. ``update`` returns None when the change needs replacement; the engine then creates a new
   resource and deletes the old one.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from eksiam.errors import ServiceError
from eksiam.services.context import CallContext

_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    ctx: CallContext
    stack_name: str
    logical_id: str
    properties: Mapping[str, Any]
    stack_tags: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True, slots=True)
class Provisioned:
    physical_id: str
    ref: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)


class Handler(Protocol):
    type_name: str
    name_property: str | None  # the property that names the resource (CAPABILITY_NAMED_IAM)
    capability_iam: bool  # creating one needs CAPABILITY_IAM

    def create(self, request: ResourceRequest) -> Provisioned: ...

    def update(
        self, request: ResourceRequest, old: Provisioned, old_properties: Mapping[str, Any]
    ) -> Provisioned | None: ...

    def delete(self, ctx: CallContext, physical_id: str, properties: Mapping[str, Any]) -> None: ...


def generated_name(stack_name: str, logical_id: str, limit: int) -> str:
    """``<stack>-<logicalId>-<13 random upper alnum>`` cut to the resource's name limit
    ("Name type": "CloudFormation generates a unique physical ID ... stack name, logical ID and a
    random string"); the stack and logical parts are shortened, never the random suffix."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(13))
    head = f"{stack_name}-{logical_id}"
    room = limit - len(suffix) - 1
    return f"{head[:room]}-{suffix}"


def short_physical_id(stack_name: str, logical_id: str) -> str:
    """Physical ids of resources that have no name of their own (AWS::IAM::Policy): the first
    five characters of stack and logical id, then a random suffix (``stack-Polic-1A2B3C4D5E6F``)."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{stack_name[:5]}-{logical_id[:5]}-{suffix}"


def document(value: Any) -> str:
    """Policy documents may be given as JSON objects or as text; IAM takes text."""
    return value if isinstance(value, str) else json.dumps(value)


def merged_tags(request: ResourceRequest) -> list[dict[str, str]]:
    """Stack tags first, then the resource's own Tags, which win on the same key ("Tag your
    CloudFormation resources": stack-level tags propagate to resources that support tagging)."""
    merged: dict[str, str] = {t["Key"]: str(t.get("Value", "")) for t in request.stack_tags}
    for tag in request.properties.get("Tags") or []:
        merged[str(tag["Key"])] = str(tag.get("Value", ""))
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def ignore_missing(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run a delete step; a resource that is already gone is deleted (rule 2)."""
    try:
        call(*args, **kwargs)
    except ServiceError as error:
        if error.code not in ("NoSuchEntity", "ResourceNotFoundException"):
            raise


@contextmanager
def undo_on_failure(undo: Callable[[], None]) -> Iterator[None]:
    """Rule 1: a half-provisioned resource is removed before the error propagates."""
    try:
        yield
    except Exception:
        with suppress(ServiceError):
            undo()
        raise


def as_int(value: Any) -> int | None:
    return None if value is None else int(value)


def as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() == "true"
