"""Kubernetes ``Status`` failures: the error shape kubectl and client libraries read.

Reasons and codes are apimachinery's (``metav1.StatusReason``): NotFound 404, AlreadyExists 409,
Conflict 409, Invalid 422, BadRequest 400, Unauthorized 401, Forbidden 403, MethodNotAllowed 405,
Gone 410 (a watch from a resourceVersion that is no longer kept), UnsupportedMediaType 415.
"""

from __future__ import annotations

from typing import Any


class KubeError(Exception):
    def __init__(
        self, code: int, reason: str, message: str, *, name: str = "", kind: str = "", group: str = ""
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = {k: v for k, v in {"name": name, "kind": kind, "group": group}.items() if v}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource: str, name: str) -> KubeError:
    return KubeError(404, "NotFound", f'{resource} "{name}" not found', name=name, kind=resource)


def already_exists(resource: str, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", f'{resource} "{name}" already exists', name=name, kind=resource)


def conflict(resource: str, name: str) -> KubeError:
    message = (
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return KubeError(409, "Conflict", message, name=name, kind=resource)


def invalid(kind: str, name: str, message: str) -> KubeError:
    return KubeError(422, "Invalid", f'{kind} "{name}" is invalid: {message}', name=name, kind=kind)


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)
