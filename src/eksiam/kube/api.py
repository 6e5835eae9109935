"""A cluster's Kubernetes API: the subset kubectl and the official clients use for IRSA work.

Served under ``<prefix>/<cluster uid>``; the server mounts ``cluster_api(...)`` at the prefix and
writes that URL into kubeconfigs. Every request is authenticated (a bearer token, normally
``k8s-aws-v1.``) and authorized (the cluster's access entries) through callables the server wires
in, before any object is read: 401 and 403 answers are Kubernetes ``Status`` objects, as kube-apiserver
sends them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from eksiam.kube import protobuf, status
from eksiam.kube.objects import RESOURCES, KubeCluster, Obj
from eksiam.kube.patches import PATCH_TYPES, apply_patch
from eksiam.kube.selectors import field_matcher, label_matcher
from eksiam.kube.tables import as_table

KUBERNETES_VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-eks-eksiam",
    "platform": "linux/amd64",
}
WATCH_POLL_SECONDS = 0.2
WATCH_DEFAULT_TIMEOUT = 1800


@dataclass(frozen=True, slots=True)
class KubeUser:
    username: str
    groups: tuple[str, ...] = ()
    arn: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClusterHandle:
    uid: str
    name: str
    objects: KubeCluster
    # issue_token(namespace, service_account, sa_uid, audiences, seconds, bound pod or None) -> (jwt, expiry)
    issue_token: Callable[[str, str, str, list[str], int, Obj | None], tuple[str, datetime]]


Resolver = Callable[[str], ClusterHandle | None]
Authenticator = Callable[[ClusterHandle, str], KubeUser | None]
# authorize(cluster, user, verb, resource, namespace) -> allowed
Authorizer = Callable[[ClusterHandle, KubeUser, str, str, str | None], bool]


def _status(err: status.KubeError) -> JSONResponse:
    return JSONResponse(err.status(), status_code=err.code)


def _discovery_resources() -> dict[str, Any]:
    resources = [
        {
            "name": r.name,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
            "shortNames": list(r.short_names),
        }
        for r in RESOURCES.values()
    ]
    resources.append(
        {
            "name": "serviceaccounts/token",
            "singularName": "",
            "namespaced": True,
            "group": "authentication.k8s.io",
            "version": "v1",
            "kind": "TokenRequest",
            "verbs": ["create"],
        }
    )
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}


def cluster_api(resolve: Resolver, authenticate: Authenticator, authorize: Authorizer) -> Starlette:
    """The ASGI app serving every cluster: paths are ``/<cluster uid>/api/...``."""

    async def guard(request: Request, verb: str, resource: str, namespace: str | None) -> ClusterHandle:
        cluster = resolve(request.path_params["cluster"])
        if cluster is None:
            raise status.not_found("clusters", request.path_params["cluster"])
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        user = await run_in_threadpool(authenticate, cluster, token) if token else None
        if user is None:
            raise status.KubeError(401, "Unauthorized", "Unauthorized")
        if not await run_in_threadpool(authorize, cluster, user, verb, resource, namespace):
            where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
            message = (
                f'{resource} is forbidden: User "{user.username}" cannot {verb} resource "{resource}" '
                f'in API group ""{where}'
            )
            raise status.KubeError(403, "Forbidden", message, kind=resource)
        return cluster

    def endpoint(handler: Callable[..., Any]) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            try:
                result: Response = await handler(request)
                return result
            except status.KubeError as err:
                return _status(err)

        return run

    async def version(request: Request) -> Response:
        await guard(request, "get", "version", None)
        return JSONResponse(KUBERNETES_VERSION)

    async def api_versions(request: Request) -> Response:
        await guard(request, "get", "api", None)
        return JSONResponse({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})

    async def api_groups(request: Request) -> Response:
        await guard(request, "get", "apis", None)
        return JSONResponse({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})

    async def core_resources(request: Request) -> Response:
        await guard(request, "get", "api", None)
        return JSONResponse(_discovery_resources())

    def _resource(request: Request) -> str:
        resource = str(request.path_params["resource"])
        if resource not in RESOURCES:
            raise status.KubeError(404, "NotFound", "the server could not find the requested resource")
        return resource

    def _scope(request: Request, resource: str) -> str | None:
        namespace: str | None = request.path_params.get("namespace")
        if RESOURCES[resource].namespaced == (namespace is None) and request.method != "GET":
            raise status.KubeError(404, "NotFound", "the server could not find the requested resource")
        return namespace

    async def _body(request: Request) -> Obj:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith(protobuf.CONTENT_TYPE):
            return protobuf.decode_object(raw)
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise status.bad_request(f"the body of the request was in an unknown format: {exc}") from None
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request must be a JSON object")
        return body

    async def collection(request: Request) -> Response:
        resource = _resource(request)
        namespace = _scope(request, resource)
        if request.method == "POST":
            cluster = await guard(request, "create", resource, namespace)
            body = await _body(request)
            created = await run_in_threadpool(cluster.objects.create, resource, namespace or "", body)
            return JSONResponse(created, status_code=201)
        watching = request.query_params.get("watch", "").lower() in ("1", "true")
        cluster = await guard(request, "watch" if watching else "list", resource, namespace)
        label_selector = request.query_params.get("labelSelector")
        field_selector = request.query_params.get("fieldSelector")
        if watching:
            return await _watch(request, cluster, resource, namespace, label_selector, field_selector)
        items, version = await run_in_threadpool(
            lambda: cluster.objects.query(
                resource, namespace, label_selector=label_selector, field_selector=field_selector
            )
        )
        if "as=Table" in request.headers.get("accept", ""):
            return JSONResponse(as_table(resource, items, version, datetime.now().astimezone()))
        kind = RESOURCES[resource].kind
        return JSONResponse(
            {
                "kind": f"{kind}List",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": version},
                "items": items,
            }
        )

    async def _watch(
        request: Request,
        cluster: ClusterHandle,
        resource: str,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
    ) -> Response:
        labels_ok, fields_ok = label_matcher(label_selector), field_matcher(field_selector)
        since = request.query_params.get("resourceVersion") or "0"
        timeout = int(request.query_params.get("timeoutSeconds") or WATCH_DEFAULT_TIMEOUT)
        initial: list[Obj] = []
        version = int(since) if since.isdigit() else 0
        if version == 0:
            items, current = await run_in_threadpool(
                lambda: cluster.objects.query(
                    resource, namespace, label_selector=label_selector, field_selector=field_selector
                )
            )
            initial = [{"type": "ADDED", "object": obj} for obj in items]
            version = int(current)
        else:
            await run_in_threadpool(cluster.objects.events_since, resource, namespace, version)

        async def stream() -> AsyncIterator[bytes]:
            position = version
            for event in initial:
                yield json.dumps(event).encode() + b"\n"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while loop.time() < deadline:
                try:
                    events, position = await run_in_threadpool(
                        cluster.objects.events_since, resource, namespace, position
                    )
                except status.KubeError as err:
                    yield json.dumps({"type": "ERROR", "object": err.status()}).encode() + b"\n"
                    return
                for event in events:
                    obj = event["object"]
                    if labels_ok(obj["metadata"].get("labels") or {}) and fields_ok(obj):
                        yield json.dumps(event).encode() + b"\n"
                if not events:
                    await asyncio.sleep(WATCH_POLL_SECONDS)

        return StreamingResponse(stream(), media_type="application/json")

    async def item(request: Request) -> Response:
        resource = _resource(request)
        namespace = request.path_params.get("namespace")
        if RESOURCES[resource].namespaced == (namespace is None):
            raise status.KubeError(404, "NotFound", "the server could not find the requested resource")
        name = request.path_params["name"]
        ns = namespace or ""
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[request.method]
        cluster = await guard(request, verb, resource, namespace)
        objects = cluster.objects
        if request.method == "GET":
            return JSONResponse(await run_in_threadpool(objects.get, resource, ns, name))
        if request.method == "PUT":
            body = await _body(request)
            return JSONResponse(await run_in_threadpool(objects.replace, resource, ns, name, body))
        if request.method == "PATCH":
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            if content_type not in PATCH_TYPES:
                accepted = ", ".join(PATCH_TYPES)
                message = (
                    "the body of the request was in an unknown format - "
                    f"accepted media types include: {accepted}"
                )
                raise status.KubeError(415, "UnsupportedMediaType", message)
            raw = await request.body()
            patched = await run_in_threadpool(
                objects.patch, resource, ns, name, lambda obj: apply_patch(obj, raw, content_type)
            )
            return JSONResponse(patched)
        deleted = await run_in_threadpool(objects.delete, resource, ns, name)
        return JSONResponse(deleted)

    async def token_request(request: Request) -> Response:
        namespace, name = request.path_params["namespace"], request.path_params["name"]
        cluster = await guard(request, "create", "serviceaccounts/token", namespace)
        body = await _body(request)
        spec = body.get("spec") or {}
        audiences = spec.get("audiences") or []
        seconds = int(spec.get("expirationSeconds") or 3600)
        if seconds < 600:
            raise status.invalid(
                "TokenRequest",
                name,
                "spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes",
            )
        sa = await run_in_threadpool(cluster.objects.get, "serviceaccounts", namespace, name)
        pod = None
        bound = spec.get("boundObjectRef") or {}
        if bound.get("kind") == "Pod":
            pod = await run_in_threadpool(cluster.objects.get, "pods", namespace, bound.get("name", ""))
        token, expiry = await run_in_threadpool(
            cluster.issue_token, namespace, name, sa["metadata"]["uid"], audiences, seconds, pod
        )
        answer = {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
            "spec": {
                "audiences": audiences,
                "expirationSeconds": seconds,
                "boundObjectRef": spec.get("boundObjectRef"),
            },
            "status": {"token": token, "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")},
        }
        return JSONResponse(answer, status_code=201)

    base = "/{cluster}"
    routes = [
        Route(f"{base}/version", endpoint(version), methods=["GET"]),
        Route(f"{base}/api", endpoint(api_versions), methods=["GET"]),
        Route(f"{base}/apis", endpoint(api_groups), methods=["GET"]),
        Route(f"{base}/api/v1", endpoint(core_resources), methods=["GET"]),
        Route(
            f"{base}/api/v1/namespaces/{{namespace}}/serviceaccounts/{{name}}/token",
            endpoint(token_request),
            methods=["POST"],
        ),
        Route(
            f"{base}/api/v1/namespaces/{{namespace}}/{{resource}}",
            endpoint(collection),
            methods=["GET", "POST"],
        ),
        Route(
            f"{base}/api/v1/namespaces/{{namespace}}/{{resource}}/{{name}}",
            endpoint(item),
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route(f"{base}/api/v1/{{resource}}", endpoint(collection), methods=["GET", "POST"]),
        Route(
            f"{base}/api/v1/{{resource}}/{{name}}", endpoint(item), methods=["GET", "PUT", "PATCH", "DELETE"]
        ),
    ]
    return Starlette(routes=routes)
