"""CoalescingTransport (dual_protocol.py): writes made in one loop step leave in one write, in order,
and nothing written is lost when the connection is closed."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from eksiam.server.dual_protocol import CoalescingTransport


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


def test_writes_of_one_step_leave_together_and_in_order() -> None:
    async def main() -> Recorder:
        inner = Recorder()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert inner.writes == []
        assert transport.get_write_buffer_size() == 23
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return inner

    inner = asyncio.run(main())
    assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_flushes_first_and_other_calls_reach_the_transport() -> None:
    async def main() -> Recorder:
        inner = Recorder()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0)
        return inner

    inner = asyncio.run(main())
    assert inner.writes == [b"last words"] and inner.closed


def test_a_real_socket_gets_a_response_in_one_segment() -> None:
    """Through a socket pair: what the peer receives is exactly the two writes, in one recv."""

    async def main() -> bytes:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        coalescing = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
        coalescing.write(b"head|")
        coalescing.write(b"body")
        await asyncio.sleep(0.01)
        theirs.setblocking(False)
        received = theirs.recv(100)
        coalescing.close()
        theirs.close()
        return received

    assert asyncio.run(main()) == b"head|body"
