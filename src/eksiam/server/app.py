"""The one ASGI application behind ``eksiam serve``.

Routing is a prefix check, cheapest first: ``/_eksiam/`` (health, metrics) and the registered
mount prefixes (OIDC issuers, Kubernetes APIs; see mounts.py) go to a Starlette router; everything
else is the AWS endpoint, kept a raw ASGI callable because Starlette's Request/Response objects cost
more than half of a small AWS call's time (architecture.md section 4).

Lifespan: startup runs ``Runtime.start`` in a thread (opening SQLite or PostgreSQL blocks), then
builds the protocol endpoint with the authenticate callback; shutdown stops the runtime after the
server has stopped accepting requests (uvicorn finishes in-flight requests first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.types import Receive, Scope, Send

from eksiam.clock import Clock, SystemClock
from eksiam.config import Settings
from eksiam.protocol import AwsEndpoint
from eksiam.server.authentication import Authenticator
from eksiam.server.aws_endpoint import AwsAsgiEndpoint
from eksiam.server.lifespan import WORKER_THREADS, Runtime
from eksiam.server.mounts import MOUNTS, MountPoint

logger = logging.getLogger("eksiam.server")

ADMIN_PREFIX = "/_eksiam/"


class EksiamApp:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        mounts: Sequence[MountPoint] = MOUNTS,
        threads: int = WORKER_THREADS,
    ) -> None:
        self.runtime = Runtime(settings, clock or SystemClock(), mounts, threads)
        self._aws = AwsAsgiEndpoint(self.runtime)
        self._prefixes = (ADMIN_PREFIX, *(m.prefix.rstrip("/") + "/" for m in mounts))
        self._router = Router(routes=self._admin_routes())

    def _admin_routes(self) -> list[Route | Mount]:
        return [
            Route(ADMIN_PREFIX + "health", self._health, methods=["GET", "HEAD"]),
            Route(ADMIN_PREFIX + "metrics", self._metrics, methods=["GET"]),
        ]

    async def _health(self, request: Request) -> Response:
        if self.runtime.ready:
            return PlainTextResponse("ok\n")
        return PlainTextResponse("starting\n", status_code=503)

    async def _metrics(self, request: Request) -> Response:
        return Response(self.runtime.metrics.render(), media_type=self.runtime.metrics.content_type)

    @property
    def aws(self) -> AwsAsgiEndpoint:
        return self._aws

    def routes_elsewhere(self, path: str) -> bool:
        """Whether a request for ``path`` (decoded) goes to the router rather than the AWS endpoint."""
        return path.startswith(self._prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if self.routes_elsewhere(scope["path"]):
                await self._router(scope, receive, send)
            else:
                await self._aws(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            raise RuntimeError(f"unsupported ASGI scope type {kind!r}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await asyncio.to_thread(self._start)
                except Exception as err:
                    logger.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.runtime.stop)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start(self) -> None:
        runtime = self.runtime
        runtime.on_ready.insert(0, self._attach)
        runtime.start()

    def _attach(self, runtime: Runtime) -> None:
        authenticator = Authenticator(
            runtime.key_lookup, runtime.settings, runtime.clock, key_used=runtime.services.usage.key_used
        )
        self._aws.attach(AwsEndpoint(runtime.services_by_name(), authenticator))
        self._router.routes.extend(Mount(prefix, app=app) for prefix, app in runtime.mounted)


def build_app(settings: Settings, clock: Clock | None = None, threads: int = WORKER_THREADS) -> EksiamApp:
    return EksiamApp(settings, clock, threads=threads)
