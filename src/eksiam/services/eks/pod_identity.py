"""EKS Pod Identity: associations (EKS API) and AssumeRoleForPodIdentity (EKS Auth API).

EKS User Guide, "Understand how EKS Pod Identity works" and "Grant Pods access to AWS resources
based on tags"; EKS API Reference, "PodIdentityAssociation", "AssumeRoleForPodIdentity":

- One association per (cluster, namespace, service account); the role must trust
  ``pods.eks.amazonaws.com`` for ``sts:AssumeRole`` and ``sts:TagSession``; the caller needs
  iam:PassRole on it.
- AssumeRoleForPodIdentity takes the pod's projected token (audience ``pods.eks.amazonaws.com``,
  signed by the cluster's issuer), finds the association of its service account, and has STS
  assume the role as the EKS service, tagging the session with the six transitive tags
  eks-cluster-arn, eks-cluster-name, kubernetes-namespace, kubernetes-service-account,
  kubernetes-pod-name, kubernetes-pod-uid (unless the association disables session tags).
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from typing import Any

from eksiam.errors import ServiceError
from eksiam.services.context import CallContext
from eksiam.services.eks import records as rec
from eksiam.services.eks.base import EksBase
from eksiam.services.eks.errors import (
    AccessDeniedException,
    EksError,
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from eksiam.services.oidc_issuers import issuer_record, published_keys
from eksiam.services.sts import StsService, check_times, parse_token, verify_signature
from eksiam.storage import Record, UnitOfWork

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
AUDIENCE = "pods.eks.amazonaws.com"
_ID_CHARS = string.ascii_lowercase + string.digits


def _association_id() -> str:
    return "a-" + "".join(secrets.choice(_ID_CHARS) for _ in range(17))


def _view(record: Record) -> dict[str, Any]:
    return rec.with_datetimes(record, "createdAt", "modifiedAt")


class PodIdentityAssociations(EksBase):
    def _usable_role(self, ctx: CallContext, cluster_name: str, role_arn: str) -> None:
        role = self._role(ctx, role_arn, "roleArn")
        if role is None:
            raise InvalidParameterException(f"Role {role_arn} does not exist.", clusterName=cluster_name)
        report = self.check("pod-identity-role", role)
        if not report.trusts_service:
            raise InvalidParameterException(
                f"The trust policy of role {role_arn} must allow {POD_IDENTITY_SERVICE} to perform "
                "sts:AssumeRole and sts:TagSession.",
                clusterName=cluster_name,
            )
        self._pass_role(ctx, role_arn, POD_IDENTITY_SERVICE)

    def create_pod_identity_association(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        namespace: str,
        service_account: str,
        role_arn: str,
        client_request_token: str | None = None,
        tags: Mapping[str, str] | None = None,
        disable_session_tags: bool | None = None,
        target_role_arn: str | None = None,
        policy: str | None = None,
    ) -> dict[str, Any]:
        self._require_cluster(ctx, cluster_name)
        self._usable_role(ctx, cluster_name, role_arn)
        association_id = _association_id()
        record: Record = {
            "clusterName": cluster_name,
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role_arn,
            "associationArn": self._arn(ctx, f"podidentityassociation/{cluster_name}/{association_id}"),
            "associationId": association_id,
            "tags": dict(tags or {}),
            "createdAt": rec.stamp(ctx.now),
            "modifiedAt": rec.stamp(ctx.now),
            "disableSessionTags": bool(disable_session_tags),
        }
        if target_role_arn:
            record["targetRoleArn"] = target_role_arn
        if policy:
            record["policy"] = policy
        if ctx.caller is not None:
            record["ownerArn"] = ctx.caller.arn
        sa_key = rec.key(ctx.region, cluster_name, namespace, service_account)

        def run(uow: UnitOfWork) -> Record:
            self._cluster(uow, ctx, cluster_name)
            if uow.get(rec.POD_IDENTITY_SA, ctx.account, sa_key) is not None:
                raise ResourceInUseException(
                    "Association already exists: the service account "
                    f"{namespace}/{service_account} already has a Pod Identity association in this cluster.",
                    clusterName=cluster_name,
                )
            uow.put(rec.POD_IDENTITY_SA, ctx.account, sa_key, {"associationId": association_id}, create=True)
            uow.put(rec.POD_IDENTITY, ctx.account, rec.key(ctx.region, cluster_name, association_id), record)
            return record

        return {"association": _view(self._write(run))}

    def _association(
        self, uow: UnitOfWork, ctx: CallContext, cluster_name: str, association_id: str
    ) -> Record:
        self._cluster(uow, ctx, cluster_name)
        found = uow.get(rec.POD_IDENTITY, ctx.account, rec.key(ctx.region, cluster_name, association_id))
        if found is None:
            raise ResourceNotFoundException(
                f"Pod Identity association {association_id} not found in cluster {cluster_name}.",
                clusterName=cluster_name,
            )
        return found

    def describe_pod_identity_association(
        self, ctx: CallContext, *, cluster_name: str, association_id: str
    ) -> dict[str, Any]:
        return {
            "association": _view(
                self._read(lambda uow: self._association(uow, ctx, cluster_name, association_id))
            )
        }

    def list_pod_identity_associations(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        namespace: str | None = None,
        service_account: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> list[dict[str, Any]]:
            self._cluster(uow, ctx, cluster_name)
            prefix = rec.key(ctx.region, cluster_name) + "|"
            return [
                {
                    k: r[k]
                    for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId")
                }
                | ({"ownerArn": r["ownerArn"]} if "ownerArn" in r else {})
                for _, r in uow.list(rec.POD_IDENTITY, ctx.account, prefix=prefix)
                if (namespace is None or r["namespace"] == namespace)
                and (service_account is None or r["serviceAccount"] == service_account)
            ]

        page, token = self._page(self._read(run), max_results, next_token)
        return {"associations": page, **({"nextToken": token} if token else {})}

    def update_pod_identity_association(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        association_id: str,
        role_arn: str | None = None,
        client_request_token: str | None = None,
        disable_session_tags: bool | None = None,
        target_role_arn: str | None = None,
        policy: str | None = None,
    ) -> dict[str, Any]:
        if role_arn is not None:
            self._usable_role(ctx, cluster_name, role_arn)

        def run(uow: UnitOfWork) -> Record:
            record = dict(self._association(uow, ctx, cluster_name, association_id))
            changes = {
                "roleArn": role_arn,
                "disableSessionTags": disable_session_tags,
                "targetRoleArn": target_role_arn,
                "policy": policy,
            }
            record.update({k: v for k, v in changes.items() if v is not None})
            record["modifiedAt"] = rec.stamp(ctx.now)
            uow.put(rec.POD_IDENTITY, ctx.account, rec.key(ctx.region, cluster_name, association_id), record)
            return record

        return {"association": _view(self._write(run))}

    def delete_pod_identity_association(
        self, ctx: CallContext, *, cluster_name: str, association_id: str
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            record = self._association(uow, ctx, cluster_name, association_id)
            uow.delete(rec.POD_IDENTITY, ctx.account, rec.key(ctx.region, cluster_name, association_id))
            uow.delete(
                rec.POD_IDENTITY_SA,
                ctx.account,
                rec.key(ctx.region, cluster_name, record["namespace"], record["serviceAccount"]),
            )
            return record

        return {"association": _view(self._write(run))}


class InvalidTokenException(EksError):
    code = "InvalidTokenException"


class ExpiredTokenException(EksError):
    code = "ExpiredTokenException"


class EksAuthService:
    """The ``eks-auth`` API: what the Pod Identity agent on a node calls with a pod's token."""

    def __init__(self, eks: EksBase, sts: StsService) -> None:
        self.eks, self.sts = eks, sts

    def assume_role_for_pod_identity(
        self, ctx: CallContext, *, cluster_name: str, token: str
    ) -> dict[str, Any]:
        cluster = self.eks._require_cluster(ctx, cluster_name)
        issuer = str(cluster.get("identity", {}).get("oidc", {}).get("issuer", ""))
        try:
            parsed = parse_token(token)
        except ServiceError:
            raise InvalidTokenException("The token is not a valid JWT.") from None
        if parsed.issuer != issuer:
            raise InvalidTokenException("The token was not issued by this cluster.")
        record = self.eks._read(lambda uow: issuer_record(uow, issuer))
        keys = published_keys(record, ctx.now) if record is not None else []
        try:
            verify_signature(parsed, keys)
            check_times(parsed, ctx.now, ctx.epoch())
        except ServiceError as err:
            if err.code == "ExpiredTokenException":
                raise ExpiredTokenException(err.message) from None
            raise InvalidTokenException(err.message) from None
        if AUDIENCE not in parsed.audiences:
            raise InvalidTokenException(f"The token audience must be {AUDIENCE}.")
        parts = parsed.subject.split(":")
        if len(parts) != 4 or parts[:2] != ["system", "serviceaccount"]:
            raise InvalidTokenException("The token subject is not a Kubernetes service account.")
        namespace, service_account = parts[2], parts[3]
        sa_key = rec.key(ctx.region, cluster_name, namespace, service_account)

        def find(uow: UnitOfWork) -> Record | None:
            link = uow.get(rec.POD_IDENTITY_SA, ctx.account, sa_key)
            if link is None:
                return None
            return uow.get(
                rec.POD_IDENTITY, ctx.account, rec.key(ctx.region, cluster_name, link["associationId"])
            )

        association = self.eks._read(find)
        if association is None:
            raise ResourceNotFoundException(
                f"No Pod Identity association found for service account {namespace}/{service_account} "
                f"in cluster {cluster_name}."
            )
        claims = parsed.claims.get("kubernetes.io") or {}
        pod = claims.get("pod") or {}
        pod_name, pod_uid = str(pod.get("name", "")), str(pod.get("uid", ""))
        tags = (
            []
            if association.get("disableSessionTags")
            else [
                {"Key": "eks-cluster-arn", "Value": cluster["arn"]},
                {"Key": "eks-cluster-name", "Value": cluster_name},
                {"Key": "kubernetes-namespace", "Value": namespace},
                {"Key": "kubernetes-service-account", "Value": service_account},
                {"Key": "kubernetes-pod-name", "Value": pod_name},
                {"Key": "kubernetes-pod-uid", "Value": pod_uid},
            ]
        )
        session_name = f"eks-{cluster_name}-{pod_name}-{uuid.uuid4()}"[:64]
        try:
            answer = self.sts.assume_role_as_service(
                ctx,
                service_principal=POD_IDENTITY_SERVICE,
                role_arn=association["roleArn"],
                role_session_name=session_name,
                tags=tags,
                transitive_tag_keys=[t["Key"] for t in tags],
            )
        except ServiceError as err:
            if err.code == "AccessDenied":
                raise AccessDeniedException(err.message) from None
            raise InvalidRequestException(err.message) from None
        credentials = answer["Credentials"]
        return {
            "subject": {"namespace": namespace, "serviceAccount": service_account},
            "audience": AUDIENCE,
            "podIdentityAssociation": {
                "associationArn": association["associationArn"],
                "associationId": association["associationId"],
            },
            "assumedRoleUser": {
                "arn": answer["AssumedRoleUser"]["Arn"],
                "assumeRoleId": answer["AssumedRoleUser"]["AssumedRoleId"],
            },
            "credentials": {
                "sessionToken": credentials["SessionToken"],
                "secretAccessKey": credentials["SecretAccessKey"],
                "accessKeyId": credentials["AccessKeyId"],
                "expiration": credentials["Expiration"],
            },
        }
