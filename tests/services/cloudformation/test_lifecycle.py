"""Stack lifecycle rules against the real IAM service: capabilities, rollback, events, names,
updates, change sets, ValidateTemplate.

Sources: CloudFormation User Guide "Acknowledging IAM resources in CloudFormation templates"
(capabilities), "Stack status codes" and "Resource status codes", "Name type" (generated physical
names), "Updating stacks using change sets", API reference for CreateStack, UpdateStack,
DescribeStacks ("Stack with id X does not exist"), ValidateTemplate, CreateChangeSet.
"""

from __future__ import annotations

import dataclasses
import json
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
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def role(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST, **props}}


def body(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps({"Resources": resources, **sections})


def cfn_error(call: Any, **kwargs: Any) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        call(**kwargs)
    return error.value


def describe(services: Services, ctx: CallContext, name: str) -> dict[str, Any]:
    stack: dict[str, Any] = services.cloudformation.describe_stacks(ctx, stack_name=name)["Stacks"][0]
    return stack


def events(services: Services, ctx: CallContext, name: str) -> list[tuple[str, str]]:
    """(logical id, status), oldest first."""
    found = services.cloudformation.describe_stack_events(ctx, stack_name=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(found)]


def role_names(services: Services, ctx: CallContext) -> list[str]:
    return [r["RoleName"] for r in services.iam.list_roles(ctx)["Roles"]]


def test_iam_resources_need_capability_iam(services: Services, ctx: CallContext) -> None:
    error = cfn_error(
        services.cloudformation.create_stack, ctx=ctx, stack_name="s", template_body=body({"R": role()})
    )
    assert (error.code, error.message) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_IAM]",
    )
    assert services.cloudformation.list_stacks(ctx)["StackSummaries"] == []


def test_named_iam_resources_need_capability_named_iam(services: Services, ctx: CallContext) -> None:
    error = cfn_error(
        services.cloudformation.create_stack,
        ctx=ctx,
        stack_name="s",
        template_body=body({"R": role(RoleName="fixed")}),
        capabilities=["CAPABILITY_IAM"],
    )
    assert error.message == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    services.cloudformation.create_stack(
        ctx,
        stack_name="s",
        template_body=body({"R": role(RoleName="fixed")}),
        capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert "fixed" in role_names(services, ctx)


def test_generated_names_keep_the_random_suffix_within_the_limit(
    services: Services, ctx: CallContext
) -> None:
    name = "s" * 60
    services.cloudformation.create_stack(
        ctx, stack_name=name, template_body=body({"LongLogicalId": role()}), capabilities=["CAPABILITY_IAM"]
    )
    [generated] = role_names(services, ctx)
    assert len(generated) == 64
    head, suffix = generated.rsplit("-", 1)
    assert len(suffix) == 13 and suffix.isupper() and suffix.isalnum()
    assert f"{name}-LongLogicalId".startswith(head)


def test_failed_resource_rolls_back_everything_with_events(services: Services, ctx: CallContext) -> None:
    resources = {
        "First": role(),
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": DOC, "Roles": [{"Ref": "First"}]},
        },
        "Broken": {
            "Type": "AWS::IAM::Policy",
            "DependsOn": "Managed",
            "Properties": {
                "PolicyName": "p",
                "Roles": [{"Ref": "First"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*"}],
                },
            },
        },
    }
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=body(resources), capabilities=["CAPABILITY_IAM"]
    )
    stack = describe(services, ctx, "s")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert role_names(services, ctx) == []
    assert services.iam.list_policies(ctx, scope="Local")["Policies"] == []
    seen = events(services, ctx, "s")
    assert seen[0] == ("s", "CREATE_IN_PROGRESS")
    assert ("Broken", "CREATE_FAILED") in seen
    rollback = seen.index(("s", "ROLLBACK_IN_PROGRESS"))
    deletes = [logical for logical, status in seen[rollback:] if status == "DELETE_COMPLETE"]
    assert deletes[-2:] == ["Managed", "First"]  # reverse creation order
    assert seen[-1] == ("s", "ROLLBACK_COMPLETE")
    raw = services.cloudformation.describe_stack_events(ctx, stack_name="s")["StackEvents"]
    reason = next(e["ResourceStatusReason"] for e in raw if e["ResourceStatus"] == "CREATE_FAILED")
    # Worded as CloudFormation reports IAM failures, e.g. "Policy statement must contain resources.
    # (Service: AmazonIdentityManagement; Status Code: 400; Error Code: MalformedPolicyDocument; ...)"
    assert (
        "(Service: AmazonIdentityManagement; Status Code: 400; Error Code: MalformedPolicyDocument;" in reason
    )
    stack_reason = next(
        e["ResourceStatusReason"] for e in raw if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"
    )
    assert stack_reason.startswith("The following resource(s) failed to create: [Broken].")


