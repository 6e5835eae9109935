"""Fixtures for IAM service tests: the service over a real store (SQLite and PostgreSQL), and a
call context for the default account's root user."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import CallContext, Caller, CallerKind, IamService
from eksiam.storage import Store

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def context(account: str = ACCOUNT, caller: Caller | None = None) -> CallContext:
    root = Caller(CallerKind.ROOT, f"arn:aws:iam::{account}:root", account, account)
    return CallContext(
        account=account, region="us-east-1", request_id="req-1", now=NOW, caller=caller or root
    )


def trust_policy(service: str = "ec2.amazonaws.com") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def identity_policy(action: str = "s3:GetObject", resource: str = "*", sid: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        statement["Sid"] = sid
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def ctx() -> CallContext:
    return context()


@pytest.fixture
def iam(store: Store) -> IamService:
    return IamService(store, ManualClock(NOW), Settings(account_id=ACCOUNT))


@pytest.fixture
def make_role(iam: IamService, ctx: CallContext) -> Callable[..., dict[str, Any]]:
    def make(name: str = "app", **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("assume_role_policy_document", trust_policy())
        return iam.create_role(ctx, role_name=name, **kwargs)["Role"]

    return make


@pytest.fixture
def make_policy(iam: IamService, ctx: CallContext) -> Callable[..., dict[str, Any]]:
    def make(name: str = "pol", **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("policy_document", identity_policy())
        return iam.create_policy(ctx, policy_name=name, **kwargs)["Policy"]

    return make
