"""Request context: IAM User Guide, "AWS global condition context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)."""

from __future__ import annotations

from eksiam.policy.context import LowerCaseContext, Request, build_context


def test_user_principal_derives_documented_keys() -> None:
    values = build_context(Request("arn:aws:iam::111122223333:user/alice", "S3:GetObject", "*")).values
    assert values["aws:principalarn"] == "arn:aws:iam::111122223333:user/alice"
    assert values["aws:principalaccount"] == "111122223333"
    assert values["aws:principaltype"] == "User"
    assert values["aws:username"] == "alice"
    assert values["aws:principalisawsservice"] == "false"
    assert values["aws:resourceaccount"] == "111122223333"


def test_role_session_has_no_username() -> None:
    values = build_context(
        Request("arn:aws:sts::111122223333:assumed-role/app/s1", "s3:GetObject", "*")
    ).values
    assert "aws:username" not in values
    assert values["aws:principaltype"] == "AssumedRole"


def test_root_userid_is_the_account() -> None:
    values = build_context(Request("arn:aws:iam::111122223333:root", "s3:GetObject", "*")).values
    assert values["aws:userid"] == "111122223333"


def test_given_keys_are_case_insensitive_and_win_over_derived_ones() -> None:
    request = Request(
        "arn:aws:iam::111122223333:user/alice",
        "s3:GetObject",
        "*",
        context={"AWS:UserId": "AIDAEXAMPLE", "aws:PrincipalType": "Other", "aws:TagKeys": []},
    )
    values = build_context(request).values
    assert values["aws:userid"] == "AIDAEXAMPLE"
    assert values["aws:principaltype"] == "Other"
    assert values["aws:tagkeys"] == []


def test_action_is_lower_cased_and_split_by_vendor() -> None:
    context = build_context(Request("ec2.amazonaws.com", "STS:AssumeRole", "*"))
    assert (context.action, context.service) == ("sts:assumerole", "sts")
    assert context.values["aws:principalservicename"] == "ec2.amazonaws.com"


def test_resource_account_defaults_to_the_principals() -> None:
    same = build_context(Request("arn:aws:iam::111122223333:user/a", "s3:GetObject", "*"))
    other = build_context(Request("arn:aws:iam::111122223333:user/a", "s3:GetObject", "*", "444455556666"))
    assert same.same_account and not other.same_account


def test_lower_case_given_keys_win_over_derived_ones_too() -> None:
    # a context whose names are all lower-case is merged as it is
    given = {"aws:principalaccount": "444455556666", "aws:sourceip": "10.0.0.1"}
    values = build_context(
        Request("arn:aws:iam::111122223333:user/alice", "s3:GetObject", "*", context=given)
    )
    assert values.values["aws:principalaccount"] == "444455556666"
    assert values.values["aws:sourceip"] == "10.0.0.1"
    assert values.values["aws:username"] == "alice"
    assert given == {"aws:principalaccount": "444455556666", "aws:sourceip": "10.0.0.1"}  # not changed


def test_a_lower_case_context_is_merged_as_its_caller_vouches() -> None:
    # The web identity path: names already lower-case, so no name is looked at; derived keys stay,
    # given ones win, and the given mapping is not changed.
    given = LowerCaseContext({"aws:principalaccount": "444455556666", "oidc.example/id:sub": "system:x"})
    alice = "arn:aws:iam::111122223333:user/alice"
    context = build_context(Request(alice, "s3:GetObject", "*", context=given))
    assert context.values["aws:principalaccount"] == "444455556666"
    assert context.values["oidc.example/id:sub"] == "system:x"
    assert context.values["aws:username"] == "alice"
    assert type(context.values) is dict and len(given) == 2
