"""Requests that run on the server's event loop, and the way out for work that would stall it.

Why: on a local store (SQLite) an AWS request costs ~100 us of Python, and handing it to a worker
thread costs more than that: the worker and the event loop pass the GIL back and forth at every
SQLite call (two dozen context switches per request, measured by benchmarks/server.py). So the
server runs such requests on the loop itself (``running_inline``), and code that may wait on
something slow (a network fetch, RSA key generation, a CloudFormation stack) calls ``may_block``
first: on the loop it raises ``Offload``, and the server runs the request again on a worker.

Rule: call ``may_block`` before the request has committed anything. A store transaction that is
running when it raises is rolled back, so raising inside ``Store.write``'s function is safe too.
"""

from __future__ import annotations

import threading

_state = threading.local()


class Offload(BaseException):
    """Raised on the event loop by ``may_block``; a BaseException so that services' ``except
    Exception`` handlers and the protocol layer's InternalFailure net let it pass."""


class running_inline:  # noqa: N801 - used like a function: ``with running_inline():``
    """Mark the current thread as the event loop for the duration of one request (a class, not a
    generator-based context manager: it runs around every request)."""

    __slots__ = ()

    def __enter__(self) -> None:
        _state.inline = True

    def __exit__(self, *exc: object) -> None:
        _state.inline = False


def may_block() -> None:
    """Say that what follows may wait; raises ``Offload`` when the request runs on the event loop."""
    if getattr(_state, "inline", False):
        raise Offload()
