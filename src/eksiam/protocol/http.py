"""The raw HTTP exchange the protocol layer reads and writes, as plain values.

Rule 1: ``path`` and ``query`` are exactly as they arrived (still percent-encoded), because both the
SigV4 canonical request and REST label matching must see the encoded form; decoding happens once,
in the parser, after matching.
Rule 2: headers are an ordered list of pairs with duplicates kept (ASGI gives them that way and SigV4
joins repeated headers with ``,``); lookups are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def header_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


# Request-scoped values (these two, RoutedOperation, CallContext, SigV4's and STS's per-request
# records) are slotted but not frozen: a frozen dataclass sets each field through
# object.__setattr__, five times the cost, and a request builds seven to eleven of them.
@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: str | bytes = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    client_ip: str = ""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def query_bytes(self) -> bytes:
        query = self.query
        return query if isinstance(query, bytes) else query.encode("utf-8")


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)
