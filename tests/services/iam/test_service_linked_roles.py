"""Service-linked roles, as iam-rules.md 6 and shared/data/service-linked-roles.json describe them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from tests.services.iam.conftest import ACCOUNT, NOW, identity_policy, trust_policy

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.services import CallContext, IamService
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.iam.quotas import Quotas
from eksiam.services.iam.service_linked_roles import RoleUsage, ServiceLinkedRoles
from eksiam.storage import Store

EKS = "eks.amazonaws.com"
EKS_ROLE = "AWSServiceRoleForAmazonEKS"
EKS_POLICY = "arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy"
TASK_ID = re.compile(r"^task/aws-service-role/eks\.amazonaws\.com/AWSServiceRoleForAmazonEKS/[0-9a-f-]{36}$")


def service_class() -> type[IamService]:
    """IamService with the SLR operations, whether or not IAM core has mounted them yet."""
    if issubclass(IamService, ServiceLinkedRoles):
        return IamService
    return type("IamWithServiceLinkedRoles", (ServiceLinkedRoles, IamService), {})


@pytest.fixture
def iam(store: Store) -> Any:
    return service_class()(
        store, ManualClock(NOW), Settings(account_id=ACCOUNT), catalog=AwsManagedPolicies()
    )


def expect(code: str, call: Callable[[], Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_create_builds_name_path_trust_and_policy(iam: Any, ctx: CallContext) -> None:
    role = iam.create_service_linked_role(ctx, aws_service_name=EKS)["Role"]
    assert role["RoleName"] == EKS_ROLE
    assert role["Path"] == "/aws-service-role/eks.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/eks.amazonaws.com/{EKS_ROLE}"
    assert role["RoleId"].startswith("AROA")
    assert role["MaxSessionDuration"] == 3600
    assert role["Description"] == "Allows Amazon EKS to call AWS services on your behalf."
    trust = json.loads(unquote(role["AssumeRolePolicyDocument"]))
    assert trust["Statement"][0]["Principal"] == {"Service": [EKS]}
    assert trust["Statement"][0]["Action"] == ["sts:AssumeRole"]
    attached = iam.list_attached_role_policies(ctx, role_name=EKS_ROLE)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonEKSServiceRolePolicy", "PolicyArn": EKS_POLICY}]
    assert iam.get_role(ctx, role_name=EKS_ROLE)["Role"]["Arn"] == role["Arn"]


def test_create_keeps_a_caller_description(iam: Any, ctx: CallContext) -> None:
    role = iam.create_service_linked_role(ctx, aws_service_name=EKS, description="for my clusters")["Role"]
    assert role["Description"] == "for my clusters"


def test_unknown_service_is_invalid_input_and_creates_nothing(iam: Any, ctx: CallContext) -> None:
    expect("InvalidInput", lambda: iam.create_service_linked_role(ctx, aws_service_name="nope.amazonaws.com"))
    assert iam.list_roles(ctx)["Roles"] == []


def test_custom_suffix_only_where_the_service_allows_it(iam: Any, ctx: CallContext) -> None:
    error = expect(
        "InvalidInput", lambda: iam.create_service_linked_role(ctx, aws_service_name=EKS, custom_suffix="x")
    )
    assert error.message == "Custom suffix is not allowed for eks.amazonaws.com"
    role = iam.create_service_linked_role(
        ctx, aws_service_name="autoscaling.amazonaws.com", custom_suffix="kms"
    )
    assert role["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_kms"
    assert role["Role"]["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    plain = iam.create_service_linked_role(ctx, aws_service_name="autoscaling.amazonaws.com")
    assert plain["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling"


def test_second_create_for_the_same_name_fails(iam: Any, ctx: CallContext) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    error = expect("InvalidInput", lambda: iam.create_service_linked_role(ctx, aws_service_name=EKS))
    assert EKS_ROLE in error.message
    assert len(iam.list_roles(ctx)["Roles"]) == 1


def test_service_linked_roles_may_exceed_the_role_quota(store: Store, ctx: CallContext) -> None:
    iam = service_class()(
        store,
        ManualClock(NOW),
        Settings(account_id=ACCOUNT),
        catalog=AwsManagedPolicies(),
        quotas=Quotas(roles=1),
    )
    iam.create_role(ctx, role_name="only", assume_role_policy_document=trust_policy())
    expect(
        "LimitExceeded",
        lambda: iam.create_role(ctx, role_name="more", assume_role_policy_document=trust_policy()),
    )
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    assert len(iam.list_roles(ctx)["Roles"]) == 2


def test_only_description_and_tags_change(iam: Any, ctx: CallContext) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    iam.update_role_description(ctx, role_name=EKS_ROLE, description="new words")
    iam.update_role(ctx, role_name=EKS_ROLE, description="newer words")
    iam.tag_role(ctx, role_name=EKS_ROLE, tags=[{"Key": "team", "Value": "platform"}])
    role = iam.get_role(ctx, role_name=EKS_ROLE)["Role"]
    assert role["Description"] == "newer words"
    assert role["Tags"] == [{"Key": "team", "Value": "platform"}]


@pytest.mark.parametrize(
    "change",
    [
        lambda iam, ctx: iam.update_assume_role_policy(
            ctx, role_name=EKS_ROLE, policy_document=trust_policy()
        ),
        lambda iam, ctx: iam.attach_role_policy(
            ctx, role_name=EKS_ROLE, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
        ),
        lambda iam, ctx: iam.detach_role_policy(ctx, role_name=EKS_ROLE, policy_arn=EKS_POLICY),
        lambda iam, ctx: iam.put_role_policy(
            ctx, role_name=EKS_ROLE, policy_name="extra", policy_document=identity_policy()
        ),
        lambda iam, ctx: iam.delete_role_policy(ctx, role_name=EKS_ROLE, policy_name="extra"),
        lambda iam, ctx: iam.delete_role(ctx, role_name=EKS_ROLE),
        lambda iam, ctx: iam.put_role_permissions_boundary(
            ctx, role_name=EKS_ROLE, permissions_boundary="arn:aws:iam::aws:policy/ReadOnlyAccess"
        ),
        lambda iam, ctx: iam.delete_role_permissions_boundary(ctx, role_name=EKS_ROLE),
        lambda iam, ctx: iam.update_role(ctx, role_name=EKS_ROLE, max_session_duration=7200),
    ],
    ids=[
        "UpdateAssumeRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "DeleteRole",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "UpdateRole.MaxSessionDuration",
    ],
)
def test_everything_else_is_unmodifiable(iam: Any, ctx: CallContext, change: Callable[..., Any]) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    before = iam.get_role(ctx, role_name=EKS_ROLE)["Role"]
    error = expect("UnmodifiableEntity", lambda: change(iam, ctx))
    assert error.message == (
        f"Cannot perform the operation on the protected role '{EKS_ROLE}'"
        " - this role is only modifiable by AWS"
    )
    assert iam.get_role(ctx, role_name=EKS_ROLE)["Role"] == before
    attached = iam.list_attached_role_policies(ctx, role_name=EKS_ROLE)["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [EKS_POLICY]


def test_adding_a_service_linked_role_to_an_instance_profile_is_unmodifiable(
    iam: Any, ctx: CallContext
) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    iam.create_instance_profile(ctx, instance_profile_name="nodes")
    expect(
        "UnmodifiableEntity",
        lambda: iam.add_role_to_instance_profile(ctx, instance_profile_name="nodes", role_name=EKS_ROLE),
    )


def test_reserved_policy_attaches_to_its_role_only(iam: Any, ctx: CallContext) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    iam.create_role(ctx, role_name="custom", assume_role_policy_document=trust_policy())
    expect(
        "PolicyNotAttachable", lambda: iam.attach_role_policy(ctx, role_name="custom", policy_arn=EKS_POLICY)
    )
    iam.create_user(ctx, user_name="alice")
    expect(
        "PolicyNotAttachable", lambda: iam.attach_user_policy(ctx, user_name="alice", policy_arn=EKS_POLICY)
    )
    iam.create_group(ctx, group_name="ops")
    expect(
        "PolicyNotAttachable", lambda: iam.attach_group_policy(ctx, group_name="ops", policy_arn=EKS_POLICY)
    )
    expect(
        "PolicyNotAttachable",
        lambda: iam.put_user_permissions_boundary(ctx, user_name="alice", permissions_boundary=EKS_POLICY),
    )
    assert iam.get_policy(ctx, policy_arn=EKS_POLICY)["Policy"]["AttachmentCount"] == 1


def test_deletion_runs_through_every_status(iam: Any, ctx: CallContext) -> None:
    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    task = iam.delete_service_linked_role(ctx, role_name=EKS_ROLE)["DeletionTaskId"]
    assert TASK_ID.match(task)
    assert iam.delete_service_linked_role(ctx, role_name=EKS_ROLE)["DeletionTaskId"] == task
    assert iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task) == {
        "Status": "IN_PROGRESS"
    }
    assert iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task) == {"Status": "SUCCEEDED"}
    assert iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task) == {"Status": "SUCCEEDED"}
    expect("NoSuchEntity", lambda: iam.get_role(ctx, role_name=EKS_ROLE))
    assert iam.get_policy(ctx, policy_arn=EKS_POLICY)["Policy"]["AttachmentCount"] == 0
    # Gone for good: it can be created again, with a new unique id.
    assert iam.create_service_linked_role(ctx, aws_service_name=EKS)["Role"]["RoleName"] == EKS_ROLE


def test_resources_in_use_fail_the_deletion_with_their_arns(iam: Any, ctx: CallContext) -> None:
    role_arn = iam.create_service_linked_role(ctx, aws_service_name=EKS)["Role"]["Arn"]
    clusters = ["arn:aws:eks:us-west-2:123456789012:cluster/prod"]
    seen: list[tuple[str, str]] = []

    def usage(account: str, arn: str) -> list[RoleUsage]:
        seen.append((account, arn))
        return [RoleUsage("us-west-2", tuple(clusters))] if clusters else []

    iam.register_usage_provider(EKS, usage)
    task = iam.delete_service_linked_role(ctx, role_name=EKS_ROLE)["DeletionTaskId"]
    iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task)
    failed = iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=task)
    assert failed["Status"] == "FAILED"
    assert failed["Reason"]["RoleUsageList"] == [{"Region": "us-west-2", "Resources": clusters}]
    assert seen == [(ACCOUNT, role_arn)]
    assert iam.get_role(ctx, role_name=EKS_ROLE)["Role"]["Arn"] == role_arn
    # Once the cluster is gone, a new request starts a new task that succeeds.
    clusters.clear()
    again = iam.delete_service_linked_role(ctx, role_name=EKS_ROLE)["DeletionTaskId"]
    assert again != task
    iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=again)
    assert iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=again)["Status"] == "SUCCEEDED"


def test_deletion_errors(iam: Any, ctx: CallContext) -> None:
    expect("NoSuchEntity", lambda: iam.delete_service_linked_role(ctx, role_name=EKS_ROLE))
    iam.create_role(ctx, role_name="custom", assume_role_policy_document=trust_policy())
    expect("InvalidInput", lambda: iam.delete_service_linked_role(ctx, role_name="custom"))
    expect(
        "InvalidInput", lambda: iam.get_service_linked_role_deletion_status(ctx, deletion_task_id="task/x")
    )
    unknown = f"task/aws-service-role/{EKS}/{EKS_ROLE}/00000000-0000-0000-0000-000000000000"
    expect("NoSuchEntity", lambda: iam.get_service_linked_role_deletion_status(ctx, deletion_task_id=unknown))


def test_service_creates_its_role_idempotently(iam: Any, ctx: CallContext) -> None:
    first = iam.ensure_service_linked_role(ctx, "eks-nodegroup.amazonaws.com")
    second = iam.ensure_service_linked_role(ctx, "eks-nodegroup.amazonaws.com")
    assert first["RoleId"] == second["RoleId"]
    assert first["RoleName"] == "AWSServiceRoleForAmazonEKSNodegroup"
    attached = iam.list_attached_role_policies(ctx, role_name=first["RoleName"])["AttachedPolicies"]
    assert (
        attached[0]["PolicyArn"]
        == "arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonEKSNodegroup"
    )


def test_accounts_are_separate(iam: Any, ctx: CallContext) -> None:
    from tests.services.iam.conftest import OTHER_ACCOUNT, context

    iam.create_service_linked_role(ctx, aws_service_name=EKS)
    other = iam.create_service_linked_role(context(OTHER_ACCOUNT), aws_service_name=EKS)["Role"]
    assert other["Arn"].startswith(f"arn:aws:iam::{OTHER_ACCOUNT}:role/aws-service-role/")
