"""AWS error shapes as botocore and the AWS CLI see them from a real ``eksiam serve``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import botocore.config
import pytest
from botocore.exceptions import ClientError

from .conftest import RunningServer

pytestmark = pytest.mark.e2e

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
NO_RETRY = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_missing_role_is_no_such_entity(eksiam_server: RunningServer) -> None:
    code, message, status = error_of(eksiam_server.client("iam").get_role, RoleName="NoSuchRole")
    assert (code, status) == ("NoSuchEntity", 404)
    assert message == "The role with name NoSuchRole cannot be found."


def test_missing_role_through_the_cli_exits_non_zero_with_the_code(eksiam_server: RunningServer) -> None:
    result = eksiam_server.aws("iam", "get-role", "--role-name", "NoSuchRole", check=False)
    assert result.returncode != 0
    assert "NoSuchEntity" in result.stderr


def test_broken_policy_is_malformed_policy_document_and_creates_nothing(eksiam_server: RunningServer) -> None:
    iam = eksiam_server.client("iam")
    code, _, status = error_of(
        iam.create_policy, PolicyName="broken", PolicyDocument='{"Version": "2012-10-17"'
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)
    code, _, _ = error_of(iam.get_policy, PolicyArn=f"arn:aws:iam::{eksiam_server.account_id}:policy/broken")
    assert code == "NoSuchEntity"


def test_user_without_permissions_is_access_denied(eksiam_server: RunningServer) -> None:
    iam = eksiam_server.client("iam")
    user = iam.create_user(UserName="nobody")["User"]
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    as_user = eksiam_server.client(
        "iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    code, message, status = error_of(as_user.create_role, RoleName="escalate", AssumeRolePolicyDocument=TRUST)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: {user['Arn']} is not authorized to perform: iam:CreateRole on resource: "
    )
    assert error_of(iam.get_role, RoleName="escalate")[0] == "NoSuchEntity"
    # Authentication still works for this user: who-am-I needs no permission.
    sts = eksiam_server.client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    assert sts.get_caller_identity()["Arn"] == user["Arn"]


def test_wrong_secret_is_signature_does_not_match(eksiam_server: RunningServer) -> None:
    iam = eksiam_server.client("iam", aws_secret_access_key="wrong-secret", config=NO_RETRY)
    code, message, status = error_of(iam.list_roles)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_unknown_access_key_is_invalid_client_token_id(eksiam_server: RunningServer) -> None:
    sts = eksiam_server.client("sts", aws_access_key_id="AKIAIOSFODNN7EXAMPLE", config=NO_RETRY)
    code, message, status = error_of(sts.get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert message == "The security token included in the request is invalid."


def test_signature_from_twenty_minutes_ago_is_expired(
    eksiam_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: past)
    iam = eksiam_server.client("iam", config=NO_RETRY)
    code, message, status = error_of(iam.list_roles)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    stamp = past.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"Signature expired: {stamp} is now earlier than ")
    assert message.endswith(" - 15 min.)")


def test_wrong_secret_through_the_cli(eksiam_server: RunningServer) -> None:
    env = eksiam_server.cli_env(AWS_SECRET_ACCESS_KEY="wrong-secret", AWS_MAX_ATTEMPTS="1")
    result = eksiam_server.aws("sts", "get-caller-identity", env=env, check=False)
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr


def test_forwarded_for_header_cannot_choose_the_source_ip(eksiam_server: RunningServer) -> None:
    iam = eksiam_server.client("iam")
    only_from_ten = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.3/32"}},
            }
        ],
    }
    iam.create_user(UserName="from-ten")
    iam.put_user_policy(UserName="from-ten", PolicyName="ip", PolicyDocument=json.dumps(only_from_ten))
    key = iam.create_access_key(UserName="from-ten")["AccessKey"]
    as_user = eksiam_server.client(
        "iam",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=NO_RETRY,
    )

    def spoof(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = "10.1.2.3"

    as_user.meta.events.register("before-sign.iam.ListRoles", spoof)
    code, _, status = error_of(as_user.list_roles)
    assert (code, status) == ("AccessDenied", 403)
