"""``eksiam token``: a signed service-account token, as ``kubectl create token`` prints one.

The token is signed with the cluster issuer's current key, read from the same store the server uses
(``--data``, else EKSIAM_DATA, else the default), so STS on that server accepts it for
AssumeRoleWithWebIdentity. The default audience is ``sts.amazonaws.com``, the one IRSA uses.
``-o json`` prints a TokenRequest like ``kubectl create token -o json``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from eksiam.cli.serve import ensure_sqlite_dir
from eksiam.config import from_env, store_url


def token(
    cluster: Annotated[str, typer.Option(help="The cluster whose issuer signs the token.")],
    namespace: Annotated[str, typer.Option(help="The service account's namespace.")],
    service_account: Annotated[str, typer.Option(help="The service account's name.")],
    audience: Annotated[
        list[str] | None,
        typer.Option(help="An audience of the token (repeatable; default sts.amazonaws.com)."),
    ] = None,
    expiration_seconds: Annotated[int, typer.Option(help="Lifetime, 600 to 86400 seconds.")] = 3600,
    pod_name: Annotated[str | None, typer.Option(help="Bind the token to this pod.")] = None,
    region: Annotated[str | None, typer.Option(help="The cluster's region (us-east-1).")] = None,
    account_id: Annotated[str | None, typer.Option(help="The cluster's account (123456789012).")] = None,
    data: Annotated[
        str | None, typer.Option(help="SQLite file path or store URL, as given to serve.")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="'text' (the token) or 'json'.")] = "text",
) -> None:
    """Print a service-account token signed by the cluster's OIDC issuer."""
    from eksiam.clock import SystemClock
    from eksiam.oidc import DEFAULT_AUDIENCE, TokenRequestError, issue_service_account_token
    from eksiam.services.oidc_issuers import IssuerRegistry
    from eksiam.storage import open_store

    if output not in ("text", "json"):
        raise typer.BadParameter("use 'text' or 'json'", param_hint="--output")
    settings = from_env(data_url=store_url(data) if data else None, account_id=account_id, region=region)
    ensure_sqlite_dir(settings.data_url)
    store = open_store(settings.data_url)
    try:
        registry = IssuerRegistry(store, SystemClock(), settings)
        issuer = registry.issuer_for_cluster(settings.account_id, settings.region, cluster)
        if issuer is None:
            typer.echo(
                f"error: no cluster {cluster!r} in account {settings.account_id}, region {settings.region}",
                err=True,
            )
            raise typer.Exit(1)
        try:
            issued = issue_service_account_token(
                registry,
                issuer,
                namespace=namespace,
                service_account=service_account,
                audiences=audience or [DEFAULT_AUDIENCE],
                expiration_seconds=expiration_seconds,
                pod_name=pod_name,
            )
        except TokenRequestError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
    finally:
        store.close()
    if output == "json":
        request = {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": service_account, "namespace": namespace},
            "spec": {"audiences": audience or [DEFAULT_AUDIENCE], "expirationSeconds": expiration_seconds},
            "status": {
                "token": issued.token,
                "expirationTimestamp": issued.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        typer.echo(json.dumps(request, indent=2))
    else:
        typer.echo(issued.token)
