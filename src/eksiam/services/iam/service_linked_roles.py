"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus (IAM User Guide, "Using service-linked roles"; iam-rules.md 6).

Rules:

1. IAM, not the caller, picks the name, the path ``/aws-service-role/<AWSServiceName>/``, the trust
   policy (the service principal may ``sts:AssumeRole``), MaxSessionDuration 3600 and the
   ``/aws-service-role/`` permissions policy, all from ``eksiam/data/service-linked-roles.json``.
   No tags at creation (the operation has no Tags member). The role record is ``protected`` with
   its ``serviceName`` (records.py rule 4), so IAM core's role paths answer UnmodifiableEntity for
   everything but the description and tags.
2. ``CustomSuffix`` only where the service allows one (AutoScaling): the name becomes
   ``<BaseName>_<suffix>``; elsewhere InvalidInput. A taken name is InvalidInput too (the API doc:
   "the request fails with a duplicate role name error"; LocalStack's wording, AWS's unverified).
3. SLRs count toward the roles quota but may exceed it ([SLR]: "only SLRs may exceed it").
4. DeleteServiceLinkedRole returns ``task/aws-service-role/<service>/<role>/<uuid>``; while that
   task is unfinished, asking again returns the same id (API reference, DeleteServiceLinkedRole).
5. The deletion runs as the status is polled, so every state is observable and nothing happens
   behind a client's back: the task is NOT_STARTED when created, the first
   GetServiceLinkedRoleDeletionStatus starts it (IN_PROGRESS), the next one asks the owning
   service which resources still use the role (``register_usage_provider``) and finishes: FAILED
   with ``Reason.RoleUsageList`` (grouped by Region) when any do, else the role, its attachments and
   its quota use are removed and the task SUCCEEDED. After FAILED a new request starts a new task.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, quotas, views
from eksiam.services.iam import records as r
from eksiam.services.iam.attachments import attach
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.errors import InvalidInput, NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.storage import Record, UnitOfWork

DELETION_TASK = "slr-deletion-task"  # acct, key = DeletionTaskId: RoleName Status Reason? CreateDate
ROLE_DELETION = "slr-role-deletion"  # acct, key = lower(RoleName): DeletionTaskId of the open task
SERVICE_ROLE_PATH = "/aws-service-role/"
SLR_MAX_SESSION_DURATION = 3600

NOT_STARTED, IN_PROGRESS, SUCCEEDED, FAILED = "NOT_STARTED", "IN_PROGRESS", "SUCCEEDED", "FAILED"
_FINISHED = (SUCCEEDED, FAILED)


@dataclass(frozen=True, slots=True)
class RoleUsage:
    """Resources in one Region that still use a service-linked role (``RoleUsageType``)."""

    region: str
    resources: tuple[str, ...]


UsageProvider = Callable[[str, str], Sequence[RoleUsage]]
"""``fn(account, role_arn)``: the resources of the owning service that use the role."""


@dataclass(frozen=True, slots=True)
class ServiceLinkedRoleType:
    service_name: str
    role_name: str
    policy_arn: str
    description: str | None
    suffix_allowed: bool
    trust_policy: str


@cache
def service_linked_role_types() -> dict[str, ServiceLinkedRoleType]:
    """AWSServiceName -> its SLR definition, from the packaged data file."""
    text = resources.files("eksiam").joinpath("data", "service-linked-roles.json").read_text("utf-8")
    return {
        entry["AWSServiceName"]: ServiceLinkedRoleType(
            service_name=entry["AWSServiceName"],
            role_name=entry["RoleName"],
            policy_arn=entry["AttachedPolicyArn"],
            description=entry.get("Description"),
            suffix_allowed=bool(entry.get("CustomSuffixAllowed")),
            trust_policy=json.dumps(entry["AssumeRolePolicyDocument"]),
        )
        for entry in json.loads(text)["ServiceLinkedRoles"]
    }


def _task_parts(task_id: str) -> tuple[str, str]:
    """(service, role name) of ``task/aws-service-role/<service>/<role>/<uuid>``; InvalidInput otherwise."""
    parts = task_id.split("/")
    if len(parts) != 5 or parts[0] != "task" or parts[1] != "aws-service-role" or not all(parts[2:]):
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    return parts[2], parts[3]


