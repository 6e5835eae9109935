"""IAM's error codes, with the status each has in the botocore model (iam 2010-05-08) and the
message texts of iam-rules.md section 5.

Tree::

    ServiceError (eksiam.errors)
     └─ IamError                     sender faults
         ├─ NoSuchEntity             404
         ├─ EntityAlreadyExists      409
         ├─ DeleteConflict           409
         ├─ LimitExceeded            409
         ├─ ConcurrentModification   409
         ├─ InvalidInput             400
         ├─ ValidationError          400  model constraints (length, pattern, range, enum)
         ├─ MalformedPolicyDocument  400
         ├─ UnmodifiableEntity       400  service-linked roles, AWS managed policies
         └─ PolicyNotAttachable      400  aws-service-role/ policies on customer entities
"""

from __future__ import annotations

from eksiam.errors import ServiceError

# Wording AWS uses for each entity kind in NoSuchEntity / EntityAlreadyExists messages.
_ENTITY_WORD = {"role": "role", "user": "user", "group": "group"}


class IamError(ServiceError):
    sender_fault = True
    status = 400


class NoSuchEntity(IamError):
    code = "NoSuchEntity"
    status = 404

    @classmethod
    def entity(cls, kind: str, name: str) -> NoSuchEntity:
        """GetRole, GetUser, GetGroup: ``The role with name <n> cannot be found.``"""
        return cls(f"The {_ENTITY_WORD[kind]} with name {name} cannot be found.")

    @classmethod
    def policy(cls, arn: str) -> NoSuchEntity:
        return cls(f"Policy {arn} was not found.")

    @classmethod
    def not_attachable(cls, arn: str) -> NoSuchEntity:
        """AttachRolePolicy with an unknown ARN (aws/aws-cdk#3379)."""
        return cls(f"Policy {arn} does not exist or is not attachable.")

    @classmethod
    def inline_policy(cls, kind: str, name: str) -> NoSuchEntity:
        return cls(f"The {kind} policy with name {name} cannot be found.")


class EntityAlreadyExists(IamError):
    code = "EntityAlreadyExists"
    status = 409

    @classmethod
    def entity(cls, kind: str, name: str) -> EntityAlreadyExists:
        return cls(f"{_ENTITY_WORD[kind].capitalize()} with name {name} already exists.")


class DeleteConflict(IamError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(IamError):
    code = "LimitExceeded"
    status = 409

    @classmethod
    def quota(cls, quota: str, limit: int) -> LimitExceeded:
        return cls(f"Cannot exceed quota for {quota}: {limit}")


class ConcurrentModification(IamError):
    code = "ConcurrentModification"
    status = 409


class InvalidInput(IamError):
    code = "InvalidInput"


class ValidationError(IamError):
    code = "ValidationError"


class MalformedPolicyDocument(IamError):
    code = "MalformedPolicyDocument"


class UnmodifiableEntity(IamError):
    code = "UnmodifiableEntity"

    @classmethod
    def protected_role(cls, name: str) -> UnmodifiableEntity:
        return cls(
            f"Cannot perform the operation on the protected role '{name}'"
            " - this role is only modifiable by AWS"
        )


class PolicyNotAttachable(IamError):
    code = "PolicyNotAttachable"

    @classmethod
    def service_role_policy(cls) -> PolicyNotAttachable:
        """aws/aws-cdk#6131."""
        return cls("Cannot attach a Service Role Policy to a Customer Role.")
