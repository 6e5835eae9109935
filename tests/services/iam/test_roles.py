"""Roles, from the IAM API reference (CreateRole, GetRole, UpdateRole, DeleteRole ...) and
iam-rules.md sections 1-5."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from eksiam.services import IamService
from eksiam.services.context import CallContext
from eksiam.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)

from .conftest import NOW, identity_policy, trust_policy


def test_create_role_returns_aws_shape_with_defaults(iam: IamService, ctx: CallContext) -> None:
    role = iam.create_role(ctx, role_name="app", assume_role_policy_document=trust_policy())["Role"]
    assert role["RoleName"] == "app"
    assert role["Path"] == "/"
    assert role["Arn"] == "arn:aws:iam::123456789012:role/app"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["CreateDate"] == NOW
    assert role["MaxSessionDuration"] == 3600
    assert json.loads(unquote(role["AssumeRolePolicyDocument"])) == json.loads(trust_policy())


def test_role_arn_includes_path(iam: IamService, ctx: CallContext) -> None:
    role = iam.create_role(
        ctx, role_name="svc", path="/service-role/eks/", assume_role_policy_document=trust_policy()
    )["Role"]
    assert role["Arn"] == "arn:aws:iam::123456789012:role/service-role/eks/svc"


def test_policy_document_is_url_encoded_in_get_role(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    document = iam.get_role(ctx, role_name="app")["Role"]["AssumeRolePolicyDocument"]
    assert "%7B" in document and "{" not in document


def test_get_role_has_empty_role_last_used_and_tags(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app", tags=[{"Key": "team", "Value": "a"}])
    role = iam.get_role(ctx, role_name="app")["Role"]
    assert role["RoleLastUsed"] == {}
    assert role["Tags"] == [{"Key": "team", "Value": "a"}]


def test_role_names_are_unique_case_insensitively(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("MyRole")
    with pytest.raises(EntityAlreadyExists) as err:
        make_role("myrole")
    assert err.value.message == "Role with name myrole already exists."
    assert err.value.status == 409


def test_get_role_finds_any_case_and_keeps_stored_case(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("MyRole")
    assert iam.get_role(ctx, role_name="MYROLE")["Role"]["RoleName"] == "MyRole"


def test_get_missing_role_is_no_such_entity_with_aws_message(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(NoSuchEntity) as err:
        iam.get_role(ctx, role_name="ghost")
    assert err.value.message == "The role with name ghost cannot be found."
    assert err.value.status == 404 and err.value.code == "NoSuchEntity"


@pytest.mark.parametrize("name", ["a/b", "has space", "x" * 65, ""])
def test_invalid_role_names_are_validation_errors(iam: IamService, ctx: CallContext, name: str) -> None:
    with pytest.raises(ValidationError) as err:
        iam.create_role(ctx, role_name=name, assume_role_policy_document=trust_policy())
    assert re.match(r"^\d validation errors? detected: Value ", err.value.message)
    assert "at 'roleName' failed to satisfy constraint" in err.value.message


def test_pattern_failure_message_matches_aws_format(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError) as err:
        iam.create_role(ctx, role_name="a/b", assume_role_policy_document=trust_policy())
    assert err.value.message == (
        "1 validation error detected: Value 'a/b' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_several_constraint_failures_are_counted(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError) as err:
        iam.create_role(ctx, role_name="a/b", path="no-slash", assume_role_policy_document=trust_policy())
    assert err.value.message.startswith("2 validation errors detected: ")
    assert "; " in err.value.message


@pytest.mark.parametrize("path", ["/", "/a/", "/a/b-c/", "/~!/"])
def test_valid_paths(iam: IamService, ctx: CallContext, path: str) -> None:
    assert iam.create_role(ctx, role_name="r", path=path, assume_role_policy_document=trust_policy())


@pytest.mark.parametrize("path", ["a/", "/a", "//x y/", "/\u00e9/"])
def test_invalid_paths(iam: IamService, ctx: CallContext, path: str) -> None:
    with pytest.raises(ValidationError):
        iam.create_role(ctx, role_name="r", path=path, assume_role_policy_document=trust_policy())


@pytest.mark.parametrize("duration", [3599, 43201])
def test_max_session_duration_range(iam: IamService, ctx: CallContext, duration: int) -> None:
    with pytest.raises(ValidationError) as err:
        iam.create_role(
            ctx, role_name="r", assume_role_policy_document=trust_policy(), max_session_duration=duration
        )
    assert "maxSessionDuration" in err.value.message


def test_max_session_duration_bounds_are_accepted(iam: IamService, ctx: CallContext, make_role) -> None:
    assert make_role("a", max_session_duration=3600)["MaxSessionDuration"] == 3600
    assert make_role("b", max_session_duration=43200)["MaxSessionDuration"] == 43200


def test_description_longer_than_1000_is_rejected(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(ValidationError):
        iam.create_role(
            ctx, role_name="r", assume_role_policy_document=trust_policy(), description="d" * 1001
        )


def test_trust_policy_with_resource_is_malformed(iam: IamService, ctx: CallContext) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                }
            ],
        }
    )
    with pytest.raises(MalformedPolicyDocument) as err:
        iam.create_role(ctx, role_name="r", assume_role_policy_document=document)
    assert err.value.message == "Has prohibited field Resource."
    assert err.value.status == 400
    with pytest.raises(NoSuchEntity):
        iam.get_role(ctx, role_name="r")


def test_trust_policy_over_2048_non_whitespace_characters_is_limit_exceeded(
    iam: IamService, ctx: CallContext
) -> None:
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        for i in range(40)
    ]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    with pytest.raises(LimitExceeded) as err:
        iam.create_role(ctx, role_name="r", assume_role_policy_document=document)
    assert err.value.message == "Cannot exceed quota for ACLSizePerRole: 2048"


def test_trust_policy_size_ignores_whitespace(iam: IamService, ctx: CallContext) -> None:
    compact = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"S{i}",
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
                for i in range(20)
            ],
        },
        separators=(",", ":"),
    )
    assert len(compact) == 2048  # exactly at the quota: accepted
    padded = compact.replace(",", ",      \n")
    assert len(padded) > 2048
    assert iam.create_role(ctx, role_name="r", assume_role_policy_document=padded)
    one_more = compact.replace('"S0"', '"S0x"')
    with pytest.raises(LimitExceeded):
        iam.create_role(ctx, role_name="r2", assume_role_policy_document=one_more)


def test_update_assume_role_policy_checks_size_too(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        for i in range(40)
    ]
    with pytest.raises(LimitExceeded):
        iam.update_assume_role_policy(
            ctx,
            role_name="app",
            policy_document=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    iam.update_assume_role_policy(ctx, role_name="app", policy_document=trust_policy("eks.amazonaws.com"))
    document = unquote(iam.get_role(ctx, role_name="app")["Role"]["AssumeRolePolicyDocument"])
    assert "eks.amazonaws.com" in document


def test_update_role_changes_description_and_duration(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    assert iam.update_role(ctx, role_name="app", description="new", max_session_duration=7200) == {}
    role = iam.get_role(ctx, role_name="app")["Role"]
    assert role["Description"] == "new" and role["MaxSessionDuration"] == 7200


def test_update_role_description_returns_role(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    role = iam.update_role_description(ctx, role_name="app", description="hello")["Role"]
    assert role["Description"] == "hello" and role["RoleName"] == "app"


def test_update_missing_role_is_no_such_entity(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(NoSuchEntity):
        iam.update_role(ctx, role_name="ghost", description="x")


def test_delete_role_then_recreate_gets_new_id(iam: IamService, ctx: CallContext, make_role) -> None:
    first = make_role("app")["RoleId"]
    iam.delete_role(ctx, role_name="app")
    with pytest.raises(NoSuchEntity):
        iam.get_role(ctx, role_name="app")
    assert make_role("app")["RoleId"] != first


def test_delete_role_with_attached_policy_is_conflict(
    iam: IamService, ctx: CallContext, make_role, make_policy
) -> None:
    make_role("app")
    arn = make_policy("p")["Arn"]
    iam.attach_role_policy(ctx, role_name="app", policy_arn=arn)
    with pytest.raises(DeleteConflict) as err:
        iam.delete_role(ctx, role_name="app")
    assert err.value.message == "Cannot delete entity, must detach all policies first."
    assert err.value.status == 409


def test_delete_role_with_inline_policy_is_conflict(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    iam.put_role_policy(ctx, role_name="app", policy_name="inline", policy_document=identity_policy())
    with pytest.raises(DeleteConflict) as err:
        iam.delete_role(ctx, role_name="app")
    assert err.value.message == "Cannot delete entity, must delete policies first."


def test_delete_role_in_instance_profile_is_conflict(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("app")
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    iam.add_role_to_instance_profile(ctx, instance_profile_name="ip", role_name="app")
    with pytest.raises(DeleteConflict) as err:
        iam.delete_role(ctx, role_name="app")
    assert err.value.message == "Cannot delete entity, must remove roles from instance profile first."


def test_list_roles_omits_tags_boundary_and_last_used(
    iam: IamService, ctx: CallContext, make_role, make_policy
) -> None:
    boundary = make_policy("b")["Arn"]
    make_role("app", tags=[{"Key": "k", "Value": "v"}], permissions_boundary=boundary)
    listed = iam.list_roles(ctx)
    assert listed["IsTruncated"] is False and "Marker" not in listed
    (role,) = listed["Roles"]
    assert role["RoleName"] == "app"
    assert "Tags" not in role and "PermissionsBoundary" not in role and "RoleLastUsed" not in role


def test_list_roles_filters_by_path_prefix(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("a", path="/team1/")
    make_role("b", path="/team2/")
    make_role("c", path="/team1/sub/")
    names = [r["RoleName"] for r in iam.list_roles(ctx, path_prefix="/team1/")["Roles"]]
    assert sorted(names) == ["a", "c"]


def test_permissions_boundary_set_and_deleted(
    iam: IamService, ctx: CallContext, make_role, make_policy
) -> None:
    arn = make_policy("boundary")["Arn"]
    make_role("app")
    iam.put_role_permissions_boundary(ctx, role_name="app", permissions_boundary=arn)
    role = iam.get_role(ctx, role_name="app")["Role"]
    assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_role_permissions_boundary(ctx, role_name="app")
    assert "PermissionsBoundary" not in iam.get_role(ctx, role_name="app")["Role"]
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_boundary_with_unknown_policy_is_rejected_and_changes_nothing(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    make_role("app")
    with pytest.raises(NoSuchEntity) as err:
        iam.put_role_permissions_boundary(
            ctx, role_name="app", permissions_boundary="arn:aws:iam::123456789012:policy/nope"
        )
    assert "does not exist or is not attachable" in err.value.message
    assert "PermissionsBoundary" not in iam.get_role(ctx, role_name="app")["Role"]


def test_create_role_with_unknown_boundary_creates_nothing(iam: IamService, ctx: CallContext) -> None:
    with pytest.raises(InvalidInput):
        iam.create_role(
            ctx,
            role_name="app",
            assume_role_policy_document=trust_policy(),
            permissions_boundary="arn:aws:iam::123456789012:policy/nope",
        )
    with pytest.raises(NoSuchEntity):
        iam.get_role(ctx, role_name="app")
    assert iam.get_account_summary(ctx)["SummaryMap"]["Roles"] == 0  # the quota count rolled back too


def test_role_quota_is_enforced(store, ctx: CallContext) -> None:
    from eksiam.clock import ManualClock
    from eksiam.config import Settings
    from eksiam.services.iam.quotas import Quotas

    small = IamService(store, ManualClock(NOW), Settings(), quotas=Quotas(roles=2))
    for name in ("a", "b"):
        small.create_role(ctx, role_name=name, assume_role_policy_document=trust_policy())
    with pytest.raises(LimitExceeded) as err:
        small.create_role(ctx, role_name="c", assume_role_policy_document=trust_policy())
    assert err.value.message == "Cannot exceed quota for RolesPerAccount: 2"
    small.delete_role(ctx, role_name="a")
    small.create_role(ctx, role_name="c", assume_role_policy_document=trust_policy())


def _trust_aws(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_trust_policy_naming_a_missing_role_is_invalid_principal(iam: IamService, ctx: CallContext) -> None:
    missing = "arn:aws:iam::123456789012:role/ghost"
    with pytest.raises(MalformedPolicyDocument) as err:
        iam.create_role(ctx, role_name="r", assume_role_policy_document=_trust_aws(missing))
    assert err.value.message == f'Invalid principal in policy: "AWS":"{missing}"'
    with pytest.raises(NoSuchEntity):
        iam.get_role(ctx, role_name="r")


def test_a_taken_name_is_reported_before_an_invalid_principal_and_changes_nothing(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    first = make_role("taken")
    missing = "arn:aws:iam::123456789012:role/ghost"
    with pytest.raises(EntityAlreadyExists):
        iam.create_role(ctx, role_name="TAKEN", assume_role_policy_document=_trust_aws(missing))
    with pytest.raises(EntityAlreadyExists):  # the same when every other check passes
        iam.create_role(ctx, role_name="TAKEN", assume_role_policy_document=_trust_aws(first["Arn"]))
    assert iam.get_role(ctx, role_name="taken")["Role"]["RoleId"] == first["RoleId"]
    assert [r["RoleName"] for r in iam.list_roles(ctx)["Roles"]] == ["taken"]
    # the failed attempts recorded no trust reference: deleting the role leaves nothing behind
    iam.delete_role(ctx, role_name="taken")
    make_role("taken")


def test_trust_policy_naming_existing_entities_is_accepted(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    caller = make_role("caller", path="/ci/")["Arn"]
    iam.create_user(ctx, user_name="alice")
    document = _trust_aws(
        caller, "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:root", "111122223333"
    )
    assert iam.create_role(ctx, role_name="target", assume_role_policy_document=document)
    with pytest.raises(MalformedPolicyDocument):
        iam.update_assume_role_policy(
            ctx, role_name="target", policy_document=_trust_aws("arn:aws:iam::123456789012:role/caller")
        )  # the role lives under /ci/: this ARN names no role


def test_deleted_trusted_role_shows_its_old_id_and_a_new_one_is_not_trusted(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    old = make_role("caller")
    make_role("target", assume_role_policy_document=_trust_aws(old["Arn"]))
    iam.delete_role(ctx, role_name="caller")
    document = json.loads(unquote(iam.get_role(ctx, role_name="target")["Role"]["AssumeRolePolicyDocument"]))
    assert document["Statement"][0]["Principal"]["AWS"] == [old["RoleId"]]
    new = make_role("caller")
    assert new["RoleId"] != old["RoleId"]
    document = json.loads(unquote(iam.get_role(ctx, role_name="target")["Role"]["AssumeRolePolicyDocument"]))
    assert document["Statement"][0]["Principal"]["AWS"] == [old["RoleId"]]


def test_deleted_trusted_user_shows_its_old_id(iam: IamService, ctx: CallContext, make_role) -> None:
    user = iam.create_user(ctx, user_name="dev")["User"]
    make_role("target", assume_role_policy_document=_trust_aws(user["Arn"]))
    iam.delete_user(ctx, user_name="dev")
    document = json.loads(unquote(iam.get_role(ctx, role_name="target")["Role"]["AssumeRolePolicyDocument"]))
    assert document["Statement"][0]["Principal"]["AWS"] == [user["UserId"]]


def test_renamed_trusted_user_is_still_trusted_under_its_new_arn(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    user = iam.create_user(ctx, user_name="dev")["User"]
    make_role("target", assume_role_policy_document=_trust_aws(user["Arn"]))
    iam.update_user(ctx, user_name="dev", new_user_name="developer")
    document = json.loads(unquote(iam.get_role(ctx, role_name="target")["Role"]["AssumeRolePolicyDocument"]))
    assert document["Statement"][0]["Principal"]["AWS"] == ["arn:aws:iam::123456789012:user/developer"]


def test_replaced_trust_policy_no_longer_follows_the_old_principal(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    first = make_role("first")
    make_role("target", assume_role_policy_document=_trust_aws(first["Arn"]))
    iam.update_assume_role_policy(ctx, role_name="target", policy_document=trust_policy())
    iam.delete_role(ctx, role_name="first")
    document = unquote(iam.get_role(ctx, role_name="target")["Role"]["AssumeRolePolicyDocument"])
    assert json.loads(document) == json.loads(trust_policy())
