"""The issuer endpoints on eksiam's one port, mounted by the server under ``/id``.

Paths (README "OIDC issuers"): ``GET /id/<ID>/.well-known/openid-configuration`` and
``GET /id/<ID>/keys``, where ``<ID>`` is the 32-hex id that ends the issuer URL. An unknown id is
404. Responses carry ``Cache-Control: max-age=300`` so verifiers notice a rotation within minutes,
while a retired key stays published for a day.

Mounting the issuer endpoints is also where the server hands STS its ``HttpJwksSource`` for issuers
that are not eksiam clusters: both are the OIDC side of the same server, and the server's runtime is
the one place that owns both the services and the network.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.oidc.issuer import discovery_document, jwks_document
from eksiam.oidc.remote import HttpJwksSource
from eksiam.services import Services
from eksiam.services.oidc_issuers import IssuerRegistry
from eksiam.storage import Store

CACHE_CONTROL = "public, max-age=300"


class RuntimeParts(Protocol):
    """The parts of the server's runtime the issuer endpoints use."""

    @property
    def store(self) -> Store: ...

    @property
    def services(self) -> Services: ...

    clock: Clock
    settings: Settings


def issuer_app(registry: IssuerRegistry) -> ASGIApp:
    def record(request: Request) -> dict[str, Any] | None:
        return registry.issuer(str(request.path_params["issuer_id"]))

    def discovery(request: Request) -> Response:
        found = record(request)
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(discovery_document(found["Issuer"]), headers={"Cache-Control": CACHE_CONTROL})

    def keys(request: Request) -> Response:
        published = registry.public_keys(str(request.path_params["issuer_id"]))
        if published is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(jwks_document(published), headers={"Cache-Control": CACHE_CONTROL})

    return Starlette(
        routes=[
            Route("/{issuer_id}/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/{issuer_id}/keys", keys, methods=["GET"]),
        ]
    )


def mount_issuers(runtime: RuntimeParts) -> ASGIApp:
    """The ``MountPoint`` factory for prefix ``/id`` (see the module docstring for the STS hook)."""
    runtime.services.sts.use_jwks_source(HttpJwksSource(runtime.clock))
    return issuer_app(IssuerRegistry(runtime.store, runtime.clock, runtime.settings))
