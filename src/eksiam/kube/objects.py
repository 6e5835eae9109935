"""A cluster's Kubernetes objects, kept in eksiam's store so they survive restarts and are shared by
every server on the same database.

Rules:

1. Records: kind ``k8s-object``, account = the cluster's uid, key ``<resource>/<namespace>/<name>``
   (namespace empty for cluster-scoped resources), data = the object as the API returns it.
2. ``metadata.resourceVersion`` comes from one counter per cluster (kind ``k8s-meta``), bumped in the
   same transaction as the write, so versions are totally ordered across servers.
3. Every write also appends a watch event (kind ``k8s-watch``, key = zero-padded version). A watch
   reads events after the version it was given; events older than ``WATCH_WINDOW`` versions are
   pruned, and a watch that starts before the window gets 410 Gone, as the API server answers.
4. Pods pass through admission (the pod identity webhook) inside the create transaction, so a pod is
   stored already mutated or with the recorded reason it was not.
5. A cluster is bootstrapped lazily (namespaces default, kube-system, kube-public, kube-node-lease,
   each with its ``default`` service account) the first time it is touched.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eksiam.clock import Clock
from eksiam.kube import status
from eksiam.kube.selectors import field_matcher, label_matcher
from eksiam.storage import Store, UnitOfWork

Obj = dict[str, Any]
OBJECT_KIND = "k8s-object"
META_KIND = "k8s-meta"
WATCH_KIND = "k8s-watch"
WATCH_WINDOW = 5000
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")


RESOURCES: dict[str, ResourceType] = {
    r.name: r
    for r in (
        ResourceType("namespaces", "Namespace", False, ("ns",)),
        ResourceType("serviceaccounts", "ServiceAccount", True, ("sa",)),
        ResourceType("pods", "Pod", True, ("po",)),
        ResourceType("configmaps", "ConfigMap", True, ("cm",)),
        ResourceType("events", "Event", True, ("ev",)),
    )
}

# admit(uow, cluster uid, namespace, pod) -> (pod to store, why it was not mutated, or None)
Admission = Callable[[UnitOfWork, str, str, Obj], tuple[Obj, str | None]]


def _key(resource: str, namespace: str, name: str) -> str:
    return f"{resource}/{namespace}/{name}"


def _timestamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _validate_name(rtype: ResourceType, name: str) -> None:
    if rtype.name == "namespaces":
        if len(name) > 63 or not _LABEL.match(name):
            raise status.invalid(
                rtype.kind,
                name,
                f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower '
                "case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            )
    elif len(name) > 253 or not _SUBDOMAIN.match(name):
        raise status.invalid(
            rtype.kind,
            name,
            f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower '
            "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        )


class KubeCluster:
    """The object store of one cluster; every method is one transaction."""

    def __init__(
        self,
        store: Store,
        cluster_uid: str,
        clock: Clock,
        admit: Admission | None = None,
        service_account_uid: Callable[[str, str], str] | None = None,
    ) -> None:
        self.store, self.uid, self.clock, self.admit = store, cluster_uid, clock, admit
        self.service_account_uid = service_account_uid
        self._bootstrapped = False

    def _ready(self) -> None:
        if not self._bootstrapped:
            self.store.write(self._ensure_bootstrapped)
            self._bootstrapped = True

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _next_version(self, uow: UnitOfWork) -> int:
        meta = uow.get(META_KIND, self.uid, "resourceVersion") or {"value": 0}
        value = int(meta["value"]) + 1
        uow.put(META_KIND, self.uid, "resourceVersion", {"value": value})
        return value

    def _record(self, uow: UnitOfWork, event: str, resource: str, obj: Obj) -> None:
        version = int(obj["metadata"]["resourceVersion"])
        uow.put(WATCH_KIND, self.uid, f"{version:016d}", {"type": event, "resource": resource, "object": obj})
        if version % 500 == 0:
            for key, _ in uow.list(WATCH_KIND, self.uid, limit=500):
                if int(key) > version - WATCH_WINDOW:
                    break
                uow.delete(WATCH_KIND, self.uid, key)

    def _ensure_bootstrapped(self, uow: UnitOfWork) -> None:
        if uow.get(META_KIND, self.uid, "resourceVersion") is not None:
            return
        for ns in SYSTEM_NAMESPACES:
            self._insert(
                uow, "namespaces", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            )

    def _insert(self, uow: UnitOfWork, resource: str, namespace: str, obj: Obj) -> Obj:
        rtype = RESOURCES[resource]
        meta = obj.setdefault("metadata", {})
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
            meta["name"] = name
        if not name:
            raise status.invalid(
                rtype.kind, "", "metadata.name: Required value: name or generateName is required"
            )
        _validate_name(rtype, name)
        if rtype.namespaced:
            if uow.get(OBJECT_KIND, self.uid, _key("namespaces", "", namespace)) is None:
                raise status.not_found("namespaces", namespace)
            meta["namespace"] = namespace
        if uow.get(OBJECT_KIND, self.uid, _key(resource, namespace, name)) is not None:
            raise status.already_exists(resource, name)
        obj["apiVersion"], obj["kind"] = "v1", rtype.kind
        meta["uid"] = str(uuid.uuid4())
        if resource == "serviceaccounts" and self.service_account_uid is not None:
            meta["uid"] = self.service_account_uid(namespace, name)
        meta["creationTimestamp"] = _timestamp(self.clock.now())
        meta.pop("resourceVersion", None)
        if resource == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        if resource == "pods":
            obj.setdefault("spec", {}).setdefault("serviceAccountName", "default")
            obj["status"] = {"phase": "Pending"}
            if self.admit is not None:
                obj, reason = self.admit(uow, self.uid, namespace, obj)
                if reason is not None:
                    self._insert(uow, "events", namespace, self._event(obj, "PodIdentityNotInjected", reason))
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self._next_version(uow))
        uow.put(OBJECT_KIND, self.uid, _key(resource, namespace, name), obj)
        self._record(uow, "ADDED", resource, obj)
        if resource == "namespaces":
            sa = {"metadata": {"name": "default"}}
            self._insert(uow, "serviceaccounts", name, sa)
        return obj

    def _event(self, obj: Obj, reason: str, message: str) -> Obj:
        meta = obj["metadata"]
        now = _timestamp(self.clock.now())
        return {
            "metadata": {"generateName": f"{meta['name']}."},
            "involvedObject": {
                "kind": obj["kind"],
                "namespace": meta.get("namespace", ""),
                "name": meta["name"],
                "uid": meta["uid"],
                "apiVersion": "v1",
            },
            "reason": reason,
            "message": message,
            "type": "Normal",
            "source": {"component": "pod-identity-webhook"},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }

    # -- the API verbs -------------------------------------------------------------------------------
    def create(self, resource: str, namespace: str, obj: Obj) -> Obj:
        self._ready()
        return self.store.write(lambda uow: self._insert(uow, resource, namespace, obj))

    def get(self, resource: str, namespace: str, name: str) -> Obj:
        self._ready()
        return self.store.read(lambda uow: self._get(uow, resource, namespace, name))

    def _get(self, uow: UnitOfWork, resource: str, namespace: str, name: str) -> Obj:
        found = uow.get(OBJECT_KIND, self.uid, _key(resource, namespace, name))
        if found is None:
            raise status.not_found(resource, name)
        return found

    def query(
        self,
        resource: str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], str]:
        """Matching objects and the list's resourceVersion (the cluster's current version)."""
        labels_ok = label_matcher(label_selector)
        fields_ok = field_matcher(field_selector)

        def run(uow: UnitOfWork) -> tuple[list[Obj], str]:
            prefix = f"{resource}/{namespace}/" if namespace is not None else f"{resource}/"
            items = [
                obj
                for _, obj in uow.list(OBJECT_KIND, self.uid, prefix=prefix)
                if labels_ok(obj["metadata"].get("labels") or {}) and fields_ok(obj)
            ]
            version = (uow.get(META_KIND, self.uid, "resourceVersion") or {"value": 0})["value"]
            return items, str(version)

        self._ready()
        return self.store.read(run)

    def replace(self, resource: str, namespace: str, name: str, obj: Obj) -> Obj:
        self._ready()

        def run(uow: UnitOfWork) -> Obj:
            current = self._get(uow, resource, namespace, name)
            return self._replace(uow, resource, namespace, name, current, obj)

        return self.store.write(run)

    def _replace(
        self, uow: UnitOfWork, resource: str, namespace: str, name: str, current: Obj, obj: Obj
    ) -> Obj:
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise status.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        wanted = meta.get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise status.conflict(resource, name)
        for immutable in ("uid", "creationTimestamp", "name"):
            meta[immutable] = current["metadata"][immutable]
        if RESOURCES[resource].namespaced:
            meta["namespace"] = namespace
        obj["apiVersion"], obj["kind"] = "v1", RESOURCES[resource].kind
        if resource == "pods":
            obj["spec"] = current.get("spec", {}) | {
                k: v
                for k, v in (obj.get("spec") or {}).items()
                if k in ("activeDeadlineSeconds", "tolerations")
            }
            obj["status"] = current.get("status", {})
        meta["resourceVersion"] = str(self._next_version(uow))
        uow.put(OBJECT_KIND, self.uid, _key(resource, namespace, name), obj)
        self._record(uow, "MODIFIED", resource, obj)
        return obj

    def patch(self, resource: str, namespace: str, name: str, apply: Callable[[Obj], Obj]) -> Obj:
        """Read, ``apply`` the caller's patch function, write back: one transaction."""
        self._ready()

        def run(uow: UnitOfWork) -> Obj:
            current = self._get(uow, resource, namespace, name)
            patched = apply(copy.deepcopy(current))
            patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
            return self._replace(uow, resource, namespace, name, current, patched)

        return self.store.write(run)

    def delete(self, resource: str, namespace: str, name: str) -> Obj:
        self._ready()

        def run(uow: UnitOfWork) -> Obj:
            current = self._get(uow, resource, namespace, name)
            self._delete(uow, resource, namespace, name, current)
            if resource == "namespaces":
                for rtype in RESOURCES.values():
                    if rtype.namespaced:
                        for _, obj in uow.list(OBJECT_KIND, self.uid, prefix=f"{rtype.name}/{name}/"):
                            self._delete(uow, rtype.name, name, obj["metadata"]["name"], obj)
            return current

        return self.store.write(run)

    def _delete(self, uow: UnitOfWork, resource: str, namespace: str, name: str, obj: Obj) -> None:
        uow.delete(OBJECT_KIND, self.uid, _key(resource, namespace, name))
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self._next_version(uow))
        self._record(uow, "DELETED", resource, gone)

    def events_since(self, resource: str, namespace: str | None, version: int) -> tuple[list[Obj], int]:
        """Watch events for ``resource`` after ``version``; raises 410 Gone when they were pruned."""
        self._ready()

        def run(uow: UnitOfWork) -> tuple[list[Obj], int]:
            rows = uow.list(WATCH_KIND, self.uid, after=f"{version:016d}", limit=500)
            oldest = uow.list(WATCH_KIND, self.uid, limit=1)
            if oldest and version and int(oldest[0][0]) > version + 1:
                raise status.KubeError(
                    410, "Expired", f"too old resource version: {version} ({oldest[0][0]})"
                )
            events, last = [], version
            for key, event in rows:
                last = int(key)
                obj = event["object"]
                if event["resource"] != resource:
                    continue
                if namespace is not None and obj["metadata"].get("namespace") != namespace:
                    continue
                events.append({"type": event["type"], "object": obj})
            return events, last

        return self.store.read(run)
