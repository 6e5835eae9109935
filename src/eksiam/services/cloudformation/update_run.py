"""Running an update (UpdateStack, or ExecuteChangeSet of an UPDATE change set); the states and
events are described in engine.py's module docstring, "Update".

Resources present before and after keep their physical resource when the handler can update in
place; otherwise a new one is created and the old one deleted in the cleanup phase (a custom-named
resource cannot be replaced: "CloudFormation cannot update a stack when a custom-named resource
requires replacing"). A failure restores the previous properties and template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksiam.services.cloudformation.engine import ResourceFailure, StackRun, reason_of
from eksiam.services.cloudformation.resources import Provisioned
from eksiam.services.cloudformation.template import Plan, TemplateError


class UpdateRun(StackRun):
    """UpdateStack / ExecuteChangeSet of an UPDATE change set (module docstring, "Update")."""

    def update(self, plan: Plan, previous: Plan, disable_rollback: bool) -> None:
        self.stack_status("UPDATE_IN_PROGRESS", "User Initiated")
        snapshot = {k: dict(v) for k, v in self.stack["resources"].items()}
        created: list[str] = []
        replaced: dict[str, dict[str, Any]] = {}
        try:
            for logical_id in plan.order:
                old = snapshot.get(logical_id)
                if (
                    old is None
                    or old.get("ResourceStatus") == "DELETE_COMPLETE"
                    or old["ResourceType"] != plan.resources[logical_id]["Type"]
                ):
                    if old is not None and old.get("ResourceStatus") != "DELETE_COMPLETE":
                        replaced[logical_id] = old
                    self.create_resource(plan, logical_id)
                    created.append(logical_id)
                else:
                    outcome = self.update_resource(plan, logical_id, old)
                    if outcome == "replaced":
                        replaced[logical_id] = old
                        created.append(logical_id)
            self.stack["Outputs"] = self._outputs(plan)
        except ResourceFailure as failure:
            if disable_rollback:
                self.stack_status(
                    "UPDATE_FAILED", f"The following resource(s) failed to update: [{failure.logical_id}]. "
                )
                return
            self._roll_back(previous, snapshot, created, replaced, failure)
            return
        self.stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for logical_id, old in replaced.items():
            self._delete_snapshot(logical_id, old)
        self.delete_resources(lambda k: k not in plan.resources)
        self.stack["order"] = [
            k
            for k in self.stack["order"]
            if self.stack["resources"].get(k, {}).get("ResourceStatus") != "DELETE_COMPLETE"
        ]
        self.stack["resources"] = {
            k: v for k, v in self.stack["resources"].items() if k in self.stack["order"]
        }
        self.stack_status("UPDATE_COMPLETE")

    def update_resource(self, plan: Plan, logical_id: str, old: Mapping[str, Any]) -> str:
        """ "unchanged", "updated" or "replaced"; ResourceFailure when the handler fails."""
        try:
            properties = self.properties(plan, logical_id)
        except TemplateError as error:
            self.resource_status(logical_id, "UPDATE_FAILED", error.message)
            raise ResourceFailure(logical_id, error.message) from None
        old_properties = old.get("properties") or {}
        tags = list(self.stack.get("Tags") or [])
        if properties == old_properties and tags == old.get("stackTags", tags):
            return "unchanged"
        handler = self.handlers[old["ResourceType"]]
        named = handler.name_property and properties.get(handler.name_property)
        self.resource_status(logical_id, "UPDATE_IN_PROGRESS", properties=properties)
        if logical_id in self.invalid:
            self.resource_status(logical_id, "UPDATE_FAILED", self.invalid[logical_id])
            raise ResourceFailure(logical_id, self.invalid[logical_id])
        previous = Provisioned(old["PhysicalResourceId"], old["ref"], old.get("attributes") or {})
        try:
            made = handler.update(self.request(logical_id, properties), previous, old_properties)
            if made is None and named and named == old_properties.get(handler.name_property or ""):
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource requires "
                    f"replacing. Rename {named} and update the stack again."
                )
                self.resource_status(logical_id, "UPDATE_FAILED", reason)
                raise ResourceFailure(logical_id, reason)
            if made is None:
                self.resource_status(
                    logical_id,
                    "UPDATE_IN_PROGRESS",
                    "Requested update requires the creation of a new physical resource; hence creating one.",
                )
                made = handler.create(self.request(logical_id, properties))
        except Exception as error:  # see engine.reason_of
            reason = reason_of(error, self.ctx.request_id)
            self.resource_status(logical_id, "UPDATE_FAILED", reason)
            raise ResourceFailure(logical_id, reason) from None
        self._provisioned(logical_id, made, properties)
        self.resource_status(logical_id, "UPDATE_COMPLETE")
        return "updated" if made.physical_id == previous.physical_id else "replaced"

    def _delete_snapshot(self, logical_id: str, old: Mapping[str, Any]) -> None:
        """Delete the physical resource a replacement superseded (cleanup phase)."""
        handler = self.handlers[old["ResourceType"]]
        self._event(
            logical_id,
            old.get("PhysicalResourceId", ""),
            old["ResourceType"],
            "DELETE_IN_PROGRESS",
            None,
            self.now(),
        )
        try:
            handler.delete(self.ctx, old["PhysicalResourceId"], old.get("properties") or {})
            status, reason = "DELETE_COMPLETE", None
        except Exception as error:  # see engine.reason_of
            status, reason = "DELETE_FAILED", reason_of(error, self.ctx.request_id)
        self._event(
            logical_id, old.get("PhysicalResourceId", ""), old["ResourceType"], status, reason, self.now()
        )
        self.save()

    def _roll_back(
        self,
        previous: Plan,
        snapshot: Mapping[str, dict[str, Any]],
        created: list[str],
        replaced: Mapping[str, dict[str, Any]],
        failure: ResourceFailure,
    ) -> None:
        self.stack_status(
            "UPDATE_ROLLBACK_IN_PROGRESS",
            f"The following resource(s) failed to update: [{failure.logical_id}]. ",
        )
        for logical_id in reversed(self.stack["order"]):
            old = snapshot.get(logical_id)
            current = self.stack["resources"].get(logical_id)
            if (
                old is None
                or current is None
                or logical_id in created
                or current.get("properties") == old.get("properties")
            ):
                continue
            handler = self.handlers[old["ResourceType"]]
            self.resource_status(logical_id, "UPDATE_IN_PROGRESS")
            now = Provisioned(current["PhysicalResourceId"], current["ref"], current.get("attributes") or {})
            try:
                handler.update(
                    self.request(logical_id, old.get("properties") or {}),
                    now,
                    current.get("properties") or {},
                )
                self.stack["resources"][logical_id] = dict(old)
                self.resource_status(logical_id, "UPDATE_COMPLETE")
            except Exception as error:  # see engine.reason_of
                self.resource_status(logical_id, "UPDATE_FAILED", reason_of(error, self.ctx.request_id))
        self.stack_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        for logical_id in reversed(created):
            if self.stack["resources"].get(logical_id, {}).get("ResourceStatus") not in (
                None,
                "DELETE_COMPLETE",
            ):
                self.delete_resource(logical_id)
            if logical_id in replaced:
                self.stack["resources"][logical_id] = dict(replaced[logical_id])
            else:
                self.stack["resources"].pop(logical_id, None)
                self.stack["order"] = [k for k in self.stack["order"] if k != logical_id]
        self.stack["template"], self.stack["TemplateBody"] = (
            self.stack["previousTemplate"],
            self.stack["previousBody"],
        )
        self.stack["Parameters"] = self.stack.get("previousParameters", self.stack.get("Parameters"))
        self.stack["Outputs"] = previous.outputs(self.scope(previous)) if previous.resources else []
        self.stack_status("UPDATE_ROLLBACK_COMPLETE")
