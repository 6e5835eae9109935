"""Flags of ``create cluster``, ``utils associate-iam-oidc-provider`` and ``create|get|delete
podidentityassociation`` (eksctl ``pkg/ctl/create/cluster.go``,
``pkg/ctl/utils/associate_iam_oidc_provider.go``,
``pkg/ctl/{create,get,delete}/pod_identity_association.go``)."""

from __future__ import annotations

import json
import secrets
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Annotated

import typer

from eksiam.cli.eksctl import podidentity
from eksiam.cli.eksctl.cluster_config import ClusterConfig, NodeGroup, PodIdentityAssociation, load_config
from eksiam.cli.eksctl.create_cluster import create_cluster as create_cluster_flow
from eksiam.cli.eksctl.oidc import associate
from eksiam.cli.eksctl.options import (
    Approve,
    Cluster,
    ConfigFile,
    EndpointUrl,
    Output,
    Region,
    parse_tags,
    reported,
    session_region,
)
from eksiam.cli.eksctl.output import CommandError, check_format, render
from eksiam.cli.eksctl.target import target
from eksiam.cli.eksctl.well_known import WELL_KNOWN_POLICIES
from eksiam.cli.kubeconfig import update_kubeconfig

PodNamespace = Annotated[str | None, typer.Option("--namespace", help="Namespace of the service account.")]
ServiceAccountName = Annotated[
    str | None, typer.Option("--service-account-name", help="Name of the service account.")
]


