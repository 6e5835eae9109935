"""The AWS endpoint: one request in, one response out, for every modelled operation.

Flow (architecture.md 3)::

    size check -> route (service codec) -> parse -> authenticate(request, routed) -> constraints
               -> service method(ctx, **snake_case params) -> serialize | serialize_error

Rules:

1. Nothing reaches the service method unless parsing, authentication and every model constraint
   passed; a rejected request changes nothing.
2. Errors are answered in the protocol of the service the request was routed to, as soon as that
   is known; before that, in the protocol the request looks like (Query at ``/``, else REST-JSON).
3. Any exception that is not a ``ServiceError`` is a bug: the client gets ``InternalFailure`` (500)
   with the request id, the log gets the traceback (never the request's headers or body). The one
   exception is the store's ``Unavailable`` (database unreachable, or conflicts past its retries):
   a transient failure that changed nothing, answered as ``ServiceUnavailable`` (503), which SDKs
   retry.
4. ``handle`` is synchronous and thread-safe: plans are immutable, per-request state is local.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from eksiam.errors import ServiceError
from eksiam.ids import request_id as new_request_id
from eksiam.protocol.codecs import Codec, QueryCodec, RestJsonCodec, service_codec
from eksiam.protocol.dispatch import DispatchDrift, drift, method_for
from eksiam.protocol.errors import (
    InternalFailure,
    OperationNotImplemented,
    RequestEntityTooLarge,
    ServiceUnavailable,
    ValidationError,
)
from eksiam.protocol.http import HttpRequest, HttpResponse
from eksiam.protocol.models import SERVICE_NAMES
from eksiam.protocol.routing import RoutedOperation, Router
from eksiam.storage.errors import Unavailable

log = logging.getLogger("eksiam.protocol")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""Large enough for the biggest modelled input (sts:AssumeRoleWithSAML's 100,000-character
assertion, form-encoded); IAM policy documents are at most 131,072 characters."""

Authenticate = Callable[[HttpRequest, RoutedOperation], object]


class AwsEndpoint:
    """Built once at server start; refuses to start when service methods drift from the models."""

    def __init__(
        self,
        services: Mapping[str, object | None],
        authenticate: Authenticate,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        service_names: tuple[str, ...] = SERVICE_NAMES,
    ) -> None:
        unknown = set(services) - set(service_names)
        if unknown:
            raise ValueError(f"no botocore model served for {sorted(unknown)}")
        self._codecs: dict[str, QueryCodec | RestJsonCodec] = {n: service_codec(n) for n in service_names}
        problems = drift(services, {n: c.info.model for n, c in self._codecs.items()})
        if problems:
            raise DispatchDrift(
                "service methods differ from the botocore models:\n  " + "\n  ".join(problems)
            )
        self._methods: dict[tuple[str, str], Callable[..., Any] | None] = {}
        for name, codec in self._codecs.items():
            for plan in codec.plans.values():
                self._methods[(name, plan.name)] = method_for(
                    services.get(name), plan.model, plan.method_name
                )
        self._router = Router(self._codecs)
        self._authenticate = authenticate
        self._max_body = max_body_bytes

    def is_aws_request(self, request: HttpRequest) -> bool:
        """True for requests this endpoint owns: SigV4-signed, at ``/``, or on a REST template."""
        return self._router.is_aws_request(request)

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        codec: Codec | None = None
        try:
            codec = self._router.codec_for(request)
            if len(request.body) > self._max_body:
                raise RequestEntityTooLarge(self._max_body)
            plan, params = codec.route_and_parse(request)
            service = plan.service.name
            codec = self._codecs[service]
            routed = RoutedOperation(
                service=service,
                signing_name=plan.service.signing_name,
                operation=plan.name,
                unsigned=plan.unsigned,
                request_id=request_id,
                protocol=plan.service.protocol,
            )
            ctx = self._authenticate(request, routed)
            if plan.check is not None:
                violations = plan.check(params)
                if violations:
                    raise ValidationError(violations, code=plan.service.validation_code)
            method = self._methods[(service, plan.name)]
            if method is None:
                raise OperationNotImplemented(plan.service.service_id, plan.name)
            names = plan.py_names
            result = method(ctx, **{names[k]: v for k, v in params.items()})
            return codec.serialize(plan, result, request_id)
        except ServiceError as error:
            return self._error(codec, error, request_id)
        except Unavailable:
            log.warning("request %s: the store is unavailable or overloaded", request_id, exc_info=True)
            return self._error(codec, ServiceUnavailable(), request_id)
        except Exception:
            log.exception("internal failure answering request %s", request_id)
            return self._error(codec, InternalFailure(), request_id)

    def _error(self, codec: Codec | None, error: ServiceError, request_id: str) -> HttpResponse:
        try:
            if codec is None:
                raise LookupError("no codec")
            return codec.serialize_error(error, request_id)
        except Exception:
            log.exception("could not serialize an error for request %s", request_id)
            body = b'{"message":"internal failure"}'
            headers = [
                ("Content-Type", "application/json"),
                ("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", "InternalFailure"),
            ]
            return HttpResponse(500, headers, body)
