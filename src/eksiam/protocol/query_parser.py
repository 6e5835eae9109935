"""Query protocol input: form/query pairs -> a params dict keyed by the model's member names.

Wire rules (AWS Query protocol; botocore's ``QuerySerializer`` is the client side of each):

1. Params are the union of the URL query and a form body, ``Action`` and ``Version`` included.
2. A structure member's key is its ``locationName`` or member name; nesting joins keys with ``.``.
3. Lists are ``Name.member.N`` (``member`` renamed by the item's ``locationName``), 1-based and
   ending at the first missing index; flattened lists are ``Name.N``; ``Name=`` alone is an empty
   list. Maps are ``Name.entry.N.key`` / ``.value`` (renamable; flattened drops ``entry``).
4. Scalars: integers, ``true``/``false``, ISO-8601 timestamps, base64 blobs. A value that does not
   parse as its type is an ``InvalidParameterValue``, before any service code runs.
5. Unknown keys are ignored, as AWS does for parameters a model does not name.

The pairs are first folded into a tree on ``.`` (``{"Tags": {"member": {"1": {...}}}}``) so each
compiled reader touches only its own subtree: the cost is linear in the request, not in the model.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from eksiam.protocol.errors import InvalidParameterValue
from eksiam.protocol.models import wire_name
from eksiam.protocol.shape_walk import ShapeCompiler, bind, generated
from eksiam.protocol.timestamps import parse_timestamp

Reader = Callable[[Any], Any]
_INTEGER = re.compile(r"[+-]?\d{1,19}")


class BadValue(Exception):
    """A value that does not parse as its shape's type; ``path`` is filled in while unwinding."""

    def __init__(self, value: Any, expected: str) -> None:
        super().__init__(expected)
        self.value = value
        self.expected = expected
        self.path: list[str] = []

    def to_error(self) -> InvalidParameterValue:
        shown = self.value if isinstance(self.value, str) else "(structured value)"
        where = ".".join(self.path)
        return InvalidParameterValue(
            f"Value ({shown}) for parameter {where} is invalid. Expected {self.expected}."
        )


