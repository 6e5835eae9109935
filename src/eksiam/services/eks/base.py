"""What every EKS operation family shares: store, clock, settings, IAM, and the role checks EKS makes.

Order inside an operation (so that a failed request changes nothing): validate parameters, check
the roles it names (read-only), authorize iam:PassRole, ensure the service-linked role, then one
write transaction for the EKS records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from eksiam.arn import Arn, InvalidArn
from eksiam.clock import Clock
from eksiam.config import Settings
from eksiam.errors import ServiceError
from eksiam.services.context import CallContext
from eksiam.services.eks import records as rec
from eksiam.services.eks.errors import AccessDeniedException, InvalidParameterException, cluster_not_found
from eksiam.services.eks.role_checks import RoleReport, check_role
from eksiam.services.iam import records as iam_records
from eksiam.services.iam.service import IamService
from eksiam.services.iam.service_linked_roles import service_linked_role_types
from eksiam.services.principal_policies import role_policies
from eksiam.storage import Record, Store, UnitOfWork

T = TypeVar("T")
NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")


class ServiceAuthorizer(Protocol):
    def require(
        self, ctx: CallContext, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> None: ...


class EksBase:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        iam: IamService,
        authorizer: ServiceAuthorizer | None = None,
    ) -> None:
        self.store, self.clock, self.settings, self.iam, self.authorizer = (
            store,
            clock,
            settings,
            iam,
            authorizer,
        )

    def _write(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.write(fn)

    def _read(self, fn: Callable[[UnitOfWork], T]) -> T:
        return self.store.read(fn)

    def _arn(self, ctx: CallContext, resource: str) -> str:
        return f"arn:{self.settings.partition}:eks:{ctx.region}:{ctx.account}:{resource}"

    @staticmethod
    def _check_name(value: str, member: str) -> None:
        if not NAME.match(value):
            raise InvalidParameterException(
                f"{member} can't be longer than 100 characters and must start with an alphanumeric character "
                "and contain only alphanumeric characters, hyphens and underscores."
            )

    def _cluster(self, uow: UnitOfWork, ctx: CallContext, name: str) -> Record:
        found = uow.get(rec.CLUSTER, ctx.account, rec.key(ctx.region, name))
        if found is None:
            raise cluster_not_found(name)
        return found

    def _require_cluster(self, ctx: CallContext, name: str) -> Record:
        return self._read(lambda uow: self._cluster(uow, ctx, name))

    def _require(self, ctx: CallContext, action: str, resource: str, context: Mapping[str, Any]) -> None:
        """An IAM check EKS makes on the caller's behalf; its denial is EKS's AccessDeniedException."""
        if self.authorizer is None:
            return
        try:
            self.authorizer.require(ctx, action, resource, context)
        except ServiceError as err:
            if err.code != "AccessDenied":
                raise
            raise AccessDeniedException(err.message) from None

    def _pass_role(self, ctx: CallContext, role_arn: str, service: str) -> None:
        self._require(ctx, "iam:PassRole", role_arn, {"iam:PassedToService": service})

    def _ensure_service_linked_role(self, ctx: CallContext, service: str) -> None:
        """EKS creates its SLR for the caller, who needs iam:CreateServiceLinkedRole for it (IAM User
        Guide, "Service-linked role permissions"); an existing SLR needs nothing."""
        role_name = service_linked_role_types()[service].role_name
        exists = self._read(lambda uow: uow.get(iam_records.ROLE, ctx.account, role_name.lower()))
        if exists is None:
            path = f"role/aws-service-role/{service}/{role_name}"
            arn = f"arn:{self.settings.partition}:iam::{ctx.account}:{path}"
            self._require(ctx, "iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": service})
        self.iam.ensure_service_linked_role(ctx, service)

    def _role(self, ctx: CallContext, role_arn: str, member: str) -> Record | None:
        """The stored role an ARN names in the caller's account, or None."""
        try:
            arn = Arn.parse(role_arn)
        except InvalidArn:
            raise InvalidParameterException(f"{member} {role_arn} is not a valid role ARN.") from None
        if arn.service != "iam" or arn.resource_type != "role":
            raise InvalidParameterException(f"{member} {role_arn} is not a valid role ARN.")
        name = arn.resource.rsplit("/", 1)[-1]
        found: Record | None = self._read(lambda uow: uow.get(iam_records.ROLE, arn.account, name.lower()))
        if found is None or found["Arn"] != role_arn:
            return None
        return found

    def check(self, purpose: str, role: Record, context: dict[str, str] | None = None) -> RoleReport:
        account = Arn.parse(role["Arn"]).account
        found = self._read(lambda uow: role_policies(uow, account, role["RoleName"]))
        return check_role(purpose, role, found, context=context)

    @staticmethod
    def _page(
        items: list[Any], max_results: int | None, next_token: str | None
    ) -> tuple[list[Any], str | None]:
        """EKS paging: ``nextToken`` is the index to resume from, ``maxResults`` 1..100 (default 100)."""
        if max_results is not None and not 1 <= max_results <= 100:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
        size = max_results or 100
        start = 0
        if next_token:
            if not next_token.isdigit():
                raise InvalidParameterException("The nextToken provided is not valid.")
            start = int(next_token)
        page = items[start : start + size]
        more = start + size < len(items)
        return page, (str(start + size) if more else None)
