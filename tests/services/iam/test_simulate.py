"""SimulatePrincipalPolicy and SimulateCustomPolicy in AWS's response shape (IAM API reference;
AWS CLI examples for simulate-custom-policy and simulate-principal-policy)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.services.iam.conftest import ACCOUNT, NOW, trust_policy

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.services import CallContext, IamService
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.iam.simulate import Simulation, statement_spans
from eksiam.storage import Store

BUCKET = "arn:aws:s3:::teambucket"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_class() -> type[IamService]:
    if issubclass(IamService, Simulation):
        return IamService
    return type("IamWithSimulation", (Simulation, IamService), {})


@pytest.fixture
def iam(store: Store) -> Any:
    return service_class()(
        store, ManualClock(NOW), Settings(account_id=ACCOUNT), catalog=AwsManagedPolicies()
    )


LIST_BUCKET = document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET})


def test_custom_policy_allows_and_implicitly_denies(iam: Any, ctx: CallContext) -> None:
    out = iam.simulate_custom_policy(
        ctx,
        policy_input_list=[LIST_BUCKET],
        action_names=["s3:ListBucket", "s3:PutObject"],
        resource_arns=[BUCKET],
    )
    assert out["IsTruncated"] is False and "Marker" not in out
    listed, put = out["EvaluationResults"]
    assert (listed["EvalActionName"], listed["EvalResourceName"], listed["EvalDecision"]) == (
        "s3:ListBucket",
        BUCKET,
        "allowed",
    )
    assert [m["SourcePolicyId"] for m in listed["MatchedStatements"]] == ["PolicyInputList.1"]
    assert listed["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"
    assert listed["MissingContextValues"] == []
    assert listed["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"
    assert (put["EvalDecision"], put["MatchedStatements"]) == ("implicitDeny", [])


def test_explicit_deny_wins_and_is_matched(iam: Any, ctx: CallContext) -> None:
    deny = document({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    out = iam.simulate_custom_policy(
        ctx, policy_input_list=[LIST_BUCKET, deny], action_names=["s3:ListBucket"]
    )
    (result,) = out["EvaluationResults"]
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["PolicyInputList.2"]


def test_context_entries_feed_conditions_and_missing_keys_are_reported(iam: Any, ctx: CallContext) -> None:
    conditional = document(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        }
    )
    without = iam.simulate_custom_policy(ctx, policy_input_list=[conditional], action_names=["s3:ListBucket"])
    assert without["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert without["EvaluationResults"][0]["MissingContextValues"] == ["aws:RequestedRegion"]
    entry = {
        "ContextKeyName": "aws:RequestedRegion",
        "ContextKeyValues": ["eu-west-1"],
        "ContextKeyType": "string",
    }
    with_entry = iam.simulate_custom_policy(
        ctx, policy_input_list=[conditional], action_names=["s3:ListBucket"], context_entries=[entry]
    )
    assert with_entry["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert with_entry["EvaluationResults"][0]["MissingContextValues"] == []


def test_boundary_decision_detail(iam: Any, ctx: CallContext) -> None:
    everything = document({"Effect": "Allow", "Action": "*", "Resource": "*"})
    boundary = document({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})
    out = iam.simulate_custom_policy(
        ctx,
        policy_input_list=[everything],
        permissions_boundary_policy_input_list=[boundary],
        action_names=["s3:GetObject", "s3:PutObject"],
    )
    get, put = out["EvaluationResults"]
    assert get["EvalDecision"] == "allowed"
    assert get["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert put["EvalDecision"] == "implicitDeny"
    assert put["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_results_page_with_marker(iam: Any, ctx: CallContext) -> None:
    actions = ["s3:ListBucket", "s3:GetObject", "s3:PutObject"]
    first = iam.simulate_custom_policy(
        ctx, policy_input_list=[LIST_BUCKET], action_names=actions, max_items=2
    )
    assert first["IsTruncated"] is True
    second = iam.simulate_custom_policy(
        ctx, policy_input_list=[LIST_BUCKET], action_names=actions, max_items=2, marker=first["Marker"]
    )
    assert second["IsTruncated"] is False
    names = [r["EvalActionName"] for r in first["EvaluationResults"] + second["EvaluationResults"]]
    assert names == actions


def test_one_result_per_action_and_resource(iam: Any, ctx: CallContext) -> None:
    out = iam.simulate_custom_policy(
        ctx,
        policy_input_list=[LIST_BUCKET],
        action_names=["s3:ListBucket"],
        resource_arns=[BUCKET, "arn:aws:s3:::x"],
    )
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in out["EvaluationResults"]] == [
        (BUCKET, "allowed"),
        ("arn:aws:s3:::x", "implicitDeny"),
    ]


def test_malformed_input_policy_is_rejected(iam: Any, ctx: CallContext) -> None:
    with pytest.raises(ServiceError) as caught:
        iam.simulate_custom_policy(ctx, policy_input_list=["{not json"], action_names=["s3:ListBucket"])
    assert caught.value.code == "MalformedPolicyDocument"


def test_principal_policy_uses_the_users_and_groups_policies(iam: Any, ctx: CallContext) -> None:
    user = iam.create_user(ctx, user_name="alice")["User"]
    iam.attach_user_policy(
        ctx, user_name="alice", policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    iam.create_group(ctx, group_name="ops")
    iam.add_user_to_group(ctx, group_name="ops", user_name="alice")
    iam.put_group_policy(
        ctx,
        group_name="ops",
        policy_name="eks",
        policy_document=document({"Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": "*"}),
    )
    out = iam.simulate_principal_policy(
        ctx,
        policy_source_arn=user["Arn"],
        action_names=["s3:GetObject", "eks:DescribeCluster", "eks:DeleteCluster"],
    )
    get, describe, delete = out["EvaluationResults"]
    assert get["EvalDecision"] == "allowed"
    assert get["MatchedStatements"][0]["SourcePolicyId"] == "AmazonS3ReadOnlyAccess"
    assert get["MatchedStatements"][0]["SourcePolicyType"] == "IAM Policy"
    assert describe["EvalDecision"] == "allowed"
    assert describe["MatchedStatements"][0]["SourcePolicyId"] == "eks"
    assert delete["EvalDecision"] == "implicitDeny"


def test_principal_policy_adds_input_policies_for_a_role(iam: Any, ctx: CallContext) -> None:
    role = iam.create_role(ctx, role_name="app", assume_role_policy_document=trust_policy())["Role"]
    out = iam.simulate_principal_policy(
        ctx, policy_source_arn=role["Arn"], action_names=["s3:ListBucket"], resource_arns=[BUCKET]
    )
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    out = iam.simulate_principal_policy(
        ctx,
        policy_source_arn=role["Arn"],
        policy_input_list=[LIST_BUCKET],
        action_names=["s3:ListBucket"],
        resource_arns=[BUCKET],
    )
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_principal_policy_for_an_unknown_entity(iam: Any, ctx: CallContext) -> None:
    with pytest.raises(ServiceError) as caught:
        iam.simulate_principal_policy(
            ctx, policy_source_arn=f"arn:aws:iam::{ACCOUNT}:user/nobody", action_names=["s3:ListBucket"]
        )
    assert caught.value.code == "NoSuchEntity"
    with pytest.raises(ServiceError) as invalid:
        iam.simulate_principal_policy(
            ctx, policy_source_arn="arn:aws:s3:::bucket/object-key", action_names=["s3:ListBucket"]
        )
    assert invalid.value.code == "InvalidInput"


def test_statement_positions_point_at_each_statement() -> None:
    text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "a:b", "Resource": "*"},\n'
        "    {\n"
        '      "Effect": "Deny", "Action": "c:d", "Resource": "*"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    assert statement_spans(text) == [((4, 5), (4, 58)), ((5, 5), (7, 6))]
    single = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}}'
    assert statement_spans(single) == [((1, 40), (1, 93))]
    tricky = '{"Sid": "x\\"{", "Statement": [{"Condition": {"StringEquals": {"k": "}"}}}]}'
    assert len(statement_spans(tricky)) == 1


def test_matched_statements_carry_positions(iam: Any, ctx: CallContext) -> None:
    out = iam.simulate_custom_policy(
        ctx, policy_input_list=[LIST_BUCKET], action_names=["s3:ListBucket"], resource_arns=[BUCKET]
    )
    matched = out["EvaluationResults"][0]["MatchedStatements"][0]
    assert matched["StartPosition"] == {"Line": 1, "Column": 41}
    assert matched["EndPosition"]["Line"] == 1


def test_context_keys_of_custom_and_principal_policies(iam: Any, ctx: CallContext) -> None:
    conditional = document(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": "eu-west-1", "s3:prefix": "home/"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        },
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"AWS:SourceIp": "1.2.3.4/32"}},
        },
    )
    keys = iam.get_context_keys_for_custom_policy(ctx, policy_input_list=[conditional])["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion", "s3:prefix", "aws:SecureTransport", "AWS:SourceIp"]
    user = iam.create_user(ctx, user_name="carol")["User"]
    iam.put_user_policy(ctx, user_name="carol", policy_name="p", policy_document=conditional)
    extra = document(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    )
    principal = iam.get_context_keys_for_principal_policy(
        ctx, policy_source_arn=user["Arn"], policy_input_list=[extra]
    )
    assert principal["ContextKeyNames"] == keys
