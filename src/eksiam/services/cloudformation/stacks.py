"""Stack operations: CreateStack, DeleteStack and the read operations (CloudFormation API
reference). Each mutating operation runs to its end state inside the request (engine.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eksiam.offload import may_block
from eksiam.services.cloudformation import records as r
from eksiam.services.cloudformation import views
from eksiam.services.cloudformation.base import CloudFormationBase, check_stack_name, no_echo, parameter_list
from eksiam.services.cloudformation.errors import AlreadyExistsException, ValidationError, stack_not_found
from eksiam.services.context import CallContext
from eksiam.storage import AlreadyExists, Record, UnitOfWork

PAGE = 100
_TERMINAL_DELETED = "DELETE_COMPLETE"


def claim(uow: UnitOfWork, ctx: CallContext, stack: Record) -> None:
    """The stack's name index and record, both new (``AlreadyExists`` when the name is live)."""
    name_key = r.name_key(ctx.region, stack["StackName"])
    uow.put(r.STACK_NAME, ctx.account, name_key, {"StackId": stack["StackId"]}, create=True)
    uow.put(r.STACK, ctx.account, stack["StackId"], stack, create=True)


class Stacks(CloudFormationBase):
    def create_stack(
        self,
        ctx: CallContext,
        *,
        stack_name: str,
        template_body: str | None = None,
        template_url: str | None = None,
        parameters: Sequence[dict[str, Any]] | None = None,
        disable_rollback: bool | None = None,
        rollback_configuration: dict[str, Any] | None = None,
        timeout_in_minutes: int | None = None,
        notification_arns: Sequence[str] | None = None,
        capabilities: Sequence[str] | None = None,
        resource_types: Sequence[str] | None = None,
        role_arn: str | None = None,
        on_failure: str | None = None,
        stack_policy_body: str | None = None,
        stack_policy_url: str | None = None,
        tags: Sequence[dict[str, str]] | None = None,
        client_request_token: str | None = None,
        enable_termination_protection: bool | None = None,
        retain_except_on_create: bool | None = None,
    ) -> dict[str, Any]:
        may_block()  # a stack operation runs many IAM transactions: not on the event loop
        check_stack_name(stack_name)
        if disable_rollback and on_failure:
            raise ValidationError("You cannot specify both DisableRollback and OnFailure.")
        body, template = self._template(template_body, template_url)
        stack_id = self._stack_id(ctx, stack_name)
        plan = self._plan(
            ctx, template, stack_name, stack_id, parameters, capabilities, notification_arns=notification_arns
        )
        stack = self.new_stack(
            ctx,
            stack_name,
            stack_id,
            body,
            template,
            capabilities,
            tags,
            notification_arns,
            "CREATE_IN_PROGRESS",
        )
        stack.update(
            Parameters=parameter_list(plan),
            noEcho=no_echo(plan),
            DisableRollback=bool(disable_rollback),
            EnableTerminationProtection=bool(enable_termination_protection),
        )
        if role_arn:
            stack["RoleARN"] = role_arn
        self.insert(ctx, stack)
        self._run(ctx, stack).check_properties().create(plan, bool(disable_rollback), on_failure)
        return {"StackId": stack_id}

    def new_stack(
        self,
        ctx: CallContext,
        name: str,
        stack_id: str,
        body: str,
        template: dict[str, Any],
        capabilities: Sequence[str] | None,
        tags: Sequence[dict[str, str]] | None,
        notification_arns: Sequence[str] | None,
        status: str,
    ) -> Record:
        stack: Record = {
            "StackId": stack_id,
            "StackName": name,
            "StackStatus": status,
            "CreationTime": self.clock.now().isoformat(),
            "Capabilities": list(capabilities or []),
            "Tags": [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []],
            "NotificationARNs": list(notification_arns or []),
            "TemplateBody": body,
            "template": template,
            "resources": {},
            "order": [],
            "events": [],
        }
        if isinstance(template.get("Description"), str):
            stack["Description"] = template["Description"]
        return stack

    def insert(self, ctx: CallContext, stack: Record) -> None:
        """Claim the name and store the stack in one transaction (AlreadyExistsException if live)."""
        try:
            self.store.write(lambda uow: claim(uow, ctx, stack))
        except AlreadyExists:
            raise AlreadyExistsException(f"Stack [{stack['StackName']}] already exists") from None

    def delete_stack(
        self,
        ctx: CallContext,
        *,
        stack_name: str,
        retain_resources: Sequence[str] | None = None,
        role_arn: str | None = None,
        client_request_token: str | None = None,
        deletion_mode: str | None = None,
    ) -> dict[str, Any]:
        may_block()  # a stack operation runs many IAM transactions: not on the event loop
        stack = self._find(ctx, stack_name)
        if stack is None or stack["StackStatus"] == _TERMINAL_DELETED:
            return {}  # DeleteStack of a stack that does not exist succeeds quietly
        if stack.get("EnableTerminationProtection"):
            raise ValidationError(
                f"Stack [{stack['StackName']}] cannot be deleted while TerminationProtection is enabled"
            )
        retain = frozenset(retain_resources or ())
        if retain and stack["StackStatus"] != "DELETE_FAILED":
            raise ValidationError(
                "Invalid operation on stack: RetainResources can only be specified when the stack is "
                "in the DELETE_FAILED state"
            )
        run = self._run(ctx, stack)
        if run.delete(retain, self._exports_in_use(ctx, stack)):
            self.store.write(lambda uow: self._release(uow, ctx, stack))
        return {}

    def _exports_in_use(self, ctx: CallContext, stack: Record) -> str | None:
        """ "Export X cannot be deleted as it is in use by Y" when another live stack imports one of
        this stack's exports ("Exporting stack output values": you can't delete a stack whose
        export another stack imports)."""
        names = {o["ExportName"] for o in stack.get("Outputs") or [] if o.get("ExportName")}
        if not names:
            return None
        prefix = r.region_prefix(self.settings.partition, ctx.region)
        for _k, other in self.store.read(lambda uow: uow.list(r.STACK, ctx.account, prefix=prefix)):
            if other["StackId"] == stack["StackId"] or other["StackStatus"] == _TERMINAL_DELETED:
                continue
            for name in sorted(names & set(other.get("imports") or ())):
                return f"Export {name} cannot be deleted as it is in use by {other['StackName']}"
        return None

    def _release(self, uow: UnitOfWork, ctx: CallContext, stack: Record) -> None:
        key = r.name_key(ctx.region, stack["StackName"])
        index = uow.get(r.STACK_NAME, ctx.account, key)
        if index is not None and index["StackId"] == stack["StackId"]:
            uow.delete(r.STACK_NAME, ctx.account, key)
        for change_set_key, change_set in uow.list(
            r.CHANGE_SET_NAME, ctx.account, prefix=stack["StackId"] + "|"
        ):
            uow.delete(r.CHANGE_SET_NAME, ctx.account, change_set_key)
            uow.delete(r.CHANGE_SET, ctx.account, change_set["ChangeSetId"])

    # -- reads -----------------------------------------------------------------------------------

    def describe_stacks(
        self, ctx: CallContext, *, stack_name: str | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        if stack_name is not None:
            stack = self._find(ctx, stack_name)
            if stack is None or (
                not stack_name.startswith("arn:") and stack["StackStatus"] == _TERMINAL_DELETED
            ):
                raise stack_not_found(stack_name)
            return {"Stacks": [views.stack(stack)]}
        records, token = self._page(ctx, next_token)
        live = [views.stack(s) for s in records if s["StackStatus"] != _TERMINAL_DELETED]
        return {"Stacks": live, **({"NextToken": token} if token else {})}

    def _page(self, ctx: CallContext, next_token: str | None) -> tuple[list[Record], str | None]:
        prefix = r.region_prefix(self.settings.partition, ctx.region)

        def run(uow: UnitOfWork) -> list[tuple[str, Record]]:
            return uow.list(r.STACK, ctx.account, prefix=prefix, after=next_token, limit=PAGE + 1)

        found = self.store.read(run)
        more = len(found) > PAGE
        found = found[:PAGE]
        return [rec for _k, rec in found], (found[-1][0] if more else None)

    def list_stacks(
        self,
        ctx: CallContext,
        *,
        next_token: str | None = None,
        stack_status_filter: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        records, token = self._page(ctx, next_token)
        wanted = set(stack_status_filter or ())
        summaries = [views.summary(s) for s in records if not wanted or s["StackStatus"] in wanted]
        return {"StackSummaries": summaries, **({"NextToken": token} if token else {})}

    def describe_stack_events(
        self, ctx: CallContext, *, stack_name: str, next_token: str | None = None
    ) -> dict[str, Any]:
        stack = self._visible(ctx, stack_name)
        events = [views.event(stack, e) for e in reversed(stack["events"])]
        start = int(next_token) if next_token and next_token.isdigit() else 0
        page = events[start : start + PAGE]
        out: dict[str, Any] = {"StackEvents": page}
        if start + PAGE < len(events):
            out["NextToken"] = str(start + PAGE)
        return out

    def _visible(self, ctx: CallContext, stack_name: str) -> Record:
        stack = self._find(ctx, stack_name)
        if stack is None or (not stack_name.startswith("arn:") and stack["StackStatus"] == _TERMINAL_DELETED):
            raise stack_not_found(stack_name)
        return stack

    def _present(self, stack: Record) -> list[Record]:
        return [res for res in stack["resources"].values() if "Timestamp" in res]

    def describe_stack_resources(
        self,
        ctx: CallContext,
        *,
        stack_name: str | None = None,
        logical_resource_id: str | None = None,
        physical_resource_id: str | None = None,
    ) -> dict[str, Any]:
        if stack_name is None and physical_resource_id is None:
            raise ValidationError("Either StackName or PhysicalResourceId must be specified.")
        if stack_name is None:
            stack = self._by_physical_id(ctx, physical_resource_id or "")
        else:
            stack = self._visible(ctx, stack_name)
        items = [
            views.resource(stack, res)
            for res in self._present(stack)
            if logical_resource_id in (None, res["LogicalResourceId"])
            and (stack_name is None or physical_resource_id in (None, res.get("PhysicalResourceId")))
        ]
        return {"StackResources": items}

    def _by_physical_id(self, ctx: CallContext, physical_id: str) -> Record:
        prefix = r.region_prefix(self.settings.partition, ctx.region)
        for _k, stack in self.store.read(lambda uow: uow.list(r.STACK, ctx.account, prefix=prefix)):
            if stack["StackStatus"] == _TERMINAL_DELETED:
                continue
            if any(res.get("PhysicalResourceId") == physical_id for res in stack["resources"].values()):
                return stack
        raise ValidationError(f"Stack for {physical_id} does not exist")

    def describe_stack_resource(
        self, ctx: CallContext, *, stack_name: str, logical_resource_id: str
    ) -> dict[str, Any]:
        stack = self._visible(ctx, stack_name)
        res = stack["resources"].get(logical_resource_id)
        if res is None or "Timestamp" not in res:
            raise ValidationError(f"Resource {logical_resource_id} does not exist for stack {stack_name}")
        return {"StackResourceDetail": views.resource_detail(stack, res)}

    def list_stack_resources(
        self, ctx: CallContext, *, stack_name: str, next_token: str | None = None
    ) -> dict[str, Any]:
        stack = self._visible(ctx, stack_name)
        return {"StackResourceSummaries": [views.resource_summary(res) for res in self._present(stack)]}

    def get_template(
        self,
        ctx: CallContext,
        *,
        stack_name: str | None = None,
        change_set_name: str | None = None,
        template_stage: str | None = None,
    ) -> dict[str, Any]:
        if change_set_name is not None:
            change_set = self._change_set(ctx, change_set_name, stack_name)
            body = change_set["TemplateBody"]
        elif stack_name is None:
            raise ValidationError("Either StackName or ChangeSetName must be specified.")
        else:
            body = self._visible(ctx, stack_name)["TemplateBody"]
        return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}

    def update_termination_protection(
        self, ctx: CallContext, *, enable_termination_protection: bool, stack_name: str
    ) -> dict[str, Any]:
        """While enabled, DeleteStack is refused ("Protect a stack from being deleted")."""
        stack = self._visible(ctx, stack_name)
        stack["EnableTerminationProtection"] = bool(enable_termination_protection)
        self._run(ctx, stack).save()
        return {"StackId": stack["StackId"]}

    def list_exports(self, ctx: CallContext, *, next_token: str | None = None) -> dict[str, Any]:
        exports = [
            {"ExportingStackId": stack_id, "Name": name, "Value": value}
            for stack_id, name, value in self._export_list(ctx)
        ]
        return {"Exports": sorted(exports, key=lambda e: e["Name"])}
