"""State and lookups every CloudFormation operation family shares.

Stacks are regional: names are unique per account and Region among live stacks, and a stack is
found by name (live only) or by stack id (deleted ones too). Template and parameter problems are
refused before anything is written (a ValidationError that changes nothing).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.offload import may_block
from eksiam.services.cloudformation import capabilities
from eksiam.services.cloudformation import records as r
from eksiam.services.cloudformation.engine import StackRun
from eksiam.services.cloudformation.errors import ChangeSetNotFound, ValidationError, stack_not_found
from eksiam.services.cloudformation.resources import Handler
from eksiam.services.cloudformation.template import Plan, Pseudo, TemplateError, decode, prepare
from eksiam.services.context import CallContext
from eksiam.storage import Record, Store

_STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")


def check_stack_name(name: str) -> None:
    """StackName: "must start with an alphabetic character and can't be longer than 128 characters"
    and contain only alphanumerics and hyphens (CreateStack API reference)."""
    if len(name) > 128 or _STACK_NAME.fullmatch(name) is None:
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )


def given_parameters(parameters: Sequence[Mapping[str, Any]] | None) -> tuple[dict[str, str], frozenset[str]]:
    given, previous = {}, set()
    for p in parameters or []:
        key = p.get("ParameterKey")
        if not key:
            continue
        if p.get("UsePreviousValue"):
            previous.add(key)
        elif "ParameterValue" in p:
            given[key] = str(p["ParameterValue"])
    return given, frozenset(previous)


class CloudFormationBase:
    def __init__(
        self, store: Store, clock: Clock, settings: Settings, handlers: Mapping[str, Handler]
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.handlers = dict(handlers)

    def _stack_id(self, ctx: CallContext, name: str) -> str:
        prefix = r.region_prefix(self.settings.partition, ctx.region)
        return f"{prefix}{ctx.account}:stack/{name}/{uuid.uuid4()}"

    def _find(self, ctx: CallContext, name_or_id: str) -> Record | None:
        def run(uow: Any) -> Record | None:
            if name_or_id.startswith("arn:"):
                record: Record | None = uow.get(r.STACK, ctx.account, name_or_id)
                return record
            index = uow.get(r.STACK_NAME, ctx.account, r.name_key(ctx.region, name_or_id))
            return uow.get(r.STACK, ctx.account, index["StackId"]) if index else None

        return self.store.read(run)

    def _require_stack(self, ctx: CallContext, name_or_id: str) -> Record:
        record = self._find(ctx, name_or_id)
        if record is None:
            raise stack_not_found(name_or_id)
        return record

    def _template(self, body: str | None, url: str | None) -> tuple[str, dict[str, Any]]:
        may_block()  # decoding and linting run cfn-lint: seconds to import, long to run
        if url is not None and body is not None:
            raise ValidationError("Exactly one of TemplateBody or TemplateUrl must be specified.")
        if url is not None:
            raise ValidationError("TemplateURL must be a supported URL.")
        if body is None:
            raise ValidationError("Either Template URL or Template Body must be specified.")
        try:
            return body, decode(body)
        except TemplateError as error:
            raise ValidationError(error.message) from None

    def _plan(
        self,
        ctx: CallContext,
        template: Mapping[str, Any],
        stack_name: str,
        stack_id: str,
        parameters: Sequence[Mapping[str, Any]] | None,
        given_capabilities: Sequence[str] | None,
        previous: Mapping[str, str] | None = None,
        notification_arns: Sequence[str] | None = None,
    ) -> Plan:
        given, use_previous = given_parameters(parameters)
        pseudo = Pseudo(
            ctx.account,
            ctx.region,
            self.settings.partition,
            stack_name,
            stack_id,
            tuple(notification_arns or ()),
        )
        try:
            plan = prepare(template, given, pseudo, previous, use_previous, self._exports(ctx, stack_id))
        except TemplateError as error:
            raise ValidationError(error.message) from None
        unsupported = sorted({res["Type"] for res in template["Resources"].values()} - self.handlers.keys())
        if unsupported:
            raise ValidationError(
                f"Template format error: Unrecognized resource types: [{','.join(unsupported)}]"
            )
        capabilities.check(template["Resources"], given_capabilities)
        return plan

    def _change_set(self, ctx: CallContext, name: str, stack_name: str | None) -> Record:
        """A change set by ARN, or by name within a stack (ChangeSetNotFound otherwise)."""

        def run(uow: Any) -> Record | None:
            if name.startswith("arn:"):
                found: Record | None = uow.get(r.CHANGE_SET, ctx.account, name)
                return found
            if stack_name is None:
                raise ValidationError(
                    "StackName must be specified if ChangeSetName is not specified as an ARN."
                )
            stack = self._find(ctx, stack_name)
            if stack is None:
                return None
            index = uow.get(r.CHANGE_SET_NAME, ctx.account, r.change_set_name_key(stack["StackId"], name))
            return uow.get(r.CHANGE_SET, ctx.account, index["ChangeSetId"]) if index else None

        found = self.store.read(run)
        if found is None:
            raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
        return found

    def _exports(self, ctx: CallContext, excluding: str) -> dict[str, str]:
        """Export name -> value over the Region's live stacks ("Exporting stack output values")."""
        return {name: value for stack_id, name, value in self._export_list(ctx) if stack_id != excluding}

    def _export_list(self, ctx: CallContext) -> list[tuple[str, str, str]]:
        prefix = r.region_prefix(self.settings.partition, ctx.region)
        stacks = self.store.read(lambda uow: uow.list(r.STACK, ctx.account, prefix=prefix))
        return [
            (stack["StackId"], output["ExportName"], output["OutputValue"])
            for _k, stack in stacks
            if stack["StackStatus"] != "DELETE_COMPLETE"
            for output in stack.get("Outputs") or []
            if output.get("ExportName")
        ]

    def _run(self, ctx: CallContext, stack: Record) -> StackRun:
        return StackRun(self.store, self.clock, self.handlers, ctx, stack)


def parameter_list(plan: Plan) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v.text} for k, v in plan.parameters.items()]


def no_echo(plan: Plan) -> list[str]:
    return [k for k, v in plan.parameters.items() if v.no_echo]
