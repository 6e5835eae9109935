"""Tags on roles, users, customer managed policies, instance profiles and OIDC providers.

Rules (IAM User Guide, "Tagging IAM resources"; iam-rules.md 3.1/3.2): at most 50 tags per entity;
keys 1-128 and values 0-256 characters of the model's pattern (checked by ``@validated``); IAM
treats keys case-insensitively, so a request may not repeat a key in any case, and tagging with a
key that exists in another case replaces that tag; keys starting with ``aws:`` are AWS's.
Tag* adds or replaces, Untag* removes keys that exist and ignores the rest, List*Tags pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eksiam.services.context import CallContext
from eksiam.services.iam import lookup, managed_policies
from eksiam.services.iam import records as r
from eksiam.services.iam.base import IamBase, request_tags
from eksiam.services.iam.errors import InvalidInput, LimitExceeded
from eksiam.services.iam.names import validated
from eksiam.services.iam.paging import paginate_list
from eksiam.storage import Record, UnitOfWork

MAX_TAGS = 50
Tag = dict[str, str]


def check_new_tags(tags: Sequence[Tag] | None) -> list[Tag]:
    """The request's tags, refused when a key repeats (any case) or uses the ``aws:`` prefix."""
    tags = list(tags or [])
    seen: set[str] = set()
    for tag in tags:
        key = tag["Key"].lower()
        if key in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        if key.startswith("aws:"):
            raise InvalidInput("User-defined tag keys can't start with 'aws:'.")
        seen.add(key)
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def merge_tags(current: Sequence[Tag], new: Sequence[Tag], quota: str) -> list[Tag]:
    by_key = {t["Key"].lower(): dict(t) for t in current}
    for tag in check_new_tags(new):
        by_key[tag["Key"].lower()] = tag
    if len(by_key) > MAX_TAGS:
        raise LimitExceeded.quota(quota, MAX_TAGS)
    return list(by_key.values())


def remove_tags(current: Sequence[Tag], keys: Sequence[str]) -> list[Tag]:
    gone = {k.lower() for k in keys}
    return [dict(t) for t in current if t["Key"].lower() not in gone]


# entity -> (record kind, quota name); records are found with ``_find``.
_QUOTAS = {
    r.ROLE: "TagsPerRole",
    r.USER: "TagsPerUser",
    r.POLICY: "TagsPerPolicy",
    r.INSTANCE_PROFILE: "TagsPerInstanceProfile",
    r.OIDC_PROVIDER: "TagsPerOpenIDConnectProvider",
}


