"""``eksiam webhook``: the pod identity webhook as an HTTPS admission webhook for any cluster.

Flags keep amazon-eks-pod-identity-webhook's names and defaults (``main.go``; irsa-and-eksctl.md
1.1) so its Deployment arguments carry over. Go bool flags are written ``--flag=true`` upstream;
here they take a value the same way (``--watch-config-map=true``), parsed as Go's
``strconv.ParseBool``. The socket is bound before the server starts, so ``--port 0`` works and the
ready line names the port.
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from eksiam.kube.webhook import WebhookSettings, parse_go_bool

_FILE = {"exists": True, "dir_okay": False, "readable": True}


def _go_bool(name: str, value: str) -> bool:
    parsed = parse_go_bool(value)
    if parsed is None:
        raise typer.BadParameter(f'invalid boolean value "{value}" for --{name}')
    return parsed


def webhook(
    tls_cert: Annotated[Path, typer.Option(help="TLS certificate (PEM).", **_FILE)] = Path(
        "/etc/webhook/certs/tls.crt"
    ),
    tls_key: Annotated[Path, typer.Option(help="TLS private key (PEM).", **_FILE)] = Path(
        "/etc/webhook/certs/tls.key"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="HTTPS port; 0 picks a free one.")] = 443,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",
    metrics_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Serve Prometheus /metrics on this port (off if unset)."),
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option(help="Cluster to read (default: the pod's in-cluster identity).", **_FILE)
    ] = None,
    context: Annotated[str | None, typer.Option(help="kubeconfig context (default: current).")] = None,
    annotation_prefix: Annotated[str, typer.Option(help="Prefix of every annotation read.")] = (
        "eks.amazonaws.com"
    ),
    token_audience: Annotated[str, typer.Option(help="Default IRSA token audience.")] = "sts.amazonaws.com",
    token_expiration: Annotated[
        int, typer.Option(help="Default token lifetime in seconds (min 600).")
    ] = 86400,
    token_mount_path: Annotated[str, typer.Option(help="IRSA token mount path.")] = (
        "/var/run/secrets/eks.amazonaws.com/serviceaccount"
    ),
    aws_default_region: Annotated[str, typer.Option(help="Inject AWS_DEFAULT_REGION/AWS_REGION.")] = "",
    sts_regional_endpoint: Annotated[
        str, typer.Option(help="Inject AWS_STS_REGIONAL_ENDPOINTS=regional by default (Go bool).")
    ] = "false",
    watch_config_map: Annotated[
        str, typer.Option(help="Also read roles from ConfigMap pod-identity-webhook (Go bool).")
    ] = "false",
    namespace: Annotated[
        str, typer.Option(help="Namespace of the pod-identity-webhook ConfigMap.")
    ] = "default",
    watch_container_credentials_config: Annotated[
        Path | None, typer.Option(help='Pod Identity association file ({"identities": [...]}).')
    ] = None,
    container_credentials_audience: Annotated[str, typer.Option(help="Pod Identity token audience.")] = (
        "pods.eks.amazonaws.com"
    ),
    container_credentials_token_mount_path: Annotated[str, typer.Option(help="Pod Identity mount path.")] = (
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
    ),
    container_credentials_token_volume_name: Annotated[
        str, typer.Option(help="Pod Identity volume name.")
    ] = "eks-pod-identity-token",
    container_credentials_token_path: Annotated[str, typer.Option(help="Pod Identity token file name.")] = (
        "eks-pod-identity-token"
    ),
    container_credentials_full_uri: Annotated[
        str, typer.Option(help="AWS_CONTAINER_CREDENTIALS_FULL_URI value.")
    ] = "http://169.254.170.23/v1/credentials",
    cluster_name: Annotated[
        str | None,
        typer.Option(help="EKS cluster whose ListPodIdentityAssociations also decides Pod Identity."),
    ] = None,
    region: Annotated[str, typer.Option(help="Region of --cluster-name.")] = "us-east-1",
    endpoint_url: Annotated[
        str | None, typer.Option(help="EKS endpoint for --cluster-name (eksiam's URL; default: AWS's).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="Python log level.")] = "info",
) -> None:
    """Serve the pod identity webhook (POST /mutate, GET /healthz) over HTTPS for a cluster."""
    import ssl

    settings = WebhookSettings(
        annotation_prefix=annotation_prefix,
        token_audience=token_audience,
        token_expiration=token_expiration,
        token_mount_path=token_mount_path,
        aws_default_region=aws_default_region,
        sts_regional_endpoint=_go_bool("sts-regional-endpoint", sts_regional_endpoint),
        container_credentials_audience=container_credentials_audience,
        container_credentials_token_mount_path=container_credentials_token_mount_path,
        container_credentials_token_volume_name=container_credentials_token_volume_name,
        container_credentials_token_path=container_credentials_token_path,
        container_credentials_full_uri=container_credentials_full_uri,
    )
    watch = _go_bool("watch-config-map", watch_config_map)
    logging.basicConfig(level=log_level.upper(), format="%(message)s", stream=sys.stderr)
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls_cert, tls_key)
    except (ssl.SSLError, ValueError) as err:
        raise typer.BadParameter(f"cannot load --tls-cert/--tls-key: {err}") from None
    app = _build_app(
        settings,
        watch,
        namespace,
        kubeconfig,
        context,
        watch_container_credentials_config,
        cluster_name,
        region,
        endpoint_url,
        metrics_port,
        host,
    )
    _run(app, host, port, tls_cert, tls_key, log_level)


def _build_app(
    settings: WebhookSettings,
    watch_config_map: bool,
    namespace: str,
    kubeconfig: Path | None,
    context: str | None,
    association_path: Path | None,
    cluster_name: str | None,
    region: str,
    endpoint_url: str | None,
    metrics_port: int | None,
    host: str,
) -> Any:
    from prometheus_client import start_http_server

    from eksiam.kube.webhook_cluster import EventRecorder, api_client, eks_associations, kubernetes_reads
    from eksiam.kube.webhook_server import webhook_app, webhook_metrics
    from eksiam.kube.webhook_sources import AssociationFile, IdentitySource

    try:
        api = api_client(kubeconfig, context)
    except Exception as err:  # kubernetes.config raises its own ConfigException and OSErrors
        raise typer.BadParameter(f"cannot load the cluster configuration: {err}") from None
    associated = eks_associations(cluster_name, endpoint_url, region) if cluster_name else None
    source = IdentitySource(
        kubernetes_reads(api, associated),
        annotation_prefix=settings.annotation_prefix,
        watch_config_map=watch_config_map,
        config_map_namespace=namespace,
        association_file=AssociationFile(association_path) if association_path else None,
    )
    registry, counter = webhook_metrics()
    if metrics_port is not None:
        metrics, _ = start_http_server(metrics_port, addr=host, registry=registry)
        logging.getLogger("eksiam.kube.webhook").info(
            "metrics at http://%s:%d/metrics", host, metrics.server_port
        )
    return webhook_app(source.identity, settings, record=EventRecorder(api).record, counter=counter)


def _run(app: Any, host: str, port: int, cert: Path, key: Path, log_level: str) -> None:
    import asyncio

    import uvicorn

    from eksiam.kube.webhook_server import watch_certificate

    sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    watchers: list[asyncio.Task[None]] = []

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and self.config.ssl is not None:
                watchers.append(asyncio.create_task(watch_certificate(self.config.ssl, cert, key)))
                print(f"eksiam webhook ready at https://{shown}:{bound}", flush=True)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for watcher in watchers:
                watcher.cancel()
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        lifespan="off",
        ws="none",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        log_level=log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    server = Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise typer.Exit(3)
