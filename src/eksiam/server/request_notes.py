"""What the server learns about one AWS request while the protocol layer handles it.

The protocol layer owns parsing and routing and calls back into the server only to authenticate.
That callback records the routed service and operation and the caller's key id here, so metrics and
the access log can name them after the response is written. Each request runs in one worker thread
from start to end, and the worker sets a fresh ``RequestNotes`` in its context before handling it.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class RequestNotes:
    service: str = "unknown"
    operation: str = "unknown"
    access_key_id: str | None = None


current_notes: ContextVar[RequestNotes | None] = ContextVar("eksiam_request_notes", default=None)
