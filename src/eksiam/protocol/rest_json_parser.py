"""REST-JSON input: method + URI template + query string + headers + JSON body -> params dict.

Wire rules (AWS REST-JSON protocol; botocore's ``RestJSONSerializer`` is the client side):

1. Each operation's ``requestUri`` compiles once into a regex over the *raw* path: ``{name}`` is one
   segment, ``{name+}`` is greedy; labels are percent-decoded after matching (so ``%2F`` inside an
   ARN label stays inside its label); a trailing slash is ignored. When several templates match, the
   one with more literal text wins (``/clusters/{name}/updates`` over ``/clusters/{name}``); a literal
   query in the template (``/x?versions``) must be present.
2. Members with ``location`` ``uri`` / ``querystring`` / ``header`` / ``headers`` come from there
   (lists in the query string are repeated keys); every other member comes from the JSON body.
3. JSON values must have their shape's JSON type (string, integer, boolean, list, object);
   timestamps are epoch seconds (or ISO 8601 text), blobs base64. Anything else, or a body that is
   not JSON, is a ``SerializationException`` (400), never a crash in service code. ``null`` members
   count as absent.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from eksiam.protocol.errors import SerializationException
from eksiam.protocol.http import HttpRequest
from eksiam.protocol.models import wire_name
from eksiam.protocol.query_parser import BadValue
from eksiam.protocol.shape_walk import ShapeCompiler
from eksiam.protocol.timestamps import parse_timestamp
from eksiam.protocol.urlencoded import decode_component, decode_pairs

Reader = Callable[[Any], Any]
_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


def _typed(kind: type | tuple[type, ...], expected: str) -> Reader:
    def read(value: Any) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise BadValue(value, expected)
        return value

    return read


def _json_timestamp(value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadValue(value, "a timestamp") from None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError, OSError):
            raise BadValue(value, "a timestamp") from None
    raise BadValue(value, "a timestamp")


def _json_blob(value: Any) -> bytes:
    if not isinstance(value, str):
        raise BadValue(value, "base64-encoded text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadValue(value, "base64-encoded text") from None


class JsonInputCompiler(ShapeCompiler[Reader]):
    _compile_string = staticmethod(lambda shape: _typed(str, "a string"))
    _compile_integer = staticmethod(lambda shape: _typed(int, "an integer"))
    _compile_long = _compile_integer
    _compile_boolean = staticmethod(lambda shape: _typed(bool, "a boolean"))
    _compile_float = staticmethod(lambda shape: _typed((int, float), "a number"))
    _compile_double = _compile_float
    _compile_timestamp = staticmethod(lambda shape: _json_timestamp)
    _compile_blob = staticmethod(lambda shape: _json_blob)

    def _compile_scalar(self, shape: Shape) -> Reader:
        return _typed(str, "a string")

    def _compile_structure(self, shape: StructureShape) -> Reader:
        members = [
            (name, wire_name(m, name), self.compile(m))
            for name, m in shape.members.items()
            if m.serialization.get("location") is None
        ]

        def read(value: Any) -> Any:
            if not isinstance(value, dict):
                raise BadValue(value, "an object")
            out: dict[str, Any] = {}
            for name, wire, reader in members:
                v = value.get(wire)
                if v is not None:
                    try:
                        out[name] = reader(v)
                    except BadValue as bad:
                        bad.path.insert(0, wire)
                        raise
            return out

        return read

    def _compile_list(self, shape: ListShape) -> Reader:
        item = self.compile(shape.member)

        def read(value: Any) -> Any:
            if not isinstance(value, list):
                raise BadValue(value, "a list")
            out = []
            for index, element in enumerate(value):
                try:
                    if element is None:
                        raise BadValue(element, "a non-null list item")
                    out.append(item(element))
                except BadValue as bad:
                    bad.path.insert(0, str(index))
                    raise
            return out

        return read

    def _compile_map(self, shape: MapShape) -> Reader:
        value_reader = self.compile(shape.value)

        def read(value: Any) -> Any:
            if not isinstance(value, dict):
                raise BadValue(value, "an object")
            out = {}
            for k, v in value.items():
                if v is not None:
                    try:
                        out[k] = value_reader(v)
                    except BadValue as bad:
                        bad.path.insert(0, k)
                        raise
            return out

        return read


def _text_reader(shape: Shape) -> Callable[[str], Any]:
    """Labels, query values and headers arrive as text; convert them to the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int
    if kind == "boolean":
        return lambda text: {"true": True, "false": False}[text.lower()]
    if kind in ("float", "double"):
        return float
    if kind == "timestamp":
        return parse_timestamp
    if kind == "blob":
        return lambda text: base64.b64decode(text, validate=True)
    return str


@dataclass(frozen=True, slots=True)
class Route:
    """A compiled ``requestUri``: regex over the raw path, label members, literal-query keys."""

    method: str
    regex: re.Pattern[str]
    labels: tuple[tuple[str, str, Callable[[str], Any]], ...]  # (group, member, converter)
    required_query: tuple[str, ...]
    weight: tuple[int, int]


