"""State every IAM operation family shares: the store, the clock, settings, the AWS managed policy
catalogue and the authorizer hook.

Each family (users.py, roles.py ...) is a mixin over ``IamBase``; ``service.IamService`` lists
them. A family method is one IAM operation: it validates, authorizes, then runs exactly one
``store.write`` (or ``store.read``) whose function touches nothing outside the unit of work, so a
retried or failed transaction leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.context import CallContext
from eksiam.services.iam.errors import NoSuchEntity
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.iam.quotas import Quotas
from eksiam.services.iam.records import ManagedPolicyCatalog
from eksiam.storage import Record, Store, UnitOfWork

T = TypeVar("T")


def request_tags(tags: Sequence[Mapping[str, str]] | None) -> dict[str, Any]:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` of a request that sets tags."""
    if not tags:
        return {}
    values: dict[str, Any] = {f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags}
    values["aws:TagKeys"] = [t["Key"] for t in tags]
    return values


class Authorizer(Protocol):
    def require(
        self, ctx: CallContext, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> None: ...

    def allows_everything(self, ctx: CallContext) -> bool: ...


class IamBase:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        catalog: ManagedPolicyCatalog | None = None,
        authorizer: Authorizer | None = None,
        quotas: Quotas | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.catalog: ManagedPolicyCatalog = catalog or AwsManagedPolicies()
        self.authorizer = authorizer
        self.quotas = quotas or Quotas()

    def _require(
        self, ctx: CallContext, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> None:
        """Authorize before any transaction opens, so the authorizer may read the store itself.

        Actions without a resource type in the Service Authorization Reference (ListRoles,
        ListPolicies, GetAccountSummary ...) are authorized against ``*``."""
        if self.authorizer is not None:
            self.authorizer.require(ctx, f"iam:{action}", resource_arn, context)

    def _require_named(
        self, ctx: CallContext, action: str, kind: str, name: str, context: Mapping[str, Any] | None = None
    ) -> None:
        """Authorize against the entity's ARN with its path (an unknown entity's ARN has path ``/``)
        and its tags as ``aws:ResourceTag/<key>`` (IAM User Guide, "Controlling access to IAM
        resources" by tags). A caller allowed everything needs no read of the entity for that."""
        authorizer = self.authorizer
        if authorizer is None or authorizer.allows_everything(ctx):
            return
        record = self._read(lambda uow: uow.get(kind, ctx.account, name.lower()))
        self._authorize_entity(authorizer, ctx, action, kind, name, record, context)

    def _authorized_entity(self, ctx: CallContext, action: str, kind: str, name: str) -> Record:
        """The user, group or role ``name`` once the caller may ``action`` it; NoSuchEntity after.
        One read serves both the authorization and the answer."""
        record = self._read(lambda uow: uow.get(kind, ctx.account, name.lower()))
        if self.authorizer is not None:
            self._authorize_entity(self.authorizer, ctx, action, kind, name, record, None)
        if record is None:
            raise NoSuchEntity.entity(kind, name)
        return record

    def _authorize_entity(
        self,
        authorizer: Authorizer,
        ctx: CallContext,
        action: str,
        kind: str,
        name: str,
        record: Record | None,
        context: Mapping[str, Any] | None,
    ) -> None:
        arn = record["Arn"] if record else self._arn(ctx, kind, name)
        values = {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in (record or {}).get("Tags") or []}
        values.update(context or {})
        authorizer.require(ctx, f"iam:{action}", arn, values)

    def _arn(self, ctx: CallContext, kind: str, name: str, path: str = "/") -> str:
        return f"arn:{self.settings.partition}:iam::{ctx.account}:{kind}{path}{name}"

    def _write(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.write(fn)

    def _read(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.read(fn)
