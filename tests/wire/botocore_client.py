"""The client half of the oracle: requests exactly as botocore would put them on the wire."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from eksiam.protocol import HttpRequest, HttpResponse, service_model


def botocore_request(service: str, operation: str, params: dict[str, Any]) -> HttpRequest:
    """Serialize with botocore's own serializer (no client-side validation) and prepare the request
    as its HTTP layer does: URL path and query rendered, form body encoded."""
    model = service_model(service)
    op = model.operation_model(operation)
    request_dict = create_serializer(model.protocol, include_validation=False).serialize_to_request(
        params, op
    )
    prepare_request_dict(request_dict, endpoint_url="https://example.amazonaws.com")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
    return HttpRequest(prepared.method, url.path or "/", url.query, list(prepared.headers.items()), body)


def botocore_response(response: HttpResponse) -> dict[str, Any]:
    """Our response as botocore's parsers take it (header names are case-insensitive on the wire)."""
    return {
        "status_code": response.status,
        "headers": {k.lower(): v for k, v in response.headers},
        "body": response.body,
    }
