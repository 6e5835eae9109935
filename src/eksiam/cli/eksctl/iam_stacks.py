"""Stacks applied through IAM, for servers without CloudFormation (see stacks.py): the template's
resources are created one by one with the stack's tags on every role, as CloudFormation propagates
them; the stack is recognised later from eksctl's tags, and a failed creation is rolled back."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from eksiam.cli.eksctl.stack_record import Stack, StackError, of_cluster, tag_map
from eksiam.cli.eksctl.templates import CLUSTER_NAME_TAG, StackSpec, stack_name_from_tags


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
            tags = tag_map(self.iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
            name = stack_name_from_tags(tags)
            if name is None or tag_key not in tags or not of_cluster(tags, cluster):
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
