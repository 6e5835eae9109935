"""Query protocol through AwsEndpoint.handle: real bytes in, real bytes out, service calls observed."""

from __future__ import annotations

from typing import Any

from botocore.parsers import create_parser
from protocol_doubles import Recorder, form

from eksiam.protocol import AwsEndpoint, HttpRequest, service_model


def parse_with_botocore(service: str, operation: str, status: int, body: bytes) -> dict[str, Any]:
    op = service_model(service).operation_model(operation)
    parsed: dict[str, Any] = create_parser("query").parse(
        {"status_code": status, "headers": {}, "body": body}, op.output_shape
    )
    return parsed


def test_get_role_answers_aws_xml_that_botocore_reads(endpoint: AwsEndpoint, fakes: dict[str, Any]) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=NodeRole"))
    assert response.status == 200
    assert response.header("content-type") == "text/xml"
    request_id = response.header("x-amzn-requestid")
    assert response.body.startswith(
        b'<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path>'
        b"<RoleName>NodeRole</RoleName>"
    )
    assert b"<CreateDate>2024-05-01T12:30:00Z</CreateDate>" in response.body
    assert b"<Tags><member><Key>team</Key><Value>a&amp;b&lt;c&gt;</Value></member></Tags>" in response.body
    assert response.body.endswith(
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetRoleResponse>".encode()
    )
    parsed = parse_with_botocore("iam", "GetRole", 200, response.body)
    assert parsed["Role"]["Tags"] == [{"Key": "team", "Value": "a&b<c>"}]
    assert fakes["iam"].calls == [("GetRole", {"role_name": "NodeRole"})]


def test_authenticate_sees_routed_operation_and_its_ctx_reaches_the_method(
    endpoint: AwsEndpoint, auth: Recorder
) -> None:
    response = endpoint.handle(form("Action=GetCallerIdentity&Version=2011-06-15"))
    assert response.status == 200
    (routed,) = auth.routed
    assert (routed.service, routed.signing_name, routed.operation, routed.unsigned) == (
        "sts",
        "sts",
        "GetCallerIdentity",
        False,
    )
    assert routed.request_id == response.header("x-amzn-requestid")
    assert b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' in response.body


def test_web_identity_is_routed_as_unsigned(endpoint: AwsEndpoint, auth: Recorder) -> None:
    body = (
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r"
        "&RoleSessionName=session&WebIdentityToken=" + "x" * 10
    )
    response = endpoint.handle(form(body))
    assert auth.routed[0].unsigned is True
    assert response.status == 501
    assert b"<Code>NotImplemented</Code>" in response.body
    assert b"AssumeRoleWithWebIdentity" in response.body


def test_service_error_is_serialized_with_model_status(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=missing"))
    assert response.status == 404
    request_id = response.header("x-amzn-requestid")
    assert response.body == (
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        b"<Code>NoSuchEntity</Code><Message>The role with name missing cannot be found.</Message></Error>"
        b"<RequestId>" + request_id.encode() + b"</RequestId></ErrorResponse>"
    )


def test_unexpected_exception_is_internal_failure_without_details(endpoint: AwsEndpoint) -> None:
    response = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=boom"))
    assert response.status == 500
    assert b"<Code>InternalFailure</Code>" in response.body
    assert b"AKIAEXAMPLE" not in response.body
    assert response.header("x-amzn-requestid").encode() in response.body


def test_a_store_that_cannot_commit_is_a_retryable_service_unavailable(endpoint: AwsEndpoint) -> None:
    """Query and REST-JSON alike: 503 with AWS's transient-failure code, which botocore retries."""
    query = endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=busy"))
    assert query.status == 503
    assert b"<Code>ServiceUnavailable</Code>" in query.body and b"<Type>Receiver</Type>" in query.body
    assert b"attempts" not in query.body  # the store's reason stays in the log
    rest = endpoint.handle(HttpRequest("GET", "/clusters/busy", b"", []))
    assert rest.status == 503
    assert rest.header("x-amzn-errortype").startswith("ServiceUnavailableException")
    assert "ServiceUnavailableException" in {shape.name for shape in service_model("eks").error_shapes}


def test_get_request_with_query_string_params(endpoint: AwsEndpoint, fakes: dict[str, Any]) -> None:
    request = HttpRequest(
        "GET", "/", b"Action=ListRoles&Version=2010-05-08&MaxItems=5&PathPrefix=%2Fa%2F", []
    )
    response = endpoint.handle(request)
    assert response.status == 200
    assert fakes["iam"].calls == [("ListRoles", {"path_prefix": "/a/", "marker": None, "max_items": 5})]
    assert parse_with_botocore("iam", "ListRoles", 200, response.body)["IsTruncated"] is False
