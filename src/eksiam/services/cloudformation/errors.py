"""CloudFormation errors, with the codes and statuses of botocore's ``cloudformation`` model.

Tree::

    ServiceError
     ├─ ValidationError                   400  bad template/parameters, unknown stack, no updates
     ├─ AlreadyExistsException            400  "Stack [name] already exists"
     ├─ InsufficientCapabilitiesException 400  "Requires capabilities : [CAPABILITY_IAM]"
     ├─ ChangeSetNotFound                 404  "ChangeSet [name] does not exist"
     └─ InvalidChangeSetStatus            400  executing a change set that is not AVAILABLE
"""

from __future__ import annotations

from eksiam.errors import ServiceError


class CloudFormationError(ServiceError):
    status = 400
    sender_fault = True


class ValidationError(CloudFormationError):
    code = "ValidationError"


class AlreadyExistsException(CloudFormationError):
    code = "AlreadyExistsException"


class InsufficientCapabilitiesException(CloudFormationError):
    code = "InsufficientCapabilitiesException"


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"
    status = 404


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"


def stack_not_found(name: str) -> ValidationError:
    """DescribeStacks and friends on an unknown (or deleted, by name) stack."""
    return ValidationError(f"Stack with id {name} does not exist")
