"""Access entries and access policies: who may use a cluster's Kubernetes API, and how much.

EKS User Guide, "Grant IAM users access to Kubernetes with EKS access entries" and "Associate access
policies with access entries":

- An access entry names an IAM principal (user or role ARN; a role session is matched through its
  role). Its default username is the user ARN, or for a role
  ``arn:aws:sts::<acct>:assumed-role/<role>/{{SessionName}}``.
- Access policies are AWS-defined (``arn:aws:eks::aws:cluster-access-policy/<name>``) and are
  associated with an entry at cluster scope or for a list of namespaces.
- The cluster creator gets AmazonEKSClusterAdminPolicy at cluster scope when the cluster is created
  with ``bootstrapClusterCreatorAdminPermissions`` (the default).

``kube_permissions`` turns an entry's associations into the verbs it allows, for the cluster API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksiam.arn import Arn, InvalidArn
from eksiam.services.context import CallContext, CallerKind
from eksiam.services.eks import records as rec
from eksiam.services.eks.base import EksBase
from eksiam.services.eks.errors import (
    InvalidParameterException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from eksiam.storage import Record, UnitOfWork

POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
CLUSTER_ADMIN_POLICY = POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete")

# policy name -> (verbs on namespaced resources, verbs on cluster-scoped resources)
ACCESS_POLICIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "AmazonEKSClusterAdminPolicy": (READ + WRITE, READ + WRITE),
    "AmazonEKSAdminPolicy": (READ + WRITE, READ),
    "AmazonEKSEditPolicy": (READ + WRITE, READ),
    "AmazonEKSViewPolicy": (READ, READ),
}
ENTRY_TYPES = (
    "STANDARD",
    "FARGATE_LINUX",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "EC2",
    "HYBRID_LINUX",
    "HYPERPOD_LINUX",
)


@dataclass(frozen=True, slots=True)
class KubeAccess:
    username: str
    groups: tuple[str, ...]
    policies: tuple[tuple[str, str, tuple[str, ...]], ...]  # (policy name, scope type, namespaces)

    def allows(self, verb: str, resource: str, namespace: str | None) -> bool:
        for name, scope, namespaces in self.policies:
            namespaced_verbs, cluster_verbs = ACCESS_POLICIES.get(name, ((), ()))
            if scope == "namespace" and (namespace is None or namespace not in namespaces):
                continue
            verbs = cluster_verbs if namespace is None and resource == "namespaces" else namespaced_verbs
            if resource == "serviceaccounts/token" and name == "AmazonEKSViewPolicy":
                continue
            if verb in verbs or (verb == "get" and resource in ("api", "apis", "version")):
                return True
        return False


def principal_of(caller_arn: str) -> str | None:
    """The IAM principal an access entry is keyed by: a role session maps to its role."""
    try:
        arn = Arn.parse(caller_arn)
    except InvalidArn:
        return None
    if arn.service == "sts" and arn.resource_type == "assumed-role":
        role = arn.resource.split("/")[1]
        return f"arn:{arn.partition}:iam::{arn.account}:role/{role}"
    if arn.service == "iam" and arn.resource_type in ("user", "role"):
        return caller_arn
    return None


def creator_principal(ctx: CallContext) -> str | None:
    if ctx.caller is None or ctx.caller.kind is CallerKind.ROOT:
        return f"arn:aws:iam::{ctx.account}:root" if ctx.caller is not None else None
    return principal_of(ctx.caller.arn)


def _default_username(principal: str) -> str:
    arn = Arn.parse(principal)
    if arn.resource_type == "role":
        return (
            f"arn:aws:sts::{arn.account}:assumed-role/{arn.resource.rsplit('/', 1)[-1]}/{{{{SessionName}}}}"
        )
    return principal


def put_access_entry(
    uow: UnitOfWork,
    ctx: CallContext,
    cluster: Record,
    principal: str,
    *,
    groups: Sequence[str] = (),
    username: str | None = None,
    entry_type: str = "STANDARD",
    tags: Mapping[str, str] | None = None,
    policies: Sequence[str] = (),
) -> Record:
    name = cluster["name"]
    key = rec.key(ctx.region, name, principal)
    if uow.get(rec.ACCESS_ENTRY, ctx.account, key) is not None:
        raise ResourceInUseException(
            "The specified access entry resource is already in use on this cluster.", clusterName=name
        )
    entry_id = key.encode().hex()[-16:]
    principal_arn = Arn.parse(principal)
    short_name = principal_arn.resource.rsplit("/", 1)[-1]
    entry: Record = {
        "clusterName": name,
        "principalArn": principal,
        "kubernetesGroups": list(groups),
        "accessEntryArn": cluster["arn"].replace(":cluster/", ":access-entry/")
        + f"/{principal_arn.resource_type}/{principal_arn.account}/{short_name}/{entry_id}",
        "createdAt": rec.stamp(ctx.now),
        "modifiedAt": rec.stamp(ctx.now),
        "tags": dict(tags or {}),
        "username": username or _default_username(principal),
        "type": entry_type,
    }
    uow.put(rec.ACCESS_ENTRY, ctx.account, key, entry, create=True)
    for policy in policies:
        uow.put(
            rec.ACCESS_POLICY,
            ctx.account,
            rec.key(ctx.region, name, principal, policy),
            {
                "policyArn": policy,
                "accessScope": {"type": "cluster", "namespaces": []},
                "associatedAt": rec.stamp(ctx.now),
                "modifiedAt": rec.stamp(ctx.now),
            },
        )
    return entry


def kube_permissions(
    uow: UnitOfWork, account: str, region: str, cluster: str, caller_arn: str
) -> KubeAccess | None:
    principal = principal_of(caller_arn)
    entry = uow.get(rec.ACCESS_ENTRY, account, rec.key(region, cluster, principal)) if principal else None
    if entry is None or principal is None:
        root = f"arn:aws:iam::{account}:root"
        if caller_arn != root:
            return None
        entry = uow.get(rec.ACCESS_ENTRY, account, rec.key(region, cluster, root))
        if entry is None:
            return None
        principal = root
    session = caller_arn.rsplit("/", 1)[-1]
    username = entry["username"].replace("{{SessionName}}", session)
    rows = uow.list(rec.ACCESS_POLICY, account, prefix=rec.key(region, cluster, principal) + "|")
    policies = tuple(
        (
            row["policyArn"].rsplit("/", 1)[-1],
            row["accessScope"]["type"],
            tuple(row["accessScope"].get("namespaces") or ()),
        )
        for _, row in rows
    )
    return KubeAccess(username, tuple(entry["kubernetesGroups"]), policies)


def _entry_view(entry: Record) -> dict[str, Any]:
    return rec.with_datetimes(entry, "createdAt", "modifiedAt")


class AccessEntries(EksBase):
    def _entry(self, uow: UnitOfWork, ctx: CallContext, cluster: str, principal: str) -> Record:
        self._cluster(uow, ctx, cluster)
        entry = uow.get(rec.ACCESS_ENTRY, ctx.account, rec.key(ctx.region, cluster, principal))
        if entry is None:
            raise ResourceNotFoundException(
                "The specified principalArn could not be found. You can view your available access entries "
                "with 'list-access-entries'.",
                clusterName=cluster,
            )
        return entry

    @staticmethod
    def _check_principal(principal_arn: str) -> None:
        try:
            arn = Arn.parse(principal_arn)
        except InvalidArn:
            raise InvalidParameterException("The principalArn parameter format is not valid") from None
        if arn.service != "iam" or arn.resource_type not in ("user", "role"):
            raise InvalidParameterException("The principalArn parameter format is not valid")

    def create_access_entry(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        principal_arn: str,
        kubernetes_groups: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        client_request_token: str | None = None,
        username: str | None = None,
        type: str | None = None,
    ) -> dict[str, Any]:
        self._check_principal(principal_arn)
        entry_type = type or "STANDARD"
        if entry_type not in ENTRY_TYPES:
            raise InvalidParameterException(f"The type {entry_type} is not valid.", clusterName=cluster_name)
        for group in kubernetes_groups or ():
            if group.startswith("system:"):
                raise InvalidParameterException(
                    f"The kubernetes group name {group} is invalid, it cannot start with system:",
                    clusterName=cluster_name,
                )

        def run(uow: UnitOfWork) -> Record:
            cluster = self._cluster(uow, ctx, cluster_name)
            return put_access_entry(
                uow,
                ctx,
                cluster,
                principal_arn,
                groups=kubernetes_groups or (),
                username=username,
                entry_type=entry_type,
                tags=tags,
            )

        return {"accessEntry": _entry_view(self._write(run))}

    def describe_access_entry(
        self, ctx: CallContext, *, cluster_name: str, principal_arn: str
    ) -> dict[str, Any]:
        return {
            "accessEntry": _entry_view(
                self._read(lambda uow: self._entry(uow, ctx, cluster_name, principal_arn))
            )
        }

    def list_access_entries(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        associated_policy_arn: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> list[str]:
            self._cluster(uow, ctx, cluster_name)
            base = rec.key(ctx.region, cluster_name) + "|"
            principals = [
                entry["principalArn"] for _, entry in uow.list(rec.ACCESS_ENTRY, ctx.account, prefix=base)
            ]
            if associated_policy_arn:
                principals = [
                    p
                    for p in principals
                    if uow.get(
                        rec.ACCESS_POLICY,
                        ctx.account,
                        rec.key(ctx.region, cluster_name, p, associated_policy_arn),
                    )
                ]
            return principals

        page, token = self._page(self._read(run), max_results, next_token)
        return {"accessEntries": page, **({"nextToken": token} if token else {})}

    def update_access_entry(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        principal_arn: str,
        kubernetes_groups: Sequence[str] | None = None,
        client_request_token: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> Record:
            entry = dict(self._entry(uow, ctx, cluster_name, principal_arn))
            if kubernetes_groups is not None:
                entry["kubernetesGroups"] = list(kubernetes_groups)
            if username is not None:
                entry["username"] = username
            entry["modifiedAt"] = rec.stamp(ctx.now)
            uow.put(rec.ACCESS_ENTRY, ctx.account, rec.key(ctx.region, cluster_name, principal_arn), entry)
            return entry

        return {"accessEntry": _entry_view(self._write(run))}

    def delete_access_entry(
        self, ctx: CallContext, *, cluster_name: str, principal_arn: str
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> None:
            self._entry(uow, ctx, cluster_name, principal_arn)
            base = rec.key(ctx.region, cluster_name, principal_arn)
            for key, _ in uow.list(rec.ACCESS_POLICY, ctx.account, prefix=base + "|"):
                uow.delete(rec.ACCESS_POLICY, ctx.account, key)
            uow.delete(rec.ACCESS_ENTRY, ctx.account, base)

        self._write(run)
        return {}

    def associate_access_policy(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        principal_arn: str,
        policy_arn: str,
        access_scope: Mapping[str, Any],
    ) -> dict[str, Any]:
        name = policy_arn.removeprefix(POLICY_PREFIX)
        if not policy_arn.startswith(POLICY_PREFIX) or name not in ACCESS_POLICIES:
            raise InvalidParameterException(
                f"The policyArn {policy_arn} is not valid.", clusterName=cluster_name
            )
        scope_type = access_scope.get("type")
        namespaces = list(access_scope.get("namespaces") or [])
        if scope_type not in ("cluster", "namespace") or (scope_type == "namespace") != bool(namespaces):
            raise InvalidParameterException(
                "accessScope must be of type cluster without namespaces, "
                "or namespace with at least one namespace.",
                clusterName=cluster_name,
            )

        def run(uow: UnitOfWork) -> Record:
            self._entry(uow, ctx, cluster_name, principal_arn)
            key = rec.key(ctx.region, cluster_name, principal_arn, policy_arn)
            previous = uow.get(rec.ACCESS_POLICY, ctx.account, key)
            row = {
                "policyArn": policy_arn,
                "accessScope": {"type": scope_type, "namespaces": namespaces},
                "associatedAt": previous["associatedAt"] if previous else rec.stamp(ctx.now),
                "modifiedAt": rec.stamp(ctx.now),
            }
            uow.put(rec.ACCESS_POLICY, ctx.account, key, row)
            return row

        row = self._write(run)
        return {
            "clusterName": cluster_name,
            "principalArn": principal_arn,
            "associatedAccessPolicy": rec.with_datetimes(row, "associatedAt", "modifiedAt"),
        }

    def disassociate_access_policy(
        self, ctx: CallContext, *, cluster_name: str, principal_arn: str, policy_arn: str
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> None:
            self._entry(uow, ctx, cluster_name, principal_arn)
            if not uow.delete(
                rec.ACCESS_POLICY, ctx.account, rec.key(ctx.region, cluster_name, principal_arn, policy_arn)
            ):
                raise ResourceNotFoundException(
                    f"The specified policyArn {policy_arn} is not associated with the access entry.",
                    clusterName=cluster_name,
                )

        self._write(run)
        return {}

    def list_associated_access_policies(
        self,
        ctx: CallContext,
        *,
        cluster_name: str,
        principal_arn: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        def run(uow: UnitOfWork) -> list[Record]:
            self._entry(uow, ctx, cluster_name, principal_arn)
            prefix = rec.key(ctx.region, cluster_name, principal_arn) + "|"
            return [
                rec.with_datetimes(row, "associatedAt", "modifiedAt")
                for _, row in uow.list(rec.ACCESS_POLICY, ctx.account, prefix=prefix)
            ]

        page, token = self._page(self._read(run), max_results, next_token)
        answer: dict[str, Any] = {
            "clusterName": cluster_name,
            "principalArn": principal_arn,
            "associatedAccessPolicies": page,
        }
        if token:
            answer["nextToken"] = token
        return answer

    def list_access_policies(
        self, ctx: CallContext, *, max_results: int | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        policies = [{"name": name, "arn": POLICY_PREFIX + name} for name in sorted(ACCESS_POLICIES)]
        page, token = self._page(policies, max_results, next_token)
        return {"accessPolicies": page, **({"nextToken": token} if token else {})}
