"""Running a stack operation: resources in dependency order, events as CloudFormation writes them,
rollback on failure ("Stack status codes", "Resource status codes").

Theory of operation: an operation runs synchronously inside the request. Each resource step calls
IAM or EKS in-process (their own transactions), then the stack record with the new event is saved,
so a crash mid-run leaves a stack whose resources and events say exactly what exists.

Create: stack CREATE_IN_PROGRESS ("User Initiated"); per resource CREATE_IN_PROGRESS then
CREATE_COMPLETE or CREATE_FAILED (reason = the service's error message). On the first failure the
others are not started ("Resource creation cancelled" for none: they were never begun), the stack
goes ROLLBACK_IN_PROGRESS ("The following resource(s) failed to create: [X]. Rollback requested by
user."), every resource created is deleted in reverse order (DELETE_IN_PROGRESS/DELETE_COMPLETE),
then ROLLBACK_COMPLETE. With rollback disabled the stack is CREATE_FAILED and keeps what exists.

Update: UPDATE_IN_PROGRESS; new resources are created, changed ones updated in place or replaced,
then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS deletes removed and replaced ones, then UPDATE_COMPLETE.
On failure: UPDATE_ROLLBACK_IN_PROGRESS restores the previous properties, deletes what the update
created, UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, UPDATE_ROLLBACK_COMPLETE.

Delete: DELETE_IN_PROGRESS, resources in reverse creation order, DELETE_COMPLETE, or DELETE_FAILED
("The following resource(s) failed to delete: [X]. ") keeping the resources that remain. A
resource with ``DeletionPolicy: Retain`` (or named in RetainResources) is kept: DELETE_SKIPPED,
also when a failed create rolls back ("DeletionPolicy attribute"; RetainExceptOnCreate exists
because Retain applies to create rollbacks too).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Self

from eksiam.clock import Clock
from eksiam.errors import ServiceError
from eksiam.services.cloudformation import records as r
from eksiam.services.cloudformation.errors import ValidationError
from eksiam.services.cloudformation.resources import Handler, Provisioned, ResourceRequest
from eksiam.services.cloudformation.template import Plan, TemplateError, imported_names, lint, resolve
from eksiam.services.context import CallContext
from eksiam.storage import Store, UnitOfWork

STACK_TYPE = "AWS::CloudFormation::Stack"
log = logging.getLogger("eksiam.cloudformation")


class ResourceFailure(Exception):
    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


class StackRun:
    """One operation on one stack record (a plain dict persisted after every event)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        handlers: Mapping[str, Handler],
        ctx: CallContext,
        stack: dict[str, Any],
    ) -> None:
        # Resource handlers call IAM with template values, which no endpoint has checked.
        ctx = dataclasses.replace(ctx, input_checked=False)
        self.store, self.clock, self.handlers, self.ctx, self.stack = store, clock, handlers, ctx, stack
        self.invalid: Mapping[str, str] = {}  # logical id -> "Properties validation failed ..." (lint.py)

    def check_properties(self) -> Self:
        """Find property schema errors of the stack's template before resources are provisioned."""
        body = self.stack.get("TemplateBody")
        self.invalid = lint.property_errors(body, self.ctx.region, self.stack["template"]) if body else {}
        return self

    # -- records -------------------------------------------------------------------------------

    def now(self) -> str:
        return self.clock.now().isoformat()

    def save(self) -> None:
        """Persist the stack unless another operation wrote it since we read it (``rev``): two
        requests racing to update one stack must not both run ("Stack ... is in UPDATE_IN_PROGRESS
        state and can not be updated"); the loser fails before it has touched any resource."""
        expected = int(self.stack.get("rev", 0))
        stack = {**self.stack, "rev": expected + 1}

        def run(uow: UnitOfWork) -> None:
            current = uow.get(r.STACK, self.ctx.account, stack["StackId"])
            if current is not None and int(current.get("rev", 0)) != expected:
                raise ValidationError(
                    f"Stack:{stack['StackId']} is in {current['StackStatus']} state and can not be updated."
                )
            uow.put(r.STACK, self.ctx.account, stack["StackId"], stack)

        self.store.write(run)
        self.stack["rev"] = expected + 1

    def stack_status(self, status: str, reason: str | None = None) -> None:
        now = self.now()
        self.stack["StackStatus"] = status
        if reason is None:
            self.stack.pop("StackStatusReason", None)
        else:
            self.stack["StackStatusReason"] = reason
        self._event(self.stack["StackName"], self.stack["StackId"], STACK_TYPE, status, reason, now)
        self.save()

    def resource_status(
        self, logical_id: str, status: str, reason: str | None = None, properties: Any = None
    ) -> None:
        now = self.now()
        resource = self.stack["resources"][logical_id]
        resource.update(ResourceStatus=status, Timestamp=now)
        if reason is None:
            resource.pop("ResourceStatusReason", None)
        else:
            resource["ResourceStatusReason"] = reason
        self._event(
            logical_id,
            resource.get("PhysicalResourceId", ""),
            resource["ResourceType"],
            status,
            reason,
            now,
            properties,
        )
        self.save()

    def _event(
        self,
        logical_id: str,
        physical_id: str,
        kind: str,
        status: str,
        reason: str | None,
        now: str,
        properties: Any = None,
    ) -> None:
        event: dict[str, Any] = {
            "EventId": str(uuid.uuid4()) if kind == STACK_TYPE else f"{logical_id}-{status}-{now}",
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": physical_id,
            "ResourceType": kind,
            "Timestamp": now,
            "ResourceStatus": status,
        }
        if reason:
            event["ResourceStatusReason"] = reason
        if properties is not None:
            event["ResourceProperties"] = json.dumps(properties)
        self.stack["events"].append(event)

    # -- resolution ------------------------------------------------------------------------------

    def scope(self, plan: Plan) -> Any:
        resources = self.stack["resources"]
        refs = {k: v["ref"] for k, v in resources.items() if "ref" in v and k in plan.resources}

        def attribute(logical_id: str, name: str) -> Any:
            resource = resources.get(logical_id)
            if logical_id not in plan.resources or resource is None or "ref" not in resource:
                raise TemplateError(
                    f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
                )
            attributes = resource.get("attributes") or {}
            if name not in attributes:
                raise TemplateError(
                    f"Template error: resource {logical_id} does not support attribute type {name} in "
                    f"Fn::GetAtt"
                )
            return attributes[name]

        return plan.scope(refs, attribute)

    def properties(self, plan: Plan, logical_id: str) -> dict[str, Any]:
        raw = plan.resources[logical_id].get("Properties") or {}
        value = resolve(raw, self.scope(plan))
        return value if isinstance(value, dict) else {}

    def request(self, logical_id: str, properties: Mapping[str, Any]) -> ResourceRequest:
        return ResourceRequest(
            self.ctx, self.stack["StackName"], logical_id, properties, tuple(self.stack.get("Tags") or ())
        )

    # -- create ----------------------------------------------------------------------------------

    def create_resource(self, plan: Plan, logical_id: str) -> None:
        kind = plan.resources[logical_id]["Type"]
        self.stack["resources"][logical_id] = {
            "LogicalResourceId": logical_id,
            "ResourceType": kind,
        }
        self.stack["order"] = [k for k in self.stack.get("order", []) if k != logical_id] + [logical_id]
        try:
            properties = self.properties(plan, logical_id)
        except TemplateError as error:
            self.resource_status(logical_id, "CREATE_FAILED", error.message)
            raise ResourceFailure(logical_id, error.message) from None
        self.resource_status(logical_id, "CREATE_IN_PROGRESS", properties=properties)
        if logical_id in self.invalid:
            self.resource_status(logical_id, "CREATE_FAILED", self.invalid[logical_id])
            raise ResourceFailure(logical_id, self.invalid[logical_id])
        try:
            made = self.handlers[kind].create(self.request(logical_id, properties))
        except Exception as error:  # a bug in a handler must not leave the stack in progress
            reason = reason_of(error, self.ctx.request_id)
            self.resource_status(logical_id, "CREATE_FAILED", reason)
            raise ResourceFailure(logical_id, reason) from None
        self._provisioned(logical_id, made, properties)
        self.resource_status(logical_id, "CREATE_IN_PROGRESS", "Resource creation Initiated")
        self.resource_status(logical_id, "CREATE_COMPLETE")

    def _provisioned(self, logical_id: str, made: Provisioned, properties: Mapping[str, Any]) -> None:
        self.stack["resources"][logical_id].update(
            PhysicalResourceId=made.physical_id,
            ref=made.ref,
            attributes=dict(made.attributes),
            properties=dict(properties),
            stackTags=list(self.stack.get("Tags") or []),
            deletionPolicy=self.stack["template"]["Resources"]
            .get(logical_id, {})
            .get("DeletionPolicy", "Delete"),
        )

    def create(self, plan: Plan, disable_rollback: bool, on_failure: str | None = None) -> None:
        self.stack_status("CREATE_IN_PROGRESS", "User Initiated")
        try:
            for logical_id in plan.order:
                self.create_resource(plan, logical_id)
            self.stack["Outputs"] = self._outputs(plan)
        except ResourceFailure as failure:
            self._create_failed(failure, disable_rollback, on_failure)
            return
        self.stack_status("CREATE_COMPLETE")

    def _outputs(self, plan: Plan) -> list[dict[str, str]]:
        """The stack's Outputs; also records the exports it imports (stacks.py refuses to delete an
        export another stack uses)."""
        try:
            scope = self.scope(plan)
            used = [plan.template.get("Resources") or {}, plan.template.get("Outputs") or {}]
            self.stack["imports"] = sorted(imported_names(used, scope))
            outputs = plan.outputs(scope)
        except TemplateError as error:
            raise ResourceFailure(self.stack["StackName"], error.message) from None
        for output in outputs:
            name = output.get("ExportName")
            if name and name in plan.exports:
                owner = self._exporter(name)
                raise ResourceFailure(
                    self.stack["StackName"], f"Export with name {name} is already exported by stack {owner}"
                )
        return outputs

    def _exporter(self, export_name: str) -> str:
        """The live stack (other than this one) that exports ``export_name``."""
        prefix = self.stack["StackId"].split(":stack/", 1)[0] + ":"
        stacks = self.store.read(lambda uow: uow.list(r.STACK, self.ctx.account, prefix=prefix))
        for _k, other in stacks:
            if (
                other["StackId"] != self.stack["StackId"]
                and other["StackStatus"] != "DELETE_COMPLETE"
                and any(o.get("ExportName") == export_name for o in other.get("Outputs") or [])
            ):
                return str(other["StackName"])
        return "unknown"

    def _create_failed(
        self, failure: ResourceFailure, disable_rollback: bool, on_failure: str | None
    ) -> None:
        action = on_failure or ("DO_NOTHING" if disable_rollback else "ROLLBACK")
        failed = [failure.logical_id] if failure.logical_id in self.stack["resources"] else []
        reason = (
            f"The following resource(s) failed to create: [{', '.join(failed)}]. "
            if failed
            else f"{failure.reason} "
        )
        if action == "DO_NOTHING":
            self.stack_status("CREATE_FAILED", reason)
            return
        self.stack_status("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
        if self.delete_resources(lambda _k: True):
            self.stack_status("ROLLBACK_COMPLETE")
        else:
            self.stack_status(
                "ROLLBACK_FAILED",
                f"The following resource(s) failed to delete: [{', '.join(self.remaining())}]. ",
            )
            return
        if action == "DELETE":
            self.stack_status("DELETE_IN_PROGRESS", "User Initiated")
            self.stack_status("DELETE_COMPLETE")

    # -- delete ----------------------------------------------------------------------------------

    def remaining(self) -> list[str]:
        return [k for k, v in self.stack["resources"].items() if v.get("ResourceStatus") != "DELETE_COMPLETE"]

    def delete_resource(self, logical_id: str, retain: bool = False) -> bool:
        resource = self.stack["resources"][logical_id]
        physical_id = resource.get("PhysicalResourceId")
        if retain:
            self.resource_status(logical_id, "DELETE_SKIPPED")
            return True
        self.resource_status(logical_id, "DELETE_IN_PROGRESS")
        if physical_id and "ref" in resource:
            try:
                self.handlers[resource["ResourceType"]].delete(
                    self.ctx, physical_id, resource.get("properties") or {}
                )
            except Exception as error:  # a bug in a handler must not leave the stack in progress
                self.resource_status(logical_id, "DELETE_FAILED", reason_of(error, self.ctx.request_id))
                return False
        self.resource_status(logical_id, "DELETE_COMPLETE")
        return True

    def delete_resources(self, wanted: Callable[[str], bool], retain: frozenset[str] = frozenset()) -> bool:
        """Reverse creation order; everything still present that ``wanted`` picks. True when all went."""
        ok = True
        for logical_id in reversed(self.stack.get("order", [])):
            resource = self.stack["resources"].get(logical_id)
            if resource is None or resource.get("ResourceStatus") in ("DELETE_COMPLETE", "DELETE_SKIPPED"):
                continue
            if wanted(logical_id):
                kept = logical_id in retain or resource.get("deletionPolicy") == "Retain"
                ok = self.delete_resource(logical_id, kept) and ok
        return ok

    def delete(self, retain: frozenset[str] = frozenset(), blocked: str | None = None) -> bool:
        self.stack_status("DELETE_IN_PROGRESS", "User Initiated")
        if blocked is not None:
            self.stack_status("DELETE_FAILED", blocked)
            return False
        if self.delete_resources(lambda _k: True, retain):
            self.stack["DeletionTime"] = self.now()
            self.stack_status("DELETE_COMPLETE")
            return True
        self.stack_status(
            "DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(self.remaining())}]. "
        )
        return False


def reason_of(error: Exception, request_id: str) -> str:
    """ResourceStatusReason for a failed service call, as CloudFormation words it: the service's
    message, then "(Service: AmazonIdentityManagement; Status Code: 400; Error Code:
    MalformedPolicyDocument; Request ID: ...)". Anything that is not a ServiceError is an internal
    failure whose traceback goes to the log only."""
    if not isinstance(error, ServiceError):
        log.exception("resource handler failed", exc_info=error)
        return "Internal Failure"
    return (
        f"{error.message} (Service: {_service_of(error)}; Status Code: {error.status}; "
        f"Error Code: {error.code}; Request ID: {request_id})"
    )


def _service_of(error: ServiceError) -> str:
    module = type(error).__module__
    for name, label in (
        ("services.iam", "AmazonIdentityManagement"),
        ("services.eks", "AmazonEKS"),
        ("cloudformation", "AmazonCloudFormation"),
    ):
        if name in module:
            return label
    return "AWS"