def test_disable_rollback_keeps_resources_and_leaves_create_failed(
    services: Services, ctx: CallContext
) -> None:
    resources = {
        "Good": role(),
        "Bad": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "p", "Roles": [{"Ref": "Good"}], "PolicyDocument": "not json"},
        },
    }
    services.cloudformation.create_stack(
        ctx,
        stack_name="s",
        template_body=body(resources),
        capabilities=["CAPABILITY_IAM"],
        disable_rollback=True,
    )
    assert describe(services, ctx, "s")["StackStatus"] == "CREATE_FAILED"
    assert len(role_names(services, ctx)) == 1
    services.cloudformation.delete_stack(ctx, stack_name="s")
    assert role_names(services, ctx) == []


def test_property_schema_errors_fail_the_resource_at_creation(services: Services, ctx: CallContext) -> None:
    resources = {"R": {"Type": "AWS::IAM::Role", "Properties": {"Bogus": 1}}}
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=body(resources), capabilities=["CAPABILITY_IAM"]
    )
    assert describe(services, ctx, "s")["StackStatus"] == "ROLLBACK_COMPLETE"
    raw = services.cloudformation.describe_stack_events(ctx, stack_name="s")["StackEvents"]
    reason = next(e["ResourceStatusReason"] for e in raw if e["ResourceStatus"] == "CREATE_FAILED")
    assert reason.startswith("Properties validation failed for resource R with message:")
    assert "required key [AssumeRolePolicyDocument] not found" in reason
    assert "extraneous key [Bogus] is not permitted" in reason


def test_stack_names_are_unique_while_live(services: Services, ctx: CallContext) -> None:
    template = body({"G": {"Type": "AWS::IAM::Group"}})
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=template, capabilities=["CAPABILITY_IAM"]
    )
    error = cfn_error(
        services.cloudformation.create_stack,
        ctx=ctx,
        stack_name="s",
        template_body=template,
        capabilities=["CAPABILITY_IAM"],
    )
    assert (error.code, error.message) == ("AlreadyExistsException", "Stack [s] already exists")
    services.cloudformation.delete_stack(ctx, stack_name="s")
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=template, capabilities=["CAPABILITY_IAM"]
    )
    statuses = sorted(s["StackStatus"] for s in services.cloudformation.list_stacks(ctx)["StackSummaries"])
    assert statuses == ["CREATE_COMPLETE", "DELETE_COMPLETE"]


def test_unknown_stack_and_no_echo_parameters(services: Services, ctx: CallContext) -> None:
    error = cfn_error(services.cloudformation.describe_stacks, ctx=ctx, stack_name="missing")
    assert (error.code, error.message) == ("ValidationError", "Stack with id missing does not exist")
    template = body(
        {"G": {"Type": "AWS::IAM::Group"}},
        Parameters={"Secret": {"Type": "String", "NoEcho": "true"}},
        Outputs={"Plain": {"Value": "v"}},
    )
    services.cloudformation.create_stack(
        ctx,
        stack_name="s",
        template_body=template,
        capabilities=["CAPABILITY_IAM"],
        parameters=[{"ParameterKey": "Secret", "ParameterValue": "hunter2"}],
    )
    stack = describe(services, ctx, "s")
    assert stack["Parameters"] == [{"ParameterKey": "Secret", "ParameterValue": "****"}]
    assert stack["Outputs"] == [{"OutputKey": "Plain", "OutputValue": "v"}]


