"""Reading Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

kubectl's typed clients (``create namespace|serviceaccount|configmap|token``, ``run``) send built-in
objects as protobuf and do not fall back to JSON. eksiam answers in JSON (kubectl accepts it) and
only needs to *read* these bodies, for the resources it serves.

Format (k8s.io/apimachinery runtime/serializer/protobuf): the magic ``k8s\\x00``, then a
``runtime.Unknown`` message {1: TypeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding,
4: contentType}, where ``raw`` is the object in the field numbering of the API's generated.proto.

Rules:

1. The schema below lists, per message, field number -> (JSON name, type). Types: ``str``, ``bytes``
   (base64 in JSON), ``int``, ``bool``, ``time`` (meta/v1 Time: seconds, nanos -> RFC 3339; an empty
   one is null), a message name, ``map`` (string -> string), ``qmap`` (string -> Quantity), and a
   ``[...]`` list of any of them. A trailing ``?`` marks a pointer field in Go, whose zero value is
   meaningful and kept; other zero values are dropped, as JSON's ``omitempty`` does.
2. A field number the schema does not know is refused with 415, naming it, rather than dropped:
   silently losing part of an object would store something the client did not send. JSON bodies
   (``kubectl apply``/``create -f``) carry every field.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from eksiam.kube import status

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "Unknown": {
        1: ("typeMeta", "TypeMeta"),
        2: ("raw", "bytes"),
        3: ("contentEncoding", "str"),
        4: ("contentType", "str"),
    },
    "TypeMeta": {1: ("apiVersion", "str"), 2: ("kind", "str")},
    "ObjectMeta": {
        1: ("name", "str"),
        2: ("generateName", "str"),
        3: ("namespace", "str"),
        4: ("selfLink", "str"),
        5: ("uid", "str"),
        6: ("resourceVersion", "str"),
        7: ("generation", "int"),
        8: ("creationTimestamp", "time"),
        9: ("deletionTimestamp", "time"),
        10: ("deletionGracePeriodSeconds", "int?"),
        11: ("labels", "map"),
        12: ("annotations", "map"),
        13: ("ownerReferences", "[OwnerReference]"),
        14: ("finalizers", "[str]"),
    },
    "OwnerReference": {
        1: ("kind", "str"),
        3: ("name", "str"),
        4: ("uid", "str"),
        5: ("apiVersion", "str"),
        6: ("controller", "bool?"),
        7: ("blockOwnerDeletion", "bool?"),
    },
    "Namespace": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "NamespaceSpec"),
        3: ("status", "NamespaceStatus"),
    },
    "NamespaceSpec": {1: ("finalizers", "[str]")},
    "NamespaceStatus": {1: ("phase", "str")},
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "[ObjectReference]"),
        3: ("imagePullSecrets", "[LocalObjectReference]"),
        4: ("automountServiceAccountToken", "bool?"),
    },
    "ObjectReference": {
        1: ("kind", "str"),
        2: ("namespace", "str"),
        3: ("name", "str"),
        4: ("uid", "str"),
        5: ("apiVersion", "str"),
        6: ("resourceVersion", "str"),
        7: ("fieldPath", "str"),
    },
    "LocalObjectReference": {1: ("name", "str")},
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map"),
        3: ("binaryData", "bmap"),
        4: ("immutable", "bool?"),
    },
    "TokenRequest": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "TokenRequestSpec"),
        3: ("status", "TokenRequestStatus"),
    },
    "TokenRequestSpec": {
        1: ("audiences", "[str]"),
        3: ("boundObjectRef", "BoundObjectReference"),
        4: ("expirationSeconds", "int?"),
    },
    "BoundObjectReference": {
        1: ("kind", "str"),
        2: ("apiVersion", "str"),
        3: ("name", "str"),
        4: ("uid", "str"),
    },
    "TokenRequestStatus": {1: ("token", "str"), 2: ("expirationTimestamp", "time")},
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec"), 3: ("status", "PodStatus")},
    "PodStatus": {1: ("phase", "str")},
    "PodSpec": {
        2: ("containers", "[Container]"),
        3: ("restartPolicy", "str"),
        4: ("terminationGracePeriodSeconds", "int?"),
        5: ("activeDeadlineSeconds", "int?"),
        6: ("dnsPolicy", "str"),
        7: ("nodeSelector", "map"),
        8: ("serviceAccountName", "str"),
        9: ("serviceAccount", "str"),
        10: ("nodeName", "str"),
        11: ("hostNetwork", "bool"),
        15: ("imagePullSecrets", "[LocalObjectReference]"),
        16: ("hostname", "str"),
        17: ("subdomain", "str"),
        19: ("schedulerName", "str"),
        20: ("initContainers", "[Container]"),
        21: ("automountServiceAccountToken", "bool?"),
        24: ("priorityClassName", "str"),
        30: ("enableServiceLinks", "bool?"),
    },
    "Container": {
        1: ("name", "str"),
        2: ("image", "str"),
        3: ("command", "[str]"),
        4: ("args", "[str]"),
        5: ("workingDir", "str"),
        6: ("ports", "[ContainerPort]"),
        7: ("env", "[EnvVar]"),
        8: ("resources", "ResourceRequirements"),
        9: ("volumeMounts", "[VolumeMount]"),
        13: ("terminationMessagePath", "str"),
        14: ("imagePullPolicy", "str"),
        16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"),
        18: ("tty", "bool"),
        20: ("terminationMessagePolicy", "str"),
    },
    "ContainerPort": {
        1: ("name", "str"),
        2: ("hostPort", "int"),
        3: ("containerPort", "int"),
        4: ("protocol", "str"),
        5: ("hostIP", "str"),
    },
    "EnvVar": {1: ("name", "str"), 2: ("value", "str")},
    "ResourceRequirements": {1: ("limits", "qmap"), 2: ("requests", "qmap")},
    "VolumeMount": {
        1: ("name", "str"),
        2: ("readOnly", "bool"),
        3: ("mountPath", "str"),
        4: ("subPath", "str"),
        5: ("mountPropagation", "str"),
        6: ("subPathExpr", "str"),
    },
}

KINDS = {"Namespace", "ServiceAccount", "ConfigMap", "TokenRequest", "Pod"}


def _unsupported(message: str) -> status.KubeError:
    return status.KubeError(
        415, "UnsupportedMediaType", f"protobuf body not readable by eksiam: {message}; send JSON"
    )


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _unsupported("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples; length-delimited values are bytes."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise _unsupported("truncated field")
            value, pos = data[pos : pos + size], pos + size
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise _unsupported(f"wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise _unsupported("expected a string")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise _unsupported("string is not UTF-8") from None


def _map_entry(value: Any, value_type: str) -> tuple[str, Any]:
    if not isinstance(value, bytes):
        raise _unsupported("map entry is not length-delimited")
    key: str = ""
    item: Any = None
    for number, _, raw in _fields(value):
        if number == 1:
            key = _text(raw)
        elif number == 2:
            if value_type == "qmap":
                item = _decode("Quantity", raw)
            elif value_type == "bmap":
                item = base64.b64encode(raw).decode()
            else:
                item = _text(raw)
    return key, item if item is not None else ""


def _time(value: Any) -> str | None:
    if not isinstance(value, bytes):
        raise _unsupported("time is not length-delimited")
    parts = {n: v for n, _, v in _fields(value)}
    if not parts:
        return None
    seconds = parts.get(1, 0)
    if not isinstance(seconds, int):
        raise _unsupported("time seconds is not a varint")
    try:
        return datetime.fromtimestamp(_signed(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        raise _unsupported("time out of range") from None


def _scalar(kind: str, wire: int, value: Any) -> Any:
    base = kind.rstrip("?")
    if (base in ("int", "bool")) != (wire == 0):
        raise _unsupported(f"wire type {wire} for a {base} field")
    if base == "str":
        return _text(value)
    if base == "bytes":
        return bytes(value)
    if base == "int":
        return _signed(value) if wire == 0 else 0
    if base == "bool":
        return bool(value)
    if base == "time":
        return _time(value)
    return _decode(base, value)


def _decode(message: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, bytes):
        raise _unsupported(f"{message} is not length-delimited")
    if message == "Quantity":
        return {"string": next((_text(v) for n, _, v in _fields(data) if n == 1), "")}
    schema = SCHEMA[message]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data):
        if number not in schema:
            raise _unsupported(f"field {number} of {message}")
        name, kind = schema[number]
        if kind in ("map", "qmap", "bmap"):
            key, item = _map_entry(value, kind)
            out.setdefault(name, {})[key] = item["string"] if kind == "qmap" else item
        elif kind.startswith("["):
            out.setdefault(name, []).append(_scalar(kind[1:-1], wire, value))
        else:
            decoded = _scalar(kind, wire, value)
            if kind.endswith("?") or decoded not in ("", 0, False, None, {}):
                out[name] = decoded
            elif kind == "time" and decoded is None:
                out[name] = None
    return out


def decode_object(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object of a kind eksiam serves."""
    if not body.startswith(MAGIC):
        raise _unsupported("missing the k8s protobuf prefix")
    envelope = _decode("Unknown", body[len(MAGIC) :])
    type_meta = envelope.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if kind not in KINDS:
        raise _unsupported(f"kind {kind or '(none)'}")
    if envelope.get("contentEncoding"):
        raise _unsupported(f"content encoding {envelope['contentEncoding']}")
    obj = _decode(kind, envelope.get("raw", b""))
    return {"apiVersion": type_meta.get("apiVersion", "v1"), "kind": kind, **obj}
