"""STS: role sessions (AssumeRole, AssumeRoleWithWebIdentity), session tokens, caller identity."""

from __future__ import annotations

from eksiam.services.sts.authorization_messages import authorization_document, encode_authorization_message
from eksiam.services.sts.errors import (
    AccessDenied,
    ExpiredTokenException,
    IDPCommunicationError,
    IDPRejectedClaim,
    InvalidAuthorizationMessage,
    InvalidIdentityToken,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    StsError,
    ValidationError,
)
from eksiam.services.sts.jwks import IdpUnreachable, JwksSource, NoRemoteIssuers
from eksiam.services.sts.service import StsService
from eksiam.services.sts.session_tokens import SessionTokens
from eksiam.services.sts.sessions import account_of_key_id, session_caller, session_expiration
from eksiam.services.sts.trust import TrustDecider
from eksiam.services.sts.web_tokens import CLOCK_SKEW, WebToken, check_times, parse_token, verify_signature

__all__ = [
    "CLOCK_SKEW",
    "AccessDenied",
    "ExpiredTokenException",
    "IDPCommunicationError",
    "IDPRejectedClaim",
    "IdpUnreachable",
    "InvalidAuthorizationMessage",
    "InvalidIdentityToken",
    "JwksSource",
    "MalformedPolicyDocument",
    "NoRemoteIssuers",
    "PackedPolicyTooLarge",
    "SessionTokens",
    "StsError",
    "StsService",
    "TrustDecider",
    "ValidationError",
    "WebToken",
    "account_of_key_id",
    "authorization_document",
    "check_times",
    "encode_authorization_message",
    "parse_token",
    "session_caller",
    "session_expiration",
    "verify_signature",
]
