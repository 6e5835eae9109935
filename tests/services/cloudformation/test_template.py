"""Template decoding, intrinsic functions, conditions, parameters and ordering, without services.

Expectations come from the CloudFormation User Guide: "Intrinsic function reference" (Ref,
Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, condition functions, Fn::GetAZs,
Fn::Base64, Fn::FindInMap, YAML short forms), "Pseudo parameters reference", "Parameters syntax",
"Conditions syntax" and "DependsOn attribute".
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from eksiam.services.cloudformation.template import (
    Pseudo,
    Scope,
    TemplateError,
    check_references,
    decode,
    prepare,
    resolve,
)

PSEUDO = Pseudo(
    "123456789012", "eu-west-1", "aws", "my-stack", "arn:aws:cloudformation:eu-west-1:1:stack/x/y"
)


def scope(refs: dict[str, Any] | None = None, conditions: dict[str, bool] | None = None) -> Scope:
    attributes = {("Role", "Arn"): "arn:aws:iam::123456789012:role/r", ("Role", "RoleId"): "AROAEXAMPLE"}

    def attribute(logical_id: str, name: str) -> Any:
        return attributes[(logical_id, name)]

    base = {**PSEUDO.refs(), "Role": "r", "Env": "prod", "Subnets": ["a", "b"]}
    return Scope(
        refs={**base, **(refs or {})},
        attribute=attribute,
        conditions=conditions or {},
        mappings={"Regions": {"eu-west-1": {"Ami": "ami-1"}}},
        region="eu-west-1",
    )


# -- YAML short forms -----------------------------------------------------------------------------

SHORT_FORMS = """
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      A: !Ref Env
      B: !GetAtt Role.Arn
      C: !Sub "arn:${AWS::Partition}:s3:::${Env}"
      D: !Join [",", [!Ref Env, x]]
      E: !Select [1, !Split [",", "a,b,c"]]
      F: !If [IsProd, yes-value, no-value]
      G: !GetAZs ""
      H: !Base64 hello
      I: !FindInMap [Regions, !Ref "AWS::Region", Ami]
      J: !GetAtt [Role, RoleId]
      K: !Sub ["${X}-${Env}", {X: !Ref "AWS::AccountId"}]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Both: !And [!Condition IsProd, !Not [!Equals [a, b]]]
  Either: !Or [!Equals [a, b], !Condition IsProd]
