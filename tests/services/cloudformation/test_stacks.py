"""CreateStack / DescribeStacks / DeleteStack over IAM resources, against the real IAM service.

Expectations from the CloudFormation User Guide ("Stack status codes", "Acknowledging IAM resources
in CloudFormation templates", "Resource return values") and the template reference for
AWS::IAM::Role, AWS::IAM::Policy and AWS::IAM::ManagedPolicy.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from eksiam.errors import ServiceError
from eksiam.services import CallContext, Services

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}

ROLE_AND_POLICIES = {
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Inline": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "inline", "PolicyDocument": DOC, "Roles": [{"Ref": "Role"}]},
        },
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": DOC, "Roles": [{"Ref": "Role"}]},
        },
    },
    "Outputs": {
        "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
        "RoleName": {"Value": {"Ref": "Role"}},
        "PolicyArn": {"Value": {"Ref": "Managed"}},
    },
}


def create(services: Services, ctx: CallContext, name: str, template: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("capabilities", ["CAPABILITY_IAM"])
    body = template if isinstance(template, str) else json.dumps(template)
    services.cloudformation.create_stack(ctx, stack_name=name, template_body=body, **kwargs)
    stack: dict[str, Any] = services.cloudformation.describe_stacks(ctx, stack_name=name)["Stacks"][0]
    return stack


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_create_stack_makes_role_policies_and_outputs(services: Services, ctx: CallContext) -> None:
    stack = create(services, ctx, "app", ROLE_AND_POLICIES, tags=[{"Key": "team", "Value": "blue"}])
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = outputs(stack)
    role = services.iam.get_role(ctx, role_name=out["RoleName"])["Role"]
    assert role["Arn"] == out["RoleArn"]
    assert re.fullmatch(r"app-Role-[A-Z0-9]{12,13}", out["RoleName"])
    assert {"Key": "team", "Value": "blue"} in role["Tags"]
    assert services.iam.list_role_policies(ctx, role_name=out["RoleName"])["PolicyNames"] == ["inline"]
    attached = services.iam.list_attached_role_policies(ctx, role_name=out["RoleName"])["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [out["PolicyArn"]]


def test_delete_stack_removes_everything_it_created(services: Services, ctx: CallContext) -> None:
    stack = create(services, ctx, "app", ROLE_AND_POLICIES)
    out = outputs(stack)
    services.cloudformation.delete_stack(ctx, stack_name="app")
    with pytest.raises(ServiceError) as missing:
        services.iam.get_role(ctx, role_name=out["RoleName"])
    assert missing.value.code == "NoSuchEntity"
    with pytest.raises(ServiceError):
        services.iam.get_policy(ctx, policy_arn=out["PolicyArn"])
    with pytest.raises(ServiceError) as gone:
        services.cloudformation.describe_stacks(ctx, stack_name="app")
    assert gone.value.code == "ValidationError"
    assert gone.value.message == "Stack with id app does not exist"
    by_id = services.cloudformation.describe_stacks(ctx, stack_name=stack["StackId"])["Stacks"][0]
    assert by_id["StackStatus"] == "DELETE_COMPLETE"
    summaries = services.cloudformation.list_stacks(ctx)["StackSummaries"]
    assert [s["StackStatus"] for s in summaries] == ["DELETE_COMPLETE"]
