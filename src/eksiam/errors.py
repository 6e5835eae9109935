"""The one error type that services and the wire share.

Every layer above storage reports an AWS-visible failure as a ``ServiceError``: the protocol layer
turns it into the service's wire shape (Query ``ErrorResponse`` XML, REST-JSON ``x-amzn-ErrorType``),
the CLI prints ``code: message``. Anything that is not a ``ServiceError`` is a bug and reaches the
wire only as ``InternalFailure`` (500) with the request id.

Tree::

    ServiceError                 code, message, status, sender_fault, extra (modelled members)
     └─ (per service)            services/iam/errors.py, services/sts/errors.py, services/eks/errors.py
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ServiceError(Exception):
    """An AWS error: ``code`` and ``message`` as AWS sends them, plus the HTTP status.

    Subclasses fix ``code`` and ``status`` as class attributes; ``extra`` carries modelled error
    members (EKS's ``clusterName``, ``nodegroupName`` ...) for REST-JSON bodies.
    """

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 500
    sender_fault: ClassVar[bool] = False

    def __init__(self, message: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = dict(extra or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ClientError(ServiceError):
    """Base for 400-class errors the caller can fix."""

    code = "InvalidInput"
    status = 400
    sender_fault = True


class DynamicError(ServiceError):
    """A ServiceError whose code and status are chosen at run time (wire-level and generic codes)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        sender_fault: bool = True,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, extra=extra)
        self.code = code  # type: ignore[misc]
        self.status = status  # type: ignore[misc]
        self.sender_fault = sender_fault  # type: ignore[misc]
