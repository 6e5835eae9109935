"""A tiny in-test service layer (test doubles for services): enough methods to drive dispatch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eksiam.errors import ServiceError
from eksiam.protocol import HttpRequest, RoutedOperation
from eksiam.storage.errors import Unavailable

CREATED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


class NoSuchEntity(ServiceError):
    code = "NoSuchEntity"
    status = 404
    sender_fault = True


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"
    status = 404
    sender_fault = True


class FakeIam:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_role(self, ctx: object, *, role_name: str) -> dict[str, Any]:
        self.calls.append(("GetRole", {"role_name": role_name}))
        if role_name == "missing":
            raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
        if role_name == "boom":
            raise RuntimeError("secret-looking detail AKIAEXAMPLE")
        if role_name == "busy":
            raise Unavailable("gave up after 40 attempts that conflicted or lost the database")
        return {
            "Role": {
                "Path": "/",
                "RoleName": role_name,
                "RoleId": "AROAEXAMPLE0000000001",
                "Arn": f"arn:aws:iam::123456789012:role/{role_name}",
                "CreateDate": CREATED,
                "AssumeRolePolicyDocument": "%7B%7D",
                "Tags": [{"Key": "team", "Value": "a&b<c>"}],
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
        self.calls.append(
            ("ListRoles", {"path_prefix": path_prefix, "marker": marker, "max_items": max_items})
        )
        return {"Roles": [], "IsTruncated": False}


class FakeSts:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_caller_identity(self, ctx: object) -> dict[str, Any]:
        self.calls.append(("GetCallerIdentity", {}))
        return {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root"}


class FakeEks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_cluster(self, ctx: object, *, name: str) -> dict[str, Any]:
        self.calls.append(("DescribeCluster", {"name": name}))
        if name == "missing":
            raise ResourceNotFound(f"No cluster found for name: {name}.", extra={"clusterName": name})
        if name == "busy":
            raise Unavailable("the database failed: OperationalError")
        return {"cluster": {"name": name, "createdAt": CREATED, "tags": {"a": "b"}}}

    def list_clusters(
        self,
        ctx: object,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        self.calls.append(
            ("ListClusters", {"max_results": max_results, "next_token": next_token, "include": include})
        )
        return {"clusters": ["a", "b"]}

    def create_cluster(self, ctx: object, **params: Any) -> dict[str, Any]:
        self.calls.append(("CreateCluster", params))
        return {"cluster": {"name": params["name"], "createdAt": CREATED}}


class Recorder:
    def __init__(self) -> None:
        self.routed: list[RoutedOperation] = []
        self.fail_with: ServiceError | None = None

    def __call__(self, request: HttpRequest, routed: RoutedOperation) -> object:
        self.routed.append(routed)
        if self.fail_with is not None:
            raise self.fail_with
        return {"ctx-for": routed.operation}


def form(body: str, path: str = "/", query: str = "") -> HttpRequest:
    headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "localhost")]
    return HttpRequest("POST", path, query, headers, body.encode("utf-8"), "127.0.0.1")
