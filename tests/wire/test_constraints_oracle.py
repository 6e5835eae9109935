"""Our constraint checker never misses what botocore's own validator catches (required and min).

botocore validates only required members and minimums on the client side; AWS checks the same
rules server side for clients that skip validation. For generated inputs (required members
sometimes dropped, strings and lists sometimes empty), every botocore finding must appear among
ours, at the path AWS prints (``tags.1.member.key`` for botocore's ``.Tags[0].Key``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.model import ListShape, Shape, StructureShape
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shape_strategies import for_shape

from eksiam.protocol import service_model
from eksiam.protocol.constraints import ConstraintCompiler

SERVICES = ("iam", "sts", "eks", "eks-auth")
OPERATIONS = [
    (s, op)
    for s in SERVICES
    for op in service_model(s).operation_names
    if service_model(s).operation_model(op).input_shape is not None
]
EXAMPLES = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_AT = re.compile(
    r"at '([^']*)' failed to satisfy constraint: "
    r"Member must (not be null|have length greater|have value greater)"
)


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def aws_path(shape: Shape, botocore_name: str) -> str | None:
    """botocore's ``.Tags[0].Key`` as AWS prints it, or None when it passes through a map."""
    parts: list[str] = []
    for member, index in _TOKEN.findall(botocore_name):
        if member:
            if not isinstance(shape, StructureShape):
                return None
            parts.append(lower_camel(member))
            shape = shape.members[member]
        else:
            if not isinstance(shape, ListShape):
                return None
            parts += [str(int(index) + 1), "member"]
            shape = shape.member
    return ".".join(parts)


def botocore_findings(shape: StructureShape, params: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for kind, name, detail in ParamValidator().validate(params, shape)._errors:
        path = aws_path(shape, name)
        if path is None:
            continue
        if kind == "missing required field":
            found.add(((path + "." if path else "") + lower_camel(detail["required_name"]), "not be null"))
        elif kind == "invalid length":
            found.add((path, "have length greater"))
        elif kind == "invalid range":
            found.add((path, "have value greater"))
    return found


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@given(data=st.data())
@EXAMPLES
def test_every_botocore_finding_is_ours_too(service: str, operation: str, data: st.DataObject) -> None:
    shape = service_model(service).operation_model(operation).input_shape
    params = data.draw(for_shape(shape))
    dropped = (
        data.draw(st.sets(st.sampled_from(sorted(shape.required_members))))
        if shape.required_members
        else set()
    )
    params = {k: v for k, v in params.items() if k not in dropped}
    checker = ConstraintCompiler().checker(shape)
    ours = {m.groups() for m in map(_AT.search, checker(params) if checker else []) if m}
    assert botocore_findings(shape, params) <= ours
