"""UpdateStack, and the preparation ExecuteChangeSet shares with it.

Rules (UpdateStack API reference, "Updating stacks directly"):

1. Only a stack in CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE (or IMPORT_*
   complete) may be updated; otherwise ValidationError "Stack:<id> is in <STATUS> state and can
   not be updated.".
2. An update that changes neither the template, the parameters nor the tags is refused with
   ValidationError "No updates are to be performed.".
3. ``UsePreviousTemplate`` reuses the stored template; ``UsePreviousValue`` keeps a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.offload import may_block
from eksiam.services.cloudformation.base import CloudFormationBase, no_echo, parameter_list
from eksiam.services.cloudformation.errors import ValidationError
from eksiam.services.cloudformation.template import Plan, Pseudo, prepare
from eksiam.services.cloudformation.update_run import UpdateRun
from eksiam.services.context import CallContext
from eksiam.storage import Record

UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


class Updates(CloudFormationBase):
    def update_stack(
        self,
        ctx: CallContext,
        *,
        stack_name: str,
        template_body: str | None = None,
        template_url: str | None = None,
        use_previous_template: bool | None = None,
        stack_policy_during_update_body: str | None = None,
        stack_policy_during_update_url: str | None = None,
        parameters: Sequence[dict[str, Any]] | None = None,
        capabilities: Sequence[str] | None = None,
        resource_types: Sequence[str] | None = None,
        role_arn: str | None = None,
        rollback_configuration: dict[str, Any] | None = None,
        stack_policy_body: str | None = None,
        stack_policy_url: str | None = None,
        notification_arns: Sequence[str] | None = None,
        tags: Sequence[dict[str, str]] | None = None,
        disable_rollback: bool | None = None,
        client_request_token: str | None = None,
        retain_except_on_create: bool | None = None,
    ) -> dict[str, Any]:
        may_block()  # a stack operation runs many IAM transactions: not on the event loop
        stack = self._require_stack(ctx, stack_name)
        self.check_updatable(stack)
        body, template = self.next_template(stack, template_body, template_url, use_previous_template)
        plan = self._plan(
            ctx,
            template,
            stack["StackName"],
            stack["StackId"],
            parameters,
            capabilities,
            previous=self.previous_values(stack),
            notification_arns=notification_arns,
        )
        new_tags = (
            stack["Tags"] if tags is None else [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]
        )
        if (
            body == stack["TemplateBody"]
            and parameter_list(plan) == stack.get("Parameters", [])
            and new_tags == stack["Tags"]
        ):
            raise ValidationError("No updates are to be performed.")
        self.run_update(ctx, stack, body, template, plan, new_tags, capabilities, bool(disable_rollback))
        return {"StackId": stack["StackId"]}

    @staticmethod
    def check_updatable(stack: Record) -> None:
        if stack["StackStatus"] not in UPDATABLE:
            raise ValidationError(
                f"Stack:{stack['StackId']} is in {stack['StackStatus']} state and can not be updated."
            )

    def next_template(
        self, stack: Record, body: str | None, url: str | None, use_previous: bool | None
    ) -> tuple[str, dict[str, Any]]:
        if use_previous:
            if body is not None or url is not None:
                raise ValidationError(
                    "You cannot specify both usePreviousTemplate and Template Body/Template URL"
                )
            return stack["TemplateBody"], stack["template"]
        return self._template(body, url)

    @staticmethod
    def previous_values(stack: Record) -> dict[str, str]:
        return {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters") or []}

    def previous_plan(self, ctx: CallContext, stack: Record) -> Plan:
        pseudo = Pseudo(
            ctx.account,
            ctx.region,
            self.settings.partition,
            stack["StackName"],
            stack["StackId"],
            tuple(stack.get("NotificationARNs") or ()),
        )
        exports = self._exports(ctx, stack["StackId"])
        return prepare(stack["template"], self.previous_values(stack), pseudo, exports=exports)

    def run_update(
        self,
        ctx: CallContext,
        stack: Record,
        body: str,
        template: Mapping[str, Any],
        plan: Plan,
        tags: Sequence[Mapping[str, str]],
        capabilities: Sequence[str] | None,
        disable_rollback: bool,
    ) -> None:
        previous = self.previous_plan(ctx, stack)
        stack.update(
            previousTemplate=stack["template"],
            previousBody=stack["TemplateBody"],
            previousParameters=stack.get("Parameters", []),
            template=dict(template),
            TemplateBody=body,
            Parameters=parameter_list(plan),
            noEcho=no_echo(plan),
            Tags=[dict(t) for t in tags],
            Capabilities=list(capabilities or []),
            LastUpdatedTime=self.clock.now().isoformat(),
        )
        if isinstance(template.get("Description"), str):
            stack["Description"] = template["Description"]
        else:
            stack.pop("Description", None)
        run = UpdateRun(self.store, self.clock, self.handlers, ctx, stack)
        run.check_properties().update(plan, previous, disable_rollback)
        for key in ("previousTemplate", "previousBody", "previousParameters"):
            stack.pop(key, None)
        run.save()
