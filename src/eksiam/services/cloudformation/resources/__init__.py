"""Resource handlers by CloudFormation type; ``handlers(iam, eks)`` builds the table."""

from __future__ import annotations

from eksiam.services.cloudformation.resources.base import Handler, Provisioned, ResourceRequest
from eksiam.services.cloudformation.resources.eks import (
    ClusterHandler,
    FargateProfileHandler,
    NodegroupHandler,
    PodIdentityAssociationHandler,
)
from eksiam.services.cloudformation.resources.iam_policies import ManagedPolicyHandler, PolicyHandler
from eksiam.services.cloudformation.resources.iam_principals import (
    AccessKeyHandler,
    GroupHandler,
    OidcProviderHandler,
    UserHandler,
    UserToGroupAdditionHandler,
)
from eksiam.services.cloudformation.resources.iam_roles import (
    InstanceProfileHandler,
    RoleHandler,
    ServiceLinkedRoleHandler,
)
from eksiam.services.eks import EksService
from eksiam.services.iam import IamService


def handlers(iam: IamService, eks: EksService) -> dict[str, Handler]:
    table: list[Handler] = [
        RoleHandler(iam),
        PolicyHandler(iam),
        ManagedPolicyHandler(iam),
        ServiceLinkedRoleHandler(iam),
        InstanceProfileHandler(iam),
        UserHandler(iam),
        GroupHandler(iam),
        AccessKeyHandler(iam),
        OidcProviderHandler(iam),
        UserToGroupAdditionHandler(iam),
        ClusterHandler(eks),
        NodegroupHandler(eks),
        FargateProfileHandler(eks),
        PodIdentityAssociationHandler(eks),
    ]
    return {h.type_name: h for h in table}


__all__ = ["Handler", "Provisioned", "ResourceRequest", "handlers"]