def compile_route(op: OperationModel) -> Route:
    uri = op.http.get("requestUri", "/")
    path, _, literal_query = uri.partition("?")
    members = op.input_shape.members if op.input_shape is not None else {}
    by_label = {
        wire_name(m, n): (n, m) for n, m in members.items() if m.serialization.get("location") == "uri"
    }
    pattern: list[str] = []
    labels = []
    cursor = 0
    for number, match in enumerate(_LABEL.finditer(path)):
        pattern.append(re.escape(path[cursor : match.start()]))
        group = f"g{number}"
        pattern.append(f"(?P<{group}>.+)" if match.group(2) else f"(?P<{group}>[^/]+)")
        name, member = by_label[match.group(1)]
        labels.append((group, name, _text_reader(member)))
        cursor = match.end()
    pattern.append(re.escape(path[cursor:].rstrip("/")))
    literal = len(_LABEL.sub("", path))
    required = tuple(p.partition("=")[0] for p in literal_query.split("&") if p)
    return Route(
        method=op.http.get("method", "POST"),
        regex=re.compile("".join(pattern) + "/?"),
        labels=tuple(labels),
        required_query=required,
        weight=(literal + 100 * len(required), -len(labels)),
    )


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _json_document(body: bytes) -> Any:
    """RFC 8259 JSON: Python's ``NaN``, ``Infinity`` and ``-Infinity`` extensions are refused."""
    try:
        return json.loads(body, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise SerializationException("The request body is not valid JSON.") from None


def body_reader(
    compiler: JsonInputCompiler, shape: StructureShape | None
) -> Callable[[bytes], dict[str, Any]] | None:
    """How the body maps to params: the body members as one JSON object, or, when the input names a
    ``payload`` member, that member alone (a JSON structure, or raw bytes/text for blob/string).
    A JSON body of whitespace alone is no document; a raw payload is absent only when empty, since
    whitespace is data there."""
    if shape is None:
        return None
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name == "blob":
            return lambda body: {payload: body} if body else {}
        if member.type_name == "string":
            return lambda body: {payload: _text(body)} if body else {}
        inner = compiler.compile(member)
        return lambda body: {payload: _checked(inner, _json_document(body))} if body.strip() else {}
    if not any(m.serialization.get("location") is None for m in shape.members.values()):
        return None
    whole = compiler.compile(shape)
    return lambda body: _checked(whole, _json_document(body)) if body.strip() else {}


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationException("The request body is not valid UTF-8.") from None


def _checked(reader: Reader, document: Any) -> Any:
    try:
        return reader(document)
    except BadValue as bad:
        where = ".".join(bad.path) or "the request body"
        raise SerializationException(f"Invalid value at '{where}': expected {bad.expected}.") from None


def request_reader(
    compiler: JsonInputCompiler, op: OperationModel
) -> Callable[[HttpRequest, re.Match[str]], dict[str, Any]]:
    """The parser for one operation: (request, route match) -> params."""
    route = compile_route(op)
    shape = op.input_shape
    query_members: list[tuple[str, str, Callable[[str], Any], bool]] = []
    header_members: list[tuple[str, str, Callable[[str], Any]]] = []
    header_maps: list[tuple[str, str]] = []
    query_map: str | None = None
    if shape is not None:
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "querystring":
                if isinstance(member, MapShape):
                    query_map = name
                elif isinstance(member, ListShape):
                    query_members.append((wire_name(member, name), name, _text_reader(member.member), True))
                else:
                    query_members.append((wire_name(member, name), name, _text_reader(member), False))
            elif location == "header":
                header_members.append((wire_name(member, name).lower(), name, _text_reader(member)))
            elif location == "headers":
                header_maps.append((wire_name(member, "").lower(), name))
    read_body = body_reader(compiler, shape)
    labels = route.labels

    def parse(request: HttpRequest, match: re.Match[str]) -> dict[str, Any]:
        params: dict[str, Any] = read_body(request.body) if read_body is not None else {}
        where = ""
        try:
            for group, name, convert in labels:
                where = name
                raw = match.group(group).encode("latin-1")
                params[name] = convert(decode_component(raw, plus_is_space=False))
            if query_members or query_map:
                pairs = decode_pairs(request.query_bytes)
                for wire, name, convert, many in query_members:
                    where = wire
                    values = [convert(v) for k, v in pairs if k == wire]
                    if values:
                        params[name] = values if many else values[0]
                if query_map:
                    taken = {wire for wire, _, _, _ in query_members}
                    extra = {k: v for k, v in pairs if k not in taken}
                    if extra:
                        params[query_map] = extra
            for header, name, convert in header_members:
                where = header
                for key, value in request.headers:
                    if key.lower() == header:
                        params[name] = convert(value)
                        break
            for prefix, name in header_maps:
                found = {k[len(prefix) :]: v for k, v in request.headers if k.lower().startswith(prefix)}
                if found:
                    params[name] = found
        except (ValueError, KeyError, binascii.Error, OverflowError):
            raise SerializationException(f"Invalid value for '{where}'.") from None
        return params

    return parse
