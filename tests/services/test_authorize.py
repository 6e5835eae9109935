"""Authorizer: the caller's policies from the store, AWS's request context, AWS's AccessDenied texts
(IAM User Guide, "Policy evaluation logic", "AWS global condition context keys", "Troubleshoot
access denied error messages")."""

from __future__ import annotations

import dataclasses
import inspect
import json
from datetime import timedelta
from typing import Any

import botocore.session
import pytest
from tests.services.iam.conftest import ACCOUNT, NOW, context, trust_policy

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.policy import PolicyKind, parse_policy
from eksiam.services import CallContext, IamService, build_services
from eksiam.services.authorize import AccessDenied, Authorizer
from eksiam.services.authz_generation import GENERATION, current_generation, track_policy_changes
from eksiam.services.credentials import CredentialResolver
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.operations_auth import Mode, operation_auth
from eksiam.services.sts import sessions
from eksiam.storage import Store

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/target"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


class World:
    """An account with IAM on the tracked store, an authorizer, and a way to act as a user."""

    def __init__(self, store: Store, enforce: bool = True) -> None:
        self.store = track_policy_changes(store)
        self.settings = Settings(account_id=ACCOUNT, enforce=enforce)
        self.authz = Authorizer(self.store, self.settings)
        self.iam = IamService(self.store, ManualClock(NOW), self.settings, catalog=AwsManagedPolicies())
        self.admin = context()
        self.resolver = CredentialResolver(self.store, self.settings, ManualClock(NOW))

    def user(self, name: str = "alice", *, tags: list[dict[str, str]] | None = None) -> CallContext:
        self.iam.create_user(self.admin, user_name=name, tags=tags or [])
        key = self.iam.create_access_key(self.admin, user_name=name)["AccessKey"]["AccessKeyId"]
        resolved = self.resolver.lookup(key)
        assert resolved is not None
        return context(caller=resolved.caller)

    def denied(
        self, ctx: CallContext, action: str, resource: str, extra: dict[str, Any] | None = None
    ) -> str:
        with pytest.raises(AccessDenied) as caught:
            self.authz.require(ctx, action, resource, extra)
        assert (caught.value.code, caught.value.status) == ("AccessDenied", 403)
        return caught.value.message


@pytest.fixture
def world(store: Store) -> World:
    return World(store)


def test_user_without_policies_gets_the_identity_based_message(world: World) -> None:
    alice = world.user()
    message = world.denied(alice, "iam:CreateRole", ROLE_ARN)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateRole on resource:"
        f" {ROLE_ARN} because no identity-based policy allows the iam:CreateRole action"
    )


@pytest.mark.parametrize(
    "via", ["inline", "customer-managed", "aws-managed", "group-inline", "group-managed"]
)
def test_every_identity_policy_source_grants(world: World, via: str) -> None:
    alice, admin, iam = world.user(), world.admin, world.iam
    grant = document(allow("iam:GetRole"))
    if via == "inline":
        iam.put_user_policy(admin, user_name="alice", policy_name="p", policy_document=grant)
    elif via == "customer-managed":
        arn = iam.create_policy(admin, policy_name="p", policy_document=grant)["Policy"]["Arn"]
        iam.attach_user_policy(admin, user_name="alice", policy_arn=arn)
    elif via == "aws-managed":
        iam.attach_user_policy(admin, user_name="alice", policy_arn="arn:aws:iam::aws:policy/IAMFullAccess")
    else:
        iam.create_group(admin, group_name="devs")
        iam.add_user_to_group(admin, group_name="devs", user_name="alice")
        if via == "group-inline":
            iam.put_group_policy(admin, group_name="devs", policy_name="p", policy_document=grant)
        else:
            arn = iam.create_policy(admin, policy_name="p", policy_document=grant)["Policy"]["Arn"]
            iam.attach_group_policy(admin, group_name="devs", policy_arn=arn)
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)


