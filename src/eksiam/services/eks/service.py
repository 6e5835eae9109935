"""``EksService``: the EKS operations that touch IAM, one public method each, from operation families."""

from __future__ import annotations

from eksiam.services.eks.access_entries import AccessEntries
from eksiam.services.eks.clusters import Clusters
from eksiam.services.eks.nodegroups import Nodegroups
from eksiam.services.eks.pod_identity import PodIdentityAssociations
from eksiam.services.eks.tags import Tags


class EksService(Clusters, Nodegroups, PodIdentityAssociations, AccessEntries, Tags):
    """EKS over the store; construct with ``(store, clock, settings, iam, authorizer)``."""
