"""Options every eksctl-compatible command shares, and the one place failures become ``Error:`` lines."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import boto3
import typer
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from eksiam.cli.eksctl.config_schema import ConfigError
from eksiam.cli.eksctl.output import CommandError, fail

ConfigFile = Annotated[
    str | None, typer.Option("--config-file", "-f", help="A ClusterConfig file (eksctl.io/v1alpha5).")
]
Region = Annotated[str | None, typer.Option("--region", "-r", help="AWS region (default: as the AWS CLI).")]
EndpointUrl = Annotated[
    str | None, typer.Option("--endpoint-url", help="eksiam endpoint (default: as the AWS CLI).")
]
Include = Annotated[
    list[str] | None,
    typer.Option("--include", help="Globs over <namespace>/<name> to include (config file)."),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Globs over <namespace>/<name> to exclude (config file)."),
]
Output = Annotated[str, typer.Option("--output", "-o", help="table, json or yaml.")]
Cluster = Annotated[str | None, typer.Option("--cluster", "-c", help="EKS cluster name.")]
Approve = Annotated[bool, typer.Option("--approve", help="Apply the changes (without it, only plan).")]

F = TypeVar("F", bound=Callable[..., Any])


def reported(command: F) -> F:
    """Turn CommandError/ConfigError into eksctl's ``Error: ...`` plus a hint, exit status 1."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as err:
            fail(
                CommandError(
                    str(err),
                    "fix the field named above; the schema is eksctl's ClusterConfig (eksctl.io/v1alpha5)",
                )
            )
        except CommandError as err:
            fail(err)
        except ClientError as err:
            error = err.response.get("Error", {})
            operation = err.operation_name
            fail(
                CommandError(
                    f"{operation}: {error.get('Code', 'Error')}: {error.get('Message', '')}",
                    "check the names given and the caller's permissions (AccessDenied names the action)",
                )
            )
        except NoCredentialsError:
            fail(CommandError("no AWS credentials found", 'run `eval "$(eksiam credentials)"`'))
        except EndpointConnectionError as err:
            fail(CommandError(f"cannot reach the eksiam server ({err})", "start it with `eksiam up`"))

    return run  # type: ignore[return-value]


def session_region(region: str | None) -> str:
    return region or boto3.session.Session().region_name or "us-east-1"


def parse_tags(text: str | None) -> dict[str, str]:
    """``--tags "Owner=John Doe,Team=Some Team"`` -> {"Owner": "John Doe", "Team": "Some Team"}."""
    tags: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f'--tags: "{pair}" is not key=value', 'use --tags "key=value,key2=value2"')
        tags[key.strip()] = value.strip()
    return tags
