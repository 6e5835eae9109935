"""Flags of ``create|get|update|delete iamserviceaccount``, exactly as eksctl has them
(irsa-and-eksctl.md 2.2-2.5;
eksctl ``pkg/ctl/{create,get,update,delete}/iamserviceaccount.go``, ``pkg/ctl/cmdutils/configfile.go``).

Without ``--config-file`` the flags describe one service account and are validated with eksctl's messages;
with it, the file's ``iam.serviceAccounts`` (filtered by ``--include``/``--exclude``) are used and the
flags that describe a service account are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from eksiam.cli.eksctl import iamserviceaccount as irsa
from eksiam.cli.eksctl.cluster_config import ClusterConfig, ServiceAccount, load_config
from eksiam.cli.eksctl.filters import NameFilter, split_globs
from eksiam.cli.eksctl.options import (
    Approve,
    Cluster,
    ConfigFile,
    EndpointUrl,
    Exclude,
    Include,
    Output,
    Region,
    parse_tags,
    reported,
    session_region,
)
from eksiam.cli.eksctl.output import CommandError, check_format, render
from eksiam.cli.eksctl.target import target

NameArg = Annotated[str | None, typer.Argument(help="Service account name (or --name).", show_default=False)]
NameOpt = Annotated[str | None, typer.Option("--name", help="Name of the service account.")]
Namespace = Annotated[str, typer.Option("--namespace", help="Namespace of the service account.")]


def _name(flag: str | None, argument: str | None) -> str | None:
    if flag and argument:
        raise CommandError(f"--name={flag} and argument {argument} cannot be used at the same time")
    return flag or argument


def _policy_arns(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def _from_file(path: str, region: str | None, *given: object) -> ClusterConfig:
    if any(given):
        raise CommandError(
            "cannot use --cluster, --name, --namespace or service-account flags when --config-file/-f is set",
            "put those settings in the config file's iam.serviceAccounts, or drop --config-file",
        )
    config = load_config(path, session_region(region))
    if not config.service_accounts:
        raise CommandError(
            f"'iam.serviceAccounts' is not defined in \"{path}\"", "add iam.serviceAccounts entries"
        )
    return config


def _filtered(
    config: ClusterConfig, include: list[str] | None, exclude: list[str] | None
) -> list[ServiceAccount]:
    name_filter = NameFilter(split_globs(include), split_globs(exclude))
    keys = name_filter.select([a.key for a in config.service_accounts])
    return [a for a in config.service_accounts if a.key in keys]


@reported
def create_iamserviceaccount(
    name_argument: NameArg = None,
    cluster: Cluster = None,
    name: NameOpt = None,
    namespace: Namespace = "default",
    attach_policy_arn: Annotated[
        list[str] | None,
        typer.Option(
            "--attach-policy-arn", help="ARN of a policy to attach (repeatable, or comma-separated)."
        ),
    ] = None,
    attach_role_arn: Annotated[
        str, typer.Option("--attach-role-arn", help="ARN of an existing role to use.")
    ] = "",
    role_name: Annotated[str, typer.Option("--role-name", help="Fixed name for the created role.")] = "",
    role_only: Annotated[
        bool, typer.Option("--role-only", help="Create only the role, not the service account.")
    ] = False,
    permissions_boundary: Annotated[
        str, typer.Option("--permissions-boundary", help="Boundary policy ARN.")
    ] = "",
    tags: Annotated[str | None, typer.Option("--tags", help='Tags for the role: "k=v,k2=v2".')] = None,
    override_existing_serviceaccounts: Annotated[
        bool,
        typer.Option(
            "--override-existing-serviceaccounts", help="Also update service accounts that already exist."
        ),
    ] = False,
    subject_pattern: Annotated[
        str, typer.Option("--subject-pattern", help="Trust service accounts matching this pattern.")
    ] = "",
    include: Include = None,
    exclude: Exclude = None,
    approve: Approve = False,
    config_file: ConfigFile = None,
    region: Region = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Maximum wait (accepted for eksctl compatibility).")
    ] = "25m",
    endpoint_url: EndpointUrl = None,
) -> None:
    """Create an IAM role bound to a Kubernetes service account (IRSA)."""
    name = _name(name, name_argument)
    overrides = override_existing_serviceaccounts
    if config_file:
        config = _from_file(config_file, region, cluster, name, attach_policy_arn, attach_role_arn, role_name)
        where = target(endpoint_url, config.region)
        name_filter = NameFilter(split_globs(include), split_globs(exclude))
        irsa.create(
            where,
            config.name,
            config.service_accounts,
            name_filter=name_filter,
            override_existing=overrides,
            approve=approve,
            metadata_tags=config.tags,
        )
        return
    if not cluster:
        raise CommandError("--cluster must be set", "name the cluster: --cluster=<clusterName>")
    if not name:
        raise CommandError("--name must be set", "name the service account: --name=<serviceAccountName>")
    policies = _policy_arns(attach_policy_arn)
    if attach_role_arn and (role_name or role_only):
        raise CommandError("cannot provide --role-name or --role-only when --attach-role-arn is configured")
    if attach_role_arn and policies:
        raise CommandError("cannot provide --attach-role-arn and specify polices to attach")
    if not attach_role_arn and not policies:
        raise CommandError(
            "--attach-policy-arn or --attach-role-arn must be set",
            "e.g. --attach-policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        )
    account = ServiceAccount(
        name=name,
        namespace=namespace,
        attach_policy_arns=policies,
        attach_role_arn=attach_role_arn,
        permissions_boundary=permissions_boundary,
        role_name=role_name,
        role_only=role_only,
        tags=parse_tags(tags),
        subject_pattern=subject_pattern,
    )
    irsa.create(
        target(endpoint_url, region), cluster, [account], override_existing=overrides, approve=approve
    )


@reported
def get_iamserviceaccount(
    name_argument: NameArg = None,
    cluster: Cluster = None,
    name: NameOpt = None,
    namespace: Annotated[str | None, typer.Option("--namespace", help="Only this namespace.")] = None,
    output: Output = "table",
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """List the cluster's iamserviceaccounts (those eksiam created a stack for)."""
    check_format(output)
    name = _name(name, name_argument)
    if config_file:
        config = load_config(config_file, session_region(region))
        cluster, region = config.name, config.region
    if not cluster:
        raise CommandError("--cluster must be set", "name the cluster: --cluster=<clusterName>")
    found = irsa.listing(target(endpoint_url, region), cluster, name, namespace)
    rows = [(f["metadata"]["namespace"], f["metadata"]["name"], f["status"]["roleARN"]) for f in found]
    render(output, ("NAMESPACE", "NAME", "ROLE ARN"), rows, found)


