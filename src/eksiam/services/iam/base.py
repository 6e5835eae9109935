"""State every IAM operation family shares: the store, the clock, settings, the AWS managed policy
catalogue and the authorizer hook.

Each family (users.py, roles.py ...) is a mixin over ``IamBase``; ``service.IamService`` lists
them. A family method is one IAM operation: it validates, authorizes, then runs exactly one
``store.write`` (or ``store.read``) whose function touches nothing outside the unit of work, so a
retried or failed transaction leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.services.context import CallContext
from eksiam.services.iam.managed_policies import AwsManagedPolicies
from eksiam.services.iam.quotas import Quotas
from eksiam.services.iam.records import ManagedPolicyCatalog
from eksiam.storage import Store, UnitOfWork

T = TypeVar("T")


class Authorizer(Protocol):
    def require(
        self, ctx: CallContext, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> None: ...


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

    def _require(self, ctx: CallContext, action: str, resource_arn: str) -> None:
        """Authorize before any transaction opens, so the authorizer may read the store itself."""
        if self.authorizer is not None:
            self.authorizer.require(ctx, f"iam:{action}", resource_arn)

    def _require_named(self, ctx: CallContext, action: str, kind: str, name: str) -> None:
        """Authorize against the entity's ARN with its path; an unknown entity's ARN has path ``/``."""
        if self.authorizer is None:
            return
        record = self._read(lambda uow: uow.get(kind, ctx.account, name.lower()))
        arn = record["Arn"] if record else self._arn(ctx, kind, name)
        self.authorizer.require(ctx, f"iam:{action}", arn)

    def _arn(self, ctx: CallContext, kind: str, name: str, path: str = "/") -> str:
        return f"arn:{self.settings.partition}:iam::{ctx.account}:{kind}{path}{name}"

    def _write(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.write(fn)

    def _read(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.read(fn)
