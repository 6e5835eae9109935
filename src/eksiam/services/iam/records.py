"""How IAM entities are laid out in the store: kinds, keys, fields. Other IAM modules build on this.

Rule 1 - names are unique per account and case-insensitive (IAM User Guide, "IAM quotas": "names
must be unique within the account ... not distinguished by case"), so every entity's key is its
name lower-cased and the record keeps the name as given.

Rule 2 - record fields use the AWS output member names (``RoleName``, ``Arn``, ``CreateDate``),
so views copy them; timestamps are ISO-8601 UTC strings (``datetime.isoformat()``), documents are
kept as the caller sent them (raw JSON text, not URL-encoded). Fields in lower camel case
(``nextVersion``, ``protected``) are ours and never reach the wire.

Rule 3 - relations are records in both directions, each a prefix scan away (storage interface
rule 5). ``E`` below is an *entity ref*: ``"<type>/<lower name>"`` with type ``user``, ``group`` or
``role`` (``entity_ref()``).

Kinds (``acct`` = the caller's account, ``""`` = global)::

  role                   acct  lower(RoleName)
      RoleName RoleId Path Arn CreateDate AssumeRolePolicyDocument Description? MaxSessionDuration
      PermissionsBoundary? ({PermissionsBoundaryType: "Policy", PermissionsBoundaryArn})
      Tags [{Key, Value}] RoleLastUsed? ({LastUsedDate, Region}) protected? serviceName?
  user                   acct  lower(UserName)
      UserName UserId Path Arn CreateDate PermissionsBoundary? Tags
  group                  acct  lower(GroupName)
      GroupName GroupId Path Arn CreateDate
  group-member           acct  "<lower group>|<lower user>"     GroupName UserName
  user-group             acct  "<lower user>|<lower group>"     GroupName UserName
  policy                 acct  lower(PolicyName)               (customer managed policy)
      PolicyName PolicyId Path Arn DefaultVersionId AttachmentCount PermissionsBoundaryUsageCount
      IsAttachable Description? CreateDate UpdateDate Tags nextVersion (int, next "v<n>")
  policy-version         acct  "<lower PolicyName>|<VersionId>" VersionId Document CreateDate
  attachment             acct  "<policy arn>|E"
      PolicyArn PolicyName EntityType EntityName EntityId   (managed policy attached to E)
  attached-policy        acct  "E|<policy arn>"                 PolicyArn PolicyName (reverse index)
  boundary-usage         acct  "<policy arn>|E"
      PolicyArn EntityType EntityName EntityId              (policy used as E's boundary)
  inline-policy          acct  "E|<PolicyName>"
      PolicyName PolicyDocument EntityType EntityName
  access-key             ""    AccessKeyId                      (global: SigV4 finds it by id)
      AccessKeyId SecretAccessKey UserName Account Status CreateDate
      LastUsed? ({LastUsedDate, ServiceName, Region})
  user-access-key        acct  "<lower user>|<AccessKeyId>"     AccessKeyId
  instance-profile       acct  lower(InstanceProfileName)
      InstanceProfileName InstanceProfileId Path Arn CreateDate Tags roles [lower RoleName]
  role-instance-profile  acct  "<lower role>|<lower profile>"   InstanceProfileName
  oidc-provider          acct  Url (no "https://", no ":443")
      Url Arn ClientIDList ThumbprintList CreateDate Tags
  quota-usage            acct  entity kind ("role", "user" ...)  Count (see quotas.py; SLRs count too)
  trust-reference        acct  "<principal arn>|<lower role>"   RoleName (trust_references.py)

Rule 4 - a role whose record has ``protected: true`` is modifiable only by AWS: every update or
delete path except description and tags answers ``UnmodifiableEntity`` (``guard_modifiable``).
Service-linked roles are written with ``protected: true`` and ``serviceName`` by their module.

Rule 5 - AWS managed policies (ARN account ``aws``) are not stored per account: they come from a
``ManagedPolicyCatalog`` handed to the service. Attaching one still writes ``attachment`` and
``attached-policy`` records in the caller's account, so its AttachmentCount is a prefix count.
Customer policies keep ``AttachmentCount`` in their record as well; every attach/detach rewrites
the policy record, which makes attach-while-delete a write-write conflict the store serializes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from eksiam.storage import Record

ROLE = "role"
USER = "user"
GROUP = "group"
GROUP_MEMBER = "group-member"
USER_GROUP = "user-group"
POLICY = "policy"
POLICY_VERSION = "policy-version"
ATTACHMENT = "attachment"
ATTACHED_POLICY = "attached-policy"
BOUNDARY_USAGE = "boundary-usage"
INLINE_POLICY = "inline-policy"
ACCESS_KEY = "access-key"
USER_ACCESS_KEY = "user-access-key"
INSTANCE_PROFILE = "instance-profile"
ROLE_INSTANCE_PROFILE = "role-instance-profile"
OIDC_PROVIDER = "oidc-provider"

GLOBAL_ACCOUNT = ""
AWS_MANAGED_ACCOUNT = "aws"


def name_key(name: str) -> str:
    return name.lower()


def entity_ref(entity_type: str, name: str) -> str:
    return f"{entity_type}/{name.lower()}"


def pair_key(left: str, right: str) -> str:
    return f"{left}|{right}"


def timestamp(when: datetime) -> str:
    return when.isoformat()


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def is_protected(record: Record) -> bool:
    return bool(record.get("protected"))


class ManagedPolicyCatalog(Protocol):
    """AWS managed policies (``arn:aws:iam::aws:policy/...``), read-only and shared by all accounts.

    ``policy`` returns a record in the ``policy`` layout above (no Tags, no nextVersion; counts are
    filled per account by the caller); ``versions`` the ``policy-version`` records of its history.
    """

    def policy(self, arn: str) -> Record | None: ...

    def versions(self, arn: str) -> Sequence[Record]: ...

    def policies(self) -> Sequence[Record]:
        """Every AWS managed policy record, in PolicyName order."""
        ...


def tags_of(record: Record) -> list[dict[str, Any]]:
    return list(record.get("Tags") or [])
