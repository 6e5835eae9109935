"""Change sets as ``aws cloudformation deploy`` uses them: CreateChangeSet (CREATE or UPDATE),
DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet, ListChangeSets ("Updating stacks using
change sets").

Rules:

1. A CREATE change set makes the stack in REVIEW_IN_PROGRESS, without resources; executing it
   creates them as CreateStack would. An UPDATE change set needs an updatable stack.
2. Template, parameter and capability problems are refused by CreateChangeSet itself.
3. A change set computes its Changes at once (Status CREATE_COMPLETE, ExecutionStatus AVAILABLE).
   One without changes is FAILED with StatusReason "The submitted information didn't contain
   changes. Submit different information to create a change set." (the text the aws CLI's deploy
   looks for to print "No changes to deploy").
4. Executing a change set removes every change set of the stack ("After you execute a change set,
   CloudFormation removes all change sets that are associated with the stack").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from eksiam.offload import may_block
from eksiam.services.cloudformation import records as r
from eksiam.services.cloudformation import views
from eksiam.services.cloudformation.base import no_echo, parameter_list
from eksiam.services.cloudformation.errors import (
    AlreadyExistsException,
    InvalidChangeSetStatus,
    ValidationError,
    stack_not_found,
)
from eksiam.services.cloudformation.stacks import Stacks, claim
from eksiam.services.cloudformation.template import Plan, TemplateError, resolve
from eksiam.services.cloudformation.updates import Updates
from eksiam.services.context import CallContext
from eksiam.storage import AlreadyExists, Record, UnitOfWork

_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)


class ChangeSets(Stacks, Updates):
    def create_change_set(
        self,
        ctx: CallContext,
        *,
        stack_name: str,
        change_set_name: str,
        template_body: str | None = None,
        template_url: str | None = None,
        use_previous_template: bool | None = None,
        parameters: Sequence[dict[str, Any]] | None = None,
        capabilities: Sequence[str] | None = None,
        resource_types: Sequence[str] | None = None,
        role_arn: str | None = None,
        rollback_configuration: dict[str, Any] | None = None,
        notification_arns: Sequence[str] | None = None,
        tags: Sequence[dict[str, str]] | None = None,
        client_token: str | None = None,
        description: str | None = None,
        change_set_type: str | None = None,
        resources_to_import: Sequence[dict[str, Any]] | None = None,
        include_nested_stacks: bool | None = None,
        on_stack_failure: str | None = None,
        import_existing_resources: bool | None = None,
        deployment_mode: str | None = None,
    ) -> dict[str, Any]:
        may_block()  # a stack operation runs many IAM transactions: not on the event loop
        if len(change_set_name) > 128 or _NAME.fullmatch(change_set_name) is None:
            raise ValidationError(
                f"1 validation error detected: Value '{change_set_name}' at 'changeSetName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        kind = change_set_type or "UPDATE"
        if kind not in ("CREATE", "UPDATE"):
            raise ValidationError(f"ChangeSetType {kind} is not supported.")
        existing = self._find(ctx, stack_name)
        if kind == "CREATE":
            if existing is not None and existing["StackStatus"] != "REVIEW_IN_PROGRESS":
                raise ValidationError(
                    f"Stack [{stack_name}] already exists and cannot be created again with the "
                    f"changeSet [{change_set_name}]."
                )
            body, template = self._template(template_body, template_url)
        else:
            if existing is None or existing["StackStatus"] == "DELETE_COMPLETE":
                raise stack_not_found(stack_name)
            self.check_updatable(existing)
            body, template = self.next_template(existing, template_body, template_url, use_previous_template)
        stack_id = existing["StackId"] if existing is not None else self._stack_id(ctx, stack_name)
        plan = self._plan(
            ctx,
            template,
            stack_name,
            stack_id,
            parameters,
            capabilities,
            previous=self.previous_values(existing) if existing else None,
            notification_arns=notification_arns,
        )
        new_tags = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []]
        if tags is None and existing is not None:
            new_tags = list(existing.get("Tags") or [])
        changes = self._changes(ctx, existing if kind == "UPDATE" else None, plan)
        change_set_id = (
            f"arn:{self.settings.partition}:cloudformation:{ctx.region}:{ctx.account}:changeSet/"
            f"{change_set_name}/{uuid.uuid4()}"
        )
        record: Record = {
            "ChangeSetId": change_set_id,
            "ChangeSetName": change_set_name,
            "StackId": stack_id,
            "StackName": stack_name,
            "ChangeSetType": kind,
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "CreationTime": self.clock.now().isoformat(),
            "Parameters": views.parameters({"Parameters": parameter_list(plan), "noEcho": no_echo(plan)}),
            "rawParameters": parameter_list(plan),
            "Capabilities": list(capabilities or []),
            "Tags": new_tags,
            "NotificationARNs": list(notification_arns or []),
            "TemplateBody": body,
            "template": template,
            "Changes": changes,
            "noEcho": no_echo(plan),
        }
        if description is not None:
            record["Description"] = description
        unchanged = (
            existing is not None
            and kind == "UPDATE"
            and not changes
            and (
                parameter_list(plan) == existing.get("Parameters", [])
                and new_tags == existing.get("Tags", [])
            )
        )
        if unchanged:
            record.update(Status="FAILED", ExecutionStatus="UNAVAILABLE", StatusReason=NO_CHANGES)
        stack = None
        if existing is None:
            stack = self.new_stack(
                ctx,
                stack_name,
                stack_id,
                body,
                template,
                capabilities,
                tags,
                notification_arns,
                "REVIEW_IN_PROGRESS",
            )
            stack["template"], stack["TemplateBody"] = {"Resources": {}}, ""

        def run(uow: UnitOfWork) -> None:
            if stack is not None:
                claim(uow, ctx, stack)
            uow.put(
                r.CHANGE_SET_NAME,
                ctx.account,
                r.change_set_name_key(stack_id, change_set_name),
                {"ChangeSetId": change_set_id},
                create=True,
            )
            uow.put(r.CHANGE_SET, ctx.account, change_set_id, record, create=True)

        try:
            self.store.write(run)
        except AlreadyExists:
            raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists") from None
        if stack is not None:
            self._run(ctx, stack).stack_status("REVIEW_IN_PROGRESS", "User Initiated")
        return {"Id": change_set_id, "StackId": stack_id}

    def _changes(self, ctx: CallContext, stack: Record | None, plan: Plan) -> list[dict[str, Any]]:
        current = {
            k: v
            for k, v in (stack or {}).get("resources", {}).items()
            if v.get("ResourceStatus") != "DELETE_COMPLETE"
        }
        out: list[dict[str, Any]] = []
        run = self._run(ctx, stack) if stack is not None else None
        for logical_id, resource in plan.resources.items():
            old = current.get(logical_id)
            if old is None or old["ResourceType"] != resource["Type"]:
                out.append(_change("Add", logical_id, resource["Type"]))
                continue
            try:
                scope = run.scope(plan) if run is not None else None
                properties = resolve(resource.get("Properties") or {}, scope) if scope is not None else None
            except TemplateError:
                properties = None
            if properties != old.get("properties"):
                change = _change("Modify", logical_id, resource["Type"], old.get("PhysicalResourceId"))
                change["ResourceChange"].update(Replacement="Conditional", Scope=["Properties"])
                out.append(change)
        for logical_id, old in current.items():
            if logical_id not in plan.resources:
                out.append(_change("Remove", logical_id, old["ResourceType"], old.get("PhysicalResourceId")))
        return out

    def describe_change_set(
        self,
        ctx: CallContext,
        *,
        change_set_name: str,
        stack_name: str | None = None,
        next_token: str | None = None,
        include_property_values: bool | None = None,
    ) -> dict[str, Any]:
        record = self._change_set(ctx, change_set_name, stack_name)
        out = {
            k: v for k, v in record.items() if k[0].isupper() and k not in ("TemplateBody", "ChangeSetType")
        }
        out["CreationTime"] = views.when(record["CreationTime"])
        out["IncludeNestedStacks"] = False
        out["RollbackConfiguration"] = {}
        return out

    def list_change_sets(
        self, ctx: CallContext, *, stack_name: str, next_token: str | None = None
    ) -> dict[str, Any]:
        stack = self._require_stack(ctx, stack_name)

        def run(uow: UnitOfWork) -> list[Record]:
            found = []
            for _k, index in uow.list(r.CHANGE_SET_NAME, ctx.account, prefix=stack["StackId"] + "|"):
                record = uow.get(r.CHANGE_SET, ctx.account, index["ChangeSetId"])
                if record is not None:
                    found.append(record)
            return found

        summaries = [
            {
                "StackId": c["StackId"],
                "StackName": c["StackName"],
                "ChangeSetId": c["ChangeSetId"],
                "ChangeSetName": c["ChangeSetName"],
                "ExecutionStatus": c["ExecutionStatus"],
                "Status": c["Status"],
                "CreationTime": views.when(c["CreationTime"]),
                "IncludeNestedStacks": False,
                **({"StatusReason": c["StatusReason"]} if "StatusReason" in c else {}),
                **({"Description": c["Description"]} if "Description" in c else {}),
            }
            for c in self.store.read(run)
        ]
        return {"Summaries": summaries}

    def delete_change_set(
        self, ctx: CallContext, *, change_set_name: str, stack_name: str | None = None
    ) -> dict[str, Any]:
        record = self._change_set(ctx, change_set_name, stack_name)
        if record["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{record['ChangeSetId']}] cannot be deleted in its current status of "
                f"[{record['ExecutionStatus']}]"
            )

        def run(uow: UnitOfWork) -> None:
            uow.delete(r.CHANGE_SET, ctx.account, record["ChangeSetId"])
            uow.delete(
                r.CHANGE_SET_NAME,
                ctx.account,
                r.change_set_name_key(record["StackId"], record["ChangeSetName"]),
            )

        self.store.write(run)
        return {}

    def execute_change_set(
        self,
        ctx: CallContext,
        *,
        change_set_name: str,
        stack_name: str | None = None,
        client_request_token: str | None = None,
        disable_rollback: bool | None = None,
        retain_except_on_create: bool | None = None,
    ) -> dict[str, Any]:
        may_block()  # a stack operation runs many IAM transactions: not on the event loop
        record = self._change_set(ctx, change_set_name, stack_name)
        if record["Status"] != "CREATE_COMPLETE" or record["ExecutionStatus"] != "AVAILABLE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{record['ChangeSetId']}] cannot be executed in its current execution status "
                f"of [{record['ExecutionStatus']}]"
            )
        stack = self._require_stack(ctx, record["StackId"])
        stack["ChangeSetId"] = record["ChangeSetId"]
        parameters = [dict(p) for p in record["rawParameters"]]
        plan = self._plan(
            ctx,
            record["template"],
            stack["StackName"],
            stack["StackId"],
            parameters,
            record["Capabilities"],
            notification_arns=record["NotificationARNs"],
        )
        if record["ChangeSetType"] == "CREATE":
            stack.update(
                TemplateBody=record["TemplateBody"],
                template=record["template"],
                Parameters=parameter_list(plan),
                noEcho=no_echo(plan),
                Capabilities=record["Capabilities"],
                Tags=record["Tags"],
                DisableRollback=bool(disable_rollback),
            )
            if isinstance(record["template"].get("Description"), str):
                stack["Description"] = record["template"]["Description"]
            self._run(ctx, stack).check_properties().create(plan, bool(disable_rollback))
        else:
            self.check_updatable(stack)
            self.run_update(
                ctx,
                stack,
                record["TemplateBody"],
                record["template"],
                plan,
                record["Tags"],
                record["Capabilities"],
                bool(disable_rollback),
            )
        self._drop_change_sets(ctx, stack["StackId"])
        return {}

    def _drop_change_sets(self, ctx: CallContext, stack_id: str) -> None:
        def run(uow: UnitOfWork) -> None:
            for key, index in uow.list(r.CHANGE_SET_NAME, ctx.account, prefix=stack_id + "|"):
                uow.delete(r.CHANGE_SET_NAME, ctx.account, key)
                uow.delete(r.CHANGE_SET, ctx.account, index["ChangeSetId"])

        self.store.write(run)


def _change(action: str, logical_id: str, kind: str, physical_id: str | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "Scope": [],
        "Details": [],
    }
    if physical_id:
        change["PhysicalResourceId"] = physical_id
    return {"Type": "Resource", "ResourceChange": change}
