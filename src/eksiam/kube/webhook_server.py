"""The pod identity webhook as a standalone HTTPS admission webhook (``eksiam webhook``).

Endpoints as upstream's (amazon-eks-pod-identity-webhook ``main.go``): ``POST /mutate`` answers an
AdmissionReview (v1 or v1beta1) through ``admission.review``; ``GET /healthz`` answers ``ok``.

The serving certificate is re-read when its files change (cert-manager or kubelet rotate the mounted
Secret in place), as upstream's certificate watcher does; a half-written pair keeps the old one.

A pod that is not mutated is the most common "my pod got no credentials" question, so the reason
goes to a log line and, after the answer is sent, to a Kubernetes Event on the pod (Kubernetes
"Events" API: involvedObject names the pod). A lookup that fails lets the pod through unmutated,
as ``failurePolicy: Ignore`` would, and the Event says which read failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from eksiam.kube.admission import AdmissionResult, IdentityLookup, review
from eksiam.kube.webhook import Identity, Jitter, WebhookSettings
from eksiam.kube.webhook_sources import LookupFailed

log = logging.getLogger("eksiam.kube.webhook")

# kube-apiserver caps request bodies at 3 MiB; an AdmissionReview carries one pod.
MAX_BODY = 3 * 1024 * 1024
CERTIFICATE_CHECK_SECONDS = 5.0
# record(namespace, pod name, why it was not mutated)
Recorder = Callable[[str, str, str], None]


def webhook_metrics() -> tuple[CollectorRegistry, Counter]:
    """A registry of its own, so the webhook's counters never mix with the server's."""
    registry = CollectorRegistry()
    counter = Counter(
        "pod_identity_webhook_admissions",
        "AdmissionReviews answered, by result (mutated, skipped, refused) and mode.",
        ("result", "mode"),
        registry=registry,
    )
    return registry, counter


def webhook_app(
    lookup: IdentityLookup,
    settings: WebhookSettings,
    *,
    record: Recorder | None = None,
    jitter: Jitter = random.randint,
    counter: Counter | None = None,
) -> Starlette:
    """The ASGI app; ``lookup`` may raise ``LookupFailed`` (the pod is then let through)."""

    def answer(body: bytes, content_type: str) -> tuple[AdmissionResult, str | None]:
        failures: list[str] = []

        def guarded(namespace: str, name: str) -> Identity:
            try:
                return lookup(namespace, name)
            except LookupFailed as err:
                failures.append(str(err))
                return Identity(service_account_found=False)

        result = review(body, content_type, guarded, settings, jitter=jitter)
        mutation = result.mutation
        if mutation is None or mutation.patch is not None:
            return result, None
        return result, failures[0] if failures else mutation.reason

    async def mutate(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request body too large", status_code=413)
        content_type = request.headers.get("content-type", "")
        result, skipped = await run_in_threadpool(answer, body, content_type)
        _count(counter, result, skipped)
        task = None
        if result.mutation is None:
            log.info("admission refused (%s): %s", result.status, _refusal(result))
        elif skipped is None:
            log.info("pod %s/%s mutated for %s", result.namespace, result.pod_name, result.mutation.mode)
        else:
            log.info("pod %s/%s not mutated: %s", result.namespace, result.pod_name, skipped)
            if record is not None:
                task = BackgroundTask(record, result.namespace, result.pod_name, skipped)
        return Response(
            result.body, status_code=result.status, media_type=result.content_type, background=task
        )

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/mutate", mutate, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


def _refusal(result: AdmissionResult) -> str:
    if result.status != 200:
        return result.body.decode(errors="replace")
    response: dict[str, Any] = json.loads(result.body).get("response") or {}
    return str((response.get("status") or {}).get("message", ""))


def _count(counter: Counter | None, result: AdmissionResult, skipped: str | None) -> None:
    if counter is None:
        return
    if result.mutation is None:
        counter.labels("refused", "").inc()
    elif skipped is None:
        counter.labels("mutated", result.mutation.mode or "").inc()
    else:
        counter.labels("skipped", "").inc()


def _stamp(*paths: Path) -> tuple[tuple[int, int], ...] | None:
    try:
        return tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    except OSError:
        return None


def reload_certificate(
    context: ssl.SSLContext, cert: Path, key: Path, seen: tuple[tuple[int, int], ...] | None
) -> tuple[tuple[int, int], ...] | None:
    """Load the pair into ``context`` when the files changed; new handshakes then use it."""
    stamp = _stamp(cert, key)
    if stamp is None or stamp == seen:
        return seen
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as err:
        log.warning("TLS certificate %s not reloaded (keeping the current one): %s", cert, err)
        return seen
    log.info("TLS certificate %s reloaded", cert)
    return stamp


async def watch_certificate(
    context: ssl.SSLContext, cert: Path, key: Path, interval: float = CERTIFICATE_CHECK_SECONDS
) -> None:
    seen = _stamp(cert, key)
    while True:
        await asyncio.sleep(interval)
        seen = reload_certificate(context, cert, key, seen)
