"""How EKS resources are laid out in the store.

Kinds (``acct`` = the caller's account; ``""`` = global)::

  eks-cluster          acct  "<region>|<name>"          the Cluster as DescribeCluster returns it
                                                          (timestamps ISO-8601), plus ``uid``
  eks-cluster-uid      ""    uid (32 lower-case hex)     account, region, name: finds a cluster from
                                                          its Kubernetes endpoint path
  eks-nodegroup        acct  "<region>|<cluster>|<name>"
  eks-fargate-profile  acct  "<region>|<cluster>|<name>"
  eks-pod-identity     acct  "<region>|<cluster>|<association id>"
  eks-pod-identity-sa  acct  "<region>|<cluster>|<namespace>|<service account>"   associationId
  eks-access-entry     acct  "<region>|<cluster>|<principal arn>"
  eks-access-policy    acct  "<region>|<cluster>|<principal arn>|<policy arn>"     accessScope, times

Child resources of a cluster share its key as prefix, so "what still uses this cluster" and
"delete everything of this cluster" are prefix scans.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

CLUSTER = "eks-cluster"
CLUSTER_UID = "eks-cluster-uid"
NODEGROUP = "eks-nodegroup"
FARGATE_PROFILE = "eks-fargate-profile"
POD_IDENTITY = "eks-pod-identity"
POD_IDENTITY_SA = "eks-pod-identity-sa"
ACCESS_ENTRY = "eks-access-entry"
ACCESS_POLICY = "eks-access-policy"

CHILD_KINDS = (NODEGROUP, FARGATE_PROFILE, POD_IDENTITY, POD_IDENTITY_SA, ACCESS_ENTRY, ACCESS_POLICY)


def key(*parts: str) -> str:
    return "|".join(parts)


def stamp(when: datetime) -> str:
    return when.isoformat()


def with_datetimes(record: dict[str, Any], *fields: str) -> dict[str, Any]:
    """A copy for the wire with the named ISO-8601 fields turned back into datetimes."""
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    for name in fields:
        if isinstance(out.get(name), str):
            out[name] = datetime.fromisoformat(out[name])
    return out
