"""Malformed templates are answered with a ServiceError (never an internal error) and never leave a
stack in progress; a ValidationError changes nothing (brief: bad input gets AWS's error shape).

ValidateTemplate checks the template's structure, not property values or whether a resource type
can be provisioned ("ValidateTemplate"), so the last cases pass it and fail at creation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksiam.errors import ServiceError
from eksiam.services import CallContext, Services

G: dict[str, Any] = {"Type": "AWS::IAM::Group"}
CASES: list[dict[str, Any]] = [
    {"Resources": []},
    {"Resources": {"A": {"Type": 5}}},
    {"Resources": {"A": {**G, "Properties": "x"}}},
    {"Resources": {"A": {**G, "DependsOn": 5}}},
    {"Resources": {"A": {**G, "DependsOn": [["x"]]}}},
    {"Resources": {"A": {**G, "Condition": ["x"]}}},
    {"Resources": {"A": {**G, "Condition": "Nope"}}},
    {"Resources": {"A": G}, "Parameters": {"P": "x"}},
    {"Resources": {"A": G}, "Conditions": {"C": {"Fn::Equals": [1]}}},
    {"Resources": {"A": G}, "Conditions": {"C": "x"}},
    {"Resources": {"A": G}, "Conditions": {"C": {"Condition": "C"}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Fn::GetAtt": 5}}}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Fn::Sub": [1, 2]}}}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Fn::Join": 5}}}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Fn::Select": ["a", [1]]}}}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Fn::If": ["C", 1, 2]}}}}},
    {"Resources": {"A": {**G, "Properties": {"Path": {"Ref": ["x"]}}}}},
    {"Resources": {"A": G}, "Outputs": {"O": "x"}},
    {"Resources": {"A": G}, "Mappings": []},
]
PROVISIONING_FAILURES: list[dict[str, Any]] = [
    {"Resources": {"A": G}, "Parameters": {"P": {"Type": "String", "Default": "x", "AllowedPattern": "("}}},
    {"Resources": {"A": G}, "Parameters": {"P": {"Type": "String", "Default": "x", "MinLength": "abc"}}},
    {
        "Resources": {
            "A": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": 5, "Policies": [5]}}
        }
    },
    {"Resources": {"A": {"Type": "AWS::EKS::Nodegroup", "Properties": {"ScalingConfig": {"MinSize": "a"}}}}},
    {"Resources": {"A": {"Type": "AWS::EC2::VPC"}}},
]


@pytest.mark.parametrize("template", CASES, ids=[str(i) for i in range(len(CASES))])
def test_validate_template_refuses_malformed_structure(
    services: Services, ctx: CallContext, template: dict[str, Any]
) -> None:
    with pytest.raises(ServiceError) as error:
        services.cloudformation.validate_template(ctx, template_body=json.dumps(template))
    assert error.value.code == "ValidationError"


@pytest.mark.parametrize("template", CASES + PROVISIONING_FAILURES)
def test_create_stack_refuses_or_rolls_back_never_crashes(
    services: Services, ctx: CallContext, template: dict[str, Any]
) -> None:
    body = json.dumps(template)
    try:
        services.cloudformation.create_stack(
            ctx, stack_name="s", template_body=body, capabilities=["CAPABILITY_NAMED_IAM"]
        )
    except ServiceError as error:
        assert error.code == "ValidationError"
        assert services.cloudformation.list_stacks(ctx)["StackSummaries"] == []
        return
    status = services.cloudformation.describe_stacks(ctx, stack_name="s")["Stacks"][0]["StackStatus"]
    assert status == "ROLLBACK_COMPLETE"
    assert services.iam.list_groups(ctx)["Groups"] == [] and services.iam.list_roles(ctx)["Roles"] == []
