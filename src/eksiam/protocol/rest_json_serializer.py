"""REST-JSON output: result dicts and errors -> status, headers and a JSON body.

Rules (AWS REST-JSON protocol; botocore's ``RestJSONParser`` is the client side):

1. Status is the operation's ``http.responseCode`` (200 when absent); members with ``location``
   ``header`` / ``headers`` / ``statusCode`` go there; a ``payload`` member is the whole body;
   every other member is a JSON body key (``locationName`` or member name). None is omitted.
2. Timestamps are epoch seconds (an integer when whole, else milliseconds as a fraction), the
   protocol default, unless the shape names another ``timestampFormat``; blobs are base64.
3. Errors: ``x-amzn-ErrorType: <Code>`` and a body ``{"message": ..., <modelled members>}``
   (EKS's ``clusterName``, ``nodegroupName`` ...), status from the error shape's metadata.
4. Shapes with nothing to convert below them (strings, numbers, booleans) are written as they are,
   so a typical response is one dict walk and one ``json.dumps``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from eksiam.protocol.models import wire_name
from eksiam.protocol.shape_walk import ShapeCompiler
from eksiam.protocol.timestamps import formatter

Converter = Callable[[Any], Any]
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _same(value: Any) -> Any:
    return value


def _blob(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


class JsonOutputCompiler(ShapeCompiler[Converter]):
    def _compile_scalar(self, shape: Shape) -> Converter:
        return _same

    def _compile_timestamp(self, shape: Shape) -> Converter:
        return formatter(shape.serialization.get("timestampFormat"), "unixTimestamp")

    def _compile_blob(self, shape: Shape) -> Converter:
        return _blob

    def _compile_structure(self, shape: StructureShape) -> Converter:
        members = [
            (name, wire_name(m, name), self.compile(m))
            for name, m in shape.members.items()
            if m.serialization.get("location") is None
        ]

        def convert(value: Any) -> Any:
            get = value.get
            out = {}
            for name, wire, inner in members:
                v = get(name)
                if v is not None:
                    out[wire] = inner(v)
            return out

        return convert

    def _compile_list(self, shape: ListShape) -> Converter:
        item = self.compile(shape.member)
        if item is _same:
            return list
        return lambda value: [item(v) for v in value]

    def _compile_map(self, shape: MapShape) -> Converter:
        value_item = self.compile(shape.value)
        if value_item is _same:
            return dict
        return lambda value: {k: value_item(v) for k, v in value.items() if v is not None}


def _header_text(shape: Shape) -> Converter:
    if shape.type_name == "timestamp":
        return formatter(shape.serialization.get("timestampFormat"), "rfc822")
    if shape.type_name == "boolean":
        return lambda v: "true" if v else "false"
    if shape.type_name == "blob":
        return _blob
    return str


def response_writer(
    compiler: JsonOutputCompiler, op: OperationModel
) -> Callable[[Mapping[str, Any] | None], tuple[int, list[tuple[str, str]], bytes]]:
    """The serializer for one operation: result dict -> (status, extra headers, body bytes)."""
    status = int(op.http.get("responseCode", 200))
    shape = op.output_shape
    if shape is None:
        return lambda result: (status, [], b"{}")
    headers: list[tuple[str, str, Converter]] = []
    header_maps: list[tuple[str, str]] = []
    status_member: str | None = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header":
            headers.append((name, wire_name(member, name), _header_text(member)))
        elif location == "headers":
            header_maps.append((name, wire_name(member, "")))
        elif location == "statusCode":
            status_member = name
    payload = shape.serialization.get("payload")
    payload_shape = shape.members[payload] if payload else None
    body = compiler.compile(payload_shape if payload_shape is not None else shape)
    raw_payload = payload_shape is not None and payload_shape.type_name in ("blob", "string")

    def write(result: Mapping[str, Any] | None) -> tuple[int, list[tuple[str, str]], bytes]:
        result = result or {}
        out_headers: list[tuple[str, str]] = []
        for name, header, text in headers:
            if result.get(name) is not None:
                out_headers.append((header, text(result[name])))
        for name, prefix in header_maps:
            for k, v in (result.get(name) or {}).items():
                out_headers.append((prefix + k, str(v)))
        code = int(result[status_member]) if status_member and result.get(status_member) else status
        if payload is None:
            return code, out_headers, _encode(body(result)).encode("utf-8")
        value = result.get(payload)
        if value is None:
            return code, out_headers, b"" if raw_payload else b"{}"
        if raw_payload:
            return code, out_headers, value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return code, out_headers, _encode(body(value)).encode("utf-8")

    return write


def error_body(
    compiler: JsonOutputCompiler, message: str, shape: StructureShape | None, extra: Mapping[str, Any] | None
) -> bytes:
    """``{"message": ...}`` plus the error shape's modelled members found in ``extra``."""
    key = "Message" if shape is not None and "Message" in shape.members else "message"
    document: dict[str, Any] = {key: message}
    if shape is not None and extra:
        converted = compiler.compile(shape)({k: v for k, v in extra.items() if k.lower() != "message"})
        document.update(converted)
    return _encode(document).encode("utf-8")
