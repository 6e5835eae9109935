"""AWS semantics: IAM, STS, EKS as plain classes, one public method per operation."""

from __future__ import annotations

from dataclasses import dataclass

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.context import CallContext, Caller, CallerKind
from eksiam.services.credentials import CredentialResolver
from eksiam.services.eks import EksAuthService, EksService
from eksiam.services.iam import IamService
from eksiam.services.sts import StsService
from eksiam.storage.interface import Store


@dataclass(slots=True)
class Services:
    """The service objects server and CLI use; one field per service as it comes to exist."""

    iam: IamService
    sts: StsService
    eks: EksService
    eks_auth: EksAuthService
    credentials: CredentialResolver


def build_services(store: Store, clock: Clock, settings: Settings) -> Services:
    iam = IamService(store, clock, settings)
    sts = StsService(store, clock, settings)
    eks = EksService(store, clock, settings, iam)
    return Services(
        iam=iam,
        sts=sts,
        eks=eks,
        eks_auth=EksAuthService(eks, sts),
        credentials=CredentialResolver(store, settings, clock),
    )


__all__ = [
    "CallContext",
    "Caller",
    "CallerKind",
    "CredentialResolver",
    "EksAuthService",
    "EksService",
    "IamService",
    "Services",
    "StsService",
    "build_services",
]
