"""A small IAM world for STS tests: real IAM, STS, credential resolution and authorizer over a real
store, with users and sessions whose call contexts come from resolving their real access keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from eksiam.clock import ManualClock
from eksiam.config import Settings
from eksiam.services import CallContext, Caller, CallerKind, IamService
from eksiam.services.credentials import CredentialResolver
from eksiam.services.oidc_issuers import IssuerRegistry
from eksiam.services.sts import StsService
from eksiam.storage import Store

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, action: str | list[str] = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


@dataclass
class World:
    store: Store
    clock: ManualClock
    settings: Settings
    iam: IamService
    sts: StsService
    credentials: CredentialResolver
    issuers: IssuerRegistry

    def root(self, account: str = ACCOUNT) -> CallContext:
        return self.context(Caller(CallerKind.ROOT, f"arn:aws:iam::{account}:root", account, account))

    def context(self, caller: Caller, source_ip: str = "192.0.2.10") -> CallContext:
        return CallContext(
            account=caller.account,
            region="us-east-1",
            request_id="req-1",
            now=self.clock.now(),
            caller=caller,
            source_ip=source_ip,
        )

    def signed_by(self, access_key_id: str, session_token: str | None = None) -> CallContext:
        """The context a request signed with this key gets (as the server's authenticator builds it)."""
        resolved = self.credentials.lookup(access_key_id, session_token)
        assert resolved is not None, access_key_id
        return self.context(resolved.caller)

    def user(self, name: str, *statements: dict[str, Any], account: str = ACCOUNT) -> CallContext:
        root = self.root(account)
        self.iam.create_user(root, user_name=name)
        if statements:
            self.iam.put_user_policy(
                root, user_name=name, policy_name="p", policy_document=document(*statements)
            )
        key = self.iam.create_access_key(root, user_name=name)["AccessKey"]
        return self.signed_by(key["AccessKeyId"])

    def role(
        self,
        name: str,
        *trust_statements: dict[str, Any],
        account: str = ACCOUNT,
        permissions: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> str:
        root = self.root(account)
        arn = self.iam.create_role(
            root, role_name=name, assume_role_policy_document=document(*trust_statements), **kwargs
        )["Role"]["Arn"]
        if permissions:
            self.iam.put_role_policy(
                root, role_name=name, policy_name="p", policy_document=document(*permissions)
            )
        return str(arn)

    def session(self, response: dict[str, Any]) -> CallContext:
        credentials = response["Credentials"]
        return self.signed_by(credentials["AccessKeyId"], credentials["SessionToken"])


@pytest.fixture
def world(store: Store) -> World:
    clock = ManualClock(START)
    settings = Settings(account_id=ACCOUNT)
    return World(
        store=store,
        clock=clock,
        settings=settings,
        iam=IamService(store, clock, settings),
        sts=StsService(store, clock, settings),
        credentials=CredentialResolver(store, settings, clock),
        issuers=IssuerRegistry(store, clock, settings),
    )
