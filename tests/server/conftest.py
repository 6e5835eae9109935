"""An in-process server: the real EksiamApp on uvicorn in a thread, a real SQLite store, a clock the
test controls (so skew and expiry are exact, not slept for)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.server import EksiamApp
from eksiam.server.aws_http import http_protocol_class

ROOT_KEY = "AKIAEKSIAMUNITROOT01"
ROOT_SECRET = "eksiam/unit/root/secret/0123456789abcdefgh"


@dataclass
class LiveApp:
    app: EksiamApp
    endpoint: str
    clock: ManualClock
    root_key: str = ROOT_KEY
    root_secret: str = ROOT_SECRET

    def client(self, service: str, **overrides: Any) -> Any:
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": ROOT_KEY,
            "aws_secret_access_key": ROOT_SECRET,
        }
        options.update(overrides)
        return boto3.session.Session().client(service, **options)


def run_app(app: EksiamApp) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        ws="none",
        http=http_protocol_class(app),
        access_log=False,
        proxy_headers=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("in-process server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(
        data_url=f"sqlite:///{tmp_path / 'eksiam.db'}",
        root_access_key_id=ROOT_KEY,
        root_secret_access_key=ROOT_SECRET,
        port=0,
    ).with_(**changes)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    clock = ManualClock()
    app = EksiamApp(settings_for(tmp_path), clock)
    endpoint, server, thread = run_app(app)
    try:
        yield LiveApp(app, endpoint, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def unstarted_app(tmp_path: Path) -> EksiamApp:
    """An app whose lifespan has not run (what a client sees before startup completes)."""
    return EksiamApp(settings_for(tmp_path), ManualClock())
