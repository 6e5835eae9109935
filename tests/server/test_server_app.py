"""The assembled server in-process: AWS requests end to end, health, metrics, access log, limits."""

from __future__ import annotations

import asyncio
import json
import logging

import botocore.config
import botocore.exceptions
import httpx
import pytest

from eksiam.server import EksiamApp

from .conftest import LiveApp

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def test_root_credentials_work_for_sts_and_iam(live_app: LiveApp) -> None:
    identity = live_app.client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    assert identity["Account"] == "123456789012"
    iam = live_app.client("iam")
    iam.create_role(RoleName="AmazonEKSNodeRole", AssumeRolePolicyDocument=TRUST)
    role = iam.get_role(RoleName="AmazonEKSNodeRole")["Role"]
    assert role["Arn"] == "arn:aws:iam::123456789012:role/AmazonEKSNodeRole"


async def asgi_get(app: EksiamApp, path: str) -> int:
    """One GET straight through the ASGI interface (no lifespan), returning the status."""
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"eksiam")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    status = sent[0]["status"]
    assert isinstance(status, int)
    return status


def test_health_is_503_before_start_and_after_stop(unstarted_app: EksiamApp) -> None:
    app = unstarted_app
    assert asyncio.run(asgi_get(app, "/_eksiam/health")) == 503
    app.runtime.start()
    try:
        assert asyncio.run(asgi_get(app, "/_eksiam/health")) == 200
    finally:
        app.runtime.stop()
    assert asyncio.run(asgi_get(app, "/_eksiam/health")) == 503


def test_aws_request_before_start_is_503_service_unavailable(unstarted_app: EksiamApp) -> None:
    assert asyncio.run(asgi_get(unstarted_app, "/")) == 503


def test_health_answers_200_when_serving(live_app: LiveApp) -> None:
    response = httpx.get(f"{live_app.endpoint}/_eksiam/health")
    assert response.status_code == 200


def test_wrong_secret_is_signature_does_not_match(live_app: LiveApp) -> None:
    iam = live_app.client("iam", aws_secret_access_key="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        iam.list_roles()
    error = err.value.response["Error"]
    assert error["Code"] == "SignatureDoesNotMatch"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_is_invalid_client_token_id(live_app: LiveApp) -> None:
    iam = live_app.client("iam", aws_access_key_id="AKIAUNKNOWNKEY000000")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        iam.list_roles()
    assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert err.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_signature_older_than_fifteen_minutes_is_refused_with_aws_text(live_app: LiveApp) -> None:
    live_app.clock.advance(16 * 60)
    iam = live_app.client("iam", config=botocore.config.Config(retries={"max_attempts": 1}))
    with pytest.raises(botocore.exceptions.ClientError) as err:
        iam.list_roles()
    error = err.value.response["Error"]
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Message"].startswith("Signature expired: ")
    assert error["Message"].endswith(" - 15 min.)")


def test_unsigned_request_is_missing_authentication_token(live_app: LiveApp) -> None:
    response = httpx.post(
        live_app.endpoint + "/",
        content=b"Action=ListRoles&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in response.content


def test_iam_signed_for_another_region_is_refused(live_app: LiveApp) -> None:
    iam = live_app.client("iam", region_name="ap-southeast-2")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        iam.list_roles()
    assert err.value.response["Error"]["Message"] == (
        "Credential should be scoped to a valid region, not 'ap-southeast-2'."
    )


def test_oversized_body_is_refused_and_changes_nothing(live_app: LiveApp) -> None:
    body = b"Action=CreateRole&Version=2010-05-08&RoleName=big&AssumeRolePolicyDocument=" + b"x" * (2 << 20)
    response = httpx.post(
        live_app.endpoint + "/", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    with pytest.raises(botocore.exceptions.ClientError):
        live_app.client("iam").get_role(RoleName="big")


def test_metrics_count_requests_by_service_operation_and_code(live_app: LiveApp) -> None:
    live_app.client("sts").get_caller_identity()
    live_app.client("sts").get_caller_identity()
    with pytest.raises(botocore.exceptions.ClientError):
        live_app.client("sts", aws_secret_access_key="wrong").get_caller_identity()
    text = httpx.get(f"{live_app.endpoint}/_eksiam/metrics").text
    assert 'eksiam_aws_requests_total{code="OK",operation="GetCallerIdentity",service="sts"} 2.0' in text
    denied = 'code="SignatureDoesNotMatch",operation="GetCallerIdentity",service="sts"'
    assert f"eksiam_aws_requests_total{{{denied}}} 1.0" in text
    assert "eksiam_aws_request_duration_seconds_bucket" in text


def test_access_log_names_the_call_but_holds_no_secret(
    live_app: LiveApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="eksiam.access"):
        live_app.client("sts").get_caller_identity()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "eksiam.access"]
    assert lines, "no access log line"
    line = lines[-1]
    assert (line["service"], line["operation"], line["status"], line["code"]) == (
        "sts",
        "GetCallerIdentity",
        200,
        "OK",
    )
    assert line["caller"] == live_app.root_key[:8]
    assert line["request_id"]
    text = caplog.text
    assert live_app.root_secret not in text and live_app.root_key not in text and "Signature=" not in text


def test_rest_json_services_name_signature_failures_their_way(live_app: LiveApp) -> None:
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    wrong_secret = live_app.client("eks", aws_secret_access_key="wrong", config=config)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        wrong_secret.list_clusters()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unknown = live_app.client("eks", aws_access_key_id="AKIAUNKNOWNKEY000000", config=config)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        unknown.list_clusters()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert err.value.response["Error"]["Message"] == "The security token included in the request is invalid."