def test_explicit_deny_names_the_managed_policy(world: World) -> None:
    alice, admin, iam = world.user(), world.admin, world.iam
    iam.put_user_policy(admin, user_name="alice", policy_name="all", policy_document=document(allow("*")))
    arn = iam.create_policy(admin, policy_name="no-delete", policy_document=document(deny("iam:DeleteRole")))
    iam.attach_user_policy(admin, user_name="alice", policy_arn=arn["Policy"]["Arn"])
    message = world.denied(alice, "iam:DeleteRole", ROLE_ARN)
    assert message.endswith(
        f"iam:DeleteRole on resource: {ROLE_ARN} with an explicit deny in an identity-based policy:"
        f" arn:aws:iam::{ACCOUNT}:policy/no-delete"
    )


def test_boundary_limits_and_is_named(world: World) -> None:
    alice, admin, iam = world.user(), world.admin, world.iam
    iam.put_user_policy(admin, user_name="alice", policy_name="all", policy_document=document(allow("iam:*")))
    boundary = iam.create_policy(admin, policy_name="b", policy_document=document(allow("iam:Get*")))
    iam.put_user_permissions_boundary(
        admin, user_name="alice", permissions_boundary=boundary["Policy"]["Arn"]
    )
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)
    message = world.denied(alice, "iam:CreateRole", ROLE_ARN)
    assert message.endswith("because no permissions boundary allows the iam:CreateRole action")


def _role_session(world: World, **session: Any) -> CallContext:
    role = world.iam.create_role(world.admin, role_name="target", assume_role_policy_document=trust_policy())
    creds = sessions.NewCredentials.generate(ACCOUNT)
    record = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Expiration": (NOW + timedelta(hours=1)).isoformat(),
        "IssuedAt": NOW.isoformat(),
        "Type": "assumed-role",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/target/s1",
        "UserId": f"{role['Role']['RoleId']}:s1",
        "PrincipalKind": "assumed-role",
        "RoleArn": role["Role"]["Arn"],
        "RoleName": "target",
        "RoleId": role["Role"]["RoleId"],
        "SessionName": "s1",
        **session,
    }
    resolved = world.resolver.lookup(creds.access_key_id, world.resolver.tokens.seal(record))
    assert resolved is not None
    return context(caller=resolved.caller)


def test_role_session_uses_the_role_policies(world: World) -> None:
    session = _role_session(world)
    message = world.denied(session, "eks:DescribeCluster", "arn:aws:eks:us-east-1:123456789012:cluster/c")
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/target/s1 is not authorized")
    world.iam.put_role_policy(
        world.admin, role_name="target", policy_name="p", policy_document=document(allow("eks:Describe*"))
    )
    world.authz.require(session, "eks:DescribeCluster", "arn:aws:eks:us-east-1:123456789012:cluster/c")


def test_session_policy_narrows_the_role(world: World) -> None:
    session = _role_session(world, SessionPolicies=[document(allow("eks:DescribeCluster"))])
    world.iam.put_role_policy(
        world.admin, role_name="target", policy_name="p", policy_document=document(allow("eks:*"))
    )
    cluster = "arn:aws:eks:us-east-1:123456789012:cluster/c"
    world.authz.require(session, "eks:DescribeCluster", cluster)
    message = world.denied(session, "eks:DeleteCluster", cluster)
    assert message.endswith("because no session policy allows the eks:DeleteCluster action")


def test_session_of_a_deleted_role_has_no_permissions(world: World) -> None:
    session = _role_session(world)
    world.iam.put_role_policy(
        world.admin, role_name="target", policy_name="p", policy_document=document(allow("*"))
    )
    world.authz.require(session, "s3:ListBucket", "arn:aws:s3:::b")
    world.iam.delete_role_policy(world.admin, role_name="target", policy_name="p")
    world.iam.delete_role(world.admin, role_name="target")
    world.iam.create_role(world.admin, role_name="target", assume_role_policy_document=trust_policy())
    world.iam.put_role_policy(
        world.admin, role_name="target", policy_name="p", policy_document=document(allow("*"))
    )
    world.denied(session, "s3:ListBucket", "arn:aws:s3:::b")


def test_policy_changes_are_never_served_stale(world: World) -> None:
    alice, admin, iam = world.user(), world.admin, world.iam
    arn = iam.create_policy(admin, policy_name="p", policy_document=document(allow("iam:GetRole")))["Policy"][
        "Arn"
    ]
    iam.attach_user_policy(admin, user_name="alice", policy_arn=arn)
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)  # cached
    iam.create_policy_version(
        admin, policy_arn=arn, policy_document=document(allow("iam:ListRoles")), set_as_default=True
    )
    world.denied(alice, "iam:GetRole", ROLE_ARN)
    iam.set_default_policy_version(admin, policy_arn=arn, version_id="v1")
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)
    iam.detach_user_policy(admin, user_name="alice", policy_arn=arn)
    world.denied(alice, "iam:GetRole", ROLE_ARN)


