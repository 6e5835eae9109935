"""STS through the real server with boto3 and the aws CLI: AssumeRole, chaining, session tokens,
and the credentials they return signing further requests."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from .conftest import RunningServer

pytestmark = pytest.mark.e2e


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_client(server: RunningServer, name: str, *statements: dict[str, Any]) -> Any:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )


def session_client(server: RunningServer, service: str, creds: dict[str, Any]) -> Any:
    return server.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_assume_role_then_sign_with_the_session(eksiam_server: RunningServer) -> None:
    account = eksiam_server.account_id
    iam = eksiam_server.client("iam")
    role = iam.create_role(
        RoleName="e2e-deploy",
        Path="/ci/",
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )["Role"]
    iam.put_role_policy(
        RoleName="e2e-deploy",
        PolicyName="read",
        PolicyDocument=doc({"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"}),
    )
    sts = user_client(
        eksiam_server, "e2e-alice", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}
    )
    response = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="alice", DurationSeconds=900)
    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert response["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice",
        "Arn": f"arn:aws:sts::{account}:assumed-role/e2e-deploy/alice",
    }
    identity = session_client(eksiam_server, "sts", creds).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{account}:assumed-role/e2e-deploy/alice"
    assert identity["UserId"] == f"{role['RoleId']}:alice"
    assert identity["Account"] == account
    session_iam = session_client(eksiam_server, "iam", creds)
    assert session_iam.get_role(RoleName="e2e-deploy")["Role"]["Arn"] == role["Arn"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        session_iam.create_user(UserName="nope")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_a_session_policy_limits_the_session(eksiam_server: RunningServer) -> None:
    account = eksiam_server.account_id
    iam = eksiam_server.client("iam")
    role_arn = iam.create_role(
        RoleName="e2e-narrow",
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="e2e-narrow",
        PolicyName="read",
        PolicyDocument=doc({"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"}),
    )
    assumer = user_client(
        eksiam_server, "e2e-narrow-user", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    )
    response = assumer.assume_role(
        RoleArn=role_arn,
        RoleSessionName="narrow",
        Policy=doc({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}),
    )
    assert 0 < response["PackedPolicySize"] < 100
    narrowed = session_client(eksiam_server, "iam", response["Credentials"])
    narrowed.list_roles()
    with pytest.raises(botocore.exceptions.ClientError) as err:
        narrowed.get_role(RoleName="e2e-narrow")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_refusals_arrive_as_aws_errors(eksiam_server: RunningServer) -> None:
    account = eksiam_server.account_id
    iam = eksiam_server.client("iam")
    role_arn = iam.create_role(
        RoleName="e2e-closed",
        MaxSessionDuration=3600,
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )["Role"]["Arn"]
    nobody = user_client(eksiam_server, "e2e-nobody")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        nobody.assume_role(RoleArn=role_arn, RoleSessionName="x1")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{account}:user/e2e-nobody is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}"
    )
    with pytest.raises(botocore.exceptions.ClientError) as err:
        eksiam_server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="x1")
    assert err.value.response["Error"]["Message"] == "Roles may not be assumed by root accounts."
    allowed = user_client(
        eksiam_server, "e2e-allowed", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    )
    with pytest.raises(botocore.exceptions.ClientError) as err:
        allowed.assume_role(RoleArn=role_arn, RoleSessionName="x1", DurationSeconds=7200)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in err.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        allowed.assume_role(RoleArn=role_arn, RoleSessionName="x1", Policy='{"Version": ')
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_session_token_and_access_key_info(eksiam_server: RunningServer) -> None:
    sts = user_client(eksiam_server, "e2e-bob")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session_sts = session_client(eksiam_server, "sts", creds)
    assert session_sts.get_caller_identity()["Arn"].endswith(":user/e2e-bob")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        session_sts.get_session_token()
    assert err.value.response["Error"]["Message"] == "Cannot call GetSessionToken with session credentials"
    info = eksiam_server.client("sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert info["Account"] == eksiam_server.account_id


def test_the_aws_cli_assumes_a_role(eksiam_server: RunningServer) -> None:
    account = eksiam_server.account_id
    eksiam_server.client("iam").create_role(
        RoleName="e2e-cli",
        AssumeRolePolicyDocument=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ),
    )
    iam = eksiam_server.client("iam")
    iam.create_user(UserName="e2e-cli-user")
    iam.put_user_policy(
        UserName="e2e-cli-user",
        PolicyName="p",
        PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}
        ),
    )
    key = iam.create_access_key(UserName="e2e-cli-user")["AccessKey"]
    user_env = eksiam_server.cli_env(
        AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"]
    )
    out_text = eksiam_server.aws(
        "sts", "assume-role", "--role-arn", f"arn:aws:iam::{account}:role/e2e-cli",
        "--role-session-name", "cli", "--tags", "Key=team,Value=blue", env=user_env,
    ).stdout  # fmt: skip
    out = json.loads(out_text)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/e2e-cli/cli"
    creds = out["Credentials"]
    env = eksiam_server.cli_env(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )
    who = json.loads(eksiam_server.aws("sts", "get-caller-identity", env=env).stdout)
    assert who["Arn"] == f"arn:aws:sts::{account}:assumed-role/e2e-cli/cli"
