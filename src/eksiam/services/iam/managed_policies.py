"""AWS managed policies: the read-only catalogue every account shares.

Rules:

1. The documents ship inside the package (``eksiam/data/aws-managed-policies/<Name>.json``, taken
   from MAMIP's record of ``aws iam get-policy-version`` results) with every version that has a
   document. Versions known only by id and date (``OlderVersionsWithoutDocument``) are left out:
   ListPolicyVersions on AWS returns them, but GetPolicyVersion could not, and a half-answerable
   version is worse than a gap (VersionIds of AWS managed policies already have gaps, iam-rules.md 3.1).
2. ARNs are ``arn:<partition>:iam::aws:policy<path><name>`` with the real path (``/``,
   ``/service-role/``, ``/aws-service-role/`` ...): the account field is the literal ``aws``
   (iam-rules.md 1.2). Lookup ignores the partition, as every partition has its own copy.
3. Nobody changes them. DeletePolicy, CreatePolicyVersion, DeletePolicyVersion and
   SetDefaultPolicyVersion on one answer ``AccessDenied`` (403) with AWS's text, e.g.
   "Cannot create versions for policies outside your own account." (quoted by a customer who hit it
   on a policy owned by another account; LocalStack answers DeletePolicy the same way). Tag and
   untag fail the same way: the policy lives in account ``aws``.
4. A policy under ``/aws-service-role/`` is reserved for service-linked roles: IAM attaches it to the
   SLR itself, and a customer's Attach*Policy or Put*PermissionsBoundary answers
   ``PolicyNotAttachable`` even though ListPolicies says ``IsAttachable: true`` (iam-rules.md 6.1, 8;
   aws/aws-cdk#6131). ``attachable_to_identities`` carries that rule; IAM core checks it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from eksiam.arn import Arn, InvalidArn
from eksiam.errors import DynamicError, ServiceError
from eksiam.storage import Record

AWS_ACCOUNT = "aws"
SERVICE_ROLE_PATH = "/aws-service-role/"
_DATA_DIR = "aws-managed-policies"

# Operation -> AccessDenied text for changes to a policy owned by another account (rule 3).
_REFUSALS = {
    "DeletePolicy": "Cannot delete policies outside your own account.",
    "CreatePolicyVersion": "Cannot create versions for policies outside your own account.",
    "DeletePolicyVersion": "Cannot delete policy versions for policies outside your own account.",
    "SetDefaultPolicyVersion": "Cannot update policies outside your own account.",
    "TagPolicy": "Cannot update policies outside your own account.",
    "UntagPolicy": "Cannot update policies outside your own account.",
}


@dataclass(frozen=True, slots=True)
class ManagedPolicyVersion:
    version_id: str
    document: str
    create_date: datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    name: str
    arn: str
    path: str
    policy_id: str
    description: str
    default_version_id: str
    create_date: datetime
    update_date: datetime
    is_attachable: bool
    attachable_to_identities: bool
    versions: tuple[ManagedPolicyVersion, ...]

    @property
    def reserved_for_service_linked_role(self) -> bool:
        return self.path == SERVICE_ROLE_PATH

    @property
    def default_document(self) -> str:
        version = self.version(self.default_version_id)
        if version is None:
            raise LookupError(f"{self.arn} ships without its default version {self.default_version_id}")
        return version.document

    def version(self, version_id: str) -> ManagedPolicyVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _load(data: dict[str, Any]) -> ManagedPolicy:
    versions = tuple(
        sorted(
            (
                ManagedPolicyVersion(
                    v["VersionId"], json.dumps(v["Document"], indent=4), _date(v["CreateDate"])
                )
                for v in data["Versions"]
                if "Document" in v
            ),
            key=lambda v: int(v.version_id[1:].split(".")[0]),
        )
    )
    return ManagedPolicy(
        name=data["PolicyName"],
        arn=data["Arn"],
        path=data["Path"],
        policy_id=data["PolicyId"],
        description=data.get("Description") or "",
        default_version_id=data["DefaultVersionId"],
        create_date=_date(data["CreateDate"]),
        update_date=_date(data["UpdateDate"]),
        is_attachable=bool(data["IsAttachable"]),
        attachable_to_identities=bool(data.get("AttachableToIdentities", data["IsAttachable"])),
        versions=versions,
    )


@cache
def _by_resource() -> dict[str, ManagedPolicy]:
    """``policy<path><name>`` -> policy; loaded once, never mutated."""
    folder = resources.files("eksiam").joinpath("data", _DATA_DIR)
    found: dict[str, ManagedPolicy] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            policy = _load(json.loads(entry.read_text(encoding="utf-8")))
            found[Arn.parse(policy.arn).resource] = policy
    # Case-insensitive name order: the order of IAM's record keys (records.py rule 1), which
    # ListPolicies pages over.
    return dict(sorted(found.items(), key=lambda item: item[1].name.lower()))


def is_aws_managed_arn(arn: str) -> bool:
    try:
        parsed = Arn.parse(arn)
    except InvalidArn:
        return False
    return parsed.service == "iam" and parsed.account == AWS_ACCOUNT


def lookup(arn: str) -> ManagedPolicy | None:
    """The AWS managed policy with this ARN (any partition), or None."""
    if not is_aws_managed_arn(arn):
        return None
    return _by_resource().get(Arn.parse(arn).resource)


def all_policies() -> tuple[ManagedPolicy, ...]:
    """Every AWS managed policy, in case-insensitive PolicyName order."""
    return tuple(_by_resource().values())


def refusal(operation: str, arn: str) -> ServiceError | None:
    """The error for changing ``arn`` with ``operation`` when it is an AWS managed policy (rule 3)."""
    if not is_aws_managed_arn(arn) or operation not in _REFUSALS:
        return None
    return DynamicError("AccessDenied", _REFUSALS[operation], status=403)


def policy_record(policy: ManagedPolicy) -> Record:
    """The policy in IAM core's ``policy`` record layout (records.py); counts are per account."""
    return {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Path": policy.path,
        "Arn": policy.arn,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": policy.is_attachable,
        "Description": policy.description,
        "CreateDate": policy.create_date.isoformat(),
        "UpdateDate": policy.update_date.isoformat(),
        "Tags": [],
        "attachableToIdentities": policy.attachable_to_identities,
    }


def version_record(version: ManagedPolicyVersion) -> Record:
    return {
        "VersionId": version.version_id,
        "Document": version.document,
        "CreateDate": version.create_date.isoformat(),
    }


class AwsManagedPolicies:
    """``ManagedPolicyCatalog`` (records.py) over the shipped documents; hand one to IamService."""

    def policy(self, arn: str) -> Record | None:
        found = lookup(arn)
        return policy_record(found) if found else None

    def versions(self, arn: str) -> Sequence[Record]:
        found = lookup(arn)
        return [version_record(v) for v in found.versions] if found else []

    def policies(self) -> Sequence[Record]:
        return [policy_record(p) for p in all_policies()]
