"""The pod identity webhook wired into eksiam's own cluster API: pods are mutated as they are created.

The service account is read in the same transaction as the pod is written, so a pod created right
after its service account was annotated always sees the annotation (upstream's cache race, webhook
issues #174/#194, cannot happen here). A pod that is not mutated gets an Event saying why and a log
line, because "my pod got no credentials" is the question people ask most.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import jsonpatch

from eksiam.kube.objects import OBJECT_KIND, Admission, Obj
from eksiam.kube.webhook import Identity, Jitter, WebhookSettings, mutate_pod
from eksiam.storage import UnitOfWork

log = logging.getLogger("eksiam.kube.webhook")

# pod_identity(uow, cluster uid, namespace, service account) -> whether a Pod Identity association exists
PodIdentityLookup = Callable[[UnitOfWork, str, str, str], bool]


def webhook_admission(
    settings: WebhookSettings | None = None,
    pod_identity: PodIdentityLookup = lambda uow, cluster, namespace, sa: False,
    jitter: Jitter = lambda low, high: low,
) -> Admission:
    def admit(uow: UnitOfWork, cluster: str, namespace: str, pod: Obj) -> tuple[Obj, str | None]:
        sa_name = pod.get("spec", {}).get("serviceAccountName") or "default"
        sa = uow.get(OBJECT_KIND, cluster, f"serviceaccounts/{namespace}/{sa_name}")
        identity = Identity(
            service_account_found=sa is not None,
            annotations=((sa or {}).get("metadata") or {}).get("annotations") or {},
            pod_identity=pod_identity(uow, cluster, namespace, sa_name),
        )
        mutation = mutate_pod(pod, namespace, identity, settings, jitter=jitter)
        pod_name = pod.get("metadata", {}).get("name", "")
        if mutation.patch is None:
            log.info("pod %s/%s not mutated: %s", namespace, pod_name, mutation.reason)
            return pod, mutation.reason
        log.info("pod %s/%s mutated for %s", namespace, pod_name, mutation.mode)
        return dict(jsonpatch.apply_patch(pod, mutation.patch)), None

    return admit
