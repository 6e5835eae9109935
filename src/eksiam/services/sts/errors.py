"""STS's error codes, with the status each has in the botocore model (sts 2011-06-15) and the message
texts AWS sends (STS API Reference "Common Errors" and each operation's "Errors"; texts of the web
identity path as quoted in irsa-and-eksctl.md section 4).

Tree::

    ServiceError (eksiam.errors)
     └─ StsError                          sender faults
         ├─ AccessDenied                  403  trust or identity policy says no
         ├─ ValidationError               400  DurationSeconds, session name, tag rules
         ├─ MalformedPolicyDocument       400  session policy does not parse
         ├─ PackedPolicyTooLarge          400  session policies + tags over the packed limit
         ├─ InvalidIdentityToken          400  web identity token unusable
         ├─ ExpiredTokenException         400  web identity token past ``exp``
         ├─ IDPRejectedClaim              403  token not yet valid (``nbf``/``iat`` ahead)
         ├─ IDPCommunicationError         400  discovery document or JWKS unreachable
         └─ InvalidAuthorizationMessage   400  DecodeAuthorizationMessage input
"""

from __future__ import annotations

from datetime import datetime

from eksiam.errors import ServiceError


class StsError(ServiceError):
    status = 400
    sender_fault = True


class AccessDenied(StsError):
    code = "AccessDenied"
    status = 403

    @classmethod
    def not_authorized(cls, caller_arn: str, action: str, resource: str) -> AccessDenied:
        """The text every STS operation uses when policies deny a signed caller."""
        return cls(f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}")

    @classmethod
    def root_caller(cls) -> AccessDenied:
        """AssumeRole with the root user's credentials (STS API Reference "AssumeRole")."""
        return cls("Roles may not be assumed by root accounts.")

    @classmethod
    def web_identity(cls) -> AccessDenied:
        return cls("Not authorized to perform sts:AssumeRoleWithWebIdentity")

    @classmethod
    def session_credentials(cls, operation: str) -> AccessDenied:
        """GetSessionToken (and GetFederationToken) refuse temporary credentials."""
        return cls(f"Cannot call {operation} with session credentials")


class ValidationError(StsError):
    code = "ValidationError"

    @classmethod
    def duration_over_role_max(cls) -> ValidationError:
        return cls("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

    @classmethod
    def duration_over_chain_max(cls) -> ValidationError:
        return cls(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role "
            "chaining."
        )

    @classmethod
    def constraint(cls, value: object, field: str, constraint: str) -> ValidationError:
        """The AWS JSON-style constraint text the wire layer also produces."""
        return cls(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"{constraint}"
        )


class MalformedPolicyDocument(StsError):
    code = "MalformedPolicyDocument"


class PackedPolicyTooLarge(StsError):
    code = "PackedPolicyTooLarge"

    @classmethod
    def policy(cls, percent: int) -> PackedPolicyTooLarge:
        return cls(f"Packed policy consumes {percent}% of allotted space, please use smaller policy.")

    @classmethod
    def tags(cls, percent: int) -> PackedPolicyTooLarge:
        return cls(f"Packed size of session tags consumes {percent}% of allotted space.")


class InvalidIdentityToken(StsError):
    code = "InvalidIdentityToken"

    @classmethod
    def not_a_jwt(cls) -> InvalidIdentityToken:
        return cls(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
        )

    @classmethod
    def no_provider(cls, issuer: str) -> InvalidIdentityToken:
        return cls(f"No OpenIDConnect provider found in your account for {issuer}")

    @classmethod
    def no_key(cls) -> InvalidIdentityToken:
        # AWS's text has the two spaces after the comma.
        return cls(
            "Couldn't retrieve verification key from your identity provider,  please reference "
            "AssumeRoleWithWebIdentity documentation for requirements"
        )

    @classmethod
    def bad_signature(cls) -> InvalidIdentityToken:
        return cls(
            "The web identity token that was passed could not be validated by AWS. Get a new identity "
            "token from the identity provider and then retry the request."
        )

    @classmethod
    def audience(cls) -> InvalidIdentityToken:
        return cls("Incorrect token audience")

    @classmethod
    def missing_claim(cls, claim: str) -> InvalidIdentityToken:
        return cls(f"The web identity token is missing the required claim '{claim}'.")


class ExpiredTokenException(StsError):
    code = "ExpiredTokenException"

    @classmethod
    def web_identity(cls, now: datetime, expires: int) -> ExpiredTokenException:
        return cls(
            f"Token expired: current date/time {int(now.timestamp())} must be before the expiration "
            f"date/time {expires}"
        )


class IDPRejectedClaim(StsError):
    code = "IDPRejectedClaim"
    status = 403

    @classmethod
    def not_yet_valid(cls, claim: str) -> IDPRejectedClaim:
        return cls(
            f"The identity provider rejected the claim: token is not valid yet ('{claim}' is in the future)."
        )


class IDPCommunicationError(StsError):
    code = "IDPCommunicationError"

    @classmethod
    def unreachable(cls, issuer: str) -> IDPCommunicationError:
        return cls(
            "The request could not be fulfilled because the identity provider (IDP) that was asked to "
            f"verify the incoming identity token could not be reached: {issuer}"
        )


class InvalidAuthorizationMessage(StsError):
    code = "InvalidAuthorizationMessageException"

    @classmethod
    def undecodable(cls) -> InvalidAuthorizationMessage:
        return cls("The encoded authorization message is invalid or was not issued by this account.")
