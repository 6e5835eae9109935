"""The AWS wire: Query and REST-JSON, generic over botocore service models; knows no IAM rule.

The server builds one ``AwsEndpoint(services, authenticate)`` and calls ``handle(HttpRequest)``
from a worker thread. ``HttpRequest.path`` must be the raw path (ASGI ``raw_path`` decoded as
latin-1, so bytes survive), ``query`` the raw query string, ``headers`` the pair list as received.
"""

from __future__ import annotations

from eksiam.protocol.dispatch import DispatchDrift, drift
from eksiam.protocol.endpoint import DEFAULT_MAX_BODY_BYTES, AwsEndpoint
from eksiam.protocol.http import HttpRequest, HttpResponse
from eksiam.protocol.models import SERVICE_NAMES, service_model
from eksiam.protocol.routing import RoutedOperation, scope_service
from eksiam.protocol.sigv4 import (
    KeyMaterial,
    SignedRequest,
    SigningKey,
    SigV4Error,
    Verified,
    has_signature,
    verify,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "SERVICE_NAMES",
    "AwsEndpoint",
    "DispatchDrift",
    "HttpRequest",
    "HttpResponse",
    "KeyMaterial",
    "RoutedOperation",
    "SigV4Error",
    "SignedRequest",
    "SigningKey",
    "Verified",
    "drift",
    "has_signature",
    "scope_service",
    "service_model",
    "verify",
]
