"""Every IAM operation asks the authorizer, with the stored entity's ARN (path included) and tags
(IAM User Guide, "Policy evaluation logic"; "Controlling access to IAM resources")."""

from __future__ import annotations

import json

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.services import Authorizer, CallContext, Caller, CallerKind, IamService
from eksiam.storage import Store

from .conftest import ACCOUNT, NOW, context, trust_policy


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def guarded(store: Store) -> IamService:
    settings = Settings(account_id=ACCOUNT)
    return IamService(store, ManualClock(NOW), settings, authorizer=Authorizer(store, settings))


def _as_user(iam: IamService, name: str, *statements: dict[str, object]) -> CallContext:
    root = context()
    iam.create_user(root, user_name=name)
    if statements:
        iam.put_user_policy(root, user_name=name, policy_name="p", policy_document=_policy(*statements))
    user = iam.get_user(root, user_name=name)["User"]
    return context(caller=Caller(CallerKind.USER, user["Arn"], ACCOUNT, user["UserId"]))


def test_root_may_do_anything(guarded: IamService) -> None:
    assert guarded.create_role(context(), role_name="r", assume_role_policy_document=trust_policy())


def test_user_without_policies_is_denied_and_nothing_changes(guarded: IamService) -> None:
    nobody = _as_user(guarded, "nobody")
    with pytest.raises(ServiceError) as err:
        guarded.create_role(nobody, role_name="r", assume_role_policy_document=trust_policy())
    assert err.value.code == "AccessDenied" and err.value.status == 403
    assert "iam:CreateRole" in err.value.message
    assert guarded.list_roles(context())["Roles"] == []


def test_resource_arn_includes_the_role_path(guarded: IamService) -> None:
    root = context()
    guarded.create_role(root, role_name="app", path="/team-a/", assume_role_policy_document=trust_policy())
    guarded.create_role(root, role_name="other", assume_role_policy_document=trust_policy())
    reader = _as_user(
        guarded,
        "reader",
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/team-a/*"},
    )
    assert guarded.get_role(reader, role_name="app")["Role"]["Path"] == "/team-a/"
    with pytest.raises(ServiceError):
        guarded.get_role(reader, role_name="other")


def test_resource_tags_are_condition_values(guarded: IamService) -> None:
    root = context()
    guarded.create_role(
        root,
        role_name="dev",
        assume_role_policy_document=trust_policy(),
        tags=[{"Key": "env", "Value": "dev"}],
    )
    guarded.create_role(root, role_name="prod", assume_role_policy_document=trust_policy())
    tagger = _as_user(
        guarded,
        "tagger",
        {
            "Effect": "Allow",
            "Action": "iam:UpdateRoleDescription",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}},
        },
    )
    guarded.update_role_description(tagger, role_name="dev", description="ok")
    with pytest.raises(ServiceError):
        guarded.update_role_description(tagger, role_name="prod", description="no")


def test_request_tags_are_condition_values(guarded: IamService) -> None:
    creator = _as_user(
        guarded,
        "creator",
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/team": "a"}},
        },
    )
    with pytest.raises(ServiceError):
        guarded.create_role(creator, role_name="untagged", assume_role_policy_document=trust_policy())
    guarded.create_role(
        creator,
        role_name="tagged",
        assume_role_policy_document=trust_policy(),
        tags=[{"Key": "team", "Value": "a"}],
    )


def test_list_operations_are_authorized_on_star(guarded: IamService) -> None:
    lister = _as_user(guarded, "lister", {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"})
    assert guarded.list_roles(lister)["Roles"] == []
    assert len(guarded.list_users(lister)["Users"]) == 1
