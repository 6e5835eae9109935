"""The Typer application. Command groups register here, one line each."""

from __future__ import annotations

import typer

from eksiam import __version__
from eksiam.cli.check import app as check_app
from eksiam.cli.credentials import credentials
from eksiam.cli.eksctl import create_app, delete_app, get_app, up, update_app, utils_app
from eksiam.cli.kubeconfig import update_kubeconfig
from eksiam.cli.policy import app as policy_app
from eksiam.cli.run_pod import run_pod
from eksiam.cli.serve import serve
from eksiam.cli.token import token
from eksiam.cli.webhook import webhook

app = typer.Typer(
    name="eksiam", help="The Amazon EKS identity plane, locally.", no_args_is_help=True, add_completion=False
)


@app.command()
def version() -> None:
    """Print eksiam's version."""
    typer.echo(__version__)


app.command()(serve)
app.command()(credentials)
app.command()(token)
app.add_typer(check_app, name="check")
app.command("update-kubeconfig")(update_kubeconfig)
app.command("run-pod")(run_pod)
app.add_typer(policy_app, name="policy")
app.command()(webhook)
app.command()(up)
app.add_typer(create_app, name="create")
app.add_typer(get_app, name="get")
app.add_typer(update_app, name="update")
app.add_typer(delete_app, name="delete")
app.add_typer(utils_app, name="utils")


def main() -> None:
    app()
