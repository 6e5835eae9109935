"""Protobuf request bodies as kubectl's typed clients send them (k8s.io/apimachinery protobuf
serializer: ``k8s\\x00`` + runtime.Unknown). The encoder here is the test's own, minimal one."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksiam.kube.protobuf import decode_object
from eksiam.kube.status import KubeError


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field(number, value):
    if isinstance(value, bool):
        return varint(number << 3) + varint(int(value))
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


def envelope(kind, raw, api_version="v1"):
    type_meta = field(1, api_version) + field(2, kind)
    return b"k8s\x00" + field(1, type_meta) + field(2, raw) + field(3, "") + field(4, "")


def meta(name, namespace="", labels=None):
    body = field(1, name) + field(2, "") + field(3, namespace) + field(8, b"")
    for key, value in (labels or {}).items():
        body += field(11, field(1, key) + field(2, value))
    return body


def test_config_map_with_labels_and_data():
    raw = field(1, meta("cfg", "team", {"app": "web"})) + field(2, field(1, "a") + field(2, "b"))
    obj = decode_object(envelope("ConfigMap", raw))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "team", "creationTimestamp": None, "labels": {"app": "web"}},
        "data": {"a": "b"},
    }


def test_token_request_keeps_its_expiration_and_audiences():
    spec = field(1, "sts.amazonaws.com") + field(1, "other") + field(4, 3600)
    raw = field(1, meta("reader")) + field(2, spec) + field(3, b"")
    obj = decode_object(envelope("TokenRequest", raw, "authentication.k8s.io/v1"))
    assert obj["spec"] == {"audiences": ["sts.amazonaws.com", "other"], "expirationSeconds": 3600}
    assert obj["apiVersion"] == "authentication.k8s.io/v1"


def test_pointer_booleans_keep_false():
    raw = field(1, meta("sa")) + field(4, False)
    assert decode_object(envelope("ServiceAccount", raw))["automountServiceAccountToken"] is False


def test_pod_from_kubectl_run():
    container = field(1, "app") + field(2, "amazon/aws-cli") + field(8, b"") + field(13, "")
    spec = field(2, container) + field(3, "Always") + field(6, "ClusterFirst") + field(8, "reader")
    obj = decode_object(
        envelope("Pod", field(1, meta("app", labels={"run": "app"})) + field(2, spec) + field(3, b""))
    )
    assert obj["spec"] == {
        "containers": [{"name": "app", "image": "amazon/aws-cli"}],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "reader",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not protobuf",
        envelope("Secret", field(1, meta("s"))),
        envelope("ConfigMap", field(1, meta("x")) + field(99, "surprise")),
        envelope("ConfigMap", field(1, b"\x0a\xff")),
        b"k8s\x00\x0a",
        b"k8s\x00\x08\x05",
        envelope("ConfigMap", field(1, meta("x") + varint(8 << 3) + varint(5))),
        envelope("ConfigMap", field(1, field(8, field(1, 2**62)))),
    ],
)
def test_unreadable_bodies_are_415_not_crashes(body):
    with pytest.raises(KubeError) as err:
        decode_object(body)
    assert err.value.code == 415


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200) | st.builds(lambda raw: envelope("Pod", raw), st.binary(max_size=120)))
def test_any_bytes_decode_or_answer_415(data):
    try:
        decode_object(data if data.startswith(b"k8s") else b"k8s\x00" + data)
    except KubeError as err:
        assert err.code == 415
