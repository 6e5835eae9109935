"""The pod identity webhook's mutation, as amazon-eks-pod-identity-webhook performs it (sans I/O).

Theory of operation (spec: irsa-and-eksctl.md section 1; upstream ``pkg/handler/handler.go``):

Rule 1. The mode is chosen per (namespace, service account): Pod Identity when the pair is in the
        association list, else IRSA when the service account (or the ConfigMap entry) names a role,
        else nothing is mutated and the reason is returned so it can be reported.
Rule 2. Every init container, then every container, gets env vars appended in a fixed order
        (STS regional endpoint, region pair, identity pair) and a read-only token mount; a variable
        group that is already present in any form blocks that group; a container that has every group
        already is left exactly as it is, not even the mount is added.
Rule 3. One projected token volume is added at index 0 unless a volume with that name exists.
Rule 4. The patch is a list of ``add`` operations in this order: pod label (Pod Identity only), the
        volume, the whole containers array, the whole initContainers array (when there are any).

Nothing here reads the clock, the network or a random source: the jitter for Pod Identity token
lifetimes is a function passed in.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
Jitter = Callable[[int, int], int]

DEFAULT_EXPIRATION = 86400
MIN_EXPIRATION = 600
POD_IDENTITY_JITTER_FLOOR = 79200
POD_IDENTITY_LABEL = "eks.amazonaws.com/pod-identity"

_IDENTITY_VARS = {
    "irsa": ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
    "pod-identity": ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
}
_REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
_STS_VAR = "AWS_STS_REGIONAL_ENDPOINTS"
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The upstream webhook's flags that change its output, with the upstream defaults."""

    annotation_prefix: str = "eks.amazonaws.com"
    token_audience: str = "sts.amazonaws.com"
    token_expiration: int = DEFAULT_EXPIRATION
    token_mount_path: str = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
    aws_default_region: str = ""
    sts_regional_endpoint: bool = False
    container_credentials_audience: str = "pods.eks.amazonaws.com"
    container_credentials_token_mount_path: str = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
    container_credentials_token_volume_name: str = "eks-pod-identity-token"
    container_credentials_token_path: str = "eks-pod-identity-token"
    container_credentials_full_uri: str = "http://169.254.170.23/v1/credentials"


@dataclass(frozen=True, slots=True)
class ConfigMapEntry:
    """One ``<ns>/<name>`` entry of the ``pod-identity-webhook`` ConfigMap (``--watch-config-map``)."""

    role_arn: str
    audience: str = ""
    use_regional_sts: bool = False
    token_expiration: int = 0


@dataclass(frozen=True, slots=True)
class Identity:
    """What the webhook knows about the pod's service account, gathered by the caller."""

    service_account_found: bool = True
    annotations: Mapping[str, str] | None = None
    config_map: ConfigMapEntry | None = None
    pod_identity: bool = False


@dataclass(frozen=True, slots=True)
class Mutation:
    """``patch`` is None when the pod is left alone; ``reason`` then says why."""

    patch: list[JsonObject] | None
    mode: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Plan:
    mode: str
    role_arn: str
    audience: str
    regional_sts: bool
    expiration: int
    volume_name: str
    mount_path: str
    token_path: str


def parse_go_bool(text: str) -> bool | None:
    """Go's ``strconv.ParseBool``: the only spellings the upstream webhook accepts."""
    if text in _GO_TRUE:
        return True
    if text in _GO_FALSE:
        return False
    return None


def _expiration(text: str | None, fallback: int) -> int:
    if text is None:
        return fallback
    try:
        value = int(text, 10)
    except ValueError:
        return fallback
    return max(value, MIN_EXPIRATION)


def _plan(
    pod: JsonObject,
    namespace: str,
    sa_name: str,
    identity: Identity,
    settings: WebhookSettings,
    jitter: Jitter,
) -> _Plan | str:
    prefix = settings.annotation_prefix
    annotations = identity.annotations or {}
    pod_annotations = (pod.get("metadata") or {}).get("annotations") or {}
    flag_expiration = max(settings.token_expiration, MIN_EXPIRATION)
    regional_sts = settings.sts_regional_endpoint
    role_arn = annotations.get(f"{prefix}/role-arn", "")
    expiration = flag_expiration
    audience = annotations.get(f"{prefix}/audience") or settings.token_audience
    if not role_arn and identity.config_map is not None:
        entry = identity.config_map
        role_arn = entry.role_arn
        audience = entry.audience or settings.token_audience
        regional_sts = entry.use_regional_sts
        expiration = entry.token_expiration or flag_expiration
    sts_text = annotations.get(f"{prefix}/sts-regional-endpoints")
    parsed_sts = parse_go_bool(sts_text) if sts_text is not None else None
    if parsed_sts is not None:
        regional_sts = parsed_sts
    expiration = _expiration(annotations.get(f"{prefix}/token-expiration"), expiration)
    expiration = _expiration(pod_annotations.get(f"{prefix}/token-expiration"), expiration)

    if identity.pod_identity:
        if expiration == DEFAULT_EXPIRATION:
            expiration = jitter(POD_IDENTITY_JITTER_FLOOR, DEFAULT_EXPIRATION)
        return _Plan(
            mode="pod-identity",
            role_arn="",
            audience=settings.container_credentials_audience,
            regional_sts=regional_sts,
            expiration=expiration,
            volume_name=settings.container_credentials_token_volume_name,
            mount_path=settings.container_credentials_token_mount_path,
            token_path=settings.container_credentials_token_path,
        )
    if not identity.service_account_found:
        return f"service account {namespace}/{sa_name} was not found"
    if not role_arn:
        return (
            f"service account {namespace}/{sa_name} has no {prefix}/role-arn annotation"
            " and no Pod Identity association"
        )
    return _Plan(
        mode="irsa",
        role_arn=role_arn,
        audience=audience,
        regional_sts=regional_sts,
        expiration=expiration,
        volume_name="aws-iam-token",
        mount_path=settings.token_mount_path,
        token_path="token",
    )


