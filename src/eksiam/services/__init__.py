"""AWS semantics: IAM, STS, EKS as plain classes, one public method per operation."""

from __future__ import annotations

from dataclasses import dataclass

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.authorize import AccessDenied, Authorizer, authorize_operations
from eksiam.services.authz_generation import track_policy_changes
from eksiam.services.cloudformation import CloudFormationService
from eksiam.services.context import CallContext, Caller, CallerKind
from eksiam.services.credentials import CredentialResolver
from eksiam.services.eks import EksAuthService, EksService
from eksiam.services.iam import IamService
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.sts import StsService
from eksiam.services.usage import UsageLog
from eksiam.storage.interface import Store


@dataclass(slots=True)
class Services:
    """The service objects server and CLI use; one field per service as it comes to exist."""

    iam: IamService
    sts: StsService
    eks: EksService
    eks_auth: EksAuthService
    cloudformation: CloudFormationService
    credentials: CredentialResolver
    authorizer: Authorizer
    usage: UsageLog


def build_services(store: Store, clock: Clock, settings: Settings) -> Services:
    usage = UsageLog(store)  # last-used data feeds no authorization decision (usage.py rule 3)
    store = track_policy_changes(store)  # policy changes invalidate the authorizer's cache
    authorizer = Authorizer(store, settings)
    iam = IamService(store, clock, settings, catalog=AwsManagedPolicies(), authorizer=authorizer)
    sts = StsService(store, clock, settings, authorizer=authorizer, usage=usage)
    eks = EksService(store, clock, settings, iam, authorizer)
    for service in EksService.SERVICE_LINKED_ROLE_SERVICES:
        iam.register_usage_provider(service, eks.role_usage(service))
    eks_auth = EksAuthService(eks, sts)
    authorize_operations(eks, "eks", authorizer)  # IAM and STS methods authorize themselves
    authorize_operations(eks_auth, "eks-auth", authorizer)
    cloudformation = CloudFormationService(store, clock, settings, iam, eks)
    authorize_operations(cloudformation, "cloudformation", authorizer)
    return Services(
        iam=iam,
        sts=sts,
        eks=eks,
        eks_auth=eks_auth,
        cloudformation=cloudformation,
        credentials=CredentialResolver(store, settings, clock, tokens=sts.tokens),
        authorizer=authorizer,
        usage=usage,
    )


__all__ = [
    "AccessDenied",
    "Authorizer",
    "CallContext",
    "Caller",
    "CallerKind",
    "CloudFormationService",
    "CredentialResolver",
    "EksAuthService",
    "EksService",
    "IamService",
    "Services",
    "StsService",
    "build_services",
]
