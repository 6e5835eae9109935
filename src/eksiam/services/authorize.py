"""Every call is decided by the policy engine against the caller's policies, as AWS decides it.

Rules:

1. Deny by default. Root is allowed unless a service control policy denies (IAM User Guide, "AWS
   account root user"); users and role sessions get what their policies allow (principal_policies.py);
   a call without a caller is anonymous and denied. ``settings.enforce=False`` turns checks off.
2. The request context carries what AWS puts there (IAM User Guide, "AWS global condition context
   keys"): aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:RequestedRegion,
   aws:PrincipalArn (the role's ARN for a session), aws:PrincipalAccount, aws:PrincipalType,
   aws:userid, aws:username (users only), aws:PrincipalTag/*, aws:MultiFactorAuthPresent and
   aws:TokenIssueTime (temporary credentials only), aws:SourceIdentity, aws:ViaAWSService, then the
   operation's own keys (aws:RequestTag/*, aws:TagKeys, iam:PassedToService ...).
3. AccessDenied carries AWS's text (IAM User Guide, "Troubleshoot access denied error messages"):
   ``User: <caller arn> is not authorized to perform: <action> on resource: <resource> because no
   <type> policy allows the <action> action`` for an implicit deny, ``... with an explicit deny in
   <a type> policy`` (plus ``: <policy arn>`` for a managed policy, as AWS added in 2026) for an
   explicit one. One policy type is named, the first of SCP, identity-based, permissions boundary,
   session that lacked an allow. IAM names some resources by type and name instead of ARN
   (``iam:GetRole on resource: role <name>``, ``iam:GetPolicy on resource: policy <arn>``, seen in
   real responses), kept as data in ``_IAM_DISPLAY``.
4. Compiled policies are cached per caller and checked against a per-account generation counter
   (``authz-generation`` record). ``track_policy_changes(store)`` wraps the store the services write
   through and bumps the counter in the same transaction as any change to a record kind that feeds
   authorization, so a cached allow can never outlive the policy change that revokes it. While the
   counter is 0 (no tracked write yet: services may be writing through an untracked store) nothing
   is served from the cache.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from botocore import xform_name

from eksiam.arn import ACCOUNT_ID, Arn, InvalidArn
from eksiam.clock import utc_z
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.policy import (
    Decision,
    DecisionKind,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
    parse_policy,
)
from eksiam.services.authz_generation import current_generation
from eksiam.services.context import CallContext, Caller, CallerKind
from eksiam.services.iam import records as r
from eksiam.services.operations_auth import IAM_ENTITY_TYPES, Mode, operation_auth, operation_names, param
from eksiam.services.principal_policies import (
    PolicySource,
    PrincipalPolicies,
    role_policies,
    session_policies,
    user_policies,
)
from eksiam.storage.interface import Store, UnitOfWork

ContextValues = Mapping[str, str | Sequence[str]]
ScpLookup = Callable[[str], Sequence[Sequence[Policy]]]

_CACHE_SIZE = 4096
_PRINCIPAL_TYPE = {
    CallerKind.ROOT: "Account",
    CallerKind.USER: "User",
    CallerKind.ASSUMED_ROLE: "AssumedRole",
    CallerKind.FEDERATED_USER: "FederatedUser",
}
# PolicyKind -> (implicit "because no X allows", explicit "with an explicit deny in X")
_PHRASES = {
    PolicyKind.SCP: ("service control policy", "a service control policy"),
    PolicyKind.RCP: ("resource control policy", "a resource control policy"),
    PolicyKind.IDENTITY: ("identity-based policy", "an identity-based policy"),
    PolicyKind.RESOURCE: ("resource-based policy", "a resource-based policy"),
    PolicyKind.BOUNDARY: ("permissions boundary", "a permissions boundary"),
    PolicyKind.SESSION: ("session policy", "a session policy"),
}
_IMPLICIT_ORDER = (
    PolicyKind.SCP,
    PolicyKind.RCP,
    PolicyKind.IDENTITY,
    PolicyKind.BOUNDARY,
    PolicyKind.SESSION,
)
# IAM action -> how its AccessDenied message names the resource (rule 3).
_IAM_DISPLAY: dict[str, Callable[[str], str]] = {
    "iam:GetRole": lambda arn: f"role {arn.rsplit('/', 1)[-1]}",
    "iam:GetPolicy": lambda arn: f"policy {arn}",
}


class AccessDenied(ServiceError):
    code = "AccessDenied"
    json_code: ClassVar[str] = "AccessDeniedException"
    status = 403
    sender_fault = True


def denial_message(caller_arn: str, action: str, resource: str, decision: Decision) -> str:
    display = _IAM_DISPLAY.get(action)
    shown = display(resource) if display is not None else resource
    head = f"User: {caller_arn} is not authorized to perform: {action} on resource: {shown}"
    if decision.kind == DecisionKind.EXPLICIT_DENY:
        deny = next((m for m in decision.matched if _effect(m.effect) == "Deny"), None)
        kind = PolicyKind(deny.policy_kind) if deny is not None else PolicyKind.IDENTITY
        text = f"{head} with an explicit deny in {_PHRASES[kind][1]}"
        if deny is not None and deny.policy_id.startswith("arn:"):
            text += f": {deny.policy_id}"
        return text
    missing = [PolicyKind(k) for k in decision.missing]
    kind = next((k for k in _IMPLICIT_ORDER if k in missing), PolicyKind.IDENTITY)
    return f"{head} because no {_PHRASES[kind][0]} allows the {action} action"


def _effect(effect: Any) -> str:
    return str(getattr(effect, "value", effect))


def compile_sources(sources: Sequence[PolicySource], kind: PolicyKind) -> tuple[Policy, ...]:
    return tuple(parse_policy(s.document, kind, policy_id=s.policy_id) for s in sources)


def policy_set(found: PrincipalPolicies, scps: Sequence[Sequence[Policy]] = ()) -> PolicySet:
    return PolicySet(
        identity=compile_sources(found.identity, PolicyKind.IDENTITY),
        boundary=compile_sources([found.boundary], PolicyKind.BOUNDARY)[0] if found.boundary else None,
        session=compile_sources(found.session, PolicyKind.SESSION),
        scps=scps,
    )


_ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


class Authorizer:
    def __init__(self, store: Store, settings: Settings, *, scps: ScpLookup | None = None) -> None:
        self.store = store
        self.settings = settings
        self.scps = scps
        self._cache: OrderedDict[tuple[str, ...], tuple[int, PrincipalPolicies, PolicySet]] = OrderedDict()
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------

    def require(
        self, ctx: CallContext, action: str, resource_arn: str, context: ContextValues | None = None
    ) -> None:
        """Raise AccessDenied unless the caller may perform ``action`` on ``resource_arn``."""
        if not self.settings.enforce or self._root_in_own_account(ctx, resource_arn):
            return
        decision = self.decide(ctx, action, resource_arn, context)
        if not decision.allowed:
            caller = ctx.caller.arn if ctx.caller is not None else "anonymous"
            raise AccessDenied(denial_message(caller, action, resource_arn, decision))

    def allows_everything(self, ctx: CallContext) -> bool:
        """Whether every action on the caller's own account's resources is allowed whatever the
        resource's details (enforcement off, or root with no SCP in force), so a service need not
        read an entity just to authorize against its ARN and tags."""
        return not self.settings.enforce or self._unrestricted_root(ctx)

    def require_pass_role(self, ctx: CallContext, role_arn: str, service_principal: str) -> None:
        """iam:PassRole, as a service checks it when a role is handed to it (iam:PassedToService)."""
        self.require(ctx, "iam:PassRole", role_arn, {"iam:PassedToService": service_principal})

    def authorize_operation(
        self, ctx: CallContext, service: str, operation: str, params: Mapping[str, Any]
    ) -> None:
        """Authorize one wire operation by the operations_auth table (server dispatch uses this)."""
        if not self.settings.enforce:
            return
        spec = operation_auth(service, operation)
        if spec is None or spec.mode is not Mode.IDENTITY:
            return
        resource = spec.resource_arn(
            params, partition=self.settings.partition, region=ctx.region, account=ctx.account
        )
        context = dict(request_keys(spec.condition_keys, params))
        if spec.resource_type in IAM_ENTITY_TYPES and not operation.startswith("Create"):
            resource, tags = self._stored_entity(ctx.account, spec.resource_type, resource)
            context.update({f"aws:ResourceTag/{k}": v for k, v in tags.items()})
        self.require(ctx, spec.action, resource, context)

    def decide(
        self,
        ctx: CallContext,
        action: str,
        resource_arn: str,
        context: ContextValues | None = None,
        *,
        resource_policy: Policy | None = None,
    ) -> Decision:
        """The engine's decision for the caller (STS passes a trust policy as ``resource_policy``)."""
        caller = ctx.caller or Caller(CallerKind.ANONYMOUS, "anonymous", "", "")
        found, policies = self.caller_policies(caller)
        if resource_policy is not None:
            policies = PolicySet(
                policies.identity, policies.boundary, policies.session, resource_policy, policies.scps
            )
        request = Request(
            principal=caller.arn,
            action=action,
            resource=resource_arn,
            resource_account=_resource_account(resource_arn),
            context={**request_context(ctx, caller, found), **(context or {})},
        )
        return evaluate(request, policies)

    def caller_policies(self, caller: Caller) -> tuple[PrincipalPolicies, PolicySet]:
        """The caller's policies, compiled; cached until the account's policies change (rule 4)."""
        scps = self.scps(caller.account) if self.scps is not None and caller.account else ()
        if caller.kind is CallerKind.ROOT:
            root = PrincipalPolicies(
                identity=(PolicySource("root", "root", "root", _ALLOW_ALL),), principal_arn=caller.arn
            )
            return root, policy_set(root, scps)
        if caller.kind is CallerKind.ANONYMOUS or not caller.account:
            return PrincipalPolicies(exists=False), PolicySet()
        key = (caller.kind.value, caller.arn, caller.access_key_id or "")
        generation = self.store.read(lambda uow: current_generation(uow, caller.account))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == generation and generation > 0:
                self._cache.move_to_end(key)
                return hit[1], hit[2]
        generation, found = self.store.read(lambda uow: self._gather(uow, caller))
        compiled = policy_set(found, scps) if found.exists else PolicySet()
        with self._lock:
            self._cache[key] = (generation, found, compiled)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found, compiled

    # -- helpers ------------------------------------------------------------------------------

    def _unrestricted_root(self, ctx: CallContext) -> bool:
        """Root with no SCP in force: allowed everything in its own account (rule 1)."""
        caller = ctx.caller
        if caller is None or caller.kind is not CallerKind.ROOT or not caller.account:
            return False
        return not (self.scps is not None and self.scps(caller.account))

    def _root_in_own_account(self, ctx: CallContext, resource_arn: str) -> bool:
        """Root acting on its own account's resources with no SCP in force: allowed without asking
        the engine, which would only evaluate the root's allow-all statement."""
        if not self._unrestricted_root(ctx):
            return False
        owner = ctx.caller.account if ctx.caller is not None else None
        return resource_arn == "*" or _resource_account(resource_arn) == owner

    def _gather(self, uow: UnitOfWork, caller: Caller) -> tuple[int, PrincipalPolicies]:
        generation = current_generation(uow, caller.account)
        if caller.session is not None:
            return generation, session_policies(uow, caller.account, caller.session)
        if caller.kind is CallerKind.USER:
            return generation, user_policies(uow, caller.account, caller.arn.rsplit("/", 1)[-1])
        if caller.kind is CallerKind.ASSUMED_ROLE:
            role_name = caller.arn.split("/")[1] if "/" in caller.arn else ""
            return generation, role_policies(uow, caller.account, role_name)
        return generation, PrincipalPolicies(exists=False)

    def _stored_entity(self, account: str, entity_type: str, arn: str) -> tuple[str, dict[str, str]]:
        """The stored ARN (with its real path) and tags of the IAM entity ``arn`` names."""
        name = arn.rsplit("/", 1)[-1]
        record = self.store.read(lambda uow: uow.get(entity_type, account, r.name_key(name)))
        if record is None:
            return arn, {}
        return record["Arn"], {str(t["Key"]): str(t.get("Value", "")) for t in r.tags_of(record)}


