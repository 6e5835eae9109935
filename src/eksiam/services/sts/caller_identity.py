"""sts:GetCallerIdentity, sts:GetAccessKeyInfo and sts:GetSessionToken.

GetCallerIdentity needs no permission and cannot be denied (STS API Reference: "No permissions are
required to perform this operation. If an administrator attaches a policy to your identity that
explicitly denies access to the sts:GetCallerIdentity action, you can still perform this
operation"); it reports what the signature proved: ``UserId`` is ``aws:userid`` (``AIDA...`` for a
user, ``<role id>:<session>`` for a role session, the account id for root).

GetSessionToken is for IAM users and the root user only; called with temporary credentials it is
AccessDenied "Cannot call GetSessionToken with session credentials". Durations are 900 s to 36 h for
users (default 12 h) and at most 1 h for root (STS API Reference "GetSessionToken"). The new
credentials act as the same user (GetCallerIdentity answers the user's ARN); what they may not do
(call IAM, or STS other than AssumeRole and GetCallerIdentity) is the authorizer's to enforce from
the session's ``Type`` = ``session-token``.
"""

from __future__ import annotations

from typing import Any

from eksiam.clock import session_times
from eksiam.services.context import CallContext, CallerKind
from eksiam.services.sts.base import StsBase
from eksiam.services.sts.errors import AccessDenied, ValidationError
from eksiam.services.sts.sessions import (
    NewCredentials,
    account_of_key_id,
    credentials_view,
)
from eksiam.storage.interface import Record, UnitOfWork

ACCESS_KEY = "access-key"  # IAM's global index of long-term keys (services/iam/records.py)
SESSION_TOKEN_MIN = 900
SESSION_TOKEN_DEFAULT = 43200
SESSION_TOKEN_MAX = {CallerKind.USER: 129600, CallerKind.ROOT: 3600}


class CallerIdentityOperations(StsBase):
    def get_caller_identity(self, ctx: CallContext) -> dict[str, Any]:
        caller = ctx.caller
        if caller is None:
            raise AccessDenied("Request is missing Authentication Token")
        return {"UserId": caller.user_id, "Account": caller.account, "Arn": caller.arn}

    def get_access_key_info(self, ctx: CallContext, *, access_key_id: str) -> dict[str, Any]:
        """The account owning a key id: IAM's stored keys first, then the account bits AWS key ids
        carry (every session key id has them, sessions.py rule 4)."""

        def owner(uow: UnitOfWork) -> str | None:
            key = uow.get(ACCESS_KEY, "", access_key_id)
            return str(key["Account"]) if key is not None else None

        account = self.store.read(owner) or account_of_key_id(access_key_id)
        if account is None:
            raise ValidationError.constraint(
                access_key_id, "accessKeyId", "Member must be an AWS access key id"
            )
        return {"Account": account}

    def get_session_token(
        self,
        ctx: CallContext,
        *,
        duration_seconds: int | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
    ) -> dict[str, Any]:
        caller = ctx.caller
        if caller is None:
            raise AccessDenied("Request is missing Authentication Token")
        if caller.session is not None or caller.kind not in SESSION_TOKEN_MAX:
            raise AccessDenied.session_credentials("GetSessionToken")
        if serial_number is not None or token_code is not None:
            raise AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
        duration = SESSION_TOKEN_DEFAULT if duration_seconds is None else duration_seconds
        limit = SESSION_TOKEN_MAX[caller.kind]
        if not duration >= SESSION_TOKEN_MIN:
            raise ValidationError.constraint(
                duration,
                "durationSeconds",
                f"Member must have value greater than or equal to {SESSION_TOKEN_MIN}",
            )
        duration = min(duration, limit) if caller.kind is CallerKind.ROOT else duration
        if duration > limit:
            raise ValidationError.constraint(
                duration, "durationSeconds", f"Member must have value less than or equal to {limit}"
            )
        now = ctx.now
        issued, expiration = session_times(now, duration, ctx.epoch())
        creds = NewCredentials.generate(caller.account)
        record: Record = {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "IssuedAt": issued,
            "Expiration": expiration,
            "Type": "session-token",
            "PrincipalKind": caller.kind.value,
            "Account": caller.account,
            "Arn": caller.arn,
            "UserId": caller.user_id,
            "UserName": caller.arn.rsplit("/", 1)[-1] if caller.kind is CallerKind.USER else None,
            "SessionPolicies": [],
            "SessionPolicyArns": [],
            "Tags": [],
            "TransitiveTagKeys": [],
            "SourceIdentity": None,
            "Chained": False,
            "WebIdentity": None,
            "MfaPresent": False,
        }
        record["SessionToken"] = self.tokens.seal(record)
        return {"Credentials": credentials_view(record)}
