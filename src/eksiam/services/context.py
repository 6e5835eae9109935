"""Who is calling, from where, and when: everything a service needs to know about one request.

The server builds a ``CallContext`` from the verified signature (or none, for the few operations AWS
serves unsigned, such as sts:AssumeRoleWithWebIdentity); services read it and never see HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from eksiam.clock import as_utc


class CallerKind(Enum):
    ROOT = "root"
    USER = "user"
    ASSUMED_ROLE = "assumed-role"
    FEDERATED_USER = "federated-user"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated principal.

    ``arn`` is what sts:GetCallerIdentity returns (``arn:aws:iam::<acct>:user/<name>``,
    ``arn:aws:sts::<acct>:assumed-role/<role>/<session>``, ``arn:aws:iam::<acct>:root``);
    ``user_id`` is ``aws:userid`` (``AIDA...``, ``AROA...:<session>``, the account id for root).
    ``session`` holds what a temporary credential carries (role ARN, session policies, tags,
    source identity, expiry ...), as the STS service stored it.
    """

    kind: CallerKind
    arn: str
    account: str
    user_id: str
    access_key_id: str | None = None
    session: Mapping[str, Any] | None = None


@dataclass(slots=True)
class CallContext:
    """``input_checked`` says the parameters already passed the operation model's constraints (the
    AWS endpoint checks every request it dispatches), so ``iam.names.validated`` need not repeat it."""

    account: str
    region: str
    request_id: str
    now: datetime
    caller: Caller | None = None
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    extra_context: Mapping[str, str | list[str]] = field(default_factory=dict)
    input_checked: bool = False
    _epoch: float | None = field(default=None, init=False, repr=False, compare=False)

    def epoch(self) -> float:
        """``now`` in seconds since the epoch (a naive ``now`` is UTC), worked out once: a request
        compares its time as a number in several places, and ``datetime.timestamp`` builds a
        timedelta and does integer arithmetic on it each time."""
        value = self._epoch
        if value is None:
            value = self._epoch = as_utc(self.now).timestamp()
        return value
