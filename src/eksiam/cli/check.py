"""``eksiam check <purpose> ROLE``: the "check for an existing role" procedures of the EKS guide.

The role is read through the IAM API of the endpoint (eksiam, or AWS itself), exactly as the console
procedure reads it: the trust relationship, the attached managed policies (default versions) and the
inline policies. The verdict comes from the policy engine, so a custom policy with the same
permissions passes just as the attached AWS managed policy does. Exit status 1 means the role would
not work for that purpose.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
import typer
from rich.console import Console

from eksiam.config import endpoint_from_env
from eksiam.services.eks import PURPOSES, RoleReport
from eksiam.services.eks.role_checks import check_role
from eksiam.services.principal_policies import PolicySource, PrincipalPolicies

app = typer.Typer(help="Check that a role works for what EKS uses it for.", no_args_is_help=True)


def _document(value: Any) -> str:
    """IAM returns documents URL-encoded on the wire; boto3 decodes them to dicts, other clients may not."""
    return json.dumps(value) if isinstance(value, dict) else unquote(str(value))


def _read_role(iam: Any, name: str) -> tuple[dict[str, Any], PrincipalPolicies]:
    role = iam.get_role(RoleName=name)["Role"]
    record = {
        "RoleName": role["RoleName"],
        "Arn": role["Arn"],
        "AssumeRolePolicyDocument": _document(role["AssumeRolePolicyDocument"]),
    }
    sources: list[PolicySource] = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            sources.append(PolicySource(arn, attached["PolicyName"], "managed", _document(document)))
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            sources.append(
                PolicySource(f"role/{name}/{policy_name}", policy_name, "role", _document(document))
            )
    boundary = None
    if "PermissionsBoundary" in role:
        arn = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        boundary = PolicySource(arn, arn.rsplit("/", 1)[-1], "managed", _document(document))
    return record, PrincipalPolicies(identity=tuple(sources), boundary=boundary, principal_arn=role["Arn"])


def _print(report: RoleReport, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    console = Console()
    verdict = "[green]works[/green]" if report.ok else "[red]would not work[/red]"
    console.print(f"{report.role_arn} as {report.purpose}: {verdict}")
    for finding in report.findings:
        colour = "red" if finding.severity == "error" else "yellow"
        console.print(f"  [{colour}]{finding.severity}[/{colour}] {finding.message}", highlight=False)
        if finding.fix:
            console.print(f"    fix: {finding.fix}", highlight=False, soft_wrap=True)


def _command(purpose: str) -> None:
    description = PURPOSES[purpose]

    def run(
        name: str = typer.Argument(..., help="The role name."),
        endpoint_url: str | None = typer.Option(
            None, "--endpoint-url", help="IAM endpoint (default: as the AWS CLI)."
        ),
        output: str = typer.Option("text", "-o", "--output", help="text or json"),
    ) -> None:
        iam = boto3.client("iam", endpoint_url=endpoint_from_env(endpoint_url), region_name="us-east-1")
        try:
            record, policies = _read_role(iam, name)
        except iam.exceptions.NoSuchEntityException as err:
            typer.echo(f"error: {err.response['Error']['Message']}", err=True)
            raise typer.Exit(2) from None
        report = check_role(purpose, record, policies)
        _print(report, output)
        if not report.ok:
            raise typer.Exit(1)

    use = purpose.replace("-", " ")
    run.__doc__ = f"Check a role for {use} use (it must trust {description.service}; {description.guide})."
    app.command(purpose)(run)


for _purpose in PURPOSES:
    _command(_purpose)
