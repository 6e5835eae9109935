"""Micro-benchmark of the protocol layer: microseconds per parse, serialize and full handle.

Run: ``python benchmarks/protocol_micro.py``. Requests are the bytes botocore's own serializers
produce (as the aws CLI and boto3 send them); results are realistic GetRole / GetCallerIdentity /
DescribeCluster dicts. "handle" is AwsEndpoint.handle end to end with a no-op authenticate and an
in-memory service object, i.e. the protocol's whole per-request cost without SigV4 and storage.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from eksiam.protocol import AwsEndpoint, HttpRequest, service_model
from eksiam.protocol.codecs import codec_for
from eksiam.protocol.models import service_info

NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
ROLE = {
    "Role": {
        "Path": "/",
        "RoleName": "AmazonEKSNodeRole",
        "RoleId": "AROAEXAMPLE0000000001",
        "Arn": "arn:aws:iam::123456789012:role/AmazonEKSNodeRole",
        "CreateDate": NOW,
        "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
        "MaxSessionDuration": 3600,
        "RoleLastUsed": {},
    }
}
IDENTITY = {
    "UserId": "AIDAEXAMPLE0000000001",
    "Account": "123456789012",
    "Arn": "arn:aws:iam::123456789012:user/me",
}
CLUSTER = {
    "cluster": {
        "name": "demo",
        "arn": "arn:aws:eks:us-east-1:123456789012:cluster/demo",
        "createdAt": NOW,
        "version": "1.31",
        "roleArn": "arn:aws:iam::123456789012:role/eks",
        "status": "ACTIVE",
        "identity": {"oidc": {"issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"}},
        "tags": {"team": "a"},
    }
}


def botocore_request(service: str, operation: str, params: dict[str, Any]) -> HttpRequest:
    model = service_model(service)
    op = model.operation_model(operation)
    request_dict = create_serializer(model.protocol).serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint_url="https://example.amazonaws.com")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
    headers = [
        *prepared.headers.items(),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/{model.signing_name}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00",
        ),
    ]
    return HttpRequest(prepared.method, url.path or "/", url.query, headers, body, "127.0.0.1")


class Services:
    def get_role(self, ctx: object, *, role_name: str) -> dict[str, Any]:
        return ROLE

    def get_caller_identity(self, ctx: object) -> dict[str, Any]:
        return IDENTITY

    def describe_cluster(self, ctx: object, *, name: str) -> dict[str, Any]:
        return CLUSTER


def micros(fn: Callable[[], object], number: int = 20000) -> float:
    """Best of five runs, in CPU time of this process, so other load on the machine counts less."""
    best = min(timeit.repeat(fn, number=number, repeat=5, timer=time.process_time))
    return best / number * 1e6


def main() -> None:
    impl = Services()
    endpoint = AwsEndpoint({"iam": impl, "sts": impl, "eks": impl}, lambda request, routed: None)
    cases = [
        ("iam", "GetRole", {"RoleName": "AmazonEKSNodeRole"}, ROLE),
        ("sts", "GetCallerIdentity", {}, IDENTITY),
        ("eks", "DescribeCluster", {"name": "demo"}, CLUSTER),
    ]
    print(f"{'operation':<22}{'parse µs':>10}{'serialize µs':>14}{'handle µs':>11}{'bytes out':>11}")
    for service, operation, params, result in cases:
        codec = codec_for(service_info(service))
        request = botocore_request(service, operation, params)
        plan, _ = codec.route_and_parse(request)
        response = endpoint.handle(request)
        assert response.status == 200, response.body
        parse = micros(lambda: codec.route_and_parse(request))  # noqa: B023
        serialize = micros(lambda: codec.serialize(plan, result, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"))  # noqa: B023
        handle = micros(lambda: endpoint.handle(request))  # noqa: B023
        print(
            f"{service + ':' + operation:<22}{parse:>10.1f}{serialize:>14.1f}{handle:>11.1f}"
            f"{len(response.body):>11}"
        )


if __name__ == "__main__":
    main()
