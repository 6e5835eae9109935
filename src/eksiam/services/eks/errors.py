"""EKS errors, in the REST-JSON shape botocore's ``eks`` model gives them (status, modelled members).

Tree::

    ServiceError
     ├─ InvalidParameterException      400  clusterName/nodegroupName/fargateProfileName members
     ├─ InvalidRequestException        400
     ├─ ResourceNotFoundException      404
     ├─ ResourceInUseException         409
     ├─ ResourceLimitExceededException 400
     ├─ AccessDeniedException          403
     ├─ BadRequestException            400  (tagging)
     └─ NotFoundException              404  (tagging)
"""

from __future__ import annotations

from typing import Any

from eksiam.errors import ServiceError


class EksError(ServiceError):
    status = 400
    sender_fault = True

    def __init__(self, message: str, **members: Any) -> None:
        super().__init__(message, extra={k: v for k, v in members.items() if v is not None})


class InvalidParameterException(EksError):
    code = "InvalidParameterException"


class InvalidRequestException(EksError):
    code = "InvalidRequestException"


class ResourceNotFoundException(EksError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceInUseException(EksError):
    code = "ResourceInUseException"
    status = 409


class ResourceLimitExceededException(EksError):
    code = "ResourceLimitExceededException"


class AccessDeniedException(EksError):
    code = "AccessDeniedException"
    status = 403


class BadRequestException(EksError):
    code = "BadRequestException"


class NotFoundException(EksError):
    code = "NotFoundException"
    status = 404


def cluster_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"No cluster found for name: {name}.", clusterName=name)
