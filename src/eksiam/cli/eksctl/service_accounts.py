"""Kubernetes ServiceAccounts as eksctl writes them (eksctl ``pkg/kubernetes/serviceaccount.go``).

- The namespace is created first when missing.
- A new SA gets the config's labels and annotations plus ``app.kubernetes.io/managed-by: eksctl``
  and ``eks.amazonaws.com/role-arn: <role ARN>``.
- An existing SA gets those merged in (same keys overwritten, all others kept) and is written only
  when something changed.
- Deletion removes an SA only when it carries the managed-by label (eksctl's code, not its docs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.cli.cluster_access import ClusterClient, connect
from eksiam.cli.eksctl.output import CommandError
from eksiam.cli.eksctl.target import Target

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
MANAGED_BY = "app.kubernetes.io/managed-by"


class ServiceAccounts:
    def __init__(self, client: ClusterClient) -> None:
        self.client = client

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.http.request(method, self.client.server + path, json=body)
        if response.status_code == 404 and method == "GET":
            return None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise CommandError(
                f"Kubernetes API of cluster {self.client.name}: {method} {path}: "
                f"{response.status_code} {message}",
                "check that your identity has cluster access (an access entry) and try again",
            )
        return response.json()

    def ensure_namespace(self, namespace: str) -> bool:
        if self._call("GET", f"/api/v1/namespaces/{namespace}") is not None:
            return False
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        self._call("POST", "/api/v1/namespaces", body)
        return True

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._call(
            "GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}"
        )
        return found

    def apply(
        self,
        namespace: str,
        name: str,
        role_arn: str,
        labels: Mapping[str, str],
        annotations: Mapping[str, str],
    ) -> str:
        """Create or merge; returns "created", "updated" or "unchanged"."""
        wanted_labels = {**labels, MANAGED_BY: "eksctl"}
        wanted_annotations = {**annotations, ROLE_ANNOTATION: role_arn}
        self.ensure_namespace(namespace)
        current = self.get(namespace, name)
        if current is None:
            body = {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": wanted_labels,
                    "annotations": wanted_annotations,
                },
            }
            self._call("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", body)
            return "created"
        meta = current["metadata"]
        merged_labels = {**(meta.get("labels") or {}), **wanted_labels}
        merged_annotations = {**(meta.get("annotations") or {}), **wanted_annotations}
        if merged_labels == meta.get("labels") and merged_annotations == meta.get("annotations"):
            return "unchanged"
        meta["labels"], meta["annotations"] = merged_labels, merged_annotations
        self._call("PUT", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}", current)
        return "updated"

    def delete_if_managed(self, namespace: str, name: str) -> str:
        """Returns "deleted", "absent" or "not-managed"."""
        current = self.get(namespace, name)
        if current is None:
            return "absent"
        if (current["metadata"].get("labels") or {}).get(MANAGED_BY) != "eksctl":
            return "not-managed"
        self._call("DELETE", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}")
        return "deleted"


def service_accounts(where: Target, cluster: str) -> ServiceAccounts:
    where.cluster(cluster)
    return ServiceAccounts(connect(where.session, cluster, where.endpoint, where.region))