def _resource_account(resource_arn: str) -> str | None:
    try:
        account = Arn.parse(resource_arn).account
    except InvalidArn:
        return None
    return account if ACCOUNT_ID.match(account) else None


def global_keys(ctx: CallContext) -> dict[str, str | list[str]]:
    """The global condition keys every request has, signed or not (IAM "AWS global condition
    context keys"): source, time, transport, region. A new dict, the caller's to extend."""
    return dict(_global_keys(*_global_inputs(ctx)))


def lowered_global_keys(ctx: CallContext) -> Mapping[str, str]:
    """``global_keys`` with lower-cased names (condition keys are case-insensitive), to start a
    ``LowerCaseContext`` that the policy engine merges as it is; shared, so only read it."""
    return _lowered_global_keys(*_global_inputs(ctx))


def _global_inputs(ctx: CallContext) -> tuple[int, str, bool, str]:
    """What the global keys depend on: times have whole seconds, so a second's keys repeat."""
    return int(ctx.epoch()), ctx.source_ip, ctx.secure_transport, ctx.region


@functools.lru_cache(maxsize=256)
def _global_keys(second: int, source_ip: str, secure: bool, region: str) -> Mapping[str, str]:
    return {
        "aws:SourceIp": source_ip,
        "aws:CurrentTime": utc_z(datetime.fromtimestamp(second, UTC)),
        "aws:EpochTime": str(second),
        "aws:SecureTransport": "true" if secure else "false",
        "aws:RequestedRegion": region,
    }