def test_update_changes_in_place_adds_and_removes(services: Services, ctx: CallContext) -> None:
    first = {"R": role(Description="one"), "Old": {"Type": "AWS::IAM::Group"}}
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=body(first), capabilities=["CAPABILITY_IAM"]
    )
    [name] = role_names(services, ctx)
    second = {
        "R": role(Description="two", Policies=[{"PolicyName": "p", "PolicyDocument": DOC}]),
        "New": {"Type": "AWS::IAM::User"},
    }
    services.cloudformation.update_stack(
        ctx, stack_name="s", template_body=body(second), capabilities=["CAPABILITY_IAM"]
    )
    stack = describe(services, ctx, "s")
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert role_names(services, ctx) == [name]  # same physical role
    assert services.iam.get_role(ctx, role_name=name)["Role"]["Description"] == "two"
    assert services.iam.list_role_policies(ctx, role_name=name)["PolicyNames"] == ["p"]
    assert services.iam.list_groups(ctx)["Groups"] == []
    assert len(services.iam.list_users(ctx)["Users"]) == 1
    error = cfn_error(
        services.cloudformation.update_stack,
        ctx=ctx,
        stack_name="s",
        template_body=body(second),
        capabilities=["CAPABILITY_IAM"],
    )
    assert (error.code, error.message) == ("ValidationError", "No updates are to be performed.")


def test_failed_update_rolls_back_to_the_previous_state(services: Services, ctx: CallContext) -> None:
    first = {"R": role(Description="one")}
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=body(first), capabilities=["CAPABILITY_IAM"]
    )
    second = {
        "R": role(Description="two"),
        "Extra": {"Type": "AWS::IAM::Group"},
        "Bad": {
            "Type": "AWS::IAM::Policy",
            "DependsOn": "Extra",
            "Properties": {"PolicyName": "p", "Roles": [{"Ref": "R"}], "PolicyDocument": "{}"},
        },
    }
    services.cloudformation.update_stack(
        ctx, stack_name="s", template_body=body(second), capabilities=["CAPABILITY_IAM"]
    )
    stack = describe(services, ctx, "s")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    [name] = role_names(services, ctx)
    assert services.iam.get_role(ctx, role_name=name)["Role"]["Description"] == "one"
    assert services.iam.list_groups(ctx)["Groups"] == []
    assert json.loads(services.cloudformation.get_template(ctx, stack_name="s")["TemplateBody"]) == {
        "Resources": first
    }


def test_change_sets_create_then_update_then_no_changes(services: Services, ctx: CallContext) -> None:
    cfn = services.cloudformation
    template = body({"R": role()})
    created = cfn.create_change_set(
        ctx,
        stack_name="s",
        change_set_name="c1",
        template_body=template,
        change_set_type="CREATE",
        capabilities=["CAPABILITY_IAM"],
    )
    assert describe(services, ctx, "s")["StackStatus"] == "REVIEW_IN_PROGRESS"
    described = cfn.describe_change_set(ctx, change_set_name="c1", stack_name="s")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert [c["ResourceChange"]["Action"] for c in described["Changes"]] == ["Add"]
    cfn.execute_change_set(ctx, change_set_name=created["Id"])
    assert describe(services, ctx, "s")["StackStatus"] == "CREATE_COMPLETE"
    gone = cfn_error(cfn.describe_change_set, ctx=ctx, change_set_name="c1", stack_name="s")
    assert (gone.code, gone.message) == ("ChangeSetNotFound", "ChangeSet [c1] does not exist")

    cfn.create_change_set(
        ctx, stack_name="s", change_set_name="c2", template_body=template, capabilities=["CAPABILITY_IAM"]
    )
    empty = cfn.describe_change_set(ctx, change_set_name="c2", stack_name="s")
    assert empty["Status"] == "FAILED"
    assert empty["StatusReason"].startswith("The submitted information didn't contain changes.")
    refused = cfn_error(cfn.execute_change_set, ctx=ctx, change_set_name="c2", stack_name="s")
    assert refused.code == "InvalidChangeSetStatus"
    cfn.delete_change_set(ctx, change_set_name="c2", stack_name="s")

    cfn.create_change_set(
        ctx,
        stack_name="s",
        change_set_name="c3",
        template_body=body({"G": {"Type": "AWS::IAM::Group"}}),
        capabilities=["CAPABILITY_IAM"],
    )
    actions = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Action"]
        for c in cfn.describe_change_set(ctx, change_set_name="c3", stack_name="s")["Changes"]
    }
    assert actions == {"G": "Add", "R": "Remove"}
    cfn.execute_change_set(ctx, change_set_name="c3", stack_name="s")
    assert describe(services, ctx, "s")["StackStatus"] == "UPDATE_COMPLETE"
    assert role_names(services, ctx) == []


