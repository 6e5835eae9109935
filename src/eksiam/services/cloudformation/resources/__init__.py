"""Resource handlers by CloudFormation type; ``handlers(iam, eks)`` builds the table."""

from __future__ import annotations

from eksiam.services.cloudformation.resources.base import Handler, Provisioned, ResourceRequest
from eksiam.services.cloudformation.resources.iam_roles import (
    InstanceProfileHandler,
    ManagedPolicyHandler,
    PolicyHandler,
    RoleHandler,
    ServiceLinkedRoleHandler,
)
from eksiam.services.iam import IamService


def handlers(iam: IamService) -> dict[str, Handler]:
    table: list[Handler] = [
        RoleHandler(iam),
        PolicyHandler(iam),
        ManagedPolicyHandler(iam),
        ServiceLinkedRoleHandler(iam),
        InstanceProfileHandler(iam),
    ]
    return {h.type_name: h for h in table}


__all__ = ["Handler", "Provisioned", "ResourceRequest", "handlers"]
