"""The clusters' Kubernetes APIs on the server's port, at ``/_kube/<cluster uid>`` (the cluster's
``endpoint``), wired to EKS's own authentication and authorization:

- authentication: the bearer token is an EKS token (kube/authn.py) whose presigned
  sts:GetCallerIdentity is verified with the server's SigV4 verifier and credential lookup, so the
  caller is whoever STS would say it is;
- authorization: the caller's access entry and associated access policies (services/eks);
- the pod identity webhook runs in-process on pod creation, configured as EKS configures it
  (region and regional STS endpoint injected; Pod Identity associations from EKS records);
- TokenRequest tokens are signed by the cluster's OIDC issuer.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.types import ASGIApp

from eksiam.kube.api import ClusterHandle, KubeUser, cluster_api
from eksiam.kube.authn import InvalidToken, parse_token
from eksiam.kube.in_cluster import webhook_admission
from eksiam.kube.objects import KubeCluster, Obj
from eksiam.kube.webhook import WebhookSettings
from eksiam.oidc import issue_service_account_token, service_account_uid
from eksiam.protocol import SigV4Error, verify
from eksiam.services.eks import CLUSTER, CLUSTER_UID, POD_IDENTITY_SA, kube_permissions
from eksiam.services.oidc_issuers import IssuerRegistry
from eksiam.storage import UnitOfWork

if TYPE_CHECKING:
    from eksiam.server.lifespan import Runtime

log = logging.getLogger("eksiam.kube")
DEFAULT_AUDIENCE = "https://kubernetes.default.svc"


class KubeClusters:
    """Cluster handles by uid, built once per cluster and kept while the cluster exists."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = IssuerRegistry(runtime.store, runtime.clock, runtime.settings)
        self._handles: dict[str, ClusterHandle] = {}
        self._where: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def resolve(self, uid: str) -> ClusterHandle | None:
        store = self.runtime.store
        found = store.read(lambda uow: uow.get(CLUSTER_UID, "", uid))
        if found is None:
            with self._lock:
                self._handles.pop(uid, None)
            return None
        with self._lock:
            handle = self._handles.get(uid)
        if handle is not None:
            return handle
        account, region, name = found["account"], found["region"], found["name"]
        cluster = store.read(lambda uow: uow.get(CLUSTER, account, f"{region}|{name}"))
        if cluster is None or "identity" not in cluster:
            return None
        issuer = cluster["identity"]["oidc"]["issuer"]

        def pod_identity(uow: UnitOfWork, _uid: str, namespace: str, sa: str) -> bool:
            return uow.get(POD_IDENTITY_SA, account, f"{region}|{name}|{namespace}|{sa}") is not None

        def issue_token(
            namespace: str, sa: str, sa_uid: str, audiences: list[str], seconds: int, pod: Obj | None
        ) -> tuple[str, datetime]:
            meta = (pod or {}).get("metadata") or {}
            issued = issue_service_account_token(
                self.registry,
                issuer,
                namespace=namespace,
                service_account=sa,
                audiences=audiences or [DEFAULT_AUDIENCE],
                expiration_seconds=seconds,
                pod_name=meta.get("name"),
                pod_uid=meta.get("uid"),
            )
            return issued.token, issued.expiration

        settings = WebhookSettings(aws_default_region=region, sts_regional_endpoint=True)
        objects = KubeCluster(
            store,
            uid,
            self.runtime.clock,
            admit=webhook_admission(settings, pod_identity),
            service_account_uid=lambda namespace, sa: service_account_uid(issuer, namespace, sa),
        )
        handle = ClusterHandle(uid, name, objects, issue_token)
        with self._lock:
            self._handles[uid] = handle
            self._where[uid] = (account, region, name)
        return handle

    def authenticate(self, cluster: ClusterHandle, token: str) -> KubeUser | None:
        try:
            call = parse_token(token, cluster.name, self.runtime.clock.now())
            _verified, key = verify(
                call.request, service="sts", lookup=self.runtime.key_lookup, now=call.signed_at
            )
        except (InvalidToken, SigV4Error) as err:
            log.info("cluster %s: token refused: %s", cluster.name, err)
            return None
        arn = key.caller.arn
        account, region, name = self._where[cluster.uid]
        access = self.runtime.store.read(lambda uow: kube_permissions(uow, account, region, name, arn))
        if access is None:
            return KubeUser(username=arn, groups=("system:authenticated",), arn=arn)
        return KubeUser(username=access.username, groups=(*access.groups, "system:authenticated"), arn=arn)

    def authorize(
        self, cluster: ClusterHandle, user: KubeUser, verb: str, resource: str, ns: str | None
    ) -> bool:
        account, region, name = self._where[cluster.uid]
        access = self.runtime.store.read(lambda uow: kube_permissions(uow, account, region, name, user.arn))
        return access is not None and access.allows(verb, resource, ns)


def build_kube_api(runtime: Runtime) -> ASGIApp:
    clusters = KubeClusters(runtime)
    return cluster_api(clusters.resolve, clusters.authenticate, clusters.authorize)
