"""Attach/Detach and the lists around them (IAM API reference: AttachRolePolicy, ListEntitiesForPolicy,
ListAttachedRolePolicies; iam-rules.md 3.1 and 5)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, IamService
from eksiam.services.iam.errors import LimitExceeded, NoSuchEntity

from .conftest import ACCOUNT, identity_policy


def test_attach_updates_counts_and_lists(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    make_role("r")
    iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    iam.attach_role_policy(ctx, role_name="R", policy_arn=arn)  # twice: no change
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_attached_role_policies(ctx, role_name="r")["AttachedPolicies"] == [
        {"PolicyName": "p", "PolicyArn": arn}
    ]
    entities = iam.list_entities_for_policy(ctx, policy_arn=arn)
    assert entities["PolicyRoles"][0]["RoleName"] == "r" and entities["PolicyUsers"] == []
    iam.detach_role_policy(ctx, role_name="r", policy_arn=arn)
    assert iam.get_policy(ctx, policy_arn=arn)["Policy"]["AttachmentCount"] == 0
    assert iam.list_attached_role_policies(ctx, role_name="r")["AttachedPolicies"] == []


def test_attach_unknown_policy_message(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("r")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    with pytest.raises(NoSuchEntity) as err:
        iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    assert err.value.message == f"Policy {arn} does not exist or is not attachable."


def test_attach_to_unknown_role(iam: IamService, ctx: CallContext, make_policy) -> None:
    with pytest.raises(NoSuchEntity) as err:
        iam.attach_role_policy(ctx, role_name="ghost", policy_arn=make_policy()["Arn"])
    assert err.value.message == "The role with name ghost cannot be found."


def test_detach_not_attached(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    make_role("r")
    with pytest.raises(NoSuchEntity):
        iam.detach_role_policy(ctx, role_name="r", policy_arn=make_policy()["Arn"])


@pytest.mark.parametrize("entity", ["role", "user", "group"])
def test_ten_managed_policies_per_entity(
    iam: IamService, ctx: CallContext, make_role, make_policy, entity: str
) -> None:
    if entity == "role":
        make_role("e")
    elif entity == "user":
        iam.create_user(ctx, user_name="e")
    else:
        iam.create_group(ctx, group_name="e")
    attach = getattr(iam, f"attach_{entity}_policy")
    arns = [make_policy(f"p{i}")["Arn"] for i in range(11)]
    for arn in arns[:10]:
        attach(ctx, **{f"{entity}_name": "e", "policy_arn": arns[0] if False else arn})
    with pytest.raises(LimitExceeded) as err:
        attach(ctx, **{f"{entity}_name": "e", "policy_arn": arns[10]})
    assert err.value.message == f"Cannot exceed quota for PoliciesPer{entity.capitalize()}: 10"
    assert iam.get_policy(ctx, policy_arn=arns[10])["Policy"]["AttachmentCount"] == 0


def test_list_attached_policies_path_prefix(
    iam: IamService, ctx: CallContext, make_role, make_policy
) -> None:
    make_role("r")
    a = make_policy("a", path="/one/")["Arn"]
    b = make_policy("b", path="/two/")["Arn"]
    iam.attach_role_policy(ctx, role_name="r", policy_arn=a)
    iam.attach_role_policy(ctx, role_name="r", policy_arn=b)
    listed = iam.list_attached_role_policies(ctx, role_name="r", path_prefix="/two/")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in listed] == [b]


def test_list_entities_for_policy_filters(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    make_role("r", path="/svc/")
    iam.create_user(ctx, user_name="u")
    iam.create_group(ctx, group_name="g")
    iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    iam.attach_user_policy(ctx, user_name="u", policy_arn=arn)
    iam.attach_group_policy(ctx, group_name="g", policy_arn=arn)
    users_only = iam.list_entities_for_policy(ctx, policy_arn=arn, entity_filter="User")
    assert [u["UserName"] for u in users_only["PolicyUsers"]] == ["u"]
    assert users_only["PolicyRoles"] == [] and users_only["PolicyGroups"] == []
    in_path = iam.list_entities_for_policy(ctx, policy_arn=arn, path_prefix="/svc/")
    assert [r["RoleName"] for r in in_path["PolicyRoles"]] == ["r"] and in_path["PolicyUsers"] == []
    everything = iam.list_entities_for_policy(ctx, policy_arn=arn)
    assert len(everything["PolicyGroups"]) == 1 and everything["PolicyGroups"][0]["GroupId"].startswith(
        "AGPA"
    )


def test_list_entities_for_boundary_usage(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    make_role("r", permissions_boundary=arn)
    as_boundary = iam.list_entities_for_policy(ctx, policy_arn=arn, policy_usage_filter="PermissionsBoundary")
    assert [r["RoleName"] for r in as_boundary["PolicyRoles"]] == ["r"]
    as_permissions = iam.list_entities_for_policy(
        ctx, policy_arn=arn, policy_usage_filter="PermissionsPolicy"
    )
    assert as_permissions["PolicyRoles"] == []
    iam.attach_role_policy(ctx, role_name="r", policy_arn=arn)
    make_role("other")
    iam.attach_role_policy(ctx, role_name="other", policy_arn=arn)
    either_way = iam.list_entities_for_policy(ctx, policy_arn=arn)["PolicyRoles"]
    assert [r["RoleName"] for r in either_way] == ["other", "r"]  # each entity once


def test_list_entities_for_policy_pages(iam: IamService, ctx: CallContext, make_role, make_policy) -> None:
    arn = make_policy("p")["Arn"]
    for i in range(5):
        make_role(f"r{i}")
        iam.attach_role_policy(ctx, role_name=f"r{i}", policy_arn=arn)
    first = iam.list_entities_for_policy(ctx, policy_arn=arn, max_items=3)
    assert len(first["PolicyRoles"]) == 3 and first["IsTruncated"] is True
    rest = iam.list_entities_for_policy(ctx, policy_arn=arn, max_items=3, marker=first["Marker"])
    assert len(rest["PolicyRoles"]) == 2 and rest["IsTruncated"] is False
    names = [r["RoleName"] for r in first["PolicyRoles"] + rest["PolicyRoles"]]
    assert sorted(names) == [f"r{i}" for i in range(5)]


CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
SERVICE_ROLE_POLICY = "arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy"


def test_attach_aws_managed_policy_counts_per_account(iam: IamService, ctx: CallContext, make_role) -> None:
    make_role("cluster")
    iam.attach_role_policy(ctx, role_name="cluster", policy_arn=CLUSTER_POLICY)
    assert iam.get_policy(ctx, policy_arn=CLUSTER_POLICY)["Policy"]["AttachmentCount"] == 1
    listed = iam.list_attached_role_policies(ctx, role_name="cluster")["AttachedPolicies"]
    assert listed == [{"PolicyName": "AmazonEKSClusterPolicy", "PolicyArn": CLUSTER_POLICY}]
    attached = iam.list_policies(ctx, scope="AWS", only_attached=True)["Policies"]
    assert [p["Arn"] for p in attached] == [CLUSTER_POLICY]
    iam.detach_role_policy(ctx, role_name="cluster", policy_arn=CLUSTER_POLICY)
    assert iam.get_policy(ctx, policy_arn=CLUSTER_POLICY)["Policy"]["AttachmentCount"] == 0


def test_service_role_policy_is_not_attachable(iam: IamService, ctx: CallContext, make_role) -> None:
    from eksiam.services.iam.errors import PolicyNotAttachable

    make_role("r")
    with pytest.raises(PolicyNotAttachable) as err:
        iam.attach_role_policy(ctx, role_name="r", policy_arn=SERVICE_ROLE_POLICY)
    assert err.value.message == "Cannot attach a Service Role Policy to a Customer Role."
    with pytest.raises(PolicyNotAttachable):
        iam.put_role_permissions_boundary(ctx, role_name="r", permissions_boundary=SERVICE_ROLE_POLICY)
    assert iam.list_attached_role_policies(ctx, role_name="r")["AttachedPolicies"] == []


def test_aws_managed_policy_cannot_be_changed(iam: IamService, ctx: CallContext) -> None:
    from eksiam.errors import ServiceError

    for call in (
        lambda: iam.delete_policy(ctx, policy_arn=CLUSTER_POLICY),
        lambda: iam.create_policy_version(ctx, policy_arn=CLUSTER_POLICY, policy_document=identity_policy()),
        lambda: iam.tag_policy(ctx, policy_arn=CLUSTER_POLICY, tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(ServiceError) as err:
            call()
        assert err.value.code == "AccessDenied"
    assert iam.get_policy(ctx, policy_arn=CLUSTER_POLICY)["Policy"]["PolicyName"] == "AmazonEKSClusterPolicy"
