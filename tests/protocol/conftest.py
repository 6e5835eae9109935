"""Fixtures: an AwsEndpoint over the in-test doubles, with a recording authenticate."""

from __future__ import annotations

from typing import Any

import pytest
from protocol_doubles import FakeEks, FakeIam, FakeSts, Recorder

from eksiam.protocol import AwsEndpoint


@pytest.fixture
def fakes() -> dict[str, Any]:
    return {"iam": FakeIam(), "sts": FakeSts(), "eks": FakeEks()}


@pytest.fixture
def auth() -> Recorder:
    return Recorder()


@pytest.fixture
def endpoint(fakes: dict[str, Any], auth: Recorder) -> AwsEndpoint:
    return AwsEndpoint(fakes, auth, max_body_bytes=4096)
