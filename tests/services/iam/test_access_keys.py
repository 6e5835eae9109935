"""Access keys (IAM API reference: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed; iam-rules.md 2 and 3.1)."""

from __future__ import annotations

import pytest

from eksiam.services import CallContext, Caller, CallerKind, IamService
from eksiam.services.iam.errors import LimitExceeded, NoSuchEntity, ValidationError

from .conftest import ACCOUNT, OTHER_ACCOUNT, context


def test_create_access_key_returns_secret_once(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    key = iam.create_access_key(ctx, user_name="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active" and key["UserName"] == "alice"
    listed = iam.list_access_keys(ctx, user_name="alice")["AccessKeyMetadata"]
    assert listed == [
        {
            "UserName": "alice",
            "AccessKeyId": key["AccessKeyId"],
            "Status": "Active",
            "CreateDate": key["CreateDate"],
        }
    ]
    assert key["SecretAccessKey"] not in repr(listed)


def test_two_keys_per_user(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    iam.create_access_key(ctx, user_name="alice")
    iam.create_access_key(ctx, user_name="alice")
    with pytest.raises(LimitExceeded) as err:
        iam.create_access_key(ctx, user_name="alice")
    assert err.value.message == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert len(iam.list_access_keys(ctx, user_name="alice")["AccessKeyMetadata"]) == 2


def test_update_and_delete_access_key(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    key_id = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(ctx, user_name="alice", access_key_id=key_id, status="Inactive")
    assert iam.list_access_keys(ctx, user_name="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ValidationError):
        iam.update_access_key(ctx, user_name="alice", access_key_id=key_id, status="Paused")
    iam.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
    assert iam.list_access_keys(ctx, user_name="alice")["AccessKeyMetadata"] == []
    with pytest.raises(NoSuchEntity) as err:
        iam.delete_access_key(ctx, user_name="alice", access_key_id=key_id)
    assert err.value.message == f"The Access Key with id {key_id} cannot be found."


def test_key_of_another_user_is_not_found(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    iam.create_user(ctx, user_name="bob")
    key_id = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]
    with pytest.raises(NoSuchEntity):
        iam.delete_access_key(ctx, user_name="bob", access_key_id=key_id)


def test_never_used_key_reports_na(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    key_id = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]
    out = iam.get_access_key_last_used(ctx, access_key_id=key_id)
    assert out == {"UserName": "alice", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}


def test_key_is_invisible_from_another_account(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    key_id = iam.create_access_key(ctx, user_name="alice")["AccessKey"]["AccessKeyId"]
    with pytest.raises(NoSuchEntity):
        iam.get_access_key_last_used(context(OTHER_ACCOUNT), access_key_id=key_id)


def test_user_caller_manages_own_keys_without_user_name(iam: IamService, ctx: CallContext) -> None:
    iam.create_user(ctx, user_name="alice")
    caller = Caller(CallerKind.USER, f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "AIDAX")
    key = iam.create_access_key(context(caller=caller))["AccessKey"]
    assert key["UserName"] == "alice"


def test_role_caller_must_name_the_user(iam: IamService) -> None:
    caller = Caller(CallerKind.ASSUMED_ROLE, f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", ACCOUNT, "AROAX:s")
    with pytest.raises(ValidationError) as err:
        iam.create_access_key(context(caller=caller))
    assert err.value.message == "Must specify userName when calling with non-User credentials"