"""


def test_yaml_short_forms_become_long_forms() -> None:
    template = decode(SHORT_FORMS)
    props = template["Resources"]["R"]["Properties"]
    assert props["A"] == {"Ref": "Env"}
    assert props["B"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert props["C"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Env}"}
    assert props["D"] == {"Fn::Join": [",", [{"Ref": "Env"}, "x"]]}
    assert props["F"] == {"Fn::If": ["IsProd", "yes-value", "no-value"]}
    assert props["G"] == {"Fn::GetAZs": ""}
    assert template["Conditions"]["Both"] == {
        "Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]
    }


def test_short_forms_resolve_like_the_documented_examples() -> None:
    template = decode(SHORT_FORMS)
    props = resolve(template["Resources"]["R"]["Properties"], scope(conditions={"IsProd": True}))
    assert props["A"] == "prod"
    assert props["B"] == "arn:aws:iam::123456789012:role/r"
    assert props["C"] == "arn:aws:s3:::prod"
    assert props["D"] == "prod,x"
    assert props["E"] == "b"
    assert props["F"] == "yes-value"
    assert props["G"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert props["H"] == base64.b64encode(b"hello").decode()
    assert props["I"] == "ami-1"
    assert props["J"] == "AROAEXAMPLE"
    assert props["K"] == "123456789012-prod"


def test_unquoted_template_version_date_stays_text() -> None:
    template = decode("AWSTemplateFormatVersion: 2010-09-09\nResources:\n  R:\n    Type: AWS::IAM::Group\n")
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources: [", "Template format error: YAML not well-formed."),
        ('{"Resources": ', "Template format error: JSON not well-formed."),
        ("Description: x\n", "Template format error: At least one Resources member must be defined."),
        (
            "Resources:\n  R:\n    Properties: {}\n",
            "Template format error: Every Resources object must contain a Type member.",
        ),
        (
            "Resources:\n  my-role:\n    Type: AWS::IAM::Role\n",
            "Template format error: Resource name my-role is non alphanumeric.",
        ),
    ],
)
def test_malformed_templates_get_cloudformation_messages(body: str, message: str) -> None:
    with pytest.raises(TemplateError) as error:
        decode(body)
    assert error.value.message.startswith(message)


# -- intrinsics -----------------------------------------------------------------------------------


def test_ref_no_value_removes_the_property_and_list_item() -> None:
    value = {
        "Keep": 1,
        "Drop": {"Fn::If": ["C", 2, {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Ref": "AWS::NoValue"}, "b"],
    }
    assert resolve(value, scope(conditions={"C": False})) == {"Keep": 1, "List": ["a", "b"]}


def test_sub_literal_dollar_brace_is_written_without_the_bang() -> None:
    assert resolve({"Fn::Sub": "${!Literal}-${Env}"}, scope()) == "${Literal}-prod"


def test_sub_resource_attribute_and_pseudo_parameters() -> None:
    text = "${Role.Arn}|${AWS::Region}|${AWS::AccountId}|${AWS::StackName}|${AWS::URLSuffix}"
    assert resolve({"Fn::Sub": text}, scope()) == (
        "arn:aws:iam::123456789012:role/r|eu-west-1|123456789012|my-stack|amazonaws.com"
    )


def test_join_of_a_list_parameter_and_select_out_of_range() -> None:
    assert resolve({"Fn::Join": ["-", {"Ref": "Subnets"}]}, scope()) == "a-b"
    with pytest.raises(TemplateError):
        resolve({"Fn::Select": [5, {"Ref": "Subnets"}]}, scope())


def test_ref_to_an_unknown_name_is_an_error() -> None:
    with pytest.raises(TemplateError) as error:
        resolve({"Ref": "Nope"}, scope())
    assert "Unresolved resource dependencies [Nope]" in error.value.message


def test_get_azs_of_the_empty_string_means_the_stack_region() -> None:
    assert resolve({"Fn::GetAZs": {"Ref": "AWS::Region"}}, scope())[0] == "eu-west-1a"


# -- conditions, parameters, ordering -----------------------------------------------------------------

PARAMETERS = {
    "Env": {"Type": "String", "AllowedValues": ["prod", "dev"], "Default": "dev"},
    "Size": {"Type": "Number", "MinValue": 1, "MaxValue": 10},
    "Name": {"Type": "String", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 5},
    "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
    "Secret": {"Type": "String", "NoEcho": True, "Default": "s"},
}


def template(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Parameters": PARAMETERS,
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
        "Resources": {
            "ProdOnly": {"Type": "AWS::IAM::Group", "Condition": "IsProd"},
            "Always": {"Type": "AWS::IAM::Group"},
        },
    }
    base.update(extra)
    return base


def test_parameters_defaults_lists_and_conditions() -> None:
    plan = prepare(template(), {"Size": "3", "Name": "abc"}, PSEUDO)
    assert plan.parameters["Env"].value == "dev"
    assert plan.parameters["Zones"].value == ["a", "b"]
    assert plan.parameters["Secret"].no_echo
    assert plan.conditions == {"IsProd": False, "NotProd": True}
    assert list(plan.resources) == ["Always"]  # a false Condition leaves the resource out
    prod = prepare(template(), {"Size": "3", "Name": "abc", "Env": "prod"}, PSEUDO)
    assert list(prod.resources) == ["ProdOnly", "Always"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"Name": "abc"}, "Parameters: [Size] must have values"),
        ({"Size": "3", "Name": "abc", "Other": "x"}, "Parameters: [Other] do not exist in the template"),
        ({"Size": "x", "Name": "abc"}, "Parameter 'Size' must be a number"),
        ({"Size": "0", "Name": "abc"}, "Parameter 'Size' must be a number not less than 1"),
        ({"Size": "11", "Name": "abc"}, "Parameter 'Size' must be a number not greater than 10"),
        ({"Size": "3", "Name": "ABC"}, "Parameter 'Name' must match pattern [a-z]+"),
        ({"Size": "3", "Name": "a"}, "Parameter 'Name' must contain at least 2 characters"),
        ({"Size": "3", "Name": "abcdef"}, "Parameter 'Name' must contain at most 5 characters"),
        ({"Size": "3", "Name": "abc", "Env": "test"}, "Parameter 'Env' must be one of AllowedValues"),
    ],
)
def test_parameter_problems_are_refused_with_cloudformation_text(given: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError) as error:
        prepare(template(), given, PSEUDO)
    assert error.value.message == message


def test_constraint_description_replaces_the_generic_text() -> None:
    params = {
        "Name": {"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription": "lower case only"}
    }
    body = {"Parameters": params, "Resources": {"G": {"Type": "AWS::IAM::Group"}}}
    with pytest.raises(TemplateError) as error:
        prepare(body, {"Name": "ABC"}, PSEUDO)
    assert error.value.message == "Parameter 'Name' failed to satisfy constraint: lower case only"


def test_order_follows_ref_getatt_sub_and_depends_on() -> None:
    resources = {
        "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}]}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Fn::Sub": "${Role}"}]}},
        "Waiter": {"Type": "AWS::IAM::Group", "DependsOn": "Policy"},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Description": {"Fn::GetAtt": ["Base", "Arn"]}}},
        "Base": {"Type": "AWS::IAM::Role"},
    }
    plan = prepare({"Resources": resources}, {}, PSEUDO)
    order = plan.order
    assert order.index("Base") < order.index("Role") < order.index("Policy") < order.index("Waiter")
    assert order.index("Role") < order.index("Profile")


def test_a_cycle_is_refused() -> None:
    resources = {
        "A": {"Type": "AWS::IAM::Role", "Properties": {"Description": {"Ref": "B"}}},
        "B": {"Type": "AWS::IAM::Role", "DependsOn": ["A"]},
    }
    with pytest.raises(TemplateError) as error:
        prepare({"Resources": resources}, {}, PSEUDO)
    assert error.value.message == "Circular dependency between resources: [A, B]"


def test_unresolved_reference_in_resources_and_outputs() -> None:
    with pytest.raises(TemplateError) as error:
        check_references(
            {"Resources": {"A": {"Type": "AWS::IAM::Role", "Properties": {"P": {"Ref": "Nope"}}}}}
        )
    assert error.value.message == (
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block "
        "of the template"
    )
    with pytest.raises(TemplateError) as outputs:
        check_references(
            {
                "Resources": {"A": {"Type": "AWS::IAM::Role"}},
                "Outputs": {"O": {"Value": {"Fn::GetAtt": ["Missing", "Arn"]}}},
            }
        )
    assert "[Missing] in the Outputs block" in outputs.value.message


def test_outputs_are_resolved_with_conditions() -> None:
    body = template(
        Outputs={
            "Zones": {"Value": {"Fn::Join": [",", {"Ref": "Zones"}]}, "Description": "zones"},
            "OnlyProd": {"Value": "x", "Condition": "IsProd"},
        }
    )
    plan = prepare(body, {"Size": "3", "Name": "abc"}, PSEUDO)
    assert plan.outputs(plan.scope({}, lambda *_: None)) == [
        {"OutputKey": "Zones", "OutputValue": "a,b", "Description": "zones"}
    ]
