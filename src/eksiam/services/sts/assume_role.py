"""sts:AssumeRole, and the service-principal sessions EKS Pod Identity creates the same way.

Order of checks (STS API Reference "AssumeRole"; IAM User Guide "Passing session tags in AWS STS",
"Monitor and control actions taken with assumed roles" for source identity):

1. the caller is an IAM user or a role session (root credentials cannot assume roles), then the
   parameters: session name, source identity, tags, session policy document (malformed documents
   fail before any policy is evaluated);
2. the role must exist with exactly this ARN, and the caller's policies together with the role's
   trust policy must allow ``sts:AssumeRole``; a missing role and a refusal look the same to the
   caller (AccessDenied naming the action and the role), so roles cannot be probed;
3. requested session tags need ``sts:TagSession`` and a source identity ``sts:SetSourceIdentity``,
   on the same two sides;
4. DurationSeconds against the role's MaxSessionDuration and the role-chaining cap;
5. the packed size of session policies and tags.

Transitive tags and the source identity of the calling session carry over (role chaining).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.services.context import CallContext, CallerKind
from eksiam.services.sts import session_rules as rules
from eksiam.services.sts import trust
from eksiam.services.sts.base import SessionSpec, StsBase, assumed_role_user, find_role, role_ref
from eksiam.services.sts.errors import AccessDenied, ValidationError
from eksiam.services.sts.sessions import credentials_view
from eksiam.storage.interface import Record

_AWS_SERVICE_SUFFIX = ".amazonaws.com"


class AssumeRoleOperations(StsBase):
    def assume_role(
        self,
        ctx: CallContext,
        *,
        role_arn: str,
        role_session_name: str,
        policy_arns: Sequence[Mapping[str, str]] | None = None,
        policy: str | None = None,
        duration_seconds: int | None = None,
        tags: Sequence[Mapping[str, str]] | None = None,
        transitive_tag_keys: Sequence[str] | None = None,
        external_id: str | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
        source_identity: str | None = None,
        provided_contexts: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        caller = ctx.caller
        if caller is None:
            raise AccessDenied("Request is missing Authentication Token")
        if caller.kind is CallerKind.ROOT:
            raise AccessDenied.root_caller()
        inherited: Mapping[str, Any] = caller.session or {}
        chained = caller.kind is CallerKind.ASSUMED_ROLE
        rules.check_name(role_session_name, "roleSessionName")
        source = rules.check_source_identity(source_identity, inherited.get("SourceIdentity"))
        requested_tags = list(tags or [])
        session_tags, transitive = rules.merge_tags(
            requested_tags,
            list(transitive_tag_keys or []),
            inherited.get("Tags") or [] if chained else [],
            inherited.get("TransitiveTagKeys") or [] if chained else [],
        )
        if policy is not None:
            trust.session_policy(policy)
        arns = [p["arn"] for p in policy_arns or []]
        if serial_number is not None or token_code is not None:
            # eksiam keeps no MFA devices, so no code can be validated (AWS answers AccessDenied).
            raise AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")

        denied = AccessDenied.not_authorized(caller.arn, "sts:AssumeRole", role_arn)
        ref = role_ref(role_arn)
        role = self.store.read(lambda uow: find_role(uow, ref)) if ref is not None else None
        if role is None or ref is None:
            raise denied
        trust_doc = trust.trust_policy(role["AssumeRolePolicyDocument"], role["Arn"])
        context: dict[str, str | list[str]] = {"sts:RoleSessionName": role_session_name}
        if external_id is not None:
            context["sts:ExternalId"] = external_id
        if source_identity is not None:
            context["sts:SourceIdentity"] = source_identity
        context.update(trust.request_tag_context(requested_tags, list(transitive_tag_keys or [])))

        def permitted(action: str) -> bool:
            if not self.settings.enforce:
                return True
            return self.authorizer.decide(ctx, action, role_arn, context, resource_policy=trust_doc).allowed

        if not permitted("sts:AssumeRole"):
            raise denied
        if (requested_tags or transitive_tag_keys) and not permitted("sts:TagSession"):
            raise AccessDenied.not_authorized(caller.arn, "sts:TagSession", role_arn)
        if source_identity is not None and not permitted("sts:SetSourceIdentity"):
            raise AccessDenied.not_authorized(caller.arn, "sts:SetSourceIdentity", role_arn)

        duration = rules.session_duration(duration_seconds, int(role["MaxSessionDuration"]), chained)
        packed = rules.packed_policy_size(policy, arns, requested_tags)
        record = self._issue(
            ctx,
            SessionSpec(
                role=role,
                session_name=role_session_name,
                duration=duration,
                chained=chained,
                policy=policy,
                policy_arns=arns,
                tags=session_tags,
                transitive_keys=transitive,
                source_identity=source,
            ),
        )
        return _response(record, packed)

    def assume_role_as_service(
        self,
        ctx: CallContext,
        *,
        service_principal: str,
        role_arn: str,
        role_session_name: str,
        duration_seconds: int | None = None,
        tags: Sequence[Mapping[str, str]] = (),
        transitive_tag_keys: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A session for an AWS service acting on a role (EKS Pod Identity's AssumeRole + TagSession).

        Not an STS API operation: services call it in-process. The trust policy alone decides, with
        the service principal as caller (IAM "IAM role trust policies": Principal ``Service``).
        """
        if not service_principal.endswith(_AWS_SERVICE_SUFFIX):
            raise ValidationError(f"{service_principal} is not a service principal")
        rules.check_name(role_session_name, "roleSessionName")
        session_tags, transitive = rules.merge_tags(list(tags), list(transitive_tag_keys), [], [])
        ref = role_ref(role_arn)
        role = self.store.read(lambda uow: find_role(uow, ref)) if ref is not None else None
        denied = AccessDenied.not_authorized(service_principal, "sts:AssumeRole", role_arn)
        if role is None or ref is None:
            raise denied
        trust_doc = trust.trust_policy(role["AssumeRolePolicyDocument"], role["Arn"])
        context = trust.request_tag_context(session_tags, transitive)
        context["sts:RoleSessionName"] = role_session_name
        for action in ("sts:AssumeRole", "sts:TagSession") if session_tags else ("sts:AssumeRole",):
            allowed = trust.allows(service_principal, action, role_arn, ref.account, trust_doc, context)
            if self.settings.enforce and not allowed:
                raise AccessDenied.not_authorized(service_principal, action, role_arn)
        duration = rules.session_duration(duration_seconds, int(role["MaxSessionDuration"]), chained=False)
        packed = rules.packed_policy_size(None, [], session_tags)
        record = self._issue(
            ctx,
            SessionSpec(
                role=role,
                session_name=role_session_name,
                duration=duration,
                chained=False,
                tags=session_tags,
                transitive_keys=transitive,
            ),
        )
        return _response(record, packed)


def _response(record: Record, packed: int | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "Credentials": credentials_view(record),
        "AssumedRoleUser": assumed_role_user(record),
    }
    if packed is not None:
        response["PackedPolicySize"] = packed
    if record.get("SourceIdentity"):
        response["SourceIdentity"] = record["SourceIdentity"]
    return response
