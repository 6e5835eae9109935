"""State the STS operation families share, and the one way a role session comes into being.

Every operation that creates a role session (AssumeRole, AssumeRoleWithWebIdentity, and the service
sessions EKS Pod Identity asks for) ends in ``_issue``, which seals the session into its token
(session_tokens.py) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eksiam.arn import Arn, InvalidArn, sts_assumed_role_arn
from eksiam.clock import Clock, session_times
from eksiam.config import Settings
from eksiam.services.authorize import Authorizer
from eksiam.services.context import CallContext
from eksiam.services.sts.issuer_keys import LocalIssuerKeys
from eksiam.services.sts.jwks import JwksSource, NoRemoteIssuers
from eksiam.services.sts.session_tokens import SessionTokens
from eksiam.services.sts.sessions import NewCredentials
from eksiam.services.sts.trust import TrustDecider
from eksiam.services.usage import UsageLog
from eksiam.storage.interface import Record, Store, UnitOfWork

ROLE = "role"  # IAM's record kind (services/iam/records.py)
OIDC_PROVIDER = "oidc-provider"


@dataclass(frozen=True, slots=True)
class RoleRef:
    arn: str
    account: str
    name: str


@lru_cache(maxsize=4096)
def role_ref(role_arn: str) -> RoleRef | None:
    """Account and name of ``arn:aws:iam::<acct>:role/<path>/<name>``; None for anything else."""
    try:
        parsed = Arn.parse(role_arn)
    except InvalidArn:
        return None
    if parsed.service != "iam" or parsed.region or parsed.resource_type != "role" or not parsed.account:
        return None
    name = parsed.resource.rsplit("/", 1)[-1]
    return RoleRef(arn=role_arn, account=parsed.account, name=name) if name else None


def find_role(uow: UnitOfWork, ref: RoleRef) -> Record | None:
    record = uow.get(ROLE, ref.account, ref.name.lower())
    return record if record is not None and record.get("Arn") == ref.arn else None


@dataclass(slots=True)
class SessionSpec:
    """Everything a new role session records (sessions.py layout), decided before it is written."""

    role: Record
    session_name: str
    duration: int
    chained: bool
    policy: str | None = None
    policy_arns: Sequence[str] = ()
    tags: Sequence[Mapping[str, str]] = ()
    transitive_keys: Sequence[str] = ()
    source_identity: str | None = None
    web_identity: Mapping[str, Any] | None = field(default=None)


class StsBase:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        authorizer: TrustDecider | None = None,
        jwks: JwksSource | None = None,
        tokens: SessionTokens | None = None,
        usage: UsageLog | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.authorizer: TrustDecider = authorizer or Authorizer(store, settings)
        self.jwks: JwksSource = jwks or NoRemoteIssuers()
        self.tokens = tokens or SessionTokens(store)
        self.usage = usage or UsageLog(store)
        self.local_issuers = LocalIssuerKeys(store)

    def use_jwks_source(self, jwks: JwksSource) -> None:
        """Give STS a way to read external issuers' keys (the server does this at start-up)."""
        self.jwks = jwks

    def _issue(self, ctx: CallContext, spec: SessionSpec) -> Record:
        role = spec.role
        role_arn, role_name, role_id = role["Arn"], role["RoleName"], role["RoleId"]
        account = role_arn.split(":", 5)[4]
        now = ctx.now
        issued, expiration = session_times(now, spec.duration, ctx.epoch())
        creds = NewCredentials.generate(account)
        session_name = spec.session_name
        record: Record = {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "IssuedAt": issued,
            "Expiration": expiration,
            "Type": "assumed-role",
            "PrincipalKind": "assumed-role",
            "Account": account,
            "Arn": sts_assumed_role_arn(account, role_name, session_name, self.settings.partition),
            "UserId": f"{role_id}:{session_name}",
            "RoleArn": role_arn,
            "RoleName": role_name,
            "RoleId": role_id,
            "SessionName": session_name,
            "SessionPolicies": [spec.policy] if spec.policy is not None else [],
            "SessionPolicyArns": list(spec.policy_arns),
            "Tags": [dict(t) for t in spec.tags] if spec.tags else [],
            "TransitiveTagKeys": list(spec.transitive_keys),
            "SourceIdentity": spec.source_identity,
            "Chained": spec.chained,
            "WebIdentity": dict(spec.web_identity) if spec.web_identity else None,
            "MfaPresent": False,
        }
        record["SessionToken"] = self.tokens.seal(record)
        self.usage.role_used(account, role_name, now, ctx.region)
        return record


def assumed_role_user(record: Mapping[str, Any]) -> dict[str, str]:
    return {"AssumedRoleId": record["UserId"], "Arn": record["Arn"]}
