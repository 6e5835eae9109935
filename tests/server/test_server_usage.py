"""Through the server: a request signed with a user's key and an issued role session show up as
last use (GetAccessKeyLastUsed, GetRole's RoleLastUsed) once the server has flushed them."""

from __future__ import annotations

import time
from typing import Any

from tests.server.conftest import LiveApp

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
)


def _eventually(check: Any, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_signed_requests_and_sessions_are_recorded_as_last_use(live_app: LiveApp) -> None:
    iam = live_app.client("iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.put_user_policy(
        UserName="alice",
        PolicyName="assume",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}',
    )
    role_arn = iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"] == {
        "ServiceName": "N/A",
        "Region": "N/A",
    }

    sts = live_app.client(
        "sts",
        region_name="eu-west-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")

    def key_used() -> dict[str, Any] | None:
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        return used if "LastUsedDate" in used else None

    used = _eventually(key_used)
    assert used is not None, "the key's use was never recorded"
    assert (used["ServiceName"], used["Region"]) == ("sts", "eu-west-1")
    role_used = _eventually(lambda: iam.get_role(RoleName="app")["Role"]["RoleLastUsed"])
    assert role_used["Region"] == "eu-west-1" and "LastUsedDate" in role_used
