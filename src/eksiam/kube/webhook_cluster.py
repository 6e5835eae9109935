"""The standalone webhook's I/O against a cluster, through the official ``kubernetes`` client.

The same code serves an eksiam cluster (kubeconfig from ``eksiam update-kubeconfig``, whose user
runs ``aws eks get-token``) and a real one (any kubeconfig, or the in-cluster service account when
no kubeconfig is given, as the Deployment in ``deploy/`` runs it). EKS Pod Identity associations
are asked of EKS itself (``ListPodIdentityAssociations`` filtered by namespace and service account,
EKS API Reference) through botocore, so eksiam clusters and real EKS clusters answer alike.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eksiam.clock import Clock, SystemClock
from eksiam.kube.webhook_sources import ClusterReads, LookupFailed

log = logging.getLogger("eksiam.kube.webhook")

REQUEST_TIMEOUT = 5
EVENT_REASON = "PodIdentityNotInjected"
COMPONENT = "pod-identity-webhook"


def api_client(kubeconfig: Path | None, context: str | None = None) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``kubeconfig``, else the pod's in-cluster identity."""
    from kubernetes import client, config

    if kubeconfig is not None:
        return config.new_client_from_config(config_file=str(kubeconfig), context=context)
    configuration = client.Configuration()
    config.load_incluster_config(client_configuration=configuration)
    return client.ApiClient(configuration)


def _failed(what: str, err: Exception) -> LookupFailed:
    status = getattr(err, "status", None)
    reason = getattr(err, "reason", None) or type(err).__name__
    detail = f"HTTP {status} {reason}" if status else reason
    return LookupFailed(f"could not read {what}: {detail}")


def kubernetes_reads(api: Any, associated: Callable[[str, str], bool] | None = None) -> ClusterReads:
    """Service account and ConfigMap reads over ``api`` (404 means "does not exist")."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(api)

    def service_account(namespace: str, name: str) -> dict[str, str] | None:
        try:
            found = core.read_namespaced_service_account(name, namespace, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as err:
            if err.status == 404:
                return None
            raise _failed(f"service account {namespace}/{name}", err) from None
        except Exception as err:  # urllib3 and exec-plugin failures have no common base
            raise _failed(f"service account {namespace}/{name}", err) from None
        return dict(found.metadata.annotations or {})

    def config_map(namespace: str, name: str) -> dict[str, str] | None:
        try:
            found = core.read_namespaced_config_map(name, namespace, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as err:
            if err.status == 404:
                return None
            raise _failed(f"ConfigMap {namespace}/{name}", err) from None
        except Exception as err:
            raise _failed(f"ConfigMap {namespace}/{name}", err) from None
        return dict(found.data or {})

    return ClusterReads(service_account, config_map, associated)


def eks_associations(cluster_name: str, endpoint_url: str | None, region: str) -> Callable[[str, str], bool]:
    """Whether EKS has a Pod Identity association for (namespace, service account) in the cluster."""
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    eks = botocore.session.get_session().create_client("eks", region_name=region, endpoint_url=endpoint_url)

    def associated(namespace: str, service_account: str) -> bool:
        try:
            page = eks.list_pod_identity_associations(
                clusterName=cluster_name, namespace=namespace, serviceAccount=service_account
            )
        except (BotoCoreError, ClientError) as err:
            raise LookupFailed(f"could not list Pod Identity associations of {cluster_name}: {err}") from None
        return bool(page.get("associations"))

    return associated


class EventRecorder:
    """Kubernetes Events saying why a pod was not mutated ("my pod got no credentials")."""

    def __init__(self, api: Any, clock: Clock | None = None) -> None:
        from kubernetes import client

        self.core = client.CoreV1Api(api)
        self.clock = clock or SystemClock()
        self.instance = socket.gethostname()

    def body(self, namespace: str, pod_name: str, message: str) -> dict[str, Any]:
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{pod_name.rstrip('.-') or 'pod'}.", "namespace": namespace},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": namespace, "name": pod_name},
            "reason": EVENT_REASON,
            "message": message,
            "type": "Normal",
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self.instance,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }

    def record(self, namespace: str, pod_name: str, message: str) -> None:
        """Best effort: a failed write is logged, never fails the admission (already answered)."""
        try:
            self.core.create_namespaced_event(
                namespace, self.body(namespace, pod_name, message), _request_timeout=REQUEST_TIMEOUT
            )
        except Exception as err:  # urllib3, ApiException and exec-plugin failures share no base
            detail = getattr(err, "status", None) or type(err).__name__
            log.warning("could not record an event for pod %s/%s: %s", namespace, pod_name, detail)
