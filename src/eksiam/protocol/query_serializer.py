"""Query protocol output: result dicts and errors -> AWS's XML, byte for byte in AWS's layout.

Success (e.g. https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html, "Examples")::

    <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <GetRoleResult> members in the output shape's order, None omitted </GetRoleResult>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
    </GetRoleResponse>

Lists are ``<member>`` items (or repeated elements when flattened), maps ``<entry><key/><value/>``,
timestamps ISO 8601 in UTC with a ``Z`` (as IAM prints ``CreateDate``), booleans ``true``/``false``,
blobs base64. Errors are ``<ErrorResponse>`` with ``Type`` Sender/Receiver, ``Code``, ``Message``
and any modelled members, then ``RequestId``. Text is escaped for ``&``, ``<``, ``>`` and ``\\r``
(which XML parsers would otherwise fold into ``\\n``).

Element names and open/close tags are precomputed per shape, so serializing is list appends and
one join.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from eksiam.protocol.models import wire_name
from eksiam.protocol.shape_walk import ShapeCompiler, bind, generated
from eksiam.protocol.timestamps import formatter

Writer = Callable[[Any, list[str]], None]
_INLINE_DEPTH = 4  # structures nested deeper are written by a call


def escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#xD;")
    return text


def _write_string(value: Any, out: list[str]) -> None:
    out.append(escape(value if isinstance(value, str) else str(value)))


def _write_number(value: Any, out: list[str]) -> None:
    out.append(str(value))


def _write_boolean(value: Any, out: list[str]) -> None:
    out.append("true" if value else "false")


def _write_blob(value: Any, out: list[str]) -> None:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    out.append(base64.b64encode(raw).decode("ascii"))


class QueryOutputCompiler(ShapeCompiler[Writer]):
    _compile_string = staticmethod(lambda shape: _write_string)
    _compile_integer = staticmethod(lambda shape: _write_number)
    _compile_long = _compile_integer
    _compile_float = _compile_integer
    _compile_double = _compile_integer
    _compile_boolean = staticmethod(lambda shape: _write_boolean)
    _compile_blob = staticmethod(lambda shape: _write_blob)

    def _compile_scalar(self, shape: Shape) -> Writer:
        return _write_string

    def _compile_timestamp(self, shape: Shape) -> Writer:
        text = formatter(shape.serialization.get("timestampFormat"), "iso8601")

        def write(value: Any, out: list[str]) -> None:
            out.append(escape(str(text(value))))

        return write

    def element(self, shape: Shape, name: str) -> Writer:
        """Write ``value`` as element(s) named ``name``: one element, or one per item if flattened."""
        if isinstance(shape, ListShape) and shape.serialization.get("flattened"):
            return _repeat(self.compile(shape.member), wire_name(shape.member, name))
        inner = self.compile(shape)
        open_tag, close_tag = f"<{name}>", f"</{name}>"
        if inner is _write_string:

            def write_text(value: Any, out: list[str]) -> None:
                out.append(open_tag + escape(value if isinstance(value, str) else str(value)) + close_tag)

            return write_text

        def write(value: Any, out: list[str]) -> None:
            out.append(open_tag)
            inner(value, out)
            out.append(close_tag)

        return write

    def _compile_structure(self, shape: StructureShape) -> Writer:
        # Generated source (shape_walk rule 4), one block per member, nested structures inline.
        names: dict[str, Any] = {"escape": escape, "str": str}
        lines = ["def write(value, out):", "    append = out.append"]
        self._structure_lines(shape, "value", 1, (shape.name,), lines, names)
        write: Writer = generated("write", lines, names)
        return write

    def _structure_lines(
        self,
        shape: StructureShape,
        source: str,
        depth: int,
        inline: tuple[str, ...],
        lines: list[str],
        names: dict[str, Any],
    ) -> None:
        """Source that writes the members of the structure in variable ``source``, at ``depth``.

        Text and timestamp members are written in place, with no call: most of a response's values
        are these (the three timestamp formats make text that needs no escaping; a service's own
        timestamp text is escaped). A member structure is written in place too, unless it is on
        the way here (``inline``: a recursive shape) or nests deeper than ``_INLINE_DEPTH``."""
        pad = "    " * depth
        get, v = f"get{depth}", f"v{depth}"
        lines.append(f"{pad}{get} = {source}.get")
        for name, member in shape.members.items():
            element = wire_name(member, name)
            open_tag, close_tag = f"<{element}>", f"</{element}>"
            lines.append(f"{pad}{v} = {get}({name!r})")
            lines.append(f"{pad}if {v} is not None:")
            if member.type_name == "timestamp":
                stamp = bind(names, formatter(member.serialization.get("timestampFormat"), "iso8601"))
                text = f"escape({v}) if {v}.__class__ is str else {stamp}({v})"
                lines.append(f"{pad}    append({_f_string(open_tag, text, close_tag)})")
            elif isinstance(member, StructureShape) and member.name not in inline and depth < _INLINE_DEPTH:
                lines.append(f"{pad}    append({open_tag!r})")
                self._structure_lines(member, v, depth + 1, (*inline, member.name), lines, names)
                lines.append(f"{pad}    append({close_tag!r})")
            elif self.compile(member) is _write_string:
                lines.append(f"{pad}    if {v}.__class__ is not str:")
                lines.append(f"{pad}        {v} = str({v})")
                lines.append(f"{pad}    if '&' in {v} or '<' in {v} or '>' in {v} or '\\r' in {v}:")
                lines.append(f"{pad}        {v} = escape({v})")
                lines.append(f"{pad}    append({_f_string(open_tag, v, close_tag)})")
            else:
                lines.append(f"{pad}    {bind(names, self.element(member, element))}({v}, out)")

    def _compile_list(self, shape: ListShape) -> Writer:
        return _repeat(self.compile(shape.member), wire_name(shape.member, "member"))

    def _compile_map(self, shape: MapShape) -> Writer:
        write_key = self.element(shape.key, wire_name(shape.key, "key"))
        write_value = self.element(shape.value, wire_name(shape.value, "value"))
        entry_open, entry_close = (
            ("", "") if shape.serialization.get("flattened") else ("<entry>", "</entry>")
        )

        def write(value: Any, out: list[str]) -> None:
            for k, v in value.items():
                out.append(entry_open)
                write_key(k, out)
                if v is not None:
                    write_value(v, out)
                out.append(entry_close)

        return write


def _f_string(before: str, expression: str, after: str) -> str:
    """Source of an f-string: one string built, where ``+`` would build two on the way."""
    literal = before.replace("{", "{{").replace("}", "}}") + "{" + expression + "}"
    return "f" + repr(literal + after.replace("{", "{{").replace("}", "}}"))


def _repeat(inner: Writer, name: str) -> Writer:
    open_tag, close_tag = f"<{name}>", f"</{name}>"

    def write(value: Any, out: list[str]) -> None:
        for item in value:
            out.append(open_tag)
            inner(item, out)
            out.append(close_tag)

    return write


def response_writer(
    compiler: QueryOutputCompiler, op: OperationModel, namespace: str
) -> Callable[[Mapping[str, Any] | None, str], bytes]:
    """The serializer for one operation: (result dict, request id) -> XML bytes."""
    shape = op.output_shape
    root = f"{op.name}Response"
    head = f'<{root} xmlns="{namespace}">' if namespace else f"<{root}>"
    body: Writer | None = None
    wrapper_open = wrapper_close = ""
    if shape is not None:
        body = compiler.compile(shape)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            wrapper_open, wrapper_close = f"<{wrapper}>", f"</{wrapper}>"
    meta_open = "<ResponseMetadata><RequestId>"
    tail = f"</RequestId></ResponseMetadata></{root}>"

    def write(result: Mapping[str, Any] | None, request_id: str) -> bytes:
        out = [head]
        if body is not None:
            out.append(wrapper_open)
            body(result or {}, out)
            out.append(wrapper_close)
        out.append(meta_open)
        out.append(escape(request_id))
        out.append(tail)
        return "".join(out).encode("utf-8")

    return write


def error_body(
    compiler: QueryOutputCompiler,
    namespace: str,
    code: str,
    message: str,
    sender_fault: bool,
    request_id: str,
    shape: StructureShape | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """``<ErrorResponse>`` as IAM and STS send it; modelled members of ``shape`` follow Message."""
    head = f'<ErrorResponse xmlns="{namespace}">' if namespace else "<ErrorResponse>"
    out = [
        head,
        "<Error><Type>",
        "Sender" if sender_fault else "Receiver",
        "</Type><Code>",
        escape(code),
        "</Code><Message>",
        escape(message),
        "</Message>",
    ]
    if shape is not None and extra:
        for name, member in shape.members.items():
            if name.lower() == "message" or extra.get(name) is None:
                continue
            compiler.element(member, wire_name(member, name))(extra[name], out)
    out += ["</Error><RequestId>", escape(request_id), "</RequestId></ErrorResponse>"]
    return "".join(out).encode("utf-8")
