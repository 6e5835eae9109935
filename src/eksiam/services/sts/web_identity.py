"""sts:AssumeRoleWithWebIdentity: an OIDC token, not a signature, says who the caller is.

Order of checks (irsa-and-eksctl.md section 4, after the STS API Reference and IAM "OIDC federation"):

1. parameters (session name, session policy document);
2. the token parses as a JWT (InvalidIdentityToken);
3. the role's account has an IAM OIDC provider whose URL is the token's ``iss`` without its scheme
   (InvalidIdentityToken "No OpenIDConnect provider found ..."); a missing role is AccessDenied;
4. the signature verifies with a key the issuer publishes: eksiam cluster issuers from the store, any
   other issuer through the ``JwksSource`` (IDPCommunicationError when unreachable);
5. the audience is one of the provider's client IDs, then ``exp``/``nbf``/``iat`` with 5 minutes of
   skew (ExpiredTokenException, IDPRejectedClaim);
6. the trust policy allows ``sts:AssumeRoleWithWebIdentity`` for principal ``Federated`` = the
   provider ARN, with ``<provider url>:sub``, ``:aud`` and ``:oaud`` in the context (AccessDenied);
7. session tags the token carries (claim ``https://aws.amazon.com/tags``) need ``sts:TagSession``
   in the trust policy too, and a source identity (``https://aws.amazon.com/source_identity``)
   ``sts:SetSourceIdentity``;
8. DurationSeconds, packed size; then the session.

Only an issuer on a loopback address may use ``http://`` (local test identity providers); IAM stores
provider URLs without a scheme, so both spellings of such an issuer find the same provider.

``Provider`` in the response is the provider ARN, as AWS returns it for IAM OIDC providers (the docs'
"iss value" wording dates from the built-in Google/Facebook/Amazon providers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from eksiam.policy import LowerCaseContext
from eksiam.services.authorize import lowered_global_keys
from eksiam.services.context import CallContext
from eksiam.services.sts import session_rules as rules
from eksiam.services.sts import trust
from eksiam.services.sts.base import (
    OIDC_PROVIDER,
    RoleRef,
    SessionSpec,
    StsBase,
    assumed_role_user,
    find_role,
    role_ref,
)
from eksiam.services.sts.errors import AccessDenied, IDPCommunicationError, InvalidIdentityToken
from eksiam.services.sts.jwks import IdpUnreachable
from eksiam.services.sts.sessions import credentials_view
from eksiam.services.sts.web_tokens import (
    WebToken,
    check_times,
    matched_audience,
    parse_token,
    verify_signature,
)
from eksiam.storage.interface import Record, UnitOfWork

TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@lru_cache(maxsize=1024)
def provider_key(issuer: str) -> str | None:
    """IAM's key for the provider of ``issuer`` (host[:port]/path), None when the URL is unusable."""
    parts = urlsplit(issuer)
    host = parts.hostname or ""
    if parts.scheme == "http" and host not in _LOOPBACK_HOSTS:
        return None
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        return None
    netloc = parts.netloc[:-4] if parts.netloc.endswith(":443") else parts.netloc
    return (netloc + parts.path).rstrip("/")


@dataclass(frozen=True, slots=True)
class _Lookup:
    role: Record | None
    provider: Record | None