@reported
def create_cluster(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Cluster name.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Kubernetes version.")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help='Tags: "k=v,k2=v2".')] = None,
    nodegroup_name: Annotated[
        str | None, typer.Option("--nodegroup-name", help="Name of the initial node group.")
    ] = None,
    node_type: Annotated[str, typer.Option("--node-type", help="Instance type of the nodes.")] = "m5.large",
    nodes: Annotated[int, typer.Option("--nodes", "-N", help="Desired number of nodes.")] = 2,
    managed: Annotated[
        bool, typer.Option("--managed/--unmanaged", help="Managed node group (default) or self-managed.")
    ] = True,
    without_nodegroup: Annotated[
        bool, typer.Option("--without-nodegroup", help="Create no initial node group.")
    ] = False,
    with_oidc: Annotated[
        bool, typer.Option("--with-oidc", help="Create the IAM OIDC provider (IRSA).")
    ] = False,
    write_kubeconfig: Annotated[
        bool, typer.Option("--write-kubeconfig/--no-write-kubeconfig", help="Write a kubeconfig entry.")
    ] = True,
    kubeconfig: Annotated[str | None, typer.Option("--kubeconfig", help="kubeconfig file to write.")] = None,
    output: Output = "table",
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Create a cluster with its IAM roles, node groups and the identities its config names."""
    check_format(output)
    if config_file:
        if name:
            raise CommandError(
                "cannot use --name when --config-file/-f is set", "set metadata.name in the file"
            )
        config = load_config(config_file, session_region(region))
    else:
        if not name:
            raise CommandError("--name must be set", "name the cluster: --name=<clusterName>")
        groups: tuple[NodeGroup, ...] = ()
        if not without_nodegroup:
            group_name = nodegroup_name or f"ng-{secrets.token_hex(4)}"  # eksctl's default name
            groups = (
                NodeGroup(
                    name=group_name, managed=managed, instance_types=(node_type,), desired_capacity=nodes
                ),
            )
        config = ClusterConfig(
            name=name,
            region=session_region(region),
            version=version,
            tags=parse_tags(tags),
            with_oidc=with_oidc,
            node_groups=groups,
        )
    where = target(endpoint_url, config.region)
    created = create_cluster_flow(where, config)
    if write_kubeconfig:
        with redirect_stdout(sys.stderr):  # its "Added new context" is a log line; stdout holds the result
            update_kubeconfig(
                name=config.name,
                region=where.region,
                kubeconfig=Path(kubeconfig) if kubeconfig else None,
                endpoint_url=where.endpoint,
            )
    rows = [(created["cluster"], created["region"], created["arn"])]
    render(output, ("NAME", "REGION", "ARN"), rows, created)


@reported
def associate_iam_oidc_provider(
    cluster: Cluster = None,
    approve: Approve = False,
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Register the cluster's OIDC issuer as an IAM OIDC identity provider (needed for IRSA)."""
    if config_file:
        if cluster:
            raise CommandError("cannot use --cluster when --config-file/-f is set")
        config = load_config(config_file, session_region(region))
        if not config.with_oidc:
            raise CommandError(
                f"'iam.withOIDC' is not enabled in \"{config_file}\"", "set iam.withOIDC: true"
            )
        cluster, region = config.name, config.region
    if not cluster:
        raise CommandError("--cluster must be set", "name the cluster: --cluster=<clusterName>")
    associate(target(endpoint_url, region), cluster, approve)


def _list(values: list[str] | None) -> tuple[str, ...]:
    return tuple(p.strip() for v in values or () for p in v.split(",") if p.strip())


@reported
def create_podidentityassociation(
    cluster: Cluster = None,
    namespace: PodNamespace = None,
    service_account_name: ServiceAccountName = None,
    role_arn: Annotated[str, typer.Option("--role-arn", help="ARN of an existing role to associate.")] = "",
    role_name: Annotated[str, typer.Option("--role-name", help="Name of the role to create.")] = "",
    permission_policy_arns: Annotated[
        list[str] | None,
        typer.Option(
            "--permission-policy-arns", help="Policies for the created role (repeatable/comma list)."
        ),
    ] = None,
    well_known_policies: Annotated[
        list[str] | None,
        typer.Option("--well-known-policies", help="Well-known policies for the created role."),
    ] = None,
    permissions_boundary_arn: Annotated[
        str, typer.Option("--permissions-boundary-arn", help="Boundary policy ARN.")
    ] = "",
    create_service_account: Annotated[
        bool, typer.Option("--create-service-account", help="Create the service account.")
    ] = False,
    tags: Annotated[str | None, typer.Option("--tags", help='Tags: "k=v,k2=v2".')] = None,
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Associate an IAM role with a service account through EKS Pod Identity."""
    if config_file:
        config = load_config(config_file, session_region(region))
        if not config.pod_identity_associations:
            raise CommandError(f"'iam.podIdentityAssociations' is not defined in \"{config_file}\"")
        podidentity.create(
            target(endpoint_url, config.region), config.name, config.pod_identity_associations, config.tags
        )
        return
    for flag, value in (
        ("--cluster", cluster),
        ("--namespace", namespace),
        ("--service-account-name", service_account_name),
    ):
        if not value:
            raise CommandError(f"{flag} must be set")
    lookup = {k.lower(): k for k in WELL_KNOWN_POLICIES}
    known = []
    for value in _list(well_known_policies):
        if value.lower() not in lookup:
            raise CommandError(
                f"invalid wellKnownPolicy: {value}", f"use one of {', '.join(WELL_KNOWN_POLICIES)}"
            )
        known.append(lookup[value.lower()])
    policies = _list(permission_policy_arns)
    if role_arn and (policies or known or role_name):
        raise CommandError(
            "--role-arn cannot be specified together with --role-name, --permission-policy-arns "
            "or --well-known-policies"
        )
    if not role_arn and not policies and not known:
        raise CommandError(
            "at least one of --role-arn, --permission-policy-arns or --well-known-policies must be set",
            "e.g. --permission-policy-arns=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        )
    association = PodIdentityAssociation(
        namespace=namespace or "",
        service_account_name=service_account_name or "",
        role_arn=role_arn,
        role_name=role_name,
        permission_policy_arns=policies,
        well_known_policies=tuple(known),
        permissions_boundary_arn=permissions_boundary_arn,
        create_service_account=create_service_account,
        tags=parse_tags(tags),
    )
    podidentity.create(target(endpoint_url, region), cluster or "", [association])


@reported
def get_podidentityassociation(
    cluster: Cluster = None,
    namespace: Annotated[str | None, typer.Option("--namespace", help="Only this namespace.")] = None,
    service_account_name: Annotated[
        str | None, typer.Option("--service-account-name", help="Only this service account.")
    ] = None,
    output: Output = "table",
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """List the cluster's pod identity associations."""
    check_format(output)
    if not cluster:
        raise CommandError("--cluster must be set")
    found = podidentity.listing(target(endpoint_url, region), cluster, namespace, service_account_name)
    rows = [
        (a["associationArn"], a["namespace"], a["serviceAccount"], a["roleArn"], a.get("ownerArn", ""))
        for a in found
    ]
    columns = ("ASSOCIATION ARN", "NAMESPACE", "SERVICE ACCOUNT NAME", "IAM ROLE ARN", "OWNER ARN")
    render(output, columns, rows, json.loads(json.dumps(found, default=str)))


@reported
def delete_podidentityassociation(
    cluster: Cluster = None,
    namespace: PodNamespace = None,
    service_account_name: ServiceAccountName = None,
    config_file: ConfigFile = None,
    region: Region = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Delete a pod identity association and the role stack eksiam created for it."""
    if config_file:
        config = load_config(config_file, session_region(region))
        where = target(endpoint_url, config.region)
        for association in config.pod_identity_associations:
            podidentity.delete(where, config.name, association.namespace, association.service_account_name)
        return
    for flag, value in (
        ("--cluster", cluster),
        ("--namespace", namespace),
        ("--service-account-name", service_account_name),
    ):
        if not value:
            raise CommandError(f"{flag} must be set")
    podidentity.delete(
        target(endpoint_url, region), cluster or "", namespace or "", service_account_name or ""
    )
