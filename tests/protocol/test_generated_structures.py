"""Structures compile to generated straight-line source (shape_walk rule 4): what they answer must be
what their members' own readers and checks answer, member by member, in the model's order."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.model import StructureShape

from eksiam.protocol import service_model
from eksiam.protocol.constraints import ConstraintCompiler, _fits, _Limits, _violation
from eksiam.protocol.models import lower_camel
from eksiam.protocol.query_parser import BadValue, QueryInputCompiler, _read_integer, fold

OPERATIONS = [
    ("sts", "AssumeRoleWithWebIdentity"),
    ("sts", "AssumeRole"),
    ("iam", "CreateRole"),
    ("iam", "TagRole"),
    ("iam", "ListRoles"),
    ("iam", "UpdateAccessKey"),
]


def _shape(service: str, operation: str) -> StructureShape:
    shape = service_model(service).operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def _reference(compiler: ConstraintCompiler, shape: Any, value: Any, path: str, out: list[str]) -> None:
    """The violations by a plain walk of the model: every rule of every value, no quick test and no
    generated code (what the compiled checkers must agree with)."""
    if isinstance(shape, StructureShape):
        required = set(shape.required_members)
        for name, member in shape.members.items():
            label = lower_camel(name)
            where = f"{path}.{label}" if path else label
            inner = value.get(name)
            if inner is None:
                if name in required:
                    sensitive = bool(member.metadata.get("sensitive"))
                    out.append(_violation(None, where, "Member must not be null", sensitive))
                continue
            _reference(compiler, member, inner, where, out)
        return
    limits = _Limits.of(shape)
    if limits.any:
        for rule in compiler._leaf_rules(limits):
            broken = rule(value)
            if broken is not None:
                out.append(_violation(value, path, broken, bool(shape.metadata.get("sensitive"))))
    if shape.type_name == "list":
        for i, item in enumerate(value, 1):
            if item is not None:
                _reference(compiler, shape.member, item, f"{path}.{i}.member", out)


_TEXTS = ["", "a", "ok-name", "bad name!", "x" * 63, "x" * 64, "x" * 65, "arn:aws:iam::123456789012:role/r"]
_NUMBERS = [-1, 0, 1, 899, 900, 901, 3600, 43200, 43201, 1000, 1001]


def _draw(rng: random.Random, member: Any) -> Any:
    kind = member.type_name
    if kind in ("integer", "long"):
        return rng.choice(_NUMBERS)
    if kind == "string":
        return rng.choice([*_TEXTS, *(getattr(member, "enum", None) or [])])
    if kind == "list":
        return [_draw(rng, member.member) for _ in range(rng.randint(0, 3))]
    if kind == "structure":
        return {name: _draw(rng, inner) for name, inner in member.members.items() if rng.random() < 0.7}
    return None


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_generated_checker_agrees_with_a_plain_walk_of_the_model(service: str, operation: str) -> None:
    shape = _shape(service, operation)
    compiler = ConstraintCompiler()
    checker = compiler.checker(shape)
    assert checker is not None
    rng = random.Random(f"{service}:{operation}")
    broken = 0
    required = set(shape.required_members)
    for _ in range(400):
        params = {
            name: _draw(rng, member)
            for name, member in shape.members.items()
            if rng.random() < (0.95 if name in required else 0.25)
        }
        expected: list[str] = []
        _reference(compiler, shape, params, "", expected)
        assert checker(params) == expected, params
        broken += bool(expected)
    assert 0 < broken < 400  # the draws reach both answers


def test_nested_structure_paths_are_prefixed_by_the_parent() -> None:
    compiler = ConstraintCompiler()
    check = compiler.compile(_shape("sts", "AssumeRole").members["PolicyArns"].member)
    out: list[str] = []
    check({"arn": "short"}, "policyArns.1.member", out)
    assert out == [
        "Value 'short' at 'policyArns.1.member.arn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20"
    ]


@pytest.mark.parametrize(
    "text", ["900", "0900", "+900", "-5", "9" * 19, "9" * 20, "", "1e3", " 900", "９００", "0x10", "12a"]
)
def test_generated_integer_reading_equals_the_integer_reader(text: str) -> None:
    read = QueryInputCompiler().input_reader(_shape("sts", "AssumeRoleWithWebIdentity"))
    try:
        expected: Any = _read_integer(text)
    except BadValue as bad:
        expected = bad.expected
    try:
        got: Any = read(fold([("DurationSeconds", text)]))["DurationSeconds"]
    except Exception as error:  # the reader's InvalidParameterValue
        assert f"Value ({text}) for parameter DurationSeconds is invalid. Expected an integer." in str(error)
        got = "an integer"
    assert got == expected


def test_a_structured_value_where_text_belongs_is_invalid_with_its_key() -> None:
    read = QueryInputCompiler().input_reader(_shape("sts", "AssumeRoleWithWebIdentity"))
    with pytest.raises(Exception, match=r"parameter RoleArn is invalid\. Expected a string"):
        read(fold([("RoleArn.x", "1")]))


def test_a_structure_given_as_an_empty_value_is_empty() -> None:
    read = QueryInputCompiler().input_reader(_shape("iam", "CreateRole"))
    assert read(fold([("RoleName", "r"), ("Tags", "")])) == {"RoleName": "r", "Tags": []}


def test_bounds_that_are_not_integers_are_bound_by_name() -> None:
    limits = _Limits(numeric=True, low=0.5, high=float("inf"), pattern=None, compiled=None, allowed=None)
    fits = _fits(limits)
    assert fits(0.5) and fits(1e300)
    assert not fits(0.25)