@functools.lru_cache(maxsize=256)
def _lowered_global_keys(second: int, source_ip: str, secure: bool, region: str) -> Mapping[str, str]:
    return {name.lower(): value for name, value in _global_keys(second, source_ip, secure, region).items()}


def request_context(ctx: CallContext, caller: Caller, found: PrincipalPolicies) -> dict[str, str | list[str]]:
    """The global condition keys of this request (rule 2)."""
    values = global_keys(ctx)
    values["aws:ViaAWSService"] = "false"
    if caller.kind is not CallerKind.ANONYMOUS:
        values["aws:PrincipalArn"] = found.principal_arn or caller.arn
        values["aws:PrincipalAccount"] = caller.account
        values["aws:PrincipalType"] = _PRINCIPAL_TYPE.get(caller.kind, "User")
        values["aws:userid"] = caller.user_id
    if caller.kind is CallerKind.USER:  # also a user's GetSessionToken session
        values["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    session = caller.session
    if session is not None:
        values["aws:MultiFactorAuthPresent"] = "true" if session.get("MfaPresent") else "false"
        if session.get("IssuedAt"):
            values["aws:TokenIssueTime"] = str(session["IssuedAt"])
        if session.get("SourceIdentity"):
            values["aws:SourceIdentity"] = str(session["SourceIdentity"])
    for key, value in found.tags.items():
        values[f"aws:PrincipalTag/{key}"] = value
    if ctx.user_agent:
        values["aws:UserAgent"] = ctx.user_agent
    values.update({k: (v if isinstance(v, str) else list(v)) for k, v in ctx.extra_context.items()})
    return values


# Condition key (as the Service Authorization Reference names it) -> request parameter.
_PARAMETER_KEYS = {
    "iam:PolicyARN": "PolicyArn",
    "iam:PermissionsBoundary": "PermissionsBoundary",
    "iam:AWSServiceName": "AWSServiceName",
    "sts:RoleSessionName": "RoleSessionName",
    "sts:ExternalId": "ExternalId",
    "sts:SourceIdentity": "SourceIdentity",
}


def request_keys(condition_keys: Sequence[str], params: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Operation-specific condition keys from the request's parameters (tags, policy ARNs ...)."""
    out: dict[str, str | list[str]] = {}
    if "aws:RequestTag/${TagKey}" in condition_keys or "aws:TagKeys" in condition_keys:
        tags = _request_tags(
            param(params, "Tags") if param(params, "Tags") is not None else params.get("tags")
        )
        out.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        if tags:
            out["aws:TagKeys"] = list(tags)
    for key, member in _PARAMETER_KEYS.items():
        value = param(params, member)
        if key in condition_keys and isinstance(value, str):
            out[key] = value
    return out


def _request_tags(tags: Any) -> dict[str, str]:
    """IAM/STS tags are ``[{Key, Value}]``; EKS tags are a ``{key: value}`` map."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t["Key"]): str(t.get("Value", "")) for t in tags if isinstance(t, Mapping)}
    return {}


def authorize_operations(service_object: object, service: str, authorizer: Authorizer) -> None:
    """Make each operation method of ``service_object`` pass ``authorize_operation`` before it runs.

    For services whose methods do not ask the authorizer themselves (EKS, EKS Auth); IAM and STS do.
    The wrapper keeps the method's signature (``functools.wraps``), so dispatch sees no change.
    """
    for operation in operation_names(service):
        method = getattr(service_object, xform_name(operation), None)
        if callable(method):
            setattr(service_object, xform_name(operation), _guarded(method, authorizer, service, operation))


def _guarded(
    method: Callable[..., Any], authorizer: Authorizer, service: str, operation: str
) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(ctx: CallContext, **kwargs: Any) -> Any:
        authorizer.authorize_operation(ctx, service, operation, kwargs)
        return method(ctx, **kwargs)

    return run
