"""UpdateUser/UpdateGroup with NewUserName/NewGroupName/NewPath: the entity and every relation that
names it move together in one transaction (API reference, UpdateUser: "the user's ... group
membership, policies and access keys move with it").

Relations keyed by the entity ref (``E|...``), keyed by ``...|E``, and group membership pairs are
rewritten under the new name; the Arn follows the new path and name, and so do trust policies that
name the user (IAM keeps the user's ID there, trust_references.py).
"""

from __future__ import annotations

from eksiam.services.iam import records as r
from eksiam.services.iam import trust_references
from eksiam.storage import Record, UnitOfWork


def _move(uow: UnitOfWork, account: str, kind: str, old_key: str, new_key: str, data: Record) -> None:
    uow.delete(kind, account, old_key)
    uow.put(kind, account, new_key, data)


def rename_entity(
    uow: UnitOfWork,
    account: str,
    entity_type: str,
    entity: Record,
    new_name: str,
    new_path: str,
    new_arn: str,
) -> Record:
    """Move ``entity`` (a user or group record) to ``new_name``/``new_path``; returns the new record."""
    name_field = f"{entity_type.capitalize()}Name"
    old_name = entity[name_field]
    old_ref, new_ref = r.entity_ref(entity_type, old_name), r.entity_ref(entity_type, new_name)
    for key, data in uow.list(r.ATTACHED_POLICY, account, prefix=old_ref + "|"):
        arn = data["PolicyArn"]
        _move(uow, account, r.ATTACHED_POLICY, key, r.pair_key(new_ref, arn), data)
        attachment = uow.get(r.ATTACHMENT, account, r.pair_key(arn, old_ref)) or {}
        attachment["EntityName"] = new_name
        _move(uow, account, r.ATTACHMENT, r.pair_key(arn, old_ref), r.pair_key(arn, new_ref), attachment)
    for key, data in uow.list(r.INLINE_POLICY, account, prefix=old_ref + "|"):
        data["EntityName"] = new_name
        _move(uow, account, r.INLINE_POLICY, key, r.pair_key(new_ref, data["PolicyName"]), data)
    boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if boundary:
        usage = uow.get(r.BOUNDARY_USAGE, account, r.pair_key(boundary, old_ref)) or {}
        usage["EntityName"] = new_name
        _move(
            uow,
            account,
            r.BOUNDARY_USAGE,
            r.pair_key(boundary, old_ref),
            r.pair_key(boundary, new_ref),
            usage,
        )
    old_key, new_key = r.name_key(old_name), r.name_key(new_name)
    forward, backward = (
        (r.USER_GROUP, r.GROUP_MEMBER) if entity_type == r.USER else (r.GROUP_MEMBER, r.USER_GROUP)
    )
    for key, data in uow.list(forward, account, prefix=old_key + "|"):
        other = key.split("|", 1)[1]
        data[name_field] = new_name
        _move(uow, account, forward, key, r.pair_key(new_key, other), data)
        _move(uow, account, backward, r.pair_key(other, old_key), r.pair_key(other, new_key), data)
    if entity_type == r.USER:
        for key, data in uow.list(r.USER_ACCESS_KEY, account, prefix=old_key + "|"):
            _move(uow, account, r.USER_ACCESS_KEY, key, r.pair_key(new_key, data["AccessKeyId"]), data)
            secret = uow.get(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, data["AccessKeyId"])
            if secret is not None:
                secret["UserName"] = new_name
                uow.put(r.ACCESS_KEY, r.GLOBAL_ACCOUNT, data["AccessKeyId"], secret)
    if entity_type == r.USER and entity["Arn"] != new_arn:
        trust_references.principal_renamed(uow, account, entity["Arn"], new_arn)
    renamed = dict(entity, **{name_field: new_name, "Path": new_path, "Arn": new_arn})
    uow.delete(entity_type, account, old_key)
    uow.put(entity_type, account, new_key, renamed)
    return renamed
