"""Broken requests get a 4xx in the service's own shape; nothing reaches authenticate or the service."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.parsers import create_parser
from protocol_doubles import Recorder, ResourceNotFound, form

from eksiam.protocol import AwsEndpoint, HttpRequest, HttpResponse


def error_of(response: HttpResponse, protocol: str) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers}
    parsed: dict[str, Any] = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, None
    )
    return parsed["Error"]


def assert_untouched(fakes: dict[str, Any], auth: Recorder) -> None:
    assert auth.routed == []
    assert all(fake.calls == [] for fake in fakes.values())


@pytest.mark.parametrize(
    "body",
    [
        b"Action=GetRole&Version=2010-05-08&RoleName=a%zzb",
        b"Action=GetRole&Version=2010-05-08&RoleName=a%4",
        b"Action=GetRole&Version=2010-05-08&RoleName=%C3%28",
        b"Action=GetRole&Version=2010-05-08&RoleName=\xff\xfe",
    ],
)
def test_broken_encoding_is_malformed_query_string(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder, body: bytes
) -> None:
    request = HttpRequest("POST", "/", "", [("Content-Type", "application/x-www-form-urlencoded")], body)
    response = endpoint.handle(request)
    assert response.status == 404  # AWS Common Errors: MalformedQueryString is HTTP 404
    assert error_of(response, "query")["Code"] == "MalformedQueryString"
    assert_untouched(fakes, auth)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems=ten",
            "Value (ten) for parameter MaxItems is invalid.",
        ),
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems=1e3",
            "Value (1e3) for parameter MaxItems is invalid.",
        ),
        (
            "Action=ListRoles&Version=2010-05-08&MaxItems.member.1=1",
            "Value ((structured value)) for parameter",
        ),
    ],
)
def test_wrong_scalar_type_is_invalid_parameter_value(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder, body: str, message: str
) -> None:
    response = endpoint.handle(form(body))
    assert response.status == 400
    error = error_of(response, "query")
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"].startswith(message)
    assert_untouched(fakes, auth)


def test_oversized_body_is_413_before_parsing(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder
) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=" + "a" * 5000))
    assert response.status == 413
    assert error_of(response, "query")["Code"] == "RequestEntityTooLarge"
    assert_untouched(fakes, auth)
    big_json = HttpRequest("POST", "/clusters", "", [], b'{"name": "' + b"a" * 5000 + b'"}')
    response = endpoint.handle(big_json)
    assert response.status == 413
    assert response.header("x-amzn-ErrorType") == "RequestEntityTooLarge"
    assert_untouched(fakes, auth)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[1, 2]",
        b'{"name": 5, "roleArn": "r", "resourcesVpcConfig": {}}',
        b"\xff\xfe{}",
        b'{"name": "n", "roleArn": "r", "resourcesVpcConfig": {"subnetIds": "subnet-1"}}',
        b'{"name": "n", "roleArn": "r", "resourcesVpcConfig": {}, "tags": {"a": 1}}',
        # RFC 8259 has no NaN or infinities; Python's json module would read them
        b'{"name": "n", "roleArn": "r", "resourcesVpcConfig": {}, "x": NaN}',
        b'{"name": "n", "roleArn": "r", "resourcesVpcConfig": {}, "x": -Infinity}',
    ],
)
def test_bad_json_is_serialization_exception(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder, body: bytes
) -> None:
    response = endpoint.handle(
        HttpRequest("POST", "/clusters", "", [("Content-Type", "application/json")], body)
    )
    assert response.status == 400
    assert response.header("x-amzn-ErrorType") == "SerializationException"
    assert error_of(response, "rest-json")["Code"] == "SerializationException"
    assert_untouched(fakes, auth)


def test_bad_query_string_value_on_rest_json(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder
) -> None:
    response = endpoint.handle(HttpRequest("GET", "/clusters", "maxResults=many"))
    assert response.status == 400
    assert response.header("x-amzn-ErrorType") == "SerializationException"
    assert_untouched(fakes, auth)


def test_valid_json_body_reaches_the_service_with_model_names(
    endpoint: AwsEndpoint, fakes: dict[str, Any]
) -> None:
    body = (
        b'{"name": "prod", "roleArn": "arn:aws:iam::123456789012:role/eks", '
        b'"resourcesVpcConfig": {"subnetIds": ["s-1"]}}'
    )
    response = endpoint.handle(
        HttpRequest("POST", "/clusters", "", [("Content-Type", "application/json")], body)
    )
    assert response.status == 200
    assert fakes["eks"].calls == [
        (
            "CreateCluster",
            {
                "name": "prod",
                "role_arn": "arn:aws:iam::123456789012:role/eks",
                "resources_vpc_config": {"subnetIds": ["s-1"]},
            },
        )
    ]
    assert response.body == b'{"cluster":{"name":"prod","createdAt":1714566600}}'


def test_authenticate_failure_is_answered_in_the_service_protocol(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder
) -> None:
    auth.fail_with = ResourceNotFound("nope")
    auth.fail_with.code = "AccessDenied"  # type: ignore[misc]
    auth.fail_with.status = 403  # type: ignore[misc]
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=r"))
    assert response.status == 403
    assert error_of(response, "query")["Code"] == "AccessDenied"
    response = endpoint.handle(HttpRequest("GET", "/clusters/prod"))
    assert response.status == 403
    assert response.header("x-amzn-ErrorType") == "AccessDenied"
    assert all(fake.calls == [] for fake in fakes.values())


def test_eks_service_error_carries_modelled_members(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(HttpRequest("GET", "/clusters/missing"))
    assert response.status == 404
    assert response.header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert response.body == b'{"message":"No cluster found for name: missing.","clusterName":"missing"}'


def test_operation_without_a_method_is_not_implemented_naming_it(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(HttpRequest("DELETE", "/clusters/prod"))
    assert response.status == 501
    assert error_of(response, "rest-json") == {
        "Code": "NotImplemented",
        "Message": "eksiam does not implement EKS operation DeleteCluster yet.",
    }


def test_deeply_nested_input_is_a_client_error(fakes: dict[str, Any], auth: Recorder) -> None:
    endpoint = AwsEndpoint(fakes, auth)
    deep_json = b'{"name": "n", "tags": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    response = endpoint.handle(
        HttpRequest("POST", "/clusters", "", [("Content-Type", "application/json")], deep_json)
    )
    assert response.status == 400
    assert response.header("x-amzn-ErrorType") == "SerializationException"
    deep_form = (
        "Action=TagRole&Version=2010-05-08&RoleName=r&" + ".".join(["Tags"] + ["member.1"] * 50_000) + "=x"
    )
    response = endpoint.handle(form(deep_form))
    assert response.status == 400
    assert error_of(response, "query")["Message"].startswith(
        "2 validation errors detected: Value null at 'tags.1"
    )
    assert all(fake.calls == [] for fake in fakes.values())
