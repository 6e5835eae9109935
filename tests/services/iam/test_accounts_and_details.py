"""Several accounts in one store, GetAccountAuthorizationDetails, and the protection of roles
marked ``protected`` (service-linked roles: IAM User Guide "Using service-linked roles";
iam-rules.md 5 UnmodifiableEntity)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import NoSuchEntity, UnmodifiableEntity

from .conftest import OTHER_ACCOUNT, context, identity_policy, trust_policy


def test_accounts_are_isolated(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("shared-name")
    other = context(OTHER_ACCOUNT)
    role = iam.create_role(other, role_name="shared-name", assume_role_policy_document=trust_policy())["Role"]
    assert role["Arn"] == f"arn:aws:iam::{OTHER_ACCOUNT}:role/shared-name"
    iam.delete_role(ctx, role_name="shared-name")
    assert iam.get_role(other, role_name="shared-name")["Role"]["RoleId"] == role["RoleId"]
    with pytest.raises(NoSuchEntity):
        iam.get_role(ctx, role_name="shared-name")
    assert [r["RoleName"] for r in iam.list_roles(other)["Roles"]] == ["shared-name"]
    assert iam.list_roles(ctx)["Roles"] == []


def test_customer_policy_of_another_account_cannot_be_attached(
    iam: IamService, ctx: CallContext, make_role
) -> None:
    other = context(OTHER_ACCOUNT)
    arn = iam.create_policy(other, policy_name="p", policy_document=identity_policy())["Policy"]["Arn"]
    make_role("r")
    with pytest.raises(NoSuchEntity):
        iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)


def test_account_authorization_details(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    arn = make_policy("managed", policy_document=identity_policy("s3:ListBucket"))["Arn"]
    make_role("r")
    iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    iam.put_role_policy(ctx, role_name="r", policy_name="inline", policy_document=identity_policy("sqs:*"))
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    iam.add_role_to_instance_profile(ctx, instance_profile_name="ip", role_name="r")
    iam.create_user(ctx, user_name="u")
    iam.create_group(ctx, group_name="g")
    iam.add_user_to_group(ctx, group_name="g", user_name="u")

    details = iam.get_account_authorization_details(ctx)
    assert details["IsTruncated"] is False
    (role,) = details["RoleDetailList"]
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "managed", "PolicyArn": arn}]
    assert role["RolePolicyList"][0]["PolicyName"] == "inline"
    assert (
        json.loads(unquote(role["RolePolicyList"][0]["PolicyDocument"]))["Statement"][0]["Action"] == "sqs:*"
    )
    assert [p["InstanceProfileName"] for p in role["InstanceProfileList"]] == ["ip"]
    (user,) = details["UserDetailList"]
    assert user["GroupList"] == ["g"]
    assert [g["GroupName"] for g in details["GroupDetailList"]] == ["g"]
    (policy,) = details["Policies"]
    assert policy["AttachmentCount"] == 1
    assert [v["VersionId"] for v in policy["PolicyVersionList"]] == ["v1"]
    assert "%22" in policy["PolicyVersionList"][0]["Document"]

    only_roles = iam.get_account_authorization_details(ctx, filter=["Role"])
    assert set(only_roles) == {"RoleDetailList", "IsTruncated"}


def test_account_authorization_details_pages(iam: IamService, ctx: CallContext, make_role) -> None:
    for i in range(4):
        make_role(f"r{i}")
        iam.create_user(ctx, user_name=f"u{i}")
    seen = 0
    marker = None
    while True:
        out = iam.get_account_authorization_details(
            ctx, max_items=3, **({"marker": marker} if marker else {})
        )
        seen += len(out.get("RoleDetailList", [])) + len(out.get("UserDetailList", []))
        if not out["IsTruncated"]:
            break
        marker = out["Marker"]
    assert seen == 8


def _protect(iam: IamService, account: str, name: str) -> None:
    """Mark a role as service-linked the way the SLR module writes it (records.py rule 4)."""

    def run(uow) -> None:
        role = uow.get("role", account, name.lower())
        role["protected"] = True
        uow.put("role", account, name.lower(), role)

    iam.store.write(run)


@pytest.mark.parametrize(
    "operation",
    [
        lambda iam, ctx, arn: iam.delete_role(ctx, role_name="slr"),
        lambda iam, ctx, arn: iam.update_assume_role_policy(
            ctx, role_name="slr", policy_document=trust_policy()
        ),
        lambda iam, ctx, arn: iam.attach_role_policy(ctx, role_name="slr", policy_arn=arn),
        lambda iam, ctx, arn: iam.put_role_policy(
            ctx, role_name="slr", policy_name="p", policy_document=identity_policy()
        ),
        lambda iam, ctx, arn: iam.put_role_permissions_boundary(
            ctx, role_name="slr", permissions_boundary=arn
        ),
        lambda iam, ctx, arn: iam.update_role(ctx, role_name="slr", max_session_duration=7200),
        lambda iam, ctx, arn: iam.add_role_to_instance_profile(
            ctx, instance_profile_name="ip", role_name="slr"
        ),
    ],
)
def test_protected_role_refuses_changes(
    iam: IamService, ctx: CallContext, make_role, make_policy, operation
) -> None:
    make_role("slr")
    arn = make_policy("p")["Arn"]
    iam.create_instance_profile(ctx, instance_profile_name="ip")
    _protect(iam, ctx.account, "slr")
    with pytest.raises(UnmodifiableEntity) as err:
        operation(iam, ctx, arn)
    assert err.value.message == (
        "Cannot perform the operation on the protected role 'slr' - this role is only modifiable by AWS"
    )
    assert iam.list_attached_role_policies(ctx, role_name="slr")["AttachedPolicies"] == []


def test_protected_role_description_and_tags_may_change(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("slr")
    _protect(iam, ctx.account, "slr")
    iam.update_role(ctx, role_name="slr", description="changed")
    iam.update_role_description(ctx, role_name="slr", description="again")
    iam.tag_role(ctx, role_name="slr", tags=[{"Key": "k", "Value": "v"}])
    role = iam.get_role(ctx, role_name="slr")["Role"]
    assert role["Description"] == "again" and role["Tags"] == [{"Key": "k", "Value": "v"}]


def test_account_summary_counts_against_quotas(
    iam: IamService, ctx: CallContext, make_role, make_policy
) -> None:
    make_role("a")
    make_role("b")
    arn = make_policy("p")["Arn"]
    iam.create_policy_version(ctx, policy_arn=arn, policy_document=identity_policy("s3:Put*"))
    iam.create_user(ctx, user_name="u")
    iam.delete_role(ctx, role_name="b")
    summary = iam.get_account_summary(ctx)["SummaryMap"]
    assert summary["Roles"] == 1 and summary["RolesQuota"] == 1000
    assert summary["Users"] == 1 and summary["UsersQuota"] == 5000
    assert summary["Policies"] == 1 and summary["PolicyVersionsInUse"] == 2
    assert summary["AttachedPoliciesPerRoleQuota"] == 10 and summary["AssumeRolePolicySizeQuota"] == 2048
    assert iam.get_account_summary(context(OTHER_ACCOUNT))["SummaryMap"]["Roles"] == 0
