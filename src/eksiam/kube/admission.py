"""AdmissionReview in, AdmissionReview out: the HTTP-facing half of the pod identity webhook.

Upstream behaviour (irsa-and-eksctl.md 1.8): ``Content-Type`` must be exactly ``application/json``
(415 otherwise, plain text); the response echoes the review's ``apiVersion``/``kind`` and the request
``uid``; a pod that needs no mutation is allowed without a patch; an undecodable body is answered
``allowed: false`` with the decoder's message. The pod's namespace comes from ``request.namespace``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eksiam.kube.webhook import Identity, Jitter, Mutation, WebhookSettings, mutate_pod

IdentityLookup = Callable[[str, str], Identity]


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    status: int
    content_type: str
    body: bytes
    mutation: Mutation | None = None
    namespace: str = ""
    pod_name: str = ""


def _answer(review: dict[str, Any], response: dict[str, Any], **info: Any) -> AdmissionResult:
    envelope = {
        "apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
        "kind": review.get("kind", "AdmissionReview"),
        "response": response,
    }
    return AdmissionResult(200, "application/json", json.dumps(envelope).encode(), **info)


def review(
    body: bytes,
    content_type: str,
    lookup: IdentityLookup,
    settings: WebhookSettings | None = None,
    *,
    jitter: Jitter = lambda low, high: low,
) -> AdmissionResult:
    """Answer one ``POST /mutate``; ``lookup(namespace, service_account)`` says what the SA carries."""
    if content_type != "application/json":
        return AdmissionResult(415, "text/plain", b"Invalid Content-Type, expected `application/json`")
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise ValueError("admission review must be a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        return _answer({}, {"uid": "", "allowed": False, "status": {"message": str(exc)}})
    request = document.get("request")
    if not isinstance(request, dict):
        return _answer(document, {"uid": "", "allowed": False, "status": {"message": "bad content"}})
    uid = request.get("uid", "")
    pod = request.get("object")
    if (
        not isinstance(pod, dict)
        or (pod.get("kind") not in (None, "Pod"))
        or not isinstance(pod.get("spec", {}), dict)
    ):
        message = "json: cannot unmarshal object into Go value of type v1.Pod"
        return _answer(document, {"uid": uid, "allowed": False, "status": {"message": message}})
    namespace = request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or "default"
    sa_name = (pod.get("spec") or {}).get("serviceAccountName") or "default"
    mutation = mutate_pod(pod, namespace, lookup(namespace, sa_name), settings, jitter=jitter)
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if mutation.patch is not None:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(mutation.patch).encode()).decode()
    pod_name = (pod.get("metadata") or {}).get("name") or (pod.get("metadata") or {}).get("generateName", "")
    return _answer(document, response, mutation=mutation, namespace=namespace, pod_name=pod_name)
