"""EKS and EKS Auth: clusters, node groups, Fargate, connector, Pod Identity, access entries."""

from __future__ import annotations

from eksiam.services.eks.access_entries import ACCESS_POLICIES, KubeAccess, kube_permissions, principal_of
from eksiam.services.eks.clusters import KUBE_PREFIX
from eksiam.services.eks.pod_identity import EksAuthService
from eksiam.services.eks.records import CLUSTER, CLUSTER_UID, POD_IDENTITY_SA
from eksiam.services.eks.role_checks import PURPOSES, Finding, RoleReport
from eksiam.services.eks.service import EksService

__all__ = [
    "ACCESS_POLICIES",
    "CLUSTER",
    "CLUSTER_UID",
    "KUBE_PREFIX",
    "POD_IDENTITY_SA",
    "PURPOSES",
    "EksAuthService",
    "EksService",
    "Finding",
    "KubeAccess",
    "RoleReport",
    "kube_permissions",
    "principal_of",
]