class TagOperations(IamBase):
    def _tag_target(
        self, ctx: CallContext, kind: str, ident: str, action: str
    ) -> Callable[[UnitOfWork], tuple[str, Record]]:
        """``fn(uow) -> (key, record)`` locating the tagged entity; AWS managed policies refuse."""

        def find(uow: UnitOfWork) -> tuple[str, Record]:
            if kind in (r.ROLE, r.USER):
                record = lookup.find_entity(uow, ctx.account, kind, ident)
                return r.name_key(ident), record
            if kind == r.INSTANCE_PROFILE:
                return r.name_key(ident), lookup.find_instance_profile(uow, ctx.account, ident)
            if kind == r.OIDC_PROVIDER:
                record = lookup.find_oidc_provider(uow, ctx.account, ident)
                return lookup.oidc_key(ident), record
            refused = managed_policies.refusal(action, ident)
            if refused is not None:
                raise refused
            record = lookup.require_policy(uow, ctx.account, ident, self.catalog)
            return r.name_key(record["PolicyName"]), record

        return find

    def _authorize_target(
        self, ctx: CallContext, kind: str, ident: str, action: str, context: dict[str, Any] | None = None
    ) -> None:
        if kind in (r.POLICY, r.OIDC_PROVIDER):
            self._require(ctx, action, ident, context)
        else:
            self._require_named(ctx, action, kind, ident, context)

    def _tag(self, ctx: CallContext, kind: str, ident: str, tags: Sequence[Tag], action: str) -> None:
        self._authorize_target(ctx, kind, ident, action, request_tags(tags))
        find = self._tag_target(ctx, kind, ident, action)

        def run(uow: UnitOfWork) -> None:
            key, record = find(uow)
            record["Tags"] = merge_tags(r.tags_of(record), tags, _QUOTAS[kind])
            uow.put(kind, ctx.account, key, record)

        self._write(run)

    def _untag(self, ctx: CallContext, kind: str, ident: str, keys: Sequence[str], action: str) -> None:
        self._authorize_target(ctx, kind, ident, action, {"aws:TagKeys": list(keys)})
        find = self._tag_target(ctx, kind, ident, action)

        def run(uow: UnitOfWork) -> None:
            key, record = find(uow)
            record["Tags"] = remove_tags(r.tags_of(record), keys)
            uow.put(kind, ctx.account, key, record)

        self._write(run)

    def _list_tags(
        self, ctx: CallContext, kind: str, ident: str, marker: str | None, max_items: int | None, action: str
    ) -> dict[str, Any]:
        find = self._tag_target(ctx, kind, ident, action)
        self._authorize_target(ctx, kind, ident, action)
        record = self._read(lambda uow: find(uow)[1])
        page, more, next_marker = paginate_list(r.tags_of(record), marker, max_items)
        out: dict[str, Any] = {"Tags": page, "IsTruncated": more}
        if next_marker is not None:
            out["Marker"] = next_marker
        return out

    @validated
    def tag_role(self, ctx: CallContext, *, role_name: str, tags: list[Tag]) -> dict[str, Any]:
        self._tag(ctx, r.ROLE, role_name, tags, "TagRole")
        return {}

    @validated
    def untag_role(self, ctx: CallContext, *, role_name: str, tag_keys: list[str]) -> dict[str, Any]:
        self._untag(ctx, r.ROLE, role_name, tag_keys, "UntagRole")
        return {}

    @validated
    def list_role_tags(
        self, ctx: CallContext, *, role_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list_tags(ctx, r.ROLE, role_name, marker, max_items, "ListRoleTags")

    @validated
    def tag_user(self, ctx: CallContext, *, user_name: str, tags: list[Tag]) -> dict[str, Any]:
        self._tag(ctx, r.USER, user_name, tags, "TagUser")
        return {}

    @validated
    def untag_user(self, ctx: CallContext, *, user_name: str, tag_keys: list[str]) -> dict[str, Any]:
        self._untag(ctx, r.USER, user_name, tag_keys, "UntagUser")
        return {}

    @validated
    def list_user_tags(
        self, ctx: CallContext, *, user_name: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list_tags(ctx, r.USER, user_name, marker, max_items, "ListUserTags")

    @validated
    def tag_policy(self, ctx: CallContext, *, policy_arn: str, tags: list[Tag]) -> dict[str, Any]:
        self._tag(ctx, r.POLICY, policy_arn, tags, "TagPolicy")
        return {}

    @validated
    def untag_policy(self, ctx: CallContext, *, policy_arn: str, tag_keys: list[str]) -> dict[str, Any]:
        self._untag(ctx, r.POLICY, policy_arn, tag_keys, "UntagPolicy")
        return {}

    @validated
    def list_policy_tags(
        self, ctx: CallContext, *, policy_arn: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        return self._list_tags(ctx, r.POLICY, policy_arn, marker, max_items, "ListPolicyTags")

    @validated
    def tag_instance_profile(
        self, ctx: CallContext, *, instance_profile_name: str, tags: list[Tag]
    ) -> dict[str, Any]:
        self._tag(ctx, r.INSTANCE_PROFILE, instance_profile_name, tags, "TagInstanceProfile")
        return {}

    @validated
    def untag_instance_profile(
        self, ctx: CallContext, *, instance_profile_name: str, tag_keys: list[str]
    ) -> dict[str, Any]:
        self._untag(ctx, r.INSTANCE_PROFILE, instance_profile_name, tag_keys, "UntagInstanceProfile")
        return {}

    @validated
    def list_instance_profile_tags(
        self,
        ctx: CallContext,
        *,
        instance_profile_name: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        return self._list_tags(
            ctx, r.INSTANCE_PROFILE, instance_profile_name, marker, max_items, "ListInstanceProfileTags"
        )

    @validated
    def tag_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str, tags: list[Tag]
    ) -> dict[str, Any]:
        self._tag(ctx, r.OIDC_PROVIDER, open_id_connect_provider_arn, tags, "TagOpenIDConnectProvider")
        return {}

    @validated
    def untag_open_id_connect_provider(
        self, ctx: CallContext, *, open_id_connect_provider_arn: str, tag_keys: list[str]
    ) -> dict[str, Any]:
        self._untag(
            ctx, r.OIDC_PROVIDER, open_id_connect_provider_arn, tag_keys, "UntagOpenIDConnectProvider"
        )
        return {}

    @validated
    def list_open_id_connect_provider_tags(
        self,
        ctx: CallContext,
        *,
        open_id_connect_provider_arn: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        return self._list_tags(
            ctx,
            r.OIDC_PROVIDER,
            open_id_connect_provider_arn,
            marker,
            max_items,
            "ListOpenIDConnectProviderTags",
        )