def test_create_change_set_for_an_existing_stack_is_refused(services: Services, ctx: CallContext) -> None:
    template = body({"G": {"Type": "AWS::IAM::Group"}})
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=template, capabilities=["CAPABILITY_IAM"]
    )
    error = cfn_error(
        services.cloudformation.create_change_set,
        ctx=ctx,
        stack_name="s",
        change_set_name="c",
        template_body=template,
        change_set_type="CREATE",
        capabilities=["CAPABILITY_IAM"],
    )
    assert error.message == "Stack [s] already exists and cannot be created again with the changeSet [c]."


def test_validate_template_reports_parameters_and_capabilities(services: Services, ctx: CallContext) -> None:
    template = body(
        {"R": role()},
        Description="d",
        Parameters={"Env": {"Type": "String", "Default": "dev", "Description": "which"}},
    )
    out = services.cloudformation.validate_template(ctx, template_body=template)
    assert out["Description"] == "d"
    assert out["Parameters"] == [
        {"ParameterKey": "Env", "DefaultValue": "dev", "NoEcho": False, "Description": "which"}
    ]
    assert out["Capabilities"] == ["CAPABILITY_IAM"]
    assert out["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"


def test_validate_template_refuses_broken_references(services: Services, ctx: CallContext) -> None:
    error = cfn_error(
        services.cloudformation.validate_template,
        ctx=ctx,
        template_body=body({"R": role(Path={"Ref": "Missing"})}),
    )
    assert error.code == "ValidationError"
    assert error.message == (
        "Template format error: Unresolved resource dependencies [Missing] in the Resources block "
        "of the template"
    )
    bad_attribute = body({"R": role()}, Outputs={"O": {"Value": {"Fn::GetAtt": ["R", "Nope"]}}})
    error = cfn_error(services.cloudformation.validate_template, ctx=ctx, template_body=bad_attribute)
    assert error.code == "ValidationError" and "Nope" in error.message


def test_exports_are_imported_by_other_stacks(services: Services, ctx: CallContext) -> None:
    cfn = services.cloudformation
    exporting = body(
        {"R": role()},
        Outputs={
            "Arn": {
                "Value": {"Fn::GetAtt": ["R", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-RoleArn"}},
            }
        },
    )
    cfn.create_stack(ctx, stack_name="base", template_body=exporting, capabilities=["CAPABILITY_IAM"])
    [export] = cfn.list_exports(ctx)["Exports"]
    assert export["Name"] == "base-RoleArn" and export["Value"].startswith(
        "arn:aws:iam::123456789012:role/base-R-"
    )
    importing = body(
        {"G": {"Type": "AWS::IAM::Group"}},
        Outputs={"Imported": {"Value": {"Fn::ImportValue": "base-RoleArn"}}},
    )
    cfn.create_stack(ctx, stack_name="user", template_body=importing, capabilities=["CAPABILITY_IAM"])
    out = describe(services, ctx, "user")["Outputs"]
    assert out == [{"OutputKey": "Imported", "OutputValue": export["Value"]}]
    missing = body({"G": {"Type": "AWS::IAM::Group", "Properties": {"Path": {"Fn::ImportValue": "nope"}}}})
    cfn.create_stack(ctx, stack_name="broken", template_body=missing, capabilities=["CAPABILITY_IAM"])
    failed = [
        e
        for e in cfn.describe_stack_events(ctx, stack_name="broken")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed[0]["ResourceStatusReason"] == "No export named nope found."

    cfn.delete_stack(ctx, stack_name="base")
    blocked = describe(services, ctx, "base")
    assert blocked["StackStatus"] == "DELETE_FAILED"
    assert blocked["StackStatusReason"] == "Export base-RoleArn cannot be deleted as it is in use by user"
    assert len(role_names(services, ctx)) == 1
    cfn.delete_stack(ctx, stack_name="user")
    cfn.delete_stack(ctx, stack_name="base")
    assert role_names(services, ctx) == []


def test_deletion_policy_retain_keeps_the_resource(services: Services, ctx: CallContext) -> None:
    resources = {"Kept": {**role(), "DeletionPolicy": "Retain"}, "Gone": role()}
    services.cloudformation.create_stack(
        ctx, stack_name="s", template_body=body(resources), capabilities=["CAPABILITY_IAM"]
    )
    services.cloudformation.delete_stack(ctx, stack_name="s")
    assert [n.split("-")[1] for n in role_names(services, ctx)] == ["Kept"]
    seen = events(services, ctx, services.cloudformation.list_stacks(ctx)["StackSummaries"][0]["StackId"])
    assert ("Kept", "DELETE_SKIPPED") in seen and ("Gone", "DELETE_COMPLETE") in seen


def test_an_export_name_belongs_to_one_stack(services: Services, ctx: CallContext) -> None:
    exporting = body(
        {"G": {"Type": "AWS::IAM::Group"}}, Outputs={"O": {"Value": "v", "Export": {"Name": "shared"}}}
    )
    services.cloudformation.create_stack(
        ctx, stack_name="a", template_body=exporting, capabilities=["CAPABILITY_IAM"]
    )
    services.cloudformation.create_stack(
        ctx, stack_name="b", template_body=exporting, capabilities=["CAPABILITY_IAM"]
    )
    stack = describe(services, ctx, "b")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    raw = services.cloudformation.describe_stack_events(ctx, stack_name="b")["StackEvents"]
    reasons = [
        e.get("ResourceStatusReason", "") for e in raw if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"
    ]
    assert "Export with name shared is already exported by stack a" in reasons[0]
    assert len(services.iam.list_groups(ctx)["Groups"]) == 1


def test_use_previous_value_keeps_a_parameter(services: Services, ctx: CallContext) -> None:
    template = body(
        {"G": {"Type": "AWS::IAM::Group", "Properties": {"Path": {"Fn::Sub": "/${Team}/"}}}},
        Parameters={"Team": {"Type": "String"}, "Other": {"Type": "String", "Default": "x"}},
    )
    cfn = services.cloudformation
    cfn.create_stack(
        ctx,
        stack_name="s",
        template_body=template,
        capabilities=["CAPABILITY_IAM"],
        parameters=[{"ParameterKey": "Team", "ParameterValue": "blue"}],
    )
    cfn.update_stack(
        ctx,
        stack_name="s",
        use_previous_template=True,
        capabilities=["CAPABILITY_IAM"],
        parameters=[
            {"ParameterKey": "Team", "UsePreviousValue": True},
            {"ParameterKey": "Other", "ParameterValue": "y"},
        ],
    )
    stack = describe(services, ctx, "s")
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Team": "blue",
        "Other": "y",
    }
    assert [g["Path"] for g in services.iam.list_groups(ctx)["Groups"]] == ["/blue/"]


def test_termination_protection_blocks_delete_until_lifted(services: Services, ctx: CallContext) -> None:
    cfn = services.cloudformation
    cfn.create_stack(
        ctx,
        stack_name="s",
        template_body=body({"R": role()}),
        capabilities=["CAPABILITY_IAM"],
        enable_termination_protection=True,
    )
    error = cfn_error(cfn.delete_stack, ctx=ctx, stack_name="s")
    assert (error.code, error.message) == (
        "ValidationError",
        "Stack [s] cannot be deleted while TerminationProtection is enabled",
    )
    assert describe(services, ctx, "s")["StackStatus"] == "CREATE_COMPLETE"
    cfn.update_termination_protection(ctx, stack_name="s", enable_termination_protection=False)
    cfn.delete_stack(ctx, stack_name="s")
    assert role_names(services, ctx) == []


def test_template_values_are_checked_against_iam_constraints_even_for_an_endpoint_caller(
    services: Services, ctx: CallContext
) -> None:
    # The endpoint checked the CreateStack request (input_checked), not the IAM calls the template
    # makes: a role name IAM's pattern refuses must still fail the resource with ValidationError.
    checked = dataclasses.replace(ctx, input_checked=True)
    resources = {"Bad": role(RoleName="no spaces allowed")}
    services.cloudformation.create_stack(
        checked, stack_name="v", template_body=body(resources), capabilities=["CAPABILITY_NAMED_IAM"]
    )
    assert describe(services, checked, "v")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert role_names(services, ctx) == []
    raw = services.cloudformation.describe_stack_events(checked, stack_name="v")["StackEvents"]
    reason = next(e["ResourceStatusReason"] for e in raw if e["ResourceStatus"] == "CREATE_FAILED")
    assert "Error Code: ValidationError" in reason or "failed to satisfy constraint" in reason, reason
