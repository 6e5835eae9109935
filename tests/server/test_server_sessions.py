"""Temporary credentials through the server: the session token must match, and a lapsed session is
ExpiredToken even when the signature itself is fresh."""

from __future__ import annotations

import json
from datetime import UTC

import botocore.auth
import botocore.config
import botocore.exceptions
import pytest

from .conftest import LiveApp

NO_RETRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


def session_for(live: LiveApp) -> dict[str, str]:
    iam = live.client("iam")
    account = "123456789012"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_user(UserName="alice")
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    sts = live.client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="s1", DurationSeconds=900
    )["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def test_session_credentials_act_as_the_assumed_role(live_app: LiveApp) -> None:
    creds = session_for(live_app)
    identity = live_app.client("sts", **creds).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/deployer/s1"


def test_session_key_without_or_with_a_wrong_token_is_invalid_client_token_id(live_app: LiveApp) -> None:
    creds = session_for(live_app)
    for token in (None, creds["aws_session_token"][:-4] + "AAAA"):
        changed = {**creds, "aws_session_token": token}
        sts = live_app.client("sts", config=NO_RETRY, **changed)
        with pytest.raises(botocore.exceptions.ClientError) as err:
            sts.get_caller_identity()
        assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_lapsed_session_is_expired_token(live_app: LiveApp, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = session_for(live_app)
    live_app.clock.advance(901)
    # Sign at the server's (advanced) time, so only the session's expiry can fail the call.
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda *a, **k: live_app.clock.now().astimezone(UTC).replace(tzinfo=None),
    )
    sts = live_app.client("sts", config=NO_RETRY, **creds)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sts.get_caller_identity()
    error = err.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
