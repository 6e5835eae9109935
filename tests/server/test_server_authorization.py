"""Every call through the server is authorized: EKS operations, identity policies, --no-enforce."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.exceptions
import pytest

from eksiam.clock import ManualClock
from eksiam.server import EksiamApp

from .conftest import LiveApp, run_app, settings_for


def user_clients(
    live: LiveApp, name: str, policy: dict[str, object] | None = None
) -> tuple[str, dict[str, str]]:
    iam = live.client("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_eks_call_without_permission_is_access_denied(live_app: LiveApp) -> None:
    arn, creds = user_clients(live_app, "no-eks")
    eks = live_app.client("eks", **creds)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        eks.list_clusters()
    error = err.value.response["Error"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] in ("AccessDeniedException", "AccessDenied")
    assert error["Message"].startswith(f"User: {arn} is not authorized to perform: eks:ListClusters")


def test_eks_call_allowed_by_identity_policy(live_app: LiveApp) -> None:
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "eks:ListClusters", "Resource": "*"}],
    }
    _, creds = user_clients(live_app, "lister", allow)
    assert live_app.client("eks", **creds).list_clusters()["clusters"] == []
    # The policy allows only that action: its neighbour is still denied.
    with pytest.raises(botocore.exceptions.ClientError) as err:
        live_app.client("eks", **creds).list_pod_identity_associations(clusterName="c")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_caller_identity_needs_no_permission(live_app: LiveApp) -> None:
    arn, creds = user_clients(live_app, "who")
    assert live_app.client("sts", **creds).get_caller_identity()["Arn"] == arn


def test_no_enforce_skips_dispatch_authorization(tmp_path: Path) -> None:
    app = EksiamApp(settings_for(tmp_path, enforce=False), ManualClock())
    endpoint, server, thread = run_app(app)
    try:
        live = LiveApp(app, endpoint, app.runtime.clock)  # type: ignore[arg-type]
        _, creds = user_clients(live, "mock-user")
        assert live.client("eks", **creds).list_clusters()["clusters"] == []
    finally:
        server.should_exit = True
        thread.join(timeout=20)
