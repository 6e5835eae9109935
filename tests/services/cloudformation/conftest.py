"""Fixtures for CloudFormation service tests: the real services (IAM, EKS, CloudFormation) built by
``build_services`` over a real store, and the default account's root context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import CallContext, Caller, CallerKind, Services, build_services
from eksiam.storage import Store

ACCOUNT = "123456789012"
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def ctx() -> CallContext:
    root = Caller(CallerKind.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT)
    return CallContext(account=ACCOUNT, region="us-east-1", request_id="req-1", now=NOW, caller=root)


@pytest.fixture
def services(store: Store) -> Services:
    return build_services(store, ManualClock(NOW), Settings(account_id=ACCOUNT))