def _skipped_containers(pod: JsonObject, prefix: str) -> set[str]:
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(f"{prefix}/skip-containers")
    if not text:
        return set()
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return set()
    return {name for row in rows for name in row}


def _is_windows(pod: JsonObject) -> bool:
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    return "windows" in (selector.get("kubernetes.io/os"), selector.get("beta.kubernetes.io/os"))


def _windows_path(path: str) -> str:
    return "C:" + path.replace("/", "\\")


def _mutate_container(container: JsonObject, plan: _Plan, settings: WebhookSettings, windows: bool) -> None:
    env: list[JsonObject] = list(container.get("env") or [])
    names = {item.get("name") for item in env}
    identity_vars = _IDENTITY_VARS[plan.mode]
    has_identity = any(n in names for n in identity_vars)
    has_region = any(n in names for n in _REGION_VARS)
    has_sts = _STS_VAR in names
    if has_identity and has_region and has_sts:
        return
    if not has_sts and plan.regional_sts:
        env.append({"name": _STS_VAR, "value": "regional"})
    if settings.aws_default_region and not has_region:
        env.append({"name": "AWS_DEFAULT_REGION", "value": settings.aws_default_region})
        env.append({"name": "AWS_REGION", "value": settings.aws_default_region})
    if not has_identity:
        token_file = f"{plan.mount_path}/{plan.token_path}"
        if windows:
            token_file = _windows_path(token_file)
        first = plan.role_arn if plan.mode == "irsa" else settings.container_credentials_full_uri
        env.append({"name": identity_vars[0], "value": first})
        env.append({"name": identity_vars[1], "value": token_file})
    if env:
        container["env"] = env
    mounts: list[JsonObject] = list(container.get("volumeMounts") or [])
    if all(m.get("name") != plan.volume_name for m in mounts):
        mounts.append({"name": plan.volume_name, "readOnly": True, "mountPath": plan.mount_path})
    container["volumeMounts"] = mounts


def _volume(plan: _Plan) -> JsonObject:
    return {
        "name": plan.volume_name,
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": plan.audience,
                        "expirationSeconds": plan.expiration,
                        "path": plan.token_path,
                    }
                }
            ]
        },
    }


def mutate_pod(
    pod: JsonObject,
    namespace: str,
    identity: Identity,
    settings: WebhookSettings | None = None,
    *,
    jitter: Jitter = lambda low, high: low,
) -> Mutation:
    """The JSONPatch the webhook answers for ``pod`` created in ``namespace``, or why there is none."""
    settings = settings or WebhookSettings()
    spec: JsonObject = pod.get("spec") or {}
    sa_name = spec.get("serviceAccountName") or "default"
    plan = _plan(pod, namespace, sa_name, identity, settings, jitter)
    if isinstance(plan, str):
        return Mutation(patch=None, mode=None, reason=plan)

    skipped = _skipped_containers(pod, settings.annotation_prefix)
    windows = _is_windows(pod)
    patch: list[JsonObject] = []
    if plan.mode == "pod-identity":
        labels = (pod.get("metadata") or {}).get("labels")
        if labels:
            patch.append(
                {"op": "add", "path": "/metadata/labels/eks.amazonaws.com~1pod-identity", "value": "enabled"}
            )
        else:
            patch.append({"op": "add", "path": "/metadata/labels", "value": {POD_IDENTITY_LABEL: "enabled"}})
    volumes: Sequence[JsonObject] = spec.get("volumes") or []
    if all(v.get("name") != plan.volume_name for v in volumes):
        if volumes:
            patch.append({"op": "add", "path": "/spec/volumes/0", "value": _volume(plan)})
        else:
            patch.append({"op": "add", "path": "/spec/volumes", "value": [_volume(plan)]})
    for field in ("containers", "initContainers"):
        containers = copy.deepcopy(spec.get(field) or [])
        if field == "initContainers" and not containers:
            continue
        for container in containers:
            if container.get("name") not in skipped:
                _mutate_container(container, plan, settings, windows)
        patch.append({"op": "add", "path": f"/spec/{field}", "value": containers})
    return Mutation(patch=patch, mode=plan.mode, reason=f"mutated for {plan.mode}")
