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
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from botocore.exceptions import ClientError, WaiterError

from eksiam.cli.eksctl.templates import CLUSTER_NAME_TAG, StackSpec, stack_name_from_tags

TERMINAL_FAILURES = (
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
)
PROBE_STACK = "eksiam-probe-no-such-stack"
NOT_IMPLEMENTED = ("InvalidAction", "NotImplemented", "UnknownOperationException")


class StackError(Exception):
    """A stack operation that failed; the message says which stack and why."""


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    tags: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)
    status: str = "CREATE_COMPLETE"
    capabilities: tuple[str, ...] = ()


class Stacks(Protocol):
    kind: str

    def create(self, spec: StackSpec) -> Stack: ...

    def update(self, spec: StackSpec) -> Stack: ...

    def find(self, tag_key: str, cluster: str) -> list[Stack]: ...

    def delete(self, stack: Stack, wait: bool = False) -> None: ...


def _tags(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in pairs or []}


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
            tags=_tags(raw.get("Tags")),
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
                    and _of_cluster(stack.tags, cluster)
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


def _of_cluster(tags: Mapping[str, str], cluster: str) -> bool:
    return tags.get(CLUSTER_NAME_TAG) == cluster


def generated_name(stack: str, logical_id: str) -> str:
    """CloudFormation's physical name: ``<stack>-<logical id>-<12 random>`` within IAM's 64 characters."""
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
    room = 64 - len(logical_id) - len(suffix) - 2
    return f"{stack[:room]}-{logical_id}-{suffix}"


