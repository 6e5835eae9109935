"""The authenticate callback the protocol layer calls for every routed AWS request.

A signed request is authenticated here: the SigV4 signature is verified against the caller's key
(protocol/sigv4.py) and the CallContext is built from the verified identity. Authorization is the
services' job: every operation asks the policy engine with its own action, resource ARN and context
keys (services/authorize.py), which ``--no-enforce`` (``Settings.enforce``) turns off.
Operations the model marks ``noAuth`` (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML) are
authenticated by the token they carry, so they get a context with no caller.

Credential scope regions: IAM's only signing region is us-east-1 (IAM API Reference, "Signing
requests"), but an SDK pointed at a custom endpoint signs with its configured region, so IAM also
accepts the region this server is configured for (what ``eksiam credentials`` exports as
AWS_REGION); any other region fails as on AWS. STS and EKS accept any region of the partition and
report it as the call's region.

REST-JSON services name the signature failures differently from Query ones (EKS answers
``InvalidSignatureException`` where IAM answers ``SignatureDoesNotMatch``): translated here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Protocol

import botocore.session

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.errors import DynamicError
from eksiam.protocol import HttpRequest, RoutedOperation, SigningKey, SigV4Error, verify
from eksiam.server.request_notes import current_notes
from eksiam.services import CallContext, Caller, CallerKind

_GLOBAL_SIGNING_REGION = {"iam": "us-east-1"}


class ResolvedKey(SigningKey, Protocol):
    """What the services' credential resolver returns for an access key id: a key and its owner."""

    @property
    def caller(self) -> Caller: ...


KeyLookup = Callable[[str, str | None], ResolvedKey | None]
KeyUse = Callable[[str, datetime, str, str], None]
"""Told of each verified request signed with an IAM user's long-term key: (key id, when, service,
region), for GetAccessKeyLastUsed (services/usage.py)."""


@lru_cache(maxsize=16)
def _partition_regions(service: str) -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(session.get_available_regions(service)) | frozenset(session.get_available_regions("ec2"))


class Authenticator:
    def __init__(
        self, lookup: KeyLookup, settings: Settings, clock: Clock, key_used: KeyUse | None = None
    ) -> None:
        self._lookup = lookup
        self._key_used = key_used
        self._settings = settings
        self._clock = clock
        self._regions: dict[str, frozenset[str]] = {}

    def allowed_regions(self, signing_name: str) -> frozenset[str]:
        regions = self._regions.get(signing_name)
        if regions is None:
            fixed = _GLOBAL_SIGNING_REGION.get(signing_name)
            base = frozenset({fixed}) if fixed else _partition_regions(signing_name)
            regions = self._regions[signing_name] = base | {self._settings.region}
        return regions

    def __call__(self, request: HttpRequest, routed: RoutedOperation) -> CallContext:
        notes = current_notes.get()
        if notes is not None:
            notes.service = routed.service
            notes.operation = routed.operation
        now = self._clock.now()
        source_ip = request.client_ip or "127.0.0.1"
        user_agent = request.header("user-agent") or ""
        if routed.unsigned:  # positional, in field order: half the cost of keywords, per request
            settings = self._settings
            return CallContext(
                settings.account_id, settings.region, routed.request_id, now, None, source_ip, False,
                user_agent, {}, True,
            )  # fmt: skip
        try:
            verified, key = verify(
                request,
                service=routed.signing_name,
                lookup=self._lookup,
                now=now,
                allowed_regions=self.allowed_regions(routed.signing_name),
            )
        except SigV4Error as err:
            if routed.protocol == "query":
                raise
            raise DynamicError(err.json_code, err.message, status=err.status) from None
        if notes is not None:
            notes.access_key_id = verified.access_key_id
        if self._key_used is not None and key.caller.kind is CallerKind.USER and key.session_token is None:
            self._key_used(verified.access_key_id, now, routed.signing_name, verified.region)
        return CallContext(
            account=key.caller.account,
            region=verified.region,
            request_id=routed.request_id,
            now=now,
            caller=key.caller,
            source_ip=source_ip,
            secure_transport=False,
            user_agent=user_agent,
            input_checked=True,
        )
