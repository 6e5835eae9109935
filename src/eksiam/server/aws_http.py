"""uvicorn's HTTP/1.1 protocol, with AWS API requests answered in the parser's own callbacks.

Why: uvicorn gives every request an ASGI cycle (a scope, an ``asyncio.Event``, a task, receive and
send coroutines), about 30 us of a small AWS call's 80 (benchmarks/server.py). An AWS request
that eksiam answers on the event loop (aws_endpoint.py rule 3) needs none of it: its whole body is
in hand when the parser completes the message, and its response is ready when ``begin`` returns.

Rules:

1. A request is answered directly only when nothing about it needs uvicorn: HTTP/1.1, ``POST`` or
   ``GET``, a path that is the AWS endpoint's and has no percent-escape (so the raw and the decoded
   path route alike), a ``Content-Length`` within the endpoint's body limit (or no body), no
   ``Transfer-Encoding``, ``Expect``, ``Upgrade`` or ``Connection: close``, and no earlier request
   on the connection still unanswered (pipelined responses keep their order). Every other request
   takes uvicorn's own path, unchanged.
2. The response is written as uvicorn writes it (status line, its default headers such as
   ``date``, the response's headers, ``content-length``), and the connection then goes on as after
   any uvicorn response: ``on_response_complete`` counts it, resumes reading and arms the keep-alive
   timer.
3. A request whose writes need a group sync is answered from ``GroupSync.notify``'s callback; until
   then a ``_Pending`` stands in uvicorn's cycle slot, so a pipelined request behind it is queued
   by uvicorn's own pipeline, graceful shutdown closes the connection after the answer, and a
   closed connection gets nothing written. A request that must run in the worker pool becomes an
   ordinary uvicorn cycle whose application awaits ``AwsAsgiEndpoint.finish``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from eksiam.protocol import HttpResponse
from eksiam.server.aws_endpoint import Exchange, head, server_error
from eksiam.server.dual_protocol import dual_protocol_class

if TYPE_CHECKING:
    from eksiam.server.app import EksiamApp

_METHODS = frozenset({b"POST", b"GET"})
_INTERNAL_FAILURE = "We encountered an internal error. Please try again."
log = logging.getLogger("eksiam.server")


class _Pending:
    """What uvicorn reads of the connection's current cycle (aws_http rule 3): whether its response
    is complete, and the flags ``connection_lost`` and ``shutdown`` set."""

    __slots__ = ("response_complete", "disconnected", "keep_alive", "message_event")

    def __init__(self) -> None:
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = True
        self.message_event = _Unwatched()


class _Unwatched:
    """``connection_lost`` sets the cycle's event for a reader of the body; a direct answer has none."""

    __slots__ = ()

    def set(self) -> None:
        return None


def http_protocol_class(app: EksiamApp) -> type[asyncio.Protocol]:
    """The ``http=`` protocol for uvicorn's config: plain HTTP and TLS on one port (dual_protocol.py),
    AWS requests answered directly (this module)."""

    class AwsHttpProtocol(HttpToolsProtocol):
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._direct: tuple[str, str, bytes] | None = None
            self._chunks: list[bytes] = []

        def on_headers_complete(self) -> None:
            self._direct = self._direct_target()
            if self._direct is None:
                super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if self._direct is None:
                super().on_body(body)
            else:
                self._chunks.append(body)

        def on_message_complete(self) -> None:
            target = self._direct
            if target is None:
                super().on_message_complete()
                return
            self._direct = None
            method, path, query = target
            aws = app.aws
            client = self.client
            try:
                exchange = aws.begin(
                    method=method,
                    path=path,
                    query=query,
                    headers=self.headers,
                    body=b"".join(self._chunks),
                    client_ip=client[0] if client else "",
                )
            except Exception:  # a failure of the server itself: a 500, never httptools' 400
                log.exception("the AWS request failed outside the protocol layer")
                failure = server_error(path, 500, "InternalFailure", _INTERNAL_FAILURE)
                self.transport.write(self._serialized(failure))
                self.on_response_complete()
                return
            response = exchange.response
            if response is None:
                self._run_in_cycle(exchange, method, path, query)
            elif exchange.ready:
                self.transport.write(self._serialized(response))
                aws.observe(exchange, response, path)
                self.on_response_complete()
            else:
                self._answer_when_durable(exchange, path)

        def _direct_target(self) -> tuple[str, str, bytes] | None:
            """(method, path, query) of a request rule 1 lets through, else None."""
            cycle = self.cycle
            if (cycle is not None and not cycle.response_complete) or self.expect_100_continue:
                return None
            parser = self.parser
            method = parser.get_method()
            if method not in _METHODS or parser.get_http_version() != "1.1" or parser.should_upgrade():
                return None
            try:
                url = httptools.parse_url(self.url)
            except httptools.HttpParserInvalidURLError:
                return None
            raw_path = url.path
            if raw_path.find(b"%") >= 0:
                return None
            path = raw_path.decode("latin-1")
            if app.routes_elsewhere(path):
                return None
            for name, value in self.headers:
                if name == b"content-length":
                    if not value.isdigit() or int(value) > app.aws.max_body_bytes:
                        return None
                elif name in (b"transfer-encoding", b"expect", b"upgrade") or (
                    name == b"connection" and value.lower().find(b"close") >= 0
                ):
                    return None
            return method.decode("ascii"), path, url.query or b""

        def _serialized(self, response: HttpResponse) -> bytes:
            out = [STATUS_LINE[response.status]]
            for name, value in (*self.server_state.default_headers, *head(response)):
                out += (name, b": ", value, b"\r\n")
            out += (b"\r\n", response.body)
            return b"".join(out)

        def _answer_when_durable(self, exchange: Exchange, path: str) -> None:
            """Rule 3: the response leaves after the group sync; meanwhile ``_Pending`` holds the
            connection's cycle slot, so a pipelined request behind it waits its turn."""
            pending = self.cycle = cast(RequestResponseCycle, _Pending())
            aws = app.aws

            def answer(response: HttpResponse) -> None:
                pending.response_complete = True
                if not self.transport.is_closing():
                    self.transport.write(self._serialized(response))
                    if not pending.keep_alive:  # uvicorn's shutdown asked to close after this answer
                        self.transport.close()
                aws.observe(exchange, response, path)
                self.on_response_complete()

            aws.when_durable(exchange, answer)

        def _run_in_cycle(self, exchange: Exchange, method: str, path: str, query: bytes) -> None:
            """Rule 3: a request for the worker pool continues in a uvicorn cycle and task."""
            scope = cast(Any, self.scope)
            scope.update(method=method, path=path, raw_path=path.encode("latin-1"), query_string=query)
            cycle = RequestResponseCycle(
                scope=self.scope,
                transport=self.transport,
                flow=self.flow,
                logger=self.logger,
                access_logger=self.access_logger,
                access_log=self.access_log,
                default_headers=self.server_state.default_headers,
                message_event=asyncio.Event(),
                expect_100_continue=False,
                keep_alive=True,
                on_response=self.on_response_complete,
            )
            cycle.more_body = False
            self.cycle = cycle

            async def respond(scope: Any, receive: Any, send: Any) -> None:
                await app.aws.respond(exchange, send, path)

            task = self.loop.create_task(cycle.run_asgi(respond))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

    return dual_protocol_class(AwsHttpProtocol, lambda: app.runtime.ssl_context)