def fold(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Fold ``a.b.c=v`` pairs into nested dicts; a later deeper key wins over a scalar at its prefix.
    Without a dotted key (most requests) that is the dict of the pairs, the later of two winning."""
    flat = dict(pairs)
    if "." not in "".join(flat):
        return flat
    root: dict[str, Any] = {}
    for key, value in pairs:
        if "." not in key:
            if not isinstance(root.get(key), dict):
                root[key] = value
            continue
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = parts[-1]
        if not isinstance(node.get(last), dict):
            node[last] = value
    return root


def _scalar(convert: Callable[[str], Any], expected: str) -> Reader:
    def read(node: Any) -> Any:
        if not isinstance(node, str):
            raise BadValue(node, expected)
        try:
            return convert(node)
        except (ValueError, OverflowError, binascii.Error):
            raise BadValue(node, expected) from None

    return read


def _to_int(text: str) -> int:
    if len(text) <= 19 and text.isdigit() and text.isascii():  # the common case, without the regex
        return int(text)
    if not _INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


_read_integer = _scalar(_to_int, "an integer")


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(text)


def _to_blob(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _string(node: Any) -> Any:
    if not isinstance(node, str):
        raise BadValue(node, "a string")
    return node


def _not_structure(node: Any) -> Any:
    """What a structure reads as when its key came with no sub-keys: ``Name=`` is an empty one."""
    if node == "":
        return {}
    raise BadValue(node, "a structure")


def _member_keys(member: Shape, name: str) -> tuple[str, ...]:
    """Keys a member may arrive under: a flattened list whose items are renamed comes as
    ``Item.1``, ``Item.2`` (botocore replaces the member name), but an empty one as ``Flat=``."""
    own = wire_name(member, name)
    if isinstance(member, ListShape) and member.serialization.get("flattened"):
        item = wire_name(member.member, own)
        if item != own:
            return (item, own)
    return (own,)


class QueryInputCompiler(ShapeCompiler[Reader]):
    _compile_string = staticmethod(lambda shape: _string)
    _compile_integer = staticmethod(lambda shape: _read_integer)
    _compile_long = _compile_integer
    _compile_boolean = staticmethod(lambda shape: _scalar(_to_bool, "true or false"))
    _compile_timestamp = staticmethod(lambda shape: _scalar(parse_timestamp, "an ISO 8601 timestamp"))
    _compile_blob = staticmethod(lambda shape: _scalar(_to_blob, "base64-encoded data"))
    _compile_float = staticmethod(lambda shape: _scalar(float, "a number"))
    _compile_double = _compile_float

    def _compile_structure(self, shape: StructureShape) -> Reader:
        # Generated source (shape_walk rule 4), one block per member: a string member's text is
        # taken as it is, without a call; a value that does not read names its key on the way out.
        names: dict[str, Any] = {"BadValue": BadValue, "_not_structure": _not_structure, "_string": _string}
        lines = [
            "def read(node):",
            "    if not isinstance(node, dict):",
            "        return _not_structure(node)",
            "    out = {}",
            "    get = node.get",
        ]
        for name, member in shape.members.items():
            keys = _member_keys(member, name)
            reader = self.compile(member)
            wire = repr(keys[0])
            lines.append(f"    child = get({wire})")
            if len(keys) > 1:  # the key the value came under is its path: kept in a variable
                lines.append(f"    wire = {wire}")
                lines.append("    if child is None:")
                lines.append(f"        wire = {keys[1]!r}")
                lines.append("        child = get(wire)")
                wire = "wire"
            lines.append("    if child is not None:")
            lines.append("        try:")
            if reader is _string:
                text = "child if child.__class__ is str else _string(child)"
                lines.append(f"            out[{name!r}] = {text}")
            else:
                lines.append(f"            out[{name!r}] = {bind(names, reader)}(child)")
            lines.append("        except BadValue as bad:")
            lines.append(f"            bad.path.insert(0, {wire})")
            lines.append("            raise")
        lines.append("    return out")
        read: Reader = generated("read", lines, names)
        return read

    def _compile_list(self, shape: ListShape) -> Reader:
        item = self.compile(shape.member)
        flattened = bool(shape.serialization.get("flattened"))
        item_key = None if flattened else wire_name(shape.member, "member")

        def read(node: Any) -> Any:
            if not isinstance(node, dict):
                if node == "":
                    return []
                raise BadValue(node, "a list")
            items = node if item_key is None else node.get(item_key)
            if items is None:
                return []
            if not isinstance(items, dict):
                raise BadValue(items, "a list")
            out = []
            index = 1
            while (child := items.get(str(index))) is not None:
                try:
                    out.append(item(child))
                except BadValue as bad:
                    bad.path.insert(0, str(index))
                    if item_key is not None:
                        bad.path.insert(0, item_key)
                    raise
                index += 1
            return out

        return read

    def _compile_map(self, shape: MapShape) -> Reader:
        key_reader = self.compile(shape.key)
        value_reader = self.compile(shape.value)
        key_name = wire_name(shape.key, "key")
        value_name = wire_name(shape.value, "value")
        flattened = bool(shape.serialization.get("flattened"))

        def read(node: Any) -> Any:
            if not isinstance(node, dict):
                if node == "":
                    return {}
                raise BadValue(node, "a map")
            entries = node if flattened else node.get("entry")
            if entries is None:
                return {}
            if not isinstance(entries, dict):
                raise BadValue(entries, "a map")
            out: dict[Any, Any] = {}
            index = 1
            while isinstance(entry := entries.get(str(index)), dict):
                key = entry.get(key_name)
                if key is not None:
                    value = entry.get(value_name)
                    out[key_reader(key)] = value_reader(value) if value is not None else None
                index += 1
            return out

        return read

    def _compile_scalar(self, shape: Shape) -> Reader:
        return _string

    def input_reader(self, shape: StructureShape | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The reader for an operation's input: tree -> params; raises InvalidParameterValue."""
        if shape is None:
            return lambda tree: {}
        reader = self.compile(shape)

        def parse(tree: dict[str, Any]) -> dict[str, Any]:
            try:
                result: dict[str, Any] = reader(tree)
            except BadValue as bad:
                raise bad.to_error() from None
            return result

        return parse
