"""The AWS endpoint as a raw ASGI callable: scope -> HttpRequest -> protocol -> response bytes.

Rules:

1. The request reaches the protocol layer as it arrived: ``raw_path`` decoded as latin-1 (still
   percent-encoded, as SigV4 and REST label matching need it), the query string bytes, header
   pairs with duplicates kept, the client address.
2. Bodies are read up to one byte past the protocol's limit, never further, so a client cannot make
   the server buffer without bound; the protocol layer then answers RequestEntityTooLarge in the
   routed service's own error shape.
3. ``AwsEndpoint.handle`` is synchronous (services and storage block). On a local store (SQLite) it
   runs on the event loop, which is cheaper than any thread handoff, unless the request raises
   ``Offload`` (offload.py: it is about to wait on a network or a long computation), and then
   again, from the start, in the runtime's worker pool; on PostgreSQL it always runs in the pool,
   so that database round trips overlap. Writes made on the loop are acknowledged only after a
   group sync (group_sync.py) has made them durable.
4. Every answered request is counted in metrics and written to the access log (access_log.py).
"""

from __future__ import annotations

import logging
import re
import time
from json import dumps

from starlette.types import Receive, Scope, Send

from eksiam.ids import request_id
from eksiam.offload import Offload, running_inline
from eksiam.protocol import DEFAULT_MAX_BODY_BYTES, AwsEndpoint, HttpRequest, HttpResponse
from eksiam.server.access_log import AccessRecord, access_log_enabled, akid_prefix, log_access
from eksiam.server.lifespan import Runtime
from eksiam.server.request_notes import RequestNotes, current_notes

_ERROR_CODE = re.compile(rb"<Code>([^<]{1,128})</Code>")
_NOT_DURABLE = "The request was processed but could not be made durable; check its effect and retry."
log = logging.getLogger("eksiam.server")


def server_error(path: str, status: int, code: str, message: str) -> HttpResponse:
    """An error of the server itself, in the shape the request looks like (Query at ``/``)."""
    rid = request_id()
    if path == "/":
        body = (
            f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = dumps({"message": message}).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return HttpResponse(status, [*headers, ("x-amzn-RequestId", rid)], body)


def unavailable(path: str) -> HttpResponse:
    """503 while starting or stopping."""
    return server_error(path, 503, "ServiceUnavailable", "The server is starting or stopping; retry shortly.")


def result_code(response: HttpResponse) -> str:
    """The AWS error code of a response (``OK`` for success), for metrics and the access log."""
    if response.status < 400:
        return "OK"
    code = response.header("x-amzn-ErrorType")
    if code:
        return code.split(":", 1)[0]
    match = _ERROR_CODE.search(response.body)
    return match.group(1).decode("ascii", "replace") if match else str(response.status)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            break
    return b"".join(chunks)


class AwsAsgiEndpoint:
    def __init__(self, runtime: Runtime, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._runtime = runtime
        self._max_body = max_body_bytes
        self._endpoint: AwsEndpoint | None = None

    def attach(self, endpoint: AwsEndpoint) -> None:
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        raw_path: bytes | None = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        client = scope.get("client")
        source_ip = client[0] if client else ""
        body = await _read_body(receive, self._max_body)
        notes = RequestNotes()
        endpoint = self._endpoint
        if endpoint is None or not self._runtime.ready:
            response = unavailable(path)
        else:
            request = HttpRequest(
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b""),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                body=body,
                client_ip=source_ip,
            )
            response = await self._dispatch(endpoint, request, notes)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if response.header("content-length") is None:
            headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        elapsed = time.perf_counter() - started
        code = result_code(response)
        self._runtime.metrics.observe(notes.service, notes.operation, code, elapsed)
        if access_log_enabled():
            log_access(
                AccessRecord(
                    method=scope["method"],
                    path=scope["path"],
                    service=notes.service,
                    operation=notes.operation,
                    status=response.status,
                    code=code,
                    duration_ms=round(elapsed * 1000, 3),
                    request_id=response.header("x-amzn-RequestId") or "",
                    caller=akid_prefix(notes.access_key_id),
                    source_ip=source_ip,
                )
            )

    async def _dispatch(
        self, endpoint: AwsEndpoint, request: HttpRequest, notes: RequestNotes
    ) -> HttpResponse:
        """On a local store, answer on the loop unless the request says it may block (rule 3)."""
        runtime = self._runtime
        if runtime.inline:
            try:
                with running_inline(), runtime.store.deferred_sync() as deferral:
                    response = _handle(endpoint, request, notes)
            except Offload:
                pass
            else:
                if deferral.pending:
                    try:
                        await runtime.group_sync.wait()
                    except Exception:  # the writes are committed but may not be durable
                        log.exception("could not sync the store; the request's writes may not be durable")
                        return server_error(request.path, 500, "InternalFailure", _NOT_DURABLE)
                return response
        return await runtime.workers.run(_handle, endpoint, request, notes)


def _handle(endpoint: AwsEndpoint, request: HttpRequest, notes: RequestNotes) -> HttpResponse:
    token = current_notes.set(notes)
    try:
        return endpoint.handle(request)
    finally:
        current_notes.reset(token)
