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
from eksiam.services.iam.records import EmptyCatalog, ManagedPolicyCatalog
from eksiam.storage.interface import Store, UnitOfWork

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
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.catalog: ManagedPolicyCatalog = catalog or EmptyCatalog()
        self.authorizer = authorizer

    def _require(self, ctx: CallContext, action: str, resource_arn: str) -> None:
        if self.authorizer is not None:
            self.authorizer.require(ctx, f"iam:{action}", resource_arn)

    def _arn(self, ctx: CallContext, kind: str, name: str, path: str = "/") -> str:
        return f"arn:{self.settings.partition}:iam::{ctx.account}:{kind}{path}{name}"

    def _write(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.write(fn)

    def _read(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.read(fn)