def _failure_reason(usages: Sequence[RoleUsage]) -> dict[str, Any]:
    return {
        "Reason": "The service-linked role is in use by resources of its service; delete them first.",
        "RoleUsageList": [{"Region": u.region, "Resources": list(u.resources)} for u in usages],
    }


def _remove_role(uow: UnitOfWork, account: str, role: Record) -> None:
    ref = r.entity_ref(r.ROLE, role["RoleName"])
    for key, attached in uow.list(r.ATTACHED_POLICY, account, prefix=ref + "|"):
        uow.delete(r.ATTACHED_POLICY, account, key)
        uow.delete(r.ATTACHMENT, account, r.pair_key(attached["PolicyArn"], ref))
    for key, _inline in uow.list(r.INLINE_POLICY, account, prefix=ref + "|"):
        uow.delete(r.INLINE_POLICY, account, key)
    uow.delete(r.ROLE, account, r.name_key(role["RoleName"]))
    quotas.release(uow, account, r.ROLE)


class ServiceLinkedRoles(IamBase):
    def register_usage_provider(self, service_name: str, provider: UsageProvider) -> None:
        """Let the service behind ``service_name`` (``eks.amazonaws.com``) report what uses its SLRs."""
        self._usage_providers()[service_name] = provider

    def _usage_providers(self) -> dict[str, UsageProvider]:
        # Lazily created per service object: IamBase.__init__ belongs to IAM core.
        providers: dict[str, UsageProvider] | None = self.__dict__.get("_slr_usage_providers")
        if providers is None:
            providers = self.__dict__["_slr_usage_providers"] = {}
        return providers

    def ensure_service_linked_role(self, ctx: CallContext, service_name: str) -> Record:
        """The service's SLR, created if missing: what EKS does itself on CreateCluster and friends."""
        definition = _definition(service_name, None)

        def run(uow: UnitOfWork) -> Record:
            found = uow.get(r.ROLE, ctx.account, r.name_key(definition.role_name))
            return found if found is not None else self._create(uow, ctx, definition, None, None)

        return self._write(run)

    @validated
    def create_service_linked_role(
        self,
        ctx: CallContext,
        *,
        aws_service_name: str,
        description: str | None = None,
        custom_suffix: str | None = None,
    ) -> dict[str, Any]:
        definition = _definition(aws_service_name, custom_suffix)
        name = _role_name(definition, custom_suffix)
        arn = self._arn(ctx, "role", name, f"{SERVICE_ROLE_PATH}{aws_service_name}/")
        if self.authorizer is not None:
            self.authorizer.require(
                ctx, "iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": aws_service_name}
            )

        def run(uow: UnitOfWork) -> Record:
            if uow.get(r.ROLE, ctx.account, r.name_key(name)) is not None:
                raise InvalidInput(
                    f"Service role name {name} has been taken in this account, please try a different suffix."
                )
            return self._create(uow, ctx, definition, description, custom_suffix)

        return {"Role": views.role(self._write(run), last_used=False)}

    def _create(
        self,
        uow: UnitOfWork,
        ctx: CallContext,
        definition: ServiceLinkedRoleType,
        description: str | None,
        custom_suffix: str | None,
    ) -> Record:
        name = _role_name(definition, custom_suffix)
        path = f"{SERVICE_ROLE_PATH}{definition.service_name}/"
        role: Record = {
            "RoleName": name,
            "RoleId": ids.unique_id("role"),
            "Path": path,
            "Arn": self._arn(ctx, "role", name, path),
            "CreateDate": r.timestamp(ctx.now),
            "AssumeRolePolicyDocument": definition.trust_policy,
            "MaxSessionDuration": SLR_MAX_SESSION_DURATION,
            "Tags": [],
            "protected": True,
            "serviceName": definition.service_name,
        }
        text = description if description is not None else definition.description
        if text is not None:
            role["Description"] = text
        quotas.consume(uow, ctx.account, r.ROLE, self.quotas, limited=False)
        uow.put(r.ROLE, ctx.account, r.name_key(name), role, create=True)
        policy = lookup.require_policy(uow, ctx.account, definition.policy_arn, self.catalog)
        attach(uow, ctx.account, r.ROLE, role, policy, self.quotas)
        return role

    @validated
    def delete_service_linked_role(self, ctx: CallContext, *, role_name: str) -> dict[str, Any]:
        self._require_named(ctx, "DeleteServiceLinkedRole", r.ROLE, role_name)

        def run(uow: UnitOfWork) -> str:
            role = lookup.find_entity(uow, ctx.account, r.ROLE, role_name)
            service = role.get("serviceName")
            if not r.is_protected(role) or not service:
                raise InvalidInput(f"Role {role['RoleName']} is not a service-linked role.")
            open_task = uow.get(ROLE_DELETION, ctx.account, r.name_key(role_name))
            if open_task is not None:
                task = uow.get(DELETION_TASK, ctx.account, open_task["DeletionTaskId"])
                if task is not None and task["Status"] not in _FINISHED:
                    return str(open_task["DeletionTaskId"])
            task_id = f"task/aws-service-role/{service}/{role['RoleName']}/{uuid.uuid4()}"
            uow.put(
                DELETION_TASK,
                ctx.account,
                task_id,
                {"RoleName": role["RoleName"], "Status": NOT_STARTED, "CreateDate": r.timestamp(ctx.now)},
                create=True,
            )
            uow.put(ROLE_DELETION, ctx.account, r.name_key(role_name), {"DeletionTaskId": task_id})
            return task_id

        return {"DeletionTaskId": self._write(run)}

    @validated
    def get_service_linked_role_deletion_status(
        self, ctx: CallContext, *, deletion_task_id: str
    ) -> dict[str, Any]:
        service, role_name = _task_parts(deletion_task_id)
        arn = self._arn(ctx, "role", role_name, f"{SERVICE_ROLE_PATH}{service}/")
        self._require(ctx, "GetServiceLinkedRoleDeletionStatus", arn)
        task = self._read(lambda uow: uow.get(DELETION_TASK, ctx.account, deletion_task_id))
        if task is None:
            raise NoSuchEntity(f"Deletion task {deletion_task_id} cannot be found.")
        usages: Sequence[RoleUsage] = ()
        checked = task["Status"] == IN_PROGRESS
        if checked:
            # Asked outside the transaction: a provider reads its own service's records.
            provider = self._usage_providers().get(service)
            usages = [u for u in provider(ctx.account, arn) if u.resources] if provider else ()

        def run(uow: UnitOfWork) -> Record:
            current = uow.get(DELETION_TASK, ctx.account, deletion_task_id)
            if current is None:
                raise NoSuchEntity(f"Deletion task {deletion_task_id} cannot be found.")
            if current["Status"] == NOT_STARTED:
                current["Status"] = IN_PROGRESS
            elif current["Status"] == IN_PROGRESS and checked:
                self._finish(uow, ctx.account, current, usages)
            else:
                return current
            uow.put(DELETION_TASK, ctx.account, deletion_task_id, current)
            return current

        done = self._write(run)
        out: dict[str, Any] = {"Status": done["Status"]}
        if done.get("Reason"):
            out["Reason"] = done["Reason"]
        return out

    def _finish(self, uow: UnitOfWork, account: str, task: Record, usages: Sequence[RoleUsage]) -> None:
        role = uow.get(r.ROLE, account, r.name_key(task["RoleName"]))
        if usages:
            task["Status"], task["Reason"] = FAILED, _failure_reason(usages)
        else:
            if role is not None:
                _remove_role(uow, account, role)
            task["Status"] = SUCCEEDED
        uow.delete(ROLE_DELETION, account, r.name_key(task["RoleName"]))


def _definition(service_name: str, custom_suffix: str | None) -> ServiceLinkedRoleType:
    definition = service_linked_role_types().get(service_name)
    if definition is None:
        raise InvalidInput(f"Service {service_name} does not support service-linked roles.")
    if custom_suffix is not None and not definition.suffix_allowed:
        raise InvalidInput(f"Custom suffix is not allowed for {service_name}")
    return definition


def _role_name(definition: ServiceLinkedRoleType, custom_suffix: str | None) -> str:
    return f"{definition.role_name}_{custom_suffix}" if custom_suffix else definition.role_name