def test_group_membership_changes_take_effect(world: World) -> None:
    alice, admin, iam = world.user(), world.admin, world.iam
    iam.create_group(admin, group_name="devs")
    iam.put_group_policy(
        admin, group_name="devs", policy_name="p", policy_document=document(allow("iam:GetRole"))
    )
    world.denied(alice, "iam:GetRole", ROLE_ARN)
    iam.add_user_to_group(admin, group_name="devs", user_name="alice")
    world.authz.require(alice, "iam:GetRole", ROLE_ARN)
    iam.remove_user_from_group(admin, group_name="devs", user_name="alice")
    world.denied(alice, "iam:GetRole", ROLE_ARN)


def test_principal_tags_and_transport_reach_conditions(world: World) -> None:
    alice = world.user(tags=[{"Key": "team", "Value": "blue"}])
    condition = {"StringEquals": {"aws:PrincipalTag/team": "blue"}, "Bool": {"aws:SecureTransport": "true"}}
    world.iam.put_user_policy(
        world.admin,
        user_name="alice",
        policy_name="p",
        policy_document=document(allow("iam:GetRole", Condition=condition)),
    )
    world.denied(alice, "iam:GetRole", ROLE_ARN)
    secure = dataclasses.replace(alice, secure_transport=True)
    world.authz.require(secure, "iam:GetRole", ROLE_ARN)
    world.iam.tag_user(world.admin, user_name="alice", tags=[{"Key": "team", "Value": "red"}])
    world.denied(secure, "iam:GetRole", ROLE_ARN)


def test_pass_role_sees_the_service_it_is_passed_to(world: World) -> None:
    alice = world.user()
    condition = {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}}
    world.iam.put_user_policy(
        world.admin,
        user_name="alice",
        policy_name="p",
        policy_document=document(allow("iam:PassRole", Condition=condition)),
    )
    world.authz.require_pass_role(alice, ROLE_ARN, "eks.amazonaws.com")
    with pytest.raises(AccessDenied):
        world.authz.require_pass_role(alice, ROLE_ARN, "ec2.amazonaws.com")


def test_root_is_allowed_and_anonymous_is_not(world: World) -> None:
    world.authz.require(world.admin, "iam:DeleteRole", ROLE_ARN)
    anonymous = CallContext(account=ACCOUNT, region="us-east-1", request_id="r", now=NOW)
    message = world.denied(anonymous, "iam:GetRole", ROLE_ARN)
    assert message.startswith("User: anonymous is not authorized to perform: iam:GetRole")


def test_only_unrestricted_root_or_no_enforcement_allows_everything(store: Store, world: World) -> None:
    assert world.authz.allows_everything(world.admin)  # root, no SCP
    assert not world.authz.allows_everything(world.user())
    anonymous = CallContext(account=ACCOUNT, region="us-east-1", request_id="r", now=NOW)
    assert not world.authz.allows_everything(anonymous)
    deny_all = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [deny("*")]}), PolicyKind.SCP)
    fenced = Authorizer(world.store, world.settings, scps=lambda account: [[deny_all]])
    assert not fenced.allows_everything(world.admin)  # an SCP binds root too
    with pytest.raises(AccessDenied):
        fenced.require(world.admin, "iam:DeleteRole", ROLE_ARN)
    assert World(store, enforce=False).authz.allows_everything(world.user("bob"))


def test_enforce_false_turns_checks_off(store: Store) -> None:
    off = World(store, enforce=False)
    anonymous = CallContext(account=ACCOUNT, region="us-east-1", request_id="r", now=NOW)
    off.authz.require(anonymous, "iam:DeleteRole", ROLE_ARN)
    off.authz.authorize_operation(anonymous, "iam", "DeleteRole", {"RoleName": "x"})


