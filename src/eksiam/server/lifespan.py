"""Start and stop everything a server needs, in order, and say when it is ready.

Startup: open the store, build the services, make sure the default account has root credentials
(``EKSIAM_ACCESS_KEY_ID``/``EKSIAM_SECRET_ACCESS_KEY`` when set, otherwise generated once and kept
with the data), build the mounted apps, then mark the runtime ready (``/_eksiam/health`` turns 200).
While running, a thread writes last-used data every second (services/usage.py). Shutdown runs the
other way: stop being ready, let in-flight requests finish in the worker pool, write the last
last-used data, close the store, so no acknowledged write is lost and no transaction is left open.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.server.authentication import ResolvedKey
from eksiam.server.dual_protocol import server_ssl_context
from eksiam.server.group_sync import GroupSync
from eksiam.server.metrics import Metrics
from eksiam.server.mounts import MountPoint
from eksiam.server.worker_pool import WorkerPool
from eksiam.services import Services, build_services
from eksiam.services.eks.certificates import ensure_cluster_ca, server_certificate
from eksiam.services.usage import FLUSH_INTERVAL
from eksiam.storage import Store, open_store

log = logging.getLogger("eksiam.server")

WORKER_THREADS = 8
"""Enough to overlap fsyncs and PostgreSQL round trips; more threads only add GIL and SQLite lock
contention for the CPU-bound work a request mostly is (benchmarks/server.py)."""

SERVICE_ATTRIBUTES = {
    "iam": "iam",
    "sts": "sts",
    "eks": "eks",
    "eks-auth": "eks_auth",
    "cloudformation": "cloudformation",
}
"""botocore service name -> attribute of ``Services``; a service not built yet is served as None
(its operations answer NotImplemented)."""


class Runtime:
    """The server's state across requests; ``start``/``stop`` are blocking and run off the loop."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        mounts: Sequence[MountPoint] = (),
        threads: int = WORKER_THREADS,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.mount_points = tuple(mounts)
        self.metrics = Metrics()
        self.workers = WorkerPool(threads, "eksiam-aws")
        self.ready = False
        self._store: Store | None = None
        self._services: Services | None = None
        self.mounted: list[tuple[str, ASGIApp]] = []
        self.on_ready: list[Callable[[Runtime], None]] = []
        self.ssl_context: ssl.SSLContext | None = None
        self._group_sync: GroupSync | None = None
        self._stopping = threading.Event()
        self._flusher: threading.Thread | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the runtime has not started")
        return self._store

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the runtime has not started")
        return self._services

    def services_by_name(self) -> dict[str, object | None]:
        services = self.services
        return {name: getattr(services, attr, None) for name, attr in SERVICE_ATTRIBUTES.items()}

    @property
    def group_sync(self) -> GroupSync:
        if self._group_sync is None:
            raise RuntimeError("the runtime has not started")
        return self._group_sync

    @property
    def inline(self) -> bool:
        """Whether AWS requests run on the event loop first (offload.py): yes on a local store."""
        return not self.store.remote

    def key_lookup(self, access_key_id: str, session_token: str | None) -> ResolvedKey | None:
        resolved: ResolvedKey | None = self.services.credentials.lookup(access_key_id, session_token)
        return resolved

    def start(self) -> None:
        self._store = open_store(self.settings.data_url)
        self._group_sync = GroupSync(self._store.sync, self._store.commit_batch)
        self._services = build_services(self._store, self.clock, self.settings)
        self._services.credentials.ensure_root_credentials(self.settings.account_id)
        self.ssl_context = _tls_context(self._store, self.settings, self.clock)
        self.mounted = [(m.prefix, m.build(self)) for m in self.mount_points]
        for hook in self.on_ready:
            hook(self)
        self._flusher = threading.Thread(target=self._flush_usage, name="eksiam-usage", daemon=True)
        self._flusher.start()
        self.ready = True

    def _flush_usage(self) -> None:
        """Write last-used data every FLUSH_INTERVAL seconds until the runtime stops."""
        while not self._stopping.wait(FLUSH_INTERVAL):
            self._flush_once()

    def _flush_once(self) -> None:
        try:
            self.services.usage.flush()
        except Exception:  # best effort: last-used data may be dropped, never a request's change
            log.warning("could not record last-used data", exc_info=True)

    def stop(self) -> None:
        self.ready = False
        self.workers.shutdown()
        self._stopping.set()
        if self._flusher is not None:
            self._flusher.join()
            self._flush_once()
        if self._group_sync is not None:
            self._group_sync.shutdown()
        if self._store is not None:
            self._store.close()
            self._store = None


def _tls_context(store: Store, settings: Settings, clock: Clock) -> ssl.SSLContext:
    """The certificate the clusters' HTTPS endpoints present, signed by the store's cluster CA."""
    now = clock.now()
    ca = ensure_cluster_ca(store, now)
    cert, key = server_certificate(ca, [settings.host, "127.0.0.1", "localhost", "::1"], now)
    return server_ssl_context(cert, key)
