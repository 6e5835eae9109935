"""``eksiam credentials``: the default account's root keys, as shell exports or JSON.

``eval "$(eksiam credentials)"`` points boto3, the AWS CLI and SDKs at the local server. The keys are
the ones the server uses: taken from EKSIAM_ACCESS_KEY_ID/EKSIAM_SECRET_ACCESS_KEY when set,
otherwise generated on first use and kept with the data, so this works before or after ``serve``.
"""

from __future__ import annotations

import json
import shlex
from typing import Annotated

import typer

from eksiam.cli.serve import ensure_sqlite_dir
from eksiam.config import from_env, store_url


def credentials(
    data: Annotated[
        str | None, typer.Option(help="SQLite file path or store URL, as given to serve.")
    ] = None,
    account_id: Annotated[str | None, typer.Option(help="The default account (123456789012).")] = None,
    region: Annotated[str | None, typer.Option(help="The region to export (us-east-1).")] = None,
    host: Annotated[str | None, typer.Option(help="The server's host, for AWS_ENDPOINT_URL.")] = None,
    port: Annotated[int | None, typer.Option(help="The server's port, for AWS_ENDPOINT_URL.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="'shell' (exports) or 'json'.")] = "shell",
) -> None:
    """Print the root credentials of the default account as shell exports (or JSON with -o json)."""
    from eksiam.clock import SystemClock
    from eksiam.services import build_services
    from eksiam.storage import open_store

    settings = from_env(
        data_url=store_url(data) if data else None, account_id=account_id, region=region, host=host, port=port
    )
    ensure_sqlite_dir(settings.data_url)
    store = open_store(settings.data_url)
    try:
        services = build_services(store, SystemClock(), settings)
        root = services.credentials.ensure_root_credentials(settings.account_id)
    finally:
        store.close()
    values = {
        "AWS_ACCESS_KEY_ID": root.access_key_id,
        "AWS_SECRET_ACCESS_KEY": root.secret_access_key,
        "AWS_ENDPOINT_URL": settings.endpoint_url,
        "AWS_REGION": settings.region,
        "AWS_DEFAULT_REGION": settings.region,
    }
    if output == "json":
        typer.echo(json.dumps(values, indent=2))
    elif output == "shell":
        for name, value in values.items():
            typer.echo(f"export {name}={shlex.quote(value)}")
    else:
        raise typer.BadParameter("use 'shell' or 'json'", param_hint="--output")
