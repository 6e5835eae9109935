"""Plain HTTP and HTTPS on one port, chosen per connection by its first byte.

AWS SDKs and the AWS CLI talk to eksiam over plain HTTP (``AWS_ENDPOINT_URL=http://...``), but
Kubernetes clients send bearer tokens only over TLS, so the clusters' APIs need HTTPS, and the
convention is one port for everything. A TLS connection always opens with a handshake record
(content type 22, byte ``0x16``); an HTTP request opens with a method name in ASCII. The first chunk
a connection receives therefore decides:

- ``0x16``: the connection is handed to an ``asyncio.sslproto.SSLProtocol`` fed with that chunk, and
  the HTTP protocol underneath sees a TLS transport (``scope["scheme"] == "https"``);
- anything else: the HTTP protocol takes the transport (behind ``CoalescingTransport``) and the
  chunk as they are.

After that choice the wrapper is out of the way: it swaps itself out of the transport.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from asyncio import sslproto
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

TLS_HANDSHAKE = 0x16


def server_ssl_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS 1.2+ server context; ``load_cert_chain`` reads files, so the PEMs pass through a private
    temporary directory that is removed at once."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    with tempfile.TemporaryDirectory() as directory:
        cert, key = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert.write_bytes(cert_pem)
        key.touch(mode=0o600)
        key.write_bytes(key_pem)
        context.load_cert_chain(cert, key)
    return context


class CoalescingTransport:
    """A plain-HTTP transport whose writes within one event-loop step leave in one ``send``.

    uvicorn writes a response's status line and headers, then its body, as two ``write`` calls; on
    an idle socket each becomes its own system call and its own segment. Holding them until the
    end of the loop step halves the syscalls of a small AWS response.
    """

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def dual_protocol_class(
    http_protocol: type[asyncio.Protocol], context: Callable[[], ssl.SSLContext | None]
) -> type[asyncio.Protocol]:
    """A protocol class for uvicorn's ``http=`` that serves ``http_protocol`` with or without TLS.

    ``context`` is asked per TLS connection: the certificate comes from the store, which opens
    after the listener; a TLS connection that arrives before it is ready is closed.
    """

    class DualProtocol(asyncio.Protocol):
        def __init__(self, **kwargs: Any) -> None:
            self._inner = http_protocol(**kwargs)
            self._loop = kwargs.get("_loop") or asyncio.get_event_loop()
            self._transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

        def data_received(self, data: bytes) -> None:
            transport = self._transport
            assert transport is not None
            if data and data[0] == TLS_HANDSHAKE:
                tls_context = context()
                if tls_context is None:
                    transport.close()
                    return
                tls = sslproto.SSLProtocol(
                    self._loop,
                    self._inner,
                    tls_context,
                    None,  # type: ignore[arg-type]  # no waiter: the server side needs none
                    server_side=True,
                )
                transport.set_protocol(tls)
                tls.connection_made(transport)
                view = memoryview(data)
                while view:
                    buffer = tls.get_buffer(len(view))
                    size = min(len(buffer), len(view))
                    buffer[:size] = view[:size]
                    tls.buffer_updated(size)
                    view = view[size:]
            else:
                transport.set_protocol(self._inner)
                coalescing = CoalescingTransport(transport, self._loop)
                self._inner.connection_made(cast(asyncio.Transport, coalescing))
                self._inner.data_received(data)

        def eof_received(self) -> bool | None:
            if self._transport is not None:
                self._transport.close()
            return False

        def connection_lost(self, exc: Exception | None) -> None:
            self._transport = None

    return DualProtocol
