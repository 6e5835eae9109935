"""Model constraints -> AWS's ValidationError text, and the service method is never called."""

from __future__ import annotations

import re
from typing import Any

import pytest
import regex  # type: ignore[import-untyped]
from protocol_doubles import Recorder, form

from eksiam.protocol import SERVICE_NAMES, AwsEndpoint, HttpRequest, service_model
from eksiam.protocol.constraints import ConstraintCompiler, java_pattern

ROLE_NAME_PATTERN = r"[\w+=,.@-]+"
FAILED = "failed to satisfy constraint: Member must"


def violations(service: str, operation: str, params: dict[str, Any]) -> list[str] | None:
    checker = ConstraintCompiler().checker(service_model(service).operation_model(operation).input_shape)
    assert checker is not None
    return checker(params)


def test_pattern_violation_is_one_validation_error(endpoint: AwsEndpoint, fakes: dict[str, Any]) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=bad%21name"))
    assert response.status == 400
    message = (
        "1 validation error detected: Value 'bad!name' at 'roleName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {ROLE_NAME_PATTERN}"
    )
    assert f"<Code>ValidationError</Code><Message>{message}</Message>".encode() in response.body
    assert fakes["iam"].calls == []


def test_missing_required_member_is_not_null_violation(endpoint: AwsEndpoint, fakes: dict[str, Any]) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08"))
    assert response.status == 400
    assert (
        b"1 validation error detected: Value null at 'roleName' failed to satisfy constraint: "
        b"Member must not be null" in response.body
    )
    assert fakes["iam"].calls == []


def test_too_long_value_names_the_limit(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=" + "x" * 65))
    assert response.status == 400
    assert (
        b"1 validation error detected: Value '"
        + b"x" * 65
        + b"' at 'roleName' failed to satisfy constraint: "
        b"Member must have length less than or equal to 64</Message>" in response.body
    )


def test_several_violations_are_counted_and_joined_with_semicolons(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName="))
    message = (
        "2 validation errors detected: "
        f"Value '' at 'roleName' {FAILED} have length greater than or equal to 1; "
        f"Value '' at 'roleName' {FAILED} satisfy regular expression pattern: {ROLE_NAME_PATTERN}"
    )
    assert f"<Message>{message}</Message>".encode() in response.body


def test_violations_follow_the_input_shapes_member_order() -> None:
    found = violations("iam", "CreateRole", {"RoleName": "ok", "AssumeRolePolicyDocument": "{}", "Path": "x"})
    assert found == [
        "Value 'x' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
    ]


def test_number_range_and_enum_rules() -> None:
    assert violations("iam", "ListRoles", {"MaxItems": 0}) == [
        f"Value '0' at 'maxItems' {FAILED} have value greater than or equal to 1"
    ]
    assert violations("iam", "UpdateAccessKey", {"AccessKeyId": "AKIAEXAMPLE00000", "Status": "On"}) == [
        f"Value 'On' at 'status' {FAILED} satisfy enum value set: [Active, Inactive, Expired]"
    ]


def test_nested_list_items_are_addressed_like_aws() -> None:
    tags = [{"Key": "ok", "Value": "v"}, {"Key": "bad!", "Value": "v"}]
    (message,) = violations("iam", "TagRole", {"RoleName": "r", "Tags": tags}) or []
    assert message.startswith(
        "Value 'bad!' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy"
    )


def test_sensitive_values_are_not_echoed() -> None:
    found = violations("iam", "CreateLoginProfile", {"Password": ""})
    assert found == [
        f"Value at 'password' {FAILED} have length greater than or equal to 1",
        "Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    ]


def test_java_classes_are_ascii_but_unicode_properties_are_not() -> None:
    assert java_pattern(ROLE_NAME_PATTERN).fullmatch("Role_1+=,.@-")
    assert not java_pattern(ROLE_NAME_PATTERN).fullmatch("rôle")
    tag_key = java_pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+")
    assert tag_key.fullmatch("équipe 1")
    assert not tag_key.fullmatch("team!")


@pytest.mark.parametrize(
    ("path", "query"),
    [("/clusters", "maxResults=0"), ("/clusters", "maxResults=101")],
)
def test_rest_json_violation_uses_the_services_validation_code(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder, path: str, query: str
) -> None:
    response = endpoint.handle(HttpRequest("GET", path, query))
    assert response.status == 400
    assert response.header("x-amzn-ErrorType") == "InvalidParameterException"
    assert response.body.startswith(b'{"message":"1 validation error detected: Value ')
    assert b"at 'maxResults' failed to satisfy constraint: Member must have value" in response.body
    assert fakes["eks"].calls == []
    assert len(auth.routed) == 1


def _model_patterns() -> set[str]:
    patterns: set[str] = set()
    for name in SERVICE_NAMES:
        model = service_model(name)
        for shape_name in model.shape_names:
            pattern = model.shape_for(shape_name).metadata.get("pattern")
            if pattern:
                patterns.add(pattern)
    return patterns


PROBES = [
    "",
    "a",
    "Role_1+=,.@-",
    "rôle",
    "équipe 1",
    "arn:aws:iam::123456789012:role/service-role/x",
    "/path/to/",
    "a b\tc\nd\re",
    "\u00ff\u0100",
    "日本語",
    "[x]",
    "-",
    "sts.amazonaws.com",
    '{"Version":"2012-10-17"}',
    "\x00",
    "\U0001f600",
    "1.29",
    "AKIAIOSFODNN7EXAMPLE",
]


def test_every_model_pattern_means_the_same_whichever_engine_runs_it() -> None:
    """``java_pattern`` hands most patterns to ``re``; each must decide as ``regex`` would."""
    patterns = _model_patterns()
    assert len(patterns) > 50
    on_re = 0
    for pattern in patterns:
        compiled = java_pattern(pattern)
        reference = regex.compile(compiled.pattern)  # type: ignore[attr-defined]
        on_re += isinstance(compiled, re.Pattern)
        for probe in PROBES + [pattern]:
            assert bool(compiled.fullmatch(probe)) == bool(reference.fullmatch(probe)), (pattern, probe)
    assert on_re > len(patterns) // 2  # most patterns run on the faster engine


def test_unicode_property_classes_still_compile_with_regex() -> None:
    assert not isinstance(java_pattern(r"[\p{L}]+"), re.Pattern)
