"""``eksiam update-kubeconfig --name CLUSTER``: what ``aws eks update-kubeconfig`` writes, for eksiam.

The entry is the AWS CLI's: cluster, user and context all named by the cluster ARN (or ``--alias``),
the cluster's endpoint and certificate authority from DescribeCluster, and a user that runs
``aws eks get-token`` (client.authentication.k8s.io/v1beta1 exec plugin), so kubectl authenticates
with a presigned sts:GetCallerIdentity exactly as against EKS. The exec environment points the AWS
CLI's STS and EKS clients at the eksiam endpoint, so the kubeconfig works from any shell.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer
import yaml

from eksiam.config import endpoint_from_env


def _merge(entries: list[dict[str, Any]], name: str, value: dict[str, Any], key: str) -> list[dict[str, Any]]:
    kept = [e for e in entries if e.get("name") != name]
    return [*kept, {"name": name, key: value}]


def update_kubeconfig(
    name: Annotated[str, typer.Option("--name", help="The cluster name.")],
    region: Annotated[
        str | None, typer.Option(help="The cluster's region (default: as the AWS CLI).")
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option(help="File to write (default: $KUBECONFIG or ~/.kube/config).")
    ] = None,
    alias: Annotated[str | None, typer.Option(help="Context name (default: the cluster ARN).")] = None,
    user_alias: Annotated[str | None, typer.Option(help="User name (default: the cluster ARN).")] = None,
    role_arn: Annotated[
        str | None, typer.Option(help="Role for kubectl to assume when getting tokens.")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="eksiam endpoint (default: as the AWS CLI).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the configuration instead of writing it.")] = False,
) -> None:
    """Write a kubeconfig entry for an eksiam cluster, as `aws eks update-kubeconfig` does."""
    endpoint = endpoint_from_env(endpoint_url)
    session = boto3.session.Session(region_name=region)
    client_region = session.region_name or "us-east-1"
    eks = session.client("eks", endpoint_url=endpoint, region_name=client_region)
    try:
        cluster = eks.describe_cluster(name=name)["cluster"]
    except eks.exceptions.ResourceNotFoundException as err:
        typer.echo(f"error: {err.response['Error']['Message']}", err=True)
        raise typer.Exit(1) from None
    arn = cluster["arn"]
    context_name, user_name = alias or arn, user_alias or arn
    args = ["--region", client_region, "eks", "get-token", "--cluster-name", name, "--output", "json"]
    if role_arn:
        args += ["--role", role_arn]
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": args,
            "env": [
                {"name": "AWS_ENDPOINT_URL_STS", "value": endpoint},
                {"name": "AWS_ENDPOINT_URL_EKS", "value": endpoint},
            ],
            "interactiveMode": "Never",
        }
    }
    default_path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or Path.home() / ".kube" / "config"
    path = kubeconfig or Path(default_path)
    config: dict[str, Any] = {}
    if path.exists():
        config = yaml.safe_load(path.read_text()) or {}
    config.setdefault("apiVersion", "v1")
    config.setdefault("kind", "Config")
    config.setdefault("preferences", {})
    config["clusters"] = _merge(
        config.get("clusters") or [],
        arn,
        {
            "server": cluster["endpoint"],
            "certificate-authority-data": cluster["certificateAuthority"]["data"],
        },
        "cluster",
    )
    config["users"] = _merge(config.get("users") or [], user_name, user, "user")
    context = {"cluster": arn, "user": user_name}
    config["contexts"] = _merge(config.get("contexts") or [], context_name, context, "context")
    config["current-context"] = context_name
    text = yaml.safe_dump(config, sort_keys=False)
    if dry_run:
        typer.echo(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    typer.echo(f"Added new context {context_name} to {path}")