def test_operation_resource_uses_the_stored_path_and_iam_display(world: World) -> None:
    alice = world.user()
    world.iam.create_role(
        world.admin, role_name="deep", path="/a/b/", assume_role_policy_document=trust_policy()
    )
    with pytest.raises(AccessDenied) as caught:
        world.authz.authorize_operation(alice, "iam", "DeleteRole", {"RoleName": "deep"})
    assert f"on resource: arn:aws:iam::{ACCOUNT}:role/a/b/deep because" in caught.value.message
    with pytest.raises(AccessDenied) as get:
        world.authz.authorize_operation(alice, "iam", "GetRole", {"RoleName": "deep"})
    assert "perform: iam:GetRole on resource: role deep because no identity-based policy" in get.value.message


def test_operation_request_tags_reach_conditions(world: World) -> None:
    alice = world.user()
    condition = {"StringEquals": {"aws:RequestTag/env": "dev"}}
    world.iam.put_user_policy(
        world.admin,
        user_name="alice",
        policy_name="p",
        policy_document=document(allow("iam:CreateRole", Condition=condition)),
    )
    base = {"RoleName": "r", "AssumeRolePolicyDocument": trust_policy()}
    world.authz.authorize_operation(
        alice, "iam", "CreateRole", {**base, "Tags": [{"Key": "env", "Value": "dev"}]}
    )
    with pytest.raises(AccessDenied):
        world.authz.authorize_operation(
            alice, "iam", "CreateRole", {**base, "Tags": [{"Key": "env", "Value": "prod"}]}
        )
    eks_condition = {"StringEquals": {"aws:RequestTag/env": "dev"}}
    world.iam.put_user_policy(
        world.admin,
        user_name="alice",
        policy_name="q",
        policy_document=document(allow("eks:CreateCluster", Condition=eks_condition)),
    )
    world.authz.authorize_operation(alice, "eks", "CreateCluster", {"name": "c", "tags": {"env": "dev"}})


def test_get_caller_identity_needs_no_permission(world: World) -> None:
    alice = world.user()
    world.iam.put_user_policy(
        world.admin, user_name="alice", policy_name="p", policy_document=document(deny("*"))
    )
    world.authz.authorize_operation(alice, "sts", "GetCallerIdentity", {})


def test_iam_service_operations_are_authorized(store: Store) -> None:
    world = World(store)
    alice = world.user()
    guarded = IamService(
        world.store, ManualClock(NOW), world.settings, catalog=AwsManagedPolicies(), authorizer=world.authz
    )
    world.iam.attach_user_policy(
        world.admin, user_name="alice", policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    assert guarded.list_roles(alice)["Roles"] == []
    with pytest.raises(ServiceError) as caught:
        guarded.create_role(alice, role_name="x", assume_role_policy_document=trust_policy())
    assert caught.value.code == "AccessDenied"
    assert world.iam.list_roles(world.admin)["Roles"] == []


def test_untracked_writers_never_get_stale_answers(store: Store) -> None:
    settings = Settings(account_id=ACCOUNT)
    iam = IamService(store, ManualClock(NOW), settings)  # raw store: no generation bumps
    authz = Authorizer(store, settings)
    admin = context()
    iam.create_user(admin, user_name="alice")
    key = iam.create_access_key(admin, user_name="alice")["AccessKey"]["AccessKeyId"]
    resolved = CredentialResolver(store, settings).lookup(key)
    assert resolved is not None
    alice = context(caller=resolved.caller)
    iam.put_user_policy(
        admin, user_name="alice", policy_name="p", policy_document=document(allow("iam:GetRole"))
    )
    authz.require(alice, "iam:GetRole", ROLE_ARN)
    iam.delete_user_policy(admin, user_name="alice", policy_name="p")
    with pytest.raises(AccessDenied):
        authz.require(alice, "iam:GetRole", ROLE_ARN)


def test_eks_operations_are_authorized_by_the_operations_table(store: Store) -> None:
    settings = Settings(account_id=ACCOUNT)
    services = build_services(store, ManualClock(NOW), settings)
    admin = context()
    services.iam.create_user(admin, user_name="alice")
    key = services.iam.create_access_key(admin, user_name="alice")["AccessKey"]["AccessKeyId"]
    resolved = services.credentials.lookup(key)
    assert resolved is not None
    alice = context(caller=resolved.caller)
    assert "name" in inspect.signature(services.eks.describe_cluster).parameters
    with pytest.raises(AccessDenied) as caught:
        services.eks.describe_cluster(alice, name="prod")
    assert caught.value.json_code == "AccessDeniedException"
    assert caught.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: eks:DescribeCluster"
        f" on resource: arn:aws:eks:us-east-1:{ACCOUNT}:cluster/prod"
        " because no identity-based policy allows the eks:DescribeCluster action"
    )
    services.iam.put_user_policy(
        admin, user_name="alice", policy_name="p", policy_document=document(allow("eks:List*"))
    )
    assert services.eks.list_clusters(alice)["clusters"] == []
    with pytest.raises(AccessDenied):
        services.eks.describe_cluster(alice, name="prod")


