"""Who made the request, and whether a Principal/NotPrincipal element names them.

Facts used (IAM User Guide, "AWS JSON policy elements: Principal", "AWS JSON policy elements:
NotPrincipal", "Policy evaluation logic"):

1. An account principal (``"123456789012"`` or ``arn:aws:iam::123456789012:root``) names the account,
   not a person: a resource-based policy that names it delegates to the account, whose identity-based
   policies must still allow the request (grade ``ACCOUNT``).
2. A role ARN names the role; it also covers every session of that role (sessions do not carry the
   role's path, so the match is by account and role name). Grants to the role ARN stay limited by
   the session's permissions boundary and session policies (grade ``ROLE``).
3. A user ARN, an assumed-role session ARN, a federated-user ARN, a service principal, a federated
   identity provider and ``"*"`` name the caller itself (grade ``DIRECT``).
4. A request carries several identities: the account, and the user, or for a session the role and
   the session itself. A Deny with NotPrincipal exempts the caller only if every one is listed
   ("you must also include the account ARN"); an Allow with NotPrincipal grants to everyone except
   a caller with a listed identity.
5. "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
   permissions boundary policy attached, regardless of the values specified in the NotPrincipal
   element" (IAM User Guide, "Permissions boundaries for IAM entities").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from functools import lru_cache

from eksiam.policy.document import Effect, PrincipalBlock, Statement


class PrincipalKind(str, Enum):
    USER = "User"
    ROOT = "Account"
    ROLE = "Role"
    ROLE_SESSION = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    WEB_IDENTITY = "WebIdentityUser"
    SAML = "SAMLUser"
    SERVICE = "AWSService"
    ANONYMOUS = "Anonymous"


IAM_KINDS = frozenset(
    {
        PrincipalKind.USER,
        PrincipalKind.ROOT,
        PrincipalKind.ROLE,
        PrincipalKind.ROLE_SESSION,
        PrincipalKind.FEDERATED_USER,
    }
)


class Grant(IntEnum):
    """How directly a Principal element names the caller (rules 1-3); NONE: not at all."""

    NONE = 0
    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    text: str
    kind: PrincipalKind
    partition: str
    account: str | None
    name: str | None  # user, role or federated user name; provider host for web identity
    role_name: str | None
    session_name: str | None
    # A service-linked role or its session: the role lives under the ``/aws-service-role/`` path and
    # its name starts ``AWSServiceRoleFor`` (IAM User Guide, "Using service-linked roles").
    service_linked: bool = False

    @property
    def account_arn(self) -> str | None:
        return f"arn:{self.partition}:iam::{self.account}:root" if self.account else None

    @property
    def principal_arn(self) -> str | None:
        """aws:PrincipalArn: a session reports its role's ARN (without path, which it does not know)."""
        if self.kind is PrincipalKind.ROLE_SESSION:
            return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"
        if self.kind in IAM_KINDS:
            return self.text
        return None


def _iam(text: str, partition: str, service: str, account: str, resource: str) -> PrincipalInfo | None:
    kind_name, _, rest = resource.partition("/")
    last = rest.rsplit("/", 1)[-1] if rest else None
    if service == "iam" and resource == "root":
        return PrincipalInfo(text, PrincipalKind.ROOT, partition, account, None, None, None)
    if service == "iam" and kind_name == "user" and last:
        return PrincipalInfo(text, PrincipalKind.USER, partition, account, last, None, None)
    if service == "iam" and kind_name == "role" and last:
        linked = rest.startswith("aws-service-role/")
        return PrincipalInfo(text, PrincipalKind.ROLE, partition, account, last, last, None, linked)
    if service == "iam" and kind_name == "oidc-provider" and rest:
        return PrincipalInfo(text, PrincipalKind.WEB_IDENTITY, partition, account, rest, None, None)
    if service == "iam" and kind_name == "saml-provider" and rest:
        return PrincipalInfo(text, PrincipalKind.SAML, partition, account, rest, None, None)
    if service == "sts" and kind_name == "assumed-role" and rest.count("/") == 1:
        role, session = rest.split("/")
        linked = role.startswith("AWSServiceRoleFor")
        return PrincipalInfo(
            text, PrincipalKind.ROLE_SESSION, partition, account, role, role, session, linked
        )
    if service == "sts" and kind_name == "federated-user" and rest:
        return PrincipalInfo(text, PrincipalKind.FEDERATED_USER, partition, account, rest, None, None)
    return None