class IamStacks:
    """Stacks applied through IAM, recognised by the eksctl tags on their roles."""

    kind = "iam"

    def __init__(self, iam: Any) -> None:
        self.iam = iam

    def _resolve(self, value: Any, names: Mapping[str, str]) -> Any:
        if isinstance(value, dict) and "Ref" in value:
            return names[value["Ref"]]
        return value

    def _apply(self, spec: StackSpec, undo: list[Callable[[], Any]]) -> Stack:
        names: dict[str, str] = {}
        arns: dict[str, str] = {}
        tags = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
        resources = spec.template["Resources"]
        order = {"AWS::IAM::Role": 0, "AWS::IAM::Policy": 1, "AWS::IAM::InstanceProfile": 2}
        for logical_id, resource in sorted(resources.items(), key=lambda item: order[item[1]["Type"]]):
            props = resource["Properties"]
            kind = resource["Type"]
            if kind == "AWS::IAM::Role":
                name = props.get("RoleName") or generated_name(spec.name, logical_id)
                options: dict[str, Any] = {"Path": props.get("Path", "/"), "Tags": tags}
                if props.get("PermissionsBoundary"):
                    options["PermissionsBoundary"] = props["PermissionsBoundary"]
                role = self.iam.create_role(
                    RoleName=name,
                    AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
                    **options,
                )["Role"]
                undo.append(partial(self._delete_role, name))
                for arn in props.get("ManagedPolicyArns") or []:
                    self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
                names[logical_id], arns[logical_id] = name, role["Arn"]
            elif kind == "AWS::IAM::Policy":
                for role_ref in props["Roles"]:
                    self.iam.put_role_policy(
                        RoleName=self._resolve(role_ref, names),
                        PolicyName=props["PolicyName"],
                        PolicyDocument=json.dumps(props["PolicyDocument"]),
                    )
            else:
                name = generated_name(spec.name, logical_id)
                profile = self.iam.create_instance_profile(
                    InstanceProfileName=name, Path=props.get("Path", "/")
                )
                undo.append(partial(self.iam.delete_instance_profile, InstanceProfileName=name))
                for role_ref in props["Roles"]:
                    role_name = self._resolve(role_ref, names)
                    self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role_name)
                    undo.append(
                        partial(
                            self.iam.remove_role_from_instance_profile,
                            InstanceProfileName=name,
                            RoleName=role_name,
                        )
                    )
                names[logical_id], arns[logical_id] = name, profile["InstanceProfile"]["Arn"]
        outputs = {key: arns[out["Value"]["Fn::GetAtt"][0]] for key, out in spec.template["Outputs"].items()}
        return Stack(spec.name, dict(spec.tags), outputs, "CREATE_COMPLETE", spec.capabilities)

    def update(self, spec: StackSpec) -> Stack:
        """Bring the stack's one role to the new template in place (name and ARN stay), as a
        CloudFormation update of ``Role1`` does: trust, boundary, managed and inline policies, tags."""
        current = [s for s in self.find(CLUSTER_NAME_TAG, spec.tags[CLUSTER_NAME_TAG]) if s.name == spec.name]
        if not current:
            raise StackError(f'stack "{spec.name}" does not exist')
        name = current[0].outputs["Role1"].rsplit("/", 1)[-1]
        props = spec.template["Resources"]["Role1"]["Properties"]
        try:
            self.iam.update_assume_role_policy(
                RoleName=name, PolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
            )
            if props.get("PermissionsBoundary"):
                self.iam.put_role_permissions_boundary(
                    RoleName=name, PermissionsBoundary=props["PermissionsBoundary"]
                )
            elif self.iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary"):
                self.iam.delete_role_permissions_boundary(RoleName=name)
            wanted = list(props.get("ManagedPolicyArns") or [])
            attached = [
                p["PolicyArn"]
                for p in self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            ]
            for arn in attached:
                if arn not in wanted:
                    self.iam.detach_role_policy(RoleName=name, PolicyArn=arn)
            for arn in wanted:
                if arn not in attached:
                    self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            inline = {
                r["Properties"]["PolicyName"]: r["Properties"]["PolicyDocument"]
                for r in spec.template["Resources"].values()
                if r["Type"] == "AWS::IAM::Policy"
            }
            for policy_name in self.iam.list_role_policies(RoleName=name)["PolicyNames"]:
                if policy_name not in inline:
                    self.iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            for policy_name, document in inline.items():
                self.iam.put_role_policy(
                    RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
                )
            self.iam.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()])
        except ClientError as err:
            message = err.response["Error"].get("Message", str(err))
            raise StackError(
                f'failed to update stack "{spec.name}": {err.response["Error"]["Code"]}: {message}'
            ) from None
        return Stack(
            spec.name, dict(spec.tags), dict(current[0].outputs), "UPDATE_COMPLETE", spec.capabilities
        )

    def create(self, spec: StackSpec) -> Stack:
        undo: list[Callable[[], Any]] = []
        try:
            return self._apply(spec, undo)
        except ClientError as err:
            for step in reversed(undo):
                try:
                    step()
                except ClientError:
                    continue
            message = err.response["Error"].get("Message", str(err))
            raise StackError(
                f'failed to create stack "{spec.name}": '
                f"{err.response['Error']['Code']}: {message} (rolled back)"
            ) from None

    def _roles(self) -> list[dict[str, Any]]:
        roles: list[dict[str, Any]] = []
        for page in self.iam.get_paginator("list_roles").paginate():
            roles += page["Roles"]
        return roles

    def find(self, tag_key: str, cluster: str) -> list[Stack]:
        grouped: dict[str, Stack] = {}
        for role in self._roles():
            if role.get("Path", "/") != "/" or role["RoleName"].startswith("AWSServiceRole"):
                continue
            tags = _tags(self.iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
            name = stack_name_from_tags(tags)
            if name is None or tag_key not in tags or not _of_cluster(tags, cluster):
                continue
            outputs = dict(grouped[name].outputs) if name in grouped else {}
            outputs[f"Role{len(outputs) + 1}"] = role["Arn"]
            grouped[name] = Stack(name, tags, outputs)
        return list(grouped.values())

    def _delete_role(self, name: str) -> None:
        for page in self.iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for policy in page["AttachedPolicies"]:
                self.iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for page in self.iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                self.iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for profile in self.iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
            self.iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=name
            )
            self.iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
        self.iam.delete_role(RoleName=name)

    def delete(self, stack: Stack, wait: bool = False) -> None:
        """Synchronous: there is nothing to wait for."""
        for arn in stack.outputs.values():
            self._delete_role(arn.rsplit("/", 1)[-1])


def open_stacks(session: Any, endpoint: str, region: str) -> CloudFormationStacks | IamStacks:
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
