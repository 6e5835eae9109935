"""``eksiam up``: the main job. Serve everything on the embedded SQLite store and say how to use it.

It creates nothing the user did not ask for: no cluster, no role, no provider. When the server
answers ``/_eksiam/health``, it prints the endpoint, the credentials to export (the root keys the
server uses, as ``eksiam credentials`` prints them) and the next commands to try. Ctrl+C stops it;
the data stays in the store for the next ``eksiam up``.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Annotated

import httpx
import typer

from eksiam.cli.credentials import credentials
from eksiam.cli.eksctl.output import CommandError, fail
from eksiam.cli.serve import serve
from eksiam.config import from_env, store_url

STARTUP_SECONDS = 60


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _available(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def next_steps(endpoint: str) -> str:
    policy = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    return "\n".join(
        [
            "",
            "Next, in a shell with those variables:",
            "  eksiam create cluster --name demo --without-nodegroup   # cluster role, cluster, kubeconfig",
            "  eksiam utils associate-iam-oidc-provider --cluster demo --approve",
            "  eksiam create iamserviceaccount --cluster demo --name s3-read-only \\",
            f"      --attach-policy-arn {policy} --approve",
            "  eksiam get iamserviceaccount --cluster demo",
            "  kubectl get serviceaccount s3-read-only -o yaml",
            "  aws iam list-roles",
            "",
            f"The server keeps running at {endpoint}; Ctrl+C stops it (the data stays).",
        ]
    )


def _announce(
    endpoint: str, data: str, host: str, port: int, account_id: str | None, region: str | None
) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{endpoint}/_eksiam/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        return
    typer.echo(
        f"\neksiam is up at {endpoint}; data in {data}\n\n"
        'Export these (or run: eval "$(eksiam credentials)"):'
    )
    credentials(data=data, account_id=account_id, region=region, host=host, port=port, output="shell")
    typer.echo(next_steps(endpoint))


def up(
    port: Annotated[
        int | None, typer.Option(help="Port to listen on; 0 picks a free one (default 8455).")
    ] = None,
    data: Annotated[
        str | None, typer.Option(help="SQLite file (default under ~/.local/share/eksiam/) or a store URL.")
    ] = None,
    account_id: Annotated[str | None, typer.Option(help="The default account (123456789012).")] = None,
    region: Annotated[str | None, typer.Option(help="The default region (us-east-1).")] = None,
) -> None:
    """Start eksiam (IAM, STS, EKS, OIDC, Kubernetes APIs) and print how to use it."""
    settings = from_env(
        port=port, data_url=store_url(data) if data else None, account_id=account_id, region=region
    )
    chosen = settings.port or _free_port(settings.host)
    if not _available(settings.host, chosen):
        fail(
            CommandError(
                f"port {chosen} on {settings.host} is already in use (another eksiam, or another server)",
                "stop the other process, or pick a port: `eksiam up --port 0` chooses a free one",
            )
        )
    settings = settings.with_(port=chosen)
    announcer = threading.Thread(
        target=_announce,
        args=(settings.endpoint_url, settings.data_url, settings.host, chosen, account_id, region),
        daemon=True,
    )
    announcer.start()
    serve(host=settings.host, port=chosen, data=settings.data_url, account_id=account_id, region=region)
