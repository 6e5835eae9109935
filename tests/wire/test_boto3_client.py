"""boto3 clients, whole stack (validation, signing, retries, error parsing), against AwsEndpoint.

A ``before-send`` hook hands botocore's prepared request to ``AwsEndpoint.handle`` and gives its
response back, so everything but the socket is the real client. Responses come from a small
in-test service double, so these tests pin the wire, not IAM/EKS semantics.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError

from eksiam.errors import DynamicError
from eksiam.protocol import AwsEndpoint, HttpRequest, RoutedOperation

CREATED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


class Double:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def get_role(self, ctx: object, *, role_name: str) -> dict[str, Any]:
        self.seen.append(("get_role", {"role_name": role_name}))
        if role_name == "missing":
            raise DynamicError("NoSuchEntity", f"The role with name {role_name} cannot be found.", status=404)
        return {
            "Role": {
                "Path": "/",
                "RoleName": role_name,
                "RoleId": "AROAEXAMPLE",
                "CreateDate": CREATED,
                "Arn": f"arn:aws:iam::123456789012:role/{role_name}",
            }
        }

    def list_roles(
        self,
        ctx: object,
        *,
        path_prefix: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        self.seen.append(("list_roles", {"marker": marker, "max_items": max_items}))
        names = ["a", "b", "c"]
        start = names.index(marker) if marker else 0
        page = names[start : start + (max_items or 100)]
        rest = names[start + len(page) :]
        roles = [
            {
                "Path": "/",
                "RoleName": n,
                "RoleId": "AROA" + n,
                "CreateDate": CREATED,
                "Arn": f"arn:aws:iam::123456789012:role/{n}",
            }
            for n in page
        ]
        return {"Roles": roles, "IsTruncated": bool(rest), **({"Marker": rest[0]} if rest else {})}

    def get_caller_identity(self, ctx: object) -> dict[str, Any]:
        return {
            "UserId": "AIDAEXAMPLE",
            "Account": "123456789012",
            "Arn": "arn:aws:iam::123456789012:user/me",
        }

    def describe_cluster(self, ctx: object, *, name: str) -> dict[str, Any]:
        self.seen.append(("describe_cluster", {"name": name}))
        if name == "gone":
            raise DynamicError(
                "ResourceNotFoundException",
                f"No cluster found for name: {name}.",
                status=404,
                extra={"clusterName": name},
            )
        return {"cluster": {"name": name, "createdAt": CREATED, "tags": {"team": "a"}}}


@pytest.fixture
def double() -> Double:
    return Double()


@pytest.fixture
def routed() -> list[RoutedOperation]:
    return []


@pytest.fixture
def session(double: Double, routed: list[RoutedOperation]) -> Iterator[boto3.Session]:
    def authenticate(request: HttpRequest, op: RoutedOperation) -> object:
        routed.append(op)
        return None

    endpoint = AwsEndpoint({"iam": double, "sts": double, "eks": double}, authenticate)

    def send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        if hasattr(body, "read"):
            body = body.read()
        headers = [
            (k, v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in request.headers.items()
        ]
        ours = endpoint.handle(
            HttpRequest(request.method, url.path or "/", url.query, headers, body, "127.0.0.1")
        )
        return AWSResponse(request.url, ours.status, dict(ours.headers), _Raw(ours.body))

    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    session.events.register("before-send", send)
    yield session


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


def client(session: boto3.Session, name: str) -> Any:
    return session.client(name, endpoint_url="http://127.0.0.1:1")


def test_iam_get_role_and_its_error(session: boto3.Session, double: Double) -> None:
    iam = client(session, "iam")
    role = iam.get_role(RoleName="NodeRole")["Role"]
    assert role["RoleName"] == "NodeRole"
    assert role["CreateDate"] == CREATED
    with pytest.raises(ClientError) as caught:
        iam.get_role(RoleName="missing")
    error = caught.value.response
    assert error["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The role with name missing cannot be found.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert type(caught.value).__name__ == "NoSuchEntityException"


def test_iam_paginator_follows_markers(session: boto3.Session, double: Double) -> None:
    pages = client(session, "iam").get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
    assert [r["RoleName"] for page in pages for r in page["Roles"]] == ["a", "b", "c"]
    assert [c[1] for c in double.seen] == [{"marker": None, "max_items": 2}, {"marker": "c", "max_items": 2}]


def test_sts_and_its_routing(session: boto3.Session, routed: list[RoutedOperation]) -> None:
    assert client(session, "sts").get_caller_identity()["Account"] == "123456789012"
    assert (routed[0].service, routed[0].signing_name, routed[0].unsigned) == ("sts", "sts", False)


def test_eks_describe_cluster_and_modelled_error(session: boto3.Session) -> None:
    eks = client(session, "eks")
    cluster = eks.describe_cluster(name="prod")["cluster"]
    assert cluster == {"name": "prod", "createdAt": CREATED, "tags": {"team": "a"}}
    with pytest.raises(eks.exceptions.ResourceNotFoundException) as caught:
        eks.describe_cluster(name="gone")
    assert caught.value.response["clusterName"] == "gone"
    assert caught.value.response["Error"]["Message"] == "No cluster found for name: gone."


def test_not_implemented_operation_is_a_client_visible_501(session: boto3.Session) -> None:
    eks = client(session, "eks")
    with pytest.raises(ClientError) as caught:
        eks.list_clusters()
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
