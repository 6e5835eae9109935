"""Tags on IAM entities (IAM User Guide "Tagging IAM resources"; API reference TagRole, UntagRole,
ListRoleTags; iam-rules.md 3.1 and 3.2)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import InvalidInput, LimitExceeded, NoSuchEntity, ValidationError


def test_tag_untag_list_role(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r", tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(ctx, role_name="r", tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    tags = iam.list_role_tags(ctx, role_name="r")
    assert sorted((t["Key"], t["Value"]) for t in tags["Tags"]) == [("A", "3"), ("b", "2")]
    assert tags["IsTruncated"] is False
    iam.untag_role(ctx, role_name="r", tag_keys=["a", "missing"])
    assert iam.list_role_tags(ctx, role_name="r")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_fifty_tags_max(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(LimitExceeded):
        iam.tag_role(ctx, role_name="r", tags=[{"Key": "one-more", "Value": "v"}])
    iam.tag_role(ctx, role_name="r", tags=[{"Key": "k0", "Value": "replaced"}])
    assert len(iam.list_role_tags(ctx, role_name="r")["Tags"]) == 50
    with pytest.raises(ValidationError):
        iam.create_user(ctx, user_name="u", tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])


def test_duplicate_keys_in_request(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r")
    with pytest.raises(InvalidInput):
        iam.tag_role(ctx, role_name="r", tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert iam.list_role_tags(ctx, role_name="r")["Tags"] == []


@pytest.mark.parametrize(
    "tag",
    [
        {"Key": "k" * 129, "Value": "v"},
        {"Key": "k", "Value": "v" * 257},
        {"Key": "bad*key", "Value": "v"},
        {"Key": "", "Value": "v"},
    ],
)
def test_invalid_tags(iam: IamService, ctx: CallContext, make_role, tag: dict[str, str]) -> None:
    make_role("r")
    with pytest.raises(ValidationError):
        iam.tag_role(ctx, role_name="r", tags=[tag])


def test_unicode_letters_and_empty_value_are_valid(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r")
    iam.tag_role(
        ctx, role_name="r", tags=[{"Key": "équipe", "Value": ""}, {"Key": "a b:/=+-@_.", "Value": "x"}]
    )
    assert len(iam.list_role_tags(ctx, role_name="r")["Tags"]) == 2


def test_tag_missing_role(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(NoSuchEntity):
        iam.tag_role(ctx, role_name="ghost", tags=[{"Key": "k", "Value": "v"}])


def test_tag_user_policy_instance_profile(iam: IamService, ctx: CallContext, make_policy) -> None:
    iam.create_user(ctx, user_name="u")
    iam.tag_user(ctx, user_name="u", tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_user_tags(ctx, user_name="u")["Tags"] == [{"Key": "k", "Value": "v"}]
    assert iam.get_user(ctx, user_name="u")["User"]["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.untag_user(ctx, user_name="u", tag_keys=["K"])
    assert iam.list_user_tags(ctx, user_name="u")["Tags"] == []

    arn = make_policy("p")["Arn"]
    iam.tag_policy(ctx, policy_arn=arn, tags=[{"Key": "k", "Value": "v"}])
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.untag_policy(ctx, policy_arn=arn, tag_keys=["k"])
    assert iam.list_policy_tags(ctx, policy_arn=arn)["Tags"] == []

    iam.create_instance_profile(ctx, instance_profile_name="ip", tags=[{"Key": "a", "Value": "b"}])
    iam.tag_instance_profile(ctx, instance_profile_name="ip", tags=[{"Key": "c", "Value": "d"}])
    iam.untag_instance_profile(ctx, instance_profile_name="ip", tag_keys=["a"])
    assert iam.list_instance_profile_tags(ctx, instance_profile_name="ip")["Tags"] == [
        {"Key": "c", "Value": "d"}
    ]


def test_list_tags_pages(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r", tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(7)])
    first = iam.list_role_tags(ctx, role_name="r", max_items=5)
    assert len(first["Tags"]) == 5 and first["IsTruncated"] is True
    second = iam.list_role_tags(ctx, role_name="r", max_items=5, marker=first["Marker"])
    assert len(second["Tags"]) == 2 and second["IsTruncated"] is False and "Marker" not in second
    assert {t["Key"] for t in first["Tags"] + second["Tags"]} == {f"k{i:02d}" for i in range(7)}
