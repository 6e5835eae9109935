"""Stacks: the record of what one eksctl command created, so ``get`` lists it and ``delete`` removes
exactly it (eksctl ``pkg/cfn/manager``).

Two backends behind one interface:

- :class:`CloudFormationStacks` when the server answers CloudFormation: CreateStack with eksctl's
  name, tags and capabilities; ``get``/``delete`` find stacks by tag, as eksctl does.
- :class:`IamStacks` when it does not: the same template is applied through IAM, resource by
  resource, with the stack's tags on every role (as CloudFormation propagates them). The stack is
  then recognised from those tags (eksctl's tags name the cluster and the service account, from
  which eksctl's stack name follows), and a failed creation is rolled back as CloudFormation would.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from eksiam.cli.eksctl.iam_stacks import IamStacks
from eksiam.cli.eksctl.stack_record import Stack, StackError, Stacks, of_cluster, tag_map
from eksiam.cli.eksctl.templates import StackSpec

TERMINAL_FAILURES = (
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
)
PROBE_STACK = "eksiam-probe-no-such-stack"
NOT_IMPLEMENTED = ("InvalidAction", "NotImplemented", "UnknownOperationException")


def _wait_interval() -> float:
    return 0.2


class CloudFormationStacks:
    kind = "cloudformation"

    def __init__(self, client: Any, protect: bool = True) -> None:
        self.cfn = client
        self.protect = protect

    def _wait(self, name: str) -> dict[str, Any]:
        while True:
            stack: dict[str, Any] = self.cfn.describe_stacks(StackName=name)["Stacks"][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            time.sleep(_wait_interval())

    def _stack(self, raw: dict[str, Any]) -> Stack:
        return Stack(
            name=raw["StackName"],
            tags=tag_map(raw.get("Tags")),
            outputs={o["OutputKey"]: o["OutputValue"] for o in raw.get("Outputs") or []},
            status=raw["StackStatus"],
            capabilities=tuple(raw.get("Capabilities") or ()),
        )

    def _checked(self, name: str, action: str) -> Stack:
        raw = self._wait(name)
        if raw["StackStatus"] in TERMINAL_FAILURES or "ROLLBACK" in raw["StackStatus"]:
            reason = self._failure(name) or raw.get("StackStatusReason") or "see the stack's events"
            raise StackError(f'failed to {action} stack "{name}": {raw["StackStatus"]} ({reason})')
        return self._stack(raw)

    def _failure(self, name: str) -> str:
        """The first resource failure in the stack's events (oldest first), as eksctl reports it."""
        try:
            events = self.cfn.describe_stack_events(StackName=name)["StackEvents"]
        except ClientError:
            return ""
        failed = [e for e in reversed(events) if e.get("ResourceStatus", "").endswith("_FAILED")]
        return (
            f"{failed[0]['LogicalResourceId']}: {failed[0].get('ResourceStatusReason', '')}" if failed else ""
        )

    def create(self, spec: StackSpec) -> Stack:
        try:
            self.cfn.create_stack(
                StackName=spec.name,
                TemplateBody=json.dumps(spec.template),
                Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()],
                Capabilities=list(spec.capabilities),
                EnableTerminationProtection=self.protect,
            )
        except ClientError as err:
            raise StackError(
                f'creating stack "{spec.name}": {err.response["Error"].get("Message", err)}'
            ) from None
        try:
            return self._checked(spec.name, "create")
        except StackError:
            self._discard(spec.name)
            raise

    def _discard(self, name: str) -> None:
        """A stack that failed to create holds nothing after its rollback: delete it, so the failure
        changes nothing and the command can simply be run again."""
        try:
            if self.protect:
                self.cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
            self.cfn.delete_stack(StackName=name)
        except ClientError:
            return

    def update(self, spec: StackSpec) -> Stack:
        """Replace the template; a RoleName the stack was created with is kept (eksctl issue #4657)."""
        template = json.loads(json.dumps(spec.template))
        current = self.template(spec.name)["Resources"].get("Role1", {}).get("Properties", {})
        if current.get("RoleName") and "Role1" in template["Resources"]:
            template["Resources"]["Role1"]["Properties"].setdefault("RoleName", current["RoleName"])
        change_set = f"updating-policy-{uuid.uuid4()}"
        try:
            self.cfn.create_change_set(
                StackName=spec.name,
                ChangeSetName=change_set,
                ChangeSetType="UPDATE",
                TemplateBody=json.dumps(template),
                Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()],
                Capabilities=list(spec.capabilities),
            )
            while True:
                described = self.cfn.describe_change_set(StackName=spec.name, ChangeSetName=change_set)
                if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                    break
                time.sleep(_wait_interval())
            if described["Status"] == "FAILED":
                reason = described.get("StatusReason") or ""
                if "didn't contain changes" in reason or "No updates" in reason:
                    return self._stack(self._wait(spec.name))
                raise StackError(f'updating stack "{spec.name}": change set failed: {reason}')
            self.cfn.execute_change_set(StackName=spec.name, ChangeSetName=change_set)
        except ClientError as err:
            raise StackError(
                f'updating stack "{spec.name}": {err.response["Error"].get("Message", err)}'
            ) from None
        return self._checked(spec.name, "update")

    def template(self, name: str) -> dict[str, Any]:
        body = self.cfn.get_template(StackName=name)["TemplateBody"]
        return json.loads(body) if isinstance(body, str) else dict(body)

    def find(self, tag_key: str, cluster: str) -> list[Stack]:
        found: list[Stack] = []
        for page in self.cfn.get_paginator("describe_stacks").paginate():
            for raw in page["Stacks"]:
                stack = self._stack(raw)
                if (
                    stack.status != "DELETE_COMPLETE"
                    and tag_key in stack.tags
                    and of_cluster(stack.tags, cluster)
                ):
                    found.append(stack)
        return found

    def delete(self, stack: Stack, wait: bool = False) -> None:
        """Turn termination protection off, then delete (eksctl ``DeleteStackBySpec``); ``--wait``
        waits for DELETE_COMPLETE."""
        try:
            if self.protect:
                self.cfn.update_termination_protection(
                    StackName=stack.name, EnableTerminationProtection=False
                )
            self.cfn.delete_stack(StackName=stack.name)
            if wait:
                self.cfn.get_waiter("stack_delete_complete").wait(
                    StackName=stack.name, WaiterConfig={"Delay": 1, "MaxAttempts": 1500}
                )
        except WaiterError as err:
            raise StackError(f'deleting stack "{stack.name}": {err}') from None
        except ClientError as err:
            raise StackError(
                f'deleting stack "{stack.name}": {err.response["Error"].get("Message")}'
            ) from None


def open_stacks(session: Any, endpoint: str, region: str) -> Stacks:
    """CloudFormation when the server has it, else IAM-applied stacks (same templates, same tags)."""
    cfn = session.client("cloudformation", endpoint_url=endpoint, region_name=region)
    if not _implemented(cfn.list_stacks):
        return IamStacks(session.client("iam", endpoint_url=endpoint, region_name="us-east-1"))
    # eksctl protects its stacks and lifts the protection to delete them; a server without
    # UpdateTerminationProtection could never delete a protected stack, so do not protect there.
    probe = partial(
        cfn.update_termination_protection, StackName=PROBE_STACK, EnableTerminationProtection=False
    )
    return CloudFormationStacks(cfn, protect=_implemented(probe))


def _implemented(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as err:
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        if err.response["Error"]["Code"] in NOT_IMPLEMENTED or status == 501:
            return False
        if err.response["Error"]["Code"] == "ValidationError":
            return True  # the probe stack does not exist: the operation is there
        raise
    return True