class WebIdentityOperations(StsBase):
    def assume_role_with_web_identity(
        self,
        ctx: CallContext,
        *,
        role_arn: str,
        role_session_name: str,
        web_identity_token: str,
        provider_id: str | None = None,
        policy_arns: Sequence[Mapping[str, str]] | None = None,
        policy: str | None = None,
        duration_seconds: int | None = None,
    ) -> dict[str, Any]:
        if not ctx.input_checked:  # the model's pattern and lengths for the name are stricter
            rules.check_name(role_session_name, "roleSessionName")
        if policy is not None:
            trust.session_policy(policy)
        arns = [p["arn"] for p in policy_arns] if policy_arns else []
        token = parse_token(web_identity_token)
        issuer = token.issuer
        key = provider_key(issuer)
        ref = role_ref(role_arn)
        if ref is None:
            raise AccessDenied.web_identity()
        found = self.store.read_cached(
            ("sts:web-identity", ref.arn, key), lambda uow: _lookup(uow, ref.account, key, ref)
        )
        role, provider = found.role, found.provider
        if role is None:
            raise AccessDenied.web_identity()
        if provider is None or key is None:
            raise InvalidIdentityToken.no_provider(issuer)
        verify_signature(token, self._issuer_keys(ctx, issuer, token.header.get("kid")))
        audiences = token.audiences
        audience = matched_audience(token, provider.get("ClientIDList") or [], audiences)
        check_times(token, ctx.now, ctx.epoch())
        subject = token.subject

        provider_arn = str(provider["Arn"])
        context = LowerCaseContext(lowered_global_keys(ctx))
        _add_claims(context, key, token, subject, audience, audiences)
        claims = token.claims  # neither claim below is in a Kubernetes token: no call for them
        tags, transitive = _token_tags(claims[TAGS_CLAIM]) if TAGS_CLAIM in claims else ((), ())
        if tags or transitive:
            requested = trust.request_tag_context(tags, transitive)
            context.update((name.lower(), value) for name, value in requested.items())
        source = _source_identity(claims[SOURCE_IDENTITY_CLAIM]) if SOURCE_IDENTITY_CLAIM in claims else None
        if source is not None:
            context["sts:sourceidentity"] = source
        trust_doc = trust.trust_policy(role["AssumeRolePolicyDocument"], role["Arn"])
        action = "sts:AssumeRoleWithWebIdentity"
        allowed = trust.allows(provider_arn, action, role_arn, ref.account, trust_doc, context)
        enforce = self.settings.enforce
        if enforce and not allowed:
            raise AccessDenied.web_identity()
        if (
            tags
            and enforce
            and not trust.allows(provider_arn, "sts:TagSession", role_arn, ref.account, trust_doc, context)
        ):
            raise AccessDenied("Not authorized to perform sts:TagSession")
        if (
            source is not None
            and enforce
            and not trust.allows(
                provider_arn, "sts:SetSourceIdentity", role_arn, ref.account, trust_doc, context
            )
        ):
            raise AccessDenied("Not authorized to perform sts:SetSourceIdentity")
        duration = rules.session_duration(duration_seconds, int(role["MaxSessionDuration"]), chained=False)
        session_tags, transitive_keys = rules.merge_tags(tags, transitive, [], [])
        packed = rules.packed_policy_size(policy, arns, session_tags)
        web_identity = {"Provider": provider_arn, "Issuer": issuer, "Subject": subject, "Audience": audience}
        # SessionSpec's fields in order: positional costs half of keywords, on every request
        spec = SessionSpec(
            role, role_session_name, duration, False, policy, arns, session_tags, transitive_keys, source,
            web_identity,
        )  # fmt: skip
        record = self._issue(ctx, spec)
        response: dict[str, Any] = {
            "Credentials": credentials_view(record),
            "SubjectFromWebIdentityToken": subject,
            "AssumedRoleUser": assumed_role_user(record),
            "Provider": provider_arn,
            "Audience": audience,
        }
        if packed is not None:
            response["PackedPolicySize"] = packed
        if source is not None:
            response["SourceIdentity"] = source
        return response

    def _issuer_keys(self, ctx: CallContext, issuer: str, kid: object) -> Sequence[Mapping[str, Any]]:
        local = self.local_issuers.keys(issuer, kid, ctx.now)
        if local is not None:
            return local
        try:
            return self.jwks.keys(issuer, kid)
        except IdpUnreachable:
            raise IDPCommunicationError.unreachable(issuer) from None


def _lookup(uow: UnitOfWork, account: str, key: str | None, ref: RoleRef) -> _Lookup:
    provider = uow.get(OIDC_PROVIDER, account, key) if key else None
    return _Lookup(role=find_role(uow, ref), provider=provider)


def _token_tags(claim: Any) -> tuple[list[dict[str, str]], list[str]]:
    """Session tags an identity provider put in the token (IAM User Guide, "Passing session tags
    using AssumeRoleWithWebIdentity"): claim ``https://aws.amazon.com/tags`` with ``principal_tags``
    (each value a one-element list) and ``transitive_tag_keys``."""
    if claim is None:
        return [], []
    principal = claim.get("principal_tags", {}) if isinstance(claim, dict) else None
    transitive = claim.get("transitive_tag_keys", []) if isinstance(claim, dict) else None
    if not isinstance(principal, dict) or not isinstance(transitive, list):
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim of the web identity token is malformed.")
    tags = []
    for tag_key, values in principal.items():
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim of the web identity token is malformed.")
        tags.append({"Key": str(tag_key), "Value": values[0]})
    return tags, [str(k) for k in transitive]


def _source_identity(value: Any) -> str | None:
    """The source identity an identity provider put in the token (IAM User Guide, "Monitor and
    control actions taken with assumed roles": claim ``https://aws.amazon.com/source_identity``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidIdentityToken(
            f"The {SOURCE_IDENTITY_CLAIM} claim of the web identity token is malformed."
        )
    return rules.check_source_identity(value, None)


def _add_claims(
    context: LowerCaseContext,
    key: str,
    token: WebToken,
    subject: str,
    audience: str,
    audiences: tuple[str, ...],
) -> None:
    """``<provider>:sub``, ``:aud`` (``azp`` or the matched ``aud``) and ``:oaud`` (every ``aud``)."""
    sub, aud, oaud, optional = _claim_keys(key)
    context[sub] = subject
    context[aud] = audience
    context[oaud] = audiences[0] if len(audiences) == 1 else list(audiences)
    claims = token.claims
    if _OPTIONAL_CLAIMS.isdisjoint(claims):  # what Kubernetes issues: neither claim, one C call
        return
    for claim, context_key in optional:
        value = claims.get(claim)
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            context[context_key] = value


_OPTIONAL_CLAIMS = frozenset(("amr", "azp"))


@lru_cache(maxsize=1024)
def _claim_keys(key: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    """The condition keys of provider ``key``: sub, aud, oaud, and (claim, key) for amr and azp;
    lower-cased, as the other keys of this request's context are (``lowered_global_keys``)."""
    name = key.lower()
    optional = tuple((claim, f"{name}:{claim}") for claim in sorted(_OPTIONAL_CLAIMS))
    return f"{name}:sub", f"{name}:aud", f"{name}:oaud", optional
