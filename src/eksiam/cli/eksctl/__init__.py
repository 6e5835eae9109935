"""The eksctl-compatible commands: ``eksiam up``, and the ``create``, ``get``, ``update``, ``delete`` and
``utils`` groups with eksctl's subcommands, flags and messages (irsa-and-eksctl.md section 2)."""

from __future__ import annotations

import typer

from eksiam.cli.eksctl import cluster_commands as clusters
from eksiam.cli.eksctl import irsa_commands as irsa
from eksiam.cli.eksctl.up import up

create_app = typer.Typer(help="Create resources (eksctl create).", no_args_is_help=True)
create_app.command("cluster")(clusters.create_cluster)
create_app.command("iamserviceaccount")(irsa.create_iamserviceaccount)
create_app.command("podidentityassociation")(clusters.create_podidentityassociation)

get_app = typer.Typer(help="Get resources (eksctl get).", no_args_is_help=True)
get_app.command("iamserviceaccount")(irsa.get_iamserviceaccount)
get_app.command("podidentityassociation")(clusters.get_podidentityassociation)

update_app = typer.Typer(help="Update resources (eksctl update).", no_args_is_help=True)
update_app.command("iamserviceaccount")(irsa.update_iamserviceaccount)

delete_app = typer.Typer(help="Delete resources (eksctl delete).", no_args_is_help=True)
delete_app.command("iamserviceaccount")(irsa.delete_iamserviceaccount)
delete_app.command("podidentityassociation")(clusters.delete_podidentityassociation)

utils_app = typer.Typer(help="Various utilities (eksctl utils).", no_args_is_help=True)
utils_app.command("associate-iam-oidc-provider")(clusters.associate_iam_oidc_provider)

__all__ = ["create_app", "delete_app", "get_app", "up", "update_app", "utils_app"]