@reported
def update_iamserviceaccount(
    name_argument: NameArg = None,
    cluster: Cluster = None,
    name: NameOpt = None,
    namespace: Namespace = "default",
    attach_policy_arn: Annotated[
        list[str] | None,
        typer.Option("--attach-policy-arn", help="The complete set of policy ARNs (repeatable)."),
    ] = None,
    permissions_boundary: Annotated[
        str, typer.Option("--permissions-boundary", help="Boundary policy ARN.")
    ] = "",
    include: Include = None,
    exclude: Exclude = None,
    approve: Approve = False,
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Replace the policies of existing iamserviceaccounts (the Kubernetes service account is not touched)."""
    name = _name(name, name_argument)
    if config_file:
        config = _from_file(config_file, region, cluster, name, attach_policy_arn)
        irsa.update(
            target(endpoint_url, config.region),
            config.name,
            _filtered(config, include, exclude),
            approve=approve,
            metadata_tags=config.tags,
        )
        return
    if not cluster:
        raise CommandError("--cluster must be set", "name the cluster: --cluster=<clusterName>")
    if not name:
        raise CommandError("--name must be set", "name the service account: --name=<serviceAccountName>")
    policies = _policy_arns(attach_policy_arn)
    if not policies:
        raise CommandError(
            "--attach-policy-arn must be set", "give the complete set of policies the role should have"
        )
    account = ServiceAccount(
        name=name, namespace=namespace, attach_policy_arns=policies, permissions_boundary=permissions_boundary
    )
    irsa.update(target(endpoint_url, region), cluster, [account], approve=approve)


@reported
def delete_iamserviceaccount(
    name_argument: NameArg = None,
    cluster: Cluster = None,
    name: NameOpt = None,
    namespace: Namespace = "default",
    only_missing: Annotated[
        bool,
        typer.Option("--only-missing", help="Delete only iamserviceaccounts absent from the config file."),
    ] = False,
    include: Include = None,
    exclude: Exclude = None,
    approve: Approve = False,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="Wait for stack deletion.")] = False,
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Delete iamserviceaccounts: their stacks, and the service accounts eksctl/eksiam created."""
    name = _name(name, name_argument)
    if config_file:
        if cluster or name:
            raise CommandError("cannot use --cluster or --name when --config-file/-f is set")
        config = load_config(config_file, session_region(region))
        where = target(endpoint_url, config.region)
        name_filter = NameFilter(split_globs(include), split_globs(exclude))
        if only_missing:
            keys = [k for k in irsa.missing_from_config(where, config) if name_filter.allows(k)]
        else:
            keys = name_filter.select([a.key for a in config.service_accounts])
        irsa.delete(where, config.name, keys, approve=approve, wait=wait)
        return
    if only_missing:
        raise CommandError("--only-missing can only be used with --config-file", "pass -f <cluster.yaml>")
    if approve:
        raise CommandError(
            "--approve can only be used with --config-file",
            "without a config file the deletion runs immediately: drop --approve",
        )
    if not cluster:
        raise CommandError("--cluster must be set", "name the cluster: --cluster=<clusterName>")
    if not name:
        raise CommandError("--name must be set", "name the service account: --name=<serviceAccountName>")
    irsa.delete(target(endpoint_url, region), cluster, [f"{namespace}/{name}"], wait=wait)
