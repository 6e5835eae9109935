"""Output shapes built from records, with the quirks the bare model does not tell.

- Policy documents are URL-encoded (RFC 3986) in every response that carries one: "The policy
  document returned in this structure is URL-encoded compliant with RFC 3986" (IAM API reference,
  Role, PolicyVersion, GetRolePolicy ...). botocore decodes them on the client side.
- ListRoles "doesn't return ... PermissionsBoundary, RoleLastUsed, Tags" and ListUsers omits
  PermissionsBoundary and Tags (API reference, ListRoles/ListUsers); Get* return them.
- GetRole always has ``RoleLastUsed`` (empty when the role was never used).
- ``Description`` of a managed policy comes back from GetPolicy only, not ListPolicies (API
  reference, ListPolicies; iam-rules.md 8).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

from eksiam.services.iam.records import parse_timestamp
from eksiam.storage import Record

Out = dict[str, Any]


def encode_document(document: str) -> str:
    """Kept per document for the ones of policy size: urllib quotes a byte at a time in Python
    (20 us for a small trust policy), and the same documents come back again and again (GetRole,
    roles created from one template)."""
    if len(document) <= _CACHED_DOCUMENT_CHARS:
        return _encoded(document)
    return quote(document, safe="-_.~")


_CACHED_DOCUMENT_CHARS = 10240  # above every IAM policy size quota


@functools.lru_cache(maxsize=256)
def _encoded(document: str) -> str:
    return quote(document, safe="-_.~")


def _pick(record: Record, *names: str) -> Out:
    return {n: record[n] for n in names if record.get(n) is not None}


def _dated(out: Out, record: Record, *names: str) -> Out:
    for name in names:
        if record.get(name):
            out[name] = parse_timestamp(record[name])
    return out


def role(record: Record, *, listing: bool = False, last_used: bool = True) -> Out:
    out = _pick(record, "Path", "RoleName", "RoleId", "Arn")
    _dated(out, record, "CreateDate")
    out["AssumeRolePolicyDocument"] = encode_document(record["AssumeRolePolicyDocument"])
    out.update(_pick(record, "Description", "MaxSessionDuration"))
    if listing:
        return out
    out.update(_pick(record, "PermissionsBoundary"))
    if record.get("Tags"):
        out["Tags"] = record["Tags"]
    if last_used:
        used = record.get("RoleLastUsed") or {}
        out["RoleLastUsed"] = _dated(_pick(used, "Region"), used, "LastUsedDate")
    return out


def user(record: Record, *, listing: bool = False) -> Out:
    out = _dated(_pick(record, "Path", "UserName", "UserId", "Arn"), record, "CreateDate", "PasswordLastUsed")
    if not listing:
        out.update(_pick(record, "PermissionsBoundary"))
        if record.get("Tags"):
            out["Tags"] = record["Tags"]
    return out


def group(record: Record) -> Out:
    return _dated(_pick(record, "Path", "GroupName", "GroupId", "Arn"), record, "CreateDate")


def policy(record: Record, *, description: bool = True, tags: bool = True) -> Out:
    out = _pick(
        record,
        "PolicyName",
        "PolicyId",
        "Arn",
        "Path",
        "DefaultVersionId",
        "AttachmentCount",
        "PermissionsBoundaryUsageCount",
        "IsAttachable",
    )
    if description and record.get("Description"):
        out["Description"] = record["Description"]
    _dated(out, record, "CreateDate", "UpdateDate")
    if tags and record.get("Tags"):
        out["Tags"] = record["Tags"]
    return out


def policy_version(record: Record, *, default_version: str, document: bool = True) -> Out:
    out: Out = {}
    if document:
        out["Document"] = encode_document(record["Document"])
    out["VersionId"] = record["VersionId"]
    out["IsDefaultVersion"] = record["VersionId"] == default_version
    return _dated(out, record, "CreateDate")


def attached_policy(record: Record) -> Out:
    return {"PolicyName": record["PolicyName"], "PolicyArn": record["PolicyArn"]}


def instance_profile(record: Record, roles: list[Record]) -> Out:
    out = _dated(
        _pick(record, "Path", "InstanceProfileName", "InstanceProfileId", "Arn"), record, "CreateDate"
    )
    out["Roles"] = [role(r, listing=True) for r in roles]
    if record.get("Tags"):
        out["Tags"] = record["Tags"]
    return out


def access_key_metadata(record: Record) -> Out:
    return _dated(_pick(record, "UserName", "AccessKeyId", "Status"), record, "CreateDate")


def inline_policy(record: Record, owner_member: str) -> Out:
    return {
        owner_member: record["EntityName"],
        "PolicyName": record["PolicyName"],
        "PolicyDocument": encode_document(record["PolicyDocument"]),
    }
