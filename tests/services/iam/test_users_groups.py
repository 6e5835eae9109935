"""Users, groups and membership (IAM API reference: CreateUser, UpdateUser, DeleteUser, GetGroup,
AddUserToGroup ...; iam-rules.md 3.1 and 5)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, Caller, CallerKind, IamService
from eksiam.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)

from .conftest import ACCOUNT, NOW, context, identity_policy


def test_create_user_shape(iam: IamService, ctx: CallContext) -> None:
    user = iam.create_user(ctx, user_name="alice", path="/dev/")["User"]
    assert user["UserName"] == "alice" and user["Path"] == "/dev/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dev/alice"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["CreateDate"] == NOW


def test_user_names_are_case_insensitive_unique(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="Alice")
    with pytest.raises(EntityAlreadyExists) as err:
        iam.create_user(ctx, user_name="ALICE")
    assert err.value.message == "User with name ALICE already exists."


def test_get_missing_user(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(NoSuchEntity) as err:
        iam.get_user(ctx, user_name="bob")
    assert err.value.message == "The user with name bob cannot be found."


def test_get_user_without_name_answers_for_the_calling_user(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    caller = Caller(CallerKind.USER, f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "AIDAEXAMPLE")
    assert iam.get_user(context(caller=caller))["User"]["UserName"] == "alice"


def test_get_user_without_name_as_root_returns_root_identity(iam: IamService, ctx: CallContext) -> None:
    user = iam.get_user(ctx)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and user["UserId"] == ACCOUNT


def test_user_names_longer_than_64_are_rejected(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError):
        iam.create_user(ctx, user_name="u" * 65)


def test_update_user_renames_and_moves_relations(iam: IamService, ctx: CallContext, make_policy) -> None:
    iam.create_user(ctx, user_name="alice")
    iam.create_group(ctx, group_name="devs")
    iam.add_user_to_group(ctx, group_name="devs", user_name="alice")
    arn = make_policy("p")["Arn"]
    iam.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
    iam.put_user_policy(ctx, user_name="alice", policy_name="inline", policy_document=identity_policy())
    key = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]

    iam.update_user(ctx, user_name="alice", new_user_name="alicia", new_path="/moved/")

    with pytest.raises(NoSuchEntity):
        iam.get_user(ctx, user_name="alice")
    user = iam.get_user(ctx, user_name="alicia")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/alicia"
    assert [g["GroupName"] for g in iam.list_groups_for_user(ctx, user_name="alicia")["Groups"]] == ["devs"]
    assert [u["UserName"] for u in iam.get_group(ctx, group_name="devs")["Users"]] == ["alicia"]
    assert iam.list_attached_user_policies(ctx, user_name="alicia")["AttachedPolicies"][0]["PolicyArn"] == arn
    assert iam.list_user_policies(ctx, user_name="alicia")["PolicyNames"] == ["inline"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(ctx, user_name="alicia")["AccessKeyMetadata"]] == [
        key
    ]
    assert iam.list_entities_for_policy(ctx, policy_arn=arn)["PolicyUsers"][0]["UserName"] == "alicia"


def test_rename_to_taken_name_is_rejected(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="a")
    iam.create_user(ctx, user_name="b")
    with pytest.raises(EntityAlreadyExists):
        iam.update_user(ctx, user_name="a", new_user_name="B")
    assert iam.get_user(ctx, user_name="a")["User"]["UserName"] == "a"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("key", "Cannot delete entity, must delete access keys first."),
        ("group", "Cannot delete entity, must remove users from group first."),
        ("attached", "Cannot delete entity, must detach all policies first."),
        ("inline", "Cannot delete entity, must delete policies first."),
    ],
)
def test_delete_user_conflicts(
    iam: IamService, ctx: CallContext, make_policy, setup: str, message: str
) -> None:
    iam.create_user(ctx, user_name="alice")
    if setup == "key":
        iam.create_access_key(ctx, user_name="alice")
    elif setup == "group":
        iam.create_group(ctx, group_name="g")
        iam.add_user_to_group(ctx, group_name="g", user_name="alice")
    elif setup == "attached":
        iam.attach_user_policy(ctx, user_name="alice", policy_arn=make_policy()["Arn"])
    else:
        iam.put_user_policy(ctx, user_name="alice", policy_name="i", policy_document=identity_policy())
    with pytest.raises(DeleteConflict) as err:
        iam.delete_user(ctx, user_name="alice")
    assert err.value.message == message
    assert iam.get_user(ctx, user_name="alice")


def test_delete_user(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    iam.delete_user(ctx, user_name="alice")
    assert iam.list_users(ctx)["Users"] == []


def test_list_users_path_prefix_and_omits_tags(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="a", path="/x/", tags=[{"Key": "k", "Value": "v"}])
    iam.create_user(ctx, user_name="b", path="/y/")
    users = iam.list_users(ctx, path_prefix="/x/")["Users"]
    assert [u["UserName"] for u in users] == ["a"]
    assert "Tags" not in users[0]


def test_group_lifecycle_and_membership(iam: IamService, ctx: CallContext) -> None:
    group = iam.create_group(ctx, group_name="devs")["Group"]
    assert group["GroupId"].startswith("AGPA") and group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/devs"
    iam.create_user(ctx, user_name="a")
    iam.add_user_to_group(ctx, group_name="devs", user_name="a")
    iam.add_user_to_group(ctx, group_name="DEVS", user_name="A")  # twice: no change
    got = iam.get_group(ctx, group_name="devs")
    assert [u["UserName"] for u in got["Users"]] == ["a"] and got["IsTruncated"] is False
    with pytest.raises(DeleteConflict) as err:
        iam.delete_group(ctx, group_name="devs")
    assert err.value.message == "Cannot delete entity, must remove users from group first."
    iam.remove_user_from_group(ctx, group_name="devs", user_name="a")
    assert iam.get_group(ctx, group_name="devs")["Users"] == []
    iam.delete_group(ctx, group_name="devs")
    with pytest.raises(NoSuchEntity) as missing:
        iam.get_group(ctx, group_name="devs")
    assert missing.value.message == "The group with name devs cannot be found."


def test_groups_per_user_quota_is_10(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="a")
    for i in range(10):
        iam.create_group(ctx, group_name=f"g{i}")
        iam.add_user_to_group(ctx, group_name=f"g{i}", user_name="a")
    iam.create_group(ctx, group_name="g10")
    with pytest.raises(LimitExceeded) as err:
        iam.add_user_to_group(ctx, group_name="g10", user_name="a")
    assert err.value.message == "Cannot exceed quota for GroupsPerUser: 10"
    assert len(iam.list_groups_for_user(ctx, user_name="a")["Groups"]) == 10


def test_add_missing_user_to_group(iam: IamService, ctx: CallContext) -> None:
    iam.create_group(ctx, group_name="g")
    with pytest.raises(NoSuchEntity):
        iam.add_user_to_group(ctx, group_name="g", user_name="nobody")


def test_update_group_renames(iam: IamService, ctx: CallContext) -> None:
    iam.create_group(ctx, group_name="g")
    iam.create_user(ctx, user_name="u")
    iam.add_user_to_group(ctx, group_name="g", user_name="u")
    iam.update_group(ctx, group_name="g", new_group_name="h")
    assert [g["GroupName"] for g in iam.list_groups_for_user(ctx, user_name="u")["Groups"]] == ["h"]
    assert [g["GroupName"] for g in iam.list_groups(ctx)["Groups"]] == ["h"]