@lru_cache(maxsize=4096)
def describe_principal(text: str) -> PrincipalInfo:
    """Classify a request principal: an IAM/STS ARN, an identity provider ARN, a service, or ``*``."""
    parts = text.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        info = _iam(text, parts[1], parts[2], parts[4], parts[5])
        if info is not None:
            return info
    if text in ("*", "", "anonymous"):
        return PrincipalInfo(text, PrincipalKind.ANONYMOUS, "aws", None, None, None, None)
    if text.endswith((".amazonaws.com", ".amazonaws.com.cn")) and not text.startswith("cognito-identity."):
        return PrincipalInfo(text, PrincipalKind.SERVICE, "aws", None, text, None, None)
    return PrincipalInfo(text, PrincipalKind.WEB_IDENTITY, "aws", None, text, None, None)


# Members bound once for the functions below, which run for every statement naming a principal:
# attribute access on an Enum class costs ten times a global lookup.
_NONE, _ACCOUNT, _ROLE, _DIRECT = Grant.NONE, Grant.ACCOUNT, Grant.ROLE, Grant.DIRECT
_ROLE_KIND, _SERVICE_KIND = PrincipalKind.ROLE, PrincipalKind.SERVICE


def _account_of(entry: str) -> str | None:
    if len(entry) == 12 and entry.isdigit():
        return entry
    parts = entry.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


def _role_of(entry: str) -> tuple[str, str] | None:
    parts = entry.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5].startswith("role/"):
        return parts[4], parts[5].rsplit("/", 1)[-1]
    return None


def entry_grant(kind: str, entry: str, info: PrincipalInfo) -> Grant:
    """How one Principal entry (``AWS``/``Service``/``Federated``/``CanonicalUser``, value) names info."""
    if kind == "AWS":
        if entry == "*":
            return _DIRECT
        if info.kind not in IAM_KINDS:
            return _NONE
        if entry == info.text:
            return _ROLE if info.kind is _ROLE_KIND else _DIRECT
        account = _account_of(entry)
        if account is not None:
            return _ACCOUNT if account == info.account else _NONE
        role = _role_of(entry)
        if role is not None and info.role_name is not None and role == (info.account, info.role_name):
            return _ROLE
        return _NONE
    if kind == "Service":
        return _DIRECT if info.kind is _SERVICE_KIND and entry.lower() == info.text.lower() else _NONE
    return _DIRECT if entry == info.text and info.kind not in IAM_KINDS else _NONE


def principal_grant(block: PrincipalBlock, info: PrincipalInfo) -> Grant:
    if block.wildcard:
        return _DIRECT
    best = _NONE
    for kind, entry in block.entries:
        grant = entry_grant(kind, entry, info)
        if grant > best:
            best = grant
    return best


def _identities(info: PrincipalInfo) -> tuple[tuple[str, str, Grant], ...]:
    """The identities a request carries, each with the grade an entry must reach to list it (rule 4)."""
    if info.kind is PrincipalKind.SERVICE:
        return (("Service", info.text, Grant.DIRECT),)
    if info.kind not in IAM_KINDS:
        return (("Federated", info.text, Grant.DIRECT),) if info.kind is not PrincipalKind.ANONYMOUS else ()
    own = (("AWS", info.text, Grant.ROLE if info.kind is PrincipalKind.ROLE else Grant.DIRECT),)
    account = (("AWS", info.account_arn or "", Grant.ACCOUNT),)
    if info.kind is PrincipalKind.ROOT:
        return account
    if info.kind is PrincipalKind.ROLE_SESSION:
        role = ("AWS", info.principal_arn or "", Grant.ROLE)
        return (*own, role, *account)
    return (*own, *account)


def not_principal_applies(block: PrincipalBlock, info: PrincipalInfo, deny: bool, bounded: bool) -> bool:
    """Whether a NotPrincipal statement applies to the caller (rules 4 and 5)."""
    if block.wildcard:
        return False
    if info.kind is PrincipalKind.ANONYMOUS or (deny and bounded):
        return True
    listed = [
        any(
            entry_kind == kind and _lists(entry, identity, needed, info)
            for entry_kind, entry in block.entries
        )
        for kind, identity, needed in _identities(info)
    ]
    return not all(listed) if deny else not any(listed)


def _lists(entry: str, identity: str, needed: Grant, info: PrincipalInfo) -> bool:
    if needed is Grant.ACCOUNT:
        return _account_of(entry) == info.account
    if needed is Grant.ROLE:
        role = _role_of(entry)
        return role is not None and role == (info.account, info.role_name)
    return entry == identity or (info.kind is PrincipalKind.SERVICE and entry.lower() == identity.lower())


def statement_grant(statement: Statement, info: PrincipalInfo, bounded: bool) -> Grant:
    """How a statement's Principal/NotPrincipal names the caller; DIRECT when it has neither.

    ``bounded``: the caller has a permissions boundary (rule 5).
    """
    if statement.principal is not None:
        return principal_grant(statement.principal, info)
    if statement.not_principal is not None:
        deny = statement.effect is Effect.DENY
        applies = not_principal_applies(statement.not_principal, info, deny, bounded)
        return _DIRECT if applies else _NONE
    return _DIRECT
