"""Talking to an eksiam cluster's Kubernetes API from the CLI, as kubectl with ``aws eks get-token``
does: an EKS bearer token (``k8s-aws-v1.`` + a presigned sts:GetCallerIdentity carrying the
``x-k8s-aws-id`` header) made from the standard AWS credential chain, over HTTPS that trusts the
cluster's ``certificateAuthority``.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from typing import Any

import boto3
import httpx


def eks_token(session: boto3.session.Session, cluster_name: str, endpoint: str, region: str) -> str:
    sts = session.client("sts", endpoint_url=endpoint, region_name=region)

    def add_cluster_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster_name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


@dataclass
class ClusterClient:
    name: str
    server: str
    http: httpx.Client

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.server + path, **kwargs)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise RuntimeError(f"{method} {path}: {response.status_code} {message}")
        return response.json()


def connect(session: boto3.session.Session, cluster_name: str, endpoint: str, region: str) -> ClusterClient:
    cluster = session.client("eks", endpoint_url=endpoint, region_name=region).describe_cluster(
        name=cluster_name
    )
    cluster = cluster["cluster"]
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificateAuthority"]["data"]).decode()
    )
    token = eks_token(session, cluster_name, endpoint, region)
    http = httpx.Client(verify=context, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return ClusterClient(cluster_name, cluster["endpoint"], http)
