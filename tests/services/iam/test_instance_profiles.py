"""Instance profiles (IAM API reference: CreateInstanceProfile, AddRoleToInstanceProfile ...;
iam-rules.md 3.1 and 5)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity

from .conftest import ACCOUNT


def test_instance_profile_lifecycle(iam: IamService, ctx: CallContext, make_role) -> None:
    profile = iam.create_instance_profile(ctx, instance_profile_name="nodes", path="/eks/")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/eks/nodes"
    assert profile["InstanceProfileId"].startswith("AIPA") and profile["Roles"] == []
    make_role("node")
    iam.add_role_to_instance_profile(ctx, instance_profile_name="nodes", role_name="node")
    got = iam.get_instance_profile(ctx, instance_profile_name="NODES")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["node"]
    for_role = iam.list_instance_profiles_for_role(ctx, role_name="node")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == ["nodes"]
    with pytest.raises(DeleteConflict) as err:
        iam.delete_instance_profile(ctx, instance_profile_name="nodes")
    assert err.value.message == "Cannot delete entity, must remove roles from instance profile first."
    iam.remove_role_from_instance_profile(ctx, instance_profile_name="nodes", role_name="node")
    assert iam.list_instance_profiles_for_role(ctx, role_name="node")["InstanceProfiles"] == []
    iam.delete_instance_profile(ctx, instance_profile_name="nodes")
    with pytest.raises(NoSuchEntity):
        iam.get_instance_profile(ctx, instance_profile_name="nodes")
    iam.delete_role(ctx, role_name="node")


def test_one_role_per_instance_profile(iam: IamService, ctx: CallContext, make_role) -> None:
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    make_role("a")
    make_role("b")
    iam.add_role_to_instance_profile(ctx, instance_profile_name="ip", role_name="a")
    with pytest.raises(LimitExceeded) as err:
        iam.add_role_to_instance_profile(ctx, instance_profile_name="ip", role_name="b")
    assert err.value.message == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    assert iam.list_instance_profiles_for_role(ctx, role_name="b")["InstanceProfiles"] == []


def test_duplicate_instance_profile(iam: IamService, ctx: CallContext) -> None:
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    with pytest.raises(EntityAlreadyExists):
        iam.create_instance_profile(ctx, instance_profile_name="IP")


def test_add_missing_role(iam: IamService, ctx: CallContext) -> None:
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    with pytest.raises(NoSuchEntity) as err:
        iam.add_role_to_instance_profile(ctx, instance_profile_name="ip", role_name="ghost")
    assert err.value.message == "The role with name ghost cannot be found."


def test_list_instance_profiles_with_path(iam: IamService, ctx: CallContext) -> None:
    iam.create_instance_profile(ctx, instance_profile_name="a", path="/x/")
    iam.create_instance_profile(ctx, instance_profile_name="b")
    listed = iam.list_instance_profiles(ctx, path_prefix="/x/")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["a"]
    assert len(iam.list_instance_profiles(ctx)["InstanceProfiles"]) == 2
