"""TagResource, UntagResource and ListTagsForResource for the EKS resources eksiam keeps.

Rules (EKS API Reference, TagResource; the tag restrictions of AWS::EKS::* Tag):

1. The resource is named by its ARN: a cluster, node group, Fargate profile, Pod Identity
   association or access entry of the caller's account in the request's region. Any other ARN,
   or one whose resource does not exist (or no longer does), is NotFoundException; a string that is
   no ARN at all is BadRequestException.
2. TagResource merges: keys it names get its values, other tags stay. UntagResource drops the keys
   it names and ignores keys the resource does not have. Tags go with the resource when it goes.
3. At most 50 tags per resource; keys and values beginning with ``aws:`` (any case) are reserved
   and refused, so no tag of AWS's own is ever edited or removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eksiam.arn import Arn, InvalidArn
from eksiam.services.context import CallContext
from eksiam.services.eks import records as rec
from eksiam.services.eks.base import EksBase
from eksiam.services.eks.errors import BadRequestException, NotFoundException
from eksiam.storage import Record, UnitOfWork

MAX_TAGS = 50
# ARN resource type -> (record kind, the member of the record that holds its ARN)
_TAGGABLE: dict[str, tuple[str, str]] = {
    "cluster": (rec.CLUSTER, "arn"),
    "nodegroup": (rec.NODEGROUP, "nodegroupArn"),
    "fargateprofile": (rec.FARGATE_PROFILE, "fargateProfileArn"),
    "podidentityassociation": (rec.POD_IDENTITY, "associationArn"),
    "access-entry": (rec.ACCESS_ENTRY, "accessEntryArn"),
}


def _not_found(arn: str) -> NotFoundException:
    return NotFoundException(f"Resource {arn} was not found.")


def _check_tags(tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        if key.lower().startswith("aws:") or value.lower().startswith("aws:"):
            raise BadRequestException(
                "Tag keys and values must not begin with aws:, which is reserved for AWS use."
            )


class Tags(EksBase):
    def tag_resource(self, ctx: CallContext, *, resource_arn: str, tags: Mapping[str, str]) -> dict[str, Any]:
        _check_tags(tags)

        def run(uow: UnitOfWork) -> None:
            kind, key, record = self._tagged(uow, ctx, resource_arn)
            merged = {**(record.get("tags") or {}), **tags}
            if len(merged) > MAX_TAGS:
                raise BadRequestException(f"A resource can have at most {MAX_TAGS} tags.")
            record["tags"] = merged
            uow.put(kind, ctx.account, key, record)

        self._write(run)
        return {}

    def untag_resource(
        self, ctx: CallContext, *, resource_arn: str, tag_keys: Sequence[str]
    ) -> dict[str, Any]:
        _check_tags({key: "" for key in tag_keys})

        def run(uow: UnitOfWork) -> None:
            kind, key, record = self._tagged(uow, ctx, resource_arn)
            record["tags"] = {k: v for k, v in (record.get("tags") or {}).items() if k not in set(tag_keys)}
            uow.put(kind, ctx.account, key, record)

        self._write(run)
        return {}

    def list_tags_for_resource(self, ctx: CallContext, *, resource_arn: str) -> dict[str, Any]:
        _, _, record = self._read(lambda uow: self._tagged(uow, ctx, resource_arn))
        return {"tags": dict(record.get("tags") or {})}

    def _tagged(self, uow: UnitOfWork, ctx: CallContext, resource_arn: str) -> tuple[str, str, Record]:
        """(kind, key, record) of the resource ``resource_arn`` names (rule 1)."""
        try:
            arn = Arn.parse(resource_arn)
        except InvalidArn:
            raise BadRequestException(f"{resource_arn} is not a valid ARN.") from None
        kind_and_member = _TAGGABLE.get(arn.resource_type or "")
        path = arn.resource.split("/")
        if (
            kind_and_member is None
            or arn.service != "eks"
            or arn.account != ctx.account
            or arn.region != ctx.region
            or len(path) < 2
        ):
            raise _not_found(resource_arn)
        kind, member = kind_and_member
        cluster = path[1]
        if kind == rec.CLUSTER:
            key = rec.key(ctx.region, cluster)
            candidates = [(key, uow.get(kind, ctx.account, key))]
        else:
            candidates = list(uow.list(kind, ctx.account, prefix=rec.key(ctx.region, cluster, "")))
        for key, record in candidates:
            if record is not None and record.get(member) == resource_arn:
                return kind, key, record
        raise _not_found(resource_arn)
