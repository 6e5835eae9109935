"""``eksiam serve``: IAM, STS, EKS and EKS Auth (plus OIDC issuers and cluster APIs) on one port.

The listening socket is bound here, before the server starts, so ``--port 0`` works: the kernel
picks a free port and the line printed when the server is ready names it (tests and scripts read
that line, or poll ``/_eksiam/health``).
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from eksiam.config import from_env, store_url


def ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on; 0 picks a free one (default 8455).")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="SQLite file path, or a store URL (sqlite:///..., postgresql+psycopg://...)."),
    ] = None,
    account_id: Annotated[str | None, typer.Option(help="The default account (123456789012).")] = None,
    region: Annotated[str | None, typer.Option(help="The default region (us-east-1).")] = None,
    no_enforce: Annotated[
        bool,
        typer.Option("--no-enforce", help="Skip IAM authorization: a plain mock, signatures still checked."),
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Write one JSON access log line per AWS request.")] = True,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            max=256,
            help="Worker threads for AWS requests that may block (every request on PostgreSQL).",
        ),
    ] = 8,
    log_level: Annotated[str, typer.Option(help="Python log level for eksiam and uvicorn.")] = "info",
) -> None:
    """Serve the AWS-compatible endpoint until interrupted (Ctrl+C or SIGTERM shut it down cleanly)."""
    import uvicorn

    from eksiam.server import build_app

    settings = from_env(
        host=host,
        port=port,
        data_url=store_url(data) if data else None,
        account_id=account_id,
        region=region,
        enforce=False if no_enforce else None,
    )
    ensure_sqlite_dir(settings.data_url)
    sock = _bind(settings.host, settings.port)
    settings = settings.with_(port=sock.getsockname()[1])
    level = log_level.upper()
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    logging.getLogger("eksiam.access").setLevel(logging.INFO if access_log else logging.WARNING)
    app = build_app(settings, threads=threads)
    app.runtime.on_ready.append(
        lambda rt: print(
            f"eksiam ready at {rt.settings.endpoint_url} (account {rt.settings.account_id}, "
            f"region {rt.settings.region}, enforce {'on' if rt.settings.enforce else 'off'})",
            flush=True,
        )
    )
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    from eksiam.server.aws_http import http_protocol_class

    config = uvicorn.Config(
        app,
        http=http_protocol_class(app),
        ws="none",
        loop=loop,
        lifespan="on",
        access_log=False,
        # No X-Forwarded-For trust: any local client could otherwise choose its own aws:SourceIp.
        proxy_headers=False,
        server_header=False,
        log_level=log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise typer.Exit(3)
