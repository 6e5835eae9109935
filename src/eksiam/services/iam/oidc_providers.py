"""OIDC identity providers: Create/Get/Delete/ListOpenIDConnectProvider(s),
Add/RemoveClientIDTo/FromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint.

- The URL must be ``https://``; it is stored without the scheme and without a ``:443`` port, which
  is also how the ARN names it: ``arn:aws:iam::<acct>:oidc-provider/<host/path>`` (EKS User Guide,
  "Create an IAM OIDC provider"; iam-rules.md 1.2). A second provider for the same URL is
  EntityAlreadyExists.
- Up to 100 client IDs and 5 thumbprints of 40 hex characters (iam-rules.md 3.1); adding a client
  ID that is present and removing one that is absent change nothing (API reference: the operations
  are idempotent); UpdateOpenIDConnectProviderThumbprint replaces the whole list.
- DeleteOpenIDConnectProvider of an unknown provider is not an error (API reference, iam-rules.md 5).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, quotas
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, ValidationError
from eksiam.services.iam.names import validated
from eksiam.services.iam.tags import check_new_tags
from eksiam.storage import AlreadyExists, Record, UnitOfWork


def provider_url(url: str) -> str:
    """``https://host:443/path/`` -> ``host/path``; ValidationError when it is not an https URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError("Invalid Open ID Connect Provider URL")
    host = parts.netloc.rsplit("@", 1)[-1]
    if host.endswith(":443"):
        host = host[: -len(":443")]
    return (host + parts.path).rstrip("/")


def _client_ids(values: Sequence[str], limit: int) -> list[str]:
    unique = list(dict.fromkeys(values))
    if len(unique) > limit:
        raise LimitExceeded.quota("ClientIdsPerOpenIdConnectProvider", limit)
    return unique


def _thumbprints(values: Sequence[str], limit: int) -> list[str]:
    if len(values) > limit:
        raise LimitExceeded.quota("ThumbprintsPerOpenIdConnectProvider", limit)
    for value in values:
        if any(c not in string.hexdigits for c in value):
            raise InvalidInput(f"Thumbprint {value} is not a valid SHA-1 hex string.")
    return list(values)


class OidcProviders(IamBase):
    def _change(self, ctx: CallContext, arn: str, action: str, change: Any) -> None:
        self._require(ctx, action, arn)

        def run(uow: UnitOfWork) -> None:
            provider = lookup.find_oidc_provider(uow, ctx.account, arn)
            change(provider)
            uow.put(r.OIDC_PROVIDER, ctx.account, provider["Url"], provider)

        self._write(run)

    @validated
    def create_open_id_connect_provider(
        self,
        ctx: CallContext,
        *,
        url: str,
        client_id_list: list[str] | None = None,
        thumbprint_list: list[str] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        key = provider_url(url)
        arn = self._arn(ctx, "oidc-provider", key, "/")
        self._require(ctx, "CreateOpenIDConnectProvider", arn, request_tags(tags))
        record: Record = {
            "Url": key,
            "Arn": arn,
            "ClientIDList": _client_ids(client_id_list or [], self.quotas.client_ids_per_oidc_provider),
            "ThumbprintList": _thumbprints(thumbprint_list or [], self.quotas.thumbprints_per_oidc_provider),
            "CreateDate": r.timestamp(ctx.now),
            "Tags": check_new_tags(tags),
        }
        exists = EntityAlreadyExists(f"Provider with url https://{key} already exists.")

        def run(uow: UnitOfWork) -> None:
            if uow.get(r.OIDC_PROVIDER, ctx.account, key) is not None:
                raise exists
            quotas.consume(uow, ctx.account, r.OIDC_PROVIDER, self.quotas)
            uow.put(r.OIDC_PROVIDER, ctx.account, key, record, create=True)

        try:
            self._write(run)
        except AlreadyExists:
            raise exists from None
        out: dict[str, Any] = {"OpenIDConnectProviderArn": arn}
        if record["Tags"]:
            out["Tags"] = record["Tags"]
        return out

    @validated
    def get_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str
    ) -> dict[str, Any]:
        self._require(ctx, "GetOpenIDConnectProvider", open_id_connect_provider_arn)
        provider = self._read(
            lambda uow: lookup.find_oidc_provider(uow, ctx.account, open_id_connect_provider_arn)
        )
        out: dict[str, Any] = {
            "Url": provider["Url"],
            "ClientIDList": list(provider["ClientIDList"]),
            "ThumbprintList": list(provider["ThumbprintList"]),
            "CreateDate": r.parse_timestamp(provider["CreateDate"]),
        }
        if provider.get("Tags"):
            out["Tags"] = provider["Tags"]
        return out

    @validated
    def delete_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str
    ) -> dict[str, Any]:
        self._require(ctx, "DeleteOpenIDConnectProvider", open_id_connect_provider_arn)
        key = lookup.oidc_key(open_id_connect_provider_arn)

        def run(uow: UnitOfWork) -> None:
            provider = uow.get(r.OIDC_PROVIDER, ctx.account, key)
            if provider is not None and provider["Arn"] == open_id_connect_provider_arn:
                uow.delete(r.OIDC_PROVIDER, ctx.account, key)
                quotas.release(uow, ctx.account, r.OIDC_PROVIDER)

        self._write(run)
        return {}

    @validated
    def list_open_id_connect_providers(self, ctx: CallContext) -> dict[str, Any]:
        self._require(ctx, "ListOpenIDConnectProviders", "*")
        providers = self._read(lambda uow: uow.list(r.OIDC_PROVIDER, ctx.account))
        return {"OpenIDConnectProviderList": [{"Arn": p["Arn"]} for _k, p in providers]}

    @validated
    def add_client_id_to_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str, client_id: str
    ) -> dict[str, Any]:
        def change(provider: Record) -> None:
            ids = [*provider["ClientIDList"], client_id]
            provider["ClientIDList"] = _client_ids(ids, self.quotas.client_ids_per_oidc_provider)

        self._change(ctx, open_id_connect_provider_arn, "AddClientIDToOpenIDConnectProvider", change)
        return {}

    @validated
    def remove_client_id_from_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str, client_id: str
    ) -> dict[str, Any]:
        def change(provider: Record) -> None:
            provider["ClientIDList"] = [c for c in provider["ClientIDList"] if c != client_id]

        self._change(ctx, open_id_connect_provider_arn, "RemoveClientIDFromOpenIDConnectProvider", change)
        return {}

    @validated
    def update_open_id_connect_provider_thumbprint(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str, thumbprint_list: list[str]
    ) -> dict[str, Any]:
        def change(provider: Record) -> None:
            provider["ThumbprintList"] = _thumbprints(
                thumbprint_list, self.quotas.thumbprints_per_oidc_provider
            )

        self._change(ctx, open_id_connect_provider_arn, "UpdateOpenIDConnectProviderThumbprint", change)
        return {}
