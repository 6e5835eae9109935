import base64
import json

from eksiam.kube.admission import review
from eksiam.kube.webhook import Identity

ROLE = "arn:aws:iam::111122223333:role/r"


def lookup(namespace, name):
    if name == "with-role":
        return Identity(annotations={"eks.amazonaws.com/role-arn": ROLE})
    return Identity(annotations={})


def admission(pod, namespace="team", api="admission.k8s.io/v1"):
    return json.dumps(
        {
            "apiVersion": api,
            "kind": "AdmissionReview",
            "request": {"uid": "u-1", "namespace": namespace, "object": pod},
        }
    ).encode()


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"serviceAccountName": "with-role", "containers": [{"name": "c"}]},
}


def test_content_type_must_be_exactly_json():
    r = review(admission(POD), "application/json; charset=utf-8", lookup)
    assert (r.status, r.content_type) == (415, "text/plain")
    assert r.body == b"Invalid Content-Type, expected `application/json`"


def test_mutation_echoes_envelope_and_uid_with_base64_patch():
    r = review(admission(POD, api="admission.k8s.io/v1beta1"), "application/json", lookup)
    out = json.loads(r.body)
    assert (out["apiVersion"], out["kind"]) == ("admission.k8s.io/v1beta1", "AdmissionReview")
    resp = out["response"]
    assert (resp["uid"], resp["allowed"], resp["patchType"]) == ("u-1", True, "JSONPatch")
    patch = json.loads(base64.b64decode(resp["patch"]))
    assert any(op["path"] == "/spec/containers" for op in patch)
    assert r.namespace == "team" and r.mutation.mode == "irsa"


def test_service_account_without_role_is_allowed_without_patch():
    pod = {**POD, "spec": {"serviceAccountName": "plain", "containers": [{"name": "c"}]}}
    resp = json.loads(review(admission(pod), "application/json", lookup).body)["response"]
    assert resp == {"uid": "u-1", "allowed": True}


def test_broken_bodies_are_refused_not_crashed():
    bad = json.loads(review(b"{not json", "application/json", lookup).body)["response"]
    assert bad["allowed"] is False and bad["uid"] == "" and bad["status"]["message"]
    empty = json.loads(review(b"{}", "application/json", lookup).body)["response"]
    assert empty == {"uid": "", "allowed": False, "status": {"message": "bad content"}}
    not_pod = json.loads(review(admission({"kind": "Service", "spec": {}}), "application/json", lookup).body)
    assert not_pod["response"]["allowed"] is False
    assert json.loads(review(b"[1]", "application/json", lookup).body)["response"]["allowed"] is False
