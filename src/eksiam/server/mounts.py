"""Registration hook for the non-AWS endpoints that share the server's one port.

Other packages serve OIDC issuers (``/id/<issuer-id>/.well-known/openid-configuration``, ``/keys``)
and the clusters' Kubernetes APIs from the same port as the AWS endpoint. They register here with
one line each in ``MOUNTS``: a path prefix and a factory that builds an ASGI app from the started
``Runtime`` (store, services, settings, clock are ready when it is called). The prefix has no
trailing slash (``"/id"``); requests under ``<prefix>/`` reach the app. It is mounted with
Starlette's ``Mount``, so it sees ``root_path`` set to the prefix and ``path`` relative to it.

Rule: a prefix must never collide with an AWS REST path. EKS's REST-JSON API owns ``/clusters``,
``/addons``, ``/capabilities``, ``/cluster-registrations``, ``/eks-anywhere-subscriptions``,
``/tags`` and EKS Auth owns ``/clusters/<name>/assume-role-for-pod-identity``; the Query services
own ``/``. Use a prefix of your own (``/id``, ``/_kube``, ``/_eksiam``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp

from eksiam.oidc import mount_issuers
from eksiam.server.kube_mount import build_kube_api
from eksiam.services.eks import KUBE_PREFIX

if TYPE_CHECKING:
    from eksiam.server.lifespan import Runtime


@dataclass(frozen=True, slots=True)
class MountPoint:
    prefix: str
    build: Callable[[Runtime], ASGIApp]


MOUNTS: tuple[MountPoint, ...] = (
    MountPoint(KUBE_PREFIX, build_kube_api),
    MountPoint("/id", mount_issuers),
)