def test_operation_table_covers_every_modelled_operation() -> None:
    session = botocore.session.get_session()
    for service, prefix in (("iam", "iam"), ("sts", "sts"), ("eks", "eks"), ("eks-auth", "eks-auth")):
        for operation in session.get_service_model(service).operation_names:
            spec = operation_auth(service, operation)
            assert spec is not None and spec.action == f"{prefix}:{operation}"
    where = {"partition": "aws", "region": "us-west-2", "account": ACCOUNT}
    nodegroup = operation_auth("eks", "DescribeNodegroup")
    assert nodegroup is not None
    assert nodegroup.resource_arn({"cluster_name": "c", "nodegroup_name": "n"}, **where) == (
        f"arn:aws:eks:us-west-2:{ACCOUNT}:nodegroup/c/n/*"
    )
    create = operation_auth("iam", "CreateRole")
    assert create is not None
    assert (
        create.resource_arn({"RoleName": "r", "Path": "/a/"}, **where) == f"arn:aws:iam::{ACCOUNT}:role/a/r"
    )
    attach = operation_auth("iam", "AttachRolePolicy")
    assert attach is not None and "iam:PolicyARN" in attach.condition_keys
    assert operation_auth("sts", "GetCallerIdentity").mode is Mode.NONE  # type: ignore[union-attr]
    assert operation_auth("sts", "AssumeRole").mode is Mode.SERVICE  # type: ignore[union-attr]


def test_every_tracked_policy_write_gives_the_account_a_new_generation(store: Store) -> None:
    tracked = track_policy_changes(store)
    iam = IamService(tracked, ManualClock(NOW), Settings(account_id=ACCOUNT))
    seen = [store.read(lambda uow: current_generation(uow, ACCOUNT))]
    for i in range(5):
        iam.create_role(context(), role_name=f"r{i}", assume_role_policy_document=trust_policy())
        seen.append(store.read(lambda uow: current_generation(uow, ACCOUNT)))
    assert seen[0] == 0 and all(g > 0 for g in seen[1:])
    assert len(set(seen)) == len(seen)  # each write moved it
    tracked.write(lambda uow: uow.put("eks-cluster", ACCOUNT, "x", {}))  # not an authorization kind
    assert store.read(lambda uow: uow.get(GENERATION, ACCOUNT, "policies"))["Generation"] == seen[-1]


def test_global_keys_are_the_request_s_time_source_transport_and_region() -> None:
    from datetime import UTC, datetime

    from eksiam.services.authorize import global_keys, lowered_global_keys

    when = datetime(2026, 11, 23, 12, 0, 5, 750000, tzinfo=UTC)
    ctx = CallContext(account=ACCOUNT, region="eu-west-1", request_id="r", now=when, source_ip="10.1.2.3")
    keys = global_keys(ctx)
    assert keys == {
        "aws:SourceIp": "10.1.2.3",
        "aws:CurrentTime": "2026-11-23T12:00:05Z",
        "aws:EpochTime": str(int(when.timestamp())),
        "aws:SecureTransport": "false",
        "aws:RequestedRegion": "eu-west-1",
    }
    keys["aws:UserAgent"] = "mine"  # a new dict each time: extending it changes no other request
    assert "aws:UserAgent" not in global_keys(ctx)
    assert lowered_global_keys(ctx) == {name.lower(): value for name, value in global_keys(ctx).items()}
    later = dataclasses.replace(ctx, now=when + timedelta(seconds=1))
    assert global_keys(later)["aws:CurrentTime"] == "2026-11-23T12:00:06Z"
