"""Which service and operation a raw request reaches: credential scope, Version, REST templates."""

from __future__ import annotations

from typing import Any

import pytest
from protocol_doubles import Recorder, form

from eksiam.protocol import AwsEndpoint, HttpRequest, scope_service


def signed(service: str, method: str, path: str, body: bytes = b"", query: str = "") -> HttpRequest:
    auth = (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    headers = [("Authorization", auth), ("Content-Type", "application/x-www-form-urlencoded")]
    return HttpRequest(method, path, query, headers, body)


def test_scope_service_reads_header_and_presigned_query() -> None:
    assert scope_service(signed("eks-auth", "POST", "/")) == "eks-auth"
    presigned = HttpRequest(
        "GET",
        "/",
        "Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20240501%2Fus-east-1%2Fsts%2Faws4_request",
    )
    assert scope_service(presigned) == "sts"
    assert scope_service(HttpRequest("GET", "/")) is None


def test_credential_scope_picks_the_service(endpoint: AwsEndpoint, auth: Recorder) -> None:
    endpoint.handle(signed("sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15"))
    endpoint.handle(signed("eks", "GET", "/clusters/prod"))
    assert [(r.service, r.operation) for r in auth.routed] == [
        ("sts", "GetCallerIdentity"),
        ("eks", "DescribeCluster"),
    ]


def test_scope_of_a_query_service_with_the_other_services_version_is_invalid_action(
    endpoint: AwsEndpoint,
) -> None:
    response = endpoint.handle(signed("iam", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15"))
    assert response.status == 400
    assert b"<Code>InvalidAction</Code>" in response.body
    assert b"Could not find operation GetCallerIdentity for version 2011-06-15" in response.body


def test_version_picks_the_query_service_when_unsigned(endpoint: AwsEndpoint, auth: Recorder) -> None:
    endpoint.handle(form("Action=GetRole&Version=2010-05-08&RoleName=r"))
    endpoint.handle(form("Action=GetCallerIdentity&Version=2011-06-15"))
    assert [r.service for r in auth.routed] == ["iam", "sts"]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            "Version=2010-05-08&RoleName=r",
            b"MissingAction",
            b"The request is missing an action or a required parameter.",
        ),
        (
            "Action=GetRole&RoleName=r",
            b"InvalidAction",
            b"Could not find operation GetRole for version NO_VERSION_SPECIFIED",
        ),
        (
            "Action=GetRole&Version=2010-05-09",
            b"InvalidAction",
            b"Could not find operation GetRole for version 2010-05-09",
        ),
        (
            "Action=GetRoles&Version=2010-05-08",
            b"InvalidAction",
            b"Could not find operation GetRoles for version 2010-05-08",
        ),
    ],
)
def test_action_and_version_errors(
    endpoint: AwsEndpoint, fakes: dict[str, Any], auth: Recorder, body: str, code: bytes, message: bytes
) -> None:
    response = endpoint.handle(form(body))
    assert response.status == 400
    assert (
        b"<Type>Sender</Type><Code>" + code + b"</Code><Message>" + message + b"</Message>" in response.body
    )
    assert auth.routed == [] and fakes["iam"].calls == []


def test_eks_auth_path_is_eks_auth_without_a_scope(endpoint: AwsEndpoint, auth: Recorder) -> None:
    request = HttpRequest(
        "POST", "/clusters/prod/assume-role-for-pod-identity", "", [], b'{"token": "aa.bb.cc"}'
    )
    response = endpoint.handle(request)
    assert [(r.service, r.operation) for r in auth.routed] == [("eks-auth", "AssumeRoleForPodIdentity")]
    assert response.status == 501
    assert response.header("x-amzn-ErrorType") == "NotImplemented"
    assert b"EKS Auth operation AssumeRoleForPodIdentity" in response.body


def test_rest_templates_match_raw_path_then_decode_labels(
    endpoint: AwsEndpoint, fakes: dict[str, Any]
) -> None:
    assert endpoint.handle(HttpRequest("GET", "/clusters/a%20b/")).status == 200
    assert (
        endpoint.handle(HttpRequest("GET", "/clusters", "maxResults=5&include=all&include=x")).status == 200
    )
    assert fakes["eks"].calls == [
        ("DescribeCluster", {"name": "a b"}),
        ("ListClusters", {"max_results": 5, "next_token": None, "include": ["all", "x"]}),
    ]


def test_label_with_encoded_slash_stays_one_segment(endpoint: AwsEndpoint, auth: Recorder) -> None:
    path = "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fnode"
    endpoint.handle(HttpRequest("GET", path))
    assert auth.routed[0].operation == "DescribeAccessEntry"


def test_unknown_rest_path_is_unknown_operation(endpoint: AwsEndpoint, auth: Recorder) -> None:
    response = endpoint.handle(HttpRequest("PATCH", "/clusters/prod"))
    assert response.status == 404
    assert response.header("x-amzn-ErrorType") == "UnknownOperationException"
    assert auth.routed == []


def test_is_aws_request_leaves_server_paths_alone(endpoint: AwsEndpoint) -> None:
    assert endpoint.is_aws_request(HttpRequest("POST", "/"))
    assert endpoint.is_aws_request(HttpRequest("GET", "/clusters/prod"))
    assert endpoint.is_aws_request(signed("eks", "GET", "/nowhere"))
    assert not endpoint.is_aws_request(HttpRequest("GET", "/_eksiam/health"))
    assert not endpoint.is_aws_request(HttpRequest("GET", "/id/ABC/.well-known/openid-configuration"))
    assert not endpoint.is_aws_request(HttpRequest("GET", "/api/v1/namespaces"))


def test_presigned_get_caller_identity_routes_to_sts(endpoint: AwsEndpoint, auth: Recorder) -> None:
    """The shape of an EKS bearer token's URL (k8s-aws-v1.<base64url of a presigned STS GET>)."""
    query = (
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIDEXAMPLE%2F20240501%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240501T000000Z"
        "&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=00"
    )
    response = endpoint.handle(HttpRequest("GET", "/", query, [("x-k8s-aws-id", "prod")]))
    assert response.status == 200
    assert [(r.service, r.operation) for r in auth.routed] == [("sts", "GetCallerIdentity")]


def test_query_action_on_another_path_is_still_query(endpoint: AwsEndpoint, auth: Recorder) -> None:
    response = endpoint.handle(form("Action=GetCallerIdentity&Version=2011-06-15", path="/sts/"))
    assert response.status == 200
    assert auth.routed[0].operation == "GetCallerIdentity"
