"""The request as policies see it: principal, action, resource and condition-key values.

Rules (IAM User Guide, "Processing the request context" and "AWS global condition context keys"):

1. Condition-key names are case-insensitive: keys are stored lower-cased. Values are strings, as in
   a real request; a multivalued key holds several, and an empty list is the empty set.
2. The engine derives the keys AWS derives from an authenticated principal: ``aws:PrincipalArn``
   (a role session reports its role's ARN), ``aws:PrincipalAccount``, ``aws:PrincipalType``,
   ``aws:username`` (IAM users only), ``aws:userid`` where it follows from the ARN (root: the
   account id; federated user: ``account:name``), ``aws:PrincipalIsAWSService``,
   ``aws:PrincipalServiceName``, ``aws:FederatedProvider`` and ``aws:ResourceAccount``. A value the
   caller passes in the context wins over a derived one (a real request knows the unique ids).
3. The resource account defaults to the principal's account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from eksiam.policy.principals import IAM_KINDS, PrincipalInfo, PrincipalKind, describe_principal

ContextValues = Mapping[str, "str | Sequence[str]"]


# Request and Decision are built on every evaluation; a frozen dataclass costs about four times as
# much to construct (object.__setattr__ per field), so these two are plain slotted dataclasses that
# nothing in the engine ever mutates.


@dataclass(slots=True)
class Request:
    """One authorization question; treat it as immutable (see the note above)."""

    principal: str
    action: str
    resource: str
    resource_account: str | None = None
    context: ContextValues = field(default_factory=dict)


@dataclass(slots=True)
class RequestContext:
    """Built once per request and never changed afterwards (not frozen only because frozen
    dataclasses are several times slower to construct, and this is built on every evaluation)."""

    principal: PrincipalInfo
    action: str  # lower-cased
    service: str  # lower-cased vendor prefix
    resource: str
    resource_account: str | None
    same_account: bool  # the principal's account owns the resource
    values: Mapping[str, str | Sequence[str]]  # as given: normalised where read (operators.as_values)
    bounded: bool = False  # the caller has a permissions boundary (principals.py rule 5)


@lru_cache(maxsize=4096)
def _caller(
    principal: str, given_account: str | None
) -> tuple[PrincipalInfo, str | None, Mapping[str, str | Sequence[str]]]:
    """The principal, the resource account (rule 3) and the derived keys (rule 2), cached per pair.

    The mapping is shared between requests and never mutated; build_context merges into a new one.
    """
    info = describe_principal(principal)
    resource_account = given_account or info.account
    values: dict[str, str | Sequence[str]] = {
        "aws:principalisawsservice": "true" if info.kind is PrincipalKind.SERVICE else "false",
    }
    if info.kind is PrincipalKind.SERVICE:
        values["aws:principalservicename"] = info.text
    if info.kind in IAM_KINDS:
        values["aws:principalarn"] = info.principal_arn or info.text
        values["aws:principalaccount"] = info.account or ""
        values["aws:principaltype"] = info.kind.value
    if info.kind is PrincipalKind.USER and info.name:
        values["aws:username"] = info.name
    if info.kind is PrincipalKind.ROOT and info.account:
        values["aws:userid"] = info.account
    if info.kind is PrincipalKind.FEDERATED_USER and info.account and info.name:
        values["aws:userid"] = f"{info.account}:{info.name}"
    if info.kind in (PrincipalKind.WEB_IDENTITY, PrincipalKind.SAML):
        values["aws:federatedprovider"] = info.text
    if resource_account:
        values["aws:resourceaccount"] = resource_account
    return info, resource_account, values


class LowerCaseContext(dict[str, "str | Sequence[str]"]):
    """Condition keys whose names are all lower-case already, as the engine keeps them (rule 1): the
    caller vouches for it, and ``build_context`` merges them as they are, without checking names."""

    __slots__ = ()


@lru_cache(maxsize=4096)
def _lowered(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """Lower-cased key names, None when they are all lower-case already; requests of one kind
    repeat the same key set, so this is cached."""
    lowered = tuple(key.lower() for key in keys)
    return None if lowered == keys else lowered


@lru_cache(maxsize=65536)
def _action(action: str) -> tuple[str, str]:
    lowered = action.lower()
    return lowered, lowered.partition(":")[0]


def build_context(request: Request, bounded: bool = False) -> RequestContext:
    info, resource_account, values = _caller(request.principal, request.resource_account)
    given = request.context
    if given:
        lowered = None if given.__class__ is LowerCaseContext else _lowered(tuple(given))
        if lowered is None:  # merged by the dicts themselves: no pairs to build
            values = {**values, **given}
        else:
            values = dict(values)
            values.update(zip(lowered, given.values(), strict=True))
    action, service = _action(request.action)
    same_account = info.account is not None and info.account == resource_account
    # Positional: this runs on every evaluation, and keyword construction costs measurably more.
    return RequestContext(
        info, action, service, request.resource, resource_account, same_account, values, bounded
    )
