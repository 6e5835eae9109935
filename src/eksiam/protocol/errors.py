"""Wire-level AWS errors: what goes wrong before a service method runs (or around it).

Codes, messages and statuses follow the "Common Errors" page every Query API reference carries
(e.g. https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html). They are
``ServiceError`` subclasses so the serializers treat them like any service error.

Tree::

    ServiceError (eksiam.errors)
     ├─ MissingAction                400  Query request without ``Action``
     ├─ InvalidAction                400  unknown Action, or wrong/missing Version
     ├─ ValidationError              400  model constraints (code per service: ValidationError for
     │                                    Query, the service's modelled validation code for REST-JSON)
     ├─ InvalidParameterValue        400  a scalar that does not parse as its shape's type
     ├─ MalformedQueryString         404  broken percent-encoding / UTF-8 (404 as the Common Errors page says)
     ├─ SerializationException       400  REST-JSON body that is not JSON or has the wrong JSON types
     ├─ UnknownOperationException    404  REST path/method that matches no operation
     ├─ RequestEntityTooLarge        413  body above the endpoint's limit
     ├─ OperationNotImplemented      501  modelled operation with no service method ("NotImplemented")
     └─ InternalFailure              500  anything that is not a ServiceError (traceback to the log only)
"""

from __future__ import annotations

from typing import ClassVar

from eksiam.errors import ServiceError


class MissingAction(ServiceError):
    code = "MissingAction"
    status = 400
    sender_fault = True

    def __init__(self) -> None:
        super().__init__("The request is missing an action or a required parameter.")


class InvalidAction(ServiceError):
    """Coral's text for an Action the named Version does not have (also for a missing Version)."""

    code = "InvalidAction"
    status = 400
    sender_fault = True

    def __init__(self, action: str, version: str | None) -> None:
        super().__init__(f"Could not find operation {action} for version {version or 'NO_VERSION_SPECIFIED'}")


class ValidationError(ServiceError):
    """Constraint violations, joined as AWS does: ``N validation error(s) detected: A; B``."""

    code = "ValidationError"
    status = 400
    sender_fault = True

    def __init__(self, violations: list[str], *, code: str = "ValidationError") -> None:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(violations))
        self.violations = violations
        self.code = code  # type: ignore[misc]


class InvalidParameterValue(ServiceError):
    code = "InvalidParameterValue"
    status = 400
    sender_fault = True


class MalformedQueryString(ServiceError):
    code = "MalformedQueryString"
    status = 404
    sender_fault = True


class SerializationException(ServiceError):
    code = "SerializationException"
    status = 400
    sender_fault = True


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"
    status = 404
    sender_fault = True


class RequestEntityTooLarge(ServiceError):
    code = "RequestEntityTooLarge"
    status = 413
    sender_fault = True

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds the maximum size of {limit} bytes.")


class OperationNotImplemented(ServiceError):
    code = "NotImplemented"
    status = 501
    sender_fault = False

    def __init__(self, service_id: str, operation: str) -> None:
        super().__init__(f"eksiam does not implement {service_id} operation {operation} yet.")


class ServiceUnavailable(ServiceError):
    """The database could not be reached, or kept conflicting past the store's retries: a transient
    failure, answered as AWS answers one (503, which the SDKs retry); nothing was changed."""

    code = "ServiceUnavailable"
    json_code: ClassVar[str] = "ServiceUnavailableException"
    status = 503
    sender_fault = False

    def __init__(self) -> None:
        super().__init__("The request has failed due to a temporary failure of the server.")


class InternalFailure(ServiceError):
    code = "InternalFailure"
    status = 500
    sender_fault = False

    def __init__(self) -> None:
        super().__init__(
            "The request processing has failed because of an unknown error, exception or failure."
        )
