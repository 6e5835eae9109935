"""``create|get|delete podidentityassociation`` (eksctl ``pkg/actions/podidentityassociation``;
irsa-and-eksctl.md 2.7 and 5.1).

When no ``roleARN`` is given, the role is created in stack ``eksctl-<cluster>-podidentityrole-<ns>-<sa>``
(tag ``alpha.eksctl.io/podidentityassociation-name=<ns>/<sa>``), trusted by ``pods.eks.amazonaws.com`` for
``sts:AssumeRole`` and ``sts:TagSession``; then EKS CreatePodIdentityAssociation binds it. Deleting an
association also deletes the role stack eksctl made for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from eksiam.cli.eksctl.cluster_config import PodIdentityAssociation
from eksiam.cli.eksctl.output import CommandError, info, success, warn
from eksiam.cli.eksctl.service_accounts import service_accounts
from eksiam.cli.eksctl.stack_record import StackError
from eksiam.cli.eksctl.stacks import open_stacks
from eksiam.cli.eksctl.target import Target, aws_message
from eksiam.cli.eksctl.templates import POD_IDENTITY_TAG, pod_identity_stack


def create(
    where: Target,
    cluster: str,
    associations: Sequence[PodIdentityAssociation],
    metadata_tags: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    where.cluster(cluster)
    stacks = open_stacks(where.session, where.endpoint, where.region)
    created = []
    for association in associations:
        role_arn = association.role_arn
        if not role_arn:
            spec = pod_identity_stack(cluster, association, where.partition, metadata_tags or {})
            info(f'deploying stack "{spec.name}"')
            try:
                role_arn = stacks.create(spec).outputs["Role1"]
            except StackError as err:
                raise CommandError(
                    f"failed to create pod identity association {association.key}: {err}"
                ) from None
        if association.create_service_account:
            kube = service_accounts(where, cluster)
            kube.ensure_namespace(association.namespace)
            if kube.get(association.namespace, association.service_account_name) is None:
                kube.apply(association.namespace, association.service_account_name, role_arn, {}, {})
                info(f'created serviceaccount "{association.key}"')
        options: dict[str, Any] = {}
        if association.tags:
            options["tags"] = association.tags
        if association.disable_session_tags:
            options["disableSessionTags"] = True
        if association.target_role_arn:
            options["targetRoleArn"] = association.target_role_arn
        if association.policy:
            options["policy"] = json.dumps(association.policy)
        try:
            answer = where.eks.create_pod_identity_association(
                clusterName=cluster,
                namespace=association.namespace,
                serviceAccount=association.service_account_name,
                roleArn=role_arn,
                **options,
            )["association"]
        except ClientError as err:
            raise CommandError(
                f"creating pod identity association {association.key}: {aws_message(err)}",
                "list existing ones with `eksiam get podidentityassociation --cluster " + cluster + "`",
            ) from None
        success(f'created pod identity association "{answer["associationArn"]}"')
        created.append(answer)
    return created


def listing(
    where: Target, cluster: str, namespace: str | None, service_account: str | None
) -> list[dict[str, Any]]:
    where.cluster(cluster)
    filters: dict[str, str] = {}
    if namespace:
        filters["namespace"] = namespace
    if service_account:
        filters["serviceAccount"] = service_account
    summaries: list[dict[str, Any]] = []
    try:
        for page in where.eks.get_paginator("list_pod_identity_associations").paginate(
            clusterName=cluster, **filters
        ):
            summaries += page["associations"]
        return [
            where.eks.describe_pod_identity_association(
                clusterName=cluster, associationId=s["associationId"]
            )["association"]
            for s in summaries
        ]
    except ClientError as err:
        raise CommandError(f"listing pod identity associations: {aws_message(err)}") from None


def delete(where: Target, cluster: str, namespace: str, service_account: str) -> None:
    found = listing(where, cluster, namespace, service_account)
    key = f"{namespace}/{service_account}"
    if not found:
        raise CommandError(
            f'pod identity association "{key}" not found in cluster "{cluster}"',
            f"list them with `eksiam get podidentityassociation --cluster {cluster}`",
        )
    for association in found:
        where.eks.delete_pod_identity_association(
            clusterName=cluster, associationId=association["associationId"]
        )
        success(f'deleted pod identity association "{association["associationArn"]}"')
    stacks = open_stacks(where.session, where.endpoint, where.region)
    for stack in stacks.find(POD_IDENTITY_TAG, cluster):
        if stack.tags[POD_IDENTITY_TAG] == key:
            try:
                stacks.delete(stack)
            except StackError as err:
                warn(f"the association is gone but its role stack is not: {err}")
                continue
            info(f'deleted stack "{stack.name}"')
