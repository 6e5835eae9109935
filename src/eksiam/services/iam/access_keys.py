"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.

- At most two keys per user (AccessKeysPerUser, iam-rules.md 3.1).
- The secret is returned by CreateAccessKey only: "This is your only opportunity to view or
  download the secret access key" (API reference, CreateAccessKey). It is stored in the global
  ``access-key`` record so SigV4 verification (credentials.py) can find it by key id, and never
  appears in any other output, repr or message.
- GetAccessKeyLastUsed of a never-used key answers ServiceName and Region ``N/A`` and no date
  (API reference, AccessKeyLastUsed).
"""

from __future__ import annotations

from typing import Any

from eksiam import ids
from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, views
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase
from eksiam.services.iam.errors import LimitExceeded, NoSuchEntity
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import Page, paginate
from eksiam.services.iam.users import implicit_user
from eksiam.storage import Record, UnitOfWork


def _no_such_key(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


class AccessKeys(IamBase):
    def _owned_key(self, uow: UnitOfWork, ctx: CallContext, user_name: str, key_id: str) -> Record:
        lookup.find_entity(uow, ctx.account, r.USER, user_name)
        record = uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, key_id)
        if (
            record is None
            or record["Account"] != ctx.account
            or r.name_key(record["UserName"]) != r.name_key(user_name)
        ):
            raise _no_such_key(key_id)
        return record

    @validated
    def create_access_key(self, ctx: CallContext, *, user_name: str | None = None) -> dict[str, Any]:
        name = implicit_user(ctx, user_name)
        self._require_named(ctx, "CreateAccessKey", r.USER, name)
        key_id, secret = ids.access_key_id(), ids.secret_access_key()

        def run(uow: UnitOfWork) -> Record:
            user = lookup.find_entity(uow, ctx.account, r.USER, name)
            if (
                uow.count(r.USER_ACCESS_KEY, ctx.account, prefix=r.name_key(name) + "|")
                >= self.quotas.access_keys_per_user
            ):
                raise LimitExceeded.quota("AccessKeysPerUser", self.quotas.access_keys_per_user)
            record = {
                "AccessKeyId": key_id,
                "SecretAccessKey": secret,
                "UserName": user["UserName"],
                "Account": ctx.account,
                "Status": "Active",
                "CreateDate": r.timestamp(ctx.now),
            }
            uow.put(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, key_id, record, create=True)
            uow.put(
                r.USER_ACCESS_KEY, ctx.account, r.pair_key(r.name_key(name), key_id), {"AccessKeyId": key_id}
            )
            return record

        record = self._write(run)
        out = views.access_key_metadata(record)
        out["SecretAccessKey"] = record["SecretAccessKey"]
        return {"AccessKey": out}

    @validated
    def list_access_keys(
        self,
        ctx: CallContext,
        *,
        user_name: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        name = implicit_user(ctx, user_name)
        self._require_named(ctx, "ListAccessKeys", r.USER, name)

        def run(uow: UnitOfWork) -> tuple[Page, list[Record]]:
            lookup.find_entity(uow, ctx.account, r.USER, name)
            page = paginate(
                uow,
                r.USER_ACCESS_KEY,
                ctx.account,
                prefix=r.name_key(name) + "|",
                marker=marker,
                max_items=max_items,
            )
            keys = [uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, rec["AccessKeyId"]) for _k, rec in page.items]
            return page, [k for k in keys if k is not None]

        page, keys = self._read(run)
        return page.output(AccessKeyMetadata=[views.access_key_metadata(k) for k in keys])

    @validated
    def update_access_key(
        self, ctx: CallContext, *, access_key_id: str, status: str, user_name: str | None = None
    ) -> dict[str, Any]:
        name = implicit_user(ctx, user_name)
        self._require_named(ctx, "UpdateAccessKey", r.USER, name)

        def run(uow: UnitOfWork) -> None:
            record = self._owned_key(uow, ctx, name, access_key_id)
            record["Status"] = status
            uow.put(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, access_key_id, record)

        self._write(run)
        return {}

    @validated
    def delete_access_key(
        self, ctx: CallContext, *, access_key_id: str, user_name: str | None = None
    ) -> dict[str, Any]:
        name = implicit_user(ctx, user_name)
        self._require_named(ctx, "DeleteAccessKey", r.USER, name)

        def run(uow: UnitOfWork) -> None:
            self._owned_key(uow, ctx, name, access_key_id)
            uow.delete(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, access_key_id)
            uow.delete(r.USER_ACCESS_KEY, ctx.account, r.pair_key(r.name_key(name), access_key_id))

        self._write(run)
        return {}

    @validated
    def get_access_key_last_used(self, ctx: CallContext, *, access_key_id: str) -> dict[str, Any]:
        record = self._read(lambda uow: uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, access_key_id))
        if record is None or record["Account"] != ctx.account:
            raise _no_such_key(access_key_id)
        self._require_named(ctx, "GetAccessKeyLastUsed", r.USER, record["UserName"])
        used = record.get("LastUsed")
        last: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
        if used:
            last = {
                "LastUsedDate": r.parse_timestamp(used["LastUsedDate"]),
                "ServiceName": used["ServiceName"],
                "Region": used["Region"],
            }
        return {"UserName": record["UserName"], "AccessKeyLastUsed": last}
