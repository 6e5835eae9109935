"""Running the server: health, metrics, --no-enforce, credentials bootstrap, restart, shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import botocore.exceptions
import httpx
import pytest

from .conftest import RunningServer, stop_server

pytestmark = pytest.mark.e2e

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def test_health_and_metrics(eksiam_server: RunningServer) -> None:
    assert httpx.get(f"{eksiam_server.endpoint}/_eksiam/health").status_code == 200
    sts = eksiam_server.client("sts")
    sts.get_caller_identity()
    metrics = httpx.get(f"{eksiam_server.endpoint}/_eksiam/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'eksiam_aws_requests_total{code="OK",operation="GetCallerIdentity",service="sts"}' in metrics.text


def test_access_log_lines_are_json_without_secrets(eksiam_server: RunningServer) -> None:
    eksiam_server.client("iam").list_roles()
    lines = [json.loads(line) for line in eksiam_server.log().splitlines() if line.startswith("{")]
    calls = [line for line in lines if line.get("operation") == "ListRoles"]
    assert calls and calls[-1]["status"] == 200 and calls[-1]["caller"] == eksiam_server.access_key_id[:8]
    log = eksiam_server.log()
    assert eksiam_server.secret_access_key not in log
    assert eksiam_server.access_key_id not in log
    assert "Signature=" not in log and "AWS4-HMAC-SHA256" not in log


def test_no_enforce_lets_a_user_without_policies_act(start_eksiam: Callable[..., RunningServer]) -> None:
    server = start_eksiam("--no-enforce")
    iam = server.client("iam")
    iam.create_user(UserName="plain-mock-user")
    key = iam.create_access_key(UserName="plain-mock-user")["AccessKey"]
    as_user = server.client(
        "iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    as_user.create_role(RoleName="made-without-permission", AssumeRolePolicyDocument=TRUST)
    assert iam.get_role(RoleName="made-without-permission")["Role"]["RoleName"] == "made-without-permission"
    # Signatures are still verified without enforcement.
    forged = server.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="forged")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        forged.list_roles()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_generated_root_credentials_persist_and_are_printed(
    start_eksiam: Callable[..., RunningServer],
) -> None:
    # Without EKSIAM_ACCESS_KEY_ID the server generates root keys once and keeps them with the data.
    first = start_eksiam(env={"EKSIAM_ACCESS_KEY_ID": "", "EKSIAM_SECRET_ACCESS_KEY": ""})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EKSIAM_"))}
    printed = subprocess.run(
        [sys.executable, "-m", "eksiam", "credentials", "--data", first.data_url, "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    creds = json.loads(printed.stdout)
    assert creds["AWS_ACCESS_KEY_ID"].startswith("AKIA") and len(creds["AWS_ACCESS_KEY_ID"]) == 20
    client_args = {
        "aws_access_key_id": creds["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": creds["AWS_SECRET_ACCESS_KEY"],
    }
    first.client("iam", **client_args).create_role(
        RoleName="survives-restart", AssumeRolePolicyDocument=TRUST
    )
    stop_server(first)
    # uvicorn re-raises SIGTERM after a graceful shutdown, so the exit status is -15; the log shows
    # that the lifespan shutdown (closing the store) ran to completion first.
    assert first.process.returncode in (0, -15)
    assert "Application shutdown complete." in first.log()

    second = start_eksiam(
        env={"EKSIAM_ACCESS_KEY_ID": "", "EKSIAM_SECRET_ACCESS_KEY": ""}, data_url=first.data_url
    )
    role = second.client("iam", **client_args).get_role(RoleName="survives-restart")["Role"]
    assert role["RoleName"] == "survives-restart"

    shell = subprocess.run(
        [sys.executable, "-m", "eksiam", "credentials", "--data", first.data_url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert f"export AWS_ACCESS_KEY_ID={creds['AWS_ACCESS_KEY_ID']}" in shell.stdout
    assert "export AWS_SECRET_ACCESS_KEY=" in shell.stdout
    assert "export AWS_ENDPOINT_URL=" in shell.stdout and "export AWS_REGION=us-east-1" in shell.stdout
