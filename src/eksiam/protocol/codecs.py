"""One codec per service: its compiled operation plans plus the protocol's request/response envelope.

A codec answers three questions for the endpoint: which operation and params a request carries
(``route_and_parse``), how a result looks on the wire (``serialize``), and how an error does
(``serialize_error``). All compilation happens in ``__init__``; afterwards a codec is read-only and
shared by every request thread.

Error statuses and Sender/Receiver come from the service's error shape when the code is modelled
(the model is the wire's truth), else from the ``ServiceError`` itself. REST-JSON services name
some shared failures differently from Query ones (SigV4's ``SignatureDoesNotMatch`` is EKS's
``InvalidSignatureException``): an error's ``json_code`` attribute, when present, wins there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Protocol

from botocore import xform_name
from botocore.model import OperationModel

from eksiam.errors import ServiceError
from eksiam.protocol import query_serializer, rest_json_serializer
from eksiam.protocol.constraints import ConstraintCompiler
from eksiam.protocol.errors import InvalidAction, MissingAction, UnknownOperationException
from eksiam.protocol.http import HttpRequest, HttpResponse
from eksiam.protocol.models import (
    OperationPlan,
    ServiceInfo,
    error_status,
    is_unsigned,
    py_names,
    service_info,
)
from eksiam.protocol.query_parser import QueryInputCompiler, fold
from eksiam.protocol.rest_json_parser import JsonInputCompiler, Route, compile_route, request_reader
from eksiam.protocol.urlencoded import decode_pairs

_XML = "text/xml"
_JSON = "application/json"


class Codec(Protocol):
    def route_and_parse(self, request: HttpRequest) -> tuple[OperationPlan, dict[str, Any]]: ...

    def serialize(
        self, plan: OperationPlan, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse: ...

    def serialize_error(self, error: ServiceError, request_id: str) -> HttpResponse: ...


def _plan(
    info: ServiceInfo, op: OperationModel, constraints: ConstraintCompiler, parse: Any, serialize: Any
) -> OperationPlan:
    return OperationPlan(
        service=info,
        name=op.name,
        model=op,
        method_name=xform_name(op.name),
        unsigned=is_unsigned(op),
        parse=parse,
        serialize=serialize,
        check=constraints.checker(op.input_shape),
        py_names=py_names(op),
    )


def query_tree(request: HttpRequest) -> dict[str, Any]:
    """URL query and form body params folded into one tree (Query protocol rule 1)."""
    pairs = decode_pairs(request.query_bytes)
    if request.body:
        content_type = (request.header("content-type") or "").lower()
        if not content_type or content_type.startswith("application/x-www-form-urlencoded"):
            pairs += decode_pairs(request.body)
    return fold(pairs)


class QueryCodec:
    def __init__(self, info: ServiceInfo) -> None:
        self.info = info
        parser, writer, constraints = (
            QueryInputCompiler(),
            query_serializer.QueryOutputCompiler(),
            ConstraintCompiler(),
        )
        self._writer = writer
        self.plans: dict[str, OperationPlan] = {}
        for name in info.model.operation_names:
            op = info.model.operation_model(name)
            serialize = query_serializer.response_writer(writer, op, info.xml_namespace)
            self.plans[name] = _plan(info, op, constraints, parser.input_reader(op.input_shape), serialize)
        for shape in info.errors_by_code.values():
            writer.compile(shape)

    def route_and_parse(self, request: HttpRequest) -> tuple[OperationPlan, dict[str, Any]]:
        tree = query_tree(request)
        action = tree.get("Action")
        if not isinstance(action, str) or not action:
            raise MissingAction()
        return self.parse_tree(tree, action)

    def parse_tree(self, tree: dict[str, Any], action: str) -> tuple[OperationPlan, dict[str, Any]]:
        version = tree.get("Version")
        plan = self.plans.get(action)
        if plan is None or version != self.info.api_version:
            raise InvalidAction(action, version if isinstance(version, str) else None)
        return plan, plan.parse(tree)

    def serialize(
        self, plan: OperationPlan, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        body = plan.serialize(result, request_id)
        return HttpResponse(200, [("Content-Type", _XML), ("x-amzn-RequestId", request_id)], body)

    def serialize_error(self, error: ServiceError, request_id: str) -> HttpResponse:
        return query_error(self._writer, self.info, error, request_id)


def query_error(
    writer: query_serializer.QueryOutputCompiler,
    info: ServiceInfo | None,
    error: ServiceError,
    request_id: str,
) -> HttpResponse:
    shape = info.error_shape(error.code) if info is not None else None
    status, sender = error.status, error.sender_fault
    if shape is not None:
        status = error_status(shape)
        sender = bool(shape.metadata.get("error", {}).get("senderFault", sender))
    namespace = info.xml_namespace if info is not None else ""
    body = query_serializer.error_body(
        writer, namespace, error.code, error.message, sender, request_id, shape, error.extra
    )
    return HttpResponse(status, [("Content-Type", _XML), ("x-amzn-RequestId", request_id)], body)


class QueryFront:
    """The Query entry when no credential scope names a service: ``Version`` picks the service
    (IAM 2010-05-08, STS 2011-06-15); errors before that point carry no namespace."""

    def __init__(self, codecs: Mapping[str, QueryCodec]) -> None:
        self._by_version = {c.info.api_version: c for c in codecs.values()}
        self._writer = query_serializer.QueryOutputCompiler()

    def route_and_parse(self, request: HttpRequest) -> tuple[OperationPlan, dict[str, Any]]:
        tree = query_tree(request)
        action = tree.get("Action")
        if not isinstance(action, str) or not action:
            raise MissingAction()
        version = tree.get("Version")
        codec = self._by_version.get(version) if isinstance(version, str) else None
        if codec is None:
            raise InvalidAction(action, version if isinstance(version, str) else None)
        return codec.parse_tree(tree, action)

    def serialize(
        self, plan: OperationPlan, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        raise AssertionError("the endpoint serializes results with the routed service's codec")

    def serialize_error(self, error: ServiceError, request_id: str) -> HttpResponse:
        return query_error(self._writer, None, error, request_id)


class RestJsonCodec:
    def __init__(self, info: ServiceInfo) -> None:
        self.info = info
        parser, writer, constraints = (
            JsonInputCompiler(),
            rest_json_serializer.JsonOutputCompiler(),
            ConstraintCompiler(),
        )
        self._writer = writer
        self.plans: dict[str, OperationPlan] = {}
        self.routes: list[tuple[Route, OperationPlan]] = []
        for name in info.model.operation_names:
            op = info.model.operation_model(name)
            plan = _plan(
                info,
                op,
                constraints,
                request_reader(parser, op),
                rest_json_serializer.response_writer(writer, op),
            )
            self.plans[name] = plan
            self.routes.append((compile_route(op), plan))
        for shape in info.errors_by_code.values():
            writer.compile(shape)
        self.routes.sort(key=lambda pair: pair[0].weight, reverse=True)
        self._by_method: dict[str, list[tuple[Route, OperationPlan]]] = {}
        for route, plan in self.routes:
            self._by_method.setdefault(route.method, []).append((route, plan))

    def match(self, request: HttpRequest) -> tuple[Route, OperationPlan, re.Match[str]] | None:
        path = request.path.split("?", 1)[0] or "/"
        query: str | None = None
        for route, plan in self._by_method.get(request.method.upper(), ()):
            found = route.regex.fullmatch(path)
            if found is None:
                continue
            if route.required_query:
                if query is None:
                    query = request.query_bytes.decode("latin-1")
                keys = {part.partition("=")[0] for part in query.split("&")}
                if not all(k in keys for k in route.required_query):
                    continue
            return route, plan, found
        return None

    def route_and_parse(self, request: HttpRequest) -> tuple[OperationPlan, dict[str, Any]]:
        matched = self.match(request)
        if matched is None:
            raise UnknownOperationException(
                f"No {self.info.service_id} operation matches {request.method} {request.path}."
            )
        _, plan, found = matched
        return plan, plan.parse(request, found)

    def serialize(
        self, plan: OperationPlan, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        status, headers, body = plan.serialize(result)
        headers = [("Content-Type", _JSON), ("x-amzn-RequestId", request_id), *headers]
        return HttpResponse(status, headers, body)

    def serialize_error(self, error: ServiceError, request_id: str) -> HttpResponse:
        code = getattr(error, "json_code", "") or error.code
        shape = self.info.error_shape(code)
        status = error_status(shape) if shape is not None else error.status
        body = rest_json_serializer.error_body(self._writer, error.message, shape, error.extra)
        headers = [("Content-Type", _JSON), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
        return HttpResponse(status, headers, body)


@cache
def service_codec(name: str) -> QueryCodec | RestJsonCodec:
    """The codec of a botocore service, built once per process (codecs are immutable)."""
    return codec_for(service_info(name))


def codec_for(info: ServiceInfo) -> QueryCodec | RestJsonCodec:
    factories: dict[str, Callable[[ServiceInfo], QueryCodec | RestJsonCodec]] = {
        "query": QueryCodec,
        "rest-json": RestJsonCodec,
    }
    return factories[info.protocol](info)
