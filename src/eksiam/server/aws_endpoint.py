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
   so that database round trips overlap. Writes made on the loop join one batch transaction
   (storage/sql.py rule 8) and are acknowledged only after the group sync (group_sync.py) has
   committed the batch and made it durable.
4. Every answered request is counted in metrics and written to the access log (access_log.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    @property
    def max_body_bytes(self) -> int:
        return self._max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path: bytes | None = scope.get("raw_path")
        client = scope.get("client")
        exchange = self.begin(
            method=scope["method"],
            path=raw_path.decode("latin-1") if raw_path else scope["path"],
            query=scope.get("query_string", b""),
            headers=scope["headers"],
            body=await _read_body(receive, self._max_body),
            client_ip=client[0] if client else "",
        )
        await self.respond(exchange, send, scope["path"])

    async def respond(self, exchange: Exchange, send: Send, path: str) -> None:
        """Send the exchange's response through ASGI ``send`` once it may leave, then observe it."""
        response = exchange.response
        if response is None or not exchange.ready:
            response = await self.finish(exchange)
        await send({"type": "http.response.start", "status": response.status, "headers": head(response)})
        await send({"type": "http.response.body", "body": response.body})
        self.observe(exchange, response, path)

    def begin(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        client_ip: str,
    ) -> Exchange:
        """Start answering a request; on a local store, answer it on the loop unless it says it
        may block (rule 3). ``ready`` says whether the response may be sent at once."""
        started = time.perf_counter()
        notes = RequestNotes()
        endpoint = self._endpoint
        if endpoint is None or not self._runtime.ready:
            return Exchange(HttpRequest(method, path), notes, started, unavailable(path), ready=True)
        request = HttpRequest(
            method=method,
            path=path,
            query=query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
            body=body,
            client_ip=client_ip,
        )
        runtime = self._runtime
        if runtime.inline:
            try:
                with running_inline(), runtime.store.deferred_sync(batch=True) as deferral:
                    response = _handle(endpoint, request, notes)
            except Offload:
                if deferral.pending:  # it wrote before saying it may block: see the batch committed
                    runtime.group_sync.notify(_ignore)
            else:
                return Exchange(request, notes, started, response, ready=not deferral.pending)
        return Exchange(request, notes, started, None, ready=False)

    async def finish(self, exchange: Exchange) -> HttpResponse:
        """The response of a request ``begin`` could not answer at once: its writes made durable by
        a group sync, or the whole request run in the worker pool."""
        runtime = self._runtime
        response = exchange.response
        if response is None:
            assert self._endpoint is not None  # begin answers 503 until it is attached
            return await runtime.workers.run(_handle, self._endpoint, exchange.request, exchange.notes)
        try:
            await runtime.group_sync.wait()
        except Exception as failure:
            return _durable(exchange.request, response, failure)
        return response

    def when_durable(self, exchange: Exchange, answer: Callable[[HttpResponse], None]) -> None:
        """``finish`` for an exchange answered on the loop whose writes await a group sync, as a
        callback: ``answer`` gets the response once they are durable."""
        request, response = exchange.request, exchange.response
        assert response is not None
        self._runtime.group_sync.notify(lambda failure: answer(_durable(request, response, failure)))

    def observe(self, exchange: Exchange, response: HttpResponse, path: str) -> None:
        """Count the answered request in metrics and write its access log line (rule 4)."""
        elapsed = time.perf_counter() - exchange.started
        code = result_code(response)
        notes = exchange.notes
        self._runtime.metrics.observe(notes.service, notes.operation, code, elapsed)
        if access_log_enabled():
            log_access(
                AccessRecord(
                    method=exchange.request.method,
                    path=path,
                    service=notes.service,
                    operation=notes.operation,
                    status=response.status,
                    code=code,
                    duration_ms=round(elapsed * 1000, 3),
                    request_id=response.header("x-amzn-RequestId") or "",
                    caller=akid_prefix(notes.access_key_id),
                    source_ip=exchange.request.client_ip,
                )
            )


def _ignore(failure: BaseException | None) -> None:
    return None


def _durable(request: HttpRequest, response: HttpResponse, failure: BaseException | None) -> HttpResponse:
    """The response to send after the group sync: the request's own, or a 500 when the sync failed."""
    if failure is None:
        return response
    log.error(
        "could not sync the store; the request's writes may not be durable",
        exc_info=(type(failure), failure, failure.__traceback__),
    )
    return server_error(request.path, 500, "InternalFailure", _NOT_DURABLE)


def head(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    """The response's header pairs as bytes, with a Content-Length."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.header("content-length") is None:
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


@dataclass(slots=True)
class Exchange:
    """One AWS request on its way through the server. ``response`` is None until it is answered;
    ``ready`` is False while it still has to run in the worker pool or wait for a group sync."""

    request: HttpRequest
    notes: RequestNotes
    started: float
    response: HttpResponse | None
    ready: bool


def _handle(endpoint: AwsEndpoint, request: HttpRequest, notes: RequestNotes) -> HttpResponse:
    token = current_notes.set(notes)
    try:
        return endpoint.handle(request)
    finally:
        current_notes.reset(token)
